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
    """200 kB in well under a second (the quadratic scan needed 106 s for 'a' * 200k, 22 s for '_' * 20k), and
    ten times the input costs about ten times the work, not a hundred."""
    small, big = unit * (20_000 // len(unit)), unit * (200_000 // len(unit))
    t_small = min(_scan(small) for _ in range(3))
    t_big = _scan(big)
    assert t_big < 2.0, f"{unit!r} x 200 kB took {t_big:.2f} s"
    assert t_big < 40 * max(t_small, 0.001), f"{unit!r}: {t_small:.4f} s -> {t_big:.4f} s (superlinear)"


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
