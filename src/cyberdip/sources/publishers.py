"""The publisher registry shipped with cyberdip: YAML files under ``data/publishers/``, one entry
per host (and optional path prefix), read and checked here; the entries and the matching rules are
in :mod:`cyberdip.model.publishers`.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cyberdip.model.errors import DataError, Problem
from cyberdip.model.publishers import Publisher, Registry


def registry_directory() -> Path:
    return Path(str(resources.files("cyberdip") / "data" / "publishers"))


@functools.cache
def shipped_registry() -> Registry:
    """The registry shipped with cyberdip, read once per process."""
    return load_registry()


def load_registry(directory: Path | None = None) -> Registry:
    """Read every registry file; raise :class:`DataError` naming each bad or contradictory entry."""
    folder = directory or registry_directory()
    problems: list[Problem] = []
    entries: list[Publisher] = []
    seen: dict[tuple[str, str | None], tuple[Publisher, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        items = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(items, list):
            problems.append(Problem(path.name, "the file must be a YAML list of publisher entries"))
            continue
        for number, item in enumerate(items, 1):
            where = f"{path.name} entry {number}"
            entry = _entry(item, where, problems)
            if entry is None:
                continue
            key = (entry.host, entry.path)
            if key in seen:
                first, first_where = seen[key]
                if first.class_ is not entry.class_ or first.actor != entry.actor:
                    problems.append(Problem(where, f"{entry.host}{entry.path or ''} is classified differently "
                                            f"at {first_where}", field="class"))
                continue
            seen[key] = (entry, where)
            entries.append(entry)
    if problems:
        raise DataError(problems)
    return Registry(entries)


def _entry(item: Any, where: str, problems: list[Problem]) -> Publisher | None:
    if not isinstance(item, dict):
        problems.append(Problem(where, "expected a mapping with host, publisher and class"))
        return None
    try:
        return Publisher.model_validate(item)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or None
            problems.append(Problem(where, error["msg"], item.get("host"), field))
        return None
