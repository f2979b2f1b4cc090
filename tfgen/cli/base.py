"""The CLI group and what every command shares: error handling, options, escaped printing, JSON reports.

No logic here beyond choosing a stage and mapping errors to exit codes.

Status goes to stderr, data (diffs, JSON, specs, fmt's changed files) to stdout. Exit codes: 0 ok,
1 stale/different/would change, 2 invalid input, 3 conflict, 70 internal error, 130 interrupted.
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
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXPECTED_ERRORS,
    Problem,
    SpecError,
    TfgenError,
    as_tfgen_error,
)
from tfgen.pipeline import OUTPUT_DIR, list_environments
from tfgen.project import find_project
from tfgen.render.filters import terminal_text

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
Exit codes:
  0    ok
  1    stale, different, would change, or an unacknowledged destructive change (impact)
  2    invalid input (spec, arguments, a file that does not parse)
  3    conflict: refused to overwrite a generated file edited by hand
  70   internal error: a bug in tfgen (re-run with --debug for the traceback)
  130  interrupted (Ctrl-C); nothing half-written is left behind

\b
Project directory: -C DIR before or after the command, or TFGEN_PROJECT_DIR=DIR
(pre-commit appends a hook's args after the command: args: [-C, infra]).

\b
Shell completion (commands, options and environment names from specs/):
  bash  eval "$(_TFGEN_COMPLETE=bash_source tfgen)"         in ~/.bashrc
  zsh   eval "$(_TFGEN_COMPLETE=zsh_source tfgen)"          in ~/.zshrc
  fish  _TFGEN_COMPLETE=fish_source tfgen | source           in ~/.config/fish/config.fish
"""


def status(message: str) -> None:
    """Status and errors on stderr; spec text inside them cannot drive the terminal (ANSI/OSC escaped)."""
    click.echo(terminal_text(message), err=True)


def echo_data(text: str) -> None:
    """Diffs on stdout show file contents that a checkout controls: escape control characters there too."""
    click.echo(terminal_text(text), nl=not text.endswith("\n"))


REPORT_HINT = ("this is a bug in tfgen, not in your spec; please report it with the command you ran "
               "(re-run with --debug for the traceback)")


def debug_enabled() -> bool:
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
                status(f"{exc}; nothing was written" if func.__name__ in WRITING_COMMANDS else str(exc))
            else:
                status(f"error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            status("interrupted; nothing half-written is left behind (files are replaced atomically)")
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback by default
            if debug_enabled():
                raise
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            status(f"error: internal error ({type(exc).__name__}{': ' + detail if detail else ''})\n{REPORT_HINT}")
            sys.exit(EXIT_INTERNAL)

    return wrapper


def complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    try:
        root = find_project(Path(ctx.find_root().params.get("project_dir") or "."))
    except TfgenError:
        return []
    return [e for e in list_environments(root) if e.startswith(incomplete)]


def project_root(ctx: click.Context) -> Path:
    """The project: -C's directory or the current one, or the nearest parent holding specs/ and templates/."""
    return find_project(ctx.obj["project_dir"])


PROJECT_DIR_TYPE = click.Path(file_okay=False, path_type=Path)


def _project_dir_after(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """`tfgen check --all -C infra`: the command's -C overrides the group's (and TFGEN_PROJECT_DIR)."""
    if value is not None:
        ctx.find_root().ensure_object(dict)["project_dir"] = value


class TfgenGroup(click.Group):
    """Every command also accepts -C after its name: pre-commit appends a hook's `args` after the entry."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.append(click.Option(["-C", "project_dir_after"], type=PROJECT_DIR_TYPE, default=None,
                                       expose_value=False, is_eager=True, callback=_project_dir_after,
                                       metavar="DIR", help="Project directory (same as tfgen -C DIR)."))
        super().add_command(cmd, name)


@click.group(cls=TfgenGroup, epilog=EPILOG_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tfgen")
@click.option("-C", "project_dir", type=PROJECT_DIR_TYPE, default=".", envvar="TFGEN_PROJECT_DIR",
              show_envvar=True,
              help="Project directory holding specs/, templates/ and generated/ (default: the current directory "
                   "or the nearest parent that holds specs/ and templates/). Also accepted after the command.")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error (for bug reports).")
@click.pass_context
def main(ctx: click.Context, project_dir: Path, debug: bool) -> None:
    """Generate a complete Terraform tree from one YAML spec per environment."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("project_dir", project_dir)  # a command's own -C (parsed later) replaces it
    ctx.obj["debug"] = debug


ENVS = click.argument("envs", nargs=-1, shell_complete=complete_env)
ALL = click.option("--all", "all_envs", is_flag=True, help="Act on every environment in specs/.")
ACKNOWLEDGE = click.option("--acknowledge", "acknowledged", multiple=True, metavar="ENV:KEY",
                           help="Accept a destructive change of spec KEY in ENV (repeatable; ENV:environment "
                                "accepts deleting ENV's spec). Reviewable alternative: "
                                "environment.acknowledged_changes in the spec.")


def acks(values: tuple[str, ...]) -> Any:
    from tfgen.impact.compare import Acknowledgements

    return Acknowledgements.parse(values)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        status(f"warning: {warning}")


def output_diff(diff: str) -> str:
    """Writer diffs name paths inside generated/; show them project-relative like the status lines."""
    return re.sub(r"^(---|\+\+\+) ([ab])/", rf"\1 \2/{OUTPUT_DIR}/", diff, flags=re.MULTILINE)


# ---------------------------------------------------------------- machine-readable output (--json)
# Every --json report is one JSON object on stdout with `version` (1), `command` and `status`, plus the
# same keys whatever the status, so CI can read them without branching. Documented in docs/json.md.

JSON_VERSION = 1


def problem_json(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file if loc else None, "line": loc.line if loc else None,
            "column": loc.col if loc else None, "path": problem.path, "message": problem.message}


def error_problems(exc: TfgenError) -> list[dict[str, Any]]:
    """Spec errors carry located problems; other errors (template, format, lock) become one message."""
    if isinstance(exc, SpecError):
        return [problem_json(p) for p in exc.problems]
    return [{"file": None, "line": None, "column": None, "path": "", "message": str(exc)}]


def emit_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True))


def emit_failure(payload: dict[str, Any], exc: BaseException) -> None:
    """Print the report of a failed command (status `invalid`) before the error handler exits."""
    emit_json({**payload, "status": "invalid", "problems": error_problems(as_tfgen_error(exc))})


