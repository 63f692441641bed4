"""Checking lists of codes."""
