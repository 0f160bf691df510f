"""TAXII 2.1 under /taxii2/ (OASIS TAXII 2.1 Committee Specification 01)."""
