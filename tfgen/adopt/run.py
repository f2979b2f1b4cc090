"""`tfgen adopt` as one function: read the state, derive spec values, match, plan; write only when safe."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfgen.adopt.declared import declared
from tfgen.adopt.match import match
from tfgen.adopt.plan import Block, Outcome, blocks, counts, outcomes
from tfgen.adopt.record import RECORD_DIR, record_bytes
from tfgen.adopt.specvalues import adopted_values, edit_spec, flatten
from tfgen.adopt.state import StateInstance, parse_state
from tfgen.errors import Problem, SpecError
from tfgen.model.views import Spec


@dataclass
class Adoption:
    env: str
    outcomes: list[Outcome]
    blocks: list[Block]
    spec_values: dict[str, Any]
    spec_text: str
    record: bytes
    acknowledged: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.blocking and (o.new or o.old) not in self.acknowledged]

    @property
    def counts(self) -> dict[str, int]:
        return counts(self.outcomes)


def _validated_view(project_dir: Path, env: str, spec_text: str | None = None) -> Spec:
    """The effective spec of `env`, as its typed view; with `spec_text`, as it would be with that text as
    specs/ENV.yaml (checked in a scratch copy of specs/, so an adopted value that does not validate writes nothing)."""
    from tfgen.pipeline import validate_project

    if spec_text is None:
        return next(v.view for v in validate_project(project_dir) if v.spec.env == env)
    with tempfile.TemporaryDirectory(prefix="tfgen-adopt-") as scratch:
        root = Path(scratch)
        shutil.copytree(project_dir / "specs", root / "specs", symlinks=True)
        (root / "specs" / f"{env}.yaml").write_text(spec_text, encoding="utf-8")
        try:
            return next(v.view for v in validate_project(root) if v.spec.env == env)
        except SpecError as exc:
            note = Problem(None, "", f"the values above come from the live state (tfgen adopt {env}); the spec "
                                     "cannot express them, so nothing was written")
            raise SpecError([*exc.problems, note]) from None


def plan_adoption(project_dir: Path, env: str, state: list[StateInstance], acknowledged: list[str] | None = None
                  ) -> Adoption:
    """Everything `tfgen adopt` reports and would write, computed in memory."""
    from tfgen.spec import spec_path_for

    spec = _validated_view(project_dir, env)
    first = match(state, declared(env, spec))
    values = adopted_values(env, state, first, spec)
    text = spec_path_for(env, project_dir).read_text(encoding="utf-8")
    if values:
        text = edit_spec(text, values)
        spec = _validated_view(project_dir, env, text)
    final = match(state, declared(env, spec))
    found = outcomes(state, declared(env, spec), final, env, spec)
    rows = blocks(found)
    return Adoption(env, found, rows, values, text, record_bytes(env, rows), sorted(acknowledged or []))


def adopt(project_dir: Path, env: str, state_bytes: bytes, source: str, acknowledged: list[str] | None = None,
          dry_run: bool = False) -> Adoption:
    """Plan the adoption and, unless something data-holding or traffic-serving would be lost without an
    acknowledgement (or `dry_run`), write specs/ENV.yaml and the adoption record."""
    from tfgen.output.safeio import write_file

    result = plan_adoption(project_dir, env, parse_state(state_bytes, source), acknowledged)
    if result.blocking or dry_run:
        return result
    if result.spec_values:
        write_file(project_dir, f"specs/{env}.yaml", result.spec_text.encode())
        result.written.append(f"specs/{env}.yaml")
    write_file(project_dir, f"{RECORD_DIR}/{env}.json", result.record)
    result.written.append(f"{RECORD_DIR}/{env}.json")
    return result


def changed_keys(result: Adoption) -> dict[str, Any]:
    return flatten(result.spec_values)
