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
    from tfgen.impact.compare import Acknowledgements, EnvImpact, Finding, Trees
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


def _owns(project_dir: Path) -> Callable[[str], bool]:
    from tfgen.output.manifest import template_outputs
    from tfgen.render.engine import list_templates
    from tfgen.render.package import PACKAGES

    return template_outputs([*list_templates(project_dir / "templates"), *(p.dest for p in PACKAGES)])


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
    from tfgen.render.package import BINARY_SUFFIXES

    specs = {v.spec.env: v.view for v in validated}
    templates_dir = project_dir / "templates"
    rendered = render_units(templates_dir, build_units(list_templates(templates_dir), specs, environments))
    rendered.update(_adoption_files(project_dir, environments))
    return {dest: data if dest.endswith(BINARY_SUFFIXES) else with_header(dest, data.decode()).encode()
            for dest, data in sorted(rendered.items())}


def _adoption_files(project_dir: Path, environments: list[str]) -> dict[str, bytes]:
    """adopt.tf of each selected environment that has an adoption record (specs/adoption/ENV.json)."""
    from tfgen.adopt.record import adopt_tf, read_record
    from tfgen.render.engine import format_output

    files = {}
    for env in environments:
        rows = read_record(project_dir, env)
        if rows is not None:
            dest = f"terraform/environments/{env}/adopt.tf"
            files[dest] = format_output(dest, adopt_tf(env, rows)).encode()
    return files


def render_for_write(project_dir: Path, environments: list[str], prune: list[str],
                     acks: Acknowledgements, skip_history: bool = False) -> RenderResult:
    """What `tfgen render` writes: the selected environments, checked against the committed specs, plus every
    other environment in generated/ when the shared modules change (so none is left inconsistent with them).

    Environments whose spec is gone keep their files unless named in `prune` (the user destroyed them first);
    when the modules change while such an environment is kept, the render is refused."""
    validated = validate_project(project_dir)
    warnings = [w for v in validated for w in v.warnings]
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
    warnings += history_check(project_dir, validated, environments, acks, files, prune, skip=skip_history)
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
    from tfgen.model.schema import earlier_revision

    with project_at(project_dir, ref) as old_project:
        if not list_environments(old_project):
            return []
        try:
            with earlier_revision():
                return validate_project(old_project)
        except SpecError as exc:
            raise SpecError([Problem(p.location and Location(f"{ref}:{p.location.file}", p.location.line,
                                                             p.location.col), p.path, p.message)
                             for p in exc.problems] + [Problem(None, "", f"the specs at {ref} do not validate "
                                                       "with this version of tfgen; compare with a later revision"
                                                       )]) from None


SKIP_HISTORY_FLAG = "--no-history-check"


def history_check(project_dir: Path, validated: list[ValidatedSpec], selected: list[str], acks: Acknowledgements,
                  files: dict[str, bytes] | None = None, pruned: list[str] | tuple[str, ...] = (),
                  skip: bool = False) -> list[str]:
    """The impact gate of render, validate and check, against the committed tree (HEAD): known-destructive
    changes, data-holding resources replaced or destroyed (a template change included), a deleted environment
    (unless pruned) and acknowledgements that approve nothing are errors until acknowledged. `files` is the
    render (None: rendered here). Returns warnings; outside a git repository (or before the first commit) there
    is nothing to compare with. When the history exists but cannot be read (git missing, a repository git
    refuses, a spec at HEAD that is not a regular file) the check fails closed: an error naming the cause,
    unless the caller skips it explicitly (`--no-history-check`, a warning; CI never sets it)."""
    from tfgen.history.git import GitRefError, in_repository, resolve_commit

    if skip:
        return [f"{SKIP_HISTORY_FLAG}: known-destructive changes against the committed specs (HEAD) were NOT "
                "checked"]
    try:
        if not in_repository(project_dir):
            return []
        committed = specs_at(project_dir, "HEAD")
        commit = resolve_commit(project_dir, "HEAD")
    except GitRefError as exc:
        raise GitRefError(f"cannot check for destructive changes against the committed specs (HEAD): "
                          f"{exc.problems[0].message}; fix that, or pass {SKIP_HISTORY_FLAG} to skip the check "
                          "(never in CI)") from None
    except SpecError as exc:
        return [f"not compared with the committed specs (HEAD): {exc.problems[-1]}"]
    from tfgen.impact.compare import COMMITTED_ACK, compare, unacknowledged

    current = {v.spec.env for v in validated}
    deleted = sorted({v.spec.env for v in committed} - current - set(pruned))
    envs = sorted({*selected, *deleted})
    trees = rendered_trees(project_dir, commit, validated, envs, files)
    impacts = compare(committed, validated, envs, acks, trees)
    findings, resources = unacknowledged(impacts, acks, validated, committed)
    env_of = {id(r): i.env for i in impacts for r in i.resources}
    blocking = [f.problem() for f in findings] + [_resource_problem(env_of[id(r)], r) for r in resources]
    if blocking:
        raise SpecError(blocking)
    return [f"{f.env}: {f.key}: destructive change acknowledged on the command line: {f.message.split('; ')[0]}"
            for i in impacts for f in i.findings if f.acknowledged == "--acknowledge"] + \
        [f"{f.env}: {f.message}" for i in impacts for f in i.findings if f.acknowledged == COMMITTED_ACK]


def _resource_problem(env: str, change: ResourceChange) -> Problem:
    cause = f"{change.key}: {change.old!r} -> {change.new!r}" if change.old is not None or change.new is not None \
        else change.key
    return Problem(None, change.address, f"{change.action}s a resource that holds data in {env} ({cause}); a "
                   "renamed resource needs a moved block; if the loss is intended, acknowledge it with "
                   f"environment.acknowledged_changes.'{change.address}': \"{change.action}: <reason>\" or "
                   f"--acknowledge {env}:{change.address}={change.action}")


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
    from tfgen.history.git import resolve_commit
    from tfgen.impact.compare import compare, unacknowledged

    commit = resolve_commit(project_dir, ref)
    old = specs_at(project_dir, ref)
    new = validate_project(project_dir) if list_environments(project_dir) else []
    known = sorted({v.spec.env for v in old} | {v.spec.env for v in new})
    selected = select_environments(names, all_envs, known, ", neither now nor at the revision")
    trees = rendered_trees(project_dir, commit, new, selected)
    impacts = compare(old, new, selected, acks, trees)
    findings, resources = unacknowledged(impacts, acks, new, old)
    warnings = [w for v in new if v.spec.env in selected for w in v.warnings]
    return ImpactRun(ref, commit, impacts, findings, resources, warnings)


def rendered_trees(project_dir: Path, commit: str, validated: list[ValidatedSpec], selected: list[str],
                   files: dict[str, bytes] | None = None) -> Trees:
    """The generated tree at COMMIT (what was applied) and the tree the working copy renders for `selected`
    (`files`: already rendered)."""
    from tfgen import __version__
    from tfgen.history.git import blob_ids, disk_blob_ids, files_at
    from tfgen.impact.compare import Trees

    old_files = files_at(project_dir, commit, OUTPUT_DIR + "/")
    envs = sorted({v.spec.env for v in validated} & set(selected))
    rendered = files if files is not None else _render(project_dir, validated, envs) if validated else {}
    new_files = {p: data.decode("utf-8", "replace") for p, data in rendered.items() if p.endswith((".tf", ".tftpl"))}
    old_version = _tfgen_version(old_files)
    if blob_ids(project_dir, commit, ["templates/"]) != disk_blob_ids(project_dir, ["templates/"]):
        cause = "templates"
    elif old_version and old_version != __version__:
        cause = f"tfgen {old_version} -> {__version__}"
    else:
        cause = "tfgen"
    return Trees(old_files, new_files, cause)


def _tfgen_version(files: dict[str, str]) -> str:
    """The tfgen version that rendered a tree, from its versions.tf comment (empty when not recorded)."""
    import re

    for text in files.values():
        match = re.search(r"tfgen (\d+\.\d+\.\d+)", text[:400])
        if match:
            return match.group(1)
    return ""


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
    spec = next(v for v in validate_project(project_dir) if v.spec.env == env).view
    return project_context(spec), environment_context(env, spec)
