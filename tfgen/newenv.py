"""`tfgen new ENV --from SOURCE`: scaffold `specs/ENV.yaml` as a minimal overlay, never a full copy.

The new spec `extends:` whatever the source spec extends (or the source itself when it extends nothing)
and lists only what the source changes on top of that base, with values that must be unique per
environment rewritten for the new one: `dns.domain`; the network, moved to a free address range; the state
bucket, unset (the account's own) when the account differs from the source's; `aws`,
the new environment's own account, which the caller names (a role of the source's account would not work
there). The source's acknowledged changes
stay behind: they approve the source's changes, not the new environment's. Everything else keeps flowing from
the base, so a later change to `base.yaml` reaches the new environment too.

The file is created exclusively (an existing spec is never overwritten), then validated together with
every other spec by the real validator; if that fails, the new file, and only it, is removed again.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import EXIT_CONFLICT, Problem, SpecError, TfgenError
from tfgen.model.schemafile import MODELINE
from tfgen.spec import check_env_name, load_chain, read_document, spec_path_for

SUBNET_KEYS = ("public_subnet_cidrs", "private_subnet_cidrs")
PRIVATE_BLOCKS = tuple(ipaddress.IPv4Network(b) for b in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


class SpecExistsError(TfgenError):
    """The target spec already exists; `tfgen new` never overwrites a spec."""

    exit_code = EXIT_CONFLICT

    def __init__(self, rel: str):
        self.rel = rel
        super().__init__(f"{rel} already exists; tfgen new never overwrites a spec (edit it, or delete it first)")


@dataclass(frozen=True)
class NewSpec:
    """What `tfgen new` wrote: the file, the spec it extends, and the values it sets."""

    path: Path
    extends: str
    overrides: dict[str, Any]


def base_of(source_path: Path, project_dir: Path) -> tuple[str, Path]:
    """The file the new spec extends: the source's own `extends:` target, else the source itself."""
    data, _ = read_document(source_path, project_dir)
    target = data.get("extends")
    if isinstance(target, str) and target:
        return target, (source_path.parent / target)
    return source_path.name, source_path


def overlay_values(source: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The part of `source` that differs from `base`: mappings recurse, anything else is a leaf."""
    out: dict[str, Any] = {}
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            sub = overlay_values(value, base[key])
            if sub:
                out[key] = sub
        elif key not in base or base[key] != value:
            out[key] = value
    return out


def unique_domain(domain: str, source_env: str, env: str) -> str:
    """`dev.example.com` from dev becomes `qa.example.com`; `example.com` (shared apex) becomes `qa.example.com`."""
    label = f"{source_env}."
    return f"{env}.{domain[len(label):]}" if domain.startswith(label) else f"{env}.{domain}"


def overrides_for(env: str, source_env: str, project_dir: Path, account_id: str) -> tuple[str, dict[str, Any]]:
    """The `extends:` target and the values of the new spec."""
    source_path = spec_path_for(source_env, project_dir)
    extends, base_path = base_of(source_path, project_dir)
    source_doc, _, _ = load_chain(source_path, project_dir)
    base_doc, _, _ = load_chain(base_path, project_dir) if base_path != source_path else (source_doc, {}, [])
    values = overlay_values(source_doc, base_doc)
    domain = (source_doc.get("dns") or {}).get("domain")
    if isinstance(domain, str) and domain:
        rest = {k: v for k, v in values.get("dns", {}).items() if k != "domain"}
        values["dns"] = {"domain": unique_domain(domain, source_env, env), **rest}
    own_values(values, account_id)
    if (source_doc.get("aws") or {}).get("account_id") != account_id:  # another account: a bucket of its own
        values["state"] = {**values.get("state", {}), "bucket": None}
    network = own_network(source_doc.get("network") or {}, taken_ranges(project_dir))
    if network:
        values["network"] = {**values.get("network", {}), **network}
    return extends, values


def taken_ranges(project_dir: Path) -> list[ipaddress.IPv4Network]:
    """The VPC ranges of every environment (an unreadable or odd spec is left to the validator)."""
    from tfgen.spec import list_environments

    taken = []
    for name in list_environments(project_dir):
        with contextlib.suppress(TfgenError, ValueError, TypeError, AttributeError):
            doc, _, _ = load_chain(spec_path_for(name, project_dir), project_dir)
            taken.append(ipaddress.IPv4Network(doc["network"]["vpc_cidr"]))
    return taken


def own_network(source: dict[str, Any], taken: list[ipaddress.IPv4Network]) -> dict[str, Any]:
    """The source's layout moved to the first range of its size in the same private block that no environment
    uses: environments never share addresses, so their VPCs can be connected later. Empty when the source's
    layout is not one we can move (the validator then reports what is wrong, or the range stays the source's)."""
    try:
        vpc = ipaddress.IPv4Network(source["vpc_cidr"])
        subnets = {k: [ipaddress.IPv4Network(c) for c in source[k]] for k in SUBNET_KEYS}
    except (KeyError, TypeError, ValueError):
        return {}
    block = next((b for b in PRIVATE_BLOCKS if vpc.subnet_of(b)), None)
    if block is None or vpc.prefixlen < block.prefixlen:
        return {}
    free = next((c for c in block.subnets(new_prefix=vpc.prefixlen) if not any(c.overlaps(t) for t in taken)), None)
    if free is None:
        return {}
    shift = int(free.network_address) - int(vpc.network_address)
    return {"vpc_cidr": str(free), **{k: [str(ipaddress.IPv4Network((int(n.network_address) + shift, n.prefixlen)))
                                           for n in nets] for k, nets in subnets.items()}}


def own_values(values: dict[str, Any], account_id: str) -> None:
    """Replace what belongs to the source environment alone: its account and its acknowledged changes."""
    environment = {k: v for k, v in values.get("environment", {}).items() if k != "acknowledged_changes"}
    values.pop("environment", None)
    values.pop("aws", None)
    head = {"environment": environment} if environment else {}
    rest = dict(values)
    values.clear()
    values.update({**head, "aws": {"account_id": account_id}, **rest})


def spec_text(env: str, source_env: str, extends: str, values: dict[str, Any]) -> str:
    """The new spec: modeline for editors, a note on where it came from, `extends:`, then the values."""
    header = [
        MODELINE,
        f"# {env}: created by `tfgen new {env} --from {source_env}`. It extends {extends} and sets only what",
        f"# {source_env} changes on top of it (with a domain and an AWS account of its own). See the effective",
        f"# spec with `tfgen show {env} --provenance` and what differs from {source_env} with",
        f"# `tfgen diff {source_env} {env}`.",
        yaml.safe_dump({"extends": extends}).rstrip("\n"),
    ]
    body = yaml.safe_dump(values, sort_keys=False, default_flow_style=False, allow_unicode=True, width=110)
    return "\n".join(header) + "\n" + ("\n" + body if values else "")


def create_exclusive(path: Path, text: str) -> None:
    """Write a complete file under a temp name, then link it into place: fails if the target exists."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _check_source(source_env: str, project_dir: Path) -> Path:
    source_path = spec_path_for(source_env, project_dir)
    if not source_path.is_file():
        import difflib

        from tfgen.spec import list_environments

        known = list_environments(project_dir)
        close = difflib.get_close_matches(source_env, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        msg = f"--from: no spec for source environment {source_env!r}{hint} (known: {', '.join(known) or 'none'})"
        raise SpecError([Problem(None, "", msg)])  # the file does not exist: no location to point at
    return source_path


def new_environment(project_dir: Path, env: str, source_env: str, account_id: str) -> NewSpec:
    """Create `specs/<env>.yaml` from `source_env` in AWS account `account_id`, validate every spec, and undo
    only our file on failure (a malformed account id is reported at its line in the new spec)."""
    from tfgen.pipeline import validate_project

    check_env_name(env)
    _check_source(source_env, project_dir)
    target = spec_path_for(env, project_dir)
    rel = f"specs/{target.name}"
    if target.exists():
        raise SpecExistsError(rel)
    extends, values = overrides_for(env, source_env, project_dir, account_id)
    try:
        create_exclusive(target, spec_text(env, source_env, extends, values))
    except FileExistsError:
        raise SpecExistsError(rel) from None
    except OSError as exc:  # a full disk, a read-only specs/: the message names the file it could not write
        from tfgen.output.safeio import disk_error

        raise disk_error(exc, Path(rel)) from None
    try:
        validate_project(project_dir)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return NewSpec(target, extends, values)
