"""A typed view of a document that may be incomplete: one that failed type checks, or an older one.

validate runs the rules even when type checks failed (one run shows both kinds of problem): such a document
holds None where a value was invalid or missing, and `Spec.of` may fail on it. Impact still reads documents
as dicts that may lack settings added since, and calls tfgen.names through this (adoption reads the view).

`partial_view` builds what it can: each object is its real view when it is complete, else a `Partial` that
reads the same attributes from the dict. Reading through an invalid or absent value raises (AttributeError,
KeyError, TypeError) as a missing key did; a misspelt attribute is an AttributeError, as on a real view.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any

from tfgen.model.views import Spec


def partial_view(doc: dict[str, Any]) -> Spec:
    """The view of a (possibly invalid) normalized document: `Spec.of(doc)` where it can be built."""
    return typing.cast(Spec, build(Spec, doc))


@cache
def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def build(annotation: Any, value: Any) -> Any:
    """The view of `value` for a views annotation (a view class, `X | None`, `tuple[X, ...]`, `dict[str, X]`)."""
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return build(next(a for a in typing.get_args(annotation) if a is not type(None)), value)
    if origin is tuple:
        return tuple(build(typing.get_args(annotation)[0], item) for item in value)
    if origin is dict:
        return {key: build(typing.get_args(annotation)[1], item) for key, item in value.items()}
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        try:
            return annotation.of(value)  # type: ignore[attr-defined]
        except (KeyError, TypeError, AttributeError):
            return Partial(annotation, value)
    return value


def present(view: object, name: str) -> bool:
    """Whether the document behind a view holds `name`: an older document may lack a setting added since."""
    return not isinstance(view, Partial) or name in view.value


class Partial:
    """An incomplete object of a document that failed type checks, read like its view class."""

    __slots__ = ("view_class", "value")

    def __init__(self, view_class: type, value: dict[str, Any]) -> None:
        self.view_class = view_class
        self.value = value

    def __getattr__(self, name: str) -> Any:
        annotation = hints(self.view_class).get(name)
        if annotation is not None:
            return build(annotation, self.value[name.rstrip("_")])
        helper = getattr(self.view_class, name, None)
        if isinstance(helper, property) and helper.fget is not None:  # Service.uses_auto_scaling and the like
            return helper.fget(self)
        raise AttributeError(f"{self.view_class.__name__} has no attribute {name!r}")
