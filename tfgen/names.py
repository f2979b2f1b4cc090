"""The one place where the names, ports and placements that the tree derives from a spec are computed.

Rendering (context, interfaces), impact, cost, the graph and the generated docs all read them from here, so a
prediction about a resource cannot drift from the resource itself. Where a module computes the same name in
HCL (`"${var.name_prefix}-mysql"`), tests/test_names.py checks the rendered tree against these functions.
"""

from __future__ import annotations

from typing import Any

MYSQL_PORT = 3306
BUCKET_PREFIX_MAX = 37  # S3 bucket_prefix: 63 characters minus the 26 that Terraform appends
DATABASE_SECURITY_GROUP = "rds"  # the database's security group among the services' groups
# The descriptions of the groups that are not a service's (a service's group is described by the service's
# description). A group's description cannot change in place: a different one replaces the group.
GROUP_DESCRIPTIONS = {
    "alb": "Application Load Balancer: HTTPS and HTTP from the internet",
    "rds": "RDS MySQL: 3306 from application services",
    "endpoints": "VPC interface endpoints: HTTPS from inside the VPC",
}


def name_prefix(doc: dict[str, Any], env: str) -> str:
    """`<project>-<env>`: the prefix of every resource name of the environment."""
    return f"{doc['project']['name']}-{env}"


def db_identifier(prefix: str) -> str:
    """The RDS instance identifier; changing it replaces the database."""
    return f"{prefix}-mysql"


def uploads_bucket_prefix(prefix: str) -> str:
    """The uploads bucket's `bucket_prefix`, cut to what S3 allows; changing it replaces the bucket."""
    return f"{prefix}-uploads-"[:BUCKET_PREFIX_MAX]


def cors_origins(doc: dict[str, Any]) -> list[str]:
    """The uploads bucket's CORS origins: the spec's list, or the environment's domain and its www name."""
    configured = doc["storage"]["cors_allowed_origins"]
    if configured:
        return list(configured)
    domain = doc["dns"]["domain"]
    return [f"https://{domain}", f"https://www.{domain}"]


def default_availability_zone(zones: list[str]) -> str:
    """Where a service without an explicit `availability_zone` runs: the alphabetically first zone.

    Independent of the zones' order and of zones added later (a new zone sorts after the existing ones in
    every region's naming), so adding or reordering zones never moves a service and its data volume.
    """
    return sorted(zones)[0]


def service_availability_zone(svc: dict[str, Any], zones: list[str]) -> str:
    """The zone of a service's instance and data volume."""
    return svc.get("availability_zone") or default_availability_zone(zones)


def nat_gateway_zones(network: dict[str, Any]) -> list[str]:
    """The zones holding a NAT gateway: every zone (`per_az`), or the one a service defaults to (`single`)."""
    zones = network["availability_zones"]
    return list(zones) if network["nat_gateway"] == "per_az" else [default_availability_zone(zones)]


def ingress_rule_key(target: str, source: str, port: int) -> str:
    """The stable key of one security-group edge (`<target>_from_<source>_<port>`), a resource address key."""
    return f"{target}_from_{source}_{port}"


def ingress_rules(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every security-group edge of the spec, keyed by ingress_rule_key, sorted."""
    edges = []
    for name, svc in sorted(doc["services"].items()):
        edges += [(name, source, svc["port"], f"{name} port {svc['port']} from {source}")
                  for source in sorted(svc["ingress_from"])]
    edges += [(DATABASE_SECURITY_GROUP, source, MYSQL_PORT, f"MySQL from {source}")
              for source in sorted(doc["database"]["ingress_from"])]
    rules = {ingress_rule_key(target, source, port): {"target": target, "source": source, "port": port,
                                                       "description": description}
             for target, source, port, description in edges}
    return dict(sorted(rules.items()))


def state_key(env: str, state: dict[str, Any]) -> str:
    """The state object key of an environment's backend."""
    return state.get("key") or f"{state['key_prefix']}/{env}/terraform.tfstate"


def security_group_description(group: str, doc: dict[str, Any]) -> str:
    """The description of a security group (alb, rds, endpoints or a service): the spec's, where it names an
    existing group's (`network.security_group_descriptions`, which `tfgen adopt` writes), else tfgen's."""
    named = doc["network"].get("security_group_descriptions") or {}
    if group in named:
        return named[group]
    return GROUP_DESCRIPTIONS[group] if group in GROUP_DESCRIPTIONS else doc["services"][group]["description"]
