"""State, organisation and instrument pages, in-process on the curated data (SQLite and PostgreSQL).

What is asserted is what a desk officer relies on: the facts, their sources, the maps' shading, the
permalink of a date, the downloads and the empty states that say what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.interfaces.maps import CATEGORIES
from cyberdip.interfaces.web.profiles import nice_ticks, yearly_counts
from cyberdip.services import loading
from cyberdip.services.workbench import Workbench


@pytest.fixture
def client(loaded: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as test_client:
        yield test_client


def row_with(html: str, needle: str) -> str:
    """The table row (``<tr>…</tr>``) of a page that contains ``needle``."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        if needle in row:
            return str(row)
    raise AssertionError(f"no table row contains {needle!r}")


def table_rows(html: str, caption: str) -> list[str]:
    """The body rows of the table whose caption starts with ``caption``."""
    match = re.search(r"<figcaption>\s*" + re.escape(caption) + r".*?</figure>", html, re.S)
    assert match, f"no table captioned {caption!r}"
    return re.findall(r"<tr>(?:(?!</tr>).)*<td.*?</tr>", match.group(0), re.S)


UNSHADED = "#e4e6ea"  # the map's grey for countries the layer leaves out


def fill_of(html: str, code: str) -> str | None:
    """A country's fill on the page's world map; None when it is not shaded."""
    match = re.search(r'fill="([^"]+)" data-code="' + code + '"', html)
    assert match, f"{code} is not on the map"
    return None if match.group(1) == UNSHADED else match.group(1)


def download(client: TestClient, url: str, table: str) -> list[dict[str, str]]:
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}download={table}&format=csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def heading_levels(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]


def assert_accessible(html: str) -> None:
    levels = heading_levels(html)
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    for svg in re.findall(r"<svg[^>]*>", html):
        assert 'role="img"' in svg and "aria-label=" in svg
    assert html.count("<svg") == len(re.findall(r"<svg[^>]*>\s*<title>", html))


# ------------------------------------------------------------------------------------------------
# State


def test_state_page_lists_agencies_with_roles_and_memberships_with_sources(client: TestClient) -> None:
    response = client.get("/r/state:DEU")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Germany" in html
    bsi = row_with(html, 'href="/r/agency:deu-bsi"')
    assert "Federal Office for Information Security" in bsi and "cybersecurity agency" in bsi
    assert "1991-01-01" in bsi and 'href="https://' in bsi
    nato = row_with(html, 'href="/r/org:nato"')
    assert "1955-05-06" in nato and "current" in nato and re.search(r'href="https?://[^"]+"', nato)
    budapest = row_with(html, 'href="/r/instrument:budapest-convention"')
    assert "party" in budapest or "signatory" in budapest
    assert 'href="/api/records/state:DEU"' in html and 'href="/api/partners/state:DEU?limit=10"' in html
    assert_accessible(html)


def test_state_page_map_highlights_the_state_and_its_partners(client: TestClient) -> None:
    html = client.get("/r/state:DEU").text
    assert fill_of(html, "DEU") == CATEGORIES[1]
    partners = table_rows(html, "Closest partners of Germany")
    assert len(partners) == 10
    first = re.search(r'href="/r/state:([A-Z]{3})"', partners[0])
    assert first
    assert fill_of(html, first.group(1)) not in (None, CATEGORIES[1])
    assert fill_of(html, "PRK") is None  # neither Germany nor one of its partners: not shaded


def test_partners_work_without_votes_and_show_their_evidence(client: TestClient) -> None:
    rows = download(client, "/r/state:DEU", "partners")
    assert len(rows) == 10
    assert list(rows[0]) == ["rank", "state", "score", "votes", "affiliations", "shared", "agreements",
                             "joint attributions", "incidents"]
    assert all(row["votes"] == "no joint votes" for row in rows)
    assert all(re.fullmatch(r"\d+ shared of \d+", row["affiliations"]) for row in rows)
    assert any("NATO" in row["shared"] for row in rows)
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)


def test_ideal_point_without_votes_says_how_to_import_them(client: TestClient) -> None:
    html = client.get("/r/state:DEU").text
    section = html[html.index('id="ideal-point"'):]
    assert "No UN General Assembly votes are imported" in section and "cyberdip import unga" in section
    assert "<polyline" not in section


def test_incidents_against_a_state_with_the_claims_and_their_basis(client: TestClient) -> None:
    html = client.get("/r/state:DEU").text
    against = row_with(html, "German Bundestag hack")
    assert "Russia" in against and "several governments" in against
    claims = download(client, "/r/state:DEU", "claims")
    warrant = next(c for c in claims if c["claimant"] == "Germany" and "Bundestag" in c["about"])
    assert warrant["attributed to"] == "Russia" and warrant["type"] == "indictment"
    assert "Badin" in warrant["basis"] and warrant["source"].endswith(">")  # "publisher <url>"
    assert warrant["date"].startswith("2020")


def test_incidents_attributed_to_a_state_with_strength_and_norm_record(client: TestClient) -> None:
    html = client.get("/r/state:RUS").text
    attributed = table_rows(html, "Incidents attributed to it")
    bundestag = next(r for r in attributed if "German Bundestag hack" in r)
    assert "several governments" in bundestag and "Germany" in bundestag
    engaged = download(client, "/r/state:RUS", "norms-engaged")
    assert engaged and {row["finding"] for row in engaged} <= {"violation alleged", "contested"}
    assert all(row["explanation"] for row in engaged)


def test_csv_download_of_a_state_table_has_the_right_header(client: TestClient) -> None:
    response = client.get("/r/state:DEU?download=memberships&format=csv")
    assert response.status_code == 200
    assert 'filename="memberships.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["organisation", "role", "joined", "left", "status", "source"]
    nato = next(r for r in rows if r["organisation"] == "North Atlantic Treaty Organization")
    assert nato["joined"] == "1955-05-06" and nato["status"] == "current" and "<http" in nato["source"]
    as_json = client.get("/r/state:DEU?download=agencies&format=json").json()
    assert any(a["agency"] == "Federal Office for Information Security" for a in as_json)


# ------------------------------------------------------------------------------------------------
# Organisation


def test_organisation_map_marks_current_members(client: TestClient) -> None:
    response = client.get("/r/org:nato")
    assert response.status_code == 200
    html = response.text
    for member in ("USA", "DEU", "FIN", "SWE", "POL"):
        assert fill_of(html, member) == CATEGORIES[0], member
    for outsider in ("CHN", "RUS", "AUT", "BRA"):
        assert fill_of(html, outsider) is None, outsider
    assert "<strong>32 members</strong> today" in html
    assert len(table_rows(html, "Current members")) == 32
    assert 'href="/api/records/org:nato"' in html
    assert_accessible(html)


def test_organisation_on_a_date_is_a_permalink(client: TestClient) -> None:
    response = client.get("/r/org:nato?at=1990-01-01")
    assert response.status_code == 200
    html = response.text
    assert "<strong>16 members</strong> on 1990-01-01" in html
    assert len(table_rows(html, "Members on 1990-01-01")) == 16
    assert fill_of(html, "ESP") == CATEGORIES[0] and fill_of(html, "DEU") == CATEGORIES[0]
    assert fill_of(html, "POL") is None and fill_of(html, "FIN") is None
    assert 'href="/api/records/org:nato?at=1990-01-01"' in html
    members = download(client, "/r/org:nato?at=1990-01-01", "members")
    assert len(members) == 16 and list(members[0]) == ["member", "role", "joined", "left", "source"]
    assert {"Germany", "Spain", "Türkiye"} <= {m["member"] for m in members}


def test_members_over_time_chart_and_counts(client: TestClient) -> None:
    html = client.get("/r/org:nato?at=1990-01-01").text
    chart = re.search(r'<svg class="chart".*?</svg>', html, re.S)
    assert chart and "<title>1949: 12 members</title>" in chart.group(0)
    assert f'fill="{CATEGORIES[1]}"><title>1990: 16 members</title>' in chart.group(0)  # the year asked for
    counts = {int(r["year"]): int(r["members"]) for r in download(client, "/r/org:nato", "members-by-year")}
    assert counts[1949] == 12 and counts[1982] == 16 and counts[1999] == 19 and counts[2004] == 26


def test_a_bad_date_is_explained(client: TestClient) -> None:
    response = client.get("/r/org:nato?at=1990-13-01")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.text and "<strong>32 members</strong> today" in response.text


def test_initiative_page_lists_members_that_are_not_states(client: TestClient) -> None:
    html = client.get("/r/initiative:counter-ransomware").text
    assert "Not on the map (not states)" in html
    assert fill_of(html, "GBR") == CATEGORIES[0]
    rows = download(client, "/r/initiative:counter-ransomware", "memberships")
    assert any(r["member"] == "European Union" for r in rows)


# ------------------------------------------------------------------------------------------------
# Instrument


def test_instrument_page_lists_parties_on_a_map_and_its_timeline(client: TestClient) -> None:
    response = client.get("/r/instrument:budapest-convention")
    assert response.status_code == 200
    html = response.text
    germany = row_with(html, '<a href="/r/state:DEU">Germany</a></td><td data-label="role">party</td>')
    assert "2009-03-09" in germany and re.search(r'href="https?://', germany)
    assert fill_of(html, "DEU") == CATEGORIES[0] and fill_of(html, "CHN") is None
    parties = download(client, "/r/instrument:budapest-convention", "parties")
    assert list(parties[0]) == ["actor", "role", "date", "source"]
    assert {"party", "signatory"} <= {p["role"] for p in parties}
    assert {"actor": "Germany", "role": "signatory", "date": "2001-11-23"}.items() <= next(
        p for p in parties if p["actor"] == "Germany" and p["role"] == "signatory").items()
    timeline = download(client, "/r/instrument:budapest-convention", "timeline")
    assert {"date": "2004-07-01", "what": "entered into force", "kind": "instrument"} in timeline
    assert any(t["what"].startswith("Germany: party") for t in timeline)
    assert [t["date"] for t in timeline] == sorted(t["date"] for t in timeline)
    assert_accessible(html)


def test_instrument_commitments_and_the_norms_they_restate(client: TestClient) -> None:
    html = client.get("/r/instrument:us-china-2015-cyber").text
    assert fill_of(html, "USA") is not None and fill_of(html, "CHN") is not None
    commitments = download(client, "/r/instrument:us-china-2015-cyber", "commitments")
    timely = next(c for c in commitments if "without delay" in c["commitment"] or "requests" in c["commitment"])
    assert "13(h)" in timely["norms it restates"] and "13(d)" in timely["norms it restates"]
    norms = download(client, "/r/instrument:us-china-2015-cyber", "norms")
    assert any(n["norm"].startswith("13(h)") and "restated by" in n["how"] for n in norms)


# ------------------------------------------------------------------------------------------------
# Not found, empty states, fresh data


def test_unknown_record_is_a_404_page_with_suggestions(client: TestClient) -> None:
    response = client.get("/r/Germanny")
    assert response.status_code == 404
    assert 'href="/r/state:DEU"' in response.text


MINI = {
    "actors.yaml": """
- id: state:ISL
  kind: state
  name: Iceland
  iso2: IS
  iso3: ISL
  sources: [{url: "https://example.org/states", title: "States list", publisher: "Example"}]
- id: state:NOR
  kind: state
  name: Norway
  iso2: "NO"
  iso3: NOR
  sources: [{url: "https://example.org/states", title: "States list", publisher: "Example"}]
- id: org:nato
  kind: organization
  name: North Atlantic Treaty Organization
  aliases: [NATO]
  founded: "1949-04-04"
  sources: [{url: "https://example.org/nato", title: "NATO facts", publisher: "Example"}]
""",
    "memberships.yaml": """
- member: state:NOR
  organization: org:nato
  valid_from: "1949-08-24"
  sources: [{url: "https://example.org/nato", title: "NATO facts", publisher: "Example"}]
""",
}


def test_empty_states_say_what_to_do_and_new_records_show_at_once(workbench: Workbench, tmp_path: Path) -> None:
    curated = tmp_path / "curated"
    curated.mkdir()
    for name, text in MINI.items():
        (curated / name).write_text(text, encoding="utf-8")
    loading.init_database(workbench, curated=curated)
    with TestClient(create_app(workbench)) as client:
        html = client.get("/r/state:ISL").text
        assert "No agencies recorded for Iceland" in html and "cyberdip import records FILE" in html
        assert "No memberships recorded for Iceland" in html
        assert "No partner found" in html and "cyberdip import unga" in html
        assert len(table_rows(client.get("/r/org:nato").text, "Current members")) == 1

        addition = tmp_path / "memberships.yaml"
        addition.write_text("""
- member: state:ISL
  organization: org:nato
  valid_from: "1949-08-24"
  sources: [{url: "https://example.org/iceland", title: "Iceland in NATO", publisher: "Example"}]
""", encoding="utf-8")
        loading.import_records(workbench, addition)
        nato = client.get("/r/org:nato").text
        assert len(table_rows(nato, "Current members")) == 2 and fill_of(nato, "ISL") == CATEGORIES[0]
        iceland = row_with(client.get("/r/state:ISL").text, 'href="/r/org:nato"')
        assert "1949-08-24" in iceland and 'href="https://example.org/iceland"' in iceland


# ------------------------------------------------------------------------------------------------
# With UN votes: the ideal point line


def test_ideal_point_chart_with_votes(voted: Workbench) -> None:
    with TestClient(create_app(voted)) as client:
        html = client.get("/r/state:DEU").text
        section = html[html.index('id="ideal-point"'):]
        assert "<polyline" in section and 'role="img"' in section
        points = download(client, "/r/state:DEU", "ideal-points")
        assert len(points) >= 5 and all(float(p["ideal point"]) > 0 for p in points)  # signed: USA side
        partners = download(client, "/r/state:DEU", "partners")
        assert all(p["votes"].startswith("κ") for p in partners)


# ------------------------------------------------------------------------------------------------
# The drawing helpers


def test_yearly_counts_follow_start_and_end_dates() -> None:
    counts = dict(yearly_counts([("2001-05", None), ("2002", "2003-06-30"), (None, None)],
                                today=dt.date(2004, 3, 1)))
    assert counts == {2001: 2, 2002: 3, 2003: 2, 2004: 2}
    assert yearly_counts([], today=dt.date(2004, 3, 1)) == []


def test_nice_ticks_are_round() -> None:
    assert nice_ticks(0, 75) == [0, 20, 40, 60]
    assert nice_ticks(-0.2, 1.9) == [0.0, 0.5, 1.0, 1.5]


def test_long_tables_are_cut_on_the_page_but_downloaded_whole(voted: Workbench,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberdip.interfaces.web import render

    client = TestClient(create_app(voted))
    page = client.get("/r/org:un")
    assert page.status_code == 200 and "6,203 recorded votes were held here" in page.text  # counted, not listed
    monkeypatch.setattr(render, "ROWS_SHOWN", 50)  # fewer rows drawn than the UN has members
    page = client.get("/r/org:un")
    assert re.search(r"Showing the first 50 of 1\d\d rows", page.text)
    rows = list(csv.reader(io.StringIO(client.get("/r/org:un", params={"download": "memberships",
                                                                       "format": "csv"}).text)))
    assert len(rows) - 1 == len([r for r in rows[1:] if r]) > 150  # every membership, and the header


def summary_of(html: str) -> dict[str, str]:
    """The state page's summary at the top: label → the answer's text, with its links as [text](href)."""
    block = re.search(r'<dl class="summary">(.*?)</dl>', html, re.S)
    assert block, "no summary at the top of the page"
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", block.group(1), re.S)
    linked = lambda text: re.sub(r"\s+", " ", re.sub(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', r"[\2](\1)",  # noqa: E731
                                                     text)).strip()
    return {label.strip(): linked(answer) for label, answer in pairs}


def test_state_page_opens_with_the_answer_linked_and_sourced(client: TestClient) -> None:
    html = client.get("/r/state:DEU").text
    assert html.index('id="summary"') < html.index('id="agencies"') < html.index('id="partners"')
    summary = summary_of(html)
    assert re.match(r"\[CERT-Bund\]\(/r/agency:deu-[a-z-]+\)", summary["National CERT"])
    assert "Federal Office for Information Security" in summary["Cybersecurity lead"]
    assert "Foreign Office" in summary["Foreign-ministry cyber unit"]
    assert "party since 2009-03-09" in summary["Budapest Convention"]
    assert "(/r/instrument:budapest-convention)" in summary["Budapest Convention"]
    assert "Council of Europe Treaty Office" in summary["Budapest Convention"]  # its source
    assert "[North Atlantic Treaty Organization](/r/org:nato)" in summary[next(k for k in summary
                                                                           if k.startswith("Member of"))]
    against = next(k for k in summary if k.startswith("Incidents against it"))
    assert "attributed to Russia" in summary[against]
    assert summary["Closest partners"].count("(/r/state:") == 5


def test_state_page_says_what_a_state_lacks_and_folds_long_sections(client: TestClient) -> None:
    summary = summary_of(client.get("/r/state:ATG").text)
    assert summary["National CERT"].startswith("none as of 2025-07")
    html = client.get("/r/state:USA").text
    folded = re.findall(r'<details class="fold"( open)?><summary><h2 id="h-([a-z-]+)"', html)
    assert ("", "incidents") in folded  # long: folded, its heading still shown
    assert {name for _, name in folded} >= {"partners", "affiliations", "incidents", "norm-record"}
