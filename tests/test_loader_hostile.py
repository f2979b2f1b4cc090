"""Hostile and broken spec files: every one is a clean, located SpecError (never a traceback, never a hang)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project

import tfgen.spec.yamlread as spec_module
from tfgen.cli import main
from tfgen.errors import SpecError
from tfgen.spec import MAX_SPEC_BYTES, load_spec, read_document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "broken_specs"


def write(project: Path, name: str, content: str | bytes) -> Path:
    path = project / "specs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def error_of(project: Path, env: str = "dev") -> str:
    with pytest.raises(SpecError) as err:
        load_spec(env, project)
    return str(err.value)


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the libyaml fast path and without it: both must behave the same."""
    if request.param == "pure-python":
        monkeypatch.setattr(spec_module, "_FAST_LOADERS", ())
    return request.param


# ---------------------------------------------------------------------------------------------------------
# Size, encoding, bombs, nesting
# ---------------------------------------------------------------------------------------------------------


def test_several_megabytes_are_refused_without_parsing(tmp_path: Path) -> None:
    write(tmp_path, "dev.yaml", "a: 1\n" + "#" * (4 * 1024 * 1024) + "\n")
    assert "specs/dev.yaml:1:1: spec is larger than 1048576 bytes" in error_of(tmp_path)


def test_size_limit_is_exact(tmp_path: Path) -> None:
    header = "region: us-east-1\n"
    write(tmp_path, "dev.yaml", header + "#" * (MAX_SPEC_BYTES - len(header) - 1) + "\n")
    assert load_spec("dev", tmp_path).data == {"region": "us-east-1"}
    write(tmp_path, "dev.yaml", header + "#" * (MAX_SPEC_BYTES - len(header)) + "\n")
    assert "larger than" in error_of(tmp_path)


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_billion_laughs_is_refused_before_expanding(tmp_path: Path, loader: str, levels: int) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    write(tmp_path, "dev.yaml", "\n".join(lines) + "\n")
    assert "document expands to more than 20000 values (alias bomb?)" in error_of(tmp_path)


def test_many_aliases_of_a_long_string_are_bounded(tmp_path: Path, loader: str) -> None:
    text = "s: &s " + "x" * 100_000 + "\nl: [" + ", ".join(["*s"] * 30_000) + "]\n"
    write(tmp_path, "dev.yaml", text)
    assert "alias bomb" in error_of(tmp_path)


def test_shared_aliases_that_do_not_explode_are_fine(tmp_path: Path, loader: str) -> None:
    write(tmp_path, "dev.yaml", "zones: &z [us-east-1a, us-east-1b]\nagain: *z\n")
    assert load_spec("dev", tmp_path).data == {
        "zones": ["us-east-1a", "us-east-1b"],
        "again": ["us-east-1a", "us-east-1b"],
    }


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "&top\nself: *top\n"])
def test_recursive_aliases(tmp_path: Path, loader: str, text: str) -> None:
    write(tmp_path, "dev.yaml", text)
    assert "recursive YAML" in error_of(tmp_path)


@pytest.mark.parametrize("depth", [65, 500, 5000, 200_000])
def test_deep_flow_nesting(tmp_path: Path, loader: str, depth: int) -> None:
    write(tmp_path, "dev.yaml", "a: " + "[" * depth + "]" * depth + "\n")
    assert "nesting deeper than 64 levels" in error_of(tmp_path)


def test_deep_block_nesting(tmp_path: Path, loader: str) -> None:
    write(tmp_path, "dev.yaml", "".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + " " * 1000 + "x: 1\n")
    assert "nesting deeper than 64 levels" in error_of(tmp_path)


@pytest.mark.parametrize(
    "raw, where",
    [
        (b"region: us-east-1\nname: caf\xe9\n", "specs/dev.yaml:2:10: not valid UTF-8 (byte 0xe9)"),
        (b"\xff\xfer\x00e\x00g\x00", "specs/dev.yaml:1:1: not valid UTF-8 (byte 0xff)"),
        (b"a: 1\nb: \x00\n", "specs/dev.yaml:2:4: invalid YAML: control character #x0000 is not allowed"),
        (b"a: \x1b[31mred\n", "specs/dev.yaml:1:4: invalid YAML: control character #x001b is not allowed"),
    ],
)
def test_bad_bytes_are_located(tmp_path: Path, loader: str, raw: bytes, where: str) -> None:
    write(tmp_path, "dev.yaml", raw)
    assert where in error_of(tmp_path)


def test_bom_and_crlf_are_accepted(tmp_path: Path, loader: str) -> None:
    write(tmp_path, "dev.yaml", "\ufeffregion: us-east-1\r\ntags:\r\n  Owner: me\r\n".encode())
    spec = load_spec("dev", tmp_path)
    assert spec.data == {"region": "us-east-1", "tags": {"Owner": "me"}}
    assert str(spec.location(("tags", "Owner"))) == "specs/dev.yaml:3:10"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "a:\n\tb: 1\n",
            "specs/dev.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token; YAML "
            "does not allow tabs for indentation: indent with spaces",
        ),
        ("a: [1, 2\n", "invalid YAML: expected ',' or ']'"),
        (
            "a: 'open\n",
            "invalid YAML: found unexpected end of stream (while scanning a quoted scalar started at line 1)",
        ),
        ("a: 1\n---\nb: 2\n", "specs/dev.yaml:2:1: invalid YAML: a spec is one YAML document"),
        ("a: *nowhere\n", "invalid YAML: found undefined alias 'nowhere'"),
        ("a: b: c\n", "specs/dev.yaml:1:5: invalid YAML: mapping values are not allowed here"),
        ("", "specs/dev.yaml:1:1: spec is empty"),
        ("---\n...\n", "specs/dev.yaml:1:1: spec is empty"),
        ("# only a comment\n", "specs/dev.yaml:1:1: spec is empty"),
        ("[a, b]\n", "top level is a list; expected a mapping"),
        ("42\n", "top level is a single value; expected a mapping"),
        ("a:\n  b: 1\n  b: 2\n", "specs/dev.yaml:3:3: a.b: duplicate key (first defined at line 2)"),
        ("? [a, b]\n: c\n", "mapping keys must be plain strings"),
        ("<<: {a: 1}\n", "YAML merge keys ('<<') are not supported; use extends:"),
        ("a: 1" + "0" * 40 + "\n", "a: number with 41 digits is too large for a spec"),
    ],
)
def test_broken_yaml(tmp_path: Path, loader: str, text: str, message: str) -> None:
    write(tmp_path, "dev.yaml", text)
    assert message in error_of(tmp_path)


# ---------------------------------------------------------------------------------------------------------
# Tags and scalar typing
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system [id]\n",
        "a: !!python/name:os.system\n",
        "!!python/name:os.system : 1\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!timestamp 2024-01-01\n",
        "a: !!set {x: null}\n",
        "a: !!omap [{x: 1}]\n",
        "a: !include other.yaml\n",
        "%TAG ! tag:yaml.org,2002:python/\n---\na: !object:os.system x\n",
    ],
)
def test_object_constructing_tags_are_refused(tmp_path: Path, loader: str, text: str) -> None:
    write(tmp_path, "dev.yaml", text)
    assert "is not allowed in specs" in error_of(tmp_path)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: no\nb: on\nc: yes\nd: off\n", {"a": "no", "b": "on", "c": "yes", "d": "off"}),
        ("a: true\nb: False\n", {"a": True, "b": False}),
        ("a: 1e3\nb: .5\nc: -2\n", {"a": 1000.0, "b": 0.5, "c": -2}),
        ("a: 0\nb: '010'\nc: 0x1F\n", {"a": 0, "b": "010", "c": "0x1F"}),
        (
            "a: !!str 010\nb: !!str true\nc: !!int '8'\nd: !!float 1\ne: !!bool 'false'\n",
            {"a": "010", "b": "true", "c": 8, "d": 1.0, "e": False},
        ),
        ("a: 2024-01-01\nb: 12:30\nc: ~\n", {"a": "2024-01-01", "b": "12:30", "c": None}),
    ],
)
def test_yaml_1_2_scalars(tmp_path: Path, loader: str, text: str, expected: dict) -> None:
    write(tmp_path, "dev.yaml", text)
    assert load_spec("dev", tmp_path).data == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: 010\n", "a: '010' has a leading zero (octal in YAML 1.1)"),
        ("a: !!int x\n", "a: 'x' is not a valid int"),
        ("a: !!bool yes\n", "a: 'yes' is not a valid bool"),
    ],
)
def test_ambiguous_or_mistyped_scalars(tmp_path: Path, loader: str, text: str, message: str) -> None:
    write(tmp_path, "dev.yaml", text)
    assert message in error_of(tmp_path)


# ---------------------------------------------------------------------------------------------------------
# extends and the file system
# ---------------------------------------------------------------------------------------------------------


def test_extends_through_a_symlink_out_of_specs(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text("a: 1\n")
    (tmp_path / "specs").mkdir()
    os.symlink(tmp_path / "elsewhere.yaml", tmp_path / "specs" / "base-link.yaml")
    write(tmp_path, "dev.yaml", "extends: base-link.yaml\n")
    assert "'base-link.yaml' is a symbolic link (specs/base-link.yaml)" in error_of(tmp_path)


@pytest.mark.parametrize(
    "target, message",
    [
        ("missing.yaml", "'missing.yaml' does not exist"),
        ("../x.yaml", "is outside specs/"),
        ("/etc/hostname", "is outside specs/"),
        ("sub", "'sub' does not exist"),
        ("''", "must be a file name such as base.yaml"),
        ("42", "must be a file name such as base.yaml"),
        ("{a: b}", "must be a file name such as base.yaml"),
    ],
)
def test_bad_extends(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "specs" / "sub").mkdir(parents=True)
    write(tmp_path, "dev.yaml", f"extends: {target}\n")
    assert message in error_of(tmp_path)


def test_long_extends_chain(tmp_path: Path) -> None:
    for i in range(12):
        write(tmp_path, f"base{i}.yaml", f"extends: base{i + 1}.yaml\n" if i < 11 else "a: 1\n")
    write(tmp_path, "dev.yaml", "extends: base0.yaml\n")
    assert "extends chain deeper than 8 files" in error_of(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_spec(tmp_path: Path) -> None:
    path = write(tmp_path, "dev.yaml", "a: 1\n")
    path.chmod(0)
    try:
        assert "cannot read spec" in error_of(tmp_path)
    finally:
        path.chmod(0o644)


def test_read_document_never_reads_past_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "dev.yaml", "a: 1\n" * 300_000)
    reads: list[int] = []
    real_fdopen = os.fdopen

    def spying_fdopen(fd: int, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        real_read = handle.read
        handle.read = lambda size=-1: reads.append(size) or real_read(size)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(os, "fdopen", spying_fdopen)
    with pytest.raises(SpecError):
        read_document(path, tmp_path)
    assert reads == [MAX_SPEC_BYTES + 1]


# ---------------------------------------------------------------------------------------------------------
# Environment names via the CLI: nothing can escape the output tree
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("hostile") / "project")


@pytest.mark.parametrize(
    "env",
    [
        "../x",
        "/abs",
        "a/b",
        "..",
        ".",
        "dev/../prod",
        "Dev",
        "-x",
        "1dev",
        "x" * 21,
        "dev\n",
        "",
        "dev.yaml",
        "prod\\x",
    ],
)
@pytest.mark.parametrize("command", ["validate", "render", "check", "show"])
def test_env_names_cannot_escape_the_tree(cli_project: Path, tmp_path: Path, command: str, env: str) -> None:
    project = tmp_path / "p"
    shutil.copytree(cli_project, project)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["-C", str(project), command, "--", env], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"environment name {env!r} is invalid" in result.stderr
    ending = "1 problem found; nothing was written\n" if command == "render" else "1 problem found\n"
    assert result.stderr.endswith(ending)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


# ---------------------------------------------------------------------------------------------------------
# libyaml and pure Python agree on every broken file of the corpus
# ---------------------------------------------------------------------------------------------------------

LOADER_CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name.startswith("loader-"))


@pytest.mark.parametrize("case", LOADER_CASES)
def test_fast_and_pure_python_loaders_agree(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(CORPUS / case / "specs", tmp_path / "specs", dirs_exist_ok=True)
    fast = error_of(tmp_path)
    monkeypatch.setattr(spec_module, "_FAST_LOADERS", ())
    assert error_of(tmp_path) == fast
