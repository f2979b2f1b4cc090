"""Stage 3b of tfgen.hcl: hclwrite's format passes (hclwrite/format.go), which only change spacing.

Lines are split into cells (lead, assignment, trailing comment) as formatLine does; then formatIndent gives
two spaces per open bracket, formatSpaces sets the gap after every token (spaceAfterToken), and formatCells
aligns `=` and trailing comments across runs of consecutive lines, measuring columns in grapheme clusters.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from tfgen.hcl.tokens import (
    BANG,
    CBRACE,
    CHEREDOC,
    CLOSERS,
    COLON,
    COMMA,
    COMMENT,
    CONTROL,
    CQUOTE,
    DCOLON,
    DOT,
    ELLIPSIS,
    EOF,
    EQUAL,
    IDENT,
    INTERP,
    MINUS,
    NIL,
    NL,
    NUMBER,
    OBRACE,
    OBRACK,
    OHEREDOC,
    OPAREN,
    OPENERS,
    OQUOTE,
    QLIT,
    QUESTION,
    SEQEND,
    SLIT,
    STR,
    Tok,
)
from tfgen.hcl.width import columns

_DELTA = dict.fromkeys(OPENERS, 1) | dict.fromkeys(CLOSERS, -1)
# Tokens after which a `-` is a negation (hclwrite's spaceAfterToken heuristic).
_NEG_BEFORE = frozenset(
    {NIL, OPAREN, OBRACE, OBRACK, EQUAL, COLON, COMMA, QUESTION, "+", "*", "/", "%", MINUS, "==", "!=", ">",
     ">=", "<", "<=", "&&", "||", BANG}
)
_NO_SPACE_SUBJECT = frozenset({QLIT, SLIT, OQUOTE, OHEREDOC})
_NO_SPACE_AFTER = frozenset({QLIT, SLIT, CQUOTE, CHEREDOC})
_NIL = Tok(NIL, "")


def format_tokens(toks: list[Tok]) -> str:
    """Re-space the (rewritten) token stream and return the formatted text."""
    lines = _split_lines(toks)
    _format_indent(lines)
    _format_spaces(lines)
    _format_cells(lines)
    return "".join([" " * t.sp + t.text for t in toks])


Line = tuple[list[Tok], list[Tok], list[Tok]]  # lead, assign, comment cells (hclwrite's formatLine)


def _split_lines(toks: list[Tok]) -> list[Line]:
    """Split at newlines (`#`/`//` comments carry their newline) into cells, like linesForFormat."""
    lines: list[Line] = []
    start, equals = 0, -1
    for i, tok in enumerate(toks):
        kind = tok.kind
        if kind == EQUAL:
            if equals < 0 and i > start:
                equals = i - start
        elif kind == NL or (kind == COMMENT and tok.text[-1] == "\n"):
            lines.append(_cells(toks[start : i + 1], equals))
            start, equals = i + 1, -1
        elif kind == EOF:
            lines.append(_cells(toks[start:i], equals))
    return lines


def _net(toks: list[Tok]) -> int:
    """Net bracket change over tokens (hclwrite's tokenBracketChange, summed)."""
    delta = _DELTA
    return sum([delta.get(t.kind, 0) for t in toks])


def _cells(lead: list[Tok], equals: int) -> Line:
    """Split off a trailing comment, and the assign cell when the first `=` starts a balanced rest."""
    comment: list[Tok] = []
    if len(lead) > 1 and lead[-1].kind == COMMENT:
        lead, comment = lead[:-1], lead[-1:]
    if 0 < equals < len(lead) and _net(lead[equals:]) == 0:
        return lead[:equals], lead[equals:], comment
    return lead, [], comment


def _format_indent(lines: list[Line]) -> None:
    """Indent two spaces per net-open bracket line, using hclwrite's indent stack."""
    indents: list[int] = []
    for lead, assign, _ in lines:
        if not lead:
            continue
        if lead[0].kind == NL:
            lead[0].sp = 0
            continue
        net = 0
        for tok in lead:
            net += _DELTA.get(tok.kind, 0)
            if tok.kind == OHEREDOC:
                break
        net += _net(assign)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        lead[0].sp = 2 * len(indents)
        if net > 0:
            indents.append(net)


def _format_spaces(lines: list[Line]) -> None:
    """Set the gap after each token within the lead and assign cells (hclwrite's formatSpaces)."""
    memo: dict[tuple[str, str], int] = {}
    for lead, assign, _ in lines:
        if assign:
            assign[0].sp = 1
        for cell in (lead, assign):
            before = _NIL
            for subject, after in pairwise(cell):
                key = (subject.kind, after.kind)
                if key[0] == MINUS or (key[0] == IDENT and subject.text == "in"):
                    after.sp = int(_space_after(subject, before, after))  # these rules look at `before`
                else:
                    gap = memo.get(key)
                    if gap is None:
                        gap = memo[key] = int(_space_after(subject, before, after))
                    after.sp = gap
                before = subject


def _space_after(subject: Tok, before: Tok, after: Tok) -> bool:
    """hclwrite's spaceAfterToken; STR acts as OQuote when it follows and CQuote when it leads."""
    s, a = subject.kind, after.kind
    if a == NL:
        return False
    if (s == IDENT and a in (OPAREN, DCOLON)) or (s == DCOLON and a == IDENT):
        return False
    if s == DOT or a in (DOT, COMMA, ELLIPSIS):
        return False
    if s == COMMA:
        return True
    if s in _NO_SPACE_SUBJECT or a in _NO_SPACE_AFTER:
        return False
    if s == IDENT and before.kind == IDENT and subject.text == "in":
        return True
    if a == OBRACK and (s in (IDENT, NUMBER) or s in CLOSERS):
        return False
    if s == BANG:
        return False
    if s == MINUS:
        return before.kind not in _NEG_BEFORE
    if s == OBRACE or a == CBRACE:
        return not (s == OBRACE and a == CBRACE)
    if (s in (INTERP, CONTROL) and a == OBRACE) or (s == CBRACE and a == SEQEND):
        return True
    if s == SEQEND and a in (INTERP, CONTROL):
        return False
    return s not in OPENERS and a not in CLOSERS


def _columns(cell: list[Tok]) -> int:
    """Width as hclwrite counts it: spaces plus grapheme clusters of each token's text.

    A STR token is hclwrite's three tokens (quote, literal, quote), each counted on its own: a combining
    mark or emoji modifier at the start of a string does not join the opening quote.
    """
    total = 0
    for tok in cell:
        text = tok.text
        if text.isascii():
            total += tok.sp + len(text) - text.count("\r\n")
        elif tok.kind == STR:
            total += tok.sp + 2 + columns(text[1:-1])
        else:
            total += tok.sp + columns(text)
    return total


def _format_cells(lines: list[Line]) -> None:
    """Align `=` across runs of consecutive assignment lines, then trailing comments likewise."""
    _align(lines, 1, lambda line: _columns(line[0]))
    _align(lines, 2, lambda line: _columns(line[0]) + _columns(line[1]))


def _align(lines: list[Line], cell: int, width: Callable[[Line], int]) -> None:
    """Pad the first token of `cell` so it starts one column after the widest line of each run."""
    run: list[tuple[Tok, int]] = []
    for line in [*lines, ([], [], [])]:
        if line[cell]:
            run.append((line[cell][0], width(line)))
        elif run:
            widest = max(w for _, w in run)
            for tok, w in run:
                tok.sp = widest - w + 1
            run = []
