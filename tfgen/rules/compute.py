"""Compute rules: instance types, AMI and GPU consistency, spot, volumes, service references."""

from __future__ import annotations

import math
import posixpath
from typing import TYPE_CHECKING

from tfgen import aws
from tfgen.rules.registry import Check, report_duplicates, rule

if TYPE_CHECKING:
    from tfgen.model.views import Spec

RESERVED_SERVICE_NAMES = {"alb": "the load balancer's security group", "rds": "the database's security group"}
SYSTEM_MOUNT_PATHS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
                      "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")
DLAMI = "deep-learning-base-ubuntu22"


@rule
def instance_types(spec: Spec, check: Check) -> None:
    """Instance types are `family.size`; GPU services run on GPU families and GPU families are marked gpu."""
    for name, svc in spec.services.items():
        path = ("services", name, "instance_type")
        itype = svc.instance_type
        problem = aws.instance_type_problem(itype)
        if problem:
            check.report(path, f"{itype!r} {problem}")
            continue
        gpu_family = aws.is_gpu_family(itype)
        if svc.gpu and not gpu_family:
            check.report(path, f"{itype!r} has no GPU but services.{name}.gpu is true; use a GPU family "
                               "(g*, p*, inf*, trn*) such as g5.xlarge")
        elif gpu_family and not svc.gpu:
            check.report(path, f"{itype!r} is a GPU instance but services.{name}.gpu is false; set gpu: true, "
                               "or pick a non-GPU family (GPU instances cost several times more)")


@rule
def ami_matches_instance(spec: Spec, check: Check) -> None:
    """The AMI family fits the instance: the NVIDIA Deep Learning AMI only on NVIDIA GPUs, which need it."""
    for name, svc in spec.services.items():
        itype = svc.instance_type
        if aws.instance_type_problem(itype):
            continue
        arch = aws.instance_architecture(itype)
        if svc.ami == DLAMI and not aws.is_nvidia_gpu_family(itype):
            check.report(("services", name, "ami"),
                         f"the Deep Learning Base AMI (NVIDIA driver) does not support {itype} ({arch}); use "
                         "ami: al2023, or an NVIDIA GPU family such as g5.xlarge (x86_64) or g5g.xlarge (arm64)")
        elif svc.ami == "al2023" and svc.gpu and aws.is_nvidia_gpu_family(itype):
            check.report(("services", name, "ami"),
                         f"al2023 has no NVIDIA driver for the GPU of {itype}; use ami: {DLAMI}")


@rule
def spot_only_where_interruptible(spec: Spec, check: Check) -> None:
    """Spot only on interruptible (stateless) services; a max price only with spot, and positive."""
    for name, svc in spec.services.items():
        if svc.market == "spot" and not svc.interruptible:
            check.report(("services", name, "market"),
                         f"spot instances can be reclaimed at any time; set services.{name}.interruptible: true "
                         "if the service is stateless, or use market: on-demand")
        price = svc.spot_max_price
        if price is None:
            continue
        path = ("services", name, "spot_max_price")
        if svc.market != "spot":
            check.report(path, "is only used with market: spot; remove it")
        elif not _positive_number(price):
            check.report(path, f"{price!r} is not a positive price in USD/hour; remove it to pay the current "
                               "spot price (recommended), or set a price above zero")


@rule
def no_spot_with_data_volume(spec: Spec, check: Check) -> None:
    """EC2 cannot stop a spot instance: replacing it would detach a mounted data volume from a running system."""
    for name, svc in spec.services.items():
        if svc.market == "spot" and svc.data_volume is not None:
            check.report(("services", name, "market"),
                         "a spot instance cannot be stopped, so replacing it would detach its mounted data volume "
                         "while it runs (the detach can hang and the filesystem is not cleanly unmounted); use "
                         "market: on-demand, or remove the data_volume and run the service in an Auto Scaling "
                         "group")


def _positive_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


@rule
def volumes(spec: Spec, check: Check) -> None:
    """EBS gp3 sizes 1-16384 GiB; data volumes mount on their own directory, not a system one."""
    for name, svc in spec.services.items():
        root = svc.root_volume_gb
        if not aws.GP3_MIN_GB <= root <= aws.GP3_MAX_GB:
            check.report(("services", name, "root_volume_gb"),
                         f"{root} GiB is outside the gp3 range {aws.GP3_MIN_GB}-{aws.GP3_MAX_GB} GiB")
        volume = svc.data_volume
        if volume is None:
            continue
        size = volume.size_gb
        if not aws.GP3_MIN_GB <= size <= aws.GP3_MAX_GB:
            check.report(("services", name, "data_volume", "size_gb"),
                         f"{size} GiB is outside the gp3 range {aws.GP3_MIN_GB}-{aws.GP3_MAX_GB} GiB")
        _check_mount_path(check, name, volume.mount_path)


def _check_mount_path(check: Check, name: str, mount: str) -> None:
    """Compare the normalised path: `/./etc`, `/etc/.` and `//etc/` are all /etc to mount(8)."""
    path = ("services", name, "data_volume", "mount_path")
    normalized = "/" + posixpath.normpath(mount).lstrip("/")
    if ".." in mount.split("/") or normalized in SYSTEM_MOUNT_PATHS:
        check.report(path, f"{mount!r} would hide a system directory; mount the volume on its own directory such "
                           f"as /opt/{name}-data or /var/lib/{name}")
    elif normalized != mount:
        check.report(path, f"{mount!r} is not a normalised path (no '.', empty or trailing components); write "
                           f"{normalized!r}")


@rule
def systemd_lines(spec: Spec, check: Check) -> None:
    """A unit line ending in a backslash continues on the next line: description/exec_start must not."""
    for name, svc in spec.services.items():
        for key, text in (("description", svc.description), ("exec_start", svc.exec_start)):
            if text.endswith("\\"):
                check.report(("services", name, key),
                             "ends with a backslash, which makes systemd join the next line of the unit to this "
                             "one; remove the trailing backslash")


@rule
def service_names_and_lists(spec: Spec, check: Check) -> None:
    """Service names do not clash with built-in groups; set-like lists have no repeats."""
    for name, svc in spec.services.items():
        if name in RESERVED_SERVICE_NAMES:
            check.report(("services", name), f"the service name {name!r} is reserved for "
                                             f"{RESERVED_SERVICE_NAMES[name]}; rename the service")
        for key, items, what in (("ingress_from", svc.ingress_from, "source"),
                                 ("permissions", svc.permissions, "permission"),
                                 ("packages", svc.packages, "package"), ("pip_packages", svc.pip_packages, "package")):
            report_duplicates(check, items, ("services", name, key), what)
    report_duplicates(check, spec.database.ingress_from, ("database", "ingress_from"), "service")


@rule
def references_exist(spec: Spec, check: Check) -> None:
    """ingress_from, database.ingress_from and loadbalancer.target_service name real services."""
    names = set(spec.services)
    listing = ", ".join(sorted(names)) or "none defined"
    for name, svc in spec.services.items():
        for i, source in enumerate(svc.ingress_from):
            if source != "alb" and source not in names:
                check.report(("services", name, "ingress_from", i),
                             f"{source!r} is neither 'alb' nor a service ({listing})")
            if source == name:
                check.report(("services", name, "ingress_from", i), "a service cannot list itself")
    for i, source in enumerate(spec.database.ingress_from):
        if source not in names:
            check.report(("database", "ingress_from", i), f"{source!r} is not a service ({listing})")
    target = spec.loadbalancer.target_service
    if target not in names:
        check.report(("loadbalancer", "target_service"), f"{target!r} is not a service ({listing})")
    elif "alb" not in spec.services[target].ingress_from:
        check.report(("services", target, "ingress_from"),
                     f"{target!r} is the load balancer's target but does not accept traffic from it; add 'alb' "
                     "to its ingress_from")


# ---------------------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------------------

