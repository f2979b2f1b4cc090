"""Calls the stages in order so the CLI stays thin: load -> validate -> [impact] -> context -> render -> write.

The CLI reaches every stage through this module (spec, validate, context, render, writer, impact), so the
order and the safety checks between stages (history check, tree consistency) live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfgen.context import build_units, environment_context, project_context
from tfgen.errors import Location, Problem, SpecError
from tfgen.spec import LoadedSpec, check_env_name, list_environments, load_spec, misnamed_specs
from tfgen.spec.loader import unknown_env_message
from tfgen.validate import ValidatedSpec, validate_specs

if TYPE_CHECKING:  # the impact stage and git load only for commands that compare with a revision
    from tfgen.impact.compare import Acknowledgements, EnvImpact, Finding
    from tfgen.impact.resources import ResourceChange

__all__ = ["list_environments"]  # re-exported for the CLI's shell completion

OUTPUT_DIR = "generated"


@dataclass
class RenderResult:
    """Everything a render produced in memory, ready for the writer."""

    files: dict[str, bytes]
    scopes: list[str]
    warnings: list[str]
    environments: list[str]
    notes: list[str] = field(default_factory=list)  # status lines: environments added to keep the tree consistent
    owns: Callable[[str], bool] = field(default=lambda path: True)  # paths the templates can produce


def resolve_environments(project_dir: Path, names: tuple[str, ...] | list[str], all_envs: bool) -> list[str]:
    """The environments a command acts on; unknown or unsafe names are spec errors."""
    known = list_environments(project_dir)
    if all_envs and not names and not known:
        raise SpecError([Problem(None, "", "no environment specs found in specs/")])
    return select_environments(names, all_envs, known, "")


def select_environments(names: tuple[str, ...] | list[str], all_envs: bool, known: list[str], where: str
                        ) -> list[str]:
    """NAMES (checked against KNOWN) or, with --all, every known environment; `where` qualifies "no spec"."""
    if all_envs and names:
        raise SpecError([Problem(None, "", "name environments or use --all, not both")])
    if all_envs:
        return known
    if not names:
        raise SpecError([Problem(None, "", "name at least one environment, or use --all")])
    for name in names:
        check_env_name(name)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SpecError([Problem(None, "", unknown_env_message(n, known, where)) for n in unknown])
    return sorted(dict.fromkeys(names))


def _load_every(project_dir: Path) -> tuple[list[LoadedSpec], list[Problem]]:
    loaded, problems = [], misnamed_specs(project_dir)
    for env in list_environments(project_dir):
        try:
            loaded.append(load_spec(env, project_dir))
        except SpecError as exc:
            problems += exc.problems
    return loaded, problems


def load_all(project_dir: Path) -> list[LoadedSpec]:
    """Load every environment spec, collecting load errors of all files before failing."""
    loaded, problems = _load_every(project_dir)
    if problems:
        raise SpecError(problems)
    return loaded


def validate_project(project_dir: Path) -> list[ValidatedSpec]:
    """Every environment is validated together: modules are shared, so one bad spec blocks all. A spec that
    does not load does not hide the validation problems of the others: one run reports both."""
    loaded, problems = _load_every(project_dir)
    try:
        validated = validate_specs(loaded)
    except SpecError as exc:
        problems, validated = problems + exc.problems, []
    if problems:
        raise SpecError(problems)
    return validated


MODULES_SCOPE = "terraform/modules/"


def scopes_for(environments: list[str], every_environment: bool = False) -> list[str]:
    """What a render owns. Rendering every environment owns all of environments/, so the files of an
    environment whose spec was deleted are pruned (and reported by check); rendering some owns only those."""
    if every_environment:
        scopes = ["terraform/environments/"]
    else:
        scopes = [f"terraform/environments/{env}/" for env in environments]
    return scopes + [MODULES_SCOPE, "terraform/bootstrap/", "terraform/README.md", "terraform/AGENTS.md"]


def file_kind(path: str) -> str:
    """The part of a file name after its first dot: `tf`, `md`, `sh.tftpl`, `tfvars.example`."""
    return path.rsplit("/", 1)[-1].partition(".")[2]


def template_outputs(templates: list[str]) -> Callable[[str], bool]:
    """Which paths tfgen could have generated: below terraform/, with a file kind some template produces.

    Kinds rather than today's exact paths, so the files of a template that was renamed or removed can still
    be pruned; a `terraform.tfvars`, a state file or your `notes.txt` is never one of them."""
    kinds = frozenset(file_kind(t.removesuffix(".j2")) for t in templates)

    def owns(path: str) -> bool:
        return path.startswith("terraform/") and file_kind(path) in kinds

    return owns


def _owns(project_dir: Path) -> Callable[[str], bool]:
    from tfgen.render.engine import list_templates

    return template_outputs(list_templates(project_dir / "templates"))


def render_project(project_dir: Path, environments: list[str], every_environment: bool = False) -> RenderResult:
    """Validate all specs and render the selected environments (plus modules and docs) in memory.

    `every_environment` (--all) also claims environments/ directories that no spec produces any more."""
    validated = validate_project(project_dir)
    files = _render(project_dir, validated, environments)
    warnings = [w for v in validated for w in v.warnings]
    return RenderResult(files, scopes_for(environments, every_environment), warnings, environments,
                        owns=_owns(project_dir))


def _render(project_dir: Path, validated: list[ValidatedSpec], environments: list[str]) -> dict[str, bytes]:
    from tfgen.render.engine import (  # Jinja loads only for commands that render
        list_templates,
        render_units,
        with_header,
    )

    docs = {v.spec.env: v.doc for v in validated}
    templates_dir = project_dir / "templates"
    rendered = render_units(templates_dir, build_units(list_templates(templates_dir), docs, environments))
    return {dest: with_header(dest, text.decode()).encode() for dest, text in rendered.items()}


def render_for_write(project_dir: Path, environments: list[str], prune: list[str],
                     acks: Acknowledgements) -> RenderResult:
    """What `tfgen render` writes: the selected environments, checked against the committed specs, plus every
    other environment in generated/ when the shared modules change (so none is left inconsistent with them).

    Environments whose spec is gone keep their files unless named in `prune` (the user destroyed them first);
    when the modules change while such an environment is kept, the render is refused."""
    validated = validate_project(project_dir)
    warnings = [w for v in validated for w in v.warnings]
    warnings += history_check(project_dir, validated, environments, acks)
    out_root = project_dir / OUTPUT_DIR
    spec_envs = {v.spec.env for v in validated}
    on_disk = generated_environments(out_root)
    orphans = sorted(set(on_disk) - spec_envs)
    _check_prune(prune, spec_envs, orphans)
    files = _render(project_dir, validated, environments)
    notes = []
    others = sorted((set(on_disk) & spec_envs) - set(environments))
    if modules_changed(out_root, files):
        _refuse_stale_orphans([e for e in orphans if e not in prune])
        if others:
            environments = sorted({*environments, *others})
            files = _render(project_dir, validated, environments)
            notes.append(f"the shared modules change: also rendering {', '.join(others)} so that every "
                         "environment in generated/ matches them")
    notes += [_kept_note(env) for env in orphans if env not in prune]
    notes += [_prune_note(env) for env in prune]
    scopes = scopes_for(sorted({*environments, *prune}))
    return RenderResult(files, scopes, warnings, environments, notes, owns=_owns(project_dir))


def generated_environments(out_root: Path) -> list[str]:
    """Environments with generated files in the tree (per the manifest: only what tfgen wrote counts)."""
    from tfgen.output.manifest import read_manifest

    prefix = "terraform/environments/"
    return sorted({p[len(prefix):].split("/", 1)[0] for p in read_manifest(out_root) if p.startswith(prefix)})


def modules_changed(out_root: Path, files: dict[str, bytes]) -> bool:
    """Whether writing `files` changes anything under modules/ (a file's bytes, or a file added or removed)."""
    from tfgen.output.manifest import MANIFEST_NAME
    from tfgen.output.writer import compare_tree

    modules = {p: data for p, data in files.items() if p.startswith(MODULES_SCOPE)}
    return any(d.path != MANIFEST_NAME for d in compare_tree(out_root, modules, [MODULES_SCOPE]))


def _check_prune(prune: list[str], spec_envs: set[str], orphans: list[str]) -> None:
    problems = []
    for env in prune:
        check_env_name(env)
        if env in spec_envs:
            problems.append(Problem(None, "--prune", f"environment {env!r} still has a spec (specs/{env}.yaml); "
                                    "--prune only removes the files of an environment whose spec was deleted"))
        elif env not in orphans:
            problems.append(Problem(None, "--prune", f"generated/ has no files of environment {env!r} to prune"))
    if problems:
        raise SpecError(problems)


def _refuse_stale_orphans(kept: list[str]) -> None:
    if kept:
        raise SpecError([Problem(None, "", f"the shared modules change, but generated/terraform/environments/{env} "
                                 f"has no spec any more (specs/{env}.yaml was deleted) and cannot be re-rendered to "
                                 f"match them; run `terraform destroy` there, then add --prune {env} (or restore "
                                 f"specs/{env}.yaml)") for env in kept])


def _kept_note(env: str) -> str:
    return (f"kept generated/terraform/environments/{env}: specs/{env}.yaml is gone, but its infrastructure "
            f"and state may still exist; run `terraform destroy` there, then `tfgen render --all --prune {env}`")


def _prune_note(env: str) -> str:
    return (f"pruning generated/terraform/environments/{env}: make sure `terraform destroy` ran there first; "
            "otherwise its resources keep running with no code left to manage them (git restores the files)")


# ---------------------------------------------------------------------------------------------- impact

def specs_at(project_dir: Path, ref: str) -> list[ValidatedSpec]:
    """The validated specs of a git revision (empty when it has none); read with git, never checked out."""
    from tfgen.history.git import project_at

    with project_at(project_dir, ref) as old_project:
        if not list_environments(old_project):
            return []
        try:
            return validate_project(old_project)
        except SpecError as exc:
            raise SpecError([Problem(p.location and Location(f"{ref}:{p.location.file}", p.location.line,
                                                             p.location.col), p.path, p.message)
                             for p in exc.problems] + [Problem(None, "", f"the specs at {ref} do not validate "
                                                       "with this version of tfgen; compare with a later revision"
                                                       )]) from None


def history_check(project_dir: Path, validated: list[ValidatedSpec], selected: list[str],
                  acks: Acknowledgements) -> list[str]:
    """Known-destructive changes of the selected environments against the committed specs (HEAD): an error
    unless acknowledged. Returns warnings; outside a git repository (or before the first commit) there is
    nothing to compare with."""
    from tfgen.history.git import GitRefError, in_repository

    if not in_repository(project_dir):
        return []
    from tfgen.impact.compare import known_destructive

    try:
        committed = {v.spec.env: v for v in specs_at(project_dir, "HEAD")}
    except (SpecError, GitRefError) as exc:
        first = exc.problems[-1] if isinstance(exc, SpecError) else exc
        return [f"not compared with the committed specs (HEAD): {first}"]
    current = {v.spec.env: v for v in validated}
    findings = [f for env in selected for f in known_destructive(env, committed.get(env), current.get(env), acks)]
    blocking = [f.problem() for f in findings if f.acknowledged is None]
    if blocking:
        raise SpecError(blocking)
    return [f"{f.env}: {f.key}: destructive change acknowledged on the command line: {f.message.split('; ')[0]}"
            for f in findings if f.acknowledged == "--acknowledge"]


@dataclass
class ImpactRun:
    """The impact of the working tree's specs against a revision's, per environment."""

    ref: str
    commit: str
    impacts: list[EnvImpact]
    blocking_findings: list[Finding]
    blocking_resources: list[ResourceChange]
    warnings: list[str]


def impact_project(project_dir: Path, ref: str, names: list[str], all_envs: bool,
                   acks: Acknowledgements) -> ImpactRun:
    """Compare the specs at REF with the working tree's (validated): nothing runs Terraform or AWS."""
    from tfgen.history.git import blob_ids, disk_blob_ids, resolve_commit
    from tfgen.impact.compare import compare, unacknowledged

    commit = resolve_commit(project_dir, ref)
    old = specs_at(project_dir, ref)
    new = validate_project(project_dir) if list_environments(project_dir) else []
    known = sorted({v.spec.env for v in old} | {v.spec.env for v in new})
    selected = select_environments(names, all_envs, known, ", neither now nor at the revision")
    impacts = compare(old, new, selected, acks)
    findings, resources = unacknowledged(impacts, acks, new)
    warnings = [w for v in new if v.spec.env in selected for w in v.warnings]
    if blob_ids(project_dir, commit, ["templates/"]) != disk_blob_ids(project_dir, ["templates/"]):
        warnings.append(f"templates/ changed since {ref}: impact compares specs through today's templates, so "
                        "what the template change itself does (renamed or new resources) is not listed; "
                        f"run `make e2e-upgrade FROM={ref}` to see it in a real plan")
    return ImpactRun(ref, commit, impacts, findings, resources, warnings)


def write_tree(project_dir: Path, result: RenderResult, *, force: bool, dry_run: bool) -> Any:
    """Hand a render to the writer (the only stage that writes): returns its SyncReport."""
    from tfgen.output.writer import sync_tree

    return sync_tree(project_dir / OUTPUT_DIR, result.files, result.scopes, force=force, dry_run=dry_run,
                     owns=result.owns)


def compare_with_disk(project_dir: Path, result: RenderResult) -> list[Any]:
    """What `tfgen check` reports: the writer's read-only comparison of a render with generated/."""
    from tfgen.output.writer import compare_tree

    return compare_tree(project_dir / OUTPUT_DIR, result.files, result.scopes, result.owns)


def graph_contexts(project_dir: Path, env: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The project and environment contexts of one validated environment (what `tfgen graph` draws)."""
    resolve_environments(project_dir, [env], False)
    doc = next(v for v in validate_project(project_dir) if v.spec.env == env).doc
    return project_context(doc), environment_context(env, doc)
