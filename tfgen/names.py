"""The one place where the names, ports and placements that the tree derives from a spec are computed.

Rendering (context, interfaces), impact, cost, the graph and the generated docs all read them from here, so a
prediction about a resource cannot drift from the resource itself. Where a module computes the same name in
HCL (`"${var.name_prefix}-mysql"`), tests/test_names.py checks the rendered tree against these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfgen.model.views import Network, Service, Spec, State

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


def name_prefix(spec: Spec, env: str) -> str:
    """`<project>-<env>`: the prefix of every resource name of the environment."""
    return f"{spec.project.name}-{env}"


def state_bucket(spec: Spec) -> str | None:
    """The state bucket: the spec's name, or one unique per account and region (None: neither is known).

    Bucket names are global: a fixed short name fails when anyone anywhere owns it, the account id does not."""
    if spec.state.bucket:
        return spec.state.bucket
    account = spec.aws.account_id
    return f"{spec.project.name}-tfstate-{account}-{spec.state.region}" if account else None


def session_logging(spec: Spec) -> dict[str, str] | None:
    """Where the account baseline logs Session Manager sessions (None: it does not): the log group and the
    alias of its KMS key, in the bootstrap root's region. Per project, so the environments' roles name them
    without reading the bootstrap root's state."""
    if not spec.aws.baseline.session_logging:
        return None
    return {"region": spec.state.region, **session_log_names(spec.project.name)}


def session_log_names(project: str) -> dict[str, str]:
    """The session log group and its key's alias: one per project in an account."""
    return {"log_group": f"/{project}/session-manager", "kms_alias": f"alias/{project}-session-manager"}


def db_identifier(prefix: str) -> str:
    """The RDS instance identifier; changing it replaces the database."""
    return f"{prefix}-mysql"


def uploads_bucket_prefix(prefix: str) -> str:
    """The uploads bucket's `bucket_prefix`, cut to what S3 allows; changing it replaces the bucket."""
    return f"{prefix}-uploads-"[:BUCKET_PREFIX_MAX]


def cors_origins(spec: Spec) -> list[str]:
    """The uploads bucket's CORS origins: the spec's list, or the environment's domain and its www name."""
    configured = spec.storage.cors_allowed_origins
    if configured:
        return list(configured)
    domain = spec.dns.domain
    return [f"https://{domain}", f"https://www.{domain}"]


def default_availability_zone(zones: Sequence[str]) -> str:
    """Where a service without an explicit `availability_zone` runs: the alphabetically first zone.

    Independent of the zones' order and of zones added later (a new zone sorts after the existing ones in
    every region's naming), so adding or reordering zones never moves a service and its data volume.
    """
    return sorted(zones)[0]


def service_availability_zone(svc: Service, zones: Sequence[str]) -> str:
    """The zone of a service's instance and data volume."""
    return svc.availability_zone or default_availability_zone(zones)


def nat_gateway_zones(network: Network) -> list[str]:
    """The zones holding a NAT gateway: every zone (`per_az`), or the one a service defaults to (`single`)."""
    zones = network.availability_zones
    return list(zones) if network.nat_gateway == "per_az" else [default_availability_zone(zones)]


def ingress_rule_key(target: str, source: str, port: int) -> str:
    """The stable key of one security-group edge (`<target>_from_<source>_<port>`), a resource address key."""
    return f"{target}_from_{source}_{port}"


def ingress_rules(spec: Spec) -> dict[str, dict[str, Any]]:
    """Every security-group edge of the spec, keyed by ingress_rule_key, sorted."""
    edges = []
    for name, svc in sorted(spec.services.items()):
        edges += [(name, source, svc.port, f"{name} port {svc.port} from {source}")
                  for source in sorted(svc.ingress_from)]
    edges += [(DATABASE_SECURITY_GROUP, source, MYSQL_PORT, f"MySQL from {source}")
              for source in sorted(spec.database.ingress_from)]
    rules = {ingress_rule_key(target, source, port): {"target": target, "source": source, "port": port,
                                                       "description": description}
             for target, source, port, description in edges}
    return dict(sorted(rules.items()))


def state_key(env: str, state: State) -> str:
    """The state object key of an environment's backend."""
    return state.key or f"{state.key_prefix}/{env}/terraform.tfstate"


def security_group_description(group: str, spec: Spec) -> str:
    """The description of a security group (alb, rds, endpoints or a service): the spec's, where it names an
    existing group's (`network.security_group_descriptions`, which `tfgen adopt` writes), else tfgen's."""
    named = spec.network.security_group_descriptions
    if group in named:
        return named[group]
    return GROUP_DESCRIPTIONS[group] if group in GROUP_DESCRIPTIONS else spec.services[group].description


def service_instance_address(name: str, adopted: bool) -> str:
    """A single instance's address: an adopted one (services.NAME.keep_user_data) has a resource of its own."""
    return f'module.compute.aws_instance.{"adopted" if adopted else "this"}["{name}"]'
