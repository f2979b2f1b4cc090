"""`tfgen show`, `diff`, `new`, `graph` and `schema`: the commands that present or create specs."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tfgen.cli.base import (
    JSON_VERSION,
    complete_env,
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


@main.command(epilog="\b\nExamples:\n  tfgen show dev\n  tfgen show prod --provenance")
@click.argument("env", shell_complete=complete_env)
@click.option("--provenance", is_flag=True, help="Show the file:line each value came from.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, env: str, provenance: bool, as_json: bool) -> None:
    """Print the effective (merged, defaulted) spec of one environment."""
    from tfgen.show import effective_spec, render_provenance, render_yaml

    root = project_root(ctx)
    resolve_environments(root, [env], False)
    validated = effective_spec(root, env)
    if as_json:
        from tfgen.show import provenance_json

        body = provenance_json(validated) if provenance else validated.doc
        click.echo(json.dumps(body, indent=2, sort_keys=True, allow_nan=False))
    elif provenance:
        click.echo(render_provenance(validated), nl=False)
    else:
        click.echo(render_yaml(validated.doc), nl=False)


def diff_report(env_a: str, env_b: str, rows: list[dict[str, Any]] | None,
                cost: dict[str, Any] | None = None) -> dict[str, Any]:
    status = "invalid" if rows is None else ("different" if rows else "identical")
    return {"version": JSON_VERSION, "command": "diff", "status": status, "a": env_a, "b": env_b,
            "identical": None if rows is None else not rows, "differences": rows or [], "cost": cost,
            "problems": []}


@main.command(epilog="\b\nExamples:\n  tfgen diff dev prod\n  tfgen diff staging prod --json")
@click.argument("env_a", shell_complete=complete_env)
@click.argument("env_b", shell_complete=complete_env)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see docs/json.md).")
@click.pass_context
@handle_errors
def diff(ctx: click.Context, env_a: str, env_b: str, as_json: bool) -> None:
    """Compare two environments' effective specs: path, each value, and which file set it.

    Exit 0 when identical, 1 when they differ.
    """
    from tfgen.cost.report import cost_delta
    from tfgen.pipeline import validate_project
    from tfgen.show import diff_specs, render_diff_table

    root = project_root(ctx)
    try:
        resolve_environments(root, [env_a, env_b], False)
        by_env = {v.spec.env: v for v in validate_project(root)}
    except EXPECTED_ERRORS as exc:
        if as_json:
            emit_failure(diff_report(env_a, env_b, None), exc)
        raise
    rows = diff_specs(by_env[env_a], by_env[env_b])
    cost_body, cost_line = cost_delta(by_env[env_a].view, by_env[env_b].view, env_a, env_b)
    if as_json:
        emit_json(diff_report(env_a, env_b, rows, cost_body))
    elif rows:
        click.echo(render_diff_table(env_a, env_b, rows), nl=False)
        echo_data(cost_line)
    status(f"{len(rows)} difference(s) between {env_a} and {env_b}")
    sys.exit(EXIT_STALE if rows else EXIT_OK)


@main.command(epilog="\b\nExamples:\n  tfgen new qa --from dev --account-id 123456789012\n"
                     "  tfgen new perf --from prod   (asks for the account id)\n  tfgen render qa")
@click.argument("env")
@click.option("--from", "source", default="dev", show_default=True, shell_complete=complete_env,
              help="Existing environment to start from; the new spec extends the same base.")
@click.option("--account-id", help="AWS account id (12 digits) the new environment lives in; asked for when "
                                   "missing and the terminal is interactive.")
@click.pass_context
@handle_errors
def new(ctx: click.Context, env: str, source: str, account_id: str | None) -> None:
    """Create specs/ENV.yaml: a minimal overlay of SOURCE's base, validated. Never overwrites (exit 3).

    The new spec extends what SOURCE extends and sets only what SOURCE changes on top of it, with a
    domain and an AWS account of its own. Render it with `tfgen render ENV`.
    """
    from tfgen.newenv import new_environment

    root = project_root(ctx)
    created = new_environment(root, env, source, account_id or ask_account_id(env))
    status(f"{'create':>9}  specs/{created.path.name} (extends {created.extends})")
    status(f"next: tfgen render {env}")


@main.command(epilog="\b\nExamples:\n  tfgen graph prod\n  tfgen graph prod --format dot | dot -Tsvg > prod.svg")
@click.argument("env", shell_complete=complete_env)
@click.option("--format", "fmt_name", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True, help="Mermaid (GitHub renders it) or Graphviz DOT.")
@click.pass_context
@handle_errors
def graph(ctx: click.Context, env: str, fmt_name: str) -> None:
    """Draw ENV's architecture: internet, ALB, services and ports, security-group edges, database, subnets."""
    from tfgen.graph import render_graph
    from tfgen.pipeline import graph_contexts

    project, environment = graph_contexts(project_root(ctx), env)
    click.echo(render_graph(project, environment, fmt_name), nl=False)


@main.command(epilog="\b\nExamples:\n  tfgen schema > specs/tfgen.schema.json\n"
                     "  (tfgen render keeps that file current; tfgen check reports it when stale)")
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and yaml-language-server)."""
    from tfgen.model.schemafile import schema_text

    click.echo(schema_text(), nl=False)


def ask_account_id(env: str) -> str:
    """Every environment names its AWS account: ask for it on a terminal, refuse without one elsewhere."""
    if not interactive():
        raise click.UsageError(f"--account-id is required: the AWS account id (12 digits) environment {env} "
                               "lives in (every spec pins its account, so it cannot be applied with another "
                               "account's credentials)")
    return str(click.prompt(f"AWS account id of {env} (12 digits)", type=str)).strip()


def interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()
