"""Stage 4: render templates with one strict Jinja environment, then format HCL canonically."""

from __future__ import annotations

import contextlib
import hashlib
import traceback
from pathlib import Path
from typing import Any

import jinja2

from tfgen.context import RenderUnit
from tfgen.errors import FormatError, TemplateError
from tfgen.output.manifest import GENERATED_MARK, HEADER_WINDOW
from tfgen.render.cache import Store, bytecode_cache
from tfgen.render.filters import FILTERS
from tfgen.render.package import BINARY_SUFFIXES, add_packages

HCL_SUFFIXES = (".tf", ".tfvars", ".tfvars.example")


def _refuse_raw_containers(value: Any) -> Any:
    """`{{ some_list }}` would print Python repr into HCL; demand the hcl filter instead."""
    if isinstance(value, list | tuple | dict | set) or value is None or isinstance(value, bool):
        raise TypeError(f"refusing to print {type(value).__name__} {value!r} directly: use the hcl filter")
    return value


class FormatCache:
    """Memo of `format_hcl` results in the authenticated per-user cache (tfgen.render.cache), keyed by the formatter's
    own source and the input text.

    Formatting is a pure function, so a hit is exactly what formatting would return; any change to
    tfgen/hcl/ changes every key. An unusable cache is skipped.
    """

    def __init__(self) -> None:
        # Salt with the formatter's source without importing it: on a warm cache it is never needed.
        digest = hashlib.sha256(b"tfgen.hcl")
        for module in sorted(Path(__file__).parent.parent.joinpath("hcl").glob("*.py")):
            digest.update(module.name.encode() + b"\0" + module.read_bytes())
        self.store = Store(f"fmt-{digest.hexdigest()[:16]}")
        self.directory = self.store.directory
        self.memo: Any = None  # tfgen.hcl.Memo of this run's formatted blocks, made on the first miss

    def format(self, text: str, source: str) -> str:
        key = text.encode("utf-8")
        cached = self.store.get(key)
        if cached is not None:
            with contextlib.suppress(UnicodeDecodeError):
                return cached.decode("utf-8")
        from tfgen.hcl import Memo, format_hcl  # on a miss only: importing tfgen.hcl costs more than a warm render

        if self.memo is None:
            self.memo = Memo()
        formatted = format_hcl(text, source=source, memo=self.memo)
        self.store.put(key, formatted.encode("utf-8"))
        return formatted


def make_environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        bytecode_cache=bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_refuse_raw_containers,
    )
    env.filters.update(FILTERS)
    return env


REQUIRED_TEMPLATE_DIRS = ("terraform/environments/_env_/", "terraform/modules/_module_/")


def list_templates(templates_dir: Path) -> list[str]:
    """Template names relative to templates/ (POSIX), skipping partials under `_partials/` and dot files.

    A `.j2` file is rendered with Jinja; any other file has nothing to fill and is copied as it is (then
    formatted, marked and owned like every rendered file).

    A missing or gutted templates/ would render nothing and prune the whole owned tree, so it is an error.
    """
    names = _template_names(templates_dir) if templates_dir.is_dir() else []
    for required in REQUIRED_TEMPLATE_DIRS:
        if not any(name.startswith(required) for name in names):
            raise TemplateError(f"templates/{required}", None,
                                "no templates found here; is this a tfgen project (see -C)?")
    return names


def _template_names(templates_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(templates_dir).as_posix()
        for p in templates_dir.rglob("*")
        if p.is_file() and "_partials" not in p.relative_to(templates_dir).parts
        and not any(part.startswith(".") for part in p.relative_to(templates_dir).parts)
    )


def _template_line(exc: BaseException, template_name: str) -> int | None:
    """Find the line in the template (or an included one) where a runtime error happened."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename == "<template>":
            line = frame.lineno
    return line


def _error_template(exc: BaseException, default: str) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.name:
        return exc.name
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return "templates/" + frame.filename.split("/templates/", 1)[-1]
    return default


def is_jinja(template: str) -> bool:
    return template.endswith(".j2")


def render_unit(env: jinja2.Environment, unit: RenderUnit) -> str:
    try:
        if not is_jinja(unit.template):  # a plain file: read through the same confined loader, never rendered
            return env.loader.get_source(env, unit.template)[0]  # type: ignore[union-attr]
        return env.get_template(unit.template).render(**unit.context)
    except jinja2.TemplateError as exc:
        raise TemplateError(_error_template(exc, f"templates/{unit.template}"),
                            _template_line(exc, unit.template), str(exc)) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise TemplateError(_error_template(exc, f"templates/{unit.template}"),
                            _template_line(exc, unit.template), f"{type(exc).__name__}: {exc}") from None


def format_output(dest: str, text: str, cache: FormatCache | None = None) -> str:
    """HCL files become `terraform fmt`-canonical; other files only get tidy line ends."""
    if dest.endswith(HCL_SUFFIXES):
        source = f"generated/{dest}"
        if cache:
            return cache.format(text, source)  # imports the formatter only on a miss
        from tfgen.hcl import format_hcl

        return format_hcl(text, source=source)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


HEADER_TEXT = "Generated by tfgen from specs/; do not edit: change the spec and re-render."


def with_header(dest: str, text: str) -> str:
    """Every generated file carries the 'Generated by tfgen' mark near its top: the writer overwrites or
    prunes only files that do, whatever the (committed, forgeable) manifest says. Templates may word it
    themselves; otherwise one comment line in the file's own syntax is added (after a shebang)."""
    if GENERATED_MARK.decode() in text[:HEADER_WINDOW]:
        return text
    if dest.endswith(".md"):
        return f"<!-- {HEADER_TEXT} -->\n{text}"
    if dest.endswith((*HCL_SUFFIXES, ".tftpl", ".sh", ".py")):
        shebang, rest = (text.split("\n", 1) if text.startswith("#!") else ("", text))
        return (f"{shebang}\n" if shebang else "") + f"# {HEADER_TEXT}\n{rest}"
    raise TemplateError(f"templates/{dest}", None, "tfgen does not know how to mark this kind of file as "
                        "generated; add a line saying 'Generated by tfgen' near its top")


def render_units(templates_dir: Path, units: list[RenderUnit]) -> dict[str, bytes]:
    """Render and format every unit in memory; any failure raises before anything is written.

    Markdown comes last, with `tree` (tfgen.interfaces.tree.TreeFacts) in its context: the docs describe
    the resources, skips and IAM grants of the files just rendered, never a copy kept beside the templates."""
    from tfgen.interfaces.tree import tree_facts

    env = make_environment(templates_dir)
    cache = FormatCache()
    rendered: dict[str, bytes] = {}
    docs = [unit for unit in units if unit.dest.endswith(".md")]
    for unit in [unit for unit in units if not unit.dest.endswith(".md")]:
        rendered[unit.dest] = _render_one(env, unit, cache)
    rendered = add_packages(rendered)
    if docs:
        counted = frozenset(u.context["module"].name for u in units
                            if "module" in u.context and getattr(u.context["module"], "count", None))
        facts = tree_facts({dest: data.decode("utf-8") for dest, data in rendered.items()
                            if not dest.endswith(BINARY_SUFFIXES)}, counted)
        for unit in docs:
            rendered[unit.dest] = _render_one(env, RenderUnit(unit.template, unit.dest,
                                                              {**unit.context, "tree": facts}), cache)
    return dict(sorted(rendered.items()))


def _render_one(env: jinja2.Environment, unit: RenderUnit, cache: FormatCache) -> bytes:
    text = render_unit(env, unit)
    try:
        text = format_output(unit.dest, text, cache)
    except FormatError as exc:
        raise TemplateError(f"templates/{unit.template}", exc.line, f"rendered HCL does not parse: {exc}") from None
    return text.encode("utf-8")
