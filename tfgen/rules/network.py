"""Network rules: regions, VPC and subnet CIDR math, availability zones."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from tfgen import aws
from tfgen.names import GROUP_DESCRIPTIONS
from tfgen.rules.registry import Check, parse_network, report_duplicates, rule
from tfgen.spec import Path_, format_path

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def _region_problem(region: str) -> str | None:
    if region in aws.REGIONS:
        return None
    close = aws.suggest_region(region)
    hint = f"; did you mean {close!r}?" if close else " (use a code such as us-east-1 or eu-west-1)"
    return f"{region!r} is not an AWS region{hint}"


@rule
def regions_exist(spec: Spec, check: Check) -> None:
    """region and state.region are real AWS region codes."""
    for path, value in ((("region",), spec.region), (("state", "region"), spec.state.region)):
        problem = _region_problem(value)
        if problem:
            check.report(path, problem)


@rule
def vpc_and_subnets(spec: Spec, check: Check) -> None:
    """VPC /16-/28; every subnet /16-/28, inside the VPC, overlapping no other subnet."""
    net = spec.network
    vpc = parse_network(net.vpc_cidr, check, ("network", "vpc_cidr"))
    if vpc is not None and not 16 <= vpc.prefixlen <= 28:
        check.report(("network", "vpc_cidr"),
                     f"a VPC CIDR must be between /16 and /28 (AWS limit), got /{vpc.prefixlen}")
    parsed: list[tuple[Path_, ipaddress.IPv4Network]] = []
    for key, cidrs in (("public_subnet_cidrs", net.public_subnet_cidrs),
                       ("private_subnet_cidrs", net.private_subnet_cidrs)):
        for i, cidr in enumerate(cidrs):
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
def availability_zones(spec: Spec, check: Check) -> None:
    """At least 2 AZs, all in the region, none twice; one public and one private subnet per AZ."""
    net, region = spec.network, spec.region
    zones = net.availability_zones
    if len(zones) < 2:
        check.report(("network", "availability_zones"),
                     "needs at least 2 availability zones (the ALB and Multi-AZ RDS require two)")
    if region in aws.REGIONS:
        wrong = [i for i, zone in enumerate(zones) if not aws.az_in_region(zone, region)]
        if wrong and all(check.set_later(("region",), ("network", "availability_zones", i)) for i in wrong):
            # An overlay changed the region but kept the base's zones: the overlay's line is the one to fix.
            check.report(("region",), f"region {region!r} does not contain the availability zones "
                                      f"{', '.join(repr(zones[i]) for i in wrong)} that "
                                      f"{check.spec.location(('network', 'availability_zones'))} sets; override "
                                      "network.availability_zones (and the subnets) here too")
            wrong = []
        for i in wrong:
            check.report(("network", "availability_zones", i),
                         f"{zones[i]!r} is not an availability zone of region {region!r} "
                         f"(its zones are named {region}a, {region}b, ...)")
    report_duplicates(check, zones, ("network", "availability_zones"), "availability zone")
    for key, kind, cidrs in (("public_subnet_cidrs", "public", net.public_subnet_cidrs),
                             ("private_subnet_cidrs", "private", net.private_subnet_cidrs)):
        if len(cidrs) != len(zones):
            check.report(("network", key),
                         f"has {len(cidrs)} {kind} subnet(s) for {len(zones)} availability zone(s); give "
                         "exactly one per zone, in the order of network.availability_zones")
    report_duplicates(check, net.interface_endpoints, ("network", "interface_endpoints"), "endpoint")


@rule
def service_zones(spec: Spec, check: Check) -> None:
    """A service's explicit availability_zone must be one of the network's zones (it has a subnet there)."""
    zones = spec.network.availability_zones
    for name, svc in sorted(spec.services.items()):
        zone = svc.availability_zone
        if zone is not None and zone not in zones:
            check.report(("services", name, "availability_zone"),
                         f"{zone!r} is not one of network.availability_zones ({', '.join(zones)}); the service "
                         "runs in the private subnet of its zone")


# ---------------------------------------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------------------------------------



@rule
def security_group_descriptions(spec: Spec, check: Check) -> None:
    """Descriptions name groups that exist: alb, rds, endpoints or a service."""
    groups = [*GROUP_DESCRIPTIONS, *sorted(spec.services)]
    for group in spec.network.security_group_descriptions:
        if group not in groups:
            check.report(("network", "security_group_descriptions", group),
                         f"{group!r} is not a security group of this environment: name one of {', '.join(groups)}")
