"""Facts about AWS that specs are checked against and templates rely on. No network access, ever.

Every number here is an AWS limit that `terraform validate` and `plan` do not check, so breaking it would
only fail at apply time (see README.md (Validation rules) for the rules that use them).
"""

from __future__ import annotations

import difflib
import re

REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
)

# Every pattern is ASCII-only (re.ASCII: \d is 0-9, not any Unicode digit) and anchored with \Z, never $
# (which also matches before a trailing newline): AWS names are ASCII, and "t3.micro\n" is not t3.micro.
INSTANCE_TYPE_RE = re.compile(
    r"^(?P<family>[a-z]+(?P<gen>\d+)(?P<suffix>[a-z]*)(?:-[a-z0-9]+)?)\.(?P<size>[a-z0-9-]+)\Z", re.ASCII
)
INSTANCE_SIZE_RE = re.compile(r"^(?:nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(?:-\d+xl)?)\Z",
                              re.ASCII)
GPU_FAMILY_RE = re.compile(r"^(?:g|p|inf|trn|dl)\d", re.ASCII)
NVIDIA_GPU_FAMILY_RE = re.compile(r"^(?:g|gr|p)\d", re.ASCII)
NON_NVIDIA_GPU_FAMILIES = ("g4ad",)  # AMD Radeon: the NVIDIA-driver AMI does not support it
INSTANCE_SIZES_HELP = "nano, micro, small, medium, large, xlarge, <n>xlarge or metal"

# EBS gp3 volume size (GiB).
GP3_MIN_GB, GP3_MAX_GB = 1, 16384

# RDS for MySQL on gp3.
RDS_MYSQL_MAJORS = ("8.0", "8.4")
MYSQL_VERSION_RE = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?\Z", re.ASCII)
RDS_GP3_MIN_GB, RDS_GP3_MAX_GB = 20, 65536
RDS_GP3_IOPS_THRESHOLD_GB = 400  # below: fixed 3000 IOPS / 125 MiB/s, explicit values are rejected
RDS_GP3_IOPS_RANGE = (12000, 64000)
RDS_GP3_THROUGHPUT_RANGE = (500, 4000)
RDS_AUTOSCALING_MIN_HEADROOM = 1.10  # max_allocated_storage must be >= 10% above allocated_storage
RDS_BACKUP_RETENTION_MAX = 35
RDS_WINDOW_MIN_MINUTES = 30
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Name limits.
S3_BUCKET_PREFIX_MAX = 37  # 63-character bucket names minus Terraform's 26-character unique suffix
LB_NAME_PREFIX_MAX = 6  # aws_lb / aws_lb_target_group name_prefix
IAM_ROLE_NAME_PREFIX_MAX = 38  # 64-character role names minus Terraform's 26-character unique suffix
RDS_IDENTIFIER_MAX = 63
ACM_DOMAIN_MAX = 64  # the certificate's first domain name becomes its CN: 64 characters at most
DNS_NAME_MAX = 253
DNS_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")

# Tags.
TAG_VALUE_MAX = 256
# AWS tag values: Unicode letters and digits, spaces and _ . : / = + - @. "Spaces" is the space character
# only: AWS's \p{Z} would admit U+2028/U+2029, which end a line in a generated comment or document.
TAG_CHARS_RE = re.compile(r"[\w .:/=+\-@]*")
MAX_TAGS_PER_RESOURCE = 50

# Secrets Manager recovery window: 0 (delete at once) or 7-30 days.
SECRET_RECOVERY_WINDOW = (7, 30)
S3_STANDARD_IA_MIN_DAYS = 30


def suggest_region(name: str) -> str | None:
    close = difflib.get_close_matches(name, REGIONS, n=1, cutoff=0.6)
    return close[0] if close else None


def instance_family(instance_type: str) -> str | None:
    match = INSTANCE_TYPE_RE.match(instance_type)
    return match.group("family") if match else None


def instance_type_problem(instance_type: str) -> str | None:
    """Why a string is not an EC2 instance type (`family.size`), or None when it is well-formed."""
    if instance_type.startswith("db."):
        return "is an RDS instance class; EC2 instance types have no 'db.' prefix (for example t4g.micro)"
    match = INSTANCE_TYPE_RE.match(instance_type)
    if not match:
        return "is not an EC2 instance type: expected <family>.<size> such as t4g.micro or g5.xlarge"
    if not INSTANCE_SIZE_RE.match(match.group("size")):
        return f"has no size {match.group('size')!r}: sizes are {INSTANCE_SIZES_HELP}"
    return None


def instance_architecture(instance_type: str) -> str:
    """Graviton families carry a 'g' after the generation digit (t4g, m7gd, c7gn, g5g): arm64; else x86_64."""
    match = INSTANCE_TYPE_RE.match(instance_type)
    if match and "g" in match.group("suffix"):
        return "arm64"
    return "x86_64"


def is_gpu_family(instance_type: str) -> bool:
    family = instance_family(instance_type)
    return bool(family and GPU_FAMILY_RE.match(family))


def is_nvidia_gpu_family(instance_type: str) -> bool:
    family = instance_family(instance_type)
    return bool(family and NVIDIA_GPU_FAMILY_RE.match(family) and family not in NON_NVIDIA_GPU_FAMILIES)


def az_in_region(az: str, region: str) -> bool:
    """An AZ name is its region plus one letter (us-east-1a); local zones are not used here."""
    return az[:-1] == region and len(az) == len(region) + 1 and az[-1] in "abcdefghijklmnopqrstuvwxyz"


def mysql_family(engine_version: str) -> str:
    """Parameter-group family for a MySQL engine version: 8.0.40 -> mysql8.0, 8.4 -> mysql8.4."""
    major_minor = ".".join(engine_version.split(".")[:2])
    return f"mysql{major_minor}"


ELB_ACCOUNT_NOTE = "ALB access logs use the logdelivery.elasticloadbalancing.amazonaws.com service principal"
