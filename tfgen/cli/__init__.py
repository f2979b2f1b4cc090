"""The `tfgen` command line: the click group (base) and one module per command family, registered on import.

Commands hold no logic: they pick a pipeline function, print its result (escaped) and map errors to exit codes.
"""

from tfgen.cli import impact, specs, tools, tree  # noqa: F401  (each registers its commands on main)
from tfgen.cli.base import main

__all__ = ["main"]
