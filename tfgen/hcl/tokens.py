"""Stage 1 of tfgen.hcl: the scanner for HCL native syntax (hclsyntax's scan_tokens.rl, in Python).

Reference grammar (hashicorp/hcl hclsyntax/spec.md, "Lexical Elements"):

    Identifier = (ID_Start | '_') (ID_Continue | '-')*;     # Unicode 9.0 properties, as Terraform 1.11
    NumericLit = decimal+ ("." decimal+)? (expmark decimal+)?;
    Comment    = "#" ... EOL | "//" ... EOL | "/*" ... "*/";
    Operators and delimiters: + && == < : { [ ( ${ - || != > ? } ] ) %{ * ! <= = . / >= => , % ... ::

Tokens are hclsyntax-shaped (a quoted template is OQUOTE, QLIT/INTERP.., CQUOTE; a heredoc is OHEREDOC,
SLIT/INTERP.., CHEREDOC) except that a quoted string without any template sequence is one STR token, the hot
path of real configurations.  Characters HCL never accepts (`;`, `'`, a lone `&`, tabs are fine) and bad
escapes are reported here, located, as Terraform reports them; the grammar is checked by tfgen.hcl.parse.
"""

from __future__ import annotations

import re
from functools import cache

from tfgen.errors import FormatError
from tfgen.hcl import unidata

# Token kinds (names follow hclsyntax.TokenType); an operator's kind is its own text.
NL, COMMENT, IDENT, NUMBER, STR, EOF, NIL = "NL", "COMMENT", "IDENT", "NUMBER", "STR", "EOF", "NIL"
OQUOTE, CQUOTE, QLIT, OHEREDOC, CHEREDOC, SLIT = "OQUOTE", "CQUOTE", "QLIT", "OHEREDOC", "CHEREDOC", "SLIT"
INTERP, CONTROL, SEQEND = "${", "%{", "SEQEND"
OBRACE, CBRACE, OBRACK, CBRACK, OPAREN, CPAREN = "{", "}", "[", "]", "(", ")"
COMMA, DOT, ELLIPSIS, EQUAL, COLON, QUESTION, BANG, MINUS = ",", ".", "...", "=", ":", "?", "!", "-"
DCOLON, ARROW = "::", "=>"

OPENERS = frozenset({OBRACE, OBRACK, OPAREN, INTERP, CONTROL})
CLOSERS = frozenset({CBRACE, CBRACK, CPAREN, SEQEND})
# Go's unicode.IsSpace, which bytes.TrimSpace uses to recognise a heredoc's closing marker line.
GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000"
# checkInvalidTokens: characters the scanner recognises only to refuse them.
_INVALID = {
    "&": ("Unsupported operator", 'Bitwise operators are not supported. Did you mean boolean AND ("&&")?'),
    "|": ("Unsupported operator", 'Bitwise operators are not supported. Did you mean boolean OR ("||")?'),
    "^": ("Unsupported operator", "Bitwise operators are not supported."),
    "~": ("Unsupported operator", 'Bitwise operators are not supported. Did you mean boolean NOT ("!")?'),
    ";": ("Invalid character", "The \";\" character is not valid. Use newlines to separate arguments and blocks, "
                               "and commas to separate items in collection values."),
    "'": ("Invalid character", 'Single quotes are not valid. Use double quotes (") to enclose strings.'),
    "`": ("Invalid character", 'The "`" character is not valid. To create a multi-line string, use the '
                               '"heredoc" syntax, like "<<EOT".'),
}
_UNUSED = ("Invalid character", "This character is not used within the language.")
_ESCAPES = re.compile(r'\\(?:([nrt"\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|)')
_SIMPLE_STR = r'"(?:[^"\\\r\n$%]|\\[^\r\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*"'
_QUOTED_LIT = re.compile(r"(?:[^\"\\\r\n$%]|\\[^\r\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))+")
_HEREDOC_LIT = re.compile(r"(?:[^$%\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))*\n?")
_TEMPLATE_OPEN = re.compile(r"([$%])\{~?")
_KINDS = (None, NL, STR, IDENT, NUMBER, COMMENT, None, "", None, None)  # by group; "": operator


@cache
def _main_pattern(unicode: bool) -> re.Pattern[str]:
    """The expression-mode scanner; the Unicode identifier classes are compiled only for non-ASCII input."""
    start = "A-Za-z_" + (unidata.ID_START if unicode else "")
    ident = f"[{start}][A-Za-z0-9_\\-{unidata.ID_CONTINUE if unicode else ''}]*"
    return re.compile(  # blanks are folded into the following token's match
        r"[ \t]*(?:(?P<nl>\r?\n)|(?P<str>" + _SIMPLE_STR + r")|(?P<id>" + ident + r")"
        r"|(?P<num>\d(?:(?:[\d.]|[eE][+-]?\d)*(?:\d|[eE][+-]?\d))?)|(?P<cmt>(?:#|//)[^\n]*\n?|/\*.*?\*/)"
        r"|(?P<hd><<-?" + ident + r"\r?\n)|(?P<op>\.\.\.|::|=>|==|!=|<=|>=|&&|\|\||[.,=<>!+\-*/%?:])"
        r"|(?P<br>~\}|[{}\[\]()\"])|(?P<bad>[^ \t]))",
        re.S,
    )


class Tok:
    """One token: kind, text, 1-based line, offset `pos` in the source, and `sp` spaces before it (hclwrite)."""

    __slots__ = ("kind", "text", "line", "pos", "sp")

    def __init__(self, kind: str, text: str, line: int = 0, pos: int = -1) -> None:
        self.kind, self.text, self.line, self.pos, self.sp = kind, text, line, pos, 0

    def __repr__(self) -> str:
        return f"Tok({self.kind!r}, {self.text!r}, {self.line})"


def located(text: str, source: str, pos: int, summary: str, detail: str = "") -> FormatError:
    """A FormatError at offset `pos` of `text`: file:line:column, columns counted as Terraform counts them."""
    from tfgen.hcl.width import columns

    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    message = f"{summary}; {detail}" if detail else summary
    return FormatError(source, line, message, col=columns(text[start:pos]) + 1)


def tokenize(text: str, source: str) -> list[Tok]:
    """Scan `text` (already without a byte-order mark) into tokens ending with EOF."""
    return _Lexer(text, source).run()


class _Lexer:
    """Scanner producing hclsyntax-shaped tokens; a mode stack of braces, template sequences and strings."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source, self.pos, self.line = text, source, 0, 1
        self.main = _main_pattern(not text.isascii())
        self.toks: list[Tok] = []
        # Open constructs: (kind, offset, extra); kind is a bracket, INTERP/CONTROL, OQUOTE or OHEREDOC.
        self.stack: list[tuple[str, int, str]] = []
        self.heredoc_bol = False
        self.end = 0  # end offset of the last token, to measure blanks left before EOF

    def fail(self, pos: int, summary: str, detail: str = "") -> FormatError:
        return located(self.text, self.source, pos, summary, detail)

    def emit(self, kind: str, text: str) -> None:
        self.toks.append(Tok(kind, text, self.line, self.pos))
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
        eof = Tok(EOF, "", self.line, size)  # whatever is still open is the parser's to report, as in HCL
        eof.sp = size - self.end
        self.toks.append(eof)
        return self.toks

    def expression(self) -> None:
        """Scan expression-mode tokens until a quote, heredoc or template end changes the mode.

        This is the hot path, so plain tokens are appended inline from one `finditer` sweep.
        """
        text, toks, kinds = self.text, self.toks, _KINDS
        line, m = self.line, None
        for m in self.main.finditer(text, self.pos):
            index = m.lastindex
            kind, value = kinds[index], m[index]
            if kind is None:  # brackets, quotes, heredocs and bad characters use the mode stack
                self.pos, self.line = m.start(index), line
                if self.special(m.lastgroup, value):
                    return
                continue
            if not kind:  # an operator: its text is its kind
                kind = value
                if value == "/" and text.startswith("*", m.end()):
                    raise self.fail(m.start(index), "Unterminated comment", "A /* comment is not closed.")
                if value == "<" and text.startswith("<", m.end()):
                    raise self.fail(m.start(index), "Invalid heredoc introducer",
                                    "Expected <<MARKER (or <<-MARKER) followed by a newline.")
            elif kind == STR and "\\" in value:
                check_escapes(text, self.source, m.start(index), value)
            toks.append(Tok(kind, value, line, m.start(index)))
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
            summary, detail = _INVALID.get(value, _UNUSED)
            raise self.fail(self.pos, summary, detail)
        if group == "hd":
            start = self.pos
            self.emit(OHEREDOC, value)
            marker = value[3:] if value[2] == "-" else value[2:]
            self.stack.append((OHEREDOC, start, marker.rstrip("\r\n")))
            self.heredoc_bol = True
            return True
        if value in ('"', OBRACE):
            kind = OQUOTE if value == '"' else value
            self.stack.append((kind, self.pos, ""))
            self.emit(kind, value)
            return kind == OQUOTE
        if value in "[]()":  # the scanner counts only braces; brackets are the parser's to match
            self.emit(value, value)
            return False
        # `}` ends the template sequence it closes, else a brace; `~}` is always a sequence end (the parser
        # refuses it where no sequence is open), and like the scanner it closes the innermost brace either way.
        top = self.stack[-1][0] if self.stack else None
        if top is not None:
            self.stack.pop()
        sequence = top in (INTERP, CONTROL)
        self.emit(SEQEND if sequence or value == "~}" else CBRACE, value)
        return sequence

    def template_open(self) -> bool:
        """Enter a `${`/`%{` sequence if one starts here."""
        m = _TEMPLATE_OPEN.match(self.text, self.pos)
        if m is None:
            return False
        kind = INTERP if m.group(1) == "$" else CONTROL
        self.stack.append((kind, self.pos, ""))
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
                if ch in "\r\n":
                    raise self.fail(self.pos, "Invalid multi-line string",
                                    "Quoted strings may not be split over multiple lines.")
                raise self.fail(self.pos, "Invalid escape sequence",
                                "Backslash must be followed by an escape sequence selector character.")
            if "\\" in m.group():
                check_escapes(self.text, self.source, self.pos, m.group())
            self.emit(QLIT, m.group())

    def heredoc(self) -> None:
        """Scan one piece of a heredoc body; a line holding only the marker closes it."""
        if self.heredoc_bol:
            end = self.text.find("\n", self.pos)  # the marker line must end with a newline, as in the scanner
            content = self.text[self.pos : end].removesuffix("\r") if end >= 0 else ""
            if end >= 0 and content.strip(GO_SPACE) == self.stack[-1][2]:
                self.stack.pop()
                self.emit(CHEREDOC, content)
                self.emit(NL, self.text[self.pos : end + 1])
                return
        if self.template_open():
            self.heredoc_bol = False
            return
        value = _HEREDOC_LIT.match(self.text, self.pos).group()
        if "\r" in value.removesuffix("\r\n"):
            raise self.fail(self.pos + value.index("\r"), "Invalid character",
                            "A carriage return may only end a line of a heredoc.")
        self.emit(SLIT, value)
        self.heredoc_bol = value.endswith("\n")


def check_escapes(text: str, source: str, pos: int, literal: str) -> None:
    """Refuse the escape sequences ParseStringLiteralToken refuses (`\\o`, short `\\u`, unencodable code points)."""
    for m in _ESCAPES.finditer(literal):
        if m.group(1):
            continue
        digits = m.group(2) or m.group(3)
        if digits:
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                continue
            raise located(text, source, pos + m.start(), "Invalid escape sequence",
                          f"Cannot encode character U+{code:04x} in UTF-8.")
        following = literal[m.end() : m.end() + 1]
        if following in ("u", "U"):
            count = "four" if following == "u" else "eight"
            raise located(text, source, pos + m.start(), "Invalid escape sequence",
                          f"The \\{following} escape sequence must be followed by {count} hexadecimal digits.")
        raise located(text, source, pos + m.start(), "Invalid escape sequence",
                      f"The symbol {following!r} is not a valid escape sequence selector.")
