"""Federation's rules: the nodes and their regions, the messages their changes travel in, the state hash."""
