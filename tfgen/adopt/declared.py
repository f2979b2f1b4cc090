"""The resource instances tfgen's tree declares for one environment, with the values that identify them.

Computed from the environment's effective spec with the same name functions the render uses
(`tfgen.context`, `tfgen.impactmap`), never from the addresses of some other tree: a renamed resource or
module call in a live state is recognised by what the object *is* (a CIDR, a bucket prefix, a domain, the
subnet it sits in, the words of its name), which is what the matcher compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfgen import names
from tfgen.impact import resources as impactmap
from tfgen.impact.resources import DB, EC2, LB, NET, SEC, STO
from tfgen.model.views import Spec
from tfgen.names import service_instance_address

DATA_TYPES = frozenset({"aws_db_instance", "aws_ebs_volume", "aws_s3_bucket", "aws_secretsmanager_secret",
                        "aws_cloudwatch_log_group", "aws_route53_zone", "aws_instance"})
TRAFFIC_TYPES = frozenset({"aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_acm_certificate"})


BUCKET_PARTS = ("aws_s3_bucket_ownership_controls", "aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning",
                "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_policy",
                "aws_s3_bucket_cors_configuration", "aws_s3_bucket_lifecycle_configuration")


def guarded(type_: str) -> str:
    """'data', 'traffic' or '' : what a destroy or replacement of this type would lose."""
    return "data" if type_ in DATA_TYPES else "traffic" if type_ in TRAFFIC_TYPES else ""


@dataclass(frozen=True)
class Ref:
    """The state object's `attr` must equal `target_attr` of the object matched to `target` (an address)."""

    attr: str
    target: str
    target_attr: str = "id"


@dataclass(frozen=True)
class Declared:
    """One resource instance of tfgen's tree and how to recognise its live object."""

    address: str
    type: str
    attrs: tuple[tuple[str, Any], ...] = ()  # exact values (a dotted path into the state attributes)
    refs: tuple[Ref, ...] = ()
    tokens: tuple[str, ...] = ()  # words every candidate's name must contain
    hints: tuple[str, ...] = ()  # words that break a tie between several candidates
    unique: bool = False  # the only one of its type in tfgen's tree: pairs with the only one left in the state

    @property
    def group(self) -> str:
        """The address without its instance key: instances of one `for_each` or `count` share it."""
        return self.address.split("[", 1)[0]


def _d(address: str, *, attrs: dict[str, Any] | None = None, refs: tuple[Ref, ...] = (),
       tokens: tuple[str, ...] = (), hints: tuple[str, ...] = (), unique: bool = False) -> Declared:
    return Declared(address, impactmap.resource_type(address), tuple(sorted((attrs or {}).items())), refs,
                    tokens, hints, unique)


def _networking(spec: Spec) -> list[Declared]:
    net = spec.network
    region = spec.region
    vpc = f"{NET}.aws_vpc.main"
    rows = [_d(vpc, attrs={"cidr_block": net.vpc_cidr}, tokens=("vpc",)),
            _d(f"{NET}.aws_internet_gateway.main", refs=(Ref("vpc_id", vpc),), unique=True),
            _d(f"{NET}.aws_route_table.public", refs=(Ref("vpc_id", vpc),), tokens=("public",)),
            _d(f"{NET}.aws_vpc_endpoint.s3", attrs={"service_name": f"com.amazonaws.{region}.s3"}),
            _d(f"{NET}.aws_security_group.endpoints", refs=(Ref("vpc_id", vpc),), tokens=("endpoints",)),
            _d(f"{NET}.aws_route.public_internet", attrs={"destination_cidr_block": "0.0.0.0/0"},
               refs=(Ref("route_table_id", f"{NET}.aws_route_table.public"),))]
    zones = list(net.availability_zones)
    for tier, cidrs in (("public", net.public_subnet_cidrs), ("private", net.private_subnet_cidrs)):
        for zone, cidr in zip(zones, cidrs, strict=False):
            rows.append(_d(f'{NET}.aws_subnet.{tier}["{zone}"]', attrs={"cidr_block": cidr, "availability_zone": zone}))
    for zone in sorted(zones):
        table = f'{NET}.aws_route_table.private["{zone}"]'
        rows += [_d(table, refs=(Ref("vpc_id", vpc),), tokens=("private",), hints=(zone,)),
                 _d(f'{NET}.aws_route.private_nat["{zone}"]', attrs={"destination_cidr_block": "0.0.0.0/0"},
                    refs=(Ref("route_table_id", table),)),
                 _d(f'{NET}.aws_route_table_association.private["{zone}"]',
                    refs=(Ref("subnet_id", f'{NET}.aws_subnet.private["{zone}"]'),)),
                 _d(f'{NET}.aws_route_table_association.public["{zone}"]',
                    refs=(Ref("subnet_id", f'{NET}.aws_subnet.public["{zone}"]'),))]
    for zone in names.nat_gateway_zones(net):
        public = f'{NET}.aws_subnet.public["{zone}"]'
        rows += [_d(f'{NET}.aws_nat_gateway.main["{zone}"]', refs=(Ref("subnet_id", public),)),
                 _d(f'{NET}.aws_eip.nat["{zone}"]', refs=(Ref("id", f'{NET}.aws_nat_gateway.main["{zone}"]',
                                                               "allocation_id"),), tokens=("nat",), hints=(zone,))]
    rows += [_d(f'{NET}.aws_vpc_endpoint.interface["{name}"]', attrs={"service_name": f"com.amazonaws.{region}.{name}"})
             for name in net.interface_endpoints]
    return rows


def _security(spec: Spec) -> list[Declared]:
    vpc = (Ref("vpc_id", f"{NET}.aws_vpc.main"),)
    rows = [_d(f"{SEC}.aws_security_group.alb", refs=vpc, tokens=("alb",)),
            _d(f"{SEC}.aws_security_group.rds", refs=vpc, tokens=("rds",))]
    for name in sorted(spec.services):
        words = tuple(name.replace("_", "-").split("-"))
        role = f'{SEC}.aws_iam_role.service["{name}"]'
        rows += [_d(f'{SEC}.aws_security_group.service["{name}"]', refs=vpc, tokens=words),
                 _d(role, tokens=words, hints=("role",)),
                 _d(f'{SEC}.aws_iam_instance_profile.service["{name}"]', refs=(Ref("role", role, "name"),))]
    return rows


def _group(name: str) -> str:
    return f"{SEC}.aws_security_group.{name}" if name in ("alb", "rds") else \
        f'{SEC}.aws_security_group.service["{name}"]'


def _rules(spec: Spec) -> list[Declared]:
    """Rule resources by the groups they join and their port (an older tree's per-edge resources move)."""
    rows = [_d(f'{SEC}.aws_vpc_security_group_ingress_rule.this["{key}"]', attrs={"from_port": rule["port"]},
               refs=(Ref("security_group_id", _group(rule["target"])),
                     Ref("referenced_security_group_id", _group(rule["source"]))))
            for key, rule in names.ingress_rules(spec).items()]
    rows += [_d(f'{SEC}.aws_vpc_security_group_ingress_rule.alb_from_internet["{label}"]',
                attrs={"from_port": port, "cidr_ipv4": "0.0.0.0/0"}, refs=(Ref("security_group_id", _group("alb")),))
             for label, port in (("http", 80), ("https", 443))]
    rows += [_d(f'{SEC}.aws_vpc_security_group_egress_rule.service["{name}"]',
                refs=(Ref("security_group_id", _group(name)),)) for name in sorted(spec.services)]
    return rows


def _storage(env: str, spec: Spec) -> list[Declared]:
    prefix = names.name_prefix(spec, env)
    bucket, secret = f"{STO}.aws_s3_bucket.uploads", f"{STO}.aws_secretsmanager_secret.app"
    rows = [_d(bucket, tokens=("uploads",)), _d(secret, tokens=("app",)),
            _d(f"{STO}.aws_secretsmanager_secret_version.app", refs=(Ref("secret_id", secret),))]
    rows += [_d(f"{STO}.{part}.uploads", refs=(Ref("bucket", bucket),)) for part in BUCKET_PARTS]
    rows += [_d(f'{STO}.aws_cloudwatch_log_group.service["{name}"]', attrs={"name": f"/aws/ec2/{prefix}/{name}"})
             for name in sorted(spec.services)]
    return rows


def _database(env: str, spec: Spec) -> list[Declared]:
    identifier = db_identifier(env, spec)
    rows = [_d(f"{DB}.aws_db_instance.main", attrs={"engine": "mysql"}, unique=True),
            _d(f"{DB}.terraform_data.snapshot_suffix"),
            _d(f"{DB}.aws_db_subnet_group.main", unique=True),
            _d(f"{DB}.aws_db_parameter_group.main", unique=True),
            _d(f"{DB}.aws_iam_role.rds_monitoring", tokens=("rds", "monitoring")),
            _d(f"{DB}.aws_iam_role_policy_attachment.rds_monitoring",
               attrs={"policy_arn": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"})]
    rows += [_d(f"{DB}.aws_cloudwatch_metric_alarm.{name}", attrs={"alarm_name": f"{identifier}-{suffix}"})
             for name, suffix in (("rds_cpu", "cpu-high"), ("rds_free_storage", "free-storage-low"),
                                  ("rds_connections", "connections-high"))]
    rows += [_d(f'{DB}.aws_cloudwatch_log_group.rds["{kind}"]',
                attrs={"name": f"/aws/rds/instance/{identifier}/{kind}"}) for kind in ("error", "slowquery")]
    return rows


def db_identifier(env: str, spec: Spec) -> str:
    """The identifier the database module sets: the adopted one when the spec names it."""
    return spec.database.identifier or names.db_identifier(names.name_prefix(spec, env))


def _compute(spec: Spec) -> list[Declared]:
    rows = []
    for name, svc in sorted(spec.services.items()):
        if svc.uses_auto_scaling:
            continue  # its launch template and group have no live counterpart: created (impactmap lists them)
        words = tuple(name.replace("_", "-").split("-"))
        instance = service_instance_address(name, svc.keep_user_data)
        zone = names.service_availability_zone(svc, spec.network.availability_zones)
        rows.append(_d(instance, tokens=words, hints=(zone,)))
        if svc.data_volume:
            volume = f'{EC2}.aws_ebs_volume.data["{name}"]'
            rows += [_d(volume, tokens=(*words, "data"), hints=(zone,)),
                     _d(f'{EC2}.aws_volume_attachment.data["{name}"]',
                        refs=(Ref("instance_id", instance), Ref("volume_id", volume)))]
    return rows


def _loadbalancer(env: str, spec: Spec) -> list[Declared]:
    target = spec.loadbalancer.target_service
    group = f"{LB}.aws_lb_target_group.main"
    prefix = names.name_prefix(spec, env)
    alarms = [_d(f"{LB}.aws_cloudwatch_metric_alarm.{name}", attrs={"alarm_name": f"{prefix}-alb-{suffix}"})
              for name, suffix in (("unhealthy_hosts", "unhealthy-hosts"), ("elb_5xx", "5xx"),
                                   ("target_5xx", "target-5xx"), ("target_response_time", "latency"))]
    rows = [*alarms, _d(f"{LB}.aws_lb.main", attrs={"load_balancer_type": "application"}, unique=True),
            _d(group, unique=True),
            _d(f"{LB}.aws_lb_listener.https", attrs={"port": 443}),
            _d(f"{LB}.aws_lb_listener.http", attrs={"port": 80})]
    if not spec.services[target].uses_auto_scaling:  # a group registers its own instances
        rows.append(_d(f'{LB}.aws_lb_target_group_attachment.this["{target}"]',
                       refs=(Ref("target_group_arn", group, "arn"),
                             Ref("target_id", service_instance_address(
                                 target, spec.services[target].keep_user_data)))))
    return rows


def _dns(spec: Spec) -> list[Declared]:
    dns = spec.dns
    rows = [_d("aws_acm_certificate.main", attrs={"domain_name": dns.domain})]
    if dns.create_hosted_zone:
        zone = f"{impactmap.DNS}.aws_route53_zone.main"
        rows.append(_d(zone, attrs={"name": dns.domain}))
        records = [dns.domain, *(f"{sub}.{dns.domain}" for sub in dns.subdomains)]
        rows += [_d(f'{impactmap.DNS}.aws_route53_record.alias["{n}"]', attrs={"name": n, "type": "A"})
                 for n in records]
    return rows


def declared(env: str, spec: Spec) -> list[Declared]:
    """Every instance tfgen's tree declares for `env` that adoption can place, and (without identity) the
    others `tfgen impact` knows, so that what the plan creates is listed too. Sorted by address."""
    rows = (_networking(spec) + _security(spec) + _rules(spec) + _storage(env, spec) + _database(env, spec)
            + _compute(spec) + _loadbalancer(env, spec) + _dns(spec))
    known = {row.address for row in rows}
    rows += [_d(address) for address in impactmap.resources_of(env, spec) if address not in known]
    return sorted(rows, key=lambda row: row.address)
