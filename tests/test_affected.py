"""`tfgen affected --since REF`: compares today's render with the generated/ tree committed at REF (read with
git, never checked out) and says why each environment changed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(project: Path, run) -> Path:
    """The project copy, rendered and committed as the base revision `base`."""
    assert run("-C", str(project), "render", "--all").exit_code == 0
    git(project, "init", "-q", "-b", "main")
    git(project, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "0")
    git(project, "add", "-A")
    git(project, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    git(project, "tag", "base")
    return project


def affected(run, root: Path, *extra: str) -> dict:
    result = run("-C", str(root), "affected", "--since", "base", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_nothing_changed_nothing_affected(repo: Path, run) -> None:
    report = affected(run, repo)
    assert report["environments"] == [] and report["unaffected"] == ["dev", "prod", "staging"]
    assert report["command"] == "affected" and report["status"] == "ok" and report["version"] == 1


def test_a_committed_provider_lock_is_compared_like_a_file(repo: Path, run) -> None:
    """tfgen never renders `.terraform.lock.hcl`; unchanged it affects nothing, changed it needs a plan."""
    lock = repo / "generated/terraform/environments/staging/.terraform.lock.hcl"
    committed = Path(__file__).resolve().parent.parent / "generated/terraform/environments/staging/.terraform.lock.hcl"
    lock.write_text(committed.read_text())
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "lock")
    git(repo, "tag", "-f", "base")
    assert affected(run, repo)["environments"] == []
    lock.write_text(lock.read_text().replace("5.100.0", "5.100.1"))
    report = affected(run, repo)
    assert report["environments"] == ["staging"]
    assert report["affected"][0]["reasons"] == ["provider lock (.terraform.lock.hcl)"]
    assert report["affected"][0]["files"] == ["generated/terraform/environments/staging/.terraform.lock.hcl"]


def test_own_spec_change_affects_only_that_environment(repo: Path, run) -> None:
    edit(repo / "specs/dev.yaml", "retention_days: 30", "retention_days: 14")
    report = affected(run, repo)
    assert report["environments"] == ["dev"]
    assert report["affected"][0]["reasons"] == ["own spec (specs/dev.yaml)"]
    assert all(f.startswith("generated/terraform/environments/dev/") for f in report["affected"][0]["files"])
    assert report["unaffected"] == ["prod", "staging"]


def test_base_spec_change_affects_the_environments_that_inherit_it(repo: Path, run) -> None:
    edit(repo / "specs/base.yaml", "Owner: platform-team", "Owner: infra-team")
    report = affected(run, repo)
    assert report["environments"] == ["dev", "prod", "staging"]
    assert {r for a in report["affected"] for r in a["reasons"]} == {"base spec (specs/base.yaml)"}


def test_a_value_every_overlay_overrides_affects_nobody(repo: Path, run) -> None:
    """base.yaml changed, but each environment sets dns.domain itself: the generated files are the same."""
    edit(repo / "specs/base.yaml", "domain: imageunderstander.example.com", "domain: other.example.com")
    report = affected(run, repo)
    assert report["environments"] == []


def test_module_template_change_affects_every_environment(repo: Path, run) -> None:
    main_tf = next((repo / "templates/terraform/modules").glob("*/main.tf"))
    main_tf.write_text(main_tf.read_text() + "\n# a comment every environment's plan reads\n")
    report = affected(run, repo)
    assert report["environments"] == ["dev", "prod", "staging"]
    assert all(a["reasons"] == ["templates"] for a in report["affected"])
    assert all(any("/modules/" in f for f in a["files"]) for a in report["affected"])


def test_new_and_removed_environments(repo: Path, run) -> None:
    assert run("-C", str(repo), "new", "qa", "--from", "dev", "--account-id", "123456789012").exit_code == 0
    (repo / "specs/staging.yaml").unlink()
    report = affected(run, repo)
    assert report["environments"] == ["qa"]
    assert report["affected"][0]["reasons"][0].startswith("new environment")
    assert report["removed"] == ["staging"]


def test_human_output_and_the_committed_base_is_read_not_checked_out(repo: Path, run) -> None:
    edit(repo / "specs/prod.yaml", "retention_days: 90", "retention_days: 120")
    before = git(repo, "status", "--porcelain")
    result = run("-C", str(repo), "affected", "--since", "base")
    assert result.exit_code == 0
    assert result.stdout.startswith("prod: own spec (specs/prod.yaml) (")
    assert "1 of 3 environment(s) affected since base" in result.stderr
    assert git(repo, "status", "--porcelain") == before and git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main\n"


def test_unknown_ref_is_a_clear_error(repo: Path, run) -> None:
    result = run("-C", str(repo), "affected", "--since", "no-such-ref", "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["status"] == "invalid" and "unknown git revision 'no-such-ref'" in report["problems"][0]["message"]
    assert "fetch-depth: 0" in result.stderr
    assert run("-C", str(repo), "affected", "--since", "--all").exit_code == 2  # never an option to git


def test_project_in_a_subdirectory_of_the_repository(tmp_path: Path, project: Path, run) -> None:
    """-C into a project that is not the repository root: paths are taken relative to the project."""
    outer = tmp_path / "outer"
    outer.mkdir()
    inner = project.rename(outer / "infra")
    assert run("-C", str(inner), "render", "--all").exit_code == 0
    git(outer, "init", "-q")
    git(outer, "add", "-A")
    git(outer, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    edit(inner / "specs/staging.yaml", "retention_days: 60", "retention_days: 90")
    result = run("-C", str(inner), "affected", "--since", "HEAD", "--json")
    assert json.loads(result.stdout)["environments"] == ["staging"]


def _run_envs_step(repo: Path, event: str, before: str) -> tuple[list[str], str]:
    """Run the workflow's `envs` step script with bash in the repository, as the runner would."""
    import sys

    import yaml
    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / ".github/workflows/terraform.yml").read_text())
    step = next(s for s in workflow["jobs"]["tfgen"]["steps"] if s.get("id") == "envs")
    import shutil

    if not shutil.which("jq"):
        pytest.skip("jq is not installed (.ci/run installs it; GitHub's runners have it)")
    (repo / ".venv/bin").mkdir(parents=True)
    (repo / ".venv/bin/tfgen").symlink_to(Path(sys.executable).parent / "tfgen")
    if not (repo / "scripts").exists():
        (repo / "scripts").symlink_to(Path(__file__).resolve().parent.parent / "scripts")
    output = repo.parent / "github_output"
    env = {"PATH": "/usr/bin:/bin", "EVENT": event, "BASE_REF": "main", "BEFORE": before,
           "GITHUB_OUTPUT": str(output), "HOME": str(repo.parent)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = next(x for x in output.read_text().splitlines() if x.startswith("environments="))
    return json.loads(line.split("=", 1)[1]), done.stdout


def test_workflow_step_builds_the_matrix_from_affected(repo: Path) -> None:
    edit(repo / "specs/dev.yaml", "retention_days: 30", "retention_days: 14")
    envs, log = _run_envs_step(repo, "push", git(repo, "rev-parse", "base").strip())
    assert envs == ["dev"] and "dev: own spec (specs/dev.yaml)" in log


def test_workflow_step_checks_everything_without_a_base(repo: Path) -> None:
    envs, log = _run_envs_step(repo, "workflow_dispatch", "")
    assert envs == ["dev", "prod", "staging"] and "checking every environment" in log


def test_documentation_only_changes_affect_nobody(repo: Path, run) -> None:
    """A cost assumption changes only environments/dev/README.md: nothing for Terraform to plan."""
    spec = repo / "specs/dev.yaml"
    spec.write_text(spec.read_text() + "\ncost:\n  nat_data_gb_month: 500\n")
    assert run("-C", str(repo), "check", "dev").exit_code == 1  # the README did change
    assert affected(run, repo)["environments"] == []
