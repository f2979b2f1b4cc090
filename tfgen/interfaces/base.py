"""What a module interface is made of: variables (with validations), outputs, and the helpers that declare them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

MODULE_ORDER = ("networking", "security", "storage", "database", "compute", "loadbalancer", "route53", "backup")


@dataclass(frozen=True)
class Validation:
    """One `validation` block; `condition` refers to the variable as `var.<name>`."""

    condition: str
    message: str


@dataclass(frozen=True)
class ModuleVar:
    """One module input.

    `wire` is the HCL expression the environment root passes (e.g. `module.networking.vpc_id`); when it is
    None the root declares a variable of the same name whose default is `value` (from the spec).
    """

    name: str
    type: str
    description: str
    value: Any = None
    wire: str | None = None
    sensitive: bool = False
    nullable: bool = False
    validations: tuple[Validation, ...] = ()
    default_hcl: str | None = None  # the module's own default (an HCL literal), for inputs a caller may omit

    def renamed(self, name: str) -> ModuleVar:
        """The same declaration under another name (validation conditions follow the name)."""
        checks = tuple(Validation(c.condition.replace(f"var.{self.name}", f"var.{name}"), c.message)
                       for c in self.validations)
        return replace(self, name=name, wire=None, validations=checks)


@dataclass(frozen=True)
class ModuleOutput:
    """One module output; `export` re-exports it from the environment root under `export_name`."""

    name: str
    description: str
    value: str
    sensitive: bool = False
    export: bool = False
    export_name: str | None = None
    # Resources the output waits for (output `depends_on`): consumers of the value then wait for them too.
    depends_on: tuple[str, ...] = ()
    section: str = ""  # banner in outputs.tf: the start of the matching banner in the module's main.tf


@dataclass(frozen=True)
class ModuleInterface:
    """Everything the generic templates need to declare, document and wire one module."""

    name: str
    title: str
    description: str
    variables: tuple[ModuleVar, ...]
    outputs: tuple[ModuleOutput, ...]
    count: str | None = None  # HCL condition for an optional module, e.g. "var.create_hosted_zone"
    providers: dict[str, str] = field(default_factory=dict)  # module provider alias -> root provider

    @property
    def root_variables(self) -> tuple[ModuleVar, ...]:
        return tuple(v for v in self.variables if v.wire is None)


def var(name: str, type_: str, description: str, value: Any = None, *checks: Validation, **kw: Any) -> ModuleVar:
    return ModuleVar(name, type_, description, value, validations=checks, **kw)


def wired(name: str, type_: str, description: str, expression: str, *checks: Validation, **kw: Any) -> ModuleVar:
    return ModuleVar(name, type_, description, None, wire=expression, validations=checks, **kw)


def out(name: str, description: str, value: str, **kw: Any) -> ModuleOutput:
    return ModuleOutput(name, description, value, **kw)


def section(title: str, *outputs: ModuleOutput) -> tuple[ModuleOutput, ...]:
    """Outputs under one outputs.tf banner (same title and order as main.tf's banners)."""
    return tuple(replace(o, section=title) for o in outputs)
