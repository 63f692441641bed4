"""The basic resource library: reading department files, checking and ingesting them, search, quality."""
