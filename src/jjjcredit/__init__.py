"""jjjcredit: the Beijing–Tianjin–Hebei unified social credit code and public credit platform."""

__version__ = "0.1.0"
