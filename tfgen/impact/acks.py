"""Acknowledgements that approve one change: the spec's `environment.acknowledged_changes` and `--acknowledge`.

An entry names what it approves and stops matching when the change differs:

    environment:
      acknowledged_changes:
        database.allocated_storage_gb: "100 -> 50: restored from a snapshot into a smaller volume (OPS-42)"
        network.vpc_cidr: "10.0.0.0/16 -> 10.1.0.0/16: new address plan; the VPC and its subnets are rebuilt"
        'module.compute.aws_ebs_volume.data["chromadb"]': "destroy: ChromaDB is retired, data exported (OPS-43)"

A spec key takes `FROM -> TO: reason` (values as `tfgen impact` prints them, strings unquoted); a resource
address takes `ACTION: reason` (destroy or replace). The command line covers the same changes:
`--acknowledge ENV:KEY=FROM->TO`, `--acknowledge ENV:ADDRESS=ACTION`, or `--acknowledge ENV:KEY` for whatever
the change of KEY is in this run. An acknowledgement that matches no change is an error: remove it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import Problem, SpecError

_CHANGE = re.compile(r"(?P<old>.*?)\s*->\s*(?P<new>.*?)\s*:\s+(?P<reason>\S.*)", re.S)
_ACTION = re.compile(r"(?P<action>destroy|replace)\s*:\s+(?P<reason>\S.*)", re.S)
ACTIONS = ("destroy", "replace")
FORM = "FROM -> TO: reason (for a spec key) or destroy: reason / replace: reason (for a resource address)"


def is_address(name: str) -> bool:
    """A resource address (`module.x.aws_y.z["k"]`, `aws_y.z`) rather than a spec key."""
    return name.startswith(("module.", "aws_", "terraform_data.")) or "[" in name and '"' in name


def shown(value: Any) -> str:
    """A value as acknowledgements write it: strings bare, everything else as JSON (100, true, null, [..])."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, allow_nan=True)


def parse_entry(name: str, text: str) -> tuple[str, str] | None:
    """(change, reason) of a spec entry: change is `FROM -> TO` or an action; None when malformed."""
    text = text.strip()
    if is_address(name):
        match = _ACTION.fullmatch(text)
        return (match["action"], match["reason"].strip()) if match else None
    match = _CHANGE.fullmatch(text)
    return (f"{match['old'].strip()} -> {match['new'].strip()}", match["reason"].strip()) if match else None


@dataclass(frozen=True)
class Ack:
    """One acknowledgement: the environment, the key or address, the change it approves (None: any) and why."""

    env: str
    name: str
    change: str | None
    reason: str
    source: str  # "spec" or "--acknowledge"

    def matches(self, name: str, change: str) -> bool:
        return self.name == name and (self.change is None or _same(self.change, change))

    def label(self) -> str:
        what = f"{self.name}: {self.change}" if self.change else self.name
        if self.source == "spec":
            return f"environment.acknowledged_changes.{what}"
        return f"--acknowledge {self.env}:{self.name}" + (f"={self.change.replace(' ', '')}" if self.change else "")


def _same(approved: str, actual: str) -> bool:
    return approved.replace(" ", "") == actual.replace(" ", "")


def change_text(old: Any, new: Any) -> str:
    return f"{shown(old)} -> {shown(new)}"


@dataclass(frozen=True)
class Acknowledgements:
    """The command line's acknowledgements; the spec's are read per environment. `used` records every
    acknowledgement that matched a change, so the ones that match nothing can be reported."""

    cli: tuple[Ack, ...] = ()
    used: set[Ack] = field(default_factory=set, compare=False, hash=False)

    @staticmethod
    def parse(values: Iterable[str]) -> Acknowledgements:
        """`ENV:KEY`, `ENV:KEY=FROM->TO` or `ENV:ADDRESS=ACTION` values; a malformed one is an input error."""
        acks, problems = [], []
        for value in values:
            env, sep, rest = value.partition(":")
            name, eq, change = rest.partition("=")
            if eq and (change not in ACTIONS if is_address(name) else "->" not in change):
                sep = ""  # a change that is neither an action nor FROM->TO
            if not sep or not env or not name:
                problems.append(Problem(None, "--acknowledge", f"{value!r} is not ENV:KEY, ENV:KEY=FROM->TO or "
                                        "ENV:ADDRESS=destroy (for example prod:database.allocated_storage_gb=100->50,"
                                        " or qa:environment for a deleted spec)"))
                continue
            approved = change.replace("->", " -> ") if eq and not is_address(name) else (change or None)
            acks.append(Ack(env, name, approved, "--acknowledge", "--acknowledge"))
        if problems:
            raise SpecError(problems)
        return Acknowledgements(tuple(acks))

    def for_env(self, env: str, doc: dict[str, Any] | None) -> list[Ack]:
        """Every acknowledgement of ENV: its spec's (well-formed ones) and the command line's."""
        found = []
        entries = (doc or {}).get("environment", {}).get("acknowledged_changes", {})
        for name, text in sorted(entries.items()):
            parsed = parse_entry(name, text)
            if parsed is not None:
                found.append(Ack(env, name, parsed[0], parsed[1], "spec"))
        return found + [a for a in self.cli if a.env == env]

    def reason(self, env: str, doc: dict[str, Any] | None, names: Iterable[str], *changes: str) -> str | None:
        """Why the change is intended (the first acknowledgement naming one of `names` with one of the ways to
        write this change, which is then used), or None when nobody approved it."""
        for ack in self.for_env(env, doc):
            if any(ack.matches(name, change) for name in names for change in changes):
                self.used.add(ack)
                return ack.reason
        return None

    def unused(self, env: str, doc: dict[str, Any] | None) -> list[Ack]:
        return [a for a in self.for_env(env, doc) if a not in self.used]
