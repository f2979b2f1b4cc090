"""Stage `impact`: what a spec change does to the infrastructure, computed offline from two sets of specs.

Inputs are the validated specs of a git revision (`gitref`) and of the working tree. Per environment the
stage lists the spec keys that changed, the resources they create, update, replace or destroy (from the one
mapping table in `impactmap`), and the *known-destructive* changes: changes Terraform either cannot apply
(storage shrink, engine downgrade) or applies by destroying data (region, VPC CIDR, identifiers, a data
volume's AZ, a deleted environment). Those are errors until acknowledged, either in the spec
(`environment.acknowledged_changes: {KEY: reason}`) or on the command line (`--acknowledge ENV:KEY`).

No Terraform run, no AWS call, no disk write: a pure function of the two sets of specs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tfgen.errors import Location, Problem
from tfgen.impact.acks import Ack, Acknowledgements, change_text
from tfgen.impact.diff import key_value, plan_changes
from tfgen.impact.resources import ResourceChange, db_identifier, service_placement, uploads_bucket_prefix
from tfgen.model.views import Spec
from tfgen.names import state_bucket
from tfgen.spec import format_path
from tfgen.validate import ValidatedSpec

DELETED_KEY = "environment"  # what `--acknowledge ENV:environment` names: the whole environment (its deletion)
ACK_SPEC_PATH = ("environment", "acknowledged_changes")


@dataclass(frozen=True)
class KeyChange:
    """One effective spec value that differs between the revision and the working tree."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Finding:
    """A known-destructive change: what it is, why it destroys or fails, and how to acknowledge it."""

    env: str
    rule: str
    key: str
    old: Any
    new: Any
    message: str
    location: Location | None
    acknowledged: str | None = None  # the reason (spec entry) or "--acknowledge" when acknowledged

    def problem(self) -> Problem:
        return Problem(self.location, self.key if self.key != DELETED_KEY else "", self.message)


@dataclass
class EnvImpact:
    """Everything a change does to one environment."""

    env: str
    status: str  # added | deleted | changed | unchanged
    keys: list[KeyChange] = field(default_factory=list)
    resources: list[ResourceChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def destructive(self) -> list[ResourceChange]:
        """Stateful resources replaced, destroyed or abandoned (data is lost, or left behind, unless planned for)."""
        return [r for r in self.resources if r.stateful and r.action in ("replace", "destroy", "abandon")]


# ---------------------------------------------------------------------------------------------- acknowledgements

# ---------------------------------------------------------------------------------------------- known-destructive

def _how_to_acknowledge(env: str, key: str, spec_file: str | None, old: Any = None, new: Any = None) -> str:
    if spec_file is None:  # a deleted spec cannot carry its own acknowledgement
        return f"if it is intended, acknowledge it with --acknowledge {env}:{key}"
    change = change_text(old, new)
    return (f"if it is intended, acknowledge it with environment.acknowledged_changes.{key}: \"{change}: <reason>\" "
            f"in {spec_file}, or --acknowledge {env}:{key}={change.replace(' ', '')}")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _is_downgrade(old: str, new: str) -> bool:
    """8.4.3 -> 8.0.40 or 8.0.41 -> 8.0.40 are downgrades; 8.4.3 -> 8.4 is not (a major.minor tracks RDS's
    default minor, which auto minor upgrades keep at or above the running one)."""
    a, b = _version(old), _version(new)
    common = min(len(a), len(b))
    return b[:common] < a[:common]


Rule = Callable[[str, dict[str, Any], dict[str, Any]], list[tuple[str, str, Any, Any, str]]]


def _storage_shrinks(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    found = []
    before, after = old["database"]["allocated_storage_gb"], new["database"]["allocated_storage_gb"]
    if after < before:
        found.append(("storage_shrink", "database.allocated_storage_gb", before, after,
                      f"shrinks the database storage from {before} to {after} GiB: RDS storage can only grow, so "
                      "the apply fails (a smaller database means a new instance restored from a snapshot); keep "
                      f"{before} or more"))
    for name in sorted(set(old["services"]) & set(new["services"])):
        o, n = old["services"][name], new["services"][name]
        if o["data_volume"] and n["data_volume"] and n["data_volume"]["size_gb"] < o["data_volume"]["size_gb"]:
            was, now = o["data_volume"]["size_gb"], n["data_volume"]["size_gb"]
            found.append(("storage_shrink", f"services.{name}.data_volume.size_gb", was, now,
                          f"shrinks the {name} data volume from {was} to {now} GiB: EBS volumes can only grow, "
                          f"so the apply fails; keep {was} or more"))
        if n["root_volume_gb"] < o["root_volume_gb"]:
            found.append(("storage_shrink", f"services.{name}.root_volume_gb", o["root_volume_gb"],
                          n["root_volume_gb"], f"shrinks the {name} root volume from {o['root_volume_gb']} to "
                          f"{n['root_volume_gb']} GiB: EBS volumes can only grow, so the apply fails"))
    return found


def _region_change(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    if old["region"] == new["region"]:
        return []
    return [("region_change", "region", old["region"], new["region"],
             f"moves the environment from {old['region']} to {new['region']}: every regional resource (VPC, "
             "database, volumes, secret) is created anew in the new region and its data is not moved; the state "
             "still points at the old ones, which are left running in the old region")]


def _vpc_cidr_change(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    before, after = old["network"]["vpc_cidr"], new["network"]["vpc_cidr"]
    if before == after:
        return []
    return [("vpc_cidr_change", "network.vpc_cidr", before, after,
             f"changes the VPC CIDR from {before} to {after}: the VPC is replaced, and with it every subnet, "
             "security group, instance and the database's network (the apply fails while the database still "
             "uses the old subnets)")]


def _engine_downgrade(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    before, after = old["database"]["engine_version"], new["database"]["engine_version"]
    if not _is_downgrade(before, after):
        return []
    return [("engine_downgrade", "database.engine_version", before, after,
             f"downgrades MySQL from {before} to {after}: RDS cannot downgrade an engine in place, so the apply "
             f"fails (a lower version means a new database and a data migration); keep {before} or higher")]


def _identifier_changes(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    found = []
    before, after = db_identifier(env, old), db_identifier(env, new)
    if before != after:
        found.append(("db_identifier_change", "project.name", before, after,
                      f"renames the database identifier from {before} to {after}: the RDS instance is replaced "
                      "(a new, empty database; the old one is deleted after its final snapshot, if any)"))
    before, after = uploads_bucket_prefix(env, old), uploads_bucket_prefix(env, new)
    if before != after:
        found.append(("bucket_prefix_change", "project.name", before, after,
                      f"changes the uploads bucket prefix from {before} to {after}: the bucket is replaced, and "
                      "destroying the old one fails while it holds objects (they are not copied)"))
    return found


def _volume_az_changes(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    found: list[tuple[str, str, Any, Any, str]] = []
    if old["region"] != new["region"]:
        return found  # the region change already recreates every volume
    for name in sorted(set(old["services"]) & set(new["services"])):
        if not (old["services"][name]["data_volume"] and new["services"][name]["data_volume"]):
            continue
        before, after = service_placement(name, old)[0], service_placement(name, new)
        if before != after[0]:
            found.append(("data_volume_az_change", after[1], before, after[0],
                          f"moves service {name} from {before} to {after[0]} while it has a data volume: EBS volumes "
                          "cannot change AZ, so its volume is destroyed and created empty in the new AZ; keep the "
                          "service's AZ or move the data first"))
    return found


def _state_bucket_change(env: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    before, after = state_bucket(Spec.of(old)), state_bucket(Spec.of(new))
    if before == after or before is None:
        return []
    return [("state_bucket_change", "state.bucket", before, after,
             f"moves the state from bucket {before} to {after}: `terraform init` then finds no state there and "
             "the next apply creates every resource a second time; apply the new bucket's bootstrap root and run "
             "`terraform init -migrate-state` first (an existing spec keeps its bucket by naming it)")]


KNOWN_DESTRUCTIVE: tuple[Rule, ...] = (
    _storage_shrinks, _region_change, _vpc_cidr_change, _engine_downgrade, _identifier_changes, _volume_az_changes,
    _state_bucket_change,
)


def known_destructive(env: str, old: ValidatedSpec | None, new: ValidatedSpec | None,
                      acks: Acknowledgements) -> list[Finding]:
    """Every known-destructive change of one environment, acknowledged or not."""
    if old is None:
        return []
    if new is None:
        message = (f"deletes the spec of environment {env!r}: its generated code goes, but its infrastructure and "
                   f"state stay; run `terraform destroy` in generated/terraform/environments/{env} first, then "
                   f"`tfgen render --all --prune {env}`; {_how_to_acknowledge(env, DELETED_KEY, None)}")
        location = Location(old.spec.files[-1], 1, 1)
        return [Finding(env, "environment_deleted", DELETED_KEY, old.spec.files[-1], None, message, location,
                        acks.reason(env, None, [DELETED_KEY], change_text(old.spec.files[-1], None)))]
    findings = []
    for check in KNOWN_DESTRUCTIVE:
        for rule_id, key, before, after, why in check(env, old.doc, new.doc):
            path = tuple(key.split("."))
            location = new.spec.location(path)
            was, now = key_value(old.doc, key), key_value(new.doc, key)  # the key's own values: one entry
            message = f"{why}; {_how_to_acknowledge(env, key, new.spec.files[-1], was, now)}"
            findings.append(Finding(env, rule_id, key, before, after, message, location, acks.reason(
                env, new.doc, [key], change_text(was, now), change_text(before, after))))
    return findings


# ---------------------------------------------------------------------------------------------- comparison

def key_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[KeyChange]:
    """Every effective leaf value that differs, sorted by key."""
    from tfgen.spec import flatten

    flat_old, flat_new = flatten(old or {}), flatten(new or {})
    rows = []
    for path in sorted(set(flat_old) | set(flat_new), key=format_path):
        a, b = flat_old.get(path), flat_new.get(path)  # absent and null are the same value: never a row
        if a != b:
            rows.append(KeyChange(format_path(path), a, b))
    return rows


@dataclass(frozen=True)
class Trees:
    """The generated tree at the revision and the one the working copy renders ({path below generated/: text}),
    and what else than the specs changed it (`templates`, `tfgen 0.2.0 -> 0.3.0`, or `tfgen`)."""

    old: dict[str, str]
    new: dict[str, str]
    cause: str


def environment_impact(env: str, old: ValidatedSpec | None, new: ValidatedSpec | None,
                       acks: Acknowledgements, trees: Trees | None = None) -> EnvImpact:
    """Keys, resources and known-destructive findings of one environment. With `trees`, the resources are
    those the rendered trees differ in; the spec table only names the causes."""
    status = "added" if old is None else "deleted" if new is None else "changed"
    keys = key_changes(old.doc if old else None, new.doc if new else None)
    resources = plan_changes(env, old.doc if old else None, new.doc if new else None)
    if new is None and old is not None:  # everything goes because the spec went: that is the one cause
        resources = [replace(r, key=DELETED_KEY, old=old.spec.files[-1], new=None) for r in resources]
    if trees is not None:
        from tfgen.impact.rendered import rendered_changes

        cause = DELETED_KEY if new is None else trees.cause
        resources = rendered_changes(env, trees.old, trees.new, resources, cause, keys)
        if new is None and old is not None:
            resources = [replace(r, key=DELETED_KEY, old=old.spec.files[-1], new=None) for r in resources]
    if status == "changed" and not keys and not resources:
        status = "unchanged"
    return EnvImpact(env, status, keys, resources, known_destructive(env, old, new, acks))


def compare(old: list[ValidatedSpec], new: list[ValidatedSpec], selected: list[str] | None,
            acks: Acknowledgements, trees: Trees | None = None) -> list[EnvImpact]:
    """The impact on every selected environment (None: every environment of either side)."""
    before = {v.spec.env: v for v in old}
    after = {v.spec.env: v for v in new}
    names = sorted(set(before) | set(after)) if selected is None else selected
    return [environment_impact(env, before.get(env), after.get(env), acks, trees) for env in names]


def _covered(finding: Finding, change: ResourceChange) -> bool:
    """Whether a known-destructive finding already stands for a resource change: same key, or a key of the
    group the finding's one acknowledgement approves (a VPC CIDR change rebuilds every subnet: one entry)."""
    group = COVERS.get(finding.rule, ())
    return change.key == finding.key or change.key.startswith(group) if group else change.key == finding.key


COVERS = {"vpc_cidr_change": ("network.",), "region_change": ("region", "network.")}


def unacknowledged(impacts: list[EnvImpact], acks: Acknowledgements, new: list[ValidatedSpec],
                   old: list[ValidatedSpec] | None = None) -> tuple[list[Finding], list[ResourceChange]]:
    """What blocks: known-destructive findings and stateful replacements/destructions nobody acknowledged,
    and acknowledgements that approve no change (stale: they would approve a later, different change). A
    stale entry the revision's spec already has (committed with its change, which the branch's pull request
    still needs against its base) does not block: it is reported, with the advice to remove it once the change
    is merged and applied."""
    committed = {v.spec.env: v.doc for v in old or []}
    specs = {v.spec.env: v for v in new}
    by_env = {env: v.doc for env, v in specs.items()}
    resources = []
    for impact in impacts:
        doc = by_env.get(impact.env)
        for change in impact.destructive:
            if any(_covered(f, change) for f in impact.findings):
                continue
            by_key = acks.reason(impact.env, doc, [change.key], change_text(change.old, change.new))
            if by_key is None and acks.reason(impact.env, doc, [change.address], change.action) is None:
                resources.append(change)
    for impact in impacts:
        impact.findings += [_stale(impact.env, ack, specs.get(impact.env), committed.get(impact.env))
                            for ack in acks.unused(impact.env, by_env.get(impact.env))]
    findings = [f for impact in impacts for f in impact.findings if f.acknowledged is None]
    return findings, resources


COMMITTED_ACK = "committed with its change; it stays until that change is merged and applied"


def _stale(env: str, ack: Ack, spec: ValidatedSpec | None, committed: dict[str, Any] | None) -> Finding:
    location = spec.spec.location((*ACK_SPEC_PATH, ack.name)) if spec and ack.source == "spec" else None
    if ack.source == "spec" and spec is not None and committed is not None and _entry(committed, ack.name) \
            == _entry(spec.doc, ack.name):
        message = (f"{ack.label()} is in the revision's spec too and approves no change since: once its change is "
                   "merged and applied, remove it, so that it cannot approve the same change again")
        return Finding(env, "stale_acknowledgement", ack.name, ack.change, None, message, location, COMMITTED_ACK)
    message = (f"{ack.label()} approves a change that is not made (the change since the revision differs, or it "
               "was applied): remove it, so that it cannot approve a later, different change")
    return Finding(env, "stale_acknowledgement", ack.name, ack.change, None, message, location)


def _entry(doc: dict[str, Any], name: str) -> Any:
    return doc.get("environment", {}).get("acknowledged_changes", {}).get(name)
