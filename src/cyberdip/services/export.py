"""Exporting the knowledge base as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from cyberdip.model.values import ID_PREFIXES
from cyberdip.store import reader

CSV_COLUMNS = ("id", "kind", "subkind", "name", "start", "end", "origin", "source_urls")


def check_kinds(kinds: Sequence[str]) -> None:
    """Refuse a record kind that does not exist, naming the right one when a subkind was typed
    (``state`` is a kind of ``actor``)."""
    known = sorted(set(ID_PREFIXES.values()))
    for kind in kinds:
        if kind in known:
            continue
        hint = f"; {kind!r} records are of kind {ID_PREFIXES[kind]!r}" if kind in ID_PREFIXES else ""
        raise ValueError(f"unknown record kind {kind!r}{hint}; choose from {', '.join(known)}")


def export_records(connection: Connection, fmt: str, kinds: Sequence[str] = ()) -> Iterator[str]:
    """Stream every record as JSON (one document) or CSV (one row per record), in id order."""
    check_kinds(kinds)
    if fmt == "json":
        yield from _json(connection, kinds)
    elif fmt == "csv":
        yield from _csv(connection, kinds)
    else:
        raise ValueError(f"unknown export format {fmt!r}; choose json or csv")


def _json(connection: Connection, kinds: Sequence[str]) -> Iterator[str]:
    yield '{"records": ['
    first = True
    for record in reader.iterate(connection, kinds):
        item: dict[str, Any] = {"kind": record.kind, "origin": record.origin, **record.data}
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False, sort_keys=True)
        first = False
    yield "\n]}\n"


def _csv(connection: Connection, kinds: Sequence[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for record in reader.iterate(connection, kinds):
        urls = " | ".join(source["url"] for source in record.data.get("sources", []))
        writer.writerow(
            [record.id, record.kind, record.subkind or "", record.name, record.start or "", record.end or "",
             record.origin, urls]
        )
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
