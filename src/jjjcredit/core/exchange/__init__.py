"""Exchange packages between the platform's nodes and with departments: names, manifests, signatures,
rows per format. Pure: no I/O."""
