"""The credit half: the catalogue (and, later, credit records) over the database."""
