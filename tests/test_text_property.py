"""Issue 11, one rule for text, tested generically: every string field of the spec, fed hostile text (line and
paragraph separators, control characters, quotes, backslashes, heredoc markers, interpolation sequences),
either is rejected by validation with a file:line, or comes out of the real spec -> render -> Terraform
(`templatefile()` for user data, the HCL evaluator for .tf files) path as one inert literal: the text
between two markers sits on one line and decodes back (per output kind) to exactly the value.

Runtime: one example validates each field alone (in process), then renders all accepted fields together and
evaluates everything with two terraform runs (user data via the compute module's own user_data.tf, HCL
string literals via `terraform console`).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_user_data_shellcheck import render_scripts
from tfhelpers import TERRAFORM, copy_project, write_cli_config

from tfgen.errors import SpecError
from tfgen.model.definition import SPEC
from tfgen.model.schema import Field
from tfgen.pipeline import render_project, validate_project
from tfgen.spec import format_path

pytestmark = [pytest.mark.terraform,
              pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (it evaluates the output)")]

OPEN, CLOSE = "Mk7", "7kM"
FRAGMENTS = ["a", "Z", " ", "'", '"', "\\", "${", "}", "%{", "$${", "%%{", "\n", "\r", "\u2028", "\u2029",
             "\x85", "\x0b", "\x0c", "\x1c", "\x1e", "\x1b]0;t\x07", "\t", "UNIT", "\nUNIT\n", "EOF", "<<EOF",
             "`", "$(id)", ";", "#", "%", "*", "/", "[x](y)", "<b>", "|", "\x00", "\u202e", "é"]
PAYLOADS = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join)
SERVICES = ("backend", "llm")  # llm has a data volume, backend every permission
EXTRA_MAP_KEYS = {("tags",): "Team", ("database", "parameters"): "max_connections"}
SKIP = {("environment", "guardrail_overrides")}  # production only; its reasons reach only the terminal (tested)


def string_fields(field: Field, value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every string setting in a normalized document (list items: the first; maps: one entry)."""
    if path in SKIP:
        return []
    if field.kind == "string":
        return [path]
    if field.kind == "object" and field.fields:
        return [p for name, sub in field.fields.items()
                for p in string_fields(sub, (value or {}).get(name) if isinstance(value, dict) else None,
                                       (*path, name))]
    if field.kind == "list" and field.items is not None:
        return string_fields(field.items, (value or [None])[0], (*path, 0))
    if field.kind == "map" and field.values is not None:
        keys = [k for k in SERVICES if k in (value or {})] if path == ("services",) else [
            EXTRA_MAP_KEYS.get(path) or next(iter(value or {}), None)]
        return [p for key in keys if key for p in string_fields(field.values, (value or {}).get(key),
                                                                 (*path, key))]
    return []


def _set(doc: dict, path: tuple, new: Any, effective: dict) -> None:
    """Set ``path`` in a spec file's data; a list is replaced whole (its other items from the effective doc)."""
    node, eff = doc, effective
    for i, part in enumerate(path[:-1]):
        if isinstance(path[i + 1], int):
            items = copy.deepcopy(eff.get(part) or [])
            items[path[i + 1]:path[i + 1] + 1] = [new]
            node[part] = items
            return
        node = node.setdefault(part, {})
        eff = (eff or {}).get(part) or {}
    node[path[-1]] = new


def _write_specs(project: Path, values: dict[tuple, str], effective: dict) -> None:
    """Each value goes where the dev environment reads it: dev.yaml if it sets that section, else base.yaml."""
    files = {name: yaml.safe_load((project / "specs" / name).read_text()) for name in ("base.yaml", "dev.yaml")}
    for path, value in values.items():
        target = "dev.yaml" if _sets(files["dev.yaml"], path) else "base.yaml"
        _set(files[target], path, value, effective)
    for name, data in files.items():
        (project / "specs" / name).write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False,
                                                             width=100_000))


def _sets(doc: dict, path: tuple) -> bool:
    node: Any = doc
    for part in path:
        if isinstance(part, int):
            return True
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _decodings(segment: str) -> set[str]:
    """What a segment may legitimately look like in some output kind, decoded back to the spec text."""
    mermaid = segment
    for code, char in (("#quot;", '"'), ("#lt;", "<"), ("#gt;", ">")):
        mermaid = mermaid.replace(code, char)
    mermaid = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), mermaid)
    return {segment, segment.replace("'\"'\"'", "'"), segment.replace("%%", "%"), mermaid,
            re.sub(r"\\([\\`*_~\[\]<>|&])", r"\1", segment)}


def _assert_inert(text: str, value: str, where: str) -> int:
    """Every occurrence of the marked value is on one line and decodes back to exactly the value."""
    found = 0
    for line in text.split("\n"):
        for start in [m.start() for m in re.finditer(OPEN, line)]:
            end = line.find(CLOSE, start)
            assert end != -1, f"{where}: the value is split across lines: {line!r}"
            segment = line[start:end + len(CLOSE)]
            assert len(segment.splitlines()) == 1, f"{where}: {segment!r} holds a line break"
            assert value in _decodings(segment), f"{where}: {segment!r} is not an inert form of {value!r}"
            found += 1
    return found


_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


def _evaluate_literals(literals: list[str], workdir: Path) -> list[str]:
    """The strings Terraform's HCL evaluator makes of quoted literals (one `terraform console` run)."""
    workdir.mkdir(parents=True)
    body = ",\n".join(f"    l{i} = {lit}" for i, lit in enumerate(literals))
    (workdir / "main.tf").write_text(f"locals {{\n  all = {{\n{body}\n  }}\n}}\n")
    assert TERRAFORM is not None
    env = {"CHECKPOINT_DISABLE": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "TF_CLI_CONFIG_FILE": str(write_cli_config(workdir))}
    proc = subprocess.run([TERRAFORM, "console"], input="base64encode(jsonencode(local.all))\n", cwd=workdir,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    decoded = json.loads(base64.b64decode(json.loads(proc.stdout.strip().splitlines()[-1])))
    return [decoded[f"l{i}"] for i in range(len(literals))]


def _check_accepted(project: Path, accepted: dict[tuple, str], tmp: Path) -> None:
    files = {dest: data.decode() for dest, data in render_project(project, ["dev"]).files.items()
             if not dest.endswith(".zip")}
    found = 0
    literals: list[tuple[str, str]] = []
    for dest, text in sorted(files.items()):
        if dest.endswith(".tftpl"):
            continue  # evaluated by terraform below
        for line in text.split("\n"):
            if OPEN not in line:
                continue
            quoted = [m[0] for m in _LITERAL.finditer(line) if OPEN in m[0]]
            if dest.endswith((".tf", ".tfvars.example")) and quoted:  # HCL, also commented examples
                literals += [(dest, q) for q in quoted]
            else:
                found += _assert_inert(line, next(iter(accepted.values())), dest)
    if literals:
        for (dest, literal), value in zip(literals, _evaluate_literals([q for _, q in literals], tmp / "hcl"),
                                          strict=True):
            assert OPEN in value and CLOSE in value, f"{dest}: {literal} evaluates to {value!r}"
            assert next(iter(accepted.values())) in value, f"{dest}: {literal} evaluates to {value!r}"
    scripts = render_scripts(project, "dev", tmp / "compute")
    value = next(iter(accepted.values()))  # one payload per example, in every accepted field
    for name, script in scripts.items():
        found += _assert_inert(script, value, f"user data of {name}")
    assert found or literals or scripts


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple], dict]:
    project = copy_project(tmp_path_factory.mktemp("prop") / "project")
    effective = next(v.doc for v in validate_project(project) if v.spec.env == "dev")
    return project, string_fields(SPEC, effective), effective


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=PAYLOADS)
@example(payload="\u2028touch pwned\u2028")
@example(payload='${file("/etc/passwd")} %{ if true }x%{ endif } \'"\\ <<UNIT')
def test_every_string_field_is_rejected_with_a_location_or_comes_out_inert(
        base_project: tuple[Path, list[tuple], dict], tmp_path_factory: pytest.TempPathFactory, payload: str) -> None:
    source, fields, effective = base_project
    assert len(fields) >= 40, fields
    value = f"{OPEN}{payload}{CLOSE}"
    project = copy_project(tmp_path_factory.mktemp("case") / "project")
    pristine = {name: (project / "specs" / name).read_text() for name in ("base.yaml", "dev.yaml")}
    accepted: dict[tuple, str] = {}
    for path in fields:
        for name, text in pristine.items():
            (project / "specs" / name).write_text(text)
        _write_specs(project, {path: value}, effective)
        try:
            validate_project(project)
        except SpecError as exc:
            assert exc.problems and all(p.location and p.location.line >= 1 for p in exc.problems), str(exc)
            assert any(p.location.file.startswith("specs/") and format_path(path[:2]) in p.path
                       for p in exc.problems), f"{format_path(path)}: {exc}"
            continue
        accepted[path] = value
    if not accepted:
        return
    for name, text in pristine.items():
        (project / "specs" / name).write_text(text)
    _write_specs(project, accepted, effective)
    _check_accepted(project, accepted, tmp_path_factory.mktemp("eval"))
