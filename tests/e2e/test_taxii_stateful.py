"""Stateful fuzzing of the TAXII 2.1 hub, on SQLite and PostgreSQL.

Schemathesis chains the TAXII operations through links added to our OpenAPI description here
(POST objects → GET status → GET objects / manifest → GET an object → its versions → DELETE, and
the paging cursors), as partners holding different grants. The envelopes it posts are generated STIX:
indicators and statement marking-definitions under TLP 1.0 and 2.0 markings, trusted and untrusted
statement markings, ids that other partners (or the hub's operators) already used, and hostile
content: NUL characters and lone surrogates in strings, nesting past the hub's limit.

The hub's operators have stored a few objects of their own (a statement marking-definition among
them) and every partner that may write has shared a few before the generated partners come.

An oracle, kept from what the status resources say was stored (and by whom) and from the grants,
judges every answer:

- no answer is a 5xx, whatever the input;
- nothing a partner may not see is ever given to it: objects, manifest entries, an object by id, its
  versions — each is checked against the oracle, content included;
- every error under /taxii2/ is a TAXII error message (§3.6.1): JSON with a "title", served as
  application/taxii+json;version=2.1;
- and the sharing policy:
  1. a partner sees a collection's objects only with a read grant, and only those whose strictest TLP
     marking its grant's highest level covers (CLEAR < GREEN < AMBER < AMBER+STRICT; RED never leaves
     the hub; AMBER+STRICT only back to its producer); a marking the hub does not trust withholds the
     object — a statement marking-definition is trusted only for its own producer's objects, or for
     all when the hub's operators stored it;
  2. DELETE needs read and write rights (403); an object the partner cannot see answers 404 exactly
     as an absent one; only its producer may delete an object (403 for another partner's);
  3. an object id in a collection belongs to the partner that first sent it: another partner's new
     version is refused (a failure in the status resource) and readers keep the producer's versions;
  4. a marking-definition that itself carries a TLP marking is visible only as that marking allows;
  5. NaN, Infinity and documents nested deeper than 100 levels are refused with 400; a NUL character
     in a query parameter or an id answers 400;
  6. a page holds ``limit`` visible objects when that many exist, ``more`` is true only when more
     visible objects exist, and an empty result has no "objects".

Where the policy leaves an outcome open (deleting with ``match[version]=last``, a statement marking
deleted after the objects it vouched for...), the oracle accepts either outcome rather than guess.
A violation does not stop the run: all are gathered, then reported together with a request that
showed each, and counts of what the run covered (``pytest -s`` prints them when it passes; set
CYBERDIP_TAXII_FUZZ_LOG to a file to get every request and answer). Raw documents no JSON encoder
writes (NaN, Infinity, a hundred thousand levels of nesting) are sent by hand in a test of their own,
with each policy spelled out once.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import re
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing, taxii
from cyberdip.services.workbench import Workbench

TAXII = "application/taxii+json;version=2.1"
#: TLP 2.0 (OASIS extension) and TLP 1.0 (STIX 2.1 §7.2.1.4) marking-definition ids
TLP_IDS: dict[str, str] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
TLP20 = {level: ref for ref, level in list(TLP_IDS.items())[:5]}
RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}

#: partner → collection alias → (read, write, highest TLP); "hidden" is nobody's
GRANTS: dict[str, dict[str, tuple[bool, bool, TLP]]] = {
    "partner:ind-cert-in": {"exchange": (True, True, TLP.AMBER_STRICT), "feed": (True, True, TLP.GREEN)},
    "partner:usa-cisa": {"exchange": (True, True, TLP.AMBER), "feed": (True, True, TLP.CLEAR)},
    "partner:jpn-jpcert": {"exchange": (True, False, TLP.GREEN), "feed": (True, True, TLP.AMBER_STRICT)},
    "partner:chn-cncert": {"exchange": (False, True, TLP.CLEAR)},  # may write, may not read
    "partner:deu-bsi": {},
}
AGENCIES = {"partner:ind-cert-in": "CERT-In", "partner:usa-cisa": "agency:usa-cisa",
            "partner:jpn-jpcert": "agency:jpn-jpcert", "partner:chn-cncert": "agency:chn-cncert",
            "partner:deu-bsi": "agency:deu-bsi"}
ALIASES = ("exchange", "feed", "hidden")


def _ids(kind: str, base: int, count: int) -> list[str]:
    return [f"{kind}--{uuid.UUID(int=base + i, version=4)}" for i in range(count)]


#: ids partners draw from, so that they collide across partners, collections and envelopes
INDICATORS = _ids("indicator", 0x1000, 5)
STATEMENTS = _ids("marking-definition", 0x2000, 3)
UNKNOWN_MARKING = _ids("marking-definition", 0x3000, 1)[0]  # defined nowhere
HUB_STATEMENT = _ids("marking-definition", 0x4000, 1)[0]
HUB_INDICATORS = _ids("indicator", 0x5000, 3)
CREATED = "2024-01-01T00:00:00.000Z"
#: versions; the first two are one version written two ways
STAMPS = ["2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00.5Z", "2024-03-01T00:00:00.000Z"]
MAX_DEPTH = 100
#: a file to write every request the partners make, with its answer (for a failure's history)
LOG = os.environ.get("CYBERDIP_TAXII_FUZZ_LOG")


def indicator(object_id: str, markings: list[str] | None = None, *, name: str = "indicator",
              modified: str = CREATED, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": object_id, "created": CREATED, "modified": modified,
        "name": name, "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z", **extra}
    if markings:
        obj["object_marking_refs"] = markings
    return obj


def statement(object_id: str, text: str, markings: list[str] | None = None, *,
              created: str = CREATED) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "marking-definition", "spec_version": "2.1", "id": object_id, "created": created,
                           "definition_type": "statement", "definition": {"statement": text}}
    if markings:
        obj["object_marking_refs"] = markings
    return obj


#: what the hub's operators stored in "exchange" before any partner came
HUB_OBJECTS = [
    statement(HUB_STATEMENT, "Shared under the hub's terms of use"),
    indicator(HUB_INDICATORS[0], [TLP20["green"]], name="hub green"),
    indicator(HUB_INDICATORS[1], [TLP20["amber+strict"]], name="hub amber+strict"),  # no partner produced it
    indicator(HUB_INDICATORS[2], [HUB_STATEMENT, TLP20["green"]], name="hub statement"),
]


# ---------------------------------------------------------------------------------------------
# Plain functions the oracle shares with the tests

_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")


def version_key(value: Any) -> str:
    """A version as a fixed-width instant: ``...00Z`` and ``...00.000Z`` are one version."""
    match = _STAMP.fullmatch(str(value))
    return f"{match[1]}.{(match[2] or '').ljust(9, '0')[:9]}Z" if match else str(value)


def is_timestamp(value: str) -> bool:
    match = _STAMP.fullmatch(value)
    if not match:
        return False
    try:
        dt.datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def version_of(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "0")


def depth(value: Any) -> int:
    """How many containers deep a JSON value nests (a scalar: 0, ``[]``: 1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is not finite")
    return number


def strict_json(raw: bytes) -> tuple[Any, str | None]:
    """A document as the policy reads it: strict JSON (no NaN or Infinity) nested at most 100 deep;
    else None and why not."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        return None, "nested too deep"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, str(exc)[:80]
    if depth(value) > MAX_DEPTH:
        return None, "nested too deep"
    return value, None


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def marking_refs(obj: dict[str, Any]) -> list[Any]:
    refs = obj.get("object_marking_refs")
    found = list(refs) if isinstance(refs, list) else []
    granular = obj.get("granular_markings")
    for marking in granular if isinstance(granular, list) else []:
        if isinstance(marking, dict):
            found.append(marking.get("marking_ref"))
    return found


def has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _content_type(response: Any) -> str:
    """A response's media type, spaces removed (schemathesis gives header lists, httpx strings)."""
    value = response.headers.get("content-type") or ""
    return "".join((value[0] if isinstance(value, list) and value else str(value)).split()).lower()


# ---------------------------------------------------------------------------------------------
# The oracle: what the hub holds, and who may see what

YES, MAYBE, NO = "yes", "maybe", "no"


@dataclasses.dataclass
class Held:
    """One object id in one collection: its producer (None: the hub's operators) and its versions."""

    owner: str | None
    versions: dict[str, dict[str, Any]]  # version key → the body first stored for it
    uncertain: bool = False  # after an answer the policy leaves open: may or may not still be there

    def is_statement(self) -> bool:
        return any(v.get("type") == "marking-definition" and v.get("definition_type") == "statement"
                   for v in self.versions.values())


@dataclasses.dataclass(frozen=True)
class Grant:
    read: bool
    write: bool
    ceiling: str


class Oracle:
    def __init__(self, collections: dict[str, str]) -> None:
        self.collections = collections  # alias → id
        self.held: dict[str, dict[str, Held]] = {cid: {} for cid in collections.values()}
        self.statuses: dict[str, tuple[str, dict[str, Any]]] = {}  # status id → (partner, body)
        self.trusted_once: set[tuple[str, str, str | None]] = set()  # (collection, statement id, producer)

    def collection(self, ref: str) -> str | None:
        return ref if ref in self.held else self.collections.get(ref)

    def grant(self, partner: str | None, cid: str | None) -> Grant | None:
        alias = next((a for a, i in self.collections.items() if i == cid), None)
        rights = GRANTS.get(partner or "", {}).get(alias or "")
        if not rights or not (rights[0] or rights[1]):
            return None
        return Grant(rights[0], rights[1], rights[2].value)

    def record(self, cid: str, producer: str | None, obj: dict[str, Any]) -> None:
        key = version_key(version_of(obj))
        held = self.held[cid].setdefault(obj["id"], Held(producer, {}))
        held.versions.setdefault(key, obj)
        if held.is_statement():
            self.trusted_once.add((cid, obj["id"], held.owner))

    def trust(self, cid: str, ref: str, producer: str | None) -> bool | None:
        """Whether a statement marking vouches for this producer's objects here (None: the policy
        leaves it open — it did once and has gone, or it lives in another collection)."""
        here = self.held[cid].get(ref)
        if here and here.is_statement() and not here.uncertain and here.owner in (None, producer):
            return True
        if {(cid, ref, None), (cid, ref, producer)} & self.trusted_once:
            return None
        for other, objects in self.held.items():
            there = objects.get(ref)
            if other != cid and there and there.is_statement() and there.owner in (None, producer):
                return None
        return False

    def level(self, cid: str, obj: dict[str, Any], producer: str | None) -> tuple[str, bool]:
        """The strictest TLP level of an object ('unknown': a marking not trusted), and whether
        that is in doubt."""
        worst, doubt = "clear", False
        for ref in marking_refs(obj):
            if isinstance(ref, str) and ref in TLP_IDS:
                worst = max(worst, TLP_IDS[ref], key=RANK.__getitem__)
                continue
            trusted = self.trust(cid, ref, producer) if isinstance(ref, str) else False
            if trusted is False:
                return "unknown", False
            doubt = doubt or trusted is None
        return worst, doubt

    def verdict(self, partner: str | None, cid: str, held: Held, key: str) -> str:
        """May the partner see this version of this object?"""
        grant = self.grant(partner, cid)
        if grant is None or not grant.read or partner is None:
            return NO
        level, doubt = self.level(cid, held.versions[key], held.owner)
        if level in ("unknown", "red") or (level == "amber+strict" and held.owner != partner):
            return NO
        if RANK[level] > RANK[grant.ceiling]:
            return NO
        return MAYBE if doubt or held.uncertain else YES

    def expected(self, partner: str | None, cid: str, *, ids: tuple[str, ...] = (), types: tuple[str, ...] = (),
                 spec_versions: tuple[str, ...] = (), versions: tuple[str, ...] = ("last",),
                 ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """The (id, version key) pairs a read must give, and those it may give."""
        required: set[tuple[str, str]] = set()
        optional: set[tuple[str, str]] = set()
        if spec_versions and "2.1" not in spec_versions:
            return required, optional
        for oid, held in self.held[cid].items():
            some = next(iter(held.versions.values()))
            if (ids and oid not in ids) or (types and some.get("type") not in types):
                continue
            keys = sorted(held.versions)
            verdicts = {k: self.verdict(partner, cid, held, k) for k in keys}
            chosen: set[str] = set()
            for wanted in versions:
                if wanted == "all":
                    chosen |= set(keys)
                elif wanted in ("last", "first"):
                    edge = keys[-1] if wanted == "last" else keys[0]
                    chosen.add(edge)
                    if verdicts[edge] != YES:  # another version in place of a withheld one leaks nothing
                        optional |= {(oid, k) for k in keys if verdicts[k] != NO}
                elif version_key(wanted) in held.versions:
                    chosen.add(version_key(wanted))
            required |= {(oid, k) for k in chosen if verdicts[k] == YES}
            optional |= {(oid, k) for k in chosen if verdicts[k] == MAYBE}
        return required, optional - required


# ---------------------------------------------------------------------------------------------
# Generated envelopes

#: text with NUL characters, lone surrogates (JSON escapes them; no UTF-8 encoder takes them) and other oddities
_ODD_TEXT = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(["\x00", "\ud800", "\udfff", "\u2028"])),
                     min_size=1, max_size=12).map("".join)
_TEXT = st.integers(0, 15).flatmap(lambda n: _ODD_TEXT if n == 0 else st.text(min_size=1, max_size=12))
_MARKINGS = [*TLP_IDS, *STATEMENTS, HUB_STATEMENT, UNKNOWN_MARKING]


def _nested(levels: int) -> Any:
    value: Any = "bottom"
    for i in range(levels):
        value = {"deeper": value} if i % 2 else [value]
    return value


@st.composite
def _indicators(draw: st.DrawFn) -> dict[str, Any]:
    object_id = draw(st.one_of(st.sampled_from(INDICATORS + HUB_INDICATORS[:1]),
                               st.uuids(version=4).map(lambda u: f"indicator--{u}")))
    obj = indicator(object_id, draw(st.lists(st.sampled_from(_MARKINGS), max_size=3, unique=True)),
                    name=draw(_TEXT), modified=draw(st.sampled_from(STAMPS)))
    granular = draw(st.lists(st.sampled_from(_MARKINGS), max_size=1))
    if granular:
        obj["granular_markings"] = [{"marking_ref": ref, "selectors": ["name"]} for ref in granular]
    levels = draw(st.sampled_from([0] * 12 + [3, 40, 120]))  # 120: past the hub's limit, the envelope is refused
    if levels:
        obj["x_cyberdip_nested"] = _nested(levels)
    broken = draw(st.integers(0, 11))
    if broken == 0:
        del obj["pattern"]
    elif broken == 1:
        obj["spec_version"] = "2.0"
    return obj


@st.composite
def _marking_definitions(draw: st.DrawFn) -> dict[str, Any]:
    object_id = draw(st.sampled_from([*STATEMENTS, HUB_STATEMENT, TLP20["green"]]))  # the last two: spoofs
    obj = statement(object_id, draw(_TEXT), draw(st.lists(st.sampled_from(list(TLP20.values())), max_size=1)),
                    created=draw(st.sampled_from(STAMPS[:2])))
    if draw(st.integers(0, 5)) == 0:  # a TLP definition of its own making: never a TLP level the hub knows
        obj["definition_type"], obj["definition"] = "tlp", {"tlp": "white"}
    return obj


ENVELOPES = st.lists(st.one_of(_indicators(), _indicators(), _marking_definitions()), min_size=1, max_size=5,
                     unique_by=lambda o: (o["id"], version_key(version_of(o)))).map(lambda objs: {"objects": objs})


def envelopes_hook(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """schemathesis' ``flatmap_body``: mostly generated STIX, sometimes its own body (refused)."""
    return st.integers(0, 9).flatmap(lambda n: st.just(body) if n == 0 else ENVELOPES)


# ---------------------------------------------------------------------------------------------
# The OpenAPI description, with the vocabulary of this hub and links between the operations

STATUS = "/taxii2/api/status/{status_id}/"
COLLECTIONS = "/taxii2/api/collections/"
COLLECTION = "/taxii2/api/collections/{collection_id}/"
OBJECTS = "/taxii2/api/collections/{collection_id}/objects/"
MANIFEST = "/taxii2/api/collections/{collection_id}/manifest/"
OBJECT = "/taxii2/api/collections/{collection_id}/objects/{object_id}/"
VERSIONS = "/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/"


def _link(path: str, method: str, **parameters: str) -> dict[str, Any]:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}",
            "parameters": {"header.Authorization": "$request.header.Authorization", **parameters}}


def taxii_schema(hub: Hub) -> Any:
    """Our OpenAPI description of the TAXII operations, with the hub's vocabulary and the links."""
    raw = hub.client.get("/api/openapi.json").json()
    keys, collections = hub.keys, hub.collections
    raw["paths"] = {path: item for path, item in raw["paths"].items() if path.startswith("/taxii2/")}
    vocabulary: dict[str, dict[str, Any]] = {
        "collection_id": {"enum": [*collections.values(), "exchange", "feed"]},
        "object_id": {"enum": [*INDICATORS, *STATEMENTS, *HUB_INDICATORS, HUB_STATEMENT, f"{INDICATORS[0]}\x00"]},
        "status_id": {"enum": [str(uuid.uuid4()), "\x00"]},
        "limit": {"type": "integer", "enum": [1, 2, 3, 100]},
        "added_after": {"enum": ["2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000000Z", "2099-01-01T00:00:00Z"]},
        "next": {"enum": [""]},  # cursors come from the pages, through links
        "match[id]": {"enum": [INDICATORS[0], HUB_INDICATORS[0], f"{INDICATORS[1]},{STATEMENTS[0]}"]},
        "match[type]": {"enum": ["indicator", "marking-definition", "indicator,marking-definition", "malware",
                                 "indicator\x00"]},
        "match[spec_version]": {"enum": ["2.1", "2.0", "2.0,2.1"]},
        "match[version]": {"enum": ["last", "first", "all", "first,last", *STAMPS]},
    }
    authorization = {"name": "Authorization", "in": "header", "required": True,
                     "schema": {"type": "string", "enum": [f"Bearer {key}" for key in keys.values()]}}
    for item in raw["paths"].values():
        for operation in item.values():
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                if parameter["name"] in vocabulary:
                    parameter["schema"] = {"type": "string", **vocabulary[parameter["name"]]}
            parameters.append(authorization)
    same = {"path.collection_id": "$request.path.collection_id"}
    of_object = {**same, "path.object_id": "$request.path.object_id"}
    listed = {**same, "path.object_id": "$response.body#/objects/*/id"}
    sent = {**same, "path.object_id": "$response.body#/successes/*/id"}
    links: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
        (OBJECTS, "post", "202"): {
            "status": _link(STATUS, "get", **{"path.status_id": "$response.body#/id"}),
            "objects": _link(OBJECTS, "get", **same), "manifest": _link(MANIFEST, "get", **same),
            "object": _link(OBJECT, "get", **sent), "versions": _link(VERSIONS, "get", **sent),
            "delete": _link(OBJECT, "delete", **sent)},
        (OBJECTS, "get", "200"): {
            "object": _link(OBJECT, "get", **listed), "versions": _link(VERSIONS, "get", **listed),
            "delete": _link(OBJECT, "delete", **listed),
            "next": _link(OBJECTS, "get", **same, **{"query.next": "$response.body#/next",
                                                       "query.limit": "$request.query.limit"})},
        (MANIFEST, "get", "200"): {
            "object": _link(OBJECT, "get", **listed), "delete": _link(OBJECT, "delete", **listed),
            "next": _link(MANIFEST, "get", **same, **{"query.next": "$response.body#/next",
                                                        "query.limit": "$request.query.limit"})},
        (OBJECT, "get", "200"): {
            "versions": _link(VERSIONS, "get", **of_object), "delete": _link(OBJECT, "delete", **of_object)},
        (VERSIONS, "get", "200"): {
            "object": _link(OBJECT, "get", **of_object, **{"query.match[version]": "$response.body#/versions/*"}),
            "delete": _link(OBJECT, "delete", **of_object, **{"query.match[version]": "$response.body#/versions/*"})},
        (COLLECTIONS, "get", "200"): {
            "collection": _link(COLLECTION, "get", **{"path.collection_id": "$response.body#/collections/*/id"}),
            "objects": _link(OBJECTS, "get", **{"path.collection_id": "$response.body#/collections/*/id"}),
            "add": _link(OBJECTS, "post", **{"path.collection_id": "$response.body#/collections/*/id"})},
    }
    for (path, method, code), named in links.items():
        responses = raw["paths"][path][method]["responses"]
        responses.setdefault(code, {"description": "TAXII"})["links"] = named
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = hub.app
    schema.hooks.register_hook_with_name(envelopes_hook, "flatmap_body")
    return schema


# ---------------------------------------------------------------------------------------------
# The judge: every answer against the oracle

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/taxii2/api/status/(?P<status_id>[^/]+)/"), "status"),
    ("GET", re.compile(r"/taxii2/api/collections/"), "collections"),
    ("GET", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/"), "collection"),
    ("GET", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/objects/"), "objects"),
    ("POST", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/objects/"), "add"),
    ("GET", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/manifest/"), "manifest"),
    ("GET", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/objects/(?P<object_id>[^/]+)/"), "object"),
    ("DELETE", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/objects/(?P<object_id>[^/]+)/"),
     "delete"),
    ("GET", re.compile(r"/taxii2/api/collections/(?P<collection_id>[^/]+)/objects/(?P<object_id>[^/]+)/versions/"),
     "versions"),
]
LISTING = {"added_after", "limit", "next", "match[id]", "match[type]", "match[spec_version]", "match[version]"}


@dataclasses.dataclass
class Sent:
    """A request as the server received it."""

    method: str
    url: str  # path and query as sent (percent-encoded)
    path: str  # decoded
    query: list[tuple[str, str]]
    key: str | None  # the Authorization header
    partner: str | None
    body: bytes


@dataclasses.dataclass(frozen=True)
class Filters:
    ids: tuple[str, ...]
    types: tuple[str, ...]
    spec_versions: tuple[str, ...]
    versions: tuple[str, ...]
    limit: int
    valid: bool  # certainly a request the hub must answer (no 400), on a first page
    exact: bool  # the oracle knows exactly what it must give: valid, and no added_after


def filters(query: list[tuple[str, str]], allowed: set[str], default_version: str = "last") -> Filters:
    params = dict(query)
    names = [name for name, _ in query]

    def listed(name: str) -> tuple[str, ...]:
        return tuple(v for v in params.get(name, "").split(",") if v)

    versions = listed("match[version]") or (default_version,)
    limit = params.get("limit", "100")
    valid = (set(names) <= allowed and len(set(names)) == len(names)
             and not any(has_control(name + value) for name, value in query)
             and limit.isascii() and limit.isdigit() and int(limit) >= 1
             and all(v in ("last", "first", "all") or is_timestamp(v) for v in versions)
             and ("added_after" not in params or is_timestamp(params["added_after"]))
             and not params.get("next"))  # a cursor may be stale, or another partner's: it may be refused
    return Filters(listed("match[id]"), listed("match[type]"), listed("match[spec_version]"), versions,
                   min(int(limit), 1000) if valid else 0, valid, valid and "added_after" not in params)


class Judge:
    def __init__(self, client: TestClient, keys: dict[str, str], oracle: Oracle) -> None:
        self.client, self.oracle = client, oracle
        self.partners = {f"Bearer {key}": partner for partner, key in keys.items()}
        self.aliases = {cid: alias for alias, cid in oracle.collections.items()}
        self.violations: dict[str, list[str]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    # reporting

    def describe(self, sent: Sent, status: int | str, answer: bytes | str = b"") -> str:
        url = urllib.parse.unquote(sent.url)
        for cid, alias in self.aliases.items():
            url = url.replace(cid, alias)
        body = f" {sent.body[:600]!r}" if sent.body else ""
        return f"{sent.partner or 'no partner'}: {sent.method} {url!r}{body} → {status} {str(answer)[:300]}"

    def fail(self, rule: str, sent: Sent, response: Any, why: str = "") -> None:
        content = response.content if hasattr(response, "content") else b""
        self.violations[rule].append((why + " — " if why else "") +
                                     self.describe(sent, response.status_code, content[:300]))

    def crashed(self, case: Any, exc: BaseException) -> None:
        """The in-process transport re-raises what the server did not handle (it answered 500)."""
        self.counts["5xx"] += 1
        partner = self.partners.get(str((case.headers or {}).get("Authorization")))
        path = case.formatted_path
        for cid, alias in self.aliases.items():
            path = path.replace(cid, alias)
        body = json.dumps(case.body)[:600] if isinstance(case.body, (dict, list)) else ""
        self.violations["5xx: unhandled exception"].append(
            f"{partner or 'no partner'}: {case.method} {path!r} {case.query or ''} {body} → {exc!r}"[:1200])

    def report(self) -> str:
        lines = [f"{sum(map(len, self.violations.values()))} violation(s), counts: {dict(self.counts)}"]
        for rule, examples in sorted(self.violations.items()):
            lines.append(f"\n[{rule}] ×{len(examples)}")
            lines += [f"  - {example}" for example in examples[:3]]
        return "\n".join(lines)

    # the request as sent

    def sent(self, response: Any) -> Sent:
        """The request of a schemathesis response (a prepared ``requests`` request) or of an httpx one."""
        request = response.request
        parts = urllib.parse.urlsplit(str(request.url))
        key = request.headers.get("Authorization")
        body = (request.body if hasattr(request, "body") else request.content) or b""
        return Sent(request.method, parts.path + (f"?{parts.query}" if parts.query else ""),
                    urllib.parse.unquote(parts.path), urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
                    key, self.partners.get(key or ""), body.encode() if isinstance(body, str) else body)

    def again(self, sent: Sent, path: str | None = None, query: list[tuple[str, str]] | None = None) -> Any:
        """Another request, as the same partner."""
        url = (path or urllib.parse.urlsplit(sent.url).path)
        params = query if query is not None else sent.query
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Authorization": sent.key or "", "Accept": TAXII}
        return self.client.request(sent.method, url, headers=headers)

    # every answer

    def check(self, response: Any) -> None:
        sent = self.sent(response)
        status = response.status_code
        self.counts[f"{sent.method} {status}"] += 1
        if LOG:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(self.describe(sent, status, response.content[:300]) + "\n")
        if status >= 500:
            self.fail("5xx", sent, response)
            return
        if status >= 400:
            self.error_envelope(sent, response)
        texts = [sent.path, *(n + v for n, v in sent.query)]
        if any("\x00" in text for text in texts):
            if status != 400 and not (sent.partner is None and status == 401):
                self.fail("5: NUL in an id or a query parameter must answer 400", sent, response)
            return
        if status == 400 and any(has_control(text) for text in texts):
            return  # other control characters: refusing them is allowed, not required
        if sent.partner is None:
            if status < 400:
                self.fail("authentication: answered without a valid key", sent, response)
            return
        for method, pattern, name in _ROUTES:
            match = pattern.fullmatch(sent.path)
            if match and method == sent.method:
                getattr(self, f"on_{name}")(sent, response, **match.groupdict())
                return

    def error_envelope(self, sent: Sent, response: Any) -> None:
        if not sent.path.startswith("/taxii2/"):
            return
        content_type = _content_type(response)
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if content_type != TAXII or not isinstance(body, dict) or not isinstance(body.get("title"), str):
            self.fail("§3.6.1: an error is a TAXII error message (JSON with a title, TAXII media type)", sent,
                      response, f"content-type {content_type!r}")

    # operations

    def on_status(self, sent: Sent, response: Any, status_id: str) -> None:
        known = self.oracle.statuses.get(status_id)
        self.counts["status resources judged"] += known is not None
        if known and known[0] == sent.partner:
            if response.status_code != 200 or response.json() != known[1]:
                self.fail("status: the partner's own status resource, as it was given", sent, response)
        elif response.status_code != 404:
            self.fail("status: another partner's (or no) status resource must be 404", sent, response)

    def on_collections(self, sent: Sent, response: Any) -> None:
        expected = {alias: grant[:2] for alias, grant in GRANTS[sent.partner or ""].items()}
        if response.status_code != 200:
            self.fail("collections: listed for every partner", sent, response)
            return
        listed = {c["alias"]: (c["can_read"], c["can_write"]) for c in response.json().get("collections", [])}
        if listed != expected:
            self.fail("collections: exactly those the grants allow", sent, response)

    def on_collection(self, sent: Sent, response: Any, collection_id: str) -> None:
        cid = self.oracle.collection(collection_id)
        visible = self.oracle.grant(sent.partner, cid) is not None
        if response.status_code != (200 if visible else 404):
            self.fail("collection: found only with a grant", sent, response)

    def gate(self, sent: Sent, response: Any, cid: str | None, f: Filters, *, need: str) -> bool:
        """Whether the request got past the collection's grants, as it should have."""
        grant = self.oracle.grant(sent.partner, cid)
        status = response.status_code
        if grant is None:
            if status != 404 and not (status == 400 and not f.valid):
                self.fail("1: a collection without a grant is not found (404)", sent, response)
            return False
        if need == "read" and not grant.read:
            if status not in (403, 404) and not (status == 400 and not f.valid):
                self.fail("1: reading needs a read grant (403 or 404)", sent, response)
            return False
        return True

    def on_objects(self, sent: Sent, response: Any, collection_id: str, manifest: bool = False) -> None:
        cid = self.oracle.collection(collection_id)
        f = filters(sent.query, LISTING)
        if not self.gate(sent, response, cid, f, need="read") or cid is None:
            return
        if response.status_code == 400 and not f.valid:
            return
        if response.status_code != 200:
            self.fail("read: a valid read of a readable collection answers 200", sent, response)
            return
        body = response.json()
        entries = self.entries(sent, response, cid, body, manifest=manifest)
        if f.exact:
            expected = self.oracle.expected(sent.partner, cid, ids=f.ids, types=f.types,
                                            spec_versions=f.spec_versions, versions=f.versions)
            self.page(sent, response, cid, f, body, entries, expected, manifest=manifest)

    def on_manifest(self, sent: Sent, response: Any, collection_id: str) -> None:
        self.on_objects(sent, response, collection_id, manifest=True)

    def entries(self, sent: Sent, response: Any, cid: str, body: Any, *, manifest: bool = False,
                object_id: str | None = None) -> list[tuple[str, str]]:
        """The (id, version key) pairs a page gives; each must be one the partner may see."""
        if not isinstance(body, dict) or not isinstance(body.get("more", False), bool):
            self.fail("envelope: an object with a boolean 'more'", sent, response)
            return []
        if "objects" in body and (not isinstance(body["objects"], list) or not body["objects"]):
            self.fail("6: an empty result has no 'objects'", sent, response)
        found: list[tuple[str, str]] = []
        for item in body.get("objects") or []:
            oid = str(item.get("id"))
            key = version_key(item.get("version") if manifest else version_of(item))
            found.append((oid, key))
            self.counts["entries judged"] += 1
            if object_id is not None and oid != object_id:
                self.fail("object: only the object asked for", sent, response, oid)
            self.judge_entry(sent, response, cid, oid, key, None if manifest else item)
        return found

    def judge_entry(self, sent: Sent, response: Any, cid: str, oid: str, key: str,
                    content: dict[str, Any] | None) -> None:
        if oid in TLP_IDS:
            self.fail("a TLP marking-definition sent by a partner is never stored or served", sent, response, oid)
            return
        held = self.oracle.held[cid].get(oid)
        if held is None or key not in held.versions:
            self.fail("1/3: gave an object version that is not the producer's (refused, deleted or never sent)",
                      sent, response, f"{oid} @ {key}")
            return
        verdict = self.oracle.verdict(sent.partner, cid, held, key)
        if verdict == NO:
            level, _ = self.oracle.level(cid, held.versions[key], held.owner)
            self.fail("1/4: LEAK — gave an object the partner may not see", sent, response,
                      f"{oid} @ {key}: {level} by {held.owner}")
        elif content is not None and not held.uncertain and content != held.versions[key]:
            self.fail("3: gave other content than the producer's for this version", sent, response, oid)

    def page(self, sent: Sent, response: Any, cid: str, f: Filters, body: dict[str, Any],
             entries: list[tuple[str, str]], expected: tuple[set[tuple[str, str]], set[tuple[str, str]]], *,
             manifest: bool = False, object_id: str | None = None) -> None:
        """Policy 6 on a first page, then the rest of the pages."""
        required, optional = expected
        self.counts["pages judged"] += 1
        given = set(entries)
        if len(given) != len(entries):
            self.fail("6: a page gives each object version once", sent, response)
        if len(entries) > f.limit or len(entries) < min(f.limit, len(required)):
            self.fail("6: a page holds `limit` visible objects when that many exist", sent, response,
                      f"limit {f.limit}, gave {len(entries)}, {len(required)} visible")
        more = body.get("more", False)
        if more and not (required | optional) - given:
            self.fail("6: `more` only when more visible objects exist", sent, response)
        if not more and required - given:
            self.fail("6: `more` when more visible objects exist", sent, response,
                      f"missing {sorted(required - given)[:3]}")
        walked, cursor, pages = list(entries), body.get("next"), 0
        while more and cursor and pages < 30:
            pages += 1
            query = [(n, v) for n, v in sent.query if n not in ("next", "limit")] + [("next", cursor),
                                                                                      ("limit", "100")]
            following = self.again(sent, query=query)
            if following.status_code != 200:
                self.fail("6: the next page answers 200", sent, following, cursor)
                return
            body = following.json()
            walked += self.entries(sent, following, cid, body, manifest=manifest, object_id=object_id)
            more, cursor = body.get("more", False), body.get("next")
        if more and not cursor:
            self.fail("6: `more` comes with `next`", sent, response)
        if required - set(walked):
            self.fail("1/6: every visible object is given, page after page", sent, response,
                      f"never given: {sorted(required - set(walked))[:3]}")
        if len(walked) != len(set(walked)):
            self.fail("6: pages never repeat an object version", sent, response)

    def on_object(self, sent: Sent, response: Any, collection_id: str, object_id: str) -> None:
        cid = self.oracle.collection(collection_id)
        f = filters(sent.query, {"added_after", "limit", "next", "match[version]", "match[spec_version]"})
        if not self.gate(sent, response, cid, f, need="read") or cid is None:
            return
        status = response.status_code
        if status == 400 and not f.valid:
            return
        expected = self.oracle.expected(sent.partner, cid, ids=(object_id,), spec_versions=f.spec_versions,
                                        versions=f.versions)
        required = expected[0]
        if status == 200:
            entries = self.entries(sent, response, cid, response.json(), object_id=object_id)
            if f.exact:
                self.page(sent, response, cid, f, response.json(), entries, expected, object_id=object_id)
        elif status == 404:
            if f.exact and required:
                self.fail("1: an object the partner may see is found", sent, response, object_id)
            self.like_absent(sent, response, object_id)
        else:
            self.fail("object: 200 or 404", sent, response)

    def on_versions(self, sent: Sent, response: Any, collection_id: str, object_id: str) -> None:
        cid = self.oracle.collection(collection_id)
        f = filters(sent.query, {"added_after", "limit", "next", "match[spec_version]"}, default_version="all")
        if not self.gate(sent, response, cid, f, need="read") or cid is None:
            return
        status = response.status_code
        if status == 400 and not f.valid:
            return
        required, _ = self.oracle.expected(sent.partner, cid, ids=(object_id,),
                                                  spec_versions=f.spec_versions, versions=("all",))
        if status == 200:
            body = response.json()
            listed = body.get("versions") if isinstance(body, dict) else None
            if not isinstance(listed, list) or not listed:
                self.fail("versions: a non-empty list of versions", sent, response)
                return
            keys = [(object_id, version_key(v)) for v in listed]
            for oid, key in keys:
                self.counts["entries judged"] += 1
                self.judge_entry(sent, response, cid, oid, key, None)
            if f.exact and f.limit >= len(required) and {k for k in required} - set(keys):
                self.fail("1: versions lists every version the partner may see", sent, response)
        elif status == 404:
            if f.exact and required:
                self.fail("1: the versions of an object the partner may see are found", sent, response, object_id)
            self.like_absent(sent, response, object_id)
        else:
            self.fail("versions: 200 or 404", sent, response)

    def like_absent(self, sent: Sent, response: Any, object_id: str) -> None:
        """Policy 2: an object the partner may not see answers exactly as one that does not exist."""
        cid = self.oracle.collection(sent.path.split("/")[4])
        if cid is None or object_id not in self.oracle.held[cid]:
            return
        absent = f"indicator--{uuid.uuid4()}"
        path = urllib.parse.urlsplit(sent.url).path.replace(urllib.parse.quote(object_id, safe=""), absent)
        if absent not in path:
            return
        reference = self.again(sent, path=path)
        self.counts["compared with an absent id"] += 1

        def anonymous(r: Any) -> Any:
            try:
                return json.loads(r.content.decode().replace(absent, "<id>").replace(object_id, "<id>"))
            except ValueError:
                return r.content
        if reference.status_code != response.status_code or anonymous(reference) != anonymous(response):
            self.fail("2: a hidden object answers exactly as an absent one", sent, response,
                      f"absent id → {reference.status_code} {reference.content[:200]!r}")

    def on_delete(self, sent: Sent, response: Any, collection_id: str, object_id: str) -> None:
        cid = self.oracle.collection(collection_id)
        f = filters(sent.query, {"match[version]", "match[spec_version]"}, default_version="all")
        status = response.status_code
        grant = self.oracle.grant(sent.partner, cid)
        if status == 400 and not f.valid:
            return
        if grant is None or cid is None:
            if status != 404:
                self.fail("2: deleting in a collection without a grant is not found (404)", sent, response)
            return
        if not (grant.read and grant.write):
            if status != 403:
                self.fail("2: deleting needs read and write rights (403)", sent, response,
                          f"read {grant.read}, write {grant.write}")
            return
        held = self.oracle.held[cid].get(object_id)
        named: set[str] = set()
        if held:
            keys = sorted(held.versions)
            for wanted in f.versions:
                if wanted == "all":
                    named |= set(keys)
                elif wanted in ("last", "first"):
                    named.add(keys[-1] if wanted == "last" else keys[0])
                elif version_key(wanted) in held.versions:
                    named.add(version_key(wanted))
        verdicts = {k: self.oracle.verdict(sent.partner, cid, held, k) for k in named} if held else {}
        seen = {k for k, v in verdicts.items() if v != NO}
        sure = {k for k, v in verdicts.items() if v == YES}
        odd = bool(f.spec_versions) or bool({"first", "last"} & set(f.versions))  # left open by the policy
        if held is None or not seen:
            expected, rule = {404}, "2: an object the partner cannot see is not found (404)"
            if held and held.owner == sent.partner and named:
                expected.add(200)  # its own, withheld from it: the policy does not say
        elif held.owner != sent.partner:
            expected, rule = {403} if sure and not odd else {403, 404}, "2: only the producer may delete (403)"
        else:
            expected, rule = {200} if sure and not odd else {200, 404}, "2: the producer deletes its object"
        if status not in expected:
            self.fail(rule, sent, response, f"owner {held.owner if held else None}, expected {sorted(expected)}")
        if status == 404:
            self.like_absent(sent, response, object_id)
        if status == 200 and held:
            self.counts["deleted"] += 1
            if odd or seen != named or not seen:
                self.resync(sent, cid, object_id, held)
                return
            for key in seen:
                del held.versions[key]
            if not held.versions:  # gone: whoever sends the id next is its producer
                del self.oracle.held[cid][object_id]

    def resync(self, sent: Sent, cid: str, object_id: str, held: Held) -> None:
        """After a delete whose extent the policy leaves open: what is left of the versions the deleter
        can see, as its versions endpoint says; the others may or may not be left."""
        url = f"/taxii2/api/collections/{cid}/objects/{urllib.parse.quote(object_id, safe='')}/versions/"
        answer = self.client.get(url, params={"limit": 1000}, headers={"Authorization": sent.key or "",
                                                                       "Accept": TAXII})
        left = {version_key(v) for v in answer.json().get("versions", [])} if answer.status_code == 200 else set()
        held.uncertain = False
        verdicts = {key: self.oracle.verdict(sent.partner, cid, held, key) for key in held.versions}
        for key, verdict in verdicts.items():
            if verdict == YES and key not in left:
                del held.versions[key]
        held.uncertain = any(verdicts[key] != YES for key in held.versions)
        if not held.versions:
            del self.oracle.held[cid][object_id]

    def on_add(self, sent: Sent, response: Any, collection_id: str) -> None:
        cid = self.oracle.collection(collection_id)
        envelope, problem = strict_json(sent.body)
        if problem is None and not (isinstance(envelope, dict) and isinstance(envelope.get("objects"), list)):
            problem = "not an envelope"
        grant = self.oracle.grant(sent.partner, cid)
        status = response.status_code
        if problem:
            rule = ("5: NaN, Infinity and nesting past 100 levels are refused with 400" if problem != "not an envelope"
                    else "add: what is not an envelope is refused with 400")
            if status == 202 or (status != 400 and grant is not None and grant.write):
                self.fail(rule, sent, response, problem)
            if status != 202:
                return
        elif grant is None or cid is None:
            if status != 404:
                self.fail("1: writing to a collection without a grant is not found (404)", sent, response)
            return
        elif not grant.write:
            if status != 403:
                self.fail("writing needs a write grant (403)", sent, response)
            return
        elif status == 400 and not _encodable(envelope):
            return  # lone surrogates: JSON escapes them, no UTF-8 encoder takes them; refusing is allowed
        elif status != 202:
            self.fail("add: a valid envelope to a writable collection answers 202", sent, response)
            return
        if cid is None:
            return
        if envelope is None:  # accepted though the policy refuses it: follow what was stored, loosely
            envelope = json.loads(sent.body)
        self.stored(sent, response, cid, envelope["objects"], uncertain=problem is not None)

    def stored(self, sent: Sent, response: Any, cid: str, objects: list[Any], *, uncertain: bool) -> None:
        status = response.json()
        successes, failures = status.get("successes") or [], status.get("failures") or []
        if (status.get("total_count") != len(objects) or status.get("success_count") != len(successes)
                or status.get("failure_count") != len(failures)):
            self.fail("add: the status resource counts what it lists", sent, response)
        self.oracle.statuses[status["id"]] = (sent.partner or "", status)
        for success in successes:
            oid, key = success.get("id"), version_key(success.get("version"))
            obj = next((o for o in objects if isinstance(o, dict) and o.get("id") == oid
                        and version_key(version_of(o)) == key), None)
            if obj is None:
                self.fail("add: the status names only objects sent", sent, response, str(oid))
                continue
            if oid in TLP_IDS:
                continue
            held = self.oracle.held[cid].get(oid)
            if held is not None and held.owner != sent.partner and held.uncertain:
                # its producer may have deleted every version it could not see: the id may be free again
                held = self.oracle.held[cid][oid] = Held(sent.partner, {}, uncertain=True)
            if held is not None and held.owner != sent.partner and key not in held.versions:
                self.fail("3: a new version of another producer's object is refused (a failure)", sent, response,
                          f"{oid} belongs to {held.owner}")
                continue
            if held is None or held.owner == sent.partner:
                if held is None or key not in held.versions:
                    self.counts["versions stored"] += 1
                self.oracle.record(cid, sent.partner, obj)
                if uncertain:
                    self.oracle.held[cid][oid].uncertain = True


# ---------------------------------------------------------------------------------------------
# The hub the partners meet at


@dataclasses.dataclass
class Hub:
    app: Any
    client: TestClient
    keys: dict[str, str]  # partner → API key
    collections: dict[str, str]  # alias → id
    oracle: Oracle


@pytest.fixture
def hub(workbench: Workbench) -> Iterator[Hub]:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        for agency in AGENCIES.values():
            sharing.add_partner(connection, agency)
        collections = {alias: sharing.add_collection(connection, alias, alias.title())["id"] for alias in ALIASES}
        keys = {partner: sharing.issue_key(connection, partner) for partner in GRANTS}
        for partner, grants in GRANTS.items():
            for alias, (read, write, ceiling) in grants.items():
                sharing.grant(connection, partner, alias, read=read, write=write, max_tlp=ceiling)
        published = taxii.publish(connection, "exchange", copy.deepcopy(HUB_OBJECTS))  # `cyberdip share publish`
        assert published["success_count"] == len(HUB_OBJECTS), published
    oracle = Oracle(collections)
    for obj in HUB_OBJECTS:
        oracle.record(collections["exchange"], None, obj)
    app = create_app(workbench)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Hub(app, client, keys, collections, oracle)


#: requests the generated partners make on each backend (besides those the judge makes to check answers)
STEPS = 300


def seed(hub: Hub, judge: Judge) -> None:
    """Before the generated partners come, each partner that may write shares a few objects under every
    TLP level, a statement marking-definition (itself marked) and an object it marks; some ids were
    taken by a partner before (policy 3). Judged like every other request."""
    levels = list(TLP20)
    writers = [(p, alias) for p, grants in GRANTS.items() for alias, (_, write, _) in grants.items() if write]
    for n, (partner, alias) in enumerate(writers):
        terms = STATEMENTS[n % len(STATEMENTS)]
        modified = STAMPS[n * 3 % len(STAMPS)]
        objects = [
            indicator(INDICATORS[n % len(INDICATORS)], [TLP20[levels[n % 5]]], name=f"{partner} {levels[n % 5]}",
                      modified=modified),
            indicator(INDICATORS[(n + 1) % len(INDICATORS)], [TLP20[levels[(n + 2) % 5]]], name=f"{partner} 2",
                      modified=modified),
            indicator(f"indicator--{uuid.UUID(int=0x6000 + n, version=4)}", [TLP20["green"]], name=partner),
            statement(terms, f"{partner}'s terms", [TLP20[levels[(n + 1) % 5]]]),
            indicator(f"indicator--{uuid.UUID(int=0x7000 + n, version=4)}", [terms, TLP20["green"]], name=partner),
        ]
        response = hub.client.post(f"/taxii2/api/collections/{hub.collections[alias]}/objects/",
                                   json={"objects": objects},
                                   headers=_auth(hub.keys[partner], **{"Content-Type": TAXII}))
        judge.check(response)


def _replay_assertion(exc: BaseException) -> bool:
    """Hypothesis asserts, rather than raising Flaky, when a replay draws past a value an earlier run refused."""
    traceback = exc.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_globals.get("__name__", "").startswith("hypothesis.")


def test_stateful_partners_never_see_more_than_the_policy_allows(hub: Hub) -> None:
    """Schemathesis' state machine over the linked TAXII operations, every answer judged by the oracle."""
    judge = Judge(hub.client, hub.keys, hub.oracle)
    machine: Any = taxii_schema(hub).as_state_machine()

    class Workflow(machine):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput | None:
            judge.counts["steps"] += 1
            self.before_call(input.case)
            try:
                response = self.call(input.case, **self.get_call_kwargs(input.case))
            except Exception as exc:  # the in-process transport re-raises what the server did not handle
                judge.crashed(input.case, exc)
                return None
            self.after_call(response, input.case)
            judge.check(response)  # instead of schemathesis' checks, which know nothing of TAXII
            return StepOutput(response, input.case)

    seed(hub, judge)
    for _ in range(8):
        remaining = STEPS - judge.counts["steps"]
        if remaining <= 0:
            break
        try:
            Workflow.run(settings=settings(max_examples=max(2, remaining // 12), stateful_step_count=15,
                                           deadline=None, database=None, phases=[Phase.generate],
                                           suppress_health_check=list(HealthCheck)))
        except (Flaky, AssertionError) as exc:
            # Hypothesis replays the choices of earlier scenarios to explore from them, but the hub (one for
            # all scenarios, like the oracle) has moved on, so a replay may go another way: start afresh.
            if not (isinstance(exc, Flaky) or _replay_assertion(exc)):
                raise
            judge.counts["hypothesis restarts"] += 1
    print(judge.report())  # what the run covered (pytest -s, or -rP)
    counts = judge.counts
    assert counts["versions stored"] >= 20 and counts["entries judged"] >= 50 and counts["pages judged"] >= 10, (
        judge.report())  # the run was not vacuous
    assert not judge.violations, judge.report()


# ---------------------------------------------------------------------------------------------
# By hand: documents no JSON encoder writes, and each policy once, spelled out


def _auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": TAXII, **extra}


def _is_taxii_error(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return _content_type(response) == TAXII and isinstance(body, dict) and isinstance(body.get("title"), str)


def test_hostile_documents_and_each_policy_by_hand(hub: Hub) -> None:
    """Raw bytes no JSON encoder writes, NUL characters where ids and filters go, and each policy once."""
    client, keys, collections = hub.client, hub.keys, hub.collections
    india, usa, jpn, chn, bsi = (keys[p] for p in GRANTS)
    exchange = f"/taxii2/api/collections/{collections['exchange']}"
    feed = f"/taxii2/api/collections/{collections['feed']}"
    failures: list[str] = []

    def expect(what: str, response: Any, *statuses: int) -> Any:
        """The answer has one of these statuses (none given: anything but a 5xx); an error is a TAXII one."""
        if response.status_code not in statuses if statuses else response.status_code >= 500:
            failures.append(f"{what}: expected {statuses or 'no 5xx'}, got {response.status_code} "
                            f"{response.text[:300]!r}")
        elif response.status_code >= 400 and not _is_taxii_error(response):
            failures.append(f"{what}: {response.status_code} is not a TAXII error message: "
                            f"{response.headers.get('content-type')} {response.text[:200]!r}")
        return response

    def post(key: str, collection: str, objects: list[dict[str, Any]] | bytes) -> Any:
        content = objects if isinstance(objects, bytes) else json.dumps({"objects": objects}).encode()
        return client.post(f"{collection}/objects/", content=content, headers=_auth(key, **{"Content-Type": TAXII}))

    def seen(key: str, collection: str, **params: Any) -> list[dict[str, Any]]:
        response = expect(f"list {collection} {params}", client.get(f"{collection}/objects/", params=params,
                                                                     headers=_auth(key)), 200)
        return response.json().get("objects", []) if response.status_code == 200 else []

    def one(key: str, collection: str, object_id: str) -> Any:
        return client.get(f"{collection}/objects/{object_id}/", headers=_auth(key))

    def fresh(markings: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        return indicator(f"indicator--{uuid.uuid4()}", markings, **extra)

    # 5. non-finite numbers and deep nesting are refused with 400, and nothing is stored
    def hostile(label: str, tail: str = "", *, around: bytes = b'{"objects": [%s]}') -> tuple[str, str, bytes]:
        """An envelope holding one indicator, with ``tail`` written into the indicator as raw JSON."""
        obj = json.dumps(fresh([TLP20["green"]], name=label))
        return label, json.loads(obj)["id"], around % (obj[:-1] + tail + "}").encode()

    too_deep = fresh([TLP20["green"]], name="101 levels", x_cyberdip_nested=_nested(MAX_DEPTH))
    for label, object_id, raw in [
        hostile("NaN", ', "x_cyberdip_score": NaN'),
        hostile("Infinity", ', "x_cyberdip_score": Infinity'),
        hostile("-Infinity", ', "x_cyberdip_score": [-Infinity]'),
        hostile("1e999", ', "x_cyberdip_score": 1e999'),  # a number no double holds: read as infinity
        hostile("NaN beside the objects", around=b'{"more": NaN, "objects": [%s]}'),
        hostile("100000 levels beside the objects", around=b'{"objects": [%s, ' + b"[" * 100_000 + b"]" * 100_000
                + b"]}"),
        ("101 levels", too_deep["id"], json.dumps({"objects": [too_deep]}).encode()),
    ]:
        expect(f"5: POST {label}", post(india, exchange, raw), 400)
        expect(f"5: nothing stored from a refused envelope ({label})", one(india, exchange, object_id), 404)
    shallow = fresh([TLP20["green"]], name="60 levels", x_cyberdip_nested=_nested(57))
    expect("5: an envelope nested 60 levels is accepted", post(india, exchange, [shallow]), 202)

    # 5. a NUL character in a query parameter or an id answers 400 (other bad input: a TAXII error, never 5xx)
    some = INDICATORS[0]
    for label, method, url in [
        ("match[type]", "GET", f"{exchange}/objects/?match[type]=indicator%00"),
        ("match[id]", "GET", f"{exchange}/objects/?match[id]=%00"),
        ("added_after", "GET", f"{exchange}/objects/?added_after=2024-01-01T00:00:00Z%00"),
        ("next", "GET", f"{exchange}/objects/?next=%00"),
        ("match[version]", "GET", f"{exchange}/manifest/?match[version]=last%00"),
        ("match[spec_version]", "GET", f"{exchange}/objects/{some}/?match[spec_version]=2.1%00"),
        ("object id", "GET", f"{exchange}/objects/{some}%00/"),
        ("object id (versions)", "GET", f"{exchange}/objects/{some}%00/versions/"),
        ("object id (delete)", "DELETE", f"{exchange}/objects/{some}%00/"),
        ("match[version] (delete)", "DELETE", f"{exchange}/objects/{some}/?match[version]=%00"),
        ("status id", "GET", "/taxii2/api/status/%00/"),
        ("collection id", "GET", f"{exchange}%00/objects/"),
    ]:
        expect(f"5: NUL in the {label}", client.request(method, url, headers=_auth(india)), 400)
    for label, url in [("limit=²", f"{exchange}/objects/?limit=%C2%B2"), ("limit=-1", f"{exchange}/objects/?limit=-1"),
                       ("an id with a slash", f"{exchange}/objects/indicator--a%2Fb/"),
                       ("no such path", "/taxii2/api/nothing/")]:
        response = client.get(url, headers=_auth(india))
        expect(f"bad input answers a TAXII error ({label})", response)
    # NUL and a lone surrogate inside an object: stored and served back as sent, or refused — never a 5xx
    for text in ("NUL \x00", "a lone surrogate \ud800"):
        odd = fresh([TLP20["green"]], name=text)
        stored = expect(f"{text!r} in a name", post(india, exchange, [odd]), 202, 400)
        if stored.status_code == 202 and stored.json().get("success_count") == 1:
            back = expect(f"{text!r} served back", one(jpn, exchange, odd["id"]), 200)
            if back.status_code == 200 and back.json()["objects"] != [odd]:
                failures.append(f"{text!r} served back other than sent: {back.text[:300]!r}")

    # 3. an id belongs to the partner that sent it first
    mine = fresh([TLP20["green"]], name="india's")
    expect("3: first sent", post(india, exchange, [mine]), 202)
    theirs = {**mine, "modified": "2024-06-01T00:00:00.000Z", "name": "usa's"}
    status = expect("3: a new version from another partner", post(usa, exchange, [theirs]), 202).json()
    if [f["id"] for f in status.get("failures", [])] != [mine["id"]] or status.get("successes"):
        failures.append(f"3: another partner's new version is a failure in the status resource: {status}")
    names = [o["name"] for o in seen(jpn, exchange, **{"match[id]": mine["id"], "match[version]": "all"})]
    if names != ["india's"]:
        failures.append(f"3: readers keep the producer's versions only, got {names}")

    # 2. DELETE: read and write rights, only the producer, hidden as absent
    url = f"{exchange}/objects/{mine['id']}/"
    expect("2: DELETE by a reader without write rights", client.delete(url, headers=_auth(jpn)), 403)
    expect("2: DELETE by a writer without read rights", client.delete(url, headers=_auth(chn)), 403)
    expect("2: DELETE without any grant", client.delete(url, headers=_auth(bsi)), 404)
    expect("2: DELETE of another partner's visible object", client.delete(url, headers=_auth(usa)), 403)
    strict = fresh([TLP20["amber+strict"]], name="india only")
    expect("2: stored", post(india, exchange, [strict]), 202)
    hidden = expect("2: DELETE of an object the partner cannot see",
                    client.delete(f"{exchange}/objects/{strict['id']}/", headers=_auth(usa)), 404)
    absent_id = f"indicator--{uuid.uuid4()}"
    absent = client.delete(f"{exchange}/objects/{absent_id}/", headers=_auth(usa))
    if (hidden.status_code, hidden.text.replace(strict["id"], "?")) != (absent.status_code,
                                                                        absent.text.replace(absent_id, "?")):
        failures.append(f"2: hidden answers as absent: {hidden.text[:200]!r} vs {absent.text[:200]!r}")
    expect("2: DELETE of the hub operators' object", client.delete(f"{exchange}/objects/{HUB_INDICATORS[0]}/",
                                                                     headers=_auth(india)), 403)
    expect("2: the producer deletes", client.delete(url, headers=_auth(india)), 200)
    expect("2: gone", one(jpn, exchange, mine["id"]), 404)

    # 1. statement markings vouch for their producer's objects only, or for all when the operators stored them
    india_terms, usa_terms, late_terms = (f"marking-definition--{uuid.uuid4()}" for _ in range(3))
    expect("1: statements", post(india, exchange, [statement(india_terms, "India's terms")]), 202)
    expect("1: statements", post(usa, exchange, [statement(usa_terms, "USA's terms")]), 202)
    own = fresh([india_terms, TLP20["green"]], name="own statement")
    foreign = fresh([usa_terms, TLP20["green"]], name="another partner's statement")
    operators = fresh([HUB_STATEMENT, TLP20["green"]], name="the operators' statement")
    late = fresh([late_terms, TLP20["green"]], name="statement sent after")
    expect("1: marked objects", post(india, exchange, [own, foreign, operators, late]), 202)
    expect("1: a statement arriving after the object citing it",
           post(india, exchange, [statement(late_terms, "Later")]), 202)
    spoof = expect("3: another partner's version of the operators' statement",
                   post(usa, exchange, [statement(HUB_STATEMENT, "Spoofed", created="2024-05-01T00:00:00.000Z")]), 202)
    if spoof.status_code == 202 and spoof.json().get("success_count"):
        failures.append(f"3: a partner cannot add a version of the operators' statement: {spoof.text[:300]!r}")
    for key, who in ((jpn, "jpcert"), (india, "cert-in")):
        got = {o["name"] for o in seen(key, exchange) if o["type"] == "indicator"}
        for obj, visible in ((own, True), (foreign, False), (operators, True), (late, True)):
            if (obj["name"] in got) is not visible:
                failures.append(f"1: {who} {'does not see' if visible else 'sees'} the object marked with "
                                f"{obj['name']!r}")

    # 4. a marking-definition carrying a TLP marking is seen only as that marking allows
    red_terms = statement(f"marking-definition--{uuid.uuid4()}", "Red terms", [TLP20["red"]])
    amber_terms = statement(f"marking-definition--{uuid.uuid4()}", "Amber terms", [TLP20["amber"]])
    expect("4: marked marking-definitions", post(india, exchange, [red_terms, amber_terms]), 202)
    for key, who, expected in ((jpn, "jpcert (GREEN)", set()), (usa, "cisa (AMBER)", {amber_terms["id"]}),
                               (india, "cert-in (its own, RED)", {amber_terms["id"]})):
        got = {o["id"] for o in seen(key, exchange, **{"match[type]": "marking-definition"})}
        if got & {red_terms["id"], amber_terms["id"]} != expected:
            failures.append(f"4: {who} sees {sorted(got & {red_terms['id'], amber_terms['id']})}")
        for obj in (red_terms, amber_terms):
            direct = one(key, exchange, obj["id"]).status_code
            if (direct == 200) is not (obj["id"] in expected):
                failures.append(f"4: {who} GET {obj['definition']['statement']} → {direct}")

    # 6. pages hold `limit` visible objects, `more` only when more are visible, no "objects" when empty
    batch = [fresh([TLP20[level]], name=f"{level} {i}") for i, level in enumerate(
        ["red", "green", "red", "red", "amber", "green", "red"])]
    expect("6: mixed batch", post(jpn, feed, batch), 202)
    greens = [o["id"] for o in batch if o["object_marking_refs"] == [TLP20["green"]]]
    first = expect("6: first page", client.get(f"{feed}/objects/", params={"limit": 1}, headers=_auth(india)), 200)
    body = first.json() if first.status_code == 200 else {}
    if [o["id"] for o in body.get("objects", [])] != greens[:1] or body.get("more") is not True:
        failures.append(f"6: limit=1 gives the first visible object and more=true: {first.text[:300]!r}")
    if body.get("next"):
        second = client.get(f"{feed}/objects/", params={"limit": 1, "next": body["next"]}, headers=_auth(india))
        page = second.json() if second.status_code == 200 else {}
        if [o["id"] for o in page.get("objects", [])] != greens[1:] or page.get("more") is not False:
            failures.append(f"6: the second page gives the last visible object and more=false: {second.text[:300]!r}")
    both = client.get(f"{feed}/manifest/", params={"limit": 2}, headers=_auth(india)).json()
    if [m["id"] for m in both.get("objects", [])] != greens or both.get("more") is not False:
        failures.append(f"6: limit=2 gives both visible objects, more=false: {both}")
    empty = expect("6: empty", client.get(f"{feed}/objects/", params={"match[type]": "malware"}, headers=_auth(india)),
                   200)
    if empty.status_code == 200 and ("objects" in empty.json() or empty.json().get("more") is not False):
        failures.append(f"6: an empty result has no 'objects': {empty.text!r}")

    assert not failures, "\n".join(failures)
