"""TAXII 2.1 collections whose access follows the grants, with TLP 2.0 enforced on every read.

What a partner may read: objects of a collection it holds a read grant on, whose TLP level the
grant covers (TLP:RED never; TLP:AMBER+STRICT only back to the partner that sent it; objects
carrying a marking the hub does not know are withheld). Every read and write is audited.
Paging cursors are signed (HMAC-SHA256) and bound to the partner and the collection.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from cyberdip.model.errors import DataError, Problem
from cyberdip.model.sharing import TLP, version_key
from cyberdip.services import hub_access
from cyberdip.services.hub_access import Access
from cyberdip.sources import stix_validation
from cyberdip.store import sharing as sharing_store
from cyberdip.store import stix as stix_store
from cyberdip.store.sharing import AccessTables, AuditEntry

#: STIX marking-definition ids of TLP 2.0 (OASIS extension) and of TLP 1.0 (STIX 2.1 §7.2.1.4)
TLP_MARKINGS: dict[str, TLP] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
UNKNOWN = "unknown"
MAX_PAGE = 1000
MAX_VERSIONS = 10_000  # versions of one object a DELETE considers


class Forbidden(PermissionError):
    """The partner may not do this; callers answer 403 (or 404 where existence must not leak)."""


def access(connection: Connection, partner: str, collection_ref: str) -> Access:
    """The partner's access to a collection, read from the database (servers use their
    hub_access.AccessCache instead)."""
    tables = sharing_store.access_tables(connection)
    collection = hub_access.find_collection(tables, collection_ref)
    if collection is None:
        raise Forbidden(collection_ref)
    return hub_access.access(tables, partner, collection)


def collections_for(tables: AccessTables, partner: str) -> list[Access]:
    """Only the collections the partner can read or write (§5.1: no others are listed)."""
    granted = [hub_access.access(tables, partner, c) for c in tables.collections]
    return [g for g in granted if g.can_read or g.can_write]


def collection_sizes(connection: Connection) -> dict[str, int]:
    """How many object versions each collection holds."""
    return stix_store.counts_by_collection(connection)


def object_tlp(obj: dict[str, Any], trusted_statements: set[str]) -> str:
    """The strictest TLP level among the object's markings (a marking-definition's own markings
    included); 'unknown' when it carries a marking that is neither TLP nor a statement marking the
    hub trusts for this object's producer."""
    refs = list(obj.get("object_marking_refs", [])) + [g.get("marking_ref") for g in obj.get("granular_markings", [])
                                                         if isinstance(g, dict)]
    level = TLP.CLEAR
    for ref in refs:
        if ref in TLP_MARKINGS:
            level = max(level, TLP_MARKINGS[ref], key=lambda t: t.rank)
        elif ref not in trusted_statements:
            return UNKNOWN
    return level.value


def readable_levels(max_tlp: TLP | None) -> list[str]:
    """The TLP levels a read grant up to ``max_tlp`` covers (AMBER+STRICT further needs the reader
    to be the object's producer; RED and unknown markings are never among them)."""
    return _READABLE[max_tlp]


_READABLE: dict[TLP | None, list[str]] = {
    ceiling: [level.value for level in TLP if ceiling is not None and ceiling.allows(level)]
    for ceiling in (*TLP, None)}


# ---------------------------------------------------------------------------------------------
# Writing


def add_objects(connection: Connection, partner: str, collection_ref: str, envelope: Any, *,
                granted: Access | None = None) -> dict[str, Any]:
    """Store an envelope's objects (§5.4): each validated, duplicates idempotent, the outcome of
    every object in the returned status resource."""
    granted = granted or access(connection, partner, collection_ref)  # callers that checked pass it in
    if not granted.can_write:
        _audit(connection, partner, granted.collection["id"], "add-objects", [], "denied")
        raise Forbidden(collection_ref)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise DataError([Problem("envelope", "expected a TAXII envelope: an object with an 'objects' list")])
    collection_id = granted.collection["id"]
    successes, failures = _store(connection, collection_id, partner, envelope["objects"])
    status_id, requested = str(uuid.uuid4()), _stamp()
    status: dict[str, Any] = {"id": status_id, "status": "complete", "request_timestamp": requested,
              "total_count": len(envelope["objects"]), "success_count": len(successes),
              "successes": successes, "failure_count": len(failures), "failures": failures, "pending_count": 0}
    stix_store.insert_status(connection, status_id, partner, collection_id, requested, status)
    _audit(connection, partner, collection_id, "add-objects", [s["id"] for s in successes],
           f"{len(successes)} stored, {len(failures)} refused")
    return status


def _store(connection: Connection, collection_id: str, producer: str | None,
           objects: list[Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Validate and store objects; a version already held is a success that changes nothing.

    The policies (docs/sharing-hub.md): an object id belongs to the producer that first sent it here,
    and only it may add versions; a statement marking-definition vouches only for its producer's
    objects (or for all, when the hub's operators stored it); the predefined TLP marking-definitions
    are known already and never stored from a partner. ``date_added`` strictly increases within a
    collection, and rows are committed in that order, so ``added_after`` and cursors never skip one."""
    stix_store.lock_for_ingest(connection, collection_id)
    last = stix_store.last_added(connection, collection_id)
    previous = parse_timestamp(last) if last else None
    problems = [_check(obj) for obj in objects]
    held, producers = stix_store.holdings(connection, collection_id,
                                          [o["id"] for o, p in zip(objects, problems, strict=True) if not p])
    successes, failures, rows, parsed = [], [], [], []
    for index, (obj, problem) in enumerate(zip(objects, problems, strict=True)):
        if not problem and obj["id"] in producers and producers[obj["id"]] != producer:
            problem = ("this id was first shared in this collection by another producer, and only it may publish "
                       "new versions: share your own object, or a note or opinion that refers to it")
        if not problem:
            try:
                body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                body.encode("utf-8")
            except UnicodeEncodeError:
                problem = "a string holds a lone UTF-16 surrogate (an escape such as \\ud800): not Unicode text"
            except ValueError:
                problem = "NaN and Infinity are not JSON numbers (RFC 8259): send finite numbers only"
        if problem:
            failures.append({"id": _shown_id(obj, index), "message": _printable(problem)})
            continue
        version = obj.get("modified") or obj.get("created") or "0"
        successes.append({"id": obj["id"], "version": version})
        key = version_key(version)
        if obj["id"] in TLP_MARKINGS or (obj["id"], key) in held:
            continue
        held.add((obj["id"], key))
        producers[obj["id"]] = producer
        previous = _instant_after(previous)
        parsed.append(obj)
        rows.append({"collection_id": collection_id, "object_id": obj["id"], "type": obj["type"],
                     "spec_version": obj["spec_version"], "modified": version, "modified_key": key,
                     "date_added": _stamp(previous), "producer": producer, "body": body})
    new_statements = {o["id"] for o in parsed if o["type"] == "marking-definition"
                      and o.get("definition_type") == "statement"}
    trusted = stix_store.trusted_statement_markings(connection, collection_id, producer) | new_statements
    for row, obj in zip(rows, parsed, strict=True):
        row["tlp"] = object_tlp(obj, trusted)
    stix_store.insert_objects(connection, rows)
    if new_statements:
        # a statement marking arriving after the objects that cite it makes them shareable
        trusted_for: dict[str | None, set[str]] = {producer: trusted}
        for seq, owner, withheld in stix_store.unknown_marking_rows(connection, collection_id, producer):
            if owner not in trusted_for:
                trusted_for[owner] = stix_store.trusted_statement_markings(connection, collection_id, owner)
            level = object_tlp(withheld, trusted_for[owner])
            if level != UNKNOWN:
                stix_store.set_tlp(connection, seq, level)
    return successes, failures


def _shown_id(obj: Any, index: int) -> str:
    """How a refused object is named in the status resource: its id when it has a plausible one
    (control characters removed: PostgreSQL cannot store NUL in JSON), else its position."""
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and _printable(obj["id"][:200]):
        return _printable(obj["id"][:200])
    return f"objects[{index}]"


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable())


def store_pulled(connection: Connection, collection_id: str, partner: str, objects: list[Any]) -> int:
    """Objects pulled from a partner hub, attributed to that partner; audited."""
    before = stix_store.count(connection, collection_id)
    successes, failures = _store(connection, collection_id, partner, objects)
    stored = stix_store.count(connection, collection_id) - before
    _audit(connection, partner, collection_id, "sync-pull", [s["id"] for s in successes],
           f"{stored} new, {len(successes) - stored} already held, {len(failures)} refused")
    return stored


def _check(obj: Any) -> str | None:
    """Why an object may not be stored (the STIX 2.1 rules, as stix2-validator applies them), or None."""
    if isinstance(obj, dict) and obj.get("type") == "bundle":
        return "a bundle inside an envelope: send its objects, not the bundle"
    return stix_validation.validate(obj)


def status(connection: Connection, partner: str, status_id: str) -> dict[str, Any]:
    """A status resource (§4.3), only for the partner that made the request."""
    body = stix_store.get_status(connection, status_id, partner)
    if body is None:
        raise Forbidden(status_id)
    return body


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class Page:
    bodies: list[str]  # the objects as stored JSON text, ready to be served without re-encoding
    more: bool
    next: str | None
    first_added: str | None
    last_added: str | None
    manifest: list[dict[str, Any]] = field(default_factory=list)

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]


@dataclass(frozen=True)
class Filters:
    added_after: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    spec_versions: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)


class Hidden(LookupError):
    """No such object for this partner: absent, or one it may not see (callers answer 404 alike)."""


def read_objects(connection: Connection, partner: str, collection_ref: str, filters: Filters, *, limit: int,
                 cursor: str | None, secret: bytes, manifest: bool = False, granted: Access | None = None) -> Page:
    """One page of the objects the partner may see (§5.3, §5.4, §5.6, §5.8): ``limit`` of them
    whenever that many exist, ``more`` only when more exist."""
    granted = granted or access(connection, partner, collection_ref)  # callers that checked pass it in
    if not granted.can_read:
        _audit(connection, partner, granted.collection["id"], "get-objects", [], "denied")
        raise Forbidden(collection_ref)
    collection_id = granted.collection["id"]
    after_seq, position = _open_cursor(cursor, partner, collection_id, secret) if cursor else (0, None)
    limit = max(1, min(limit, MAX_PAGE))
    rows = stix_store.page(connection, collection_id, partner=partner, levels=readable_levels(granted.max_tlp),
                           after_seq=after_seq, added_after=filters.added_after, ids=filters.ids,
                           types=filters.types, spec_versions=filters.spec_versions, limit=limit + 1,
                           versions=filters.versions)
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        first, last = rows[0]["date_added"], rows[-1]["date_added"]
    else:  # nothing (more) to give: the position the partner is at
        first = last = position or filters.added_after
    page = Page([r["body"] for r in rows], more,
                _cursor(rows[-1]["seq"], last, partner, collection_id, secret) if more else None, first, last)
    if manifest:
        page.manifest = [{"id": r["object_id"], "date_added": r["date_added"], "version": r["modified"],
                          "media_type": "application/stix+json;version=2.1"} for r in rows]
        page.bodies = []
    _audit(connection, partner, collection_id, "get-manifest" if manifest else "get-objects",
           [r["object_id"] for r in rows], f"{len(rows)} given")
    return page


def delete_object(connection: Connection, partner: str, collection_ref: str, object_id: str,
                  versions: Sequence[str], *, granted: Access | None = None) -> int:
    """§5.7 Delete an Object: needs read and write rights on the collection; only versions the partner
    may see are found, and only their producer may delete them (the hub's operators delete with
    ``cyberdip share object delete``). Audited, refusals included."""
    granted = granted or access(connection, partner, collection_ref)  # callers that checked pass it in
    collection_id = granted.collection["id"]
    if not (granted.can_read and granted.can_write):
        _audit(connection, partner, collection_id, "delete-object", [object_id], "denied: needs read and write")
        raise Forbidden(collection_ref)
    rows = stix_store.page(connection, collection_id, partner=partner, levels=readable_levels(granted.max_tlp),
                           after_seq=0, added_after=None, ids=(object_id,), types=(), spec_versions=(),
                           limit=MAX_VERSIONS, versions=versions or ("all",))
    if not rows:
        _audit(connection, partner, collection_id, "delete-object", [object_id], "not found")
        raise Hidden(object_id)
    if any(r["producer"] != partner for r in rows):
        _audit(connection, partner, collection_id, "delete-object", [object_id], "denied: not its producer")
        raise Forbidden(object_id)
    removed = stix_store.delete_versions(connection, collection_id, object_id, [r["seq"] for r in rows])
    _audit(connection, partner, collection_id, "delete-object", [object_id], f"{removed} version(s)")
    return removed


# ---------------------------------------------------------------------------------------------
# The hub's operators


def publish(connection: Connection, collection_ref: str, objects: list[Any]) -> dict[str, Any]:
    """Objects the hub's operators share themselves (``cyberdip share publish``): validated like a
    partner's, attributed to no partner — so their statement marking-definitions vouch for every
    partner's objects — and audited. Returns what was stored and refused."""
    collection = _operated_collection(connection, collection_ref)
    successes, failures = _store(connection, collection["id"], None, objects)
    _audit(connection, None, collection["id"], "publish", [s["id"] for s in successes],
           f"{len(successes)} stored, {len(failures)} refused")
    return {"collection": collection["alias"], "success_count": len(successes), "successes": successes,
            "failure_count": len(failures), "failures": failures}


def remove(connection: Connection, collection_ref: str, object_id: str, versions: Sequence[str] = ("all",)) -> int:
    """An operator removes an object (every version, or those named), whoever shared it; audited."""
    collection = _operated_collection(connection, collection_ref)
    rows = stix_store.page(connection, collection["id"], partner=None, levels=None, after_seq=0, added_after=None,
                           ids=(object_id,), types=(), spec_versions=(), limit=MAX_VERSIONS, versions=versions)
    if not rows:
        raise DataError([Problem(object_id, f"no such object in {collection['alias']}")])
    removed = stix_store.delete_versions(connection, collection["id"], object_id, [r["seq"] for r in rows])
    _audit(connection, None, collection["id"], "operator-delete", [object_id], f"{removed} version(s)")
    return removed


def _operated_collection(connection: Connection, ref: str) -> dict[str, Any]:
    collection = hub_access.find_collection(sharing_store.access_tables(connection), ref)
    if collection is None:
        raise DataError([Problem(ref, "no such collection")])
    return collection


def _cursor(seq: int, date_added: str | None, partner: str, collection: str, secret: bytes) -> str:
    payload = json.dumps([seq, date_added, partner, collection], separators=(",", ":")).encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def _open_cursor(token: str, partner: str, collection: str, secret: bytes) -> tuple[int, str | None]:
    """The position a cursor stands for: the last row given and when it was added."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, mac = raw[:-16], raw[-16:]
        expected = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
        seq, date_added, who, where = json.loads(payload)
    except (ValueError, TypeError) as exc:
        raise DataError([Problem("next", f"not a cursor this server issued: {exc}")]) from None
    if not hmac.compare_digest(mac, expected) or who != partner or where != collection or not isinstance(seq, int):
        raise DataError([Problem("next", "this cursor was not issued to you for this collection")])
    return seq, date_added


# ---------------------------------------------------------------------------------------------
# Timestamps and JSON as partners send them

#: RFC 3339 in UTC, as STIX and TAXII write timestamps (§3.2 of STIX 2.1): any fractional precision
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")


def parse_timestamp(value: str) -> dt.datetime | None:
    """The instant a STIX timestamp names, or None when it is not one."""
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None
    try:
        whole = dt.datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return whole + dt.timedelta(microseconds=int((match[2] or "0")[:6].ljust(6, "0")))


def added_after_key(value: str) -> str:
    """``added_after`` in the form date_added is stored in (six fractional digits), so that the
    comparison is by time, not by text; finer digits are dropped, which keeps "strictly after" exact
    for stored microsecond stamps."""
    instant = parse_timestamp(value)
    if instant is None:
        raise DataError([Problem("added_after", f"must be a STIX timestamp such as 2024-01-31T12:00:00Z, "
                                                f"got {value!r}")])
    return _stamp(instant)


#: how deep a document sent to the hub may nest (STIX objects nest a few levels; parsers and
#: validators that recurse must never meet an attacker's thousand)
MAX_DEPTH = 100


def parse_json(raw: bytes | str) -> Any:
    """A document sent by a partner: strict JSON (RFC 8259: no NaN or Infinity, numbers finite),
    nested at most MAX_DEPTH levels; DataError says what is wrong."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise DataError([Problem("body", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except UnicodeDecodeError as exc:
        raise DataError([Problem("body", f"not JSON: not UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Problem("body", f"not JSON: {exc}")]) from None
    except ValueError as exc:  # from the hooks
        raise DataError([Problem("body", str(exc))]) from None
    _check_depth(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259): send finite numbers only")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text[:40]} does not fit a double-precision number: send finite numbers only")
    return number


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DataError([Problem("body", f"nested more than {MAX_DEPTH} levels deep")])
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))


def _stamp(at: dt.datetime | None = None) -> str:
    now = at or dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}Z"


def _instant_after(previous: dt.datetime | None) -> dt.datetime:
    """Now, or one microsecond after ``previous`` if the clock has not moved past it."""
    now = dt.datetime.now(dt.UTC)
    if previous is not None and now <= previous:
        now = previous + dt.timedelta(microseconds=1)
    return now


def audit_refusal(connection: Connection, partner: str, collection_id: str, action: str) -> None:
    """A request on a collection the partner holds no grant on."""
    _audit(connection, partner, collection_id, action, [], "denied: no grant")


#: where, in ``connection.info``, the audit entries of a read-only request wait (see ``deferred_audit``)
_PENDING = "cyberdip.pending_audit"


@contextmanager
def deferred_audit(connection: Connection, pending: list[AuditEntry]) -> Iterator[None]:
    """Gather in ``pending`` the audit entries of the reads made on ``connection`` instead of
    writing them there. A read then needs no write lock: the caller hands the gathered entries to
    the audit batcher (services.audit_batch) and answers only once they are committed."""
    connection.info[_PENDING] = pending
    try:
        yield
    finally:
        connection.info.pop(_PENDING, None)


def _audit(connection: Connection, partner: str | None, collection: str, action: str, ids: Sequence[str],
           outcome: str) -> None:
    entry = AuditEntry(partner, collection, action, list(ids), outcome, dt.datetime.now(dt.UTC))
    pending = connection.info.get(_PENDING)
    if pending is not None:
        pending.append(entry)
    else:
        sharing_store.append_audit_entries(connection, [entry])
