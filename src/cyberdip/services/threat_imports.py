"""Importing incident datasets (EuRepoC, CFR, DCID) and threat-group catalogues (MISP, ATT&CK)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from cyberdip.model import Actor, Record
from cyberdip.model.values import normalise_name
from cyberdip.services import incident_links, read_models
from cyberdip.services.workbench import Workbench
from cyberdip.sources import attack, misp
from cyberdip.sources.group_links import ImportedGroups, link_groups
from cyberdip.store import reader, writer

INCIDENT_FORMATS = ("eurepoc", "cfr", "dcid")
GROUP_FORMATS = ("misp", "attack")


@dataclass
class ThreatImportSummary:
    format: str
    counts: dict[str, int]
    added: int
    changed: int
    unchanged: int
    links: int = 0
    warnings: list[str] = field(default_factory=list)


def state_resolver(connection: Connection) -> Callable[[str], str | None]:
    """Country names, aliases and ISO codes as datasets spell them → state ids."""
    table: dict[str, str] = {}
    for stored in reader.listing(connection, kinds=["actor"], subkinds=["state"]):
        state = Actor.model_validate(stored.data)
        for name in state.names():
            table.setdefault(normalise_name(name), state.id)
    return lambda name: table.get(normalise_name(name))


def import_incidents(workbench: Workbench, fmt: str, path: Path) -> ThreatImportSummary:
    """Import an incident dataset; every attribution row becomes a claim of its own."""
    from cyberdip.sources import cfr, dcid, eurepoc  # each importer loads only when used

    readers = {"eurepoc": eurepoc.read_eurepoc, "cfr": cfr.read_cfr, "dcid": dcid.read_dcid}
    workbench.require_schema()
    with workbench.writing() as connection:
        imported = readers[fmt](path, state_resolver(connection))
        records = list(imported.records)
        links = incident_links.links_for_import(connection, records, fmt)
        summary = writer.ingest(connection, [*records, *links], origin=f"import:{fmt}",
                                description=f"{fmt} incidents from {path.name}")
        read_models.after_load(connection, summary.changed_kinds())
    return ThreatImportSummary(fmt, dict(imported.counts), len(summary.added), len(summary.changed),
                               summary.unchanged, warnings=[str(w) for w in imported.warnings])


def import_groups(workbench: Workbench, fmt: str, path: Path, *, as_of: dt.date | None = None) -> ThreatImportSummary:
    """Import a threat-group catalogue and link its groups to those of other sources by shared
    aliases (each link a recorded decision; groups are never merged)."""
    workbench.require_schema()
    with workbench.writing() as connection:
        imported: ImportedGroups = (
            misp.read_misp_threat_actors(path, state_resolver(connection),
                                         as_of=(as_of or dt.date.today()).isoformat())
            if fmt == "misp" else attack.read_attack_groups(path)
        )
        others = [Actor.model_validate(r.data) for r in reader.listing(connection, kinds=["actor"], subkinds=["group"])
                  if r.id not in {g.id for g in imported.groups}]
        links = link_groups([*others, *imported.groups], decided_by=f"importer:{fmt}")
        mine = {g.id for g in imported.groups}
        links = [link for link in links if link.a in mine or link.b in mine]
        records: list[Record] = [*imported.records, *links]
        summary = writer.ingest(connection, records, origin=f"import:{fmt}",
                                description=f"{fmt} threat groups from {path.name}")
        read_models.after_load(connection, summary.changed_kinds())
    return ThreatImportSummary(fmt, dict(imported.counts), len(summary.added), len(summary.changed),
                               summary.unchanged, len(links), [str(w) for w in imported.warnings])
