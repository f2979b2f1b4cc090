"""Terraform-native `validation` blocks, written once and shared by module and root inputs.

tfgen checks the specs before rendering (tfgen.rules), but a `terraform.tfvars` override never passes
through tfgen: these blocks make `terraform plan` refuse such a value with a clear message instead of
silently misbehaving. Conditions name the variable as `var.<name>`; `ModuleVar.renamed` rewrites them when a
root variable feeds a module input under another name.
"""

from __future__ import annotations

from tfgen.interfaces.base import Validation
from tfgen.model.definition import LOG_RETENTION_DAYS

V = Validation

NAME_PREFIX = V('can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))',
                "name_prefix must be 3-42 lowercase letters, digits and hyphens.")
REGION = V('can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))',
           "aws_region must be a region name such as us-east-1.")
RETENTION = V("contains([\n  " + ", ".join(str(d) for d in LOG_RETENTION_DAYS) + ",\n], var.log_retention_days)",
              "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...).")
MARKET_VALUES = '["on-demand", "spot"]'
AMI_VALUES = '["al2023", "deep-learning-base-ubuntu22"]'
PERMISSION_VALUES = '["uploads-rw", "app-secrets-read", "db-connect", "db-secret-read"]'
# Every permission of a service `s` is one tfgen knows (one part a line: the list is long).
PERMISSIONS_KNOWN = f"alltrue([\n  for p in s.permissions :\n  contains({PERMISSION_VALUES}, p)\n])"
INSTANCE_TYPE_RE = "^[a-z]+[0-9]+[a-z]*(-[a-z0-9]+)?\\\\.[a-z0-9-]+$"
SERVICE_NAME_RE = "^[a-z][a-z0-9_]{0,19}$"
AZ_RE = "^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$"
SPOT_PRICE_RE = "^[0-9]+(\\\\.[0-9]+)?$"


ONE_LINE = 96  # a condition this long still fits 120 columns after `    condition     = `


def every(binding: str, collection: str, condition: str, message: str) -> Validation:
    """`condition` holds for each `binding` of `collection` (one line when short, else one part a line)."""
    short = f"alltrue([for {binding} in {collection} : {condition}])"
    if len(short) <= ONE_LINE:
        return V(short, message)
    return V(f"alltrue([\n  for {binding} in {collection} :\n  {condition}\n])", message)


def cidr(name: str) -> Validation:
    return V(f"can(cidrhost(var.{name}, 0))", f"{name} must be an IPv4 CIDR block such as 10.0.0.0/16.")


def cidrs(name: str) -> Validation:
    return every("block", f"var.{name}", "can(cidrhost(block, 0))",
                 f"Every entry of {name} must be an IPv4 CIDR block such as 10.0.1.0/24.")


def one_of(name: str, values: list[str] | tuple[str, ...]) -> Validation:
    listed = ", ".join(f'"{v}"' for v in values)
    return V(f"contains([{listed}], var.{name})", f"{name} must be one of {', '.join(values)}.")


def between(name: str, low: int, high: int, what: str = "") -> Validation:
    return V(f"var.{name} >= {low} && var.{name} <= {high}", f"{name} must be from {low} to {high}{what}.")


def unless_null(name: str, condition: str, message: str) -> Validation:
    """`condition` holds unless the variable is null (Terraform's || does not short-circuit)."""
    short = f"var.{name} == null ? true : {condition}"
    if len(short) <= ONE_LINE:
        return V(short, message)
    return V(f"(\n  var.{name} == null ? true :\n  {condition}\n)", message)


def optional_between(name: str, low: int, high: int) -> Validation:
    return unless_null(name, f"var.{name} >= {low} && var.{name} <= {high}",
                       f"{name} must be null or from {low} to {high}.")


def matches(name: str, pattern: str, message: str) -> Validation:
    return V(f'can(regex("{pattern}", var.{name}))', message)


def each_matches(name: str, pattern: str, message: str) -> Validation:
    return every("item", f"var.{name}", f'can(regex("{pattern}", item))', message)


def instance_type(name: str) -> Validation:
    return matches(name, INSTANCE_TYPE_RE, f"{name} must be an EC2 instance type such as t4g.micro.")


def market(name: str) -> Validation:
    return V(f"contains({MARKET_VALUES}, var.{name})",
             f'{name} must be "on-demand" or "spot" (lowercase).')


def spot_price(name: str) -> Validation:
    return unless_null(name, f'can(regex("{SPOT_PRICE_RE}", var.{name}))',
                       f'{name} must be null or a price in USD per hour such as "0.0084".')


def alarm_actions(name: str = "alarm_actions") -> Validation:
    return every("arn", f"var.{name}", 'startswith(arn, "arn:")',
                 f"Every entry of {name} must be an ARN (an SNS topic, for example).")
