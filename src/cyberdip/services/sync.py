"""Federation: pull a partner hub's TAXII 2.1 collection into one of ours, incrementally.

Each page (GET objects with ``added_after`` and ``next``, TAXII §5.4) is stored in its own
transaction together with the position reached, so a crash or a dropped connection loses nothing
and duplicates nothing: the next run resumes after the last page stored, and re-receiving an
object version is a no-op. Pulled objects are attributed to the partner they came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from cyberdip.model.errors import DataError, Problem
from cyberdip.services import taxii
from cyberdip.services.workbench import Workbench
from cyberdip.store import sharing as sharing_store
from cyberdip.store import stix as stix_store

TAXII_MEDIA = "application/taxii+json;version=2.1"


@dataclass(frozen=True)
class SyncResult:
    remote: str
    pages: int
    received: int
    stored: int
    added_after: str | None


def pull(workbench: Workbench, *, base_url: str, collection: str, key: str, into: str, partner: str,
         client: httpx.Client | None = None, page_size: int = 1000) -> SyncResult:
    """Pull ``collection`` from the hub at ``base_url`` (its API root, e.g. https://hub/taxii2/api/)
    into our collection ``into``, attributing the objects to ``partner``."""
    remote = f"{base_url.rstrip('/')}/collections/{collection}/objects/"
    with workbench.writing() as connection:
        if sharing_store.get_partner(connection, partner) is None:
            raise DataError([Problem("--as", f"no such partner {partner!r}")])
        local = sharing_store.find_collection(connection, into)
        if local is None:
            raise DataError([Problem("--into", f"no such collection {into!r}")])
        position = stix_store.sync_position(connection, remote)
    added_after = position["added_after"] if position else None
    pulled = position["pulled"] if position else 0
    http = client or httpx.Client(timeout=60)
    pages = received = stored = 0
    cursor: str | None = None
    try:
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if cursor:
                params["next"] = cursor
            elif added_after:
                params["added_after"] = added_after
            try:
                response = http.get(remote, params=params, headers={"Accept": TAXII_MEDIA,
                                                                     "Authorization": f"Bearer {key}"})
            except httpx.HTTPError as exc:
                raise DataError([Problem(remote, f"connection failed after {pages} page(s): {exc}; "
                                         "run the same command again to resume")]) from None
            if response.status_code != 200:
                raise DataError([Problem(remote, f"HTTP {response.status_code}: {response.text[:200]}")])
            try:
                body = taxii.parse_json(response.content)
            except DataError as exc:
                raise DataError([Problem(remote, f"page {pages + 1}: {exc.problems[0].reason}")]) from None
            if not isinstance(body, dict) or not isinstance(body.get("objects", []), list):
                raise DataError([Problem(remote, f"page {pages + 1}: not a TAXII envelope")])
            objects = body.get("objects", [])
            last = response.headers.get("X-TAXII-Date-Added-Last")
            with workbench.writing() as connection:
                stored += taxii.store_pulled(connection, local["id"], partner, objects)
                if last:
                    added_after = last
                pulled += len(objects)
                stix_store.save_sync_position(connection, remote, local["id"], partner, added_after, pulled,
                                              dt.datetime.now(dt.UTC))
            pages += 1
            received += len(objects)
            cursor = body.get("next")
            if not body.get("more") or not cursor:
                break
    finally:
        if client is None:
            http.close()
    return SyncResult(remote, pages, received, stored, added_after)
