"""Issue 23, Markdown and diagrams: every spec string that validates reaches the generated Markdown only through
md_cell (or inside a code span), and a Mermaid/DOT diagram only through that format's label escaping -- so a
value holding `|`, `<img>`, a link, emphasis or a Mermaid `%%{init: ...}%%` directive is text, never markup.

Each string field of the spec gets the payload (after https://a.example/ for URL fields); the fields
that accept it are set together, dev is rendered in process and `tfgen graph` drawn in both formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_text_property import _write_specs, string_fields
from tfhelpers import copy_project

from tfgen.errors import SpecError
from tfgen.graph import _dot_text, _mermaid_text, render_graph
from tfgen.model.definition import SPEC
from tfgen.pipeline import graph_contexts, render_project, validate_project
from tfgen.render.filters import md_cell

OPEN, CLOSE = "Qz5", "5zQ"
PAYLOAD = "x|<img/src=x>[l](https://evil.example)*e*_u_%%{init:{'theme':'dark'}}%%&amp;`y`"
MERMAID_BLOCK = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def _prefixes(path: tuple) -> list[str]:
    """What makes the payload fit the field's pattern, if anything can: URL fields take it after https://."""
    field = SPEC
    for part in path:
        field = (field.items if isinstance(part, int) else field.values if field.kind == "map" else
                 field.fields[part])
    return ["https://a.example/"] if (field.pattern or "").startswith("https") else [""]


def _accepting_fields(project: Path, payload: str, fields: dict[tuple, str] | None = None) -> dict[tuple, str]:
    """The fields (with the prefix that made them valid) that accept the payload, set together in the specs;
    `fields` narrows the search to known paths and prefixes."""
    effective = next(v.doc for v in validate_project(project) if v.spec.env == "dev")
    pristine = {name: (project / "specs" / name).read_text() for name in ("base.yaml", "dev.yaml")}
    accepted: dict[tuple, str] = {}
    candidates = fields or {path: None for path in string_fields(SPEC, effective)}
    for path, known in candidates.items():
        for prefix in [known.split(OPEN)[0]] if known else _prefixes(path):
            value = f"{prefix}{OPEN}{payload}{CLOSE}"
            _write_specs(project, {path: value}, effective)
            try:
                validate_project(project)
            except SpecError:
                continue
            finally:
                for name, text in pristine.items():
                    (project / "specs" / name).write_text(text)
            accepted[path] = value
            break
    _write_specs(project, accepted, effective)
    return accepted


def _occurrences(text: str) -> list[str]:
    return re.findall(f"{OPEN}.*?{CLOSE}", text)


def _check_mermaid(text: str, payload: str, where: str) -> None:
    assert "%%{" not in text, f"{where}: a Mermaid directive"
    for segment in _occurrences(text):
        assert segment == _mermaid_text(f"{OPEN}{payload}{CLOSE}"), f"{where}: {segment!r}"


def _check_markdown(text: str, payload: str, where: str) -> int:
    found = 0
    for block in MERMAID_BLOCK.findall(text):
        _check_mermaid(block, payload, where)
        found += len(_occurrences(block))
    prose = MERMAID_BLOCK.sub("", text)
    escaped = md_cell(f"{OPEN}{payload}{CLOSE}")
    for line in prose.split("\n"):
        for match in re.finditer(re.escape(OPEN), line):
            start = match.start()
            assert line.startswith(escaped, start), f"{where}: not escaped: {line[start:start + 120]!r}"
            found += 1
    return found


def _render_and_check(project: Path, payload: str) -> None:
    files = {d: b.decode() for d, b in render_project(project, ["dev"]).files.items() if d.endswith(".md")}
    found = sum(_check_markdown(text, payload, dest) for dest, text in files.items())
    assert found, "no accepted value reached any Markdown file"
    project_ctx, env_ctx = graph_contexts(project, "dev")
    _check_mermaid(render_graph(project_ctx, env_ctx, "mermaid"), payload, "tfgen graph")
    dot = render_graph(project_ctx, env_ctx, "dot")
    for segment in _occurrences(dot):
        assert segment == _dot_text(f"{OPEN}{payload}{CLOSE}"), segment


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple, str]]:
    project = copy_project(tmp_path_factory.mktemp("md") / "project")
    return project, _accepting_fields(project, PAYLOAD)


def test_alerts_url_and_descriptions_are_among_the_accepted_fields(hostile_project) -> None:
    _, accepted = hostile_project
    paths = {p[:2] for p in accepted}
    assert ("alerts", "https") in paths
    assert any(p[0] == "services" and p[-1] == "description" for p in accepted)


def test_every_accepted_value_is_escaped_in_markdown_mermaid_and_dot(hostile_project) -> None:
    project, _ = hostile_project
    _render_and_check(project, PAYLOAD)


SAFE_URL_TAIL = "|<>[]()*_`&%{}:'#\"!;=a"


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=SAFE_URL_TAIL, min_size=1, max_size=12))
def test_markdown_and_diagram_escaping_property(hostile_project, tmp_path_factory: pytest.TempPathFactory,
                                                payload: str) -> None:
    """Property: random markup from the characters Markdown and Mermaid treat specially stays inert (in the
    fields that accepted the fixed payload, so that each example validates a handful of fields, not all)."""
    project = copy_project(tmp_path_factory.mktemp("mdp") / "project")
    if _accepting_fields(project, payload, hostile_project[1]):
        _render_and_check(project, payload)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_label_escapers_leave_no_active_character(text: str) -> None:
    mermaid = _mermaid_text(text)
    assert not re.search(r'["<>|`%]', mermaid.replace("#", "")) and "\n" not in mermaid
    dot = _dot_text(text)
    assert not re.search(r'(?<!\\)"', dot.replace("\\\\", "")) and "\n" not in dot
    cell = md_cell(text)
    assert not re.search(r"(?<!\\)[|<>\[\]`*]", cell.replace("\\\\", "")) and "\n" not in cell
