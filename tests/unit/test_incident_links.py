"""Linking the records of one incident across datasets, on small made-up records."""

from __future__ import annotations

from cyberdip.analysis.incident_links import IncidentFacts, clusters, match_incidents, words


def facts(record_id: str, dataset: str, name: str, start: str | None, **parties: frozenset[str]) -> IncidentFacts:
    return IncidentFacts(record_id, dataset, name, start, victims=parties.get("victims", frozenset()),
                         actors=parties.get("actors", frozenset()))


OURS = facts("incident:notpetya-2017", "curated", "NotPetya destructive malware attack", "2017-06-27",
             victims=frozenset({"state:UKR"}), actors=frozenset({"state:RUS"}))


def test_a_shared_distinctive_name_and_close_dates_make_the_same_incident() -> None:
    cfr = facts("incident:cfr/notpetya", "import:cfr", "NotPetya", "2017-07-01", actors=frozenset({"state:RUS"}))
    [match] = match_incidents([cfr], [OURS])
    assert (match.a, match.b, match.status) == ("incident:cfr/notpetya", "incident:notpetya-2017", "same")
    assert "'notpetya'" in match.basis and "4 days apart" in match.basis and "state:RUS" in match.basis


def test_generic_words_years_and_distant_dates_link_nothing() -> None:
    other = facts("incident:cfr/x", "import:cfr", "Destructive malware attack 2017", "2017-06-27")
    petya = facts("incident:dcid/210", "import:dcid", "Petya_A", "2016-03-01")
    later = facts("incident:cfr/np", "import:cfr", "NotPetya anniversary copycat", "2019-06-27")
    assert match_incidents([other, petya, later], [OURS]) == []
    assert words("Cyberattack on the Ministry of Defence 2017") == {"defence"}  # a weak word: see below


def test_far_apart_or_weak_evidence_is_only_a_suggestion() -> None:
    months_later = facts("incident:eurepoc/9", "import:eurepoc", "NotPetya follow-on", "2018-03-01")
    [match] = match_incidents([months_later], [OURS])
    assert match.status == "possibly_same"
    sector = facts("incident:cfr/t", "import:cfr", "Targeting of Vietnamese ministries", "2020-04-20")
    near = facts("incident:eurepoc/5", "import:eurepoc", "Vietnamese government phishing", "2020-05-01")
    [weak] = match_incidents([sector], [near])
    assert weak.status == "possibly_same"
    months_apart = facts("incident:e/6", "import:eurepoc", "Vietnamese telecoms", "2020-09-01")
    assert match_incidents([sector], [months_apart]) == []


def test_records_of_one_dataset_are_never_linked_and_clusters_are_transitive() -> None:
    a = facts("incident:dcid/217", "import:dcid", "NotPetya_A", "2017-06-27")
    b = facts("incident:dcid/30", "import:dcid", "NotPetya_B", "2017-06-01")
    matches = match_incidents([a, b], [OURS])
    assert {(m.a, m.b) for m in matches} == {("incident:dcid/217", "incident:notpetya-2017"),
                                            ("incident:dcid/30", "incident:notpetya-2017")}
    grouped = clusters((m.a, m.b) for m in matches)
    assert grouped["incident:dcid/217"] == grouped["incident:dcid/30"] == {
        "incident:dcid/217", "incident:dcid/30", "incident:notpetya-2017"}
