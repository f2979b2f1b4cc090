"""Issue 20 item 8: `database.read_replicas: N` creates N replicas of the instance in other zones, each with its
own CPU, lag and free-storage alarms to the alert topic and its log groups; impact treats them as data-holding.

The structure is checked on a full plan of a dev copy with two replicas on the fake aws 6.69.1 provider
(`terraform show -json`: what AWS would be asked for), and with checkov; the spec side without Terraform.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import CHECKOV, HAS_FAKEPROV, checkov_failures, copy_project, fakeprov_plan

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
DB = "module.database"
REPLICAS = """
database:
  read_replicas: 2
  replica_instance_class: db.t4g.small
"""


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def with_replicas(tmp: Path, addition: str = REPLICAS) -> Path:
    """A copy of the project whose dev spec asks for read replicas, rendered."""
    project = copy_project(tmp / "project")
    dev = project / "specs/dev.yaml"
    dev.write_text(dev.read_text().replace("\ndatabase:\n", addition.rstrip("\n").replace("database:", "\ndatabase:")
                                           + "\n", 1))
    result = invoke("-C", str(project), "render", "dev")
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_replicas(tmp_path_factory.mktemp("replicas"))


def test_replicas_are_module_data_spread_over_the_other_zones(project: Path) -> None:
    variables = (project / "generated/terraform/environments/dev/variables.tf").read_text()
    assert '"1" = { availability_zone = "us-east-1b", instance_class = "db.t4g.small" }' in variables
    # two zones: the second replica wraps around to the first zone
    assert '"2" = { availability_zone = "us-east-1a", instance_class = "db.t4g.small" }' in variables
    modules = project / "generated/terraform/modules"
    bundled = ROOT / "generated/terraform/modules"
    assert all((modules / p.relative_to(bundled)).read_bytes() == p.read_bytes()
               for p in bundled.rglob("*") if p.is_file()), "replicas are data of the root, not a module change"


def test_replicas_need_automated_backups(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    dev = project / "specs/dev.yaml"
    dev.write_text(dev.read_text().replace("\ndatabase:\n", "\ndatabase:\n  read_replicas: 1\n"
                                           "  backup_retention_days: 0\n", 1))
    result = invoke("-C", str(project), "validate", "dev")
    assert result.exit_code == 2
    assert "database.backup_retention_days: 0 disables automated backups, which read replicas" in result.stderr


def test_removing_a_replica_is_a_destructive_change_like_the_database(tmp_path: Path) -> None:
    project = with_replicas(tmp_path, "\ndatabase:\n  read_replicas: 2\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.email=t@example.com", "-c",
                                                                 "user.name=t", "commit", "-qm", "two replicas"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    dev = project / "specs/dev.yaml"
    dev.write_text(dev.read_text().replace("read_replicas: 2", "read_replicas: 1"))
    result = invoke("-C", str(project), "impact", "dev", "--json")
    assert result.exit_code == 1, result.output
    rows = {r["address"]: r for r in json.loads(result.stdout)["environments"][0]["resources"]}
    replica = rows[f'{DB}.aws_db_instance.replica["2"]']
    assert replica["action"] == "destroy" and replica["stateful"] and replica["blocking"]
    assert (replica["key"], replica["old"], replica["new"]) == ("database.read_replicas", 2, 1)
    assert f'{DB}.aws_cloudwatch_metric_alarm.replica_lag["2"]' in rows
    assert not any('replica["1"]' in address for address in rows)  # the first replica stays as it is
    approved = invoke("-C", str(project), "impact", "dev", "--acknowledge",
                      f'dev:{DB}.aws_db_instance.replica["2"]=destroy', "--acknowledge",
                      f'dev:{DB}.aws_cloudwatch_log_group.replica["2-error"]=destroy', "--acknowledge",
                      f'dev:{DB}.aws_cloudwatch_log_group.replica["2-slowquery"]=destroy')
    assert approved.exit_code == 0, approved.output


@pytest.mark.slow
@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov is not installed (make .venv-checkov/bin/checkov)")
def test_checkov_passes_the_tree_with_replicas(project: Path, tmp_path: Path) -> None:
    assert checkov_failures(project / "generated/terraform", tmp_path) == []


# ------------------------------------------------------------------------------------------------ the plan

@pytest.mark.terraform
@pytest.mark.skipif(not HAS_FAKEPROV, reason="needs terraform and a fakeprov build (`make fakeprov`)")
def test_the_plan_creates_replicas_of_the_instance_with_their_alarms(project: Path) -> None:
    shown = fakeprov_plan(project / "generated/terraform/environments/dev")
    after = {r["address"]: r["change"]["after"] for r in shown["resource_changes"] if r["mode"] == "managed"}
    config = {r["address"]: r for r in
              shown["configuration"]["root_module"]["module_calls"]["database"]["module"]["resources"]}
    primary = after[f"{DB}.aws_db_instance.main"]
    for n, zone in (("1", "us-east-1b"), ("2", "us-east-1a")):
        replica = after[f'{DB}.aws_db_instance.replica["{n}"]']
        assert replica["identifier"] == f"{primary['identifier']}-replica-{n}"
        assert (replica["availability_zone"], replica["instance_class"]) == (zone, "db.t4g.small")
        assert replica["storage_encrypted"] and not replica["publicly_accessible"] and not replica["multi_az"]
        assert replica["iam_database_authentication_enabled"] and replica["skip_final_snapshot"]
        for same in ("monitoring_interval", "deletion_protection", "performance_insights_enabled",
                     "enabled_cloudwatch_logs_exports", "max_allocated_storage", "storage_type"):
            assert replica[same] == primary[same], same
        for log in ("error", "slowquery"):
            group = after[f'{DB}.aws_cloudwatch_log_group.replica["{n}-{log}"]']
            assert group["name"] == f"/aws/rds/instance/{replica['identifier']}/{log}"
        for alarm, metric in (("replica_cpu", "CPUUtilization"), ("replica_lag", "ReplicaLag"),
                              ("replica_free_storage", "FreeStorageSpace")):
            planned = after[f'{DB}.aws_cloudwatch_metric_alarm.{alarm}["{n}"]']
            assert planned["metric_name"] == metric and planned["namespace"] == "AWS/RDS"
            assert planned["dimensions"] == {"DBInstanceIdentifier": replica["identifier"]}
    source = config["aws_db_instance.replica"]["expressions"]["replicate_source_db"]["references"]
    assert "aws_db_instance.main.identifier" in source  # replicas of this instance, created after it
    expressions = config["aws_db_instance.replica"]["expressions"]
    assert not {"db_name", "username", "manage_master_user_password", "db_subnet_group_name"} & set(expressions)
    lag = after[f'{DB}.aws_cloudwatch_metric_alarm.replica_lag["1"]']
    assert lag["treat_missing_data"] == "breaching"  # a replica that stopped replicating reports nothing
    actions = config["aws_cloudwatch_metric_alarm.replica_lag"]["expressions"]["alarm_actions"]["references"]
    assert "var.alarm_actions" in actions
    wired = shown["configuration"]["root_module"]["module_calls"]["database"]["expressions"]["alarm_actions"]
    assert "local.alarm_actions" in wired["references"]  # the environment's alert topic
    outputs = shown["planned_values"]["outputs"]
    assert "db_read_address" in outputs and "db_replica_addresses" in outputs
