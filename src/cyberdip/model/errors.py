"""Errors that carry enough context for a user to find and fix bad input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with input data: where it is, which record and field, and why."""

    where: str  # file name (with :line when known) or the import's name
    reason: str
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + f": {self.reason}"


class DataError(Exception):
    """Input data failed validation. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the input:\n{shown}{more}")


class NotFound(LookupError):
    """A reference or name that matches no record; carries did-you-mean suggestions."""

    def __init__(self, ref: str, suggestions: list[str] | None = None):
        self.ref = ref
        self.suggestions = suggestions or []
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"No record matches {ref!r}.{hint}")
