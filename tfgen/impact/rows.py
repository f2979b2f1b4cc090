"""The rows of the spec-key table (`tfgen.impact.resources`): a resource, the spec-fed arguments that shape it,
and one predicted change. Kept apart so the table's module holds only the table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    role: str = ""  # data | traffic | "" (tfgen.impact.provider)
    moved_from: str = ""
