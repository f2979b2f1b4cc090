"""Offline apply rehearsal: init, plan, apply, re-plan (must be empty), destroy against moto.

Why: ``terraform validate`` and a plain ``plan`` cannot catch API-level defects (overlapping CIDRs,
wrong enum casing, missing waiter inputs, perpetual diffs). Applying the real tree with the real
hashicorp/aws provider against an emulator catches them offline, in ~5 min per environment
(mostly the provider's own waiters, so ``--jobs 3`` rehearses dev, staging and prod in about that time).

Per environment the harness
  1. copies the Terraform tree into a scratch directory (never writes into ``generated/``),
  2. writes ``zz_rehearsal_override.tf`` (local backend, every ``provider "aws"`` sent to moto),
  3. starts a private moto server (own venv ``.venv-e2e``, created on first use) on a free port,
  4. runs init -> plan -> apply -> plan -detailed-exitcode (0 required; 2 = drift = failure)
     -> [apply with --destroy-var values] -> destroy -> check the state is empty,
     attempting destroy whenever apply has started, whatever failed before,
  5. stops the emulator by PID, prints per-step timings and a final table.

Stdlib only, so it runs under the project's interpreter:

    python tests/rehearsal/run.py --env dev --env staging --env prod --jobs 3 \\
        --destroy-var db_deletion_protection=false --destroy-var alb_deletion_protection=false

Exit status: 0 when every environment passed, 1 otherwise (2 for usage/setup errors).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from override import OverrideError, providers_in_text, skeleton, write_override
from plan_scenarios import change_summary, destructive_changes, load_plan, parse_scenario, swap_tree

HERE = Path(__file__).resolve().parent
DEFAULT_PROJECT = HERE.parents[1]
MIRROR = Path("/opt/tf-plugins")
CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "%s"
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
"""
STEP_TIMEOUTS = {"init": 300, "plan": 900, "apply": 2400, "replan": 900, "unprotect": 2400, "destroy": 2400,
                 "scenario": 900, "rotate": 900}
TAIL_LINES = 60
DRIFT_LINES = 200
# Errors whose cause is a protection setting in the tree, with the remedy the operator would use.
PROTECTION_HINTS = (
    (
        re.compile(r"prevent_destroy", re.I),
        "a resource has lifecycle.prevent_destroy = true: destroy is "
        "impossible without editing the tree (generate it without prevent_destroy, or make it a spec toggle)",
    ),
    (
        re.compile(r"deletion protection|DeletionProtection|OperationNotPermitted", re.I),
        "deletion protection is on: pass --destroy-var NAME=false for the variable driving it (the harness "
        "then applies the flip before destroying); a literal `true` in the tree cannot be flipped",
    ),
)


STOP = threading.Event()  # set on SIGTERM/SIGINT: every environment stops at its next poll
_PRINT_LOCK = threading.Lock()
_START_LOCK = threading.Lock()  # one emulator picks its port and comes up at a time


def say(label: str, text: str) -> None:
    """Print *text* with every line prefixed by the environment, so parallel runs stay readable."""
    with _PRINT_LOCK:
        for line in text.splitlines() or [""]:
            print(f"[{label}] {line}", flush=True)


class SetupError(RuntimeError):
    """The rehearsal cannot start (missing terraform, tree, mirror or emulator)."""


class Interrupted(RuntimeError):
    """SIGTERM/SIGINT received: stop terraform and the emulators (skipping destroy: the state dies with them)."""


@dataclass
class StepResult:
    """Outcome of one terraform invocation."""

    name: str
    rc: int | None
    seconds: float
    log: str
    ok: bool
    note: str = ""
    command: str = ""


@dataclass
class EnvResult:
    """Outcome of one environment's rehearsal."""

    env: str
    status: str = "PASS"  # PASS | FAIL | DRIFT | ERROR
    reason: str = ""
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    def fail(self, status: str, reason: str) -> None:
        """Record the first failure only: later ones (e.g. destroy) are appended to the reason."""
        if self.status == "PASS":
            self.status, self.reason = status, reason
        else:
            self.reason += f"; {reason}"


# --------------------------------------------------------------------------------------------------
# Emulator
# --------------------------------------------------------------------------------------------------


def _requirements_digest(requirements: Path) -> str:
    """Identifies the requirements the venv was built from (rebuilt when they change)."""
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def ensure_emulator_venv(project: Path, work: Path) -> Path:
    """Create ``.venv-e2e`` with moto on first use and return its python (locked against races).

    A separate venv keeps moto and its ~300 MB of dependencies out of the project's environment.
    """
    venv = project / ".venv-e2e"
    python = venv / "bin" / "python"
    requirements = HERE / "requirements.txt"
    stamp = venv / ".rehearsal-requirements.sha256"
    digest = _requirements_digest(requirements)
    work.mkdir(parents=True, exist_ok=True)
    # The lock sits beside the venv, not in the caller's work dir: rehearsals that CI runs side by side with
    # different work dirs must wait for the one that creates it (a second one found a half-made venv).
    with open(project / ".venv-e2e.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            return python
        log = work / "venv-setup.log"
        print(f"[setup] installing {requirements.name} into {venv} (first use only; log {log}) ...", flush=True)
        with open(log, "wb") as out:
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=out, stderr=out)
            pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-r", str(requirements)]
            if subprocess.run(pip, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                raise SetupError(f"pip install into {venv} failed:\n{tail(log)}")
        stamp.write_text(digest + "\n")
    return python


def free_port() -> int:
    """A currently free loopback port (moto binds it a moment later; retried on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    """True once the server answers HTTP at all (any status)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/moto-api/")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


class Emulator:
    """A private moto server process for one environment, stopped by its PID."""

    def __init__(self, python: Path, log: Path, amis: Path, skip_patches: Sequence[str] = (),
                 account_id: str | None = None) -> None:
        self.python, self.log_path, self.amis, self.skip_patches = python, log, amis, skip_patches
        self.account_id = account_id
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "TF_"))}
        env.update(
            MOTO_IAM_LOAD_MANAGED_POLICIES="true",
            MOTO_ACM_VALIDATION_WAIT="0",
            # Like AWS, refuse instance types that do not exist (moto accepts any name by default).
            MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION="true",
            MOTO_AMIS_PATH=str(self.amis),
            PYTHONUNBUFFERED="1",
        )
        if self.account_id:
            # The root pins its account (allowed_account_ids): the emulator plays that account, so the
            # provider's own account check runs and passes as it would with the right credentials.
            env["MOTO_ACCOUNT_ID"] = self.account_id
        return env

    def start(self, attempts: int = 3, timeout: float = 90.0) -> str:
        """Start on a free port and wait until it answers; returns the endpoint URL.

        Serialised across environments so that two emulators never race for the same free port.
        """
        with _START_LOCK:
            return self._start(attempts, timeout)

    def _ready(self) -> bool:
        """Our process printed its banner for our port (so a neighbour's server cannot fool us) and answers."""
        banner = f"listening on http://127.0.0.1:{self.port}"
        return banner in self.log_path.read_text(errors="replace") and _answers(self.port)

    def _start(self, attempts: int, timeout: float) -> str:
        for _ in range(attempts):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [
                        str(self.python),
                        str(HERE / "moto_server.py"),
                        "--port",
                        str(self.port),
                        *(f"--skip-patch={name}" for name in self.skip_patches),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self._env(),
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None and not STOP.is_set():
                if self._ready():
                    return f"http://127.0.0.1:{self.port}"
                time.sleep(0.3)
            self.stop()
        raise SetupError(f"emulator did not start; see {self.log_path}:\n{tail(self.log_path)}")

    def stop(self) -> None:
        """Terminate by PID, then kill if it does not exit within 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --------------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------------


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """Last *lines* lines of a log file (for failure reports)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def terraform_env(cli_config: Path) -> dict[str, str]:
    """Environment for terraform: mirror-only CLI config, automation mode, no ambient AWS config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


def _stop_process_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Signal terraform's whole process group (it runs the provider plugin as a child)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_step(label: str, name: str, args: Sequence[str], cwd: Path, env: dict[str, str], log: Path,
             program: Sequence[str] = ("terraform",)) -> StepResult:
    """Run one terraform command (or *program*) with its output in *log*; kills the process group on timeout/stop."""
    started = time.monotonic()
    command = " ".join([*program, *args])
    say(label, f"  {name:<9} {command}")
    rc: int | None = None
    note = ""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*program, *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        limit = STEP_TIMEOUTS[name.split(":")[0]]
        deadline = started + limit
        try:
            while rc is None:
                try:
                    rc = proc.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    if STOP.is_set():
                        raise Interrupted(f"{label}: stopped during {name}") from None
                    if time.monotonic() > deadline:
                        _stop_process_group(proc, signal.SIGKILL)
                        note = f"timeout after {limit} s"
                        break
        except (Interrupted, KeyboardInterrupt):
            _stop_process_group(proc, signal.SIGINT)
            raise
    seconds = time.monotonic() - started
    ok = rc == 0
    say(label, f"  {name:<9} {'ok' if ok else 'FAILED'} rc={rc} {seconds:6.1f}s {note}")
    return StepResult(name, rc, round(seconds, 1), str(log), ok, note, command)


def drift_report(log: Path) -> str:
    """The part of a re-plan log that shows what would change."""
    text = log.read_text(encoding="utf-8", errors="replace")
    starts = [
        m.start()
        for m in re.finditer(
            r"^(Terraform detected the following changes|Terraform will perform|Changes to Outputs)",
            text,
            re.M,
        )
    ]
    if not starts:
        return tail(log)
    section = text[min(starts) :]
    end = re.search(r"^Plan: .*$", section, re.M)
    return section[: end.end()] if end else section


def drift_summary(report: str) -> list[str]:
    """One line per drifting resource ("# aws_x.y will be updated in-place", ...)."""
    return re.findall(r"^\s*# (\S+ (?:will be|must be|has changed|has been).*)$", report, re.M)


def error_blocks(log: Path, limit: int = 8, lines_per_block: int = 14) -> str:
    """Terraform's ``Error:`` blocks from a log: they may sit far above the tail when steps interleave."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    blocks = []
    for idx, line in enumerate(lines):
        if line.startswith("Error: ") and len(blocks) < limit:
            blocks.append("\n".join(lines[idx : idx + lines_per_block]).rstrip())
    return "\n\n".join(blocks)


def protection_hint(log: Path) -> str:
    """A remedy when a failure log shows a protection setting, else empty."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "; ".join(hint for pattern, hint in PROTECTION_HINTS if pattern.search(text))


def declared_variables(root: Path) -> set[str]:
    """Names of the root module's ``variable`` blocks (to pass only -var values it declares)."""
    names: set[str] = set()
    for path in root.glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        skel = skeleton(text)
        for m in re.finditer(r'(?m)^[ \t]*variable[ \t]+"', skel):
            end = skel.index('"', m.end())
            names.add(text[m.end() : end])
    return names


def prevent_destroy_sites(tree: Path) -> list[str]:
    """Files/lines with ``prevent_destroy = true``: destroy cannot succeed while they exist."""
    sites = []
    for path in sorted(tree.rglob("*.tf")):
        skel = skeleton(path.read_text(encoding="utf-8"))
        for m in re.finditer(r"(?m)^[ \t]*prevent_destroy[ \t]*=[ \t]*true\b", skel):
            sites.append(f"{path.relative_to(tree)}:{skel.count(chr(10), 0, m.start()) + 1}")
    return sites


def lift_prevent_destroy(root: Path) -> list[str]:
    """Set ``prevent_destroy`` to false in a bootstrap root's scratch copy, as an operator retiring it must.

    The state bucket and lock tables are protected on purpose (no destroy of the bootstrap root may take every
    environment's state along); the rehearsal still has to prove the rest of the root destroys cleanly."""
    lifted = prevent_destroy_sites(root)
    for path in sorted(root.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^([ \t]*prevent_destroy[ \t]*=[ \t]*)true\b", r"\1false", text),
                        encoding="utf-8")
    return lifted


# --------------------------------------------------------------------------------------------------
# One environment
# --------------------------------------------------------------------------------------------------


@dataclass
class Options:
    """Command-line options shared by every environment."""

    project: Path
    tree: Path
    work: Path
    logs: Path
    keep: bool
    destroy_vars: list[tuple[str, str]]
    skip_patches: list[str] = field(default_factory=list)
    scenarios: list[tuple[str, Path]] = field(default_factory=list)  # planned after the apply (plan_scenarios.py)
    rotate_in: frozenset[str] = frozenset()  # environments that also rehearse the secret rotation and its guards


def unwrapped(log: Path) -> str:
    """A terraform log as one line of words: diagnostics are boxed (│) and wrapped at the terminal width."""
    return " ".join(log.read_text(encoding="utf-8", errors="replace").replace("│", " ").split())


def has_output(root: Path, name: str) -> bool:
    """Whether the root module declares output *name* (only environment roots hold the application secret)."""
    pattern = re.compile(rf'^output\s+"{re.escape(name)}"', re.M)
    return any(pattern.search(path.read_text(encoding="utf-8")) for path in sorted(root.glob("*.tf")))


def root_dir(env: str) -> str:
    """Where a rehearsal target lives in the tree: an environment name, or a root path such as bootstrap/<bucket>."""
    return env if "/" in env else f"environments/{env}"


def pinned_account(root: Path) -> str | None:
    """The account a root module pins with ``allowed_account_ids`` (the first one), if any."""
    for path in sorted(root.glob("*.tf")):
        found = re.search(r'(?m)^\s*allowed_account_ids\s*=\s*\[\s*"(\d{12})"', path.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    return None


def module_provider_blocks(tree: Path) -> list[str]:
    """``provider "aws"`` blocks inside shared modules: the override (written per root) cannot redirect those."""
    found = []
    for path in sorted(tree.rglob("*.tf")):
        rel = path.relative_to(tree)
        if rel.parts[0] == "modules":
            found += [f"{rel}:{b.line}" for b in providers_in_text(path.read_text(encoding="utf-8"), str(rel))]
    return found


def prepare_scratch(opts: Options, env: str) -> Path:
    """Copy the tree into a fresh scratch dir; return the environment's root module in it."""
    scratch = opts.work / env
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(
        opts.tree,
        scratch,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "tfplan", "*_override.tf"),
    )
    root = scratch / root_dir(env)
    if not root.is_dir():
        raise SetupError(f"{opts.tree}/{root_dir(env)} does not exist")
    return root


class EnvRun:
    """The terraform steps of one environment, in a prepared scratch root with a running emulator."""

    def __init__(self, root: Path, opts: Options, env_vars: dict[str, str], logs: Path, result: EnvResult,
                 probe: Sequence[str] = ()):
        self.root, self.opts, self.env_vars, self.logs, self.result = root, opts, env_vars, logs, result
        self.probe_program, self.probe = tuple(probe[:2]), tuple(probe[2:])

    def step(self, name: str, *args: str, program: Sequence[str] = ("terraform",)) -> StepResult:
        """Run and record one terraform step (or one *program* step)."""
        res = run_step(self.result.env, name, args, self.root, self.env_vars,
                       self.logs / f"{name.replace(':', '-')}.log", program)
        self.result.steps.append(res)
        return res

    def run(self) -> None:
        """init/plan/apply/re-plan, then (once apply has started) unprotect + destroy + state check.

        An interruption skips the teardown on purpose: the emulator, and all it holds, is discarded.
        """
        # A committed provider lock is used as CI uses it: read-only (init fails rather than rewrite it).
        locked = ("-lockfile=readonly",) if (self.root / ".terraform.lock.hcl").is_file() else ()
        for name, args in (
            ("init", ("init", "-input=false", "-no-color", *locked)),
            ("plan", ("plan", "-input=false", "-no-color", "-out=tfplan")),
        ):
            if not self.step(name, *args).ok:
                self.result.fail("FAIL", f"{name} failed")
                return
        try:
            apply_ok = self.apply_and_replan()
        except (Interrupted, KeyboardInterrupt):
            raise
        except BaseException:
            self.teardown(apply_ok=False)
            raise
        self.teardown(apply_ok)

    def apply_and_replan(self) -> bool:
        """Apply the saved plan, then require an empty re-plan (exit 2 = drift = failure).

        Returns whether the apply itself succeeded (drift or a failed re-plan do not count).
        """
        if not self.step("apply", "apply", "-input=false", "-no-color", "tfplan").ok:
            self.result.fail("FAIL", "apply failed")
            return False
        replan_ok = self.expect_empty_plan("replan", "re-plan after apply")
        if self.opts.scenarios:
            self.plan_scenarios()
        elif (replan_ok and self.probe and self.result.env in self.opts.rotate_in
              and has_output(self.root, "app_secret_arn")):
            self.rotate_and_replan()
        return True

    def plan_json(self, plan_file: str) -> str:
        """`terraform show -json` of a saved plan in the root (empty when it cannot be shown)."""
        return subprocess.run(["terraform", "show", "-json", plan_file], cwd=self.root, env=self.env_vars,
                              capture_output=True, text=True, timeout=300).stdout

    def expect_empty_plan(self, name: str, what: str) -> bool:
        """Plan with -detailed-exitcode: exit 2 (drift) prints what changes and fails the environment, as does a
        failed plan. Returns whether the plan was empty."""
        plan = self.step(name, "plan", "-input=false", "-no-color", "-detailed-exitcode")
        if plan.rc == 2:
            plan.ok, plan.note = False, "drift"
            report = drift_report(Path(plan.log))
            changed = drift_summary(report)
            self.result.fail("DRIFT", f"{what} wants {len(changed)} change(s)")
            lines = report.splitlines()
            hidden = len(lines) - DRIFT_LINES
            more = [f"    | ... {hidden} more lines in {plan.log}"] if hidden > 0 else []
            say(self.result.env, "\n".join([f"  drift ({what} is not empty):", indent("\n".join(changed), "    * "),
                                             indent("\n".join(lines[:DRIFT_LINES])), *more]))
        elif not plan.ok:
            self.result.fail("FAIL", f"{what} failed")
        return plan.ok

    def rotate_and_replan(self) -> None:
        """Rotate one application-secret key with the operator's script; the next plan must be empty.

        Proves on the real provider that Terraform neither undoes a rotation made outside it nor writes its
        generated values again (the version it wrote keeps its tfgen-generated label).
        """
        if not self.step("rotate", "rotate", *self.probe, program=self.probe_program).ok:
            self.result.fail("FAIL", "rotating one application-secret key failed (see rotate.log)")
            return
        if self.expect_empty_plan("rotate:replan", "the plan after rotating a key outside Terraform"):
            self.check_secret_guard()

    def check_secret_guard(self) -> None:
        """The storage module's precondition stops a plan that would write generated values over current ones.

        First the state loses the version while it keeps its label: the precondition cannot see that, the plan
        creates the version, and scripts/secret_guard.py (run by make plan/apply) must refuse the plan. Then two
        situations with the label gone: the version still in the state (a tree rendered by tfgen 0.2), and
        lost from it too. Each plan must stop at the precondition. The recovery its message gives (restore the
        state, put the label back) must then bring back an empty plan, leaving the state whole for teardown.
        """
        address = "module.storage.aws_secretsmanager_secret_version.app"
        record, backup = self.logs / "secret-version.json", self.logs / "state-backup.tfstate"
        probe = (*self.probe, "--record", str(record))
        pulled = subprocess.run(["terraform", "state", "pull"], cwd=self.root, env=self.env_vars,
                                capture_output=True, text=True, timeout=300)
        backup.write_text(pulled.stdout)
        if pulled.returncode != 0:
            self.result.fail("FAIL", "could not set up the secret-guard check (state pull)")
            return
        self.expect_plan_refused(address, backup)
        if not self.step("rotate:unlabel", "drop-label", *probe, program=self.probe_program).ok:
            self.result.fail("FAIL", "could not set up the secret-guard check")
            return
        self.expect_guard("rotate:guard-unlabelled")
        if self.step("rotate:forget", "state", "rm", address).ok:
            self.expect_guard("rotate:guard-forgotten")
        restored = self.step("rotate:restore", "state", "push", "-force", str(backup)).ok
        relabelled = restored and self.step("rotate:relabel", "relabel", *probe, program=self.probe_program).ok
        if not relabelled:
            self.result.fail("FAIL", "the guard message's recovery (restore the state, label) failed")
        else:
            self.expect_empty_plan("rotate:fixed", "the plan after the guard message's recovery (restore, label)")

    def expect_plan_refused(self, address: str, backup: Path) -> None:
        """State lost the version while it keeps its label: the plan creates it, scripts/secret_guard.py refuses."""
        if not self.step("rotate:forget-labelled", "state", "rm", address).ok:
            self.result.fail("FAIL", "could not set up the lost-state check")
            return
        # No refresh here nor at the guards: the guard reads the secret's versions through a data source, which
        # every plan reads; the refreshed plans before and after (rotate:replan, rotate:fixed) prove the state.
        plan = self.step("rotate:plan-labelled", "plan", "-input=false", "-no-color", "-refresh=false",
                         "-out=lost.tfplan")
        guard = subprocess.run([sys.executable, str(DEFAULT_PROJECT / "scripts" / "secret_guard.py"),
                                "--env", self.result.env], input=self.plan_json("lost.tfplan"),
                               capture_output=True, text=True, timeout=60)
        refused = plan.ok and guard.returncode == 1 and address in guard.stderr
        say(self.result.env, "  rotate:plan-labelled " + ("secret_guard.py refused the plan" if refused else
                                                           f"NOT refused (guard rc={guard.returncode})"))
        if not refused:
            self.result.fail("FAIL", "with the version lost from the state, secret_guard.py did not refuse the plan")
        if not self.step("rotate:restore-labelled", "state", "push", "-force", str(backup)).ok:
            self.result.fail("FAIL", "could not restore the state after the lost-state check")

    def expect_guard(self, name: str) -> None:
        """Plan; it must fail at the secret guard."""
        guard = self.step(name, "plan", "-input=false", "-no-color", "-refresh=false")
        guard.ok = guard.rc == 1 and SECRET_GUARD in unwrapped(Path(guard.log))
        guard.note = "guard held" if guard.ok else "the plan did not stop at the secret guard"
        say(self.result.env, f"  {name} {guard.note}")
        if not guard.ok:
            self.result.fail("FAIL", f"{name}: without the tfgen-generated label, the plan did not stop at its guard")

    def plan_scenarios(self) -> None:
        """Plan each scenario tree against the applied state; any destroy or replacement fails the env."""
        env = self.result.env
        try:
            for name, tree in self.opts.scenarios:
                swap_tree(self.root, env, tree)
                # The re-plan after the apply was clean and refreshed: the scenarios skip a refresh each.
                plan = self.step(f"scenario:{name}", "plan", "-input=false", "-no-color", "-refresh=false",
                                 f"-out={name}.tfplan")
                if not plan.ok:
                    self.result.fail("FAIL", f"scenario {name}: plan failed")
                    continue
                planned = load_plan(self.plan_json(f"{name}.tfplan"))
                destructive = destructive_changes(planned)
                say(env, f"  scenario {name}: {change_summary(planned)}")
                if destructive:
                    plan.ok, plan.note = False, "destroys"
                    self.result.fail("FAIL", f"scenario {name} destroys or replaces {len(destructive)}: "
                                             + "; ".join(destructive[:8]))
        finally:
            swap_tree(self.root, env, self.opts.tree)

    def var_args(self) -> list[str]:
        """``-var`` arguments for the destroy-vars this root module declares (others are reported)."""
        declared = declared_variables(self.root)
        args = []
        for name, value in self.opts.destroy_vars:
            if name in declared:
                args += ["-var", f"{name}={value}"]
            else:
                say(self.result.env, f"  note: --destroy-var {name} is not a variable of this root module; skipped")
        return args

    def state_addresses(self) -> list[str] | None:
        """Managed-resource addresses in the state (None when the state cannot be read)."""
        listed = subprocess.run(
            ["terraform", "state", "list"], cwd=self.root, env=self.env_vars, capture_output=True, text=True
        )
        if listed.returncode != 0:
            return None
        return [a for a in listed.stdout.split() if not a.startswith("data.") and ".data." not in a]

    def teardown(self, apply_ok: bool) -> None:
        """Flip protections (if asked) the way an operator would, destroy, verify the state is empty.

        After a failed apply the flip is targeted at what exists, so that it does not retry creating
        the rest of the tree (which would only fail again and double the time).
        """
        var_args = self.var_args()
        if self.root.parent.name == "bootstrap":
            lifted = lift_prevent_destroy(self.root)
            if lifted:
                say(self.result.env, f"  note: prevent_destroy lifted in the scratch copy for the destroy: {lifted}")
        if var_args:
            targets = [] if apply_ok else [f"-target={a}" for a in self.state_addresses() or []]
            if apply_ok or targets:
                # The re-plan (or the failed apply) has just refreshed the state: skip a second refresh.
                flip = ("apply", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *var_args, *targets)
                if not self.step("unprotect", *flip).ok:
                    self.result.fail("FAIL", "apply of the --destroy-var values failed")
        destroy = self.step("destroy", "destroy", "-auto-approve", "-input=false", "-no-color", *var_args)
        if not destroy.ok and moto_revoke_race(Path(destroy.log)):
            say(self.result.env, "  note: moto lost a security-group rule to concurrent revokes; destroying again")
            retry = self.step("destroy:retry", "destroy", "-auto-approve", "-input=false", "-no-color", *var_args)
            # One destroy step in the result, whatever it took: the summary table and the tests read "destroy".
            self.result.steps.remove(retry)
            destroy.ok, destroy.rc, destroy.log = retry.ok, retry.rc, retry.log
            destroy.seconds = round(destroy.seconds + retry.seconds, 1)
            destroy.note = "retried once after moto's revoke race"
        if not destroy.ok:
            hint = protection_hint(Path(destroy.log))
            self.result.fail("FAIL", "destroy failed" + (f": {hint}" if hint else ""))
            return
        left = self.state_addresses()
        if left is None or left:
            self.result.fail("FAIL", f"destroy left resources in state: {(left or ['(unreadable state)'])[:5]}")


# The start of the storage module's precondition message (templates/terraform/modules/storage/main.tf).
SECRET_GUARD = "The application secret already holds values that Terraform did not generate"
# Or a delete whose object is already gone: under load a delete's response can be lost and the SDK's retry
# meets NotFound; the provider ignores AWS's own code for that (InvalidLaunchTemplateId.NotFound), but moto
# answers another (InvalidLaunchTemplateName.NotFoundException).
MOTO_REVOKE_RACE = re.compile(r"RevokeSecurityGroup(Ingress|Egress).*?InvalidPermission\.NotFound"
                              r"|DeleteLaunchTemplate.*?InvalidLaunchTemplateName\.NotFoundException", re.S)


def errors_in(log: Path) -> list[str]:
    """Each `Error:` of a Terraform log with what follows it up to the next one, on one line (empty when the
    log is missing or holds none)."""
    try:
        text = "\n" + log.read_text(errors="replace")
    except OSError:
        return []
    return [block.replace("\n", " ") for block in text.split("\nError: ")[1:]]


def moto_revoke_race(log: Path) -> bool:
    """True when destroy failed only because moto's threaded server raced two revokes on one security group
    (or a delete met an object its own lost first attempt had removed, see MOTO_REVOKE_RACE).

    moto mutates a group's rule lists without a lock: revoking an ingress and an egress rule of the same group
    at the same instant can drop one of them, and its revoke then answers NotFound. AWS does not do this; a
    second destroy (the refresh drops the vanished rule) is what an operator would run.
    """
    errors = errors_in(log)
    return len(errors) == 1 and bool(MOTO_REVOKE_RACE.search(errors[0]))


# A create that the emulator received twice: under load a response can be lost and the SDK sends the same
# request again, which moto answers as a duplicate (an identical Route 53 CREATE, an authorize of a rule that
# exists). Nothing in the tree causes it; a state without the first copy cannot be repaired by another apply.
DUPLICATED_REQUEST = re.compile(r"InvalidChangeBatch: Tried to create resource record set \[[^\]]*\] but it "
                                r"already exists|InvalidPermission\.Duplicate")


def duplicated_request(log: Path) -> bool:
    """True when every error of a failed apply is a create the emulator got twice (see DUPLICATED_REQUEST)."""
    errors = errors_in(log)
    return bool(errors) and all(DUPLICATED_REQUEST.search(error) for error in errors)


def set_aside(directory: Path) -> Path:
    """Move a failed first attempt's directory to `<name>.first-attempt` (replacing an older one) and return it."""
    kept = directory.with_name(directory.name + ".first-attempt")
    shutil.rmtree(kept, ignore_errors=True)
    directory.rename(kept)
    return kept


def rehearse_retrying_duplicates(env: str, opts: Options, python: Path) -> EnvResult:
    """rehearse(), once more on a fresh emulator when its apply failed only on a duplicated request.

    A tree that really creates an object twice fails the same way again, so one retry hides no defect; the
    first attempt's logs stay beside the second's (`<env>.first-attempt`)."""
    result = rehearse(env, opts, python)
    if result.status == "FAIL" and result.reason.startswith("apply failed") and not STOP.is_set() \
            and duplicated_request(opts.logs / env / "apply.log"):
        kept = set_aside(opts.logs / env)
        say(env, f"  apply met a request the emulator received twice; once more on a fresh emulator (logs of "
                 f"the first attempt: {kept})")
        result = rehearse(env, opts, python)
        if result.status == "PASS":
            result.reason = "passed on a fresh emulator after a duplicated request"
    return result


def indent(text: str, prefix: str = "    | ") -> str:
    """Prefix every line (for quoting logs in the console)."""
    return "\n".join(prefix + line for line in text.splitlines())


def rehearse(env: str, opts: Options, python: Path) -> EnvResult:
    """Run the full rehearsal for one environment; never raises for terraform failures."""
    result = EnvResult(env)
    started = time.monotonic()
    logs = opts.logs / env
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    say(env, "=== rehearsal ===")
    account = pinned_account(opts.tree / root_dir(env))
    emulator = Emulator(python, logs / "moto.log", HERE / "amis.json", opts.skip_patches, account)
    try:
        root = prepare_scratch(opts, env)
        cli_config = root.parent.parent / "cli.tfrc"
        cli_config.write_text(CLI_CONFIG % MIRROR)
        stray = module_provider_blocks(root.parent.parent)
        if stray:
            raise SetupError(f'provider "aws" blocks inside modules would bypass the emulator: {stray}')
        # The bootstrap roots' own protection is lifted before their destroy (lift_prevent_destroy).
        tree = root.parent.parent
        sites = [] if root.parent.name == "bootstrap" else [
            *prevent_destroy_sites(root), *prevent_destroy_sites(tree / "modules")]
        if sites:
            say(env, f"  warning: prevent_destroy = true at {sites}: destroy will fail")
        endpoint = emulator.start()
        override, blocks = write_override(root, endpoint)
        aliases = ", ".join(b.alias or "(default)" for b in blocks)
        pid = emulator.proc.pid if emulator.proc else "?"
        say(env, f"  emulator {endpoint} (pid {pid}); {override.name} redirects provider aws: {aliases}")
        probe = (str(python), str(HERE / "rotation_probe.py"), "--root", str(root),
                 "--script", str(DEFAULT_PROJECT / "scripts" / "rotate-app-secret.sh"), "--endpoint", endpoint)
        EnvRun(root, opts, terraform_env(cli_config), logs, result, probe).run()
    except (SetupError, OverrideError) as exc:
        result.fail("ERROR", str(exc))
    finally:
        emulator.stop()
        result.seconds = round(time.monotonic() - started, 1)
        if not opts.keep:
            shutil.rmtree(opts.work / env, ignore_errors=True)
    report_failures(result)
    return result


def report_failures(result: EnvResult) -> None:
    """Print the errors (or the tail) of every failed step's log."""
    for res in result.steps:
        if not res.ok and res.note != "drift":
            errors = error_blocks(Path(res.log))
            what = "errors" if errors else f"last {TAIL_LINES} lines"
            head = f"  --- {res.name} failed ({res.note or f'rc={res.rc}'}); {what} of {res.log}:"
            say(result.env, head + "\n" + indent(errors or tail(Path(res.log))))
    if result.status != "PASS":
        say(result.env, f"  {result.status}: {result.reason}")


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------

COLUMNS = ("init", "plan", "apply", "replan", "unprotect", "destroy")


def summary_table(results: list[EnvResult]) -> str:
    """Final per-env table of step timings (s) and result."""
    header = f"{'env':<12}" + "".join(f"{c:>11}" for c in COLUMNS) + f"{'total':>9}  result"
    lines = [header, "-" * len(header)]
    for res in results:
        by_name = {s.name: s for s in res.steps}
        cells = []
        for col in COLUMNS:
            s = by_name.get(col)
            cells.append("-" if s is None else f"{s.seconds:.1f}{'' if s.ok else '!'}")
        lines.append(
            f"{res.env:<12}"
            + "".join(f"{c:>11}" for c in cells)
            + f"{res.seconds:>9.1f}  {res.status}"
            + (f" ({res.reason})" if res.reason else "")
        )
    return "\n".join(lines)


def parse_var(text: str) -> tuple[str, str]:
    """argparse type for NAME=VALUE."""
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _scenario_arg(text: str) -> tuple[str, Path]:
    """argparse type for NAME=TREE."""
    try:
        return parse_scenario(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", action="append", default=[],
                   help="environment, or a root path such as bootstrap/<bucket> (repeatable)")
    p.add_argument("--bootstrap", action="store_true", help="also rehearse every state-backend root under bootstrap/")
    p.add_argument("--project-dir", type=Path, default=DEFAULT_PROJECT)
    p.add_argument(
        "--tree",
        type=Path,
        default=None,
        help="Terraform tree with environments/ and modules/ (default: generated/terraform)",
    )
    p.add_argument("--work-dir", type=Path, default=None, help="scratch copies and logs (default: <project>/.e2e)")
    p.add_argument("--keep", action="store_true", help="keep the scratch copies (<work-dir>/work/<env>)")
    p.add_argument(
        "--destroy-var",
        action="append",
        type=parse_var,
        default=[],
        metavar="NAME=VALUE",
        help="applied before destroy and passed to destroy (e.g. db_deletion_protection=false)",
    )
    p.add_argument(
        "--plan-scenario",
        action="append",
        type=_scenario_arg,
        default=[],
        metavar="NAME=TREE",
        help="after the apply, plan TREE's version of each environment against its state; "
        "fail if the plan destroys or replaces anything (repeatable; see plan_scenarios.py)",
    )
    p.add_argument(
        "--rotate-in",
        action="append",
        default=[],
        metavar="ENV",
        help="rehearse the secret rotation and its guards in ENV (repeatable; default: the first --env). Every "
        "environment renders the same storage module, and the seven plans of that check are the costliest part",
    )
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--jobs", type=int, default=1, help="environments rehearsed in parallel (each has its own emulator)")
    p.add_argument(
        "--skip-patch",
        action="append",
        default=[],
        metavar="NAME",
        help="diagnostic: start moto without this patch, to prove it is still needed",
    )
    return p.parse_args(argv)


def check_prerequisites(tree: Path) -> None:
    """Fail fast with a clear message when a tool or input is missing."""
    if shutil.which("terraform") is None:
        raise SetupError("terraform not found on PATH")
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        raise SetupError(f"provider mirror {MIRROR} has no hashicorp/aws")
    if not (tree / "environments").is_dir():
        raise SetupError(f"{tree}/environments does not exist (generate the tree first)")


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM into an exception so that terraform is stopped and every emulator is terminated."""

    def handler(signum: int, _frame: object) -> None:
        STOP.set()
        raise Interrupted(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def rehearse_all(envs: Sequence[str], opts: Options, python: Path, jobs: int) -> list[EnvResult]:
    """Rehearse *envs*, *jobs* at a time (time is mostly provider waiters, so 2 cores cope with 3)."""
    if jobs == 1:
        return [rehearse_retrying_duplicates(env, opts, python) for env in envs]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(rehearse_retrying_duplicates, env, opts, python) for env in envs]
        try:
            while not all(f.done() for f in futures):
                time.sleep(0.5)
        except BaseException:
            STOP.set()  # workers notice within a second, stop terraform and their emulator
            raise
        return [f.result() for f in futures]


def main(argv: Sequence[str] | None = None) -> int:
    """Rehearse every requested environment; exit 1 on any failure or drift."""
    args = parse_args(argv)
    project = args.project_dir.resolve()
    tree = (args.tree if args.tree else project / "generated" / "terraform").resolve()
    work = (args.work_dir or project / ".e2e").resolve()
    opts = Options(project, tree, work / "work", work / "logs", args.keep, args.destroy_var, args.skip_patch,
                   args.plan_scenario, frozenset(args.rotate_in or args.env[:1]))
    targets = list(args.env)
    if args.bootstrap:
        targets += sorted(f"bootstrap/{p.name}" for p in (tree / "bootstrap").glob("*") if p.is_dir())
    try:
        if not targets:
            raise SetupError("nothing to rehearse: give --env and/or --bootstrap (with bootstrap roots in the tree)")
        check_prerequisites(tree)
        python = ensure_emulator_venv(project, work)
    except (SetupError, subprocess.CalledProcessError) as exc:
        print(f"rehearsal: setup error: {exc}", file=sys.stderr)
        return 2
    try:
        with interruptible():
            results = rehearse_all(targets, opts, python, max(1, args.jobs))
    except (Interrupted, KeyboardInterrupt):
        STOP.set()
        print("\nrehearsal interrupted; emulators stopped", file=sys.stderr)
        return 130
    print("\n" + summary_table(results))
    print(f"logs: {opts.logs}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if all(r.status == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
