"""The ASGI app in-process: JSON API routes, OpenAPI docs without a CDN, and the home page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench


@pytest.fixture
def client(loaded: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as test_client:
        yield test_client


def test_search(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "CERT-In"})
    assert response.status_code == 200
    assert response.json()[0]["id"] == "agency:ind-cert-in"


def test_search_needs_a_query(client: TestClient) -> None:
    assert client.get("/api/search").status_code == 422


def test_record_profile_and_unknown_record(client: TestClient) -> None:
    profile = client.get("/api/records/state:KOR").json()
    assert profile["record"]["iso2"] == "KR"
    agencies = {item["id"] for item in profile["sections"]["Agencies and bodies"]}
    assert {"agency:kor-kisa", "agency:kor-msit"} <= agencies
    missing = client.get("/api/records/Germanny")
    assert missing.status_code == 404
    assert "state:DEU" in missing.json()["suggestions"]


def test_record_with_bad_date_is_a_400(client: TestClient) -> None:
    response = client.get("/api/records/state:DEU", params={"as_of": "yesterday"})
    assert response.status_code == 400 and "as_of" in response.json()["detail"]


def test_actors_filtered_by_role(client: TestClient) -> None:
    certs = client.get("/api/actors", params={"kind": "agency", "role": "national_cert"}).json()
    ids = {a["id"] for a in certs}
    assert {"agency:ind-cert-in", "agency:deu-cert-bund"} <= ids
    assert all(a["subkind"] == "agency" for a in certs)


def test_instruments_by_kind_and_owner(client: TestClient) -> None:
    reports = client.get("/api/instruments", params={"kind": "un_report"}).json()
    assert "instrument:un-gge-2015-report" in {r["id"] for r in reports}
    strategies = client.get("/api/instruments", params={"kind": "national_strategy", "owner": "Germany"}).json()
    assert strategies and all(s["id"].startswith("instrument:deu-") for s in strategies)


def test_timeline(client: TestClient) -> None:
    entries = client.get("/api/timeline", params={"actor": "state:RUS", "from": "2021-06", "to": "2021-06"}).json()
    assert "event:biden-putin-geneva-2021" in {e["id"] for e in entries}
    bad = client.get("/api/timeline", params={"from": "June"})
    assert bad.status_code == 400 and "expected a date" in bad.json()["error"]


def test_stats(client: TestClient) -> None:
    stats = client.get("/api/stats").json()
    assert stats["records"]["actor"] > 300


def test_openapi_docs_are_served_without_a_cdn(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert client.get("/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/timeline", "/api/actors", "/api/instruments"} <= set(spec["paths"])


def test_home_page_says_what_the_workbench_holds(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "What the workbench holds" in page.text and "state 200" in page.text
    assert "/api/stats" in page.text


def test_record_page_and_not_found_page(client: TestClient) -> None:
    page = client.get("/r/state:DEU")
    assert page.status_code == 200 and "Federal Office for Information Security" in page.text
    assert "/api/records/state:DEU" in page.text
    missing = client.get("/r/Germanny")
    assert missing.status_code == 404 and "state:DEU" in missing.text


def test_an_uninitialised_database_gives_503(tmp_path: object) -> None:
    bench = Workbench.open(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with TestClient(create_app(bench)) as test_client:
        response = test_client.get("/api/stats")
    bench.close()
    assert response.status_code == 503 and "cyberdip init" in response.json()["error"]


def test_the_api_root_lists_its_routes_and_pages_have_an_icon(client: TestClient) -> None:
    index = client.get("/api").json()
    paths = {route["path"]: route for route in index["routes"]}
    assert {"/api/search", "/api/sources", "/api/records/{ref}"} <= set(paths)
    assert paths["/api/sources"]["methods"] == ["GET"] and paths["/api/sources"]["summary"]
    assert index["docs"] == "/api/docs" and client.get(index["openapi"]).status_code == 200
    assert client.get("/api/").json() == index
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text
