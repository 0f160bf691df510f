"""The incident, incident list, norm catalogue and timeline pages, on the curated data (SQLite and
PostgreSQL): real content, downloads, filters as permalinks, clear errors, accessible markup."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.services import incident_views, loading, norms
from cyberdip.services.workbench import Workbench


@pytest.fixture
def client(loaded: Workbench) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as c:
        yield c


class Page(HTMLParser):
    """What the tests read from a page: headings, form controls and labels, table rows, links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.tables: dict[str, list[list[str]]] = {}  # caption → rows of cell texts
        self.links: list[str] = []
        self._caption: str | None = None
        self._in_caption = False
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag in ("input", "select") and a.get("type") != "hidden":
            self.controls.append(a)
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag == "figcaption":
            self._in_caption, self._caption = True, ""
        elif tag == "table" and self._caption is not None:
            self._table = self.tables.setdefault(self._caption.strip(), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag == "td" and self._table is not None:
            self._cell = []
        elif tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False
        elif tag == "td" and self._cell is not None and self._table:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table, self._caption = None, None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._caption is not None and not self._caption.strip():
            self._caption += data  # the caption's own text, before its count and download links
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, caption: str) -> list[list[str]]:
        return [r for r in self.tables.get(caption, []) if r]


def assert_accessible(html: str) -> None:
    page = Page(html)
    assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    for control in page.controls:
        if control.get("id") == "q":  # the header's search box (base.html) has its own label
            continue
        assert control.get("id") in page.label_for, f"form control without a label: {control}"
    for chart in re.findall(r"<svg[^>]*>", html):
        assert 'role="img"' in chart
    assert html.count("<svg") == len(re.findall(r"<svg[^>]*>\s*<title", html))


def findings_shown(html: str) -> dict[str, str]:
    """norm title → the finding's article (for the engaged findings listed in detail)."""
    articles = re.findall(r'<article class="finding[^"]*">(.*?)</article>', html, re.S)
    return {re.sub(r"<[^>]+>", "", re.search(r"<h3>(.*?)<span", a, re.S).group(1)).strip(): a  # type: ignore[union-attr]
            for a in articles}


# ---------------------------------------------------------------------------------------------
# The incident page


def test_notpetya_shows_facts_claims_responses_and_the_critical_infrastructure_finding(client: TestClient) -> None:
    response = client.get("/r/incident:notpetya-2017")
    assert response.status_code == 200
    html = response.text
    page = Page(html)
    assert "NotPetya destructive malware attack" in html
    assert 'href="/api/assess/incident:notpetya-2017"' in html
    # the facts, in words
    assert "Russia: its own agencies or armed forces" in html and "Sandworm Team" in html
    assert re.search(r"Critical infrastructure hit</dt>\s*<dd>yes", html)
    # claims side by side: each claimant with what it claimed
    claims = page.rows("Attribution claims")
    claimants = {row[1] for row in claims}
    assert {"United Kingdom", "United States", "Australia", "Ukraine", "European Union"} <= claimants
    assert all(row[3] in ("Russia", "Sandworm Team") for row in claims)
    assert any("GRU" in row[5] for row in claims)  # the basis of the EU's sanctions
    assert page.rows("Attribution strength per state")[0][:2] == ["Russia", "several governments"]
    responses = page.rows("Responses")
    assert any(r[1] == "European Union" and r[2] == "sanctions" for r in responses)
    assert any(r[1] == "United States" and r[2] == "indictment" for r in responses)
    # the finding for the critical-infrastructure norm, with its explanation and caveat
    shown = findings_shown(html)
    ci = shown["13(f) Do not damage critical infrastructure that serves the public"]
    assert '<span class="badge violation">violation alleged</span>' in ci
    assert 'href="/r/state:RUS">Russia</a>' in ci
    assert "For Russia, the incident engages this norm: a violation is alleged" in ci
    assert "the target was critical infrastructure serving the public" in ci
    assert "Attribution caveat:" in ci and "attributed by several governments" in ci
    # an undetermined finding names the fact that would settle it
    protect = shown["13(g) Protect your own critical infrastructure"]
    assert "undetermined" in protect and "What would settle it:" in protect
    assert "it failed to take appropriate protective measures" in protect
    # every engaged finding of the API twin is shown, and no other
    api = client.get("/api/assess/incident:notpetya-2017").json()
    assert len(shown) <= len([f for f in api["findings"] if f["status"] != "not_engaged"])
    assert html.count('<article class="finding') == len([f for f in api["findings"] if f["status"] != "not_engaged"])
    # the map: Russia attributed, Ukraine the victim
    assert re.search(r'<path d="[^"]+" fill="#D55E00" data-code="RUS"><title>Russia: attributed to', html)
    assert re.search(r'<path d="[^"]+" fill="#0072B2" data-code="UKR"><title>Ukraine: victim', html)
    assert_accessible(html)


def test_wannacry_claims_and_findings(client: TestClient) -> None:
    html = client.get("/r/WannaCry").text  # a name reaches the page too
    page = Page(html)
    assert "WannaCry" in html
    claims = page.rows("Attribution claims")
    assert claims and any(row[3] in ("North Korea", "Lazarus Group") for row in claims)
    assert {"United States", "United Kingdom"} <= {row[1] for row in claims}
    shown = findings_shown(html)
    assert any(title.startswith("13(f)") for title in shown)
    csv_text = client.get("/r/incident:wannacry-2017?download=findings&format=csv").text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert any(r["status"] == "violation alleged" and r["state judged"] == "North Korea" for r in rows)
    assert any(r["status"] == "not engaged" for r in rows)


def test_claims_download_lists_every_claim(client: TestClient) -> None:
    response = client.get("/r/incident:notpetya-2017?download=claims&format=json")
    assert response.status_code == 200
    downloaded = response.json()
    api = client.get("/api/claims/incident:notpetya-2017").json()
    assert len(downloaded) == len(api) >= 5
    assert {c["source"].split(" <")[1].rstrip(">") for c in downloaded} <= {
        s["url"] for c in api for s in c["sources"]}


# ---------------------------------------------------------------------------------------------
# The incident list


def involves(client: TestClient, incident: str, state: str) -> bool:
    assessment = client.get(f"/api/assess/{incident}").json()
    facts = assessment["incident"]
    return (state in facts["victims"] or any(n["state"] == state for n in facts["nexus"])
            or any(s["state"] == state for s in assessment["attribution"]))


def test_incidents_involving_russia(client: TestClient) -> None:
    response = client.get("/incidents", params={"actor": "state:RUS"})
    assert response.status_code == 200
    page = Page(response.text)
    rows = page.rows("Incidents")
    assert len(rows) >= 10
    links = [href for href in page.links if href.startswith("/r/incident:")]
    assert "/r/incident:notpetya-2017" in links and "/r/incident:wannacry-2017" not in links
    for href in set(links):
        assert involves(client, href.removeprefix("/r/"), "state:RUS"), href
    assert 'href="/api/incidents?actor=state%3ARUS"' in response.text
    assert_accessible(response.text)


def test_incidents_by_norm_and_period_match_the_service(client: TestClient, loaded: Workbench) -> None:
    response = client.get("/incidents", params={"norm": "norm:gge2015-13f", "from": "2015", "to": "2017"})
    assert response.status_code == 200
    shown = {href.removeprefix("/r/") for href in Page(response.text).links if href.startswith("/r/incident:")}
    with loaded.reading() as connection:
        expected = {r.id for r in norms.incidents(connection, norm="norm:gge2015-13f", start="2015", end="2017")}
    assert shown == expected and "incident:notpetya-2017" in shown and "incident:ukraine-grid-2015" in shown
    assert all(r[0][:4] in ("2015", "2016", "2017") for r in Page(response.text).rows("Incidents"))


@pytest.mark.parametrize(("actor", "start", "end"), [
    (None, None, None), ("state:RUS", None, None), ("North Korea", "2014", "2017"), ("group:apt28", None, None),
    ("org:eu", None, None), (None, "2020", None), (None, None, "2010-06"), ("state:USA", "2016-01", None),
])
def test_incident_list_shows_what_its_api_twin_returns(client: TestClient, actor: str | None, start: str | None,
                                                       end: str | None) -> None:
    params = {key: value for key, value in (("actor", actor), ("from", start), ("to", end)) if value}
    api = client.get("/api/incidents", params=params).json()
    shown = {href.removeprefix("/r/") for href in Page(client.get("/incidents", params=params).text).links
             if href.startswith("/r/incident:")}
    assert shown == {row["id"] for row in api}
    assert api or actor == "org:eu"


def test_incident_list_downloads_as_csv(client: TestClient) -> None:
    page = Page(client.get("/incidents?actor=Russia").text)
    response = client.get("/incidents?actor=Russia&download=incidents&format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["date", "incident", "attributed to", "victims", "norms engaged", "recorded by"]
    assert len(rows) == len(page.rows("Incidents"))
    notpetya = next(r for r in rows if r["incident"] == "NotPetya destructive malware attack")
    assert "Russia" in notpetya["attributed to"] and "13(f)" in notpetya["norms engaged"]
    assert notpetya["recorded by"] == "cyberdip"  # no other dataset imported here


@pytest.mark.parametrize(("query", "message"), [
    ({"actor": "Rusia"}, "Did you mean"),
    ({"actor": "zzzqqqxx"}, "nothing in the knowledge base matches"),
    ({"norm": "state:FRA"}, "not a norm"),
    ({"actor": "NotPetya"}, "an incident, not an actor"),
    ({"from": "last year"}, "expected a date like 2015"),
])
def test_bad_incident_filters_are_explained(client: TestClient, query: dict[str, str], message: str) -> None:
    response = client.get("/incidents", params=query)
    assert response.status_code == 400
    assert message in response.text and 'class="notice error"' in response.text
    assert "<form" in response.text  # the reader can fix the filter in place


def test_misspelt_actor_suggests_the_right_link(client: TestClient) -> None:
    page = Page(client.get("/incidents?actor=Rusia&from=2015").text)
    assert "/incidents?from=2015&actor=state%3ARUS" in page.links


def test_no_match_says_what_to_do(client: TestClient) -> None:
    response = client.get("/incidents", params={"actor": "state:ISL"})
    assert response.status_code == 200
    assert "No incident matches these filters. Widen the period" in response.text


# ---------------------------------------------------------------------------------------------
# The norm catalogue


def test_norms_lists_the_eleven_gge_norms_with_the_incidents_engaging_them(client: TestClient) -> None:
    response = client.get("/norms")
    assert response.status_code == 200
    page = Page(response.text)
    catalogue = page.rows("The norm catalogue")
    gge = [row for row in catalogue if row[0].startswith("13(")]
    assert [row[0] for row in gge] == [f"13({letter})" for letter in "abcdefghijk"]
    assert all(row[3] == "A/70/174" and row[4] == "2015" and row[2] == "norm" for row in gge)
    assert any(row[2] == "international law" for row in catalogue)
    section = response.text.split('id="norm-gge2015-13f"')[1].split('<div class="norm-card"')[0]
    assert "NotPetya destructive malware attack" in section and "violation alleged" in section
    engagements = list(csv.DictReader(io.StringIO(
        client.get("/norms?download=engagements&format=csv").text)))
    assert any(e["norm"].startswith("13(f)") and e["incident"] == "WannaCry ransomware outbreak"
               and e["state judged"] == "North Korea" for e in engagements)
    assert {e["status"] for e in engagements} <= {"violation alleged", "contested"}
    assert_accessible(response.text)


def test_norm_engagements_agree_with_the_norm_summary(client: TestClient) -> None:
    summary = client.get("/api/norms/summary").json()
    rows = list(csv.DictReader(io.StringIO(client.get("/norms?download=engagements").text)))
    counted = sum(1 for r in rows if r["norm"].startswith("13(f)") and r["status"] == "violation alleged")
    assert counted == sum(c.get("violation_alleged", 0) for c in summary["norm:gge2015-13f"].values())


def test_findings_are_recomputed_after_a_load(workbench: Workbench, tmp_path: Path) -> None:
    loading.init_database(workbench)
    with workbench.reading() as connection:
        before = incident_views.all_findings(connection)
        assert incident_views.all_findings(connection) is before  # cached for the same load
    mine = tmp_path / "incidents.yaml"
    mine.write_text("""
- id: incident:test-grid-attack-2030
  name: Test grid attack
  start: '2030-01-02'
  summary: A destructive attack on a power grid, recorded to test the norm pages.
  actor_type: state
  nexus:
  - state: state:ISL
    nexus: organ
  victims:
  - state:NOR
  critical_infrastructure: true
  effects:
  - disruption
  cross_border: true
  sources:
  - url: https://example.org/test-grid
    title: Test grid attack
    publisher: Example
""", encoding="utf-8")
    loading.import_records(workbench, mine)
    with TestClient(create_app(workbench)) as client:
        section = client.get("/norms").text.split('id="norm-gge2015-13f"')[1].split('<div class="norm-card"')[0]
        assert "Test grid attack" in section
        listed = client.get("/incidents", params={"norm": "norm:gge2015-13f", "from": "2030"}).text
        assert "/r/incident:test-grid-attack-2030" in listed


# ---------------------------------------------------------------------------------------------
# The timeline


def test_timeline_of_events_in_2015_and_2016(client: TestClient) -> None:
    response = client.get("/timeline?kind=event&from=2015&to=2016")
    assert response.status_code == 200
    page = Page(response.text)
    rows = page.rows("Timeline")
    assert len(rows) >= 5
    assert all(row[0][:4] in ("2015", "2016") for row in rows)
    assert all(row[2].startswith("event") for row in rows)
    assert "/r/event:obama-xi-state-visit-2015" in page.links
    chart = re.search(r"<svg class=\"chart\".*?</svg>", response.text, re.S)
    assert chart and 'role="img"' in chart.group(0) and "<title" in chart.group(0)
    assert set(re.findall(r">(\d{4})</text>", chart.group(0))) == {"2015", "2016"}
    assert re.search(r'<input type="checkbox" id="t-kind-event" name="kind" value="event" checked>', response.text)
    assert 'href="/api/timeline?from=2015&amp;to=2016&amp;kind=event&amp;limit=' in response.text
    assert_accessible(response.text)


def test_timeline_for_an_actor_downloads_everything_shown(client: TestClient) -> None:
    page = Page(client.get("/timeline?actor=China&from=2015&to=2015&kind=event&kind=instrument").text)
    response = client.get("/timeline?actor=China&from=2015&to=2015&kind=event&kind=instrument"
                          "&download=timeline&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(page.rows("Timeline")) >= 5
    assert {r["id"] for r in rows} >= {"instrument:us-china-2015-cyber", "event:obama-xi-state-visit-2015"}
    assert all(r["date"].startswith("2015") for r in rows)


def test_timeline_names_every_party_of_a_claim(client: TestClient) -> None:
    html = client.get("/timeline?kind=claim&from=2009&to=2009").text
    assert "None attributes" not in html and "attributes GhostNet to China" in html


@pytest.mark.parametrize(("query", "message"), [
    ("actor=Atlantis%20Republic", "nothing in the knowledge base matches"),
    ("kind=bogus", "unknown kind “bogus”"),
    ("from=2015-13", "impossible date &#39;2015-13&#39;: month must be in 1..12"),
])
def test_bad_timeline_filters_are_explained(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/timeline?{query}")
    assert response.status_code == 400
    assert message in response.text and 'role="alert"' in response.text


def test_empty_timeline_says_what_to_do(client: TestClient) -> None:
    response = client.get("/timeline?from=1900&to=1901&kind=incident")
    assert response.status_code == 200
    assert "Nothing dated matches these filters. Widen the period" in response.text


def rows_of(html: str) -> list[list[str]]:
    """The incident list's body rows."""
    return [row for row in Page(html).tables["Incidents"] if row]


def test_incident_list_counts_every_match_pages_them_and_downloads_all(client: TestClient, loaded: Workbench,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberdip.interfaces.web import incidents as incident_pages

    monkeypatch.setattr(incident_pages, "PAGE_SIZE", 10)
    with loaded.reading() as connection:
        total = norms.incident_page(connection, limit=None).total
    assert total > 20
    first = client.get("/incidents")
    assert f"{total:,} incidents" in first.text and "Showing 1–10" in first.text
    assert len(rows_of(first.text)) == 10
    last_page = -(-total // 10)
    assert f"page 1 of {last_page}" in first.text and 'rel="next"' in first.text
    final = client.get(f"/incidents?page={last_page}")
    assert len(rows_of(final.text)) == total - 10 * (last_page - 1)
    assert 'rel="next"' not in final.text and 'rel="prev"' in final.text
    rows = list(csv.DictReader(io.StringIO(client.get("/incidents?download=incidents&format=csv").text)))
    assert len(rows) == total
    assert client.get("/incidents?page=0").status_code == 400
    assert "is not an order" in client.get("/incidents?sort=colour").text


def test_incident_list_filters_by_or_against_an_actor_and_says_which(client: TestClient) -> None:
    by = rows_of(client.get("/incidents?by=Russia").text)
    against = rows_of(client.get("/incidents?against=Ukraine").text)
    both = client.get("/incidents?by=Russia&against=Ukraine")
    assert "attributed to" in both.text and "against" in both.text
    ids = lambda table: {row[1] for row in table}  # noqa: E731 - the incident names
    assert ids(rows_of(both.text)) == ids(by) & ids(against)
    assert any("NotPetya" in name for name in ids(by) & ids(against))
    russia_as_victim = ids(rows_of(client.get("/incidents?against=Russia").text))
    assert not any("NotPetya" in name for name in russia_as_victim)


def test_incident_list_sorts_newest_first_with_unknown_dates_last(client: TestClient) -> None:
    newest = [row[0] for row in rows_of(client.get("/incidents?sort=-date").text)]
    known = [d for d in newest if d != "unknown"]
    assert known == sorted(known, reverse=True) and newest[: len(known)] == known
    api = client.get("/api/incidents?sort=-date&limit=5&by=Russia")
    assert int(api.headers["X-Total-Count"]) >= len(api.json()) == 5


def test_timeline_counts_every_record_and_lists_the_latest(client: TestClient, loaded: Workbench,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from cyberdip.interfaces.web import incidents as pages
    from cyberdip.services import timeline as timeline_service

    monkeypatch.setattr(pages, "TIMELINE_SHOWN", 10)
    monkeypatch.setattr(pages, "TIMELINE_LIMIT", 20)
    with loaded.reading() as connection:
        every = timeline_service.timeline(connection, kinds=["event", "incident"], limit=100000)
    html = client.get("/timeline?kind=event&kind=incident").text
    per_year = Page(html).tables["Records per year and kind"]
    assert sum(int(row[-1]) for row in per_year if row) == len(every) > 20  # counted in full
    listed = [row for row in Page(html).tables["Timeline"] if row]
    assert [row[-1] for row in listed] == [e.id for e in every[-10:]]  # the latest, in date order
    assert f"{len(every):,} records match; the download holds the first 20" in html
    download = client.get("/timeline?kind=event&kind=incident&download=timeline&format=csv").text
    assert [row["id"] for row in csv.DictReader(io.StringIO(download))] == [e.id for e in every[:20]]
