"""The alignment explorer page (/alignment) as a browser uses it, on the real UN votes and without them."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces import maps
from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.web import alignment
from cyberdip.services import memo
from cyberdip.services.workbench import Workbench

P5 = "USA, United Kingdom, France, Russia, China"


@pytest.fixture
def client(voted: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(voted)) as test_client:
        yield test_client


@pytest.fixture
def empty_client(loaded: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as test_client:
        yield test_client


def text_of(page: str) -> str:
    """The visible text of the page's main element, without markup, whitespace collapsed."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)
    main = re.sub(r"<form.*?</form>", " ", main, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def fills(page: str) -> dict[str, str]:
    """Country code → fill of every world map path on the page."""
    return {code: fill for fill, code in re.findall(r'<path d="[^"]*" fill="([^"]+)" data-code="([A-Z]{3})"', page)}


def cell_titles(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<g role="img" aria-label="([^"]+)">', page)]


def notices(page: str) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", n)).split())
            for n in re.findall(r'<div class="notice[^"]*" role="[a-z]+">(.*?)</div>', page, flags=re.S)]


# ---------------------------------------------------------------------------------------------
# a. Heatmap


def test_heatmap_shows_the_published_session_73_kappas(client: TestClient) -> None:
    response = client.get("/alignment", params={"states": P5, "sessions": "73"})
    assert response.status_code == 200
    page = response.text
    titles = cell_titles(page)
    # the published figures (tests/integration/test_alignment_real.py): US/UK κ 0.297, RU/CN κ 0.583
    assert "United States – United Kingdom: κ 0.297 (95 joint votes)" in titles
    assert "Russia – China: κ 0.583 (93 joint votes)" in titles
    assert "China – Russia: κ 0.583 (93 joint votes)" in titles  # the matrix is symmetric
    assert len(titles) == 25  # 5 by 5 cells, each with its accessible title
    text = text_of(page)
    assert "session 73: 95 roll calls, 5 states" in text
    twin = re.search(r'The same as JSON: <a href="([^"]+)"', page)
    assert twin and html.unescape(twin[1]) == ("/api/align?state=state%3AUSA&state=state%3AGBR&state=state%3AFRA"
                                               "&state=state%3ARUS&state=state%3ACHN&session=73")
    pairs = client.get(html.unescape(twin[1])).json()["pairs"]
    assert pairs[0]["kappa"] == pytest.approx(0.297, abs=0.0005)
    assert 'aria-current="page">Heatmap' in page


def test_network_joins_the_pairs_that_vote_together(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": P5, "sessions": "73"}).text
    network = page[page.index('class="chart network"'):]
    network = network[:network.index("</svg>")]
    edges = set(re.findall(r"<line [^>]*><title>([^<]+)</title>", network))
    assert "United States – United Kingdom: κ 0.30" in edges and "Russia – China: κ 0.58" in edges
    assert not any("United States – China" in e or "United States – Russia" in e for e in edges)  # κ below 0


def test_heatmap_measure_is_selectable(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA, GBR", "sessions": "73", "measure": "agreement"}).text
    assert "United States – United Kingdom: agreement 0.600 (95 joint votes)" in cell_titles(page)
    pi = client.get("/alignment", params={"states": "USA, GBR", "sessions": "73", "measure": "pi"}).text
    assert "United States – United Kingdom: π 0.182 (95 joint votes)" in cell_titles(pi)


def test_the_matrix_downloads_as_csv_and_json(client: TestClient) -> None:
    params = {"states": P5, "sessions": "73", "download": "matrix", "format": "csv"}
    response = client.get("/alignment", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = {row["state"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert list(rows) == ["United States", "United Kingdom", "France", "Russia", "China"]
    assert float(rows["United States"]["United Kingdom"]) == pytest.approx(0.297, abs=0.0005)
    assert float(rows["Russia"]["China"]) == pytest.approx(0.583, abs=0.0005)
    as_json = client.get("/alignment", params={**params, "format": "json"}).json()
    assert as_json[4]["state"] == "China" and as_json[4]["Russia"] == pytest.approx(0.583, abs=0.0005)
    pairs = client.get("/alignment", params={**params, "download": "pairs"}).text
    assert "United States,United Kingdom,95,0.6,0.52–0.68,0.2,0.295,0.182,0.297,0.22–0.40," in pairs


def test_the_page_links_download_the_tables_it_shows(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA, China", "sessions": "73"}).text
    link = html.unescape(re.search(r'href="([^"]*download=matrix&amp;format=csv)"', page)[1])  # type: ignore[index]
    assert parse_qs(urlparse(link).query)["sessions"] == ["73"]
    assert "United States,1.0,-0.193" in client.get(link).text


def test_default_view_is_a_permalink(client: TestClient) -> None:
    memo.forget()
    first = client.get("/alignment")
    assert first.status_code == 200
    session = re.search(r'name="sessions" value="(\d+)"', first.text)
    assert session and session[1] == "74"  # the latest session imported
    assert len(cell_titles(first.text)) == 25
    # the tab links carry the whole query: every view is a permalink
    assert 'href="/alignment?states=USA%2C+GBR%2C+FRA%2C+RUS%2C+CHN&amp;sessions=74&amp;section=blocs"' in first.text
    # response times are measured in bench/bench_web.py, never asserted in tests


# ---------------------------------------------------------------------------------------------
# Bad input is a message, never a server error


def test_unknown_states_get_suggestions_not_errors(client: TestClient) -> None:
    response = client.get("/alignment", params={"states": "Germny, USA, NATO, China", "sessions": "73"})
    assert response.status_code == 200
    said = notices(response.text)
    assert any("No single state matches “Germny”. Did you mean: Germany (state:DEU)" in n for n in said), said
    assert any("North Atlantic Treaty Organization (org:nato), an organization, not a state" in n for n in said)
    # the suggestion is a link to the same view with the name corrected
    fixed = re.search(r'<a href="([^"]+)">Germany \(state:DEU\)</a>', response.text)
    assert fixed and parse_qs(urlparse(html.unescape(fixed[1])).query)["states"] == ["Germany, USA, NATO, China"]
    # the states that did resolve are still compared
    assert "United States – China: κ -0.193 (93 joint votes)" in cell_titles(response.text)


@pytest.mark.parametrize(("params", "message"), [
    ({"sessions": "abc"}, "sessions: “abc” is not a session number or range"),
    ({"sessions": "99"}, "no UN roll calls for session 99. The imported votes cover sessions 1–74"),
    ({"from": "2019-13"}, "from: “2019-13” is not a date"),
    ({"matter": "norms of the sea"}, "No single matter matches “norms of the sea”"),
    ({"states": "USA"}, "Choose at least two states for the heatmap"),
    ({"states": "Atlantis, USA"}, "No single state matches “Atlantis”"),
    ({"section": "partners", "partner": "Germny"}, "No single state matches “Germny”. Did you mean: Germany"),
    ({"section": "partners", "limit": "lots"}, "limit: “lots” is not a number from 1 to 200"),
    ({"section": "coalition", "resolution": "A/RES/1/999"}, "no recorded final vote found"),
])
def test_bad_input_is_explained(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/alignment", params={"states": "USA, China", **params})
    assert response.status_code == 200
    assert any(message in n for n in notices(response.text)), notices(response.text)


def test_unknown_measure_and_section_fall_back_to_defaults(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA, GBR", "sessions": "73", "measure": "x",
                                            "section": "<script>"}).text
    assert "United States – United Kingdom: κ 0.297 (95 joint votes)" in cell_titles(page)
    assert "<script>" not in page.split("<main", 1)[1]


# ---------------------------------------------------------------------------------------------
# b. Blocs


def test_blocs_colour_the_world_map(client: TestClient) -> None:
    params = {"states": "USA, United Kingdom, Russia, China", "sessions": "73-74", "section": "blocs"}
    response = client.get("/alignment", params=params)
    assert response.status_code == 200
    text = text_of(response.text)
    api = client.get("/api/blocs", params={"session": [73, 74]}).json()
    assert len(api["blocs"]) == 3 and f"3 blocs by kappa; modularity {api['modularity']:.3f}" in text
    assert api["modularity"] > 0.35
    colours = fills(response.text)
    # each bloc has its colour; the West and Russia with China land in different blocs
    assert colours["USA"] == colours["GBR"] != colours["RUS"] == colours["CHN"]
    names = [bloc["name"] for bloc in api["blocs"]]  # named by their best-known members
    assert any(n.startswith("United States, United Kingdom, France") for n in names)
    assert any(n.startswith("China, Russia") for n in names)
    assert set(colours.values()) - {"#e4e6ea"} == set(maps.CATEGORIES[:3])  # grey: no votes in the selection
    for number, bloc in enumerate(api["blocs"], start=1):
        assert f"Bloc {number}: {bloc['name']}" in text and bloc["name"].endswith(f"({bloc['size']})")
        assert f"{bloc['size']} {bloc['cohesion']:.3f}" in text
    assert "/api/blocs?session=73&amp;session=74&amp;measure=kappa" in response.text
    # stability of the chosen states' grouping over the runs
    together = client.get("/alignment", params={**params, "download": "together", "format": "json"}).json()
    pair = next(r for r in together if r["state A"] == "Russia" and r["state B"] == "China")
    assert pair["together"] == 1.0
    members = client.get("/alignment", params={**params, "download": "members", "format": "csv"}).text
    assert len(members.strip().splitlines()) == 1 + sum(b["size"] for b in api["blocs"])


# ---------------------------------------------------------------------------------------------
# c. Partner finder


def test_partners_of_germany_match_the_api(client: TestClient) -> None:
    params = {"states": "Germany, France", "section": "partners", "matter": "matter:un-cyber-process", "limit": "5"}
    response = client.get("/alignment", params=params)
    assert response.status_code == 200
    api = client.get("/api/partners/state:DEU", params={"matter": "matter:un-cyber-process", "limit": 5}).json()
    ranked = client.get("/alignment", params={**params, "download": "partners", "format": "json"}).json()
    assert [r["state"] for r in ranked] == [p["name"] for p in api["partners"]]
    assert [r["score"] for r in ranked] == [round(p["score"], 3) for p in api["partners"]]
    assert ranked[0]["votes"].startswith("κ ") and "shared of" in ranked[0]["affiliations"]
    assert "Partners of Germany on UN processes on ICTs and international security" in text_of(response.text)
    colours = fills(response.text)
    assert colours["DEU"] == maps.CATEGORIES[1]
    best = maps.state_code(api["partners"][0]["id"])
    assert best and colours[best] == maps.sequential(1.0)
    evidence = client.get("/alignment", params={**params, "download": "evidence", "format": "json"}).json()
    assert {e["component"] for e in evidence} >= {"votes", "affiliations"}
    assert "/api/partners/state:DEU?matter=matter%3Aun-cyber-process&amp;limit=5" in response.text


def test_a_separate_partner_field_overrides_the_first_state(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA, China", "section": "partners", "partner": "Kenya",
                                            "limit": "3"}).text
    assert "Partner finder — Kenya" in text_of(page)


# ---------------------------------------------------------------------------------------------
# d. Coalition builder


def test_coalition_for_the_2019_cybercrime_resolution(client: TestClient) -> None:
    params = {"states": "USA", "section": "coalition", "resolution": "A/RES/74/247"}
    response = client.get("/alignment", params=params)
    assert response.status_code == 200
    api = client.get("/api/coalition", params={"resolution": "A/RES/74/247"}).json()
    predicted = api["predicted"]
    text = text_of(response.text)
    assert "Recorded 79 yes, 60 no, 33 abstain — adopted" in text
    assert f"Predicted {predicted['yes']} yes, {predicted['no']} no, {predicted['abstain']} abstain — adopted" in text
    assert "majority of members present and voting (yes > no)" in text
    assert f"{api['changes_needed']} states changing their vote would defeat it" in text
    colours = fills(response.text)
    by_state = {f["id"]: f["predicted"] for f in api["forecasts"]}
    assert colours["USA"] == alignment.VOTE_COLOURS[by_state["state:USA"]] == alignment.VOTE_COLOURS["no"]
    assert colours["CHN"] == alignment.VOTE_COLOURS[by_state["state:CHN"]]
    swing = client.get("/alignment", params={**params, "download": "swing", "format": "json"}).json()
    assert [s["state"] for s in swing] == [s["name"] for s in api["swing"]]


def test_coalition_of_a_new_text_follows_its_sponsors(client: TestClient) -> None:
    params = {"states": "USA", "section": "coalition", "resolution": "A/RES/73/266", "sponsors": "United States"}
    page = client.get("/alignment", params=params).text
    assert "Read from" not in page  # the first vote on the text: nothing earlier to read
    assert "/api/coalition?resolution=A%2FRES%2F73%2F266&amp;sponsor=United+States" in page
    api = client.get("/api/coalition", params={"resolution": "A/RES/73/266", "sponsor": "United States"}).json()
    forecast = {f["id"]: f["predicted"] for f in api["forecasts"]}
    assert forecast["state:USA"] == "yes" and forecast["state:CHN"] == "no"
    assert fills(page)["CHN"] == alignment.VOTE_COLOURS["no"]


def test_coalition_rule_can_be_two_thirds(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA", "section": "coalition", "resolution": "A/RES/73/27",
                                            "rule": "two-thirds"}).text
    assert "two thirds of members present and voting" in text_of(page)
    assert "Recorded 119 yes, 46 no, 14 abstain" in text_of(page)
    assert "/api/coalition?resolution=A%2FRES%2F73%2F27&amp;important=true" in page


def test_coalition_without_a_resolution_offers_examples(client: TestClient) -> None:
    page = client.get("/alignment", params={"states": "USA", "section": "coalition"}).text
    assert any("Give a reference resolution" in n and "A/RES/74/247" in n for n in notices(page))


# ---------------------------------------------------------------------------------------------
# Without UN votes


def test_without_votes_the_page_says_how_to_import_them(empty_client: TestClient) -> None:
    response = empty_client.get("/alignment")
    assert response.status_code == 200
    page = response.text
    assert 'id="no-votes"' in page
    assert "<code>cyberdip init</code>" in page
    assert "cyberdip import unga PATH" in page and "cyberdip fetch unga" in page
    assert not cell_titles(page)
    for section in ("blocs", "coalition"):
        other = empty_client.get("/alignment", params={"states": P5, "section": section, "resolution": "A/RES/74/247"})
        assert other.status_code == 200 and "needs UN votes" in " ".join(notices(other.text))


def test_without_votes_the_partner_finder_still_ranks(empty_client: TestClient) -> None:
    params = {"states": "Germany", "section": "partners", "limit": "5"}
    response = empty_client.get("/alignment", params=params)
    assert response.status_code == 200
    assert "the votes component is zero for every state" in text_of(response.text)
    ranked = empty_client.get("/alignment", params={**params, "download": "partners", "format": "json"}).json()
    assert len(ranked) == 5 and all(r["votes"] == "no joint votes" for r in ranked)
    assert all("shared of" in r["affiliations"] for r in ranked) and ranked[0]["score"] > 0
