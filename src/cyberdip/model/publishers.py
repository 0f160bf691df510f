"""The publisher registry's vocabulary: who publishes at a web host, what kind of source that
makes it, and the most specific entry for a URL (longest matching host, then longest path
prefix). The shipped registry is read from data files by :mod:`cyberdip.sources.publishers`."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cyberdip.model.values import RecordId


class PublisherClass(StrEnum):
    GOVERNMENT = "government"
    INTERGOVERNMENTAL = "intergovernmental"
    TREATY_DEPOSITARY = "treaty_depositary"
    COURT = "court"
    OFFICIAL_INITIATIVE = "official_initiative"
    COMPANY = "company"
    RESEARCH = "research"
    NEWS = "news"
    REFERENCE = "reference"
    REFUSED = "refused"


#: classes whose pages are primary sources: the official voice or record itself
PRIMARY = frozenset(
    {
        PublisherClass.GOVERNMENT,
        PublisherClass.INTERGOVERNMENTAL,
        PublisherClass.TREATY_DEPOSITARY,
        PublisherClass.COURT,
        PublisherClass.OFFICIAL_INITIATIVE,
    }
)


class Publisher(BaseModel):
    """One registry entry."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    host: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z0-9-]+$")
    path: str | None = Field(default=None, pattern=r"^/")
    publisher: str = Field(min_length=2)
    class_: PublisherClass = Field(alias="class")
    actor: RecordId | None = Field(default=None, description="whose voice the host is")
    reason: str | None = None

    @model_validator(mode="after")
    def _check_reason(self) -> Publisher:
        if self.class_ is PublisherClass.REFUSED and not self.reason:
            raise ValueError("a refused host needs a reason")
        return self

    @property
    def primary(self) -> bool:
        return self.class_ in PRIMARY


@dataclass(frozen=True)
class Classified:
    """What the registry says about one URL: the entry, or why the URL is refused or unknown."""

    url: str
    entry: Publisher | None
    refusal: str | None = None

    @property
    def known(self) -> bool:
        return self.entry is not None or self.refusal is not None

    @property
    def class_(self) -> PublisherClass | None:
        if self.refusal:
            return PublisherClass.REFUSED
        return self.entry.class_ if self.entry else None

    @property
    def primary(self) -> bool:
        return self.refusal is None and self.entry is not None and self.entry.primary


#: URLs refused whatever their host: CAPTCHA walls and search-result pages are not sources
_REFUSED_PATH = re.compile(r"captcha|/search(?:[/?]|$)|[?&](?:q|query|search|s)=", re.IGNORECASE)


class Registry:
    """host (and optional path prefix) → publisher entry."""

    def __init__(self, entries: list[Publisher]) -> None:
        self.entries = entries
        self._by_host: dict[str, list[Publisher]] = {}
        for entry in entries:
            self._by_host.setdefault(entry.host, []).append(entry)
        for same_host in self._by_host.values():
            same_host.sort(key=lambda e: len(e.path or ""), reverse=True)

    def classify(self, url: str) -> Classified:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if _is_ip(host):
            return Classified(url, None, "a bare IP address, not a publisher's host")
        if _REFUSED_PATH.search(parts.path + ("?" + parts.query if parts.query else "")):
            return Classified(url, None, "a CAPTCHA or search-result URL, not a document")
        labels = host.split(".")
        for start in range(len(labels) - 1):
            candidates = self._by_host.get(".".join(labels[start:]), [])
            for entry in candidates:
                if entry.path is None or parts.path.startswith(entry.path):
                    if entry.class_ is PublisherClass.REFUSED:
                        return Classified(url, entry, entry.reason)
                    return Classified(url, entry)
        return Classified(url, None)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
