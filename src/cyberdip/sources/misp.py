"""Threat groups and their suspected sponsors from the MISP galaxy threat-actor cluster.

The cluster (``clusters/threat-actor.json`` of https://github.com/MISP/misp-galaxy, CC0 1.0 or
BSD 2-Clause) lists about a thousand actors. Each becomes a group :class:`Actor`
``group:misp/<slug of value>`` whose aliases are the actor's ``synonyms``, and up to two
:class:`AttributionClaim` records:

- ``cfr-suspected-state-sponsor`` — the Council on Foreign Relations' Cyber Operations Tracker's
  suspected sponsor, as carried by MISP (claimant a researcher, a technical report);
- ``country`` (with ``attribution-confidence`` when given) — the country MISP's contributors
  associate the actor with (claimant "other").

The cluster has no dates: a claim's date stays unknown (the day the cluster was retrieved,
``as_of``, is only when the claim is known to have been made at the latest, and is kept as the
check date of its MISP source, not as the claim's date).

Mapping a sponsor or country to a state of the knowledge base is the caller's (``states``: a name
or ISO alpha-2 code → state id or None). States that do not map, ``Unknown`` sponsors and
duplicate actors are left out and reported in ``warnings`` / ``counts``. Entries that cannot be
understood at all (no name, wrong types) fail the whole import with a :class:`DataError`, as
every importer does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from cyberdip.model import Actor, AttributionClaim, Citation
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.records import ActorKind, ClaimantKind, ClaimType
from cyberdip.model.values import normalise_name, parse_partial_date, slug
from cyberdip.sources.group_links import ImportedGroups, first_error, read_json, short_summary

Confidence = Literal["low", "medium", "high"]
StateResolver = Callable[[str], str | None]  # a name or ISO alpha-2 code -> "state:XXX" or None

MISP_URL = "https://github.com/MISP/misp-galaxy"
CFR_CLAIMANT = "Council on Foreign Relations (via MISP galaxy)"
MISP_CLAIMANT = "MISP galaxy contributors"
#: the values of cfr-suspected-state-sponsor that name no state
NO_SPONSOR = frozenset({"unknown", "none", "n a", "unattributed"})
_CFR_PAGE = re.compile(r"^https?://(www\.)?cfr\.org/(interactive/)?cyber-operations/", re.IGNORECASE)


def confidence_of(raw: object) -> Confidence | None:
    """MISP's ``attribution-confidence`` (0–100) as low/medium/high: below 50 low, 50–74 medium, 75+ high."""
    try:
        value = float(str(raw).strip().rstrip("%"))
    except ValueError:
        return None
    if not 0 <= value <= 100:
        return None
    return "low" if value < 50 else "medium" if value < 75 else "high"


def read_misp_threat_actors(path: Path, states: StateResolver, *, as_of: str | None = None) -> ImportedGroups:
    """Read a MISP galaxy threat-actor cluster (``.json`` or ``.json.gz``).

    ``as_of`` (``YYYY-MM-DD``): when the cluster was retrieved, kept as the citation's
    ``retrieved``; without it the file's modification date is used. The claims stay undated.
    """
    cluster = read_json(path)
    if not isinstance(cluster, dict) or not isinstance(cluster.get("values"), list):
        raise DataError([Problem(str(path), "not a MISP galaxy cluster: expected an object with a 'values' list")])
    if cluster.get("type") not in (None, "threat-actor"):
        raise DataError([Problem(str(path), f"a MISP {cluster.get('type')!r} cluster, not the threat-actor one")])
    version = cluster.get("version")
    result = ImportedGroups("misp", f"misp-galaxy cluster v{version}" if version is not None else "misp-galaxy cluster")
    if as_of is None:
        as_of = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date().isoformat()
    cluster_source = Citation(
        url=MISP_URL,
        title="MISP galaxy: threat-actor cluster",
        publisher="MISP Project",
        published=_published(cluster),
        retrieved=as_of,
        licence="CC0-1.0 OR BSD-2-Clause",
    )
    errors: list[Problem] = []
    unknown_states: dict[tuple[str, str], int] = {}  # (field, value) -> actors
    seen: dict[str, str] = {}  # group id -> the value that took it
    for index, entry in enumerate(cluster["values"]):
        where = f"{path.name}: values[{index}]"
        result.count("actors read")
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or not entry["value"].strip():
            errors.append(Problem(where, "an actor needs a non-empty 'value' (its name)"))
            continue
        name = entry["value"].strip()
        meta = entry.get("meta") or {}
        if not isinstance(meta, dict):
            errors.append(Problem(where, "'meta' must be an object", record=name, field="meta"))
            continue
        if not slug(name):
            errors.append(Problem(where, "the name gives no usable id (no letters or digits)", record=name))
            continue
        group_id = f"group:misp/{slug(name)}"
        if group_id in seen:
            result.warnings.append(Problem(where, f"duplicate of {seen[group_id]!r} (same id {group_id}); skipped",
                                           record=name))
            result.count("duplicates skipped")
            continue
        seen[group_id] = name
        uuid = str(entry.get("uuid") or "").strip()
        source = cluster_source.model_copy(update={"locator": f"{name} (uuid {uuid})" if uuid else name})
        try:
            group = Actor(
                id=group_id, kind=ActorKind.GROUP, name=name, aliases=_aliases(name, meta.get("synonyms")),
                summary=short_summary(entry.get("description") if isinstance(entry.get("description"), str) else None),
                sources=[source],
            )
        except (ValidationError, TypeError) as exc:
            errors.append(Problem(where, first_error(exc), record=name))
            continue
        result.groups.append(group)
        result.count("groups")
        _cfr_claim(result, group, meta, source, as_of, states, unknown_states)
        _country_claim(result, group, meta, source, as_of, states, unknown_states, where)
    if errors:
        raise DataError(errors)
    for (key, value), count in sorted(unknown_states.items()):
        result.warnings.append(Problem(path.name, f"{count} actor(s) with {key} {value!r}, which matches no state in "
                                       "the knowledge base; no claim made", field=key))
    return result


def _cfr_claim(result: ImportedGroups, group: Actor, meta: dict[str, Any], source: Citation, as_of: str,
               states: StateResolver, unknown: dict[tuple[str, str], int]) -> None:
    sponsor = meta.get("cfr-suspected-state-sponsor")
    if not isinstance(sponsor, str) or not sponsor.strip():
        return
    sponsor = sponsor.strip()
    if normalise_name(sponsor) in NO_SPONSOR:
        result.count("cfr sponsor unknown (no claim)")
        return
    state = _resolve(states, sponsor)
    if state is None:
        key = ("cfr-suspected-state-sponsor", sponsor)
        unknown[key] = unknown.get(key, 0) + 1
        return
    basis = ["CFR Cyber Operations Tracker: suspected state sponsor, as listed in the MISP galaxy"]
    incident = _listed(meta.get("cfr-type-of-incident"))
    if incident:
        basis.append(f"type of incident: {incident}")
    victims = _listed(meta.get("cfr-suspected-victims"), limit=8)
    if victims:
        basis.append(f"suspected victims: {victims}")
    sources = [source]
    for ref in meta.get("refs") or []:
        if isinstance(ref, str) and _CFR_PAGE.match(ref.strip()):
            with contextlib.suppress(ValidationError):  # an unusable reference does not cost the claim its MISP source
                sources.append(Citation(url=ref.strip(), title=f"Cyber Operations Tracker: {group.name}",
                                        publisher="Council on Foreign Relations"))
            break
    result.claims.append(AttributionClaim(
        id=f"claim:{group.id.removeprefix('group:')}/cfr-sponsor", subject=group.id, claimant_name=CFR_CLAIMANT,
        claimant_kind=ClaimantKind.RESEARCHER, attributed_to=state, type=ClaimType.TECHNICAL_REPORT,
        basis="; ".join(basis), date=None, sources=sources,
    ))
    result.count("cfr sponsor claims")


def _country_claim(result: ImportedGroups, group: Actor, meta: dict[str, Any], source: Citation, as_of: str,
                   states: StateResolver, unknown: dict[tuple[str, str], int], where: str) -> None:
    country = meta.get("country")
    if country is None:
        return
    if not isinstance(country, str) or not country.strip():
        result.warnings.append(Problem(where, f"empty or unreadable country {country!r}; no claim made",
                                       record=group.name, field="country"))
        return
    country = country.strip()
    state = _resolve(states, country)
    if state is None:
        key = ("country", country)
        unknown[key] = unknown.get(key, 0) + 1
        return
    raw_confidence = meta.get("attribution-confidence")
    confidence = confidence_of(raw_confidence) if raw_confidence is not None else None
    if raw_confidence is not None and confidence is None:
        result.warnings.append(Problem(where, f"attribution-confidence {raw_confidence!r} is not a number from 0 to "
                                       "100; claim made without a confidence", record=group.name,
                                       field="attribution-confidence"))
    basis = f"MISP galaxy country {country}"
    if raw_confidence is not None:
        basis += f", attribution-confidence {raw_confidence}"
    result.claims.append(AttributionClaim(
        id=f"claim:{group.id.removeprefix('group:')}/country", subject=group.id, claimant_name=MISP_CLAIMANT,
        claimant_kind=ClaimantKind.OTHER, attributed_to=state, type=ClaimType.TECHNICAL_REPORT, basis=basis,
        confidence=confidence, date=None, sources=[source],
    ))
    result.count("country claims")


def _resolve(states: StateResolver, value: str) -> str | None:
    """The state for a name or code; UN-style ``Korea (Republic of)`` is also tried as
    ``Republic of Korea`` and ``Korea, Republic of``."""
    found = states(value)
    if found:
        return found
    match = re.fullmatch(r"(.+?)\s*\((.+)\)", value)
    if match:
        head, tail = match.group(1).strip(), match.group(2).strip()
        return states(f"{tail} {head}") or states(f"{head}, {tail}")
    return None


def _aliases(name: str, synonyms: object) -> list[str]:
    if synonyms is None:
        return []
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise TypeError("meta 'synonyms' must be a list of names")
    seen = {normalise_name(name)}
    aliases = []
    for synonym in synonyms:
        synonym = synonym.strip()
        key = normalise_name(synonym)
        if key and key not in seen:
            seen.add(key)
            aliases.append(synonym)
    return aliases


def _listed(value: object, limit: int = 0) -> str:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    names = [str(item).strip() for item in items if str(item).strip()]
    if limit and len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return ", ".join(names)


def _published(cluster: dict[str, Any]) -> str | None:
    """The cluster's date, when it has one (the galaxy's files usually carry only a version number)."""
    for key in ("date", "published", "modified"):
        raw = cluster.get(key)
        if isinstance(raw, str):
            try:
                return parse_partial_date(raw.strip()[:10])
            except ValueError:
                continue
    version = cluster.get("version")
    if isinstance(version, int) and 19000101 <= version <= 29991231:  # some clusters use YYYYMMDD versions
        try:
            return dt.datetime.strptime(str(version), "%Y%m%d").date().isoformat()
        except ValueError:
            return None
    return None
