"""The pre-commit hooks, run the way pre-commit runs them: filter the staged files by `files`/`exclude`,
append them to `entry` + `args` (unless `pass_filenames: false`), run with the hook's tools first on PATH,
and treat a non-zero exit *or* a modified file as a failure."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from tfhelpers import copy_project

from tfgen.hcl import format_hcl

ROOT = Path(__file__).resolve().parent.parent
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
BY_ID = {hook["id"]: hook for hook in HOOKS}
UGLY_TF = 'resource "aws_s3_bucket" "b" {\nbucket="x"\n  force_destroy    = true\n}\n'


def hook_files(hook: dict[str, Any], staged: list[str]) -> list[str]:
    """pre-commit's file selection: `files` and `exclude` are Python regexes searched in the path."""
    include = re.compile(hook.get("files", ""))
    exclude = re.compile(hook.get("exclude", "^$"))
    return [f for f in staged if include.search(f) and not exclude.search(f)]


def run_hook(hook: dict[str, Any], cwd: Path, staged: list[str]) -> subprocess.CompletedProcess | None:
    """Run one hook on `staged` files in `cwd`; None when pre-commit would skip it (no matching file)."""
    files = hook_files(hook, staged)
    if not files and not hook.get("always_run", False):
        return None
    command = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        command += files
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_hook_definitions_are_complete() -> None:
    assert set(BY_ID) == {"tfgen-check", "tfgen-fmt"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for hook in HOOKS:
        assert {"id", "name", "entry", "language", "description"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit installs this package, which provides the command
        assert shlex.split(hook["entry"])[0] in scripts
        assert "terraform" not in shlex.split(hook["entry"])  # no terraform binary needed
    assert BY_ID["tfgen-check"]["pass_filenames"] is False


def test_fmt_hook_selects_only_tf_and_tfvars() -> None:
    staged = ["main.tf", "env/prod.tfvars", "README.md", "main.tf.j2", "x.tfstate", "notes.txt"]
    assert hook_files(BY_ID["tfgen-fmt"], staged) == ["main.tf", "env/prod.tfvars"]


def test_fmt_hook_formats_staged_files_and_is_idempotent(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text(UGLY_TF)
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars/b.tfvars").write_text('region="us-east-1"\ncount    = 2\n')
    canonical = format_hcl(UGLY_TF)
    (tmp_path / "c.tf").write_text(canonical)
    (tmp_path / "notes.txt").write_text("x   =   1\n")
    staged = ["a.tf", "vars/b.tfvars", "c.tf", "notes.txt"]
    result = run_hook(BY_ID["tfgen-fmt"], tmp_path, staged)
    assert result is not None and result.returncode == 0, result.stderr
    assert (tmp_path / "a.tf").read_text() == canonical  # modified: pre-commit fails the commit
    assert (tmp_path / "vars/b.tfvars").read_text() == 'region = "us-east-1"\ncount  = 2\n'
    assert (tmp_path / "notes.txt").read_text() == "x   =   1\n"  # not selected, untouched
    again = run_hook(BY_ID["tfgen-fmt"], tmp_path, staged)
    assert again is not None and again.returncode == 0 and again.stderr == ""  # nothing left to change


def test_fmt_hook_fails_on_unparsable_file(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "x" "y" {\n')
    result = run_hook(BY_ID["tfgen-fmt"], tmp_path, ["broken.tf"])
    assert result is not None and result.returncode == 2
    assert "broken.tf" in result.stderr


@pytest.fixture
def rendered_project(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    tfgen = Path(sys.executable).parent / "tfgen"
    subprocess.run([str(tfgen), "render", "--all"], cwd=project, check=True, capture_output=True)
    return project


def test_check_hook_passes_fails_and_skips(rendered_project: Path) -> None:
    hook = BY_ID["tfgen-check"]
    assert run_hook(hook, rendered_project, ["README.md"]) is None  # nothing tfgen cares about is staged
    clean = run_hook(hook, rendered_project, ["specs/dev.yaml"])
    assert clean is not None and clean.returncode == 0, clean.stderr
    spec = rendered_project / "specs/dev.yaml"
    spec.write_text(spec.read_text().replace("retention_days: 30", "retention_days: 60"))
    stale = run_hook(hook, rendered_project, ["specs/dev.yaml"])
    assert stale is not None and stale.returncode == 1
    assert "changed  generated/terraform/environments/dev/" in stale.stderr
    assert "tfgen render" in stale.stderr


def test_local_config_uses_the_same_hooks_and_ruff() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    local = {h["id"]: h for repo in config["repos"] if repo["repo"] == "local" for h in repo["hooks"]}
    assert {"ruff", "tfgen-fmt", "tfgen-check"} <= set(local)
    for hook_id in ("tfgen-fmt", "tfgen-check"):
        assert local[hook_id]["entry"] == BY_ID[hook_id]["entry"]
        assert local[hook_id].get("pass_filenames", True) == BY_ID[hook_id].get("pass_filenames", True)
    assert shlex.split(local["ruff"]["entry"])[:2] == ["ruff", "check"]
    assert hook_files(local["tfgen-fmt"], ["tests/fmt_corpus/01_indentation.tf"]) == []


def readme_subdirectory_hooks() -> dict[str, dict[str, Any]]:
    """The README's snippet for a project in a subdirectory, as pre-commit merges it over the hook definitions."""
    section = (ROOT / "docs/pre-commit.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]
    config = next(b for b in blocks if "args" in str(b))
    return {h["id"]: {**BY_ID[h["id"]], **h} for h in config["repos"][0]["hooks"]}


def test_hooks_serve_a_project_in_a_subdirectory(tmp_path: Path) -> None:
    """`tfgen check --all -C infra` (args after the entry) from the repository root, as the README shows it."""
    copy_project(tmp_path / "infra")
    tfgen = Path(sys.executable).parent / "tfgen"
    subprocess.run([str(tfgen), "-C", str(tmp_path / "infra"), "render", "--all"], check=True, capture_output=True)
    hooks = readme_subdirectory_hooks()
    clean = run_hook(hooks["tfgen-check"], tmp_path, ["infra/specs/dev.yaml", "README.md"])
    assert clean is not None and clean.returncode == 0, clean.stderr
    assert run_hook(hooks["tfgen-check"], tmp_path, ["specs/dev.yaml"]) is None  # outside infra/: not selected
    spec = tmp_path / "infra/specs/dev.yaml"
    spec.write_text(spec.read_text().replace("retention_days: 30", "retention_days: 60"))
    stale = run_hook(hooks["tfgen-check"], tmp_path, ["infra/specs/dev.yaml"])
    assert stale is not None and stale.returncode == 1 and "tfgen render" in stale.stderr
    (tmp_path / "infra/extra.tf").write_text(UGLY_TF)
    fmt = run_hook(hooks["tfgen-fmt"], tmp_path, ["infra/extra.tf", "other/x.tf"])
    assert fmt is not None and fmt.returncode == 0 and fmt.stdout == "infra/extra.tf\n"
