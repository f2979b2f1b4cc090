"""`tfgen impact`: the click command (registered on the main group by tfgen.cli); logic lives in the pipeline."""

from __future__ import annotations

import sys

import click

from tfgen.cli.base import (
    ACKNOWLEDGE,
    ALL,
    ENVS,
    acks,
    echo_data,
    emit_json,
    error_problems,
    handle_errors,
    main,
    print_warnings,
    project_root,
    status,
)
from tfgen.errors import EXIT_STALE, EXPECTED_ERRORS, as_tfgen_error


@main.command(epilog="\b\nExamples:\n  tfgen impact --all\n  tfgen impact prod --since origin/main --json\n"
                     "  tfgen impact --all --since HEAD~3 --format markdown >> \"$GITHUB_STEP_SUMMARY\"")
@ENVS
@ALL
@click.option("--since", "ref", default="HEAD", show_default=True, metavar="REF",
              help="Git revision whose specs are compared with the working tree's (read with git, never checked out).")
@click.option("--format", "fmt_name", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Report format on stdout (json is documented in docs/impact.md).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@ACKNOWLEDGE
@click.pass_context
@handle_errors
def impact(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, ref: str, fmt_name: str, as_json: bool,
           acknowledged: tuple[str, ...]) -> None:
    """What the spec changes since REF create, update, replace or destroy, per environment (no Terraform, no AWS).

    Exit 0 when nothing stateful is replaced or destroyed (or all of it is acknowledged), 1 when something
    is (listed), 2 on invalid input.
    """
    from tfgen.impact import report as impactreport
    from tfgen.pipeline import impact_project

    fmt_name = "json" if as_json else fmt_name
    try:
        run = impact_project(project_root(ctx), ref, list(envs), all_envs, acks(acknowledged))
    except EXPECTED_ERRORS as exc:
        if fmt_name == "json":
            emit_json(impactreport.failure_json(ref, error_problems(as_tfgen_error(exc))))
        raise
    parts = (run.ref, run.commit, run.impacts, run.blocking_findings, run.blocking_resources)
    print_warnings(run.warnings)
    if fmt_name == "json":
        emit_json(impactreport.impact_json(*parts, run.warnings))
    else:
        render_report = impactreport.render_markdown if fmt_name == "markdown" else impactreport.render_text
        echo_data(render_report(*parts))
    blocking = len(run.blocking_findings) + len(run.blocking_resources)
    if blocking:
        status(f"{blocking} destructive change(s) not acknowledged: see above; acknowledge each in the spec "
                "(environment.acknowledged_changes) or with --acknowledge ENV:KEY")
        sys.exit(EXIT_STALE)
