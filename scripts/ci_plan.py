#!/usr/bin/env python3
"""The logic of the plan-on-pull-request / apply-on-merge loop of .github/workflows/terraform.yml, out of the
workflow's YAML so that tests run it offline (with stub `terraform`, `gh` and a real `tfgen`).

    ci_plan.py matrix   --tfgen .venv/bin/tfgen [--affected-json FILE | --all]    environments -> job matrix
    ci_plan.py hash     PLAN_JSON                                                 normalised plan digest
    ci_plan.py section  --env E --plan-json F [--impact-md F] [--impact-status N] [--note TEXT] --out F
    ci_plan.py comment  --repo O/R --pr N SECTION_DIR                             one comment, updated in place
    ci_plan.py verify   --repo O/R --sha SHA --env E PLAN_JSON                    plan == the reviewed one?

Standard library only (the runner's python3). Untrusted values (environment names from the tree, branch names)
arrive as arguments or files, never inside code; every environment name is checked against ENV_NAME before
it is used. Exit status: 0 ok, 1 refused (unknown or changed plan, invalid environment name), 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_summary import headline, markdown, summarise  # noqa: E402

# tfgen's own rule for environment names (tfgen/spec.py ENV_NAME_RE): also a safe GitHub environment name,
# artifact name, concurrency group and path component.
ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")
MARKER = "<!-- tfgen-plan-comment -->"
BOT = "github-actions[bot]"
HASH_LINE = re.compile(r"^<!-- tfgen-plan-hash env=([a-z][a-z0-9-]{0,19}) sha256=([0-9a-f]{64}) -->$", re.MULTILINE)
COMMENT_LIMIT = 60_000  # GitHub refuses a comment over 65,536 characters


class Refused(Exception):
    """A check the workflow must not pass: the message says what to do."""


def valid_env(name: str) -> str:
    if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
        raise Refused(f"{name!r} is not a valid environment name (1-20 lowercase letters, digits or hyphens, "
                      "starting with a letter)")
    return name


# --- matrix -------------------------------------------------------------------------------------------------------

def _tfgen_json(tfgen: str, *args: str) -> Any:
    out = subprocess.run([tfgen, *args], capture_output=True, text=True, check=True, timeout=300).stdout
    return json.loads(out)


def role_arn(spec: dict[str, Any], kind: str) -> str:
    """The OIDC role of *kind* (plan or apply) for the environment's account: arn:aws:iam::<aws.account_id>:role/
    <TFGEN_{KIND}_ROLE_NAME> when both are set, else the repository-wide AWS_{KIND}_ROLE_ARN ("" when neither is:
    the jobs that need AWS skip that environment)."""
    account = (spec.get("aws") or {}).get("account_id")
    name = os.environ.get(f"TFGEN_{kind.upper()}_ROLE_NAME", "")
    if account and name:
        if not re.fullmatch(r"[A-Za-z0-9+=,.@_/-]{1,512}", name):
            raise Refused(f"TFGEN_{kind.upper()}_ROLE_NAME {name!r} is not an IAM role name")
        return f"arn:aws:iam::{account}:role/{name}"
    return os.environ.get(f"AWS_{kind.upper()}_ROLE_ARN", "")


def matrix(tfgen: str, names: list[str]) -> dict[str, Any]:
    """One row per environment: name, region, production flag and the plan/apply roles of its account."""
    rows = []
    for name in sorted({valid_env(n) for n in names}):
        spec = _tfgen_json(tfgen, "show", name, "--json")
        rows.append({"env": name, "region": spec.get("region") or "us-east-1",
                     "production": bool((spec.get("environment") or {}).get("production")),
                     "plan_role": role_arn(spec, "plan"), "apply_role": role_arn(spec, "apply")})
    return {"environments": [r["env"] for r in rows], "include": rows}


def affected_names(path: Path | None) -> list[str]:
    """The environments of `tfgen affected --json`, or every spec that is not a base (names checked later)."""
    if path is None:
        spec_dir = Path("specs")
        return [p.stem for p in sorted(spec_dir.glob("*.yaml")) if not p.stem.startswith(("_", "base"))]
    return list(json.loads(path.read_text(encoding="utf-8"))["environments"])


# --- the plan digest ----------------------------------------------------------------------------------------------

CHANGE_KEYS = ("actions", "before", "after", "after_unknown", "before_sensitive", "after_sensitive",
               "replace_paths", "importing")


def normalise(plan: dict[str, Any]) -> dict[str, Any]:
    """What an apply of the plan would do, without what varies between two plans of the same change (the
    timestamp, Terraform's version, prior state, drift, check results): the resource and output changes."""
    resources = []
    for rc in plan.get("resource_changes", []):
        change = rc.get("change", {})
        if change.get("actions") == ["no-op"]:
            continue
        resources.append({"address": rc.get("address"), "previous_address": rc.get("previous_address"),
                          **{k: change.get(k) for k in CHANGE_KEYS}})
    outputs = {name: {k: oc.get(k) for k in ("actions", "before", "after", "after_unknown")}
               for name, oc in (plan.get("output_changes") or {}).items() if oc.get("actions") != ["no-op"]}
    return {"resource_changes": sorted(resources, key=lambda r: str(r["address"])), "output_changes": outputs}


def plan_hash(plan: dict[str, Any]) -> str:
    canonical = json.dumps(normalise(plan), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- the pull-request comment -------------------------------------------------------------------------------------

def section(env: str, plan: dict[str, Any] | None, impact_md: str, impact_status: int, note: str) -> str:
    """One environment's part of the comment: the hidden digest line, the plan table, the impact report."""
    lines = []
    if plan is not None:
        lines += [f"<!-- tfgen-plan-hash env={env} sha256={plan_hash(plan)} -->",
                  markdown(env, "terraform plan", summarise(plan), None).rstrip("\n"), ""]
    else:
        lines += [f"### terraform plan {env}", "", f"_No plan: {note or 'no AWS role for this environment'}._", ""]
    if impact_status == 1:
        lines.append(f"**Blocked: {env} has an unacknowledged destructive change** (acknowledge it under "
                     f"`environment.acknowledged_changes` in `specs/{env}.yaml`, with a reason).")
        lines.append("")
    if impact_md.strip():
        lines += ["<details><summary>tfgen impact " + env + "</summary>", "", impact_md.strip(), "", "</details>", ""]
    return "\n".join(lines)


def comment_body(sections: list[str], sha: str) -> str:
    head = [MARKER, "## tfgen: plan and impact", "",
            f"Planned at `{sha[:12]}`. On merge, the apply job re-plans each environment and applies only when "
            "the plan is identical to this one (digest below each heading); it refuses otherwise." if sha else
            "On merge, the apply job applies only a plan identical to this one.", ""]
    body = "\n".join(head) + "\n" + "\n".join(sections)
    if len(body) > COMMENT_LIMIT:
        body = body[:COMMENT_LIMIT] + "\n\n... (truncated: see the job summaries for the rest)\n"
    return body


def _gh(*args: str, body: str | None = None) -> str:
    return subprocess.run(["gh", *args], input=body, capture_output=True, text=True, check=True, timeout=120).stdout


def _comments(repo: str, pr: int) -> list[dict[str, Any]]:
    out = _gh("api", "--paginate", f"repos/{repo}/issues/{pr}/comments",
              "--jq", ".[] | {id: .id, user: .user.login, body: .body}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def ours(comments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The bot's comment carrying the marker (a user quoting the marker does not count)."""
    return next((c for c in comments if c.get("user") == BOT and MARKER in (c.get("body") or "")), None)


def upsert_comment(repo: str, pr: int, body: str) -> str:
    """Update the existing comment in place, or create the first one. Returns "updated" or "created"."""
    existing = ours(_comments(repo, pr))
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
        fh.write(body)
    try:
        if existing:
            _gh("api", "--method", "PATCH", f"repos/{repo}/issues/comments/{int(existing['id'])}",
                "-F", f"body=@{fh.name}")
            return "updated"
        _gh("api", "--method", "POST", f"repos/{repo}/issues/{pr}/comments", "-F", f"body=@{fh.name}")
        return "created"
    finally:
        os.unlink(fh.name)


# --- verify on merge ----------------------------------------------------------------------------------------------

def reviewed_hash(repo: str, sha: str, env: str) -> str:
    """The digest the pull request that was merged as *sha* showed for *env*."""
    out = _gh("api", f"repos/{repo}/commits/{sha}/pulls", "--jq", ".[] | {number: .number, merged_at: .merged_at}")
    pulls = [json.loads(line) for line in out.splitlines() if line.strip()]
    merged = [p for p in pulls if p.get("merged_at")]
    if not merged:
        raise Refused(f"{sha[:12]} was not merged from a pull request: nothing was reviewed, nothing is applied "
                      "(merge a pull request, or run `make plan` / `make apply` by hand)")
    comment = ours(_comments(repo, int(merged[0]["number"])))
    hashes = dict(HASH_LINE.findall(comment["body"])) if comment else {}
    if env not in hashes:
        raise Refused(f"pull request #{merged[0]['number']} shows no reviewed plan of {env}: nothing is applied")
    return hashes[env]


def verify(repo: str, sha: str, env: str, plan: dict[str, Any]) -> str:
    expected, actual = reviewed_hash(repo, sha, valid_env(env)), plan_hash(plan)
    if expected != actual:
        now = headline(summarise(plan)["counts"])
        raise Refused(f"the plan of {env} differs from the one reviewed on the pull request (reviewed {expected[:12]}, "
                      f"now {actual[:12]}: {now}). Nothing is applied: open a pull request that shows the current "
                      "plan (the state or the base branch moved since the review).")
    return actual


# --- command line -------------------------------------------------------------------------------------------------

def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("matrix")
    m.add_argument("--tfgen", default="tfgen")
    m.add_argument("--affected-json", type=Path)
    h = sub.add_parser("hash")
    h.add_argument("plan_json", type=Path)
    s = sub.add_parser("section")
    s.add_argument("--env", required=True)
    s.add_argument("--plan-json", type=Path)
    s.add_argument("--impact-md", type=Path)
    s.add_argument("--impact-status", type=int, default=0)
    s.add_argument("--note", default="")
    s.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("comment")
    c.add_argument("--repo", required=True)
    c.add_argument("--pr", type=int, required=True)
    c.add_argument("--sha", default="")
    c.add_argument("sections", type=Path)
    v = sub.add_parser("verify")
    v.add_argument("--repo", required=True)
    v.add_argument("--sha", required=True)
    v.add_argument("--env", required=True)
    v.add_argument("plan_json", type=Path)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except Refused as exc:
        print(f"ci_plan: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"ci_plan: {' '.join(exc.cmd[:3])} failed ({exc.returncode}): {exc.stderr.strip()}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "matrix":
        print(json.dumps(matrix(args.tfgen, affected_names(args.affected_json)), sort_keys=True))
    elif args.command == "hash":
        print(plan_hash(_read_json(args.plan_json)))
    elif args.command == "section":
        plan = _read_json(args.plan_json) if args.plan_json and args.plan_json.is_file() else None
        impact = args.impact_md.read_text(encoding="utf-8") if args.impact_md and args.impact_md.is_file() else ""
        text = section(valid_env(args.env), plan, impact, args.impact_status, args.note)
        args.out.write_text(text, encoding="utf-8")
        sys.stdout.write(text)
    elif args.command == "comment":
        sections = [p.read_text(encoding="utf-8") for p in sorted(args.sections.rglob("*.md"))]
        body = comment_body(sections, args.sha)
        print(f"ci_plan: pull request comment {upsert_comment(args.repo, args.pr, body)}", file=sys.stderr)
        sys.stdout.write(body)
    elif args.command == "verify":
        digest = verify(args.repo, args.sha, args.env, _read_json(args.plan_json))
        print(f"ci_plan: the plan of {args.env} is the reviewed one ({digest[:12]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
