"""Server-rendered web pages; each calls the same service as its /api twin."""
