"""Least privilege, checked on every IAM policy document of the rendered tree.

* An Allow statement on `"*"` may only hold actions that AWS offers on no narrower resource; each such action
  is listed, with its reason, in docs/security.md ("IAM actions on `*`"), and every listed action is still in use.
* No AWS-managed policy is attached except the ones listed there (their content is AWS's, and usually `*`).
* No inline `jsonencode` policy hides a `"Resource": "*"` from the checks above.
* Trust policies of AWS service roles (other than EC2 instance roles) carry `aws:SourceAccount` or `aws:SourceArn`
  (the confused-deputy guard).

Reads the committed tree with python-hcl2; the golden test keeps it equal to a fresh render.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import clean_hcl2

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
SECURITY_DOCS = ROOT / "docs" / "security.md"
MANAGED_RE = re.compile(r"arn:(?:aws|\$\{data\.aws_partition\.current\.partition\}):iam::aws:policy/"
                        r"[A-Za-z0-9+=,.@_/-]+")
INLINE_STAR_RE = re.compile(r"""(?m)^\s*"?Resource"?\s*[=:]\s*"\*\"""")
CONFUSED_DEPUTY_KEYS = {"aws:SourceAccount", "aws:SourceArn"}


@cache
def _files() -> list[Path]:
    if not TREE.is_dir():
        pytest.fail(f"{TREE} is missing: run `make render-all`")
    return sorted(p for p in TREE.rglob("*.tf") if ".terraform" not in p.parts)


@cache
def _documents() -> list[tuple[str, list[dict[str, Any]]]]:
    """(file:name, statements) of every `data "aws_iam_policy_document"` in the tree."""
    found = []
    for path in _files():
        parsed = clean_hcl2(hcl2.loads(path.read_text()))
        for entry in parsed.get("data", []):
            for name, body in entry.get("aws_iam_policy_document", {}).items():
                found.append((f"{path.relative_to(TREE)}:{name}", body.get("statement", [])))
    return found


def _readme_table(title: str) -> dict[str, str]:
    """First-column -> reason of the table under docs/security.md's `## <title>` heading."""
    text = SECURITY_DOCS.read_text()
    marker = f"## {title}\n"
    assert marker in text, f"docs/security.md has no '{marker.strip()}' section"
    section = text.split(marker, 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", section, flags=re.M)
    return {key: reason.strip() for key, reason in rows}


def _balanced(text: str, start: int) -> tuple[str, int]:
    """The bracketed list opening at text[start] ("[") without its brackets, and the index after it."""
    depth, quoted = 0, False
    for i in range(start, len(text)):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char in "[{(":
            depth += 1
        elif not quoted and char in "]})":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise AssertionError(f"unbalanced list in {text[start:start + 80]!r}")


def _items(body: str) -> list[str]:
    """Top-level items of a list body, unquoted when they are plain strings."""
    items, depth, quoted, current = [], 0, False, ""
    for char in body:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "[{(":
            depth += 1
        elif not quoted and char in "]})":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items += [current.strip()] if current.strip() else []
    return [i[1:-1] if len(i) >= 2 and i[0] == i[-1] == '"' else i for i in items]


STATEMENT_RE = re.compile(r'(?:sid = "(?P<sid>[^"]*)", )?actions = \[')


def _statements_in_expression(text: str) -> list[dict[str, Any]]:
    """Statement objects written inside an HCL expression (a `for` building per-service statements), which
    python-hcl2 keeps as text: `{sid = "X", actions = [...], resources = [...], ...}`."""
    found = []
    for match in STATEMENT_RE.finditer(text):
        actions, after = _balanced(text, match.end() - 1)
        rest = text[after:]
        if not rest.startswith(", resources = ["):
            continue
        resources, _ = _balanced(rest, len(", resources = "))
        found.append({"sid": match["sid"], "actions": _items(actions), "resources": _items(resources)})
    return found


def _walk(value: Any, where: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    if isinstance(value, str) and "actions = [" in value:
        found += [(where, statement) for statement in _statements_in_expression(value)]
    elif isinstance(value, dict):
        if "actions" in value and ("resources" in value or "not_resources" in value):
            found.append((where, value))
        for key, item in value.items():
            _walk(item, f"{where}.{key}" if isinstance(key, str) else where, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, where, found)


@cache
def _statements() -> list[tuple[str, dict[str, Any]]]:
    """Every statement-shaped object (actions + resources) anywhere in the tree: policy documents, and the
    locals that dynamic statement blocks are built from."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in _files():
        _walk(clean_hcl2(hcl2.loads(path.read_text())), str(path.relative_to(TREE)), found)
    return found


@cache
def _key_policy_documents() -> frozenset[str]:
    """Policy documents used as an `aws_kms_key`'s key policy: there `"*"` is the key itself."""
    found = set()
    for path in _files():
        for entry in clean_hcl2(hcl2.loads(path.read_text())).get("resource", []):
            for body in entry.get("aws_kms_key", {}).values():
                if match := re.fullmatch(r"data\.aws_iam_policy_document\.(\w+)\.json", str(body.get("policy", ""))):
                    found.add(f"aws_iam_policy_document.{match[1]}.")
    return frozenset(found)


def _star_statements() -> list[tuple[str, dict[str, Any]]]:
    return [(where, s) for where, s in _statements()
            if s.get("effect", "Allow") == "Allow" and "*" in s.get("resources", [])
            and not any(doc in f"{where}." for doc in _key_policy_documents())]


def test_key_policies_grant_only_the_account_or_a_bound_service():
    """A key policy's `"*"` is its key; what it must not do is open the key to anyone: each statement names the
    account root, or a service principal held to this account's resources by a condition."""
    documents = _key_policy_documents()
    assert documents, "the bootstrap root's KMS keys should be found"
    for where, statement in _statements():
        if not any(doc in f"{where}." for doc in documents):
            continue
        for principal in statement.get("principals", []):
            assert principal["type"] in ("AWS", "Service"), (where, principal)
            if principal["type"] == "AWS":
                assert all(i.endswith(":root") for i in principal["identifiers"]), (where, principal)
            else:
                assert statement.get("condition"), f"{where}: service statement without a condition"


def test_the_tree_has_policy_documents():
    assert len(_documents()) >= 5


def test_allow_on_star_only_for_actions_aws_offers_only_on_star():
    allowed = _readme_table("IAM actions on `*`")
    bad = [f"{where}: {action}" for where, s in _star_statements() for action in s.get("actions", [])
           if action not in allowed]
    assert not bad, "Allow on \"*\" for actions that can be scoped (or not in docs/security.md):\n" + "\n".join(bad)


def test_every_listed_star_action_is_in_use_and_has_a_reason():
    allowed = {k: v for k, v in _readme_table("IAM actions on `*`").items() if ":" in k and "/" not in k}
    used = {action for _, s in _star_statements() for action in s.get("actions", [])}
    assert allowed, "docs/security.md lists no IAM action on *"
    assert all(len(reason) >= 20 for reason in allowed.values()), allowed
    assert not set(allowed) - used, f"in docs/security.md, no longer granted on *: {sorted(set(allowed) - used)}"


def test_the_service_policies_are_seen_through_their_locals():
    sids = {s.get("sid") for where, s in _statements() if where.startswith("modules/security/")}
    assert {"SessionManagerChannels", "AgentMetrics", "OwnLogGroup", "DatabaseIamConnect"} <= sids


def test_no_statement_uses_not_resource_or_not_action():
    bad = [where for where, s in _statements()
           if "not_resources" in s or ("not_actions" in s and s.get("effect", "Allow") == "Allow")]
    assert not bad, f"NotResource/NotAction in an Allow: {bad}"


def test_managed_policies_only_from_the_readme_list():
    allowed = {k for k in _readme_table("AWS-managed policies") if k.startswith("arn:aws:iam::aws:policy/")}
    used = {re.sub(r"^arn:[^:]+:", "arn:aws:", m) for path in _files() for m in MANAGED_RE.findall(path.read_text())}
    assert used <= allowed, f"AWS-managed policies not justified in docs/security.md: {sorted(used - allowed)}"
    assert not allowed - used, f"listed in docs/security.md but not attached any more: {sorted(allowed - used)}"


def test_no_inline_json_policy_on_star():
    """Only KMS key policies (aws_kms_key.policy) may say "*": in a key policy it means the key itself."""
    bad = []
    for path in _files():
        for block in re.split(r'(?m)^resource "', path.read_text()):
            if INLINE_STAR_RE.search(block) and not block.startswith('aws_kms_key"'):
                bad.append(f"{path.relative_to(TREE)}: resource {block.split(chr(10), 1)[0]}")
    assert not bad, f'"Resource": "*" in an inline policy: {bad}'


def test_service_role_trust_policies_carry_confused_deputy_conditions():
    missing = []
    for where, statements in _documents():
        for s in statements:
            if "sts:AssumeRole" not in s.get("actions", []):
                continue
            services = [i for p in s.get("principals", []) if p.get("type") == "Service" for i in p["identifiers"]]
            if not services or services == ["ec2.amazonaws.com"]:
                continue
            keys = {c.get("variable") for c in s.get("condition", [])}
            if not keys & CONFUSED_DEPUTY_KEYS:
                missing.append(f"{where}: {services}")
    assert not missing, f"service-role trust without aws:SourceAccount/aws:SourceArn: {missing}"


def test_arns_name_the_partition_of_the_account():
    """No hard-coded `arn:aws:` in the generated HCL: the same tree works in aws-cn and aws-us-gov."""
    hard_coded = [f"{path.relative_to(TREE)}:{number}"
                  for path in sorted(TREE.rglob("*.tf"))
                  for number, line in enumerate(path.read_text().splitlines(), 1)
                  if "arn:aws:" in line and not line.lstrip().startswith("#")]
    assert not hard_coded, hard_coded
