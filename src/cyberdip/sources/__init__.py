"""Importers: read files and yield domain records with their sources. Never touch the database."""
