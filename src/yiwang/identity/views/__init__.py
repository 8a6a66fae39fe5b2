"""HTML pages of the identity app."""
