"""Text layout of `tfgen cost` (the terminal table) and the one-line figures `tfgen diff` and the docs show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfgen.cost.estimate import NOT_INCLUDED, Estimate

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def _usd(value: float) -> str:
    return f"${round(value, 2) + 0.0:,.2f}"  # + 0.0: -0.0 (a zero usage figure written -0.0) prints $0.00


def render_estimate(est: Estimate) -> list[str]:
    """One environment: a line per item (with its arithmetic), the total, then the savings levers."""
    width = max(len(i.item) for i in est.items)
    qwidth = max(len(i.quantity) for i in est.items)
    lines = [f"{est.env} ({est.region}): {_usd(est.total)}/month", ""]
    lines += [f"  {i.item:<{width}}  {i.quantity:<{qwidth}}  {_usd(i.monthly):>10}" for i in est.items]
    lines += [f"  {'total':<{width}}  {'':<{qwidth}}  {_usd(est.total):>10}", ""]
    if est.levers:
        lines.append("  savings levers (each on its own; they overlap, do not add them up):")
        lever_width = max(len(lv.name) for lv in est.levers)
        lines += [f"    {lv.name:<{lever_width}}  {'-' + _usd(lv.saving):>10}  {lv.detail}" for lv in est.levers]
        lines.append("")
    return lines


def render_report(estimates: list[Estimate]) -> str:
    """Every environment, then the price table's date and source and what the estimate leaves out."""
    lines: list[str] = []
    for est in estimates:
        lines += render_estimate(est)
    prices = estimates[0].prices
    lines.append(f"prices: {prices.source}; as of {prices.as_of} (table compiled {prices.compiled}).")
    lines.append("usage (GB, requests, hours) from each spec's cost: section; `tfgen show ENV` lists the values.")
    lines.append(f"not included: {'; '.join(NOT_INCLUDED)}.")
    return "\n".join(lines) + "\n"


def delta_line(a: Estimate, b: Estimate) -> str:
    """What `tfgen diff A B` prints after the table: both totals and the difference B - A."""
    delta = b.total - a.total
    sign = "+" if delta >= 0 else "-"
    return (f"estimated cost: {a.env} {_usd(a.total)}/month, {b.env} {_usd(b.total)}/month "
            f"({b.env} {sign}{_usd(abs(delta))}/month; `tfgen cost {a.env} {b.env}` for the line items)")


def cost_delta(spec_a: Spec, spec_b: Spec, env_a: str, env_b: str) -> tuple[dict | None, str]:
    """`tfgen diff`'s cost section: the JSON value and the line, or why there is none (no price for a type)."""
    from tfgen.cost.estimate import estimate
    from tfgen.cost.pricing import PriceError

    try:
        a, b = estimate(env_a, spec_a), estimate(env_b, spec_b)
    except PriceError as exc:
        return None, f"estimated cost: not available ({exc})"
    body = {"a_monthly_usd": a.total, "b_monthly_usd": b.total, "delta_monthly_usd": round(b.total - a.total, 2)}
    return body, delta_line(a, b)


def cost_context(env: str, spec: Spec) -> dict:
    """What the generated docs show of an environment's estimate: the total and one subtotal per group, or
    why there is none (an unpriced instance type must not stop a render)."""
    from tfgen.cost.estimate import estimate
    from tfgen.cost.pricing import PriceError

    try:
        est = estimate(env, spec)
    except PriceError as exc:
        return {"total": None, "as_of": None, "groups": [], "error": str(exc)}
    groups: dict[str, float] = {}
    for item in est.items:
        groups[item.group] = groups.get(item.group, 0) + item.monthly
    return {"total": est.total, "as_of": est.prices.as_of, "error": None,
            "groups": [{"name": name, "monthly": round(total, 2)} for name, total in groups.items()]}
