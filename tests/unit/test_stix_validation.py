"""The fast STIX 2.1 validator of the TAXII ingest path: each rule's verdict and wording.

Agreement with the official OASIS validator, on real content and on edge cases, is checked in
tests/integration/test_stix_validation_real.py.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cyberdip.sources.stix_validation import validate

UUID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
UUID5 = "8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f"
STAMP = "2016-04-06T20:03:48.000Z"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
REMOVE = object()


def indicator(**changes: Any) -> dict[str, Any]:
    """A valid STIX 2.1 indicator of about 600 bytes, with `changes` applied (REMOVE removes a property)."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{UUID}",
        "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
        "created": STAMP,
        "modified": STAMP,
        "name": "Poison Ivy Malware",
        "description": "This file is part of Poison Ivy",
        "indicator_types": ["malicious-activity"],
        "pattern": "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z",
        "object_marking_refs": [TLP_GREEN],
    }
    for name, value in changes.items():
        if value is REMOVE:
            obj.pop(name, None)
        else:
            obj[name] = value
    return obj


def sdo(type_: str, **properties: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": f"{type_}--{UUID}", "created": STAMP, "modified": STAMP,
            **properties}


def test_a_valid_indicator_passes() -> None:
    assert validate(indicator()) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "indicator--1234"}, ["'id'", "UUID"]),
        ({"id": f"malware--{UUID}"}, ["'id'", "'indicator--'"]),
        ({"modified": "2015-01-01T00:00:00.000Z"}, ["'modified'", "'created'", "later than or equal to"]),
        ({"created": "2016-04-06 20:03:48.000Z"}, ["'created'", "RFC 3339"]),
        ({"created": "2016-04-06T20:03:48.000+02:00"}, ["'created'", "RFC 3339"]),
        ({"created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z"}, ["'created'", "millisecond"]),
        ({"valid_from": "2015-02-29T00:00:00Z"}, ["'valid_from'", "day is out of range"]),
        ({"valid_until": "2016-01-01T00:00:00Z"}, ["'valid_until'", "'valid_from'", "later than"]),
        ({"pattern": REMOVE}, ["'pattern'", "missing", "'indicator'"]),
        ({"pattern_type": 5}, ["'pattern_type'", "string"]),
        ({"pattern": "[file:hashes.'SHA-256' = ]"}, ["'pattern'", "STIX 2.1 pattern", "character 25"]),
        ({"pattern": "[file:hashes.MD5 = 'abc']"}, ["'pattern'", "MD5 hash"]),
        ({"pattern": "[file:size = 5] WITHIN 5 SECONDS WITHIN 6 SECONDS"}, ["'pattern'", "WITHIN", "twice"]),
        ({"created_by_ref": "identity--1234"}, ["'created_by_ref'", "identifier"]),
        ({"object_marking_refs": ["TLP:GREEN"]}, ["'object_marking_refs'", "identifiers"]),
        ({"spec_version": "2.0"}, ["'spec_version'", "STIX 2.0", "upgrade"]),
        ({"spec_version": REMOVE}, ["'spec_version'", "STIX 2.0", "upgrade"]),
        ({"spec_version": "2.2"}, ["'spec_version'", "'2.1'"]),
        ({"x_Acme_Score": 5}, ["'x_Acme_Score'", "property names"]),
        ({"x-acme-score": 5}, ["'x-acme-score'", "property names"]),
        ({"x_acme_score": None}, ["'x_acme_score'", "null"]),
        ({"x_acme_blob_bin": "not base64"}, ["'x_acme_blob_bin'"]),
        ({"severity": "high"}, ["'severity'", "reserved"]),
        ({"lang": "xx"}, ["'lang'", "language code"]),
        ({"confidence": 101}, ["'confidence'", "100"]),
        ({"indicator_types": []}, ["'indicator_types'", "empty"]),
        (
            {"external_references": [{"source_name": "acme", "url": "not a url"}]},
            ["'external_references[0].url'", "URI"],
        ),
        ({"external_references": [{"source_name": "cve", "external_id": "CVE-16-1"}]}, ["'external_references[0]'"]),
        (
            {"granular_markings": [{"marking_ref": TLP_GREEN, "selectors": ["kill_chain_phases"]}]},
            ["'granular_markings[0].selectors'", "'kill_chain_phases'"],
        ),
    ],
)
def test_each_violation_names_the_property_and_the_rule(changes: dict[str, Any], expected: list[str]) -> None:
    message = validate(indicator(**changes))
    assert message is not None
    for fragment in expected:
        assert fragment in message, message
    assert message.endswith(".")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ([indicator()], "not an array"),
        ("indicator", "not a string"),
        (None, "not null"),
        ({"id": f"indicator--{UUID}"}, "'type'"),
        (indicator(type="Indicator"), "'type'"),
        (indicator(type="a" * 300), "'type'"),
        (indicator(id=REMOVE), "'id'"),
    ],
)
def test_what_is_not_an_object_at_all(obj: object, expected: str) -> None:
    message = validate(obj)
    assert message is not None and message.startswith(("A STIX object must be", "Property", "The required")), message
    assert expected in message


def test_stix_2_0_content_is_refused_with_upgrade_advice() -> None:
    old = {"type": "attack-pattern", "id": f"attack-pattern--{UUID}", "created": STAMP, "modified": STAMP, "name": "x"}
    message = validate(old)
    assert message is not None and "STIX 2.0" in message and "upgrade" in message
    assert validate({**old, "spec_version": "2.1"}) is None
    bundle = {"type": "bundle", "id": f"bundle--{UUID}", "spec_version": "2.0", "objects": [old]}
    assert "STIX 2.0" in (validate(bundle) or "")


def test_cyber_observables_may_omit_spec_version() -> None:
    assert validate({"type": "ipv4-addr", "id": f"ipv4-addr--{UUID}", "value": "198.51.100.3"}) is None
    assert validate({"type": "x-acme-gadget", "id": f"x-acme-gadget--{UUID}", "serial": "1"}) is None


def test_custom_object_types_get_the_core_schema() -> None:
    assert validate(sdo("x-acme-campaign-note", x_acme_text="hello", labels=["x"])) is None
    assert "'created'" in (validate(sdo("x-acme-campaign-note", created="yesterday")) or "")
    assert "'x-acme-campaign-note--'" in (validate({**sdo("x-acme-campaign-note"), "id": f"indicator--{UUID}"}) or "")


def test_cyber_observable_rules() -> None:
    assert validate({"type": "process", "id": f"process--{UUID}", "pid": 4}) is None
    assert "version 4 UUID" in (validate({"type": "process", "id": f"process--{UUID5}", "pid": 4}) or "")
    assert "'mime_type'" in (validate({"type": "artifact", "id": f"artifact--{UUID}", "payload_bin": "QUJD",
                                       "mime_type": "application/x-acme"}) or "")
    assert validate({"type": "artifact", "id": f"artifact--{UUID}", "payload_bin": "QUJD",
                     "mime_type": "application/pdf"}) is None
    traffic = {"type": "network-traffic", "id": f"network-traffic--{UUID}", "protocols": ["tcp"],
               "src_ref": f"ipv4-addr--{UUID}", "start": "2016-01-02T00:00:00Z", "end": "2016-01-01T00:00:00Z"}
    assert "'end'" in (validate(traffic) or "")


def test_marking_definitions() -> None:
    own = f"marking-definition--{UUID}"
    statement = {"type": "marking-definition", "spec_version": "2.1", "id": own, "created": STAMP,
                 "definition_type": "statement", "definition": {"statement": "Copyright ACME"}}
    assert validate(statement) is None
    assert "'object_marking_refs'" in (validate({**statement, "object_marking_refs": [own]}) or "")
    tlp_white = {"type": "marking-definition", "spec_version": "2.1",
                 "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
                 "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:WHITE",
                 "definition": {"tlp": "white"}}
    assert validate(tlp_white) is None
    assert validate({**tlp_white, "name": "TLP:GREEN"}) is not None


def test_extensions_and_extension_definitions() -> None:
    definition = sdo("extension-definition", created_by_ref=f"identity--{UUID}", name="acme", schema="https://acme.example",
                     version="1.0", extension_types=["property-extension"])
    assert validate(definition) is None
    assert "'extension_types[0]'" in (validate({**definition, "extension_types": ["plugin"]}) or "")
    used = sdo("identity", name="ACME", extensions={f"extension-definition--{UUID}": {
        "extension_type": "property-extension", "rank": 5}})
    assert validate(used) is None
    assert "'extension_type'" in (validate(sdo("identity", name="ACME", extensions={
        f"extension-definition--{UUID}": {"rank": 5}})) or "")
    assert "'extensions'" in (validate(sdo("identity", name="ACME", extensions={"acme": {"rank": 5}})) or "")


def test_bundles_are_checked_object_by_object() -> None:
    bundle = {"type": "bundle", "id": f"bundle--{UUID}", "objects": [indicator(), sdo("identity", name="ACME")]}
    assert validate(bundle) is None
    bundle["objects"].append(sdo("identity"))
    message = validate(bundle) or ""
    assert message.startswith(f"Bundle object objects[2] (identity--{UUID}):") and "'name'" in message


def test_long_near_misses_take_linear_time() -> None:
    """The schemas' own expressions for type names and language tags backtrack catastrophically."""
    started = time.perf_counter()
    assert validate(sdo("identity", name="x", extensions={"a" * 5000 + "!-ext": {"x": 1}})) is not None
    assert validate({"type": "software", "id": f"software--{UUID}", "name": "x",
                     "languages": ["en" + "-aaaaa" * 5000 + "!"]}) is not None
    assert validate(indicator(pattern="[" + "(" * 5000)) is not None
    assert validate(indicator(pattern="[file:name = 'x'" + " " * 50000)) is not None
    assert time.perf_counter() - started < 2  # seconds, including compiling three schemas


def test_concurrent_first_use_gives_the_same_verdicts() -> None:
    objects = [indicator(), sdo("identity", name="x"), sdo("campaign", name="x"), sdo("tool", name="x"),
               sdo("threat-actor", name="x", threat_actor_types=["spy"]), sdo("note", content="x", object_refs=[
                   f"indicator--{UUID}"]), sdo("identity")] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(validate, objects))
    assert verdicts == [validate(obj) for obj in objects]
    assert sum(verdict is None for verdict in verdicts) == 6 * 8
