"""Attacks a hostile or careless partner would try on the hub, and the TAXII 2.1 MUSTs around them,
on SQLite and PostgreSQL: deletes, forged marking-definitions, versions of other producers'
objects, non-finite numbers, deep nesting, control characters, concurrent duplicates, time filters,
paging after TLP filtering and content negotiation. Policies: docs/sharing-hub.md."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.workbench import Workbench
from tests.support import serving

TAXII = "application/taxii+json;version=2.1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

#: who may do what on the one collection: (read, write, highest TLP); "bsi" holds no grant
GRANTS = {"india": (True, True, TLP.AMBER_STRICT), "usa": (True, True, TLP.AMBER),
          "japan": (True, False, TLP.GREEN), "china": (False, True, TLP.CLEAR)}
AGENCIES = {"india": "CERT-In", "usa": "agency:usa-cisa", "japan": "agency:jpn-jpcert", "china": "agency:chn-cncert",
            "bsi": "agency:deu-bsi"}


class Hub:
    def __init__(self, client: TestClient, keys: dict[str, str], collection: str) -> None:
        self.client, self.keys, self.collection = client, keys, collection
        self.objects = f"/taxii2/api/collections/{collection}/objects/"

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", "Accept": TAXII, **extra}

    def post(self, who: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.client.post(self.objects, json={"objects": objects},
                                    headers=self.headers(who, **{"Content-Type": TAXII}))
        assert response.status_code == 202, response.text
        return dict(response.json())

    def post_raw(self, who: str, body: bytes) -> httpx.Response:
        return self.client.post(self.objects, content=body, headers=self.headers(who, **{"Content-Type": TAXII}))

    def get(self, who: str, path: str = "", **params: Any) -> httpx.Response:
        return self.client.get(self.objects + path, params=params, headers=self.headers(who))

    def seen(self, who: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(who, **params)
        assert response.status_code == 200, response.text
        return list(response.json().get("objects", []))

    def delete(self, who: str, object_id: str, **params: Any) -> httpx.Response:
        return self.client.delete(f"{self.objects}{object_id}/", params=params, headers=self.headers(who))


def indicator(*markings: str, name: str = "x", modified: str = "2024-01-01T00:00:00.000Z",
              object_id: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": object_id or f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z", "modified": modified, "name": name,
        "pattern": "[ipv4-addr:value = '198.51.100.9']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    if markings:
        obj["object_marking_refs"] = list(markings)
    return obj


def statement(text: str, *markings: str, object_id: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "marking-definition", "spec_version": "2.1",
                           "id": object_id or f"marking-definition--{uuid.uuid4()}",
                           "created": "2024-01-01T00:00:00.000Z", "definition_type": "statement",
                           "definition": {"statement": text}}
    if markings:
        obj["object_marking_refs"] = list(markings)
    return obj


def is_taxii_error(response: httpx.Response, status: int) -> bool:
    return (response.status_code == status and response.headers["content-type"].startswith("application/taxii+json")
            and isinstance(response.json().get("title"), str))


@pytest.fixture
def hub(workbench: Workbench) -> Iterator[Hub]:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        for agency in AGENCIES.values():
            sharing.add_partner(connection, agency)
        collection = sharing.add_collection(connection, "exchange", "Exchange")["id"]
        keys = {who: sharing.issue_key(connection, sharing_id(agency)) for who, agency in AGENCIES.items()}
        for who, (read, write, ceiling) in GRANTS.items():
            sharing.grant(connection, sharing_id(AGENCIES[who]), "exchange", read=read, write=write, max_tlp=ceiling)
    with TestClient(create_app(workbench)) as client:
        yield Hub(client, keys, collection)


def sharing_id(agency: str) -> str:
    return {"CERT-In": "partner:ind-cert-in"}.get(agency, "partner:" + agency.split(":", 1)[-1])


# ---------------------------------------------------------------------------------------------
# DELETE (TAXII 2.1 §5.7)


def test_only_the_producer_deletes_and_hidden_objects_are_not_found(hub: Hub, workbench: Workbench) -> None:
    green, strict = indicator(GREEN), indicator(STRICT)
    hub.post("india", [green, strict])
    assert is_taxii_error(hub.delete("china", green["id"]), 403)  # may write, may not read
    assert is_taxii_error(hub.delete("japan", green["id"]), 403)  # may read, may not write
    assert is_taxii_error(hub.delete("usa", green["id"]), 403)  # sees it, did not send it
    hidden = hub.delete("usa", strict["id"])  # AMBER+STRICT: only india sees it
    absent = hub.delete("usa", f"indicator--{uuid.uuid4()}")
    assert is_taxii_error(hidden, 404) and is_taxii_error(absent, 404)
    assert hidden.json()["description"].replace(strict["id"], "?") == absent.json()["description"].split(
        "indicator--")[0] + "?" + absent.json()["description"].split("indicator--")[1][36:]
    assert is_taxii_error(hub.delete("bsi", green["id"]), 404)  # no grant: the collection does not exist for it
    assert [o["id"] for o in hub.seen("india")] == [green["id"], strict["id"]]  # nothing was deleted
    assert hub.delete("india", green["id"]).status_code == 200
    assert hub.delete("india", strict["id"]).status_code == 200
    assert hub.seen("india") == []
    with workbench.reading() as connection:
        outcomes = [e["outcome"] for e in sharing.audit_log(connection) if e["action"] == "delete-object"]
        assert sharing.verify_audit(connection).intact
    assert outcomes.count("denied: needs read and write") == 2 and "denied: not its producer" in outcomes
    assert outcomes.count("not found") == 2 and outcomes.count("1 version(s)") == 2


def test_delete_by_version_removes_only_that_version(hub: Hub) -> None:
    v1 = indicator(GREEN, name="v1")
    v2 = {**v1, "modified": "2024-06-01T00:00:00.000Z", "name": "v2"}
    assert hub.post("india", [v1, v2])["success_count"] == 2
    assert hub.delete("india", v1["id"], **{"match[version]": "last"}).status_code == 200
    assert [o["name"] for o in hub.seen("japan")] == ["v1"]
    assert hub.delete("india", v1["id"], **{"match[version]": "2024-01-01T00:00:00Z"}).status_code == 200
    assert is_taxii_error(hub.get("japan", f"{v1['id']}/"), 404)


# ---------------------------------------------------------------------------------------------
# Markings


def test_a_partner_cannot_vouch_for_another_partners_unknown_marking(hub: Hub) -> None:
    secret_marking = f"marking-definition--{uuid.uuid4()}"
    withheld = indicator(secret_marking, name="india's, under india's own marking")
    hub.post("india", [withheld])
    laundering = hub.post("usa", [statement("free for all", object_id=secret_marking)])
    assert laundering["success_count"] == 1
    for reader in ("usa", "japan"):
        assert withheld["id"] not in {o["id"] for o in hub.seen(reader)}
        assert is_taxii_error(hub.get(reader, f"{withheld['id']}/"), 404)


def test_a_producers_own_statement_marking_makes_its_objects_shareable(hub: Hub) -> None:
    own = statement("shared under the bilateral framework")
    early = indicator(own["id"], name="sent before its marking")
    hub.post("india", [early])
    assert early["id"] not in {o["id"] for o in hub.seen("japan")}
    hub.post("india", [own, indicator(own["id"], name="sent with it")])
    assert {o["name"] for o in hub.seen("japan") if o["type"] == "indicator"} == {"sent before its marking",
                                                                                 "sent with it"}


def test_a_marking_definition_is_marked_like_any_object(hub: Hub) -> None:
    red = statement("for the eyes of the hub only", RED)
    amber = statement("amber statement", AMBER)
    hub.post("india", [red, amber])
    assert {o["id"] for o in hub.seen("usa")} == {amber["id"]}
    assert hub.seen("japan") == []
    assert is_taxii_error(hub.get("usa", f"{red['id']}/"), 404)


def test_predefined_tlp_markings_sent_by_partners_are_not_stored(hub: Hub) -> None:
    forged_red = {"type": "marking-definition", "spec_version": "2.1", "id": RED, "created": "2022-10-01T00:00:00Z",
                  "definition_type": "statement", "definition": {"statement": "actually anyone may read this"}}
    status = hub.post("usa", [forged_red, indicator(RED, name="red")])
    assert status["success_count"] == 2
    assert hub.seen("india") == []  # neither the forged definition nor the RED object leaves the hub


# ---------------------------------------------------------------------------------------------
# Versions


def test_only_the_producer_publishes_new_versions(hub: Hub) -> None:
    original = indicator(GREEN, name="india's")
    hub.post("india", [original])
    hijack = {**original, "modified": "2025-01-01T00:00:00.000Z", "name": "usa's", "revoked": True}
    status = hub.post("usa", [hijack])
    assert status["success_count"] == 0 and status["failures"][0]["id"] == original["id"]
    assert "first shared in this collection by another producer" in status["failures"][0]["message"]
    assert [o["name"] for o in hub.seen("japan")] == ["india's"]
    update = {**original, "modified": "2025-02-01T00:00:00.000Z", "name": "india's update"}
    assert hub.post("india", [update])["success_count"] == 1
    assert [o["name"] for o in hub.seen("japan")] == ["india's update"]


def test_versions_are_ordered_by_time_whatever_their_precision(hub: Hub) -> None:
    # as text, "...00.000Z" sorts after "...00.0005Z" ('Z' > '5'); in time it is half a millisecond before
    whole = indicator(GREEN, name="on the second", modified="2024-03-01T00:00:00.000Z")
    later = {**whole, "name": "half a millisecond later", "modified": "2024-03-01T00:00:00.0005Z"}
    same = {**whole, "name": "the first version written with microseconds", "modified": "2024-03-01T00:00:00.000000Z"}
    status = hub.post("india", [later, whole, same])
    assert status["success_count"] == 3, status
    assert [o["name"] for o in hub.seen("japan")] == ["half a millisecond later"]
    first = hub.get("japan", f"{whole['id']}/", **{"match[version]": "first"}).json()["objects"]
    assert [o["name"] for o in first] == ["on the second"]  # the .000000Z copy was the same version
    versions = hub.get("japan", f"{whole['id']}/versions/").json()["versions"]
    assert versions == ["2024-03-01T00:00:00.000Z", "2024-03-01T00:00:00.0005Z"]
    exact = hub.get("japan", f"{whole['id']}/", **{"match[version]": "2024-03-01T00:00:00.000500Z"}).json()
    assert [o["name"] for o in exact["objects"]] == ["half a millisecond later"]


# ---------------------------------------------------------------------------------------------
# Hostile documents


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused_and_nothing_is_stored(hub: Hub, number: str) -> None:
    body = ('{"objects":[' + json.dumps(indicator(GREEN))[:-1] + ', "x_confidence": ' + number + "}]}").encode()
    response = hub.post_raw("india", body)
    assert is_taxii_error(response, 400) and "finite" in response.json()["description"]
    assert hub.seen("india") == []
    page = hub.get("japan")
    assert page.status_code == 200 and json.loads(page.text) == {"more": False}


@pytest.mark.parametrize("depth", [150, 1000, 100_000])
def test_deep_nesting_is_refused_with_a_taxii_error(hub: Hub, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = ('{"objects":[' + json.dumps(indicator(GREEN))[:-1] + ', "x_deep": ' + nested + "}]}").encode()
    response = hub.post_raw("india", body)
    assert is_taxii_error(response, 400) and "nested more than 100 levels" in response.json()["description"]
    assert hub.seen("india") == []


def test_control_characters_in_ids_filters_and_objects_never_fail_the_server(hub: Hub) -> None:
    for path, params in ((f"indicator--{uuid.uuid4()}%00/", {}), ("", {"match[id]": "indicator--\x00"}),
                         ("", {"match[type]": "indicator\x00"}), ("", {"added_after": "2024-01-01T00:00:00Z\x00"})):
        assert is_taxii_error(hub.get("india", path, **params), 400), (path, params)
    assert is_taxii_error(hub.delete("india", "indicator--%00"), 400)
    status = hub.post("india", [{**indicator(GREEN), "id": "indicator--\x00bad"},
                                {**indicator(GREEN), "name": "a name with \x00 inside"}])
    assert status["failure_count"] == 1 and "\x00" not in json.dumps(status["failures"])
    assert [o["name"] for o in hub.seen("japan")] == ["a name with \x00 inside"]


# ---------------------------------------------------------------------------------------------
# Time filters, empty pages and paging after TLP filtering


def test_added_after_compares_times_not_text(hub: Hub) -> None:
    obj = indicator(GREEN)
    hub.post("india", [obj])
    added = hub.get("japan", f"{obj['id']}/").headers["X-TAXII-Date-Added-First"]
    whole_second = added[:19] + "Z"  # e.g. 12:00:00Z, just before 12:00:00.123456Z
    assert [o["id"] for o in hub.seen("japan", added_after=whole_second)] == [obj["id"]]
    assert hub.seen("japan", added_after=added) == []
    assert hub.seen("japan", added_after=added[:-1] + "1Z") == []  # 7 digits, after it
    assert is_taxii_error(hub.get("japan", added_after="2024-13-01T00:00:00Z"), 400)


def test_an_empty_page_has_no_objects_list_and_keeps_the_position(hub: Hub) -> None:
    assert json.loads(hub.get("japan").text) == {"more": False}
    since = "2030-01-01T00:00:00Z"
    empty = hub.get("japan", added_after=since)
    assert json.loads(empty.text) == {"more": False}
    assert empty.headers["X-TAXII-Date-Added-First"] == empty.headers["X-TAXII-Date-Added-Last"] \
        == "2030-01-01T00:00:00.000000Z"
    manifest = hub.client.get(hub.objects.replace("objects/", "manifest/"), headers=hub.headers("japan"))
    assert json.loads(manifest.text) == {"more": False}


def test_pages_are_full_after_tlp_filtering(hub: Hub) -> None:
    visible = [indicator(GREEN, name=f"green {i}") for i in range(7)]
    mixed = []
    for i, obj in enumerate(visible):
        mixed += [obj, indicator(AMBER, name=f"amber {i}"), indicator(RED, name=f"red {i}")]
    hub.post("india", mixed)
    names, cursor, pages = [], None, []
    while True:
        params: dict[str, Any] = {"limit": 3, **({"next": cursor} if cursor else {})}
        body = hub.get("japan", **params).json()
        pages.append((len(body.get("objects", [])), body["more"]))
        names += [o["name"] for o in body.get("objects", [])]
        cursor = body.get("next")
        if not body["more"]:
            break
    assert names == [o["name"] for o in visible]
    assert pages == [(3, True), (3, True), (1, False)]
    exactly = hub.get("japan", limit=7).json()
    assert len(exactly["objects"]) == 7 and exactly["more"] is False


# ---------------------------------------------------------------------------------------------
# Protocol MUSTs


def test_unknown_paths_and_methods_answer_taxii_errors(hub: Hub) -> None:
    headers = hub.headers("india")
    assert is_taxii_error(hub.client.get("/taxii2/nowhere/", headers=headers), 404)
    assert is_taxii_error(hub.client.get("/taxii2/api/collections/x/y/z/w/", headers=headers), 404)
    put = hub.client.put(hub.objects, content=b"{}", headers=headers)
    assert is_taxii_error(put, 405) and "allow" in put.headers
    assert is_taxii_error(hub.client.patch(f"{hub.objects}indicator--{uuid.uuid4()}/", headers=headers), 405)


def test_parameters_and_media_types_are_read_exactly(hub: Hub) -> None:
    assert is_taxii_error(hub.client.get(hub.objects + "?limit=1&limit=2", headers=hub.headers("japan")), 400)
    assert is_taxii_error(hub.client.get(hub.objects + "?match[type]=indicator&match[type]=malware",
                                         headers=hub.headers("japan")), 400)
    for accept in ("application/taxii+json;version=2.1;q=0", "application/taxii+json;version=2.10",
                   "application/taxii+json;version=2.1;q=0, text/html"):
        response = hub.client.get(hub.objects, headers={**hub.headers("japan"), "Accept": accept})
        assert is_taxii_error(response, 406), accept
    for accept in ("application/taxii+json", "application/taxii+json; version=2.1; q=0.5", "*/*"):
        assert hub.client.get(hub.objects, headers={**hub.headers("japan"), "Accept": accept}).status_code == 200
    wrong_version = hub.client.post(hub.objects, content=b'{"objects":[]}', headers=hub.headers(
        "india", **{"Content-Type": "application/taxii+json;version=2.10"}))
    assert is_taxii_error(wrong_version, 415)


# ---------------------------------------------------------------------------------------------
# Concurrency, over a real socket


def test_concurrent_envelopes_holding_the_same_new_objects(workbench: Workbench, hub: Hub) -> None:
    objects = [indicator(GREEN, name=f"shared {i}") for i in range(5)]
    body = json.dumps({"objects": objects}).encode()
    with serving(create_app(workbench)) as port:
        url = f"http://127.0.0.1:{port}{hub.objects}"

        def send(_: int) -> tuple[int, int]:
            with httpx.Client(timeout=60) as client:
                response = client.post(url, content=body, headers=hub.headers("india", **{"Content-Type": TAXII}))
                return response.status_code, response.json().get("success_count", -1)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(send, range(40)))
    assert outcomes == [(202, 5)] * 40
    assert sorted(o["name"] for o in hub.seen("japan")) == sorted(o["name"] for o in objects)
    with workbench.reading() as connection:
        assert sharing.verify_audit(connection).intact



# ---------------------------------------------------------------------------------------------
# Access held in memory: an operator's change applies to the very next request


def test_revoked_keys_and_changed_grants_apply_to_the_next_request(hub: Hub, workbench: Workbench) -> None:
    obj = indicator(AMBER)
    hub.post("india", [obj])
    assert [o["id"] for o in hub.seen("usa")] == [obj["id"]]
    with workbench.writing() as connection:  # as `cyberdip share grant` would, from another process
        sharing.grant(connection, "partner:usa-cisa", "exchange", read=True, write=True, max_tlp=TLP.GREEN)
    assert hub.seen("usa") == []
    with workbench.writing() as connection:
        key_id = hub.keys["usa"].split("_")[1]
        sharing.revoke_key(connection, key_id)
    assert is_taxii_error(hub.get("usa"), 401)
    with workbench.writing() as connection:
        hub.keys["usa"] = sharing.issue_key(connection, "partner:usa-cisa")
    assert hub.get("usa").status_code == 200


# ---------------------------------------------------------------------------------------------
# The hub's operators


def test_operators_publish_markings_for_everyone_and_delete_anything(hub: Hub, database_url: str,
                                                                     tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from cyberdip.interfaces.cli.main import app

    def cli(*args: str) -> tuple[int, Any]:
        result = CliRunner().invoke(app, ["share", *args, "--json"], env={"CYBERDIP_DB": database_url})
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None

    framework = statement("shared under the framework; no further release")
    cited = indicator(framework["id"], name="cites the operators' marking")
    hub.post("usa", [cited])
    assert cited["id"] not in {o["id"] for o in hub.seen("japan")}
    bundle = tmp_path / "markings.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [framework]}))
    code, published = cli("publish", "exchange", str(bundle))
    assert code == 0 and published["success_count"] == 1
    assert {o["name"] for o in hub.seen("japan") if o["type"] == "indicator"} == {"cites the operators' marking"}

    code, removed = cli("object", "delete", "exchange", cited["id"])
    assert code == 0 and removed["removed"] == 1
    assert is_taxii_error(hub.get("usa", f"{cited['id']}/"), 404)
    code, log = cli("audit", "show")
    assert code == 0 and [e["action"] for e in log if e["partner_id"] is None][-2:] == ["publish", "operator-delete"]

    hostile = tmp_path / "nan.json"
    hostile.write_text('[{"type": "indicator", "x": NaN}]')
    code, refused = cli("publish", "exchange", str(hostile))
    assert code == 2 and "nan.json" in " ".join(refused["problems"]) and "finite" in " ".join(refused["problems"])
    code, missing = cli("object", "delete", "exchange", f"indicator--{uuid.uuid4()}")
    assert code == 2 and "no such object" in " ".join(missing["problems"])
