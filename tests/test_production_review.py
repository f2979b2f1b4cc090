"""Issue #20 (senior AWS review), checked on a full plan of the generated roots with the fake aws 6.69.1 provider.

`terraform show -json` of the plan gives every planned argument, so these tests see what AWS would be asked
for (the Auto Scaling groups, the alarms, the backup plan), not the template text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
FAKEPROV = Path(os.environ.get("FAKEPROV_DIR", ROOT.parent / "shared" / "fakeprov"))
CACHE = Path(os.environ.get("FAKEPROV_CACHE", ROOT / ".venv-fakeprov"))
TERRAFORM = shutil.which("terraform")
SHOW = Path(__file__).resolve().parent / "fakeprov_show.sh"

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(TERRAFORM is None or not (CACHE / "terraformrc").is_file()
                       or not (FAKEPROV / "lib.sh").is_file(),
                       reason="needs terraform and a fakeprov build (`make fakeprov`)"),
]


@cache
def plan(root: str) -> dict[str, Any]:
    """The JSON plan of `generated/terraform/<root>`, planned in a scratch copy."""
    return plan_tree(TREE, root)


def plan_tree(tree: Path, root: str) -> dict[str, Any]:
    """The JSON plan of `<tree>/<root>` (a generated/terraform directory), planned in a scratch copy."""
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"tfgen-review-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(tree, scratch, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    env = {**os.environ, "FAKEPROV_DIR": str(FAKEPROV), "FAKEPROV_CACHE": str(CACHE), "FAKEPROV_TERRAFORM": TERRAFORM}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    result = subprocess.run(["bash", str(SHOW), str(scratch / root)], env=env, capture_output=True, text=True,
                            timeout=600)
    shutil.rmtree(scratch, ignore_errors=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def planned(root: str, rtype: str) -> dict[str, dict[str, Any]]:
    """After-values of every planned resource of a type, by address."""
    return {r["address"]: r["change"]["after"] for r in plan(root)["resource_changes"]
            if r["type"] == rtype and r["mode"] == "managed" and "create" in r["change"]["actions"]}


def config_resource(root: str, module: str, rtype: str, name: str) -> dict[str, Any]:
    """A resource's configuration (expressions and references) from the plan."""
    resources = plan(root)["configuration"]["root_module"]["module_calls"][module]["module"]["resources"]
    return next(r for r in resources if r["type"] == rtype and r["name"] == name)


# ------------------------------------------------------------------------------------------------ 1: groups

@pytest.mark.parametrize("env", ["dev", "prod"])
def test_stateless_services_run_in_auto_scaling_groups_stateful_ones_as_instances(env: str):
    root = f"environments/{env}"
    groups = planned(root, "aws_autoscaling_group")
    instances = planned(root, "aws_instance")
    assert set(groups) == {f'module.compute.aws_autoscaling_group.this["{s}"]' for s in ("backend", "frontend")}
    assert set(instances) == {f'module.compute.aws_instance.this["{s}"]' for s in ("chromadb", "llm")}
    templates = planned(root, "aws_launch_template")
    for service in ("backend", "frontend"):
        group = groups[f'module.compute.aws_autoscaling_group.this["{service}"]']
        (mixed,) = group["mixed_instances_policy"]
        (distribution,) = mixed["instances_distribution"]
        assert group["capacity_rebalance"] is True, "spot groups replace instances at risk before the notice"
        assert distribution["on_demand_percentage_above_base_capacity"] == 0
        assert distribution["spot_allocation_strategy"] == "price-capacity-optimized"
        overrides = [o["instance_type"] for o in mixed["launch_template"][0]["override"]]
        template = templates[f'module.compute.aws_launch_template.this["{service}"]']
        assert overrides[0] == template["instance_type"] == "t4g.micro"
        assert template["metadata_options"][0]["http_tokens"] == "required"
        if env == "prod":
            assert (group["min_size"], group["desired_capacity"], group["max_size"]) == (2, 2, 4)
            assert distribution["on_demand_base_capacity"] == 1, "one on-demand instance survives every interruption"
            assert overrides == ["t4g.micro", "t4g.small"]
        else:
            assert (group["min_size"], group["desired_capacity"], group["max_size"]) == (1, 1, 2)
            assert distribution["on_demand_base_capacity"] == 0


def test_the_group_registers_its_instances_with_the_target_group_and_spans_every_private_subnet():
    group = config_resource("environments/prod", "compute", "aws_autoscaling_group", "this")["expressions"]
    assert "var.target_group_arns" in group["target_group_arns"]["references"]
    assert "var.private_subnet_ids" in group["vpc_zone_identifier"]["references"]
    wiring = plan("environments/prod")["configuration"]["root_module"]["module_calls"]["compute"]["expressions"]
    assert "module.loadbalancer.target_group_arn" in wiring["target_group_arns"]["references"]
    attachments = planned("environments/prod", "aws_lb_target_group_attachment")
    assert attachments == {}, "no instance attachment: the frontend group registers its own instances"
    template = config_resource("environments/prod", "compute", "aws_launch_template", "this")["expressions"]
    assert "local.user_data_vars" in template["user_data"]["references"], "the same user data as an instance"


# ----------------------------------------------------------------------------------- 2: no healthy target

@pytest.mark.parametrize("env", ["dev", "prod"])
def test_an_alarm_fires_when_no_target_is_healthy_even_without_data(env: str):
    alarms = planned(f"environments/{env}", "aws_cloudwatch_metric_alarm")
    alarm = alarms["module.loadbalancer.aws_cloudwatch_metric_alarm.no_healthy_hosts"]
    assert (alarm["metric_name"], alarm["comparison_operator"], alarm["threshold"]) == (
        "HealthyHostCount", "LessThanThreshold", 1)
    assert alarm["treat_missing_data"] == "breaching", "a terminated target reports no data at all"
    actions = config_resource(f"environments/{env}", "loadbalancer", "aws_cloudwatch_metric_alarm",
                              "no_healthy_hosts")["expressions"]["alarm_actions"]["references"]
    assert "var.alarm_actions" in actions
    wiring = plan(f"environments/{env}")["configuration"]["root_module"]["module_calls"]["loadbalancer"]
    assert "local.alarm_actions" in wiring["expressions"]["alarm_actions"]["references"], "the alert topic"


# ------------------------------------------------------------------------------------------------ 4: backups

def test_prod_backs_up_data_volumes_and_the_database_by_tag_with_a_cross_region_copy():
    root = "environments/prod"
    (rule,) = planned(root, "aws_backup_plan")["module.backup[0].aws_backup_plan.main"]["rule"]
    assert rule["lifecycle"][0]["delete_after"] == 35, "retention from the spec"
    assert rule["schedule"].startswith("cron(")
    (copy,) = rule["copy_action"]
    assert copy["lifecycle"][0]["delete_after"] == 35
    (selection,) = planned(root, "aws_backup_selection").values()
    (tag,) = selection["selection_tag"]
    assert (tag["type"], tag["key"], tag["value"]) == ("STRINGEQUALS", "BackupPlan", "imageunderstander-prod-backup")
    volumes = planned(root, "aws_ebs_volume")
    assert volumes and all(v["tags"]["BackupPlan"] == tag["value"] for v in volumes.values()), "every data volume"
    (database,) = planned(root, "aws_db_instance").values()
    assert database["tags"]["BackupPlan"] == tag["value"], "prod asks for the database too"
    providers = plan(root)["configuration"]["provider_config"]
    copy_region = providers["aws.backup_copy"]["expressions"]["region"]["references"]
    assert "var.backup_copy_region" in copy_region
    variables = plan(root)["variables"]
    assert variables["backup_copy_region"]["value"] == "us-west-2"


def test_dev_backs_up_its_data_volumes_but_not_its_database_and_copies_nothing():
    root = "environments/dev"
    (rule,) = planned(root, "aws_backup_plan")["module.backup[0].aws_backup_plan.main"]["rule"]
    assert rule["lifecycle"][0]["delete_after"] == 14 and rule["copy_action"] == []
    (database,) = planned(root, "aws_db_instance").values()
    assert "BackupPlan" not in database["tags"]
    assert all("BackupPlan" in v["tags"] for v in planned(root, "aws_ebs_volume").values())


# ------------------------------------------------------------------------------------ 5: engine upgrades

@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_major_engine_upgrade_is_allowed_and_apply_immediately_follows_the_spec(env: str):
    (database,) = planned(f"environments/{env}", "aws_db_instance").values()
    assert database["allow_major_version_upgrade"] is True, "RDS refuses 8.0 -> 8.4 without it"
    assert database["apply_immediately"] is False, "the bundled specs wait for the maintenance window"
    assert plan(f"environments/{env}")["variables"]["db_apply_immediately"]["value"] is False


# ------------------------------------------------------------------------------- 6: final snapshot suffix

def test_the_final_snapshot_suffix_is_replaced_with_the_database():
    """Every argument of the instance that forces a new database also forces a new suffix."""
    suffix = config_resource("environments/prod", "database", "terraform_data", "snapshot_suffix")["expressions"]
    triggers = set(suffix["triggers_replace"]["references"])
    instance = config_resource("environments/prod", "database", "aws_db_instance", "main")["expressions"]
    forcing = {"identifier", "db_name", "username"}  # ForceNew arguments of aws_db_instance that tfgen sets
    for argument in forcing:
        assert set(instance[argument]["references"]) & triggers, argument


# ------------------------------------------------------------------------------- 9: service database users

@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_function_in_the_private_subnets_creates_the_service_users_before_the_instances_start(env: str):
    import base64
    import hashlib

    root = f"environments/{env}"
    assert plan(root)["variables"]["db_users"]["value"] == ["backend", "llm"]
    (function,) = planned(root, "aws_lambda_function").values()
    assert (function["runtime"], function["handler"]) == ("python3.12", "handler.handler")
    package = (TREE / "modules" / "database" / "db_users.zip").read_bytes()
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert len(function["vpc_config"]) == 1 and not function.get("environment"), "no settings, no secrets"
    (invocation,) = planned(root, "aws_lambda_invocation").values()
    assert invocation["function_name"] == function["function_name"]
    inputs = config_resource(root, "database", "aws_lambda_invocation", "db_users")["expressions"]["input"]
    assert {"local.master_user_secret_arn", "aws_db_instance.main.address", "var.db_users",
            "var.db_user_privileges"} <= set(inputs["references"])
    # The compute module reads the users through an output that waits for the invocation.
    outputs = plan(root)["configuration"]["root_module"]["module_calls"]["database"]["module"]["outputs"]
    assert outputs["db_users"]["depends_on"] == ["aws_lambda_invocation.db_users"]
    compute = plan(root)["configuration"]["root_module"]["module_calls"]["compute"]["expressions"]
    assert compute["db_users"]["references"][0].startswith("module.database.db_users")


# --------------------------------------------------------------------------- 16: architecture replacement

def test_the_replacement_trigger_of_x86_instances_keeps_its_value_and_names_arm64():
    """Existing x86_64 on-demand instances keep "on-demand" (no replacement on upgrade); arm64 gets its own."""
    triggers = planned("environments/prod", "terraform_data")
    assert triggers['module.compute.terraform_data.spot_type["chromadb"]']["input"] == "on-demand"
    assert triggers['module.compute.terraform_data.spot_type["llm"]']["input"] == "on-demand"
    expression = config_resource("environments/prod", "compute", "terraform_data", "spot_type")["expressions"]
    assert "local.architecture" in expression["input"]["references"]


def test_a_spot_instance_is_replaced_on_a_type_change_an_on_demand_one_only_on_an_architecture_change(tmp_path):
    """The trigger that replaces an instance: a single spot instance's value is its type (EC2 cannot stop it to
    resize it), an on-demand one's is constant per architecture (a resize is a stop/modify/start)."""
    from click.testing import CliRunner

    from tfgen.cli import main

    project = tmp_path / "project"
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, project / name)
    spec = project / "specs" / "dev.yaml"
    spec.write_text(spec.read_text() + "\nservices:\n  frontend:\n    auto_scaling:\n      enabled: false\n"
                    "  backend:\n    market: on-demand\n    auto_scaling:\n      enabled: false\n")
    result = CliRunner().invoke(main, ["-C", str(project), "render", "dev"])
    assert result.exit_code == 0, result.output
    triggers = {r["index"]: r["change"]["after"]["input"]
                for r in plan_tree(project / "generated" / "terraform", "environments/dev")["resource_changes"]
                if r["type"] == "terraform_data" and r["name"] == "spot_type"}
    assert triggers == {"frontend": "t4g.micro", "backend": "on-demand-arm64", "llm": "on-demand",
                        "chromadb": "on-demand"}, triggers


# ----------------------------------------------------------------------------------- 13: WAF log redaction

def test_waf_logs_redact_credentials():
    (logging,) = planned("environments/prod", "aws_wafv2_web_acl_logging_configuration").values()
    headers = sorted(field["single_header"][0]["name"] for field in logging["redacted_fields"])
    assert headers == ["authorization", "cookie"]


# ------------------------------------------------------------------------------------------ 22: dashboard

def test_every_environment_has_a_dashboard_of_alb_targets_instances_gpu_and_rds():
    root = "environments/prod"
    assert "aws_cloudwatch_dashboard.main" in planned(root, "aws_cloudwatch_dashboard")
    resources = plan(root)["configuration"]["root_module"]["resources"]
    (dashboard,) = [r for r in resources if r["address"] == "aws_cloudwatch_dashboard.main"]
    assert "local.dashboard_widgets" in dashboard["expressions"]["dashboard_body"]["references"]
    text = (TREE / root / "alerts.tf").read_text()
    for needed in ("module.loadbalancer.alb_arn_suffix", "module.loadbalancer.target_group_arn_suffix",
                   "module.compute.instance_ids", "module.compute.autoscaling_group_names",
                   "module.database.identifier", "nvidia_smi_utilization_gpu", "HealthyHostCount"):
        assert needed in text, needed


# ------------------------------------------------------------------------------------- 11, 12: bootstrap root

BOOTSTRAP = "bootstrap/imgu-terraform-state"


def test_the_bootstrap_root_builds_the_account_baseline_and_is_pinned():
    trails = planned(BOOTSTRAP, "aws_cloudtrail")
    (trail,) = trails.values()
    assert trail["is_multi_region_trail"] is True and trail["enable_log_file_validation"] is True
    assert trail["include_global_service_events"] is True and trail["s3_key_prefix"] == "cloudtrail"
    (detector,) = planned(BOOTSTRAP, "aws_guardduty_detector").values()
    assert detector["enable"] is True
    assert not planned(BOOTSTRAP, "aws_securityhub_account") and not planned(BOOTSTRAP,
                                                                          "aws_config_configuration_recorder")
    keys = planned(BOOTSTRAP, "aws_kms_key")
    assert len(keys) == 2 and all(k["enable_key_rotation"] for k in keys.values())
    (group,) = planned(BOOTSTRAP, "aws_cloudwatch_log_group").values()
    assert group["name"] == "/imageunderstander/session-manager" and group["retention_in_days"] == 365
    (document,) = planned(BOOTSTRAP, "aws_ssm_document").values()
    assert document["name"] == "SSM-SessionManagerRunShell" and document["document_type"] == "Session"
    aliases = {a["name"] for a in planned(BOOTSTRAP, "aws_kms_alias").values()}
    assert "alias/imageunderstander-session-manager" in aliases
    assert planned(BOOTSTRAP, "aws_s3_bucket")["aws_s3_bucket.state"]["bucket"] == "imgu-terraform-state"
    provider = plan(BOOTSTRAP)["configuration"]["provider_config"]["aws"]["expressions"]
    assert provider["allowed_account_ids"]["constant_value"] == ["111122223333"]


# -------------------------------------------------------------------------------------------- 21: ec2messages

def test_the_ec2messages_endpoint_and_the_roles_agree():
    root = "environments/dev"
    endpoints = {e["service_name"].rsplit(".", 1)[1] for e in planned(root, "aws_vpc_endpoint").values()
                 if e["vpc_endpoint_type"] == "Interface"}
    variables = plan(root)["variables"]
    assert variables["ec2messages_channel"]["value"] is ("ec2messages" in endpoints)
    assert variables["session_logging"]["value"]["log_group"] == "/imageunderstander/session-manager"
