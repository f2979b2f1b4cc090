"""Issue 23, bounded work: the secret scan is linear in the value's length (it was quadratic: a 200 kB value kept
`validate` busy for minutes) and finds exactly what it found before."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfgen.validate import SECRET_VALUE_PATTERNS

# The patterns before issue 23 (quadratic on long runs), kept to show the linear ones find the same secrets.
OLD_PATTERNS = {
    "an AWS access key id": r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA)[A-Z0-9]{16}\b",
    "a private key": r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----",
    "a GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
    "a Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "an API secret key": r"\b[sr]k[-_](?:live_|test_|proj-)?[A-Za-z0-9_-]{20,}",
    "a JSON Web Token": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    "credentials inside a URL": r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
    "a password or token on a command line":
        r"(?i)(?<!\S)--?[a-z0-9-]*(?:password|passwd|secret|token|api-?key|private-key)(?:=|\s+)(?![$-])\S+",
    "a password or token assignment":
        r"(?i)(?<![a-z0-9])[a-z0-9_]*(?:password|passwd|secret|token|api_?key|private_?key)=(?![\"']?\$)\S+",
}
# Runs that made one pattern or another rescan the rest of the string from every position.
ADVERSARIAL = ["a", "_", "a-", "a.", "ghp_", "password_", "AKIA", "eyJ-", "eyJaaaaaaaa.eyJ-", "xoxa-", "sk-",
               "a://b:", "-----BEGIN A", " -a", "a:"]


def _scan(text: str) -> float:
    start = time.perf_counter()
    for _what, pattern in SECRET_VALUE_PATTERNS:
        pattern.search(text)
    return time.perf_counter() - start


@pytest.mark.parametrize("unit", ADVERSARIAL)
def test_secret_scan_is_linear(unit: str) -> None:
    """200 kB in well under two seconds (measured: 0.1-0.2 s; the quadratic scan needed 106 s for 'a' * 200k and
    26 s for '_' * 20k alone). A wall-clock bound, generous for a loaded machine, far below quadratic."""
    big = unit * (200_000 // len(unit))
    t_big = _scan(big)
    assert t_big < 2.0, f"{unit!r} x 200 kB took {t_big:.2f} s"


ALPHABET = st.sampled_from(["a", "Z", "0", "_", "-", ".", ":", "/", "@", " ", "=", "$", "eyJ", "AKIA", "ghp_",
                            "xoxb-", "sk-", "password", "token", "--", "://", "-----BEGIN ", "PRIVATE KEY-----",
                            "A" * 16, "b" * 10, "c" * 30])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=12).map("".join))
def test_linear_patterns_find_what_the_old_ones_found(text: str) -> None:
    for what, pattern in SECRET_VALUE_PATTERNS:
        old = re.search(OLD_PATTERNS[what], text) is not None
        new = pattern.search(text) is not None
        if what == "a JSON Web Token":
            assert new <= old, text  # a token must now start a run: `x-eyJ...` is no longer taken for one
        else:
            assert new == old, (what, text)


# ------------------------------------------------------------------------- HCL nesting, fmt per-file errors

DEEP = 500
NESTED = {
    "blocks": "a {\n" * DEEP + "}\n" * DEEP,
    "labelled blocks": "".join(f'b "l{i}" {{\n' for i in range(DEEP)) + "}\n" * DEEP,
    "blocks then expressions": "a {\n" * 60 + "x = " + "[" * 60 + "]" * 60 + "\n" + "}\n" * 60,
    "parentheses": "x = " + "(" * DEEP + "1" + ")" * DEEP + "\n",
    "objects": "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n",
    "interpolations": "x = " + '"${' * DEEP + "1" + '}"' * DEEP + "\n",
    "calls": "x = " + "f(" * DEEP + ")" * DEEP + "\n",
    "for expressions": "x = " + "[for a in " * DEEP + "b" + ": a]" * DEEP + "\n",
    "conditionals": "x = " + "true ? 1 : " * DEEP + "1\n",
}


@pytest.mark.parametrize("name", list(NESTED))
def test_deep_nesting_is_a_located_error_in_every_parser_path(run, tmp_path, name: str) -> None:
    """500 levels of anything: exit 2 with file:line:col, never RecursionError (exit 70)."""
    path = tmp_path / "deep.tf"
    path.write_text(NESTED[name])
    result = run("fmt", "-check", str(path))
    assert result.exit_code == 2, result.stderr
    assert re.search(r"deep\.tf:\d+:\d+: (Block|Expression) nesting too deep", result.stderr), result.stderr


def test_nesting_below_the_limit_still_formats(run, tmp_path) -> None:
    path = tmp_path / "ok.tf"
    path.write_text("a {\n" * 50 + "x = " + "[" * 40 + "]" * 40 + "\n" + "}\n" * 50)
    assert run("fmt", "-check", str(path)).exit_code in (0, 1)


def test_symlink_loop_is_reported_and_the_other_files_are_formatted(run, tmp_path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "loop.tf").symlink_to("loop.tf")
    (tree / "sub" / "a.tf").symlink_to("b.tf")
    (tree / "sub" / "b.tf").symlink_to("a.tf")
    (tree / "messy.tf").write_text("a   = 1\n")
    (tree / "sub" / "messy.tf").write_text("b   = 2\n")
    result = run("fmt", "-recursive", str(tree))
    assert result.exit_code == 2, result.stderr
    assert "loop.tf: a symbolic link that cannot be resolved (a loop): not read" in result.stderr
    assert "sub/a.tf: a symbolic link" in result.stderr and "3 files not formatted" in result.stderr
    assert (tree / "messy.tf").read_text() == "a = 1\n" and (tree / "sub" / "messy.tf").read_text() == "b = 2\n"


def test_a_file_that_cannot_be_written_is_reported_per_file(run, tmp_path, monkeypatch) -> None:
    from tfgen.hcl import files

    (tmp_path / "a.tf").write_text("a   = 1\n")
    (tmp_path / "b.tf").write_text("b   = 1\n")
    real_write = files.atomic_write

    def refuse_a(path, data):
        if path.name == "a.tf":
            raise OSError(28, "No space left on device", str(path))
        real_write(path, data)

    monkeypatch.setattr(files, "atomic_write", refuse_a)
    result = run("fmt", str(tmp_path))
    assert result.exit_code == 2
    assert "a.tf: No space left on device" in result.stderr
    assert (tmp_path / "b.tf").read_text() == "b = 1\n"


def test_fmt_refuses_files_above_the_cap_before_reading(run, tmp_path) -> None:
    from tfgen.hcl.files import MAX_BYTES

    path = tmp_path / "big.tf"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    result = run("fmt", "-check", str(path))
    assert result.exit_code == 2 and "big.tf: larger than 16 MiB: not read" in result.stderr


def _fmt_peak_kb(path) -> tuple[int, str]:
    """Peak RSS (KiB) of `tfgen fmt -check PATH` in a fresh interpreter, and its stderr."""
    import subprocess
    import sys

    code = ("import resource, sys; from tfgen.cli import main\n"
            "try: main(['fmt', '-check', sys.argv[1]])\n"
            "except SystemExit: pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]), done.stderr


@pytest.mark.slow
def test_fmt_memory_stays_bounded_at_the_block_cap(tmp_path) -> None:
    """The densest block at the cap (`[1,1,1,...]`, one block of 1 MiB) peaks below 400 MB (~225 MB)."""
    from tfgen.hcl.files import MAX_BLOCK_BYTES

    path = tmp_path / "dense.tf"
    path.write_text("x = [" + "1," * ((MAX_BLOCK_BYTES - 16) // 2) + "]\n")
    peak, _ = _fmt_peak_kb(path)
    assert peak < 400_000, peak


@pytest.mark.slow
def test_fmt_memory_follows_the_largest_block_not_the_file(tmp_path) -> None:
    """A 12 MB file of ordinary blocks (the issue's case: ~2 GB before) is formatted within a small multiple of
    its size on top of the interpreter, and formats exactly as the whole-file formatter does."""
    from tfgen.hcl import format_hcl

    def block(i: int) -> str:
        return f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b-{i}"\n  tags = {{ Name = "x", Env = "dev" }}\n}}\n\n'

    text = "".join(block(i) for i in range(130_000))
    path = tmp_path / "big.tf"
    path.write_text(text)
    assert len(text) > 12_000_000
    baseline, _ = _fmt_peak_kb(tmp_path / "missing-but-harmless.tf")
    peak, stderr = _fmt_peak_kb(path)
    assert "not formatted" not in stderr and "larger than" not in stderr, stderr
    assert peak - baseline < 8 * len(text) // 1024, (peak, baseline)  # KiB: under 8 bytes per input byte
    from tfgen.hcl import format_in_blocks

    small = "".join(block(i) for i in range(50))
    assert format_in_blocks(small, "x.tf", 200) == format_hcl(small)


def test_fmt_refuses_a_block_above_the_block_cap_located(run, tmp_path) -> None:
    from tfgen.hcl.files import MAX_BLOCK_BYTES

    path = tmp_path / "wide.tf"
    path.write_text('a = 1\n\nlocals {\n  x = "' + "y" * (MAX_BLOCK_BYTES + 10) + '"\n}\n' + 'b = 2\n' * 10)
    result = run("fmt", "-check", str(path))
    assert result.exit_code == 2 and "wide.tf:1:" in result.stderr and "limit of one block" in result.stderr
