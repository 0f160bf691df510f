"""Settings, read once from the environment (``CYBERDIP_*``) and passed down; never global."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

#: every setting, its environment variable and meaning (the docs test checks the README lists them)
SETTINGS_DOC: dict[str, str] = {
    "CYBERDIP_DB": "SQLAlchemy URL of the database (default: SQLite file in the user data directory)",
    "CYBERDIP_HOST": "address `cyberdip serve` listens on (default 127.0.0.1)",
    "CYBERDIP_PORT": "port `cyberdip serve` listens on (default 8000)",
    "CYBERDIP_SECRET": "key that signs TAXII paging cursors (default: a random key per server start)",
}


def default_database_url() -> str:
    return "sqlite:///" + str(Path(user_data_dir("cyberdip", appauthor=False)) / "cyberdip.db")


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        port = env.get("CYBERDIP_PORT", "8000")
        if not port.isdigit():
            raise ValueError(f"CYBERDIP_PORT must be a number, got {port!r}")
        secret = env.get("CYBERDIP_SECRET")
        return cls(
            database_url=env.get("CYBERDIP_DB") or default_database_url(),
            host=env.get("CYBERDIP_HOST", "127.0.0.1"),
            port=int(port),
            **({"secret": secret.encode("utf-8")} if secret else {}),
        )
