"""Data services: the operations that CLI commands, API routes and tests share."""
