"""Property-based fuzzing of every operation in the OpenAPI description (JSON API and TAXII hub)
with schemathesis: whatever the input, the server never answers with a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    workbench = Workbench.open(Settings(database_url=f"sqlite:///{folder / 'fuzz.db'}"))
    loading.init_database(workbench)
    with workbench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_collection(connection, "exchange", "Exchange")
        sharing.grant(connection, "partner:ind-cert-in", "exchange", read=True, write=True, max_tlp=TLP.AMBER)
        key = sharing.issue_key(connection, "partner:ind-cert-in")
    yield create_app(workbench), key
    workbench.close()


def test_no_input_makes_the_server_fail(fuzzed: tuple[Any, str]) -> None:
    """Every operation, 40 generated requests each (schemathesis strategies driven by hypothesis;
    its pytest plugin does not run under pytest 9)."""
    app, key = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25 and any("/taxii2/" in op.path for op in operations)

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            try:
                response = case.call(headers={"Authorization": f"Bearer {key}"})
            except Exception as exc:  # the in-process client re-raises what the server did not handle
                failures.append(f"{case.method} {case.formatted_path} {case.query or ''} → {exc!r}"[:400])
                return
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query or ''} → "
                                f"{response.status_code}: {response.text[:200]}")

        call()
    assert not failures, "\n".join(failures[:20])
