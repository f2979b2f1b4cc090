"""Fuzzing: any input, however broken, ends as success or a clean SpecError; never another exception.

Three levels: random bytes and YAML-ish token soup into the loader; generated YAML documents through load and
validate; and schema-shaped documents (right types, wild values) straight into the rules.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfgen.spec.yamlread as spec_module
from tfgen.errors import Problem, SpecError
from tfgen.model.definition import SPEC
from tfgen.model.schema import Field
from tfgen.spec import Layer, LoadedSpec, load_spec, read_document
from tfgen.validate import check_spec, validate_specs

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch() -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "specs").mkdir()
        (root / "specs" / "base.yaml").write_text((ROOT / "specs" / "base.yaml").read_text())
        yield root


def _load_bytes(root: Path, raw: bytes) -> dict[str, Any] | None:
    """Load raw bytes as specs/dev.yaml: a document or a clean SpecError (returned as None)."""
    path = root / "specs" / "dev.yaml"
    path.write_bytes(raw)
    try:
        data, _ = read_document(path, root)
    except SpecError as exc:
        _assert_clean(exc)
        return None
    assert isinstance(data, dict)
    return data


def _assert_clean(exc: SpecError) -> None:
    assert exc.problems and all(isinstance(p, Problem) and p.message for p in exc.problems)
    text = str(exc)
    assert re.search(r"\d+ problems? found$", text) and "Traceback" not in text


# ---------------------------------------------------------------------------------------------------------
# Loader: bytes, text and token soup
# ---------------------------------------------------------------------------------------------------------

TOKENS = [
    "a",
    "b",
    "extends",
    "base.yaml",
    ":",
    ": ",
    " ",
    "  ",
    "\n",
    "\n  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x",
    "*x",
    "&y",
    "*y",
    "!!str ",
    "!!int ",
    "!!python/object ",
    "!t ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "---",
    "...",
    "\t",
    "<<",
    "? ",
    "0",
    "010",
    "1e3",
    ".inf",
    "no",
    "on",
    "~",
    "null",
    "true",
    "%YAML 1.1\n",
    "\\",
    "\x00",
    "\ufeff",
    "é",
    "\r\n",
    "9" * 40,
]


@FUZZ
@given(raw=st.binary(max_size=600))
def test_random_bytes(scratch: Path, raw: bytes) -> None:
    _load_bytes(scratch, raw)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text(scratch: Path, text: str) -> None:
    _load_bytes(
        scratch,
        text.encode("utf-8", errors="surrogatepass")
        if not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        else b"x: 1\n",
    )


@FUZZ
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=60))
def test_yaml_token_soup(scratch: Path, tokens: list[str]) -> None:
    _load_bytes(scratch, "".join(tokens).encode())


@FUZZ
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=40))
def test_libyaml_and_pure_python_agree(scratch: Path, tokens: list[str]) -> None:
    """Whatever libyaml accepts, the pure-Python loader reads identically (or rejects: errors come from it)."""
    raw = "".join(tokens).encode()
    fast = _load_bytes(scratch, raw)
    saved = spec_module._FAST_LOADERS
    spec_module._FAST_LOADERS = ()
    try:
        slow = _load_bytes(scratch, raw)
    finally:
        spec_module._FAST_LOADERS = saved
    if fast is not None and slow is not None:
        assert fast == slow


# ---------------------------------------------------------------------------------------------------------
# Generated YAML documents, loaded and validated through the whole pipeline
# ---------------------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["10.0.0.0/16", "us-east-1a", "t4g.micro", "8.4", "password", "AKIAIOSFODNN7EXAMPLE", "alb"]),
)
KEYS = st.one_of(
    st.sampled_from(
        sorted({*SPEC.fields, "extends", "password", "api_token", "services", "multi_az", "vpc_cidr", "frontend"})
    ),
    st.text(min_size=1, max_size=12),
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


@FUZZ
@given(doc=st.dictionaries(KEYS, JSONISH, max_size=8), flow=st.sampled_from([True, False, None]), extends=st.booleans())
def test_generated_documents_validate_or_fail_cleanly(
    scratch: Path, doc: dict, flow: bool | None, extends: bool
) -> None:
    if extends:
        doc = {"extends": "base.yaml", **{k: v for k, v in doc.items() if k != "extends"}}
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    (scratch / "specs" / "dev.yaml").write_text(text)
    try:
        spec = load_spec("dev", scratch)
    except SpecError as exc:
        _assert_clean(exc)
        return
    validated, problems = check_spec(spec)
    assert (validated is None) == bool(problems)
    for problem in problems:
        assert isinstance(problem, Problem) and problem.message


# ---------------------------------------------------------------------------------------------------------
# Schema-shaped documents: the right types (so the rules run) with wild values
# ---------------------------------------------------------------------------------------------------------

INTERESTING = [
    "",
    "10.0.0.0/16",
    "10.0.0.0/28",
    "10.0.1.0/24",
    "10.0.0.1/16",
    "0.0.0.0/0",
    "10.0.0.0",
    "us-east-1",
    "eu-west-1",
    "us-east-1a",
    "eu-west-1b",
    "t4g.micro",
    "g5.xlarge",
    "g5g.xlarge",
    "g4ad.xlarge",
    "inf2.xlarge",
    "db.t4g.micro",
    "t4g",
    "8.4",
    "8.0.40",
    "5.7",
    "03:00-04:00",
    "23:30-00:30",
    "99:99-00:00",
    "sun:04:30-sun:05:30",
    "xyz:00:00-mon:00:00",
    "alb",
    "rds",
    "frontend",
    "backend",
    "https://a.example.com",
    "a.example.com",
    "A.example.com.",
    "0",
    "1.5",
    "/opt/x",
    "/",
    "spot",
    "on-demand",
]


def _strategy(spec_field: Field) -> st.SearchStrategy[Any]:
    """Values that pass type-checking (types, patterns, choices, ranges) but are otherwise arbitrary."""
    kind = spec_field.kind
    if kind == "object":
        required = {n: _strategy(f) for n, f in spec_field.fields.items() if _needed(f)}
        optional = {n: _strategy(f) for n, f in spec_field.fields.items() if not _needed(f)}
        base = st.fixed_dictionaries(required, optional=optional)
    elif kind == "map":
        assert spec_field.values is not None
        keys = (
            st.from_regex(spec_field.key_pattern, fullmatch=True)
            if spec_field.key_pattern
            else st.text(min_size=1, max_size=8)
        )
        base = st.dictionaries(keys.filter(lambda k: len(k) <= 40), _strategy(spec_field.values), max_size=3)
    elif kind == "list":
        assert spec_field.items is not None
        base = st.lists(_strategy(spec_field.items), min_size=spec_field.min_items or 0, max_size=4)
    elif kind == "string":
        base = _string(spec_field)
    elif kind == "integer":
        low = -5 if spec_field.minimum is None else int(spec_field.minimum)
        high = 70000 if spec_field.maximum is None else int(spec_field.maximum)
        edges = [v for v in (0, 1, 20, 399, 400, 16384, 16385, 65536, 65537) if low <= v <= high]
        base = (
            st.sampled_from(spec_field.choices)
            if spec_field.choices
            else st.one_of(st.integers(low, high), st.sampled_from(edges))
        )
    elif kind == "number":
        base = st.one_of(st.integers(0, 10**6), st.floats(0, 1e9))
    else:
        base = st.booleans()
    return st.one_of(st.none(), base) if spec_field.nullable else base


def _needed(spec_field: Field) -> bool:
    """Required, or an object holding required settings (leaving it out would fail type-checking)."""
    return spec_field.required or (
        spec_field.kind == "object" and not spec_field.nullable and any(_needed(f) for f in spec_field.fields.values())
    )


def _string(spec_field: Field) -> st.SearchStrategy[str]:
    if spec_field.choices:
        return st.sampled_from(spec_field.choices)
    longest = spec_field.max_length or 300
    if spec_field.pattern:
        return st.from_regex(spec_field.pattern, fullmatch=True).filter(lambda s: len(s) <= longest)
    return st.one_of(st.sampled_from(INTERESTING), st.text(max_size=12))


@FUZZ
@given(base=_strategy(SPEC), overlay=_strategy(SPEC), env=st.sampled_from(["dev", "prod", "a-", "x--y", "qa"]))
def test_rules_never_crash_on_well_typed_documents(base: dict, overlay: dict, env: str) -> None:
    layers = [Layer("specs/base.yaml", base, {}), Layer(f"specs/{env}.yaml", overlay, {})]
    spec = LoadedSpec(env=env, data=overlay, provenance={}, files=[layer.file for layer in layers], layers=layers)
    validated, problems = check_spec(spec)
    assert (validated is None) == bool(problems)
    other = LoadedSpec(env="zz", data=base, provenance={}, files=["specs/base.yaml"])
    try:
        validate_specs([spec, other])
    except SpecError as exc:
        _assert_clean(exc)


@FUZZ
@given(path_choice=st.integers(0, 10**6), value=JSONISH)
def test_any_value_anywhere_in_a_real_spec(scratch: Path, path_choice: int, value: Any) -> None:
    """Replace one value of the real dev spec with anything: still success or a clean error."""
    spec = load_spec("dev", ROOT)
    paths = sorted(spec.provenance, key=repr)
    path = paths[path_choice % len(paths)]
    if not path:
        return
    target = spec.data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    validated, problems = check_spec(spec)
    assert (validated is None) == bool(problems)
