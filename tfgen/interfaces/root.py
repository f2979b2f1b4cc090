"""The environment root's own interface: the variables it declares beyond the modules' inputs and the locals
that compose them into the modules' typed inputs.

Everything that differs between environments lives here (services, ports, packages, commands, the ingress
graph, engine version, ...). Per-service settings that the seed tunes in `terraform.tfvars`
(`backend_instance_type = "t4g.small"`) stay flat root variables; the `services` local folds them into the
map the modules iterate over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleVar, Validation, var
from tfgen.interfaces.route53 import domain_name_var, subdomains_var
from tfgen.names import GROUP_DESCRIPTIONS, ingress_rules, security_group_description, service_availability_zone
from tfgen.render.filters import HclExpr

if TYPE_CHECKING:
    from tfgen.model.views import Backup, Network, Service, ServiceAutoScaling, Spec

ALB = "alb"


def _service_local(name: str, svc: Service, zones: Sequence[str], described: dict[str, str]) -> dict[str, Any]:
    """One entry of the root's `services` local: literals from the spec, tunables as `var.<name>_<setting>`."""
    entry: dict[str, Any] = {
        "description": svc.description,
        "port": svc.port,
        "instance_type": HclExpr(f"var.{name}_instance_type"),
        "market": HclExpr(f"var.{name}_market"),
        "spot_max_price": HclExpr(f"var.{name}_spot_max_price"),
        "availability_zone": service_availability_zone(svc, zones),
        "ami": svc.ami,
        "root_volume_size": HclExpr(f"var.{name}_root_volume_size"),
        "permissions": sorted(svc.permissions),
        "packages": list(svc.packages),
        "pip_packages": list(svc.pip_packages),
        "exec_start": svc.exec_start,
        "start_on_boot": svc.start_on_boot,
    }
    if svc.keep_user_data:
        entry["keep_user_data"] = True
    if name in described:
        entry["group_description"] = described[name]
    if svc.uses_auto_scaling:
        group = svc.auto_scaling
        entry["auto_scaling"] = {
            "min_size": HclExpr(f"var.{name}_min_size"),
            "max_size": HclExpr(f"var.{name}_max_size"),
            "desired_capacity": HclExpr(f"var.{name}_desired_capacity"),
            "on_demand_base_capacity": HclExpr(f"var.{name}_on_demand_base_capacity"),
            "extra_instance_types": list(group.extra_instance_types),
        }
    volume = svc.data_volume
    if volume is not None:
        entry["data_volume"] = {"size": HclExpr(f"var.{name}_data_volume_size"),
                                "mount_path": volume.mount_path, "device_name": volume.device_name,
                                "final_snapshot": volume.final_snapshot}
    return entry


def service_locals(spec: Spec) -> dict[str, dict[str, Any]]:
    zones = spec.network.availability_zones
    described = spec.network.security_group_descriptions
    return {name: _service_local(name, svc, zones, described) for name, svc in sorted(spec.services.items())}


def _service_variables(name: str, svc: Service) -> list[ModuleVar]:
    found = [
        var(f"{name}_instance_type", "string", f"EC2 instance type of the {name} service.", svc.instance_type,
            checks.instance_type(f"{name}_instance_type")),
        var(f"{name}_market", "string", f"Purchase option of the {name} instance: on-demand or spot.",
            svc.market, checks.market(f"{name}_market")),
        var(f"{name}_spot_max_price", "string", f"Spot max price (USD/hour) of {name}; null caps it at the "
            "on-demand price.", svc.spot_max_price, checks.spot_price(f"{name}_spot_max_price"), nullable=True),
        var(f"{name}_root_volume_size", "number", f"Size of the {name} root volume in GiB (encrypted gp3).",
            svc.root_volume_gb, checks.between(f"{name}_root_volume_size", 8, 16384, " GiB")),
    ]
    if svc.uses_auto_scaling:
        found += _group_variables(name, svc.auto_scaling)
    if svc.data_volume is not None:
        found.append(var(f"{name}_data_volume_size", "number", f"Size of the persistent {name} data volume in GiB.",
                         svc.data_volume.size_gb,
                         checks.between(f"{name}_data_volume_size", 1, 16384, " GiB")))
    return found


def _group_variables(name: str, group: ServiceAutoScaling) -> list[ModuleVar]:
    """The sizes of a service's Auto Scaling group: tunables like the instance type."""
    return [
        var(f"{name}_min_size", "number", f"Fewest instances of the {name} Auto Scaling group.", group.min_size,
            checks.between(f"{name}_min_size", 0, 100)),
        var(f"{name}_max_size", "number", f"Most instances of the {name} Auto Scaling group.", group.max_size,
            checks.between(f"{name}_max_size", 1, 100)),
        var(f"{name}_desired_capacity", "number", f"Instances the {name} Auto Scaling group runs.",
            group.desired_capacity, checks.between(f"{name}_desired_capacity", 0, 100)),
        var(f"{name}_on_demand_base_capacity", "number", f"On-demand instances of the {name} group before any "
            "spot instance (market spot).", group.on_demand_base_capacity,
            checks.between(f"{name}_on_demand_base_capacity", 0, 100)),
    ]


def _network_variables(net: Network) -> list[ModuleVar]:
    same_length = "must have one entry per availability zone, in the order of availability_zones."
    return [
        var("availability_zones", "list(string)", "Availability zones, one public and one private subnet each.",
            list(net.availability_zones),
            Validation("length(var.availability_zones) >= 2", "availability_zones needs at least two zones."),
            Validation("length(distinct(var.availability_zones)) == length(var.availability_zones)",
                       "availability_zones lists a zone twice."),
            checks.each_matches("availability_zones", checks.AZ_RE, "Every zone must be a name such as us-east-1a.")),
        var("public_subnet_cidrs", "list(string)", "CIDRs of the public subnets, in the order of availability_zones.",
            list(net.public_subnet_cidrs), checks.cidrs("public_subnet_cidrs"),
            Validation("length(var.public_subnet_cidrs) == length(var.availability_zones)",
                       f"public_subnet_cidrs {same_length}")),
        var("private_subnet_cidrs", "list(string)", "CIDRs of the private subnets, in the order of "
            "availability_zones.", list(net.private_subnet_cidrs), checks.cidrs("private_subnet_cidrs"),
            Validation("length(var.private_subnet_cidrs) == length(var.availability_zones)",
                       f"private_subnet_cidrs {same_length}")),
    ]


def _backup_variables(backup: Backup) -> list[ModuleVar]:
    return [
        var("enable_backup", "bool", "Back up the tagged resources with AWS Backup (module backup).",
            backup.enabled),
        var("backup_database", "bool", "Tag the database for AWS Backup too (beyond its automated backups).",
            backup.database),
        var("backup_copy_region", "string", "Region of the vault that receives a copy of every recovery point "
            "(null: no copy; the aws.backup_copy provider then uses aws_region).", backup.copy_region,
            checks.unless_null("backup_copy_region", 'can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", '
                               'var.backup_copy_region))', "backup_copy_region must be null or a region name."),
            nullable=True),
    ]


def root_only_variables(env_name: str, spec: Spec) -> list[ModuleVar]:
    """Root variables that feed module inputs through locals (or the root's own resources)."""
    dns = spec.dns
    found = [
        var("aws_region", "string", "AWS region of this environment.", spec.region, checks.REGION),
        domain_name_var(dns.domain),
        subdomains_var(dns.subdomains),
        var("create_hosted_zone", "bool", "Manage DNS in Route 53 (hosted zone, validation and alias records).",
            dns.create_hosted_zone),
        var("create_route53_health_check", "bool", "Create the Route 53 HTTPS health check and its alarm.",
            dns.health_check,
            Validation("var.create_hosted_zone || !var.create_route53_health_check",
                       "create_route53_health_check needs create_hosted_zone = true.")),
        *_network_variables(spec.network),
        *_backup_variables(spec.backup),
    ]
    for name, svc in sorted(spec.services.items()):
        found += _service_variables(name, svc)
    return found


def root_locals(spec: Spec) -> dict[str, Any]:
    """What the environment's main.tf `locals` block lays out."""
    return {
        "services": service_locals(spec),
        "lb_target_service": spec.loadbalancer.target_service,
        "ingress_rules": ingress_rules(spec),
        "security_group_descriptions": {group: security_group_description(group, spec) for group in GROUP_DESCRIPTIONS},
    }
