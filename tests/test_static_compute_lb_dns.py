"""Static facts of the generated compute, loadbalancer and route53 modules, pinned to the seed's requirements.

The tree is rendered in memory from specs/ and templates/ (no dependency on a committed generated/) and
parsed with python-hcl2; environment differences are read from each environment's root variable defaults.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import clean_hcl2

from tfgen.pipeline import render_project
from tfgen.spec import list_environments

ROOT = Path(__file__).resolve().parent.parent
ENVS = ("dev", "staging", "prod")

# The seed's compute table: instance type, architecture, market, AMI family, data volume size.
SEED_SERVICES = {
    "frontend": {"instance_type": "t4g.micro", "architecture": "arm64", "market": "spot", "ami": "al2023",
                 "data": None},
    "backend": {"instance_type": "t4g.micro", "architecture": "arm64", "market": "spot", "ami": "al2023",
                "data": None},
    "llm": {"instance_type": "g5.xlarge", "architecture": "x86_64", "market": "on-demand", "ami": "dlami",
            "data": 50},
    "chromadb": {"instance_type": "t3.medium", "architecture": "x86_64", "market": "on-demand", "ami": "al2023",
                 "data": 100},
}
DLAMI_NAME = "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *"
DLAMI_ARM_NAME = "Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *"


@cache
def files() -> dict[str, str]:
    result = render_project(ROOT, list_environments(ROOT))
    return {dest.removeprefix("terraform/"): data.decode() for dest, data in result.files.items()
            if not dest.endswith(".zip")}


@cache
def parse(relative: str) -> dict[str, Any]:
    return clean_hcl2(hcl2.loads(files()[relative]))


def blocks(module: str, kind: str, rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parse(f"modules/{module}/main.tf").get(kind, []):
        for name, named in block.items():
            if name == rtype:
                found.update(named)
    return found


def resources(module: str, rtype: str) -> dict[str, dict[str, Any]]:
    return blocks(module, "resource", rtype)


def one(body: dict[str, Any], name: str) -> dict[str, Any]:
    (only,) = body[name]
    return only


@cache
def defaults(env: str) -> dict[str, Any]:
    return {name: body.get("default") for block in parse(f"environments/{env}/variables.tf")["variable"]
            for name, body in block.items()}


def module_call(env: str, name: str) -> dict[str, Any]:
    for block in parse(f"environments/{env}/main.tf")["module"]:
        if name in block:
            return block[name]
    raise AssertionError(f"module {name} not composed in {env}")


def raw(module: str) -> str:
    return files()[f"modules/{module}/main.tf"]


@cache
def services(env: str) -> dict[str, dict[str, Any]]:
    """The root's `services` local of `env`, every `var.<name>` replaced by that variable's default."""
    (local,) = parse(f"environments/{env}/main.tf")["locals"]
    values = defaults(env)

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith("var."):
            return values[value.removeprefix("var.")]
        return value

    return resolve(local["services"])


# -----------------------------------------------------------------------------
# Compute: instances
# -----------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVS)
def test_one_instance_or_group_per_service_of_the_environment(env: str):
    # launched instances, and instances adopted from a live deployment (keep_user_data) in a resource of their own
    assert resources("compute", "aws_instance")["this"]["for_each"] == "local.launched_services"
    assert resources("compute", "aws_instance")["adopted"]["for_each"] == "local.adopted_services"
    assert resources("compute", "aws_autoscaling_group")["this"]["for_each"] == "local.group_services"
    assert resources("compute", "aws_launch_template")["this"]["for_each"] == "local.group_services"
    assert set(services(env)) == set(SEED_SERVICES)
    groups = {name for name, svc in services(env).items() if svc.get("auto_scaling")}
    assert groups == {"frontend", "backend"}, "stateless services run in groups, the ones with data volumes not"
    assert module_call(env, "compute")["services"] == "local.services"


@pytest.mark.parametrize("name", ["this", "adopted"])
def test_instance_hardening(name: str):
    body = resources("compute", "aws_instance")[name]
    metadata = one(body, "metadata_options")
    assert metadata["http_tokens"] == "required"
    assert metadata["http_endpoint"] == "enabled"
    assert metadata["http_put_response_hop_limit"] == 1
    root = one(body, "root_block_device")
    assert root["encrypted"] is True and root["volume_type"] == "gp3"
    assert root["volume_size"] == "each.value.root_volume_size"
    assert body["monitoring"] is True
    if name == "this":
        assert body["ebs_optimized"] is True and body["user_data_replace_on_change"] is True
    else:  # fixed at launch: an adopted instance keeps its own, and the user data it booted with
        assert "ebs_optimized" not in body and "user_data" not in body
        assert one(body, "lifecycle")["ignore_changes"] == ["ami", "user_data", "user_data_base64", "ebs_optimized"]
    assert "associate_public_ip_address" not in body
    assert body["subnet_id"] == "var.private_subnet_ids[each.value.availability_zone]"
    assert body["vpc_security_group_ids"] == ["var.security_group_ids[each.key]"]
    assert body["iam_instance_profile"] == "var.instance_profile_names[each.key]"
    if name == "this":
        # User data runs on the first boot only, and a one-time spot instance cannot be stopped to update it.
        # The script is sent plain or gzipped (test_user_data_shellcheck checks which), never both.
        assert "local.instance_user_data[each.key]" in body["user_data"]
        assert "base64gzip(local.instance_user_data[each.key])" in body["user_data_base64"]
        assert [str(x).strip("${}") for x in one(body, "lifecycle")["ignore_changes"]] == ["ami"]


def test_instances_are_replaced_by_their_trigger():
    """What the trigger's value is, per market and architecture, is checked on a plan (test_production_review)."""
    lifecycle = one(resources("compute", "aws_instance")["this"], "lifecycle")
    assert [str(x).strip("${}") for x in lifecycle["replace_triggered_by"]] == ["terraform_data.spot_type[each.key]"]


def test_spot_is_one_time_and_terminates_and_follows_the_market():
    body = resources("compute", "aws_instance")["this"]
    (dynamic,) = body["dynamic"]
    market = dynamic["instance_market_options"]
    assert market["for_each"].startswith('each.value.market == "spot"')
    content = one(market, "content")
    assert content["market_type"] == "spot"
    spot = one(content, "spot_options")
    assert spot["spot_instance_type"] == "one-time"
    assert spot["instance_interruption_behavior"] == "terminate"
    assert spot["max_price"] == "instance_market_options.value"


@pytest.mark.parametrize("env", ENVS)
def test_seed_instance_types_markets_and_amis(env: str):
    values = defaults(env)
    for service, seed in SEED_SERVICES.items():
        assert values[f"{service}_instance_type"] == seed["instance_type"]
        assert values[f"{service}_market"] == seed["market"]
        assert values[f"{service}_spot_max_price"] is None
        effective = services(env)[service]
        assert effective["market"] == seed["market"]
        assert (effective["ami"] == "al2023") is (seed["ami"] == "al2023")
        assert f"{service}_architecture" not in values, "the module derives the architecture from the type"


def test_amis_come_from_data_sources_matching_the_architecture():
    ssm = blocks("compute", "data", "aws_ssm_parameter")["al2023"]
    amis = blocks("compute", "data", "aws_ami")["deep_learning"]
    assert ssm["for_each"] == "local.al2023_services" and amis["for_each"] == "local.deep_learning_services"
    assert ssm["name"] == ("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-"
                           "${local.architecture[each.key]}")
    assert amis["most_recent"] is True and amis["owners"] == ["amazon"]
    filters = {f["name"]: f["values"] for f in amis["filter"]}
    assert filters["architecture"] == ["local.architecture[each.key]"]
    (name_filter,) = filters["name"]
    assert name_filter == "local.deep_learning_ami_names[local.architecture[each.key]]"
    text = raw("compute")
    assert f'"{DLAMI_NAME}"' in text and f'"{DLAMI_ARM_NAME}"' in text
    assert resources("compute", "aws_instance")["this"]["ami"] == "local.ami_ids[each.key]"


def test_architecture_follows_the_graviton_rule():
    """The module's arm64 pattern agrees with tfgen's rule on every family tfgen knows."""
    from tfgen.aws import instance_architecture

    (pattern,) = re.findall(r'can\(regex\("([^"]+)", service\.instance_type\)\)', raw("compute"))
    pattern = pattern.replace("\\\\", "\\")
    for instance_type in ("t4g.micro", "m7gd.large", "c7gn.xlarge", "g5g.xlarge", "g5.xlarge", "t3.medium",
                          "c7i-flex.large", "m7i.large", "inf2.xlarge"):
        expected = instance_architecture(instance_type) == "arm64"
        assert bool(re.match(pattern, instance_type)) is expected, instance_type


# -----------------------------------------------------------------------------
# Compute: persistent data volumes
# -----------------------------------------------------------------------------

def test_separate_encrypted_data_volumes_with_attachments():
    volume = resources("compute", "aws_ebs_volume")["data"]
    attachment = resources("compute", "aws_volume_attachment")["data"]
    assert volume["for_each"] == attachment["for_each"] == "local.volume_services"
    assert volume["encrypted"] is True and volume["type"] == "gp3"
    # A final snapshot unless the spec turns it off (only adoption does, on an imported volume): the default is on.
    assert volume["final_snapshot"] == "each.value.data_volume.final_snapshot"
    assert re.search(r"^\s*final_snapshot\s*=\s*optional\(bool, true\)$", files()["modules/compute/variables.tf"], re.M)
    assert volume["size"] == "each.value.data_volume.size"
    assert volume["availability_zone"] == "each.value.availability_zone"
    assert "lifecycle" not in volume, "prevent_destroy would block the destroy rehearsal"
    assert attachment["volume_id"] == "aws_ebs_volume.data[each.key].id"
    assert attachment["instance_id"] == "local.instances[each.key].id"
    # EC2 cannot stop a one-time spot instance: only on-demand ones are stopped before the detach.
    assert attachment["stop_instance_before_detaching"] == 'each.value.market != "spot"'
    assert attachment["device_name"] == "each.value.data_volume.device_name"
    assert "ebs_block_device" not in raw("compute")


@pytest.mark.parametrize("env", ENVS)
def test_seed_data_volume_sizes(env: str):
    values = defaults(env)
    for service, seed in SEED_SERVICES.items():
        assert values.get(f"{service}_data_volume_size") == seed["data"]
        volume = services(env)[service].get("data_volume")
        assert (volume or {}).get("size") == seed["data"]
        if volume:
            assert volume["device_name"] == "/dev/sdf"


def test_user_data_values_are_not_secrets():
    text = raw("compute")
    assert "secret_string" not in text and "password" not in text.lower()


# -----------------------------------------------------------------------------
# Load balancer
# -----------------------------------------------------------------------------

def test_alb_is_public_hardened_and_uses_a_short_name_prefix():
    alb = resources("loadbalancer", "aws_lb")["main"]
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] == "var.alb_deletion_protection"
    assert alb["subnets"] == "var.public_subnet_ids"
    assert alb["name_prefix"] == "var.lb_name_prefix"
    assert resources("loadbalancer", "aws_lb_target_group")["main"]["name_prefix"] == "var.lb_name_prefix"
    for env in ENVS:
        assert len(defaults(env)["lb_name_prefix"]) <= 6 and defaults(env)["lb_name_prefix"].endswith("-")


def test_https_listener_policy_and_certificate():
    https = resources("loadbalancer", "aws_lb_listener")["https"]
    assert https["port"] == 443 and https["protocol"] == "HTTPS"
    assert https["ssl_policy"] == "var.ssl_policy" and https["certificate_arn"] == "var.certificate_arn"
    assert one(https, "default_action")["type"] == "forward"
    for env in ENVS:
        assert defaults(env)["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert module_call(env, "loadbalancer")["certificate_arn"] == "local.certificate_arn"


def test_http_listener_only_redirects_to_https_with_301():
    http = resources("loadbalancer", "aws_lb_listener")["http"]
    assert http["port"] == 80 and http["protocol"] == "HTTP"
    action = one(http, "default_action")
    assert action["type"] == "redirect"
    redirect = one(action, "redirect")
    assert redirect == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}


def test_target_group_health_check_and_stickiness():
    group = resources("loadbalancer", "aws_lb_target_group")["main"]
    assert group["port"] == "var.target_port" and group["protocol"] == "HTTP"
    check = one(group, "health_check")
    assert check["path"] == "var.health_check_path" and check["interval"] == "var.health_check_interval"
    assert check["matcher"] == "200"
    assert check["timeout"] == "min(10, var.health_check_interval - 1)"
    stickiness = one(group, "stickiness")
    assert stickiness["type"] == "lb_cookie"
    assert stickiness["cookie_duration"] == "max(1, var.stickiness_hours * 3600)"
    assert one(group, "lifecycle")["create_before_destroy"] is True
    for env in ENVS:
        values = defaults(env)
        assert values["health_check_path"] == "/health" and values["health_check_interval"] == 30
        assert values["stickiness_hours"] * 3600 == 86400
    attachment = resources("loadbalancer", "aws_lb_target_group_attachment")["this"]
    assert attachment["for_each"] == "var.target_instance_ids" and attachment["port"] == "var.target_port"
    for env in ENVS:
        call = module_call(env, "loadbalancer")
        assert call["target_port"] == "local.services[local.lb_target_service].port"
        assert services(env)["frontend"]["port"] == 8080
        (local,) = parse(f"environments/{env}/main.tf")["locals"]
        assert local["lb_target_service"] == "frontend"


def test_alarms_use_arn_suffix_dimensions():
    alarms = resources("loadbalancer", "aws_cloudwatch_metric_alarm")
    metrics = {body["metric_name"] for body in alarms.values()}
    assert {"UnHealthyHostCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count",
            "TargetResponseTime"} <= metrics
    for body in alarms.values():
        assert body["dimensions"]["LoadBalancer"] == "aws_lb.main.arn_suffix"


@pytest.mark.parametrize("module", ["loadbalancer", "route53"])
def test_every_alarm_notifies_the_alarm_actions(module: str):
    alarms = resources(module, "aws_cloudwatch_metric_alarm")
    assert alarms
    for name, body in alarms.items():
        assert body.get("alarm_actions") == "var.alarm_actions", name
        assert body.get("ok_actions") == "var.alarm_actions", name
    # The roots wire the environment's alert topic (alerts.tf); the health-check alarm gets the us-east-1 one.
    expected = "local.alarm_actions_us_east_1" if module == "route53" else "local.alarm_actions"
    for env in ENVS:
        assert module_call(env, module)["alarm_actions"] == expected
        assert module_call(env, "database")["alarm_actions"] == "local.alarm_actions"
        assert "alarm_actions" not in defaults(env)
    variables = parse(f"modules/{module}/variables.tf")["variable"]
    (declared,) = [body for block in variables for name, body in block.items() if name == "alarm_actions"]
    assert declared["type"] == "list(string)"


def test_health_check_alarm_actions_must_be_in_us_east_1():
    lifecycle = one(resources("route53", "aws_cloudwatch_metric_alarm")["health_check"], "lifecycle")
    (condition,) = [p["condition"] for p in lifecycle["precondition"]]
    assert 'split(":", arn)[3], "") == "us-east-1"' in condition


@pytest.mark.parametrize("env", ENVS)
def test_deletion_protection_access_logs_and_waf_per_environment(env: str):
    values = defaults(env)
    production = env == "prod"
    assert values["alb_deletion_protection"] is production
    assert values["enable_access_logs"] is production
    assert values["enable_waf"] is production


def test_access_log_bucket_is_private_sse_s3_and_expires():
    assert one(one(resources("loadbalancer", "aws_s3_bucket_server_side_encryption_configuration")
                   ["access_logs"], "rule"), "apply_server_side_encryption_by_default")["sse_algorithm"] == "AES256"
    block = resources("loadbalancer", "aws_s3_bucket_public_access_block")["access_logs"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))
    assert "logdelivery.elasticloadbalancing.amazonaws.com" in raw("loadbalancer")
    assert resources("loadbalancer", "aws_s3_bucket")["access_logs"]["count"] == "var.enable_access_logs ? 1 : 0"


def test_waf_managed_rule_groups_association_and_logging():
    acl = resources("loadbalancer", "aws_wafv2_web_acl")["main"]
    assert acl["scope"] == "REGIONAL"
    names = {r["name"] for r in acl["rule"]}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAnonymousIpList"} <= names
    assert "main" in resources("loadbalancer", "aws_wafv2_web_acl_association")
    assert "main" in resources("loadbalancer", "aws_wafv2_web_acl_logging_configuration")
    group = resources("loadbalancer", "aws_cloudwatch_log_group")["waf"]
    assert group["name"].startswith("aws-waf-logs-")


def _rule_overrides(rule_group: str) -> dict[str, Any]:
    acl = resources("loadbalancer", "aws_wafv2_web_acl")["main"]
    (rule,) = [r for r in acl["rule"] if r["name"] == rule_group]
    statement = one(one(rule, "statement"), "managed_rule_group_statement")
    return {o["name"]: one(o, "action_to_use") for o in statement.get("rule_action_override", [])}


def test_waf_counts_hosting_provider_ips_and_large_bodies():
    # Route 53 health checkers (and callers hosted on a cloud) are on the hosting-provider list.
    assert _rule_overrides("AWSManagedRulesAnonymousIpList") == {"HostingProviderIPList": {"count": [{}]}}
    # SizeRestrictions_BODY blocks bodies over 8 KB, i.e. every image upload.
    assert _rule_overrides("AWSManagedRulesCommonRuleSet") == {"SizeRestrictions_BODY": {"count": [{}]}}
    # Log4j protection (CKV2_AWS_76) stays blocking.
    assert _rule_overrides("AWSManagedRulesKnownBadInputsRuleSet") == {}


# -----------------------------------------------------------------------------
# Route 53
# -----------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVS)
def test_zone_only_in_staging_and_prod_health_check_only_in_prod(env: str):
    values = defaults(env)
    assert values["create_hosted_zone"] is (env != "dev")
    assert values["create_route53_health_check"] is (env == "prod")
    call = module_call(env, "route53")
    assert call["count"] == "var.create_hosted_zone ? 1 : 0"
    assert call["providers"] == {"aws": "aws", "aws.us_east_1": "aws.us_east_1"}


def test_validation_records_are_keyed_by_names_known_at_plan():
    records = resources("route53", "aws_route53_record")
    validation = records["certificate_validation"]
    assert validation["allow_overwrite"] is True
    assert validation["for_each"] == "toset(local.domain_names)"
    assert "domain_validation_options" not in validation["for_each"]


def test_alias_records_point_at_the_alb():
    alias_record = resources("route53", "aws_route53_record")["alias"]
    assert alias_record["type"] == "A" and "ttl" not in alias_record
    alias = one(alias_record, "alias")
    assert alias == {"name": "var.alb_dns_name", "zone_id": "var.alb_zone_id", "evaluate_target_health": True}
    assert module_call("prod", "route53")["alb_zone_id"] == "module.loadbalancer.alb_zone_id"
    for env in ENVS:
        assert defaults(env)["subdomains"] == ["www", "api"]


def test_health_check_alarm_lives_in_us_east_1():
    check = resources("route53", "aws_route53_health_check")["main"]
    assert check["type"] == "HTTPS" and check["port"] == 443 and check["resource_path"] == "var.health_check_path"
    alarm = resources("route53", "aws_cloudwatch_metric_alarm")["health_check"]
    assert alarm["provider"] == "aws.us_east_1"
    assert alarm["namespace"] == "AWS/Route53" and alarm["metric_name"] == "HealthCheckStatus"
    versions = files()["modules/route53/versions.tf"]
    assert re.search(r"configuration_aliases\s*=\s*\[aws\.us_east_1\]", versions)


def test_the_environment_readme_says_who_serves_traffic_and_where_backups_go():
    prod = files()["environments/prod/README.md"]
    assert "- `frontend` (behind the ALB): an Auto Scaling group of 2 instance(s)" in prod
    assert "1 on-demand instance(s) first" in prod
    assert "- `llm`: one instance (`terraform output llm_instance_id`) with its data" in prod
    assert "vault `imageunderstander-prod-backup` in `us-east-1`" in prod and "`us-west-2`" in prod
    dev = files()["environments/dev/README.md"]
    assert "The database has its automated backups (7 days) only." in dev
