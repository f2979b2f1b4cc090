"""The CI workflow users copy (.github/workflows/terraform.yml): it loads, every job does something, every
`make` target it calls exists, and the plan job uses OIDC and is skipped cleanly when not configured."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github/workflows/terraform.yml"
TARGET_LINE = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*::?(?!=)")


def load() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """PyYAML (YAML 1.1) reads the `on:` key as the boolean True."""
    return workflow.get("on", workflow.get(True))


def makefile_targets(text: str) -> set[str]:
    """Explicit targets of a Makefile (rule lines and .PHONY), ignoring recipes, comments and assignments."""
    targets: set[str] = set()
    for line in text.splitlines():
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        match = TARGET_LINE.match(line)
        if match:
            targets.update(match.group(1).split())
    return targets


MAKE_COMMAND = re.compile(r"(?:^|&&|\|\||[;|(])[ \t]*make((?:[ \t]+[^\s;&|)#]+)*)", re.MULTILINE)


def make_targets_in(script: str) -> list[str]:
    """Targets named by every `make ...` command of a shell script (options and VAR=value skipped)."""
    words = [w for match in MAKE_COMMAND.finditer(script) for w in match.group(1).split()]
    return [w for w in words if not w.startswith("-") and "=" not in w]


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_makefile_target_parser() -> None:
    text = "A := 1\n.PHONY: a b\na: dep ## help\n\t@make c\nb c:\n$(X)/bin/y:\nx ?= 2\n# d:\n"
    assert makefile_targets(text) == {".PHONY", "a", "b", "c"}
    assert make_targets_in("make lint && make test ENV=dev -j2; echo make it\n  make e2e") == ["lint", "test", "e2e"]
    assert make_targets_in('print("make sure")\nx = "a" # make bench') == []


def test_workflow_loads_and_every_job_has_steps() -> None:
    workflow = load()
    assert workflow["name"]
    assert {"push", "pull_request"} <= set(triggers(workflow))
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), name
        assert job.get("steps"), f"job {name} has no steps"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), f"{name}: a step either runs or uses"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]


def test_every_referenced_make_target_exists() -> None:
    makefile = ROOT / "Makefile"
    assert makefile.is_file(), "the workflow runs make targets: the Makefile must exist"
    targets = makefile_targets(makefile.read_text())
    referenced = [t for step in all_steps(load()) if "run" in step for t in make_targets_in(step["run"])]
    assert {"lint", "test", "security"} <= set(referenced)
    missing = sorted(set(referenced) - targets)
    assert not missing, f"make targets used by the workflow but not in the Makefile: {missing}"


def test_tfgen_job_lints_tests_and_checks_the_tree() -> None:
    runs = "\n".join(step.get("run", "") for step in load()["jobs"]["tfgen"]["steps"])
    assert "make lint" in runs and "make test" in runs
    assert "tfgen check --all" in runs and "--json" in runs


@pytest.mark.parametrize("job", ["terraform", "plan"])
def test_environment_matrix_comes_from_specs(job: str) -> None:
    spec = load()["jobs"][job]
    assert "tfgen" in spec["needs"]
    assert spec["strategy"]["matrix"]["env"] == "${{ fromJSON(needs.tfgen.outputs.environments) }}"
    assert "environments/${{ matrix.env }}" in spec["defaults"]["run"]["working-directory"]


def test_terraform_job_checks_fmt_init_validate_offline() -> None:
    runs = [step.get("run", "") for step in load()["jobs"]["terraform"]["steps"]]
    assert any(r.startswith("terraform fmt -check -recursive") for r in runs)
    assert "terraform init -backend=false -input=false" in runs
    assert any(r.startswith("terraform validate") for r in runs)


def test_checkov_job_runs_checkov() -> None:
    runs = [step.get("run", "") for step in load()["jobs"]["checkov"]["steps"]]
    assert "make security" in runs
    assert "checkov" in (ROOT / "Makefile").read_text()


def test_plan_job_uses_oidc_and_skips_cleanly_without_a_role() -> None:
    job = load()["jobs"]["plan"]
    condition = " ".join(job["if"].split())
    assert "github.event_name == 'pull_request'" in condition
    assert "vars.AWS_PLAN_ROLE_ARN != ''" in condition  # job-level: skipped, not failed
    assert job["permissions"]["id-token"] == "write"
    creds = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert creds["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert not any("secrets." in str(step) for step in job["steps"])  # no long-lived keys
    assert any(step.get("run", "").startswith("terraform plan") for step in job["steps"])


def test_workflow_default_permissions_are_read_only() -> None:
    assert load()["permissions"] == {"contents": "read"}
