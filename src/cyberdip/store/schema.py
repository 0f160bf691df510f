"""Database tables. The only module that declares SQL structure; migrations follow it.

Every sourced record is one row of ``records`` holding its validated JSON (``data``) with the
columns queries need projected beside it (kind, name, dates). Three narrow tables make every
lookup index-backed:

- ``links``: each reference from one record to another (field, target), so "everything that
  refers to X" is one indexed query, and every reference is a foreign key that the database
  itself keeps valid;
- ``names``: every name and alias, normalised, for search and did-you-mean;
- ``citations``: which sources each record cites, with the locator, quote and check date.

``loads`` and ``changes`` keep history: each load, and every field a load changed, so
"what was known on a date" can be reconstructed.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONType = JSON().with_variant(JSONB(), "postgresql")

loads = Table(
    "loads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(100), nullable=False, doc="curated, user, or import:<format>"),
    Column("description", Text, nullable=False, default=""),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("summary", JSONType, doc="counts of records added, changed, removed, unchanged"),
)

records = Table(
    "records",
    metadata,
    Column("id", String(300), primary_key=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("subkind", String(40), index=True, doc="actor kind, instrument kind, event kind..."),
    Column("name", Text, nullable=False),
    Column("start_date", String(10), index=True, doc="partial ISO date the record starts"),
    Column("end_date", String(10), doc="partial ISO date the record ends"),
    Column("origin", String(100), nullable=False, index=True),
    Column("data", JSONType, nullable=False, doc="the validated record, sources included"),
    Column("created_load", Integer, ForeignKey("loads.id"), nullable=False),
    Column("updated_load", Integer, ForeignKey("loads.id"), nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("record_id", String(300), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("target_id", String(300), ForeignKey("records.id"), primary_key=True),
    Index("ix_links_target_field", "target_id", "field"),
)

names = Table(
    "names",
    metadata,
    Column("record_id", String(300), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("norm", String(300), primary_key=True, doc="casefolded, accents and punctuation removed"),
    Column("name", Text, nullable=False),
    Index("ix_names_norm", "norm"),
)

sources = Table(
    "sources",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("publisher", Text, nullable=False),
    Column("published", String(10)),
    Column("retrieved", String(10)),
    Column("licence", Text),
)

citations = Table(
    "citations",
    metadata,
    Column("record_id", String(300), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("source_id", String(40), ForeignKey("sources.id"), nullable=False),
    Column("locator", Text),
    Column("quote", Text, doc="the source's own words that show the fact"),
    Column("checked", String(10), doc="partial ISO date the source was last checked"),
    Index("ix_citations_source", "source_id"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False),
    Column("record_id", String(300), nullable=False, doc="no foreign key: removed records keep history"),
    Column("field", String(40), nullable=False, doc="'*' for the whole record (added or removed)"),
    Column("old", JSONType),
    Column("new", JSONType),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_changes_record_at", "record_id", "at"),
    Index("ix_changes_at", "at"),
)

# --------------------------------------------------------------------------------------------
# Roll-call votes: hundreds of thousands of rows, so narrow tables rather than JSON records.
# Each roll call is also a sourced record (kind "rollcall") in `records`; this table projects
# the fields vote queries filter on.

rollcalls = Table(
    "rollcalls",
    metadata,
    Column("id", String(300), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("body", String(300), nullable=False),
    Column("session", Integer, index=True),
    Column("date", String(10), nullable=False, index=True),
    Column("symbol", String(100), index=True),
    Column("important", Boolean),
    Column("amendment", Boolean, nullable=False, default=False),
    Column("paragraph", Boolean, nullable=False, default=False),
    Column("codes", LargeBinary, nullable=False,
           doc="every state's vote as one byte per vote_states position (0 = no row): the whole "
               "history loads into a numpy matrix in milliseconds"),
)

#: the column order of `rollcalls.codes`: positions are assigned once and never change
vote_states = Table(
    "vote_states",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("state_id", String(300), ForeignKey("records.id"), nullable=False, unique=True),
)

#: vote codes as Voeten's data has them: 1 yes, 2 abstain, 3 no, 8 absent, 9 not a member
votes = Table(
    "votes",
    metadata,
    Column("rollcall_id", String(300), ForeignKey("rollcalls.id", ondelete="CASCADE"), primary_key=True),
    Column("state_id", String(300), ForeignKey("records.id"), primary_key=True),
    Column("vote", SmallInteger, nullable=False),
    Index("ix_votes_state", "state_id"),
)


# --------------------------------------------------------------------------------------------
# Read models: answers derived from the records, written by the same transaction as the load that
# changed them, so that no visitor waits for them. Each says which load it reflects.

read_models = Table(
    "read_models",
    metadata,
    Column("name", String(100), primary_key=True, doc="what it is, e.g. assessments, ideal-points:79"),
    Column("load_id", Integer, nullable=False, doc="the newest load it reflects"),
    Column("payload", JSONType, nullable=False),
)

#: every incident's assessment against the norms (claims, attribution strength, findings)
assessments = Table(
    "assessments",
    metadata,
    Column("incident_id", String(300), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("outline", JSONType, nullable=False, doc="attribution strengths and the findings that engage a norm"),
    Column("payload", JSONType, nullable=False, doc="the whole assessment"),
)

#: every finding that engages a norm, one row each, so lists filter by norm in the index
findings = Table(
    "findings",
    metadata,
    Column("incident_id", String(300), ForeignKey("assessments.incident_id", ondelete="CASCADE"), nullable=False),
    Column("norm", String(300), nullable=False),
    Column("addressee", String(300), nullable=False, default=""),
    Column("status", String(40), nullable=False),
    Index("ix_findings_norm", "norm", "status"),
    Index("ix_findings_incident", "incident_id"),
)


# --------------------------------------------------------------------------------------------
# Sharing hub: operational records (not sourced knowledge): partners, their API keys (only a
# SHA-256 digest of each high-entropy key is kept), collections, grants and the audit chain.

partners = Table(
    "partners",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("agency_id", String(300), ForeignKey("records.id"), nullable=False, index=True),
    Column("state_id", String(300), ForeignKey("records.id"), index=True),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(40), primary_key=True, doc="public prefix of the key, shown in lists and logs"),
    Column("partner_id", String(120), ForeignKey("partners.id"), nullable=False, index=True),
    Column("digest", String(64), nullable=False, unique=True, doc="SHA-256 of the full key"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

operators = Table(
    "operators",
    metadata,
    Column("name", String(120), primary_key=True, doc="who runs this hub: shown in the workbench"),
    Column("digest", String(64), nullable=False, unique=True, doc="SHA-256 of the operator's sign-in token"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

client_certificates = Table(
    "client_certificates",
    metadata,
    Column("fingerprint", String(64), primary_key=True, doc="SHA-256 of the certificate's DER bytes, hex"),
    Column("partner_id", String(120), ForeignKey("partners.id"), nullable=False, index=True),
    Column("label", Text, nullable=False, doc="where it came from, e.g. the file name or the subject"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(36), primary_key=True, doc="a UUID, as TAXII 2.1 requires"),
    Column("alias", String(120), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", String(120), ForeignKey("partners.id"), nullable=False),
    Column("collection_id", String(36), ForeignKey("collections.id"), nullable=False),
    Column("can_read", Boolean, nullable=False),
    Column("can_write", Boolean, nullable=False),
    Column("max_tlp", String(20), nullable=False),
    Column("basis", String(300), nullable=False, doc="'manual' or the instrument id it derives from"),
    Column("valid_from", String(10)),
    Column("valid_to", String(10)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_grants_partner_collection", "partner_id", "collection_id"),
    Index("uq_grants_partner_collection_basis", "partner_id", "collection_id", "basis", unique=True),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("partner_id", String(120), index=True),
    Column("collection_id", String(36)),
    Column("action", String(40), nullable=False),
    Column("object_ids", JSONType, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("uq_audit_prev_hash", "prev_hash", unique=True),  # two entries can never follow the same one
)


#: STIX objects shared in collections: every version kept, ordered by the hub's own date_added
stix_objects = Table(
    "stix_objects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True, doc="arrival order: the paging cursor"),
    Column("collection_id", String(36), ForeignKey("collections.id"), nullable=False),
    Column("object_id", String(100), nullable=False),
    Column("type", String(60), nullable=False),
    Column("spec_version", String(10), nullable=False),
    Column("modified", String(40), nullable=False, doc="the version as the producer wrote it, served as is"),
    Column("modified_key", String(40), nullable=False,
           doc="the version as a fixed-width UTC timestamp (nine fractional digits): ordered and matched on, "
               "so 12:00:00Z and 12:00:00.000Z are one version and 12:00:00.5Z sorts after 12:00:00Z"),
    Column("date_added", String(40), nullable=False),
    Column("tlp", String(20), nullable=False, doc="strictest TLP level among its markings, or 'unknown'"),
    Column("producer", String(120), doc="the partner that sent it (None: this hub)"),
    Column("body", Text, nullable=False, doc="the object as compact JSON text, served as stored"),
    Index("uq_stix_objects_version", "collection_id", "object_id", "modified_key", unique=True),
    Index("ix_stix_objects_collection_seq", "collection_id", "seq"),
    Index("ix_stix_objects_collection_type_seq", "collection_id", "type", "seq"),
    Index("ix_stix_objects_collection_added", "collection_id", "date_added"),
)

#: one row: a number every change to partners, keys, certificates, collections or grants increases,
#: so each server process knows, with one indexed read, when its in-memory copy of them is stale
hub_state = Table(
    "hub_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
)

statuses = Table(
    "statuses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(120), nullable=False, index=True),
    Column("collection_id", String(36), nullable=False),
    Column("request_timestamp", String(40), nullable=False),
    Column("body", JSONType, nullable=False, doc="the TAXII status resource as served"),
)


#: federation: how far each pull from a partner hub's collection has got (resumable)
sync_state = Table(
    "sync_state",
    metadata,
    Column("remote", Text, primary_key=True, doc="the remote collection's objects URL"),
    Column("local_collection", String(36), ForeignKey("collections.id"), nullable=False),
    Column("partner_id", String(120), ForeignKey("partners.id"), nullable=False),
    Column("added_after", String(40), doc="the last date_added received"),
    Column("pulled", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
