"""Errors at the right place (issue 14 item 3): overlay values point at the overlay, a mistyped service key
says so, enum values get did-you-mean, problems of different stages come in one run, `new --from` names no
made-up file, and only commands that write say "nothing was written"."""

from __future__ import annotations

from pathlib import Path

import pytest


def append(project: Path, env: str, text: str) -> None:
    path = project / f"specs/{env}.yaml"
    path.write_text(path.read_text() + text)


def set_network(project: Path, env: str, line: str) -> None:
    """One more `network:` setting in the overlay (dev sets its own range there already)."""
    path = project / f"specs/{env}.yaml"
    text = path.read_text()
    path.write_text(text.replace("\nnetwork:\n", f"\nnetwork:\n  {line}\n", 1) if "\nnetwork:\n" in text
                    else text + f"\nnetwork:\n  {line}\n")


@pytest.mark.parametrize("args", [("validate", "dev"), ("check", "dev"), ("show", "dev"), ("diff", "dev", "prod"),
                                  ("graph", "dev"), ("cost", "dev")])
def test_read_only_commands_never_say_nothing_was_written(project: Path, run, args: tuple[str, ...]) -> None:
    set_network(project, "dev", "flow_logs: nope")
    result = run("-C", str(project), *args)
    assert result.exit_code == 2
    assert "network.flow_logs: expected true or false" in result.stderr
    assert result.stderr.endswith("1 problem found\n") and "nothing was written" not in result.stderr


def test_writing_commands_say_nothing_was_written(project: Path, run) -> None:
    set_network(project, "dev", "flow_logs: nope")
    assert run("-C", str(project), "render", "dev").stderr.endswith("1 problem found; nothing was written\n")
    new = run("-C", str(project), "new", "qa", "--from", "dev", "--account-id", "123456789012")
    assert new.stderr.endswith("; nothing was written\n")


def test_new_from_unknown_source_has_no_made_up_location(project: Path, run) -> None:
    result = run("-C", str(project), "new", "qa", "--from", "stagin", "--account-id", "123456789012")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first == ("--from: no spec for source environment 'stagin'; did you mean 'staging'? "
                     "(known: dev, prod, staging)")
    assert "specs/stagin.yaml" not in result.stderr and not (project / "specs/qa.yaml").exists()


def test_region_set_in_an_overlay_points_at_the_overlay(project: Path, run) -> None:
    append(project, "dev", "\nregion: us-west-2\n")
    lines = run("-C", str(project), "validate", "dev").stderr.splitlines()
    line_no = len((project / "specs/dev.yaml").read_text().splitlines())
    assert lines[0].startswith(f"specs/dev.yaml:{line_no}:9: region: region 'us-west-2' does not contain")
    assert "specs/base.yaml:" in lines[0] and len(lines) == 2  # one problem, at dev.yaml, naming base.yaml


def test_zones_set_in_the_overlay_still_point_at_the_zones(project: Path, run) -> None:
    set_network(project, "dev", "availability_zones: [us-west-2a, us-east-1b]")
    stderr = run("-C", str(project), "validate", "dev").stderr
    assert "specs/dev.yaml:" in stderr and "'us-west-2a' is not an availability zone of region 'us-east-1'" in stderr


def test_mistyped_service_in_an_overlay(project: Path, run) -> None:
    append(project, "dev", "\nservices:\n  fronted:\n    instance_type: t4g.small\n")
    stderr = run("-C", str(project), "validate", "dev").stderr
    assert "services.fronted: no service 'fronted' in base.yaml; did you mean 'frontend'?" in stderr
    assert "is required" not in stderr and stderr.endswith("1 problem found\n")


def test_enum_values_get_did_you_mean(project: Path, run) -> None:
    set_network(project, "dev", "nat_gateway: per-az")
    stderr = run("-C", str(project), "validate", "dev").stderr
    assert "string 'per-az' is not one of: single, per_az; did you mean 'per_az'?" in stderr


def test_extends_with_a_nul_byte_is_a_located_error(project: Path, run) -> None:
    """Found by the hypothesis fuzz test: `extends: "\\0"` crashed path resolution with a ValueError."""
    (project / "specs/dev.yaml").write_text('extends: "\\0"\n')
    result = run("-C", str(project), "validate", "dev")
    assert result.exit_code == 2
    assert "specs/dev.yaml:1:10: extends: '\\x00' contains U+0000 (control character)" in result.stderr
