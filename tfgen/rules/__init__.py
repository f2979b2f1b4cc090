"""Semantic rules over a type-checked spec. Each rule reports problems; none stops the others.

A rule is a function `(spec, check) -> None` registered with `@rule`; `spec` is the typed view of the
document (tfgen.model.views), so a misspelt setting is an AttributeError (and a type checker's error), never a
silent None. `check.report(path, message)` records a problem at the value's file:line: the path is the spec
key, independent of how the rule read the value. Rules run once the document type-checks, so they may trust
types, but never shapes (lists may be short, names may be missing): a rule must not raise. Every rule is listed, with
how to fix what it reports, in docs/rules.md.
"""

from __future__ import annotations

# Register the rules (import order is the order they run; problems are sorted by location anyway).
from tfgen.rules import acknowledgements, compute, database, guardrails, naming, network, scaling  # noqa: F401
from tfgen.rules.guardrails import GUARDRAILS
from tfgen.rules.registry import RULES, Check, parse_network, report_duplicates, rule

__all__ = ["GUARDRAILS", "RULES", "Check", "parse_network", "report_duplicates", "rule"]
