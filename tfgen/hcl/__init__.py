"""tfgen.hcl: HCL native syntax in pure Python, in three stages, formatting exactly as `terraform fmt` does.

1. tfgen.hcl.tokens: the scanner (hclsyntax's scan_tokens.rl), with the refusals of checkInvalidTokens;
2. tfgen.hcl.parse (+ expr, template): the grammar check of hclsyntax.ParseConfig, first error located;
3. tfgen.hcl.rewrite + tfgen.hcl.printer: terraform fmt's rewrites and hclwrite's spacing passes.

A file that does not parse raises FormatError (file:line:column: summary; detail) and is never formatted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tfgen.errors import FormatError
from tfgen.hcl.parse import check
from tfgen.hcl.printer import format_tokens
from tfgen.hcl.rewrite import rewrite
from tfgen.hcl.tokens import CBRACE, CLOSERS, EOF, NL, OPENERS, Tok, tokenize

# After a line that is exactly `}` (and not at the end): a candidate cut, kept only when the piece before it
# scans on its own and ends with nothing open (see format_hcl).
_CANDIDATE_CUT = re.compile(r"(?m)(?<=^\}\n)(?!\Z)")


Formatted = tuple[str, frozenset[str]]  # the text, and the top-level attribute names it sets


@dataclass
class Memo:
    """Formatted top-level items, for formatting many files rendered from the same templates.

    `items` holds pieces that the token scan cut at a top-level block end: each starts and ends with the
    scanner in its initial state (no open bracket, string, heredoc or comment). A file made only of such
    pieces therefore scans, and formats, as the pieces one by one: terraform fmt never aligns or indents
    across the end of a top-level block. `tails` holds a file's last piece, valid only at the end. The one
    check that spans pieces, a top-level attribute set twice, is made on the names each piece sets.
    """

    items: dict[str, Formatted] = field(default_factory=dict)
    tails: dict[str, Formatted] = field(default_factory=dict)


def format_hcl(text: str, source: str = "<string>", memo: Memo | None = None) -> str:
    """Return `text` formatted exactly as `terraform fmt` would, or raise FormatError where terraform refuses.

    With `memo`, the file is cut where a line `}` ends a block, and each distinct piece is scanned and
    formatted once: a piece is accepted only if it scans on its own and ends where the scanner starts (so the
    next piece is read exactly as in the whole file). Any other file is cut by scanning it whole. Environments
    rendered from one template share most of their blocks, which is what makes rendering many of them fast.
    """
    text = text.removeprefix("\ufeff")  # terraform drops a byte-order mark
    if memo is None:
        return _format(tokenize(text, source), text, source)[0]
    try:
        pieces = _CANDIDATE_CUT.split(text)
        done = [_format_block(piece, source, memo.items) for piece in pieces[:-1]]
        if None not in done:
            joined = _join([*done, _format_piece(pieces[-1], source, memo.tails)])  # type: ignore[list-item]
        else:
            pieces = top_level_items(tokenize(text, source), text)
            done = [_format_piece(piece, source, memo.items) for piece in pieces[:-1]]
            joined = _join([*done, _format_piece(pieces[-1], source, memo.tails)])
    except FormatError:  # located in a piece: the whole file gives the file's own line numbers
        joined = None
    return joined if joined is not None else _format(tokenize(text, source), text, source)[0]


def _join(done: list[Formatted]) -> str | None:
    """The pieces' text, or None when two pieces set the same top-level attribute (an error of the file)."""
    names = [name for _, attributes in done for name in attributes]
    return "".join(text for text, _ in done) if len(names) == len(set(names)) else None


def _format_block(piece: str, source: str, store: dict[str, Formatted]) -> Formatted | None:
    """A piece ending at a block's `}` line, formatted; None when it does not end where the scanner starts."""
    formatted = store.get(piece)
    if formatted is None:
        toks = tokenize(piece, source)
        if not _ends_a_block(toks):
            return None
        formatted = store[piece] = _format(toks, piece, source)
    return formatted


def _ends_a_block(toks: list[Tok]) -> bool:
    """The last tokens are a `}` closing depth 1 and its newline: nothing is left open."""
    depth = 0
    for tok in toks:
        depth += tok.kind in OPENERS
        depth -= tok.kind in CLOSERS
        if depth < 0:
            return False
    return depth == 0 and len(toks) >= 3 and toks[-3].kind == CBRACE and toks[-2].kind == NL


def _format(toks: list[Tok], text: str, source: str) -> Formatted:
    attributes = check(toks, text, source)
    return format_tokens(rewrite(toks)), attributes


def _format_piece(piece: str, source: str, store: dict[str, Formatted]) -> Formatted:
    formatted = store.get(piece)
    if formatted is None:
        formatted = store[piece] = _format(tokenize(piece, source), piece, source)
    return formatted


def top_level_items(toks: list[Tok], text: str) -> list[str]:
    """Split `text` after every newline that ends a top-level block (a `}` closing depth 1), by tokens, so
    that a `}` inside a heredoc, a string or a comment never splits anything. Never empty."""
    cuts, depth = [0], 0
    for index, tok in enumerate(toks):
        if tok.kind in OPENERS:
            depth += 1
        elif tok.kind in CLOSERS:
            depth -= 1
            following = toks[index + 1]
            if depth == 0 and tok.kind == CBRACE and following.kind == NL and toks[index + 2].kind != EOF:
                cuts.append(following.pos + len(following.text))
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a] or [text]
