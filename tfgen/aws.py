"""Facts about AWS that specs are checked against and templates rely on. No network access, ever."""

from __future__ import annotations

import re

REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
)

INSTANCE_TYPE_RE = re.compile(r"^(?P<family>[a-z]+(?P<gen>\d+)(?P<suffix>[a-z]*)(?:-flex)?)\.(?P<size>[a-z0-9]+)$")
GPU_FAMILY_RE = re.compile(r"^(?:g|p|inf|trn|dl)\d")


def instance_family(instance_type: str) -> str | None:
    match = INSTANCE_TYPE_RE.match(instance_type)
    return match.group("family") if match else None


def instance_architecture(instance_type: str) -> str:
    """Graviton families carry a 'g' after the generation digit (t4g, m7gd, c7gn, g5g): arm64; else x86_64."""
    match = INSTANCE_TYPE_RE.match(instance_type)
    if match and "g" in match.group("suffix"):
        return "arm64"
    return "x86_64"


def is_gpu_family(instance_type: str) -> bool:
    family = instance_family(instance_type)
    return bool(family and GPU_FAMILY_RE.match(family))


def az_in_region(az: str, region: str) -> bool:
    """An AZ name is its region plus one letter (us-east-1a); local zones are not used here."""
    return az[:-1] == region and az[-1:].isalpha() and az[-1:].islower()


def mysql_family(engine_version: str) -> str:
    """Parameter-group family for a MySQL engine version: 8.0.40 -> mysql8.0, 8.4 -> mysql8.4."""
    major_minor = ".".join(engine_version.split(".")[:2])
    return f"mysql{major_minor}"


ELB_ACCOUNT_NOTE = "ALB access logs use the logdelivery.elasticloadbalancing.amazonaws.com service principal"
