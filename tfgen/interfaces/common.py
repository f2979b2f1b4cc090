"""Inputs every module takes."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleVar, var


def common_vars(env: dict[str, Any]) -> list[ModuleVar]:
    """Inputs every module takes: the naming prefix and tags."""
    return [
        var("name_prefix", "string", "Prefix for resource names: <project>-<environment>.", env["name_prefix"],
            checks.NAME_PREFIX),
        var("tags", "map(string)", "Tags merged into every taggable resource (besides provider default_tags).",
            env["resource_tags"]),
    ]
