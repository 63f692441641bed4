"""Identifiers: the unified social credit code and the identifiers before it, with their reference tables."""
