"""Renders never leave generated/ inconsistent: a module change re-renders every environment in the tree, and a
deleted environment's files are kept (and block module changes) until pruned explicitly."""

from __future__ import annotations

from pathlib import Path

ENV_DIR = "generated/terraform/environments"
MODULE_TEMPLATE = "templates/terraform/modules/networking/main.tf"


def render(run, project: Path, *args: str):
    return run("-C", str(project), "render", *args)


def change_a_module(project: Path) -> None:
    template = project / MODULE_TEMPLATE
    template.write_text(template.read_text() + "\n# a comment that changes the shared module\n")


def test_module_change_re_renders_the_other_environments(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    change_a_module(project)
    result = render(run, project, "dev")
    assert result.exit_code == 0, result.stderr
    assert "the shared modules change: also rendering prod, staging" in result.stderr
    check = run("-C", str(project), "check", "--all")
    assert check.exit_code == 0, check.stderr


def test_no_module_change_renders_only_what_was_asked(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    result = render(run, project, "dev")
    assert result.exit_code == 0 and "also rendering" not in result.stderr


def test_module_change_with_a_kept_deleted_environment_is_refused(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    (project / "specs/staging.yaml").unlink()
    change_a_module(project)
    before = (project / "generated/terraform/modules/networking/main.tf").read_bytes()
    refused = render(run, project, "--all")
    assert refused.exit_code == 2
    assert ("generated/terraform/environments/staging has no spec any more (specs/staging.yaml was deleted) and "
            "cannot be re-rendered" in refused.stderr)
    assert "add --prune staging" in refused.stderr
    assert (project / "generated/terraform/modules/networking/main.tf").read_bytes() == before
    pruned = render(run, project, "--all", "--prune", "staging")
    assert pruned.exit_code == 0, pruned.stderr
    assert not (project / ENV_DIR / "staging").exists()
    assert run("-C", str(project), "check", "--all").exit_code == 0


def test_prune_refuses_environments_with_a_spec_or_without_files(run, project: Path) -> None:
    assert render(run, project, "--all").exit_code == 0
    has_spec = render(run, project, "--all", "--prune", "dev")
    assert has_spec.exit_code == 2 and "environment 'dev' still has a spec" in has_spec.stderr
    nothing = render(run, project, "--all", "--prune", "qa")
    assert nothing.exit_code == 2 and "generated/ has no files of environment 'qa' to prune" in nothing.stderr
