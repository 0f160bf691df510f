"""The provenance rules: each breach names the record, the citation and the rule, and a record
that follows the rules passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cyberdip.analysis import provenance
from cyberdip.model import Actor, AttributionClaim, Instrument, Located, Membership, Party, Record
from cyberdip.model.errors import DataError
from cyberdip.model.publishers import Publisher, PublisherClass, Registry
from cyberdip.sources.publishers import load_registry

REGISTRY = Registry([
    Publisher.model_validate(entry) for entry in (
        {"host": "gov.uk", "publisher": "UK Government", "class": "government", "actor": "state:GBR"},
        {"host": "coe.int", "publisher": "Council of Europe", "class": "intergovernmental", "actor": "org:coe"},
        {"host": "coe.int", "path": "/en/web/conventions", "publisher": "CoE Treaty Office",
         "class": "treaty_depositary", "actor": "org:coe"},
        {"host": "news.example", "publisher": "Example News", "class": "news"},
        {"host": "wikipedia.org", "publisher": "Wikipedia", "class": "refused", "reason": "an open wiki"},
        {"host": "mandiant.example", "publisher": "Mandiant", "class": "company"},
    )
])

CHECKED = {"locator": "para 1", "checked": "2026-12-07"}


def cite(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": "A page", "publisher": "Someone", **CHECKED, **extra}


def located(record: Record) -> Located:
    return Located(record, "test.yaml:1")


def breaches(*records: Record) -> list[provenance.Breach]:
    return provenance.check([located(r) for r in records], REGISTRY)


NCSC = Actor.model_validate({"id": "agency:gbr-ncsc", "kind": "agency", "name": "NCSC", "parent": "state:GBR",
                             "sources": [cite("https://www.gov.uk/ncsc")]})


def claim(claimant: str | None, *urls: str, **extra: Any) -> AttributionClaim:
    data = {"id": "claim:x/y", "subject": "incident:x", "claimant_kind": "government",
            "attributed_to": "state:RUS", "type": "political_statement", "date": "2018-02-15",
            "sources": [cite(u) for u in urls], **extra}
    if claimant:
        data["claimant"] = claimant
    return AttributionClaim.model_validate(data)


def test_the_most_specific_registry_entry_classifies_a_url() -> None:
    treaty = REGISTRY.classify("https://www.coe.int/en/web/conventions/full-list?module=treaty-detail&treatynum=185")
    assert treaty.class_ is PublisherClass.TREATY_DEPOSITARY and treaty.primary
    assert REGISTRY.classify("https://www.coe.int/en/web/portal").class_ is PublisherClass.INTERGOVERNMENTAL
    assert REGISTRY.classify("https://www.ncsc.gov.uk/news").entry.actor == "state:GBR"  # type: ignore[union-attr]
    assert not REGISTRY.classify("https://notgov.uk/page").known  # a suffix match needs a whole label


@pytest.mark.parametrize(("url", "why"), [
    ("https://en.wikipedia.org/wiki/NotPetya", "wiki"),
    ("http://203.0.113.7/report.pdf", "IP address"),
    ("https://news.example/search?q=notpetya", "search-result"),
    ("https://www.gov.uk/captcha/check", "CAPTCHA"),
])
def test_refused_sources_are_breaches_whatever_else_the_record_cites(url: str, why: str) -> None:
    record = Membership.model_validate({"member": "state:DEU", "organization": "org:coe", "role": "member",
                                        "valid_from": "1951", "sources": [cite("https://www.coe.int/en/web/portal"),
                                                                          cite(url)]})
    found = breaches(record)
    assert [(b.rule, b.url) for b in found] == [(provenance.RULE_REFUSED, url)]
    assert why in found[0].detail
    assert str(found[0]).startswith("test.yaml:1: membership:org:coe/state:DEU/member: refused-source")


def test_an_unknown_host_fails_until_it_is_classified() -> None:
    found = breaches(claim("state:GBR", "https://www.gov.uk/statement", "https://blog.unknown.example/post"))
    assert [(b.rule, b.url) for b in found] == [(provenance.RULE_UNKNOWN_HOST, "https://blog.unknown.example/post")]


def test_a_claim_needs_the_claimants_own_statement() -> None:
    only_news = breaches(claim("state:GBR", "https://news.example/uk-blames-russia"))
    assert [b.rule for b in only_news] == [provenance.RULE_CLAIMANT]
    assert "state:GBR" in only_news[0].detail and "news" in only_news[0].detail
    # another government's page is not the claimant's statement
    assert [b.rule for b in breaches(claim("state:USA", "https://www.gov.uk/statement"))] == [provenance.RULE_CLAIMANT]
    # an agency speaks for its state, so the UK government's page is the NCSC's own voice
    assert breaches(NCSC, claim("agency:gbr-ncsc", "https://www.gov.uk/statement")) == []
    # a company claimant known only by name: its own report
    company = claim(None, "https://mandiant.example/apt1", claimant_name="Mandiant", claimant_kind="company")
    assert breaches(company) == []


@pytest.mark.parametrize("kind", ["membership", "party"])
def test_memberships_and_parties_need_a_primary_source(kind: str) -> None:
    common = {"sources": [cite("https://news.example/joins")], "role": "member" if kind == "membership" else "party"}
    record: Record = (Membership.model_validate({"member": "state:TUN", "organization": "org:coe",
                                                 "valid_from": "2024", **common})
                      if kind == "membership" else
                      Party.model_validate({"actor": "state:TUN", "instrument": "instrument:budapest-convention",
                                            "date": "2024-02-20", **common}))
    found = breaches(record)
    assert [b.rule for b in found] == [provenance.RULE_PRIMARY]
    assert "news" in found[0].detail


def test_every_citation_needs_a_locator_or_quote_and_a_check_date() -> None:
    bare = {"url": "https://www.gov.uk/statement", "title": "Statement", "publisher": "UK Government"}
    record = claim("state:GBR", "https://www.gov.uk/statement").model_copy(
        update={"sources": [claim("state:GBR", "https://www.gov.uk/x").sources[0].model_validate(bare)]})
    assert sorted(b.rule for b in breaches(record)) == [provenance.RULE_CHECKED, provenance.RULE_LOCATOR]
    quoted = {**bare, "quote": "the GRU was almost certainly responsible", "checked": "2026-12-07"}
    assert breaches(record.model_copy(update={"sources": [record.sources[0].model_validate(quoted)]})) == []


def test_a_quote_is_at_most_25_words() -> None:
    with pytest.raises(ValueError, match="at most 25 words"):
        cite_model = claim("state:GBR", "https://www.gov.uk/x").sources[0]
        cite_model.model_validate({**cite_model.model_dump(), "quote": " ".join(["word"] * 26)})


def budapest(coverage: dict[str, Any]) -> Instrument:
    return Instrument.model_validate({
        "id": "instrument:budapest-convention", "name": "Budapest Convention", "kind": "treaty",
        "status": "in_force", "summary": "The Council of Europe Convention on Cybercrime.",
        "sources": [cite("https://www.coe.int/en/web/conventions/treaty-185")],
        "coverage": [{"as_of": "2026-11-30", "sources": [cite("https://www.coe.int/en/web/conventions/chart")],
                      **coverage}]})


def party(iso3: str) -> Party:
    return Party.model_validate({"actor": f"state:{iso3}", "instrument": "instrument:budapest-convention",
                                 "role": "party", "date": "2004",
                                 "sources": [cite("https://www.coe.int/en/web/conventions/chart")]})


def test_a_list_marked_complete_must_hold_the_official_count() -> None:
    complete = budapest({"role": "party", "status": "complete", "count": 2})
    assert breaches(complete, party("DEU"), party("FRA")) == []
    short = breaches(complete, party("DEU"))
    assert [b.rule for b in short] == [provenance.RULE_COMPLETE]
    assert "marked complete with 2 party records on 2026-11-30, but 1 are recorded" in short[0].detail


def test_a_partial_list_must_say_what_is_missing() -> None:
    with pytest.raises(ValueError, match="must say what is missing"):
        budapest({"role": "party", "status": "partial", "count": 80})
    partial = budapest({"role": "party", "status": "partial", "count": 80, "missing": "accessions since 2020"})
    notes = provenance.list_coverage([partial, party("DEU")])
    assert [(n.status, n.count, n.recorded, n.missing) for n in notes] == [("partial", 80, 1, "accessions since 2020")]


def test_the_report_counts_primary_citations_per_kind() -> None:
    records = [claim("state:GBR", "https://www.gov.uk/statement", "https://news.example/a"), party("DEU"),
               NCSC]
    report = provenance.report(records, REGISTRY)
    by_kind = {k.kind: k for k in report.kinds}
    assert (by_kind["claim"].citations, by_kind["claim"].primary) == (2, 1)
    assert by_kind["party"].primary_share == 1.0
    assert report.total.citations == 4 and report.total.primary == 3
    assert report.classes == {"government": 2, "news": 1, "treaty_depositary": 1}
    assert report.one_source == ["agency:gbr-ncsc", "party:instrument:budapest-convention/state:DEU/party"]


def test_a_host_classified_two_ways_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("- {host: example.org, publisher: Ex, class: news}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("- {host: example.org, publisher: Ex, class: government, actor: state:GBR}\n",
                                     encoding="utf-8")
    with pytest.raises(DataError, match="classified differently"):
        load_registry(tmp_path)
    (tmp_path / "b.yaml").write_text("- {host: example.org, publisher: Ex, class: refused}\n", encoding="utf-8")
    with pytest.raises(DataError, match="refused host needs a reason"):
        load_registry(tmp_path)


def test_a_complete_member_list_counts_current_members_only() -> None:
    coe = Actor.model_validate({
        "id": "org:coe", "kind": "organization", "name": "Council of Europe",
        "sources": [cite("https://www.coe.int/en/web/portal")],
        "coverage": [{"role": "member", "status": "complete", "count": 1, "as_of": "2026-12-07",
                      "sources": [cite("https://www.coe.int/en/web/portal/46-members")]}]})

    def member(iso3: str, until: str | None) -> Membership:
        return Membership.model_validate({"member": f"state:{iso3}", "organization": "org:coe", "role": "member",
                                          "valid_from": "1996", "valid_to": until,
                                          "sources": [cite("https://www.coe.int/en/web/portal")]})

    assert breaches(coe, member("DEU", None), member("RUS", "2022-03-16")) == []
    assert [b.rule for b in breaches(coe, member("DEU", None), member("FRA", None))] == [provenance.RULE_COMPLETE]
