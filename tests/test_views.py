"""Typed spec views (tfgen/model/views.py) are generated from the one definition and mirror validated specs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tfgen.model import viewgen
from tfgen.model.definition import SPEC
from tfgen.model.schema import Field
from tfgen.model.views import Spec
from tfgen.pipeline import validate_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def validated():
    return validate_project(ROOT)


def test_the_committed_views_are_generated_from_the_definition() -> None:
    assert viewgen.VIEWS_PATH.read_text() == viewgen.render(), "run: python -m tfgen.model.viewgen"


def mirrors(view: object, value: object, f: Field, path: str) -> None:
    """Every key of the validated value is an attribute of the view, with the same content."""
    if f.kind == "object" and value is not None:
        names = [x.name for x in dataclasses.fields(view)]  # type: ignore[arg-type]
        assert [n.rstrip("_") for n in names] == list(f.fields), path
        for key, child in f.fields.items():
            mirrors(getattr(view, key), value[key], child, f"{path}.{key}")  # type: ignore[index]
    elif f.kind == "map":
        assert sorted(view) == sorted(value), path  # type: ignore[call-overload]
        for key in value:  # type: ignore[union-attr]
            mirrors(view[key], value[key], f.values, f"{path}.{key}")  # type: ignore[index, arg-type]
    elif f.kind == "list":
        assert isinstance(view, tuple) and len(view) == len(value), path  # type: ignore[arg-type]
        for i, (a, b) in enumerate(zip(view, value, strict=True)):
            mirrors(a, b, f.items, f"{path}[{i}]")  # type: ignore[arg-type]
    else:
        assert view == value and type(view) is type(value), path


def test_every_bundled_spec_is_mirrored_by_its_view(validated) -> None:
    assert validated
    for v in validated:
        mirrors(v.view, v.doc, SPEC, v.spec.env)


def test_a_misspelt_setting_is_an_attribute_error_and_views_are_frozen(validated) -> None:
    view: Spec = validated[0].view
    with pytest.raises(AttributeError):
        view.network.vpc_cdir  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.network.vpc_cidr = "10.9.0.0/16"  # type: ignore[misc]


def test_nullable_objects_are_none_or_a_view(validated) -> None:
    services = [s for v in validated for s in v.view.services.values()]
    assert any(s.data_volume is None for s in services) and any(s.data_volume is not None for s in services)
    assert all(s.data_volume is None or s.data_volume.size_gb > 0 for s in services)


# ---------------------------------------------------------------- rules read views, also of invalid documents

def test_rules_run_on_views_and_a_misspelt_setting_is_no_silent_none() -> None:
    """A rule reading a misspelt setting raises AttributeError on the view; with dicts, `.get` gave None and the
    rule silently passed. Every registered rule runs on the view of a real spec without raising."""
    from tfgen import rules
    from tfgen.spec import load_spec

    spec = load_spec("prod", ROOT)
    doc = validate_project(ROOT)[0].doc
    view = Spec.of(doc)
    check = rules.Check(spec)
    for rule in rules.RULES:
        rule(view, check)
    with pytest.raises(AttributeError):
        view.database.deletion_protetion  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        view.services["backend"].uses_autoscaling  # type: ignore[attr-defined]  # noqa: B018


def test_rules_still_report_beside_an_invalid_section() -> None:
    """A document that failed type checks holds None for an invalid section: the partial view reads the rest,
    so the dns rule reports its problem (at its file:line) in the same run as the network's type error."""
    import copy

    from tfgen.spec import load_spec
    from tfgen.validate import check_spec

    spec = copy.deepcopy(load_spec("dev", ROOT))
    spec.data["network"] = "10.0.0.0/16"
    spec.data["dns"]["domain"] = "App.Example.com"
    validated, problems = check_spec(spec)
    assert validated is None
    by_path = {p.path: p for p in problems}
    assert "network" in by_path and "expected" in by_path["network"].message
    assert "must be lowercase" in by_path["dns.domain"].message
    assert by_path["dns.domain"].location is not None and by_path["dns.domain"].location.line > 0


def test_a_partial_view_reads_what_is_valid_and_refuses_the_rest(validated) -> None:
    from tfgen.model.lenient import Partial, partial_view

    doc = {**validated[0].doc, "network": None}
    doc["services"] = {name: {**svc, "data_volume": None, "auto_scaling": None}
                       for name, svc in doc["services"].items()}
    view = partial_view(doc)
    assert isinstance(view, Partial) and view.network is None
    assert view.dns == validated[0].view.dns
    service = next(iter(view.services.values()))
    assert isinstance(service, Partial) and service.port == next(iter(validated[0].view.services.values())).port
    with pytest.raises(AttributeError):
        service.uses_auto_scaling  # noqa: B018  # reads auto_scaling.enabled through None
    with pytest.raises(AttributeError):
        service.prot  # noqa: B018


@pytest.mark.slow  # mypy: 5-15 s
def test_the_view_stages_type_check_and_a_misspelt_setting_is_a_type_error(tmp_path: Path) -> None:
    """mypy over the stages that read views ([tool.mypy] files) is clean, and the same run flags a misspelt
    setting in a module that reads a view: the typo is caught before anything runs."""
    import subprocess
    import sys
    import tomllib

    files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    typo = tmp_path / "typo_reader.py"
    typo.write_text("from tfgen.model.views import Spec\n\n\ndef cidr(spec: Spec) -> str:\n"
                    "    return spec.network.vpc_cdir\n")
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                             "--cache-dir", str(tmp_path / "cache"), *files, str(typo)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith(str(typo)), result.stdout + result.stderr
    assert '"Network" has no attribute "vpc_cdir"' in errors[0]


def test_impact_still_reads_a_document_without_newer_settings(validated) -> None:
    """Impact reads documents as dicts that may predate a setting (no `backup`, no `availability_zone`); the
    names it takes from tfgen.names go through the partial view, so such a document still maps."""
    from tfgen.impact.resources import resources, security_edges
    from tfgen.model.lenient import partial_view

    doc = {key: value for key, value in validated[0].doc.items() if key != "backup"}
    doc["services"] = {name: {k: v for k, v in svc.items() if k != "availability_zone"}
                       for name, svc in doc["services"].items()}
    found = resources(validated[0].spec.env, doc)
    assert found and not any(address.startswith("module.backup") for address in found)
    assert security_edges(partial_view(doc)) == security_edges(validated[0].view)
