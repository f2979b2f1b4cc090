"""`tfgen render`, `check` and `validate`: the commands that render the tree or judge it."""

from __future__ import annotations

import sys
from typing import Any

import click

from tfgen.cli.base import (
    ACKNOWLEDGE,
    ALL,
    ENVS,
    JSON_VERSION,
    acks,
    complete_env,
    echo_data,
    emit_failure,
    emit_json,
    handle_errors,
    main,
    output_diff,
    print_warnings,
    project_root,
    status,
)
from tfgen.errors import EXIT_CONFLICT, EXIT_STALE, EXPECTED_ERRORS, ConflictError
from tfgen.pipeline import OUTPUT_DIR, render_project, resolve_environments


@main.command(epilog="\b\nExamples:\n  tfgen render dev\n  tfgen render --all --dry-run")
@ENVS
@ALL
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--prune", multiple=True, metavar="ENV", shell_complete=complete_env,
              help="Remove the generated files of ENV, whose spec was deleted (run terraform destroy first).")
@ACKNOWLEDGE
@click.pass_context
@handle_errors
def render(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, force: bool, dry_run: bool,
           prune: tuple[str, ...], acknowledged: tuple[str, ...]) -> None:
    """Render environments into generated/ (one status word per file) and refresh specs/tfgen.schema.json.

    Refuses known-destructive changes against the committed specs until acknowledged; re-renders the other
    environments when the shared modules change; never prunes a deleted environment without --prune.
    """
    from tfgen.model.schemafile import SCHEMA_PATH, schema_conflict_diff, schema_status, write_schema
    from tfgen.pipeline import render_for_write, write_tree

    root = project_root(ctx)
    result = render_for_write(root, resolve_environments(root, envs, all_envs), sorted(set(prune)),
                              acks(acknowledged))
    print_warnings(result.warnings)
    for note in result.notes:
        status(f"note: {note}")
    if not force and schema_status(root) == "conflict":  # decided before anything is written
        status(f"{'conflict':>9}  {SCHEMA_PATH}")
        echo_data(schema_conflict_diff(root))
        if not dry_run:
            raise ConflictError([SCHEMA_PATH])
    try:
        report = write_tree(root, result, force=force, dry_run=dry_run)
    except ConflictError as exc:
        _print_changes(getattr(exc, "report", None), show_diffs=True)
        raise
    _print_changes(report, show_diffs=bool(report.conflicts))
    schema = schema_status(root) if dry_run else write_schema(root, force=force)
    status(f"{schema:>9}  {SCHEMA_PATH}")
    status(("dry run: " if dry_run else "") + report.summary())
    if report.conflicts or schema == "conflict":  # only in a dry run: a real run raised before writing anything
        sys.exit(EXIT_CONFLICT)


def _print_changes(report: Any, show_diffs: bool) -> None:
    if report is None:
        return
    for change in report.changes:
        status(f"{change.status:>9}  {OUTPUT_DIR}/{change.path}")
        if show_diffs and change.status == "conflict" and change.diff:
            echo_data(output_diff(change.diff))


def check_report(environments: list[str], files: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "check", "status": "stale" if files else "ok",
            "environments": environments, "files": files, "problems": [], "warnings": warnings}


def _drift_json(drifts: list[Any]) -> list[dict[str, Any]]:
    """Stale files as reported. The manifest's diff is only hashes of the files listed with it, so it comes
    last and without a diff: a reviewer sees the files that matter first."""
    from tfgen.output.manifest import MANIFEST_NAME

    return [{"path": f"{OUTPUT_DIR}/{d.path}", "kind": d.kind,
             "diff": "" if d.path == MANIFEST_NAME else output_diff(d.diff)} for d in drifts]


def _review_order(entry: dict[str, Any]) -> tuple[bool, str]:
    """Sort key of check's files: by path, with the manifest (hash bookkeeping) last."""
    from tfgen.output.manifest import MANIFEST_NAME

    return entry["path"] == f"{OUTPUT_DIR}/{MANIFEST_NAME}", entry["path"]


def _print_drift(entry: dict[str, Any]) -> None:
    status(f"{entry['kind']:>8}  {entry['path']}")
    if entry["diff"]:
        echo_data(entry["diff"])


@main.command(epilog="\b\nExamples:\n  tfgen check --all\n  tfgen check dev --json > tfgen-check.json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see docs/json.md).")
@click.pass_context
@handle_errors
def check(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Fail (exit 1) when generated/ or specs/tfgen.schema.json differ from what the specs render to.

    Never writes. Reports each file as changed (with a unified diff), missing, or extra.
    """
    from tfgen.model.schemafile import schema_drift
    from tfgen.pipeline import compare_with_disk

    root = project_root(ctx)
    try:
        result = render_project(root, resolve_environments(root, envs, all_envs), every_environment=all_envs)
        drifts = compare_with_disk(root, result)
    except EXPECTED_ERRORS as exc:
        if as_json:
            emit_failure(check_report(sorted(set(envs)), [], []), exc)
        raise
    files = sorted(_drift_json(drifts) + [d for d in [schema_drift(root)] if d], key=_review_order)
    if as_json:
        emit_json(check_report(result.environments, files, result.warnings))
    else:
        for entry in files:
            _print_drift(entry)
    if files:
        status(f"{len(files)} file(s) out of date: run `tfgen render {' '.join(result.environments)}`")
        sys.exit(EXIT_STALE)
    status(f"up to date: {', '.join(result.environments)} ({len(result.files)} files)")


def validate_report(environments: list[str], warnings: list[str]) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "validate", "status": "ok", "environments": environments,
            "problems": [], "warnings": warnings}


@main.command(epilog="\b\nExamples:\n  tfgen validate --all\n  tfgen validate prod --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see docs/json.md).")
@ACKNOWLEDGE
@click.pass_context
@handle_errors
def validate(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool,
             acknowledged: tuple[str, ...]) -> None:
    """Validate specs; print every problem as file:line:col: path: message.

    Also refuses known-destructive changes against the committed specs (HEAD) until acknowledged.
    """
    from tfgen.pipeline import history_check, validate_project

    root = project_root(ctx)
    try:
        selected = resolve_environments(root, envs, all_envs)
        validated = validate_project(root)
        history = history_check(root, validated, selected, acks(acknowledged))
    except EXPECTED_ERRORS as exc:
        if as_json:
            emit_failure(validate_report(sorted(set(envs)), []), exc)
        raise
    warnings = [w for v in validated if v.spec.env in selected for w in v.warnings] + history
    print_warnings(warnings)
    if as_json:
        emit_json(validate_report(selected, warnings))
    status(f"valid: {', '.join(selected)}")
