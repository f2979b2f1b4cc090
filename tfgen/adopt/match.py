"""Pair a state's resource instances with the ones tfgen declares: by type and identity, never by address.

Passes, repeated until nothing changes: exact attribute values (a CIDR, a domain, a log-group name), references
to objects already paired (the subnet a NAT gateway sits in, the role of an instance profile), the words of
an object's names (`imageunderstander-dev-frontend-sg` is the frontend's group), and finally "the only one of
its type on both sides". A candidate that several declared instances could take is left unpaired and
reported; when one live object meets a `for_each` map (a single NAT gateway, a single private route table),
the map's first key takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tfgen.adopt.declared import Declared
from tfgen.adopt.state import StateInstance

NAME_ATTRS = ("name", "name_prefix", "bucket", "bucket_prefix", "identifier", "identifier_prefix", "alarm_name",
              "domain_name")
WORD_RE = re.compile(r"[a-z0-9]+")


def attr(attrs: dict[str, Any], path: str) -> Any:
    """A dotted path into state attributes (`tags.Name`); None when any step is missing."""
    value: Any = attrs
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def words(text: str) -> set[str]:
    return set(WORD_RE.findall(text.lower()))


def name_words(inst: StateInstance) -> set[str]:
    """The words of every name an object carries (its Name tag, name, prefix, bucket, identifier...)."""
    found: set[str] = set()
    tags = inst.attrs.get("tags") or {}
    for value in [tags.get("Name") if isinstance(tags, dict) else None,
                  *(inst.attrs.get(a) for a in NAME_ATTRS)]:
        if isinstance(value, str):
            found |= words(value)
    return found


@dataclass(frozen=True)
class Matching:
    """Which state instance each declared address took, and why some could not be placed."""

    pairs: dict[str, StateInstance]  # declared address -> state instance
    ambiguous: dict[str, list[str]]  # declared address -> the state addresses it could not choose between

    def state_of(self, address: str) -> StateInstance | None:
        return self.pairs.get(address)


def _same(state_value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(state_value, bool):
        return state_value is wanted
    if isinstance(wanted, int | float) and isinstance(state_value, int | float):
        return state_value == wanted
    return state_value == wanted


class _Matcher:
    def __init__(self, state: list[StateInstance], declared: list[Declared]):
        self.declared = declared
        self.by_type: dict[str, list[StateInstance]] = {}
        for inst in state:
            self.by_type.setdefault(inst.type, []).append(inst)
        self.pairs: dict[str, StateInstance] = {}
        self.used: set[str] = set()
        self.ambiguous: dict[str, list[str]] = {}

    def free(self, type_: str) -> list[StateInstance]:
        return [s for s in self.by_type.get(type_, []) if s.address not in self.used]

    def candidates(self, d: Declared) -> list[StateInstance] | None:
        """Free instances that fit `d`; None when a reference target is not paired yet (try again later)."""
        found = [s for s in self.free(d.type) if all(_same(attr(s.attrs, p), v) for p, v in d.attrs)]
        for ref in d.refs:
            target = self.pairs.get(ref.target)
            if target is None:
                return None
            wanted = attr(target.attrs, ref.target_attr)
            found = [s for s in found if wanted is not None and attr(s.attrs, ref.attr) == wanted]
        if d.tokens:
            need = words(" ".join(d.tokens))
            found = [s for s in found if need <= name_words(s)]
        if len(found) > 1 and d.hints:
            hint = words(" ".join(d.hints))
            found = [s for s in found if hint <= name_words(s)] or found
        return found

    def identified(self, d: Declared) -> bool:
        return bool(d.attrs or d.refs or d.tokens)

    def sole_of_type(self, d: Declared) -> bool:
        others = [o for o in self.declared if o.type == d.type and o.address not in self.pairs]
        return d.unique and len(others) == 1 and len(self.free(d.type)) == 1

    def step(self) -> bool:
        progress = False
        for d in self.declared:
            if d.address in self.pairs or not (self.identified(d) or d.unique):
                continue
            found = self.candidates(d) if self.identified(d) else self.free(d.type)
            if found is None:
                continue
            if len(found) == 1 and (self.identified(d) or self.sole_of_type(d)):
                self.pairs[d.address] = found[0]
                self.used.add(found[0].address)
                self.ambiguous.pop(d.address, None)
                progress = True
            elif len(found) > 1:
                self.ambiguous[d.address] = sorted(s.address for s in found)
        return progress


def match(state: list[StateInstance], declared: list[Declared]) -> Matching:
    """Pair state instances with declared ones (see the module docstring). Last, an object with nothing to
    identify it (terraform_data, a database's snapshot suffix) that sits at the very address tfgen's tree
    gives it, with the same type, is the same object: Terraform keeps it there anyway."""
    matcher = _Matcher(state, declared)
    while matcher.step():
        pass
    for d in declared:
        same = [s for s in matcher.free(d.type) if s.address == d.address]
        if d.address not in matcher.pairs and same and not matcher.identified(d):
            matcher.pairs[d.address] = same[0]
            matcher.used.add(same[0].address)
    ambiguous = {k: v for k, v in matcher.ambiguous.items() if k not in matcher.pairs}
    return Matching(dict(sorted(matcher.pairs.items())), dict(sorted(ambiguous.items())))
