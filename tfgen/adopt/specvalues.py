"""Spec values that keep live resources as they are, and their place in specs/ENV.yaml.

Where a spec value differs from the live object in an argument that would replace it (a subnet's CIDR or
zone, a service's zone, an instance type, a volume size, the database's identifier, engine, class and
storage, the load balancer's name prefix, the certificate's names, a security group's description),
adoption writes the live value into the environment's spec, marked with a comment; `tfgen show
--provenance` then points at those lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tfgen.adopt.match import Matching
from tfgen.adopt.state import StateInstance
from tfgen.impact.resources import DB, EC2, LB, NET, SEC, STO
from tfgen.model.plain import plain
from tfgen.model.views import Spec
from tfgen.names import GROUP_DESCRIPTIONS, security_group_description, service_instance_address

COMMENT = "# adopted: keeps the live resource (tfgen adopt)"


def _internet_tables(state: list[StateInstance]) -> set[str]:
    """Ids of the route tables that route to an internet gateway (separate `aws_route`s or inline routes)."""
    tables = set()
    for s in state:
        if s.type == "aws_route" and str(s.attrs.get("gateway_id") or "").startswith("igw-"):
            tables.add(str(s.attrs.get("route_table_id")))
        elif s.type == "aws_route_table" and any(str(r.get("gateway_id") or "").startswith("igw-")
                                                 for r in s.items("route", dict)):
            tables.add(str(s.attrs.get("id")))
    return tables


def _public_subnet_ids(state: list[StateInstance]) -> set[str] | None:
    """Ids of the subnets whose route table leads to the internet; None when the state has no associations
    (then mapping public IPs on launch is the only sign left). A hardened tree maps none, so routing decides."""
    associations = [s for s in state if s.type == "aws_route_table_association" and s.attrs.get("subnet_id")]
    if not associations:
        return None
    internet = _internet_tables(state)
    return {str(a.attrs["subnet_id"]) for a in associations if str(a.attrs.get("route_table_id")) in internet}


def _subnets(state: list[StateInstance]) -> dict[str, Any]:
    """Zones and CIDRs of the live subnets: public ones route to an internet gateway. Nothing when the live
    network does not have one public and one private subnet per zone (then tfgen's own values stand)."""
    subnets = [s for s in state if s.type == "aws_subnet"]
    tiers: dict[str, dict[str, str]] = {"public": {}, "private": {}}
    vpcs = [s for s in state if s.type == "aws_vpc"]
    public_ids = _public_subnet_ids(state)
    for s in subnets:
        public = s.attrs.get("map_public_ip_on_launch") if public_ids is None else s.attrs.get("id") in public_ids
        tier = "public" if public else "private"
        zone, cidr = s.attrs.get("availability_zone"), s.attrs.get("cidr_block")
        if not isinstance(zone, str) or not isinstance(cidr, str) or zone in tiers[tier]:
            return {}
        tiers[tier][zone] = cidr
    if not subnets or set(tiers["public"]) != set(tiers["private"]) or len(vpcs) != 1:
        return {}
    zones = sorted(tiers["public"])
    return {"network": {"vpc_cidr": vpcs[0].attrs.get("cidr_block"), "availability_zones": zones,
                        "public_subnet_cidrs": [tiers["public"][z] for z in zones],
                        "private_subnet_cidrs": [tiers["private"][z] for z in zones]}}


def _root_size(inst: StateInstance) -> Any:
    roots = inst.items("root_block_device", dict)
    return roots[0].get("volume_size") if roots else None


def _market(inst: StateInstance) -> dict[str, Any]:
    """market and spot_max_price of a live instance (both force a new instance when they differ)."""
    options = inst.items("instance_market_options", dict)
    if not options or options[0].get("market_type") != "spot":
        return {"market": "on-demand"}
    nested = options[0].get("spot_options")
    spot = [s for s in nested if isinstance(s, dict)] if isinstance(nested, list) else []
    price = spot[0].get("max_price") if spot else None
    return {"market": "spot", "spot_max_price": str(price) if price else None}


def _data_size(name: str, inst: StateInstance, m: Matching, spec: Spec) -> Any:
    volume = m.state_of(f'{EC2}.aws_ebs_volume.data["{name}"]')
    if volume is not None:
        return volume.attrs.get("size")
    volume_spec = spec.services[name].data_volume
    device = (volume_spec.device_name if volume_spec else None) or "/dev/sdf"
    disks = inst.items("ebs_block_device", dict)
    chosen = [b for b in disks if b.get("device_name") == device] or disks[:1]
    return chosen[0].get("volume_size") if chosen else None


def _final_snapshot(volume: StateInstance | None) -> bool:
    """What the live volume's final_snapshot is in state: an imported inline disk has none (false). Changing it
    alone makes the provider send an empty ModifyVolume, which AWS refuses (terraform-provider-aws #31044), so
    adoption keeps the live value."""
    return volume is not None and volume.attrs.get("final_snapshot") is not False


def _services(m: Matching, spec: Spec) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, svc in sorted(spec.services.items()):
        address = service_instance_address(name, svc.keep_user_data)
        inst = m.state_of(address)
        if inst is None:
            continue
        values = {"availability_zone": inst.attrs.get("availability_zone"),
                  "instance_type": inst.attrs.get("instance_type"), "root_volume_gb": _root_size(inst),
                  **_market(inst)}
        if inst.address != address:
            values["keep_user_data"] = True  # booted from another tree's user data: keep it, never replace
        if svc.data_volume:
            values["data_volume"] = {"size_gb": _data_size(name, inst, m, spec)}
            if not _final_snapshot(m.state_of(f'{EC2}.aws_ebs_volume.data["{name}"]')):
                values["data_volume"]["final_snapshot"] = False
        found[name] = values
    return {"services": found} if found else {}


def _database(m: Matching) -> dict[str, Any]:
    db = m.state_of(f"{DB}.aws_db_instance.main")
    if db is None:
        return {}
    a = db.attrs
    version = str(a.get("engine_version") or "")
    values = {"identifier": a.get("identifier"), "engine_version": version if re.match(r"^8\.(0|4)", version)
              else None, "instance_class": a.get("instance_class"),
              "allocated_storage_gb": a.get("allocated_storage"), "db_name": a.get("db_name"),
              "username": a.get("username")}
    if a.get("max_allocated_storage"):
        values["max_allocated_storage_gb"] = a.get("max_allocated_storage")
    if not a.get("manage_master_user_password"):
        values["master_secret_ready"] = False  # RDS creates its secret in the first apply: given after it
    return {"database": values}


def _secret(env: str, m: Matching, spec: Spec) -> dict[str, Any]:
    """The live application secret's name when tfgen's name prefix would replace it."""
    secret = m.state_of(f"{STO}.aws_secretsmanager_secret.app")
    version = m.state_of(f"{STO}.aws_secretsmanager_secret_version.app")
    name = secret.attrs.get("name") if secret else None
    ours = (secret.attrs.get("name_prefix") or "") == f"{spec.project.name}-{env}-app-" if secret else False
    # A version without tfgen's label holds values tfgen did not generate (a tree of tfgen 0.2, or another
    # tree): keep them, as for a secret with another name.
    labelled = version is not None and "tfgen-generated" in version.items("version_stages", str)
    if not isinstance(name, str) or (ours and labelled):
        return {}
    return {"storage": {"app_secret_name": name}}


def _loadbalancer(m: Matching) -> dict[str, Any]:
    lb = m.state_of(f"{LB}.aws_lb.main")
    prefix = lb.attrs.get("name_prefix") if lb else None
    return {"loadbalancer": {"name_prefix": prefix}} if prefix else {}


def _dns(m: Matching, spec: Spec) -> dict[str, Any]:
    cert = m.state_of("aws_acm_certificate.main")
    domain = spec.dns.domain
    if cert is None or cert.attrs.get("domain_name") != domain:
        return {}
    suffix = "." + domain
    names = sorted(set(cert.items("subject_alternative_names", str)) - {domain})
    if not all(n.endswith(suffix) and "." not in n[:-len(suffix)] for n in names):
        return {}
    return {"dns": {"subdomains": [n[:-len(suffix)] for n in names]}}


def _prune(tree: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the current effective spec (`doc`: its plain form, compared key by key; known
    values only)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        current = doc.get(key) if isinstance(doc, dict) else None
        if isinstance(value, dict):
            sub = _prune(value, current if isinstance(current, dict) else {})
            if sub:
                out[key] = sub
        elif value is not None and value != current:
            out[key] = value
    return out


def group_address(group: str) -> str:
    """tfgen's address of a security group: alb, rds, endpoints or a service's."""
    if group == "endpoints":
        return f"{NET}.aws_security_group.endpoints"
    return f"{SEC}.aws_security_group.{group}" if group in GROUP_DESCRIPTIONS else \
        f'{SEC}.aws_security_group.service["{group}"]'


def inline_rules(group: StateInstance) -> bool:
    """Whether a live security group carries inline rules (in the state's ingress/egress lists)."""
    return any(group.attrs.get(kind) for kind in ("ingress", "egress"))


def _group_descriptions(m: Matching, spec: Spec) -> dict[str, Any]:
    """The live description of every matched security group whose description differs from tfgen's: a
    security group's description cannot change in place, so tfgen's would replace the group. Not for a group
    with inline rules: kept, it would keep them beside tfgen's rule resources, and AWS refuses a rule resource
    equal to an inline rule (InvalidPermission.Duplicate); replaced, the rules go with the old group (tfgen's
    is created first, and instances, database and load balancer switch groups in place)."""
    found = {}
    for group in (*GROUP_DESCRIPTIONS, *sorted(spec.services)):
        live = m.state_of(group_address(group))
        text = live.attrs.get("description") if live else None
        if live and isinstance(text, str) and text and text != security_group_description(group, spec) \
                and not inline_rules(live):
            found[group] = text
    return {"network": {"security_group_descriptions": found}} if found else {}


def adopted_values(env: str, state: list[StateInstance], m: Matching, spec: Spec) -> dict[str, Any]:
    """The spec values (a nested mapping) that differ from `spec` and keep the live objects."""
    tree: dict[str, Any] = {}
    for part in (_subnets(state), _services(m, spec), _database(m), _secret(env, m, spec), _loadbalancer(m),
                 _dns(m, spec), _group_descriptions(m, spec)):
        tree = deep_merge(tree, part)
    return _prune(tree, plain(spec))


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        out.update(flatten(value, path) if isinstance(value, dict) else {path: value})
    return out


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


# ---------------------------------------------------------------------------------------------- the spec file

def _scalar(value: Any) -> str:
    """JSON is YAML: strings double-quoted and escaped, lists in flow style."""
    return json.dumps(value, allow_nan=False)


def _block(tree: dict[str, Any], indent: int) -> list[str]:
    lines = []
    for key, value in tree.items():
        if isinstance(value, dict):
            lines.append(f"{' ' * indent}{key}:")
            lines += _block(value, indent + 2)
        else:
            lines.append(f"{' ' * indent}{key}: {_scalar(value)}  {COMMENT}")
    return lines


def _section_end(lines: list[str], start: int) -> int:
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "#"))):
        end += 1
    return end


def _drop_keys(lines: list[str], start: int, end: int, tree: dict[str, Any], indent: int) -> list[str]:
    """Lines of a section without the adopted keys' own lines (scalars and flow values on one line);
    nested mappings are merged recursively, so the spec's other keys and comments stay."""
    kept = lines[start:end]
    for key, value in tree.items():
        pattern = re.compile(rf"^{' ' * indent}{re.escape(key)}:(\s|$)")
        at = next((i for i, line in enumerate(kept) if pattern.match(line)), None)
        if at is None:
            continue
        if isinstance(value, dict):
            sub_end = at + 1
            while sub_end < len(kept) and (not kept[sub_end].strip() or
                                           kept[sub_end].startswith(" " * (indent + 2))):
                sub_end += 1
            inner = _drop_keys(kept, at + 1, sub_end, value, indent + 2)
            kept = kept[:at + 1] + inner + kept[sub_end:]
        else:
            nxt = at + 1
            while nxt < len(kept) and kept[nxt].startswith(" " * (indent + 2)) and kept[nxt].strip():
                nxt += 1  # a block list or mapping under the key goes with it
            kept = kept[:at] + kept[nxt:]
    return kept


def edit_spec(text: str, values: dict[str, Any]) -> str:
    """`text` (a block-style spec) with `values` merged in: each adopted key written under its section with
    the adoption comment, replacing the spec's own line for that key; sections the file lacks are appended."""
    lines = text.rstrip("\n").split("\n")
    appended: dict[str, Any] = {}
    for section, tree in values.items():
        at = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(section)}:\s*(#.*)?$", line)), None)
        if at is None or not isinstance(tree, dict):
            appended[section] = tree
            continue
        end = _section_end(lines, at)
        body = _drop_keys(lines, at + 1, end, tree, 2)
        lines = lines[:at + 1] + _merge_into(body, tree, 2) + lines[end:]
    if appended:
        lines += ["", "# Values from `tfgen adopt`: they keep the live resources as they are."]
        lines += _block(appended, 0)
    return "\n".join(lines) + "\n"


def _merge_into(body: list[str], tree: dict[str, Any], indent: int) -> list[str]:
    """Insert adopted keys into a section body (nested mappings that already exist get their keys inside)."""
    for key, value in tree.items():
        header = re.compile(rf"^{' ' * indent}{re.escape(key)}:\s*(#.*)?$")
        at = next((i for i, line in enumerate(body) if header.match(line)), None)
        if isinstance(value, dict) and at is not None:
            end = at + 1
            while end < len(body) and (not body[end].strip() or body[end].startswith(" " * (indent + 2))):
                end += 1
            body = body[:at + 1] + _merge_into(body[at + 1:end], value, indent + 2) + body[end:]
        else:
            body = _block({key: value}, indent) + body
    return body
