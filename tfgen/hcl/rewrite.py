"""Stage 3a of tfgen.hcl: the rewrites `terraform fmt` makes to a parsed file before re-spacing it.

Terraform's fmt command walks the hclwrite tree: block labels are re-quoted (Block.SetLabels), an attribute
value that is only `"${ expr }"` becomes `expr` (formatValueExpr), and in `variable` blocks the legacy type
names `list`, `map`, `"string"`... become `list(any)`, `string`... (formatTypeExpr).  The input has already
passed tfgen.hcl.parse, so the token stream is well formed here.

One deliberate difference: hclwrite reads a label only when it is a single literal token, and the scanner cuts
literals at `$` and `%`, so `terraform fmt` silently deletes labels such as "a$b" or "$${x}" (changing which
resource the block declares).  tfgen keeps those labels, re-encoded like any other.
"""

from __future__ import annotations

import re

from tfgen.hcl.tokens import (
    CBRACE,
    CLOSERS,
    COMMENT,
    CPAREN,
    CQUOTE,
    EOF,
    EQUAL,
    IDENT,
    INTERP,
    NL,
    OBRACE,
    OPAREN,
    OPENERS,
    OQUOTE,
    QLIT,
    SEQEND,
    STR,
    Tok,
)


def rewrite(toks: list[Tok]) -> list[Tok]:
    """The token stream with labels, attribute values and variable types rewritten as terraform fmt does."""
    return _Rewriter(toks).run()


class _Rewriter:
    """Walk bodies the way `terraform fmt` does: quote block labels, clean attribute values."""

    def __init__(self, toks: list[Tok]) -> None:
        self.toks, self.i = toks, 0
        self.out: list[Tok] = []

    def run(self) -> list[Tok]:
        self.body([])
        return self.out

    def body(self, path: list[str]) -> None:
        """Copy one body (file or block contents), rewriting attributes and nested blocks."""
        toks, out = self.toks, self.out
        while True:
            tok = toks[self.i]
            if tok.kind in (NL, COMMENT):
                out.append(tok)
                self.i += 1
                continue
            if tok.kind == EOF:
                out.append(tok)
                return
            if tok.kind == CBRACE and path:
                return
            j = self.skip_comments(self.i + 1)
            if toks[j].kind == EQUAL:
                self.attribute(tok.text, j, path)
            else:
                self.block(path)

    def skip_comments(self, j: int) -> int:
        while self.toks[j].kind == COMMENT and not self.toks[j].text.endswith("\n"):
            j += 1
        return j

    def attribute(self, name: str, eq: int, path: list[str]) -> None:
        """Copy `name = expr`, replacing expr as formatValueExpr/formatTypeExpr would."""
        toks = self.toks
        end, depth = eq + 1, 0
        while True:
            tok = toks[end]
            kind = tok.kind
            if depth == 0 and (kind in (NL, EOF, CBRACE) or (kind == COMMENT and tok.text.endswith("\n"))):
                break
            depth += 1 if kind in OPENERS else -1 if kind in CLOSERS else 0
            end += 1
        start = eq + 1
        while start < end and toks[start].kind == COMMENT:
            start += 1
        stop = end
        while stop > start and toks[stop - 1].kind == COMMENT:
            stop -= 1
        expr = toks[start:stop]
        expr = _type_expr(expr) if path == ["variable"] and name == "type" else _value_expr(expr)
        self.out.extend(toks[self.i : start] + expr + toks[stop:end])
        self.i = end

    def block(self, path: list[str]) -> None:
        """Copy a block header with labels re-quoted (as Block.SetLabels does), then its body."""
        toks, head = self.toks, self.toks[self.i]
        j, labels, pending = self.i + 1, [], []
        while toks[j].kind != OBRACE:
            tok = toks[j]
            if tok.kind == COMMENT:
                pending.append(tok)
            else:  # a valid label is an identifier or a template-free string: one IDENT or STR token
                labels.append(_label(tok))
                pending = []
            j += 1
        self.out += [head, *labels, *pending, toks[j]]
        self.i = j + 1
        self.body([*path, head.text])
        self.out.append(toks[self.i])
        self.i += 1


_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_ESCAPE_SEQ = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|([$%])\2\{")
_NEEDS_ESCAPE = re.compile(r'[\n\r\t"\\]|[$%](?=\{)|[^ -~]')


def _label(tok: Tok) -> Tok:
    """Re-encode a label as hclwrite's SetLabels does (escapeQuotedStringLit of the label's value)."""
    value = tok.text if tok.kind == IDENT else _ESCAPE_SEQ.sub(_unescape, tok.text[1:-1])
    return Tok(STR, '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"', tok.line)


def _unescape(m: re.Match[str]) -> str:
    if m.group(2):
        return m.group(2) + "{"
    code = m.group(1)
    return chr(int(code[1:], 16)) if len(code) > 1 else _UNESCAPE.get(code, code)


def _escape(m: re.Match[str]) -> str:
    """Escape one character as hclwrite's escapeQuotedStringLit does."""
    ch = m.group()
    if ch in _ESCAPE:
        return _ESCAPE[ch]
    if ch in "$%":
        return ch + ch
    if ch.isprintable():
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


def _value_expr(expr: list[Tok]) -> list[Tok]:
    """Unwrap `"${ x }"` to `x` (Terraform's formatValueExpr), parenthesising multi-line results."""
    if len(expr) < 5 or (expr[0].kind, expr[1].kind, expr[-2].kind, expr[-1].kind) != (
        OQUOTE, INTERP, SEQEND, CQUOTE
    ):
        return expr
    inside, quotes = expr[2:-2], 0
    for tok in inside:
        if tok.kind in (OQUOTE, CQUOTE):
            quotes += 1 if tok.kind == OQUOTE else -1
        elif quotes <= 0 and tok.kind in (INTERP, SEQEND, QLIT):
            return expr
    while inside and inside[0].kind == NL:
        inside = inside[1:]
    while inside and inside[-1].kind == NL:
        inside = inside[:-1]
    multi = any(t.kind == NL for t in inside)
    if multi and not (inside[0].kind == OPAREN and inside[-1].kind == CPAREN):
        return [Tok(OPAREN, "("), *inside, Tok(CPAREN, ")")]
    return inside


def _type_expr(expr: list[Tok]) -> list[Tok]:
    """Modernise `type = list` / `type = "string"` in variable blocks (Terraform's formatTypeExpr)."""
    if len(expr) == 1 and expr[0].kind == IDENT and expr[0].text in ("list", "map", "set"):
        return [expr[0], Tok(OPAREN, "("), Tok(IDENT, "any"), Tok(CPAREN, ")")]
    if len(expr) == 1 and expr[0].kind == STR:
        legacy = {'"string"': [], '"list"': ["list"], '"map"': ["map"]}.get(expr[0].text)
        if legacy == []:
            return [Tok(IDENT, "string")]
        if legacy:
            return [Tok(IDENT, legacy[0]), Tok(OPAREN, "("), Tok(IDENT, "string"), Tok(CPAREN, ")")]
    return expr
