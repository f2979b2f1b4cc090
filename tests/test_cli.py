"""CLI behaviour and the design invariants, end to end on a copy of the real project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, snapshot

ENV_DIR = "generated/terraform/environments"


def render(run, project: Path, *args: str):
    return run("-C", str(project), "render", *args)


def test_render_then_check_is_clean(run, project: Path) -> None:
    first = render(run, project, "dev")
    assert first.exit_code == 0, first.stderr
    assert "create  generated/terraform/environments/dev/main.tf" in first.stderr
    assert first.stdout == ""
    second = render(run, project, "dev")
    assert second.exit_code == 0
    statuses = {line.split()[0] for line in second.stderr.splitlines() if "  generated/" in line}
    assert statuses == {"unchanged"}
    checked = run("-C", str(project), "check", "dev")
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_check_reports_missing_changed_and_extra(run, project: Path) -> None:
    extra_template = project / "templates/terraform/modules/_module_/NOTES.md.j2"
    extra_template.write_text("notes for {{ module.name }}\n")
    assert render(run, project, "--all").exit_code == 0
    extra_template.unlink()
    (project / ENV_DIR / "dev/outputs.tf").unlink()
    main_tf = project / ENV_DIR / "prod/main.tf"
    main_tf.write_text(main_tf.read_text() + "# hand edit\n")
    result = run("-C", str(project), "check", "--all")
    assert result.exit_code == 1
    assert "missing  generated/terraform/environments/dev/outputs.tf" in result.stderr
    assert "changed  generated/terraform/environments/prod/main.tf" in result.stderr
    assert "extra  generated/terraform/modules/networking/NOTES.md" in result.stderr
    assert "-# hand edit" not in result.stdout, "the summary is short: diffs only with --diff"
    assert "prod: 1 changed, 0 missing, 0 extra" in result.stderr and "dev: 0 changed, 1 missing" in result.stderr
    diffs = run("-C", str(project), "check", "--all", "--diff")
    assert "+# hand edit" not in diffs.stdout and "-# hand edit" in diffs.stdout
    as_json = json.loads(run("-C", str(project), "check", "--all", "--json").stdout)
    kinds = {f["path"]: f["kind"] for f in as_json["files"]}
    assert kinds["generated/terraform/environments/dev/outputs.tf"] == "missing"
    assert as_json["status"] == "stale"


def test_hand_edit_is_a_conflict_until_forced(run, project: Path) -> None:
    assert render(run, project, "dev").exit_code == 0
    edited = project / ENV_DIR / "dev/main.tf"
    edited.write_text(edited.read_text() + "# mine\n")
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text().replace("retention_days: 30", "retention_days: 60"))
    before = snapshot(project / "generated")
    result = render(run, project, "dev")
    assert result.exit_code == 3
    assert "conflict  generated/terraform/environments/dev/main.tf" in result.stderr
    assert "# mine" in result.stdout
    assert snapshot(project / "generated") == before  # nothing written, not even the non-conflicting files
    forced = render(run, project, "dev", "--force")
    assert forced.exit_code == 0
    assert "# mine" not in edited.read_text()


USER_FILES = ("terraform.tfvars", ".terraform/providers/x", ".terraform.lock.hcl", "terraform.tfstate",
              "terraform.tfstate.backup", "notes.txt")


def test_user_files_are_never_touched(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    for env in ("dev", "prod", "staging"):
        for name in USER_FILES:
            path = project / ENV_DIR / env / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"user data {env} {name}\n")
    (project / "specs/staging.yaml").unlink()  # staging's generated files are now orphans
    assert render(run, project, "dev", "--force").exit_code == 0
    assert (project / ENV_DIR / "staging/main.tf").exists(), "rendering dev alone never prunes staging"
    stale = run("-C", str(project), "check", "--all")
    assert stale.exit_code == 1 and "staging: specs/staging.yaml was deleted, but its" in stale.stderr
    kept = render(run, project, "--all")
    assert kept.exit_code == 0 and "kept generated/terraform/environments/staging" in kept.stderr
    assert (project / ENV_DIR / "staging/main.tf").exists(), "--all never prunes a deleted environment by itself"
    pruned = render(run, project, "--all", "--prune", "staging")
    assert pruned.exit_code == 0 and "make sure `terraform destroy` ran there first" in pruned.stderr
    assert not (project / ENV_DIR / "staging/main.tf").exists(), "--prune staging removes its generated files"
    for env in ("dev", "prod", "staging"):
        for name in USER_FILES:
            assert (project / ENV_DIR / env / name).read_text() == f"user data {env} {name}\n"


def test_rendering_one_environment_never_prunes_another(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    before = snapshot(project / ENV_DIR / "prod")
    assert render(run, project, "dev").exit_code == 0
    assert snapshot(project / ENV_DIR / "prod") == before


def test_pruning_removes_only_owned_files(run, project: Path) -> None:
    extra = project / "templates/terraform/environments/_env_/extra.tf.j2"
    extra.write_text('locals {\n  extra = "{{ env.name }}"\n}\n')
    assert render(run, project, "dev").exit_code == 0
    (project / ENV_DIR / "dev/mine.tf").write_text("# user file\n")
    extra.unlink()
    result = render(run, project, "dev")
    assert result.exit_code == 0
    assert "remove  generated/terraform/environments/dev/extra.tf" in result.stderr
    assert not (project / ENV_DIR / "dev/extra.tf").exists()
    assert (project / ENV_DIR / "dev/mine.tf").read_text() == "# user file\n"


def test_invalid_spec_writes_nothing_and_exits_2(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    spec = project / "specs/base.yaml"
    spec.write_text(spec.read_text().replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/33"))
    before = snapshot(project / "generated")
    result = render(run, project, "--all")
    assert result.exit_code == 2
    assert "specs/base.yaml:" in result.stderr and "network.vpc_cidr" in result.stderr
    assert snapshot(project / "generated") == before


@pytest.mark.parametrize("name", ["../x", "/etc", "a/b", "Dev", "nope", "baseline", "_x"])
def test_bad_environment_names_exit_2(run, project: Path, name: str) -> None:
    result = render(run, project, name)
    assert result.exit_code == 2
    assert not (project / "generated").exists()


def test_dry_run_writes_nothing(run, project: Path) -> None:
    result = render(run, project, "dev", "--dry-run")
    assert result.exit_code == 0
    assert "create" in result.stderr
    assert not (project / "generated").exists()


def render_in_subprocess(project: Path, seed: str, *envs: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "tfgen.cli", "-C", str(project), "render", *envs], env=env,
                   check=True, capture_output=True)
    return snapshot(project / "generated")


def test_output_is_deterministic_across_hash_seeds(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(project, other)
    assert render_in_subprocess(project, "0", "--all") == render_in_subprocess(other, "12345", "--all")


def test_modules_are_identical_whichever_environment_is_rendered(run, project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(project, other)
    assert render(run, project, "dev").exit_code == 0
    assert render(run, other, "prod").exit_code == 0
    assert snapshot(project / "generated/terraform/modules") == snapshot(other / "generated/terraform/modules")


def test_committed_tree_is_exactly_what_the_specs_render(run, project: Path) -> None:
    """Golden test: the committed generated/ equals a fresh render of every environment. The files that are the
    user's whatever tfgen renders (the roots' committed .terraform.lock.hcl) are not tfgen's output."""
    assert render(run, project, "--all").exit_code == 0
    committed = {path: data for path, data in snapshot(ROOT / "generated").items()
                 if not path.endswith("/.terraform.lock.hcl")}
    assert snapshot(project / "generated") == committed
    assert any(path.endswith("/.terraform.lock.hcl") for path in snapshot(ROOT / "generated"))


def test_show_provenance_and_json(run, project: Path) -> None:
    shown = run("-C", str(project), "show", "dev", "--provenance")
    assert shown.exit_code == 0
    line = next(ln for ln in shown.stdout.splitlines() if ln.startswith("database.multi_az "))
    assert "false" in line and "specs/dev.yaml:" in line
    assert any(ln.startswith("database.monitoring_interval") and "specs/base.yaml" in ln
               for ln in shown.stdout.splitlines())
    doc = json.loads(run("-C", str(project), "show", "prod", "--json").stdout)
    assert doc["environment"]["production"] is True


def test_version_and_help(run) -> None:
    assert run("--version").stdout.startswith("tfgen, version ")
    assert "Examples:" in run("--help").stdout
    assert "Examples:" in run("render", "--help").stdout


@pytest.mark.terraform
def test_generated_tree_is_terraform_fmt_clean(run, project: Path) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform binary not on PATH")
    assert render(run, project, "--all").exit_code == 0
    result = subprocess.run([terraform, "fmt", "-check", "-recursive", "-list=true", "generated"],
                            cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dry_run_reports_a_conflict_with_exit_3(run, project: Path) -> None:
    assert render(run, project, "dev").exit_code == 0
    edited = project / ENV_DIR / "dev/versions.tf"
    edited.write_text(edited.read_text() + "# mine\n")
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text().replace("retention_days: 30", "retention_days: 60"))
    before = snapshot(project / "generated")
    result = render(run, project, "dev", "--dry-run")
    assert result.exit_code == 3
    assert "conflict  generated/terraform/environments/dev/versions.tf" in result.stderr
    assert snapshot(project / "generated") == before


@pytest.mark.parametrize("name", ["Dev.yaml", "my_env.yaml", "qa.yml"])
def test_misnamed_spec_files_are_reported_not_skipped(run, project: Path, name: str) -> None:
    (project / "specs" / name).write_text("extends: base.yaml\n")
    result = run("-C", str(project), "validate", "--all")
    assert result.exit_code == 2
    assert f"specs/{name}:1:1: " in result.stderr


def test_missing_templates_never_prune_the_tree(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    before = snapshot(project / "generated")
    shutil.rmtree(project / "templates")
    result = render(run, project, "--all")
    assert result.exit_code == 2 and "no templates found" in result.stderr
    assert snapshot(project / "generated") == before


def test_file_system_trouble_is_an_error_not_a_traceback(run, project: Path) -> None:
    (project / "generated").write_text("not a directory\n")
    result = render(run, project, "dev")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    as_json = run("-C", str(project), "check", "dev", "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["status"] == "invalid"


def test_new_refuses_names_that_would_be_base_specs(run, project: Path) -> None:
    result = run("-C", str(project), "new", "baseline", "--from", "dev", "--account-id", "123456789012")
    assert result.exit_code == 2 and "reserved" in result.stderr
    assert not (project / "specs/baseline.yaml").exists()


def test_provenance_says_default_for_defaulted_keys(run, project: Path) -> None:
    lines = run("-C", str(project), "show", "dev", "--provenance").stdout.splitlines()
    iops = next(ln for ln in lines if ln.startswith("database.iops "))
    assert iops.endswith("# default")


def test_names_and_all_together_are_refused(run, project: Path) -> None:
    result = render(run, project, "--all", "dev")
    assert result.exit_code == 2 and "not both" in result.stderr
