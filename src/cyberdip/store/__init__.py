"""The store: tables, migrations, and the only code that reads or writes SQL."""
