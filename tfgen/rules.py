"""Semantic rules over a type-checked spec. Each rule reports problems; none stops the others.

A rule is a function `(doc, check) -> None` registered with `@rule`. `check.report(path, message)` records a
problem at the value's file:line. Rules only run once the document type-checks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from tfgen.errors import Problem
from tfgen.spec import LoadedSpec, Path_


class Check:
    """Collects problems for one environment spec."""

    def __init__(self, spec: LoadedSpec):
        self.spec = spec
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def report(self, path: Path_, message: str) -> None:
        self.problems.append(self.spec.problem(path, message))

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.spec.env}: {message}")


Rule = Callable[[dict[str, Any], Check], None]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def parse_network(value: str, check: Check, path: Path_) -> ipaddress.IPv4Network | None:
    """Parse an IPv4 CIDR, reporting (not raising) when it is malformed or has host bits set."""
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        hint = ""
        try:
            hint = f"; did you mean {ipaddress.IPv4Network(value, strict=False)}?"
        except ValueError:
            pass
        check.report(path, f"{value!r} is not a valid IPv4 CIDR ({exc}){hint}")
        return None


@rule
def cidrs_parse(doc: dict[str, Any], check: Check) -> None:
    net = doc["network"]
    parse_network(net["vpc_cidr"], check, ("network", "vpc_cidr"))
    for key in ("public_subnet_cidrs", "private_subnet_cidrs"):
        for i, cidr in enumerate(net[key]):
            parse_network(cidr, check, ("network", key, i))


@rule
def references_exist(doc: dict[str, Any], check: Check) -> None:
    """ingress_from, database.ingress_from and loadbalancer.target_service must name real services."""
    names = set(doc["services"])
    for name, svc in doc["services"].items():
        for i, source in enumerate(svc["ingress_from"]):
            if source != "alb" and source not in names:
                check.report(("services", name, "ingress_from", i),
                             f"{source!r} is neither 'alb' nor a service ({', '.join(sorted(names))})")
            if source == name:
                check.report(("services", name, "ingress_from", i), "a service cannot list itself")
    for i, source in enumerate(doc["database"]["ingress_from"]):
        if source not in names:
            check.report(("database", "ingress_from", i), f"{source!r} is not a service")
    target = doc["loadbalancer"]["target_service"]
    if target not in names:
        check.report(("loadbalancer", "target_service"), f"{target!r} is not a service")
