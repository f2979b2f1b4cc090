"""`tfgen adopt ENV --state FILE`: the click command; tfgen.cli registers it on the main group."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tfgen.cli.base import echo_data, emit_json, handle_errors, project_root, status
from tfgen.errors import EXIT_STALE


@click.command("adopt", epilog="\b\nExamples:\n  terraform show -json > live.json\n"
                               "  tfgen adopt dev --state live.json\n"
                               "  terraform state pull > live.tfstate && tfgen adopt dev --state live.tfstate --json")
@click.argument("env")
@click.option("--state", "state_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The live deployment's state: `terraform show -json` output or a `terraform state pull` file.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON on stdout (for CI).")
@click.option("--dry-run", is_flag=True, help="Report only; write neither the spec nor the adoption record.")
@click.option("--acknowledge", "acknowledged", multiple=True, metavar="ADDRESS",
              help="Accept losing this data-holding or traffic-serving resource (tfgen or live address); repeatable.")
@click.pass_context
@handle_errors
def adopt_command(ctx: click.Context, env: str, state_file: Path, as_json: bool, dry_run: bool,
                  acknowledged: tuple[str, ...]) -> None:
    """Take over a live deployment: match its state to ENV's tree, write the spec values that keep the live
    resources and specs/adoption/ENV.json (render turns it into adopt.tf: moved, import and removed blocks).

    Exit 0 when nothing that holds data or serves traffic would be replaced or left unmanaged (or all of it
    is acknowledged), 1 when something would (listed; nothing is written), 2 on an unreadable state or spec.
    """
    from tfgen.adopt.report import adoption_json, adoption_text
    from tfgen.adopt.run import adopt
    from tfgen.adopt.state import MAX_BYTES

    data = _read_state(state_file, MAX_BYTES)
    result = adopt(project_root(ctx), env, data, str(state_file), list(acknowledged), dry_run)
    if as_json:
        emit_json(adoption_json(result))
    else:
        echo_data("\n".join(adoption_text(result)) + "\n")
    if result.blocking:
        status(f"{len(result.blocking)} data-holding or traffic-serving resource(s) would be replaced or left "
                "unmanaged (marked [blocking]); nothing was written. Acknowledge each with --acknowledge ADDRESS")
        sys.exit(EXIT_STALE)
    for path in result.written:
        status(f"   write  {path}")
    if result.written:
        status(f"next: tfgen render {env}, then terraform plan in generated/terraform/environments/{env}")


def _read_state(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit + 1)
