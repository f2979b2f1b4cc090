#!/usr/bin/env python3
"""Refuse a saved plan that would write new generated values into an existing application secret.

    terraform show -json tfplan | secret_guard.py [--env dev]

The storage module's precondition catches a secret that holds values Terraform did not write. It cannot see a
plan that creates or replaces the version Terraform wrote while that version still carries its label: a
`-replace` or a taint of `aws_secretsmanager_secret_version.app`, a changed `secret_string_wo_version`, or a
state that lost the version. Each of those writes new values for every key (the encryption key and a real LLM
API key included). `make plan` and `make apply` run this check; a plan that creates the secret itself (a new
environment) passes, and so does `TFGEN_ALLOW_SECRET_REGENERATION=1` for a deliberate regeneration.

Standard library only. Exit status: 0 allowed, 1 refused, 2 unreadable plan.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

VERSION = "aws_secretsmanager_secret_version.app"
SECRET = "aws_secretsmanager_secret.app"
OVERRIDE = "TFGEN_ALLOW_SECRET_REGENERATION"


def _module_of(address: str, resource: str) -> str | None:
    """The module path of *address* when it is *resource* (for example `module.storage`), else None."""
    if address == resource:
        return ""
    suffix = "." + resource
    return address[: -len(suffix)] if address.endswith(suffix) else None


def regenerations(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(address, "created" | "replaced") of each application-secret version the plan writes into a secret that
    already exists (the secret is not created by the same plan)."""
    created_secrets, writes = set(), []
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        address = change.get("address", "")
        secret_module, version_module = _module_of(address, SECRET), _module_of(address, VERSION)
        if secret_module is not None and actions == ["create"]:
            created_secrets.add(secret_module)
        if version_module is not None and "create" in actions:
            writes.append((address, version_module, "replaced" if "delete" in actions else "created"))
    return [(address, action) for address, module, action in writes if module not in created_secrets]


def read_plan(raw: bytes) -> dict[str, Any]:
    """The plan document, or ValueError saying in one line why it is not one (fail closed: exit 2)."""
    try:
        plan = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply to be a plan") from None
    if not isinstance(plan, dict):
        raise ValueError(f"a JSON {type(plan).__name__} where terraform writes an object")
    changes = plan.get("resource_changes", [])
    if not isinstance(changes, list) or not all(
            isinstance(c, dict) and isinstance(c.get("address", ""), str) and isinstance(c.get("change", {}), dict)
            and isinstance(c.get("change", {}).get("actions", []), list) for c in changes):
        raise ValueError("resource_changes is not a list of {address, change: {actions: [...]}} objects")
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="", help="environment name, for the message")
    args = parser.parse_args(argv)
    try:
        plan = read_plan(sys.stdin.buffer.read())
    except ValueError as exc:
        print(f"secret_guard: the plan is unreadable: {exc}; run: terraform show -json tfplan", file=sys.stderr)
        return 2
    found = regenerations(plan)
    if not found:
        return 0
    where = f" of {args.env}" if args.env else ""
    lines = [f"secret_guard: this plan{where} writes new generated values into the existing application secret:"]
    lines += [f"  {address} would be {action}" for address, action in found]
    lines += [
        "Every key would get a new value (encryption_key and a real LLM API key included); that is never what",
        "an apply should do by accident. Rotate one key with `make rotate-secret ENV=<env> KEY=<key>` instead.",
        "If Terraform lost the version from its state, restore the state object's previous version from the",
        "versioned state bucket. To regenerate every key on purpose: " + OVERRIDE + "=1 make plan ...",
    ]
    if os.environ.get(OVERRIDE) == "1":
        print("\n".join(lines[:len(found) + 1]) + f"\n{OVERRIDE}=1: allowed on purpose", file=sys.stderr)
        return 0
    print("\n".join(lines), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
