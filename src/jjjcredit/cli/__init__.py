"""The command line: a Typer app with one sub-app per noun (cli/<noun>.py)."""
