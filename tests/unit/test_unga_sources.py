"""UN vote importers on small files: formats told apart, codes mapped, bad rows named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cyberdip.analysis.tagging import MatterRule, tag
from cyberdip.model import RollCall
from cyberdip.model.errors import DataError
from cyberdip.sources import unga

LOOKUP = unga.StateLookup(
    by_iso2={"US": "state:USA", "GB": "state:GBR", "RU": "state:RUS", "DE": "state:DEU"},
    by_iso3={"USA": "state:USA", "GBR": "state:GBR", "RUS": "state:RUS", "DEU": "state:DEU"},
    by_cow={2: "state:USA", 200: "state:GBR", 365: "state:RUS", 255: "state:DEU"},
    by_name={"united states": "state:USA"},
)
RULES = [MatterRule.of("matter:un-cyber-process",
                       ["information and telecommunications in the context of international security"])]


def tagger(symbol: str, text: str) -> list[str]:
    return tag(symbol, text, RULES)


def write(path: Path, text: str, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def unvotes_folder(tmp_path: Path, votes: str) -> Path:
    write(tmp_path / "un_roll_calls.csv.gz", "rcid,session,importantvote,date,unres,amend,para,short,descr\n"
          "6073,73,0,2018-12-05,R/73/27,0,0,Developments in the field of information and telecommunications "
          "in the context of international security,Adopted\n"
          "6074,73,1,2018-12-05,R/73/28,1,0,Something else,An amendment\n", gz=True)
    write(tmp_path / "un_roll_call_issues.csv", "rcid,short_name,issue\n6073,ec,Economic development\n")
    return write(tmp_path / "un_votes.csv.gz", votes, gz=True)


def test_unvotes_tables_are_read_tagged_and_normalised(tmp_path: Path) -> None:
    unvotes_folder(tmp_path, "rcid,country,country_code,vote\n6073,United States,US,no\n6073,Russia,RU,yes\n"
                   "6074,United Kingdom,GB,abstain\n6074,Federal Republic of Germany,,yes\n")
    assert unga.detect_format(tmp_path) == "unvotes"
    data = unga.read_votes(tmp_path, LOOKUP, tagger)
    first, second = data.rollcalls
    assert first.symbol == "A/RES/73/27" and first.matters == ["matter:un-cyber-process"]
    assert first.dataset_issues == ["Economic development"]  # the dataset's own label is kept, not trusted
    assert second.amendment and second.important and second.matters == []
    assert sorted(data.votes) == [("rollcall:unga-6073", "state:RUS", unga.YES), ("rollcall:unga-6073", "state:USA",
                                  unga.NO), ("rollcall:unga-6074", "state:DEU", unga.YES),
                                  ("rollcall:unga-6074", "state:GBR", unga.ABSTAIN)]
    assert first.sources[0].locator == "rcid 6073"


def test_unvotes_bad_rows_are_named_and_nothing_is_returned(tmp_path: Path) -> None:
    unvotes_folder(tmp_path, "rcid,country,country_code,vote\n6073,United States,US,maybe\n"
                   "9999,United States,US,yes\n6073,Atlantis,AX,yes\n")
    with pytest.raises(DataError) as caught:
        unga.read_votes(tmp_path, LOOKUP, tagger)
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("un_votes.csv.gz:2") and "unknown vote 'maybe'" in p for p in problems)
    assert any(p.startswith("un_votes.csv.gz:3") and "9999" in p for p in problems)
    assert any("Atlantis (AX)" in p and "matches no state" in p for p in problems)


def test_voeten_keeps_absent_and_non_member_apart_from_abstain(tmp_path: Path) -> None:
    path = write(tmp_path / "voeten.csv", "rcid,session,vote,ccode,member,importantvote,date,unres,year\n"
                 "3,1,1,2,1,0,1/1/1946,R/1/66,1946\n3,1,2,200,1,0,1/1/1946,R/1/66,1946\n"
                 "3,1,8,365,1,0,1/1/1946,R/1/66,1946\n3,1,9,255,,0,1/1/1946,R/1/66,1946\n"
                 "3,1,9,817,,0,1/1/1946,R/1/66,1946\n4592,59,1,2,1,0,,,2004\n")
    assert unga.detect_format(path) == "voeten"
    data = unga.read_votes(path, LOOKUP, tagger)
    codes = {state: code for _, state, code in data.votes if _ == "rollcall:unga-3"}
    assert codes == {"state:USA": unga.YES, "state:GBR": unga.ABSTAIN, "state:RUS": unga.ABSENT,
                     "state:DEU": unga.NON_MEMBER}  # COW 817 was never a member: its row is not a vote
    undated = next(c for c in data.rollcalls if c.id == "rollcall:unga-4592")
    assert undated.date == "2004" and undated.symbol is None


def test_voeten_unknown_state_with_a_real_vote_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "voeten.csv", "rcid,session,vote,ccode,member,importantvote,date,unres,year\n"
                 "3,1,1,999,1,0,1/1/1946,R/1/66,1946\n3,1,7,2,1,0,1/1/1946,R/1/66,1946\n")
    with pytest.raises(DataError) as caught:
        unga.read_votes(path, LOOKUP, tagger)
    problems = [str(p) for p in caught.value.problems]
    assert any("voeten.csv:3" in p and "unknown vote code 7" in p for p in problems)
    assert any("COW 999" in p for p in problems)


def test_un_digital_library_export(tmp_path: Path) -> None:
    path = write(tmp_path / "ga_voting.csv", "undl_id,ms_code,ms_name,ms_vote,date,session,resolution,title\n"
                 "1655150,USA,UNITED STATES,N,2018-12-05,73,A/RES/73/27,Developments in the field of information "
                 "and telecommunications in the context of international security\n"
                 "1655150,RUS,RUSSIAN FEDERATION,Y,2018-12-05,73,A/RES/73/27,x\n"
                 "1655150,GBR,UNITED KINGDOM,,2018-12-05,73,A/RES/73/27,x\n")
    assert unga.detect_format(path) == "undl"
    data = unga.read_votes(path, LOOKUP, tagger)
    [call] = data.rollcalls
    assert call.id == "rollcall:undl-1655150" and call.session == 73 and call.matters == ["matter:un-cyber-process"]
    assert sorted(data.votes) == [("rollcall:undl-1655150", "state:GBR", unga.ABSENT),
                                  ("rollcall:undl-1655150", "state:RUS", unga.YES),
                                  ("rollcall:undl-1655150", "state:USA", unga.NO)]


def test_un_digital_library_bad_vote_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "ga_voting.csv", "undl_id,ms_code,ms_name,ms_vote,date,resolution\n"
                 "1,USA,UNITED STATES,Q,2018-12-05,A/RES/73/27\n")
    with pytest.raises(DataError, match=r"ga_voting.csv:2: bad row: unknown vote 'Q'"):
        unga.read_votes(path, LOOKUP, tagger)


def test_an_unknown_file_names_its_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "other.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match=r"other.csv: not a UN vote file.*found a, b, c"):
        unga.detect_format(path)


def test_yugoslavia_seat_passes_to_serbia_in_november_2000() -> None:
    assert LOOKUP.resolve(iso2="YU", date="1991-12-01") == "state:YUG"
    assert LOOKUP.resolve(iso2="YU", date="2001-12-01") == "state:SRB"
    assert LOOKUP.resolve(cow=260, date="1980-01-01") == "state:DEU"
    assert LOOKUP.resolve(name="Yemen Arab Republic") == "state:YEM"


def test_symbols_are_normalised() -> None:
    assert unga.normalise_symbol("R/73/27") == "A/RES/73/27"
    assert unga.normalise_symbol("A/RES/ES-10/19") == "A/RES/ES-10/19"
    assert unga.normalise_symbol("R/1/66") == "A/RES/1/66"


def test_digital_library_layout_without_record_numbers_keys_by_symbol(tmp_path: Path) -> None:
    """The DGACM-derived file of sessions 74-80 leaves undl_id blank, codes absences X and files
    emergency special sessions as ES-11: those votes go under the regular session of their date."""
    path = write(tmp_path / "s74-80.csv", "undl_id,ms_code,ms_name,ms_vote,date,session,resolution,title\n"
                 ",USA,UNITED STATES,Y,2022-03-02,ES-11,A/RES/ES-11/1,Aggression against Ukraine\n"
                 ",RUS,RUSSIAN FEDERATION,N,2022-03-02,ES-11,A/RES/ES-11/1,Aggression against Ukraine\n"
                 ",GBR,UNITED KINGDOM,X,2024-12-02,79,A/RES/79/237 B,Other\n")
    data = unga.read_votes(path, LOOKUP, tagger)
    calls = {c.id: c for c in data.rollcalls}
    assert set(calls) == {"rollcall:undl-a-res-es-11-1", "rollcall:undl-a-res-79-237-b"}
    assert calls["rollcall:undl-a-res-es-11-1"].session == 76
    assert calls["rollcall:undl-a-res-79-237-b"].session == 79
    assert ("rollcall:undl-a-res-79-237-b", "state:GBR", unga.ABSENT) in data.votes


# ---------------------------------------------------------------------------------------------
# The compact snapshot cyberdip ships


def _call(number: int, symbol: str, title: str) -> RollCall:
    return RollCall(id=f"rollcall:unga-{number}", body="org:un", session=73, date="2018-12-05", symbol=symbol,
                         title=title, sources=[unga.UNVOTES_SOURCE], matters=["matter:stale"])


def test_a_snapshot_keeps_every_vote_and_tags_roll_calls_afresh(tmp_path: Path) -> None:
    import numpy as np

    calls = [_call(6073, "A/RES/73/27", "Developments in the field of information and telecommunications in the "
                   "context of international security"), _call(6074, "A/RES/73/28", "Another text")]
    states = ["state:USA", "state:RUS", "state:DEU"]
    codes = np.array([[unga.NO, unga.YES], [unga.YES, 0], [unga.ABSTAIN, unga.ABSENT]], dtype=np.int8)
    path = tmp_path / "votes.json.gz"
    unga.write_snapshot(path, calls, states, codes, {"title": "test votes"})
    assert unga.detect_format(path) == "snapshot" and unga.snapshot_about(path) == {"title": "test votes"}
    data = unga.read_votes(path, LOOKUP, tagger)
    assert [c.id for c in data.rollcalls] == ["rollcall:unga-6073", "rollcall:unga-6074"]
    assert data.rollcalls[0].matters == ["matter:un-cyber-process"] and data.rollcalls[1].matters == []
    assert sorted(data.votes) == sorted([
        ("rollcall:unga-6073", "state:USA", unga.NO), ("rollcall:unga-6073", "state:RUS", unga.YES),
        ("rollcall:unga-6073", "state:DEU", unga.ABSTAIN), ("rollcall:unga-6074", "state:USA", unga.YES),
        ("rollcall:unga-6074", "state:DEU", unga.ABSENT)])  # no row where no vote is recorded


def test_a_bad_snapshot_is_refused_naming_the_file_and_roll_call(tmp_path: Path) -> None:
    plain = write(tmp_path / "votes.json.gz", '{"format": "something else"}', gz=True)
    with pytest.raises(DataError, match="not a cyberdip vote snapshot"):
        unga.read_votes(plain, LOOKUP, tagger)
    broken = write(tmp_path / "broken.json.gz", '{"format": "cyberdip-unga-snap', gz=True)
    with pytest.raises(DataError, match="cannot read the vote snapshot"):
        unga.read_votes(broken, LOOKUP, tagger)
    short = write(tmp_path / "short.json.gz", '{"format": "cyberdip-unga-snapshot/1", "states": ["state:USA", '
                  '"state:XXX"], "rollcalls": [{"id": "rollcall:unga-1", "body": "org:un", "date": "1946-01-01", '
                  '"title": "A vote", "votes": "Y"}]}', gz=True)
    with pytest.raises(DataError) as raised:
        unga.read_votes(short, LOOKUP, tagger)
    text = str(raised.value)
    assert "state:XXX" in text and "short.json.gz: roll call 1" in text and "expected 2 vote characters" in text
