"""The resource instances of one environment's generated tree, by full address, with their evaluated arguments.

`environment_instances(files, env)` reads `terraform/environments/<env>/*.tf` and the modules it calls from
`files` (project-relative to generated/, as the renderer and git give them), expands every module call and
every resource by `count`/`for_each`, and evaluates each instance's arguments (tfgen.impact.evaluate). A
`for_each` whose keys are not known offline gives one instance keyed `[*]` (unknown_keys): tree.compare
treats it conservatively. `moved` blocks of the tree are returned with full addresses.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from tfgen.impact.evaluate import EvalError, Evaluator, Lazy, Unknown, refs_of, show, unknown
from tfgen.impact.hclast import Block, Body, Node, parse_body

META_ARGS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"})
MODULE_META = frozenset({"source", "count", "for_each", "providers", "depends_on", "version"})
UNKNOWN_KEY = "*"


@dataclass
class Instance:
    """One resource instance: address, type, evaluated arguments and lifecycle settings."""

    address: str
    base: str  # the address without its instance key
    type: str
    attrs: dict[str, Any]
    ignore: frozenset[str] | None = frozenset()  # lifecycle.ignore_changes (None: all)
    triggers: frozenset[str] = frozenset()  # replace_triggered_by, as addresses
    unknown_keys: bool = False
    for_each: str = ""  # the for_each/count expression's text, for unknown keys


@dataclass
class Tree:
    """Every managed resource instance of one environment, and the tree's moved blocks."""

    instances: dict[str, Instance] = field(default_factory=dict)
    moved: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ModuleDef:
    """The parsed .tf files of one directory."""

    directory: str
    variables: dict[str, Node | None]
    locals: dict[str, Node]
    outputs: dict[str, Node]
    resources: list[Block]
    calls: list[Block]
    moved: list[Block]
    data: list[Block] = field(default_factory=list)


_PARSED: dict[str, Body] = {}


def _parse(text: str, source: str) -> Body:
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
    if digest not in _PARSED:
        _PARSED[digest] = parse_body(text, source)
    return _PARSED[digest]


def load_module(files: dict[str, str], directory: str) -> ModuleDef:
    """Parse every `<directory>/*.tf` of `files`."""
    defn = ModuleDef(directory, {}, {}, {}, [], [], [])
    for path in sorted(p for p in files if posixpath.dirname(p) == directory and p.endswith(".tf")):
        body = _parse(files[path], path)
        for block in body.blocks:
            if block.type == "variable":
                defn.variables[block.labels[0]] = block.body.attributes.get("default")
            elif block.type == "locals":
                defn.locals.update(block.body.attributes)
            elif block.type == "output":
                defn.outputs[block.labels[0]] = block.body.attributes["value"]
            elif block.type == "resource":
                defn.resources.append(block)
            elif block.type == "module":
                defn.calls.append(block)
            elif block.type == "moved":
                defn.moved.append(block)
            elif block.type == "data":
                defn.data.append(block)
    return defn


def instance_key(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key, allow_nan=True)}]"


def static_address(node: Node) -> str:
    """`aws_ebs_volume.data["llm"]` of a moved block's `from`/`to` (a reference with literal keys)."""
    if node[0] != "ref":
        raise EvalError("a moved address must be a reference")
    out = node[1]
    for step in node[2]:
        if step[0] == "attr":
            out += "." + step[1]
        elif step[1][0] == "lit":
            out += instance_key(step[1][1])
        else:
            raise EvalError("a moved address needs literal keys")
    return out


class ModuleInstance:
    """One instance of a module (the environment root, or a module call's instance) and its scope."""

    def __init__(self, files: dict[str, str], defn: ModuleDef, prefix: str, inputs: Lazy | None,
                 functions: dict[str, Any]) -> None:
        self.files, self.defn, self.prefix, self.functions = files, defn, prefix, functions
        self.types = {block.labels[0] for block in defn.resources}
        self.vars = Lazy(prefix + "var", self._variable)
        self.inputs = inputs
        self.locals = Lazy(prefix + "local", lambda name: self.root.eval(defn.locals[name]))
        self.root = self.evaluator({})
        self._keys: dict[str, tuple[list[Any], Any]] = {}
        self._calls: dict[str, Any] = {}
        self.path = {"module": defn.directory, "root": defn.directory, "cwd": defn.directory}

    def _variable(self, name: str) -> Any:
        if self.inputs is not None:
            value = self.inputs.attr(name)
            if value is not _MISSING:
                return value
        default = self.defn.variables.get(name)
        return None if default is None else self.root.eval(default)

    def evaluator(self, iteration: dict[str, Any]) -> Evaluator:
        def lookup(name: str, steps: list[Node], ev: Evaluator) -> Any:
            return ev.steps(self.root_value(name, steps, iteration), self._rest(name, steps), {}, name)

        return Evaluator(lookup, self.functions)

    def _rest(self, name: str, steps: list[Node]) -> list[Node]:
        if name in self.types or name == "data":
            return []  # resource and data references consume their own steps
        return steps

    def root_value(self, name: str, steps: list[Node], iteration: dict[str, Any]) -> Any:
        if name in iteration:
            return iteration[name]
        if name == "var":
            return self.vars
        if name == "local":
            return self.locals
        if name == "path":
            return self.path
        if name == "module":
            return Lazy(self.prefix + "module", self.call)
        if name == "terraform":
            return unknown("terraform")
        if name == "data":
            return self.data_ref(steps, self.evaluator(iteration))
        if name in self.types:
            return self.resource_ref(name, steps, self.evaluator(iteration))
        raise EvalError(f"unknown reference {name}")

    def data_ref(self, steps: list[Node], ev: Evaluator) -> Any:
        """`data.x.name[key].attr`: unknown until read, but made of the data source's arguments, so that a
        changed input (a policy document's statements) changes what reads it."""
        if len(steps) < 2 or steps[0][0] != "attr" or steps[1][0] != "attr":
            raise EvalError("data without a type and name")
        kind, name = steps[0][1], steps[1][1]
        block = next((b for b in self.defn.data if b.labels == [kind, name]), None)
        base = f"{self.prefix}data.{kind}.{name}"
        if block is None:
            raise EvalError(f"no {base}")
        keys, values = self.keys(block, f"data.{kind}.{name}")

        def one(key: Any, value: Any) -> Unknown:
            args = self.body_values(block.body, self.evaluator(_iteration(block, key, value)), {})
            address = base + ("" if key is None else instance_key(key))
            return unknown(f"{address}({show(args)})", args)
        if keys == [None] or keys == [UNKNOWN_KEY]:
            rest = steps[2:]
            if keys == [UNKNOWN_KEY] and rest and rest[0][0] == "index":
                rest = rest[1:]
            return ev.steps(one(keys[0], values[0]), rest, {}, base)
        items = {k: one(k, v) for k, v in zip(keys, values, strict=True)}
        value: Any = [items[k] for k in keys] if "count" in block.body.attributes else items
        return ev.steps(value, steps[2:], {}, base)

    def resource_ref(self, kind: str, steps: list[Node], ev: Evaluator) -> Any:
        """`aws_x.name[key].attr`: unknown, reading that instance. Without a key, a resource with count or
        for_each is a list or map of its instances (each unknown), so that `for` over it keeps its keys."""
        if not steps or steps[0][0] != "attr":
            raise EvalError(f"{kind} without a name")
        name = steps[0][1]
        base = f"{self.prefix}{kind}.{name}"
        block = next(b for b in self.defn.resources if b.labels == [kind, name])
        keys, _ = self.keys(block, f"{kind}.{name}")
        if keys == [None] or keys == [UNKNOWN_KEY]:
            rest = steps[1:]
            if keys == [UNKNOWN_KEY] and rest and rest[0][0] == "index":
                rest = rest[1:]
            return Unknown(base + "".join(show_step(s) for s in rest), frozenset({base}))
        instances = {k: Unknown(base + instance_key(k), frozenset({base + instance_key(k)})) for k in keys}
        value: Any = [instances[k] for k in keys] if "count" in block.body.attributes else instances
        return ev.steps(value, steps[1:], {}, base)

    # ------------------------------------------------------------------------------------------ module calls

    def call(self, name: str) -> Any:
        """The outputs of `module.<name>`: one Lazy, or a list/map of them for count/for_each."""
        if name not in self._calls:
            block = next((b for b in self.defn.calls if b.labels[0] == name), None)
            if block is None:
                raise EvalError(f"no module {name}")
            keys, values = self.keys(block, f"module.{name}")
            children = {k: self.child(block, k, v) for k, v in zip(keys, values, strict=True)}
            if "count" in block.body.attributes:
                self._calls[name] = [children[k] for k in keys]
            elif "for_each" in block.body.attributes:
                self._calls[name] = children
            else:
                self._calls[name] = children.get(None)
        return self._calls[name]

    def child(self, block: Block, key: Any, value: Any) -> Any:
        source = block.body.attributes["source"][1]
        directory = posixpath.normpath(posixpath.join(self.defn.directory, source))
        suffix = "" if key is None else instance_key(key)
        iteration = _iteration(block, key, value)
        ev = self.evaluator(iteration)
        args = {n: node for n, node in block.body.attributes.items() if n not in MODULE_META}
        inputs = Lazy(f"module.{block.labels[0]}", lambda n: ev.eval(args[n]) if n in args else _MISSING)
        instance = ModuleInstance(self.files, load_module(self.files, directory),
                                  f"{self.prefix}module.{block.labels[0]}{suffix}.", inputs, self.functions)
        outputs = Lazy(instance.prefix.rstrip("."), lambda n: instance.root.eval(instance.defn.outputs[n]))
        outputs.instance = instance  # type: ignore[attr-defined]
        return outputs

    def keys(self, block: Block, label: str) -> tuple[list[Any], list[Any]]:
        """Instance keys (None: a single instance) and each.value of a resource or module block; unknown keys
        give the one key UNKNOWN_KEY."""
        if label in self._keys:
            return self._keys[label]
        attrs = block.body.attributes
        result: tuple[list[Any], list[Any]]
        if "count" in attrs:
            count = self._eval_meta(attrs["count"])
            result = ([UNKNOWN_KEY], [None]) if not isinstance(count, int) else (list(range(count)), [None] * count)
        elif "for_each" in attrs:
            result = self._for_each(attrs["for_each"])
        else:
            result = ([None], [None])
        self._keys[label] = result
        return result

    def _eval_meta(self, node: Node) -> Any:
        try:
            return self.root.eval(node)
        except EvalError:
            return unknown("error")

    def _for_each(self, node: Node) -> tuple[list[Any], list[Any]]:
        if node[0] == "ref" and node[1] in self.types and len(node[2]) == 1:
            block = next(b for b in self.defn.resources if b.labels == [node[1], node[2][0][1]])
            keys, _ = self.keys(block, ".".join(block.labels))
            return keys, [Unknown(f"{self.prefix}{node[1]}.{node[2][0][1]}{instance_key(k)}",
                                  frozenset({f"{self.prefix}{node[1]}.{node[2][0][1]}{instance_key(k)}"}))
                          for k in keys]
        value = self._eval_meta(node)
        if isinstance(value, dict) and all(not isinstance(k, Unknown) for k in value):
            return sorted(value), [value[k] for k in sorted(value)]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return sorted(value), sorted(value)
        return [UNKNOWN_KEY], [unknown("each.value", value)]

    # ------------------------------------------------------------------------------------------ resources

    def expand(self, tree: Tree) -> None:
        """Add this module's instances (and its module calls') to `tree`."""
        for block in self.defn.resources:
            kind, name = block.labels
            keys, values = self.keys(block, f"{kind}.{name}")
            base = f"{self.prefix}{kind}.{name}"
            for key, value in zip(keys, values, strict=True):
                address = base + ("" if key is None else instance_key(key))
                ev = self.evaluator(_iteration(block, key, value))
                inst = Instance(address, base, kind, {}, unknown_keys=key == UNKNOWN_KEY)
                if inst.unknown_keys:
                    inst.for_each = show(self._eval_meta(block.body.attributes.get("for_each")
                                                         or block.body.attributes["count"]))
                inst.attrs = self.body_values(block.body, ev, {})
                self.lifecycle(block.body, ev, inst)
                tree.instances[address] = inst
        for block in self.defn.moved:
            try:
                tree.moved.append((self.prefix + static_address(block.body.attributes["from"]),
                                   self.prefix + static_address(block.body.attributes["to"])))
            except (EvalError, KeyError):
                continue
        for block in self.defn.calls:
            outputs = self.call(block.labels[0])
            children = outputs if isinstance(outputs, list) else \
                list(outputs.values()) if isinstance(outputs, dict) else [outputs]
            for child in children:
                child.instance.expand(tree)

    def body_values(self, body: Body, ev: Evaluator, frame: dict[str, Any]) -> dict[str, Any]:
        """Arguments and nested blocks (lists of bodies) of a resource body, evaluated."""
        out: dict[str, Any] = {}
        for name, node in body.attributes.items():
            if name in META_ARGS:
                continue
            try:
                out[name] = ev.eval(node, frame)
            except EvalError as exc:
                out[name] = Unknown(f"<error: {exc}>")
        for block in body.blocks:
            if block.type in META_ARGS:
                continue
            if block.type == "dynamic":
                out.setdefault(block.labels[0], []).extend(self.dynamic(block, ev, frame))
            else:
                out.setdefault(block.type, []).append(self.body_values(block.body, ev, frame))
        return out

    def dynamic(self, block: Block, ev: Evaluator, frame: dict[str, Any]) -> list[Any]:
        attrs = block.body.attributes
        iterator = attrs["iterator"][1] if "iterator" in attrs else block.labels[0]
        try:
            coll = ev.eval(attrs["for_each"], frame)
        except EvalError as exc:
            coll = Unknown(f"<error: {exc}>")
        content = next(b.body for b in block.body.blocks if b.type == "content")
        if isinstance(coll, Unknown):
            return [unknown(f"dynamic({coll.text})", coll)]
        pairs = sorted(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
        return [self.body_values(content, ev, {**frame, iterator: {"key": k, "value": v}}) for k, v in pairs]

    def lifecycle(self, body: Body, ev: Evaluator, inst: Instance) -> None:
        for block in body.blocks:
            if block.type != "lifecycle":
                continue
            ignore = block.body.attributes.get("ignore_changes")
            if ignore is not None:
                if ignore[0] == "ref" and ignore[1] == "all":
                    inst.ignore = None
                elif ignore[0] == "tuple":
                    inst.ignore = frozenset(item[1] for item in ignore[1] if item[0] == "ref")
            triggers = block.body.attributes.get("replace_triggered_by")
            if triggers is not None:
                try:
                    inst.triggers = refs_of(ev.eval(triggers))
                except EvalError:
                    inst.triggers = frozenset({inst.base})


_MISSING = object()


def show_step(step: Node) -> str:
    if step[0] == "attr":
        return "." + step[1]
    key = step[1][1] if step[1][0] == "lit" else "?"
    return instance_key(key) if not isinstance(key, Unknown) else f"[{key.text}]"


def _iteration(block: Block, key: Any, value: Any) -> dict[str, Any]:
    if key is None:
        return {}
    if "count" in block.body.attributes:
        return {"count": {"index": key if isinstance(key, int) else unknown("count.index")}}
    if key == UNKNOWN_KEY:
        return {"each": {"key": unknown("each.key"), "value": value}}
    return {"each": {"key": key, "value": value}}


def _templatefile(files: dict[str, str]) -> Any:
    def templatefile(path: str, variables: Any) -> Unknown:
        digest = hashlib.sha1(files.get(path, "<missing>").encode(), usedforsecurity=False).hexdigest()[:16]
        return unknown(f"templatefile({path}@{digest},{show(variables)})", variables)
    return templatefile


def environment_instances(files: dict[str, str], env: str) -> Tree:
    """Every managed resource instance of `terraform/environments/<env>`; an empty tree without files."""
    directory = f"terraform/environments/{env}"
    tree = Tree()
    if not any(posixpath.dirname(p) == directory for p in files):
        return tree
    functions = {"templatefile": _templatefile(files)}
    ModuleInstance(files, load_module(files, directory), "", None, functions).expand(tree)
    return tree
