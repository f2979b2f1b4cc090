"""Overlay entries that name nothing: a service key an overlay sets that no file it extends defines.

An overlay usually changes a few settings of an existing service; a typo (`fronted:` for `frontend:`) used
to surface as four "is required" problems of a new, incomplete service. Here it becomes one problem at the
overlay's line: "no service 'fronted' in base.yaml; did you mean 'frontend'?".
"""

from __future__ import annotations

import difflib
from pathlib import PurePosixPath

from tfgen.errors import Problem
from tfgen.model.definition import SPEC
from tfgen.spec import LoadedSpec

SERVICE_FIELDS = SPEC.fields["services"].values.fields  # type: ignore[union-attr]  # a map: values is set


def _names(data: object) -> set[str]:
    services = data.get("services") if isinstance(data, dict) else None
    return {k for k in services if isinstance(k, str)} if isinstance(services, dict) else set()


def unknown_overlay_services(spec: LoadedSpec) -> tuple[list[Problem], list[str]]:
    """Problems for incomplete services an overlay introduces, and the paths whose own problems they replace."""
    problems, covered = [], []
    for depth, layer in enumerate(spec.layers[1:], start=1):
        earlier = set().union(*(_names(lower.data) for lower in spec.layers[:depth]))
        defined_in = next((PurePosixPath(lower.file).name for lower in spec.layers[:depth] if _names(lower.data)),
                          PurePosixPath(spec.layers[0].file).name)
        for name in sorted(_names(layer.data) - earlier):
            entry = layer.data["services"][name]
            missing = [f for f, field in SERVICE_FIELDS.items() if field.required and
                       not (isinstance(entry, dict) and f in entry)]
            if not missing:
                continue  # a complete definition: the other checks decide about it
            close = difflib.get_close_matches(name, sorted(earlier), n=1, cutoff=0.6)
            if close:
                message = f"no service {name!r} in {defined_in}; did you mean {close[0]!r}?"
            else:
                known = ", ".join(sorted(earlier)) or "none"
                message = (f"no service {name!r} in {defined_in} (services: {known}); a new service needs "
                           f"{', '.join(missing)}, and belongs in {defined_in} so every environment has it")
            problems.append(Problem(layer.provenance.get(("services", name)), f"services.{name}", message))
            covered.append(f"services.{name}")
    return problems, covered
