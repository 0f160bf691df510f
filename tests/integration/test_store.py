"""The store on SQLite and PostgreSQL: round trips, idempotent init, atomic loads, change log."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cyberdip.model import Actor, Membership, record_type_for
from cyberdip.model.errors import DataError
from cyberdip.services import catalogue, loading
from cyberdip.services.workbench import Workbench
from cyberdip.sources.curated import curated_directory, load_curated
from cyberdip.store import reader, writer
from cyberdip.store.schema import changes, records

SOURCE = {"url": "https://example.org/doc", "title": "A document", "publisher": "Example", "published": "2015"}
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def snapshot(workbench: Workbench) -> dict[str, tuple[str, dict[str, object]]]:
    with workbench.reading() as connection:
        return {r.id: (r.origin, r.data) for r in reader.iterate(connection)}


def test_round_trip_returns_every_record_as_loaded(workbench: Workbench) -> None:
    summary = loading.init_database(workbench, at=T0)
    shipped = {r.id: r for r in load_curated()}
    assert len(summary.added) == len(shipped)
    with workbench.reading() as connection:
        stored = {r.id: r for r in reader.iterate(connection)}
    assert stored.keys() == shipped.keys()
    for record_id, record in shipped.items():
        again = record_type_for(record_id).model_validate(stored[record_id].data)
        assert again == record


def test_init_twice_gives_the_same_database(workbench: Workbench) -> None:
    loading.init_database(workbench, at=T0)
    first = snapshot(workbench)
    second_summary = loading.init_database(workbench, at=T0 + dt.timedelta(days=1))
    assert second_summary.counts()["added"] == 0
    assert second_summary.counts()["changed"] == 0
    assert second_summary.counts()["removed"] == 0
    assert snapshot(workbench) == first


def test_a_failed_load_leaves_the_database_as_it_was(workbench: Workbench) -> None:
    loading.init_database(workbench, at=T0)
    before = snapshot(workbench)
    good = Actor(id="agency:deu-test", kind="agency", name="Test office", parent="state:DEU", sources=[SOURCE])
    bad = Membership(member="state:DEU", organization="org:does-not-exist", sources=[SOURCE])
    with pytest.raises(DataError, match="org:does-not-exist"), workbench.writing() as connection:
        writer.ingest(connection, [good, bad], origin="user")
    assert snapshot(workbench) == before


def test_a_crash_in_the_middle_of_a_load_rolls_everything_back(
    workbench: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    loading.init_database(workbench, at=T0)
    before = snapshot(workbench)

    def crash(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "_replace_index", crash)  # fails after the records rows are written
    new = Actor(id="agency:deu-test", kind="agency", name="Test office", parent="state:DEU", sources=[SOURCE])
    with pytest.raises(RuntimeError, match="disk full"), workbench.writing() as connection:
        writer.ingest(connection, [new], origin="user")
    assert snapshot(workbench) == before


def test_the_change_log_records_an_update_and_answers_as_of(workbench: Workbench, tmp_path: Path) -> None:
    loading.init_database(workbench, at=T0)
    edited = tmp_path / "actors.yaml"
    edited.write_text(
        """- id: agency:deu-bsi
  kind: agency
  name: Federal Office for Information Security
  aliases: [BSI]
  parent: state:DEU
  roles: [cybersecurity_agency, national_cert]
  founded: "1991-01-01"
  summary: Germany's federal cyber security authority (edited by a user).
  sources:
    - url: https://www.bsi.bund.de/EN/Das-BSI/das-bsi_node.html
      title: About the BSI
      publisher: Federal Office for Information Security
""",
        encoding="utf-8",
    )
    later = T0 + dt.timedelta(days=30)
    summary = loading.import_records(workbench, edited, at=later)
    assert summary.changed == ["agency:deu-bsi"]
    with workbench.reading() as connection:
        log = catalogue.record_history(connection, "agency:deu-bsi")
        roles = [c for c in log if c["field"] == "roles"]
        assert roles and roles[0]["new"] == ["cybersecurity_agency", "national_cert"]
        assert roles[0]["origin"] == "user"
        now = catalogue.profile(connection, "agency:deu-bsi")
        then = catalogue.profile(connection, "agency:deu-bsi", as_of=(T0 + dt.timedelta(days=1)).date())
        assert now.record["roles"] == ["cybersecurity_agency", "national_cert"]
        assert then.record["roles"] == roles[0]["old"]
        assert "edited by a user" not in (then.record["summary"] or "")
        count = connection.execute(select(func.count()).select_from(changes)).scalar_one()
        assert count > 0


def release_without(tmp_path: Path, record_id: str) -> Path:
    """A copy of the shipped curated folder with one record left out."""
    release = tmp_path / "release"
    shutil.copytree(curated_directory(), release)
    for path in release.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        blocks = text.split("\n- ")
        kept = "\n- ".join(b for b in blocks if not b.startswith(f"id: {record_id}\n"))
        if kept != text:
            path.write_text(kept, encoding="utf-8")
    return release


def unreferenced_agency(workbench: Workbench) -> str:
    with workbench.reading() as connection:
        for record in reader.listing(connection, kinds=["actor"], subkinds=["agency"]):
            if not reader.referrers(connection, record.id):
                return record.id
    raise AssertionError("every agency is referred to")


MINE = """- id: agency:deu-test-office
  kind: agency
  name: Test Cyber Office
  parent: state:DEU
  roles: [coordinator]
  replaces: {replaces}
  sources:
    - url: https://example.org/test-office
      title: Test office
      publisher: Example
"""


def test_user_records_survive_a_reload_and_curated_removals_are_logged(
    workbench: Workbench, tmp_path: Path
) -> None:
    loading.init_database(workbench, at=T0)
    mine = tmp_path / "actors.yaml"
    mine.write_text(MINE.format(replaces="null"), encoding="utf-8")
    loading.import_records(workbench, mine, at=T0 + dt.timedelta(days=1))
    dropped = unreferenced_agency(workbench)
    release = release_without(tmp_path, dropped)
    summary = loading.init_database(workbench, curated=release, at=T0 + dt.timedelta(days=2))
    assert summary.removed == [dropped]
    with workbench.reading() as connection:
        assert reader.get(connection, "agency:deu-test-office") is not None
        assert reader.get(connection, dropped) is None
        known_then = catalogue.profile(connection, dropped, as_of=(T0 + dt.timedelta(days=1)).date())
        assert known_then.record["id"] == dropped
        total = connection.execute(select(func.count()).select_from(records)).scalar_one()
        assert total == len(load_curated()) - 1 + 1


def test_removing_a_record_a_user_record_refers_to_is_refused(workbench: Workbench, tmp_path: Path) -> None:
    loading.init_database(workbench, at=T0)
    target = unreferenced_agency(workbench)
    mine = tmp_path / "actors.yaml"
    mine.write_text(MINE.format(replaces=target), encoding="utf-8")
    loading.import_records(workbench, mine, at=T0 + dt.timedelta(days=1))
    before = snapshot(workbench)
    release = release_without(tmp_path, target)
    with pytest.raises(DataError, match="agency:deu-test-office"):
        loading.init_database(workbench, curated=release)
    assert snapshot(workbench) == before
