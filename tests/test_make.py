"""Make targets a team can trust: `make help` lists every target, `make plan` stops before Terraform on a stale
tree or an unacknowledged destructive change, `make e2e` and `make validate` take the environments from tfgen
(a new spec is included, a deleted one is gone), `make validate` fails rather than skips under CI=true, and the
bootstrap root has plan/apply targets. Run against a throwaway copy of the project, with a stub `terraform`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_workflow import makefile_targets

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
# Targets that are files or internal steps, not commands a user types.
INTERNAL = {".PHONY"}


def make(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """make in *cwd*, never rebuilding the (symlinked) virtualenv."""
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env={**os.environ, **GIT_ENV, **env})


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    for name in ("specs", "templates", "generated", "scripts", "tests/rehearsal"):
        shutil.copytree(ROOT / name, root / name)
    for name in ("Makefile", ".terraform-version", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    (root / ".venv").symlink_to(Path(sys.executable).parent.parent)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    return root


@pytest.fixture
def stub_tf(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "tf.log"
    tf = tmp_path / "tf"
    tf.write_text(f'#!/bin/sh\necho "tf $*" >> "{log}"\n[ "$1" = show ] && echo "{{}}"\nexit 0\n')
    tf.chmod(0o755)
    return tf, log


def user_targets() -> set[str]:
    targets = makefile_targets((ROOT / "Makefile").read_text())
    return {t for t in targets if re.fullmatch(r"[a-z][a-z0-9-]*", t)} - INTERNAL


def test_help_lists_every_target() -> None:
    shown = {line.split()[0] for line in make(ROOT, "help").stdout.splitlines() if line.strip()}
    assert user_targets() - shown == set()
    assert {"e2e", "e2e-upgrade", "e2e-impact", "validate-v6", "bootstrap-plan", "bootstrap-apply", "audit"} <= shown


def test_help_check_can_fail() -> None:
    """A target without a `## ` description is what the test above catches."""
    assert "undocumented" in makefile_targets("undocumented:\n\techo x\n")


def test_plan_stops_on_a_stale_tree_before_terraform(project: Path, stub_tf: tuple[Path, Path]) -> None:
    tf, log = stub_tf
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text() + "\n# an edit that is not rendered\nlogs:\n  retention_days: 60\n")
    done = make(project, "plan", "ENV=dev", f"TF={tf}")
    assert done.returncode != 0 and "tfgen check dev" in done.stdout
    assert not log.exists()


def test_plan_stops_on_an_unacknowledged_destructive_change(project: Path, stub_tf: tuple[Path, Path]) -> None:
    """The branch renders a MySQL downgrade (acknowledged on the command line only) and commits it: the tree is
    current, but against origin/main (what was applied) the change is destructive and unacknowledged."""
    tf, log = stub_tf
    base = project / "specs/base.yaml"
    base.write_text(base.read_text().replace('engine_version: "8.4"', 'engine_version: "8.0.40"'))
    acks = [a for env in ("dev", "staging", "prod") for a in ("--acknowledge", f"{env}:database.engine_version")]
    subprocess.run([str(project / ".venv/bin/tfgen"), "-C", str(project), "render", "--all", *acks], check=True,
                   capture_output=True)
    git(project, "commit", "-qam", "downgrade")
    done = make(project, "plan", "ENV=prod", f"TF={tf}")
    assert done.returncode != 0 and "engine_downgrade" in done.stdout
    assert not log.exists()
    done = make(project, "plan", "ENV=prod", f"TF={tf}", "SINCE=HEAD")  # nothing new since HEAD: it plans
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tf init -input=false" in log.read_text() and "tf plan -input=false -out=tfplan" in log.read_text()


def test_e2e_and_validate_take_the_environments_from_the_specs(project: Path) -> None:
    shutil.copy(project / "specs/dev.yaml", project / "specs/qa.yaml")
    (project / "specs/staging.yaml").unlink()
    e2e = make(project, "-n", "e2e").stdout
    assert "--env dev --env prod --env qa --bootstrap" in e2e and "--env staging" not in e2e
    validate = make(project, "-n", "validate").stdout
    assert "environments/qa" in validate and "bootstrap/imgu-terraform-state" in validate
    assert "environments/staging" not in validate
    assert "--env dev --bootstrap" not in make(project, "-n", "e2e", "ENV=dev").stdout


def test_validate_fails_instead_of_skipping_in_ci(project: Path) -> None:
    missing = "terraform-not-installed-here"
    skipped = make(project, "validate", f"TF={missing}", CI="false")
    assert skipped.returncode == 0 and "SKIPPED" in skipped.stdout
    failed = make(project, "validate", f"TF={missing}", CI="true")
    assert failed.returncode != 0 and "FAILED" in failed.stdout


def test_bootstrap_plan_runs_in_the_bootstrap_root(project: Path, stub_tf: tuple[Path, Path]) -> None:
    tf, log = stub_tf
    done = make(project, "bootstrap-plan", f"TF={tf}", "BOOTSTRAP=bootstrap/imgu-terraform-state")  # prod's bucket
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cd generated/terraform/bootstrap/imgu-terraform-state" in done.stdout
    assert "tf plan -input=false -out=tfplan" in log.read_text()
    wrong = make(project, "bootstrap-plan", f"TF={tf}", "BOOTSTRAP=bootstrap/nope")
    assert wrong.returncode != 0 and "no bootstrap root" in wrong.stdout


@pytest.mark.terraform
@pytest.mark.slow
def test_validate_every_root_for_real() -> None:
    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed")
    done = make(ROOT, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Success! The configuration is valid.") == len(re.findall(r"^== ", done.stdout, re.M))
    assert "== bootstrap/" in done.stdout and "== environments/prod" in done.stdout


def test_plan_and_bootstrap_plan_init_read_only_with_the_committed_lock(project: Path, stub_tf: tuple[Path, Path]
                                                                         ) -> None:
    tf, log = stub_tf
    prods = "BOOTSTRAP=bootstrap/imgu-terraform-state"  # one root per bucket: prod's (dev and staging have their own)
    assert make(project, "bootstrap-plan", f"TF={tf}", prods).returncode == 0
    assert "tf init -input=false -lockfile=readonly" in log.read_text()
    log.unlink()
    (project / "generated/terraform/bootstrap/imgu-terraform-state/.terraform.lock.hcl").unlink()
    assert make(project, "bootstrap-plan", f"TF={tf}", prods).returncode == 0
    assert "tf init -input=false\n" in log.read_text()  # no lock yet: init writes one (commit it)


@pytest.mark.terraform
@pytest.mark.slow
def test_validate_refuses_a_root_whose_lock_does_not_match_the_provider(project: Path) -> None:
    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed")
    lock = project / "generated/terraform/environments/dev/.terraform.lock.hcl"
    text = lock.read_text()
    lock.write_text(text.replace('"h1:', '"h1:AAAA', 1))  # another build than the mirror holds
    tampered = make(project, "validate", "ENV=dev")
    assert tampered.returncode != 0 and "environments/dev" in tampered.stdout
    lock.write_text(text)
    assert make(project, "validate", "ENV=dev").returncode == 0
    assert lock.read_text() == text, "validate never rewrites the committed lock"
    lock.unlink()
    missing = make(project, "validate", "ENV=dev")
    assert missing.returncode != 0 and "commits no .terraform.lock.hcl" in missing.stdout
