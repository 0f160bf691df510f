"""A malformed curated file fails with the file, line, record id, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberdip.model.errors import DataError
from cyberdip.sources.curated import load_curated, read_file

SOURCE = """    sources:
      - url: https://example.org/doc
        title: A document
        publisher: Example
        published: "2015"
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def state(iso3: str, iso2: str, name: str, extra: str = "") -> str:
    return f"""- id: state:{iso3}
  kind: state
  name: {name}
  iso2: {iso2}
  iso3: {iso3}
{extra}""" + SOURCE.replace("    ", "  ", 1).replace("\n      ", "\n    ").replace("\n        ", "\n      ")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_curated(folder)
    return [str(p) for p in caught.value.problems]


def test_a_valid_folder_loads(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", state("DEU", "DE", "Germany") + state("FRA", "FR", "France"))
    records = load_curated(tmp_path)
    assert [r.id for r in records] == ["state:DEU", "state:FRA"]


def test_missing_field_names_file_line_record_and_field(tmp_path: Path) -> None:
    body = state("DEU", "DE", "Germany") + "- id: state:FRA\n  kind: state\n  iso2: FR\n  iso3: FRA\n" + SOURCE.replace(
        "    sources", "  sources").replace("      -", "    -").replace("        ", "      ")
    write(tmp_path, "actors.yaml", body)
    [problem] = problems_of(tmp_path)
    assert problem.startswith("actors.yaml:")
    line = int(problem.split(":")[1])
    assert body.splitlines()[line - 1] == "- id: state:FRA"
    assert "state:FRA" in problem and "field 'name'" in problem and "Field required" in problem


def test_record_without_sources_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", "- id: state:DEU\n  kind: state\n  name: Germany\n  iso2: DE\n  iso3: DEU\n")
    [problem] = problems_of(tmp_path)
    assert "actors.yaml:1: state:DEU: field 'sources'" in problem


def test_bad_date_names_the_field(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", state("DEU", "DE", "Germany", '  founded: "1949-13-01"\n'))
    [problem] = problems_of(tmp_path)
    assert "field 'founded'" in problem and "impossible date" in problem


def test_duplicate_ids_and_unknown_references_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", state("DEU", "DE", "Germany") + state("DEU", "DE", "Germany again"))
    write(tmp_path, "memberships.yaml", "- member: state:DEU\n  organization: org:nato\n" + SOURCE.replace(
        "    sources", "  sources").replace("      -", "    -").replace("        ", "      "))
    problems = problems_of(tmp_path)
    assert any("duplicate id" in p and "state:DEU" in p for p in problems)
    assert any("memberships.yaml:1" in p and "field 'organization'" in p and "org:nato" in p for p in problems)


def test_unparseable_yaml_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", "- id: state:DEU\n  name: [unclosed\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith("actors.yaml:") and "not valid YAML" in problem


def test_unknown_file_names_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "actor.yaml", "[]\n")
    assert any("unknown file" in p for p in problems_of(tmp_path))


def test_a_source_url_must_be_described_the_same_everywhere(tmp_path: Path) -> None:
    write(tmp_path, "actors.yaml", state("DEU", "DE", "Germany") + state("FRA", "FR", "France").replace(
        "title: A document", "title: Another title"))
    [problem] = problems_of(tmp_path)
    assert "state:FRA" in problem and "described differently" in problem and "title" in problem


def test_a_mixed_file_tells_kinds_by_id_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", state("DEU", "DE", "Germany") + "- name: no id\n")
    with pytest.raises(DataError, match="needs an id"):
        read_file(path)
