"""Stage 2 of tfgen.hcl: a recursive-descent checker for HCL native syntax (hclsyntax's parser.go).

It accepts exactly what `hclsyntax.ParseConfig` accepts, which is what `terraform fmt` requires before it
formats a file, and raises the first error as a located FormatError.  Reference grammar (hclsyntax/spec.md):

    ConfigFile   = Body;
    Body         = (Attribute | Block | OneLineBlock)*;
    Attribute    = Identifier "=" Expression Newline;                  # each name once per body
    Block        = Identifier (StringLit|Identifier)* "{" Newline Body "}" Newline;
    OneLineBlock = Identifier (StringLit|Identifier)* "{" (Identifier "=" Expression)? "}" Newline;
    (Expressions, templates: see tfgen.hcl.expr.)

Newlines end attributes and object items, but are ignored inside (), [], ${} and for expressions, as the
peeker's include-newlines stack does; a `#`/`//` comment that ends a line counts as that newline.
"""

from __future__ import annotations

from tfgen.hcl.expr import Expressions
from tfgen.hcl.tokens import (
    CBRACE,
    COMMA,
    COMMENT,
    CONTROL,
    CQUOTE,
    EOF,
    EQUAL,
    IDENT,
    INTERP,
    NL,
    OBRACE,
    OQUOTE,
    QLIT,
    STR,
    Tok,
    located,
)


def check(toks: list[Tok], text: str, source: str) -> frozenset[str]:
    """Raise a located FormatError for the first syntax error in `toks`, as hclsyntax.ParseConfig reports it.

    Returns the names of the file's top-level attributes (each may be set once per file)."""
    return frozenset(_Parser(toks, text, source).body(EOF))


class _Parser(Expressions):
    """hclsyntax's parser over tfgen tokens; methods are named after the Go functions they follow."""

    def __init__(self, toks: list[Tok], text: str, source: str) -> None:
        self.toks = [t for t in toks if t.kind != COMMENT or t.text.endswith("\n")]
        # A line comment carries its newline: the peeker reads it as a newline where newlines count.
        self.kinds = [NL if t.kind == COMMENT else t.kind for t in self.toks]
        self.text, self.source = text, source
        self.i, self.nl, self.depth = 0, [True], 0
        self.newlines = True  # self.nl[-1], read on every peek

    # ------------------------------------------------------------------------------------- peeker

    def push(self, newlines: bool) -> None:
        """PushIncludeNewlines: whether newlines are tokens (bodies, objects) or blanks (brackets)."""
        self.nl.append(newlines)
        self.newlines = newlines

    def pop(self) -> None:
        self.nl.pop()
        self.newlines = self.nl[-1]

    def peek(self) -> int:
        i = self.i
        if self.newlines:
            return i
        kinds = self.kinds
        while kinds[i] == NL:
            i += 1
        return i

    def kind(self) -> str:
        return self.kinds[self.peek()]

    def read(self) -> int:
        i = self.peek()
        if self.kinds[i] != EOF:
            self.i = i + 1
        return i

    def fail(self, index: int, summary: str, detail: str = "") -> Exception:
        return located(self.text, self.source, self.toks[index].pos, summary, detail)

    def word(self, keyword: str) -> bool:
        i = self.peek()
        return self.kinds[i] == IDENT and self.toks[i].text == keyword

    # --------------------------------------------------------------------------------- structure

    def body(self, end: str, opener: int = 0) -> set[str]:
        """ParseBody: attributes (each name once, returned) and blocks until `end`; `opener` is a block's `{`."""
        names: set[str] = set()
        while True:
            i = self.peek()
            kind = self.kinds[i]
            if kind == end:
                self.read()
                return names
            if kind == NL:
                self.read()
            elif kind == IDENT:
                name = self.body_item()
                if name is not None:
                    if name in names:
                        raise self.fail(i, "Attribute redefined", f'The argument "{name}" was already set. '
                                        "Each argument may be set only once.")
                    names.add(name)
            elif kind in (OQUOTE, STR):
                raise self.fail(i, "Invalid argument name", "Argument names must not be quoted.")
            elif kind == EOF:
                raise self.fail(opener, "Unclosed configuration block", "There is no closing brace for this block "
                                "before the end of the file.")
            else:
                raise self.fail(i, "Argument or block definition required",
                                "An argument or block definition is required here.")

    def body_item(self) -> str | None:
        """ParseBodyItem: an attribute (its name is returned) or a block (None)."""
        ident = self.read()
        kind = self.kind()
        if kind == EQUAL:
            self.attribute(single_line=False)
            return self.toks[ident].text
        if kind in (OQUOTE, STR, OBRACE, IDENT):
            self.block(ident)
            return None
        raise self.fail(ident, "Argument or block definition required", 'An argument or block definition is '
                        'required here. To set an argument, use the equals sign "=" to introduce the argument value.')

    def attribute(self, single_line: bool) -> None:
        """finishParsingBodyAttribute: `= Expression`, then a newline unless inside a one-line block."""
        self.read()
        i, kinds = self.i, self.kinds
        if kinds[i] in (STR, IDENT) and kinds[i + 1] in (NL, EOF):  # the common `name = "value"`: no more to check
            self.i = i + 1
        else:
            self.expression()
        if single_line:
            return
        end = self.peek()
        if self.kinds[end] == COMMA:
            raise self.fail(end, "Unexpected comma after argument", "Argument definitions must be separated by "
                            "newlines, not commas. An argument definition must end with a newline.")
        if self.kinds[end] not in (NL, EOF):
            raise self.fail(end, "Missing newline after argument", "An argument definition must end with a newline.")
        self.read()

    def block(self, ident: int) -> None:
        """finishParsingBodyBlock: labels, then a body or a one-line single-argument body."""
        while True:
            i = self.peek()
            kind = self.kinds[i]
            if kind == OBRACE:
                brace = self.read()
                break
            if kind in (STR, IDENT):
                self.read()
            elif kind == OQUOTE:
                self.label()
            elif kind == EQUAL:
                raise self.fail(i, "Invalid block definition", 'The equals sign "=" indicates an argument '
                                "definition, and must not be used when defining a block.")
            elif kind == NL:
                raise self.fail(i, "Invalid block definition", 'A block definition must have block content '
                                'delimited by "{" and "}", starting on the same line as the block header.')
            else:
                raise self.fail(i, "Invalid block definition",
                                'Either a quoted string block label or an opening brace ("{") is expected here.')
        if self.kind() in (NL, EOF, CBRACE):
            self.body(CBRACE, brace)
        else:
            self.single_attribute_body(brace)
        eol = self.peek()
        if self.kinds[eol] not in (NL, EOF):
            raise self.fail(eol, "Missing newline after block definition",
                            "A block definition must end with a newline.")
        self.read()

    def single_attribute_body(self, brace: int) -> None:
        """parseSingleAttrBody: `{ name = value }` on one line, nothing else."""
        ident = self.read()
        if self.kinds[ident] != IDENT:
            raise self.fail(ident, "Argument or block definition required",
                            "An argument or block definition is required here.")
        kind = self.kind()
        if kind in (OQUOTE, STR, OBRACE, IDENT):
            raise self.fail(ident, "Argument definition required", "A single-line block definition can contain "
                            "only a single argument. To define a nested block, place it on a line of its own "
                            "within its parent block.")
        if kind != EQUAL:
            raise self.fail(ident, "Argument or block definition required",
                            'An argument or block definition is required here. To set an argument, use the '
                            'equals sign "=" to introduce the argument value.')
        self.attribute(single_line=True)
        close = self.peek()
        kind = self.kinds[close]
        if kind == CBRACE:
            self.read()
        elif kind == EOF:
            raise self.fail(brace, "Unclosed configuration block",
                            "There is no closing brace for this block before the end of the file.")
        else:
            detail = {
                COMMA: "Single-line block syntax can include only one argument definition.",
                NL: "An argument definition on the same line as its containing block creates a single-line "
                    "block definition, which must also be closed on the same line.",
            }.get(kind, "A single-line block definition must end with a closing brace immediately after its "
                        "single argument definition.")
            raise self.fail(close, "Invalid single-argument block definition", detail)

    def label(self) -> None:
        """parseQuotedStringLiteral: a quoted label may not contain template sequences."""
        self.read()
        while True:
            i = self.read()
            kind = self.kinds[i]
            if kind == CQUOTE:
                return
            if kind in (INTERP, CONTROL):
                which = self.toks[i].text[0]
                raise self.fail(i, "Invalid string literal", f'Template sequences are not allowed in this string. '
                                f'To include a literal "{which}", double it (as "{which}{which}") to escape it.')
            if kind == EOF:
                raise self.fail(i, "Unterminated string literal",
                                "Unable to find the closing quote mark before the end of the file.")
            if kind != QLIT:
                raise self.fail(i, "Invalid string literal", "This item is not valid in a string literal.")
