"""Resolve `extends:` chains (confined to specs/, no links), deep-merge the layers, and find environments."""

from __future__ import annotations

import difflib
import os
import re
import stat
from pathlib import Path
from typing import Any

from tfgen.errors import Location, Problem, SpecError
from tfgen.spec.document import Layer, LoadedSpec, Path_
from tfgen.spec.text import short_repr, unsafe_text_message
from tfgen.spec.yamlread import absolute, project_relative, read_document

MAX_EXTENDS_DEPTH = 8
MAX_EXTENDS_CHARS = 255  # a file name; anything longer is not one
ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}\Z")  # \Z: "dev\n" must not pass


def deep_merge(
    base: dict[str, Any], base_prov: dict[Path_, Location],
    overlay: dict[str, Any], overlay_prov: dict[Path_, Location],
) -> tuple[dict[str, Any], dict[Path_, Location]]:
    """Mappings merge key by key; lists and scalars from the overlay replace the base's."""
    merged = dict(base)
    prov = dict(base_prov)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            sub, sub_prov = deep_merge(
                merged[key], _subtree(prov, (key,)), value, _subtree(overlay_prov, (key,))
            )
            merged[key] = sub
            prov = {p: loc for p, loc in prov.items() if p[:1] != (key,)}
            prov.update({(key, *p): loc for p, loc in sub_prov.items()})
        else:
            merged[key] = value
            prov = {p: loc for p, loc in prov.items() if p[:1] != (key,)}
            prov.update({p: loc for p, loc in overlay_prov.items() if p[:1] == (key,)})
    return merged, prov


def _subtree(prov: dict[Path_, Location], prefix: Path_) -> dict[Path_, Location]:
    n = len(prefix)
    return {p[n:]: loc for p, loc in prov.items() if p[:n] == prefix}


def _resolve_extends(spec_path: Path, target: Any, specs_dir: Path, rel: str, loc: Location) -> Path:
    """Resolve an `extends:` target relative to the spec, refusing anything outside specs/, any link on the
    way (a link is how a target leaves specs/ or loops), NUL and control characters and overlong names."""

    def fail(message: str) -> SpecError:
        return SpecError([Problem(loc, "extends", message)])

    if not isinstance(target, str) or not target:
        raise fail("must be a file name such as base.yaml")
    if len(target) > MAX_EXTENDS_CHARS:
        raise fail(f"{short_repr(target)} is not a file name (longer than {MAX_EXTENDS_CHARS} characters)")
    unsafe = unsafe_text_message(target)
    if unsafe:
        raise fail(unsafe.replace("in the generated shell scripts, units and docs", "in a file name"))
    base = absolute(specs_dir)
    candidate = absolute(spec_path.parent / target)
    if not candidate.is_relative_to(base):
        raise fail(f"{target!r} is outside specs/; extends must stay in specs/")
    current = base
    for part in candidate.relative_to(base).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            raise fail(f"{target!r} does not exist (looked for {candidate.name})") from None
        except OSError as exc:
            raise fail(f"{target!r} cannot be read ({exc.strerror})") from None
        if stat.S_ISLNK(mode):
            raise fail(f"{target!r} is a symbolic link (specs/{current.relative_to(base).as_posix()}); extends "
                       "must name a regular file in specs/, not a link")
    if not stat.S_ISREG(os.lstat(candidate).st_mode):
        raise fail(f"{target!r} does not exist (looked for {candidate.name}; that is not a regular file)")
    return candidate


def load_chain(spec_path: Path, project_dir: Path) -> tuple[dict[str, Any], dict[Path_, Location], list[str]]:
    """Load a spec and everything it extends, base first; cycles and deep chains are errors."""
    layers = read_layers(spec_path, project_dir)
    merged, merged_prov = merge_layers(layers)
    return merged, merged_prov, [layer.file for layer in layers]


def merge_layers(layers: list[Layer]) -> tuple[dict[str, Any], dict[Path_, Location]]:
    merged: dict[str, Any] = {}
    merged_prov: dict[Path_, Location] = {}
    for layer in layers:
        merged, merged_prov = deep_merge(merged, merged_prov, layer.data, layer.provenance)
    if layers:  # a problem with no closer location (a missing required key) points at the environment's file
        merged_prov[()] = Location(layers[-1].file, 1, 1)
    return merged, merged_prov


def read_layers(spec_path: Path, project_dir: Path) -> list[Layer]:
    """Every file of a spec's extends chain as written, base first; cycles and deep chains are errors."""
    specs_dir = project_dir / "specs"
    chain: list[Layer] = []
    visited: list[Path] = []
    _refuse_linked_specs_dir(specs_dir)
    current: Path | None = absolute(spec_path)
    while current is not None:
        if current in visited:
            names = " -> ".join(project_relative(p, project_dir) for p in [*visited, current])
            raise SpecError([Problem(Location(project_relative(visited[-1], project_dir), 1, 1), "extends",
                                     f"extends cycle: {names}")])
        if len(visited) >= MAX_EXTENDS_DEPTH:
            raise SpecError([Problem(Location(project_relative(current, project_dir), 1, 1), "extends",
                                     f"extends chain deeper than {MAX_EXTENDS_DEPTH} files")])
        visited.append(current)
        data, prov = read_document(current, project_dir)
        target = data.pop("extends", None)
        rel = project_relative(current, project_dir)
        chain.append(Layer(rel, data, {p: v for p, v in prov.items() if p[:1] != ("extends",)}))
        current = (
            _resolve_extends(current, target, specs_dir, rel, prov.get(("extends",), Location(rel, 1, 1)))
            if target is not None else None
        )
    return list(reversed(chain))


def _refuse_linked_specs_dir(specs_dir: Path) -> None:
    """A committed `specs -> /somewhere` would make every command read files outside the checkout."""
    if specs_dir.is_symlink():
        raise SpecError([Problem(Location("specs", 1, 1), "", "specs/ is a symbolic link; tfgen reads specs only "
                                                              "from a real specs/ directory")])


def check_env_name(env: str) -> None:
    """Environment names become directory names: refuse anything that could escape the tree."""
    if not ENV_NAME_RE.match(env):
        msg = (f"environment name {env!r} is invalid: use 1-20 lowercase letters, digits or hyphens, "
               "starting with a letter (it becomes a directory name)")
        raise SpecError([Problem(None, "", msg)])
    if env.startswith("base"):
        msg = f"environment name {env!r} is reserved: spec files named base* are shared base specs, not environments"
        raise SpecError([Problem(None, "", msg)])


def spec_path_for(env: str, project_dir: Path) -> Path:
    check_env_name(env)
    return project_dir / "specs" / f"{env}.yaml"


def unknown_env_message(env: str, known: list[str], where: str = "") -> str:
    """`no spec for environment 'dve'; did you mean 'dev'? (known: dev, prod, staging)`: a typo is the usual cause."""
    close = difflib.get_close_matches(env, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no spec for environment {env!r}{where}{hint} (known: {', '.join(known) or 'none'})"


def load_spec(env: str, project_dir: Path) -> LoadedSpec:
    """Load `specs/<env>.yaml` with its extends chain into one merged document."""
    path = spec_path_for(env, project_dir)
    if not os.path.lexists(path):
        rel = project_relative(path, project_dir)
        message = unknown_env_message(env, list_environments(project_dir))
        raise SpecError([Problem(Location(rel, 1, 1), "", message)])
    layers = read_layers(path, project_dir)
    data, prov = merge_layers(layers)
    return LoadedSpec(env=env, data=data, provenance=prov, files=[layer.file for layer in layers], layers=layers)


def misnamed_specs(project_dir: Path) -> list[Problem]:
    """Spec files that are neither a base nor a usable environment name would be skipped silently: report them."""
    specs_dir = project_dir / "specs"
    if not specs_dir.is_dir():
        return []
    problems = []
    for path in sorted([*specs_dir.glob("*.yaml"), *specs_dir.glob("*.yml")]):
        stem = path.stem
        if path.suffix == ".yml":
            message = "spec files end in .yaml; rename it so tfgen sees it"
        elif stem.startswith(("_", "base")) or ENV_NAME_RE.match(stem):
            continue
        else:
            message = (f"{stem!r} is not a valid environment name (1-20 lowercase letters, digits or hyphens, "
                       "starting with a letter); rename it, or start the name with '_' or 'base' if it is a "
                       "shared base spec")
        problems.append(Problem(Location(f"specs/{path.name}", 1, 1), "", message))
    return problems


def list_environments(project_dir: Path) -> list[str]:
    """Environments are the specs that are not only a base: files not named `base*` or starting `_`."""
    specs_dir = project_dir / "specs"
    if not specs_dir.is_dir():
        return []
    names = []
    for path in sorted(specs_dir.glob("*.yaml")):
        stem = path.stem
        if stem.startswith(("_", "base")) or not ENV_NAME_RE.match(stem):
            continue
        names.append(stem)
    return names
