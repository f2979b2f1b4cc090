"""Merge-friendly output (issue 14 item 5): two pull requests that change different environments merge
without a conflict, and the merged tree is exactly what the merged specs render to. Real git, real merges."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "merge.conflictstyle=merge"]


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GIT, *args], cwd=root, check=check, capture_output=True, text=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def repo(project: Path, run) -> Path:
    assert run("-C", str(project), "render", "--all").exit_code == 0
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    return project


def branch(repo: Path, run, name: str, env: str, old: str, new: str) -> None:
    git(repo, "checkout", "-q", "-b", name, "main")
    edit(repo / f"specs/{env}.yaml", old, new)
    assert run("-C", str(repo), "render", "--all").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", name)


@pytest.mark.parametrize(("dev_change", "prod_change"), [
    (("retention_days: 30", "retention_days: 14"), ("retention_days: 90", "retention_days: 120")),
    # (turning the WAF off would destroy its log group: a data-holding destroy that render refuses unacknowledged)
    (("multi_az: false ", "multi_az: true "), ("waf: true", "waf: true\n  idle_timeout: 120")),
])
def test_changes_to_different_environments_merge_cleanly(repo: Path, run, dev_change, prod_change) -> None:
    branch(repo, run, "dev-change", "dev", *dev_change)
    branch(repo, run, "prod-change", "prod", *prod_change)
    merged = git(repo, "merge", "-q", "--no-edit", "dev-change", check=False)
    conflicts = git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert merged.returncode == 0 and conflicts == [], f"conflicts in {conflicts}:\n{merged.stdout}{merged.stderr}"
    check = run("-C", str(repo), "check", "--all")
    assert check.exit_code == 0, check.stderr  # the merged tree is what the merged specs render to


def test_each_environment_has_its_own_readme_with_its_facts(repo: Path) -> None:
    dev = (repo / "generated/terraform/environments/dev/README.md").read_text()
    assert "dev" in dev and "/month" in dev and "Log retention" in dev
    top = (repo / "generated/terraform/README.md").read_text()
    assert "environments/dev/README.md" in top and "environments/prod/README.md" in top
