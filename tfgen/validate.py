"""Stage 2: type-check every spec, run the semantic rules, and check the little that must agree across
environments (the project's identity, flagged `shapes_modules` in tfgen.model.definition: the shared docs describe one
project). Services, ports, packages, engine versions and everything else may differ per environment.

Collects every problem of every environment before failing, so one run shows them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import Problem, SpecError
from tfgen.model.definition import SPEC
from tfgen.model.lenient import partial_view
from tfgen.model.schema import Field, module_shaping_paths, validate_document
from tfgen.model.views import Spec
from tfgen.names import state_bucket, state_key
from tfgen.rules import RULES, Check
from tfgen.rules.overlay import unknown_overlay_services
from tfgen.spec import LoadedSpec, Path_, format_path


@dataclass
class ValidatedSpec:
    """A spec that passed every check: its normalized document (defaults filled), warnings, and the document as
    typed, frozen objects (tfgen.model.views: `view.network.vpc_cidr`), built once. The rules and the later
    stages (context, interfaces, names, graph, cost) read the spec through `view`."""

    spec: LoadedSpec
    doc: dict[str, Any]
    view: Spec
    warnings: list[str] = field(default_factory=list)


def check_spec(spec: LoadedSpec) -> tuple[ValidatedSpec | None, list[Problem]]:
    """Scan for secrets and type-check, then (only if both pass) run semantic rules; returns all problems."""
    layers = _shadowed_layers(spec)
    secrets = list(dict.fromkeys(find_secrets(spec) + [p for layer in layers for p in find_secrets(layer)]))
    doc, problems = validate_document(SPEC, spec)
    problems = list(dict.fromkeys(
        problems + [p for layer in layers for p in validate_document(SPEC, layer, partial=True)[1]]
    ))
    overlay_problems, covered = unknown_overlay_services(spec)
    flagged = [p.path for p in secrets] + covered
    problems = secrets + overlay_problems + [p for p in problems if not any(_within(p.path, f) for f in flagged)]
    if problems:
        return None, problems + _rule_problems_despite(doc, spec, problems)
    view = Spec.of(doc)
    check = Check(spec)
    for rule in RULES:
        rule(view, check)
    if check.problems:
        return None, check.problems
    return ValidatedSpec(spec, doc, view, check.warnings), []


def _rule_problems_despite(doc: dict[str, Any], spec: LoadedSpec, found: list[Problem]) -> list[Problem]:
    """The semantic rules' problems on a document that already failed type checks, so one run shows both
    (an unknown key in one section, a region/zone mismatch in another). Only problems away from the values
    already reported count, and a rule that cannot run on the partial document is skipped."""
    check = Check(spec)
    try:
        view = partial_view(doc)
    except (TypeError, KeyError, AttributeError, ValueError, IndexError):
        return []
    for rule in RULES:
        try:
            rule(view, check)
        except (TypeError, KeyError, AttributeError, ValueError, IndexError):
            continue
    flagged = [p.path for p in found]
    return [p for p in check.problems if p.path and not any(_within(p.path, f) or _within(f, p.path)
                                                            for f in flagged)]


def _shadowed_layers(spec: LoadedSpec) -> list[LoadedSpec]:
    """The files an environment extends, each on its own: a value every environment overrides is still
    committed in the base file, so it must be well-typed (and secret-free) too."""
    return [LoadedSpec(spec.env, layer.data, layer.provenance, [layer.file]) for layer in spec.layers[:-1]]


def cross_environment_problems(validated: list[ValidatedSpec]) -> list[Problem]:
    """Shared values (the project identity) must agree across environments; report each disagreement naming
    both files."""
    if len(validated) < 2:
        return []
    reference = validated[0]
    ref_values = module_shaping_paths(SPEC, reference.doc)
    problems = []
    for other in validated[1:]:
        values = module_shaping_paths(SPEC, other.doc)
        one_sided: list[tuple] = []  # entries only one environment defines: reported once, not field by field
        for path in sorted(set(ref_values) | set(values), key=format_path):
            a, b = ref_values.get(path), values.get(path)
            if a == b or any(path[: len(entry)] == entry for entry in one_sided):
                continue
            if path[-1] == "<names>":
                found = _name_set_problems(reference, other, path[:-1], a or [], b or [])
                one_sided += [entry for _, entry in found]
                problems += [problem for problem, _ in found]
            else:
                problems.append(_disagreement(reference, other, path, a, b))
    return problems


def delegation_problems(validated: list[ValidatedSpec]) -> list[Problem]:
    """A delegation to another environment's domain needs that environment's hosted zone: without one there is
    nothing to delegate to (and its name servers are those of whoever hosts it)."""
    by_domain = {v.doc["dns"]["domain"]: v for v in validated}
    problems = []
    for parent in validated:
        for child in sorted(parent.doc["dns"]["delegations"]):
            other = by_domain.get(child)
            if other is not None and not other.doc["dns"]["create_hosted_zone"]:
                path = ("dns", "delegations", child)
                problems.append(Problem(parent.spec.location(path), format_path(path),
                                        f"{child} is the domain of environment {other.spec.env!r}, which has no "
                                        f"hosted zone of its own ({other.spec.files[-1]}: dns.create_hosted_zone: "
                                        "false); delegate it once that zone exists"))
    return problems


def state_bucket_problems(validated: list[ValidatedSpec]) -> list[Problem]:
    """Environments sharing a state bucket share its bootstrap root: a bucket lives in one region and account."""
    first_by_bucket: dict[str, ValidatedSpec] = {}
    owners: dict[str, ValidatedSpec] = {}  # the first environment naming an account, by bucket
    problems = []
    for other in validated:
        bucket = state_bucket(other.view)
        if bucket is None:
            continue  # the state_backend rule reports it
        ref = first_by_bucket.setdefault(bucket, other)
        a, b = ref.view.state.region, other.view.state.region
        if a != b:
            where = ref.spec.location(("state", "region")) or ref.spec.files[-1]
            problems.append(Problem(other.spec.location(("state", "region")), "state.region", (
                f"environments {ref.spec.env!r} ({where}: {a!r}) and {other.spec.env!r} ({b!r}) use the state bucket "
                f"{bucket!r} in different regions; a bucket has one region (set state.region "
                "once, or give the environment a bucket of its own)")))
        if ref.view.aws.baseline != other.view.aws.baseline:
            problems.append(Problem(other.spec.location(("aws", "baseline")), "aws.baseline", (
                f"environments {ref.spec.env!r} and {other.spec.env!r} share the state bucket {bucket!r} and so its "
                "bootstrap root, which holds the account baseline, but set aws.baseline differently (set it once, "
                "in the base spec)")))
        account = other.view.aws.account_id
        owner = owners.setdefault(bucket, other) if account else None
        if owner is not None and owner.view.aws.account_id != account:
            problems.append(Problem(other.spec.location(("aws", "account_id")), "aws.account_id", (
                f"environments {owner.spec.env!r} and {other.spec.env!r} name different accounts but share the "
                f"state bucket {bucket!r}; a bucket and its bootstrap root live in one account (leave state.bucket "
                "unset for a bucket per account, or name one per account)")))
    return problems


def state_key_problems(validated: list[ValidatedSpec]) -> list[Problem]:
    """Two environments whose backends name the same state object would overwrite each other's state."""
    first: dict[tuple[str, str], ValidatedSpec] = {}
    problems = []
    for other in validated:
        bucket = state_bucket(other.view)
        if bucket is None:
            continue  # the state_backend rule reports it
        where = (bucket, state_key(other.spec.env, other.view.state))
        ref = first.setdefault(where, other)
        if ref is not other:
            problems.append(Problem(other.spec.location(("state", "key")) or other.spec.location(("state",)),
                                    "state.key", f"environments {ref.spec.env!r} and {other.spec.env!r} both keep "
                                    f"their state in s3://{where[0]}/{where[1]}: each needs its own key"))
    return problems


def _name_set_problems(ref: ValidatedSpec, other: ValidatedSpec, prefix: tuple, a: list, b: list
                       ) -> list[tuple[Problem, tuple]]:
    """One problem per entry (a service, a parameter) that only one of two environments defines."""
    found = []
    for has, lacks, names in ((ref, other, sorted(set(a) - set(b))), (other, ref, sorted(set(b) - set(a)))):
        for name in names:
            path = (*prefix, name)
            message = (f"is defined for environment {has.spec.env!r} but not for {lacks.spec.env!r} "
                       f"({lacks.spec.files[-1]}); {format_path(prefix)} entries are shared by every environment, so "
                       "every environment must define the same ones (define it in the base spec)")
            found.append((Problem(has.spec.location(path), format_path(path), message), path))
    return found


def _disagreement(ref: ValidatedSpec, other: ValidatedSpec, path: tuple, a: Any, b: Any) -> Problem:
    clean = tuple(p for p in path if p not in ("<names>", "<present>"))
    what = {"<names>": "the set of names", "<present>": "whether it is set"}.get(str(path[-1]), "the value")
    ref_loc = ref.spec.location(clean)
    message = (f"{what} differs between environments {ref.spec.env!r} ({ref_loc or ref.spec.files[-1]}: {a!r}) "
               f"and {other.spec.env!r} ({b!r}); it names the project that the shared docs describe, so every "
               "environment must agree (set it in the base spec)")
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
        problems = (cross_environment_problems(validated) + state_bucket_problems(validated)
                    + state_key_problems(validated) + delegation_problems(validated))
    if problems:
        raise SpecError(problems)
    return validated


# ---------------------------------------------------------------------------------------------------------
# Secrets: scanned on the raw merged document, before type-checking, so a `password:` key gets a message
# about Secrets Manager instead of "unknown key" (and its value never appears in any message).
# ---------------------------------------------------------------------------------------------------------

SECRET_KEY_RE = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|passphrase|secret|token|api_?key|private_?key|access_?key|secret_?key|"
    r"credentials?|connection_string|signing_key|encryption_key|master_key)$"
)
# Linear-time by construction (a spec value may be 1 MiB): every pattern that scans an unbounded run starts only
# where such a run starts (a lookbehind for the run's own characters), and a run is followed by a character
# outside its class, so each character is scanned a bounded number of times; the old `\b`/unanchored starts
# rescanned the rest of a run from every position inside it (20 kB took seconds, 200 kB minutes).
SECRET_VALUE_PATTERNS = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA)[A-Z0-9]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an API secret key", re.compile(r"\b[sr]k[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{20,}")),
    ("a JSON Web Token", re.compile(
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}+\.eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}")),
    ("credentials inside a URL", re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^/\s:@]++:[^/\s@]++@")),
    ("a password or token on a command line", re.compile(
        r"(?i)(?<!\S)--?[a-z0-9-]*(?:password|passwd|secret|token|api-?key|private-key)(?:=|\s+)(?![$-])\S+")),
    ("a password or token assignment", re.compile(
        r"(?i)(?<![a-z0-9_])[a-z0-9_]*(?:password|passwd|secret|token|api_?key|private_?key)=(?![\"']?\$)\S+")),
)
SECRETS_ADVICE = ("never put secrets in a spec (specs are committed, and values reach the generated tree): keep "
                  "it in AWS Secrets Manager and let the service read it at run time (storage.app_secret_keys "
                  "lists the keys of the generated application secret)")
_REFERENCE_RE = re.compile(r"^(?:arn:aws:(?:secretsmanager|ssm):|\{\{resolve:|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$)")


def find_secrets(spec: LoadedSpec) -> list[Problem]:
    """Secret values in a spec: literal values under secret-named keys, and values shaped like credentials."""
    found: list[Problem] = []
    _scan(SPEC, spec.data, (), spec, found)
    return found


def _scan(spec_field: Field | None, value: Any, path: Path_, spec: LoadedSpec, found: list[Problem]) -> None:
    if isinstance(value, dict):
        known = spec_field.fields if spec_field is not None and spec_field.kind == "object" else {}
        for key, item in value.items():
            sub = known.get(key) if known else (spec_field.values if spec_field is not None and
                                                spec_field.kind == "map" else None)
            if key not in known and _is_secret_key(key) and _is_literal(item):
                found.append(spec.problem((*path, key), f"{key!r} names a secret and holds a literal value; "
                                                        f"{SECRETS_ADVICE}"))
                continue
            _scan(sub, item, (*path, key), spec, found)
    elif isinstance(value, list):
        items = spec_field.items if spec_field is not None and spec_field.kind == "list" else None
        for i, item in enumerate(value):
            _scan(items, item, (*path, i), spec, found)
    elif isinstance(value, str):
        for what, pattern in SECRET_VALUE_PATTERNS:
            if pattern.search(value):
                found.append(spec.problem(path, f"looks like {what}; {SECRETS_ADVICE}"))
                break


def _is_secret_key(key: str) -> bool:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
    return bool(SECRET_KEY_RE.search(re.sub(r"[^a-z0-9]+", "_", words).strip("_")))


def _is_literal(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(value.strip()) and not _REFERENCE_RE.match(value.strip())


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))
