"""One Terraform version for CI and the Makefile (.terraform-version), satisfying every required_version of the
generated tree; and the plan summary the plan/drift jobs write, from a real `terraform show -json`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tfhelpers import TERRAFORM, run_terraform, write_cli_config

from tfgen.toolchain import (
    VERSION_FILE,
    parse_version,
    pinned_version,
    required_versions,
    satisfies,
    unmet_requirements,
)

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated/terraform"


@pytest.mark.parametrize(("version", "constraint", "ok"), [
    ("1.11.4", ">= 1.11.0", True),
    ("1.9.8", ">= 1.11.0", False),  # what the workflow pinned while the tree required 1.11
    ("1.11.0", ">= 1.11.0, < 2.0.0", True),
    ("2.0.0", ">= 1.11.0, < 2.0.0", False),
    ("1.12.1", "~> 1.11", True),
    ("2.0.0", "~> 1.11", False),
    ("1.11.9", "~> 1.11.2", True),
    ("1.12.0", "~> 1.11.2", False),
    ("1.11.4", "= 1.11.4", True),
    ("1.11.4", "1.11.3", False),
    ("1.11.4", "!= 1.11.4", False),
])
def test_constraints(version: str, constraint: str, ok: bool) -> None:
    assert satisfies(version, constraint) is ok


def test_bad_versions_and_constraints_are_errors() -> None:
    with pytest.raises(ValueError):
        parse_version("1.11.0-beta1")
    with pytest.raises(ValueError):
        satisfies("1.11.4", ">= latest")


def test_pinned_version_satisfies_every_required_version_of_the_tree() -> None:
    requirements = required_versions(TREE)
    assert len(requirements) >= 8  # every environment root and every module declares one
    version = pinned_version(ROOT)
    assert unmet_requirements(version, TREE) == []


def test_the_old_workflow_pin_would_fail(tmp_path: Path) -> None:
    """1.9.8 (the workflow's old pin) against today's tree: every requirement is reported with its line."""
    unmet = unmet_requirements("1.9.8", TREE)
    assert unmet and all(r.line > 0 and r.path.endswith("versions.tf") for r in unmet)
    (tmp_path / VERSION_FILE).write_text("1.9.8\n")
    assert unmet_requirements(pinned_version(tmp_path), TREE) == unmet


def test_makefile_reads_the_version_file() -> None:
    make = subprocess.run(["make", "-s", "terraform-version", "TF=false-tf-binary"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert f"pinned in .terraform-version: {pinned_version(ROOT)}" in make.stdout
    assert "false-tf-binary is not installed" in make.stdout


def test_make_targets_honour_tf(tmp_path: Path) -> None:
    """`make plan TF=tofu` runs tofu, not terraform (dry run: nothing executes)."""
    dry = subprocess.run(["make", "-n", "plan", "apply", "destroy", "TF=tofu"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "tofu init" in dry and "tofu plan" in dry and "tofu apply" in dry and "tofu destroy" in dry
    assert "terraform init" not in dry


def _plan_summary():
    spec = importlib.util.spec_from_file_location("plan_summary", ROOT / "scripts/plan_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
def test_plan_summary_of_a_real_plan(tmp_path: Path) -> None:
    """A real plan (terraform_data needs no provider download): counts, addresses, no values in the JSON."""
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "a" {\n  input = "secret-value"\n}\n'
        'resource "terraform_data" "b" {\n  for_each = toset(["x", "y"])\n  input = each.key\n}\n')
    config = write_cli_config(tmp_path)
    assert run_terraform(["init", "-input=false", "-no-color"], tmp_path, config).returncode == 0
    plan = run_terraform(["plan", "-input=false", "-no-color", "-out=tfplan"], tmp_path, config)
    assert plan.returncode == 0, plan.stderr
    shown = run_terraform(["show", "-json", "tfplan"], tmp_path, config)
    (tmp_path / "tfplan.json").write_text(shown.stdout)
    (tmp_path / "tfplan.txt").write_text(run_terraform(["show", "-no-color", "tfplan"], tmp_path, config).stdout)
    module = _plan_summary()
    out = tmp_path / "summary.json"
    import contextlib
    import io
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        module.main(["--env", "dev", "--text", str(tmp_path / "tfplan.txt"), "--json-out", str(out),
                     str(tmp_path / "tfplan.json")])
    text = buffer.getvalue()
    assert "### terraform plan dev" in text
    assert "**Plan: 3 to add, 0 to change, 0 to destroy, 0 to replace.**" in text
    assert '| create | `terraform_data.b["x"]` |' in text and "<details>" in text
    summary = json.loads(out.read_text())
    assert summary["counts"]["create"] == 3 and summary["environment"] == "dev"
    assert "secret-value" not in out.read_text()


def test_plan_summary_classifies_replacements_and_no_changes() -> None:
    module = _plan_summary()
    plan = {"resource_changes": [
        {"address": "a.x", "change": {"actions": ["delete", "create"]}},
        {"address": "a.y", "change": {"actions": ["no-op"]}},
        {"address": "a.z", "change": {"actions": ["update"]}},
    ], "resource_drift": [{"address": "a.z", "change": {"actions": ["update"]}}]}
    summary = module.summarise(plan)
    assert summary["counts"] == {"create": 0, "update": 1, "replace": 1, "delete": 0, "read": 0}
    assert summary["drift"] == ["a.z"]
    assert module.headline(module.summarise({"resource_changes": []})["counts"]) == "No changes."


MALFORMED_PLANS = ["", "[]", "null", "[" * 100_000 + "]" * 100_000, '{"resource_changes": "x"}',
                   '{"resource_changes": [{"change": {"actions": ["create"]}}]}', '{"resource_drift": [2]}']


@pytest.mark.parametrize("document", MALFORMED_PLANS, ids=range(len(MALFORMED_PLANS)))
def test_plan_summary_of_a_malformed_plan_is_one_line_and_exit_2(tmp_path: Path, document: str) -> None:
    """Issue 23: an empty file, `[]`, deep nesting or a wrong shape: one line on stderr, exit 2, no traceback."""
    (tmp_path / "plan.json").write_text(document)
    result = subprocess.run([sys.executable, str(ROOT / "scripts/plan_summary.py"), "--env", "dev",
                             str(tmp_path / "plan.json")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("plan_summary: cannot summarise") and not result.stdout
