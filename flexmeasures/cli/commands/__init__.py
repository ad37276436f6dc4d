"""CLI commands, one module per group; importing this package attaches them."""
