"""The credit half's rules: the public credit information catalogue (and, later, credit records)."""
