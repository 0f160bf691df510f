"""The sharing pages: only a signed-in operator sees partners, grants, collections and the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import loading, sharing
from cyberdip.services.workbench import Workbench


def test_operator_signs_in_and_sees_the_hub(workbench: Workbench) -> None:
    loading.init_database(workbench)
    with workbench.writing() as connection:
        sharing.add_partner(connection, "CERT-In")
        sharing.add_collection(connection, "cert-exchange", "CERT exchange")
        sharing.grant(connection, "partner:ind-cert-in", "cert-exchange", read=True, write=False, max_tlp=TLP.GREEN)
        token = sharing.add_operator(connection, "Duty officer")
    client = TestClient(create_app(workbench))
    anonymous = client.get("/sharing")
    assert anonymous.status_code == 200 and "Operator token" in anonymous.text
    assert "partner:ind-cert-in" not in anonymous.text
    leak = client.get("/sharing", params={"download": "audit", "format": "csv"})
    assert leak.status_code == 404 and "partner:ind-cert-in" not in leak.text
    refused = client.post("/sharing/login", data={"token": "cdo_wrong"}, follow_redirects=False)
    assert refused.status_code == 401 and "not valid" in refused.text
    signed = client.post("/sharing/login", data={"token": token}, follow_redirects=False)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    hub = client.get("/sharing")
    assert hub.status_code == 200 and "Signed in as" in hub.text and "Duty officer" in hub.text
    assert "partner:ind-cert-in" in hub.text and "set by hand" in hub.text and "Audit chain intact" in hub.text
    audit = client.get("/sharing", params={"download": "audit", "format": "csv"})
    assert audit.status_code == 200 and audit.text.startswith("#,when,partner,collection,action,objects,outcome")
    assert "grant-set" in audit.text
    forged = TestClient(create_app(workbench), cookies={"cyberdip_operator": "bm9ib2R5.0000"})
    assert "Operator token" in forged.get("/sharing").text
    with workbench.writing() as connection:
        sharing.revoke_operator(connection, "Duty officer")
    ended = client.get("/sharing")
    assert ended.status_code == 401 and "Signed in as" not in ended.text
