"""Threat groups from MITRE ATT&CK: the ``intrusion-set`` objects of a STIX bundle.

Reads the bundles MITRE publishes (https://github.com/mitre/cti, STIX 2.0; or STIX 2.1, e.g.
attack-stix-data), for the enterprise, mobile or ICS domain, as ``.json`` or ``.json.gz``. Each
current intrusion set becomes a group :class:`Actor` ``group:attack/<ATT&CK id, lowercase>``
(``group:attack/g0007`` for APT28) citing its ATT&CK page. Revoked and deprecated sets are
reported (with what revoked them) and skipped; so are intrusion sets without an ATT&CK id (other
producers' objects in a mixed bundle). A file that is not JSON, or not a STIX bundle, fails with
a :class:`DataError` naming it.

ATT&CK is © The MITRE Corporation, used under its royalty-free licence, which asks that the
copyright designation be reproduced with copies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cyberdip.model import Actor, Citation
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.records import ActorKind
from cyberdip.model.values import normalise_name, parse_partial_date
from cyberdip.sources.group_links import ImportedGroups, first_error, read_json, short_summary

ATTACK_SOURCE_NAMES = frozenset({"mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"})
ATTACK_LICENCE = "MITRE ATT&CK licence (royalty-free; © The MITRE Corporation)"
_GROUP_ID = re.compile(r"^G\d{4,}$")
SPEC_VERSIONS = ("2.0", "2.1")


def detect_spec_version(bundle: dict[str, Any]) -> str | None:
    """``2.0`` or ``2.1``: the bundle's ``spec_version`` (STIX 2.0), else its objects' (STIX 2.1
    bundles have none of their own); None when neither says."""
    declared = bundle.get("spec_version")
    if isinstance(declared, str):
        return declared
    for obj in bundle.get("objects") or []:
        if isinstance(obj, dict) and isinstance(obj.get("spec_version"), str):
            return str(obj["spec_version"])
    return None


def read_attack_groups(path: Path) -> ImportedGroups:
    """The current intrusion sets of an ATT&CK STIX bundle as group actors."""
    bundle = read_json(path)
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise DataError([Problem(str(path), "not a STIX bundle: expected an object with \"type\": \"bundle\" and an "
                                 "'objects' list")])
    version = detect_spec_version(bundle)
    if version is not None and version not in SPEC_VERSIONS:
        raise DataError([Problem(str(path), f"STIX spec_version {version!r} is not supported (expected 2.0 or 2.1)")])
    result = ImportedGroups("attack", f"stix-{version}" if version else "stix")
    if version is None:
        result.warnings.append(Problem(path.name, "the bundle does not say its STIX version (no spec_version); "
                                       "read as STIX 2.x"))
    objects: list[Any] = bundle["objects"]
    result.count("objects", len(objects))
    sets = {obj["id"]: obj for obj in objects
            if isinstance(obj, dict) and obj.get("type") == "intrusion-set" and isinstance(obj.get("id"), str)}
    revoked_by = {obj.get("source_ref"): obj.get("target_ref") for obj in objects
                  if isinstance(obj, dict) and obj.get("type") == "relationship"
                  and obj.get("relationship_type") == "revoked-by"}
    errors: list[Problem] = []
    seen: dict[str, str] = {}
    for stix_id, obj in sets.items():
        result.count("intrusion sets read")
        name = str(obj.get("name") or "").strip()
        where = f"{path.name}: {stix_id}"
        attack_id, url = _attack_reference(obj)
        label = f"{name} ({attack_id})" if attack_id else name or stix_id
        if obj.get("revoked") is True:
            target = sets.get(str(revoked_by.get(stix_id)))
            by = f" by {target.get('name')} ({_attack_reference(target)[0]})" if target else ""
            result.warnings.append(Problem(where, f"revoked{by}; skipped", record=label))
            result.count("revoked skipped")
            continue
        if obj.get("x_mitre_deprecated") is True:
            result.warnings.append(Problem(where, "deprecated; skipped", record=label))
            result.count("deprecated skipped")
            continue
        if not name:
            errors.append(Problem(where, "an intrusion set needs a name", field="name"))
            continue
        if attack_id is None or url is None:
            result.warnings.append(Problem(where, "no ATT&CK id and URL in external_references; skipped",
                                           record=label, field="external_references"))
            result.count("without ATT&CK id skipped")
            continue
        group_id = f"group:attack/{attack_id.lower()}"
        if group_id in seen:
            result.warnings.append(Problem(where, f"duplicate of {seen[group_id]} (same ATT&CK id); skipped",
                                           record=label))
            result.count("duplicates skipped")
            continue
        seen[group_id] = stix_id
        try:
            citation = Citation(
                url=url, title=f"{name}, ATT&CK group {attack_id}", publisher="MITRE ATT&CK",
                published=_date(obj.get("modified")), licence=ATTACK_LICENCE,
                locator=f"version {obj['x_mitre_version']}" if obj.get("x_mitre_version") else None,
            )
            group = Actor(
                id=group_id, kind=ActorKind.GROUP, name=name, aliases=_aliases(name, attack_id, obj.get("aliases")),
                summary=short_summary(obj.get("description") if isinstance(obj.get("description"), str) else None),
                website=url, sources=[citation],
            )
        except (ValidationError, TypeError) as exc:
            errors.append(Problem(where, first_error(exc), record=label))
            continue
        result.groups.append(group)
        result.count("groups")
    if errors:
        raise DataError(errors)
    return result


def _attack_reference(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """The ATT&CK group id (``G0007``) and page URL from an object's external references."""
    for ref in obj.get("external_references") or []:
        if isinstance(ref, dict) and ref.get("source_name") in ATTACK_SOURCE_NAMES:
            external_id = str(ref.get("external_id") or "").strip().upper()
            if _GROUP_ID.match(external_id):
                url = ref.get("url")
                return external_id, (url.strip() if isinstance(url, str) and url.strip() else None)
    return None, None


def _aliases(name: str, attack_id: str, raw: object) -> list[str]:
    """The set's ``aliases`` (ATT&CK lists the name itself first) without the name, plus the
    ATT&CK id, which users type ("G0007") and other catalogues (MISP) list as a synonym."""
    if raw is None:
        raw = []
    if not isinstance(raw, list) or not all(isinstance(alias, str) for alias in raw):
        raise TypeError("'aliases' must be a list of names")
    seen = {normalise_name(name)}
    aliases = []
    for alias in [*raw, attack_id]:
        alias = alias.strip()
        key = normalise_name(alias)
        if key and key not in seen:
            seen.add(key)
            aliases.append(alias)
    return aliases


def _date(raw: object) -> str | None:
    """``2025-03-10T20:15:06.958Z`` → ``2025-03-10``; None when absent or unreadable."""
    if not isinstance(raw, str):
        return None
    try:
        return parse_partial_date(raw[:10])
    except ValueError:
        return None
