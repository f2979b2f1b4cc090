"""Stage 4: the strict Jinja environment and template error reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfgen.context import RenderUnit
from tfgen.errors import TemplateError
from tfgen.render.engine import list_templates, render_units


def templates(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "templates"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    root = templates(tmp_path, {"x/main.tf.j2": 'a = "1"\n\nb = {{ missing | hcl }}\n'})
    with pytest.raises(TemplateError) as err:
        render_units(root, [RenderUnit("x/main.tf.j2", "x/main.tf", {})])
    assert "templates/x/main.tf.j2:3" in str(err.value)
    assert "missing" in str(err.value)


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    root = templates(tmp_path, {"x/main.tf.j2": "a = 1\n{% if %}\n"})
    with pytest.raises(TemplateError) as err:
        render_units(root, [RenderUnit("x/main.tf.j2", "x/main.tf", {})])
    assert ":2" in str(err.value)


def test_printing_a_list_without_the_hcl_filter_is_refused(tmp_path: Path) -> None:
    root = templates(tmp_path, {"main.tf.j2": "a = {{ items }}\n"})
    with pytest.raises(TemplateError) as err:
        render_units(root, [RenderUnit("main.tf.j2", "main.tf", {"items": ["a", "b"]})])
    assert "use the hcl filter" in str(err.value)


def test_loader_is_confined_to_templates(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cr3t")
    root = templates(tmp_path, {"main.tf.j2": '{% include "../secret.txt" %}\n'})
    with pytest.raises(TemplateError):
        render_units(root, [RenderUnit("main.tf.j2", "main.tf", {})])


def test_hcl_output_is_formatted_and_text_is_tidied(tmp_path: Path) -> None:
    root = templates(tmp_path, {"a.tf.j2": 'x {\na = 1\nlong_name = "v"\n}\n', "b.md.j2": "text   \n\n\n"})
    out = render_units(root, [RenderUnit("a.tf.j2", "a.tf", {}), RenderUnit("b.md.j2", "b.md", {})])
    assert out["a.tf"] == b'x {\n  a         = 1\n  long_name = "v"\n}\n'
    assert out["b.md"] == b"text\n"


def test_partials_are_not_output_templates(tmp_path: Path) -> None:
    env, module = "terraform/environments/_env_/main.tf.j2", "terraform/modules/_module_/main.tf.j2"
    root = templates(tmp_path, {"_partials/p.j2": "x", env: "", module: "", "d/b.md.j2": ""})
    assert list_templates(root) == ["d/b.md.j2", env, module]


@pytest.mark.parametrize("files", [None, {}, {"terraform/README.md.j2": ""}])
def test_missing_or_gutted_templates_are_an_error(tmp_path: Path, files: dict | None) -> None:
    root = templates(tmp_path, files) if files is not None else tmp_path / "templates"
    (tmp_path / "templates").mkdir(exist_ok=True)
    with pytest.raises(TemplateError) as err:
        list_templates(root)
    assert "no templates found" in str(err.value)


def test_format_cache_returns_exactly_what_formatting_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfgen.hcl import format_hcl
    from tfgen.render.engine import FormatCache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFGEN_NO_CACHE", raising=False)
    text = 'x {\na = 1\nlong_name = "${var.v}"\n}\n'
    cache = FormatCache()
    assert cache.directory is not None and cache.directory.is_relative_to(tmp_path)
    first = cache.format(text, "a.tf")  # miss: formats and stores
    assert list(cache.directory.iterdir())
    assert cache.format(text, "a.tf") == first == format_hcl(text)  # hit


def test_caches_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfgen.render.engine import FormatCache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TFGEN_NO_CACHE", "1")
    assert FormatCache().directory is None
    root = templates(tmp_path, {"a.tf.j2": "x {\na = 1\n}\n"})
    assert render_units(root, [RenderUnit("a.tf.j2", "a.tf", {})])["a.tf"] == b"x {\n  a = 1\n}\n"
    assert not (tmp_path / "cache").exists()


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfgen.render.engine import FormatCache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFGEN_NO_CACHE", raising=False)
    cache = FormatCache()
    text = "x {\na = 1\n}\n"
    good = cache.format(text, "a.tf")
    [entry] = list(cache.directory.iterdir())
    entry.write_bytes(entry.read_bytes() + b"# injected\n")
    assert cache.format(text, "a.tf") == good


def test_a_plain_template_is_copied_as_is_and_marked(tmp_path: Path) -> None:
    """A file without `.j2` has nothing to fill: Jinja never sees it, so `{{` in it stays literal text."""
    root = templates(tmp_path, {"x/main.tf": 'a = "{{ not_jinja }}"\n', "x/vars.tf.j2": "b = {{ 1 + 1 }}\n"})
    out = render_units(root, [RenderUnit("x/main.tf", "x/main.tf", {}), RenderUnit("x/vars.tf.j2", "x/vars.tf", {})])
    assert out["x/main.tf"] == b'a = "{{ not_jinja }}"\n'
    assert out["x/vars.tf"] == b"b = 2\n"


def test_plain_and_jinja_templates_are_both_listed(tmp_path: Path) -> None:
    files = {"terraform/environments/_env_/main.tf.j2": "", "terraform/modules/_module_/versions.tf": "",
             "terraform/modules/_partials/x.j2": "", "terraform/.hidden": ""}
    root = templates(tmp_path, files)
    assert list_templates(root) == ["terraform/environments/_env_/main.tf.j2", "terraform/modules/_module_/versions.tf"]
