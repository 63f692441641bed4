"""Exchange packages between nodes: export, import, peers (services/exchange/exchange.py)."""
