"""Two cyberdip hubs on loopback: one pulls the other's collection, survives a dropped connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.errors import DataError
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing, sync
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench
from tests.support import serving

TAXII = "application/taxii+json;version=2.1"


def indicator(n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": f"ioc {n}",
            "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}


@pytest.fixture
def india_hub(tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    """Hub A (India) on a real socket: a feed collection, CISA may read it."""
    bench = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    loading.init_database(bench)
    with bench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_partner(connection, "agency:usa-cisa")
        feed = sharing.add_collection(connection, "feed", "Indicators")
        writer = sharing.issue_key(connection, "partner:ind-cert-in")
        reader = sharing.issue_key(connection, "partner:usa-cisa")
        sharing.grant(connection, "partner:ind-cert-in", "feed", read=True, write=True, max_tlp=TLP.AMBER)
        sharing.grant(connection, "partner:usa-cisa", "feed", read=True, write=False, max_tlp=TLP.GREEN)
    with serving(create_app(bench)) as port:
        yield f"http://127.0.0.1:{port}/taxii2/api/", feed["id"], writer, reader
    bench.close()


def publish(api: str, collection: str, key: str, objects: list[dict[str, Any]]) -> None:
    response = httpx.post(f"{api}collections/{collection}/objects/", json={"objects": objects},
                          headers={"Authorization": f"Bearer {key}", "Accept": TAXII, "Content-Type": TAXII})
    assert response.status_code == 202 and response.json()["success_count"] == len(objects)


class DropsSecondRequest(httpx.Client):
    calls = 0

    def get(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        self.calls += 1
        if self.calls == 2:
            raise httpx.ConnectError("connection reset by peer")
        return super().get(*args, **kwargs)


def test_pull_is_incremental_resumable_and_attributed(india_hub: tuple[str, str, str, str], tmp_path: Path) -> None:
    api, feed, writer, reader_key = india_hub
    publish(api, feed, writer, [indicator(n) for n in range(7)])
    usa = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}"))
    loading.init_database(usa)
    with usa.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_collection(connection, "from-india", "Pulled from CERT-In")
    kwargs = {"base_url": api, "collection": feed, "key": reader_key, "into": "from-india",
              "partner": "partner:ind-cert-in", "page_size": 3}
    with pytest.raises(DataError, match="resume"):
        sync.pull(usa, client=DropsSecondRequest(), **kwargs)  # type: ignore[arg-type]
    resumed = sync.pull(usa, **kwargs)  # type: ignore[arg-type]
    assert resumed.stored == 4  # the first page (3) was kept; the rest arrives once
    publish(api, feed, writer, [indicator(n) for n in range(7, 9)])
    later = sync.pull(usa, **kwargs)  # type: ignore[arg-type]
    assert later.received == 2 and later.stored == 2
    again = sync.pull(usa, **kwargs)  # type: ignore[arg-type]
    assert again.received == 0
    with usa.reading() as connection:
        rows = connection.exec_driver_sql("select count(*), count(distinct object_id), min(producer), max(producer) "
                                          "from stix_objects").one()
        assert tuple(rows) == (9, 9, "partner:ind-cert-in", "partner:ind-cert-in")
        assert sharing.verify_audit(connection).intact
    usa.close()
