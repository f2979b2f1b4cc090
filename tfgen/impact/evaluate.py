"""Evaluate the expressions of a generated tree as far as they are known without the provider or the state.

What the generated tree computes from literals, variables, locals, `each`/`count`, `for` expressions and the
usual functions is evaluated to plain Python values. Everything else (another resource's attribute, a data
source, a function tfgen does not model) is an Unknown: a deterministic text of the expression with every
known input substituted, plus the resource addresses it reads. Two Unknowns with the same text are the same
value; a different text is a change, which is the conservative answer. `refs` lets the tree comparison
propagate a replacement to the resources that read the replaced one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfgen.impact.hclast import Node


@dataclass(frozen=True)
class Unknown:
    """A value known only after apply (or not modelled): compared by the text of what it is made of."""

    text: str
    refs: frozenset[str] = frozenset()


class EvalError(Exception):
    """An expression that fails in Terraform too (a missing key, a wrong type): `try()` and `can()` catch it."""


def show(value: Any) -> str:
    """Deterministic text of a value, for Unknown texts."""
    if isinstance(value, Unknown):
        return value.text
    if isinstance(value, list):
        return "[" + ",".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, allow_nan=True)}:{show(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, Lazy):
        return value.name
    return json.dumps(value, allow_nan=True)  # text to compare and show, never parsed as JSON


def refs_of(*values: Any) -> frozenset[str]:
    """Every resource address the values read (through Unknowns, at any depth)."""
    found: set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Unknown):
            found |= value.refs
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, dict):
            stack += value.values()
    return frozenset(found)


def unknown(text: str, *inputs: Any) -> Unknown:
    return Unknown(text, refs_of(*inputs))


def has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    return False


class Lazy:
    """An object whose attributes are computed on first read (locals, module outputs)."""

    def __init__(self, name: str, get: Callable[[str], Any]) -> None:
        self.name, self._get, self._cache = name, get, {}  # type: ignore[var-annotated]
        self._busy: set[str] = set()

    def attr(self, key: str) -> Any:
        """The attribute's value; a missing name or a cycle is an EvalError (Terraform refuses both)."""
        if key not in self._cache:
            if key in self._busy:
                raise EvalError(f"{self.name}.{key} depends on itself")
            self._busy.add(key)
            try:
                self._cache[key] = self._get(key)
            except KeyError:
                raise EvalError(f"no {self.name}.{key}") from None
            finally:
                self._busy.discard(key)
        return self._cache[key]


def _num(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return float(value)
    return value


def _op(op: str, a: Any, b: Any) -> Any:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "&&":
        return bool(a) and bool(b)
    if op == "||":
        return bool(a) or bool(b)
    a, b = _num(a), _num(b)
    if op == "/":
        return a / b
    result = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "%": lambda: a % b,
              "<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    return result


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, list):
        return value
    raise EvalError(f"not a collection: {show(value)}")


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError("merge of a non-map")
        out.update(m)
    return out


def _one(coll: Any) -> Any:
    items = _as_list(coll)
    if len(items) > 1:
        raise EvalError("one() of more than one element")
    return items[0] if items else None


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if arg is not None and arg != "":
            return arg
    raise EvalError("coalesce of nulls")


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if isinstance(m, dict) and key in m:
        return m[key]
    if default:
        return default[0]
    raise EvalError(f"no key {key!r}")


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out += _flatten(item) if isinstance(item, list) else [item]
    return out


def _regex(pattern: str, text: str) -> Any:
    match = re.search(pattern, text)
    if match is None:
        raise EvalError("regex: no match")
    if match.groupdict():
        return match.groupdict()
    return list(match.groups()) if match.groups() else match.group()


def _format(spec: str, *args: Any) -> str:
    return spec.replace("%d", "%s").replace("%q", '"%s"') % tuple(args)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "keys": lambda m: sorted(m), "values": lambda m: [m[k] for k in sorted(m)],
    "toset": lambda c: sorted(set(c), key=show), "tolist": list, "tomap": dict, "tostring": str,
    "tonumber": _num, "merge": _merge, "length": len, "lookup": _lookup, "contains": lambda c, v: v in c,
    "concat": lambda *ls: [x for item in ls for x in item], "coalesce": _coalesce, "one": _one,
    "join": lambda sep, items: sep.join(str(i) for i in items), "split": lambda sep, s: s.split(sep),
    "lower": str.lower, "upper": str.upper, "replace": lambda s, a, b: s.replace(a, b),
    "substr": lambda s, off, n: s[off:off + n] if n >= 0 else s[off:], "min": min, "max": max,
    "distinct": lambda c: list(dict.fromkeys(c)), "flatten": _flatten, "format": _format,
    "jsonencode": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), allow_nan=True),
    "element": lambda c, i: c[i % len(c)], "sort": sorted, "zipmap": lambda k, v: dict(zip(k, v, strict=True)),
    "startswith": str.startswith, "endswith": str.endswith, "trimsuffix": str.removesuffix,
    "trimprefix": str.removeprefix, "alltrue": lambda c: all(c), "anytrue": lambda c: any(c),
    "range": lambda *a: list(range(*a)), "abs": abs, "ceil": lambda x: -(-x // 1), "floor": lambda x: x // 1,
    "slice": lambda c, a, b: c[a:b], "regex": _regex,
    "compact": lambda c: [x for x in c if x not in (None, "")], "trimspace": str.strip,
}


# Functions that only rearrange collections: unknown elements pass through, keys stay known.
STRUCTURAL = frozenset({"merge", "keys", "length", "lookup", "concat", "values", "flatten", "tolist", "tomap",
                        "zipmap", "element", "slice", "one"})


class Evaluator:
    """Evaluates nodes against a scope: `lookup(name)` gives a root value (var, local, each, count, ...)."""

    def __init__(self, lookup: Callable[[str, list[Node], Evaluator], Any],
                 functions: dict[str, Callable[..., Any]] | None = None) -> None:
        self.lookup = lookup
        self.functions = {**FUNCTIONS, **(functions or {})}

    def eval(self, node: Node, frame: dict[str, Any] | None = None) -> Any:  # noqa: C901 - one branch per node kind
        frame = frame or {}
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ref":
            if node[1] in frame:
                return self.steps(frame[node[1]], node[2], frame, node[1])
            return self._framed(node, frame)
        if kind == "tmpl":
            return self.template(node[1], frame)
        if kind == "opaque":
            inputs = [self.eval(ref, frame) for ref in node[2]]
            return unknown(node[1] + "|" + show(inputs), *inputs)
        if kind == "tuple":
            return [self.eval(item, frame) for item in node[1]]
        if kind == "object":
            out = {}
            for key_node, value_node in node[1]:
                key = self.eval(key_node, frame)
                if isinstance(key, Unknown):
                    return unknown("{" + key.text + "}", key)
                out[str(key)] = self.eval(value_node, frame)
            return out
        if kind == "for":
            return self.for_expr(node, frame)
        if kind == "op":
            return self.binary(node, frame)
        if kind in ("not", "neg"):
            value = self.eval(node[1], frame)
            if isinstance(value, Unknown):
                return unknown(("!" if kind == "not" else "-") + value.text, value)
            return (not value) if kind == "not" else -_num(value)
        if kind == "cond":
            test = self.eval(node[1], frame)
            if isinstance(test, Unknown):
                yes, no = self.eval(node[2], frame), self.eval(node[3], frame)
                return unknown(f"({test.text}?{show(yes)}:{show(no)})", test, yes, no)
            return self.eval(node[2] if test else node[3], frame)
        if kind == "call":
            return self.call(node, frame)
        if kind == "trav":
            return self.steps(self.eval(node[1], frame), node[2], frame, "(...)")
        if kind == "splat":
            base = self.eval(node[1], frame)
            if isinstance(base, Unknown):
                return unknown(base.text + "[*]", base)
            items = [] if base is None else base if isinstance(base, list) else [base]
            return [self.steps(item, node[2], frame, "[*]") for item in items]
        raise EvalError(f"unknown node {kind}")

    def _framed(self, node: Node, frame: dict[str, Any]) -> Any:
        """A root that is not an iteration variable: looked up, then its index steps evaluated in the frame."""
        steps = [(s[0], ("lit", self.eval(s[1], frame))) if s[0] == "index" else s for s in node[2]]
        return self.lookup(node[1], steps, self)

    def steps(self, value: Any, steps: list[Node], frame: dict[str, Any], label: str) -> Any:
        """Apply attribute and index steps; an Unknown absorbs them into its text."""
        for step in steps:
            key = step[1] if step[0] == "attr" else self.eval(step[1], frame)
            if isinstance(value, Unknown) or isinstance(key, Unknown):
                return unknown(f"{show(value)}[{show(key)}]", value, key)
            value = self.index(value, key, step[0] == "attr")
        return value

    @staticmethod
    def index(value: Any, key: Any, attr: bool) -> Any:
        if isinstance(value, Lazy):
            return value.attr(key)
        if isinstance(value, dict):
            if key in value:
                return value[key]
            if attr:
                return None  # an optional() attribute left out is null
            raise EvalError(f"no key {key!r}")
        if isinstance(value, list):
            try:
                return value[int(_num(key))]
            except (IndexError, ValueError, TypeError):
                raise EvalError(f"no index {key!r}") from None
        if value is None:
            raise EvalError(f"attribute {key!r} of null")
        raise EvalError(f"cannot index {show(value)}")

    def template(self, parts: list[Any], frame: dict[str, Any]) -> Any:
        values = [p if isinstance(p, str) else self.eval(p, frame) for p in parts]
        if len(parts) == 1 and not isinstance(parts[0], str):
            return values[0]
        if any(has_unknown(v) for v in values):
            return unknown('"' + "".join(v if isinstance(v, str) else "${" + show(v) + "}" for v in values) + '"',
                           *values)
        return "".join(_string(v) for v in values)

    def binary(self, node: Node, frame: dict[str, Any]) -> Any:
        a, b = self.eval(node[2], frame), self.eval(node[3], frame)
        if has_unknown(a) or has_unknown(b):
            return unknown(f"({show(a)}{node[1]}{show(b)})", a, b)
        try:
            return _op(node[1], a, b)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise EvalError(str(exc)) from None

    def call(self, node: Node, frame: dict[str, Any]) -> Any:
        name, arg_nodes, expand = node[1], node[2], node[3]
        if name in ("try", "can"):
            for arg in arg_nodes:
                try:
                    value = self.eval(arg, frame)
                except EvalError:
                    continue
                return True if name == "can" else value
            if name == "can":
                return False
            raise EvalError("try: no argument succeeded")
        args = [self.eval(arg, frame) for arg in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return unknown(f"{name}({show(args)}, {last.text}...)", *args, last)
            args += _as_list(last)
        function = self.functions.get(name)
        opaque = any(isinstance(a, Unknown) for a in args) if name in STRUCTURAL else \
            any(has_unknown(a) for a in args)
        if function is None or opaque:
            return unknown(f"{name}({','.join(show(a) for a in args)})", *args)
        try:
            return function(*args)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise EvalError(f"{name}: {exc}") from None

    def for_expr(self, node: Node, frame: dict[str, Any]) -> Any:
        _, kvar, vvar, coll_node, key_node, value_node, cond_node, group, is_object = node
        coll = self.eval(coll_node, frame)
        if isinstance(coll, Unknown):
            return unknown(f"for({coll.text})", coll)
        pairs = sorted(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
        out_list, out_map = [], {}  # type: ignore[var-annotated]
        for k, v in pairs:
            inner = {**frame, vvar: v}
            if kvar:
                inner[kvar] = k
            if cond_node is not None:
                keep = self.eval(cond_node, inner)
                if isinstance(keep, Unknown):
                    return unknown(f"for({show(coll)} if {keep.text})", coll, keep)
                if not keep:
                    continue
            value = self.eval(value_node, inner)
            if not is_object:
                out_list.append(value)
                continue
            key = self.eval(key_node, inner)
            if isinstance(key, Unknown):
                return unknown(f"for({show(coll)} => {key.text})", coll, key)
            if group:
                out_map.setdefault(str(key), []).append(value)
            else:
                out_map[str(key)] = value
        return out_map if is_object else out_list


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
