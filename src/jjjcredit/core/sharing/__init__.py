"""The sharing and application interface's rules: rights, verdicts, the audit chain, evidence."""
