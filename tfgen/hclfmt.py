"""The formatter the renderer and `tfgen fmt` use: `terraform fmt` in pure Python (see tfgen.hcl)."""

from tfgen.hcl import format_hcl

__all__ = ["format_hcl"]
