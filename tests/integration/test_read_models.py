"""Read models: written by the load that changes their inputs, equal to what computing now gives,
and never served once a later load has made them stale."""

from __future__ import annotations

from pathlib import Path

from cyberdip.services import likeminded, loading, norms, read_models, votes
from cyberdip.services.workbench import Workbench
from cyberdip.store import read_models as stored_models
from cyberdip.store import reader


def test_every_incident_has_its_assessment_stored_and_it_equals_a_fresh_one(loaded: Workbench) -> None:
    with loaded.reading() as connection:
        assert read_models.current(connection)
        rows = reader.listing(connection, kinds=["incident"])
        stored = stored_models.get_assessments(connection)
        assert set(stored) == {row.id for row in rows}
        inputs = norms.AssessmentInputs(connection)
        for row in rows[:: max(1, len(rows) // 15)]:  # a spread of incidents, computed one by one
            fresh = norms._assess(inputs, norms.Incident.model_validate(row.data))
            assert norms.assess_ref(connection, row.id) == fresh, row.id


def test_a_load_that_changes_claims_rewrites_the_assessments(workbench: Workbench, tmp_path: Path) -> None:
    loading.init_database(workbench)
    with workbench.reading() as connection:
        before = norms.assess_ref(connection, "incident:notpetya-2017")
    claim = tmp_path / "claims.yaml"
    claim.write_text(
        "- id: claim:notpetya-2017/test-office\n  subject: incident:notpetya-2017\n  claimant: state:ISL\n"
        "  claimant_kind: government\n  attributed_to: state:PRK\n  type: political_statement\n"
        "  basis: A test statement.\n  confidence: high\n  date: \"2018-03\"\n  sources:\n"
        "  - url: https://www.stjornarradid.is/test\n    title: Test\n    publisher: Government of Iceland\n",
        encoding="utf-8")
    loading.import_records(workbench, claim)
    with workbench.reading() as connection:
        assert read_models.current(connection)
        after = norms.assess_ref(connection, "incident:notpetya-2017")
        assert "state:PRK" not in {s.state for s in before.attribution}
        assert "state:PRK" in {s.state for s in after.attribution}


def test_a_stale_read_model_is_not_served(voted: Workbench) -> None:
    with voted.writing() as connection:
        stored = stored_models.get(connection, likeminded.IDEAL_POINTS)
        assert stored is not None and stored[1]["sessions"]
        poisoned = {**stored[1], "sessions": {k: {**v, "points": {"state:USA": -99.0}}
                                              for k, v in stored[1]["sessions"].items()}}
        stored_models.put(connection, likeminded.IDEAL_POINTS, stored[0] - 1, poisoned)
    try:
        with voted.reading() as connection:
            assert not read_models.current(connection)
            result = likeminded.ideal_points(connection, votes.Selection(sessions=(73,)))
            assert result.series("state:USA")[0][1] > 0
    finally:
        read_models.bring_up_to_date(voted)
    with voted.reading() as connection:
        assert read_models.current(connection)
        assert likeminded.stored_ideal_points(connection, "state:USA")[73]["points"]["state:USA"] > 0
