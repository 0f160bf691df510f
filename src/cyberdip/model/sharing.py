"""Sharing-hub vocabulary: partners, collections, grants and Traffic Light Protocol levels.

TLP 2.0 (FIRST, August 2022) orders disclosure from widest to narrowest: CLEAR, GREEN, AMBER,
AMBER+STRICT, RED. A grant's ``max_tlp`` is the most restrictive level a partner may receive;
RED never leaves the hub.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cyberdip.model.values import RecordId


class TLP(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, marking: TLP) -> bool:
        """Whether a grant up to this level covers an object marked ``marking`` (RED never does)."""
        return marking is not TLP.RED and marking.rank <= self.rank


_RANK = {level: position for position, level in enumerate(TLP)}


class SharingClause(BaseModel):
    """What an instrument says about sharing: between which kind of bodies, up to which TLP
    level, into which collections. Grants are derived from it for the parties' partners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: str = Field(min_length=3, description="e.g. CERT-to-CERT threat information")
    max_tlp: TLP = TLP.GREEN
    collections: list[str] = Field(min_length=1, description="aliases of the hub collections it covers")
    read: bool = True
    write: bool = False


class GrantBasis(BaseModel):
    """Where a grant came from: set by hand, or derived from an instrument's sharing clause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern="^(manual|instrument)$")
    instrument: RecordId | None = None


def version_key(timestamp: str) -> str:
    """A STIX timestamp as a fixed-width key (nine fractional digits), so that versions compare and
    sort by time whatever precision their producers wrote: ``...00Z`` and ``...00.000Z`` are the
    same version, and ``...00.5Z`` comes after ``...00Z``. Other values (an object without a
    version) are kept as they are."""
    if len(timestamp) < 20 or timestamp[-1] not in "zZ" or timestamp[10] not in "tT":
        return timestamp
    whole, _, fraction = timestamp[:-1].partition(".")
    return f"{whole}.{(fraction + '000000000')[:9]}Z"
