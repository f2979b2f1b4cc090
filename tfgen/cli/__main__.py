"""`python -m tfgen.cli`: the same entry point as the `tfgen` console script."""

from tfgen.cli import main

main()
