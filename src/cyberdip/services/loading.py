"""Creating the database and loading records into it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cyberdip.services import read_models
from cyberdip.services.read_models import Progress
from cyberdip.services.workbench import Workbench
from cyberdip.sources.curated import load_curated, read_directory, read_file
from cyberdip.store import migrate
from cyberdip.store.writer import USER_ORIGIN, LoadSummary, ingest

CURATED_ORIGIN = "curated"


def init_database(workbench: Workbench, *, curated: Path | None = None, at: dt.datetime | None = None,
                  progress: Progress | None = None) -> LoadSummary:
    """Create or upgrade the schema and (re)load the curated dataset. Idempotent: a second run
    changes nothing; records users added or edited are kept."""
    records = load_curated(curated)  # validate everything before touching the database
    migrate.upgrade(workbench.engine)
    with workbench.writing() as connection:
        summary = ingest(
            connection, records, origin=CURATED_ORIGIN, description="curated dataset", replace=True, at=at
        )
        read_models.after_load(connection, summary.changed_kinds(), progress)
        return summary


def import_records(workbench: Workbench, path: Path, *, at: dt.datetime | None = None) -> LoadSummary:
    """Add or update records from a user's file or folder in the curated format."""
    records = read_directory(path, self_contained=False) if path.is_dir() else read_file(path)
    workbench.require_schema()
    with workbench.writing() as connection:
        summary = ingest(connection, records, origin=USER_ORIGIN, description=f"records from {path.name}", at=at)
        read_models.after_load(connection, summary.changed_kinds())
        return summary
