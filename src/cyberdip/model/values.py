"""Small value types shared by every record: partial dates, record ids and references.

Dates in diplomacy are often known only to the month or the year ("signed in 2015"), so a
:data:`PartialDate` is an ISO 8601 string of the form ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
Partial dates sort correctly as strings; :func:`date_floor` and :func:`date_ceil` give the first
and last day they may stand for when a precise comparison is needed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: id prefix → record kind. The prefix makes every id globally unique and tells its kind.
ID_PREFIXES: dict[str, str] = {
    "state": "actor",
    "agency": "actor",
    "org": "actor",
    "initiative": "actor",
    "group": "actor",
    "company": "actor",
    "person": "actor",
    "membership": "membership",
    "instrument": "instrument",
    "party": "party",
    "commitment": "commitment",
    "norm": "norm",
    "event": "event",
    "matter": "matter",
    "rollcall": "rollcall",
    "position": "position",
    "incident": "incident",
    "claim": "claim",
    "response": "response",
    "grouplink": "grouplink",
    "incidentlink": "incidentlink",
}

_RECORD_ID = re.compile(r"^([a-z]+):[A-Za-z0-9][A-Za-z0-9._:/+-]*$")


def _coerce_partial_date(value: Any) -> Any:
    """Accept dates, datetimes and bare years (YAML turns ``2015`` into an int) as partial dates."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a date like 2015, 2015-09 or 2015-09-25, got {value!r}")
    value = value.strip()
    match = _PARTIAL_DATE.match(value)
    if not match:
        raise ValueError(f"expected a date like 2015, 2015-09 or 2015-09-25, got {value!r}")
    date_floor(value)  # raises on impossible months and days
    return value


def date_floor(value: str) -> dt.date:
    """The first day a partial date may stand for: ``2015-09`` → 2015-09-01."""
    match = _PARTIAL_DATE.match(value)
    if not match:
        raise ValueError(f"not a partial date: {value!r}")
    year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"impossible date {value!r}: {exc}") from None


def date_ceil(value: str) -> dt.date:
    """The last day a partial date may stand for: ``2015-09`` → 2015-09-30."""
    match = _PARTIAL_DATE.match(value)
    if not match:
        raise ValueError(f"not a partial date: {value!r}")
    year, month, day = match.groups()
    if day:
        return dt.date(int(year), int(month), int(day))
    if month:
        return dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    return dt.date(int(year), 12, 31)


def _check_record_id(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"expected a record id like 'state:DEU', got {value!r}")
    value = value.strip()
    match = _RECORD_ID.match(value)
    if not match:
        raise ValueError(f"malformed record id {value!r}: expected 'prefix:slug', e.g. 'state:DEU'")
    if match.group(1) not in ID_PREFIXES:
        known = ", ".join(sorted(ID_PREFIXES))
        raise ValueError(f"unknown id prefix {match.group(1)!r} in {value!r} (known: {known})")
    return value


PartialDate = Annotated[str, BeforeValidator(_coerce_partial_date)]
RecordId = Annotated[str, BeforeValidator(_check_record_id)]


@dataclass(frozen=True)
class Ref:
    """Marks a field as a reference to other records, restricted to some id prefixes."""

    prefixes: tuple[str, ...]

    def accepts(self, record_id: str) -> bool:
        return record_id.split(":", 1)[0] in self.prefixes


ACTOR_PREFIXES = ("state", "agency", "org", "initiative", "group", "company", "person")
BODY_PREFIXES = ("org", "initiative")


def prefix_of(record_id: str) -> str:
    return record_id.split(":", 1)[0]


def kind_of(record_id: str) -> str:
    """The record kind an id belongs to, from its prefix (``state:DEU`` → ``actor``)."""
    return ID_PREFIXES[prefix_of(record_id)]


def slug(text: str) -> str:
    """A lowercase ASCII slug: ``"Cyber Threat Intelligence"`` → ``"cyber-threat-intelligence"``."""
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def normalise_name(text: str) -> str:
    """The form names are matched in: accents and punctuation dropped, casefolded, spaces collapsed.

    ``"Côte d'Ivoire"`` → ``"cote d ivoire"``; ``"U.S."`` → ``"u s"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped.casefold()).split())


def parse_partial_date(value: str) -> str:
    """Validate user input as a partial date; raise ValueError naming the expected forms."""
    result = _coerce_partial_date(value)
    assert isinstance(result, str)
    return result
