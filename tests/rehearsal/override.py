"""Write the test-only ``zz_rehearsal_override.tf`` that points a root module at the emulator.

Why an override file: Terraform merges ``*_override.tf`` into the module after the base files, so the
rehearsal can swap the S3 backend for a local one and send every ``provider "aws"`` block to moto
without touching the generated tree. The override may only *redirect* (backend, endpoints, dummy
credentials, account binding); it must never change what the tree declares, or the rehearsal would
hide the very defects it exists to find.

Terraform rejects an override provider block that has no base block with the same alias, and a base
block left without an override would talk to real AWS, so every ``provider "aws"`` block (and alias)
of the root module must be found. The scanner below is a small HCL lexer (comments, strings with
``${}`` interpolation, heredocs) rather than a regex, so braces inside strings or comments cannot
mislead it. When python-hcl2 is importable its answer is cross-checked as well. Stdlib only: run.py
imports this module under the project's interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

OVERRIDE_FILE_NAME = "zz_rehearsal_override.tf"
DUMMY_KEY = "rehearsal-not-a-secret"

# Canonical endpoint keys of hashicorp/aws 5.100 (aliases such as "cloudwatchlogs" or "eventbridge"
# are deliberately absent: naming both a service and its alias is ambiguous). Broader than the tree
# needs today: a service left out would silently go to real AWS and fail with a DNS error.
ENDPOINT_SERVICES: tuple[str, ...] = (
    "acm",
    "acmpca",
    "apigateway",
    "apigatewayv2",
    "appautoscaling",
    "autoscaling",
    "backup",
    "cloudcontrol",
    "cloudformation",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "configservice",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elb",
    "elbv2",
    "events",
    "firehose",
    "glue",
    "guardduty",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "ram",
    "rds",
    "resourcegroupstaggingapi",
    "route53",
    "route53domains",
    "route53resolver",
    "s3",
    "s3control",
    "scheduler",
    "secretsmanager",
    "securityhub",
    "servicediscovery",
    "servicequotas",
    "ses",
    "sesv2",
    "sfn",
    "shield",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "waf",
    "wafregional",
    "wafv2",
    "xray",
)

# Base-provider settings that bind the tree to a real account or credential source. They are
# reset to null so the dummy keys and the emulator's account (123456789012) are used instead.
ACCOUNT_BINDINGS: tuple[str, ...] = (
    "profile",
    "shared_config_files",
    "shared_credentials_files",
    "allowed_account_ids",
    "forbidden_account_ids",
)


class OverrideError(RuntimeError):
    """The root module cannot be redirected safely (nothing to override, or an unreadable file)."""


@dataclass(frozen=True)
class ProviderBlock:
    """One ``provider "aws"`` block of the root module."""

    file: str
    line: int
    alias: str | None
    bindings: tuple[str, ...] = ()  # ACCOUNT_BINDINGS set in the base block


# --------------------------------------------------------------------------------------------------
# Lexing: blank out comments and string contents so that only structural characters remain.
# --------------------------------------------------------------------------------------------------

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\n")


def _skip_heredoc(text: str, start: int, marker: str) -> int:
    """Return the index just past the heredoc's closing marker line (or end of text)."""
    pos = start
    while pos < len(text):
        end = text.find("\n", pos)
        line_end = len(text) if end == -1 else end
        if text[pos:line_end].strip() == marker:
            return line_end
        pos = line_end + 1
    return len(text)


def skeleton(text: str) -> str:
    """Same-length copy of *text* with comments and string/heredoc contents replaced by spaces.

    Only the top-level code survives (plus the quotes delimiting top-level strings, and every newline),
    so offsets and line numbers map 1:1 onto the original text and braces inside ``${ ... }``
    interpolations, strings, heredocs or comments can never be mistaken for block structure.
    """
    out = list(text)
    # Context stack: "code" entries carry their brace depth, "str" entries mark an open string.
    stack: list[list[object]] = [["code", 0]]
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ctx, top = stack[-1], len(stack) == 1
        ch = text[i]
        if ctx[0] == "str":
            step = 1
            if ch == "\\":
                step = 2
            elif ch == '"':
                stack.pop()
                if len(stack) == 1:  # closing quote of a top-level string stays visible
                    i += 1
                    continue
            elif text.startswith(("$${", "%%{"), i):
                step = 3
            elif text.startswith(("${", "%{"), i):
                stack.append(["code", 0])
                step = 2
            blank(i, i + step)
            i += step
            continue
        step = 1
        if ch == '"':
            stack.append(["str"])
            if top:  # opening quote of a top-level string stays visible
                i += 1
                continue
        elif ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            step = (n if end == -1 else end) - i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            step = (n if end == -1 else end + 2) - i
        elif (m := _HEREDOC.match(text, i)) is not None:
            step = _skip_heredoc(text, m.end(), m.group(1)) - i
            if top:
                blank(m.end(), i + step)
                i += step
                continue
        elif ch == "{":
            ctx[1] = int(ctx[1]) + 1  # type: ignore[call-overload]
            if top:
                i += 1
                continue
        elif ch == "}":
            if not top and ctx[1] == 0:  # end of a ${ } interpolation
                stack.pop()
            else:
                ctx[1] = int(ctx[1]) - 1  # type: ignore[call-overload]
                if top:
                    i += 1
                    continue
        elif top:
            i += 1
            continue
        blank(i, i + step)
        i += step
    if len(stack) != 1:
        raise OverrideError("unterminated string or interpolation")
    return "".join(out)


def _top_level_blocks(skel: str) -> Iterator[tuple[int, int, int]]:
    """Yield (header_start, open_brace, close_brace) for every depth-0 block of a skeleton."""
    depth = 0
    stmt_start = 0
    open_at = -1
    for idx, ch in enumerate(skel):
        if ch == "{":
            if depth == 0:
                open_at = idx
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise OverrideError(f"unbalanced '}}' at offset {idx}")
            if depth == 0:
                yield stmt_start, open_at, idx
                stmt_start = idx + 1
        elif ch == "\n" and depth == 0:
            stmt_start = idx + 1
    if depth != 0:
        raise OverrideError("unbalanced '{'")


_LABEL = re.compile(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_-]*')


def _header_tokens(text: str, skel: str, start: int, end: int) -> list[str]:
    """Block type and labels (quotes stripped), read from the original text at skeleton positions."""
    tokens = []
    for m in _LABEL.finditer(skel, start, end):
        raw = text[m.start() : m.end()]
        tokens.append(raw[1:-1] if raw.startswith('"') else raw)
    return tokens


def _depth0_view(skel: str, start: int, end: int) -> str:
    """The body of a block with everything inside nested blocks/objects blanked out."""
    depth = 0
    chars = []
    for ch in skel[start:end]:
        if ch in "{[(":
            depth += 1
        if depth == 0 or ch == "\n":
            chars.append(ch)
        else:
            chars.append(" ")
        if ch in "}])":
            depth -= 1
    return "".join(chars)


def _attribute_names(view: str) -> set[str]:
    """Names of the attributes assigned at depth 0 of a block body."""
    return set(re.findall(r"(?m)^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=(?!=)", view))


def _alias(text: str, view: str, offset: int) -> str | None:
    """The literal ``alias = "..."`` of a provider body, if any (Terraform requires a literal)."""
    m = re.search(r'(?m)^[ \t]*alias[ \t]*=[ \t]*"([^"\n]*)"', view)
    if m is None:
        if "alias" in _attribute_names(view):
            raise OverrideError("provider alias is not a plain string literal")
        return None
    return text[offset + m.start(1) : offset + m.end(1)]


def providers_in_text(text: str, file: str = "<text>") -> list[ProviderBlock]:
    """All ``provider "aws"`` blocks in one file's text."""
    skel = skeleton(text)
    found = []
    for head_start, open_at, close_at in _top_level_blocks(skel):
        tokens = _header_tokens(text, skel, head_start, open_at)
        if tokens[:2] != ["provider", "aws"]:
            continue
        view = _depth0_view(skel, open_at + 1, close_at)
        names = _attribute_names(view)
        bindings = tuple(b for b in ACCOUNT_BINDINGS if b in names)
        line = text.count("\n", 0, open_at) + 1
        found.append(ProviderBlock(file, line, _alias(text, view, open_at + 1), bindings))
    return found


def _base_files(root: Path) -> list[Path]:
    """The module's base .tf files (override files never declare base provider blocks)."""
    if any(root.glob("*.tf.json")):
        raise OverrideError(f"{root}: .tf.json files are not supported by the rehearsal override")
    return sorted(p for p in root.glob("*.tf") if not (p.name == "override.tf" or p.name.endswith("_override.tf")))


def _hcl2_aliases(files: Iterable[Path]) -> list[str | None] | None:
    """Aliases as python-hcl2 sees them, or None when the library is not installed."""
    try:
        import hcl2  # type: ignore[import-not-found]
    except ImportError:
        return None
    aliases: list[str | None] = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            doc = hcl2.load(fh)
        for entry in doc.get("provider", []):
            for name, body in entry.items():
                if name.strip('"') == "aws":
                    alias = body.get("alias")
                    aliases.append(alias.strip('"') if isinstance(alias, str) else None)
    return aliases


def find_aws_providers(root: Path) -> list[ProviderBlock]:
    """Every ``provider "aws"`` block of the root module at *root*; raises when there is none."""
    files = _base_files(root)
    blocks = [b for path in files for b in providers_in_text(path.read_text(encoding="utf-8"), path.name)]
    if not blocks:
        raise OverrideError(f'{root}: no provider "aws" block found in {[p.name for p in files]}')
    cross = _hcl2_aliases(files)
    if cross is not None and sorted(map(str, cross)) != sorted(str(b.alias) for b in blocks):
        raise OverrideError(f"{root}: lexer found aliases {[b.alias for b in blocks]}, python-hcl2 {cross}")
    return blocks


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _render_provider(block: ProviderBlock, endpoint: str) -> list[str]:
    """One override provider block (terraform-fmt aligned)."""
    settings: list[tuple[str, str]] = []
    if block.alias is not None:
        settings.append(("alias", f'"{block.alias}"'))
    settings += [
        ("access_key", f'"{DUMMY_KEY}"'),
        ("secret_key", f'"{DUMMY_KEY}"'),
        ("skip_credentials_validation", "true"),
        ("skip_metadata_api_check", "true"),
        ("skip_region_validation", "true"),
        ("s3_use_path_style", "true"),
        ("max_retries", "3"),
    ]
    settings += [(name, "null") for name in block.bindings]
    width = max(len(name) for name, _ in settings)
    lines = [f"# base block: {block.file}:{block.line}", 'provider "aws" {']
    lines += [f"  {name.ljust(width)} = {value}" for name, value in settings]
    ep_width = max(len(s) for s in ENDPOINT_SERVICES)
    lines += ["", "  endpoints {"]
    lines += [f'    {svc.ljust(ep_width)} = "{endpoint}"' for svc in ENDPOINT_SERVICES]
    lines += ["  }", "}"]
    return lines


def render_override(blocks: list[ProviderBlock], endpoint: str) -> str:
    """The full override file text for *blocks*, all sent to *endpoint*."""
    lines = [
        "# Generated by tests/rehearsal/override.py for the offline apply rehearsal (moto).",
        "# Test-only: redirects backend and providers; never edit, never commit.",
        "terraform {",
        '  backend "local" {}',
        "}",
    ]
    for block in blocks:
        lines += [""] + _render_provider(block, endpoint)
    return "\n".join(lines) + "\n"


def write_override(root: Path, endpoint: str) -> tuple[Path, list[ProviderBlock]]:
    """Write the override into *root* (a scratch copy of an environment) and return it with the blocks."""
    blocks = find_aws_providers(root)
    target = root / OVERRIDE_FILE_NAME
    target.write_text(render_override(blocks, endpoint), encoding="utf-8")
    return target, blocks


def main(argv: list[str] | None = None) -> int:
    """CLI for debugging: print the override for a root module directory."""
    import argparse

    parser = argparse.ArgumentParser(description="Print the rehearsal override for a root module.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--endpoint", default="http://127.0.0.1:5000")
    args = parser.parse_args(argv)
    print(render_override(find_aws_providers(args.root), args.endpoint), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
