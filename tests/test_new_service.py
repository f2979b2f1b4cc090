"""Adding a service is one YAML entry: a `worker` (port 9000, reachable from backend) declared in the fixture's
base spec becomes one entry of each environment root's `services` local (and one ingress edge); the modules
iterate over it, so they stay byte-identical, and outputs and docs follow, with the templates unchanged.

The fixture (tests/fixtures/worker_project/specs) is the bundled specs plus that one entry. The test copies
templates/ next to it, renders with the CLI and checks the generated tree end to end; with terraform and the
provider mirror present it also runs `terraform validate` on every environment.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from click.testing import CliRunner
from tfhelpers import MIRROR, TERRAFORM, clean_hcl2, terraform_validate, write_cli_config

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "worker_project"
ENVS = ("dev", "staging", "prod")
@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("worker") / "project"
    shutil.copytree(FIXTURE / "specs", project / "specs")
    shutil.copytree(ROOT / "templates", project / "templates")
    result = CliRunner().invoke(main, ["-C", str(project), "render", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "generated" / "terraform"


def parse(path: Path) -> dict[str, Any]:
    return clean_hcl2(hcl2.loads(path.read_text()))


def resources(tree: Path, module: str, rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parse(tree / "modules" / module / "main.tf").get("resource", []):
        found.update(block.get(rtype, {}))
    return found


def test_templates_were_not_edited_for_the_worker():
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file():
            assert "worker" not in path.read_text(), f"{path} mentions the fixture's service"


def test_fixture_is_the_bundled_specs_plus_one_service():
    for env in ENVS:
        assert (FIXTURE / "specs" / f"{env}.yaml").read_text().strip() in (ROOT / "specs" / f"{env}.yaml").read_text()
    base = (FIXTURE / "specs" / "base.yaml").read_text()
    assert "  worker:\n" in base and "port: 9000" in base and "ingress_from: [backend]" in base
    # Everything but the worker entry is the bundled base.yaml (whose first line is the schema comment).
    start = base.index("\n  # Fixture addition")
    end = base.index("\ndatabase:\n")
    without_worker = base[:start] + base[end:]
    bundled = (ROOT / "specs" / "base.yaml").read_text()
    assert without_worker == bundled.split("\n", 1)[1], "sync tests/fixtures/worker_project/specs/base.yaml"


def root_locals(tree: Path, env: str) -> dict[str, Any]:
    (found,) = parse(tree / f"environments/{env}/main.tf")["locals"]
    return found


def test_modules_are_byte_identical_to_the_bundled_ones(tree: Path):
    """Adding a service changes no module file: it is data in the environment roots."""
    bundled = ROOT / "generated" / "terraform" / "modules"
    ours = {p.relative_to(tree / "modules"): p.read_bytes() for p in (tree / "modules").rglob("*") if p.is_file()}
    theirs = {p.relative_to(bundled): p.read_bytes() for p in bundled.rglob("*") if p.is_file()}
    assert ours == theirs


def test_worker_is_an_entry_of_every_root(tree: Path):
    for env in ENVS:
        worker = root_locals(tree, env)["services"]["worker"]
        assert worker["port"] == 9000 and worker["instance_type"] == "var.worker_instance_type"
        assert worker["permissions"] == ["app-secrets-read", "uploads-rw"]
        assert worker["exec_start"] == "/opt/worker/venv/bin/python -m worker --port 9000"
        assert worker["start_on_boot"] is False  # defined, not started: application code is not deployed
        defaults = root_defaults(tree, env)
        assert defaults["worker_instance_type"] == "t4g.small" and defaults["worker_market"] == "on-demand"
        assert root_locals(tree, env)["ingress_rules"]["worker_from_backend_9000"] == {
            "target": "worker", "source": "backend", "port": 9000}


def test_modules_iterate_over_the_services(tree: Path):
    """Instance, security group, role, profile and log group are one for_each block each."""
    assert resources(tree, "compute", "aws_instance")["this"]["for_each"] == "local.launched_services"
    assert resources(tree, "compute", "aws_autoscaling_group")["this"]["for_each"] == "local.group_services"
    for module, rtype, name in (("security", "aws_security_group", "service"),
                                ("security", "aws_iam_role", "service"),
                                ("security", "aws_iam_instance_profile", "service")):
        assert resources(tree, module, rtype)[name]["for_each"] == "var.services", (module, rtype)
    assert resources(tree, "storage", "aws_cloudwatch_log_group")["service"]["for_each"] == "var.service_names"
    assert resources(tree, "security", "aws_vpc_security_group_ingress_rule")["this"]["for_each"] == (
        "var.ingress_rules")
    wiring = (tree / "environments/dev/main.tf").read_text()
    assert "services               = local.services" in wiring or "services = local.services" in wiring


def test_worker_outputs_and_docs(tree: Path):
    for env in ENVS:
        root_outputs = (tree / f"environments/{env}/outputs.tf").read_text()
        assert 'output "worker_autoscaling_group_name"' in root_outputs
        assert 'module.compute.autoscaling_group_names["worker"]' in root_outputs
    assert "worker" not in (tree / "modules/compute/README.md").read_text()
    assert "worker" in (tree / "README.md").read_text()
    assert re.search(r"worker.*9000", (tree / "README.md").read_text())


def test_existing_services_are_not_moved_by_the_new_one(tree: Path):
    """Placement is explicit or the alphabetically first zone: a new service never moves another one."""
    bundled = ROOT / "generated/terraform"
    for env in ENVS:
        ours = root_locals(tree, env)["services"]
        theirs = root_locals(bundled, env)["services"]
        assert ours["worker"]["availability_zone"] == "us-east-1a"
        assert {n: s["availability_zone"] for n, s in ours.items() if n != "worker"} == {
            n: s["availability_zone"] for n, s in theirs.items()}


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR}")
@pytest.mark.parametrize("env", ["prod"])  # the worker is one base.yaml entry: the same in every root
def test_terraform_validate_with_the_worker(tree: Path, env: str, tmp_path: Path):
    copy = tmp_path / "terraform"
    shutil.copytree(tree, copy)
    report = terraform_validate(copy / "environments" / env, write_cli_config(tmp_path))
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0, report["diagnostics"]


def one(body: dict[str, Any], name: str) -> dict[str, Any]:
    (only,) = body[name]
    return only


def root_defaults(tree: Path, env: str) -> dict[str, Any]:
    return {name: body.get("default") for block in parse(tree / f"environments/{env}/variables.tf")["variable"]
            for name, body in block.items()}
