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
