"""Adding a service is one YAML entry: a `worker` (port 9000, reachable from backend) declared in the fixture's
base spec gets its instance, security group and rule, IAM role and profile, log group, user data, outputs and
docs, with the project's templates unchanged.

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


def test_worker_instance_and_user_data(tree: Path):
    instance = resources(tree, "compute", "aws_instance")["worker"]
    assert instance["vpc_security_group_ids"] == ['var.security_group_ids["worker"]']
    assert instance["iam_instance_profile"] == 'var.instance_profile_names["worker"]'
    assert one(instance, "metadata_options")["http_tokens"] == "required"
    assert one(instance, "root_block_device")["encrypted"] is True
    user_data = (tree / "modules/compute/user_data/worker.sh.tftpl").read_text()
    assert user_data.startswith("#!/bin/bash\n") and "set -euo pipefail" in user_data
    assert "/etc/systemd/system/$SERVICE.service" in user_data and "ExecStart=/opt/worker/venv/bin/python" in user_data
    assert "${app_secret_arn}" in user_data and "${db_secret_arn}" not in user_data
    # start_on_boot is false: the unit is defined, not started (application code is not deployed).
    assert 'systemctl enable --now "$SERVICE.service"' not in user_data
    for env in ENVS:
        defaults = root_defaults(tree, env)
        assert defaults["worker_instance_type"] == "t4g.small" and defaults["worker_architecture"] == "arm64"
        assert defaults["worker_market"] == "on-demand"


def test_worker_security_group_and_rule_from_backend(tree: Path):
    assert "worker" in resources(tree, "security", "aws_security_group")
    rules = resources(tree, "security", "aws_vpc_security_group_ingress_rule")
    worker_rules = [r for r in rules.values() if r["security_group_id"] == "aws_security_group.worker.id"]
    assert len(worker_rules) == 1
    (rule,) = worker_rules
    assert rule["from_port"] == 9000 and rule["to_port"] == 9000 and rule["ip_protocol"] == "tcp"
    assert rule["referenced_security_group_id"] == "aws_security_group.backend.id"


def test_worker_iam_role_profile_and_log_group(tree: Path):
    text = (tree / "modules/security/main.tf").read_text()
    assert re.search(r'resource "aws_iam_role" "worker"', text)
    assert re.search(r'resource "aws_iam_instance_profile" "worker"', text)
    outputs = (tree / "modules/security/outputs.tf").read_text()
    assert re.search(r"worker\s*=\s*aws_iam_instance_profile\.worker\.name", outputs)
    storage = (tree / "modules/storage/main.tf").read_text()
    assert '"worker"' in storage
    groups = resources(tree, "storage", "aws_cloudwatch_log_group")
    assert any("for_each" in body for body in groups.values()) or any("worker" in k for k in groups)


def test_worker_outputs_and_docs(tree: Path):
    outputs = (tree / "modules/compute/outputs.tf").read_text()
    assert re.search(r"worker\s*=\s*aws_instance\.worker\.id", outputs)
    for env in ENVS:
        root_outputs = (tree / f"environments/{env}/outputs.tf").read_text()
        assert 'output "worker_instance_id"' in root_outputs
    assert "worker" in (tree / "modules/compute/README.md").read_text()
    assert "worker" in (tree / "README.md").read_text()
    assert re.search(r"worker.*9000", (tree / "README.md").read_text())


def test_existing_services_are_not_moved_by_the_new_one(tree: Path):
    """Placement is a hash of the service name, so adding a service never changes another one's subnet."""
    generated = (tree / "modules/compute/main.tf").read_text()
    bundled = ROOT / "generated/terraform/modules/compute/main.tf"
    for service in ("frontend", "backend", "llm", "chromadb"):
        line = f'parseint(substr(md5("{service}"), 0, 8), 16) % length(var.private_subnet_ids)'
        assert line in generated
        if bundled.is_file():
            assert line in bundled.read_text()


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR}")
@pytest.mark.parametrize("env", ENVS)
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
