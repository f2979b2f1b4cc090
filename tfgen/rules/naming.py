"""Names, tags, DNS, storage settings and the state backend: everything AWS limits by length or syntax."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tfgen import aws
from tfgen.names import state_bucket
from tfgen.rules.registry import Check, report_duplicates, rule
from tfgen.spec import Path_

if TYPE_CHECKING:
    from tfgen.model.views import Dns, Spec


def _name_budgets(spec: Spec) -> list[tuple[str, str, int]]:
    """(what, suffix after the name prefix, limit) for every length-limited name built from it."""
    budgets = [("S3 bucket_prefix of the uploads bucket", "-uploads-", aws.S3_BUCKET_PREFIX_MAX)]
    if spec.loadbalancer.access_logs:
        budgets.append(("S3 bucket_prefix of the ALB access-log bucket", "-alb-logs-", aws.S3_BUCKET_PREFIX_MAX))
    if spec.network.flow_logs:
        budgets.append(("IAM role name_prefix of VPC flow logs", "-flowlogs-", aws.IAM_ROLE_NAME_PREFIX_MAX))
    budgets.append(("RDS identifier", "-mysql", aws.RDS_IDENTIFIER_MAX))
    return budgets


@rule
def names_fit_aws_limits(spec: Spec, check: Check) -> None:
    """<project.name>-<env> works in every resource name: S3 <= 37, IAM role prefixes <= 38, RDS rules."""
    env, project = check.spec.env, spec.project.name
    prefix = f"{project}-{env}"
    if env.endswith("-") or "--" in env:
        check.report_env_file(f"environment name {env!r} ends with a hyphen or has two in a row; RDS identifiers "
                              "and S3 bucket names do not allow that: rename the spec file")
    if "--" in project:
        check.report(("project", "name"), f"{project!r} has two hyphens in a row, which RDS identifiers do not "
                                          "allow")
    for reserved, what in (("sg-", "security group names"),) + tuple((p, "S3 bucket names")
                                                                      for p in aws.S3_RESERVED_PREFIXES):
        if project.startswith(reserved):
            check.report(("project", "name"), f"{project!r} starts with {reserved!r}, which AWS reserves in {what}")
    too_long = [f"{what} {prefix + suffix!r} would be {len(prefix + suffix)} characters (limit {limit})"
                for what, suffix, limit in _name_budgets(spec) if len(prefix + suffix) > limit]
    if too_long:
        excess = max(len(prefix + suffix) - limit for _, suffix, limit in _name_budgets(spec))
        check.report(("project", "name"),
                     f"the name prefix {prefix!r} ({len(prefix)} characters) is too long: {'; '.join(too_long)}; "
                     f"shorten project.name or the environment name {env!r} by {excess} character(s) together")
    for name in spec.services:
        role = f"{prefix}-{name}-"
        if len(role) > aws.IAM_ROLE_NAME_PREFIX_MAX:
            check.report(("services", name),
                         f"the IAM role name_prefix {role!r} would be {len(role)} characters (limit "
                         f"{aws.IAM_ROLE_NAME_PREFIX_MAX}, so role names stay within 64); shorten the service name, "
                         f"project.name or the environment name by {len(role) - aws.IAM_ROLE_NAME_PREFIX_MAX} "
                         "character(s) together")


RESERVED_TAGS = ("Project", "Environment", "ManagedBy", "GeneratedBy", "Name")


@rule
def tags_valid(spec: Spec, check: Check) -> None:
    """Tags use AWS's tag characters, stay within 256 characters and 50 per resource, and leave tfgen's alone."""
    tags = spec.tags
    for key, value in tags.items():
        path = ("tags", key)
        if key.lower().startswith("aws:"):
            check.report(path, "tag keys starting with 'aws:' are reserved by AWS")
        elif key in RESERVED_TAGS:
            check.report(path, f"tfgen sets the {key} tag itself; remove it from tags")
        _check_tag_value(check, path, value)
    _check_tag_value(check, ("project", "display_name"), spec.project.display_name)
    limit = aws.MAX_TAGS_PER_RESOURCE - len(RESERVED_TAGS)
    if len(tags) > limit:
        check.report(("tags",), f"{len(tags)} tags; AWS allows {aws.MAX_TAGS_PER_RESOURCE} per resource and tfgen "
                                f"sets {len(RESERVED_TAGS)}, so at most {limit}")


def _check_tag_value(check: Check, path: Path_, value: str) -> None:
    if len(value) > aws.TAG_VALUE_MAX:
        check.report(path, f"is {len(value)} characters; tag values are limited to {aws.TAG_VALUE_MAX}")
    if not aws.TAG_CHARS_RE.fullmatch(value):
        check.report(path, "becomes a tag value, which may only hold letters, digits, spaces and _ . : / = + - @")


# ---------------------------------------------------------------------------------------------------------
# DNS, storage, state
# ---------------------------------------------------------------------------------------------------------

def dns_name_problem(name: str) -> str | None:
    """Why a string is not a fully qualified DNS name (lowercase, no trailing dot), or None."""
    if "://" in name or "/" in name:
        return "is a URL; give only the domain name, such as app.example.com"
    if name != name.lower():
        return f"must be lowercase ({name.lower()!r})"
    if name.endswith("."):
        return "must not end with a dot"
    labels = name.split(".")
    if len(labels) < 2:
        return "is not a fully qualified domain name such as app.example.com"
    if len(name) > aws.DNS_NAME_MAX:
        return f"is {len(name)} characters; DNS names are limited to {aws.DNS_NAME_MAX}"
    for label in labels:
        if not aws.DNS_LABEL_RE.match(label):
            return (f"has an invalid label {label!r}: labels are 1-63 letters, digits or hyphens, not starting or "
                    "ending with a hyphen")
    if labels[-1].isdigit():
        return "ends in a number; a domain name ends with a top-level domain such as .com"
    return None


@rule
def dns_names(spec: Spec, check: Check) -> None:
    """domain is a valid DNS name ACM can certify; subdomains unique; health check only with a hosted zone."""
    dns = spec.dns
    domain = dns.domain
    problem = dns_name_problem(domain)
    if problem:
        check.report(("dns", "domain"), f"{domain!r} {problem}")
    elif len(domain) > aws.ACM_DOMAIN_MAX:
        check.report(("dns", "domain"), f"is {len(domain)} characters; an ACM certificate's domain name is limited "
                                        f"to {aws.ACM_DOMAIN_MAX}")
    else:
        for i, sub in enumerate(dns.subdomains):
            if len(f"{sub}.{domain}") > aws.DNS_NAME_MAX:
                check.report(("dns", "subdomains", i), f"{sub}.{domain} is longer than {aws.DNS_NAME_MAX} characters")
    report_duplicates(check, dns.subdomains, ("dns", "subdomains"), "subdomain")
    if dns.health_check and not dns.create_hosted_zone:
        check.report(("dns", "health_check"), "a Route 53 health check needs the hosted zone tfgen manages; set "
                                              "dns.create_hosted_zone: true or health_check: false")
    delegations_fit(dns, check)


def delegations_fit(dns: Dns, check: Check) -> None:
    """A delegation needs the hosted zone, names a subdomain of the domain, and no name the zone's own records
    (apex, aliases) use: an NS record beside them would split the name."""
    domain, own = dns.domain, {dns.domain, *(f"{s}.{dns.domain}" for s in dns.subdomains)}
    for child in dns.delegations:
        path = ("dns", "delegations", child)
        if not dns.create_hosted_zone:
            check.report(path, "a delegation is an NS record in the hosted zone tfgen manages; set "
                               "dns.create_hosted_zone: true, or delegate at whoever hosts the zone")
        elif not child.endswith(f".{domain}"):
            check.report(path, f"{child} is not a subdomain of {domain}: only names below the zone can be delegated")
        elif child in own:
            check.report(path, f"{child} has an alias record of this zone (dns.subdomains); delegating it would "
                               "split the name: remove it from dns.subdomains or delegate another name")


ORIGIN_RE = re.compile(r"https?://(?:\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?")


@rule
def storage_settings(spec: Spec, check: Check) -> None:
    """Standard-IA after >= 30 days; secret recovery window 0 or 7-30; CORS origins are origins."""
    storage = spec.storage
    ia_days = storage.ia_transition_days
    if ia_days < aws.S3_STANDARD_IA_MIN_DAYS:
        check.report(("storage", "ia_transition_days"),
                     f"S3 moves objects to Standard-IA no earlier than {aws.S3_STANDARD_IA_MIN_DAYS} days; got "
                     f"{ia_days}")
    window = storage.secret_recovery_window_days
    low, high = aws.SECRET_RECOVERY_WINDOW
    if window != 0 and not low <= window <= high:
        check.report(("storage", "secret_recovery_window_days"),
                     f"{window}: Secrets Manager accepts 0 (delete at once) or {low}-{high} days")
    for i, origin in enumerate(storage.cors_allowed_origins):
        if origin != "*" and not ORIGIN_RE.fullmatch(origin):
            check.report(("storage", "cors_allowed_origins", i),
                         f"{origin!r} is not an origin: write scheme://host[:port] with no path or trailing "
                         "slash, such as https://app.example.com")
    report_duplicates(check, storage.app_secret_keys, ("storage", "app_secret_keys"), "key")


@rule
def state_backend(spec: Spec, check: Check) -> None:
    """State bucket is a valid S3 name; key prefix is a clean path; lock table is a valid DynamoDB name."""
    state = spec.state
    bucket = state_bucket(spec)
    if bucket is None:
        check.report(("state", "bucket"), "name the state bucket, or set aws.account_id and the bucket is named "
                                          "<project>-tfstate-<account>-<region> (a name unique to the account)")
    elif ".." in bucket or ".-" in bucket or "-." in bucket or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
        check.report(("state", "bucket"), f"{bucket!r} is not a valid S3 bucket name (no '..', '.-', '-.', and "
                                          "not an IP address)")
    prefix = state.key_prefix
    if prefix.startswith("/") or prefix.endswith("/") or "//" in prefix or ".." in prefix.split("/"):
        check.report(("state", "key_prefix"), f"{prefix!r} must be a relative path without empty or '..' parts, "
                                              "such as imageunderstander or teams/imgu")
    key = state.key
    if key is not None and (key.endswith("/") or "//" in key or ".." in key.split("/")):
        check.report(("state", "key"), f"{key!r} must be an object key without empty or '..' parts, such as "
                                       "imageunderstander/terraform.tfstate")
    if state.lock in ("dynamodb", "both") and not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", state.dynamodb_table):
        check.report(("state", "dynamodb_table"), "a DynamoDB table name is 3-255 letters, digits, '_', '-' or '.'")


# ---------------------------------------------------------------------------------------------------------
# Production guardrails
# ---------------------------------------------------------------------------------------------------------

