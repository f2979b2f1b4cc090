"""The spec-key -> resource mapping (tfgen.impact.resources) on the bundled specs, one change at a time.

The real-plan comparison of the same table is tests/rehearsal/upgrade.py (make e2e-upgrade); these are the
offline facts it must keep: which change creates, updates, replaces or destroys which address.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tfgen.impact.diff import plan_changes
from tfgen.impact.resources import service_availability_zone
from tfgen.pipeline import validate_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {v.spec.env: v.doc for v in validate_project(ROOT)}


def changes(env: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    return {c.address: (c.action, c.key, c.stateful) for c in plan_changes(env, old, new)}


def test_unchanged_spec_changes_nothing(docs) -> None:
    assert plan_changes("prod", docs["prod"], copy.deepcopy(docs["prod"])) == []


def test_adding_a_service_creates_its_resources_and_touches_nothing_stateful(docs) -> None:
    new = copy.deepcopy(docs["dev"])
    new["services"]["worker"] = copy.deepcopy(new["services"]["backend"])
    found = changes("dev", docs["dev"], new)
    assert found['module.compute.aws_autoscaling_group.this["worker"]'] == ("create", "services.worker", False)
    assert found['module.compute.aws_launch_template.this["worker"]'] == ("create", "services.worker", False)
    assert found['module.security.aws_security_group.service["worker"]'][0] == "create"
    assert found['module.storage.aws_cloudwatch_log_group.service["worker"]'][0] == "create"
    assert all(action == "create" and not stateful for action, _, stateful in found.values())


def test_removing_a_service_destroys_its_data_volume(docs) -> None:
    new = copy.deepcopy(docs["dev"])
    del new["services"]["chromadb"]
    new["services"]["backend"]["ingress_from"] = ["frontend"]
    new["services"]["llm"]["ingress_from"] = ["backend"]
    found = changes("dev", docs["dev"], new)
    assert found['module.compute.aws_ebs_volume.data["chromadb"]'] == ("destroy", "services.chromadb", True)
    assert found['module.compute.aws_instance.this["chromadb"]'][0] == "destroy"


@pytest.mark.parametrize("service, market, action", [("frontend", "spot", "replace"),
                                                     ("chromadb", "on-demand", "update")])
def test_instance_type_change_replaces_spot_and_updates_on_demand(docs, service: str, market: str,
                                                                  action: str) -> None:
    old = copy.deepcopy(docs["dev"])
    old["services"][service]["auto_scaling"]["enabled"] = False  # a single instance
    new = copy.deepcopy(old)
    assert new["services"][service]["market"] == market
    new["services"][service]["instance_type"] = new["services"][service]["instance_type"].replace(
        "micro", "small").replace("medium", "large")
    found = changes("dev", old, new)
    assert found[f'module.compute.aws_instance.this["{service}"]'] == (
        action, f"services.{service}.instance_type", False)
    assert not any(stateful for _, _, stateful in found.values())


def test_group_instance_type_change_is_a_new_template_version_and_moving_to_a_group_loses_no_data(docs) -> None:
    new = copy.deepcopy(docs["dev"])
    new["services"]["frontend"]["instance_type"] = "t4g.small"
    found = changes("dev", docs["dev"], new)
    assert found['module.compute.aws_launch_template.this["frontend"]'] == (
        "update", "services.frontend.instance_type", False)
    assert 'module.compute.aws_autoscaling_group.this["frontend"]' not in found, "the group follows its template"
    old = copy.deepcopy(docs["dev"])
    old["services"]["frontend"]["auto_scaling"]["enabled"] = False
    found = changes("dev", old, docs["dev"])
    assert found['module.compute.aws_instance.this["frontend"]'][0] == "destroy"
    assert found['module.compute.aws_autoscaling_group.this["frontend"]'][0] == "create"
    assert not any(stateful for _, _, stateful in found.values()), "an instance becoming a group holds no data"


def test_adding_an_az_creates_subnets_and_moves_only_hashed_services(docs) -> None:
    new = copy.deepcopy(docs["dev"])
    net = new["network"]
    net["availability_zones"] = [*net["availability_zones"], "us-east-1c"]
    net["public_subnet_cidrs"] = [*net["public_subnet_cidrs"], "10.0.3.0/24"]
    net["private_subnet_cidrs"] = [*net["private_subnet_cidrs"], "10.0.13.0/24"]
    found = changes("dev", docs["dev"], new)
    assert found['module.networking.aws_subnet.public["us-east-1c"]'] == (
        "create", "network.availability_zones", True)
    assert 'module.networking.aws_subnet.public["us-east-1a"]' not in found, "AZ-keyed subnets stay put"
    for name in ("llm", "chromadb"):
        moved = service_availability_zone(name, docs["dev"]) != service_availability_zone(name, new)
        volume = found.get(f'module.compute.aws_ebs_volume.data["{name}"]')
        assert (volume == ("replace", "network.availability_zones", True)) if moved else volume is None


def test_growing_the_database_updates_it_in_place(docs) -> None:
    new = copy.deepcopy(docs["prod"])
    new["database"]["allocated_storage_gb"] = 40
    assert changes("prod", docs["prod"], new) == {
        "module.database.aws_db_instance.main": ("update", "database.allocated_storage_gb", True),
        "module.database.aws_cloudwatch_metric_alarm.rds_free_storage": (
            "update", "database.allocated_storage_gb", False)}


def test_domain_change_replaces_the_certificate_and_the_hosted_zone(docs) -> None:
    new = copy.deepcopy(docs["staging"])
    new["dns"]["domain"] = "stage.imageunderstander.example.com"
    found = changes("staging", docs["staging"], new)
    assert found["aws_acm_certificate.main"] == ("replace", "dns.domain", False)
    assert found["module.route53[0].aws_route53_zone.main"] == ("replace", "dns.domain", True)


@pytest.mark.parametrize("toggle, address, stateful", [
    ("waf", "module.loadbalancer.aws_wafv2_web_acl.main[0]", False),
    ("access_logs", "module.loadbalancer.aws_s3_bucket.access_logs[0]", True),
])
def test_loadbalancer_toggles_create_and_destroy(docs, toggle: str, address: str, stateful: bool) -> None:
    on = copy.deepcopy(docs["dev"])
    on["loadbalancer"][toggle] = True
    assert changes("dev", docs["dev"], on)[address] == ("create", f"loadbalancer.{toggle}", stateful)
    assert changes("dev", on, docs["dev"])[address] == ("destroy", f"loadbalancer.{toggle}", stateful)


def test_vpc_cidr_change_replaces_vpc_subnets_and_dependent_groups(docs) -> None:
    new = copy.deepcopy(docs["dev"])
    new["network"]["vpc_cidr"] = "10.0.0.0/17"
    found = changes("dev", docs["dev"], new)
    assert found["module.networking.aws_vpc.main"] == ("replace", "network.vpc_cidr", True)
    assert found['module.networking.aws_subnet.private["us-east-1a"]'] == ("replace", "network.vpc_cidr", True)
    assert found["module.security.aws_security_group.rds"] == ("replace", "network.vpc_cidr", False)
    assert found["module.database.aws_db_instance.main"] == ("update", "network.vpc_cidr", True)


def test_region_change_creates_regional_resources_and_abandons_the_old_ones(docs) -> None:
    new = copy.deepcopy(docs["staging"])
    new["region"] = "eu-west-1"
    new["network"]["availability_zones"] = ["eu-west-1a", "eu-west-1b"]
    found = changes("staging", docs["staging"], new)
    assert found["module.networking.aws_vpc.main"] == ("create", "region", True)
    assert found["module.database.aws_db_instance.main"] == ("create", "region", True)
    assert found['module.networking.aws_subnet.private["us-east-1a"]'] == ("abandon", "region", True)
    assert found['module.networking.aws_subnet.private["eu-west-1a"]'] == ("create", "region", True)
    assert "module.storage.aws_s3_bucket.uploads" not in found, "one S3 namespace: refresh still finds the bucket"
    assert "module.route53[0].aws_route53_zone.main" not in found, "Route 53 is global"


def _declared(tree: Path) -> set[str]:
    """`module.<m>.<type>.<name>` (and root `<type>.<name>`) of every resource block in the generated tree."""
    import re

    found = set()
    for path in (tree / "modules").glob("*/main.tf"):
        found |= {f"module.{path.parent.name}.{t}.{n}"
                  for t, n in re.findall(r'^resource "(\w+)" "(\w+)"', path.read_text(), re.M)}
    for path in (tree / "environments").glob("*/main.tf"):
        found |= {f"{t}.{n}" for t, n in re.findall(r'^resource "(\w+)" "(\w+)"', path.read_text(), re.M)}
    return found


def test_every_mapped_address_is_a_resource_of_the_generated_tree(docs) -> None:
    import re

    from tfgen.impact.resources import resources

    declared = _declared(ROOT / "generated" / "terraform")
    for env, doc in docs.items():
        every_toggle = copy.deepcopy(doc)
        every_toggle["loadbalancer"].update(waf=True, access_logs=True)
        every_toggle["network"].update(flow_logs=True)
        every_toggle["dns"].update(create_hosted_zone=True, health_check=True)
        for variant in (doc, every_toggle):
            for address in resources(env, variant):
                block = re.sub(r"\[[^\]]*\]", "", address)
                assert block in declared, f"{env}: {address} is not declared in generated/terraform"


def test_an_on_demand_type_change_across_architectures_replaces_the_instance(docs) -> None:
    """t3 -> t4g needs an arm64 AMI, which a stop/resize/start cannot change."""
    new = copy.deepcopy(docs["dev"])
    new["services"]["chromadb"]["instance_type"] = "t4g.medium"
    found = changes("dev", docs["dev"], new)
    assert found['module.compute.aws_instance.this["chromadb"]'] == (
        "replace", "services.chromadb.instance_type", False)
    assert found['module.compute.aws_volume_attachment.data["chromadb"]'][0] == "replace"
    assert 'module.compute.aws_ebs_volume.data["chromadb"]' not in found, "the data volume stays"
