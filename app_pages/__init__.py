"""App pages (one module per page) and their shared pieces: state (session and URL), cached, widgets."""
