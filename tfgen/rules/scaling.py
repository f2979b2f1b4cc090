"""Auto Scaling rules: which services may run in a group, and sizes a group can take."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfgen import aws
from tfgen.rules.registry import Check, report_duplicates, rule

if TYPE_CHECKING:
    from tfgen.model.views import Spec


@rule
def groups_hold_no_data(spec: Spec, check: Check) -> None:
    """A data volume attaches to one instance in one zone: a service with one cannot run in a group."""
    for name, svc in spec.services.items():
        if svc.auto_scaling.enabled and svc.data_volume is not None:
            check.report(("services", name, "auto_scaling", "enabled"),
                         "a service with a data_volume runs as a single instance (the volume attaches to one "
                         "instance in one zone); remove the data_volume or set auto_scaling.enabled: false")


@rule
def group_sizes(spec: Spec, check: Check) -> None:
    """min_size <= desired_capacity <= max_size, and the on-demand base fits in the group."""
    for name, svc in spec.services.items():
        if not svc.uses_auto_scaling:
            continue
        group = svc.auto_scaling
        path = ("services", name, "auto_scaling")
        if group.min_size > group.max_size:
            check.report((*path, "min_size"), f"{group.min_size} is above max_size {group.max_size}")
        if not group.min_size <= group.desired_capacity <= group.max_size:
            check.report((*path, "desired_capacity"), f"{group.desired_capacity} is not between min_size "
                                                      f"{group.min_size} and max_size {group.max_size}")
        if group.on_demand_base_capacity > group.max_size:
            check.report((*path, "on_demand_base_capacity"),
                         f"{group.on_demand_base_capacity} is above max_size {group.max_size}")


@rule
def group_instance_types(spec: Spec, check: Check) -> None:
    """Extra instance types share the launch template's AMI, so they must share the architecture and GPU."""
    for name, svc in spec.services.items():
        extra = svc.auto_scaling.extra_instance_types
        path = ("services", name, "auto_scaling", "extra_instance_types")
        report_duplicates(check, extra, path, "instance type")
        main = svc.instance_type
        if aws.instance_type_problem(main):
            continue
        for index, itype in enumerate(extra):
            problem = aws.instance_type_problem(itype)
            if problem:
                check.report((*path, index), f"{itype!r} {problem}")
            elif aws.instance_architecture(itype) != aws.instance_architecture(main):
                check.report((*path, index), f"{itype!r} is {aws.instance_architecture(itype)} but {main!r} is "
                                             f"{aws.instance_architecture(main)}: one launch template has one AMI")
            elif aws.is_gpu_family(itype) != aws.is_gpu_family(main):
                check.report((*path, index), f"{itype!r} and {main!r} differ in having a GPU")
