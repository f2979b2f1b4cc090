"""Alarms that reach someone: one encrypted SNS topic per environment, every alarm wired to it (ALARM and OK).

Static checks read the committed tree (python-hcl2); the us-east-1 variant (a region other than us-east-1
with a Route 53 health check) is rendered from a copy of the project and validated with the real provider.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner
from tfhelpers import MIRROR, TERRAFORM, clean_hcl2, copy_project, terraform_validate, write_cli_config

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
ENVS = ("dev", "staging", "prod")


def _blocks(path: Path, kind: str) -> dict[str, Any]:
    """{"type.name": body} of one kind of block ("resource", "data") in a file."""
    found = {}
    for entry in clean_hcl2(hcl2.loads(path.read_text())).get(kind, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                found[f"{rtype}.{name}"] = body
    return found


def _modules(env_dir: Path) -> dict[str, Any]:
    parsed = clean_hcl2(hcl2.loads((env_dir / "main.tf").read_text()))
    return {name: body for entry in parsed.get("module", []) for name, body in entry.items()}


def test_every_alarm_notifies_on_alarm_and_ok():
    alarms = {f"{path.parent.name}/{name}": body for path in sorted((TREE / "modules").glob("*/main.tf"))
              for name, body in _blocks(path, "resource").items() if name.startswith("aws_cloudwatch_metric_alarm.")}
    assert len(alarms) >= 8  # ALB 4, RDS 3, Route 53 1
    for name, body in alarms.items():
        assert body["alarm_actions"] == "var.alarm_actions" and body["ok_actions"] == "var.alarm_actions", name
        assert body.get("actions_enabled", True) is True, name


@pytest.mark.parametrize("env", ENVS)
def test_modules_with_alarms_get_the_alert_topic(env: str):
    modules = _modules(TREE / "environments" / env)
    assert modules["database"]["alarm_actions"] == "local.alarm_actions"
    assert modules["loadbalancer"]["alarm_actions"] == "local.alarm_actions"
    assert modules["route53"]["alarm_actions"] == "local.alarm_actions_us_east_1"
    text = (TREE / "environments" / env / "alerts.tf").read_text()
    assert re.search(r"(?m)^  alarm_actions\s+= \[aws_sns_topic\.alerts\.arn\]$", text)
    # Every bundled environment is in us-east-1: the health-check alarm shares the alert topic.
    assert re.search(r"(?m)^  alarm_actions_us_east_1\s+= \[aws_sns_topic\.alerts\.arn\]$", text)


@pytest.mark.parametrize("env", ENVS)
def test_topic_is_encrypted_with_a_key_cloudwatch_may_use(env: str):
    path = TREE / "environments" / env / "alerts.tf"
    resources, data = _blocks(path, "resource"), _blocks(path, "data")
    assert resources["aws_sns_topic.alerts"]["kms_master_key_id"] == "aws_kms_key.alerts.arn"
    key = resources["aws_kms_key.alerts"]
    assert key["enable_key_rotation"] is True
    text = path.read_text()
    assert 'Principal = { Service = "cloudwatch.amazonaws.com" }' in text
    assert 'Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]' in text
    statement = data["aws_iam_policy_document.alerts"]["statement"][0]
    assert statement["actions"] == ["sns:Publish"] and statement["resources"] == ["aws_sns_topic.alerts.arn"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    assert {c["variable"] for c in statement["condition"]} == {"aws:SourceAccount", "aws:SourceArn"}
    policy = resources["aws_sns_topic_policy.alerts"]
    assert policy["policy"] == "data.aws_iam_policy_document.alerts.json"


def test_subscribers_come_from_the_spec():
    prod = (TREE / "environments" / "prod" / "alerts.tf").read_text()
    assert 'alert_email             = ["oncall@imageunderstander.example.com"]' in prod
    dev = (TREE / "environments" / "dev" / "alerts.tf").read_text()
    assert "alert_email             = []" in dev
    subscription = _blocks(TREE / "environments" / "prod" / "alerts.tf", "resource")[
        "aws_sns_topic_subscription.alerts_email"]
    assert subscription["protocol"] == "email" and subscription["for_each"] == "toset(local.alert_email)"


@pytest.fixture(scope="module")
def eu_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """prod moved to eu-west-1 with its Route 53 health check and an HTTPS subscriber."""
    project = copy_project(tmp_path_factory.mktemp("alerts") / "project")
    spec = project / "specs" / "prod.yaml"
    doc = yaml.safe_load(spec.read_text())
    doc["region"] = "eu-west-1"
    doc["network"]["availability_zones"] = ["eu-west-1a", "eu-west-1b"]
    doc["alerts"]["https"] = ["https://hooks.example.com/alarms"]
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = CliRunner().invoke(main, ["-C", str(project), "render", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return project


def test_health_check_alarm_outside_us_east_1_gets_a_us_east_1_topic(eu_project: Path):
    path = eu_project / "generated" / "terraform" / "environments" / "prod" / "alerts.tf"
    resources = _blocks(path, "resource")
    for name in ("aws_kms_key", "aws_sns_topic", "aws_sns_topic_policy"):
        assert resources[f"{name}.alerts_us_east_1"]["provider"] == "aws.us_east_1", name
        assert "provider" not in resources[f"{name}.alerts"], name
    assert resources["aws_sns_topic.alerts_us_east_1"]["kms_master_key_id"] == "aws_kms_key.alerts_us_east_1.arn"
    assert resources["aws_sns_topic_subscription.alerts_us_east_1_https"]["provider"] == "aws.us_east_1"
    text = path.read_text()
    assert re.search(r"(?m)^  alarm_actions_us_east_1 = \[aws_sns_topic\.alerts_us_east_1\.arn\]$", text)
    assert "arn:${data.aws_partition.current.partition}:cloudwatch:us-east-1:" in text


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None or not MIRROR.is_dir(), reason="terraform or the provider mirror is missing")
def test_us_east_1_variant_validates(eu_project: Path):
    config = write_cli_config(eu_project)
    report = terraform_validate(eu_project / "generated" / "terraform" / "environments" / "prod", config)
    assert report["valid"] and report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=1)[:4000]
