"""The CI workflows (.github/workflows): they are valid GitHub Actions workflows (vendored SchemaStore schema),
every job has a timeout, actions are pinned by SHA, Terraform comes from .terraform-version, every `make`
target they call exists, the consumer workflow never runs tfgen's own suite, the plan is saved and summarised,
and the drift job plans with -detailed-exitcode."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github/workflows"
WORKFLOW = WORKFLOWS / "terraform.yml"
DRIFT = WORKFLOWS / "terraform-drift.yml"
DEVELOPMENT = WORKFLOWS / "tfgen-development.yml"
SCHEMAS = ROOT / "tests/fixtures/schemas"
TARGET_LINE = re.compile(r"^([A-Za-z0-9_./-]+(?:[ \t]+[A-Za-z0-9_./-]+)*)[ \t]*::?(?!=)")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*[:?]?=[ \t]*(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$", re.MULTILINE)


def load(path: Path = WORKFLOW) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """PyYAML (YAML 1.1) reads the `on:` key as the boolean True."""
    return workflow.get("on", workflow.get(True))


def as_actions_json(workflow: dict[str, Any]) -> dict[str, Any]:
    """The document as GitHub reads it (YAML 1.2: `on` is a string key), for the JSON schema."""
    return {("on" if key is True else key): value for key, value in workflow.items()}


def makefile_targets(text: str) -> set[str]:
    """Explicit targets of a Makefile (rule lines and .PHONY), ignoring recipes, comments and assignments."""
    targets: set[str] = set()
    variables: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
        assignment = ASSIGNMENT.match(line)
        if assignment:
            variables[assignment.group(1)] = assignment.group(2).strip()
            continue
        match = TARGET_LINE.match(line)
        if match:
            targets.update(match.group(1).split())
    return targets


MAKE_COMMAND = re.compile(r"(?:^|&&|\|\||[;|(])[ \t]*make((?:[ \t]+[^\s;&|)#]+)*)", re.MULTILINE)


def make_targets_in(script: str) -> list[str]:
    """Targets named by every `make ...` command of a shell script (options and VAR=value skipped)."""
    words = [w for match in MAKE_COMMAND.finditer(script) for w in match.group(1).split()]
    return [w for w in words if not w.startswith("-") and "=" not in w]


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def runs_of(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in all_steps(workflow))


ALL_WORKFLOWS = sorted(WORKFLOWS.glob("*.yml"))


def test_makefile_target_parser() -> None:
    text = "A := 1\n.PHONY: a b\na: dep ## help\n\t@make c\nb c:\n$(X)/bin/y:\nx ?= 2\n# d:\nV := .v\n$(V)/s: p\n"
    assert makefile_targets(text) == {".PHONY", "a", "b", "c", ".v/s"}
    assert make_targets_in("make lint && make test ENV=dev -j2; echo make it\n  make e2e") == ["lint", "test", "e2e"]
    assert make_targets_in('print("make sure")\nx = "a" # make bench') == []


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in ALL_WORKFLOWS} >= {WORKFLOW.name, DRIFT.name, DEVELOPMENT.name}


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_actions_schema(path: Path) -> None:
    """SchemaStore's github-workflow schema plus check-jsonschema's every-job-has-a-timeout schema (vendored)."""
    document = as_actions_json(load(path))
    for name in ("github-workflow.json", "github-workflow-require-timeout.json"):
        schema = json.loads((SCHEMAS / name).read_text())
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.path))
        assert not errors, f"{path.name} vs {name}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors)


def test_schema_check_catches_a_broken_workflow() -> None:
    """The schema test can fail: a job without runs-on/timeout and a step that both runs and uses."""
    broken = {"on": {"push": {}}, "jobs": {"x": {"steps": [{"run": "true", "uses": "a/b@v1"}]}}}
    for name in ("github-workflow.json", "github-workflow-require-timeout.json"):
        schema = json.loads((SCHEMAS / name).read_text())
        assert list(jsonschema.Draft7Validator(schema).iter_errors(broken)), name


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_steps_and_a_timeout(path: Path) -> None:
    workflow = load(path)
    assert workflow["name"] and workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), name
        assert isinstance(job.get("timeout-minutes"), int) and 0 < job["timeout-minutes"] <= 60, name
        assert job.get("steps"), f"job {name} has no steps"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), f"{name}: a step either runs or uses"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_sha_with_the_release_in_a_comment(path: Path) -> None:
    lines = USES_LINE.findall(path.read_text())
    assert lines, path.name
    for ref, comment in lines:
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit SHA"
        assert re.fullmatch(r"#\s*v\d+\.\d+\.\d+", comment.strip()), f"{path.name}: {ref} needs a `# vX.Y.Z`"


def test_one_action_one_sha() -> None:
    """The same action is pinned to the same commit in every workflow (one upgrade, one diff)."""
    seen: dict[str, set[str]] = {}
    for path in ALL_WORKFLOWS:
        for ref, comment in USES_LINE.findall(path.read_text()):
            action, sha = ref.split("@")
            seen.setdefault(action, set()).add(f"{sha} {comment.strip()}")
    assert {a: s for a, s in seen.items() if len(s) > 1} == {}


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_terraform_version_comes_from_the_version_file(path: Path) -> None:
    """No workflow hard-codes a Terraform version: setup-terraform gets the value read from .terraform-version."""
    workflow = load(path)
    setups = [s for s in all_steps(workflow) if s.get("uses", "").startswith("hashicorp/setup-terraform@")]
    text = path.read_text()
    assert not re.search(r"terraform_version:\s*['\"]?\d", text), path.name
    assert "TERRAFORM_VERSION" not in text, path.name
    for step in setups:
        assert re.fullmatch(r"\$\{\{ (needs\.[\w-]+|steps)\.(outputs\.)?[\w.-]*version \}\}",
                            step["with"]["terraform_version"]), step
        assert step["with"]["terraform_wrapper"] is False
    if setups:
        assert "< .terraform-version" in runs_of(workflow)


def test_every_referenced_make_target_exists() -> None:
    targets = makefile_targets((ROOT / "Makefile").read_text())
    referenced = {t for path in ALL_WORKFLOWS for t in make_targets_in(runs_of(load(path)))}
    assert {"lint", "test", "security"} <= referenced
    assert sorted(referenced - targets) == []


def test_consumer_workflow_does_not_run_tfgens_own_suite() -> None:
    runs = runs_of(load())
    assert "make test" not in runs and "pytest" not in runs and "make lint" not in runs
    dev_runs = runs_of(load(DEVELOPMENT))
    assert "make test" in dev_runs and "make lint" in dev_runs
    paths = triggers(load(DEVELOPMENT))["pull_request"]["paths"]
    assert "tfgen/**" in paths and not any(p.startswith("specs") or p.startswith("generated") for p in paths)


def test_tfgen_job_checks_the_tree_with_annotations() -> None:
    runs = "\n".join(step.get("run", "") for step in load()["jobs"]["tfgen"]["steps"])
    assert "tfgen check --all --json" in runs and "::error" in runs


def test_environment_matrix_comes_from_the_tfgen_job() -> None:
    spec = load()["jobs"]["terraform"]
    assert "tfgen" in spec["needs"]
    assert spec["strategy"]["matrix"]["env"] == "${{ fromJSON(needs.tfgen.outputs.environments) }}"
    assert "needs.tfgen.outputs.environments != '[]'" in spec["if"]  # an empty matrix is an error on GitHub
    assert "environments/${{ matrix.env }}" in spec["defaults"]["run"]["working-directory"]


@pytest.mark.parametrize("job", ["plan", "apply"])
def test_plan_and_apply_matrices_are_the_checked_environments_with_their_roles(job: str) -> None:
    spec = load()["jobs"][job]
    assert "tfgen" in spec["needs"] and "terraform" in spec["needs"]
    assert spec["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.tfgen.outputs.deploy) }}"
    assert "needs.tfgen.outputs.deploy != '[]'" in spec["if"]
    step = _envs_step()
    assert "scripts/ci_plan.py matrix" in step["run"] and "deploy=" in step["run"]


def test_terraform_job_checks_fmt_init_validate_offline() -> None:
    runs = [step.get("run", "") for step in load()["jobs"]["terraform"]["steps"]]
    assert any(r.startswith("terraform fmt -check -recursive") for r in runs)
    assert "terraform init -backend=false -input=false" in runs
    assert any(r.startswith("terraform validate") for r in runs)


def test_checkov_job_runs_checkov_from_a_cached_virtualenv() -> None:
    steps = load()["jobs"]["checkov"]["steps"]
    assert "make security" in [step.get("run", "") for step in steps]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".venv-checkov"
    assert "hashFiles('Makefile')" in cache["with"]["key"] and "python-version" in cache["with"]["key"]
    assert "CHECKOV_VERSION :=" in (ROOT / "Makefile").read_text()  # the key follows the pin


@pytest.mark.parametrize("job, role", [("plan", "plan_role"), ("apply", "apply_role")])
def test_plan_and_apply_use_the_oidc_role_of_the_environments_account(job: str, role: str) -> None:
    spec = load()["jobs"][job]
    assert spec["permissions"]["id-token"] == "write"
    creds = next(s for s in spec["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert creds["with"]["role-to-assume"] == f"${{{{ matrix.{role} }}}}"
    assert creds["with"]["aws-region"] == "${{ matrix.region }}"
    assert creds["if"] in ("env.CAN_PLAN == 'true'", "env.HAS_ROLE == 'true'")  # no role: skipped, not failed
    assert not any("secrets." in str(step) for step in spec["steps"])  # no long-lived keys


def test_plan_is_skipped_for_forks_which_get_no_oidc_token() -> None:
    assert "github.event.pull_request.head.repo.full_name == github.repository" in load()["jobs"]["plan"]["env"][
        "CAN_PLAN"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in load()["jobs"]["comment"]["if"]


def test_apply_runs_on_the_default_branch_behind_an_environment_one_at_a_time() -> None:
    workflow = load()
    job = workflow["jobs"]["apply"]
    assert "github.event_name == 'push'" in job["if"]
    assert "github.ref_name == github.event.repository.default_branch" in job["if"]
    assert job["environment"] == "${{ matrix.env }}"
    assert job["concurrency"] == {"group": "tfgen-apply-${{ matrix.env }}", "cancel-in-progress": False}
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    names = [s.get("name") for s in job["steps"]]
    order = ["terraform plan", "Application secret is not regenerated", "The plan is the reviewed one",
             "terraform apply"]
    assert [n for n in names if n in order] == order  # the digest check comes before the apply
    assert "ci_plan.py verify" in job["steps"][names.index("The plan is the reviewed one")]["run"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "read"}


def test_the_comment_job_alone_may_write_to_the_pull_request() -> None:
    for path in ALL_WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            writes = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
            expected = {("terraform.yml", "comment"): {"pull-requests"}, ("release.yml", "release"): {"contents"}}
            assert writes - {"id-token"} == expected.get((path.name, name), set()), f"{path.name}:{name}"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_a_run_script_and_no_persisted_credentials(path: Path) -> None:
    """Untrusted values reach scripts only through env: (zizmor's template-injection); checkouts keep no token."""
    for step in all_steps(load(path)):
        assert "${{" not in step.get("run", ""), step.get("name")
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, step


def test_plan_is_summarised_and_only_values_free_files_are_uploaded() -> None:
    steps = load()["jobs"]["plan"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "terraform plan" in runs and "-out=tfplan" in runs
    assert "scripts/plan_summary.py" in runs and '>> "$GITHUB_STEP_SUMMARY"' in runs
    assert "ci_plan.py section" in runs and "tfgen impact" in runs and "tfgen check" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    paths = upload["with"]["path"].split("\n")
    assert {p.rsplit("/", 1)[1] for p in paths if p} == {"tfplan.txt", "plan-summary.json", "plan-comment.md"}
    assert (ROOT / "scripts/plan_summary.py").is_file()


def test_drift_runs_on_a_schedule_per_environment_with_detailed_exitcode() -> None:
    workflow = load(DRIFT)
    assert triggers(workflow)["schedule"][0]["cron"]
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.environments.outputs.deploy) }}"
    assert "needs.environments.outputs.deploy != '[]'" in job["if"] and job["permissions"]["id-token"] == "write"
    assert "ci_plan.py matrix" in runs_of(workflow)  # names checked, never a directory listing
    runs = runs_of(workflow)
    assert "terraform plan" in runs and "-detailed-exitcode" in runs
    assert '"$status" -eq 2' in runs and "GITHUB_STEP_SUMMARY" in runs


def test_workflow_default_permissions_are_read_only() -> None:
    for path in ALL_WORKFLOWS:
        assert load(path)["permissions"] == {"contents": "read"}, path.name


def _envs_step() -> dict[str, Any]:
    return next(s for s in load()["jobs"]["tfgen"]["steps"] if s.get("id") == "envs")


def test_plan_matrix_is_built_with_tfgen_affected() -> None:
    step = _envs_step()
    assert "tfgen affected --since" in step["run"] and "--json" in step["run"]
    checkout = load()["jobs"]["tfgen"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # the base revision must be in the clone


def test_readme_ci_section_shows_the_comment_the_apply_job_and_the_github_settings() -> None:
    """The front door says what CI does and what a team sets up once; docs/ci.md has the whole story."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## In CI: plan on the pull request, apply on merge", 1)[1].split("\n## ", 1)[0]
    for phrase in ("one comment", "apply <env>", "Set up once in GitHub", "required reviewers",
                   "TFGEN_APPLY_ROLE_NAME", "docs/ci.md"):
        assert phrase in section, phrase
    docs = (ROOT / "docs/ci.md").read_text()
    ci = docs.split("## CI workflow (GitHub Actions)", 1)[1].split("\n## Which environments changed", 1)[0]
    for phrase in ("**The pull-request comment.**", "**The apply job.**", "**Set up once in GitHub**",
                   "## tfgen: plan and impact", "required reviewers", "TFGEN_APPLY_ROLE_NAME"):
        assert phrase in ci, phrase
    assert {p.name for p in ALL_WORKFLOWS} <= set(re.findall(r"`([\w-]+\.yml)`", ci))
    assert "### One-time GitHub settings" in docs and "Required reviewers" in docs and "Branch protection" in docs
