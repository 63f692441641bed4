"""The pure core: identifier rules, reference data and verdicts. No I/O beyond package data."""
