#!/usr/bin/env python3
"""The release workflow's logic (.github/workflows/release.yml), standard library only, tested offline.

    release.py check        `release=true|false` and `tag=v<version>` for $GITHUB_OUTPUT; fails when the
                            version is not CHANGELOG.md's top entry
    release.py dist DIR     fails unless DIR holds exactly the wheel and the sdist of this version
    release.py notes        the top CHANGELOG.md entry, for the release notes

The version is read from tfgen/__init__.py without importing tfgen (the runner has no dependencies).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r'^__version__\s*=\s*"(\d+\.\d+\.\d+)"\s*$', re.MULTILINE)
ENTRY = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", re.MULTILINE)


class ReleaseError(Exception):
    pass


def version(root: Path = ROOT) -> str:
    match = VERSION.search((root / "tfgen/__init__.py").read_text(encoding="utf-8"))
    if not match:
        raise ReleaseError("no __version__ = \"X.Y.Z\" in tfgen/__init__.py")
    return match.group(1)


def changelog_top(root: Path = ROOT) -> str:
    match = ENTRY.search((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    if not match:
        raise ReleaseError("CHANGELOG.md has no `## [X.Y.Z] - YYYY-MM-DD` entry")
    return match.group(1)


def notes(root: Path = ROOT) -> str:
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    start = ENTRY.search(text)
    if not start:
        raise ReleaseError("CHANGELOG.md has no release entry")
    following = re.search(r"^## \[|^\[[^\]]+\]: ", text[start.end():], re.MULTILINE)
    end = start.end() + following.start() if following else len(text)
    return text[start.end():end].strip() + "\n"


def tag_exists(tag: str, root: Path = ROOT) -> bool:
    listed = subprocess.run(["git", "tag", "-l", tag], cwd=root, capture_output=True, text=True, check=True)
    return tag in listed.stdout.split()


def check(root: Path = ROOT) -> dict[str, str]:
    current, top = version(root), changelog_top(root)
    if current != top:
        raise ReleaseError(f"tfgen/__init__.py says {current} but CHANGELOG.md's top entry is {top}: "
                           f"add `## [{current}] - <date>` to CHANGELOG.md")
    tag = f"v{current}"
    return {"release": "false" if tag_exists(tag, root) else "true", "tag": tag, "version": current}


def check_dist(directory: Path, current: str) -> list[str]:
    names = sorted(p.name for p in directory.iterdir())
    expected = [f"tfgen_iac-{current}-py3-none-any.whl", f"tfgen_iac-{current}.tar.gz"]
    if names != expected:
        raise ReleaseError(f"expected {expected} in {directory}, found {names}")
    return names


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["check"]:
            print("\n".join(f"{k}={v}" for k, v in check().items()))
        elif len(args) == 2 and args[0] == "dist":
            print("\n".join(check_dist(Path(args[1]), version())))
        elif args == ["notes"]:
            sys.stdout.write(notes())
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
