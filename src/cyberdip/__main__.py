"""``python -m cyberdip`` runs the command line."""

from cyberdip.interfaces.cli.main import run

run()
