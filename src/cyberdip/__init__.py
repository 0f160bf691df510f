"""cyberdip: a self-hostable cyber diplomacy workbench."""

__version__ = "0.1.0"
