"""The rule registry and what rules share: the problem collector (Check), duplicates, CIDR parsing."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tfgen.errors import Location, Problem
from tfgen.spec import LoadedSpec, Path_, format_path

if TYPE_CHECKING:
    from tfgen.model.views import Spec


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

    def set_later(self, path: Path_, other: Path_) -> bool:
        """Whether `path` comes from a later file of the extends chain (an overlay) than `other`: a problem
        between the two values then points at the overlay, the file someone just changed."""
        here, there = self.spec.location(path), self.spec.location(other)
        if here is None or there is None or here.file not in self.spec.files or there.file not in self.spec.files:
            return False
        return self.spec.files.index(here.file) > self.spec.files.index(there.file)

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.spec.env}: {message}")


Rule = Callable[["Spec", Check], None]  # a typed view of the document (tfgen.model.views)
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def duplicates(items: Sequence[Any]) -> list[int]:
    """Indexes of items that repeat an earlier item."""
    seen: set[Any] = set()
    repeats = []
    for i, item in enumerate(items):
        if item in seen:
            repeats.append(i)
        seen.add(item)
    return repeats


def report_duplicates(check: Check, items: Sequence[Any], path: Path_, what: str) -> None:
    for i in duplicates(items):
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
