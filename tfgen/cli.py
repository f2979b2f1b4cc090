"""Stage 7: click commands. No logic here beyond choosing a stage and mapping errors to exit codes.

Status goes to stderr, data (diffs, JSON, specs) to stdout. Exit codes: 0 ok, 1 stale/different/would change,
2 invalid input, 3 conflict.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tfgen import __version__
from tfgen.errors import EXIT_OK, EXIT_STALE, ConflictError, SpecError, TfgenError
from tfgen.pipeline import OUTPUT_DIR, render_project, resolve_environments
from tfgen.spec import list_environments

EPILOG_EXAMPLES = """\b
Examples:
  tfgen render dev              write generated/terraform/environments/dev and the modules
  tfgen check --all             fail (exit 1) when the committed tree is stale
  tfgen validate --all          check every spec, print every problem with file:line
  tfgen show prod --provenance  effective prod spec and where each value came from
  tfgen diff dev prod           what differs between two environments
  tfgen fmt --check generated   like terraform fmt -check, without terraform
"""


def _status(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Route every tfgen error through one place: print it to stderr, exit with its code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TfgenError as exc:
            _status(f"error: {exc}" if not isinstance(exc, SpecError) else str(exc))
            sys.exit(exc.exit_code)

    return wrapper


def _complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = Path(ctx.find_root().params.get("project_dir") or ".")
    return [e for e in list_environments(root) if e.startswith(incomplete)]


def _project(ctx: click.Context) -> Path:
    return ctx.obj["project_dir"]


@click.group(epilog=EPILOG_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tfgen")
@click.option("-C", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Project directory holding specs/, templates/ and generated/ (default: current directory).")
@click.pass_context
def main(ctx: click.Context, project_dir: Path) -> None:
    """Generate a complete Terraform tree from one YAML spec per environment."""
    ctx.ensure_object(dict)
    ctx.obj["project_dir"] = project_dir


ENVS = click.argument("envs", nargs=-1, shell_complete=_complete_env)
ALL = click.option("--all", "all_envs", is_flag=True, help="Act on every environment in specs/.")


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        _status(f"warning: {warning}")


@main.command(epilog="\b\nExamples:\n  tfgen render dev\n  tfgen render --all --dry-run")
@ENVS
@ALL
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.pass_context
@handle_errors
def render(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, force: bool, dry_run: bool) -> None:
    """Render environments into generated/ (one status word per file)."""
    from tfgen.writer import sync_tree

    root = _project(ctx)
    result = render_project(root, resolve_environments(root, envs, all_envs))
    _print_warnings(result.warnings)
    try:
        report = sync_tree(root / OUTPUT_DIR, result.files, result.scopes, force=force, dry_run=dry_run)
    except ConflictError as exc:
        _print_changes(getattr(exc, "report", None), show_diffs=True)
        raise
    _print_changes(report, show_diffs=False)
    _status(("dry run: " if dry_run else "") + report.summary())


def _print_changes(report: Any, show_diffs: bool) -> None:
    if report is None:
        return
    for change in report.changes:
        _status(f"{change.status:>9}  {OUTPUT_DIR}/{change.path}")
        if show_diffs and change.status == "conflict" and change.diff:
            click.echo(change.diff, nl=not change.diff.endswith("\n"))


@main.command(epilog="\b\nExamples:\n  tfgen check --all\n  tfgen check dev --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
@click.pass_context
@handle_errors
def check(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Fail (exit 1) when generated/ differs from what the specs render to. Never writes."""
    from tfgen.writer import compare_tree

    root = _project(ctx)
    try:
        result = render_project(root, resolve_environments(root, envs, all_envs))
    except SpecError as exc:
        if as_json:
            click.echo(json.dumps(_problems_json(exc), indent=2))
        raise
    drifts = compare_tree(root / OUTPUT_DIR, result.files, result.scopes)
    if as_json:
        click.echo(json.dumps(_check_json(result.environments, drifts), indent=2))
    else:
        for drift in drifts:
            _status(f"{drift.kind:>8}  {OUTPUT_DIR}/{drift.path}")
            if drift.diff:
                click.echo(drift.diff, nl=not drift.diff.endswith("\n"))
    if drifts:
        _status(f"{len(drifts)} file(s) out of date: run `tfgen render {' '.join(result.environments)}`")
        sys.exit(EXIT_STALE)
    _status(f"up to date: {', '.join(result.environments)} ({len(result.files)} files)")


def _check_json(environments: list[str], drifts: list[Any]) -> dict[str, Any]:
    return {
        "version": 1,
        "status": "stale" if drifts else "ok",
        "environments": environments,
        "files": [{"path": f"{OUTPUT_DIR}/{d.path}", "kind": d.kind, "diff": d.diff} for d in drifts],
    }


def _problems_json(exc: SpecError) -> dict[str, Any]:
    return {
        "version": 1,
        "status": "invalid",
        "problems": [
            {"file": p.location.file if p.location else None, "line": p.location.line if p.location else None,
             "column": p.location.col if p.location else None, "path": p.path, "message": p.message}
            for p in exc.problems
        ],
    }


@main.command(epilog="\b\nExamples:\n  tfgen validate --all\n  tfgen validate prod --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON on stdout.")
@click.pass_context
@handle_errors
def validate(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Validate specs; print every problem as file:line:col: path: message."""
    from tfgen.pipeline import validate_project

    root = _project(ctx)
    try:
        selected = resolve_environments(root, envs, all_envs)
        validated = validate_project(root)
    except SpecError as exc:
        if as_json:
            click.echo(json.dumps(_problems_json(exc), indent=2))
        raise
    warnings = [w for v in validated if v.spec.env in selected for w in v.warnings]
    _print_warnings(warnings)
    if as_json:
        click.echo(json.dumps({"version": 1, "status": "ok", "environments": selected, "problems": [],
                               "warnings": warnings}, indent=2))
    _status(f"valid: {', '.join(selected)}")


@main.command(epilog="\b\nExamples:\n  tfgen show dev\n  tfgen show prod --provenance")
@click.argument("env", shell_complete=_complete_env)
@click.option("--provenance", is_flag=True, help="Show the file:line each value came from.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, env: str, provenance: bool, as_json: bool) -> None:
    """Print the effective (merged, defaulted) spec of one environment."""
    from tfgen.show import effective_spec, render_provenance, render_yaml

    root = _project(ctx)
    resolve_environments(root, [env], False)
    validated = effective_spec(root, env)
    if as_json:
        click.echo(json.dumps(validated.doc, indent=2, sort_keys=True))
    elif provenance:
        click.echo(render_provenance(validated), nl=False)
    else:
        click.echo(render_yaml(validated.doc), nl=False)


@main.command(epilog="\b\nExamples:\n  tfgen diff dev prod\n  tfgen diff staging prod --json")
@click.argument("env_a", shell_complete=_complete_env)
@click.argument("env_b", shell_complete=_complete_env)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON on stdout.")
@click.pass_context
@handle_errors
def diff(ctx: click.Context, env_a: str, env_b: str, as_json: bool) -> None:
    """Show what differs between two environments' effective specs (exit 1 when they differ)."""
    from tfgen.pipeline import validate_project
    from tfgen.show import diff_specs, render_diff_table

    root = _project(ctx)
    resolve_environments(root, [env_a, env_b], False)
    by_env = {v.spec.env: v for v in validate_project(root)}
    rows = diff_specs(by_env[env_a], by_env[env_b])
    if as_json:
        click.echo(json.dumps({"version": 1, "a": env_a, "b": env_b, "identical": not rows,
                               "differences": rows}, indent=2, sort_keys=True))
    elif rows:
        click.echo(render_diff_table(env_a, env_b, rows), nl=False)
    _status(f"{len(rows)} difference(s) between {env_a} and {env_b}")
    sys.exit(EXIT_STALE if rows else EXIT_OK)


@main.command(epilog="\b\nExamples:\n  tfgen fmt generated\n  tfgen fmt --check --diff main.tf")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if any file would change; write nothing.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@handle_errors
def fmt(paths: tuple[Path, ...], check_only: bool, show_diff: bool) -> None:
    """Format .tf/.tfvars files exactly like `terraform fmt` (no terraform binary needed)."""
    from tfgen.fmtcmd import format_paths

    changed = format_paths(list(paths) or [Path(".")], check_only=check_only, show_diff=show_diff,
                           echo=click.echo, status=_status)
    sys.exit(EXIT_STALE if (changed and check_only) else EXIT_OK)


@main.command(epilog="\b\nExamples:\n  tfgen schema > specs/tfgen.schema.json")
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and yaml-language-server)."""
    from tfgen.model import SPEC
    from tfgen.schema import to_json_schema

    click.echo(json.dumps(to_json_schema(SPEC, "tfgen environment spec"), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()

