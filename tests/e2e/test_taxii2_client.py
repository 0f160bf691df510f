"""The OASIS taxii2-client walks the hub over a real socket, as a partner's tooling would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from taxii2client.v21 import Server, as_pages

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench
from tests.support import serving


class Bearer(requests.auth.AuthBase):
    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    bench = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}"))
    loading.init_database(bench)
    with bench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_collection(connection, "feed", "Indicators")
        key = sharing.issue_key(connection, "partner:ind-cert-in")
        sharing.grant(connection, "partner:ind-cert-in", "feed", read=True, write=True, max_tlp=TLP.AMBER)
    with serving(create_app(bench)) as port:
        yield f"http://127.0.0.1:{port}/taxii2/", key
    bench.close()


def indicator(n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": f"ioc {n}",
            "pattern": "[domain-name:value = 'example.com']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"}


def test_taxii2_client_walks_everything(served: tuple[str, str]) -> None:
    url, key = served
    server = Server(url, auth=Bearer(key))
    [api_root] = server.api_roots
    [collection] = api_root.collections
    assert collection.can_read and collection.can_write
    objects = [indicator(n) for n in range(5)]
    status = collection.add_objects(json.dumps({"objects": objects}))
    status.wait_until_final()
    assert status.status == "complete" and status.success_count == 5
    seen = [o["id"] for page in as_pages(collection.get_objects, per_request=2) for o in page.get("objects", [])]
    assert sorted(seen) == sorted(o["id"] for o in objects)
    manifest = collection.get_manifest()
    assert len(manifest["objects"]) == 5
    first = objects[0]["id"]
    assert collection.get_object(first)["objects"][0]["id"] == first
    assert collection.object_versions(first)["versions"] == ["2024-01-01T00:00:00.000Z"]
    collection.delete_object(first)
    assert len(collection.get_manifest()["objects"]) == 4
