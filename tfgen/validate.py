"""Stage 2: type-check every spec, run the semantic rules, and check what must agree across environments.

Collects every problem of every environment before failing, so one run shows them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import Problem, SpecError
from tfgen.model import SPEC
from tfgen.rules import RULES, Check
from tfgen.schema import module_shaping_paths, validate_document
from tfgen.spec import LoadedSpec, format_path


@dataclass
class ValidatedSpec:
    """A spec that passed every check: its normalized document (defaults filled) and warnings."""

    spec: LoadedSpec
    doc: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def check_spec(spec: LoadedSpec) -> tuple[ValidatedSpec | None, list[Problem]]:
    """Type-check then (only if types are right) run semantic rules; returns all problems found."""
    doc, problems = validate_document(SPEC, spec)
    if problems:
        return None, problems
    check = Check(spec)
    for rule in RULES:
        rule(doc, check)
    if check.problems:
        return None, check.problems
    return ValidatedSpec(spec, doc, check.warnings), []


def cross_environment_problems(validated: list[ValidatedSpec]) -> list[Problem]:
    """Module-shaping values must agree across environments; report each disagreement naming both files."""
    if len(validated) < 2:
        return []
    reference = validated[0]
    ref_values = module_shaping_paths(SPEC, reference.doc)
    problems = []
    for other in validated[1:]:
        values = module_shaping_paths(SPEC, other.doc)
        for path in sorted(set(ref_values) | set(values), key=format_path):
            if ref_values.get(path) != values.get(path):
                problems.append(_disagreement(reference, other, path, ref_values.get(path), values.get(path)))
    return problems


def _disagreement(ref: ValidatedSpec, other: ValidatedSpec, path: tuple, a: Any, b: Any) -> Problem:
    clean = tuple(p for p in path if p not in ("<names>", "<present>"))
    what = {"<names>": "the set of names", "<present>": "whether it is set"}.get(str(path[-1]), "the value")
    ref_loc = ref.spec.location(clean)
    message = (f"{what} differs between environments {ref.spec.env!r} ({ref_loc or ref.spec.files[-1]}: {a!r}) "
               f"and {other.spec.env!r} ({b!r}); it shapes the shared modules, so every environment must agree "
               "(set it in the base spec)")
    return Problem(other.spec.location(clean), format_path(clean), message)


def validate_specs(specs: list[LoadedSpec]) -> list[ValidatedSpec]:
    """Validate a set of environment specs together; raises SpecError with every problem."""
    validated, problems = [], []
    for spec in specs:
        result, found = check_spec(spec)
        problems += found
        if result is not None:
            validated.append(result)
    if not problems:
        problems = cross_environment_problems(validated)
    if problems:
        raise SpecError(problems)
    return validated
