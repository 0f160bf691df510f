"""The authorization matrix: partners × collections × TLP markings × every read and write path.

An independent oracle states, from the grants alone, which objects each partner may see; every
read path (objects, manifest, object by id, versions, paging one object at a time) must return
exactly that set, and every write path must follow the write grants. Cursors replayed by another
partner or on another collection, tampered cursors and other partners' status ids leak nothing.
Refused attempts are audited too, and the audit chain stays intact under concurrent clients.
"""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_instance

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.errors import DataError
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.workbench import Workbench
from tests.support import serving

TAXII = "application/taxii+json;version=2.1"
MARKINGS = {"clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            "white-1.0": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            "amber-1.0": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"}

#: partner → (collection alias → (read, write, highest TLP)); "none" holds no grant at all
GRANTS: dict[str, dict[str, tuple[bool, bool, TLP]]] = {
    "partner:ind-cert-in": {"exchange": (True, True, TLP.AMBER_STRICT), "feed": (True, True, TLP.GREEN)},
    "partner:usa-cisa": {"exchange": (True, True, TLP.AMBER)},
    "partner:jpn-jpcert": {"exchange": (True, False, TLP.GREEN)},
    "partner:chn-cncert": {"exchange": (False, True, TLP.CLEAR)},  # may write, may not read
    "partner:deu-bsi": {},
}
AGENCIES = {"partner:ind-cert-in": "CERT-In", "partner:usa-cisa": "agency:usa-cisa",
            "partner:jpn-jpcert": "agency:jpn-jpcert", "partner:chn-cncert": "agency:chn-cncert",
            "partner:deu-bsi": "agency:deu-bsi"}
RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}


@dataclasses.dataclass(frozen=True)
class Sent:
    obj: dict[str, Any]
    level: str  # strictest TLP, or "unknown"
    producer: str
    collection: str


def stix_object(markings: list[str], granular: list[str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "matrix",
        "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    if markings:
        obj["object_marking_refs"] = markings
    if granular:
        obj["granular_markings"] = [{"marking_ref": ref, "selectors": ["name"]} for ref in granular]
    return obj


#: each kind of object once: (what it carries, the strictest level an oracle derives from it)
KINDS: list[tuple[list[str], list[str] | None, str]] = [
    ([], None, "clear"),
    ([MARKINGS["clear"]], None, "clear"),
    ([MARKINGS["white-1.0"]], None, "clear"),
    ([MARKINGS["green"]], None, "green"),
    ([MARKINGS["amber"]], None, "amber"),
    ([MARKINGS["amber-1.0"]], None, "amber"),
    ([MARKINGS["amber+strict"]], None, "amber+strict"),
    ([MARKINGS["red"]], None, "red"),
    ([MARKINGS["clear"]], [MARKINGS["amber"]], "amber"),  # a granular marking counts
    ([f"marking-definition--{uuid.uuid4()}"], None, "unknown"),  # a marking the hub does not know
    ([MARKINGS["green"], MARKINGS["red"]], None, "red"),
]


def oracle(partner: str, item: Sent) -> bool:
    """May ``partner`` see ``item``? Stated from the grants, independently of the server's code."""
    grant = GRANTS[partner].get(item.collection)
    if not grant or not grant[0] or item.level in ("unknown", "red"):
        return False
    if item.level == "amber+strict" and item.producer != partner:
        return False
    ceiling = grant[2].value
    return RANK[item.level] <= RANK[ceiling]


@pytest.fixture
def matrix(workbench: Workbench) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]]:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        for agency in AGENCIES.values():
            sharing.add_partner(connection, agency)
        collections = {alias: sharing.add_collection(connection, alias, alias.title())["id"]
                       for alias in ("exchange", "feed", "hidden")}
        keys = {partner: sharing.issue_key(connection, partner) for partner in GRANTS}
        for partner, grants in GRANTS.items():
            for alias, (read, write, ceiling) in grants.items():
                sharing.grant(connection, partner, alias, read=read, write=write, max_tlp=ceiling)
    sent: list[Sent] = []
    with TestClient(create_app(workbench)) as client:
        for producer, alias in (("partner:ind-cert-in", "exchange"), ("partner:usa-cisa", "exchange"),
                                ("partner:chn-cncert", "exchange"), ("partner:ind-cert-in", "feed")):
            objects = [stix_object(refs, granular) for refs, granular, _ in KINDS]
            response = client.post(f"/taxii2/api/collections/{collections[alias]}/objects/",
                                   json={"objects": objects}, headers=auth(keys[producer], **{"Content-Type": TAXII}))
            assert response.status_code == 202 and response.json()["success_count"] == len(KINDS), response.text
            sent += [Sent(o, level, producer, alias) for o, (_, _, level) in zip(objects, KINDS, strict=True)]
        yield client, keys, collections, sent


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": TAXII, **extra}


def test_every_read_path_returns_exactly_what_the_grants_allow(
        matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]) -> None:
    client, keys, collections, sent = matrix
    for partner, key in keys.items():
        for alias, collection in collections.items():
            expected = {s.obj["id"] for s in sent if s.collection == alias and oracle(partner, s)}
            base = f"/taxii2/api/collections/{collection}"
            readable = GRANTS[partner].get(alias, (False, False, TLP.CLEAR))[0]
            listing = client.get(f"{base}/objects/", headers=auth(key))
            if not readable:
                assert listing.status_code in (403, 404), (partner, alias)
                assert client.get(f"{base}/manifest/", headers=auth(key)).status_code in (403, 404)
            else:
                assert {o["id"] for o in listing.json()["objects"]} == expected, (partner, alias)
                manifest = client.get(f"{base}/manifest/", headers=auth(key)).json()["objects"]
                assert {m["id"] for m in manifest} == expected, (partner, alias)
                paged, cursor = set(), None
                while True:
                    params: dict[str, Any] = {"limit": 1, **({"next": cursor} if cursor else {})}
                    body = client.get(f"{base}/objects/", params=params, headers=auth(key)).json()
                    paged |= {o["id"] for o in body["objects"]}
                    cursor = body.get("next")
                    if not body["more"]:
                        break
                assert paged == expected, (partner, alias)
            for item in (s for s in sent if s.collection == alias):
                one = client.get(f"{base}/objects/{item.obj['id']}/", headers=auth(key))
                versions = client.get(f"{base}/objects/{item.obj['id']}/versions/", headers=auth(key))
                visible = item.obj["id"] in expected
                assert (one.status_code == 200) is visible, (partner, alias, item.level, item.producer)
                assert (versions.status_code == 200) is visible, (partner, alias, item.level)
                if not visible:
                    assert item.obj["name"] not in one.text or one.status_code != 200


def test_everything_the_server_emits_is_valid_stix(
        matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]) -> None:
    client, keys, collections, _ = matrix
    emitted: dict[str, dict[str, Any]] = {}
    for key in keys.values():
        for collection in collections.values():
            response = client.get(f"/taxii2/api/collections/{collection}/objects/", headers=auth(key))
            if response.status_code == 200:
                emitted.update({o["id"]: o for o in response.json()["objects"]})
    assert emitted
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(emitted.values())}
    result = validate_instance(bundle, ValidationOptions(version="2.1", strict=False))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors][:5]


def test_collection_lists_show_only_what_a_partner_may_use(
        matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]) -> None:
    client, keys, collections, _ = matrix
    for partner, key in keys.items():
        listed = {c["alias"]: (c["can_read"], c["can_write"])
                  for c in client.get("/taxii2/api/collections/", headers=auth(key)).json()["collections"]}
        assert listed == {alias: grant[:2] for alias, grant in GRANTS[partner].items()}, partner
        assert client.get(f"/taxii2/api/collections/{collections['hidden']}/", headers=auth(key)).status_code == 404


def test_writes_and_deletes_follow_grants_and_producers(
        matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]) -> None:
    client, keys, collections, sent = matrix
    for partner, key in keys.items():
        for alias, collection in collections.items():
            writable = GRANTS[partner].get(alias, (False, False, TLP.CLEAR))[1]
            response = client.post(f"/taxii2/api/collections/{collection}/objects/",
                                   json={"objects": [stix_object([MARKINGS["green"]])]},
                                   headers=auth(key, **{"Content-Type": TAXII}))
            assert (response.status_code == 202) is writable, (partner, alias, response.status_code)
    victim = next(s for s in sent if s.collection == "exchange" and s.level == "green")
    url = f"/taxii2/api/collections/{collections['exchange']}/objects/{victim.obj['id']}/"
    assert client.delete(url, headers=auth(keys["partner:jpn-jpcert"])).status_code == 403  # reads only
    assert client.delete(url, headers=auth(keys["partner:chn-cncert"])).status_code == 403  # writes only
    assert client.delete(url, headers=auth(keys["partner:deu-bsi"])).status_code == 404  # no grant at all
    others = [p for p in ("partner:usa-cisa", "partner:ind-cert-in") if p != victim.producer]
    assert client.delete(url, headers=auth(keys[others[0]])).status_code == 403  # sees it, did not send it
    assert client.get(url, headers=auth(keys["partner:jpn-jpcert"])).status_code == 200  # still there
    assert client.delete(url, headers=auth(keys[victim.producer])).status_code == 200
    assert client.get(url, headers=auth(keys["partner:jpn-jpcert"])).status_code == 404


def test_cursors_and_status_ids_do_not_travel(
        matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]]) -> None:
    client, keys, collections, _ = matrix
    india, usa = keys["partner:ind-cert-in"], keys["partner:usa-cisa"]
    exchange = f"/taxii2/api/collections/{collections['exchange']}/objects/"
    first = client.get(exchange, params={"limit": 1}, headers=auth(india)).json()
    cursor = first["next"]
    assert client.get(exchange, params={"next": cursor}, headers=auth(usa)).status_code == 400  # other partner
    feed = f"/taxii2/api/collections/{collections['feed']}/objects/"
    assert client.get(feed, params={"next": cursor}, headers=auth(india)).status_code == 400  # other collection
    for forged in (cursor[:-3] + "AAA", "A" * len(cursor), "not-base64!", ""):
        response = client.get(exchange, params={"next": forged}, headers=auth(india))
        assert response.status_code in (200, 400), forged
        if forged:
            assert response.status_code == 400, forged
    status = client.post(exchange, json={"objects": [stix_object([])]},
                         headers=auth(usa, **{"Content-Type": TAXII})).json()
    assert client.get(f"/taxii2/api/status/{status['id']}/", headers=auth(usa)).status_code == 200
    for other in (india, keys["partner:deu-bsi"]):
        response = client.get(f"/taxii2/api/status/{status['id']}/", headers=auth(other))
        assert response.status_code == 404 and status["id"] not in response.text


def test_refused_attempts_are_audited(matrix: tuple[TestClient, dict[str, str], dict[str, str], list[Sent]],
                                      workbench: Workbench) -> None:
    client, keys, collections, _ = matrix
    client.get(f"/taxii2/api/collections/{collections['hidden']}/objects/", headers=auth(keys["partner:deu-bsi"]))
    client.post(f"/taxii2/api/collections/{collections['exchange']}/objects/", json={"objects": []},
                headers=auth(keys["partner:jpn-jpcert"], **{"Content-Type": TAXII}))
    with workbench.reading() as connection:
        bsi = sharing.audit_log(connection, "partner:deu-bsi")
        jpcert = sharing.audit_log(connection, "partner:jpn-jpcert")
        assert sharing.verify_audit(connection).intact
    assert any(e["action"] == "get-objects" and e["outcome"].startswith("denied") for e in bsi)
    assert any(e["action"] == "add-objects" and e["outcome"].startswith("denied") for e in jpcert)


def test_audit_chain_stays_intact_under_concurrent_clients(workbench: Workbench) -> None:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        collection = sharing.add_collection(connection, "busy", "Busy")["id"]
        sharing.grant(connection, "partner:ind-cert-in", "busy", read=True, write=True, max_tlp=TLP.GREEN)
        key = sharing.issue_key(connection, "partner:ind-cert-in")
    failures: list[str] = []

    def client_loop(port: int) -> None:
        url = f"http://127.0.0.1:{port}/taxii2/api/collections/{collection}/objects/"
        with httpx.Client(headers=auth(key), timeout=30) as http:
            for _ in range(6):
                posted = http.post(url, json={"objects": [stix_object([MARKINGS["green"]])]},
                                   headers={"Content-Type": TAXII})
                read = http.get(url)
                if posted.status_code != 202 or read.status_code != 200:
                    failures.append(f"{posted.status_code} {read.status_code}")

    with serving(create_app(workbench)) as port:
        threads = [threading.Thread(target=client_loop, args=(port,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    with workbench.reading() as connection:
        check = sharing.verify_audit(connection)
        entries = sharing.audit_log(connection, "partner:ind-cert-in")
    assert check.intact, check
    assert sum(e["action"] in ("add-objects", "get-objects") for e in entries) == 6 * 6 * 2


def self_signed(folder: Path, name: str) -> tuple[str, str]:
    """A real client certificate made by openssl, and its SHA-256 fingerprint as openssl states it."""
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    printed = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
                             check=True, capture_output=True, text=True).stdout
    return cert.read_text(), printed.split("=", 1)[1].strip().replace(":", "").lower()


def test_client_certificates_forwarded_by_a_trusted_proxy_identify_partners(workbench: Workbench,
                                                                            tmp_path: Path) -> None:
    loading.init_database(workbench)
    pem, fingerprint = self_signed(tmp_path, "cert-in")
    other_pem, _ = self_signed(tmp_path, "stranger")
    with workbench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_collection(connection, "exchange", "Exchange")
        sharing.grant(connection, "partner:ind-cert-in", "exchange", read=True, write=False, max_tlp=TLP.GREEN)
        assert sharing.add_certificate(connection, "partner:ind-cert-in", pem, "cert-in.pem") == fingerprint
    with pytest.raises(DataError, match="already registered"), workbench.writing() as connection:
        sharing.add_certificate(connection, "partner:ind-cert-in", pem, "again.pem")
    behind_proxy = Workbench(dataclasses.replace(workbench.settings, client_cert_header="X-Client-Cert",
                                                 trusted_proxies=("127.0.0.1",)), workbench.engine)
    forwarded = {"X-Client-Cert": urllib.parse.quote(pem), "Accept": TAXII}
    app = create_app(behind_proxy)
    with TestClient(app, client=("127.0.0.1", 50000)) as proxy:
        listed = proxy.get("/taxii2/api/collections/", headers=forwarded)
        assert listed.status_code == 200 and [c["alias"] for c in listed.json()["collections"]] == ["exchange"]
        by_fingerprint = proxy.get("/taxii2/api/collections/", headers={"X-Client-Cert": fingerprint,
                                                                         "Accept": TAXII})
        assert by_fingerprint.status_code == 200
        stranger = proxy.get("/taxii2/", headers={"X-Client-Cert": urllib.parse.quote(other_pem), "Accept": TAXII})
        assert stranger.status_code == 401 and "not registered" in stranger.json()["description"]
        garbage = proxy.get("/taxii2/", headers={"X-Client-Cert": "hello", "Accept": TAXII})
        assert garbage.status_code == 401 and "PEM" in garbage.json()["description"]
    with TestClient(app, client=("192.0.2.9", 50000)) as direct:  # not the proxy: the header is ignored
        assert direct.get("/taxii2/", headers=forwarded).status_code == 401
    with workbench.writing() as connection:
        sharing.revoke_certificate(connection, fingerprint)
    with TestClient(app, client=("127.0.0.1", 50000)) as proxy:
        assert proxy.get("/taxii2/", headers=forwarded).status_code == 401
