"""Search ranks what people mean: after the UN votes are imported, states, bodies and instruments
still come before the thousands of roll calls that share their words, and `kind` narrows it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.services import catalogue
from cyberdip.services.workbench import Workbench


def test_roll_calls_come_after_what_people_mean(voted: Workbench) -> None:
    with voted.reading() as connection:
        hits = catalogue.search(connection, "China", limit=200)
        assert hits[0].id == "state:CHN"
        kinds = [hit.kind for hit in hits]
        assert "rollcall" in kinds, "the test needs roll calls that match"
        first_rollcall = kinds.index("rollcall")
        assert all(kind == "rollcall" for kind in kinds[first_rollcall:])
        assert "instrument:us-china-2015-cyber" in [hit.id for hit in hits[:first_rollcall]]
        only_votes = catalogue.search(connection, "China", limit=10, kinds=["rollcall"])
        assert only_votes and {hit.kind for hit in only_votes} == {"rollcall"}


def test_kind_narrows_the_api_and_the_page(voted: Workbench) -> None:
    with TestClient(create_app(voted)) as client:
        states = client.get("/api/search", params={"q": "Korea", "kind": "state"}).json()
        assert states and {hit["subkind"] for hit in states} == {"state"}
        html = client.get("/search", params={"q": "Korea", "kind": "state"}).text
        assert '<option value="state" selected>' in html and "/r/state:KOR" in html and "/r/rollcall:" not in html
