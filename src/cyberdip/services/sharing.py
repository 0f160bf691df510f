"""Sharing-hub administration: partners and their keys, collections, grants (set by hand or
derived from instruments' sharing clauses), why a partner can or cannot see a collection, and
the hash-chained audit log."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from cyberdip.model import Instrument, Party
from cyberdip.model.errors import DataError, Problem
from cyberdip.model.sharing import TLP
from cyberdip.model.values import date_ceil, date_floor, slug
from cyberdip.services.catalogue import resolve
from cyberdip.store import reader
from cyberdip.store import sharing as store
from cyberdip.store.sharing import GrantRow

KEY_PREFIX = "cdk"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(key: str) -> str:
    """Keys are 256 random bits: a SHA-256 digest is enough to store them safely (no slow KDF is
    needed for secrets nobody chose), and checking one costs microseconds per request."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_partner(connection: Connection, agency_ref: str, name: str | None = None) -> dict[str, Any]:
    agency = resolve(connection, agency_ref)
    if agency.subkind != "agency":
        raise DataError([Problem(agency_ref, f"{agency.id} is not an agency: partners are agencies of states")])
    parent = agency.data.get("parent")
    partner_id = "partner:" + agency.id.split(":", 1)[1]
    if store.get_partner(connection, partner_id):
        raise DataError([Problem(agency_ref, f"{partner_id} already exists")])
    store.add_partner(connection, partner_id, agency.id, parent if str(parent).startswith("state:") else None,
                      name or agency.name, _now())
    store.append_audit(connection, partner=partner_id, collection=None, action="partner-added", object_ids=[],
                       outcome="ok", at=_now())
    partner = store.get_partner(connection, partner_id)
    assert partner is not None
    return partner


def list_partners(connection: Connection) -> list[dict[str, Any]]:
    return store.list_partners(connection)


def list_collections(connection: Connection) -> list[dict[str, Any]]:
    return store.list_collections(connection)


def issue_key(connection: Connection, partner_id: str) -> str:
    """A new API key for the partner; shown once, stored only as its digest."""
    _require_partner(connection, partner_id)
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    store.add_key(connection, key_id, partner_id, digest(key), _now())
    store.append_audit(connection, partner=partner_id, collection=None, action="key-issued", object_ids=[key_id],
                       outcome="ok", at=_now())
    return key


def revoke_key(connection: Connection, key_id: str) -> None:
    if not store.revoke_key(connection, key_id, _now()):
        raise DataError([Problem(key_id, "no active key with this id")])
    store.append_audit(connection, partner=None, collection=None, action="key-revoked", object_ids=[key_id],
                       outcome="ok", at=_now())


def certificate_fingerprint(text: str) -> str:
    """SHA-256 of a certificate's DER bytes, from a PEM (raw or URL-encoded, as proxies forward it)
    or from a fingerprint already computed (hex, with or without colons)."""
    value = urllib.parse.unquote(text).strip()
    if "-----BEGIN CERTIFICATE-----" in value:
        body = value.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (ValueError, binascii.Error):
            raise DataError([Problem("certificate", "the PEM block is not valid base64")]) from None
        if not der:
            raise DataError([Problem("certificate", "the PEM block is empty")])
        return hashlib.sha256(der).hexdigest()
    bare = value.lower().removeprefix("sha256:").replace(":", "")
    if len(bare) == 64 and all(c in "0123456789abcdef" for c in bare):
        return bare
    raise DataError([Problem("certificate", "expected a PEM certificate or a SHA-256 fingerprint")])


def add_certificate(connection: Connection, partner_id: str, certificate: str, label: str) -> str:
    """Register a client certificate (PEM or fingerprint) as the partner's identity; returns its fingerprint."""
    _require_partner(connection, partner_id)
    fingerprint = certificate_fingerprint(certificate)
    held = store.get_certificate(connection, fingerprint)
    if held:
        raise DataError([Problem(label, f"this certificate is already registered to {held['partner_id']}")])
    store.add_certificate(connection, fingerprint, partner_id, label, _now())
    store.append_audit(connection, partner=partner_id, collection=None, action="certificate-added",
                       object_ids=[fingerprint], outcome="ok", at=_now())
    return fingerprint


def revoke_certificate(connection: Connection, fingerprint: str) -> None:
    if not store.revoke_certificate(connection, certificate_fingerprint(fingerprint), _now()):
        raise DataError([Problem(fingerprint, "no active certificate with this fingerprint")])
    store.append_audit(connection, partner=None, collection=None, action="certificate-revoked",
                       object_ids=[fingerprint], outcome="ok", at=_now())


def list_certificates(connection: Connection) -> list[dict[str, Any]]:
    return store.list_certificates(connection)


OPERATOR_PREFIX = "cdo"


def add_operator(connection: Connection, name: str) -> str:
    """A person who may see the sharing pages of the workbench; returns their sign-in token, shown once."""
    name = name.strip()
    if not name or len(name) > 120:
        raise DataError([Problem("name", "an operator needs a name of 1 to 120 characters")])
    if store.get_operator(connection, name):
        raise DataError([Problem(name, "an operator with this name already exists")])
    token = f"{OPERATOR_PREFIX}_{secrets.token_urlsafe(32)}"
    store.add_operator(connection, name, digest(token), _now())
    store.append_audit(connection, partner=None, collection=None, action="operator-added", object_ids=[name],
                       outcome="ok", at=_now())
    return token


def revoke_operator(connection: Connection, name: str) -> None:
    if not store.revoke_operator(connection, name, _now()):
        raise DataError([Problem(name, "no active operator with this name")])
    store.append_audit(connection, partner=None, collection=None, action="operator-revoked", object_ids=[name],
                       outcome="ok", at=_now())


def authenticate_operator(connection: Connection, token: str) -> str | None:
    """The operator a sign-in token belongs to, or None."""
    token = token.strip()
    return store.operator_for_digest(connection, digest(token)) if token.startswith(OPERATOR_PREFIX + "_") else None


def operator_active(connection: Connection, name: str) -> bool:
    found = store.get_operator(connection, name)
    return bool(found and found["revoked_at"] is None)


def list_grants(connection: Connection) -> list[GrantRow]:
    """Every grant, with where it came from (set by hand, or the instrument it derives from)."""
    return store.all_grants(connection)


def add_collection(connection: Connection, alias: str, title: str, description: str | None = None) -> dict[str, Any]:
    alias = slug(alias)
    if not alias:
        raise DataError([Problem("alias", "a collection needs an alias of letters or digits")])
    if store.find_collection(connection, alias):
        raise DataError([Problem(alias, "a collection with this alias already exists")])
    store.add_collection(connection, str(uuid.uuid4()), alias, title, description, _now())
    found = store.find_collection(connection, alias)
    assert found is not None
    return found


def grant(connection: Connection, partner_id: str, collection_ref: str, *, read: bool, write: bool,
          max_tlp: TLP) -> GrantRow:
    """A grant set by hand (its basis is 'manual')."""
    _require_partner(connection, partner_id)
    collection = _require_collection(connection, collection_ref)
    if max_tlp is TLP.RED:
        raise DataError([Problem("--tlp", "TLP:RED is never shared over the wire")])
    row = GrantRow(partner_id, collection["id"], read, write, max_tlp.value, "manual", None, None)
    store.put_grant(connection, row, _now())
    store.append_audit(connection, partner=partner_id, collection=collection["id"], action="grant-set",
                       object_ids=[], outcome=f"read={read} write={write} tlp={max_tlp.value}", at=_now())
    return row


@dataclass(frozen=True)
class DerivedGrants:
    granted: list[GrantRow]
    ended: list[tuple[str, str, str]]


def derive_grants(connection: Connection, *, on: dt.date | None = None) -> DerivedGrants:
    """Grants that follow the instruments: for every instrument in force with a sharing clause,
    each partner of each party state gets the clause's access to the clause's collections. Grants
    of instruments no longer in force (or no longer naming the state) end."""
    day = on or dt.date.today()
    partners_by_state: dict[str, list[str]] = {}
    for partner in store.list_partners(connection):
        if partner["state_id"]:
            partners_by_state.setdefault(partner["state_id"], []).append(partner["id"])
    granted: list[GrantRow] = []
    for stored in reader.listing(connection, kinds=["instrument"]):
        instrument = Instrument.model_validate(stored.data)
        clause = instrument.sharing
        start, end = instrument.period()
        if clause is None or (start and date_floor(start) > day) or (end and date_ceil(end) < day):
            continue
        states = {Party.model_validate(p.data).actor for p in reader.referrers(connection, instrument.id, kind="party",
                                                                                field="instrument")
                  if p.data.get("role") in ("party", "signatory", "participant", "supporter")}
        for alias in clause.collections:
            collection = store.find_collection(connection, alias)
            if collection is None:
                continue
            for state in sorted(states):
                for partner_id in partners_by_state.get(state, []):
                    granted.append(GrantRow(partner_id, collection["id"], clause.read, clause.write,
                                            clause.max_tlp.value, instrument.id, start, end))
    for row in granted:
        store.put_grant(connection, row, _now())
    ended = store.remove_stale_derived(connection, {(g.partner_id, g.collection_id, g.basis) for g in granted})
    store.append_audit(connection, partner=None, collection=None, action="grants-derived",
                       object_ids=sorted({g.basis for g in granted}), outcome=f"{len(granted)} in force, "
                       f"{len(ended)} ended", at=_now())
    return DerivedGrants(granted, ended)


@dataclass(frozen=True)
class Explanation:
    partner: str
    collection: str
    can_read: bool
    can_write: bool
    max_tlp: str | None
    reasons: list[str]


def explain(connection: Connection, partner_id: str, collection_ref: str) -> Explanation:
    """Why a partner can or cannot read or write a collection: every grant and where it came from."""
    partner = _require_partner(connection, partner_id)
    collection = _require_collection(connection, collection_ref)
    rows = store.grants_for(connection, partner_id, collection["id"])
    if not rows:
        return Explanation(partner_id, collection["alias"], False, False, None, [
            f"no grant gives {partner['name']} access to '{collection['alias']}': nothing set by hand, and no "
            "instrument in force with a sharing clause covering this collection names its state as a party"])
    reasons = []
    for row in rows:
        source = "set by hand" if row.basis == "manual" else f"derived from {row.basis}"
        rights = " and ".join(r for r, ok in (("read", row.can_read), ("write", row.can_write)) if ok) or "nothing"
        reasons.append(f"{rights} up to TLP:{row.max_tlp.upper()} ({source})")
    widest = max((TLP(r.max_tlp) for r in rows if r.can_read), key=lambda t: t.rank, default=None)
    return Explanation(partner_id, collection["alias"], any(r.can_read for r in rows), any(r.can_write for r in rows),
                       widest.value if widest else None, reasons)


@dataclass(frozen=True)
class AuditCheck:
    entries: int
    intact: bool
    first_broken: int | None
    reason: str | None


def verify_audit(connection: Connection) -> AuditCheck:
    """Recompute the chain: an altered, inserted or deleted entry breaks it at that point."""
    entries = store.audit_entries(connection)
    prev = store.GENESIS
    for entry in entries:
        expected = store.entry_hash(prev, store.stamp(entry["at"]), entry["partner_id"], entry["collection_id"],
                                    entry["action"], entry["object_ids"], entry["outcome"])
        if entry["prev_hash"] != prev:
            return AuditCheck(len(entries), False, entry["seq"], "does not follow the previous entry (one was "
                              "deleted or inserted)")
        if entry["hash"] != expected:
            return AuditCheck(len(entries), False, entry["seq"], "its content was altered")
        prev = entry["hash"]
    return AuditCheck(len(entries), True, None, None)


def audit_log(connection: Connection, partner_id: str | None = None) -> list[dict[str, Any]]:
    return store.audit_entries(connection, partner_id)


def _require_partner(connection: Connection, partner_id: str) -> dict[str, Any]:
    partner = store.get_partner(connection, partner_id)
    if partner is None:
        known = ", ".join(p["id"] for p in store.list_partners(connection)[:8]) or "none yet"
        raise DataError([Problem(partner_id, f"no such partner (known: {known})")])
    return partner


def _require_collection(connection: Connection, ref: str) -> dict[str, Any]:
    collection = store.find_collection(connection, ref)
    if collection is None:
        known = ", ".join(c["alias"] for c in store.list_collections(connection)[:8]) or "none yet"
        raise DataError([Problem(ref, f"no such collection (known: {known})")])
    return collection
