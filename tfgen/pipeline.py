"""Calls the stages in order so the CLI stays thin: load -> validate -> context -> render -> (write)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfgen.context import build_units
from tfgen.errors import Problem, SpecError
from tfgen.render import list_templates, render_units
from tfgen.spec import LoadedSpec, check_env_name, list_environments, load_spec, misnamed_specs
from tfgen.validate import ValidatedSpec, validate_specs

OUTPUT_DIR = "generated"


@dataclass
class RenderResult:
    """Everything a render produced in memory, ready for the writer."""

    files: dict[str, bytes]
    scopes: list[str]
    warnings: list[str]
    environments: list[str]


def resolve_environments(project_dir: Path, names: tuple[str, ...] | list[str], all_envs: bool) -> list[str]:
    """The environments a command acts on; unknown or unsafe names are spec errors."""
    known = list_environments(project_dir)
    if all_envs and names:
        raise SpecError([Problem(None, "", "name environments or use --all, not both")])
    if all_envs:
        if not known:
            raise SpecError([Problem(None, "", "no environment specs found in specs/")])
        return known
    if not names:
        raise SpecError([Problem(None, "", "name at least one environment, or use --all")])
    for name in names:
        check_env_name(name)
    unknown = [n for n in names if n not in known]
    if unknown:
        listing = ", ".join(known) or "none"
        raise SpecError([Problem(None, "", f"no spec for environment {n!r} (known: {listing})") for n in unknown])
    return sorted(dict.fromkeys(names))


def load_all(project_dir: Path) -> list[LoadedSpec]:
    """Load every environment spec, collecting load errors of all files before failing."""
    loaded, problems = [], misnamed_specs(project_dir)
    for env in list_environments(project_dir):
        try:
            loaded.append(load_spec(env, project_dir))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    return loaded


def validate_project(project_dir: Path) -> list[ValidatedSpec]:
    """Every environment is validated together: modules are shared, so one bad spec blocks all."""
    return validate_specs(load_all(project_dir))


def scopes_for(environments: list[str], every_environment: bool = False) -> list[str]:
    """What a render owns. Rendering every environment owns all of environments/, so the files of an
    environment whose spec was deleted are pruned (and reported by check); rendering some owns only those."""
    if every_environment:
        scopes = ["terraform/environments/"]
    else:
        scopes = [f"terraform/environments/{env}/" for env in environments]
    return scopes + ["terraform/modules/", "terraform/bootstrap/", "terraform/README.md", "terraform/AGENTS.md"]


def render_project(project_dir: Path, environments: list[str], every_environment: bool = False) -> RenderResult:
    """Validate all specs and render the selected environments (plus modules and docs) in memory.

    `every_environment` (--all) also claims environments/ directories that no spec produces any more."""
    validated = validate_project(project_dir)
    docs = {v.spec.env: v.doc for v in validated}
    templates_dir = project_dir / "templates"
    units = build_units(list_templates(templates_dir), docs, environments)
    files = render_units(templates_dir, units)
    warnings = [w for v in validated for w in v.warnings]
    return RenderResult(files, scopes_for(environments, every_environment), warnings, environments)
