"""Issue 23, numbers: usage figures are bounded (no $inf/month, no Infinity in JSON), -0.0 prints as zero, and
every JSON tfgen prints is strict JSON (a float that is not finite is an error, never `Infinity`/`NaN`)."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tfgen.cost.fields import MAX_AMOUNT

ROOT = Path(__file__).resolve().parent.parent


def _with_cost(project: Path, body: str) -> None:
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text() + f"\ncost:\n{body}\n")


def _strict_json(text: str):
    def refuse(name: str):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_huge_usage_figure_is_refused_with_its_bound(project: Path, run) -> None:
    _with_cost(project, "  alb_lcu: 1.7e308")
    result = run("-C", str(project), "validate", "dev")
    assert result.exit_code == 2
    assert "cost.alb_lcu" in result.stderr and "above the maximum" in result.stderr
    cost = run("-C", str(project), "cost", "dev", "--json")
    assert cost.exit_code == 2 and "Infinity" not in cost.stdout
    _strict_json(cost.stdout)


def test_largest_allowed_figures_give_finite_json_and_readme(project: Path, run) -> None:
    from tfgen.cost.fields import COST
    _with_cost(project, "\n".join(f"  {name}: {MAX_AMOUNT}" for name, f in COST.fields.items() if f.kind == "number"))
    result = run("-C", str(project), "cost", "dev", "--json")
    assert result.exit_code == 0, result.stderr
    report = _strict_json(result.stdout)
    assert all(math.isfinite(i["monthly_usd"]) for e in report["environments"] for i in e["items"])
    text = run("-C", str(project), "cost", "dev")
    assert "inf" not in text.stdout.replace("info", "")


def test_negative_zero_prints_as_zero(project: Path, run) -> None:
    _with_cost(project, "  nat_data_gb_month: -0.0")
    result = run("-C", str(project), "cost", "dev")
    assert result.exit_code == 0, result.stderr
    assert "$-0.00" not in result.stdout and "-0 GB" not in result.stdout
    assert "$0.00" in result.stdout


def test_every_json_dumps_refuses_nan() -> None:
    """Structural: each json.dumps in tfgen/ and scripts/ says what it does with NaN (json's default writes it):
    allow_nan=False for output; allow_nan=True only where the text is hashed, never read as JSON (ci_plan)."""
    missing = []
    for path in [*ROOT.joinpath("tfgen").rglob("*.py"), *ROOT.joinpath("scripts").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("dumps", "dump")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "json"
                    and not any(k.arg == "allow_nan" for k in node.keywords)):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, missing


@settings(max_examples=25, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_json_emitter_never_writes_non_json_numbers(value: float) -> None:
    from tfgen.cli.base import json_text
    try:
        text = json_text({"v": value})
    except ValueError:
        assert not math.isfinite(value)
        return
    assert _strict_json(text)["v"] == value
