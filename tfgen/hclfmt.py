"""Pure-Python re-implementation of `terraform fmt` (Terraform 1.x, hclwrite formatting rules).

The pipeline mirrors Terraform: lex the HCL native syntax into hclsyntax-like tokens, apply the
few structural rewrites `terraform fmt` performs (quoted block labels, `"${x}"` unwrapping, legacy
variable type names), then re-space every token with hclwrite's line/cell algorithm.  Only the
whitespace between tokens changes; token text (strings, heredoc bodies, comments) is kept as-is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from tfgen.errors import FormatError

# Token kinds (names follow hclsyntax.TokenType).  STR is a whole quoted string without any
# template sequence: it stands for OQuote+QuotedLit+CQuote and behaves like them for spacing.
NL, COMMENT, IDENT, NUMBER, STR, EOF, NIL = "NL", "COMMENT", "IDENT", "NUMBER", "STR", "EOF", "NIL"
OQUOTE, CQUOTE, QLIT, OHEREDOC, CHEREDOC, SLIT = "OQUOTE", "CQUOTE", "QLIT", "OHEREDOC", "CHEREDOC", "SLIT"
INTERP, CONTROL, SEQEND = "${", "%{", "SEQEND"
OBRACE, CBRACE, OBRACK, CBRACK, OPAREN, CPAREN = "{", "}", "[", "]", "(", ")"
COMMA, DOT, ELLIPSIS, EQUAL, COLON, QUESTION, BANG, MINUS = ",", ".", "...", "=", ":", "?", "!", "-"
DCOLON = "::"

_OPENERS = frozenset({OBRACE, OBRACK, OPAREN, INTERP, CONTROL})
_CLOSERS = frozenset({CBRACE, CBRACK, CPAREN, SEQEND})
_CLOSER_FOR = {OBRACE: "}", OBRACK: "]", OPAREN: ")", INTERP: "}", CONTROL: "}"}
# Tokens after which a `-` is a negation (hclwrite's spaceAfterToken heuristic).
_NEG_BEFORE = frozenset(
    {NIL, OPAREN, OBRACE, OBRACK, EQUAL, COLON, COMMA, QUESTION, "+", "*", "/", "%", MINUS, "==", "!=", ">",
     ">=", "<", "<=", "&&", "||", BANG}
)
_NO_SPACE_SUBJECT = frozenset({QLIT, SLIT, OQUOTE, OHEREDOC})
_NO_SPACE_AFTER = frozenset({QLIT, SLIT, CQUOTE, CHEREDOC})

_SIMPLE_STR = r'"(?:[^"\\\n$%]|\\[^\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*"'
_MAIN = re.compile(
    r"(?P<ws>[ \t]+)|(?P<nl>\r?\n)|(?P<str>" + _SIMPLE_STR + r")|(?P<id>[^\W\d][\w-]*)"
    r"|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<cmt>(?:#|//)[^\n]*\n?|/\*.*?\*/)"
    r"|(?P<hd><<-?[^\W\d][\w-]*\r?\n)"
    r"|(?P<op>\.\.\.|::|=>|==|!=|<=|>=|&&|\|\||~\}|[{}\[\]().,=<>!+\-*/%?:\"])",
    re.S,
)
_QUOTED_LIT = re.compile(r"(?:[^\"\\\n$%]|\\.|\$\$\{|%%\{|\$(?!\{)|%(?!\{))+")
_HEREDOC_LIT = re.compile(r"(?:[^$%\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*\n?")
_TEMPLATE_OPEN = re.compile(r"([$%])\{~?")


class Tok:
    """One token; `sp` is the number of spaces written before it (hclwrite's SpacesBefore)."""

    __slots__ = ("kind", "text", "line", "sp")

    def __init__(self, kind: str, text: str, line: int = 0) -> None:
        self.kind, self.text, self.line, self.sp = kind, text, line, 0


_NIL = Tok(NIL, "")


def format_hcl(text: str, source: str = "<string>") -> str:
    """Return text formatted exactly as `terraform fmt` would."""
    toks = _Lexer(text, source).run()
    toks = _Rewriter(toks, source).run()
    lines = [_cells(line) for line in _split_lines(toks)]
    _format_indent(lines)
    _format_spaces(lines)
    _format_cells(lines)
    return "".join([" " * t.sp + t.text for t in toks])


# --------------------------------------------------------------------------------------------- lexing


class _Lexer:
    """Scanner for HCL native syntax, producing hclsyntax-shaped tokens (strings and heredocs split)."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source, self.pos, self.line = text, source, 0, 1
        self.toks: list[Tok] = []
        # Open constructs: (kind, line, extra); kind is a bracket, INTERP/CONTROL, OQUOTE or OHEREDOC.
        self.stack: list[tuple[str, int, str]] = []
        self.heredoc_bol = False
        self.end = 0  # end offset of the last token, to measure blanks left before EOF

    def fail(self, line: int, message: str) -> FormatError:
        return FormatError(self.source, line, message)

    def emit(self, kind: str, text: str) -> None:
        self.toks.append(Tok(kind, text, self.line))
        self.pos = self.end = self.pos + len(text)
        self.line += text.count("\n")

    def run(self) -> list[Tok]:
        """Tokenize the whole text; the EOF token keeps the trailing blanks, as hclwrite does."""
        while self.pos < len(self.text):
            mode = self.stack[-1][0] if self.stack else None
            if mode == OQUOTE:
                self.quoted()
            elif mode == OHEREDOC:
                self.heredoc()
            else:
                self.main()
        if self.stack:
            kind, line, _ = self.stack[-1]
            what = {OQUOTE: "unterminated string", OHEREDOC: "unterminated heredoc"}.get(kind)
            raise self.fail(line, what or f"unclosed '{kind}'")
        eof = Tok(EOF, "", self.line)
        eof.sp = len(self.text) - self.end
        self.toks.append(eof)
        return self.toks

    def main(self) -> None:
        """Scan one token (or a run of blanks) in expression mode."""
        m = _MAIN.match(self.text, self.pos)
        if m is None:
            if self.text.startswith("/*", self.pos):
                raise self.fail(self.line, "unterminated comment")
            raise self.fail(self.line, f"invalid character {self.text[self.pos]!r}")
        group, value = m.lastgroup, m.group()
        if group == "ws":
            self.pos = m.end()
            return
        if value == "<" and self.text.startswith("<", m.end()):
            raise self.fail(self.line, "invalid heredoc introducer (expected <<MARKER and a newline)")
        if group == "op":
            self.operator(value)
        elif group == "hd":
            self.emit(OHEREDOC, value)
            marker = value[3:] if value[2] == "-" else value[2:]
            self.stack.append((OHEREDOC, self.line - 1, marker.rstrip("\r\n")))
            self.heredoc_bol = True
        else:
            kind = {"nl": NL, "str": STR, "id": IDENT, "num": NUMBER, "cmt": COMMENT}[group]
            self.emit(kind, value)

    def operator(self, value: str) -> None:
        """Emit punctuation, tracking bracket nesting and where template sequences end."""
        if value == '"':
            self.stack.append((OQUOTE, self.line, ""))
            self.emit(OQUOTE, value)
        elif value in (OBRACE, OBRACK, OPAREN):
            self.stack.append((value, self.line, ""))
            self.emit(value, value)
        elif value in ("}", "]", ")", "~}"):
            top = self.stack[-1][0] if self.stack else None
            if top is None or _CLOSER_FOR.get(top) != value[-1] or (value == "~}" and top == OBRACE):
                raise self.fail(self.line, f"unexpected '{value}'")
            self.stack.pop()
            self.emit(SEQEND if top in (INTERP, CONTROL) else value, value)
        else:
            self.emit(value, value)

    def template_open(self) -> bool:
        """Enter a `${`/`%{` sequence if one starts here."""
        m = _TEMPLATE_OPEN.match(self.text, self.pos)
        if m is None:
            return False
        kind = INTERP if m.group(1) == "$" else CONTROL
        self.stack.append((kind, self.line, ""))
        self.emit(kind, m.group())
        return True

    def quoted(self) -> None:
        """Scan one piece of a quoted template: literal text, a template opener or the close quote."""
        ch = self.text[self.pos]
        if ch == '"':
            self.stack.pop()
            self.emit(CQUOTE, ch)
        elif not self.template_open():
            m = _QUOTED_LIT.match(self.text, self.pos)
            if m is None:
                raise self.fail(self.stack[-1][1], "unterminated string")
            self.emit(QLIT, m.group())

    def heredoc(self) -> None:
        """Scan one piece of a heredoc body; a line holding only the marker closes it."""
        if self.heredoc_bol:
            end = self.text.find("\n", self.pos)
            if end < 0:
                raise self.fail(self.stack[-1][1], "unterminated heredoc")
            content = self.text[self.pos : end].removesuffix("\r")
            if content.strip() == self.stack[-1][2]:
                self.stack.pop()
                self.emit(CHEREDOC, content)
                self.emit(NL, self.text[self.pos : end + 1])
                return
        if self.template_open():
            self.heredoc_bol = False
            return
        value = _HEREDOC_LIT.match(self.text, self.pos).group()
        if not value.endswith("\n") and self.pos + len(value) >= len(self.text):
            raise self.fail(self.stack[-1][1], "unterminated heredoc")
        self.emit(SLIT, value)
        self.heredoc_bol = value.endswith("\n")


# ------------------------------------------------------------------------------ terraform rewrites


class _Rewriter:
    """Walk bodies the way `terraform fmt` does: quote block labels, clean attribute values."""

    def __init__(self, toks: list[Tok], source: str) -> None:
        self.toks, self.source, self.i = toks, source, 0
        self.out: list[Tok] = []

    def fail(self, tok: Tok, message: str) -> FormatError:
        return FormatError(self.source, tok.line, message)

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
                if path:
                    raise self.fail(tok, "unclosed block")
                out.append(tok)
                return
            if tok.kind == CBRACE and path:
                return
            if tok.kind != IDENT:
                raise self.fail(tok, "expected an attribute or block definition")
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
            depth += 1 if kind in _OPENERS else -1 if kind in _CLOSERS else 0
            end += 1
        start = eq + 1
        while start < end and toks[start].kind == COMMENT:
            start += 1
        stop = end
        while stop > start and toks[stop - 1].kind == COMMENT:
            stop -= 1
        if start == stop:
            raise self.fail(toks[eq], "expected an expression after '='")
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
            if tok.kind == COMMENT and not tok.text.endswith("\n"):
                pending.append(tok)
            elif tok.kind in (IDENT, STR):
                labels.extend(_label(tok))
                pending = []
            else:
                raise self.fail(tok, "invalid block header: expected a label or '{'")
            j += 1
        self.out += [head, *labels, *pending, toks[j]]
        self.i = j + 1
        self.body([*path, head.text])
        if toks[self.i].kind != CBRACE:
            raise self.fail(head, "unclosed block")
        self.out.append(toks[self.i])
        self.i += 1


_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _label(tok: Tok) -> list[Tok]:
    """Re-encode one label like hclwrite's TokensForValue; hclwrite drops labels holding $${ or %%{."""
    if tok.kind == IDENT:
        return [Tok(STR, f'"{_escape(tok.text)}"', tok.line)]
    if "$${" in tok.text or "%%{" in tok.text:
        return []
    if "\\" not in tok.text:
        return [tok]
    return [Tok(STR, f'"{_escape(_unescape(tok.text[1:-1]))}"', tok.line)]


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1]
        width = {"u": 4, "U": 8}.get(code, 0)
        out.append(chr(int(body[i + 2 : i + 2 + width], 16)) if width else _UNESCAPE.get(code, code))
        i += 2 + width
    return "".join(out)


def _escape(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in _ESCAPE:
            out.append(_ESCAPE[ch])
        elif ch in "$%" and value[i + 1 : i + 2] == "{":
            out.append(ch + ch)
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


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


# ------------------------------------------------------------------------- hclwrite format passes


def _split_lines(toks: list[Tok]) -> list[list[Tok]]:
    """Split at newlines; `#`/`//` comments carry their newline, so they end a line too."""
    lines: list[list[Tok]] = []
    cur: list[Tok] = []
    for tok in toks:
        if tok.kind == EOF:
            break
        cur.append(tok)
        if tok.kind == NL or (tok.kind == COMMENT and tok.text.endswith("\n")):
            lines.append(cur)
            cur = []
    lines.append(cur)
    return lines


def _change(tok: Tok) -> int:
    kind = tok.kind
    return 1 if kind in _OPENERS else -1 if kind in _CLOSERS else 0


def _cells(line: list[Tok]) -> tuple[list[Tok], list[Tok], list[Tok]]:
    """Split a line into lead / assign (from a balanced `=`) / trailing comment, like linesForFormat."""
    lead, assign, comment = line, [], []
    if len(lead) > 1 and lead[-1].kind == COMMENT:
        lead, comment = lead[:-1], lead[-1:]
    for i in range(1, len(lead)):
        if lead[i].kind == EQUAL:
            if sum(_change(t) for t in lead[i:]) == 0:
                lead, assign = lead[:i], lead[i:]
            break
    return lead, assign, comment


def _format_indent(lines: list[tuple[list[Tok], list[Tok], list[Tok]]]) -> None:
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
            net += _change(tok)
            if tok.kind == OHEREDOC:
                break
        net += sum(_change(t) for t in assign)
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


def _format_spaces(lines: list[tuple[list[Tok], list[Tok], list[Tok]]]) -> None:
    for lead, assign, _ in lines:
        if assign:
            assign[0].sp = 1
        for cell in (lead, assign):
            before = _NIL
            for i in range(len(cell) - 1):
                subject, after = cell[i], cell[i + 1]
                after.sp = 1 if _space_after(subject, before, after) else 0
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
    if a == OBRACK and (s in (IDENT, NUMBER) or s in _CLOSERS):
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
    return s not in _OPENERS and a not in _CLOSERS


def _columns(cell: list[Tok]) -> int:
    """Width as hclwrite counts it: spaces plus grapheme clusters (approximated per code point)."""
    total = 0
    for tok in cell:
        text = tok.text
        if text.isascii():
            total += tok.sp + len(text) - text.count("\r\n")
        else:
            total += tok.sp + sum(1 for c in text if not (unicodedata.combining(c) or c in "\u200d\ufe0f"))
    return total


def _format_cells(lines: list[tuple[list[Tok], list[Tok], list[Tok]]]) -> None:
    """Align `=` across runs of consecutive assignment lines, then trailing comments likewise."""
    _align(lines, 1, lambda line: _columns(line[0]))
    _align(lines, 2, lambda line: _columns(line[0]) + _columns(line[1]))


def _align(lines: list[tuple[list[Tok], list[Tok], list[Tok]]], cell: int, width: Callable) -> None:
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
