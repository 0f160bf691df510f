from cyberdip.analysis.matching import fuzzy_matches

CANDIDATES = [
    ("state:DEU", "Germany", "germany"),
    ("state:DEU", "DE", "de"),
    ("state:GEO", "Georgia", "georgia"),
    ("state:USA", "USA", "usa"),
    ("state:SAU", "SA", "sa"),
]


def test_typos_find_the_record_once() -> None:
    matches = fuzzy_matches("germanny", CANDIDATES)
    assert matches[0].record_id == "state:DEU"
    assert len({m.record_id for m in matches}) == len(matches)


def test_short_codes_never_match_fuzzily() -> None:
    assert fuzzy_matches("usa", CANDIDATES) == []
    assert all(m.record_id != "state:SAU" for m in fuzzy_matches("usaa", CANDIDATES))
