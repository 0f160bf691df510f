"""Keeping the read models current: after every load, in its transaction, recompute what the load
changed the inputs of (every incident's assessment; every session's ideal points; every state's
closest partners; the provenance figures) and mark the rest
as still reflecting the data. Pages then read stored answers instead of computing them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict

from sqlalchemy import Connection

from cyberdip.analysis.assessment import RULESET
from cyberdip.services import likeminded, norms, provenance
from cyberdip.services.workbench import Workbench
from cyberdip.store import read_models, reader

#: record kinds an incident's assessment reads
ASSESSMENT_INPUTS = frozenset({"incident", "claim", "grouplink", "membership", "party", "instrument",
                               "commitment", "norm", "actor"})
#: record kinds ideal points read (the roll calls carry the votes)
IDEAL_POINT_INPUTS = frozenset({"rollcall"})
#: record kinds the partner finder reads
PARTNER_INPUTS = frozenset({"rollcall", "membership", "party", "instrument", "claim", "actor"})
#: record kinds the provenance figures read: every kind the curated dataset holds
PROVENANCE_INPUTS = frozenset({"actor", "membership", "party", "instrument", "commitment", "norm", "event",
                               "matter", "incident", "claim", "response", "position", "grouplink", "incidentlink"})
#: the read models every current database holds
REQUIRED = (norms.ASSESSMENTS, likeminded.IDEAL_POINTS, likeminded.PARTNERS, provenance.PROVENANCE)

Progress = Callable[[str], None]


def after_load(connection: Connection, changed_kinds: Iterable[str], progress: Progress | None = None) -> None:
    """Bring every read model up to the newest load, recomputing those whose inputs changed."""
    last = reader.last_load(connection)
    if last is None:
        return
    load_id = int(last["id"])
    changed = set(changed_kinds)
    read_models.drop_others(connection, REQUIRED, [likeminded.PARTNERS])
    reflected = read_models.loads_reflected(connection)
    previous = next((i for i in reader.load_ids(connection, 2) if i < load_id), None)
    stale = {name for name, at in reflected.items() if at != previous}
    say = progress or (lambda _: None)
    if changed & ASSESSMENT_INPUTS or norms.ASSESSMENTS not in reflected or norms.ASSESSMENTS in stale:
        say("assessing every incident against the norms")
        read_models.replace_assessments(connection, norms.assess_all(connection))
        read_models.put(connection, norms.ASSESSMENTS, load_id, {"ruleset": RULESET})
    if changed & IDEAL_POINT_INPUTS or likeminded.IDEAL_POINTS not in reflected or likeminded.IDEAL_POINTS in stale:
        say("estimating ideal points for every session with votes")
        read_models.put(connection, likeminded.IDEAL_POINTS, load_id, likeminded.ideal_points_payload(connection))
    if changed & PARTNER_INPUTS or likeminded.PARTNERS not in reflected or likeminded.PARTNERS in stale:
        say("ranking every state's closest partners")
        ranked = likeminded.partner_payloads(connection)
        read_models.replace_group(connection, likeminded.PARTNERS, load_id, ranked)
        read_models.put(connection, likeminded.PARTNERS, load_id, {"states": len(ranked)})
    if changed & PROVENANCE_INPUTS or provenance.PROVENANCE not in reflected or provenance.PROVENANCE in stale:
        say("measuring the provenance of the curated records")
        read_models.put(connection, provenance.PROVENANCE, load_id, asdict(provenance.compute(connection)))
    read_models.advance(connection, [name for name in reflected if name not in stale], load_id)


def current(connection: Connection) -> bool:
    """Whether every read model reflects the newest load."""
    last = reader.last_load(connection)
    reflected = read_models.loads_reflected(connection)
    known = [name for name in reflected if name in REQUIRED or name.startswith(f"{likeminded.PARTNERS}/")]
    return last is None or (set(reflected) >= set(REQUIRED) and len(known) == len(reflected)
                            and all(at == int(last["id"]) for at in reflected.values()))




def bring_up_to_date(workbench: Workbench, progress: Progress | None = None) -> bool:
    """Recompute the read models a database lacks or holds stale (one written before they existed,
    or by an older version); whether anything was done."""
    with workbench.reading() as connection:
        if current(connection):
            return False
    with workbench.writing() as connection:
        after_load(connection, ASSESSMENT_INPUTS | IDEAL_POINT_INPUTS | PARTNER_INPUTS | PROVENANCE_INPUTS, progress)
    return True
