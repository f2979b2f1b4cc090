"""The one mapping from spec keys to Terraform resources and the actions their changes cause.

`resources(env, doc)` lists, for one environment's effective spec, the resources of the generated tree that
`tfgen impact` reports: each with its address (the generic modules' `for_each` keys: service names, AZ names),
whether it holds data (stateful), the spec-fed arguments that update it in place or force a replacement, and
the resources whose replacement replaces it too. `plan_changes` diffs two such lists into creates, updates,
replaces and destroys, each naming the spec key (and both values) that causes it.

Only facts of the AWS provider belong here (which argument is ForceNew), and the upgrade rehearsal
(tests/rehearsal/upgrade.py, `make e2e-upgrade`) compares this table with real plans for every stateful
resource. Data sources, policy attachments and alarms are not listed: they never hold data and follow the
rows here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

ACTIONS = ("create", "update", "replace", "destroy")


@dataclass(frozen=True)
class Arg:
    """A resource argument set from a spec key."""

    key: str
    value: Any
    forces: bool = False  # ForceNew in the provider (or replace_triggered_by in the module): a change replaces
    cause: str = ""  # the spec key reported when it differs from `key` (an argument derived from several keys)


@dataclass(frozen=True)
class Resource:
    """One resource address of an environment and what shapes it."""

    address: str
    stateful: bool
    exists_key: str  # the spec key whose change creates or destroys the resource
    exists_value: Any
    args: tuple[Arg, ...] = ()
    replaced_with: tuple[str, ...] = ()  # replacing one of these replaces this one (a ForceNew reference)
    updated_with: tuple[str, ...] = ()  # replacing one of these updates this one (an updatable reference)


@dataclass(frozen=True)
class ResourceChange:
    """One predicted action on one resource, and the spec key (with both values) that causes it."""

    address: str
    action: str
    stateful: bool
    key: str
    old: Any
    new: Any


# ---------------------------------------------------------------------------------------------- derived names

def name_prefix(env: str, doc: dict[str, Any]) -> str:
    return f"{doc['project']['name']}-{env}"


def db_identifier(env: str, doc: dict[str, Any]) -> str:
    """The RDS identifier the database module sets (`<project>-<env>-mysql`); a change replaces the database."""
    return f"{name_prefix(env, doc)}-mysql"


def uploads_bucket_prefix(env: str, doc: dict[str, Any]) -> str:
    """The uploads bucket's `bucket_prefix` (S3 allows 37 characters); a change replaces the bucket."""
    return f"{name_prefix(env, doc)}-uploads-"[:37]


def service_placement(service: str, doc: dict[str, Any]) -> tuple[str, str]:
    """The AZ of a service's instance and data volume, and the spec key that decides it.

    Generic modules: `services.<name>.availability_zone`, or the alphabetically first zone when it is null (so
    adding or reordering zones never moves a service). Specs from before that setting existed placed a service
    by a stable hash of its name over the zone list, which is what their trees did."""
    zones = doc["network"]["availability_zones"]
    svc = doc["services"][service]
    if "availability_zone" not in svc:
        index = int(hashlib.md5(service.encode(), usedforsecurity=False).hexdigest()[:8], 16) % len(zones)
        return zones[index], "network.availability_zones"
    if svc["availability_zone"]:
        return svc["availability_zone"], f"services.{service}.availability_zone"
    return sorted(zones)[0], "network.availability_zones"


def service_availability_zone(service: str, doc: dict[str, Any]) -> str:
    return service_placement(service, doc)[0]


def _zone_cidrs(doc: dict[str, Any], tier: str) -> dict[str, str]:
    net = doc["network"]
    return dict(zip(net["availability_zones"], net[f"{tier}_subnet_cidrs"], strict=False))


def _nat_zones(doc: dict[str, Any]) -> list[str]:
    zones = doc["network"]["availability_zones"]
    # A single NAT gateway lives in the alphabetically first zone (modules/networking), whatever the order.
    return list(zones) if doc["network"]["nat_gateway"] == "per_az" else sorted(zones)[:1]


# ---------------------------------------------------------------------------------------------- the table

NET = "module.networking"
SEC = "module.security"
STO = "module.storage"
DB = "module.database"
EC2 = "module.compute"
LB = "module.loadbalancer"
DNS = "module.route53[0]"
VPC = f"{NET}.aws_vpc.main"


def _networking(env: str, doc: dict[str, Any]) -> list[Resource]:
    net = doc["network"]
    zones = ("network.availability_zones", net["availability_zones"])
    rows = [Resource(VPC, True, "network", "defined", (Arg("network.vpc_cidr", net["vpc_cidr"], True),
                                                      Arg("region", doc["region"], True)))]
    for tier in ("public", "private"):
        for index, (zone, cidr) in enumerate(_zone_cidrs(doc, tier).items()):
            rows.append(Resource(f'{NET}.aws_subnet.{tier}["{zone}"]', True, *zones,
                                 (Arg(f"network.{tier}_subnet_cidrs[{index}]", cidr, True),), (VPC,)))
    for zone in _nat_zones(doc):
        subnet = f'{NET}.aws_subnet.public["{zone}"]'
        rows.append(Resource(f'{NET}.aws_eip.nat["{zone}"]', False, "network.nat_gateway", net["nat_gateway"],
                             (Arg("region", doc["region"], True),)))
        rows.append(Resource(f'{NET}.aws_nat_gateway.main["{zone}"]', False, "network.nat_gateway",
                             net["nat_gateway"], (), (subnet, f'{NET}.aws_eip.nat["{zone}"]')))
    if net["flow_logs"]:
        rows.append(Resource(f"{NET}.aws_flow_log.main[0]", False, "network.flow_logs", True, (), (VPC,)))
    return rows


def _security(env: str, doc: dict[str, Any], edges: list[tuple[str, str, str]]) -> list[Resource]:
    rows = [Resource(f"{SEC}.aws_security_group.{group}", False, "network", "defined", (), (VPC,))
            for group in ("alb", "rds")]
    for name in sorted(doc["services"]):
        svc = ("services." + name, "defined")
        rows.append(Resource(f'{SEC}.aws_security_group.service["{name}"]', False, *svc, (), (VPC,)))
        rows.append(Resource(f'{SEC}.aws_iam_role.service["{name}"]', False, *svc))
        rows.append(Resource(f'{SEC}.aws_iam_instance_profile.service["{name}"]', False, *svc))
    for key, target, source in edges:
        groups = [_group_address(g) for g in (target, source) if g != "internet"]
        rows.append(Resource(f'{SEC}.aws_vpc_security_group_ingress_rule.this["{key}"]', False,
                             *_edge_exists(target, source), (), tuple(groups)))
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


def security_edges(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, target group, source) of every ingress rule, keyed as the security module keys them."""
    edges = [(f"alb_from_internet_{port}", "alb", "internet") for port in (443, 80)]
    for name, svc in sorted(doc["services"].items()):
        edges += [(f"{name}_from_{source}_{svc['port']}", name, source) for source in sorted(svc["ingress_from"])]
    edges += [(f"rds_from_{source}_3306", "rds", source) for source in sorted(doc["database"]["ingress_from"])]
    return sorted(edges)


def _storage(env: str, doc: dict[str, Any]) -> list[Resource]:
    bucket = Arg("project.name", uploads_bucket_prefix(env, doc), True)
    rows = [Resource(f"{STO}.aws_s3_bucket.uploads", True, "storage", "defined", (bucket, Arg("region", doc["region"],
                                                                                           True))),
            Resource(f"{STO}.aws_secretsmanager_secret.app", True, "storage", "defined",
                     (Arg("project.name", name_prefix(env, doc), True), Arg("region", doc["region"], True),
                      Arg("storage.secret_recovery_window_days", doc["storage"]["secret_recovery_window_days"])))]
    for name in sorted(doc["services"]):
        rows.append(Resource(f'{STO}.aws_cloudwatch_log_group.service["{name}"]', False, f"services.{name}",
                             "defined", (Arg("logs.retention_days", doc["logs"]["retention_days"]),)))
    return rows


def _database(env: str, doc: dict[str, Any]) -> list[Resource]:
    db = doc["database"]
    args = (Arg("project.name", db_identifier(env, doc), True), Arg("region", doc["region"], True),
            Arg("database.db_name", db["db_name"], True), Arg("database.username", db["username"], True),
            Arg("database.engine_version", db["engine_version"]),
            Arg("database.instance_class", db["instance_class"]),
            Arg("database.allocated_storage_gb", db["allocated_storage_gb"]),
            Arg("database.max_allocated_storage_gb", db["max_allocated_storage_gb"]),
            Arg("database.iops", db["iops"]), Arg("database.storage_throughput", db["storage_throughput"]),
            Arg("database.multi_az", db["multi_az"]),
            Arg("database.backup_retention_days", db["backup_retention_days"]),
            Arg("database.backup_window", db["backup_window"]),
            Arg("database.maintenance_window", db["maintenance_window"]),
            Arg("database.deletion_protection", db["deletion_protection"]),
            Arg("database.skip_final_snapshot", db["skip_final_snapshot"]),
            Arg("database.monitoring_interval", db["monitoring_interval"]))
    return [Resource(f"{DB}.aws_db_instance.main", True, "database", "defined", args, (),
                     (f"{SEC}.aws_security_group.rds",))]


def _compute(env: str, doc: dict[str, Any]) -> list[Resource]:
    rows = []
    for name, svc in sorted(doc["services"].items()):
        zone, zone_key = service_placement(name, doc)
        subnet = f'{NET}.aws_subnet.private["{zone}"]'
        placed = Arg("placement", zone, True, zone_key)
        spot = svc["market"] == "spot"
        instance = f'{EC2}.aws_instance.this["{name}"]'
        args = (placed, Arg(f"services.{name}.instance_type", svc["instance_type"], spot),
                Arg(f"services.{name}.market", svc["market"], True), Arg("region", doc["region"], True),
                Arg(f"services.{name}.root_volume_gb", svc["root_volume_gb"]))
        rows.append(Resource(instance, False, f"services.{name}", "defined", args,
                             (subnet, f'{STO}.aws_secretsmanager_secret.app'),
                             (f'{SEC}.aws_security_group.service["{name}"]',)))
        volume = svc["data_volume"]
        if volume:
            exists = (f"services.{name}.data_volume", "defined")
            rows.append(Resource(f'{EC2}.aws_ebs_volume.data["{name}"]', True, *exists,
                                 (placed, Arg(f"services.{name}.data_volume.size_gb", volume["size_gb"]))))
            rows.append(Resource(f'{EC2}.aws_volume_attachment.data["{name}"]', False, *exists, (),
                                 (instance, f'{EC2}.aws_ebs_volume.data["{name}"]')))
    return rows


def _loadbalancer(env: str, doc: dict[str, Any]) -> list[Resource]:
    lb = doc["loadbalancer"]
    target = lb["target_service"]
    rows = [Resource(f"{LB}.aws_lb.main", False, "loadbalancer", "defined",
                     (Arg("loadbalancer.access_logs", lb["access_logs"]), Arg("region", doc["region"], True),
                      Arg("loadbalancer.deletion_protection", lb["deletion_protection"]),
                      Arg("loadbalancer.idle_timeout", lb["idle_timeout"])), (), (f"{SEC}.aws_security_group.alb",)),
            Resource(f'{LB}.aws_lb_target_group_attachment.this["{target}"]', False, "loadbalancer.target_service",
                     target, (), (f'{EC2}.aws_instance.this["{target}"]',))]
    if lb["access_logs"]:
        rows.append(Resource(f"{LB}.aws_s3_bucket.access_logs[0]", True, "loadbalancer.access_logs", True,
                             (Arg("project.name", name_prefix(env, doc)[:27], True),
                              Arg("region", doc["region"], True))))
    if lb["waf"]:
        rows += [Resource(f"{LB}.aws_wafv2_web_acl.main[0]", False, "loadbalancer.waf", True),
                 Resource(f"{LB}.aws_wafv2_web_acl_association.main[0]", False, "loadbalancer.waf", True, (),
                          (f"{LB}.aws_lb.main", f"{LB}.aws_wafv2_web_acl.main[0]"))]
    return rows


def _certificate_and_dns(env: str, doc: dict[str, Any]) -> list[Resource]:
    dns = doc["dns"]
    domain = Arg("dns.domain", dns["domain"], True)
    names = [dns["domain"], *(f"{sub}.{dns['domain']}" for sub in dns["subdomains"])]
    rows = [Resource("aws_acm_certificate.main", False, "dns", "defined",
                     (domain, Arg("dns.subdomains", list(dns["subdomains"]), True)))]
    if not dns["create_hosted_zone"]:
        return rows
    zone = f"{DNS}.aws_route53_zone.main"
    toggle = ("dns.create_hosted_zone", True)
    rows.append(Resource(zone, True, *toggle, (domain,)))
    rows += [Resource(f'{DNS}.aws_route53_record.alias["{name}"]', False, *toggle, (), (zone,)) for name in names]
    if dns["health_check"]:
        rows.append(Resource(f"{DNS}.aws_route53_health_check.main[0]", False, "dns.health_check", True, (domain,)))
    return rows


def resources(env: str, doc: dict[str, Any]) -> dict[str, Resource]:
    """Every resource `tfgen impact` reports for one environment's effective spec, by address."""
    rows = (_networking(env, doc) + _security(env, doc, security_edges(doc)) + _storage(env, doc)
            + _database(env, doc) + _compute(env, doc) + _loadbalancer(env, doc) + _certificate_and_dns(env, doc))
    return {row.address: row for row in rows}


# ---------------------------------------------------------------------------------------------- the diff

def _first_difference(old: Resource, new: Resource, forcing: bool) -> tuple[str, Any, Any] | None:
    """(reported spec key, old value, new value) of the first changed argument of the kind asked for."""
    before = {a.key: a for a in old.args}
    for arg in new.args:
        if arg.forces == forcing and arg.key in before and before[arg.key].value != arg.value:
            return arg.cause or arg.key, before[arg.key].value, arg.value
    return None


def _change(res: Resource, action: str, key: str, old: Any, new: Any) -> ResourceChange:
    return ResourceChange(res.address, action, res.stateful, key, old, new)


def _replacements(old: dict[str, Resource], new: dict[str, Resource], new_doc: dict[str, Any] | None
                  ) -> dict[str, ResourceChange]:
    """Resources in both whose forcing argument changed, or that reference a replaced resource."""
    replaced: dict[str, ResourceChange] = {}
    changed = True
    while changed:  # a fixpoint over references: the table is small, so a few passes suffice
        changed = False
        for address in sorted(set(old) & set(new)):
            if address in replaced:
                continue
            diff = _first_difference(old[address], new[address], forcing=True)
            if diff is not None:
                replaced[address] = _change(new[address], "replace", *diff)
                changed = True
                continue
            cause = next((replaced[p] for p in new[address].replaced_with if p in replaced), None)
            if cause is None:
                cause = next((_gone(old[p], new_doc) for p in new[address].replaced_with
                              if p in old and p not in new), None)
            if cause is not None:
                replaced[address] = _change(new[address], "replace", cause.key, cause.old, cause.new)
                changed = True
    return replaced


def _gone(old: Resource, new_doc: dict[str, Any] | None) -> ResourceChange:
    key = _absent_prefix(new_doc, old.exists_key)
    was = old.exists_value if key == old.exists_key else "defined"
    return _change(old, "destroy", key, was, key_value(new_doc, key))


def _absent_prefix(doc: dict[str, Any] | None, key: str) -> str:
    """The shortest prefix of KEY the document lacks (`services.x` when the whole service went), else KEY."""
    parts = key.split(".")
    for cut in range(1, len(parts) + 1):
        if key_value(doc, ".".join(parts[:cut])) is None:
            return ".".join(parts[:cut])
    return key


def key_value(doc: dict[str, Any] | None, key: str) -> Any:
    """A spec key's value for the report: scalars and lists as they are, a mapping as "defined", None if absent."""
    value: Any = doc
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return "defined" if isinstance(value, dict) else value


def plan_changes(env: str, old_doc: dict[str, Any] | None, new_doc: dict[str, Any] | None) -> list[ResourceChange]:
    """Predicted changes, sorted by address: what `terraform plan` of the new tree shows against the old state."""
    old = resources(env, old_doc) if old_doc is not None else {}
    new = resources(env, new_doc) if new_doc is not None else {}
    changes = _replacements(old, new, new_doc)
    for address in sorted(set(new) - set(old)):
        res = new[address]
        key = _absent_prefix(old_doc, res.exists_key)
        changes[address] = _change(res, "create", key, key_value(old_doc, key),
                                   res.exists_value if key == res.exists_key else "defined")
    for address in sorted(set(old) - set(new)):
        changes[address] = _gone(old[address], new_doc)
    for address in sorted(set(old) & set(new)):
        if address in changes:
            continue
        cause = _first_difference(old[address], new[address], forcing=False)
        if cause is None:
            parent = next((changes[p] for p in new[address].updated_with
                           if p in changes and changes[p].action == "replace"), None)
            cause = (parent.key, parent.old, parent.new) if parent else None
        if cause:
            changes[address] = _change(new[address], "update", *cause)
    return [changes[a] for a in sorted(changes)]
