"""Read models: derived answers stored beside the records they come from (see ``schema``).

Written inside the transaction of the load that changed their inputs; each remembers the newest
load it reflects, so a reader can tell a current answer from one a later load made stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from cyberdip.store.schema import assessments, findings, read_models

_BATCH = 500


def put(connection: Connection, name: str, load_id: int, payload: Any) -> None:
    """Store (or replace) the read model ``name`` as of ``load_id``."""
    connection.execute(delete(read_models).where(read_models.c.name == name))
    connection.execute(insert(read_models).values(name=name, load_id=load_id, payload=payload))


def replace_group(connection: Connection, group: str, load_id: int, payloads: Mapping[str, Any]) -> None:
    """Store the read models ``<group>/<key>`` of every key in ``payloads`` as of ``load_id``, in
    place of the group's earlier ones (one row per key: a reader reads only the one it needs)."""
    connection.execute(delete(read_models).where(read_models.c.name.startswith(f"{group}/", autoescape=True)))
    rows = [{"name": f"{group}/{key}", "load_id": load_id, "payload": payload} for key, payload in payloads.items()]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(read_models), rows[start:start + _BATCH])


def drop_others(connection: Connection, names: Sequence[str], groups: Sequence[str]) -> None:
    """Delete every read model but ``names`` and the members of ``groups`` (models an older version
    wrote under names this one no longer reads)."""
    kept = or_(read_models.c.name.in_(list(names)),
               *(read_models.c.name.startswith(f"{group}/", autoescape=True) for group in groups))
    connection.execute(delete(read_models).where(~kept))


def get(connection: Connection, name: str) -> tuple[int, Any] | None:
    """The read model ``name`` and the load it reflects, if stored."""
    row = connection.execute(select(read_models.c.load_id, read_models.c.payload)
                             .where(read_models.c.name == name)).first()
    return (int(row.load_id), row.payload) if row else None


def loads_reflected(connection: Connection) -> dict[str, int]:
    """Every stored read model's name and the load it reflects."""
    return {row.name: int(row.load_id) for row in connection.execute(select(read_models.c.name,
                                                                             read_models.c.load_id))}


def advance(connection: Connection, names: Sequence[str], load_id: int) -> None:
    """Mark read models as reflecting ``load_id`` (a load that changed none of their inputs)."""
    if names:
        connection.execute(update(read_models).where(read_models.c.name.in_(list(names))).values(load_id=load_id))


def replace_assessments(connection: Connection, assessed: Mapping[str, tuple[Any, Any]]) -> None:
    """Every incident's stored assessment, replaced by ``assessed`` (incident id → (outline, whole))."""
    connection.execute(delete(findings))
    connection.execute(delete(assessments))
    rows = [{"incident_id": incident_id, "outline": outline, "payload": payload}
            for incident_id, (outline, payload) in assessed.items()]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(assessments), rows[start:start + _BATCH])
    engaged = [{"incident_id": incident_id, "norm": f["norm"], "addressee": f["addressee"] or "",
                "status": f["status"]} for incident_id, (outline, _) in assessed.items() for f in outline["engaged"]]
    for start in range(0, len(engaged), _BATCH):
        connection.execute(insert(findings), engaged[start:start + _BATCH])


def engaging(connection: Connection, norm: str, statuses: Sequence[str]) -> dict[str, list[str]]:
    """Incidents with a finding of one of ``statuses`` on ``norm``: incident id → every norm such a
    finding of it engages."""
    chosen = select(findings.c.incident_id).where(findings.c.norm == norm, findings.c.status.in_(list(statuses)))
    found: dict[str, set[str]] = {}
    query = select(findings.c.incident_id, findings.c.norm).where(
        findings.c.incident_id.in_(chosen), findings.c.status.in_(list(statuses)))
    for row in connection.execute(query):
        found.setdefault(row.incident_id, set()).add(row.norm)
    return {incident: sorted(norms) for incident, norms in found.items()}


def get_assessments(connection: Connection, incident_ids: Sequence[str] | None = None, *,
                    whole: bool = True) -> dict[str, Any]:
    """Stored assessments of the given incidents (all when ``None``), by incident id: whole, or
    their outlines."""
    column = assessments.c.payload if whole else assessments.c.outline
    query = select(assessments.c.incident_id, column.label("payload"))
    if incident_ids is None:
        return {row.incident_id: row.payload for row in connection.execute(query)}
    found: dict[str, Any] = {}
    unique = sorted(set(incident_ids))
    for start in range(0, len(unique), _BATCH):
        chunk = unique[start:start + _BATCH]
        for row in connection.execute(query.where(assessments.c.incident_id.in_(chunk))):
            found[row.incident_id] = row.payload
    return found
