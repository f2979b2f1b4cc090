"""Differential tests: for every input, tfgen fmt and the real `terraform fmt` both accept it with identical
output, or both refuse it (issue 13).

Inputs: HCL's and Terraform's own test cases (tests/fmt_corpus/upstream/), the formatting corpus, every
generated file, and Hypothesis programs: valid ones, the same with one mutation (most become invalid), random
token sequences, and identifiers/strings drawn from all of Unicode.  Each Hypothesis example is a batch
formatted by one terraform run.  Skips when terraform is not installed (tests/test_hclfmt.py's golden files
keep the behaviour pinned).
"""

from __future__ import annotations

import os

import pytest
from hcl_differential import (
    disagreements,
    terraform_run,
    terraform_verdicts,
    tfgen_diagnostic,
    tfgen_verdict,
    upstream_cases,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_hclfmt import CORPUS, CORPUS_FILES, GENERATED_FILES, _terraform, crlf, read

pytestmark = pytest.mark.terraform
CASES = upstream_cases()
UPSTREAM_FILES = sorted((CORPUS / "upstream").glob("*.tf"))
# make test runs a few batches; TFGEN_DIFF_EXAMPLES=200 runs a long differential search.
BATCH = settings(max_examples=int(os.environ.get("TFGEN_DIFF_EXAMPLES", "4")), deadline=None,
                 phases=[Phase.explicit, Phase.reuse, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="session")
def binary() -> str:
    found = _terraform()
    if found is None:
        pytest.skip("no terraform binary: the differential tests need the real terraform fmt")
    return found[0]


def fixed_inputs() -> dict[str, str]:
    """Every fixed input of the differential corpus, named uniquely."""
    texts = {f"case_{name}.tf": text for name, (text, destroys) in CASES.items() if not destroys}
    for path in [*UPSTREAM_FILES, *CORPUS_FILES]:
        texts[f"corpus_{path.stem}.tf"] = read(path)
        texts[f"corpus_crlf_{path.stem}.tf"] = crlf(read(path))
    texts |= {f"generated_{i:03d}.tf": read(p) for i, p in enumerate(GENERATED_FILES)}
    return texts


def test_fixed_corpus_agrees_with_terraform(binary: str) -> None:
    counts, problems = disagreements(binary, fixed_inputs())
    assert not problems, "\n".join(problems)
    assert counts["both reject"] >= 60 and counts["both accept, same output"] >= 150, counts


# Refusals where tfgen's first message is deliberately more specific than Terraform's (same line).
CLEARER_MESSAGES = {
    "case_comment_unterminated.tf": "Unterminated comment",  # terraform: Argument or block definition required
    "case_heredoc_bad_introducer.tf": "Invalid heredoc introducer",  # terraform: Invalid expression
}


def test_refusals_are_reported_where_and_as_terraform_reports_them(binary: str) -> None:
    """Each refused input's error is one of Terraform's diagnostics for it: same line, same summary.

    tfgen stops at its first error; Terraform reports all of them, sorted by position, so for a few inputs
    tfgen's error (a character error, found while scanning) is Terraform's second.
    """
    texts = fixed_inputs()
    _, diagnostics = terraform_run(binary, texts)
    wrong, first = [], 0
    for name, theirs in sorted(diagnostics.items()):
        ours = tfgen_diagnostic(texts[name])
        if name in CLEARER_MESSAGES and ours == (theirs[0][0], CLEARER_MESSAGES[name]):
            continue
        if ours not in theirs:
            wrong.append(f"{name}: tfgen {ours}, terraform {theirs}")
        first += ours == theirs[0]
    assert not wrong, "\n".join(wrong)
    assert first >= len(diagnostics) - 5 >= 100, first


def test_what_terraform_destroys_tfgen_keeps(binary: str) -> None:
    """The `[destroys]` cases: terraform fmt accepts them but deletes code; tfgen keeps every token."""
    destroyed = {f"case_{name}.tf": text for name, (text, destroys) in CASES.items() if destroys}
    assert len(destroyed) >= 4
    reference = terraform_verdicts(binary, destroyed)
    for name, text in destroyed.items():
        ours = tfgen_verdict(text)
        assert ours == text, name
        assert reference[name] is not None and len(reference[name]) < len(text), (name, reference[name])


# ------------------------------------------------------------------------------ generated programs

NAMES = ["a", "name", "instance_type", "x_y", "tags", "count", "for_each", "é", "bb-cc"]
SIMPLE = [
    "1", "-1", "1.5e3", "true", "null", "var.x", "local.a.b", "aws_instance.web[0].id", "a[*].id", "a.*.b",
    '"str"', '""', '"a${var.x}b"', '"${var.x}"', '"${ var.x }"', '"%{ if a }x%{ endif }"', '"esc\\"q"',
    '"$${lit}"', "f(1,2)", "f( a , b... )", "!a", "- 1", "a-b", "a - b", "a*-1", "( a )", "x ? 1 : -2",
    "a==b&&c!=d", "[for x in y: x]", "{ for k,v in m : k=>v if v }", "[for x in [1] : x]", "{}", "[ ]",
    '"${~x~}"', "a<b", "a>=-1", '"${a}${b}"', "f(-1)", "{ for k, v in m : k => -1 }", '"日本"',
    # more forms: nested templates, directives, splats, legacy indexes, grouping, namespaced calls, comments
    '"%{ for k, v in m }${k}=${v}%{ endfor }"', '"%{ if a }x%{ else }y%{ endif }"', '"${"in${"ner"}"}"',
    "a[*].b[0].c", "a.*.b.0", "a.0", "x[\"k\"]", "provider::aws::arn_parse(x)", "{ for v in l : v.k => v... }",
    "(a ?\n b :\n c)", "f(\n a, # note\n b,\n)", "[\n /* c */ 1,\n]", "a ? b : c ? d : e", "!!a", "-(-1)",
    "1e+2", "0.5", "x.y[0][1]", "{ (k) = 1 }", '{ "q" : 1 }', "[for i, v in l : i if v]", "tomap({})",
]
GAPS = st.sampled_from(["", " ", "  ", "\t", " "])
COMMENTS = st.sampled_from(["", "", "", " # c", " // note  ", " /* b */", "#x"])
ONE_LINE_BODIES = st.sampled_from(["{}", "{ }", "{ a = 1 }", '{ x = "${y}" }'])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """A value expression: a simple one, or a list/object/call in one-line or multi-line layout."""
    kind = draw(st.sampled_from(["simple"] * 3 + ["list", "object", "call"])) if depth < 3 else "simple"
    if kind == "simple":
        return draw(st.sampled_from(SIMPLE))
    items = draw(st.lists(expressions(depth + 1), max_size=3))
    indent = " " * draw(st.integers(0, 6))
    if kind == "call":
        sep = "," + draw(st.sampled_from([" ", "\n" + indent]))
        return "f(" + draw(GAPS) + sep.join(items) + draw(GAPS) + ")"
    multiline = draw(st.booleans())
    if kind == "list":
        if not multiline:
            return "[" + draw(GAPS) + ("," + draw(GAPS)).join(items) + draw(GAPS) + "]"
        return "[\n" + "".join(f"{indent}{item},{draw(COMMENTS)}\n" for item in items) + indent + "]"
    pairs = [f"{NAMES[i % len(NAMES)]}{i}{draw(GAPS)}={draw(GAPS)}{item}" for i, item in enumerate(items)]
    if not multiline:
        return "{" + draw(GAPS) + ", ".join(pairs) + draw(GAPS) + "}"
    return "{\n" + "".join(f"{indent}{pair}{draw(COMMENTS)}\n" for pair in pairs) + indent + "}"


@st.composite
def bodies(draw: st.DrawFn, depth: int = 0) -> str:
    """A body of uniquely named attributes, comments, blank lines, heredocs and nested blocks."""
    out = []
    for i in range(draw(st.integers(1, 6))):
        indent = " " * draw(st.integers(0, 6))
        name = f"{draw(st.sampled_from(NAMES))}{i}"
        kind = draw(st.sampled_from(["attr"] * 4 + ["heredoc", "trivia", "oneline", "block"]))
        if kind == "attr":
            out.append(f"{indent}{name}{draw(GAPS)}={draw(GAPS)}{draw(expressions())}{draw(COMMENTS)}\n")
        elif kind == "heredoc":
            out.append(f"{indent}{name} = <<-EOT\n    line ${{ var.x }}\n      two\n  EOT\n")
        elif kind == "trivia":
            out.append(draw(st.sampled_from(["\n", "\n\n", f"{indent}# note  \n", "/* multi\n line */\n"])))
        elif kind == "oneline":
            out.append(f"{indent}{name} {draw(ONE_LINE_BODIES)}\n")
        elif depth < 2:
            labels = draw(st.sampled_from(["", ' "a"', ' "a" "b"', " aws_instance web", ' "x"/* c */']))
            out.append(f"{indent}block{i}{labels}{draw(GAPS)}{{{draw(COMMENTS)}\n{draw(bodies(depth + 1))}{indent}}}\n")
    return "".join(out)


@st.composite
def documents(draw: st.DrawFn) -> str:
    text = draw(bodies())
    ending = draw(st.sampled_from(["lf", "lf", "crlf", "none", "blanks"]))
    # "none": end on a line without newline (a heredoc cannot, so add a plain attribute last)
    return {"lf": text, "crlf": crlf(text), "none": text + "zz = 1", "blanks": text + "  "}[ending]



MUTATIONS = [*",;{}[]()=.:?!\"'`&|~*+-<>/\\#\n \t", "${", "%{", "<<EOT\n", "...", "::", "=>", "for ", " in ", "if "]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid document with one edit: a token inserted or deleted, a line duplicated, or two lines joined."""
    text = draw(documents())
    at = draw(st.integers(0, len(text)))
    kind = draw(st.sampled_from(["insert", "insert", "delete", "duplicate", "join"]))
    if kind == "insert":
        return text[:at] + draw(st.sampled_from(MUTATIONS)) + text[at:]
    if kind == "delete":
        return text[:at] + text[at + draw(st.integers(1, 3)):]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "duplicate" and lines:
        lines.insert(i, lines[i])
    elif lines:
        lines[i] = lines[i].rstrip("\r\n") + " "
    return "".join(lines)


SOUP = [
    "a", "b_c", "for", "in", "if", "true", "null", "1", "2.5", '"s"', '"${x}"', "=", "==", "!", "-", "+", "*",
    "&&", "?", ":", ",", ".", "...", "=>", "::", "(", ")", "[", "]", "{", "}", "<<EOT\nx\nEOT\n", "#c\n", "/*c*/",
    "\n", "\n", " ", '"%{ if a }', '%{ endif }"', "${", "~}",
]


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    """Random token sequences, mostly invalid, usually after a valid `name =` or block opener."""
    prefix = draw(st.sampled_from(["", "a = ", "b {\n  x = ", 'r "l" {\n']))
    return prefix + "".join(draw(st.lists(st.sampled_from(SOUP), min_size=1, max_size=12))) + "\n"


UNICODE = st.characters(codec="utf-8", exclude_categories=["Cs"])


@st.composite
def unicode_documents(draw: st.DrawFn) -> str:
    """Identifiers made of arbitrary characters (most invalid) and strings whose width aligns comments."""
    lines = []
    for i in range(draw(st.integers(1, 4))):
        name = draw(st.text(UNICODE, min_size=1, max_size=3))
        lines.append(f"{name} = {i}\n")
        value = draw(st.text(UNICODE.filter(lambda c: c not in '"\\$%\r\n'), max_size=6))
        lines.append(f'v{i} = "{value}" # c\nvv{i} = 1 # d\n')
    return "".join(lines)


def _agree(binary: str, batch: list[str]) -> None:
    _, problems = disagreements(binary, {f"doc{i:02d}.tf": text for i, text in enumerate(batch)})
    assert not problems, "\n".join(problems)


@BATCH
@given(batch=st.lists(documents(), min_size=16, max_size=16))
def test_valid_programs_agree(binary: str, batch: list[str]) -> None:
    _agree(binary, batch)


@BATCH
@given(batch=st.lists(mutated(), min_size=24, max_size=24))
def test_mutated_programs_agree(binary: str, batch: list[str]) -> None:
    _agree(binary, batch)


@BATCH
@given(batch=st.lists(token_soup(), min_size=32, max_size=32))
def test_token_soup_agrees(binary: str, batch: list[str]) -> None:
    _agree(binary, batch)


@BATCH
@given(batch=st.lists(unicode_documents(), min_size=24, max_size=24))
def test_unicode_programs_agree(binary: str, batch: list[str]) -> None:
    _agree(binary, batch)
