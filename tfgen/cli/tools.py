"""`tfgen fmt`, `cost` and `affected`: formatting, estimates and change detection."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tfgen.cli.base import (
    ALL,
    ENVS,
    JSON_VERSION,
    echo_data,
    emit_failure,
    emit_json,
    handle_errors,
    main,
    project_root,
    status,
)
from tfgen.errors import EXIT_OK, EXIT_STALE, EXPECTED_ERRORS
from tfgen.pipeline import resolve_environments


@main.command(epilog="\b\nExamples:\n  tfgen fmt                        the .tf files in the current directory\n"
                     "  tfgen fmt -recursive generated\n  tfgen fmt --check --diff main.tf\n"
                     "  cat main.tf | tfgen fmt -")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("-check", "--check", "check_only", is_flag=True, help="Exit 1 if any file would change; write nothing.")
@click.option("-diff", "--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@click.option("-recursive", "--recursive", is_flag=True, help="Also format files in subdirectories.")
@click.pass_context
@handle_errors
def fmt(ctx: click.Context, paths: tuple[Path, ...], check_only: bool, show_diff: bool, recursive: bool) -> None:
    """Format .tf/.tfvars files exactly like `terraform fmt` (no terraform binary needed).

    Like terraform fmt: no PATH means the current directory only (the -C directory when given); `-` reads
    stdin and writes stdout. PATHs are relative to the current directory, as pre-commit passes them. The
    files that change are listed on stdout. A file that does not parse is reported (file:line:column) and
    left untouched; exit 2.
    """
    from tfgen.hcl.files import InputRefused, format_paths, format_stdin

    if Path("-") in paths:
        if len(paths) > 1:
            raise InputRefused("-", "stdin (-) cannot be combined with other paths")
        changed = format_stdin(check_only=check_only, show_diff=show_diff, echo=echo_data)
    else:
        default = Path((ctx.obj or {}).get("project_dir") or ".")
        changed = bool(format_paths(list(paths) or [default], check_only=check_only, show_diff=show_diff,
                                    echo=echo_data, status=status, recursive=recursive))
    sys.exit(EXIT_STALE if (changed and check_only) else EXIT_OK)


def cost_report(body: list[dict[str, Any]], prices: dict[str, str] | None) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "cost", "status": "ok" if prices else "invalid",
            "environments": body, "prices": prices, "problems": []}


@main.command(epilog="\b\nExamples:\n  tfgen cost dev\n  tfgen cost --all --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see docs/json.md).")
@click.pass_context
@handle_errors
def cost(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Estimate the monthly AWS cost of environments, per line item, with the savings levers.

    Prices come from tfgen's dated price table (date and source printed); usage assumptions from each
    spec's `cost:` section.
    """
    from tfgen.cost.estimate import estimate, estimate_json, prices_json
    from tfgen.cost.report import render_report
    from tfgen.pipeline import validate_project

    root = project_root(ctx)
    try:
        selected = resolve_environments(root, envs, all_envs)
        by_env = {v.spec.env: v.view for v in validate_project(root)}
        estimates = [estimate(env, by_env[env]) for env in selected]
    except EXPECTED_ERRORS as exc:
        if as_json:
            emit_failure(cost_report([], None), exc)
        raise
    if as_json:
        emit_json(cost_report([estimate_json(e) for e in estimates], prices_json(estimates[0])))
    else:
        echo_data(render_report(estimates))


def affected_report(since: str, body: dict[str, Any] | None) -> dict[str, Any]:
    empty = {"since": since, "commit": None, "environments": [], "affected": [], "unaffected": [], "removed": []}
    return {"version": JSON_VERSION, "command": "affected", "status": "ok" if body else "invalid",
            **(body or empty), "problems": []}


@main.command(epilog="\b\nExamples:\n  tfgen affected --since origin/main\n"
                     "  tfgen affected --since HEAD~1 --json")
@click.option("--since", "ref", required=True, help="Git revision to compare with (read with git, never checked out).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see docs/json.md).")
@click.pass_context
@handle_errors
def affected(ctx: click.Context, ref: str, as_json: bool) -> None:
    """List the environments whose generated files differ from those committed at REF, and why.

    CI plans only these. Never writes; exit 0 whether or not anything is affected.
    """
    from tfgen.history.affected import affected_since, report_json, report_lines

    try:
        report = affected_since(project_root(ctx), ref)
    except EXPECTED_ERRORS as exc:
        if as_json:
            emit_failure(affected_report(ref, None), exc)
        raise
    if as_json:
        emit_json(affected_report(ref, report_json(report)))
    else:
        for line in report_lines(report):
            echo_data(line)  # report_lines escapes names from the base revision to one line each
    status(f"{len(report.affected)} of {len(report.affected) + len(report.unaffected)} environment(s) affected "
            f"since {ref} ({report.commit[:12]})")
