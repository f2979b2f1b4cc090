"""Lambda deployment packages: deterministic zip files built from rendered sources and a pinned library.

Terraform needs a zip to create a Lambda function, and the only provider that makes one (hashicorp/archive)
is one more download for every user. tfgen writes the zip itself, like any generated file: the same bytes on
every machine (stored, not deflated, so no zlib version shows; fixed dates and modes; sorted members), with a
first member that says it is generated, inside the window where the writer looks for that mark.

The library is copied from its installed distribution, and only when its files are exactly the pinned ones
(their SHA-256 over every member): another version, or an edited site-packages, would change the package
silently, so it is an error instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import zipfile
from dataclasses import dataclass

from tfgen.errors import TemplateError
from tfgen.output.manifest import GENERATED_MARK

BINARY_SUFFIXES = (".zip",)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16


@dataclass(frozen=True)
class Library:
    """A pure-Python distribution copied into a package: its import package and the license file."""

    distribution: str
    version: str
    package: str
    sha256: str  # over the sorted (member name, bytes) pairs this module copies


@dataclass(frozen=True)
class Package:
    """One zip: rendered sources (package member name -> rendered dest) and the libraries beside them."""

    dest: str
    sources: dict[str, str]
    libraries: tuple[Library, ...]


PYMYSQL = Library("PyMySQL", "1.2.4", "pymysql",
                  "0f1a95945df545ce2109465bc2826ceb702d8bf379ac1dd978b762d8e21a5840")
PACKAGES = (
    Package("terraform/modules/database/db_users.zip",
            {"handler.py": "terraform/modules/database/db_users/handler.py"}, (PYMYSQL,)),
)


def library_members(library: Library) -> dict[str, bytes]:
    """The library's Python files and license, by member name, checked against the pinned digest."""
    where = f"the {library.distribution} distribution packaged into the Lambda zips"
    try:
        dist = importlib.metadata.distribution(library.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise TemplateError("pyproject.toml", None, f"{where} is not installed: pip install "
                            f"'{library.distribution}=={library.version}'") from None
    members: dict[str, bytes] = {}
    for file in dist.files or ():
        name = str(file)
        if name.startswith(f"{library.package}/") and name.endswith(".py"):
            members[name] = dist.locate_file(file).read_bytes()
        elif name.endswith("/LICENSE"):
            members[f"{library.package}/LICENSE"] = dist.locate_file(file).read_bytes()
    as_released = members_digest(members) == library.sha256
    if dist.version != library.version or not as_released:
        raise TemplateError("pyproject.toml", None, f"{where} must be exactly {library.distribution} "
                            f"{library.version} as released (installed: {dist.version}, files "
                            f"{'as released' if as_released else 'differ'}): "
                            "the zip would otherwise differ from one machine to another")
    return members


def members_digest(members: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(members):
        digest.update(name.encode() + b"\0" + hashlib.sha256(members[name]).digest())
    return digest.hexdigest()


def build_zip(package: Package, rendered: dict[str, bytes]) -> bytes:
    """The package's bytes: the mark first, then every member in name order, all stored."""
    members: dict[str, bytes] = {name: rendered[dest] for name, dest in package.sources.items()}
    for library in package.libraries:
        members.update(library_members(library))
    sources = ", ".join(f"generated/{dest}" for dest in package.sources.values())
    libraries = ", ".join(f"{lib.distribution} {lib.version}" for lib in package.libraries)
    mark = f"{GENERATED_MARK.decode()} from {sources} and {libraries}; do not edit: re-render.\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in [("GENERATED-BY-TFGEN.txt", mark.encode()), *sorted(members.items())]:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = FILE_MODE
            info.create_system = 3  # unix, whatever the machine
            archive.writestr(info, data)
    return buffer.getvalue()


def add_packages(rendered: dict[str, bytes]) -> dict[str, bytes]:
    """*rendered* plus every package whose sources were rendered (a module that is not rendered has none)."""
    packages = {package.dest: build_zip(package, rendered) for package in PACKAGES
                if all(dest in rendered for dest in package.sources.values())}
    return {**rendered, **packages}
