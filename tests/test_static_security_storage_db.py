"""Static facts of the generated security, storage and database modules, pinned to the seed's requirements.

Reads the committed tree under generated/terraform (the golden test keeps it current) with python-hcl2.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import clean_hcl2

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
ENVS = ("dev", "staging", "prod")
SERVICES = ("backend", "chromadb", "frontend", "llm")
GROUPS = ("alb", *SERVICES, "rds")

# The seed's rule table: (group, source, port); source is a security group name or a CIDR.
SEED_INGRESS = {
    ("alb", "0.0.0.0/0", 443),
    ("alb", "0.0.0.0/0", 80),
    ("frontend", "alb", 8080),
    ("backend", "frontend", 8000),
    ("llm", "backend", 8001),
    ("chromadb", "backend", 8000),
    ("chromadb", "llm", 8000),
    ("rds", "backend", 3306),
    ("rds", "llm", 3306),
}

# Environment differences from the seed and the issue (values of the root variables).
ENV_VALUES = {
    "dev": {"log_retention_days": 30, "db_multi_az": False, "db_deletion_protection": False,
            "db_skip_final_snapshot": True, "uploads_force_destroy": True},
    "staging": {"log_retention_days": 60, "db_multi_az": True, "db_deletion_protection": False,
                "db_skip_final_snapshot": False, "uploads_force_destroy": True},
    "prod": {"log_retention_days": 90, "db_multi_az": True, "db_deletion_protection": True,
             "db_skip_final_snapshot": False, "uploads_force_destroy": False},
}
COMMON_VALUES = {
    "ia_transition_days": 30, "noncurrent_expiration_days": 90, "secret_recovery_window_days": 7,
    "db_backup_retention_days": 7, "db_monitoring_interval": 60, "db_engine_version": "8.4",
    "db_iops": None, "db_storage_throughput": None,
}


@cache
def parse(relative: str) -> dict[str, Any]:
    path = TREE / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make render-all`")
    return clean_hcl2(hcl2.loads(path.read_text()))


def resources(module: str, rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parse(f"modules/{module}/main.tf").get("resource", []):
        for kind, named in block.items():
            if kind == rtype:
                found.update(named)
    return found


def data_sources(module: str, dtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parse(f"modules/{module}/main.tf").get("data", []):
        for kind, named in block.items():
            if kind == dtype:
                found.update(named)
    return found


def locals_of(module: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in parse(f"modules/{module}/main.tf").get("locals", []):
        merged.update(block)
    return merged


def root_defaults(env: str) -> dict[str, Any]:
    return {name: body.get("default") for block in parse(f"environments/{env}/variables.tf")["variable"]
            for name, body in block.items()}


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    (only,) = body[name]
    return only


def root_locals(env: str) -> dict[str, Any]:
    (found,) = parse(f"environments/{env}/main.tf")["locals"]
    return found


def group_of(reference: str) -> str:
    """Which group a module reference names: alb, rds, or the service/edge side of a for_each rule."""
    fixed = re.fullmatch(r"aws_security_group\.(alb|rds)\.id", reference)
    if fixed:
        return fixed.group(1)
    edge = re.fullmatch(r"local\.group_ids\[each\.value\.(target|source)\]", reference)
    assert edge, f"not a security group reference: {reference}"
    return edge.group(1)


# -----------------------------------------------------------------------------
# Security groups
# -----------------------------------------------------------------------------

def test_security_groups_alb_rds_and_one_per_service_with_name_prefix_and_create_before_destroy():
    groups = resources("security", "aws_security_group")
    assert set(groups) == {"alb", "service", "rds"}
    assert groups["service"]["for_each"] == "var.services"
    assert groups["service"]["name_prefix"] == "${var.name_prefix}-${each.key}-"
    for name, body in groups.items():
        assert "name" not in body
        if name != "service":
            assert body["name_prefix"] == f"${{var.name_prefix}}-{name}-"
            assert body["description"].isascii() and body["description"]
        assert block(body, "lifecycle")["create_before_destroy"] is True
        assert "ingress" not in body and "egress" not in body, "inline rules conflict with rule resources"
    ids = locals_of("security")["group_ids"]
    assert "aws_security_group.alb.id" in ids and "aws_security_group.rds.id" in ids


@pytest.mark.parametrize("env", ENVS)
def test_ingress_rules_are_exactly_the_seed_table_by_group_reference(env: str):
    rules = resources("security", "aws_vpc_security_group_ingress_rule")
    assert set(rules) == {"alb_from_internet", "this"}
    internet, edges = rules["alb_from_internet"], rules["this"]
    assert group_of(internet["security_group_id"]) == "alb" and internet["cidr_ipv4"] == "0.0.0.0/0"
    assert "referenced_security_group_id" not in internet
    ports = locals_of("security")["internet_ports"]
    assert internet["for_each"] == "local.internet_ports" and set(ports.values()) == {443, 80}
    assert edges["for_each"] == "var.ingress_rules" and "cidr_ipv4" not in edges
    assert group_of(edges["security_group_id"]) == "target"
    assert group_of(edges["referenced_security_group_id"]) == "source"
    for rule in (internet, edges):
        assert rule["ip_protocol"] == "tcp" and rule["from_port"] == rule["to_port"] and rule["description"]
    table = {("alb", "0.0.0.0/0", port) for port in ports.values()}
    table |= {(r["target"], r["source"], r["port"]) for r in root_locals(env)["ingress_rules"].values()}
    assert table == SEED_INGRESS


def test_egress_alb_limited_to_vpc_rds_none_services_all():
    egress = resources("security", "aws_vpc_security_group_egress_rule")
    assert set(egress) == {"alb_to_vpc", "service"}
    alb = egress["alb_to_vpc"]
    assert alb["security_group_id"] == "aws_security_group.alb.id"
    assert alb["cidr_ipv4"] == "var.vpc_cidr" and alb["ip_protocol"] == "tcp"
    assert alb["from_port"] == alb["to_port"] == "var.alb_target_port"
    service = egress["service"]
    assert service["for_each"] == "var.services"
    assert service["ip_protocol"] == "-1" and service["cidr_ipv4"] == "0.0.0.0/0"
    assert not any("rds" in str(rule["security_group_id"]) for rule in egress.values())


# -----------------------------------------------------------------------------
# IAM
# -----------------------------------------------------------------------------

def test_every_service_role_gets_one_least_privilege_policy_and_no_managed_policy():
    roles = resources("security", "aws_iam_role")
    assert set(roles) == {"service"} and roles["service"]["for_each"] == "var.services"
    assert resources("security", "aws_iam_role_policy_attachment") == {}
    profile = resources("security", "aws_iam_instance_profile")["service"]
    policy = resources("security", "aws_iam_role_policy")["service"]
    assert "managed_policy_arns" not in roles["service"] and "inline_policy" not in roles["service"]
    assert roles["service"]["assume_role_policy"] == "data.aws_iam_policy_document.ec2_assume.json"
    assert policy["for_each"] == "local.service_statements"
    assert profile["role"] == "aws_iam_role.service[each.key].name"
    baseline = locals_of("security")["baseline_statements"]
    for sid in ("SessionManagerRegistration", "SessionManagerChannels", "OwnLogGroup", "AgentMetrics"):
        assert f'sid = "{sid}"' in baseline, sid
    assert "var.log_group_arns[name]" in baseline and '"cloudwatch:namespace", values = ["CWAgent"]' in baseline
    assert "logs:CreateLogGroup" not in baseline and "logs:PutRetentionPolicy" not in baseline
    assert "local.baseline_statements[name]" in locals_of("security")["service_statements"]
    trust = block(data_sources("security", "aws_iam_policy_document")["ec2_assume"], "statement")
    assert block(trust, "principals")["identifiers"] == ["ec2.amazonaws.com"]


def _permission_statements() -> dict[str, dict[str, dict[str, Any]]]:
    """The module's statements by permission, then by sid."""
    return {permission: {s["sid"]: s for s in statements}
            for permission, statements in locals_of("security")["permission_statements"].items()
            if not isinstance(statements, str)}


@pytest.mark.parametrize("env", ENVS)
def test_backend_and_llm_get_s3_rw_and_secrets_read_frontend_nothing_more(env: str):
    granted = {name: set(svc["permissions"]) for name, svc in root_locals(env)["services"].items()}
    every = {"uploads-rw", "app-secrets-read", "db-connect"}
    assert granted == {"backend": every, "llm": every, "frontend": set(), "chromadb": set()}
    statements = _permission_statements()
    uploads = statements["uploads-rw"]
    assert uploads["UploadsList"]["actions"] == ["s3:ListBucket"]
    assert uploads["UploadsList"]["resources"] == ["var.uploads_bucket_arn"]
    assert set(uploads["UploadsReadWrite"]["actions"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert uploads["UploadsReadWrite"]["resources"] == ["${var.uploads_bucket_arn}/*"]
    assert "secretsmanager:GetSecretValue" in statements["app-secrets-read"]["AppSecretRead"]["actions"]
    assert statements["app-secrets-read"]["AppSecretRead"]["resources"] == ["var.app_secret_arn"]
    # The database secret's statement exists once RDS manages the secret (an adopted database: the next apply).
    db_read = locals_of("security")["permission_statements"]["db-secret-read"]
    assert "for arn in compact([var.db_secret_arn])" in db_read and 'sid = "DatabaseSecretRead"' in db_read
    assert "resources = [arn]" in db_read
    for by_sid in statements.values():
        for statement in by_sid.values():
            assert "*" not in statement["resources"] and statement.get("effect", "Allow") == "Allow"
    # Every service gets its inline policy; the permissions it lists add to the baseline, and db-connect adds
    # rds-db:connect as the database user named after the service (and nothing else).
    assert locals_of("security")["permission_statements"]["db-connect"] == []
    policy = resources("security", "aws_iam_role_policy")["service"]
    assert policy["for_each"] == "local.service_statements"
    assert "local.permission_statements[permission]" in locals_of("security")["service_statements"]
    connect = locals_of("security")["db_connect_statements"]
    assert 'actions = ["rds-db:connect"]' in connect and "dbuser:${var.db_resource_id}/${name}" in connect
    assert 'if contains(tolist(service.permissions), "db-connect")' in connect


def test_database_settings_in_user_data_follow_the_db_secret_permission():
    """(What the scripts hold per permission is checked on rendered scripts in test_user_data_shellcheck.py.)"""
    text = (TREE / "modules" / "compute" / "user_data.tf").read_text()
    # (no secret pair while an adopted database has no RDS-managed secret yet: the next apply adds it)
    assert ('contains(service.permissions, "db-secret-read") && var.db_secret_arn != null ? '
            '[var.db_secret_arn, "DB_"] : []') in text
    assert 'contains(service.permissions, "app-secrets-read") ? [var.app_secret_arn, ""] : []' in text


def _output(module: str, name: str) -> dict[str, Any]:
    for entry in parse(f"modules/{module}/outputs.tf")["output"]:
        if name in entry:
            return entry[name]
    raise AssertionError(f"{module} has no output {name}")


def _refs(values: list[str]) -> list[str]:
    return [v.strip("${}") for v in values]


def test_instance_profiles_are_handed_out_only_after_their_policies():
    depends = set(_refs(_output("security", "instance_profile_names")["depends_on"]))
    assert depends == {"aws_iam_role_policy.service"}


def test_app_secret_arn_is_handed_out_only_after_its_first_value():
    assert _refs(_output("storage", "app_secret_arn")["depends_on"]) == ["aws_secretsmanager_secret_version.app"]


def test_user_data_secret_fetch_retries_with_backoff():
    for script in ((TREE / "modules" / "compute" / "user_data" / "service.sh.tftpl").read_text(),):
        fetch = script[script.index("fetch_secret() {"):]
        fetch = fetch[:fetch.index("\n}\n")]
        assert 'for attempt in $(seq 1 "$attempts"); do' in fetch
        assert "0:) mode=write attempts=10 ;;" in script, "10 attempts at start (tests/test_secret_refresh.py runs it)"
        assert "if payload=$(aws secretsmanager get-secret-value" in fetch, "a failed call must not hit set -e"
        assert "sleep $((attempt < 5 ? 2 ** attempt : 30))" in fetch
        assert "return 1" in fetch
        # systemd's default 90 s start timeout would kill ExecStartPre while it retries.
        assert "TimeoutStartSec=300" in script


# -----------------------------------------------------------------------------
# Networking: flow logs
# -----------------------------------------------------------------------------

def test_flow_log_waits_for_its_role_policy_and_the_role_name_fits():
    flow_log = resources("networking", "aws_flow_log")["main"]
    assert _refs(flow_log["depends_on"]) == ["aws_iam_role_policy.flow_logs"]
    role = resources("networking", "aws_iam_role")["flow_logs"]
    assert role["name_prefix"] == 'substr("${var.name_prefix}-flowlogs-", 0, 38)'
    (statement,) = data_sources("networking", "aws_iam_policy_document")["flow_logs_write"]["statement"]
    assert "logs:DescribeLogGroups" not in statement["actions"], "cannot be scoped to the flow-log group"
    assert set(statement["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}


@pytest.mark.parametrize("env", ENVS)
def test_log_retention_variable_is_described_for_every_log_group(env):
    for entry in parse(f"environments/{env}/variables.tf")["variable"]:
        if "log_retention_days" in entry:
            description = entry["log_retention_days"]["description"]
            assert "every CloudWatch log group" in description and not description.startswith(
                "Retention of the flow-log group")


# -----------------------------------------------------------------------------
# Storage
# -----------------------------------------------------------------------------

def test_uploads_bucket_versioning_encryption_public_access_block():
    bucket = resources("storage", "aws_s3_bucket")["uploads"]
    assert bucket["bucket_prefix"] == "local.uploads_bucket_prefix" and "bucket" not in bucket
    assert bucket["force_destroy"] == "var.uploads_force_destroy"
    versioning = resources("storage", "aws_s3_bucket_versioning")["uploads"]
    assert block(versioning, "versioning_configuration")["status"] == "Enabled"
    sse = resources("storage", "aws_s3_bucket_server_side_encryption_configuration")["uploads"]
    assert block(block(sse, "rule"), "apply_server_side_encryption_by_default")["sse_algorithm"] == "AES256"
    pab = resources("storage", "aws_s3_bucket_public_access_block")["uploads"]
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert pab[flag] is True


def test_uploads_bucket_cors_and_lifecycle():
    cors = block(resources("storage", "aws_s3_bucket_cors_configuration")["uploads"], "cors_rule")
    assert cors["allowed_origins"] == "var.cors_allowed_origins"
    assert {"PUT", "POST"} <= set(cors["allowed_methods"])
    rules = resources("storage", "aws_s3_bucket_lifecycle_configuration")["uploads"]["rule"]
    assert all(r["status"] == "Enabled" and r["filter"] == [{}] for r in rules)
    transitions = [t for r in rules for t in r.get("transition", [])]
    assert transitions == [{"days": "var.ia_transition_days", "storage_class": "STANDARD_IA"}]
    expirations = [e for r in rules for e in r.get("noncurrent_version_expiration", [])]
    assert expirations == [{"noncurrent_days": "var.noncurrent_expiration_days"}]
    assert all(block(r, "abort_incomplete_multipart_upload")["days_after_initiation"] == 7 for r in rules)


def test_app_secret_written_only_and_recovery_window():
    secret = resources("storage", "aws_secretsmanager_secret")["app"]
    assert secret["recovery_window_in_days"] == "var.secret_recovery_window_days"
    assert secret["name"] == "var.app_secret_name" and "var.app_secret_name == null" in secret["name_prefix"]
    version = resources("storage", "aws_secretsmanager_secret_version")["app"]
    assert "secret_string" not in version and "secret_string_wo" in version
    assert version["secret_string_wo_version"] == 1
    text = (TREE / "modules/storage/main.tf").read_text()
    assert 'ephemeral "aws_secretsmanager_random_password" "app"' in text


def test_app_secret_is_generated_once_and_guarded():
    """The labelled version is never deleted by AWS (so never re-created), and outside rotations stay current."""
    version = resources("storage", "aws_secretsmanager_secret_version")["app"]
    assert sorted(version["version_stages"]) == ["AWSCURRENT", "tfgen-generated"]
    (lifecycle,) = version["lifecycle"]
    assert lifecycle["ignore_changes"] == ["version_stages", "secret_string", "secret_string_wo_version"]
    (guard,) = lifecycle["precondition"]
    # An adopted secret (app_secret_name, written by tfgen adopt) keeps the values another tree wrote.
    assert guard["condition"] == "var.app_secret_name != null || !local.app_secret_foreign"
    storage_locals = parse("modules/storage/main.tf")["locals"]
    foreign = next(b["app_secret_foreign"] for b in storage_locals if "app_secret_foreign" in b)
    assert 'contains(local.app_secret_stages, "AWSCURRENT")' in foreign
    assert '!contains(local.app_secret_stages, "tfgen-generated")' in foreign
    assert "did not generate" in guard["error_message"] and "update-secret-version-stage" in guard["error_message"]
    versions = parse("modules/storage/main.tf")["data"]
    assert any("aws_secretsmanager_secret_versions" in block for block in versions)


def test_log_group_per_service_with_environment_retention():
    group = resources("storage", "aws_cloudwatch_log_group")["service"]
    assert group["for_each"] == "var.service_names"
    for env in ENVS:
        (call,) = [b["storage"] for b in parse(f"environments/{env}/main.tf")["module"] if "storage" in b]
        assert call["service_names"] == "keys(local.services)"
        assert sorted(root_locals(env)["services"]) == sorted(SERVICES)
    assert group["name"] == "/aws/ec2/${var.name_prefix}/${each.key}"
    assert group["retention_in_days"] == "var.log_retention_days"


# -----------------------------------------------------------------------------
# Database
# -----------------------------------------------------------------------------

def test_rds_instance_settings():
    db = resources("database", "aws_db_instance")["main"]
    assert db["engine"] == "mysql" and db["engine_version"] == "var.db_engine_version"
    assert db["storage_encrypted"] is True and db["storage_type"] == "gp3"
    assert db["multi_az"] == "var.db_multi_az"
    assert db["backup_retention_period"] == "var.db_backup_retention_days"
    assert db["manage_master_user_password"] is True and "password" not in db and "password_wo" not in db
    assert db["publicly_accessible"] is False
    assert db["iam_database_authentication_enabled"] is True and db["copy_tags_to_snapshot"] is True
    assert db["auto_minor_version_upgrade"] is True
    assert db["deletion_protection"] == "var.db_deletion_protection"
    assert db["skip_final_snapshot"] == "var.db_skip_final_snapshot"
    # A creation-time suffix: a second destroy of a re-created environment must not hit DBSnapshotAlreadyExists.
    assert db["final_snapshot_identifier"] == "var.db_skip_final_snapshot ? null : local.final_snapshot_identifier"
    assert locals_of("database")["final_snapshot_identifier"] == (
        "${local.identifier}-final-${terraform_data.snapshot_suffix.output}")
    suffix = resources("database", "terraform_data")["snapshot_suffix"]
    assert suffix["input"] == 'formatdate("YYYYMMDDhhmmss", timestamp())'
    assert _refs(block(suffix, "lifecycle")["ignore_changes"]) == ["input"], "a re-plan must show no change"
    assert db["vpc_security_group_ids"] == ["var.rds_security_group_id"]
    assert db["enabled_cloudwatch_logs_exports"] == "local.cloudwatch_logs_exports"


def test_rds_enhanced_monitoring_role():
    db = resources("database", "aws_db_instance")["main"]
    assert db["monitoring_interval"] == "var.db_monitoring_interval"
    assert "aws_iam_role.rds_monitoring.arn" in db["monitoring_role_arn"]
    trust = block(data_sources("database", "aws_iam_policy_document")["rds_monitoring_assume"], "statement")
    assert block(trust, "principals")["identifiers"] == ["monitoring.rds.amazonaws.com"]
    attachment = resources("database", "aws_iam_role_policy_attachment")["rds_monitoring"]
    assert attachment["policy_arn"].endswith(":policy/service-role/AmazonRDSEnhancedMonitoringRole")


def test_rds_parameter_group_requires_tls():
    group = resources("database", "aws_db_parameter_group")["main"]
    assert group["family"] == "local.parameter_group_family" and "name_prefix" in group
    assert "replace(local.parameter_group_family" in group["name_prefix"]
    assert locals_of("database")["parameter_group_family"] == (
        'mysql${join(".", slice(split(".", var.db_engine_version), 0, 2))}')
    assert block(group, "lifecycle")["create_before_destroy"] is True
    (dynamic,) = group["dynamic"]
    assert dynamic["parameter"]["for_each"] == "var.db_parameters"
    for env in ENVS:
        assert root_defaults(env)["db_parameters"]["require_secure_transport"] == "1"


def test_rds_alarms_cpu_storage_connections_on_identifier():
    alarms = resources("database", "aws_cloudwatch_metric_alarm")
    instance = {n: a for n, a in alarms.items() if not n.startswith("replica_")}
    assert {a["metric_name"] for a in instance.values()} == {"CPUUtilization", "FreeStorageSpace",
                                                              "DatabaseConnections"}
    for alarm in instance.values():
        assert alarm["namespace"] == "AWS/RDS"
        assert alarm["dimensions"] == {"DBInstanceIdentifier": "aws_db_instance.main.identifier"}
    replica = {n: a for n, a in alarms.items() if n.startswith("replica_")}  # one of each per read replica
    assert {a["metric_name"] for a in replica.values()} == {"CPUUtilization", "FreeStorageSpace", "ReplicaLag"}
    for alarm in replica.values():
        assert alarm["for_each"] == "var.db_replicas" and alarm["namespace"] == "AWS/RDS"
        assert alarm["dimensions"] == {"DBInstanceIdentifier": "aws_db_instance.replica[each.key].identifier"}


# -----------------------------------------------------------------------------
# Environment differences (root variable defaults come from the specs)
# -----------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVS)
def test_environment_values(env):
    defaults = root_defaults(env)
    for name, expected in {**COMMON_VALUES, **ENV_VALUES[env]}.items():
        assert defaults[name] == expected, f"{env}: {name}"


@pytest.mark.parametrize("env", ENVS)
def test_no_random_provider_and_no_secret_outputs(env):
    text = "".join(p.read_text() for p in (TREE / "environments" / env).glob("*.tf"))
    text += "".join(p.read_text() for p in (TREE / "modules").rglob("*.tf"))
    assert "hashicorp/random" not in text and 'resource "random_' not in text
    assert "secret_string " not in text and "secret_string=" not in text
