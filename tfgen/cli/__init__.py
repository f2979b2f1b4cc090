"""The `tfgen` command line: the click group (base) and one module per command family, registered on import.

Commands hold no logic: they pick a pipeline function, print its result (escaped) and map errors to exit codes.
"""

from tfgen.adopt.command import adopt_command  # the adopt stage's command (it imports tfgen.cli.base)
from tfgen.cli import impact, specs, tools, tree  # noqa: F401  (each registers its commands on main)
from tfgen.cli.base import main

main.add_command(adopt_command)

__all__ = ["main"]
