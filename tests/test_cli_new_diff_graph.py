"""`tfgen new`, `tfgen diff`, `tfgen graph`, help examples and shell completion, on a copy of the project."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from tfgen.cli import main
from tfgen.context import environment_context, project_context
from tfgen.graph import mermaid_for, render_graph
from tfgen.model.schemafile import MODELINE, SCHEMA_PATH
from tfgen.pipeline import render_project, validate_project
from tfgen.spec import load_chain, read_document

ROOT = Path(__file__).resolve().parent.parent


def contexts(project: Path, env: str) -> tuple[dict, dict]:
    spec = next(v.view for v in validate_project(project) if v.spec.env == env)
    return project_context(spec), environment_context(env, spec)


# ---------------------------------------------------------------- tfgen new


def test_new_writes_a_minimal_validated_overlay(run, project: Path) -> None:
    result = run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012")
    assert result.exit_code == 0, result.stderr
    assert "create  specs/qa.yaml" in result.stderr and "tfgen render qa" in result.stderr
    text = (project / "specs/qa.yaml").read_text()
    assert text.splitlines()[0] == MODELINE
    data, _ = read_document(project / "specs/qa.yaml", project)
    assert data["extends"] == "base.yaml"  # what dev.yaml extends, not dev.yaml and not a copy
    assert not {"project", "services", "region", "tags"} & set(data)
    assert data["state"] == {"bucket": None}  # another account: its own state bucket
    assert data["network"] == {"vpc_cidr": "10.1.0.0/16", "public_subnet_cidrs": ["10.1.1.0/24", "10.1.2.0/24"],
                               "private_subnet_cidrs": ["10.1.11.0/24", "10.1.12.0/24"]}  # the first free /16
    base, _, _ = load_chain(project / "specs/base.yaml", project)
    for section, values in data.items():  # every value set is one that differs from the base
        if isinstance(values, dict):
            assert all(base.get(section, {}).get(k) != v for k, v in values.items()), section
    assert data["dns"]["domain"] == "qa.imageunderstander.example.com"
    assert data["database"]["multi_az"] is False  # dev's own choice is carried over
    assert len(text.splitlines()) < len((project / "specs/base.yaml").read_text().splitlines()) / 2
    assert run("-C", str(project), "validate", "qa").exit_code == 0


def test_new_spec_domain_is_unique_and_matches_the_schema(run, project: Path) -> None:
    assert run("-C", str(project), "new", "perf", "--from", "prod", "--account-id", "123456789012").exit_code == 0
    domains = {v.spec.env: v.doc["dns"]["domain"] for v in validate_project(project)}
    assert len(set(domains.values())) == len(domains)
    ranges = [ipaddress.ip_network(v.doc["network"]["vpc_cidr"]) for v in validate_project(project)]
    assert len(ranges) == 4 and not any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1:])
    schema = json.loads((ROOT / SCHEMA_PATH).read_text())
    data, _ = read_document(project / "specs/perf.yaml", project)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_new_refuses_to_overwrite(run, project: Path) -> None:
    before = (project / "specs/prod.yaml").read_bytes()
    result = run("-C", str(project), "new", "prod", "--from", "dev", "--account-id", "123456789012")
    assert result.exit_code == 3
    assert "already exists" in result.stderr
    assert (project / "specs/prod.yaml").read_bytes() == before


@pytest.mark.parametrize("args", [["new", "../evil", "--from", "dev", "--account-id", "123456789012"],
                                  ["new", "qa", "--from", "nope", "--account-id", "123456789012"],
                                  ["new", "Qa", "--from", "dev", "--account-id", "123456789012"]])
def test_new_with_bad_names_exits_2_and_writes_nothing(run, project: Path, args: list[str]) -> None:
    before = sorted(p.name for p in (project / "specs").iterdir())
    result = run("-C", str(project), *args)
    assert result.exit_code == 2
    assert sorted(p.name for p in (project / "specs").iterdir()) == before


def test_new_removes_only_its_own_file_when_validation_fails(run, project: Path) -> None:
    broken = project / "specs/staging.yaml"
    broken.write_text(broken.read_text().replace("retention_days: 60", "retention_days: 61"))
    before = {p.name: p.read_bytes() for p in (project / "specs").iterdir()}
    result = run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012")
    assert result.exit_code == 2
    assert "specs/staging.yaml" in result.stderr
    assert {p.name: p.read_bytes() for p in (project / "specs").iterdir()} == before


def test_new_from_a_spec_without_extends_extends_that_spec(run, project: Path) -> None:
    shutil.copy(project / "specs/base.yaml", project / "specs/solo.yaml")
    solo = project / "specs/solo.yaml"
    solo.write_text(solo.read_text().replace("imageunderstander.example.com", "app.example.org")
                    .replace("bucket: imgu-terraform-state", "bucket: solo-terraform-state")
                    + 'aws:\n  account_id: "444455556666"\n')
    assert run("-C", str(project), "new", "solo2", "--from", "solo", "--account-id", "123456789012").exit_code == 0
    data, _ = read_document(project / "specs/solo2.yaml", project)
    assert data == {"extends": "solo.yaml", "aws": {"account_id": "123456789012"},
                    "dns": {"domain": "solo2.app.example.org"}, "state": {"bucket": None},
                    "network": {"vpc_cidr": "10.1.0.0/16", "public_subnet_cidrs": ["10.1.1.0/24", "10.1.2.0/24"],
                                "private_subnet_cidrs": ["10.1.11.0/24", "10.1.12.0/24"]}}


def test_new_names_its_own_account_and_leaves_the_source_acknowledgements(run, project: Path) -> None:
    missing = run("-C", str(project), "new", "qa", "--from", "dev")  # no terminal to ask on: refused
    assert missing.exit_code == 2 and "--account-id is required" in missing.stderr
    assert not (project / "specs/qa.yaml").exists()
    bad = run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "12345")
    assert bad.exit_code == 2 and re.search(r"specs/qa\.yaml:\d+:\d+: aws\.account_id: '12345' does not match",
                                             bad.stderr), bad.stderr
    assert not (project / "specs/qa.yaml").exists()
    dev = project / "specs/dev.yaml"
    dev.write_text(dev.read_text() + '\nenvironment:\n  acknowledged_changes:\n    network.vpc_cidr: "10.0.0.0/16 -> '
                   '10.10.0.0/16: dev moves to its own range"\n')  # what the bundled dev carried while it moved
    assert run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012").exit_code == 0
    data, _ = read_document(project / "specs/qa.yaml", project)
    assert data["aws"] == {"account_id": "123456789012"} and "environment" not in data
    qa = next(v.doc for v in validate_project(project) if v.spec.env == "qa")
    assert qa["aws"]["account_id"] == "123456789012"


def test_new_asks_for_the_account_on_a_terminal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tfgen.cli.specs as specs_cli

    monkeypatch.setattr(specs_cli, "interactive", lambda: True)
    result = CliRunner().invoke(main, ["-C", str(project), "new", "qa", "--from", "prod"], input="777788889999\n")
    assert result.exit_code == 0, result.output
    assert "AWS account id of qa" in result.output
    data, _ = read_document(project / "specs/qa.yaml", project)
    assert data["aws"] == {"account_id": "777788889999"}


def test_new_environment_renders(run, project: Path) -> None:
    assert run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012").exit_code == 0
    result = render_project(project, ["qa"])
    assert "terraform/environments/qa/main.tf" in result.files
    rendered = run("-C", str(project), "render", "qa")
    assert rendered.exit_code == 0, rendered.stderr
    assert (project / "generated/terraform/environments/qa/main.tf").is_file()


# ---------------------------------------------------------------- tfgen diff


def test_diff_table_and_exit_codes(run, project: Path) -> None:
    different = run("-C", str(project), "diff", "dev", "prod")
    assert different.exit_code == 1
    lines = different.stdout.splitlines()
    assert lines[0].split() == ["path", "dev", "prod", "dev", "from", "prod", "from"]
    assert set(lines[1]) <= {"-", " "}
    row = next(line for line in lines if line.startswith("database.multi_az "))
    assert row.split()[1:3] == ["false", "true"] and "specs/dev.yaml:" in row and "specs/prod.yaml:" in row
    identical = run("-C", str(project), "diff", "dev", "dev")
    assert identical.exit_code == 0 and identical.stdout == ""
    assert "0 difference(s)" in identical.stderr


def test_diff_json_rows(run, project: Path) -> None:
    result = run("-C", str(project), "diff", "dev", "staging", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    rows = {r["path"]: r for r in report["differences"]}
    assert rows["dns.domain"]["a"] == "dev.imageunderstander.example.com"
    assert rows["dns.domain"]["b"] == "staging.imageunderstander.example.com"
    assert rows["dns.domain"]["a_origin"].startswith("specs/dev.yaml:")
    assert "project.name" not in rows


def test_diff_unknown_environment_exits_2(run, project: Path) -> None:
    assert run("-C", str(project), "diff", "dev", "nope").exit_code == 2


# ---------------------------------------------------------------- tfgen graph

MERMAID_EDGE = re.compile(r"^\s*(\w+) -->\|(\d+)\| (\w+)$", re.MULTILINE)
DOT_EDGE = re.compile(r'^\s*(\w+) -> (\w+) \[label="(\d+)"\];$', re.MULTILINE)


def expected_edges(project_ctx: dict) -> set[tuple[str, str, str]]:
    """Every security-group rule of the spec as (source node, target node, port)."""
    def node(group: str | None) -> str:
        return "internet" if group is None else group if group in ("alb", "rds") else f"svc_{group}"

    return {(node(r["source"]), node(r["target"]), str(r["port"])) for r in project_ctx["ingress_rules"]}


@pytest.mark.parametrize("env", ["dev", "prod", "staging"])
def test_graph_has_every_service_and_security_group_edge(run, project: Path, env: str) -> None:
    project_ctx, env_ctx = contexts(project, env)
    edges = expected_edges(project_ctx)
    assert ("internet", "alb", "443") in edges and ("svc_backend", "rds", "3306") in edges
    mermaid = run("-C", str(project), "graph", env)
    dot = run("-C", str(project), "graph", env, "--format", "dot")
    assert mermaid.exit_code == 0 and dot.exit_code == 0
    assert mermaid.stdout.startswith("flowchart LR\n") and dot.stdout.startswith("digraph ")
    assert {(s, t, p) for s, p, t in MERMAID_EDGE.findall(mermaid.stdout)} == edges
    assert set(DOT_EDGE.findall(dot.stdout)) == edges
    for svc in project_ctx["services"]:
        for out in (mermaid.stdout, dot.stdout):
            assert re.search(rf"^\s*svc_{svc['name']}\W.*{svc['name']} :{svc['port']}", out, re.MULTILINE)
    assert mermaid.stdout == mermaid_for(project_ctx, env_ctx)


def test_graph_shows_subnets_per_az_nat_database_vector_store_and_endpoints(run, project: Path) -> None:
    dev = run("-C", str(project), "graph", "dev").stdout
    prod = run("-C", str(project), "graph", "prod").stdout
    for cidr in ("10.10.1.0/24", "10.10.2.0/24", "10.10.11.0/24", "10.10.12.0/24"):  # dev's range (specs/dev.yaml)
        assert cidr in dev
    assert 'subgraph az1["us-east-1a"]' in dev and 'subgraph az2["us-east-1b"]' in dev
    assert dev.count("NAT gateway") == 1 and prod.count("NAT gateway") == 2  # single vs per_az
    assert "private_az2 -.->|egress| nat_az1" in dev and "private_az2 -.->|egress| nat_az2" in prod
    assert 'rds[("RDS MySQL 8.4 :3306' in dev and "single-AZ" in dev and "Multi-AZ" in prod
    assert 'svc_chromadb[("chromadb :8000' in dev  # the vector store is drawn as a data store
    assert "interface: ec2messages, ssm, ssmmessages" in dev and "gateway: s3" in dev


def test_graph_labels_cannot_break_out(project: Path) -> None:
    project_ctx, env_ctx = contexts(project, "dev")
    hostile = 'x"] --> evil["#<b>|'
    project_ctx["services"][0]["description"] = hostile
    mermaid = render_graph(project_ctx, env_ctx, "mermaid")
    dot = render_graph(project_ctx, env_ctx, "dot")
    assert hostile not in mermaid and "#quot;] --#gt; evil[#quot;#35;#lt;b#gt;#124;" in mermaid
    assert '\\"] --> evil[\\"#<b>|' in dot
    assert not any(line.strip().startswith("evil") for line in mermaid.splitlines())


def test_graph_dot_is_valid_graphviz(run, project: Path) -> None:
    dot_binary = shutil.which("dot")
    if dot_binary is None:
        pytest.skip("graphviz `dot` not on PATH")
    source = run("-C", str(project), "graph", "prod", "--format", "dot").stdout
    result = subprocess.run([dot_binary, "-Tsvg"], input=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- help and completion


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_help_shows_examples(run, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"tfgen {command}" in result.stdout


def test_main_help_documents_completion_and_exit_codes(run) -> None:
    out = run("--help").stdout
    for shell in ("bash", "zsh", "fish"):
        assert f"_TFGEN_COMPLETE={shell}_source tfgen" in out
    assert "tfgen new qa --from dev" in out and "tfgen graph prod" in out
    codes = dict(re.findall(r"^ +(\d+) +(\S.*)$", out[out.index("Exit codes:"):], re.MULTILINE))
    assert {code: int(code) for code in codes} == {str(c): c for c in (0, 1, 2, 3, 70, 130)}
    assert "conflict" in codes["3"] and "internal error" in codes["70"] and "interrupted" in codes["130"]


def complete(project: Path, words: str) -> list[str]:
    """What bash completion offers for the last word of `words` (click's bash_complete protocol)."""
    parts = words.split(" ")
    env = {"_TFGEN_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = CliRunner().invoke(main, [], env=env, prog_name="tfgen", catch_exceptions=False)
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_environment_names_complete_from_specs(project: Path) -> None:
    (project / "specs/qa.yaml").write_text("extends: base.yaml\n")
    assert complete(project, f"tfgen -C {project} render ") == ["dev", "prod", "qa", "staging"]
    assert complete(project, f"tfgen -C {project} diff dev s") == ["staging"]
    assert complete(project, f"tfgen -C {project} graph p") == ["prod"]
    assert complete(project, f"tfgen -C {project} new x --from d") == ["dev"]
    assert "graph" in complete(project, "tfgen g") and "new" in complete(project, "tfgen n")


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F"), ("zsh", "compdef"),
                                               ("fish", "complete --no-files --command tfgen")])
def test_completion_scripts_are_generated(shell: str, marker: str) -> None:
    """The lines documented in --help and docs/getting-started.md produce a script for each shell."""
    env = {"_TFGEN_COMPLETE": f"{shell}_source"}
    result = CliRunner().invoke(main, [], env=env, prog_name="tfgen", catch_exceptions=False)
    assert result.exit_code == 0 and marker in result.stdout and "_TFGEN_COMPLETE" in result.stdout


def test_new_on_a_full_disk_names_the_file_and_leaves_nothing(run, project: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 23: ENOSPC while writing the new spec said only "No space left on device"."""
    import errno
    import os

    real_fdopen = os.fdopen

    class FullDisk:
        """A file opened for writing whose every write fails as on a full disk; reads are untouched."""

        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def __getattr__(self, name: str):
            return getattr(self.handle, name)

        def write(self, data) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd: int, mode: str = "r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return FullDisk(handle) if "w" in mode else handle

    before = sorted(p.name for p in (project / "specs").iterdir())
    monkeypatch.setattr("tfgen.newenv.os.fdopen", fdopen)
    result = run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012")
    assert result.exit_code == 2, result.stderr
    assert "specs/qa.yaml: No space left on device while writing it" in result.stderr
    assert sorted(p.name for p in (project / "specs").iterdir()) == before
