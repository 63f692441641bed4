"""The sharing and application interface: clients, disclosure, identity authentication, audit, evidence."""
