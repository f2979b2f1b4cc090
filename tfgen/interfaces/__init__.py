"""Module interfaces as data: one definition feeds a module's variables.tf, outputs.tf and README tables,
and the environment root's variables, module wiring and outputs.

Each module file (`networking.py`, ...) exposes `interface(env) -> ModuleInterface`. Declarations (name,
type, description, validation, outputs) are constants: they never depend on a spec, so `modules/` is the
same whatever the specs say (design invariant 2). Only the per-environment *values* (`ModuleVar.value`, a
root variable's default) and the root's *wiring* expressions come from the environment.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tfgen.interfaces.base import MODULE_ORDER, ModuleInterface, ModuleOutput, ModuleVar


def load_interfaces(env: dict[str, Any]) -> list[ModuleInterface]:
    """Interfaces of every module, in composition order."""
    return [import_module(f"tfgen.interfaces.{name}").interface(env) for name in MODULE_ORDER]


def root_variables(interfaces: list[ModuleInterface], env: dict[str, Any]) -> list[ModuleVar]:
    """Variables the environment root declares: its own (region, DNS, network lists, per-service settings),
    then each module's spec-fed inputs once (modules sharing an input name must agree on its value)."""
    found: dict[str, ModuleVar] = {v.name: v for v in env["root_variables"]}
    for iface in interfaces:
        for v in iface.root_variables:
            previous = found.setdefault(v.name, v)
            if previous.value != v.value or previous.type != v.type:
                raise ValueError(f"modules disagree on root variable {v.name!r}")
    return list(found.values())


def exported_outputs(interfaces: list[ModuleInterface]) -> list[tuple[ModuleInterface, ModuleOutput]]:
    return [(iface, o) for iface in interfaces for o in iface.outputs if o.export]
