"""Semantic rules over a type-checked spec. Each rule reports problems; none stops the others.

A rule is a function `(doc, check) -> None` registered with `@rule`. `check.report(path, message)` records a
problem at the value's file:line. Rules only run once the document type-checks, so they may trust types, but
never shapes (lists may be short, names may be missing): a rule must not raise. Every rule is listed, with
how to fix what it reports, in README.md (Validation rules).
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

from tfgen import aws
from tfgen.errors import Location, Problem
from tfgen.spec import LoadedSpec, Path_, format_path


class Check:
    """Collects problems for one environment spec."""

    def __init__(self, spec: LoadedSpec):
        self.spec = spec
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def report(self, path: Path_, message: str) -> None:
        self.problems.append(self.spec.problem(path, message))

    def report_at(self, location: Location | None, path: Path_, message: str) -> None:
        self.problems.append(Problem(location, format_path(path), message))

    def report_env_file(self, message: str) -> None:
        """A problem with the environment itself (its name): points at the environment's own spec file."""
        own = self.spec.files[-1] if self.spec.files else f"specs/{self.spec.env}.yaml"
        self.problems.append(Problem(Location(own, 1, 1), "", message))

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.spec.env}: {message}")


Rule = Callable[[dict[str, Any], Check], None]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def _duplicates(items: list[Any]) -> list[int]:
    """Indexes of items that repeat an earlier item."""
    seen: set[Any] = set()
    repeats = []
    for i, item in enumerate(items):
        if item in seen:
            repeats.append(i)
        seen.add(item)
    return repeats


def _report_duplicates(check: Check, items: list[Any], path: Path_, what: str) -> None:
    for i in _duplicates(items):
        check.report((*path, i), f"{items[i]!r} is listed twice; each {what} may appear once")


# ---------------------------------------------------------------------------------------------------------
# Region and network
# ---------------------------------------------------------------------------------------------------------

def parse_network(value: str, check: Check, path: Path_) -> ipaddress.IPv4Network | None:
    """Parse an IPv4 CIDR, reporting (not raising) when it is malformed or has host bits set."""
    if "/" not in value:
        check.report(path, f"{value!r} is not a CIDR: add the prefix length (such as /16 for a VPC, /24 for a subnet)")
        return None
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        hint = ""
        with contextlib.suppress(ValueError):
            hint = f"; did you mean {ipaddress.IPv4Network(value, strict=False)}?"
        check.report(path, f"{value!r} is not a valid IPv4 CIDR ({exc}){hint}")
        return None


def _region_problem(region: str) -> str | None:
    if region in aws.REGIONS:
        return None
    close = aws.suggest_region(region)
    hint = f"; did you mean {close!r}?" if close else " (use a code such as us-east-1 or eu-west-1)"
    return f"{region!r} is not an AWS region{hint}"


@rule
def regions_exist(doc: dict[str, Any], check: Check) -> None:
    """region and state.region are real AWS region codes."""
    for path in (("region",), ("state", "region")):
        value = doc[path[0]] if len(path) == 1 else doc[path[0]][path[1]]
        problem = _region_problem(value)
        if problem:
            check.report(path, problem)


@rule
def vpc_and_subnets(doc: dict[str, Any], check: Check) -> None:
    """VPC /16-/28; every subnet /16-/28, inside the VPC, overlapping no other subnet."""
    net = doc["network"]
    vpc = parse_network(net["vpc_cidr"], check, ("network", "vpc_cidr"))
    if vpc is not None and not 16 <= vpc.prefixlen <= 28:
        check.report(("network", "vpc_cidr"),
                     f"a VPC CIDR must be between /16 and /28 (AWS limit), got /{vpc.prefixlen}")
    parsed: list[tuple[Path_, ipaddress.IPv4Network]] = []
    for key in ("public_subnet_cidrs", "private_subnet_cidrs"):
        for i, cidr in enumerate(net[key]):
            path = ("network", key, i)
            subnet = parse_network(cidr, check, path)
            if subnet is None:
                continue
            if not 16 <= subnet.prefixlen <= 28:
                check.report(path, f"a subnet CIDR must be between /16 and /28 (AWS limit), got /{subnet.prefixlen}")
            elif vpc is not None and not subnet.subnet_of(vpc):
                check.report(path, f"{cidr} is outside the VPC {vpc}; every subnet must be inside network.vpc_cidr")
            for other_path, other in parsed:
                if subnet.overlaps(other):
                    check.report(path, f"{cidr} overlaps {format_path(other_path)} ({other}); subnets must not "
                                       "overlap")
                    break
            parsed.append((path, subnet))


@rule
def availability_zones(doc: dict[str, Any], check: Check) -> None:
    """At least 2 AZs, all in the region, none twice; one public and one private subnet per AZ."""
    net, region = doc["network"], doc["region"]
    zones = net["availability_zones"]
    if len(zones) < 2:
        check.report(("network", "availability_zones"),
                     "needs at least 2 availability zones (the ALB and Multi-AZ RDS require two)")
    if region in aws.REGIONS:
        for i, zone in enumerate(zones):
            if not aws.az_in_region(zone, region):
                check.report(("network", "availability_zones", i),
                             f"{zone!r} is not an availability zone of region {region!r} "
                             f"(its zones are named {region}a, {region}b, ...)")
    _report_duplicates(check, zones, ("network", "availability_zones"), "availability zone")
    for key, kind in (("public_subnet_cidrs", "public"), ("private_subnet_cidrs", "private")):
        if len(net[key]) != len(zones):
            check.report(("network", key),
                         f"has {len(net[key])} {kind} subnet(s) for {len(zones)} availability zone(s); give "
                         "exactly one per zone, in the order of network.availability_zones")
    _report_duplicates(check, net["interface_endpoints"], ("network", "interface_endpoints"), "endpoint")


# ---------------------------------------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------------------------------------

RESERVED_SERVICE_NAMES = {"alb": "the load balancer's security group", "rds": "the database's security group"}
SYSTEM_MOUNT_PATHS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
                      "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")
DLAMI = "deep-learning-base-ubuntu22"


@rule
def instance_types(doc: dict[str, Any], check: Check) -> None:
    """Instance types are `family.size`; GPU services run on GPU families and GPU families are marked gpu."""
    for name, svc in doc["services"].items():
        path = ("services", name, "instance_type")
        itype = svc["instance_type"]
        problem = aws.instance_type_problem(itype)
        if problem:
            check.report(path, f"{itype!r} {problem}")
            continue
        gpu_family = aws.is_gpu_family(itype)
        if svc["gpu"] and not gpu_family:
            check.report(path, f"{itype!r} has no GPU but services.{name}.gpu is true; use a GPU family "
                               "(g*, p*, inf*, trn*) such as g5.xlarge")
        elif gpu_family and not svc["gpu"]:
            check.report(path, f"{itype!r} is a GPU instance but services.{name}.gpu is false; set gpu: true, "
                               "or pick a non-GPU family (GPU instances cost several times more)")


@rule
def ami_matches_instance(doc: dict[str, Any], check: Check) -> None:
    """The AMI family fits the instance: the NVIDIA Deep Learning AMI only on NVIDIA GPUs, which need it."""
    for name, svc in doc["services"].items():
        itype = svc["instance_type"]
        if aws.instance_type_problem(itype):
            continue
        arch = aws.instance_architecture(itype)
        if svc["ami"] == DLAMI and not aws.is_nvidia_gpu_family(itype):
            check.report(("services", name, "ami"),
                         f"the Deep Learning Base AMI (NVIDIA driver) does not support {itype} ({arch}); use "
                         "ami: al2023, or an NVIDIA GPU family such as g5.xlarge (x86_64) or g5g.xlarge (arm64)")
        elif svc["ami"] == "al2023" and svc["gpu"] and aws.is_nvidia_gpu_family(itype):
            check.report(("services", name, "ami"),
                         f"al2023 has no NVIDIA driver for the GPU of {itype}; use ami: {DLAMI}")


@rule
def spot_only_where_interruptible(doc: dict[str, Any], check: Check) -> None:
    """Spot only on interruptible (stateless) services; a max price only with spot, and positive."""
    for name, svc in doc["services"].items():
        if svc["market"] == "spot" and not svc["interruptible"]:
            check.report(("services", name, "market"),
                         f"spot instances can be reclaimed at any time; set services.{name}.interruptible: true "
                         "if the service is stateless, or use market: on-demand")
        price = svc["spot_max_price"]
        if price is None:
            continue
        path = ("services", name, "spot_max_price")
        if svc["market"] != "spot":
            check.report(path, "is only used with market: spot; remove it")
        elif not _positive_number(price):
            check.report(path, f"{price!r} is not a positive price in USD/hour; remove it to pay the current "
                               "spot price (recommended), or set a price above zero")


def _positive_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


@rule
def volumes(doc: dict[str, Any], check: Check) -> None:
    """EBS gp3 sizes 1-16384 GiB; data volumes mount on their own directory, not a system one."""
    for name, svc in doc["services"].items():
        root = svc["root_volume_gb"]
        if not aws.GP3_MIN_GB <= root <= aws.GP3_MAX_GB:
            check.report(("services", name, "root_volume_gb"),
                         f"{root} GiB is outside the gp3 range {aws.GP3_MIN_GB}-{aws.GP3_MAX_GB} GiB")
        volume = svc["data_volume"]
        if volume is None:
            continue
        size = volume["size_gb"]
        if not aws.GP3_MIN_GB <= size <= aws.GP3_MAX_GB:
            check.report(("services", name, "data_volume", "size_gb"),
                         f"{size} GiB is outside the gp3 range {aws.GP3_MIN_GB}-{aws.GP3_MAX_GB} GiB")
        mount = volume["mount_path"]
        normalized = "/" + "/".join(p for p in mount.split("/") if p)
        if ".." in mount.split("/") or normalized in SYSTEM_MOUNT_PATHS:
            check.report(("services", name, "data_volume", "mount_path"),
                         f"{mount!r} would hide a system directory; mount the volume on its own directory such "
                         f"as /opt/{name}-data or /var/lib/{name}")


@rule
def service_names_and_lists(doc: dict[str, Any], check: Check) -> None:
    """Service names do not clash with built-in groups; set-like lists have no repeats."""
    for name, svc in doc["services"].items():
        if name in RESERVED_SERVICE_NAMES:
            check.report(("services", name), f"the service name {name!r} is reserved for "
                                             f"{RESERVED_SERVICE_NAMES[name]}; rename the service")
        for key, what in (("ingress_from", "source"), ("permissions", "permission"), ("packages", "package"),
                          ("pip_packages", "package")):
            _report_duplicates(check, svc[key], ("services", name, key), what)
    _report_duplicates(check, doc["database"]["ingress_from"], ("database", "ingress_from"), "service")


@rule
def references_exist(doc: dict[str, Any], check: Check) -> None:
    """ingress_from, database.ingress_from and loadbalancer.target_service name real services."""
    names = set(doc["services"])
    listing = ", ".join(sorted(names)) or "none defined"
    for name, svc in doc["services"].items():
        for i, source in enumerate(svc["ingress_from"]):
            if source != "alb" and source not in names:
                check.report(("services", name, "ingress_from", i),
                             f"{source!r} is neither 'alb' nor a service ({listing})")
            if source == name:
                check.report(("services", name, "ingress_from", i), "a service cannot list itself")
    for i, source in enumerate(doc["database"]["ingress_from"]):
        if source not in names:
            check.report(("database", "ingress_from", i), f"{source!r} is not a service ({listing})")
    target = doc["loadbalancer"]["target_service"]
    if target not in names:
        check.report(("loadbalancer", "target_service"), f"{target!r} is not a service ({listing})")
    elif "alb" not in doc["services"][target]["ingress_from"]:
        check.report(("services", target, "ingress_from"),
                     f"{target!r} is the load balancer's target but does not accept traffic from it; add 'alb' "
                     "to its ingress_from")


# ---------------------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------------------

@rule
def database_engine_and_class(doc: dict[str, Any], check: Check) -> None:
    """engine_version is a MySQL 8.x version RDS offers; instance_class is db.<family>.<size>."""
    db = doc["database"]
    version = db["engine_version"]
    match = aws.MYSQL_VERSION_RE.match(version)
    majors = " or ".join(aws.RDS_MYSQL_MAJORS)
    if not match:
        check.report(("database", "engine_version"),
                     f"{version!r} is not a MySQL version: write {majors} (RDS keeps the minor current) or a "
                     "full version such as 8.4.3")
    elif f"{match['major']}.{match['minor']}" not in aws.RDS_MYSQL_MAJORS:
        check.report(("database", "engine_version"),
                     f"{version!r} is not a MySQL major version RDS offers for new databases; use {majors}")
    klass = db["instance_class"]
    problem = aws.instance_type_problem(klass[3:]) if klass.startswith("db.") else None
    if not klass.startswith("db.") or problem:
        check.report(("database", "instance_class"),
                     f"{klass!r} is not an RDS instance class: expected db.<family>.<size> such as db.t4g.micro")


@rule
def database_storage(doc: dict[str, Any], check: Check) -> None:
    """gp3 storage 20-65536 GiB; autoscaling ceiling >= 10% above it; IOPS/throughput only from 400 GiB."""
    db = doc["database"]
    size = db["allocated_storage_gb"]
    if not aws.RDS_GP3_MIN_GB <= size <= aws.RDS_GP3_MAX_GB:
        check.report(("database", "allocated_storage_gb"),
                     f"{size} GiB is outside the RDS MySQL gp3 range {aws.RDS_GP3_MIN_GB}-{aws.RDS_GP3_MAX_GB} GiB")
    ceiling = db["max_allocated_storage_gb"]
    least = math.ceil(size * aws.RDS_AUTOSCALING_MIN_HEADROOM)
    if ceiling and not least <= ceiling <= aws.RDS_GP3_MAX_GB:
        check.report(("database", "max_allocated_storage_gb"),
                     f"{ceiling} GiB: the autoscaling ceiling must be at least 10% above allocated_storage_gb "
                     f"({size} GiB), so at least {least}, and at most {aws.RDS_GP3_MAX_GB}; or 0 to disable "
                     "autoscaling")
    threshold = aws.RDS_GP3_IOPS_THRESHOLD_GB
    for key, (low, high), unit in (("iops", aws.RDS_GP3_IOPS_RANGE, "IOPS"),
                                   ("storage_throughput", aws.RDS_GP3_THROUGHPUT_RANGE, "MiB/s")):
        value = db[key]
        if value is None:
            continue
        if size < threshold:
            check.report(("database", key),
                         f"RDS rejects an explicit {key} for MySQL gp3 below {threshold} GiB (it gets a fixed "
                         f"baseline of 3000 IOPS and 125 MiB/s); remove it or set allocated_storage_gb to at "
                         f"least {threshold}")
        elif not low <= value <= high:
            check.report(("database", key), f"{value} {unit} is outside the gp3 range {low}-{high} {unit}")


@rule
def storage_only_grows(doc: dict[str, Any], check: Check) -> None:
    """allocated_storage_gb is never smaller than in the spec it extends: RDS storage cannot shrink."""
    previous: tuple[int, str] | None = None
    for layer in check.spec.layers:
        db = layer.data.get("database")
        value = db.get("allocated_storage_gb") if isinstance(db, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if previous is not None and value < previous[0]:
            path = ("database", "allocated_storage_gb")
            check.report_at(layer.provenance.get(path), path,
                            f"{value} GiB is smaller than the {previous[0]} GiB of {previous[1]}, which this spec "
                            f"extends; RDS storage can only grow: set at least {previous[0]}")
        previous = (value, layer.file) if previous is None or value >= previous[0] else previous


@rule
def database_backups(doc: dict[str, Any], check: Check) -> None:
    """Backup retention 0-35 days, at least 1 with Multi-AZ; windows valid, >= 30 minutes, not overlapping."""
    db = doc["database"]
    days = db["backup_retention_days"]
    if not 0 <= days <= aws.RDS_BACKUP_RETENTION_MAX:
        check.report(("database", "backup_retention_days"),
                     f"{days} is outside the RDS range 0-{aws.RDS_BACKUP_RETENTION_MAX} days")
    elif days == 0 and db["multi_az"]:
        check.report(("database", "backup_retention_days"),
                     "0 disables automated backups, which Multi-AZ (database.multi_az: true) requires; set at "
                     "least 1")
    backup = _window(db["backup_window"], daily=True)
    maintenance = _window(db["maintenance_window"], daily=False)
    for key, window in (("backup_window", backup), ("maintenance_window", maintenance)):
        if isinstance(window, str):
            check.report(("database", key), window)
    if isinstance(backup, list) and isinstance(maintenance, list) and _overlap(backup, maintenance):
        check.report(("database", "backup_window"),
                     f"{db['backup_window']} overlaps the maintenance window {db['maintenance_window']}; RDS "
                     "requires them apart")


WEEK_MINUTES = 7 * 24 * 60


def _window(text: str, daily: bool) -> list[tuple[int, int]] | str:
    """Minute-of-week intervals of an RDS window, or why it is invalid."""
    example = "03:00-04:00" if daily else "sun:04:30-sun:05:30"
    parts = text.split("-")
    if len(parts) != 2:
        return f"{text!r} is not a window such as {example}"
    start, end = (_minute(p, daily) for p in parts)
    if start is None or end is None:
        return f"{text!r} is not a valid window such as {example} (UTC; hours 00-23, minutes 00-59" + (
            ")" if daily else ", days mon-sun)")
    period = 24 * 60 if daily else WEEK_MINUTES
    length = (end - start) % period
    if length < aws.RDS_WINDOW_MIN_MINUTES:
        return f"{text!r} is shorter than the {aws.RDS_WINDOW_MIN_MINUTES} minutes RDS requires"
    starts = [start + day * 24 * 60 for day in range(7)] if daily else [start]
    return [(s % WEEK_MINUTES, length) for s in starts]


def _minute(text: str, daily: bool) -> int | None:
    match = re.fullmatch(r"(?:([a-z]{3}):)?(\d\d):(\d\d)", text)
    if not match or bool(match[1]) == daily:
        return None
    day, hour, minute = match[1], int(match[2]), int(match[3])
    if hour > 23 or minute > 59 or (day is not None and day not in aws.WEEKDAYS):
        return None
    return (aws.WEEKDAYS.index(day) * 24 * 60 if day else 0) + hour * 60 + minute


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    def minutes(windows: list[tuple[int, int]]) -> set[int]:
        return {(start + i) % WEEK_MINUTES for start, length in windows for i in range(length)}
    return not minutes(a).isdisjoint(minutes(b))


# ---------------------------------------------------------------------------------------------------------
# Names and limits
# ---------------------------------------------------------------------------------------------------------

def _name_budgets(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(what, suffix after the name prefix, limit) for every length-limited name built from it."""
    budgets = [("S3 bucket_prefix of the uploads bucket", "-uploads-", aws.S3_BUCKET_PREFIX_MAX)]
    if doc["loadbalancer"]["access_logs"]:
        budgets.append(("S3 bucket_prefix of the ALB access-log bucket", "-alb-logs-", aws.S3_BUCKET_PREFIX_MAX))
    if doc["network"]["flow_logs"]:
        budgets.append(("IAM role name_prefix of VPC flow logs", "-flowlogs-", aws.IAM_ROLE_NAME_PREFIX_MAX))
    budgets.append(("RDS identifier", "-mysql", aws.RDS_IDENTIFIER_MAX))
    return budgets


@rule
def names_fit_aws_limits(doc: dict[str, Any], check: Check) -> None:
    """<project.name>-<env> works in every resource name: S3 <= 37, IAM role prefixes <= 38, RDS rules."""
    env, project = check.spec.env, doc["project"]["name"]
    prefix = f"{project}-{env}"
    if env.endswith("-") or "--" in env:
        check.report_env_file(f"environment name {env!r} ends with a hyphen or has two in a row; RDS identifiers "
                              "and S3 bucket names do not allow that: rename the spec file")
    if "--" in project:
        check.report(("project", "name"), f"{project!r} has two hyphens in a row, which RDS identifiers do not "
                                          "allow")
    for reserved, what in (("sg-", "security group names"),) + tuple((p, "S3 bucket names")
                                                                      for p in aws.S3_RESERVED_PREFIXES):
        if project.startswith(reserved):
            check.report(("project", "name"), f"{project!r} starts with {reserved!r}, which AWS reserves in {what}")
    too_long = [f"{what} {prefix + suffix!r} would be {len(prefix + suffix)} characters (limit {limit})"
                for what, suffix, limit in _name_budgets(doc) if len(prefix + suffix) > limit]
    if too_long:
        excess = max(len(prefix + suffix) - limit for _, suffix, limit in _name_budgets(doc))
        check.report(("project", "name"),
                     f"the name prefix {prefix!r} ({len(prefix)} characters) is too long: {'; '.join(too_long)}; "
                     f"shorten project.name or the environment name {env!r} by {excess} character(s) together")
    for name in doc["services"]:
        role = f"{prefix}-{name}-"
        if len(role) > aws.IAM_ROLE_NAME_PREFIX_MAX:
            check.report(("services", name),
                         f"the IAM role name_prefix {role!r} would be {len(role)} characters (limit "
                         f"{aws.IAM_ROLE_NAME_PREFIX_MAX}, so role names stay within 64); shorten the service name, "
                         f"project.name or the environment name by {len(role) - aws.IAM_ROLE_NAME_PREFIX_MAX} "
                         "character(s) together")


RESERVED_TAGS = ("Project", "Environment", "ManagedBy", "GeneratedBy", "Name")


@rule
def tags_valid(doc: dict[str, Any], check: Check) -> None:
    """Tags use AWS's tag characters, stay within 256 characters and 50 per resource, and leave tfgen's alone."""
    tags = doc["tags"]
    for key, value in tags.items():
        path = ("tags", key)
        if key.lower().startswith("aws:"):
            check.report(path, "tag keys starting with 'aws:' are reserved by AWS")
        elif key in RESERVED_TAGS:
            check.report(path, f"tfgen sets the {key} tag itself; remove it from tags")
        _check_tag_value(check, path, value)
    _check_tag_value(check, ("project", "display_name"), doc["project"]["display_name"])
    limit = aws.MAX_TAGS_PER_RESOURCE - len(RESERVED_TAGS)
    if len(tags) > limit:
        check.report(("tags",), f"{len(tags)} tags; AWS allows {aws.MAX_TAGS_PER_RESOURCE} per resource and tfgen "
                                f"sets {len(RESERVED_TAGS)}, so at most {limit}")


def _check_tag_value(check: Check, path: Path_, value: str) -> None:
    if len(value) > aws.TAG_VALUE_MAX:
        check.report(path, f"is {len(value)} characters; tag values are limited to {aws.TAG_VALUE_MAX}")
    if not aws.TAG_CHARS_RE.match(value):
        check.report(path, "becomes a tag value, which may only hold letters, digits, spaces and _ . : / = + - @")


# ---------------------------------------------------------------------------------------------------------
# DNS, storage, state
# ---------------------------------------------------------------------------------------------------------

def dns_name_problem(name: str) -> str | None:
    """Why a string is not a fully qualified DNS name (lowercase, no trailing dot), or None."""
    if "://" in name or "/" in name:
        return "is a URL; give only the domain name, such as app.example.com"
    if name != name.lower():
        return f"must be lowercase ({name.lower()!r})"
    if name.endswith("."):
        return "must not end with a dot"
    labels = name.split(".")
    if len(labels) < 2:
        return "is not a fully qualified domain name such as app.example.com"
    if len(name) > aws.DNS_NAME_MAX:
        return f"is {len(name)} characters; DNS names are limited to {aws.DNS_NAME_MAX}"
    for label in labels:
        if not aws.DNS_LABEL_RE.match(label):
            return (f"has an invalid label {label!r}: labels are 1-63 letters, digits or hyphens, not starting or "
                    "ending with a hyphen")
    if labels[-1].isdigit():
        return "ends in a number; a domain name ends with a top-level domain such as .com"
    return None


@rule
def dns_names(doc: dict[str, Any], check: Check) -> None:
    """domain is a valid DNS name ACM can certify; subdomains unique; health check only with a hosted zone."""
    dns = doc["dns"]
    domain = dns["domain"]
    problem = dns_name_problem(domain)
    if problem:
        check.report(("dns", "domain"), f"{domain!r} {problem}")
    elif len(domain) > aws.ACM_DOMAIN_MAX:
        check.report(("dns", "domain"), f"is {len(domain)} characters; an ACM certificate's domain name is limited "
                                        f"to {aws.ACM_DOMAIN_MAX}")
    else:
        for i, sub in enumerate(dns["subdomains"]):
            if len(f"{sub}.{domain}") > aws.DNS_NAME_MAX:
                check.report(("dns", "subdomains", i), f"{sub}.{domain} is longer than {aws.DNS_NAME_MAX} characters")
    _report_duplicates(check, dns["subdomains"], ("dns", "subdomains"), "subdomain")
    if dns["health_check"] and not dns["create_hosted_zone"]:
        check.report(("dns", "health_check"), "a Route 53 health check needs the hosted zone tfgen manages; set "
                                              "dns.create_hosted_zone: true or health_check: false")


ORIGIN_RE = re.compile(r"^https?://(?:\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$")


@rule
def storage_settings(doc: dict[str, Any], check: Check) -> None:
    """Standard-IA after >= 30 days; secret recovery window 0 or 7-30; CORS origins are origins."""
    storage = doc["storage"]
    ia_days = storage["ia_transition_days"]
    if ia_days < aws.S3_STANDARD_IA_MIN_DAYS:
        check.report(("storage", "ia_transition_days"),
                     f"S3 moves objects to Standard-IA no earlier than {aws.S3_STANDARD_IA_MIN_DAYS} days; got "
                     f"{ia_days}")
    window = storage["secret_recovery_window_days"]
    low, high = aws.SECRET_RECOVERY_WINDOW
    if window != 0 and not low <= window <= high:
        check.report(("storage", "secret_recovery_window_days"),
                     f"{window}: Secrets Manager accepts 0 (delete at once) or {low}-{high} days")
    for i, origin in enumerate(storage["cors_allowed_origins"]):
        if origin != "*" and not ORIGIN_RE.match(origin):
            check.report(("storage", "cors_allowed_origins", i),
                         f"{origin!r} is not an origin: write scheme://host[:port] with no path or trailing "
                         "slash, such as https://app.example.com")
    _report_duplicates(check, storage["app_secret_keys"], ("storage", "app_secret_keys"), "key")


@rule
def state_backend(doc: dict[str, Any], check: Check) -> None:
    """State bucket is a valid S3 name; key prefix is a clean path; lock table is a valid DynamoDB name."""
    state = doc["state"]
    bucket = state["bucket"]
    if ".." in bucket or ".-" in bucket or "-." in bucket or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
        check.report(("state", "bucket"), f"{bucket!r} is not a valid S3 bucket name (no '..', '.-', '-.', and "
                                          "not an IP address)")
    prefix = state["key_prefix"]
    if prefix.startswith("/") or prefix.endswith("/") or "//" in prefix or ".." in prefix.split("/"):
        check.report(("state", "key_prefix"), f"{prefix!r} must be a relative path without empty or '..' parts, "
                                              "such as imageunderstander or teams/imgu")
    if state["lock"] in ("dynamodb", "both") and not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", state["dynamodb_table"]):
        check.report(("state", "dynamodb_table"), "a DynamoDB table name is 3-255 letters, digits, '_', '-' or '.'")


# ---------------------------------------------------------------------------------------------------------
# Production guardrails
# ---------------------------------------------------------------------------------------------------------

GUARDRAILS: dict[str, tuple[Path_, Callable[[dict[str, Any]], bool], str]] = {
    "database_deletion_protection": (("database", "deletion_protection"),
                                     lambda d: d["database"]["deletion_protection"],
                                     "deletion protection on the database (database.deletion_protection: true)"),
    "loadbalancer_deletion_protection": (("loadbalancer", "deletion_protection"),
                                         lambda d: d["loadbalancer"]["deletion_protection"],
                                         "deletion protection on the load balancer "
                                         "(loadbalancer.deletion_protection: true)"),
    "final_snapshot": (("database", "skip_final_snapshot"), lambda d: not d["database"]["skip_final_snapshot"],
                       "a final database snapshot (database.skip_final_snapshot: false)"),
    "multi_az": (("database", "multi_az"), lambda d: d["database"]["multi_az"],
                 "a Multi-AZ database (database.multi_az: true)"),
    "log_retention": (("logs", "retention_days"), lambda d: d["logs"]["retention_days"] >= 90,
                      "at least 90 days of logs (logs.retention_days: 90 or more)"),
}
MIN_REASON_CHARS = 10


@rule
def production_guardrails(doc: dict[str, Any], check: Check) -> None:
    """Production: deletion protection (DB, ALB), final snapshot, Multi-AZ, >= 90 days of logs, or an override."""
    production = doc["environment"]["production"]
    overrides = doc["environment"]["guardrail_overrides"]
    for rule_id, reason in overrides.items():
        path = ("environment", "guardrail_overrides", rule_id)
        if rule_id not in GUARDRAILS:
            close = difflib.get_close_matches(rule_id, list(GUARDRAILS), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            check.report(path, f"unknown guardrail {rule_id!r}; {hint}(guardrails: {', '.join(GUARDRAILS)})")
        elif not production:
            check.report(path, "overrides apply only to production environments (environment.production: true); "
                               "remove it")
        elif GUARDRAILS[rule_id][1](doc):
            check.report(path, f"the spec already has {GUARDRAILS[rule_id][2]}; remove the stale override")
        elif len(reason.strip()) < MIN_REASON_CHARS:
            check.report(path, f"give the reason for this exception (at least {MIN_REASON_CHARS} characters); it "
                               "is printed on every render")
        else:
            check.warn(f"production guardrail {rule_id!r} is overridden: {reason.strip()}")
    if not production:
        return
    for rule_id, (path, satisfied, requirement) in GUARDRAILS.items():
        if not satisfied(doc) and rule_id not in overrides:
            check.report(path, f"production environments need {requirement}; or record an exception as "
                               f"environment.guardrail_overrides.{rule_id}: \"<reason>\"")
