"""Architecture and documentation checks: layers point one way, everything user-facing is documented."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import typer.main

from cyberdip.interfaces.cli.main import app
from cyberdip.services.settings import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                "sys.exit(lint_imports_command())"]


def test_layers_only_import_downwards() -> None:
    result = subprocess.run([*LINT_IMPORTS, "--config", str(ROOT / "pyproject.toml")],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layer_contract_catches_a_lower_layer_importing_a_higher_one(tmp_path: Path) -> None:
    """The same contract, on a copy of the package with one bad import added, must fail."""
    package = tmp_path / "cyberdip"
    for layer in ("interfaces", "services", "analysis", "store", "sources", "model"):
        (package / layer).mkdir(parents=True)
        (package / layer / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "store" / "bad.py").write_text("import cyberdip.services\n")
    config = tmp_path / "pyproject.toml"
    contract = (ROOT / "pyproject.toml").read_text().split("[tool.importlinter]", 1)[1]
    config.write_text("[tool.importlinter]" + contract)
    result = subprocess.run([*LINT_IMPORTS, "--config", str(config)], cwd=tmp_path, capture_output=True,
                            text=True, check=False, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cyberdip.store.bad -> cyberdip.services" in result.stdout


def test_nothing_is_created_at_import_time() -> None:
    code = textwrap.dedent("""
        import sys, sqlalchemy
        created = []
        original = sqlalchemy.create_engine
        sqlalchemy.create_engine = lambda *a, **k: created.append(a) or original(*a, **k)
        import cyberdip.interfaces.cli.main, cyberdip.interfaces.asgi, cyberdip.services.workbench
        import cyberdip.store.engine
        assert not created, created
        assert "uvicorn" not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names.extend(f"{name} {child}" for child in sub) if sub else names.append(name)
    return names


def test_every_command_and_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in command_names():
        assert f"cyberdip {name}" in readme, f"`cyberdip {name}` is not documented in README.md"
    for setting in SETTINGS_DOC:
        assert setting in readme, f"setting {setting} is not documented in README.md"


def test_the_ci_script_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./test" in readme and "./test" in ci
