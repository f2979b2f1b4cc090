"""The one mapping from spec keys to Terraform resources and the actions their changes cause.

`resources(env, doc)` lists, for one environment's effective spec, the resources of the generated tree that
`tfgen impact` reports: each with its address (the generic modules' `for_each` keys: service names, AZ names),
whether it holds data (stateful), the spec-fed arguments that update it in place or force a replacement, and
the resources whose replacement replaces it too. `tfgen.impact.diff.plan_changes` diffs two such tables into
creates, updates, replaces and destroys, each naming the spec key (and both values) that causes it.

Only facts of the AWS provider belong here (which argument is ForceNew), and the upgrade rehearsal
(tests/rehearsal/upgrade.py, `make e2e-impact`) compares this table with real plans for every stateful
resource. Data sources and most alarms are not listed: they never hold data and follow the rows here.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from tfgen import names
from tfgen.aws import instance_architecture
from tfgen.impact.rows import Arg as Arg
from tfgen.impact.rows import Resource as Resource
from tfgen.impact.rows import ResourceChange as ResourceChange
from tfgen.model.lenient import partial_view, present
from tfgen.model.views import Service

if TYPE_CHECKING:
    from tfgen.model.views import Spec

ACTIONS = ("create", "update", "replace", "move", "destroy", "abandon")
# "abandon": a regional resource of an environment that moves to another region. Terraform's refresh no longer
# finds it (it asks the new region), drops it from the state and plans nothing for it: it keeps running, and
# holding its data, in the old region. Its counterpart in the new region is a "create".
# Global resources (IAM, Route 53) and S3 buckets (one namespace for every region) are still found.
GLOBAL_TYPES = ("aws_iam_role", "aws_iam_instance_profile", "aws_route53_zone", "aws_route53_record",
                "aws_route53_health_check", "aws_s3_bucket")
ADDRESS_TYPE_RE = re.compile(r"(?:^|\.)([a-z][a-z0-9_]*)\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?$")


# ---------------------------------------------------------------------------------------------- derived names
# Public functions take the document (a dict: impact compares older documents too); the table reads its partial view.
def name_prefix(env: str, doc: dict[str, Any]) -> str:
    return names.name_prefix(partial_view(doc), env)


def db_identifier(env: str, doc: dict[str, Any]) -> str:
    return _db_identifier(env, partial_view(doc))


def _db_identifier(env: str, spec: Spec) -> str:
    """The RDS identifier the database module sets (an adopted one when the spec names it); a change replaces
    the database."""
    adopted = spec.database.identifier if present(spec.database, "identifier") else None
    return adopted or names.db_identifier(names.name_prefix(spec, env))


def uploads_bucket_prefix(env: str, doc: dict[str, Any]) -> str:
    """The uploads bucket's `bucket_prefix`; a change replaces the bucket."""
    return names.uploads_bucket_prefix(name_prefix(env, doc))


def service_placement(service: str, doc: dict[str, Any]) -> tuple[str, str]:
    return _placement(service, partial_view(doc))


def _placement(service: str, spec: Spec) -> tuple[str, str]:
    """The AZ of a service's instance and data volume, and the spec key that decides it: the service's
    availability_zone, or the alphabetically first zone when null (adding or reordering zones never moves a
    service); specs from before that setting placed a service by a stable hash of its name over the zones."""
    zones = spec.network.availability_zones
    svc = spec.services[service]
    if not present(svc, "availability_zone"):
        index = int(hashlib.md5(service.encode(), usedforsecurity=False).hexdigest()[:8], 16) % len(zones)
        return zones[index], "network.availability_zones"
    if svc.availability_zone:
        return svc.availability_zone, f"services.{service}.availability_zone"
    return names.default_availability_zone(zones), "network.availability_zones"


def service_availability_zone(service: str, doc: dict[str, Any]) -> str:
    return service_placement(service, doc)[0]


# ---------------------------------------------------------------------------------------------- the table

NET = "module.networking"
SEC = "module.security"
STO = "module.storage"
DB = "module.database"
EC2 = "module.compute"
LB = "module.loadbalancer"
DNS = "module.route53[0]"
VPC = f"{NET}.aws_vpc.main"
ACCESS_LOG_BUCKET_PARTS = ("aws_s3_bucket_public_access_block", "aws_s3_bucket_ownership_controls",
                           "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
                           "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_policy")


def _networking(env: str, spec: Spec) -> list[Resource]:
    net = spec.network
    zones = ("network.availability_zones", list(net.availability_zones))
    rows = [Resource(VPC, True, "network", "defined", (Arg("network.vpc_cidr", net.vpc_cidr, True),))]
    for tier, cidrs in (("public", net.public_subnet_cidrs), ("private", net.private_subnet_cidrs)):
        for index, (zone, cidr) in enumerate(dict(zip(net.availability_zones, cidrs, strict=False)).items()):
            rows.append(Resource(f'{NET}.aws_subnet.{tier}["{zone}"]', True, *zones,
                                 (Arg(f"network.{tier}_subnet_cidrs[{index}]", cidr, True),), (VPC,)))
    rows += _routing(spec, zones)
    for zone in names.nat_gateway_zones(net):
        subnet = f'{NET}.aws_subnet.public["{zone}"]'
        rows.append(Resource(f'{NET}.aws_eip.nat["{zone}"]', False, "network.nat_gateway", net.nat_gateway,
                             ()))
        rows.append(Resource(f'{NET}.aws_nat_gateway.main["{zone}"]', False, "network.nat_gateway",
                             net.nat_gateway, (), (subnet, f'{NET}.aws_eip.nat["{zone}"]')))
    if net.flow_logs:
        rows.append(Resource(f"{NET}.aws_flow_log.main[0]", False, "network.flow_logs", True, (), (VPC,)))
    return rows


def _routing(spec: Spec, zones: tuple[str, Any]) -> list[Resource]:
    """Route tables and associations per AZ, and the endpoints and consumers of the subnet lists."""
    zone_list = spec.network.availability_zones
    spread = Arg("network.availability_zones", sorted(zone_list))  # consumers of every subnet: order-free
    rows = [Resource(f"{NET}.aws_internet_gateway.main", False, "network", "defined", (), (), (VPC,)),
            Resource(f"{NET}.aws_route_table.public", False, "network", "defined", (), (VPC,)),
            Resource(f"{NET}.aws_vpc_endpoint.s3", False, "network", "defined", (spread,), (VPC,)),
            Resource(f"{DB}.aws_db_subnet_group.main", False, "database", "defined", (spread,), (), (VPC,)),
            Resource(f"{LB}.aws_lb.main", False, "loadbalancer", "defined", (spread, *_lb_args(spec)), (),
                     (f"{SEC}.aws_security_group.alb",))]
    rows += [Resource(f'{NET}.aws_vpc_endpoint.interface["{name}"]', False, "network.interface_endpoints", name,
                      (spread,), (VPC,)) for name in spec.network.interface_endpoints]
    for zone in zone_list:
        table = f'{NET}.aws_route_table.private["{zone}"]'
        rows += [Resource(table, False, *zones, (), (VPC,)),
                 Resource(f'{NET}.aws_route.private_nat["{zone}"]', False, *zones, (), (table,)),
                 Resource(f'{NET}.aws_route_table_association.private["{zone}"]', False, *zones, (),
                          (table, f'{NET}.aws_subnet.private["{zone}"]')),
                 Resource(f'{NET}.aws_route_table_association.public["{zone}"]', False, *zones, (),
                          (f"{NET}.aws_route_table.public", f'{NET}.aws_subnet.public["{zone}"]'))]
    return rows


def _lb_args(spec: Spec) -> tuple[Arg, ...]:
    lb = spec.loadbalancer
    return (Arg("loadbalancer.access_logs", lb.access_logs),
            Arg("loadbalancer.deletion_protection", lb.deletion_protection),
            Arg("loadbalancer.idle_timeout", lb.idle_timeout))


def _security(env: str, spec: Spec, edges: list[tuple[str, str, str]]) -> list[Resource]:
    rows = [Resource(f"{SEC}.aws_security_group.{group}", False, "network", "defined", (), (VPC,))
            for group in ("alb", "rds")]
    for name in sorted(spec.services):
        svc = ("services." + name, "defined")
        rows.append(Resource(f'{SEC}.aws_security_group.service["{name}"]', False, *svc, (), (VPC,)))
        rows.append(Resource(f'{SEC}.aws_iam_role.service["{name}"]', False, *svc))
        rows.append(Resource(f'{SEC}.aws_iam_instance_profile.service["{name}"]', False, *svc))
    for name in sorted(spec.services):
        rows.append(Resource(f'{SEC}.aws_vpc_security_group_egress_rule.service["{name}"]', False,
                             f"services.{name}", "defined", (), (_group_address(name),)))
    for key, target, source in edges:
        groups = [_group_address(g) for g in (target, source) if g != "internet"]
        rows.append(Resource(f'{SEC}.aws_vpc_security_group_ingress_rule.this["{key}"]', False,
                             *_edge_exists(target, source), (), tuple(groups)))
    for port_name in ("http", "https"):
        rows.append(Resource(f'{SEC}.aws_vpc_security_group_ingress_rule.alb_from_internet["{port_name}"]', False,
                             "loadbalancer", "defined", (), (_group_address("alb"),)))
    return rows


def _group_address(group: str) -> str:
    return f"{SEC}.aws_security_group.{group}" if group in ("alb", "rds") else \
        f'{SEC}.aws_security_group.service["{group}"]'


def _edge_exists(target: str, source: str) -> tuple[str, Any]:
    if target == "rds":
        return "database.ingress_from", source
    if target == "alb":
        return "loadbalancer", "defined"
    return f"services.{target}.ingress_from", source


def security_edges(spec: Spec) -> list[tuple[str, str, str]]:
    """(key, target group, source) of every group-to-group ingress rule, keyed as the environment root keys
    them (`<target>_from_<source>_<port>`); the ALB's two internet rules are separate resources."""
    rules = names.ingress_rules(spec)
    return sorted((key, rule["target"], rule["source"]) for key, rule in rules.items())


def _storage(env: str, spec: Spec) -> list[Resource]:
    prefix = names.name_prefix(spec, env)
    bucket = Arg("project.name", names.uploads_bucket_prefix(prefix), True)
    rows = [Resource(f"{STO}.aws_s3_bucket.uploads", True, "storage", "defined", (bucket,)),
            Resource(f"{STO}.aws_secretsmanager_secret.app", True, "storage", "defined",
                     (Arg("project.name", prefix, True),
                      Arg("storage.secret_recovery_window_days", spec.storage.secret_recovery_window_days)))]
    for name in sorted(spec.services):
        rows.append(Resource(f'{STO}.aws_cloudwatch_log_group.service["{name}"]', False, f"services.{name}",
                             "defined", (Arg("logs.retention_days", spec.logs.retention_days),)))
    return rows


def _database(env: str, spec: Spec) -> list[Resource]:
    db = spec.database
    args = (Arg("project.name", _db_identifier(env, spec), True),
            Arg("database.db_name", db.db_name, True), Arg("database.username", db.username, True),
            Arg("database.engine_version", db.engine_version),
            Arg("database.instance_class", db.instance_class),
            Arg("database.allocated_storage_gb", db.allocated_storage_gb),
            Arg("database.max_allocated_storage_gb", db.max_allocated_storage_gb),
            Arg("database.iops", db.iops), Arg("database.storage_throughput", db.storage_throughput),
            Arg("database.multi_az", db.multi_az),
            Arg("database.backup_retention_days", db.backup_retention_days),
            Arg("database.backup_window", db.backup_window),
            Arg("database.maintenance_window", db.maintenance_window),
            Arg("database.deletion_protection", db.deletion_protection),
            Arg("database.skip_final_snapshot", db.skip_final_snapshot),
            Arg("database.monitoring_interval", db.monitoring_interval))
    return [Resource(f"{DB}.aws_db_instance.main", True, "database", "defined", args, (),
                     (f"{SEC}.aws_security_group.rds",)),
            Resource(f"{DB}.aws_cloudwatch_metric_alarm.rds_free_storage", False, "database", "defined",
                     (Arg("database.allocated_storage_gb", db.allocated_storage_gb),)),
            *_replicas(db)]


def _replicas(db: Any) -> list[Resource]:
    """Replica n exists while database.read_replicas >= n; it holds a copy of the data, like the instance."""
    exists, count = ("database.read_replicas", db.read_replicas), db.read_replicas + 1
    klass = Arg("database.replica_instance_class", db.replica_instance_class or db.instance_class)
    return [*(Resource(f'{DB}.aws_db_instance.replica["{n}"]', True, *exists, (klass,)) for n in range(1, count)),
            *(Resource(f'{DB}.aws_cloudwatch_log_group.replica["{n}-{log}"]', True, *exists)
              for n in range(1, count) for log in ("error", "slowquery")),
            *(Resource(f'{DB}.aws_cloudwatch_metric_alarm.{alarm}["{n}"]', False, *exists)
              for n in range(1, count) for alarm in ("replica_cpu", "replica_lag", "replica_free_storage"))]


def _in_group(svc: Service) -> bool:
    """Whether a service runs in an Auto Scaling group (specs from before `auto_scaling` ran single instances)."""
    return present(svc, "auto_scaling") and svc.auto_scaling is not None and svc.uses_auto_scaling


def _group(name: str, svc: Service, spec: Spec) -> list[Resource]:
    """A stateless service's launch template and group: they hold no data, and every change is an update (a new
    template version, a rolling instance refresh)."""
    template = f'{EC2}.aws_launch_template.this["{name}"]'
    group = svc.auto_scaling
    subnets = tuple(f'{NET}.aws_subnet.private["{zone}"]' for zone in sorted(spec.network.availability_zones))
    sizes = tuple(Arg(f"services.{name}.auto_scaling.{key}", value) for key, value in (
        ("min_size", group.min_size), ("max_size", group.max_size), ("desired_capacity", group.desired_capacity),
        ("on_demand_base_capacity", group.on_demand_base_capacity),
        ("extra_instance_types", list(group.extra_instance_types))))
    return [
        Resource(template, False, f"services.{name}", "defined",
                 (Arg(f"services.{name}.instance_type", svc.instance_type),
                  Arg(f"services.{name}.root_volume_gb", svc.root_volume_gb)), (),
                 (f'{SEC}.aws_security_group.service["{name}"]',)),
        Resource(f'{EC2}.aws_autoscaling_group.this["{name}"]', False, f"services.{name}", "defined",
                 (*sizes, Arg(f"services.{name}.market", svc.market)), (), (template, *subnets)),
    ]


def _compute(env: str, spec: Spec) -> list[Resource]:
    rows = []
    for name, svc in sorted(spec.services.items()):
        if _in_group(svc):
            rows += _group(name, svc, spec)
            continue
        zone, zone_key = _placement(name, spec)
        subnet = f'{NET}.aws_subnet.private["{zone}"]'
        placed = Arg("placement", zone, True, zone_key)
        spot = svc.market == "spot"
        instance = names.service_instance_address(name, bool(svc.keep_user_data))
        arch = instance_architecture(svc.instance_type)
        spot_input = svc.instance_type if spot else ("on-demand" if arch == "x86_64" else f"on-demand-{arch}")
        rows.append(Resource(f'{EC2}.terraform_data.spot_type["{name}"]', False, f"services.{name}", "defined",
                             (Arg(f"services.{name}.instance_type" if spot else f"services.{name}.market",
                                  spot_input),)))
        args = (placed, Arg(f"services.{name}.instance_type", svc.instance_type, spot),
                Arg("architecture", arch, True, f"services.{name}.instance_type"),
                Arg(f"services.{name}.market", svc.market, True),
                Arg(f"services.{name}.root_volume_gb", svc.root_volume_gb))
        rows.append(Resource(instance, False, f"services.{name}", "defined", args,
                             (subnet, f'{STO}.aws_secretsmanager_secret.app'),
                             (f'{SEC}.aws_security_group.service["{name}"]',)))
        volume = svc.data_volume
        if volume:
            exists = (f"services.{name}.data_volume", "defined")
            rows.append(Resource(f'{EC2}.aws_ebs_volume.data["{name}"]', True, *exists,
                                 (placed, Arg(f"services.{name}.data_volume.size_gb", volume.size_gb))))
            rows.append(Resource(f'{EC2}.aws_volume_attachment.data["{name}"]', False, *exists, (),
                                 (instance, f'{EC2}.aws_ebs_volume.data["{name}"]')))
    return rows


def _loadbalancer(env: str, spec: Spec) -> list[Resource]:
    lb = spec.loadbalancer
    target = lb.target_service
    rows = [] if _in_group(spec.services[target]) else [
        Resource(f'{LB}.aws_lb_target_group_attachment.this["{target}"]', False, "loadbalancer.target_service",
                 target, (), (names.service_instance_address(target, bool(spec.services[target].keep_user_data)),))]
    if lb.access_logs:
        bucket = f"{LB}.aws_s3_bucket.access_logs[0]"
        rows.append(Resource(bucket, True, "loadbalancer.access_logs", True,
                             (Arg("project.name", names.name_prefix(spec, env)[:27], True),)))
        rows += [Resource(f"{LB}.{kind}.access_logs[0]", False, "loadbalancer.access_logs", True, (), (bucket,))
                 for kind in ACCESS_LOG_BUCKET_PARTS]
    if lb.waf:
        acl = f"{LB}.aws_wafv2_web_acl.main[0]"
        rows += [Resource(acl, False, "loadbalancer.waf", True, ()),
                 Resource(f"{LB}.aws_wafv2_web_acl_association.main[0]", False, "loadbalancer.waf", True, (),
                          (f"{LB}.aws_lb.main", acl)),
                 Resource(f"{LB}.aws_cloudwatch_log_group.waf[0]", False, "loadbalancer.waf", True,
                          (Arg("logs.retention_days", spec.logs.retention_days),)),
                 Resource(f"{LB}.aws_wafv2_web_acl_logging_configuration.main[0]", False, "loadbalancer.waf", True,
                          (), (acl, f"{LB}.aws_cloudwatch_log_group.waf[0]"))]
    return rows


def _certificate_and_dns(env: str, spec: Spec) -> list[Resource]:
    dns = spec.dns
    domain = Arg("dns.domain", dns.domain, True)
    hostnames = [dns.domain, *(f"{sub}.{dns.domain}" for sub in dns.subdomains)]
    certificate = "aws_acm_certificate.main"
    rows = [Resource(certificate, False, "dns", "defined",
                     (domain, Arg("dns.subdomains", list(dns.subdomains), True))),
            Resource(f"{LB}.aws_lb_listener.https", False, "loadbalancer", "defined", (), (), (certificate,)),
            Resource(f"{STO}.aws_s3_bucket_cors_configuration.uploads", False, "storage", "defined",
                     (Arg("dns.domain" if not spec.storage.cors_allowed_origins else
                          "storage.cors_allowed_origins", names.cors_origins(spec)),))]
    if not dns.create_hosted_zone:
        return rows
    zone = f"{DNS}.aws_route53_zone.main"
    toggle = ("dns.create_hosted_zone", True)
    rows.append(Resource(zone, True, *toggle, (domain,)))
    rows.append(Resource("aws_acm_certificate_validation.main[0]", False, *toggle, (), (certificate,)))
    rows += [Resource(f'{DNS}.aws_route53_record.alias["{name}"]', False, *toggle, (), (zone,)) for name in hostnames]
    rows += [Resource(f'{DNS}.aws_route53_record.certificate_validation["{name}"]', False, *toggle, (),
                      (zone, certificate)) for name in hostnames]
    if dns.health_check:
        rows.append(Resource(f"{DNS}.aws_route53_health_check.main[0]", False, "dns.health_check", True, (domain,)))
    rows += [Resource(f'{DNS}.aws_route53_record.delegation["{sub}"]', False, "dns.delegations", list(ns),
                      (Arg("dns.delegations", list(ns)),), (zone,)) for sub, ns in sorted(dns.delegations.items())]
    return rows


def _backup(env: str, spec: Spec) -> list[Resource]:
    """The vaults hold the recovery points (AWS refuses to delete a vault that still has some)."""
    backup = spec.backup if present(spec, "backup") else None
    if not backup or not backup.enabled:
        return []
    vault = Arg("project.name", f"{names.name_prefix(spec, env)}-backup", True)
    rows = [Resource("module.backup[0].aws_backup_vault.main", True, "backup.enabled", True, (vault,)),
            Resource("module.backup[0].aws_backup_plan.main", False, "backup.enabled", True,
                     (Arg("backup.schedule", backup.schedule), Arg("backup.retention_days",
                                                                       backup.retention_days)))]
    if backup.copy_region:
        rows.append(Resource("module.backup[0].aws_backup_vault.copy[0]", True, "backup.copy_region",
                             backup.copy_region, (vault,)))
    return rows


def resources(env: str, doc: dict[str, Any]) -> dict[str, Resource]:
    """Every resource `tfgen impact` reports for one environment's effective spec, by address."""
    return resources_of(env, partial_view(doc))


def resources_of(env: str, spec: Spec) -> dict[str, Resource]:
    """`resources` of a view (adoption reads the validated spec's)."""
    rows = (_networking(env, spec) + _security(env, spec, security_edges(spec)) + _storage(env, spec)
            + _database(env, spec) + _compute(env, spec) + _loadbalancer(env, spec) + _certificate_and_dns(env, spec)
            + _backup(env, spec))
    return {row.address: row for row in rows}


def resource_type(address: str) -> str:
    """`aws_ebs_volume` of `module.compute.aws_ebs_volume.data["llm"]`."""
    match = ADDRESS_TYPE_RE.search(address)
    return match.group(1) if match else ""
