"""The TAXII 2.1 hub in-process: grants and TLP decide what each partner sees, on every read path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.workbench import Workbench

TAXII = "application/taxii+json;version=2.1"
MARK = {"clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}


def indicator(level: str | None, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": name,
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    if level == "unknown":
        obj["object_marking_refs"] = [f"marking-definition--{uuid.uuid4()}"]
    elif level:
        obj["object_marking_refs"] = [MARK[level]]
    return obj


@pytest.fixture
def hub(workbench: Workbench) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        for agency in ("CERT-In", "agency:usa-cisa", "agency:chn-cncert"):
            sharing.add_partner(connection, agency)
        collection = sharing.add_collection(connection, "cert-exchange", "CERT exchange")
        sharing.add_collection(connection, "hidden", "Nobody's")
        keys = {p: sharing.issue_key(connection, p) for p in ("partner:ind-cert-in", "partner:usa-cisa",
                                                               "partner:chn-cncert")}
        sharing.grant(connection, "partner:ind-cert-in", "cert-exchange", read=True, write=True,
                      max_tlp=TLP.AMBER_STRICT)
        sharing.grant(connection, "partner:usa-cisa", "cert-exchange", read=True, write=False, max_tlp=TLP.GREEN)
    with TestClient(create_app(workbench)) as client:
        yield client, keys, collection["id"]


def headers(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": TAXII, **extra}


def post(client: TestClient, key: str, collection: str, objects: list[dict[str, Any]]) -> Any:
    return client.post(f"/taxii2/api/collections/{collection}/objects/", json={"objects": objects},
                       headers=headers(key, **{"Content-Type": TAXII}))


def test_tlp_decides_what_each_partner_sees_on_every_read_path(hub: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, collection = hub
    india, usa, china = keys["partner:ind-cert-in"], keys["partner:usa-cisa"], keys["partner:chn-cncert"]
    objects = {level: indicator(level, level) for level in ("clear", "green", "amber", "amber+strict", "red",
                                                            "unknown")}
    status = post(client, india, collection, list(objects.values()))
    assert status.status_code == 202 and status.json()["success_count"] == 6

    def seen(key: str, path: str = "objects") -> set[str]:
        response = client.get(f"/taxii2/api/collections/{collection}/{path}/", headers=headers(key))
        assert response.status_code == 200, response.text
        return {o["id"] for o in response.json().get("objects", [])}

    ids = {level: obj["id"] for level, obj in objects.items()}
    assert seen(india) == {ids["clear"], ids["green"], ids["amber"], ids["amber+strict"]}  # own AMBER+STRICT
    assert seen(usa) == {ids["clear"], ids["green"]}
    assert seen(usa, "manifest") == {ids["clear"], ids["green"]}
    for level in ("amber", "amber+strict", "red", "unknown"):
        response = client.get(f"/taxii2/api/collections/{collection}/objects/{ids[level]}/", headers=headers(usa))
        assert response.status_code == 404, level
    assert client.get(f"/taxii2/api/collections/{collection}/objects/", headers=headers(china)).status_code == 404
    listed = client.get("/taxii2/api/collections/", headers=headers(usa)).json()["collections"]
    assert [c["alias"] for c in listed] == ["cert-exchange"] and listed[0]["can_write"] is False


def test_writes_need_a_write_grant_and_duplicates_are_idempotent(hub: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, collection = hub
    obj = indicator("green", "dup")
    assert post(client, keys["partner:usa-cisa"], collection, [obj]).status_code == 403
    no_pattern = {k: v for k, v in indicator("green", "broken").items() if k != "pattern"}
    first = post(client, keys["partner:ind-cert-in"], collection,
                 [obj, {"type": "indicator", "spec_version": "2.0"}, no_pattern])
    assert first.json()["success_count"] == 1 and first.json()["failure_count"] == 2
    reasons = {f["id"]: f["message"] for f in first.json()["failures"]}
    assert "STIX 2.0" in reasons["objects[1]"] and "upgrade" in reasons["objects[1]"]
    assert "pattern" in reasons[no_pattern["id"]]
    again = post(client, keys["partner:ind-cert-in"], collection, [obj])
    assert again.json()["success_count"] == 1
    newer = {**obj, "modified": "2024-06-01T00:00:00.000Z", "name": "dup v2"}
    post(client, keys["partner:ind-cert-in"], collection, [newer])
    everything = client.get(f"/taxii2/api/collections/{collection}/objects/", headers=headers(keys["partner:usa-cisa"]))
    assert [o["name"] for o in everything.json()["objects"]] == ["dup v2"]  # match[version]=last by default
    status_id = first.json()["id"]
    mine = client.get(f"/taxii2/api/status/{status_id}/", headers=headers(keys["partner:ind-cert-in"]))
    assert mine.status_code == 200
    assert client.get(f"/taxii2/api/status/{status_id}/", headers=headers(keys["partner:usa-cisa"])).status_code == 404


def test_paging_with_signed_cursors_bound_to_partner(hub: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, collection = hub
    post(client, keys["partner:ind-cert-in"], collection, [indicator("clear", str(i)) for i in range(5)])
    url = f"/taxii2/api/collections/{collection}/objects/"
    first = client.get(url, params={"limit": 2}, headers=headers(keys["partner:usa-cisa"]))
    body = first.json()
    assert body["more"] is True and len(body["objects"]) == 2 and "X-TAXII-Date-Added-First" in first.headers
    seen = [o["id"] for o in body["objects"]]
    cursor = body["next"]
    while cursor:
        page = client.get(url, params={"limit": 2, "next": cursor}, headers=headers(keys["partner:usa-cisa"])).json()
        seen += [o["id"] for o in page["objects"]]
        cursor = page.get("next")
    assert len(seen) == len(set(seen)) == 5
    replayed = client.get(url, params={"next": body["next"]}, headers=headers(keys["partner:ind-cert-in"]))
    assert replayed.status_code == 400 and replayed.json()["title"] == "Bad Request"
    tampered = client.get(url, params={"next": body["next"][:-2] + "AA"}, headers=headers(keys["partner:usa-cisa"]))
    assert tampered.status_code == 400


def test_protocol_errors_use_the_taxii_envelope(hub: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, collection = hub
    assert client.get("/taxii2/").status_code == 401
    bad_key = client.get("/taxii2/", headers={"Authorization": "Bearer cdk_x_y", "Accept": TAXII})
    assert bad_key.status_code == 401 and bad_key.json()["http_status"] == "401"
    key = keys["partner:usa-cisa"]
    assert client.get("/taxii2/", headers=headers(key)).json()["api_roots"] == ["/taxii2/api/"]
    wrong = client.get("/taxii2/", headers={"Authorization": f"Bearer {key}", "Accept": "text/html"})
    assert wrong.status_code == 406 and wrong.headers["content-type"].startswith("application/taxii+json")
    url = f"/taxii2/api/collections/{collection}/objects/"
    assert client.get(url, params={"added_after": "yesterday"}, headers=headers(key)).status_code == 400
    assert client.get(url, params={"colour": "red"}, headers=headers(key)).status_code == 400
    media = client.post(url, json={"objects": []}, headers={**headers(keys["partner:ind-cert-in"]),
                                                            "Content-Type": "application/json"})
    assert media.status_code == 415
    hostile = client.post(url, content=b"{not json", headers={**headers(keys["partner:ind-cert-in"]),
                                                              "Content-Type": TAXII})
    assert hostile.status_code == 400 and "not JSON" in hostile.json()["description"]


def test_every_read_and_write_is_audited(hub: tuple[TestClient, dict[str, str], str], workbench: Workbench) -> None:
    client, keys, collection = hub
    post(client, keys["partner:ind-cert-in"], collection, [indicator("green", "audited")])
    client.get(f"/taxii2/api/collections/{collection}/objects/", headers=headers(keys["partner:usa-cisa"]))
    with workbench.reading() as connection:
        given = sharing.audit_log(connection, "partner:usa-cisa")
        assert sharing.verify_audit(connection).intact
    assert any(e["action"] == "get-objects" and e["object_ids"] for e in given)


def test_versions_match_version_and_delete(hub: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, collection = hub
    india, usa = keys["partner:ind-cert-in"], keys["partner:usa-cisa"]
    v1 = indicator("green", "v1")
    v2 = {**v1, "modified": "2024-06-01T00:00:00.000Z", "name": "v2"}
    post(client, india, collection, [v1, v2])
    base = f"/taxii2/api/collections/{collection}/objects/{v1['id']}/"
    versions = client.get(base + "versions/", headers=headers(usa)).json()["versions"]
    assert versions == ["2024-01-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"]
    first = client.get(base, params={"match[version]": "first"}, headers=headers(usa)).json()["objects"]
    assert [o["name"] for o in first] == ["v1"]
    both = client.get(base, params={"match[version]": "all"}, headers=headers(usa)).json()["objects"]
    assert len(both) == 2
    assert client.get(base, params={"match[version]": "soon"}, headers=headers(usa)).status_code == 400
    assert client.delete(base, headers=headers(usa)).status_code == 403
    assert client.delete(base, params={"match[version]": "2024-01-01T00:00:00.000Z"},
                         headers=headers(india)).status_code == 200
    assert client.get(base + "versions/", headers=headers(usa)).json()["versions"] == ["2024-06-01T00:00:00.000Z"]
    stix20 = {k: v for k, v in indicator("green", "old").items() if k != "spec_version"}
    refused = post(client, india, collection, [stix20]).json()
    assert refused["failure_count"] == 1 and "STIX 2.0" in refused["failures"][0]["message"]
