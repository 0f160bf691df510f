"""`cyberdip share` as an operator uses it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from cyberdip.interfaces.cli.main import app
from cyberdip.services import loading
from cyberdip.services.workbench import Workbench

runner = CliRunner()


def test_share_workflow(workbench: Workbench, database_url: str) -> None:
    loading.init_database(workbench)

    def cli(*args: str) -> tuple[int, object]:
        result = runner.invoke(app, ["share", *args, "--json"], env={"CYBERDIP_DB": database_url})
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None

    assert cli("partner", "add", "CERT-In")[0] == 0
    assert cli("collection", "add", "cert-exchange", "--title", "CERT exchange")[0] == 0
    code, issued = cli("key", "issue", "partner:ind-cert-in")
    assert code == 0 and issued["key"].startswith("cdk_")  # type: ignore[index]
    code, derived = cli("derive")
    assert code == 0 and derived["granted"]  # type: ignore[index]
    code, why = cli("explain", "partner:ind-cert-in", "cert-exchange")
    assert code == 0 and why["can_read"] is True  # type: ignore[index]
    code, bad = cli("grant", "partner:nobody", "cert-exchange")
    assert code == 2 and "no such partner" in " ".join(bad["problems"])  # type: ignore[index]
    code, check = cli("audit", "verify")
    assert code == 0 and check["intact"] is True  # type: ignore[index]
    code, log = cli("audit", "show", "--partner", "partner:ind-cert-in")
    assert code == 0 and {e["action"] for e in log} >= {"partner-added", "key-issued"}  # type: ignore[union-attr]


def test_client_certificate_commands(workbench: Workbench, database_url: str, tmp_path: Path) -> None:
    loading.init_database(workbench)
    pem = tmp_path / "cert-in.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(pem), "-days", "2", "-subj", "/CN=cert-in"],
                   check=True, capture_output=True)

    def cli(*args: str) -> tuple[int, object]:
        result = runner.invoke(app, ["share", *args, "--json"], env={"CYBERDIP_DB": database_url})
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None

    assert cli("partner", "add", "CERT-In")[0] == 0
    code, added = cli("cert", "add", "partner:ind-cert-in", str(pem))
    assert code == 0 and len(added["fingerprint"]) == 64  # type: ignore[index]
    code, listed = cli("cert", "list")
    assert code == 0 and [c["partner_id"] for c in listed] == ["partner:ind-cert-in"]  # type: ignore[union-attr]
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("hello")
    code, refused = cli("cert", "add", "partner:ind-cert-in", str(not_pem))
    assert code == 2 and "PEM" in " ".join(refused["problems"])  # type: ignore[index]
    assert cli("cert", "revoke", added["fingerprint"])[0] == 0  # type: ignore[index]
    code, again = cli("cert", "revoke", added["fingerprint"])  # type: ignore[index]
    assert code == 2 and "no active certificate" in " ".join(again["problems"])  # type: ignore[index]
