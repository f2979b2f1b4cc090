"""Issue #20 items 12 and 21: what the instance roles may do for Session Manager's logging and Run Command.

The statements are evaluated by terraform itself (`terraform console` on a copy of the security module with
known inputs), so the filtering by `ec2messages_channel` and `session_logging` is checked as HCL runs it,
not as the template reads; the spec side is checked on rendered copies of the project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner
from tfhelpers import TERRAFORM, clean_hcl2, copy_project, run_terraform, write_cli_config

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "generated" / "terraform" / "modules" / "security"
LEGACY = {f"ec2messages:{a}" for a in ("AcknowledgeMessage", "DeleteMessage", "FailMessage", "GetEndpoint",
                                       "GetMessages", "SendReply")}
SESSION = {"region": "us-east-1", "log_group": "/imageunderstander/session-manager",
           "kms_alias": "alias/imageunderstander-session-manager"}
INPUTS = {
    "name_prefix": "imgu-dev", "tags": {}, "vpc_id": "vpc-1", "vpc_cidr": "10.0.0.0/16",
    "services": {"web": {"description": "web", "port": 8080, "permissions": []}}, "ingress_rules": {},
    "alb_target_port": 8080, "uploads_bucket_arn": "arn:aws:s3:::uploads",
    "app_secret_arn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app",
    "db_secret_arn": None, "db_resource_id": "db-1",
    "log_group_arns": {"web": "arn:aws:logs:us-east-1:111122223333:log-group:/imgu/dev/web"},
    "aws_region": "us-east-1",
}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if TERRAFORM is None:
        pytest.skip("needs terraform")
    scratch = tmp_path_factory.mktemp("security")
    shutil.copytree(SECURITY, scratch / "security", ignore=shutil.ignore_patterns(".terraform*"))
    config = write_cli_config(scratch)
    init = run_terraform(["init", "-backend=false", "-input=false", "-no-color"], scratch / "security", config)
    assert init.returncode == 0, init.stderr
    return scratch / "security", config


def statements(module: tuple[Path, Path], **inputs: Any) -> dict[str, dict[str, Any]]:
    """The web service's statements by sid (sids, actions and conditions are known without the provider)."""
    directory, config = module
    (directory / "test.auto.tfvars.json").write_text(json.dumps({**INPUTS, **inputs}))
    expression = ('jsonencode({ for s in local.service_statements["web"] : s.sid => '
                  '{ actions = s.actions, condition = s.condition } })')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run([str(TERRAFORM), "console"], cwd=directory, env=env, input=expression + "\n",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(json.loads(done.stdout.strip()))


pytestmark = pytest.mark.terraform


def test_the_legacy_run_command_channel_is_granted_exactly_with_its_endpoint(module):
    without = statements(module, ec2messages_channel=False, session_logging=None)
    assert "RunCommandLegacyChannel" not in without
    assert not any(a.startswith("ec2messages:") for s in without.values() for a in s["actions"])
    with_endpoint = statements(module, ec2messages_channel=True, session_logging=None)
    assert set(with_endpoint["RunCommandLegacyChannel"]["actions"]) == LEGACY
    # Session Manager's own channel is there either way (ssmmessages carries sessions and, on current agents,
    # Run Command too).
    for found in (without, with_endpoint):
        assert {"ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"} <= set(
            found["SessionManagerChannels"]["actions"])


def test_session_logging_grants_the_log_group_and_the_key_by_its_alias(module):
    assert not {"SessionLogStream", "SessionKey"} & set(statements(module, ec2messages_channel=False,
                                                                   session_logging=None))
    found = statements(module, ec2messages_channel=False, session_logging=SESSION)
    assert set(found["SessionLogStream"]["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents",
                                                         "logs:DescribeLogStreams"}
    assert found["SessionLogGroupEncryption"]["actions"] == ["logs:DescribeLogGroups"]
    assert set(found["SessionKey"]["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert found["SessionKey"]["condition"] == [{"test": "ForAnyValue:StringEquals", "variable": "kms:ResourceAliases",
                                                 "values": [SESSION["kms_alias"]]}]


def _render(project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(project), "render", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def _root_defaults(project: Path, env: str) -> dict[str, Any]:
    text = (project / "generated" / "terraform" / "environments" / env / "variables.tf").read_text()
    return {name: body.get("default") for entry in clean_hcl2(hcl2.loads(text)).get("variable", [])
            for name, body in entry.items()}


def test_the_spec_drives_both_role_inputs(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    _render(project)
    bundled = _root_defaults(project, "dev")
    assert bundled["ec2messages_channel"] is True  # base.yaml lists the ec2messages endpoint
    assert bundled["session_logging"] == SESSION
    base = project / "specs" / "base.yaml"
    doc = yaml.safe_load(base.read_text())
    doc["network"]["interface_endpoints"] = ["ssm", "ssmmessages"]
    doc.setdefault("aws", {})["baseline"] = {"session_logging": False}
    base.write_text(yaml.safe_dump(doc, sort_keys=False))
    _render(project)
    changed = _root_defaults(project, "dev")
    assert changed["ec2messages_channel"] is False and changed["session_logging"] is None
