"""Reads and writes of the sharing tables: partners, keys, collections, grants, audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, text, update

from cyberdip.store.engine import RawStatement
from cyberdip.store.schema import (
    api_keys,
    audit,
    client_certificates,
    collections,
    grants,
    hub_state,
    operators,
    partners,
)

GENESIS = "0" * 64


@dataclass(frozen=True)
class GrantRow:
    partner_id: str
    collection_id: str
    can_read: bool
    can_write: bool
    max_tlp: str
    basis: str
    valid_from: str | None
    valid_to: str | None


_GENERATION = RawStatement(select(hub_state.c.generation).where(hub_state.c.id == 1))


def generation(connection: Connection) -> int:
    """How many times partners, keys, certificates, collections or grants have changed: a server
    process keeps them in memory and reloads them when this moves (one primary-key read)."""
    return int(_GENERATION.rows(connection, {})[0][0])


def _changed(connection: Connection) -> None:
    """Every write to partners, keys, certificates, collections or grants calls this, in the same
    transaction, so no server process answers from a stale copy once the change is committed."""
    connection.execute(update(hub_state).where(hub_state.c.id == 1).values(generation=hub_state.c.generation + 1))


@dataclass(frozen=True)
class AccessTables:
    """Everything a TAXII request needs to know who is asking and what it may do, in memory."""

    generation: int
    partner_for_key: dict[str, str]  # digest of an active key -> partner
    partner_for_certificate: dict[str, str]  # fingerprint of an active certificate -> partner
    collections: list[dict[str, Any]]  # ordered by alias
    grants: dict[tuple[str, str], list[GrantRow]]  # (partner, collection id) -> grants


def access_tables(connection: Connection) -> AccessTables:
    """Read the access tables whole (a hub has tens of partners, not millions). The generation is
    read first, so the tables are at least as new as the number they carry."""
    number = generation(connection)
    keys = {r.digest: r.partner_id for r in connection.execute(
        select(api_keys.c.digest, api_keys.c.partner_id).where(api_keys.c.revoked_at.is_(None)))}
    certificates = {r.fingerprint: r.partner_id for r in connection.execute(
        select(client_certificates.c.fingerprint, client_certificates.c.partner_id)
        .where(client_certificates.c.revoked_at.is_(None)))}
    by_pair: dict[tuple[str, str], list[GrantRow]] = {}
    for row in all_grants(connection):
        by_pair.setdefault((row.partner_id, row.collection_id), []).append(row)
    return AccessTables(number, keys, certificates, list_collections(connection), by_pair)


def add_partner(connection: Connection, partner_id: str, agency_id: str, state_id: str | None, name: str,
                at: dt.datetime) -> None:
    connection.execute(insert(partners).values(id=partner_id, agency_id=agency_id, state_id=state_id, name=name,
                                               created_at=at))
    _changed(connection)


def list_partners(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(select(partners).order_by(partners.c.id)).mappings()]


def get_partner(connection: Connection, partner_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(partners).where(partners.c.id == partner_id)).mappings().first()
    return dict(row) if row else None


def add_key(connection: Connection, key_id: str, partner_id: str, digest: str, at: dt.datetime) -> None:
    connection.execute(insert(api_keys).values(key_id=key_id, partner_id=partner_id, digest=digest, created_at=at))
    _changed(connection)


def revoke_key(connection: Connection, key_id: str, at: dt.datetime) -> bool:
    result = connection.execute(update(api_keys).where(and_(api_keys.c.key_id == key_id,
                                                            api_keys.c.revoked_at.is_(None))).values(revoked_at=at))
    _changed(connection)
    return bool(result.rowcount)


_FIND_COLLECTION = select(collections).where(
    (collections.c.id == bindparam("ref")) | (collections.c.alias == bindparam("ref")))
_GRANTS_ON = select(grants).where(and_(grants.c.partner_id == bindparam("partner"),
                                       grants.c.collection_id == bindparam("collection"))).order_by(grants.c.id)
_CHAIN_HEAD = RawStatement(select(audit.c.hash).order_by(audit.c.seq.desc()).limit(1))
_APPEND = RawStatement(insert(audit).values({c: bindparam(c) for c in (
    "at", "partner_id", "collection_id", "action", "object_ids", "outcome", "prev_hash", "hash")}),
    at=audit.c.at.type, object_ids=audit.c.object_ids.type)


def add_operator(connection: Connection, name: str, digest: str, at: dt.datetime) -> None:
    connection.execute(insert(operators).values(name=name, digest=digest, created_at=at))


def get_operator(connection: Connection, name: str) -> dict[str, Any] | None:
    row = connection.execute(select(operators).where(operators.c.name == name)).mappings().first()
    return dict(row) if row else None


def revoke_operator(connection: Connection, name: str, at: dt.datetime) -> bool:
    result = connection.execute(update(operators).where(and_(operators.c.name == name,
                                                             operators.c.revoked_at.is_(None))).values(revoked_at=at))
    return bool(result.rowcount)


def operator_for_digest(connection: Connection, digest: str) -> str | None:
    row = connection.execute(select(operators.c.name).where(
        and_(operators.c.digest == digest, operators.c.revoked_at.is_(None)))).first()
    return row[0] if row else None


def all_grants(connection: Connection) -> list[GrantRow]:
    return [GrantRow(r.partner_id, r.collection_id, r.can_read, r.can_write, r.max_tlp, r.basis, r.valid_from,
                     r.valid_to) for r in connection.execute(select(grants).order_by(grants.c.partner_id,
                                                                                      grants.c.id))]


def add_certificate(connection: Connection, fingerprint: str, partner_id: str, label: str, at: dt.datetime) -> None:
    connection.execute(insert(client_certificates).values(fingerprint=fingerprint, partner_id=partner_id, label=label,
                                                          created_at=at))
    _changed(connection)


def get_certificate(connection: Connection, fingerprint: str) -> dict[str, Any] | None:
    row = connection.execute(select(client_certificates).where(client_certificates.c.fingerprint == fingerprint)
                             ).mappings().first()
    return dict(row) if row else None


def list_certificates(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(select(client_certificates).order_by(
        client_certificates.c.partner_id, client_certificates.c.created_at)).mappings()]


def revoke_certificate(connection: Connection, fingerprint: str, at: dt.datetime) -> bool:
    result = connection.execute(update(client_certificates).where(and_(
        client_certificates.c.fingerprint == fingerprint, client_certificates.c.revoked_at.is_(None)))
        .values(revoked_at=at))
    _changed(connection)
    return bool(result.rowcount)


def add_collection(connection: Connection, collection_id: str, alias: str, title: str, description: str | None,
                   at: dt.datetime) -> None:
    connection.execute(insert(collections).values(id=collection_id, alias=alias, title=title,
                                                  description=description, created_at=at))
    _changed(connection)


def list_collections(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(select(collections).order_by(collections.c.alias)).mappings()]


def find_collection(connection: Connection, ref: str) -> dict[str, Any] | None:
    row = connection.execute(_FIND_COLLECTION, {"ref": ref}).mappings().first()
    return dict(row) if row else None


def put_grant(connection: Connection, grant: GrantRow, at: dt.datetime) -> None:
    """Create or replace the grant of this partner, collection and basis."""
    connection.execute(delete(grants).where(and_(grants.c.partner_id == grant.partner_id,
                                                 grants.c.collection_id == grant.collection_id,
                                                 grants.c.basis == grant.basis)))
    connection.execute(insert(grants).values(**grant.__dict__, created_at=at))
    _changed(connection)


def remove_stale_derived(connection: Connection, keep: set[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Delete instrument-derived grants not in ``keep`` (partner, collection, basis); return them."""
    rows = connection.execute(select(grants.c.id, grants.c.partner_id, grants.c.collection_id, grants.c.basis)
                              .where(grants.c.basis != "manual")).all()
    stale = [r for r in rows if (r.partner_id, r.collection_id, r.basis) not in keep]
    if stale:
        connection.execute(delete(grants).where(grants.c.id.in_([r.id for r in stale])))
        _changed(connection)
    return [(r.partner_id, r.collection_id, r.basis) for r in stale]


def grants_for(connection: Connection, partner_id: str, collection_id: str | None = None) -> list[GrantRow]:
    if collection_id:
        rows = connection.execute(_GRANTS_ON, {"partner": partner_id, "collection": collection_id})
    else:
        rows = connection.execute(select(grants).where(grants.c.partner_id == partner_id).order_by(grants.c.id))
    return [GrantRow(r.partner_id, r.collection_id, r.can_read, r.can_write, r.max_tlp, r.basis, r.valid_from,
                     r.valid_to) for r in rows]


# ---------------------------------------------------------------------------------------------
# The audit chain: each entry's hash covers its content and the previous entry's hash, so any
# altered, inserted or deleted entry breaks every hash after it.


def entry_hash(prev_hash: str, at: str, partner: str | None, collection: str | None, action: str,
               object_ids: Sequence[str], outcome: str) -> str:
    payload = json.dumps([prev_hash, at, partner, collection, action, list(object_ids), outcome],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: PostgreSQL advisory lock held from reading the chain's head until the transaction ends
AUDIT_LOCK = 0x63796264  # "cybd"


@dataclass(frozen=True)
class AuditEntry:
    partner: str | None
    collection: str | None
    action: str
    object_ids: list[str]
    outcome: str
    at: dt.datetime


def append_audit(connection: Connection, *, partner: str | None, collection: str | None, action: str,
                 object_ids: Sequence[str], outcome: str, at: dt.datetime) -> str:
    """Append one entry after the chain's current head; returns its hash."""
    return append_audit_entries(connection, [AuditEntry(partner, collection, action, list(object_ids), outcome, at)])


def append_audit_entries(connection: Connection, entries: Sequence[AuditEntry]) -> str:
    """Append entries, in order, after the chain's current head, in one statement; returns the new
    head. Writers are serialised (SQLite: the write transaction's lock; PostgreSQL: an advisory
    lock), and the unique ``prev_hash`` index refuses a fork even if they were not."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    last = _CHAIN_HEAD.rows(connection, {})
    prev = last[0][0] if last else GENESIS
    rows = []
    for e in entries:
        digest = entry_hash(prev, stamp(e.at), e.partner, e.collection, e.action, e.object_ids, e.outcome)
        rows.append({"at": e.at, "partner_id": e.partner, "collection_id": e.collection, "action": e.action,
                     "object_ids": e.object_ids, "outcome": e.outcome, "prev_hash": prev, "hash": digest})
        prev = digest
    if rows:
        _APPEND.run_many(connection, rows)
    return prev


def stamp(at: dt.datetime) -> str:
    """The form a time is hashed in (databases may hand back naive UTC datetimes)."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="microseconds")


def audit_entries(connection: Connection, partner: str | None = None) -> list[dict[str, Any]]:
    query = select(audit).order_by(audit.c.seq)
    if partner:
        query = query.where(audit.c.partner_id == partner)
    return [dict(r) for r in connection.execute(query).mappings()]
