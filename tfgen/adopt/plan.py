"""From a matching to what adoption does: one outcome per instance and the blocks of adopt.tf.

Outcomes: `keep` (same address), `move` (a `moved` block), `import` (an `import` block: the live object is
part of another resource in the state, e.g. an inline data disk that tfgen manages as aws_ebs_volume),
`forget` (a `removed` block with destroy = false: tfgen no longer manages it and must not delete it),
`destroy` (tfgen's tree has no counterpart and it holds nothing), `create` (nothing live to take over).
`replace` marks a kept or moved instance whose live values differ from tfgen's in an argument that forces
a new object; `unplaced` a live data-holding or traffic-serving object that nothing in tfgen's tree takes.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from tfgen import names
from tfgen.adopt.declared import Declared, db_identifier, guarded
from tfgen.adopt.match import Matching, name_words
from tfgen.adopt.specvalues import group_address, inline_rules
from tfgen.adopt.state import StateInstance
from tfgen.impact import resources as impactmap
from tfgen.model.views import Spec
from tfgen.names import GROUP_DESCRIPTIONS, security_group_description, service_instance_address

# Live objects tfgen stops managing but must not delete: generated secrets' inputs, managed-policy
# attachments (tfgen grants through inline least-privilege policies), the old secret versions.
FORGET_TYPES = frozenset({"random_password", "random_string", "random_id", "aws_iam_role_policy_attachment",
                          "aws_secretsmanager_secret_version", "aws_security_group_rule"})
BLOCKING = ("replace", "unplaced")


@dataclass(frozen=True)
class Outcome:
    action: str  # keep, move, import, forget, destroy, create, replace, unplaced
    new: str = ""  # tfgen address
    old: str = ""  # state address (or, for an import, the live object's import ID)
    reason: str = ""
    guard: str = ""  # "data" / "traffic" when losing it loses data or traffic
    updates: tuple[str, ...] = ()  # what tfgen's values change in place on a kept or moved object, and why

    @property
    def blocking(self) -> bool:
        return self.action in BLOCKING and bool(self.guard)


@dataclass(frozen=True)
class Block:
    kind: str  # moved, import, removed
    target: str  # `to` of moved/import, `from` of removed
    source: str = ""  # `from` of moved, `id` of import


def _inline_volume(inst: StateInstance, device: str) -> dict[str, Any] | None:
    disks = inst.items("ebs_block_device", dict)
    chosen = [b for b in disks if b.get("device_name") == device] or disks[:1]
    return chosen[0] if chosen and chosen[0].get("volume_id") else None


def _default_route(inst: StateInstance | None) -> bool:
    routes = inst.items("route", dict) if inst else []
    return any(isinstance(r, dict) and r.get("cidr_block") == "0.0.0.0/0" for r in routes)


def import_id(d: Declared, m: Matching, env: str, spec: Spec) -> tuple[str, str]:
    """(ID, why) of a live object that tfgen declares as `d` but the state holds inside another resource."""
    key = d.address.rsplit("[", 1)[-1].strip('"]') if "[" in d.address else ""
    if d.type in ("aws_ebs_volume", "aws_volume_attachment"):
        svc = spec.services.get(key)
        inst = m.state_of(service_instance_address(key, svc.keep_user_data)) if svc else None
        volume = svc.data_volume if inst and svc else None
        disk = _inline_volume(inst, volume.device_name or "/dev/sdf") if inst and volume else None
        if inst and disk:
            if d.type == "aws_ebs_volume":
                return disk["volume_id"], f"inline data disk {disk.get('device_name')} of {inst.address}"
            return (f"{disk['device_name']}:{disk['volume_id']}:{inst.attrs.get('id')}",
                    f"attachment of the inline data disk of {inst.address}")
    if d.type == "aws_route":
        table = m.state_of(f'{impactmap.NET}.aws_route_table.{"public" if "public" in d.address else "private"}'
                           + ("" if "public" in d.address else f'["{key}"]'))
        if table and _default_route(table):
            return f"{table.attrs.get('id')}_0.0.0.0/0", f"inline default route of {table.address}"
    if d.type == "aws_cloudwatch_log_group" and ".rds[" in d.address:
        db = m.state_of(f"{impactmap.DB}.aws_db_instance.main")
        if db and key in db.items("enabled_cloudwatch_logs_exports", str):
            # RDS creates it when the first log is published (the state cannot tell whether it has): an import
            # of a missing object fails the plan, so the report says how to import it if the apply meets it.
            name = f"/aws/rds/instance/{db_identifier(env, spec)}/{key}"
            return "", (f"{db.address} exports this log; if RDS has already created {name}, the apply fails with "
                        f"ResourceAlreadyExistsException: then run terraform import '{d.address}' '{name}'")
    return "", ""


def replacement(d: Declared, s: StateInstance, env: str, spec: Spec) -> str:
    """Why tfgen's values would replace this live object ('' when they would not, as far as tfgen knows)."""
    prefix = names.name_prefix(spec, env)
    checks = {
        "aws_db_instance": lambda: _differs("identifier", s.attrs.get("identifier"), db_identifier(env, spec))
        or _differs("username", s.attrs.get("username"), spec.database.username)
        or ("" if s.attrs.get("storage_encrypted") in (True, None) else "storage_encrypted false -> true"),
        "aws_s3_bucket": lambda: "" if str(s.attrs.get("bucket", "")).startswith(
            names.uploads_bucket_prefix(prefix)) else
        f"bucket {s.attrs.get('bucket')!r} does not start with {names.uploads_bucket_prefix(prefix)!r}",
        "aws_secretsmanager_secret": lambda: _differs("name", s.attrs.get("name"), spec.storage.app_secret_name)
        if spec.storage.app_secret_name else _differs("name_prefix", s.attrs.get("name_prefix") or None,
                                                      f"{prefix}-app-"),
        "aws_lb": lambda: _lb_prefix(s, spec),
        "aws_lb_target_group": lambda: _lb_prefix(s, spec) or _differs(
            "port", s.attrs.get("port"), spec.services[spec.loadbalancer.target_service].port),
        "aws_acm_certificate": lambda: _differs(
            "subject_alternative_names", sorted(set(s.items("subject_alternative_names", str)) - {
                spec.dns.domain}), sorted(f"{x}.{spec.dns.domain}" for x in spec.dns.subdomains)),
        "aws_instance": lambda: _instance(d, s, spec),
        "aws_ebs_volume": lambda: "" if s.attrs.get("encrypted") in (True, None) else "encrypted false -> true",
        "aws_security_group": lambda: _group_description(d, s, spec),
    }
    check = checks.get(d.type)
    return check() if check else ""


def _group_description(d: Declared, s: StateInstance, spec: Spec) -> str:
    group = next((g for g in (*GROUP_DESCRIPTIONS, *spec.services) if group_address(g) == d.address), None)
    why = _differs("description", s.attrs.get("description"), security_group_description(group, spec)) \
        if group else ""
    return f"{why} (its inline rules go with it: kept, they would duplicate tfgen's rule resources)" \
        if why and inline_rules(s) else why


def _instance(d: Declared, s: StateInstance, spec: Spec) -> str:
    svc = spec.services[d.address.rsplit('["', 1)[1].rstrip('"]')]
    if s.address != d.address and not svc.keep_user_data:
        return "tfgen's user data differs from the one the instance booted with (user_data_replace_on_change)"
    return (_differs("instance_type", s.attrs.get("instance_type"), svc.instance_type)
            or _differs("availability_zone", s.attrs.get("availability_zone"), svc.availability_zone
                        or s.attrs.get("availability_zone")))


def in_place(d: Declared, s: StateInstance, spec: Spec) -> tuple[str, ...]:
    """Known in-place updates tfgen's values make to a kept or moved live object (not exhaustive: the plan
    is the reference; these are the ones worth reading before it)."""
    if d.type == "aws_db_instance":
        db = spec.database
        notes = [] if s.attrs.get("manage_master_user_password") else [
            "manage_master_user_password -> true: RDS moves the master password into a secret it manages"]
        notes += [x for x in (_differs("multi_az", s.attrs.get("multi_az"), db.multi_az),
                              _differs("backup_retention_period", s.attrs.get("backup_retention_period"),
                                       db.backup_retention_days),
                              _differs("monitoring_interval", s.attrs.get("monitoring_interval"),
                                       db.monitoring_interval),
                              _differs("deletion_protection", s.attrs.get("deletion_protection"),
                                       db.deletion_protection)) if x]
        return tuple(notes)
    if d.type == "aws_security_group" and inline_rules(s):
        return ("its inline rules stay beside tfgen's rule resources: AWS refuses a rule resource equal to an "
                "inline rule (InvalidPermission.Duplicate); revoke those inline rules before the apply",)
    if d.type == "aws_instance" and s.address != d.address:
        return ("tags, monitoring and metadata options as tfgen sets them; the user data stays "
                "(keep_user_data)",)
    if s.address != d.address and isinstance(s.attrs.get("tags"), dict):
        return ("tags: tfgen's Name and default tags",)
    return ()


def _differs(name: str, live: Any, wanted: Any) -> str:
    return "" if live is None or live == wanted else f"{name} {live!r} -> {wanted!r}"


def _lb_prefix(s: StateInstance, spec: Spec) -> str:
    wanted = spec.loadbalancer.name_prefix or f"{spec.project.short_name}-"
    live = s.attrs.get("name_prefix") or ""
    return "" if not live or live == wanted else f"name_prefix {live!r} -> {wanted!r}"


def outcomes(state: list[StateInstance], declared: list[Declared], m: Matching, env: str, spec: Spec
             ) -> list[Outcome]:
    """One outcome per declared instance and per live instance nothing declared takes."""
    found = []
    for d in declared:
        s = m.state_of(d.address)
        if s is not None:
            why = replacement(d, s, env, spec)
            action = "replace" if why else ("keep" if s.address == d.address else "move")
            found.append(Outcome(action, d.address, s.address, why, guarded(d.type),
                                 () if why else in_place(d, s, spec)))
            continue
        if d.type == "aws_secretsmanager_secret_version" and m.state_of(d.address.replace("_version", "")):
            found.append(Outcome("replace", d.address, "", "no live version of the adopted secret was found: "
                                 "a generated version would replace its values", "data"))
            continue
        ident, why = import_id(d, m, env, spec)
        if ident:
            found.append(Outcome("import", d.address, ident, why, guarded(d.type)))
        else:
            why = f"could be any of {', '.join(m.ambiguous[d.address])}" if d.address in m.ambiguous else why
            found.append(Outcome("create", d.address, "", why, guarded(d.type)))
    taken = {s.address for s in m.pairs.values()}
    left = [s for s in state if s.address not in taken]
    serving = _grouped_instances(left, spec)
    for s in left:
        found.append(_superseded(s, serving) or _leftover(s))
    return found


def _grouped_instances(left: list[StateInstance], spec: Spec) -> dict[str, str]:
    """{instance id: service} of live instances no declared instance took whose name says they run a service
    that tfgen now runs in an Auto Scaling group."""
    grouped = {name for name, svc in spec.services.items() if svc.uses_auto_scaling}
    found: dict[str, str] = {}
    for s in left:
        if s.type != "aws_instance":
            continue
        named = [g for g in grouped if set(g.replace("_", "-").split("-")) <= name_words(s)]
        if len(named) == 1 and s.attrs.get("id"):
            found[str(s.attrs["id"])] = named[0]
    return found


def _superseded(s: StateInstance, serving: dict[str, str]) -> Outcome | None:
    """The old single instance of a service that now runs in a group, and its target-group registration: kept
    running and registered (removed, destroy = false) so the site serves while the group's instances start;
    the operator terminates it once the group is healthy. A destroy here would also order it against the new
    group in one plan, which Terraform reports as a dependency cycle."""
    if s.type == "aws_instance" and str(s.attrs.get("id")) in serving:
        service = serving[str(s.attrs["id"])]
        return Outcome("forget", "", s.address, f"{service} now runs in an Auto Scaling group: this instance is "
                       "kept running in AWS, unmanaged; terminate it once the group's instances are healthy")
    if s.type == "aws_lb_target_group_attachment" and str(s.attrs.get("target_id")) in serving:
        return Outcome("forget", "", s.address, "the old instance's registration: it serves until that "
                       "instance is terminated (the group registers its own instances)")
    return None


def _old_inline_policy(s: StateInstance) -> Outcome:
    """An inline policy of a role tfgen takes over: destroying it in the apply that updates the role races the
    role's read of its inline policies (the provider lists them, then gets each: one deleted in between fails
    the apply with a 404, as the rehearsal met). Forgotten instead, with the command that deletes it after."""
    role, _, name = str(s.attrs.get("id") or "").partition(":")
    # quoted: the names come from the state file, which may be hostile, and people paste this into a shell
    command = (f"aws iam delete-role-policy --role-name {shlex.quote(role)} --policy-name {shlex.quote(name)}"
               if role and name else "aws iam delete-role-policy")
    return Outcome("forget", "", s.address, "an inline policy tfgen's own policy of the role replaces: kept in AWS "
                   f"for this apply (destroying it in the same apply races the role's update); then run: {command}")


def _leftover(s: StateInstance) -> Outcome:
    guard = guarded(s.type)
    if s.type == "aws_secretsmanager_secret" and {"rds", "master"} <= name_words(s):
        return Outcome("forget", "", s.address, "the old database password secret: tfgen lets RDS manage the "
                       "master password in a secret of its own; this one is kept in AWS, unmanaged", guard)
    if guard:
        return Outcome("unplaced", "", s.address, "no resource of tfgen's tree takes this live object: it is "
                       "kept in AWS (removed, destroy = false) and tfgen's tree creates its own", guard)
    if s.type in FORGET_TYPES:
        return Outcome("forget", "", s.address, "tfgen does not manage this kind of object; kept in AWS")
    if s.type == "aws_iam_role_policy":
        return _old_inline_policy(s)
    if s.type == "aws_cloudwatch_metric_alarm":
        # Destroying it in the plan that replaces security groups and parameter groups (create_before_destroy)
        # orders its destroy against the database and load balancer it watches: Terraform reports a cycle.
        return Outcome("forget", "", s.address, "an alarm tfgen names otherwise: kept in AWS (a destroy in this "
                       "plan makes a dependency cycle); delete it once the apply is done")
    return Outcome("destroy", "", s.address, "tfgen's tree has its own resource for this role (holds no data)")


def blocks(found: list[Outcome]) -> list[Block]:
    """The blocks of adopt.tf; nothing in them destroys a live object."""
    rows = []
    for o in found:
        if o.action in ("move", "replace") and o.old != o.new:
            rows.append(Block("moved", o.new, o.old))
        elif o.action == "import":
            rows.append(Block("import", o.new, o.old))
        elif o.action in ("forget", "unplaced"):
            rows.append(Block("removed", o.old))
    return sorted(rows, key=lambda b: (("moved", "import", "removed").index(b.kind), b.target))


def counts(found: list[Outcome]) -> dict[str, int]:
    actions = ("keep", "move", "import", "forget", "destroy", "create", "replace", "unplaced")
    return {n: sum(1 for o in found if o.action == n) for n in actions}
