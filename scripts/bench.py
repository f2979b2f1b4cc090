"""`make bench`: cold wall time and peak memory of tfgen commands, beside the floor of any Python Jinja CLI.

Each figure is the median of several fresh processes (cold: a new interpreter every run). Prints a table;
it never fails on a number: targets are printed next to the figures for people to judge.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
SYNTHETIC_ENVS = 100
AT_SCALE = 1000  # environments of the scale rows (one run each: a run takes tens of seconds)


def measure(argv: list[str], cwd: Path, prepare=None, runs: int = RUNS, env: dict | None = None) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MB) of `argv` over `runs` fresh processes."""
    times, peaks = [], []
    for _ in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"benchmark command failed: {' '.join(argv)}")
    return statistics.median(times), max(peaks)


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, dest / name)
    if (ROOT / "generated").exists():
        shutil.copytree(ROOT / "generated", dest / "generated")
    return dest


# The bundled prod account: the base spec's state bucket lives there, and environments that share a bucket
# share its account (a validation rule), so the synthetic ones add no bootstrap root.
SYNTHETIC_ACCOUNT = "111122223333"


def synthetic_spec(index: int) -> str:
    """One environment that extends the base spec with small differences (domain, log retention);
    tests/test_bench.py keeps it valid as the spec's rules grow."""
    retention = (7, 14, 30, 60, 90)
    return ("extends: base.yaml\n"
            f'aws:\n  account_id: "{SYNTHETIC_ACCOUNT}"\n'
            f"dns:\n  domain: e{index:04d}.example.com\n"
            f"logs:\n  retention_days: {retention[index % len(retention)]}\n")


def add_synthetic_envs(project: Path, count: int) -> None:
    for i in range(count):
        (project / "specs" / f"e{i:04d}.yaml").write_text(synthetic_spec(i))


def format_speed_ms() -> tuple[float, float]:
    """In-process wall and CPU ms to parse and format every generated .tf file (median of 20 rounds each).

    CPU time is printed beside wall time because a shared machine inflates the wall figure.
    """
    sys.path.insert(0, str(ROOT))
    from tfgen.hcl import format_hcl

    texts = [p.read_text() for p in sorted((ROOT / "generated").rglob("*.tf"))]
    walls, cpus = [], []
    for _ in range(20):
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            format_hcl(text)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def fmt_check_rows(project: Path) -> list[tuple[str, tuple[float, float], float | None, float | None]]:
    """`tfgen fmt -check -recursive` on the generated tree, beside `terraform fmt` doing the same (if installed)."""
    rows = [("tfgen fmt -check -recursive generated", measure(
        [sys.executable, "-m", "tfgen.cli", "fmt", "-check", "-recursive", "generated"], project), None, None)]
    terraform = shutil.which("terraform")
    if terraform:
        os.environ.setdefault("CHECKPOINT_DISABLE", "1")  # no version check over the network
        rows.append(("terraform fmt -check -recursive generated",
                     measure([terraform, "fmt", "-check", "-recursive", "generated"], project), None, None))
    return rows


def at_scale(tfgen: list[str], tmp: Path) -> list[tuple[str, tuple[float, float], float | None, float | None]]:
    """render and check of AT_SCALE one-screen environments, with an empty format cache (cold) and a filled one."""
    project = copy_project(tmp / "scale")
    add_synthetic_envs(project, AT_SCALE)
    cache = tmp / "scale-cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(project / "generated", ignore_errors=True)

    n = AT_SCALE + 3
    render_cold = measure([*tfgen, "render", "--all"], project, prepare=cold, runs=1, env=env)
    check_warm = measure([*tfgen, "check", "--all"], project, runs=1, env=env)
    check_cold = measure([*tfgen, "check", "--all"], project, prepare=lambda: shutil.rmtree(cache), runs=1, env=env)
    return [(f"tfgen render --all ({n} environments, cold cache)", render_cold, None, 30.0),
            (f"tfgen check --all ({n} environments, warm cache)", check_warm, None, 10.0),
            (f"tfgen check --all ({n} environments, cold cache)", check_cold, None, None)]


def main() -> None:
    tfgen = [sys.executable, "-m", "tfgen.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        fresh = lambda: shutil.rmtree(project / "generated", ignore_errors=True)  # noqa: E731
        floor = measure([sys.executable, "-c", "import jinja2, yaml, click"], project)
        render_dev = measure([*tfgen, "render", "dev"], project, prepare=fresh)
        render_dev_warm = measure([*tfgen, "render", "dev"], project)
        shutil.rmtree(project / "generated", ignore_errors=True)
        subprocess.run([*tfgen, "render", "--all"], cwd=project, check=True, capture_output=True)
        check_all = measure([*tfgen, "check", "--all"], project)
        fmt_rows = fmt_check_rows(project)
        many = copy_project(Path(tmp) / "many")
        add_synthetic_envs(many, SYNTHETIC_ENVS)
        fresh_many = lambda: shutil.rmtree(many / "generated", ignore_errors=True)  # noqa: E731
        render_many = measure([*tfgen, "render", "--all"], many, prepare=fresh_many)
        scale_rows = at_scale(tfgen, Path(tmp))

    fmt_ms = format_speed_ms()
    rows = [
        ("floor: python -c 'import jinja2, yaml, click'", floor, None, None),
        ("tfgen render dev (empty tree)", render_dev, 2.5, None),
        ("tfgen render dev (tree up to date)", render_dev_warm, 2.5, None),
        ("tfgen check --all", check_all, 3.0, None),
        (f"tfgen render --all ({SYNTHETIC_ENVS + 3} environments)", render_many, None, 3.0),
        *fmt_rows,
        *scale_rows,
    ]
    print(f"{'command':<52} {'wall s':>8} {'x floor':>8} {'peak MB':>8}  target")
    for name, (wall, peak), ratio_target, seconds_target in rows:
        ratio = wall / floor[0]
        target = []
        if ratio_target:
            target.append(f"<= {ratio_target}x floor")
        if seconds_target:
            target.append(f"< {seconds_target:.0f} s")
        if name.startswith("tfgen") and " fmt " not in name and "environments" not in name:
            target.append("< 80 MB")
        print(f"{name:<52} {wall:>8.3f} {ratio:>8.2f} {peak:>8.1f}  {', '.join(target)}")
    print(f"tfgen.hcl: parsing and formatting the generated .tf files takes {fmt_ms[0]:.1f} ms wall, "
          f"{fmt_ms[1]:.1f} ms CPU in-process (median of 20; target < 100 ms)")
    print(f"(median of {RUNS} cold runs each; peak = max RSS over the runs; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
