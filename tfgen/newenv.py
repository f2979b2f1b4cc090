"""`tfgen new ENV --from SOURCE`: scaffold `specs/ENV.yaml` as a minimal overlay, never a full copy.

The new spec `extends:` whatever the source spec extends (or the source itself when it extends nothing)
and lists only what the source changes on top of that base, with values that must be unique per
environment rewritten for the new one (today: `dns.domain`). Everything else keeps flowing from the base,
so a later change to `base.yaml` reaches the new environment too.

The file is created exclusively (an existing spec is never overwritten), then validated together with
every other spec by the real validator; if that fails, the new file, and only it, is removed again.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import EXIT_CONFLICT, Problem, SpecError, TfgenError
from tfgen.model.schemafile import MODELINE
from tfgen.spec import check_env_name, load_chain, read_document, spec_path_for


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


def overrides_for(env: str, source_env: str, project_dir: Path) -> tuple[str, dict[str, Any]]:
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
    return extends, values


def spec_text(env: str, source_env: str, extends: str, values: dict[str, Any]) -> str:
    """The new spec: modeline for editors, a note on where it came from, `extends:`, then the values."""
    header = [
        MODELINE,
        f"# {env}: created by `tfgen new {env} --from {source_env}`. It extends {extends} and sets only what",
        f"# {source_env} changes on top of it (with a domain of its own). See the effective spec with",
        f"# `tfgen show {env} --provenance` and what differs from {source_env} with `tfgen diff {source_env} {env}`.",
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


def new_environment(project_dir: Path, env: str, source_env: str) -> NewSpec:
    """Create `specs/<env>.yaml` from `source_env`, validate every spec, and undo only our file on failure."""
    from tfgen.pipeline import validate_project

    check_env_name(env)
    _check_source(source_env, project_dir)
    target = spec_path_for(env, project_dir)
    rel = f"specs/{target.name}"
    if target.exists():
        raise SpecExistsError(rel)
    extends, values = overrides_for(env, source_env, project_dir)
    try:
        create_exclusive(target, spec_text(env, source_env, extends, values))
    except FileExistsError:
        raise SpecExistsError(rel) from None
    try:
        validate_project(project_dir)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return NewSpec(target, extends, values)
