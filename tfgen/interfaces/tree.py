"""What the rendered modules and bootstrap roots declare, read back from their canonical HCL: resource
addresses, checkov skips and IAM grants. The generated README, AGENTS.md and module READMEs are written from
these facts (not from prose kept beside the templates), so they cannot name an address, a policy or a skip
that the tree does not have.

The text is `terraform fmt`-canonical (the renderer formats it first), so top-level blocks start at column 0
and their arguments sit at two spaces: line patterns are enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tfgen.interfaces import MODULE_ORDER

BLOCK_RE = re.compile(r'^(?P<kind>resource|data) "(?P<type>[^"]+)" "(?P<name>[^"]+)" \{\}?$')
SKIP_RE = re.compile(r"^\s*#\s*checkov:skip=(?P<id>CKV2?_[A-Z]+_\d+):(?P<reason>.*)$")
META_RE = re.compile(r"^  (?P<meta>for_each|count)\s*=\s*(?P<expr>.+)$")
# `policy_arn = "..."`, or one entry of a for_each map of them; the partition may be data.aws_partition's.
MANAGED_RE = re.compile(r'^\s+[a-z_]+\s*=\s*"arn:(?:aws|\$\{data\.aws_partition\.current\.partition\}):'
                        r'(?P<policy>iam::aws:policy/[^"]+)"')
# What a for_each expression is keyed by, in the words the docs use; anything else is `<key>`.
KEYS = {
    "var.services": "service", "var.service_names": "service", "var.target_instance_ids": "service",
    "local.al2023_services": "service", "local.deep_learning_services": "service",
    "local.volume_services": "service", "local.service_statements": "service",
    "var.subnets": "zone", "local.nat_zones": "zone", "aws_subnet.public": "zone", "aws_subnet.private": "zone",
    "aws_route_table.private": "zone", "var.ingress_rules": "rule", "local.internet_ports": "https or http",
    "var.interface_endpoints": "endpoint", "var.lock_tables": "table", "toset(var.app_secret_keys)": "secret key",
    "toset(local.domain_names)": "domain", "toset(local.cloudwatch_logs_exports)": "log type",
}


@dataclass(frozen=True)
class Block:
    """One `resource` or `data` block of a module (or bootstrap root) and its checkov skips."""

    module: str  # the module's name, or "bootstrap"
    kind: str  # "resource" or "data"
    type: str
    name: str
    key: str | None = None  # what for_each is keyed by ("service", "zone", ...), None when not for_each
    counted: bool = False
    skips: tuple[tuple[str, str], ...] = ()  # (check id, reason)
    managed_policies: tuple[str, ...] = ()
    module_counted: bool = False  # the module block has `count` (route53): its addresses start `module.<m>[0]`

    @property
    def local_address(self) -> str:
        """The address inside its module: `aws_instance.this`, `data.aws_ami.deep_learning`."""
        return f"{'data.' if self.kind == 'data' else ''}{self.type}.{self.name}"

    @property
    def address(self) -> str:
        """The address from an environment root, with its key: `module.compute.aws_instance.this["<service>"]`."""
        suffix = f'["<{self.key}>"]' if self.key else "[0]" if self.counted else ""
        if self.module == "bootstrap":
            return self.local_address + suffix
        module = f"module.{self.module}{'[0]' if self.module_counted else ''}"
        return f"{module}.{self.local_address}{suffix}"


@dataclass(frozen=True)
class TreeFacts:
    """Every block of the modules and bootstrap roots, in module order then file order."""

    blocks: tuple[Block, ...] = ()
    permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # permission -> IAM actions
    baseline_actions: tuple[str, ...] = ()  # actions every service role gets

    def of(self, module: str) -> list[Block]:
        return [b for b in self.blocks if b.module == module]

    @property
    def skips(self) -> list[tuple[str, str, str, str]]:
        """(check id, module, local address, reason) of every `#checkov:skip` comment."""
        return [(check, b.module, b.local_address, reason) for b in self.blocks for check, reason in b.skips]

    @property
    def managed_policies(self) -> list[tuple[str, str]]:
        """(AWS-managed policy ARN, attaching resource address) pairs."""
        return [(arn, b.address) for b in self.blocks for arn in b.managed_policies]

    def keyed(self) -> dict[str, list[str]]:
        """Addresses of every for_each resource by what they are keyed by (service, zone, ...)."""
        found: dict[str, list[str]] = {}
        for b in self.blocks:
            if b.key and b.module != "bootstrap":
                found.setdefault(b.key, []).append(b.address)
        return found


def blocks_of(module: str, text: str, module_counted: bool = False) -> list[Block]:
    """The top-level resource and data blocks of one rendered file."""
    blocks: list[Block] = []
    current: dict | None = None
    for line in text.splitlines():
        if header := BLOCK_RE.match(line):
            current = {"module": module, "kind": header["kind"], "type": header["type"], "name": header["name"],
                       "skips": [], "managed_policies": [], "module_counted": module_counted}
            if line.endswith("{}"):  # an empty block on one line: `data "aws_caller_identity" "current" {}`
                blocks.append(Block(**{**current, "skips": (), "managed_policies": ()}))
                current = None
        elif current is None:
            continue
        elif line == "}":
            blocks.append(Block(**{**current, "skips": tuple(current["skips"]),
                                   "managed_policies": tuple(current["managed_policies"])}))
            current = None
        elif meta := META_RE.match(line):
            if meta["meta"] == "count":
                current["counted"] = True
            else:
                current["key"] = KEYS.get(meta["expr"].strip(), "key")
        elif skip := SKIP_RE.match(line):
            current["skips"].append((skip["id"], skip["reason"].strip()))
        elif managed := MANAGED_RE.match(line):
            current["managed_policies"].append(f"arn:aws:{managed['policy']}")
    return blocks


def _statement_actions(text: str) -> list[str]:
    """Every action of every `actions = [...]` list in `text`, in order."""
    actions: list[str] = []
    for listed in re.findall(r"actions\s*=\s*\[(.*?)\]", text, flags=re.S):
        actions += re.findall(r'"([^"]+)"', listed)
    return actions


def _local_map(text: str, name: str) -> str:
    """The body of `locals { <name> = {...} }` in canonical text (up to its closing brace at two spaces)."""
    start = re.search(rf"^  {name} = \{{\n", text, flags=re.M)
    if not start:
        return ""
    end = text.find("\n  }\n", start.end())
    return text[start.end():end]


def iam_grants(security_main: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(baseline actions, actions by permission) from the security module's policy locals."""
    baseline = tuple(_statement_actions(_local_map(security_main, "baseline_statements")))
    body = _local_map(security_main, "permission_statements")
    parts = re.split(r'^    "([\w-]+)" = \[$', body, flags=re.M)
    permissions = {parts[i]: tuple(_statement_actions(parts[i + 1])) for i in range(1, len(parts) - 1, 2)}
    return baseline, dict(sorted(permissions.items()))


def tree_facts(rendered: dict[str, str], counted_modules: frozenset[str] = frozenset()) -> TreeFacts:
    """Facts of the rendered module and bootstrap files (`dest` -> formatted text). Bootstrap roots differ
    only in names, so the first one stands for all. `counted_modules`: the optional modules (interface `count`)."""
    order = {name: i for i, name in enumerate((*MODULE_ORDER, "bootstrap"))}
    roots = sorted(d.split("/")[2] for d in rendered if d.startswith("terraform/bootstrap/"))
    sources: list[tuple[int, bool, str, str]] = []
    for dest in rendered:
        parts = dest.split("/")
        if not dest.endswith(".tf") or len(parts) != 4:
            continue
        if parts[1] == "modules" and parts[2] in order:
            sources.append((order[parts[2]], parts[3] != "main.tf", dest, parts[2]))
        elif parts[1] == "bootstrap" and parts[2] == roots[0]:
            sources.append((order["bootstrap"], parts[3] != "main.tf", dest, "bootstrap"))
    blocks = [b for *_, dest, module in sorted(sources)
              for b in blocks_of(module, rendered[dest], module in counted_modules)]
    baseline, permissions = iam_grants(rendered.get("terraform/modules/security/main.tf", ""))
    return TreeFacts(tuple(blocks), permissions, baseline)
