"""The fast STIX 2.1 validator against the official OASIS stix2-validator, on real content and edge cases.

The verdict (valid or not) must be the official one, except where the fast validator is deliberately
stricter because the STIX 2.1 specification says MUST (see DELIBERATE below); it is never looser.
When the official validator raises on an input (it does on some wrongly typed values), that input
counts as refused.

Real content: the OASIS fixtures (cti-documentation examples, cti-stix2-json-schemas examples,
cti-stix-validator test examples, the medallion TAXII fixture) and MITRE ATT&CK Enterprise 18.1.
ATT&CK is published as STIX 2.0 (no `spec_version`); the shared data also holds a STIX 2.1 copy
derived from it by adding `"spec_version": "2.1"` to every object and `"is_family": true` to malware
— adding spec_version alone would not do, as a test below shows.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance
from stix2validator.v21 import musts

from cyberdip.sources import stix_validation
from cyberdip.sources.stix_validation import validate

pytestmark = pytest.mark.filterwarnings("ignore:jsonschema.exceptions.RefResolutionError:DeprecationWarning")
OPTIONS = ValidationOptions(version="2.1", silent=True)
UUID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
UUID5 = "8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f"
STAMP = "2016-04-06T20:03:48.000Z"
MARKING = f"marking-definition--{UUID}"
ATTACK_21 = "mitre-attack/enterprise-attack-18.1.stix21-derived.json.gz"
ATTACK_20 = "mitre-attack/enterprise-attack-18.1.stix20.json.gz"


def official(obj: object) -> bool:
    """The official validator's verdict; raising counts as refusing."""
    try:
        return bool(validate_instance(obj, OPTIONS).is_valid)
    except Exception:  # it raises on some malformed input (wrong value types, missing id/type)
        return False


def read_bundle(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        objects: list[dict[str, Any]] = json.load(handle)["objects"]
    return objects


@pytest.fixture(scope="module")
def attack(shared_data: Path) -> list[dict[str, Any]]:
    return read_bundle(shared_data / ATTACK_21)


def stix_objects_in(document: Any) -> Iterator[dict[str, Any]]:
    """The STIX objects of a fixture file: a bundle's objects, a lone object, the objects of TAXII collections."""
    if isinstance(document, dict):
        if document.get("type") == "bundle":
            yield from document.get("objects", [])
        elif "type" in document and "id" in document:
            yield document
        else:
            for value in document.values():
                yield from stix_objects_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from stix_objects_in(item)


@pytest.fixture(scope="module")
def fixture_objects(shared_data: Path) -> list[tuple[str, dict[str, Any]]]:
    objects = []
    root = shared_data / "stix-fixtures"
    for path in sorted(root.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:  # invalid_braces.json, invalid_comma.json: malformed on purpose
            continue
        objects += [(f"{path.relative_to(root)} {obj.get('id')}", obj) for obj in stix_objects_in(document)]
    return objects


# ---------------------------------------------------------------------------------------------------------------------
# Real content


def test_every_oasis_fixture_object_gets_the_official_verdict(fixture_objects: list[tuple[str, Any]]) -> None:
    assert len(fixture_objects) > 300
    disagreements = [(name, validate(obj)) for name, obj in fixture_objects if (validate(obj) is None) != official(obj)]
    assert disagreements == []
    refused = [name for name, obj in fixture_objects if validate(obj)]
    # the validator's invalid examples, its STIX 2.0 examples, and medallion's one STIX 2.0 malware object
    assert any("invalid_timestamp" in name for name in refused) and any("v20/" in name for name in refused)
    assert len(refused) < 20


def test_all_attack_objects_are_valid_stix_2_1(attack: list[dict[str, Any]]) -> None:
    assert len(attack) > 24_000
    problems = [(obj["id"], message) for obj in attack if (message := validate(obj))]
    assert problems == []  # as the official validator says of the whole bundle (0 errors)


def test_a_sample_of_attack_gets_the_official_verdict(attack: list[dict[str, Any]]) -> None:
    sample = random.Random(18_1).sample(attack, 300)  # the official validator takes ~4 ms an object
    assert len({obj["type"] for obj in sample}) >= 6
    assert [obj["id"] for obj in sample if (validate(obj) is None) != official(obj)] == []
    assert all(official(obj) for obj in sample[:50])


def test_attack_as_published_is_stix_2_0_and_needs_more_than_a_spec_version(shared_data: Path) -> None:
    published = read_bundle(shared_data / ATTACK_20)
    messages = {validate(obj) for obj in published}
    assert len(messages) == 1 and "STIX 2.0 is refused, upgrade" in (messages.pop() or "")
    relabelled = [{**obj, "spec_version": "2.1"} for obj in published]
    still_refused = {(obj["type"], validate(obj)) for obj in relabelled if validate(obj)}
    assert still_refused == {("malware", "The required property 'is_family' is missing from the 'malware' object.")}
    sample = random.Random(20).sample(relabelled, 40)
    sample += [obj for obj in relabelled if obj["type"] == "malware"][:10]
    assert [obj["id"] for obj in sample if (validate(obj) is None) != official(obj)] == []


def test_every_bundled_schema_compiles_with_the_expected_layout() -> None:
    """The schema surgery of _load_schema (and fastjsonschema's reading of the patterns) holds for every file."""
    for schema in stix_validation._object_schemas().values():
        stix_validation._schema_validator(schema)


# ---------------------------------------------------------------------------------------------------------------------
# Edge cases, made up: the official verdict on each MUST rule


def sdo(type_: str, **properties: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": f"{type_}--{UUID}", "created": STAMP, "modified": STAMP,
            **properties}


def sco(type_: str, uuid: str = UUID, **properties: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": f"{type_}--{uuid}", **properties}


def indicator(pattern: str, **properties: Any) -> dict[str, Any]:
    return sdo("indicator", pattern=pattern, pattern_type="stix", valid_from=STAMP, **properties)


def marking(**properties: Any) -> dict[str, Any]:
    return {"type": "marking-definition", "spec_version": "2.1", "id": MARKING, "created": STAMP, **properties}


STATEMENT = {"definition_type": "statement", "definition": {"statement": "Copyright ACME"}}
TLP_WHITE = {"type": "marking-definition", "spec_version": "2.1",
             "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "created": "2017-01-20T00:00:00.000Z",
             "definition_type": "tlp", "name": "TLP:WHITE", "definition": {"tlp": "white"}}
TRAFFIC = {"protocols": ["tcp"], "src_ref": f"ipv4-addr--{UUID}"}
EXTENSION = f"extension-definition--{UUID}"
EDGE_CASES: dict[str, Any] = {
    "process with a UUIDv5": sco("process", UUID5, pid=4),
    "process with a UUIDv4": sco("process", pid=4),
    "artifact UUIDv5 without contributing properties": sco("artifact", UUID5, url="https://acme.example/a.bin"),
    "artifact UUIDv5 with hashes": sco("artifact", UUID5, hashes={"MD5": "1717b7fff97d37a1e1a0029d83492de1"}),
    "artifact registered media type": sco("artifact", mime_type="application/pdf", payload_bin="QUJD"),
    "artifact unregistered media type": sco("artifact", mime_type="application/x-acme", payload_bin="QUJD"),
    "artifact malformed media type": sco("artifact", mime_type="acme/pdf", payload_bin="QUJD"),
    "file registered charset": sco("file", name="a", name_enc="UTF-8"),
    "file unregistered charset": sco("file", name="a", name_enc="acme-8"),
    "software language codes": sco("software", name="x", languages=["en", "eng"]),
    "software language in list but not a tag": sco("software", name="x", languages=["az-Cyrl-AZ"]),
    "software unknown language": sco("software", name="x", languages=["xx"]),
    "software CPE": sco("software", name="x", cpe="cpe:2.3:a:acme:gadget:1.0:*:*:*:*:*:*:*"),
    "software bad CPE": sco("software", name="x", cpe="acme gadget"),
    "file ctime 30 February": sco("file", name="a", ctime="2016-02-30T00:00:00Z"),
    "file ctime 29 February 2016": sco("file", name="a", ctime="2016-02-29T00:00:00Z"),
    "network traffic ends before it starts": sco("network-traffic", **TRAFFIC, start="2016-01-02T00:00:00Z",
                                                 end="2016-01-01T00:00:00Z"),
    "network traffic ends when it starts": sco("network-traffic", **TRAFFIC, start="2016-01-02T00:00:00Z",
                                               end="2016-01-02T00:00:00Z"),
    "x509 private key period 30 February": sco("x509-certificate", serial_number="1", x509_v3_extensions={
        "private_key_usage_period_not_before": "2016-02-30T00:00:00Z"}),
    "leap second": sdo("identity", name="x", created="2016-12-31T23:59:60.000Z", modified="2016-12-31T23:59:60.000Z"),
    "29 February 2015": sdo("identity", name="x", created="2015-02-29T00:00:00.000Z"),
    "modified before created": sdo("identity", name="x", modified="2015-01-01T00:00:00.000Z"),
    "modified equals created, other precision": sdo("identity", name="x", created="2016-01-01T00:00:00.100Z",
                                                    modified="2016-01-01T00:00:00.1000Z"),
    "created without milliseconds": sdo("identity", name="x", created="2016-01-01T00:00:00Z"),
    "created with an offset": sdo("identity", name="x", created="2016-01-01T00:00:00.000+00:00"),
    "valid_until equals valid_from": indicator("[file:name = 'x']", valid_until=STAMP),
    "valid_until after valid_from": indicator("[file:name = 'x']", valid_until="2017-01-01T00:00:00Z"),
    "sighting last_seen before first_seen": sdo("sighting", sighting_of_ref=f"indicator--{UUID}", first_seen=STAMP,
                                                last_seen="2015-01-01T00:00:00Z"),
    "relationship stop_time equals start_time": sdo("relationship", relationship_type="uses",
                                                    source_ref=f"malware--{UUID}", target_ref=f"tool--{UUID}",
                                                    start_time=STAMP, stop_time=STAMP),
    "pcre pattern is not parsed": sdo("indicator", pattern="[[[", pattern_type="pcre", valid_from=STAMP),
    "pattern_type a number": sdo("indicator", pattern="[file:name = 'x']", pattern_type=5, valid_from=STAMP),
    "pattern with a bad MD5": indicator("[file:hashes.MD5 = 'abc']"),
    "pattern with a short type name": indicator("[fi:name = 'x']"),
    "pattern with a capitalised property": indicator("[file:Name = 'x']"),
    "pattern_version 2.0": indicator("[file:name = 'x']", pattern_version="2.0"),
    "indicator without pattern": {key: value for key, value in indicator("x").items() if key != "pattern"},
    "known lang": sdo("identity", name="x", lang="en"),
    "unknown lang": sdo("identity", name="x", lang="zz"),
    "valid RFC 5646 tag not in the list": sdo("identity", name="x", lang="en-Latn"),
    "marking definition marking itself": marking(**STATEMENT, object_marking_refs=[MARKING]),
    "marking definition granularly marking itself": marking(**STATEMENT, granular_markings=[
        {"marking_ref": MARKING, "selectors": ["definition"]}]),
    "statement marking": marking(**STATEMENT),
    "TLP white": TLP_WHITE,
    "TLP white under another id": {**TLP_WHITE, "id": MARKING},
    "TLP white named green": {**TLP_WHITE, "name": "TLP:GREEN"},
    "marking definition with a null custom property": marking(**STATEMENT, x_acme=None),
    "marking definition extension with a bare property": marking(extensions={EXTENSION: {
        "extension_type": "property-extension", "x": 1}}),
    "selector into a list": sdo("identity", name="x", external_references=[
        {"source_name": "a", "description": "b"}, {"source_name": "b", "url": "https://x.example"}],
        granular_markings=[{"marking_ref": MARKING, "selectors": ["external_references.[1].url", "name"]}]),
    "selector past the end of a list": sdo("identity", name="x", external_references=[
        {"source_name": "a", "url": "https://x.example"}],
        granular_markings=[{"marking_ref": MARKING, "selectors": ["external_references.[1].url"]}]),
    "selector of an absent property": sdo("identity", name="x", granular_markings=[
        {"marking_ref": MARKING, "selectors": ["description"]}]),
    "selector indexing a string": sdo("identity", name="xyz", granular_markings=[
        {"marking_ref": MARKING, "selectors": ["name.[1]"]}]),
    "extension definition": sdo("extension-definition", created_by_ref=f"identity--{UUID}", name="x",
                                schema="https://x.example", version="1.0", extension_types=["property-extension"]),
    "extension definition of an unknown kind": sdo("extension-definition", created_by_ref=f"identity--{UUID}",
                                                   name="x", schema="https://x.example", version="1.0",
                                                   extension_types=["plugin"]),
    "extension properties without top-level kind": sdo("extension-definition", created_by_ref=f"identity--{UUID}",
                                                       name="x", schema="https://x.example", version="1.0",
                                                       extension_types=["property-extension"],
                                                       extension_properties=["x_a"]),
    "extension in use": sdo("identity", name="x", extensions={EXTENSION: {"extension_type": "property-extension",
                                                                          "rank": 5}}),
    "extension without extension_type": sdo("identity", name="x", extensions={EXTENSION: {"rank": 5}}),
    "extension under a bad key": sdo("identity", name="x", extensions={"acme": {"rank": 5}}),
    "predefined-style extension": sdo("identity", name="x", extensions={"x-acme-ext": {"rank": 5}}),
    "predefined-style extension, capitalised property": sdo("identity", name="x", extensions={"x-acme-ext": {
        "Rank": 5}}),
    "custom SDO type": sdo("x-acme-note", x_acme_text="x"),
    "custom SCO type": sco("x-acme-gadget", value="a"),
    "custom SCO type without spec_version": {"type": "x-acme-gadget", "id": f"x-acme-gadget--{UUID}"},
    "custom SDO type without spec_version": {"type": "x-acme-note", "id": f"x-acme-note--{UUID}", "created": STAMP,
                                             "modified": STAMP},
    "SCO without spec_version": {"type": "ipv4-addr", "id": f"ipv4-addr--{UUID}", "value": "198.51.100.3"},
    "SCO with a custom 'modified'": {"type": "file", "id": f"file--{UUID}", "name": "a", "modified": "cve"},
    "type named after a building-block schema": sdo("hex"),
    "reserved property": sdo("identity", name="x", severity="high"),
    "reserved type": sdo("action"),
    "null custom property": sdo("identity", name="x", x_acme=None),
    "empty list custom property": sdo("identity", name="x", x_acme=[]),
    "binary custom property": sdo("identity", name="x", x_acme_bin="QUJD"),
    "bad binary custom property": sdo("identity", name="x", x_acme_bin="QUJ"),
    "bad hex custom property": sdo("identity", name="x", x_acme_hex="abc"),
    "custom reference holding an identifier": sdo("identity", name="x", x_acme_ref=f"identity--{UUID}"),
    "custom x_ reference left empty": sdo("identity", name="x", x_acme_ref=""),  # as ATT&CK 18.1 ships 7 of them
    "CVE reference": sdo("vulnerability", name="x", external_references=[
        {"source_name": "cve", "external_id": "CVE-2016-1234"}]),
    "CVE reference with a bad id": sdo("vulnerability", name="x", external_references=[
        {"source_name": "cve", "external_id": "CVE-16-1234"}]),
    "CAPEC id under another source": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "external_id": "CAPEC-12"}]),
    "reference with hashes": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "https://a.example", "hashes": {"SHA-256": "a" * 64}}]),
    "reference with a short SHA-256": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "https://a.example", "hashes": {"SHA-256": "a" * 63}}]),
    "reference with a source only": sdo("vulnerability", name="x", external_references=[{"source_name": "acme"}]),
    "URL with an IPv6 host": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "http://[::1]:80/a"}]),
    "URL with a bad IPv6 host": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "http://[::g]/a"}]),
    "URN": sdo("vulnerability", name="x", external_references=[{"source_name": "acme", "url": "urn:isbn:0451450523"}]),
    "URL with a non-ASCII host": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "http://exämple.org"}]),
    "relative URL": sdo("vulnerability", name="x", external_references=[{"source_name": "acme", "url": "/a/b"}]),
    "URL with a bad escape": sdo("vulnerability", name="x", external_references=[
        {"source_name": "acme", "url": "https://a.example/%zz"}]),
    "observed-data with embedded objects": sdo("observed-data", first_observed=STAMP, last_observed=STAMP,
                                               number_observed=1, objects={"0": sco("file", name="a")}),
    "observed-data embedded traffic ending early": sdo("observed-data", first_observed=STAMP, last_observed=STAMP,
                                                       number_observed=1, objects={"0": sco(
                                                           "network-traffic", **TRAFFIC,
                                                           start="2016-01-02T00:00:00Z",
                                                           end="2016-01-01T00:00:00Z")}),
    "observed-data embedded object with a reserved property": sdo(
        "observed-data", first_observed=STAMP, last_observed=STAMP, number_observed=1,
        objects={"0": sco("file", name="a", severity="high")}),
    "observed-data references": sdo("observed-data", first_observed=STAMP, last_observed=STAMP, number_observed=1,
                                    object_refs=[f"file--{UUID}"]),
    "observed-data referencing an indicator": sdo("observed-data", first_observed=STAMP, last_observed=STAMP,
                                                  number_observed=1, object_refs=[f"indicator--{UUID}"]),
    "language content": sdo("language-content", object_ref=f"identity--{UUID}", object_modified=STAMP,
                            contents={"de": {"name": "x"}}),
    "language content in an unknown language": sdo("language-content", object_ref=f"identity--{UUID}",
                                                   object_modified=STAMP, contents={"xx": {"name": "x"}}),
    "language content with a bad property name": sdo("language-content", object_ref=f"identity--{UUID}",
                                                     object_modified=STAMP, contents={"de": {"Na": "x"}}),
    "internationalised domain name": sco("domain-name", value="exämple.org"),
    "domain name with a space": sco("domain-name", value="exa mple.org"),
    "e-mail address": sco("email-addr", value="a@b.example"),
    "e-mail address without a dot": sco("email-addr", value="a@b"),
    "relationship": sdo("relationship", relationship_type="uses", source_ref=f"malware--{UUID}",
                        target_ref=f"tool--{UUID}"),
    "relationship with a bad target": sdo("relationship", relationship_type="uses", source_ref=f"malware--{UUID}",
                                          target_ref="tool--1"),
    "bundle": {"type": "bundle", "id": f"bundle--{UUID}", "objects": [sdo("identity", name="x")]},
    "bundle holding an invalid object": {"type": "bundle", "id": f"bundle--{UUID}", "objects": [sdo("identity")]},
    "empty bundle": {"type": "bundle", "id": f"bundle--{UUID}", "objects": []},
    "boolean confidence": sdo("identity", name="x", confidence=True),
    "float confidence": sdo("identity", name="x", confidence=50.0),
    "empty labels": sdo("identity", name="x", labels=[]),
    "upper-case UUID": {**sdo("identity", name="x"), "id": f"identity--{UUID.upper()}"},
    "UUIDv6": {**sdo("identity", name="x"), "id": "identity--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f"},
    "malware without is_family": sdo("malware", name="x"),
    "malware family without a name": sdo("malware", is_family=True),
    "kill chain phase": sdo("attack-pattern", name="x", kill_chain_phases=[
        {"kill_chain_name": "a", "phase_name": "b"}]),
    "kill chain phase without a phase": sdo("attack-pattern", name="x", kill_chain_phases=[{"kill_chain_name": "a"}]),
    "region": sdo("location", region="northern-europe"),
    "latitude 100": sdo("location", latitude=100, longitude=0),
    "registry key UUIDv5 without contributing properties": sco("windows-registry-key", UUID5,
                                                              modified_time=STAMP),
    "e-mail UUIDv5 with a subject": sco("email-message", UUID5, is_multipart=False, subject="x"),
    "not an object": [sdo("identity", name="x")],
}
# The fast validator refuses these and the official one accepts them: the specification's MUSTs, enforced.
DELIBERATE: dict[str, tuple[dict[str, Any], str]] = {
    "spec_version 2.0 on a STIX 2.1 object (the schema's enum allows it)": (
        sdo("identity", name="x", spec_version="2.0"), "STIX 2.0"),
    "a custom type whose id names another type (2.1 §2.9: '[object-type]--[UUID]')": (
        {**sdo("x-acme-note"), "id": f"indicator--{UUID}"}, "own type"),
    "a property name with a hyphen or capitals after a valid start (the schema's regex is unanchored)": (
        sdo("identity", name="x", **{"abc-DEF": 1}), "Property name"),
    "a non-custom (no x_) *_ref property not holding an identifier": (
        sdo("identity", name="x", acme_ref="acme"), "STIX identifier"),
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_case_gets_the_official_verdict(name: str) -> None:
    obj = EDGE_CASES[name]
    ours = validate(obj)
    assert (ours is None) == official(obj), ours


@pytest.mark.parametrize("name", DELIBERATE)
def test_deliberately_stricter_than_the_official_validator(name: str) -> None:
    obj, wording = DELIBERATE[name]
    assert official(obj)
    assert wording in (validate(obj) or "")


# ---------------------------------------------------------------------------------------------------------------------
# Random damage to real objects


VALUES: list[Any] = [
    None, [], "", 5, -1, 101, 1.5, True, "x", {"a": 1}, {}, ["x"], [1], STAMP, "2016-04-06T20:03:48Z",
    "2016-02-30T20:03:48.000Z", "2016-04-06T20:03:60.000Z", "2016-04-06 20:03:48.000Z", "1999-01-01T00:00:00.000Z",
    "2099-01-01T00:00:00.000Z", f"identity--{UUID}", f"indicator--{UUID}", MARKING, "identity--1234", [MARKING],
    "en", "xx", "https://acme.example/a", "https://acme.example/a b", "cve", "capec", "CVE-2016-1234", "CAPEC-12",
    "stix", "[file:name = 'x']", "[file:name = ]", "uses", "2.1",
    [{"source_name": "cve"}], [{"source_name": "acme", "url": "bad url"}], [{"source_name": "acme"}],
    [{"source_name": "capec", "external_id": "CAPEC-1"}], [{"source_name": "acme", "hashes": {"SHA-256": "ab"}}],
    [{"marking_ref": MARKING, "selectors": ["name"]}], [{"marking_ref": MARKING, "selectors": ["nonexistent"]}],
    [{"marking_ref": MARKING, "selectors": ["external_references.[0].source_name"]}],
    [{"kill_chain_name": "a", "phase_name": "b"}], [{"kill_chain_name": "a"}],
]
NAMES = [
    "x_acme", "Bad", "ab", "x_acme_ref", "x_acme_refs", "severity", "lang", "confidence", "labels", "revoked",
    "external_references", "granular_markings", "object_marking_refs", "created_by_ref", "x_acme_bin", "first_seen",
    "last_seen", "valid_until", "valid_from", "published", "start_time", "stop_time", "pattern", "pattern_type",
    "extensions", "kill_chain_phases", "spec_version", "modified", "created", "name", "description", "id", "type",
    "aliases", "is_family",
]


def places(node: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key) for every value nested in `node`."""
    for key in node if isinstance(node, dict) else range(len(node)):
        yield node, key
        if isinstance(node[key], (dict, list)):
            yield from places(node[key])


def damaged(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    for _ in range(rng.randint(1, 2)):
        roll = rng.random()
        if roll < 0.2:
            del obj[rng.choice(list(obj))]
        elif roll < 0.6:
            obj[rng.choice(NAMES)] = copy.deepcopy(rng.choice(VALUES))
        else:  # somewhere inside
            parent, key = rng.choice(list(places(obj)))
            if rng.random() < 0.3:
                del parent[key]
            else:
                parent[key] = copy.deepcopy(rng.choice(VALUES))
    return obj


def explained(message: str | None) -> bool:
    """True when a refusal that the official validator would not make is one of the DELIBERATE rules."""
    return message is not None and any(wording in message for wording in (
        "STIX 2.0", "own type", "Property name", "STIX identifier", "STIX identifiers"))


def test_damaged_real_objects_get_the_official_verdict(
    attack: list[dict[str, Any]], fixture_objects: list[tuple[str, Any]]
) -> None:
    rng = random.Random(21)
    originals = [obj for _, obj in fixture_objects if isinstance(obj, dict)] + rng.sample(attack, 100)
    looser, stricter = [], 0
    for _ in range(500):
        obj = damaged(rng.choice(originals), rng)
        ours, theirs = validate(obj), official(obj)
        if ours is None and not theirs:
            looser.append(obj)
        elif ours is not None and theirs:
            assert explained(ours), (ours, obj)
            stricter += 1
    assert looser == []
    assert stricter < 100


# ---------------------------------------------------------------------------------------------------------------------
# STIX patterns: the parser here against stix2-patterns (ANTLR) plus stix2-validator's pattern checks

PATTERNS = [
    "[file:size = 1280]",
    "[file:size != 1280] AND [file:size < 1024] OR [file:size <= 1024] FOLLOWEDBY [file:size >= 1024]",
    "[file:name IN ('a.exe', 'b.exe')] REPEATS 2 TIMES WITHIN 30.5 SECONDS",
    "[file:name NOT LIKE 'x%' AND NOT file:size > -5] START t'2016-06-01T00:00:00Z' STOP t'2016-06-02T00:00:00.5Z'",
    "[x-acme-gadget:serial_number MATCHES '^a\\\\d+$' OR EXISTS x-acme-gadget:owner_ref.name]",
    "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:protocols[*] = 'tcp']",
    "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]",
    "[artifact:payload_bin = b'QUJDRA==' AND file:magic_number_hex = h'ffd8']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-1' = 'f00']",
    "([file:name = 'a'] AND [file:name = 'b']) WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[file:name = 'it\\'s'] /* a comment */ AND [file:name = 'b'] // another",
    "[file:created = t'2016-02-30T00:00:00Z' AND file:is_encrypted = true]",
    "[Fi:name = 'x'] OR [file:Name = 'x'] OR [file:x = 'y']",
    "file:name = 'x'",
    "[file:name = 'x'] within 5 seconds",
]


def official_pattern_verdict(pattern: str) -> bool | None:
    """None when stix2-patterns raises (it does on a negative list index, which its grammar allows)."""
    obj = {"type": "indicator", "id": f"indicator--{UUID}", "pattern": pattern, "pattern_type": "stix"}
    try:
        return not list(musts.patterns(obj, OPTIONS))
    except Exception:
        return None


def pattern_seeds(fixture_objects: list[tuple[str, Any]]) -> list[str]:
    seeds = list(PATTERNS)
    examples = resources.files("stix2patterns").joinpath("test/v21/spec_examples.txt")
    if examples.is_file():  # the STIX 2.1 specification's examples, as packaged with stix2-patterns
        seeds += [line.strip() for line in examples.read_text(encoding="utf-8").splitlines() if line.strip()]
    seeds += [obj["pattern"] for _, obj in fixture_objects if obj.get("pattern_type") == "stix"]
    return list(dict.fromkeys(seeds))


PIECES = [*"[]():.,'=!<>*-+ \\/\"0123456789abhtxzAZ_", " AND ", " OR ", " NOT ", " FOLLOWEDBY ", " IN ", " LIKE ",
          " EXISTS ", " WITHIN 5 SECONDS", " REPEATS 2 TIMES", "t'2016-02-30T00:00:00Z'", "h'ab'", "b'QUJD'", "true",
          " START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'", "1.5", "-3", "/* c */", "\u00a0", "\x1c"]


def test_patterns_get_the_official_verdict(fixture_objects: list[tuple[str, Any]]) -> None:
    rng = random.Random(7)
    seeds = pattern_seeds(fixture_objects)
    cases = list(seeds)
    for _ in range(1500):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.35 and text:
                del text[min(at, len(text) - 1)]
            elif roll < 0.75 or not text:
                text.insert(at, rng.choice(PIECES))
            else:
                text[min(at, len(text) - 1)] = rng.choice(PIECES)
        cases.append("".join(text))
    verdicts = [(case, official_pattern_verdict(case)) for case in cases]
    assert sum(verdict is True for _, verdict in verdicts) > 300  # the mutations keep a fair share valid
    disagreements = [
        (case, stix_validation._pattern_problem(case))
        for case, verdict in verdicts
        if verdict is not None and (stix_validation._pattern_problem(case) is None) != verdict
    ]
    assert disagreements == []
