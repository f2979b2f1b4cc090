"""Tests for tfgen.writer: statuses, ownership, scopes, conflicts, atomicity under SIGKILL, locking, drift."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfgen.writer as writer
from tfgen.errors import EXIT_CONFLICT, ConflictError, LockError
from tfgen.writer import (
    LOCK_NAME,
    MANIFEST_NAME,
    PENDING_NAME,
    Drift,
    SyncConflictError,
    SyncReport,
    TreeError,
    compare_tree,
    lock_tree,
    manifest_bytes,
    read_manifest,
    sync_tree,
    unified_diff,
)

REPO = Path(__file__).resolve().parents[1]

USER_FILES = {
    "terraform.tfvars": b'region = "eu-west-1"\n',
    ".terraform/x": b"provider cache\n",
    ".terraform.lock.hcl": b"# lock\n",
    "terraform.tfstate": b'{"version": 4}\n',
    "terraform.tfstate.backup": b'{"version": 3}\n',
    "notes.txt": b"my notes\n",
}


# ---------------------------------------------------------------- helpers


def scopes(env: str) -> list[str]:
    """What a render of one environment owns: its env dir, shared modules and top-level docs."""
    return [
        f"terraform/environments/{env}/",
        "terraform/modules/",
        "terraform/README.md",
        "terraform/AGENTS.md",
    ]


def render(env: str, version: int = 1, modules: tuple[str, ...] = ("compute", "networking")) -> dict:
    """A small rendered tree for one environment; ``version`` changes the content of every file."""
    files = {
        f"terraform/environments/{env}/main.tf": f'# {env} v{version}\nmodule "net" {{}}\n'.encode(),
        f"terraform/environments/{env}/variables.tf": f'variable "env" {{ default = "{env}" }}\n'.encode(),
        "terraform/README.md": f"# Terraform v{version}\n".encode(),
    }
    for name in modules:
        files[f"terraform/modules/{name}/main.tf"] = f"# module {name} v{version}\n".encode()
    return files


def add_user_files(root: Path, env: str) -> dict[str, bytes]:
    """Place the files a Terraform user keeps next to generated ones; returns them by relpath."""
    placed = {f"terraform/environments/{env}/{rel}": data for rel, data in USER_FILES.items()}
    placed["notes.txt"] = b"root notes\n"
    for rel, data in placed.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return placed


def snapshot(root: Path, mtimes: bool = False) -> dict[str, object]:
    """Every file (content, optionally mtime) and directory under root, except the lock file."""
    snap: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames:
            snap[(base / name).relative_to(root).as_posix() + "/"] = "dir"
        for name in filenames:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if rel != LOCK_NAME:
                snap[rel] = (path.read_bytes(), path.stat().st_mtime_ns) if mtimes else path.read_bytes()
    return snap


def set_old_mtimes(root: Path) -> None:
    """Push every mtime into the past so any rewrite shows, whatever the timestamp granularity."""
    for dirpath, _dirs, filenames in os.walk(root):
        for name in filenames:
            os.utime(Path(dirpath) / name, ns=(1_000_000_000, 1_000_000_000))


def statuses(report: SyncReport) -> dict[str, str]:
    return {c.path: c.status for c in report.changes}


def assert_files(root: Path, expected: dict[str, bytes]) -> None:
    for rel, data in expected.items():
        assert (root / rel).read_bytes() == data, rel


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Child:
    """A python -c child whose output goes to files: no pipe can fill up and deadlock a test."""

    def __init__(self, logs: Path, script: str, *args: object):
        logs.mkdir(parents=True, exist_ok=True)
        self.out, self.err = (Path(tempfile.mkstemp(dir=logs, suffix=s)[1]) for s in (".out", ".err"))
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=out, stderr=err)

    def output(self) -> str:
        return self.out.read_text()

    def wait_until(self, condition, timeout: float = 20) -> None:
        """Poll ``condition`` while the child is alive; fail with its stderr if it dies first."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.proc.poll() is None, f"child exited early:\n{self.err.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.001)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def finish(self, timeout: float = 30) -> None:
        assert self.proc.wait(timeout=timeout) == 0, self.err.read_text()[-3000:]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "generated"


# ---------------------------------------------------------------- statuses and idempotence


def test_first_run_creates_everything_and_records_manifest(root: Path) -> None:
    files = render("dev")
    report = sync_tree(root, files, scopes("dev"))
    assert set(statuses(report).values()) == {"create"}
    assert [c.path for c in report.changes] == sorted(files)
    assert_files(root, files)
    assert read_manifest(root) == {p: sha(c) for p, c in files.items()}
    assert report.summary() == "5 created, 0 updated, 0 unchanged, 0 removed, 0 conflicts"
    assert not (root / PENDING_NAME).exists()


def test_second_identical_run_is_all_unchanged_and_touches_nothing(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    set_old_mtimes(root)
    before = snapshot(root, mtimes=True)
    report = sync_tree(root, render("dev"), scopes("dev"))
    assert set(statuses(report).values()) == {"unchanged"}
    assert snapshot(root, mtimes=True) == before


def test_update_create_remove_statuses(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    files = render("dev", version=2, modules=("networking", "storage"))
    same = "terraform/environments/dev/variables.tf"
    files[same] = (root / same).read_bytes()
    report = sync_tree(root, files, scopes("dev"))
    assert statuses(report) == {
        "terraform/README.md": "update",
        "terraform/environments/dev/main.tf": "update",
        "terraform/environments/dev/variables.tf": "unchanged",
        "terraform/modules/compute/main.tf": "remove",
        "terraform/modules/networking/main.tf": "update",
        "terraform/modules/storage/main.tf": "create",
    }
    update = next(c for c in report.changes if c.path == "terraform/README.md")
    assert "--- a/terraform/README.md\n+++ b/terraform/README.md\n" in update.diff
    assert "-# Terraform v1\n+# Terraform v2\n" in update.diff
    removed = next(c for c in report.changes if c.status == "remove")
    assert "+++ /dev/null" in removed.diff and "-# module compute v1" in removed.diff
    assert not (root / "terraform/modules/compute").exists(), "emptied directory is removed"
    assert_files(root, files)
    assert read_manifest(root) == {p: sha(c) for p, c in files.items()}
    assert report.summary() == "1 created, 3 updated, 1 unchanged, 1 removed, 0 conflicts"


def test_prune_keeps_directories_that_still_hold_something(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/modules/compute/local.tf").write_text("# mine\n")
    sync_tree(root, render("dev", modules=("networking",)), scopes("dev"))
    assert not (root / "terraform/modules/compute/main.tf").exists()
    assert (root / "terraform/modules/compute/local.tf").read_text() == "# mine\n"


def test_hand_deleted_owned_file_is_recreated(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/README.md").unlink()
    report = sync_tree(root, render("dev"), scopes("dev"))
    assert statuses(report)["terraform/README.md"] == "create"
    assert (root / "terraform/README.md").read_bytes() == render("dev")["terraform/README.md"]


def test_hand_deleted_file_that_is_no_longer_rendered_just_leaves_the_manifest(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/modules/compute/main.tf").unlink()
    report = sync_tree(root, render("dev", modules=("networking",)), scopes("dev"))
    change = next(c for c in report.changes if c.path == "terraform/modules/compute/main.tf")
    assert (change.status, change.reason) == ("remove", "already gone")
    assert "terraform/modules/compute/main.tf" not in read_manifest(root)


def test_hand_edit_that_matches_the_new_render_is_unchanged(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/README.md").write_bytes(render("dev", 2)["terraform/README.md"])
    report = sync_tree(root, render("dev", 2), scopes("dev"))
    assert statuses(report)["terraform/README.md"] == "unchanged"
    assert read_manifest(root)["terraform/README.md"] == sha(render("dev", 2)["terraform/README.md"])


# ---------------------------------------------------------------- ownership and scopes


@pytest.mark.parametrize("scenario", ["create", "update", "prune-env", "forced-conflict", "dry-run"])
def test_user_files_are_never_touched(root: Path, scenario: str) -> None:
    placed = add_user_files(root, "dev")
    placed.update(add_user_files(root, "prod"))
    sync_tree(root, render("dev"), scopes("dev"))
    if scenario == "update":
        sync_tree(root, render("dev", 2), scopes("dev"))
    elif scenario == "prune-env":
        sync_tree(root, {}, scopes("dev"))
        assert not (root / "terraform/environments/dev/main.tf").exists()
        assert not (root / "terraform/modules").exists()
    elif scenario == "forced-conflict":
        (root / "terraform/environments/dev/main.tf").write_text("# hand edit\n")
        sync_tree(root, render("dev", 3, modules=()), scopes("dev"), force=True)
    elif scenario == "dry-run":
        sync_tree(root, {}, scopes("dev"), dry_run=True)
    assert_files(root, placed)
    assert not set(read_manifest(root)) & set(placed)


def test_rendering_dev_never_prunes_prod(root: Path) -> None:
    sync_tree(root, render("prod"), scopes("prod"))
    sync_tree(root, render("dev"), scopes("dev"))
    prod_only = {p: c for p, c in render("prod").items() if "/prod/" in p}
    sync_tree(root, {}, scopes("dev"))
    assert_files(root, prod_only)
    manifest = read_manifest(root)
    assert set(manifest) == set(prod_only), "dev and shared entries pruned, prod kept"
    assert manifest == {p: sha(c) for p, c in prod_only.items()}


def test_manifest_entries_outside_scope_are_kept_as_is(root: Path) -> None:
    sync_tree(root, render("prod"), scopes("prod"))
    (root / "terraform/environments/prod/main.tf").write_text("# hand edit in prod\n")
    before = read_manifest(root)["terraform/environments/prod/main.tf"]
    report = sync_tree(root, render("dev"), scopes("dev"))
    assert not report.conflicts, "a hand edit outside the scope is not this render's business"
    assert read_manifest(root)["terraform/environments/prod/main.tf"] == before


def test_scope_prefix_without_slash_does_not_leak_into_siblings(root: Path) -> None:
    sync_tree(root, {"terraform/environments/dev2/main.tf": b"x\n"}, ["terraform/environments/dev2/"])
    sync_tree(root, {}, ["terraform/environments/dev"])
    assert (root / "terraform/environments/dev2/main.tf").exists()


# ---------------------------------------------------------------- conflicts


def test_hand_edit_conflict_writes_nothing_at_all(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    add_user_files(root, "dev")
    (root / "terraform/environments/dev/main.tf").write_text("# edited by hand\n")
    before = snapshot(root, mtimes=True)
    new = render("dev", 2, modules=("networking", "storage"))
    with pytest.raises(SyncConflictError) as caught:
        sync_tree(root, new, scopes("dev"))
    err = caught.value
    assert isinstance(err, ConflictError) and err.exit_code == EXIT_CONFLICT == 3
    assert err.paths == ["terraform/environments/dev/main.tf"]
    [conflict] = err.report.conflicts
    assert conflict.reason == "edited by hand"
    assert "-# edited by hand\n+# dev v2\n" in conflict.diff
    assert conflict.diff.startswith("--- a/terraform/environments/dev/main.tf\n+++ b/")
    assert "main.tf: edited by hand" in str(err) and "--force" in str(err)
    assert "# edited by hand" not in str(err), "diffs are shown once, from the report, not in the message"
    assert {"create", "update", "remove"} <= set(statuses(err.report).values()), "the rest was planned"
    assert snapshot(root, mtimes=True) == before


def test_force_overwrites_hand_edit(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/environments/dev/main.tf").write_text("# edited by hand\n")
    report = sync_tree(root, render("dev", 2), scopes("dev"), force=True)
    change = next(c for c in report.changes if c.path == "terraform/environments/dev/main.tf")
    assert (change.status, change.reason) == ("update", "forced: edited by hand")
    assert_files(root, render("dev", 2))
    assert not report.conflicts


def test_unowned_file_with_different_content_is_a_conflict(root: Path) -> None:
    (root / "terraform").mkdir(parents=True)
    (root / "terraform/README.md").write_text("# someone else's readme\n")
    with pytest.raises(SyncConflictError) as caught:
        sync_tree(root, render("dev"), scopes("dev"))
    [conflict] = caught.value.report.conflicts
    assert conflict.reason == "exists but was not generated by tfgen"
    assert snapshot(root) == {"terraform/": "dir", "terraform/README.md": b"# someone else's readme\n"}
    sync_tree(root, render("dev"), scopes("dev"), force=True)
    assert_files(root, render("dev"))


def test_unowned_file_with_same_content_is_adopted(root: Path) -> None:
    (root / "terraform").mkdir(parents=True)
    (root / "terraform/README.md").write_bytes(render("dev")["terraform/README.md"])
    report = sync_tree(root, render("dev"), scopes("dev"))
    assert statuses(report)["terraform/README.md"] == "unchanged"
    assert "terraform/README.md" in read_manifest(root)


def test_pruning_a_hand_edited_file_is_a_conflict_unless_forced(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/modules/compute/main.tf").write_text("# tuned by hand\n")
    before = snapshot(root)
    with pytest.raises(SyncConflictError) as caught:
        sync_tree(root, render("dev", modules=("networking",)), scopes("dev"))
    [conflict] = caught.value.report.conflicts
    assert conflict.path == "terraform/modules/compute/main.tf" and "+++ /dev/null" in conflict.diff
    assert snapshot(root) == before
    report = sync_tree(root, render("dev", modules=("networking",)), scopes("dev"), force=True)
    assert statuses(report)["terraform/modules/compute/main.tf"] == "remove"
    assert not (root / "terraform/modules/compute").exists()


# ---------------------------------------------------------------- dry run and manifest bytes


def test_dry_run_writes_nothing(root: Path) -> None:
    report = sync_tree(root, render("dev"), scopes("dev"), dry_run=True)
    assert report.dry_run and set(statuses(report).values()) == {"create"}
    assert not root.exists(), "not even the root or the lock file"
    sync_tree(root, render("dev"), scopes("dev"))
    (root / "terraform/README.md").write_text("# hand\n")
    before = snapshot(root, mtimes=True)
    report = sync_tree(root, render("dev", 2, modules=()), scopes("dev"), dry_run=True)
    assert [c.path for c in report.conflicts] == ["terraform/README.md"], "dry run reports, never raises"
    with pytest.raises(SyncConflictError):
        report.raise_for_conflicts()
    assert snapshot(root, mtimes=True) == before


def test_manifest_bytes_are_deterministic(root: Path, tmp_path: Path) -> None:
    files = render("dev")
    sync_tree(root, files, scopes("dev"))
    other = tmp_path / "other"
    sync_tree(other, dict(reversed(list(files.items()))), list(reversed(scopes("dev"))))
    data = (root / MANIFEST_NAME).read_bytes()
    assert data == (other / MANIFEST_NAME).read_bytes()
    expected = {"files": {p: sha(files[p]) for p in sorted(files)}, "version": 1}
    assert data == (json.dumps(expected, indent=2) + "\n").encode()
    assert data.startswith(b'{\n  "files": {\n    "terraform/README.md": "') and data.endswith(b"}\n")
    assert manifest_bytes({"b": "1", "a": "2"}) == manifest_bytes({"a": "2", "b": "1"})


def test_corrupt_or_tampered_manifest_is_refused(root: Path, tmp_path: Path) -> None:
    root.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    evil = {"version": 1, "files": {"../victim.txt": sha(b"keep me\n")}}
    (root / MANIFEST_NAME).write_text(json.dumps(evil))
    with pytest.raises(TreeError, match=r"\.\."):
        sync_tree(root, {}, ["terraform/"])
    (root / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(TreeError, match="not valid JSON"):
        compare_tree(root, {}, ["terraform/"])
    (root / MANIFEST_NAME).write_text('{"version": 2, "files": {}}')
    with pytest.raises(TreeError, match="version"):
        read_manifest(root)
    (root / MANIFEST_NAME).unlink()
    (root / PENDING_NAME).write_text(json.dumps({"version": 1, "files": {"terraform/a": sha(b"")}}))
    with pytest.raises(TreeError, match="64 lowercase hex"):
        sync_tree(root, {}, ["terraform/"])
    assert victim.read_text() == "keep me\n"


def test_a_directory_where_a_file_goes_is_an_error_not_a_silent_skip(root: Path) -> None:
    (root / "terraform/README.md").mkdir(parents=True)
    with pytest.raises(TreeError, match="in the way"):
        sync_tree(root, render("dev"), scopes("dev"))
    assert snapshot(root) == {"terraform/": "dir", "terraform/README.md/": "dir"}


# ---------------------------------------------------------------- path validation


BAD_PATHS = ["../x", "/abs", "terraform/../x", "terraform\\x", "terraform//x", "./x", "", "x/", "a\0b"]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_invalid_paths_are_rejected_before_anything_happens(root: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid path"):
        sync_tree(root, {bad: b"x"}, ["terraform/"])
    with pytest.raises(ValueError):
        compare_tree(root, {bad: b"x"}, ["terraform/"])
    assert not root.exists()


@pytest.mark.parametrize(
    ("rendered", "scope_list", "message"),
    [
        ({"terraform/environments/prod/main.tf": b""}, scopes("dev"), "outside the render's scopes"),
        ({MANIFEST_NAME: b"{}"}, [MANIFEST_NAME], "reserved"),
        ({"terraform/.main.tf.tfgen-tmp-abc123": b""}, ["terraform/"], "reserved"),
        ({"terraform/a": b"", "terraform/a/b": b""}, ["terraform/"], "both as file and directory"),
        ({"x": b""}, ["../"], "invalid path"),
    ],
)
def test_render_shape_is_validated(root: Path, rendered: dict, scope_list: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sync_tree(root, rendered, scope_list)


def test_scopes_and_contents_have_the_right_types(root: Path) -> None:
    with pytest.raises(TypeError, match="sequence"):
        sync_tree(root, {}, "terraform/")
    with pytest.raises(TypeError, match="bytes"):
        sync_tree(root, {"terraform/a": "text"}, ["terraform/"])  # type: ignore[dict-item]


# ---------------------------------------------------------------- compare_tree


def test_compare_tree_matrix(root: Path) -> None:
    files = render("dev")
    assert compare_tree(root, files, scopes("dev")) == [
        *[Drift(p, "missing") for p in sorted(files) if p < MANIFEST_NAME],
        Drift(MANIFEST_NAME, "missing"),
        *[Drift(p, "missing") for p in sorted(files) if p > MANIFEST_NAME],
    ]
    sync_tree(root, files, scopes("dev"))
    add_user_files(root, "dev")
    before = snapshot(root, mtimes=True)
    assert compare_tree(root, files, scopes("dev")) == [], "clean"

    missing = {**files, "terraform/AGENTS.md": b"# agents\n"}
    kinds = {d.path: d.kind for d in compare_tree(root, missing, scopes("dev"))}
    assert kinds == {"terraform/AGENTS.md": "missing", MANIFEST_NAME: "changed"}

    changed = {**files, "terraform/README.md": b"# new readme\n"}
    drifts = compare_tree(root, changed, scopes("dev"))
    assert [(d.path, d.kind) for d in drifts] == [
        (MANIFEST_NAME, "changed"),
        ("terraform/README.md", "changed"),
    ]
    assert drifts[1].diff.startswith("--- a/terraform/README.md\n+++ b/terraform/README.md\n")
    assert "-# Terraform v1\n+# new readme\n" in drifts[1].diff
    assert f'-    "terraform/README.md": "{sha(files["terraform/README.md"])}"' in drifts[0].diff

    fewer = render("dev", modules=("networking",))
    drifts = compare_tree(root, fewer, scopes("dev"))
    assert [(d.path, d.kind) for d in drifts] == [
        (MANIFEST_NAME, "changed"),
        ("terraform/modules/compute/main.tf", "extra"),
    ]
    assert "+++ /dev/null" in drifts[1].diff
    assert snapshot(root, mtimes=True) == before, "compare_tree never writes"
    (root / "terraform/modules/compute/main.tf").write_bytes(b"")
    assert ("terraform/modules/compute/main.tf", "extra") in [
        (d.path, d.kind) for d in compare_tree(root, fewer, scopes("dev"))
    ]


def test_compare_tree_hand_edits_and_stale_manifest(root: Path) -> None:
    files = render("dev")
    sync_tree(root, files, scopes("dev"))
    (root / "terraform/README.md").write_text("# hand\n")
    assert [(d.path, d.kind) for d in compare_tree(root, files, scopes("dev"))] == [("terraform/README.md", "changed")]
    (root / "terraform/README.md").write_bytes(files["terraform/README.md"])
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    manifest["files"]["terraform/README.md"] = "0" * 64
    (root / MANIFEST_NAME).write_text(json.dumps(manifest))
    [stale] = compare_tree(root, files, scopes("dev"))
    assert (stale.path, stale.kind) == (MANIFEST_NAME, "changed") and "0" * 64 in stale.diff


def test_compare_tree_ignores_other_scopes_and_unowned_files(root: Path) -> None:
    sync_tree(root, render("prod"), scopes("prod"))
    sync_tree(root, render("dev"), scopes("dev"))
    add_user_files(root, "dev")
    (root / "terraform/environments/prod/main.tf").write_text("# prod hand edit\n")
    assert compare_tree(root, render("dev"), scopes("dev")) == []


def test_compare_tree_takes_no_lock(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    with lock_tree(root, timeout=1):
        # Taking the (per open file) flock again would block forever here; finishing at all is the proof.
        assert compare_tree(root, render("dev"), scopes("dev")) == []
        assert sync_tree(root, render("dev"), scopes("dev"), dry_run=True).conflicts == []


def test_unified_diff_marks_missing_final_newline() -> None:
    diff = unified_diff("f", b"a\nb", b"a\nc\n")
    assert diff == "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"


# ---------------------------------------------------------------- crash safety


def test_leftover_temp_files_are_cleaned_and_lookalikes_kept(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    leftover = root / "terraform/modules/compute/.main.tf.tfgen-tmp-a1b2_c3d4"
    leftover.write_bytes(b"half a fi")
    lookalike = root / "terraform/modules/compute/main.tf.tfgen-tmp-notes"
    lookalike.write_bytes(b"user file\n")
    assert compare_tree(root, render("dev"), scopes("dev")) == [], "temp files are ignored"
    sync_tree(root, render("dev"), scopes("dev"))
    assert not leftover.exists()
    assert lookalike.read_bytes() == b"user file\n"


def interrupted_sync(root: Path, files: dict[str, bytes], scope_list: list[str], die_at: str) -> None:
    """Run sync_tree but die (like a SIGKILL, without cleanup) just before writing ``die_at``."""
    real_write = writer.atomic_write

    def dying_write(target: Path, data: bytes) -> None:
        if target.relative_to(root).as_posix() == die_at:
            raise KeyboardInterrupt("killed mid-sync")
        real_write(target, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "atomic_write", dying_write)
        with pytest.raises(KeyboardInterrupt):
            sync_tree(root, files, scope_list)
    assert (root / PENDING_NAME).exists(), "journal left behind by the interrupted run"


def test_interrupted_sync_is_recognised_as_ours_next_time(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    interrupted_sync(root, render("dev", 2), scopes("dev"), die_at="terraform/modules/compute/main.tf")
    assert (root / "terraform/README.md").read_bytes() == render("dev", 2)["terraform/README.md"]
    report = sync_tree(root, render("dev", 3), scopes("dev"))
    assert not report.conflicts, "files the killed run wrote are ours, not hand edits"
    assert_files(root, render("dev", 3))
    assert not (root / PENDING_NAME).exists()
    assert compare_tree(root, render("dev", 3), scopes("dev")) == []


def test_files_created_by_an_interrupted_sync_can_still_be_pruned(root: Path) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    interrupted_sync(root, render("dev", 2, modules=("storage",)), scopes("dev"), die_at=MANIFEST_NAME)
    assert (root / "terraform/modules/storage/main.tf").exists()
    assert "terraform/modules/storage/main.tf" not in read_manifest(root)
    report = sync_tree(root, render("dev", 3), scopes("dev"))
    assert statuses(report)["terraform/modules/storage/main.tf"] == "remove"
    assert not (root / "terraform/modules/storage").exists()
    assert_files(root, render("dev", 3))


def test_journal_of_another_scope_survives_a_successful_sync(root: Path) -> None:
    sync_tree(root, render("prod"), scopes("prod"))
    prod_main = "terraform/environments/prod/main.tf"
    interrupted_sync(root, render("prod", 2), scopes("prod"), die_at=MANIFEST_NAME)
    sync_tree(root, {"terraform/environments/dev/main.tf": b"# dev\n"}, ["terraform/environments/dev/"])
    rewritten = {p for p in render("prod") if not p.endswith("variables.tf")}  # variables.tf was unchanged
    assert set(json.loads((root / PENDING_NAME).read_text())["files"]) == rewritten, (
        "only the other scope's journal entries are kept"
    )
    report = sync_tree(root, render("prod", 3), scopes("prod"))
    assert not report.conflicts and statuses(report)[prod_main] == "update"
    assert not (root / PENDING_NAME).exists()


CHURN_SCRIPT = r"""
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tfgen.writer import sync_tree

def big_content(path, gen, size):
    head = f"gen={gen} path={path}\n".encode()
    line = hashlib.sha256(head).hexdigest().encode() * 128 + b"\n"  # few long lines: cheap diffs
    return head + line * (size // len(line))

root, gen, nfiles, size = Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
while True:
    count = nfiles if gen % 2 == 0 else nfiles // 2
    paths = [f"terraform/modules/m{i:02d}/main.tf" for i in range(count)]
    sync_tree(root, {p: big_content(p, gen, size) for p in paths}, ["terraform/modules/"])
    print(gen, flush=True)
    gen += 1
"""


def big_content(path: str, gen: int, size: int) -> bytes:
    """Must match CHURN_SCRIPT: the first line says which (path, generation) wrote the content."""
    head = f"gen={gen} path={path}\n".encode()
    line = hashlib.sha256(head).hexdigest().encode() * 128 + b"\n"  # few long lines: cheap diffs
    return head + line * (size // len(line))


def assert_only_complete_files(root: Path, size: int) -> None:
    """Every generated file is absent or exactly one complete content some generation wrote."""
    for path in sorted((root / "terraform").rglob("*")):
        if path.is_dir() or ".tfgen-tmp-" in path.name:
            continue
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        head = re.fullmatch(rb"gen=(\d+) path=(\S+)", data.split(b"\n", 1)[0])
        assert head and head[2].decode() == rel, f"{rel} is truncated or garbled: {data[:60]!r}"
        assert data == big_content(rel, int(head[1]), size), f"{rel} is truncated or mixed"
    read_manifest(root)  # always valid JSON: written atomically


def test_sigkill_at_random_moments_never_leaves_a_partial_file(root: Path, tmp_path: Path) -> None:
    rng = random.Random(20240531)
    size, nfiles = 200_000, 16
    for attempt in range(8):
        child = Child(tmp_path / "logs", CHURN_SCRIPT, REPO, root, attempt * 1000, nfiles, size)
        if attempt % 2:  # random moment, anywhere in the run
            time.sleep(rng.uniform(0.15, 0.9))
        else:  # a random moment inside the write phase (the journal exists only while writing)
            child.wait_until(child.output)  # a first generation completed
            child.wait_until(lambda: (root / PENDING_NAME).exists())
            time.sleep(rng.uniform(0, 0.004))
        assert child.proc.poll() is None, f"child died on its own (false conflict?):\n{child.err.read_text()}"
        child.kill()
        assert_only_complete_files(root, size)
    final = {f"terraform/modules/m{i:02d}/main.tf": big_content("final", i, 1000) for i in range(3)}
    report = sync_tree(root, final, ["terraform/modules/"], lock_timeout=5)
    assert not report.conflicts, "no false conflicts after kills"
    assert_files(root, final)
    assert sorted(p.name for p in (root / "terraform/modules").iterdir()) == ["m00", "m01", "m02"]
    assert not list(root.rglob("*.tfgen-tmp-*")), "leftover temp files cleaned up"
    assert not (root / PENDING_NAME).exists()


# ---------------------------------------------------------------- locking


HOLD_LOCK_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tfgen.writer import lock_tree

with lock_tree(Path(sys.argv[2]), timeout=5):
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
"""

TIMED_SYNC_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import tfgen.writer as w

original = w._apply
def slow_apply(root, plan):
    with open(sys.argv[3], "a") as log:
        log.write(f"{time.monotonic()} start\n")
    time.sleep(0.5)
    original(root, plan)
    with open(sys.argv[3], "a") as log:
        log.write(f"{time.monotonic()} end\n")
w._apply = slow_apply
w.sync_tree(Path(sys.argv[2]), {"terraform/README.md": sys.argv[4].encode()}, ["terraform/README.md"],
            lock_timeout=10)
"""


def hold_lock(root: Path, seconds: float) -> Child:
    holder = Child(root.parent / "logs", HOLD_LOCK_SCRIPT, REPO, root, seconds)
    holder.wait_until(lambda: holder.output() == "locked\n")
    return holder


def test_lock_times_out_with_a_clear_error_then_waits_for_the_holder(root: Path) -> None:
    holder = hold_lock(root, 1.5)
    try:
        with pytest.raises(LockError, match="another tfgen process") as caught:
            sync_tree(root, render("dev"), scopes("dev"), lock_timeout=0.3)
        assert str(root / LOCK_NAME) in str(caught.value)
        assert not (root / "terraform").exists(), "nothing written without the lock"
        started = time.monotonic()
        sync_tree(root, render("dev"), scopes("dev"), lock_timeout=10)
        assert time.monotonic() - started > 0.3, "waited for the holder"
        holder.finish()
    finally:
        holder.proc.kill()
        holder.proc.wait()
    assert_files(root, render("dev"))


def test_two_concurrent_syncs_are_serialized(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    children = [Child(tmp_path / "logs", TIMED_SYNC_SCRIPT, REPO, root, log, f"# writer {i}\n") for i in range(2)]
    for child in children:
        child.finish()
    events = [line.split() for line in log.read_text().splitlines()]
    assert [e[1] for e in sorted(events, key=lambda e: float(e[0]))] == ["start", "end", "start", "end"]
    assert (root / "terraform/README.md").read_text() in {"# writer 0\n", "# writer 1\n"}


def test_lock_is_released_when_the_holder_is_killed(root: Path) -> None:
    holder = hold_lock(root, 60)
    holder.kill()
    sync_tree(root, render("dev"), scopes("dev"), lock_timeout=5)  # a stuck lock would raise LockError
    assert (root / LOCK_NAME).exists(), "the lock file may stay; only the flock matters"


# ---------------------------------------------------------------- property: any sequence of renders


env_renders = st.tuples(
    st.sampled_from(["dev", "prod"]),
    st.integers(1, 3),
    st.lists(st.sampled_from(["compute", "networking", "storage"]), unique=True).map(tuple),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(env_renders, min_size=1, max_size=5))
def test_any_sequence_of_renders_keeps_invariants(tmp_path_factory: pytest.TempPathFactory, steps) -> None:
    root = tmp_path_factory.mktemp("prop") / "generated"
    placed = {**add_user_files(root, "dev"), **add_user_files(root, "prod")}
    latest: dict[str, dict[str, bytes]] = {}
    for env, version, modules in steps:
        files = render(env, version, modules)
        sync_tree(root, files, scopes(env))
        latest[env] = files
        assert compare_tree(root, files, scopes(env)) == []
        assert_files(root, placed)
        for other, other_files in latest.items():
            env_files = {p: c for p, c in other_files.items() if f"/{other}/" in p}
            assert_files(root, env_files)
        assert read_manifest(root) == {p: sha((root / p).read_bytes()) for p in read_manifest(root)}, (
            "manifest matches disk"
        )


@pytest.mark.parametrize("link", ["terraform/environments/dev", "terraform/environments/dev/main.tf"])
def test_symlinks_below_the_root_are_refused(root: Path, tmp_path: Path, link: str) -> None:
    sync_tree(root, render("dev"), scopes("dev"))
    outside = tmp_path / "outside"
    target = root / link
    if target.is_dir():
        shutil.copytree(target, outside)
        shutil.rmtree(target)
    else:
        outside.write_bytes(target.read_bytes())
        target.unlink()
    target.symlink_to(outside)
    before = {p: p.read_bytes() for p in sorted(outside.rglob("*")) if p.is_file()} if outside.is_dir() else None
    with pytest.raises(TreeError, match="symbolic link"):
        sync_tree(root, render("dev", version=2), scopes("dev"), force=True)
    if before is not None:
        assert {p: p.read_bytes() for p in sorted(outside.rglob("*")) if p.is_file()} == before
