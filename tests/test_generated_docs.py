"""The generated README, AGENTS.md and module READMEs name only what the generated tree has: every resource
address (with the right kind of instance key), every IAM action and AWS-managed policy, every checkov skip.

The tree is read with python-hcl2, an independent parser (tfgen writes these docs from its own line reader,
tfgen/interfaces/tree.py), so a doc and the .tf files cannot agree by sharing a bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import clean_hcl2

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"

SPAN_RE = re.compile(r"`([^`\n]+)`")
ADDRESS_RE = re.compile(r"(?:module\.(?P<module>[a-z0-9_]+)(?P<mcount>\[0\])?\.)?(?P<local>(?:data\.)?"
                        r"(?:aws|terraform)_[a-z0-9_]+\.[a-z0-9_]+)(?P<key>\[[^\]]*\])?")
ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z]+$")
POLICY_NAME_RE = re.compile(r"\b(?:Amazon|AWS|CloudWatch)[A-Za-z0-9]*(?:Policy|Role|Core)\b")
SKIP_RE = re.compile(r"^checkov:skip=(?P<id>CKV2?_[A-Z]+_\d+):(?P<reason>.*)$")


@dataclass
class Declared:
    """What the .tf files of the tree declare."""

    blocks: dict[tuple[str, str], str] = field(default_factory=dict)  # (scope, local address) -> "each"/"count"/""
    counted_modules: set[str] = field(default_factory=set)
    skips: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (scope, local address) -> check ids
    strings: set[str] = field(default_factory=set)  # every literal string (actions, ARNs, condition keys)


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)
    elif isinstance(value, str):
        found.update(re.findall(r'"((?:[^"\\]|\\.)*)"', value) or [value])


def _scope(path: Path) -> str:
    parts = path.relative_to(TREE).parts
    return parts[1] if parts[0] == "modules" else parts[0]


def declared(tree: Path = TREE) -> Declared:
    facts = Declared()
    for path in sorted(tree.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        raw = hcl2.loads(path.read_text())
        scope = _scope(path)
        for kind, prefix in (("resource", ""), ("data", "data.")):
            for entry in raw.get(kind, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        local = f"{prefix}{clean_hcl2(rtype)}.{clean_hcl2(name)}"
                        meta = "each" if "for_each" in body else "count" if "count" in body else ""
                        facts.blocks[(scope, local)] = meta
                        comments = [c["value"] for c in body.get("__comments__", [])]
                        facts.skips[(scope, local)] = {m["id"] for c in comments if (m := SKIP_RE.match(c))}
        for entry in raw.get("module", []):
            for name, body in entry.items():
                if "count" in body:
                    facts.counted_modules.add(clean_hcl2(name))
        _strings(clean_hcl2({k: v for k, v in raw.items() if k != "module"}), facts.strings)
    return facts


def address_problems(doc: str, facts: Declared) -> list[str]:
    """Addresses in code spans of `doc` that the tree does not declare (or keys it the wrong way)."""
    problems = []
    for span in SPAN_RE.findall(doc):
        for match in ADDRESS_RE.finditer(span):
            module, local, key = match["module"], match["local"], match["key"]
            scopes = [module] if module else sorted({s for s, _ in facts.blocks})
            metas = [facts.blocks[(s, local)] for s in scopes if (s, local) in facts.blocks]
            if not metas:
                problems.append(f"no such resource: {match[0]}")
            elif key and not any((m == "count") if key == "[0]" else (m == "each") for m in metas):
                problems.append(f"wrong instance key for a {metas[0] or 'single'} resource: {match[0]}")
            elif module and bool(match["mcount"]) != (module in facts.counted_modules):
                problems.append(f"module.{module} is {'' if module in facts.counted_modules else 'not '}counted: "
                                f"{match[0]}")
    return problems


def grant_problems(doc: str, facts: Declared) -> list[str]:
    """IAM actions and AWS-managed policies named by `doc` that no policy in the tree grants or attaches."""
    actions = {s for s in SPAN_RE.findall(doc) if ACTION_RE.match(s)}
    problems = [f"no policy grants {a}" for a in sorted(actions - facts.strings)]
    # ARNs name the partition through data.aws_partition (arn:${data.aws_partition.current.partition}:iam::...).
    managed = {s.rsplit("/", 1)[-1] for s in facts.strings if ":iam::aws:policy/" in s and s.startswith("arn:")}
    problems += [f"no such AWS-managed policy attached: {name}"
                 for name in sorted(set(POLICY_NAME_RE.findall(doc)) - managed)]
    return problems


def _docs() -> list[Path]:
    return sorted(TREE.rglob("*.md"))


@pytest.fixture(scope="module")
def facts() -> Declared:
    return declared()


@pytest.mark.parametrize("doc", _docs(), ids=lambda p: str(p.relative_to(TREE)))
def test_documented_addresses_exist(doc: Path, facts: Declared) -> None:
    assert address_problems(doc.read_text(), facts) == []


@pytest.mark.parametrize("doc", _docs(), ids=lambda p: str(p.relative_to(TREE)))
def test_documented_iam_grants_exist(doc: Path, facts: Declared) -> None:
    assert grant_problems(doc.read_text(), facts) == []


def test_module_readmes_list_every_resource_with_its_skips(facts: Declared) -> None:
    """Each module README's resource table is exactly the module's blocks, each with its checkov skips."""
    for readme in sorted(TREE.glob("modules/*/README.md")):
        module = readme.parent.name
        table = readme.read_text().split("## Resources\n", 1)[1]
        rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|$", table, flags=re.M)
        listed = {}
        for address, skips in rows:
            match = ADDRESS_RE.fullmatch(address)
            assert match and match["module"] == module, address
            listed[match["local"]] = set() if skips.strip() == "none" else {s.strip() for s in skips.split(",")}
        expected = {local: facts.skips[(scope, local)] for scope, local in facts.blocks if scope == module}
        assert listed == expected, module


def test_the_documented_keys_are_the_real_ones(facts: Declared) -> None:
    """Spot checks that the tree has what the docs used to get wrong."""
    top = (TREE / "README.md").read_text() + (TREE / "AGENTS.md").read_text()
    assert 'module.compute.terraform_data.spot_type["<service>"]' in top
    assert "AmazonSSMManagedInstanceCore" not in top and "must agree" not in top


def test_the_checks_can_fail(facts: Declared) -> None:
    """What the generated docs said before they were built from the tree is caught."""
    stale = ('IAM: every service role gets `AmazonSSMManagedInstanceCore` and `CloudWatchAgentServerPolicy`; '
             '`module.security.aws_iam_role_policy_attachment.service["<service>/ssm"]`, '
             '`terraform_data.<service>_spot_type`, `module.route53.aws_route53_zone.main`, '
             '`module.database.aws_db_instance.main["<service>"]`, `s3:PutBucketPolicy`')
    problems = address_problems(stale, facts)
    assert problems == [
        'no such resource: module.security.aws_iam_role_policy_attachment.service["<service>/ssm"]',
        "module.route53 is counted: module.route53.aws_route53_zone.main",
        'wrong instance key for a single resource: module.database.aws_db_instance.main["<service>"]',
    ]
    assert grant_problems(stale, facts) == [
        "no policy grants s3:PutBucketPolicy",
        "no such AWS-managed policy attached: AmazonSSMManagedInstanceCore",
        "no such AWS-managed policy attached: CloudWatchAgentServerPolicy",
    ]
