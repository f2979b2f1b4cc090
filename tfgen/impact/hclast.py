"""HCL files as data for the impact stage: tfgen.hcl's scanner, then a small parser that keeps the syntax tree.

tfgen.hcl.parse only checks the grammar (it formats, it never evaluates). Impact needs the values: bodies
(attributes and blocks) and expressions as plain tuples, evaluated by tfgen.impact.evaluate. The input is a
generated file that already passed `terraform fmt`'s grammar, so errors are not re-diagnosed here: a file this
parser cannot read raises FormatError, and impact reports it.

Nodes (tuples, first item the kind): ("lit", v), ("tmpl", parts), ("opaque", text, refs), ("ref", name, steps),
("call", name, args, expand), ("tuple", items), ("object", [(k, v)]), ("for", kvar, vvar, coll, key, value,
cond, group), ("op", op, a, b), ("not", a), ("neg", a), ("cond", c, a, b), ("trav", node, steps),
("splat", node, steps). Steps: ("attr", name) | ("index", node).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import FormatError
from tfgen.hcl.tokens import (
    CBRACE,
    CBRACK,
    CHEREDOC,
    COMMENT,
    CONTROL,
    CPAREN,
    CQUOTE,
    EOF,
    IDENT,
    INTERP,
    NL,
    NUMBER,
    OBRACE,
    OBRACK,
    OHEREDOC,
    OPAREN,
    OQUOTE,
    QLIT,
    SEQEND,
    SLIT,
    STR,
    Tok,
    tokenize,
)

Node = tuple[Any, ...]
_LEVEL = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "*": 5, "/": 5,
          "%": 5}
_ESCAPE = re.compile(r'\\(?:([nrt"\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))|\$\$\{|%%\{')
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_REF_ROOTS = ("var", "local", "each", "count")


@dataclass
class Block:
    """A block: its type, labels and body."""

    type: str
    labels: list[str]
    body: Body
    line: int = 0


@dataclass
class Body:
    """Attributes (name -> expression node) and blocks, in file order."""

    attributes: dict[str, Node] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


def _unescape(text: str, quoted: bool) -> str:
    def one(m: re.Match[str]) -> str:
        whole = m.group()
        if whole in ("$${", "%%{"):
            return whole[1:]
        if not quoted:
            return whole
        if m.group(1):
            return _SIMPLE[m.group(1)]
        return chr(int(m.group(2) or m.group(3), 16))
    return _ESCAPE.sub(one, text)


def parse_body(text: str, source: str) -> Body:
    """The top-level body of one HCL file."""
    toks = []
    for tok in tokenize(text.removeprefix("\ufeff"), source):
        if tok.kind == COMMENT:
            if tok.text.endswith("\n"):
                toks.append(Tok(NL, "\n", tok.line, tok.pos))
            continue
        toks.append(tok)
    return _Parser(toks, source).body(EOF)


class _Parser:
    def __init__(self, toks: list[Tok], source: str) -> None:
        self.toks, self.source, self.i, self.nl = toks, source, 0, [True]

    def fail(self, what: str) -> FormatError:
        tok = self.toks[min(self.i, len(self.toks) - 1)]
        return FormatError(self.source, tok.line, f"impact cannot read this file: {what} at {tok.text!r}")

    def peek(self) -> Tok:
        if not self.nl[-1]:
            while self.toks[self.i].kind == NL:
                self.i += 1
        return self.toks[self.i]

    def next(self) -> Tok:
        tok = self.peek()
        if tok.kind != EOF:
            self.i += 1
        return tok

    def expect(self, kind: str) -> Tok:
        tok = self.next()
        if tok.kind != kind:
            raise self.fail(f"expected {kind}")
        return tok

    def word(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind == IDENT and tok.text == text

    # ------------------------------------------------------------------------------------------ structure

    def body(self, end: str) -> Body:
        body = Body()
        while True:
            tok = self.next()
            if tok.kind == end:
                return body
            if tok.kind == NL:
                continue
            if tok.kind != IDENT:
                raise self.fail("expected an attribute or a block")
            if self.peek().kind == "=":
                self.next()
                body.attributes[tok.text] = self.expression()
                continue
            labels = []
            while self.peek().kind != OBRACE:
                label = self.next()
                if label.kind == STR:
                    labels.append(_unescape(label.text[1:-1], True))
                elif label.kind == IDENT:
                    labels.append(label.text)
                elif label.kind == OQUOTE:
                    parts = self.template(CQUOTE)
                    labels.append("".join(p for p in parts if isinstance(p, str)))
                else:
                    raise self.fail("expected a block label")
            self.next()
            self.nl.append(True)
            body.blocks.append(Block(tok.text, labels, self.body(CBRACE), tok.line))
            self.nl.pop()

    # ------------------------------------------------------------------------------------------ expressions

    def expression(self) -> Node:
        node = self.binary(0)
        if self.peek().kind == "?":
            self.next()
            yes = self.expression()
            self.expect(":")
            node = ("cond", node, yes, self.expression())
        return node

    def binary(self, level: int) -> Node:
        node = self.unary()
        while True:
            op = self.peek().kind
            prec = _LEVEL.get(op)
            if prec is None or prec < level:
                return node
            self.next()
            node = ("op", op, node, self.binary(prec + 1))

    def unary(self) -> Node:
        kind = self.peek().kind
        if kind in ("-", "!"):
            self.next()
            operand = self.unary()
            return ("neg" if kind == "-" else "not", operand)
        return self.traversals(self.term())

    def term(self) -> Node:
        tok = self.next()
        kind = tok.kind
        if kind == NUMBER:
            return ("lit", float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text))
        if kind == STR:
            return ("lit", _unescape(tok.text[1:-1], True))
        if kind == IDENT:
            if tok.text in ("true", "false", "null"):
                return ("lit", {"true": True, "false": False, "null": None}[tok.text])
            if self.peek().kind in (OPAREN, "::"):
                return self.call(tok.text)
            return ("ref", tok.text, [])
        if kind == OPAREN:
            self.nl.append(False)
            node = self.expression()
            self.expect(CPAREN)
            self.nl.pop()
            return node
        if kind in (OQUOTE, OHEREDOC):
            start = self.i - 1
            parts = self.template(CQUOTE if kind == OQUOTE else CHEREDOC)
            if any(isinstance(p, tuple) and p[0] == "directive" for p in parts):
                return self.opaque(start)
            return ("tmpl", parts)  # "${x}" alone keeps x's type (Evaluator.template)
        if kind == OBRACK:
            return self.tuple()
        if kind == OBRACE:
            return self.object()
        raise self.fail("expected an expression")

    def opaque(self, start: int) -> Node:
        """A template with directives (%{ if }, %{ for }): its text, plus every input it reads, compared as is."""
        toks = self.toks[start:self.i]
        refs = []
        for n, tok in enumerate(toks):
            if tok.kind == IDENT and tok.text in _REF_ROOTS and n + 2 < len(toks) and toks[n + 1].kind == ".":
                steps = []
                m = n + 1
                while m + 1 < len(toks) and toks[m].kind == "." and toks[m + 1].kind == IDENT:
                    steps.append(("attr", toks[m + 1].text))
                    m += 2
                refs.append(("ref", tok.text, steps))
        return ("opaque", "".join(t.text for t in toks), refs)

    def template(self, close: str) -> list[Any]:
        """Parts of a quoted or heredoc template up to `close`: strings, expression nodes, ("directive",)."""
        parts: list[Any] = []
        self.nl.append(True)
        while True:
            tok = self.toks[self.i]
            self.i += 1
            if tok.kind == close:
                break
            if tok.kind in (QLIT, SLIT):
                parts.append(_unescape(tok.text, close == CQUOTE))
            elif tok.kind == INTERP:
                self.nl.append(False)
                parts.append(self.expression())
                self.expect(SEQEND)
                self.nl.pop()
            elif tok.kind == CONTROL:
                depth = 1
                while depth:
                    inner = self.toks[self.i]
                    self.i += 1
                    depth += inner.kind in (INTERP, CONTROL, OBRACE)
                    depth -= inner.kind in (SEQEND, CBRACE)
                parts.append(("directive",))
            elif tok.kind == EOF:
                raise self.fail("unterminated template")
        self.nl.pop()
        return parts

    def call(self, name: str) -> Node:
        while self.peek().kind == "::":
            self.next()
            name += "::" + self.expect(IDENT).text
        self.expect(OPAREN)
        self.nl.append(False)
        args, expand = [], False
        while self.peek().kind != CPAREN:
            args.append(self.expression())
            sep = self.peek().kind
            if sep == "...":
                self.next()
                expand = True
            if self.peek().kind == ",":
                self.next()
        self.next()
        self.nl.pop()
        return ("call", name, args, expand)

    def traversals(self, node: Node) -> Node:
        """`.name`, `.0`, `[expr]` steps; a splat (`.*`, `[*]`) takes the remaining steps for each element."""
        steps: list[Node] = []
        while True:
            step = self.step(splat=None)
            if step is None:
                return self.wrap(node, steps)
            if step[0] == "splat":
                return ("splat", self.wrap(node, steps), self.splat_steps(attr_only=step[1]))
            steps += step[1] if step[0] == "many" else [step]

    def step(self, splat: bool | None) -> Node | None:
        """One traversal step, ("splat", attr_only) when `splat` is None and a splat follows, None at the end.
        With `splat` True only attribute steps are read (after `.*`)."""
        kind = self.toks[self.i].kind
        if kind == ".":
            self.next()
            tok = self.next()
            if tok.kind == "*" and splat is None:
                return ("splat", True)
            if tok.kind == NUMBER:
                return ("many", [("index", ("lit", int(part))) for part in tok.text.split(".")])
            return ("attr", tok.text)
        if kind != OBRACK or splat:
            return None
        self.next()
        if self.peek().kind == "*" and splat is None:
            self.next()
            self.expect(CBRACK)
            return ("splat", False)
        self.nl.append(False)
        index = ("index", self.expression())
        self.expect(CBRACK)
        self.nl.pop()
        return index

    def splat_steps(self, attr_only: bool) -> list[Node]:
        steps: list[Node] = []
        while (step := self.step(splat=attr_only)) is not None:
            steps += step[1] if step[0] == "many" else [step]
        return steps

    @staticmethod
    def wrap(node: Node, steps: list[Node]) -> Node:
        if not steps:
            return node
        if node[0] == "ref":
            return ("ref", node[1], node[2] + steps)
        return ("trav", node, steps)

    def tuple(self) -> Node:
        self.nl.append(False)
        if self.word("for"):
            node = self.for_expr(CBRACK)
        else:
            items = []
            while self.peek().kind != CBRACK:
                items.append(self.expression())
                if self.peek().kind == ",":
                    self.next()
            self.next()
            node = ("tuple", items)
        self.nl.pop()
        return node

    def object(self) -> Node:
        self.nl.append(False)
        if self.word("for"):
            node = self.for_expr(CBRACE)
            self.nl.pop()
            return node
        self.nl[-1] = True
        items = []
        while True:
            tok = self.peek()
            if tok.kind in (NL, ","):
                self.next()
                continue
            if tok.kind == CBRACE:
                self.next()
                break
            key = self.expression()
            if key[0] == "ref" and not key[2]:
                key = ("lit", key[1])  # a bare name is the key itself, not a variable
            sep = self.next()
            if sep.kind not in ("=", ":"):
                raise self.fail("expected = or :")
            items.append((key, self.expression()))
        self.nl.pop()
        return ("object", items)

    def for_expr(self, close: str) -> Node:
        self.next()  # for
        first = self.expect(IDENT).text
        second = None
        if self.peek().kind == ",":
            self.next()
            second = self.expect(IDENT).text
        if not self.word("in"):
            raise self.fail("expected in")
        self.next()
        coll = self.expression()
        self.expect(":")
        value = self.expression()
        key = None
        if self.peek().kind == "=>":
            self.next()
            key, value = value, self.expression()
        group = self.peek().kind == "..."
        if group:
            self.next()
        cond = None
        if self.word("if"):
            self.next()
            cond = self.expression()
        self.expect(close)
        kvar, vvar = (first, second) if second else (None, first)
        return ("for", kvar, vvar, coll, key, value, cond, group, close == CBRACE)
