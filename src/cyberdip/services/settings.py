"""Settings, read once from the environment (``CYBERDIP_*``) and passed down; never global."""

from __future__ import annotations

import ipaddress
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
    "CYBERDIP_CLIENT_CERT_HEADER": "header in which a TLS-terminating proxy forwards the partner's verified client "
    "certificate (URL-encoded PEM, e.g. nginx's $ssl_client_escaped_cert, or its SHA-256 fingerprint); unset: "
    "certificates are not used",
    "CYBERDIP_TRUSTED_PROXIES": "comma-separated addresses or networks of the proxies allowed to set that header "
    "(default: none, so the header is ignored)",
}


def default_database_url() -> str:
    return "sqlite:///" + str(Path(user_data_dir("cyberdip", appauthor=False)) / "cyberdip.db")


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    client_cert_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()

    def trusts_proxy(self, address: str) -> bool:
        """Whether a request arriving from ``address`` may vouch for a client certificate."""
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in ipaddress.ip_network(network, strict=False) for network in self.trusted_proxies)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        port = env.get("CYBERDIP_PORT", "8000")
        if not port.isdigit():
            raise ValueError(f"CYBERDIP_PORT must be a number, got {port!r}")
        secret = env.get("CYBERDIP_SECRET")
        proxies = tuple(p.strip() for p in env.get("CYBERDIP_TRUSTED_PROXIES", "").split(",") if p.strip())
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"CYBERDIP_TRUSTED_PROXIES: {proxy!r} is not an address or network") from None
        return cls(
            database_url=env.get("CYBERDIP_DB") or default_database_url(),
            host=env.get("CYBERDIP_HOST", "127.0.0.1"),
            port=int(port),
            client_cert_header=env.get("CYBERDIP_CLIENT_CERT_HEADER") or None,
            trusted_proxies=proxies,
            **({"secret": secret.encode("utf-8")} if secret else {}),
        )
