"""Storage: tables, engines and migrations. Imports core, never services or adapters."""
