"""The composition root: everything a service needs, built once from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from cyberdip.services.settings import Settings
from cyberdip.store import migrate
from cyberdip.store.engine import open_engine


class NotInitialised(RuntimeError):
    """The database has no schema yet (or an old one)."""


@dataclass
class Workbench:
    settings: Settings
    engine: Engine
    _schema_checked: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> Workbench:
        return cls(settings, open_engine(settings.database_url))

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for queries; fails clearly when the database was never initialised."""
        if not self._schema_checked:
            self.require_schema()
        with self.engine.connect() as connection:
            yield connection

    def require_schema(self) -> None:
        """Fail clearly unless the database schema is at the latest migration."""
        if not migrate.is_current(self.engine):
            raise NotInitialised(
                f"The database at {self.engine.url.render_as_string(hide_password=True)} is not initialised "
                "or is out of date: run `cyberdip init`."
            )
        self._schema_checked = True

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on any error."""
        with self.engine.begin() as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()
