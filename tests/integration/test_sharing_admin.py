"""Sharing-hub administration: hashed keys, grants from instruments, explanations, audit chain."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text, update

from cyberdip.model.errors import DataError
from cyberdip.model.sharing import TLP
from cyberdip.services import hub_access, loading, sharing
from cyberdip.services.workbench import Workbench
from cyberdip.store.schema import audit


@pytest.fixture
def hub(workbench: Workbench) -> Workbench:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_partner(connection, "agency:usa-cisa")
        sharing.add_partner(connection, "agency:chn-cncert")
        sharing.add_collection(connection, "cert-exchange", "CERT-to-CERT exchange")
        sharing.add_collection(connection, "eu-only", "EU partners")
    return workbench


def test_keys_are_stored_only_as_digests_and_can_be_revoked(hub: Workbench) -> None:
    with hub.writing() as connection:
        key = sharing.issue_key(connection, "partner:ind-cert-in")
    with hub.reading() as connection:
        stored = connection.execute(text("select key_id, digest from api_keys")).all()
        assert all(key not in row.digest and key != row.key_id for row in stored)
        tables = hub.access.tables(connection)
        assert hub_access.partner_for_key(tables, key) == "partner:ind-cert-in"
        assert hub_access.partner_for_key(tables, key + "x") is None
        assert hub_access.partner_for_key(tables, "user:pass") is None
    key_id = key.split("_")[1]
    with hub.writing() as connection:
        sharing.revoke_key(connection, key_id)
    with hub.reading() as connection:
        assert hub_access.partner_for_key(hub.access.tables(connection), key) is None


def test_grants_follow_the_instruments(hub: Workbench) -> None:
    with hub.writing() as connection:
        derived = sharing.derive_grants(connection)
    bases = {(g.partner_id, g.basis) for g in derived.granted}
    assert ("partner:ind-cert-in", "instrument:us-india-cyber-framework-2016") in bases
    assert ("partner:usa-cisa", "instrument:us-india-cyber-framework-2016") in bases
    assert not any(g.partner_id == "partner:chn-cncert" for g in derived.granted)
    with hub.reading() as connection:
        yes = sharing.explain(connection, "partner:ind-cert-in", "cert-exchange")
        no = sharing.explain(connection, "partner:chn-cncert", "cert-exchange")
    assert yes.can_read and yes.max_tlp == "green" and "us-india-cyber-framework-2016" in " ".join(yes.reasons)
    assert not no.can_read and "no grant" in no.reasons[0]


def test_grants_end_when_the_instrument_ends(hub: Workbench) -> None:
    import datetime as dt

    with hub.writing() as connection:
        sharing.derive_grants(connection)
        ended = sharing.derive_grants(connection, on=dt.date(2010, 1, 1))  # before any of the instruments
    assert ended.granted == [] and ended.ended
    with hub.reading() as connection:
        assert not sharing.explain(connection, "partner:ind-cert-in", "cert-exchange").can_read


def test_manual_grants_and_red_is_never_granted(hub: Workbench) -> None:
    with hub.writing() as connection:
        sharing.grant(connection, "partner:chn-cncert", "eu-only", read=True, write=False, max_tlp=TLP.AMBER)
    with hub.reading() as connection:
        result = sharing.explain(connection, "partner:chn-cncert", "eu-only")
    assert result.can_read and result.max_tlp == "amber" and "set by hand" in result.reasons[0]
    with pytest.raises(DataError, match="RED"), hub.writing() as connection:
        sharing.grant(connection, "partner:chn-cncert", "eu-only", read=True, write=False, max_tlp=TLP.RED)
    with pytest.raises(DataError, match="not an agency"), hub.writing() as connection:
        sharing.add_partner(connection, "state:FRA")


def test_tlp_levels() -> None:
    assert TLP.AMBER.allows(TLP.GREEN) and TLP.AMBER.allows(TLP.AMBER)
    assert not TLP.GREEN.allows(TLP.AMBER) and not TLP.AMBER_STRICT.allows(TLP.RED)


def test_the_audit_chain_detects_alteration_and_deletion(hub: Workbench) -> None:
    with hub.writing() as connection:
        sharing.issue_key(connection, "partner:ind-cert-in")
        sharing.derive_grants(connection)
    with hub.reading() as connection:
        check = sharing.verify_audit(connection)
    assert check.intact and check.entries >= 5
    with hub.writing() as connection:
        connection.execute(update(audit).where(audit.c.seq == 2).values(outcome="tampered"))
    with hub.reading() as connection:
        broken = sharing.verify_audit(connection)
    assert not broken.intact and broken.first_broken == 2 and "altered" in (broken.reason or "")
    with hub.writing() as connection:
        connection.execute(update(audit).where(audit.c.seq == 2).values(outcome="ok"))
        connection.execute(audit.delete().where(audit.c.seq == 3))
    with hub.reading() as connection:
        deleted = sharing.verify_audit(connection)
    assert not deleted.intact and deleted.first_broken == 4 and "deleted" in (deleted.reason or "")
    with hub.reading() as connection:
        shown = sharing.audit_log(connection, "partner:ind-cert-in")
    assert shown and json.dumps(shown, default=str)
