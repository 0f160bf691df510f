"""The curated dataset shipped with cyberdip: YAML files per record kind, validated on load.

A kind is one file (``actors.yaml``) or a folder of files (``actors/agencies-africa.yaml`` ...),
so that curators can work on separate subjects without touching each other's files.

Every problem is reported with the file and line, the record id, the field and the reason, and
the whole dataset is checked before anything is written: ids unique, every reference resolving,
every cited URL described the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cyberdip.model import (
    Actor,
    AttributionClaim,
    Commitment,
    Event,
    GroupLink,
    Incident,
    Instrument,
    Located,
    Matter,
    Membership,
    Norm,
    Party,
    Position,
    Record,
    Response,
    record_type_for,
)
from cyberdip.model.errors import DataError, Problem

#: file name → the record type every entry of that file must be
KIND_FILES: dict[str, type[Record]] = {
    "matters.yaml": Matter,
    "actors.yaml": Actor,
    "instruments.yaml": Instrument,
    "norms.yaml": Norm,
    "memberships.yaml": Membership,
    "parties.yaml": Party,
    "commitments.yaml": Commitment,
    "events.yaml": Event,
    "incidents.yaml": Incident,
    "claims.yaml": AttributionClaim,
    "responses.yaml": Response,
    "positions.yaml": Position,
    "grouplinks.yaml": GroupLink,
}


#: libyaml's parser when available (ten times faster), the pure-Python one otherwise
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def curated_directory() -> Path:
    """The folder of the curated dataset inside the installed package."""
    return Path(str(resources.files("cyberdip") / "data" / "curated"))


def load_curated(directory: Path | None = None) -> list[Record]:
    """Read and validate the whole curated dataset; raise :class:`DataError` listing every problem."""
    return read_directory(directory or curated_directory(), self_contained=True)


def read_directory(directory: Path, *, self_contained: bool) -> list[Record]:
    """Read every kind file of a folder. ``self_contained``: references must resolve inside it
    (otherwise they are left for the store to resolve against the database)."""
    return [item.record for item in read_located(directory, self_contained=self_contained)]


def read_located(directory: Path, *, self_contained: bool = True) -> list[Located]:
    """Like :func:`read_directory`, each record with the file and line it was read from."""
    if not directory.is_dir():
        raise DataError([Problem(str(directory), "not a folder")])
    problems: list[Problem] = []
    located: list[Located] = []
    folders = {name.removesuffix(".yaml") for name in KIND_FILES}
    unknown = sorted(p.name for p in directory.glob("*.yaml") if p.name not in KIND_FILES)
    unknown += sorted(p.name + "/" for p in directory.iterdir() if p.is_dir() and p.name not in folders)
    for name in unknown:
        problems.append(Problem(name, f"unknown file or folder; expected one of {', '.join(KIND_FILES)} "
                                "or a folder named after the kind"))
    for name, record_type in KIND_FILES.items():
        for path in kind_paths(directory, name):
            located.extend(_read_file(path, record_type, problems, directory))
    problems.extend(check_dataset(located, self_contained=self_contained))
    if problems:
        raise DataError(problems)
    return located


def kind_paths(directory: Path, name: str) -> list[Path]:
    """The files holding one kind: ``actors.yaml`` and every ``actors/*.yaml``, in name order."""
    single = directory / name
    folder = directory / name.removesuffix(".yaml")
    return ([single] if single.is_file() else []) + (sorted(folder.glob("*.yaml")) if folder.is_dir() else [])


def _read_file(path: Path, record_type: type[Record], problems: list[Problem],
               root: Path | None = None) -> Iterator[Located]:
    for where, data in _yaml_items(path, problems, root):
        yield from _validate(where, data, record_type, problems)


def _validate(where: str, data: Any, record_type: type[Record], problems: list[Problem]) -> Iterator[Located]:
    if not isinstance(data, dict):
        problems.append(Problem(where, f"expected a mapping (one record), got {type(data).__name__}"))
        return
    record_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        record = record_type.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or None
            problems.append(Problem(where, error["msg"], record_id, field))
        return
    yield Located(record, where)


def _yaml_items(path: Path, problems: list[Problem], root: Path | None = None) -> Iterator[tuple[str, Any]]:
    """Each top-level list item of a YAML file with its ``file:line`` location (the file named
    relative to ``root`` when given: ``actors/states.yaml:12``)."""
    name = path.relative_to(root).as_posix() if root else path.name
    loader = _Loader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        if node is None:
            return
        if not isinstance(node, yaml.SequenceNode):
            problems.append(Problem(f"{name}:{node.start_mark.line + 1}", "the file must be a YAML list"))
            return
        for item in node.value:
            yield f"{name}:{item.start_mark.line + 1}", loader.construct_object(item, deep=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problems.append(Problem(where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    finally:
        loader.dispose()


def read_file(path: Path) -> list[Record]:
    """Read one file of records. A kind file (``memberships.yaml``...) holds that kind; any other
    YAML or JSON file may mix kinds, each record's type told by its id prefix."""
    if not path.is_file():
        raise DataError([Problem(str(path), "no such file")])
    problems: list[Problem] = []
    record_type = KIND_FILES.get(path.name)
    if record_type:
        located = list(_read_file(path, record_type, problems))
    else:
        located = []
        for where, data in _yaml_items(path, problems):
            record_id = data.get("id") if isinstance(data, dict) else None
            if not isinstance(record_id, str):
                problems.append(Problem(where, "each record needs an id telling its kind (or name the file "
                                        f"after its kind: {', '.join(KIND_FILES)})", None, "id"))
                continue
            try:
                kind_type = record_type_for(record_id)
            except KeyError:
                problems.append(Problem(where, f"unknown id prefix in {record_id!r}", record_id, "id"))
                continue
            located.extend(_validate(where, data, kind_type, problems))
    problems.extend(check_dataset(located, self_contained=False))
    if problems:
        raise DataError(problems)
    return [item.record for item in located]


def check_dataset(located: Iterable[Located], *, self_contained: bool = True) -> list[Problem]:
    """Cross-record checks: unique ids, resolving references, consistent sources."""
    items = list(located)
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    for item in items:
        if item.record.id in first_seen:
            problems.append(
                Problem(item.where, f"duplicate id (first defined at {first_seen[item.record.id]})", item.record.id)
            )
        else:
            first_seen[item.record.id] = item.where
    for item in items if self_contained else ():
        for field, ref in item.record.references():
            if ref not in first_seen:
                problems.append(Problem(item.where, f"refers to unknown record {ref!r}", item.record.id, field))
    problems.extend(_check_sources(items))
    return problems


def _check_sources(items: list[Located]) -> list[Problem]:
    problems: list[Problem] = []
    described: dict[str, tuple[Any, str]] = {}
    for item in items:
        for citation in item.record.sources:
            source = citation.source()
            url = str(source.url)
            if url not in described:
                described[url] = (source, item.where)
            elif described[url][0] != source:
                first, where = described[url]
                diff = [f for f in ("title", "publisher", "published") if getattr(first, f) != getattr(source, f)]
                problems.append(
                    Problem(
                        item.where,
                        f"source {url} is described differently at {where} ({', '.join(diff)} differ)",
                        item.record.id,
                        "sources",
                    )
                )
    return problems
