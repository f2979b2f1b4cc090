"""Upgrade rehearsal: apply an old tree against moto, plan a new one on the same state, compare with impact.

Ground truth for `tfgen impact`. Two modes, one emulator and one apply each:

    make e2e-upgrade FROM=REF [ENV=staging]
        python tests/rehearsal/upgrade.py --from REF --env staging
        Apply the generated/terraform tree committed at REF (`git archive`: the user's checkout is never
        touched), then plan the tree the working tree's specs render to with this tfgen, and print the real
        creates/updates/replaces/destroys from `terraform show -json` next to `tfgen impact --since REF`.

    make e2e-impact [ENV=staging]
        python tests/rehearsal/upgrade.py --scenarios --env staging
        Apply the working tree's ENV once, then for every scenario of scenarios.py render the edited specs,
        plan against that one state (a plan takes seconds, an apply minutes) and compare impact's prediction
        with the plan for every stateful resource.

Exit 0 when every stateful resource's predicted action equals the planned one, 1 on any disagreement or
failed step, 2 on setup errors. Stateful means the resource types impact marks (RDS instance, EBS volumes,
S3 buckets, Secrets Manager secrets, hosted zone, VPC, subnets). Runs under the project's .venv python.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from run import (
    CLI_CONFIG,
    MIRROR,
    Emulator,
    SetupError,
    check_prerequisites,
    duplicated_request,
    ensure_emulator_venv,
    run_step,
    say,
    set_aside,
    terraform_env,
    write_override,
)

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
sys.path.insert(0, str(PROJECT))

import tfgen  # noqa: E402
from tfgen.impact.acks import Acknowledgements  # noqa: E402
from tfgen.impact.compare import Trees, compare  # noqa: E402
from tfgen.impact.provider import DATA_HOLDING  # noqa: E402
from tfgen.impact.resources import resource_type  # noqa: E402
from tfgen.pipeline import render_project, validate_project  # noqa: E402

# Data-holding types (tfgen.impact.provider), plus the network every instance and the database sit in.
STATEFUL_TYPES = tuple(sorted(DATA_HOLDING | {"aws_vpc", "aws_subnet"}))
IGNORED = ("*_override.tf", ".terraform", "*.tfstate*", "tfplan", ".terraform.lock.hcl")


# ---------------------------------------------------------------------------------------------- plans

def plan_actions(show_json: dict) -> dict[str, str]:
    """{address: create|update|replace|move|destroy} of the managed resources a saved plan changes."""
    found = {}
    for change in show_json.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        actions = change["change"]["actions"]
        if actions == ["no-op"] and change.get("previous_address"):
            found[change["address"]] = "move"
            continue
        if actions in (["no-op"], ["read"]):
            continue
        action = ("replace" if sorted(actions) == ["create", "delete"] else
                  "destroy" if actions == ["delete"] else actions[0])
        found[change["address"]] = action
    return found


def is_stateful(address: str) -> bool:
    """Stateful by resource type (whatever impact says), so a resource impact forgot still counts."""
    return resource_type(address) in STATEFUL_TYPES


def disagreements(predicted: dict[str, str], planned: dict[str, str]) -> list[str]:
    """Every stateful address whose predicted action differs from the planned one (either side missing)."""
    rows = []
    for address in sorted(set(predicted) | set(planned)):
        if not is_stateful(address):
            continue
        want, got = predicted.get(address, "no change"), planned.get(address, "no change")
        want = "no change" if want == "abandon" else want  # left in the old region: the plan shows nothing
        if want != got:
            rows.append(f"{address}: impact predicts {want}, terraform plans {got}")
    return rows


def table(planned: dict[str, str], predicted: dict[str, str]) -> str:
    """Real plan next to the prediction, one address per line, stateful ones marked."""
    lines = []
    for address in sorted(set(planned) | set(predicted)):
        mark = "STATEFUL" if is_stateful(address) else "        "
        lines.append(f"  {planned.get(address, '-'):<8} {predicted.get(address, '-'):<8} {mark} {address}")
    return "\n".join(["  plan     impact", *lines]) if lines else "  (no changes)"


# ---------------------------------------------------------------------------------------------- trees

def render_tree(project: Path, env: str, out: Path) -> None:
    """Render ENV of a project (specs + templates) with this tfgen into OUT (environments/ + modules/)."""
    result = render_project(project, [env])
    for rel, data in result.files.items():
        if rel.startswith("terraform/") and rel.count("/") > 1:
            target = out / rel[len("terraform/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def tree_at(ref: str, out: Path) -> None:
    """generated/terraform as committed at REF, via `git archive` (nothing in the checkout changes)."""
    prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", ref, f"{prefix}generated/terraform"], cwd=PROJECT,
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise SetupError(f"git archive {ref}: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp, filter="data")
        shutil.copytree(Path(tmp) / prefix / "generated" / "terraform", out, dirs_exist_ok=True)


def copy_project(target: Path) -> Path:
    """specs/ and templates/ of the working tree in a scratch project (scenarios edit the copy)."""
    for name in ("specs", "templates"):
        shutil.copytree(PROJECT / name, target / name)
    return target


# ---------------------------------------------------------------------------------------------- terraform

@dataclass
class Session:
    """One emulator, one applied base state, and scratch trees planned against it."""

    env: str
    work: Path
    logs: Path
    emulator: Emulator | None = None
    endpoint: str = ""
    tf_env: dict[str, str] = field(default_factory=dict)
    state: Path | None = None

    def start(self, python: Path) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.emulator = Emulator(python, self.logs / "moto.log", HERE / "amis.json")
        self.endpoint = self.emulator.start()
        cli_config = self.work / "cli.tfrc"
        cli_config.write_text(CLI_CONFIG % MIRROR)
        self.tf_env = {**terraform_env(cli_config), "TF_PLUGIN_CACHE_DIR": str(self.work / "plugin-cache")}
        (self.work / "plugin-cache").mkdir(exist_ok=True)

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()

    def step(self, label: str, name: str, root: Path, *args: str) -> bool:
        log = self.logs / f"{label}-{name}.log"
        result = run_step(label, name, args, root, self.tf_env, log)
        if not result.ok:
            say(label, f"  {name} failed; see {log}:\n" + "\n".join(log.read_text().splitlines()[-25:]))
        return result.ok

    def root_of(self, tree: Path) -> Path:
        root = tree / "environments" / self.env
        if not root.is_dir():
            raise SetupError(f"{tree} has no environments/{self.env}")
        write_override(root, self.endpoint)
        return root

    def apply_base(self, tree: Path) -> bool:
        root = self.root_of(tree)
        ok = (self.step("base", "init", root, "init", "-input=false", "-no-color")
              and self.step("base", "apply", root, "apply", "-auto-approve", "-input=false", "-no-color"))
        self.state = root / "terraform.tfstate"
        return ok

    def plan(self, label: str, tree: Path, refresh: bool = True) -> dict[str, str] | None:
        """Plan `tree` against the applied base state. refresh=False skips reading every live object again:
        the scenarios plan on a base that nothing changed since its apply (the apply lane proves that a
        refreshed re-plan of every environment is clean), and the refresh was most of each plan's minute."""
        root = self.root_of(tree)
        assert self.state is not None
        shutil.copy2(self.state, root / "terraform.tfstate")
        flags = () if refresh else ("-refresh=false",)
        if not (self.step(label, "init", root, "init", "-input=false", "-no-color")
                and self.step(label, "plan", root, "plan", "-input=false", "-no-color", "-lock=false", *flags,
                              "-out=tfplan")):
            return None
        shown = subprocess.run(["terraform", "show", "-json", "tfplan"], cwd=root, env=self.tf_env,
                               capture_output=True, text=True, check=False)
        if shown.returncode != 0:
            say(label, f"  terraform show failed: {shown.stderr.strip()[:500]}")
            return None
        return plan_actions(json.loads(shown.stdout))


# ---------------------------------------------------------------------------------------------- modes

def _tree_texts(tree: Path) -> dict[str, str]:
    """The .tf/.tftpl files of a tree written by render_tree, keyed as the renderer keys them."""
    return {"terraform/" + p.relative_to(tree).as_posix(): p.read_text() for p in sorted(tree.rglob("*"))
            if p.is_file() and p.suffix in (".tf", ".tftpl") and not p.name.endswith("_override.tf")
            and ".terraform" not in p.parts}


def predicted(env: str, old_project: Path, new_project: Path, old_tree: Path, new_tree: Path) -> dict[str, str]:
    """impact's prediction for ENV between two projects (specs and templates), on the very trees planned."""
    trees = Trees(_tree_texts(old_tree), _tree_texts(new_tree), "templates")
    impacts = compare(validate_project(old_project), validate_project(new_project), [env], Acknowledgements(),
                      trees)
    return {c.address: c.action for c in impacts[0].resources}


def _bumped(scenario: str) -> str:
    """The tfgen version a scenario renders with: the version-bump scenario pretends to be the next release."""
    if scenario != "tfgen_version_bump":
        return tfgen.__version__
    major, minor, _ = tfgen.__version__.split(".")
    return f"{major}.{int(minor) + 1}.0"


def run_scenarios(session: Session, names: list[str]) -> int:
    from scenarios import SCENARIOS

    base = copy_project(session.work / "base-project")
    render_tree(base, session.env, session.work / "base")
    if not session.apply_base(session.work / "base"):
        return 1
    results: list[tuple[str, str, float]] = []
    for scenario in SCENARIOS:
        if names and scenario.name not in names:
            continue
        started = time.monotonic()
        project = copy_project(session.work / f"{scenario.name}-project")
        scenario.apply(project, session.env)
        released, tfgen.__version__ = tfgen.__version__, _bumped(scenario.name)
        try:
            render_tree(project, session.env, session.work / scenario.name)
        finally:
            tfgen.__version__ = released
        if scenario.tree_edit is not None:
            scenario.tree_edit(session.work / scenario.name)
        prediction = predicted(session.env, base, project, session.work / "base", session.work / scenario.name)
        planned = session.plan(scenario.name, session.work / scenario.name, refresh=scenario.refresh)
        if planned is None:
            results.append((scenario.name, "ERROR (plan failed)", time.monotonic() - started))
            continue
        wrong = disagreements(prediction, planned)
        say(scenario.name, f"{scenario.description}\n{table(planned, prediction)}")
        for row in wrong:
            say(scenario.name, f"  DISAGREE {row}")
        stateful = sum(1 for a in set(planned) | set(prediction) if is_stateful(a))
        status = "PASS" if not wrong else f"FAIL ({len(wrong)} of {stateful} stateful disagree)"
        results.append((scenario.name, f"{status}; {stateful} stateful change(s)", time.monotonic() - started))
    print("\nscenario                  seconds  result")
    for name, status, seconds in results:
        print(f"{name:<25} {seconds:7.1f}  {status}")
    return 0 if all(s.startswith("PASS") for _, s, _ in results) else 1


def run_upgrade(session: Session, ref: str) -> int:
    tree_at(ref, session.work / "from")
    if not session.apply_base(session.work / "from"):
        return 1
    render_tree(PROJECT, session.env, session.work / "to")
    planned = session.plan("upgrade", session.work / "to")
    if planned is None:
        return 1
    impact = subprocess.run([sys.executable, "-m", "tfgen.cli", "-C", str(PROJECT), "impact", session.env,
                             "--since", ref, "--json"], capture_output=True, text=True, check=False)
    report = json.loads(impact.stdout)
    prediction = {r["address"]: r["action"] for e in report["environments"] for r in e["resources"]}
    counts = {a: sum(1 for v in planned.values() if v == a) for a in ("create", "update", "replace", "destroy")}
    say("upgrade", f"{ref} -> working tree, {session.env}: " + ", ".join(f"{n} {a}" for a, n in counts.items()))
    say("upgrade", table(planned, prediction))
    wrong = disagreements(prediction, planned)
    for row in wrong:
        say("upgrade", f"  DISAGREE {row}")
    return 0 if not wrong else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--from", dest="ref", help="git revision whose committed tree is applied first")
    mode.add_argument("--scenarios", action="store_true", help="run the change scenarios of scenarios.py")
    parser.add_argument("--env", default="staging", help="environment (default: staging)")
    parser.add_argument("--only", action="append", default=[], help="scenario name (repeatable)")
    parser.add_argument("--work-dir", type=Path, default=PROJECT / ".e2e" / "upgrade")
    args = parser.parse_args(argv)
    code = rehearse(args)
    base_log = args.work_dir.resolve() / "logs" / "base-apply.log"
    if code == 1 and duplicated_request(base_log):  # see run.DUPLICATED_REQUEST: once more, fresh emulator
        work = args.work_dir.resolve()
        kept = set_aside(work)
        say("base", f"  apply met a request the emulator received twice; once more on a fresh emulator (the "
                    f"first attempt: {kept})")
        code = rehearse(args)
    return code


def rehearse(args: argparse.Namespace) -> int:
    """The upgrade or scenario rehearsal in a fresh work directory and emulator."""
    work = args.work_dir.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    session = Session(args.env, work, work / "logs")
    mode_run: Callable[[], int] = (lambda: run_scenarios(session, args.only)) if args.scenarios else \
        (lambda: run_upgrade(session, args.ref))
    try:
        check_prerequisites(PROJECT / "generated" / "terraform")
        session.start(ensure_emulator_venv(PROJECT, PROJECT / ".e2e"))
        return mode_run()
    except SetupError as exc:
        print(f"upgrade rehearsal: setup error: {exc}", file=sys.stderr)
        return 2
    finally:
        session.stop()
        print(f"logs: {session.logs}")


if __name__ == "__main__":
    sys.exit(main())
