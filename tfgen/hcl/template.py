"""Templates for tfgen.hcl.parse: quoted strings and heredocs with sequences (hclsyntax's parser_template.go).

Reference grammar (hclsyntax/spec.md, "Template Expressions" and "Templates"):

    TemplateExpr = quotedTemplate | heredocTemplate;
    Template     = (TemplateLiteral | TemplateInterpolation | TemplateDirective)*;
    TemplateInterpolation = ("${" | "${~") Expression ("}" | "~}");
    TemplateIf   = "%{" "if" Expression "}" Template ("%{" "else" "}" Template)? "%{" "endif" "}";
    TemplateFor  = "%{" "for" Identifier ("," Identifier)? "in" Expression "}" Template "%{" "endfor" "}";

Inside a sequence newlines are blanks.  Directives must balance: an else only in an if without one, endif
closing an if, endfor closing a for, nothing left open at the end of the template.
"""

from __future__ import annotations

from tfgen.hcl.tokens import COMMA, CONTROL, CQUOTE, EOF, IDENT, INTERP, OQUOTE, QLIT, SEQEND, SLIT, Tok


class Templates:
    """The template half of the expression parser (peeker and expression() come from the classes using it)."""

    toks: list[Tok]
    kinds: list[str]


    def template(self, end: str) -> None:
        """parseTemplateParts + the template parser: sequences must close and directives must balance."""
        directives: list[tuple[str, bool]] = []  # ("if", seen_else) / ("for", False)
        while True:
            i = self.read()
            kind = self.kinds[i]
            if kind == end:
                break
            if kind in (QLIT, SLIT):
                continue
            if kind == INTERP:
                self.push(False)
                self.expression()
                self.sequence_end(i, end, "interpolation")
                self.pop()
            elif kind == CONTROL:
                self.push(False)
                self.directive(i, directives)
                self.pop()
            else:
                raise self.fail(i, "Unterminated template string", "No closing marker was found for the string.")
        if directives:
            raise self.fail(i, "Unexpected end of template", f"The {directives[-1][0]} directive is missing its "
                            f"corresponding end{directives[-1][0]} directive.")

    def sequence_end(self, opener: int, end: str, what: str) -> None:
        close = self.peek()
        kind = self.kinds[close]
        if kind == SEQEND:
            self.read()
            return
        if kind == EOF or (kind in (CQUOTE, OQUOTE) and end == CQUOTE):
            raise self.fail(opener, "Unclosed template interpolation sequence",
                            "There is no closing brace for this interpolation sequence.")
        if what == "interpolation":
            raise self.fail(close, "Extra characters after interpolation expression",
                            "Expected a closing brace to end the interpolation expression, but found extra characters. "
                            'If this is a sequence for another language, escape it as "$${".')
        raise self.fail(close, f"Extra characters in {what} marker",
                        "Expected a closing brace to end the sequence, but found extra characters.")

    def directive(self, opener: int, stack: list[tuple[str, bool]]) -> None:
        """One `%{ ... }` directive; `stack` tracks open if/for directives."""
        kw = self.peek()
        if self.kinds[kw] != IDENT:
            raise self.fail(kw, "Invalid template directive",
                            'A template directive keyword ("if", "for", etc) is expected at the beginning '
                            "of a %{ sequence.")
        word = self.toks[kw].text
        self.read()
        if word == "if":
            self.expression()
            stack.append(("if", False))
        elif word == "for":
            self.directive_for()
            stack.append(("for", False))
        elif word in ("else", "endif", "endfor"):
            top = stack[-1] if stack else None
            if word == "else" and top == ("if", False):
                stack[-1] = ("if", True)
            elif (word == "endif" and top and top[0] == "if") or (word == "endfor" and top and top[0] == "for"):
                stack.pop()
            else:
                raise self.fail(kw, f"Unexpected {word} directive",
                                "The control directives within this template are unbalanced.")
        else:
            raise self.fail(kw, "Invalid template control keyword",
                            f'"{word}" is not a valid template control keyword.')
        self.sequence_end(opener, "", word)

    def directive_for(self) -> None:
        if self.kind() != IDENT:
            raise self.fail(self.peek(), "Invalid 'for' directive", "For directive requires variable name after 'for'.")
        self.read()
        if self.kind() == COMMA:
            self.read()
            if self.kind() != IDENT:
                raise self.fail(self.peek(), "Invalid 'for' directive",
                                "For directive requires value variable name after comma.")
            self.read()
        if not self.word("in"):
            raise self.fail(self.peek(), "Invalid 'for' directive", "For directive requires 'in' keyword after names.")
        self.read()
        self.expression()
