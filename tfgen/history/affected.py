"""`tfgen affected --since REF`: the environments whose generated files differ from those committed at REF,
and why (own spec, a spec it extends, templates, tfgen itself), so CI plans only those.

The comparison is between what the specs render to now (in memory, the same as `tfgen check` would compare)
and the `generated/` tree committed at REF, read with `git ls-tree` (never checked out). Module files are shared
by every environment, so a module change affects all of them. Documentation (`*.md`, e.g. an environment's
README with its cost estimate) does not count: a plan would show nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfgen.history.git import blob_id, blob_ids, disk_blob_ids, resolve_commit
from tfgen.pipeline import OUTPUT_DIR, load_all, render_project
from tfgen.spec import list_environments
from tfgen.terminal import one_line

ENV_PREFIX = "terraform/environments/"
MODULE_PREFIX = "terraform/modules/"
LOCK_FILE = ".terraform.lock.hcl"
DOC_SUFFIX = ".md"  # documentation: Terraform never reads it, so it never makes an environment need a plan


@dataclass
class Affected:
    """One environment that needs a plan: the reasons and the generated files that changed."""

    environment: str
    reasons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class AffectedReport:
    since: str
    commit: str
    affected: list[Affected]
    unaffected: list[str]
    removed: list[str]

    @property
    def environments(self) -> list[str]:
        return [a.environment for a in self.affected]


def _changed(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))


def _environment_of(path: str) -> str | None:
    if not path.startswith(ENV_PREFIX):
        return None
    return path[len(ENV_PREFIX):].split("/", 1)[0]


def _provider_locks(project_dir: Path) -> dict[str, str]:
    """The environments' `.terraform.lock.hcl` on disk. tfgen never renders them (they are Terraform's), but a
    changed lock changes the provider build `terraform init` installs, so it needs a plan like a changed file."""
    found = {}
    for path in sorted((project_dir / OUTPUT_DIR / ENV_PREFIX).glob(f"*/{LOCK_FILE}")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(project_dir / OUTPUT_DIR).as_posix()] = blob_id(path.read_bytes())
    return found


def _reasons(env: str, chain: list[str], changed_sources: set[str], is_new: bool, files: list[str]) -> list[str]:
    """Why an environment's output changed, most specific first."""
    if is_new:
        return [f"new environment (no {OUTPUT_DIR}/{ENV_PREFIX}{env}/ at the base)"]
    own = f"specs/{env}.yaml"
    reasons = [f"own spec ({own})"] if own in changed_sources else []
    if any(f.endswith("/" + LOCK_FILE) for f in files):
        reasons.append(f"provider lock ({LOCK_FILE})")
    reasons += [f"base spec ({f})" for f in chain if f != own and f in changed_sources]
    if any(s.startswith("templates/") for s in changed_sources):
        reasons.append("templates")
    return reasons or ["tfgen (the same specs and templates render differently)"]


def affected_since(project_dir: Path, ref: str) -> AffectedReport:
    """Render every environment now and compare with REF's committed tree."""
    commit = resolve_commit(project_dir, ref)
    environments = list_environments(project_dir)
    rendered = render_project(project_dir, environments, every_environment=True).files
    now = {p: blob_id(data) for p, data in rendered.items()} | _provider_locks(project_dir)
    base = {p[len(OUTPUT_DIR) + 1:]: b for p, b in blob_ids(project_dir, commit, [f"{OUTPUT_DIR}/terraform"]).items()}
    changed = [p for p in _changed(base, now) if not p.endswith(DOC_SUFFIX)]
    sources = ["specs", "templates"]
    changed_sources = set(_changed(blob_ids(project_dir, commit, sources), disk_blob_ids(project_dir, sources)))
    module_files = [p for p in changed if p.startswith(MODULE_PREFIX)]
    chains = {spec.env: spec.files for spec in load_all(project_dir)}
    base_envs = {e for p in base if (e := _environment_of(p))}
    affected, unaffected = [], []
    for env in environments:
        files = [p for p in changed if _environment_of(p) == env] + module_files
        if not files:
            unaffected.append(env)
            continue
        reasons = _reasons(env, chains[env], changed_sources, env not in base_envs, files)
        affected.append(Affected(env, reasons, [f"{OUTPUT_DIR}/{p}" for p in files]))
    removed = sorted(base_envs - set(environments))
    return AffectedReport(ref, commit, affected, unaffected, removed)


def report_json(report: AffectedReport) -> dict:
    """The `--json` body (the CLI adds version/command/status)."""
    return {
        "since": report.since, "commit": report.commit, "environments": report.environments,
        "affected": [{"environment": a.environment, "reasons": a.reasons, "files": a.files}
                     for a in report.affected],
        "unaffected": report.unaffected, "removed": report.removed,
    }


def report_lines(report: AffectedReport) -> list[str]:
    """Human output: one line per environment with its reasons, then removed environments. Names come from
    directory names at the base revision (anyone's commit), so each is escaped to one line."""
    lines = [f"{one_line(a.environment)}: {one_line('; '.join(a.reasons))} ({len(a.files)} generated file(s) "
             "differ)" for a in report.affected]
    lines += [f"{one_line(env)}: removed (its spec is gone; destroy it before deleting the state)"
              for env in report.removed]
    return lines
