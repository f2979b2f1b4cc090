"""The Terraform version a tfgen project runs with: one file (`.terraform-version`, the tfenv/tenv convention)
read by the CI workflow and the Makefile, and checked against every `required_version` of the generated tree.

Why a file and not a constant in the workflow: a workflow that pinned 1.9.8 while the tree required >= 1.11.0
failed at `terraform init` in every job, and nothing told anybody until it ran on GitHub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VERSION_FILE = ".terraform-version"
# The `required_version` of every generated root and module (templates/terraform/*/versions.tf.j2; a test keeps
# them equal), stated in the generated README's header next to the tfgen version that rendered the tree.
REQUIRED_TERRAFORM = ">= 1.11.0"
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_CONSTRAINT = re.compile(r"^\s*(>=|<=|!=|~>|=|>|<)?\s*v?(\d+(?:\.\d+){0,2})\s*$")
_REQUIRED = re.compile(r'^\s*required_version\s*=\s*"([^"]*)"', re.MULTILINE)


def parse_version(text: str) -> tuple[int, int, int]:
    """`1.11` -> (1, 11, 0). Pre-release suffixes are not accepted: CI should pin a release."""
    text = text.strip()
    if not _VERSION.match(text):
        raise ValueError(f"not a release version: {text!r}")
    parts = [int(p) for p in text.split(".")]
    return (parts + [0, 0])[0], (parts + [0, 0])[1], (parts + [0, 0])[2]


def _pessimistic(version: tuple[int, int, int], bound: str) -> bool:
    """`~> 1.11` allows >= 1.11, < 2.0; `~> 1.11.2` allows >= 1.11.2, < 1.12 (Terraform's rule)."""
    low = parse_version(bound)
    depth = bound.count(".")
    if depth == 0:
        return version >= low
    prefix = low[: depth]
    return version >= low and version[: depth] == prefix


def satisfies(version: str, constraints: str) -> bool:
    """Whether `version` meets a Terraform version constraint string such as `">= 1.11.0, < 2.0.0"`."""
    have = parse_version(version)
    for part in constraints.split(","):
        match = _CONSTRAINT.match(part)
        if not match:
            raise ValueError(f"not a version constraint: {part.strip()!r}")
        op, bound = match.group(1) or "=", match.group(2)
        want = parse_version(bound)
        ok = {
            "=": have == want, "!=": have != want, ">": have > want, ">=": have >= want,
            "<": have < want, "<=": have <= want,
        }.get(op) if op != "~>" else _pessimistic(have, bound)
        if not ok:
            return False
    return True


@dataclass(frozen=True)
class Requirement:
    """One `required_version` found in a .tf file."""

    path: str
    line: int
    constraint: str


def required_versions(tree: Path) -> list[Requirement]:
    """Every `required_version` below `tree`, sorted by path, with its line for error messages."""
    found = []
    for tf in sorted(tree.rglob("*.tf")):
        text = tf.read_text(encoding="utf-8")
        for match in _REQUIRED.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Requirement(tf.relative_to(tree).as_posix(), line, match.group(1)))
    return found


def pinned_version(project_dir: Path) -> str:
    """The version in `.terraform-version` (one line, a release like 1.11.4)."""
    text = (project_dir / VERSION_FILE).read_text(encoding="utf-8").strip()
    parse_version(text)
    return text


def unmet_requirements(version: str, tree: Path) -> list[Requirement]:
    """The `required_version` constraints below `tree` that `version` does not satisfy."""
    return [r for r in required_versions(tree) if not satisfies(version, r.constraint)]
