"""The differential harness: tfgen.hcl against the real `terraform fmt`, many files per terraform run.

A verdict is the formatted text, or None when the tool refuses the file.  terraform fmt formats every file it
can in a directory and reports each refused file in a diagnostic ("on NAME line N"), so one run over a
directory gives every verdict at once.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from tfgen.errors import FormatError
from tfgen.hcl import format_hcl

CASES = Path(__file__).resolve().parent / "fmt_corpus" / "upstream" / "hcl_cases.txt"
_MARKER = re.compile(r"^#==== (\S+)(.*)\n", re.M)
_DIAGNOSTIC = re.compile(r"^Error: (.*)\n\n  on (\S+) line (\d+)", re.M)


def env() -> dict[str, str]:
    return {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}


Diagnostics = dict[str, list[tuple[int, str]]]


def terraform_run(binary: str, texts: dict[str, str]) -> tuple[dict[str, str | None], Diagnostics]:
    """One `terraform fmt` run over all texts (keys are file names ending in .tf).

    Returns each file's verdict, and for each refused file its diagnostics as (line, summary), in the order
    Terraform prints them (by position).
    """
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            Path(tmp, name).write_bytes(text.encode("utf-8", "surrogatepass"))
        result = subprocess.run([binary, "fmt", "-no-color", "-list=false", "."], cwd=tmp, capture_output=True,
                                text=True, env=env())
        first: Diagnostics = {}
        for m in _DIAGNOSTIC.finditer(result.stderr):
            first.setdefault(m.group(2), []).append((int(m.group(3)), m.group(1)))
        refused = set(re.findall(r"^\s*on (\S+) line \d+", result.stderr, re.M))
        unknown = refused - set(texts)
        assert not unknown, f"terraform reported files it was not given: {unknown}\n{result.stderr}"
        assert set(first) == refused, result.stderr
        assert result.returncode == (2 if refused else 0), result.stderr
        verdicts = {name: None if name in refused else Path(tmp, name).read_bytes().decode() for name in texts}
        return verdicts, first


def terraform_verdicts(binary: str, texts: dict[str, str]) -> dict[str, str | None]:
    """terraform fmt's verdict on each text: the formatted text, or None when refused."""
    return terraform_run(binary, texts)[0]


def tfgen_diagnostic(text: str) -> tuple[int, str] | None:
    """tfgen's error for a text as (line, summary), or None when it formats."""
    try:
        format_hcl(text, "case.tf")
    except FormatError as exc:
        return exc.line, str(exc).split(": ", 1)[1].split("; ", 1)[0]
    return None


def tfgen_verdict(text: str) -> str | None:
    try:
        return format_hcl(text, "case.tf")
    except FormatError:
        return None


def disagreements(binary: str, texts: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Counts (both_accept, both_reject) and a description of every input where the tools disagree."""
    reference = terraform_verdicts(binary, texts)
    counts, problems = {"both accept, same output": 0, "both reject": 0}, []
    for name, text in texts.items():
        ours, theirs = tfgen_verdict(text), reference[name]
        if ours is None and theirs is None:
            counts["both reject"] += 1
        elif ours is not None and ours == theirs:
            counts["both accept, same output"] += 1
        elif ours is None or theirs is None:
            who = "terraform" if ours is None else "tfgen"
            problems.append(f"{name}: only {who} accepts {text!r}")
        else:
            problems.append(f"{name}: outputs differ for {text!r}:\ntfgen:     {ours!r}\nterraform: {theirs!r}")
    return counts, problems


def upstream_cases() -> dict[str, tuple[str, bool]]:
    """The named cases of hcl_cases.txt: name -> (text, terraform fmt destroys it).

    A case runs to the next marker line; `[no-eol]` on the marker drops its final newline.
    """
    raw = CASES.read_bytes().decode()
    marks = list(_MARKER.finditer(raw))
    cases = {}
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        text = raw[m.end() : nxt.start() if nxt else len(raw)]
        if "[no-eol]" in m.group(2):
            text = text.removesuffix("\n")
        if m.group(1) != "README:":
            cases[m.group(1)] = (text, "[destroys]" in m.group(2))
    return cases
