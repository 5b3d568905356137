"""App pages (one module per page) and their shared helpers (common.py)."""
