"""Stage 7: click commands. No logic here beyond choosing a stage and mapping errors to exit codes.

Status goes to stderr, data (diffs, JSON, specs) to stdout. Exit codes: 0 ok, 1 stale/different/would change,
2 invalid input, 3 conflict.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tfgen import __version__
from tfgen.errors import (
    EXIT_CONFLICT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STALE,
    EXPECTED_ERRORS,
    ConflictError,
    Problem,
    SpecError,
    TfgenError,
    as_tfgen_error,
)
from tfgen.filters import terminal_text
from tfgen.pipeline import OUTPUT_DIR, list_environments, render_project, resolve_environments
from tfgen.project import find_project

EPILOG_EXAMPLES = """\b
Examples:
  tfgen render dev              write generated/terraform/environments/dev and the modules
  tfgen check --all             fail (exit 1) when the committed tree is stale
  tfgen validate --all          check every spec, print every problem with file:line
  tfgen show prod --provenance  effective prod spec and where each value came from
  tfgen diff dev prod           what differs between two environments
  tfgen impact --all            what the uncommitted spec changes create, update, replace, destroy
  tfgen new qa --from dev       scaffold specs/qa.yaml (then: tfgen render qa)
  tfgen graph prod              Mermaid architecture diagram (--format dot for Graphviz)
  tfgen affected --since main   environments whose generated files differ from main, and why
  tfgen cost dev prod           monthly estimate per line item, with the savings levers
  tfgen fmt -recursive generated  terraform fmt, without terraform
  tfgen schema                  JSON Schema for editors (kept in specs/tfgen.schema.json)

\b
Exit codes: 0 ok, 1 stale/different/would change, 2 invalid input, 3 conflict (refused to overwrite).

\b
Shell completion (commands, options and environment names from specs/):
  bash  eval "$(_TFGEN_COMPLETE=bash_source tfgen)"         in ~/.bashrc
  zsh   eval "$(_TFGEN_COMPLETE=zsh_source tfgen)"          in ~/.zshrc
  fish  _TFGEN_COMPLETE=fish_source tfgen | source           in ~/.config/fish/config.fish
"""


def _status(message: str) -> None:
    """Status and errors on stderr; spec text inside them cannot drive the terminal (ANSI/OSC escaped)."""
    click.echo(terminal_text(message), err=True)


def _echo_data(text: str) -> None:
    """Diffs on stdout show file contents that a checkout controls: escape control characters there too."""
    click.echo(terminal_text(text), nl=not text.endswith("\n"))


REPORT_HINT = ("this is a bug in tfgen, not in your spec; please report it with the command you ran "
               "(re-run with --debug for the traceback)")


def _debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().obj or {}).get("debug"))


WRITING_COMMANDS = frozenset({"render", "new"})  # the only ones that can say "nothing was written"


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Route every error through one place: print it to stderr, exit with its code. Anything unexpected is a
    short message and a hint to report it; the traceback only with --debug. Only a command that writes says
    that nothing was written; a read-only one never would have."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EXPECTED_ERRORS as raised:
            exc = as_tfgen_error(raised)
            if isinstance(exc, SpecError):
                _status(f"{exc}; nothing was written" if func.__name__ in WRITING_COMMANDS else str(exc))
            else:
                _status(f"error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _status("interrupted; nothing half-written is left behind (files are replaced atomically)")
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback by default
            if _debug_enabled():
                raise
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            _status(f"error: internal error ({type(exc).__name__}{': ' + detail if detail else ''})\n{REPORT_HINT}")
            sys.exit(EXIT_INTERNAL)

    return wrapper


def _complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    try:
        root = find_project(Path(ctx.find_root().params.get("project_dir") or "."))
    except TfgenError:
        return []
    return [e for e in list_environments(root) if e.startswith(incomplete)]


def _project(ctx: click.Context) -> Path:
    """The project: -C's directory or the current one, or the nearest parent holding specs/ and templates/."""
    return find_project(ctx.obj["project_dir"])


@click.group(epilog=EPILOG_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tfgen")
@click.option("-C", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Project directory holding specs/, templates/ and generated/ (default: the current directory "
                   "or the nearest parent that holds specs/ and templates/).")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error (for bug reports).")
@click.pass_context
def main(ctx: click.Context, project_dir: Path, debug: bool) -> None:
    """Generate a complete Terraform tree from one YAML spec per environment."""
    ctx.ensure_object(dict)
    ctx.obj["project_dir"] = project_dir
    ctx.obj["debug"] = debug


ENVS = click.argument("envs", nargs=-1, shell_complete=_complete_env)
ALL = click.option("--all", "all_envs", is_flag=True, help="Act on every environment in specs/.")
ACKNOWLEDGE = click.option("--acknowledge", "acknowledged", multiple=True, metavar="ENV:KEY",
                           help="Accept a destructive change of spec KEY in ENV (repeatable; ENV:environment "
                                "accepts deleting ENV's spec). Reviewable alternative: "
                                "environment.acknowledged_changes in the spec.")


def _acks(values: tuple[str, ...]) -> Any:
    from tfgen.impact import Acknowledgements

    return Acknowledgements.parse(values)


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        _status(f"warning: {warning}")


@main.command(epilog="\b\nExamples:\n  tfgen render dev\n  tfgen render --all --dry-run")
@ENVS
@ALL
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--prune", multiple=True, metavar="ENV", shell_complete=_complete_env,
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
    from tfgen.pipeline import render_for_write, write_tree
    from tfgen.schemafile import SCHEMA_PATH, schema_conflict_diff, schema_status, write_schema

    root = _project(ctx)
    result = render_for_write(root, resolve_environments(root, envs, all_envs), sorted(set(prune)),
                              _acks(acknowledged))
    _print_warnings(result.warnings)
    for note in result.notes:
        _status(f"note: {note}")
    if not force and schema_status(root) == "conflict":  # decided before anything is written
        _status(f"{'conflict':>9}  {SCHEMA_PATH}")
        _echo_data(schema_conflict_diff(root))
        if not dry_run:
            raise ConflictError([SCHEMA_PATH])
    try:
        report = write_tree(root, result, force=force, dry_run=dry_run)
    except ConflictError as exc:
        _print_changes(getattr(exc, "report", None), show_diffs=True)
        raise
    _print_changes(report, show_diffs=bool(report.conflicts))
    schema = schema_status(root) if dry_run else write_schema(root, force=force)
    _status(f"{schema:>9}  {SCHEMA_PATH}")
    _status(("dry run: " if dry_run else "") + report.summary())
    if report.conflicts or schema == "conflict":  # only in a dry run: a real run raised before writing anything
        sys.exit(EXIT_CONFLICT)


def _output_diff(diff: str) -> str:
    """Writer diffs name paths inside generated/; show them project-relative like the status lines."""
    return re.sub(r"^(---|\+\+\+) ([ab])/", rf"\1 \2/{OUTPUT_DIR}/", diff, flags=re.MULTILINE)


def _print_changes(report: Any, show_diffs: bool) -> None:
    if report is None:
        return
    for change in report.changes:
        _status(f"{change.status:>9}  {OUTPUT_DIR}/{change.path}")
        if show_diffs and change.status == "conflict" and change.diff:
            _echo_data(_output_diff(change.diff))


# ---------------------------------------------------------------- machine-readable output (--json)
# Every --json report is one JSON object on stdout with `version` (1), `command` and `status`, plus the
# same keys whatever the status, so CI can read them without branching. Documented in README.md.

JSON_VERSION = 1


def _problem_json(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file if loc else None, "line": loc.line if loc else None,
            "column": loc.col if loc else None, "path": problem.path, "message": problem.message}


def _error_problems(exc: TfgenError) -> list[dict[str, Any]]:
    """Spec errors carry located problems; other errors (template, format, lock) become one message."""
    if isinstance(exc, SpecError):
        return [_problem_json(p) for p in exc.problems]
    return [{"file": None, "line": None, "column": None, "path": "", "message": str(exc)}]


def _emit_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True))


def _emit_failure(payload: dict[str, Any], exc: BaseException) -> None:
    """Print the report of a failed command (status `invalid`) before the error handler exits."""
    _emit_json({**payload, "status": "invalid", "problems": _error_problems(as_tfgen_error(exc))})


def check_report(environments: list[str], files: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "check", "status": "stale" if files else "ok",
            "environments": environments, "files": files, "problems": [], "warnings": warnings}


def _drift_json(drifts: list[Any]) -> list[dict[str, Any]]:
    """Stale files as reported. The manifest's diff is only hashes of the files listed with it, so it comes
    last and without a diff: a reviewer sees the files that matter first."""
    from tfgen.writer import MANIFEST_NAME

    return [{"path": f"{OUTPUT_DIR}/{d.path}", "kind": d.kind,
             "diff": "" if d.path == MANIFEST_NAME else _output_diff(d.diff)} for d in drifts]


def _review_order(entry: dict[str, Any]) -> tuple[bool, str]:
    """Sort key of check's files: by path, with the manifest (hash bookkeeping) last."""
    from tfgen.writer import MANIFEST_NAME

    return entry["path"] == f"{OUTPUT_DIR}/{MANIFEST_NAME}", entry["path"]


def _print_drift(entry: dict[str, Any]) -> None:
    _status(f"{entry['kind']:>8}  {entry['path']}")
    if entry["diff"]:
        _echo_data(entry["diff"])


@main.command(epilog="\b\nExamples:\n  tfgen check --all\n  tfgen check dev --json > tfgen-check.json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see README.md).")
@click.pass_context
@handle_errors
def check(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Fail (exit 1) when generated/ or specs/tfgen.schema.json differ from what the specs render to.

    Never writes. Reports each file as changed (with a unified diff), missing, or extra.
    """
    from tfgen.pipeline import compare_with_disk
    from tfgen.schemafile import schema_drift

    root = _project(ctx)
    try:
        result = render_project(root, resolve_environments(root, envs, all_envs), every_environment=all_envs)
        drifts = compare_with_disk(root, result)
    except EXPECTED_ERRORS as exc:
        if as_json:
            _emit_failure(check_report(sorted(set(envs)), [], []), exc)
        raise
    files = sorted(_drift_json(drifts) + [d for d in [schema_drift(root)] if d], key=_review_order)
    if as_json:
        _emit_json(check_report(result.environments, files, result.warnings))
    else:
        for entry in files:
            _print_drift(entry)
    if files:
        _status(f"{len(files)} file(s) out of date: run `tfgen render {' '.join(result.environments)}`")
        sys.exit(EXIT_STALE)
    _status(f"up to date: {', '.join(result.environments)} ({len(result.files)} files)")


def validate_report(environments: list[str], warnings: list[str]) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "validate", "status": "ok", "environments": environments,
            "problems": [], "warnings": warnings}


@main.command(epilog="\b\nExamples:\n  tfgen validate --all\n  tfgen validate prod --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see README.md).")
@ACKNOWLEDGE
@click.pass_context
@handle_errors
def validate(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool,
             acknowledged: tuple[str, ...]) -> None:
    """Validate specs; print every problem as file:line:col: path: message.

    Also refuses known-destructive changes against the committed specs (HEAD) until acknowledged.
    """
    from tfgen.pipeline import history_check, validate_project

    root = _project(ctx)
    try:
        selected = resolve_environments(root, envs, all_envs)
        validated = validate_project(root)
        history = history_check(root, validated, selected, _acks(acknowledged))
    except EXPECTED_ERRORS as exc:
        if as_json:
            _emit_failure(validate_report(sorted(set(envs)), []), exc)
        raise
    warnings = [w for v in validated if v.spec.env in selected for w in v.warnings] + history
    _print_warnings(warnings)
    if as_json:
        _emit_json(validate_report(selected, warnings))
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
        from tfgen.show import provenance_json

        click.echo(json.dumps(provenance_json(validated) if provenance else validated.doc, indent=2, sort_keys=True))
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
@click.argument("env_a", shell_complete=_complete_env)
@click.argument("env_b", shell_complete=_complete_env)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see README.md).")
@click.pass_context
@handle_errors
def diff(ctx: click.Context, env_a: str, env_b: str, as_json: bool) -> None:
    """Compare two environments' effective specs: path, each value, and which file set it.

    Exit 0 when identical, 1 when they differ.
    """
    from tfgen.costreport import cost_delta
    from tfgen.pipeline import validate_project
    from tfgen.show import diff_specs, render_diff_table

    root = _project(ctx)
    try:
        resolve_environments(root, [env_a, env_b], False)
        by_env = {v.spec.env: v for v in validate_project(root)}
    except EXPECTED_ERRORS as exc:
        if as_json:
            _emit_failure(diff_report(env_a, env_b, None), exc)
        raise
    rows = diff_specs(by_env[env_a], by_env[env_b])
    cost_body, cost_line = cost_delta(by_env[env_a].doc, by_env[env_b].doc, env_a, env_b)
    if as_json:
        _emit_json(diff_report(env_a, env_b, rows, cost_body))
    elif rows:
        click.echo(render_diff_table(env_a, env_b, rows), nl=False)
        _echo_data(cost_line)
    _status(f"{len(rows)} difference(s) between {env_a} and {env_b}")
    sys.exit(EXIT_STALE if rows else EXIT_OK)


@main.command(epilog="\b\nExamples:\n  tfgen new qa --from dev\n  tfgen new perf --from prod\n"
                     "  tfgen render qa")
@click.argument("env")
@click.option("--from", "source", default="dev", show_default=True, shell_complete=_complete_env,
              help="Existing environment to start from; the new spec extends the same base.")
@click.pass_context
@handle_errors
def new(ctx: click.Context, env: str, source: str) -> None:
    """Create specs/ENV.yaml: a minimal overlay of SOURCE's base, validated. Never overwrites (exit 3).

    The new spec extends what SOURCE extends and sets only what SOURCE changes on top of it, with a
    domain of its own. Render it with `tfgen render ENV`.
    """
    from tfgen.newenv import new_environment

    root = _project(ctx)
    created = new_environment(root, env, source)
    _status(f"{'create':>9}  specs/{created.path.name} (extends {created.extends})")
    _status(f"next: tfgen render {env}")


@main.command(epilog="\b\nExamples:\n  tfgen graph prod\n  tfgen graph prod --format dot | dot -Tsvg > prod.svg")
@click.argument("env", shell_complete=_complete_env)
@click.option("--format", "fmt_name", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True, help="Mermaid (GitHub renders it) or Graphviz DOT.")
@click.pass_context
@handle_errors
def graph(ctx: click.Context, env: str, fmt_name: str) -> None:
    """Draw ENV's architecture: internet, ALB, services and ports, security-group edges, database, subnets."""
    from tfgen.graph import render_graph
    from tfgen.pipeline import graph_contexts

    project, environment = graph_contexts(_project(ctx), env)
    click.echo(render_graph(project, environment, fmt_name), nl=False)


@main.command(epilog="\b\nExamples:\n  tfgen fmt                        the .tf files in the current directory\n"
                     "  tfgen fmt -recursive generated\n  tfgen fmt --check --diff main.tf\n"
                     "  cat main.tf | tfgen fmt -")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("-check", "--check", "check_only", is_flag=True, help="Exit 1 if any file would change; write nothing.")
@click.option("-diff", "--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@click.option("-recursive", "--recursive", is_flag=True, help="Also format files in subdirectories.")
@handle_errors
def fmt(paths: tuple[Path, ...], check_only: bool, show_diff: bool, recursive: bool) -> None:
    """Format .tf/.tfvars files exactly like `terraform fmt` (no terraform binary needed).

    Like terraform fmt: no PATH means the current directory only; `-` reads stdin and writes stdout.
    A file that does not parse is reported (file:line:column) and left untouched; exit 2.
    """
    from tfgen.fmtcmd import InputRefused, format_paths, format_stdin

    if Path("-") in paths:
        if len(paths) > 1:
            raise InputRefused("-", "stdin (-) cannot be combined with other paths")
        changed = format_stdin(check_only=check_only, show_diff=show_diff, echo=_echo_data)
    else:
        changed = bool(format_paths(list(paths) or [Path(".")], check_only=check_only, show_diff=show_diff,
                                    echo=_echo_data, status=_status, recursive=recursive))
    sys.exit(EXIT_STALE if (changed and check_only) else EXIT_OK)


def cost_report(body: list[dict[str, Any]], prices: dict[str, str] | None) -> dict[str, Any]:
    return {"version": JSON_VERSION, "command": "cost", "status": "ok" if prices else "invalid",
            "environments": body, "prices": prices, "problems": []}


@main.command(epilog="\b\nExamples:\n  tfgen cost dev\n  tfgen cost --all --json")
@ENVS
@ALL
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see README.md).")
@click.pass_context
@handle_errors
def cost(ctx: click.Context, envs: tuple[str, ...], all_envs: bool, as_json: bool) -> None:
    """Estimate the monthly AWS cost of environments, per line item, with the savings levers.

    Prices come from tfgen's dated price table (date and source printed); usage assumptions from each
    spec's `cost:` section.
    """
    from tfgen.cost import estimate, estimate_json, prices_json
    from tfgen.costreport import render_report
    from tfgen.pipeline import validate_project

    root = _project(ctx)
    try:
        selected = resolve_environments(root, envs, all_envs)
        by_env = {v.spec.env: v.doc for v in validate_project(root)}
        estimates = [estimate(env, by_env[env]) for env in selected]
    except EXPECTED_ERRORS as exc:
        if as_json:
            _emit_failure(cost_report([], None), exc)
        raise
    if as_json:
        _emit_json(cost_report([estimate_json(e) for e in estimates], prices_json(estimates[0])))
    else:
        _echo_data(render_report(estimates))


def affected_report(since: str, body: dict[str, Any] | None) -> dict[str, Any]:
    empty = {"since": since, "commit": None, "environments": [], "affected": [], "unaffected": [], "removed": []}
    return {"version": JSON_VERSION, "command": "affected", "status": "ok" if body else "invalid",
            **(body or empty), "problems": []}


@main.command(epilog="\b\nExamples:\n  tfgen affected --since origin/main\n"
                     "  tfgen affected --since HEAD~1 --json")
@click.option("--since", "ref", required=True, help="Git revision to compare with (read with git, never checked out).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (see README.md).")
@click.pass_context
@handle_errors
def affected(ctx: click.Context, ref: str, as_json: bool) -> None:
    """List the environments whose generated files differ from those committed at REF, and why.

    CI plans only these. Never writes; exit 0 whether or not anything is affected.
    """
    from tfgen.affected import affected_since, report_json, report_lines

    try:
        report = affected_since(_project(ctx), ref)
    except EXPECTED_ERRORS as exc:
        if as_json:
            _emit_failure(affected_report(ref, None), exc)
        raise
    if as_json:
        _emit_json(affected_report(ref, report_json(report)))
    else:
        for line in report_lines(report):
            _echo_data(line)
    _status(f"{len(report.affected)} of {len(report.affected) + len(report.unaffected)} environment(s) affected "
            f"since {ref} ({report.commit[:12]})")


@main.command(epilog="\b\nExamples:\n  tfgen schema > specs/tfgen.schema.json\n"
                     "  (tfgen render keeps that file current; tfgen check reports it when stale)")
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and yaml-language-server)."""
    from tfgen.schemafile import schema_text

    click.echo(schema_text(), nl=False)


from tfgen import impactcli  # noqa: E402, F401  (registers `tfgen impact` on main)
from tfgen.adopt.command import adopt_command  # noqa: E402

main.add_command(adopt_command)

if __name__ == "__main__":  # pragma: no cover
    from tfgen.cli import main as registered  # the module proper, on which impactcli registered its command

    registered()

