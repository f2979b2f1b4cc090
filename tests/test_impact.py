"""`tfgen impact` and the history check of render/validate, against a real git repository of the project.

Each known-destructive change is committed-then-edited in a throwaway repository, and each test shows the
error text (exit 2 for render/validate, 1 for impact), the acknowledgement (spec entry or --acknowledge) and
the warning it then prints.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from tfhelpers import copy_project

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def repo(tmp_path: Path, run) -> Path:
    """The project with prod's database at 100 GiB, rendered and committed: HEAD is the deployed state."""
    root = copy_project(tmp_path / "repo")
    edit(root / "specs/prod.yaml", "database:\n", "database:\n  allocated_storage_gb: 100\n"
                                                  "  max_allocated_storage_gb: 200\n")
    assert run("-C", str(root), "render", "--all").exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    return root


def impact(run, root: Path, *args: str):
    return run("-C", str(root), "impact", *args)


def acknowledge_in_spec(spec: Path, key: str, reason: str) -> None:
    text = spec.read_text()
    if "\nenvironment:\n" in text:
        text = text.replace("\nenvironment:\n", f"\nenvironment:\n  acknowledged_changes:\n    {key}: \"{reason}\"\n")
    else:
        text += f"\nenvironment:\n  acknowledged_changes:\n    {key}: \"{reason}\"\n"
    spec.write_text(text)


# (rule id, spec edits [(file, old, new)], environment, key, text of the error)
DESTRUCTIVE = [
    ("storage_shrink", [("prod.yaml", "allocated_storage_gb: 100", "allocated_storage_gb: 50")], "prod",
     "database.allocated_storage_gb", "shrinks the database storage from 100 to 50 GiB: RDS storage can only grow"),
    ("storage_shrink", [("base.yaml", "size_gb: 100", "size_gb: 80")], "dev",
     "services.chromadb.data_volume.size_gb", "shrinks the chromadb data volume from 100 to 80 GiB"),
    ("region_change", [("base.yaml", "region: us-east-1\n\nstate", "region: eu-west-1\n\nstate"),
                       ("base.yaml", "[us-east-1a, us-east-1b]", "[eu-west-1a, eu-west-1b]")], "dev", "region",
     "moves the environment from us-east-1 to eu-west-1: every regional resource"),
    ("vpc_cidr_change", [("base.yaml", "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/17")], "prod",
     "network.vpc_cidr", "changes the VPC CIDR from 10.0.0.0/16 to 10.0.0.0/17: the VPC is replaced"),
    ("engine_downgrade", [("base.yaml", 'engine_version: "8.4"', 'engine_version: "8.0.40"')], "prod",
     "database.engine_version", "downgrades MySQL from 8.4 to 8.0.40: RDS cannot downgrade"),
    # prod: it names its state bucket, so a new project name moves no state (dev's bucket is named after it)
    ("db_identifier_change", [("base.yaml", "name: imageunderstander\n", "name: imgunderstander\n")], "prod",
     "project.name", "renames the database identifier from imageunderstander-prod-mysql to imgunderstander-prod-mysql"),
    ("bucket_prefix_change", [("base.yaml", "name: imageunderstander\n", "name: imgunderstander\n")], "prod",
     "project.name", "changes the uploads bucket prefix from imageunderstander-prod-uploads- to"),
    ("data_volume_az_change", [("base.yaml", "    instance_type: g5.xlarge\n",
                                "    instance_type: g5.xlarge\n    availability_zone: us-east-1b\n")],
     "dev", "services.llm.availability_zone",
     "moves service llm from us-east-1a to us-east-1b while it has a data volume"),
    ("state_bucket_change", [("base.yaml", "bucket: imgu-terraform-state", "bucket: imgu-state-v2")], "prod",
     "state.bucket", "moves the state from bucket imgu-terraform-state to imgu-state-v2"),
]


def apply_edits(root: Path, edits: list[tuple[str, str, str]]) -> None:
    for name, old, new in edits:
        edit(root / "specs" / name, old, new)


@pytest.mark.parametrize("rule, edits, env, key, text", DESTRUCTIVE, ids=[f"{d[0]}-{d[2]}" for d in DESTRUCTIVE])
def test_known_destructive_change_is_an_error_until_acknowledged(run, repo: Path, rule: str, edits: list,
                                                                 env: str, key: str, text: str) -> None:
    apply_edits(repo, edits)
    before = git(repo, "status", "--porcelain")
    refused = run("-C", str(repo), "render", env)
    assert refused.exit_code == 2, refused.stderr
    line = next(ln for ln in refused.stderr.splitlines() if text in ln)
    assert re.match(rf"specs/\w+\.yaml:\d+:\d+: {re.escape(key)}: ", line), line
    approved = re.search(rf'environment\.acknowledged_changes\.{re.escape(key)}: "(.+?): <reason>"', line)
    assert approved and f"--acknowledge {env}:{key}=" in line, line
    assert git(repo, "status", "--porcelain") == before, "a refused render writes nothing"
    assert run("-C", str(repo), "validate", env).exit_code == 2

    listed = impact(run, repo, env, "--json")
    assert listed.exit_code == 1
    report = json.loads(listed.stdout)
    finding = next(f for f in report["environments"][0]["findings"] if f["rule"] == rule and text in f["message"])
    assert finding["key"] == key and finding["blocking"]

    flag = run("-C", str(repo), "render", env, "--acknowledge", f"{env}:{key}")
    assert flag.exit_code == 0, flag.stderr
    assert f"warning: {env}: {key}: destructive change acknowledged on the command line" in flag.stderr

    acknowledge_in_spec(repo / "specs" / f"{env}.yaml", key, f"{approved[1]}: intended: migration plan OPS-42")
    again = run("-C", str(repo), "render", env)
    assert again.exit_code == 0, again.stderr
    assert (f"warning: {env}: destructive change of {key} ({approved[1]}) acknowledged: intended: migration plan "
            "OPS-42" in again.stderr)
    acknowledged = json.loads(impact(run, repo, env, "--json").stdout)
    assert {f["acknowledged"] for f in acknowledged["environments"][0]["findings"]} == {
        "intended: migration plan OPS-42"}


def test_deleting_an_environment_spec_is_destructive_until_acknowledged(run, repo: Path) -> None:
    (repo / "specs/staging.yaml").unlink()
    listed = impact(run, repo, "--all")
    assert listed.exit_code == 1
    assert ("ERROR [environment_deleted] specs/staging.yaml:1:1: deletes the spec of environment 'staging'"
            in listed.stdout)
    assert "--acknowledge staging:environment" in listed.stdout
    assert "STATEFUL module.database.aws_db_instance.main" in listed.stdout
    assert impact(run, repo, "--all", "--acknowledge", "staging:environment").exit_code == 0

    refused = run("-C", str(repo), "render", "--all")
    assert refused.exit_code == 2 and "deletes the spec of environment 'staging'" in refused.stderr
    assert "run `terraform destroy` in generated/terraform/environments/staging first" in refused.stderr
    assert run("-C", str(repo), "validate", "--all").exit_code == 2
    kept = run("-C", str(repo), "render", "--all", "--acknowledge", "staging:environment")
    assert kept.exit_code == 0 and "kept generated/terraform/environments/staging" in kept.stderr
    assert (repo / "generated/terraform/environments/staging/main.tf").is_file()
    pruned = run("-C", str(repo), "render", "--all", "--prune", "staging")
    assert pruned.exit_code == 0 and "make sure `terraform destroy` ran there first" in pruned.stderr
    assert not (repo / "generated/terraform/environments/staging").exists()


def test_growing_storage_is_an_update_not_a_finding(run, repo: Path) -> None:
    edit(repo / "specs/prod.yaml", "allocated_storage_gb: 100", "allocated_storage_gb: 150")
    result = impact(run, repo, "prod", "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    env = report["environments"][0]
    assert env["findings"] == []
    stateful = [r for r in env["resources"] if r["stateful"]]
    assert stateful == [{"address": "module.database.aws_db_instance.main", "action": "update", "stateful": True,
                         "key": "database.allocated_storage_gb", "old": 100, "new": 150, "blocking": False}]
    assert report["status"] == "ok" and report["summary"]["blocking"] == 0
    assert report["summary"]["replace"] == report["summary"]["destroy"] == 0


def test_stateful_destroy_blocks_until_acknowledged(run, repo: Path) -> None:
    edit(repo / "specs/staging.yaml", "create_hosted_zone: true", "create_hosted_zone: false")
    result = impact(run, repo, "staging")
    assert result.exit_code == 1
    assert re.search(r"- destroy +STATEFUL module.route53\[0\].aws_route53_zone.main +dns.create_hosted_zone: "
                     r"true -> false +<< destructive, not acknowledged", result.stdout), result.stdout
    assert impact(run, repo, "staging", "--acknowledge", "staging:dns.create_hosted_zone").exit_code == 0


def test_unchanged_specs_exit_zero_and_name_the_commit(run, repo: Path) -> None:
    result = impact(run, repo, "--all")
    assert result.exit_code == 0
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert result.stdout.startswith(f"impact of the working tree's specs against HEAD ({commit[:12]})")
    assert "== dev: unchanged" in result.stdout and "summary: 0 to create" in result.stdout


def test_since_reads_an_older_revision_and_added_specs(run, repo: Path) -> None:
    (repo / "specs/qa.yaml").write_text((repo / "specs/dev.yaml").read_text().replace(
        "dev.imageunderstander", "qa.imageunderstander"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "qa")
    result = impact(run, repo, "qa", "--since", "HEAD~1", "--json")
    assert result.exit_code == 0, result.stdout
    env = json.loads(result.stdout)["environments"][0]
    assert env["status"] == "added" and env["findings"] == []
    assert {r["action"] for r in env["resources"]} == {"create"}
    assert git(repo, "status", "--porcelain") == "", "reading a revision never touches the checkout"


@pytest.mark.parametrize("args, message", [
    (("--all", "--since", "no-such-branch"), "unknown git revision 'no-such-branch'"),
    (("--all", "--since", "--help"), "not a git revision: '--help'"),
    (("--all", "--acknowledge", "prod"), "'prod' is not ENV:KEY"),
    (("nope",), "no spec for environment 'nope', neither now nor at the revision"),
])
def test_bad_input_exits_2(run, repo: Path, args: tuple[str, ...], message: str) -> None:
    result = impact(run, repo, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_outside_a_git_repository_is_a_clear_error(run, project: Path) -> None:
    result = impact(run, project, "--all", "--json")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "invalid" and report["environments"] == [] and report["problems"]


def test_render_outside_git_skips_the_history_check(run, project: Path) -> None:
    assert run("-C", str(project), "render", "dev").exit_code == 0


def test_markdown_table_for_job_summaries(run, repo: Path) -> None:
    edit(repo / "specs/base.yaml", "size_gb: 50", "size_gb: 60")
    result = impact(run, repo, "dev", "--format", "markdown")
    assert result.exit_code == 0
    assert '| update | `module.compute.aws_ebs_volume.data["llm"]` | **yes** | ' \
           'services.llm.data_volume.size_gb: 50 -> 60 |' in result.stdout


def test_pull_requests_run_impact_against_the_base_and_summarise_it() -> None:
    import yaml

    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / ".github/workflows/terraform.yml").read_text())
    job = workflow["jobs"]["impact"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["steps"][0]["with"]["fetch-depth"] == 0, "the base revision must be fetched"
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert '.venv/bin/tfgen impact --all --since "origin/$BASE_REF" --json > tfgen-impact.json || status=$?' in script
    assert '--format markdown >> "$GITHUB_STEP_SUMMARY"' in script
    assert script.rstrip().endswith('exit "$status"'), "an unacknowledged destructive change fails the job"


def test_a_template_change_that_changes_no_resource_changes_nothing(run, repo: Path) -> None:
    template = repo / "templates/terraform/modules/networking/main.tf"
    template.write_text(template.read_text() + "\n# changed\n")
    result = impact(run, repo, "--all", "--json")
    assert result.exit_code == 0
    assert all(env["resources"] == [] for env in json.loads(result.stdout)["environments"])
