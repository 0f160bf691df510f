"""Analyses: pure functions over plain data. No SQL, no HTTP."""
