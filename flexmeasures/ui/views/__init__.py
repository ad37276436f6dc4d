"""The UI's pages, one module (and blueprint) per page or group of pages."""
