"""Daily frictions of the command line: `-C DIR` after the command (pre-commit appends a hook's args there) and
TFGEN_PROJECT_DIR for every command, did-you-mean for a mistyped environment, and the exit codes in the help.
Each command runs from a directory that holds no project, so only -C (or the variable) can make it succeed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent

# One invocation per command, the project directory appended after it as `-C DIR`; expected exit code.
INVOCATIONS = {
    "adopt": (["adopt", "dev", "--state", str(Path(__file__).parent / "fixtures" / "adopt" / "empty-state.json"),
               "--dry-run"], 0),
    "affected": (["affected", "--since", "HEAD"], 0),
    "check": (["check", "--all"], 0),
    "cost": (["cost", "dev"], 0),
    "diff": (["diff", "dev", "prod"], 1),
    "graph": (["graph", "prod"], 0),
    "impact": (["impact", "dev", "--since", "HEAD"], 0),
    "new": (["new", "qa", "--from", "dev", "--account-id", "123456789012"], 0),
    "render": (["render", "--all", "--dry-run"], 0),
    "schema": (["schema"], 0),
    "show": (["show", "dev"], 0),
    "validate": (["validate", "--all"], 0),
}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory: no specs/ or templates/ in it or above it."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("TFGEN_PROJECT_DIR", raising=False)
    return cwd


def invoke(args: list[str], **env: str):
    return CliRunner().invoke(main, args, env=env or None, catch_exceptions=False)


def project_for(name: str, tmp_path: Path) -> Path:
    """The repository itself (a git checkout: affected/impact read HEAD) or, for `new` which writes, a copy."""
    if name == "new":
        project = copy_project(tmp_path / "copy")
        shutil.copytree(ROOT / "generated", project / "generated")
        return project
    return ROOT


def test_every_command_has_a_case_here() -> None:
    assert set(main.commands) - {"fmt"} == set(INVOCATIONS)
    for name, command in main.commands.items():
        assert any("-C" in p.opts for p in command.params), name


@pytest.mark.parametrize("name", sorted(INVOCATIONS))
def test_project_dir_after_the_command(name: str, elsewhere: Path, tmp_path: Path) -> None:
    args, code = INVOCATIONS[name]
    project = project_for(name, tmp_path)
    if name != "schema":  # schema needs no project
        assert invoke(args).exit_code == 2
    result = invoke([*args, "-C", str(project)])
    assert result.exit_code == code, result.stderr
    if name == "new":
        assert (project / "specs/qa.yaml").is_file()


def test_project_dir_from_the_environment(elsewhere: Path) -> None:
    result = invoke(["check", "--all"], TFGEN_PROJECT_DIR=str(ROOT))
    assert result.exit_code == 0, result.stderr
    wrong = invoke(["check", "--all", "-C", str(elsewhere)], TFGEN_PROJECT_DIR=str(ROOT))  # -C wins
    assert wrong.exit_code == 2
    before = invoke(["-C", str(elsewhere), "check", "--all", "-C", str(ROOT)])  # the later -C wins
    assert before.exit_code == 0, before.stderr


def test_fmt_accepts_project_dir_for_its_default_path(elsewhere: Path, tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text('a=1\nbb = 2\n')
    result = invoke(["fmt", "-check", "-C", str(infra)])
    assert result.exit_code == 1 and result.stdout == f"{infra / 'main.tf'}\n"
    assert invoke(["fmt", "-check"]).exit_code == 0  # the current directory has no .tf file


@pytest.mark.parametrize("args, suggestion", [
    (["render", "dve"], "did you mean 'dev'?"),
    (["show", "prdo"], "did you mean 'prod'?"),
    (["check", "dev", "stagin"], "did you mean 'staging'?"),
    (["diff", "dev", "prod-eu"], "did you mean 'prod'?"),
])
def test_did_you_mean_for_environment_names(args: list[str], suggestion: str) -> None:
    result = invoke(["-C", str(ROOT), *args])
    assert result.exit_code == 2
    assert suggestion in result.stderr and "(known: dev, prod, staging)" in result.stderr


def test_no_suggestion_for_a_name_close_to_nothing() -> None:
    result = invoke(["-C", str(ROOT), "render", "zzz", "--dry-run"])
    assert result.exit_code == 2 and "did you mean" not in result.stderr and "'zzz'" in result.stderr
