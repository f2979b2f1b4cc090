"""Expressions for tfgen.hcl.parse (hclsyntax's parser.go; templates are in tfgen.hcl.template).

Reference grammar (hclsyntax/spec.md):

    Expression   = ExprTerm | Operation | Conditional;
    ExprTerm     = LiteralValue | CollectionValue | TemplateExpr | VariableExpr | FunctionCall | ForExpr
                 | ExprTerm Index | ExprTerm GetAttr | ExprTerm Splat | "(" Expression ")";
    FunctionCall = Identifier ("::" Identifier)* "(" Arguments ")";
    Arguments    = () | (Expression ("," Expression)* ("," | "...")?);
    CollectionValue = "[" (Expression ("," Expression)* ","?)? "]"
                    | "{" (Expression ("=" | ":") Expression ("," | Newline)?)* "}";
    ForExpr      = "[" "for" Identifier ("," Identifier)? "in" Expression ":" Expression ("if" Expression)? "]"
                 | "{" "for" ... ":" Expression "=>" Expression "..."? ("if" Expression)? "}";
    Index = "[" Expression "]" | "." digit+;  GetAttr = "." Identifier;
    Splat = "." "*" ("." Identifier)* | "[" "*" "]" (GetAttr | Index)*;
    Operation    = "-" ExprTerm | "!" ExprTerm | Expression BinaryOp Expression;   # precedence below
    Conditional  = Expression "?" Expression ":" Expression;

Binary operators, lowest precedence first: `||`; `&&`; `==` `!=`; `<` `<=` `>` `>=`; `+` `-`; `*` `/` `%`.
"""

from __future__ import annotations

import re

from tfgen.hcl.template import Templates
from tfgen.hcl.tokens import (
    ARROW,
    BANG,
    CBRACE,
    CBRACK,
    CHEREDOC,
    COLON,
    COMMA,
    CPAREN,
    CQUOTE,
    DCOLON,
    DOT,
    ELLIPSIS,
    EOF,
    EQUAL,
    IDENT,
    MINUS,
    NL,
    NUMBER,
    OBRACE,
    OBRACK,
    OHEREDOC,
    OPAREN,
    OQUOTE,
    QUESTION,
    STR,
    Tok,
)

# hclsyntax's binaryOps, lowest precedence first; all are left-associative.
_LEVEL = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "*": 5, "/": 5,
          "%": 5}
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?\Z")  # big.Float syntax: "1.e5" is a number
MAX_DEPTH = 100  # nesting (expressions and blocks together) beyond this is refused, not a RecursionError


class Expressions(Templates):
    """The expression half of the parser; the peeker (peek/read/kind/word/fail, nl stack, depth) is the subclass's."""

    toks: list[Tok]
    kinds: list[str]
    depth: int


    def expression(self, unary: bool = False) -> None:
        """parseTernaryConditional over parseBinaryOps (precedence climbing accepts the same language).

        With `unary`, only the operand of `-`/`!` (a term with its traversals), counted in the same depth.
        """
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(self.peek(), "Expression nesting too deep",
                            f"tfgen refuses expressions nested more than {MAX_DEPTH} levels deep.")
        if unary:
            self.term_with_traversals()
            self.depth -= 1
            return
        self.binary(0)
        if self.kind() == QUESTION:
            self.read()
            self.expression()
            colon = self.peek()
            if self.kinds[colon] != COLON:
                raise self.fail(colon, "Missing false expression in conditional", "The conditional operator "
                                "(...?...:...) requires a false expression, delimited by a colon.")
            self.read()
            self.expression()
        self.depth -= 1

    def binary(self, level: int) -> None:
        self.term_with_traversals()
        while True:
            op = _LEVEL.get(self.kind())
            if op is None or op < level:
                return
            self.read()
            self.binary(op + 1)

    def term_with_traversals(self) -> None:
        self.term()
        self.traversals()

    def term(self) -> None:
        """parseExpressionTerm."""
        i = self.peek()
        kind = self.kinds[i]
        if kind in (IDENT, NUMBER, STR):
            self.read()
            if kind == IDENT and self.kind() in (OPAREN, DCOLON):
                self.call(i)
            elif kind == NUMBER:
                self.number(i)
        elif kind == OPAREN:
            self.read()
            self.push(False)
            self.expression()
            close = self.peek()
            if self.kinds[close] != CPAREN:
                raise self.fail(close, "Unbalanced parentheses",
                                "Expected a closing parenthesis to terminate the expression.")
            self.read()
            self.pop()
        elif kind in (OQUOTE, OHEREDOC):
            self.read()
            self.template(CQUOTE if kind == OQUOTE else CHEREDOC)
        elif kind in (MINUS, BANG):
            self.read()
            self.expression(unary=True)
        elif kind == OBRACK:
            self.tuple()
        elif kind == OBRACE:
            self.object()
        elif kind == EOF:
            raise self.fail(i, "Missing expression",
                            "Expected the start of an expression, but found the end of the file.")
        else:
            raise self.fail(i, "Invalid expression",
                            "Expected the start of an expression, but found an invalid expression token.")

    def number(self, i: int) -> None:
        if not _NUMBER.match(self.toks[i].text):
            raise self.fail(i, "Invalid number literal", "Failed to recognize the value of this number literal.")

    def legacy_index(self, i: int) -> None:
        """`.0` after a traversal; `.0.1` lexes as the number 0.1 and is refused, as HCL refuses it."""
        if "." in self.toks[i].text:
            first, _, second = self.toks[i].text.partition(".")
            raise self.fail(i, "Invalid legacy index syntax", "When using the legacy index syntax, chaining two "
                            f"indexes together is not permitted. Use the proper index syntax instead, like "
                            f"[{first}][{second}].")
        self.number(i)

    def traversals(self) -> None:
        """parseExpressionTraversals: `.name`, `.0`, `.*`, `[expr]`, `[*]` after a term."""
        while True:
            kind = self.kind()
            if kind == DOT:
                self.read()
                i = self.read()
                step = self.kinds[i]
                if step == NUMBER:
                    self.legacy_index(i)
                elif step == "*":
                    self.attribute_splat()
                elif step != IDENT:
                    raise self.fail(i, "Invalid attribute name", "An attribute name is required after a dot.")
            elif kind == OBRACK:
                self.read()
                if self.kind() == "*":
                    self.read()
                    close = self.read()
                    if self.kinds[close] != CBRACK:
                        raise self.fail(close, "Missing close bracket on splat index", "The star for a full splat "
                                        'operator must be immediately followed by a closing bracket ("]").')
                    continue  # the rest of the traversal applies to each element: the same tokens follow
                self.push(False)
                self.expression()
                close = self.read()
                if self.kinds[close] != CBRACK:
                    raise self.fail(close, "Missing close bracket on index",
                                    'The index operator must end with a closing bracket ("]").')
                self.pop()
            else:
                return

    def attribute_splat(self) -> None:
        """`.*` then `.name` / `.0` steps only."""
        while self.kind() == DOT:
            self.read()
            i = self.read()
            if self.kinds[i] == NUMBER:
                self.legacy_index(i)
            elif self.kinds[i] == "*":
                raise self.fail(i, "Nested splat expression not allowed",
                                "A splat expression (*) cannot be used inside another attribute-only splat expression.")
            elif self.kinds[i] != IDENT:
                raise self.fail(i, "Invalid attribute name", "An attribute name is required after a dot.")

    def call(self, name: int) -> None:
        """finishParsingFunctionCall: `ns::name(args, final...)`."""
        while self.kind() == DCOLON:
            self.read()
            nxt = self.read()
            if self.kinds[nxt] != IDENT:
                raise self.fail(nxt, "Missing function name", "Function scope resolution symbol :: must be "
                                "followed by a function name in this scope.")
        open_ = self.read()
        if self.kinds[open_] != OPAREN:
            raise self.fail(open_, "Missing open parenthesis",
                            "Function selector must be followed by an open parenthesis to begin the function call.")
        self.push(False)
        while self.kind() != CPAREN:
            self.expression()
            sep = self.read()
            kind = self.kinds[sep]
            if kind == CPAREN:
                break
            if kind == ELLIPSIS:
                close = self.read()
                if self.kinds[close] != CPAREN:
                    raise self.fail(sep, "Missing closing parenthesis", "An expanded function argument (with ...) "
                                    "must be immediately followed by closing parentheses.")
                break
            if kind == EOF:
                raise self.fail(name, "Unterminated function call",
                                "There is no closing parenthesis for this function call before the end of the file.")
            if kind != COMMA:
                raise self.fail(sep, "Missing argument separator",
                                "A comma is required to separate each function argument from the next.")
        else:
            self.read()
        self.pop()

    def tuple(self) -> None:
        """parseTupleCons: `[a, b,]` or a for expression."""
        open_ = self.read()
        self.push(False)
        if self.word("for"):
            self.for_expr(CBRACK)
        else:
            while self.kind() != CBRACK:
                self.expression()
                nxt = self.peek()
                kind = self.kinds[nxt]
                if kind == CBRACK:
                    break
                if kind == EOF:
                    raise self.fail(open_, "Unterminated tuple constructor expression",
                                    "There is no corresponding closing bracket before the end of the file.")
                if kind != COMMA:
                    raise self.fail(nxt, "Missing item separator", "Expected a comma to mark the beginning of the "
                                    "next item.")
                self.read()
            self.read()
        self.pop()

    def object(self) -> None:
        """parseObjectCons: items separated by commas or newlines, or a for expression."""
        open_ = self.read()
        self.push(False)
        is_for = self.word("for")
        self.pop()
        if is_for:
            self.push(False)
            self.for_expr(CBRACE)
            self.pop()
            return
        self.push(True)
        while True:
            kind = self.kind()
            if kind == NL:
                self.read()
                continue
            if kind == CBRACE:
                self.read()
                break
            self.expression()
            sep = self.peek()
            kind = self.kinds[sep]
            if kind not in (EQUAL, COLON):
                raise self.fail(*self.object_error(open_, sep, kind, "key"))
            self.read()
            self.expression()
            nxt = self.peek()
            kind = self.kinds[nxt]
            if kind == CBRACE:
                self.read()
                break
            if kind not in (COMMA, NL):
                raise self.fail(*self.object_error(open_, nxt, kind, "value"))
            self.read()
        self.pop()

    @staticmethod
    def object_error(open_: int, at: int, kind: str, after: str) -> tuple[int, str, str]:
        if kind == EOF:
            return open_, "Unterminated object constructor expression", ("There is no corresponding closing "
                                                                         "brace before the end of the file.")
        if after == "value":
            return at, "Missing attribute separator", ("Expected a newline or comma to mark the beginning of the "
                                                       "next attribute.")
        if kind in (NL, COMMA):
            return at, "Missing attribute value", 'Expected an attribute value, introduced by an equals sign ("=").'
        return at, "Missing key/value separator", ('Expected an equals sign ("=") to mark the beginning of the '
                                                   "attribute value. Quote a name containing periods or spaces.")

    def for_expr(self, close: str) -> None:
        """finishParsingForExpr: `for k, v in coll : key => value... if cond`."""
        self.read()  # for
        problem = None
        if self.kind() != IDENT:
            problem = "For expression requires variable name after 'for'."
        else:
            self.read()
            if self.kind() == COMMA:
                self.read()
                if self.kind() != IDENT:
                    problem = "For expression requires value variable name after comma."
                else:
                    self.read()
        if problem is None and not self.word("in"):
            problem = "For expression requires the 'in' keyword after its name declarations."
        if problem:
            raise self.fail(self.peek(), "Invalid 'for' expression", problem)
        self.read()
        self.expression()
        if self.kind() != COLON:
            raise self.fail(self.peek(), "Invalid 'for' expression",
                            "For expression requires a colon after the collection expression.")
        self.read()
        value = self.peek()
        self.expression()
        has_key = self.kind() == ARROW
        if has_key:
            self.read()
            self.expression()
        group = self.peek() if self.kind() == ELLIPSIS else None
        if group is not None:
            self.read()
        if self.word("if"):
            self.read()
            self.expression()
        end = self.peek()
        if self.kinds[end] != close:
            raise self.fail(end, "Invalid 'for' expression", "Extra characters after the end of the 'for' expression.")
        self.read()
        if close == CBRACK and has_key:
            raise self.fail(value, "Invalid 'for' expression", "Key expression is not valid when building a tuple.")
        if close == CBRACK and group is not None:
            raise self.fail(group, "Invalid 'for' expression",
                            "Grouping ellipsis (...) cannot be used when building a tuple.")
        if close == CBRACE and not has_key:
            raise self.fail(value, "Invalid 'for' expression", "Key expression is required when building an object.")
