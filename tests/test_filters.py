"""Invariant 4: every spec value reaches HCL through `hcl`, and no string can inject HCL or interpolation."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess

import hcl2
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tfgen.render.filters import hcl, hcl_string


@pytest.mark.parametrize("value, expected", [
    (None, "null"), (True, "true"), (False, "false"), (3, "3"), (1.5, "1.5"), (2.0, "2"),
    ("a", '"a"'), ('say "hi"', '"say \\"hi\\""'), ("back\\slash", '"back\\\\slash"'),
    ("${var.x}", '"$${var.x}"'), ("%{ if x }", '"%%{ if x }"'), ("line\nnext", '"line\\nnext"'),
    ([], "[]"), (["a", 1], '["a", 1]'), ({}, "{}"),
    ({"a": 1, "b-c": "x", "with space": True}, '{\na = 1\nb-c = "x"\n"with space" = true\n}'),
])
def test_literals(value: object, expected: str) -> None:
    assert hcl(value) == expected


def test_python_objects_are_refused() -> None:
    with pytest.raises(TypeError):
        hcl(object())
    with pytest.raises(ValueError):
        hcl(float("nan"))


def parse_attribute(literal: str) -> object:
    return hcl2.loads(f"x = {literal}\n")["x"]


def unquote(parsed: object) -> str:
    """python-hcl2 keeps the quotes and the template escapes; undo them to compare with the input."""
    assert isinstance(parsed, str) and parsed.startswith('"') and parsed.endswith('"')
    body = parsed[1:-1]
    out, i = [], 0
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(escapes[nxt])
            i += 2
        elif body.startswith(("$${", "%%{"), i):
            out.append(body[i] + "{")
            i += 3
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_string_round_trips_through_hcl2(value: str) -> None:
    # python-hcl2 8.x cannot lex the HCL escapes `$${`/`%%{` when they are unbalanced; those strings are
    # proven against the real terraform binary in test_hostile_strings_evaluate_unchanged_in_terraform.
    assume("${" not in value and "%{" not in value)
    literal = hcl_string(value)
    parsed = parse_attribute(literal)
    assert unquote(parsed) == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab}%\"\\\n\t", max_size=8), max_size=4))
def test_lists_of_hostile_strings_stay_data(values: list[str]) -> None:
    parsed = parse_attribute(hcl(values))
    assert [unquote(p) for p in parsed] == values


def hostile_corpus() -> list[str]:
    """Deterministic pseudo-random strings rich in HCL metacharacters, plus hand-picked attacks."""
    rng = random.Random(20261126)
    alphabet = ["$", "{", "}", "%", '"', "\\", "\n", "\t", "~", "a", "é", "😀", "\x01", " ", "#", "*/", "<<EOF"]
    corpus = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    attacks = ['${file("/etc/passwd")}', "%{ for x in y }${x}%{ endfor }", '"\n}\nresource "x" "y" {', "$${", "%%{"]
    return corpus + attacks


@pytest.mark.terraform
def test_hostile_strings_evaluate_unchanged_in_terraform(tmp_path) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform binary not on PATH")
    values = hostile_corpus()
    (tmp_path / "main.tf").write_text(f"locals {{\n  v = {hcl(values)}\n}}\n")
    rc = tmp_path / "empty.tfrc"
    rc.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1"}
    result = subprocess.run([terraform, "console"], input="jsonencode(local.v)\n", cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(json.loads(result.stdout.strip())) == values
