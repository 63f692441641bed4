"""The HTTP adapter: the sharing and application interface (3041) on FastAPI."""
