"""Provenance of the knowledge base: the rules check on a curated folder, and the figures of
what is stored (primary share, single-source records, oldest checks, partial lists)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from cyberdip.analysis import provenance
from cyberdip.model import Record, record_type_for
from cyberdip.services import memo
from cyberdip.sources.curated import curated_directory, read_located
from cyberdip.sources.publishers import load_registry, shipped_registry
from cyberdip.store import read_models, reader

CURATED_ORIGIN = "curated"


def check_folder(directory: Path | None = None, *, only: str | None = None) -> list[provenance.Breach]:
    """Every breach of the provenance rules in a curated folder (the shipped one by default);
    ``only``: keep the breaches of files whose path starts with it (``actors/agencies``)."""
    located = read_located(directory or curated_directory())
    breaches = provenance.check(located, load_registry())
    if only:
        breaches = [b for b in breaches if (b.where or "").startswith(only)]
    return breaches


def stored_records(connection: Connection, origin: str = CURATED_ORIGIN) -> list[Record]:
    return [
        record_type_for(stored.id).model_validate(stored.data)
        for stored in reader.iterate(connection, origin=origin)
    ]


#: the read model of the provenance figures
PROVENANCE = "provenance"


def report(connection: Connection) -> provenance.Report:
    """The provenance figures of the curated records in the knowledge base, as the last load
    stored them (computed now if it did not)."""
    model = read_models.get(connection, PROVENANCE)
    last = reader.last_load(connection)
    if model is not None and last is not None and model[0] == int(last["id"]):
        return memo.memoised(connection, "provenance-report", lambda: provenance.Report.from_dict(model[1]))
    return memo.memoised(connection, "provenance-report", lambda: compute(connection))


def compute(connection: Connection) -> provenance.Report:
    """The provenance figures of the curated records, computed from the records."""
    return provenance.report(stored_records(connection), shipped_registry())
