"""Federation: the three nodes' changes through a broker (relay, follow), over HTTPS (pull), their state and lag."""
