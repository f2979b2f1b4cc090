"""tfgen.hcl: HCL native syntax in pure Python, in three stages, formatting exactly as `terraform fmt` does.

1. tfgen.hcl.tokens: the scanner (hclsyntax's scan_tokens.rl), with the refusals of checkInvalidTokens;
2. tfgen.hcl.parse (+ expr, template): the grammar check of hclsyntax.ParseConfig, first error located;
3. tfgen.hcl.rewrite + tfgen.hcl.printer: terraform fmt's rewrites and hclwrite's spacing passes.

A file that does not parse raises FormatError (file:line:column: summary; detail) and is never formatted.
"""

from __future__ import annotations

from tfgen.hcl.parse import check
from tfgen.hcl.printer import format_tokens
from tfgen.hcl.rewrite import rewrite
from tfgen.hcl.tokens import tokenize


def format_hcl(text: str, source: str = "<string>") -> str:
    """Return `text` formatted exactly as `terraform fmt` would, or raise FormatError where terraform refuses."""
    text = text.removeprefix("\ufeff")  # terraform drops a byte-order mark
    toks = tokenize(text, source)
    check(toks, text, source)
    return format_tokens(rewrite(toks))
