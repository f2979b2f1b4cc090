"""Adoption rehearsal: apply a foreign tree in the emulator, adopt its state, plan and apply tfgen's tree on it.

    make e2e-adopt                      the hand-written dev root of ../shared/handwritten (needs hashicorp/random:
                                        make fakeprov builds the offline one this uses)
    python tests/rehearsal/adopt.py --from-ref 613fa13   a tree committed by an older tfgen

Steps: apply the old tree (real aws 5.100 against moto) -> `terraform show -json` of its state -> `tfgen adopt
dev --state` in a scratch copy of the project -> render -> plan tfgen's dev tree against that same state ->
assert that no data-holding or traffic-serving resource is deleted or replaced -> apply -> re-plan (no
changes) -> destroy. Prints the plan's counts (moved, imported, forgotten, created, updated, replaced,
deleted) and the time of every step. Exit 0 on success, 1 on a failed step or assertion, 2 on setup errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from run import (
    MIRROR,
    SetupError,
    check_prerequisites,
    duplicated_request,
    ensure_emulator_venv,
    moto_revoke_race,
    say,
    set_aside,
    terraform_env,
)
from upgrade import Session, copy_project, render_tree, tree_at

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
sys.path.insert(0, str(PROJECT))

from tfgen.adopt.declared import guarded  # noqa: E402

HANDWRITTEN = PROJECT.parent / "shared" / "handwritten" / "imageunderstander" / "terraform"
FAKEPROV_MIRROR = PROJECT / ".venv-fakeprov" / "mirror"
CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "%s"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  filesystem_mirror {
    path    = "%s"
    include = ["registry.terraform.io/hashicorp/random", "registry.terraform.io/hashicorp/null"]
  }
}
"""
HANDWRITTEN_VARS = ("-var", "aws_region=us-east-1", "-var", "domain_name=dev.imageunderstander.example.com")


def plan_counts(plan: dict) -> tuple[dict[str, int], list[str]]:
    """Counts of a saved plan (`terraform show -json`) and the guarded resources it deletes or replaces."""
    counts = {k: 0 for k in ("moved", "imported", "forgotten", "created", "updated", "replaced", "deleted")}
    lost = []
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        actions = change["change"]["actions"]
        if change.get("previous_address") and change["previous_address"] != change["address"]:
            counts["moved"] += 1
        if change["change"].get("importing"):
            counts["imported"] += 1
        if actions == ["forget"]:
            counts["forgotten"] += 1
        elif sorted(actions) == ["create", "delete"]:
            counts["replaced"] += 1
        elif actions == ["delete"]:
            counts["deleted"] += 1
        elif actions == ["create"]:
            counts["created"] += 1
        elif actions == ["update"]:
            counts["updated"] += 1
        if "delete" in actions and guarded(change["type"]):
            lost.append(f"{change['address']}: {'/'.join(actions)}")
    return counts, lost


class Rehearsal:
    def __init__(self, work: Path, label: str) -> None:
        self.work, self.label = work, label
        self.session = Session("dev", work, work / "logs")
        self.timings: dict[str, float] = {}
        self.failed: dict[str, str] = {}

    def start(self) -> None:
        self.session.start(ensure_emulator_venv(PROJECT, PROJECT / ".e2e"))
        cli_config = self.work / "cli-adopt.tfrc"
        cli_config.write_text(CLI_CONFIG % (MIRROR, FAKEPROV_MIRROR))
        self.session.tf_env = {**terraform_env(cli_config), "TF_PLUGIN_CACHE_DIR": str(self.work / "plugin-cache")}

    def step(self, name: str, root: Path, *args: str) -> bool:
        started = time.monotonic()
        ok = self.session.step(self.label, name, root, *args)
        self.timings[name] = round(time.monotonic() - started, 1)
        if not ok and not self.failed:
            self.failed = {"step": name, "log": str(self.log(name))}
        return ok

    def log(self, step: str) -> Path:
        """Where Session.step writes a step's Terraform output."""
        return self.work / "logs" / f"{self.label}-{step}.log"

    def show(self, root: Path, *args: str) -> dict:
        shown = subprocess.run(["terraform", "show", "-json", *args], cwd=root, env=self.session.tf_env,
                               capture_output=True, text=True, check=False)
        if shown.returncode != 0:
            raise SetupError(f"terraform show failed: {shown.stderr.strip()[:500]}")
        return json.loads(shown.stdout)

    def apply_old(self, tree: Path, extra: tuple[str, ...]) -> Path | None:
        root = self.session.root_of(tree)
        (root / ".terraform.lock.hcl").unlink(missing_ok=True)
        if not (self.step("init:old", root, "init", "-input=false", "-no-color")
                and self.step("apply:old", root, "apply", "-auto-approve", "-input=false", "-no-color", *extra)):
            return None
        return root

    def adopt(self, state_json: Path, project: Path) -> dict:
        started = time.monotonic()
        cmd = [sys.executable, "-m", "tfgen.cli", "-C", str(project), "adopt", "dev", "--state", str(state_json),
               "--json", *self.acks]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        self.timings["adopt"] = round(time.monotonic() - started, 1)
        (self.work / "logs" / "adopt-report.json").write_text(done.stdout)
        say(self.label, f"  adopt     rc={done.returncode} {self.timings['adopt']}s\n{done.stderr.strip()}")
        if done.returncode != 0:
            raise SetupError(f"tfgen adopt exited {done.returncode}: {done.stderr.strip()[:2000]}")
        return json.loads(done.stdout)

    def destroy(self, root: Path) -> bool:
        """Destroy; once more when the only error was moto's revoke race (as run.py does, and an operator would)."""
        args = ("destroy", "-auto-approve", "-input=false", "-no-color", "-lock=false")
        if self.step("destroy", root, *args):
            return True
        if not moto_revoke_race(self.log("destroy")):
            return False
        say(self.label, "  destroy   retried once after moto's revoke race")
        if self.failed.get("step") == "destroy":  # an earlier step's failure stays the one reported
            self.failed = {}
        return self.step("destroy:retry", root, *args)

    acks: list[str] = []


def secret_pending(project: Path) -> bool:
    """Drop the adopted `master_secret_ready: false` from specs/dev.yaml; whether it was there."""
    spec = project / "specs" / "dev.yaml"
    lines = spec.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.strip().startswith("master_secret_ready: false")]
    spec.write_text("".join(kept))
    return len(kept) != len(lines)


def rehearse(args: argparse.Namespace, failures: dict[str, str] | None = None) -> int:
    """One adoption rehearsal; *failures* receives the first failed step and its log."""
    work = args.work_dir.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    label = "adopt-" + (args.from_ref or "handwritten")
    r = Rehearsal(work, label)
    r.acks = [x for a in args.acknowledge for x in ("--acknowledge", a)]
    try:
        check_prerequisites(PROJECT / "generated" / "terraform")
        if not args.from_ref and not (FAKEPROV_MIRROR / "registry.terraform.io" / "hashicorp" / "random").is_dir():
            raise SetupError(f"no hashicorp/random in {FAKEPROV_MIRROR}: run `make fakeprov` first")
        r.start()
        old = work / "old"
        if args.from_ref:
            tree_at(args.from_ref, old)
            extra: tuple[str, ...] = ()
        else:
            shutil.copytree(args.tree, old)
            # The tree's backup window (03:00-04:00) and maintenance window (sun:04:00-) touch at 04:00, which
            # the emulator refuses as overlapping: a test-only override moves the maintenance window by 30 min.
            (old / "modules" / "database" / "zz_rehearsal_override.tf").write_text(
                'variable "maintenance_window" {\n  default = "sun:04:30-sun:05:30"\n}\n')
            extra = HANDWRITTEN_VARS
        old_root = r.apply_old(old, extra)
        if old_root is None:
            return 1
        live = work / "live.json"
        live.write_text(json.dumps(r.show(old_root)))
        project = copy_project(work / "project")
        report = r.adopt(live, project)
        say(label, "  adoption counts: " + json.dumps(report["counts"], sort_keys=True))
        new = work / "new"
        render_tree(project, "dev", new)
        root = r.session.root_of(new)
        shutil.copy2(old_root / "terraform.tfstate", root / "terraform.tfstate")
        if not (r.step("init", root, "init", "-input=false", "-no-color")
                and r.step("plan", root, "plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan")):
            return 1
        counts, lost = plan_counts(r.show(root, "tfplan"))
        say(label, "  plan counts: " + json.dumps(counts, sort_keys=True))
        accepted = [row for row in lost if row.split(":", 1)[0] in args.acknowledge]
        lost = [row for row in lost if row not in accepted]
        for row in accepted:
            say(label, f"  ACKNOWLEDGED LOSS {row}")
        for row in lost:
            say(label, f"  LOST {row}")
        ok = not lost
        if ok and not args.plan_only:
            # Two applies where the database did not manage its password: the first turns
            # manage_master_user_password on (RDS creates its secret); then, as docs/adoption.md says, the
            # operator deletes the adopted `master_secret_ready: false`, renders, and the second apply gives the
            # services that secret (its ARN exists only after the first).
            ok = r.step("apply", root, "apply", "-input=false", "-no-color", "-lock=false", "tfplan")
            if ok and secret_pending(project):
                render_tree(project, "dev", new)
                ok = r.step("apply:converge", root, "apply", "-auto-approve", "-input=false", "-no-color",
                            "-lock=false")
            ok = ok and r.step("replan", root, "plan", "-input=false", "-no-color", "-lock=false",
                               "-detailed-exitcode")
        if not args.keep:  # the tree tfgen took over must also come down cleanly
            ok = r.destroy(root) and ok
        summary = {"from": args.from_ref or "handwritten", "adoption": report["counts"], "plan": counts,
                   "lost": lost, "acknowledged_losses": accepted, "timings_s": r.timings, "ok": ok,
                   "failed_step": r.failed.get("step")}
        (work / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
        print(json.dumps(summary, indent=2, sort_keys=True))
        if r.failed:  # CI keeps the end of a lane's output: the failed step's own words come last
            log = Path(r.failed["log"])
            tail = log.read_text(errors="replace").splitlines()[-15:] if log.is_file() else []
            print(f"failed step {r.failed['step']}, last lines of {r.failed['log']}:\n" + "\n".join(tail))
        return 0 if ok else 1
    except SetupError as exc:
        print(f"adopt rehearsal: setup error: {exc}", file=sys.stderr)
        return 2
    finally:
        r.session.stop()
        print(f"logs: {work / 'logs'}")
        if failures is not None:
            failures.update(r.failed)


APPLY_STEPS = ("apply:old", "apply", "apply:converge")


def rehearse_retrying_duplicates(args: argparse.Namespace) -> int:
    """rehearse(), once more from the start on a fresh emulator when an apply failed only on a request the
    emulator received twice (run.duplicated_request): a tree that creates something twice fails again."""
    failures: dict[str, str] = {}
    code = rehearse(args, failures)
    if code == 1 and failures.get("step") in APPLY_STEPS and duplicated_request(Path(failures["log"])):
        work = args.work_dir.resolve()
        kept = set_aside(work)
        say("adopt", f"{failures['step']} met a request the emulator received twice; once more on a fresh "
                     f"emulator (the first attempt: {kept})")
        code = rehearse(args)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-ref", help="adopt the tree committed at this git revision (default: hand-written)")
    parser.add_argument("--tree", type=Path, default=HANDWRITTEN, help="the hand-written terraform/ directory")
    parser.add_argument("--acknowledge", action="append", default=[], help="passed to tfgen adopt (repeatable)")
    parser.add_argument("--plan-only", action="store_true", help="stop after the plan (then destroy)")
    parser.add_argument("--keep", action="store_true", help="do not destroy at the end (debugging)")
    parser.add_argument("--work-dir", type=Path, default=PROJECT / ".e2e" / "adopt")
    os.environ.setdefault("PYTHONPATH", str(PROJECT))
    return rehearse_retrying_duplicates(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
