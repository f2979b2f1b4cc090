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
from itertools import pairwise

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
_DELTA = dict.fromkeys(_OPENERS, 1) | dict.fromkeys(_CLOSERS, -1)
_CLOSER_FOR = {OBRACE: "}", OBRACK: "]", OPAREN: ")", INTERP: "}", CONTROL: "}"}
# Tokens after which a `-` is a negation (hclwrite's spaceAfterToken heuristic).
_NEG_BEFORE = frozenset(
    {NIL, OPAREN, OBRACE, OBRACK, EQUAL, COLON, COMMA, QUESTION, "+", "*", "/", "%", MINUS, "==", "!=", ">",
     ">=", "<", "<=", "&&", "||", BANG}
)
_EXTEND = frozenset({"Mn", "Me", "Mc"})  # categories that never start a grapheme cluster
_NO_SPACE_SUBJECT = frozenset({QLIT, SLIT, OQUOTE, OHEREDOC})
_NO_SPACE_AFTER = frozenset({QLIT, SLIT, CQUOTE, CHEREDOC})

_IDENT = (  # ID_Start, then ID_Continue or '-'; Python's \w lacks combining marks, so common blocks are added
    "[^\\W\\d][\\w\\-\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0903"
    "\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20f0\ufe00-\ufe0f\ufe20-\ufe2f]*"
)
_SIMPLE_STR = r'"(?:[^"\\\n$%]|\\[^\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*"'
_MAIN = re.compile(  # blanks are folded into the following token's match
    r"[ \t]*(?:(?P<nl>\r?\n)|(?P<str>" + _SIMPLE_STR + r")|(?P<id>" + _IDENT + r")"
    r"|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<cmt>(?:#|//)[^\n]*\n?|/\*.*?\*/)"
    r"|(?P<hd><<-?[^\W\d][\w-]*\r?\n)|(?P<op>\.\.\.|::|=>|==|!=|<=|>=|&&|\|\||[.,=<>!+\-*/%?:])"
    r"|(?P<br>~\}|[{}\[\]()\"])|(?P<bad>[^ \t]))",
    re.S,
)
_KINDS = (None, NL, STR, IDENT, NUMBER, COMMENT, None, "", None, None)  # by group; "": operator
_SUSPECT = {  # an operator followed by this text means a broken heredoc introducer or comment
    "<": ("<", "invalid heredoc: expected <<MARKER (or <<-MARKER) followed by a newline"),
    "/": ("*", "unterminated /* comment"),
}
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
    toks = _Lexer(text.removeprefix("\ufeff"), source).run()  # terraform drops a byte-order mark
    toks = _Rewriter(toks, source).run()
    lines = _split_lines(toks)
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
        stack, size = self.stack, len(self.text)
        while self.pos < size:
            mode = stack[-1][0] if stack else None
            if mode == OQUOTE:
                self.quoted()
            elif mode == OHEREDOC:
                self.heredoc()
            else:
                self.expression()
        if stack:
            kind, line, _ = stack[-1]
            what = {OQUOTE: "unterminated string", OHEREDOC: "unterminated heredoc"}.get(kind)
            raise self.fail(line, what or f"unclosed '{kind}'")
        eof = Tok(EOF, "", self.line)
        eof.sp = size - self.end
        self.toks.append(eof)
        return self.toks

    def expression(self) -> None:
        """Scan expression-mode tokens until a quote, heredoc or template end changes the mode.

        This is the hot path, so plain tokens are appended inline from one `finditer` sweep.
        """
        text, toks, kinds = self.text, self.toks, _KINDS
        line, m = self.line, None
        for m in _MAIN.finditer(text, self.pos):
            index = m.lastindex
            kind, value = kinds[index], m[index]
            if kind is None:  # brackets, quotes, heredocs and bad characters use the mode stack
                self.pos, self.line = m.start(index), line
                if self.special(m.lastgroup, value):
                    return
                continue
            if not kind:  # an operator: its text is its kind
                kind = value
                if value in _SUSPECT and text.startswith(_SUSPECT[value][0], m.end()):
                    raise self.fail(line, _SUSPECT[value][1])
            toks.append(Tok(kind, value, line))
            if kind == NL:
                line += 1
            elif kind == COMMENT:
                line += value.count("\n")
        self.line = line
        if m is not None and m.end() > self.end:
            self.end = m.end()
        self.pos = len(text)  # only blanks can be left unmatched at the end

    def special(self, group: str, value: str) -> bool:
        """Emit a heredoc opener, bracket or quote; True when the scanning mode changed."""
        if group == "bad":
            raise self.fail(self.line, f"invalid character {value!r}")
        if group == "hd":
            self.emit(OHEREDOC, value)
            marker = value[3:] if value[2] == "-" else value[2:]
            self.stack.append((OHEREDOC, self.line - 1, marker.rstrip("\r\n")))
            self.heredoc_bol = True
            return True
        if value in ('"', OBRACE, OBRACK, OPAREN):
            kind = OQUOTE if value == '"' else value
            self.stack.append((kind, self.line, ""))
            self.emit(kind, value)
            return kind == OQUOTE
        top = self.stack[-1][0] if self.stack else None
        if top is None or _CLOSER_FOR.get(top) != value[-1] or (value == "~}" and top == OBRACE):
            raise self.fail(self.line, f"unexpected '{value}'")
        self.stack.pop()
        self.emit(SEQEND if top in (INTERP, CONTROL) else value, value)
        return top in (INTERP, CONTROL)

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
_ESCAPE_SEQ = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_NEEDS_ESCAPE = re.compile(r'[\n\r\t"\\]|[$%](?=\{)|[^ -~]')


def _label(tok: Tok) -> list[Tok]:
    """Re-encode a label as hclwrite's SetLabels does.

    hclwrite only understands a label lexed as one literal token, and the lexer cuts literals at
    every `$` and `%`, so `terraform fmt` silently drops labels such as "a$b"; we do the same.
    """
    if tok.kind == STR and ("$" in tok.text or "%" in tok.text) and len(tok.text) > 3:
        return []
    value = tok.text if tok.kind == IDENT else _ESCAPE_SEQ.sub(_unescape, tok.text[1:-1])
    return [Tok(STR, '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"', tok.line)]


def _unescape(m: re.Match[str]) -> str:
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


# ------------------------------------------------------------------------- hclwrite format passes


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
    """Width as hclwrite counts it: spaces plus grapheme clusters of the token text."""
    total = 0
    for tok in cell:
        text = tok.text
        total += tok.sp + (len(text) - text.count("\r\n") if text.isascii() else _graphemes(text))
    return total


def _graphemes(text: str) -> int:
    """Approximate extended grapheme clusters: marks, ZWJ joins, emoji modifiers, flag pairs, CRLF."""
    count, joined, flags, prev = 0, False, 0, ""
    for ch in text:
        code = ord(ch)
        if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators pair up into one flag
            flags += 1
            count += flags % 2
        elif not (joined or ch in "\u200c\u200d" or 0x1F3FB <= code <= 0x1F3FF or unicodedata.category(ch) in _EXTEND):
            count += 0 if (prev == "\r" and ch == "\n") else 1
        if not 0x1F1E6 <= code <= 0x1F1FF:
            flags = 0
        joined, prev = ch == "\u200d", ch
    return count


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
