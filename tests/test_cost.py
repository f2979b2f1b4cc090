"""`tfgen cost`: line items computed from the spec, the dated price table and the spec's usage assumptions;
checked against a hand computation from the table, and the module constants against the generated tree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tfgen.cost.estimate import HEALTH_CHECK_FEATURES, SECRETS, WAF_RULE_GROUPS, estimate
from tfgen.cost.pricing import PRICE_FILE
from tfgen.show import effective_spec

ROOT = Path(__file__).resolve().parent.parent
TABLE = yaml.safe_load(PRICE_FILE.read_text())
MODULES = ROOT / "generated/terraform/modules"


def dev_by_hand() -> float:
    """dev at its spec settings, multiplied out by hand from the us-east-1 column of the table."""
    p, g, h = TABLE["regions"]["us-east-1"], TABLE["global"], 730
    ec2 = p["ec2_hour"]
    instances = (2 * ec2["t4g.micro"] * 0.30 + ec2["t3.medium"] + ec2["g5.xlarge"]) * h  # 2 spot at 70% off
    ebs = (20 + 20 + 100 + 20 + 100 + 50) * p["ebs_gp3_gb_month"]  # roots 20/20/20/100, data 100 + 50
    rds = p["rds_mysql_hour"]["db.t4g.micro"] * h + 20 * p["rds_storage_gb_month"]  # single-AZ in dev
    nat = p["nat_gateway_hour"] * h + 50 * p["nat_gateway_gb"]
    ipv4 = 3 * p["public_ipv4_hour"] * h  # 1 NAT EIP + 2 ALB nodes
    endpoints = 3 * 2 * p["interface_endpoint_hour"] * h + 5 * p["interface_endpoint_gb"]
    alb = p["alb_hour"] * h + 1 * p["alb_lcu_hour"] * h
    logs = 5 * p["cloudwatch_logs_ingest_gb"] + 5 * 30 / 30.4 * p["cloudwatch_logs_storage_gb_month"]
    s3 = 50 * p["s3_standard_gb_month"] + 50 * p["s3_put_per_1k"] + 500 * p["s3_get_per_1k"]
    secrets = 2 * g["secretsmanager_secret_month"] + 10 * g["secretsmanager_per_10k_calls"]
    return instances + ebs + rds + nat + ipv4 + endpoints + alb + logs + s3 + secrets


def test_tfgen_cost_dev_matches_a_hand_computation(run) -> None:
    result = run("-C", str(ROOT), "cost", "dev", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    total = report["environments"][0]["total_monthly_usd"]
    assert total == pytest.approx(dev_by_hand(), abs=0.05)  # items are rounded to cents one by one
    assert report["prices"]["as_of"] == TABLE["prices_as_of"] and "AWS" in report["prices"]["source"]


def test_text_report_prints_items_total_levers_date_and_source(run) -> None:
    result = run("-C", str(ROOT), "cost", "dev")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("dev (us-east-1): $")
    assert "EC2 llm g5.xlarge (on-demand)" in out and "730 h x $1.006/h" in out and "$734.38" in out
    assert "stop llm out of hours" in out and "spot for llm" in out and "log retention 7 days instead of 30" in out
    assert "single-AZ RDS" not in out  # dev is single-AZ already
    assert f"as of {TABLE['prices_as_of']}" in out and "transcribed, not fetched" in out
    assert "not included: data transfer out" in out


def test_levers_have_the_computed_effect() -> None:
    staging = estimate("staging", effective_spec(ROOT, "staging").view)
    levers = {lv.name: lv for lv in staging.levers}
    p = TABLE["regions"]["us-east-1"]
    single = 730 * p["rds_mysql_hour"]["db.t4g.micro"] + 20 * p["rds_storage_gb_month"]
    assert levers["single-AZ RDS"].saving == pytest.approx(single, abs=0.01)  # the seed says ~$14
    assert levers["spot for llm"].saving == pytest.approx(730 * p["ec2_hour"]["g5.xlarge"] * 0.7, abs=0.01)
    assert levers["stop llm out of hours"].saving == pytest.approx((730 - 220) * p["ec2_hour"]["g5.xlarge"], abs=0.01)
    prod = {lv.name: lv for lv in estimate("prod", effective_spec(ROOT, "prod").view).levers}
    assert "guardrail" in prod["single-AZ RDS"].detail


def test_usage_assumptions_are_spec_values(project: Path, run) -> None:
    """cost.* in an overlay changes its line items; the default is documented in the schema."""
    (project / "specs/dev.yaml").write_text((project / "specs/dev.yaml").read_text()
                                            + "\ncost:\n  nat_data_gb_month: 1000\n  spot_discount_percent: 50\n")
    report = json.loads(run("-C", str(project), "cost", "dev", "--json").stdout)["environments"][0]
    items = {i["item"]: i for i in report["items"]}
    assert items["NAT gateway data processed"]["monthly_usd"] == pytest.approx(1000 * 0.045)
    assert items["EC2 frontend t4g.micro (spot, 50% below $0.0084/h on-demand)"]["monthly_usd"] == pytest.approx(
        730 * 0.0084 * 0.5, abs=0.01)
    schema = json.loads((ROOT / "specs/tfgen.schema.json").read_text())
    assert "nat_data_gb_month" in json.dumps(schema)


def test_other_regions_use_their_own_prices(project: Path, run) -> None:
    base = project / "specs/base.yaml"
    text = base.read_text().replace("region: us-east-1\n\nstate", "region: eu-west-1\n\nstate", 1)
    base.write_text(text.replace("us-east-1a, us-east-1b", "eu-west-1a, eu-west-1b"))
    result = run("-C", str(project), "cost", "dev", "--json")
    assert result.exit_code == 0, result.stderr
    items = {i["item"]: i for i in json.loads(result.stdout)["environments"][0]["items"]}
    eu = TABLE["regions"]["eu-west-1"]
    assert items["EC2 llm g5.xlarge (on-demand)"]["monthly_usd"] == pytest.approx(730 * eu["ec2_hour"]["g5.xlarge"],
                                                                                   abs=0.01)


def test_unpriced_region_or_type_is_a_clear_error(project: Path, run) -> None:
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text().replace("extends: base.yaml\n", "extends: base.yaml\n\nservices:\n"
                                             "  chromadb:\n    instance_type: r7i.large\n", 1))
    result = run("-C", str(project), "cost", "dev", "--json")
    assert result.exit_code == 2
    message = json.loads(result.stdout)["problems"][0]["message"]
    assert "no price for EC2 instance type 'r7i.large' in us-east-1" in message and "t4g.micro" in message


def test_price_table_is_dated_and_covers_three_regions() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}", TABLE["prices_as_of"]) and TABLE["source"]
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(TABLE["regions"])
    keys = set(TABLE["regions"]["us-east-1"])
    for region, prices in TABLE["regions"].items():
        assert set(prices) == keys, region
        assert {"t4g.micro", "t3.medium", "g5.xlarge"} <= set(prices["ec2_hour"]), region
        assert "db.t4g.micro" in prices["rds_mysql_hour"], region


def test_module_counts_match_the_generated_tree() -> None:
    lb = (MODULES / "loadbalancer/main.tf").read_text()
    assert lb.count("managed_rule_group_statement {") == WAF_RULE_GROUPS
    secrets = sum(f.read_text().count('resource "aws_secretsmanager_secret" ') for f in MODULES.glob("*/main.tf"))
    managed = (MODULES / "database/main.tf").read_text().count("manage_master_user_password         = true")
    assert secrets + managed == SECRETS
    check = (MODULES / "route53/main.tf").read_text()
    assert ('type              = "HTTPS"' in check) + ("measure_latency   = true" in check) == HEALTH_CHECK_FEATURES


def test_diff_shows_the_cost_delta(run) -> None:
    result = run("-C", str(ROOT), "diff", "dev", "prod")
    dev = estimate("dev", effective_spec(ROOT, "dev").view).total
    prod = estimate("prod", effective_spec(ROOT, "prod").view).total
    assert f"estimated cost: dev ${dev:,.2f}/month, prod ${prod:,.2f}/month (prod +${prod - dev:,.2f}/month" \
        in result.stdout
    report = json.loads(run("-C", str(ROOT), "diff", "dev", "prod", "--json").stdout)
    assert report["cost"]["delta_monthly_usd"] == pytest.approx(prod - dev, abs=0.01)


def test_readme_reconciliation_with_the_seed_is_current() -> None:
    """docs/cost.md's line-by-line comparison with the seed's ~$521: dev with Multi-AZ RDS, then the same figure
    with the g4dn.xlarge price the seed's levers imply and without the lines the seed leaves out."""
    from dataclasses import replace

    spec = effective_spec(ROOT, "dev").view
    est = estimate("dev", replace(spec, database=replace(spec.database, multi_az=True)))
    items = {i.item: i.monthly for i in est.items}
    usage = ("NAT gateway data processed", "interface endpoint data", "ALB capacity units (assumed average)",
             "CloudWatch Logs ingestion (application logs)", "CloudWatch Logs storage (30 days kept)",
             "S3 PUT/LIST requests", "S3 GET requests", "Secrets Manager API calls")
    left_out = items["interface endpoints (ssm, ssmmessages, ec2messages) in 2 AZs"] + items[
        "public IPv4 addresses (1 NAT, 2 ALB)"] + sum(items[u] for u in usage)
    g4dn = round(730 * TABLE["regions"]["us-east-1"]["ec2_hour"]["g4dn.xlarge"], 2)
    seed_like = est.total - items["EC2 llm g5.xlarge (on-demand)"] + g4dn - left_out
    readme = (ROOT / "docs" / "cost.md").read_text()
    for figure in (est.total, seed_like, sum(items[u] for u in usage), g4dn):
        assert f"${figure:,.2f}" in readme, figure
    assert f"${estimate('dev', effective_spec(ROOT, 'dev').view).total:,.2f}" in readme
