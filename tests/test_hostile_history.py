"""Issue 23, gates fail closed: when the history a safety check needs cannot be read (git not on PATH, a
repository git refuses, a spec at the revision that is not a regular file or is too big to be a spec),
validate/render/impact say so and stop; `--no-history-check` skips the check of validate/render with a warning.
A project outside any repository (or before its first commit) still has nothing to compare with."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_impact import GIT_ENV, edit, git
from tfhelpers import copy_project

SHRINK = ("base.yaml", "size_gb: 100", "size_gb: 80")  # chromadb's data volume: a known-destructive change


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project committed (specs only matter), then the chromadb data volume shrunk in the working tree."""
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, GIT_ENV[key])  # no safe.directory from the machine's config
    root = copy_project(tmp_path / "repo")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    edit(root / "specs" / SHRINK[0], SHRINK[1], SHRINK[2])
    return root


def _refused(result) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert "cannot check for destructive changes against the committed specs (HEAD)" in result.stderr
    assert "--no-history-check" in result.stderr


def test_the_gate_itself_still_blocks(run, repo: Path) -> None:
    result = run("-C", str(repo), "validate", "dev")
    assert result.exit_code == 2 and "shrinks the chromadb data volume from 100 to 80 GiB" in result.stderr


def test_a_repository_git_refuses_stops_validate_and_render(run, repo: Path) -> None:
    git(repo, "config", "core.repositoryformatversion", "99")  # git: "Expected git repo version <= 1"
    for command in ("validate", "render"):
        _refused(run("-C", str(repo), command, "dev"))
    assert not (repo / "generated").exists()
    skipped = run("-C", str(repo), "validate", "dev", "--no-history-check")
    assert skipped.exit_code == 0
    assert "warning: --no-history-check: known-destructive changes against the committed specs (HEAD) were NOT " \
           "checked" in skipped.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="making a repository owned by another user needs root")
def test_dubious_ownership_stops_validate(run, repo: Path) -> None:
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
    result = run("-C", str(repo), "validate", "dev")
    _refused(result)
    assert "dubious ownership" in result.stderr


def test_git_not_on_path_stops_validate_and_render(run, repo: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for command in ("validate", "render"):
        result = run("-C", str(repo), command, "dev")
        _refused(result)
        assert "git is not installed" in result.stderr
    assert run("-C", str(repo), "render", "dev", "--no-history-check").exit_code == 0


def test_outside_git_and_before_the_first_commit_there_is_nothing_to_compare(run, project: Path) -> None:
    edit(project / "specs" / SHRINK[0], SHRINK[1], SHRINK[2])
    assert run("-C", str(project), "validate", "dev").exit_code == 0
    git(project, "init", "-q", "-b", "main")
    assert run("-C", str(project), "validate", "dev").exit_code == 0


def _commit_spec_as(repo: Path, mode: str) -> None:
    """Replace specs/prod.yaml at HEAD by a symlink or a gitlink; the working tree keeps the regular file."""
    text = (repo / "specs/prod.yaml").read_text()
    git(repo, "rm", "-q", "--cached", "specs/prod.yaml")
    if mode == "symlink":
        (repo / "specs/prod.yaml").unlink()
        os.symlink("staging.yaml", repo / "specs/prod.yaml")
        git(repo, "add", "specs/prod.yaml")
    else:
        head = git(repo, "rev-parse", "HEAD").strip()
        git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},specs/prod.yaml")
    git(repo, "commit", "-q", "-m", f"prod spec as a {mode}")
    if mode == "symlink":
        (repo / "specs/prod.yaml").unlink()
    (repo / "specs/prod.yaml").write_text(text)


@pytest.mark.parametrize(("mode", "what"), [("symlink", "a symbolic link"), ("gitlink", "a gitlink (submodule)")])
def test_a_spec_that_is_not_a_regular_file_at_the_revision_is_refused(run, repo: Path, mode: str,
                                                                      what: str) -> None:
    _commit_spec_as(repo, mode)
    result = run("-C", str(repo), "impact", "prod", "--since", "HEAD")
    assert result.exit_code == 2, result.stdout
    assert f"specs/prod.yaml at HEAD is {what}, not a regular file" in result.stderr
    assert "added" not in result.stdout
    _refused(run("-C", str(repo), "validate", "prod"))


def test_a_spec_blob_above_the_cap_is_refused_unread(run, repo: Path) -> None:
    from tfgen.spec import MAX_SPEC_BYTES
    (repo / "specs/huge.yaml").write_bytes(b"# x\n" * (MAX_SPEC_BYTES // 4 + 1))
    git(repo, "add", "specs/huge.yaml")
    git(repo, "commit", "-q", "-m", "huge")
    (repo / "specs/huge.yaml").unlink()
    result = run("-C", str(repo), "impact", "dev", "--since", "HEAD")
    assert result.exit_code == 2
    assert f"specs/huge.yaml at HEAD is {MAX_SPEC_BYTES + 4} bytes, larger than the {MAX_SPEC_BYTES}-byte limit" \
        in result.stderr


# Property: whatever a revision holds at specs/prod.yaml (valid or broken YAML, binary, deep nesting, a link,
# an executable, too big), `impact --since` ends in a verdict or a located, one-line-per-problem error -- never
# an internal error (exit 70), never "added" for an environment whose spec existed but could not be read.
SPEC_BODIES = [b"extends: base.yaml\n", b"extends: base.yaml\ndatabase:\n  allocated_storage_gb: 5\n",
               b"\xff\xfe\x00binary", b"[" * 5000 + b"]" * 5000, b"a: &a [*a]\n", b"{{{{", b"",
               b"extends: ../../etc/passwd\n", b"x\n::warning::forged: 1\n"]
MODES = ["100644", "100755", "120000"]


@pytest.mark.slow  # ~8 s an example (a repository each); make test runs it, test-fast does not
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.sampled_from(SPEC_BODIES), mode=st.sampled_from(MODES), big=st.booleans())
def test_any_spec_at_the_revision_gives_a_verdict_or_a_located_error(tmp_path_factory, run, body: bytes,
                                                                     mode: str, big: bool) -> None:
    from tfgen.spec import MAX_SPEC_BYTES
    root = copy_project(tmp_path_factory.mktemp("gitprop") / "repo")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    data = body + (b"#" * (MAX_SPEC_BYTES + 1) if big else b"")
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=root, input=data, capture_output=True,
                          check=True, env=GIT_ENV).stdout.decode().strip()
    git(root, "update-index", "--cacheinfo", f"{mode},{blob},specs/prod.yaml")
    git(root, "commit", "-q", "-m", "odd prod spec")
    result = run("-C", str(root), "impact", "prod", "--since", "HEAD", "--json")
    assert result.exit_code in (0, 1, 2), result.stderr
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines and re.fullmatch(r"\d+ problems? found", lines[-1]), result.stderr
        assert all("\r" not in line for line in lines)
    if mode == "120000" or big:
        assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert all(env["status"] != "added" for env in report["environments"]), report


def test_impact_markdown_escapes_spec_text_outside_code_spans(run, repo: Path) -> None:
    """Found beyond the issue's list: the job-summary Markdown escaped only `|` and backticks, so an
    acknowledgement reason (free spec text) could put an image, a link or HTML into the CI summary."""
    from test_impact import acknowledge_in_spec

    acknowledge_in_spec(repo / "specs/dev.yaml", "services.chromadb.data_volume.size_gb",
                        "100 -> 80: ok <img src=x> [click](https://evil.example) *now*")
    result = run("-C", str(repo), "impact", "dev", "--since", "HEAD", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "\\<img src=x\\> \\[click\\](https://evil.example) \\*now\\*" in result.stdout
    assert "<img" not in result.stdout.replace("\\<img", "")


def test_disk_blob_ids_match_git_and_stream_big_files(tmp_path: Path) -> None:
    """Found beyond the list: `tfgen affected` hashed every file under specs/ and templates/ with read_bytes()
    (a 2 GB file there took 2 GB); the id is now computed in 1 MiB chunks and still equals git's."""
    import resource

    from tfgen.history.git import disk_blob_ids
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "small.txt").write_bytes(b"hello\n")
    with (tmp_path / "templates" / "big.bin").open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: no disk space used
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ids = disk_blob_ids(tmp_path, ["templates"])
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    expected = subprocess.run(["git", "hash-object", str(tmp_path / "templates" / "small.txt")],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert ids["templates/small.txt"] == expected
    assert grown_kb < 100_000, f"peak memory grew by {grown_kb} kB hashing a 300 MB file"


def test_ci_never_skips_the_history_check() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in [*root.joinpath(".github/workflows").glob("*.yml"), root / "Makefile"]:
        assert "--no-history-check" not in path.read_text(), path
