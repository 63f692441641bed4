"""Services: one module per noun. They do the work the adapters (CLI, web) ask for."""
