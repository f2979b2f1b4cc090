"""Issue 11, text: spec strings that could break out of an output are rejected with file:line, guards compare
full, normalised, ASCII strings, and whatever tfgen prints cannot drive the terminal.

Each test reproduces one finding of the issue (the exact attack), then checks the fixed behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen.cli import main
from tfgen.render.filters import md_cell, terminal_text

LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r", "\n"]


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _edit_base(project: Path, edit: Any) -> None:
    """Change specs/base.yaml through its data; safe_dump writes non-ASCII as \\u escapes in quotes."""
    path = project / "specs" / "base.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000))


def _assert_located(project: Path, stderr: str, field: str, needle: str) -> None:
    """The problem names the field and points at a line of specs/base.yaml that holds ``needle``."""
    match = re.search(rf"^specs/base\.yaml:(\d+):\d+: {re.escape(field)}: ", stderr, re.MULTILINE)
    assert match, stderr
    line = (project / "specs" / "base.yaml").read_text().splitlines()[int(match[1]) - 1]
    assert needle in line, (line, stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _rejected(project: Path, field: str, key: str) -> str:
    """validate and render both exit 2, write nothing, and locate the problem at the key's file:line."""
    for command in ("validate", "render"):
        result = _invoke("-C", str(project), command, "dev")
        assert result.exit_code == 2, (command, result.stderr)
        _assert_located(project, result.stderr, field, key)
    assert not (project / "generated").exists()
    return result.stderr


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[f"U+{ord(c):04X}" for c in LINE_BREAKS])
def test_display_name_with_a_line_break_cannot_inject_a_user_data_command(project: Path, brk: str) -> None:
    """Finding: `display_name: "ImageUnderstander\\u2028touch pwned\\u2028"` became its own user-data line."""
    _edit_base(project, lambda d: d["project"].update(display_name=f"ImageUnderstander{brk}touch pwned{brk}"))
    stderr = _rejected(project, "project.display_name", "display_name:")
    assert f"U+{ord(brk):04X}" in stderr


@pytest.mark.parametrize("value", ["${file(\"/etc/passwd\")}", "%{ if true }x%{ endif }", "a'b", 'a"b', "a\\b"])
def test_display_name_cannot_carry_template_or_shell_syntax(project: Path, value: str) -> None:
    """display_name reaches a templatefile() comment: it holds only AWS tag characters, nothing active."""
    _edit_base(project, lambda d: d["project"].update(display_name=value))
    _rejected(project, "project.display_name", "display_name:")


@pytest.mark.parametrize("field,key,edit", [
    ("environment.guardrail_overrides.multi_az", "multi_az:", lambda d: d.setdefault("environment", {}).update(
        production=False, guardrail_overrides={"multi_az": "reason\x1b]0;pwned\x07 long enough"})),
    ("tags.Team", "Team:", lambda d: d.update(tags={"Team": "a\u2029b"})),
    ("database.parameters.character_set_server", "character_set_server", lambda d: d["database"].update(
        parameters={"require_secure_transport": "1", "character_set_server": "utf8mb4\u202e"})),
])
def test_control_and_invisible_characters_are_rejected_in_every_string(project: Path, field: str, key: str,
                                                                      edit: Any) -> None:
    """Finding: guardrail reasons were printed with raw ANSI/OSC escapes (a spec could set the terminal title)."""
    _edit_base(project, edit)
    for command in ("validate", "render"):
        result = _invoke("-C", str(project), command, "dev")
        assert result.exit_code == 2, result.stderr
        _assert_located(project, result.stderr, field, key)
        assert "\x1b" not in result.stderr and "\u202e" not in result.stderr


@pytest.mark.parametrize("mount", ["/./etc", "/etc/.", "//etc/", "/usr/./", "/var//"])
def test_mount_path_guard_compares_the_normalised_path(project: Path, mount: str) -> None:
    """Finding: `mount_path: /./etc` or `/etc/.` passed the system-directory check."""
    _edit_base(project, lambda d: d["services"]["llm"]["data_volume"].update(mount_path=mount))
    assert "would hide a system directory" in _rejected(project, "services.llm.data_volume.mount_path",
                                                        "mount_path:")


def test_mount_path_must_be_written_normalised(project: Path) -> None:
    _edit_base(project, lambda d: d["services"]["llm"]["data_volume"].update(mount_path="/opt/./models/"))
    assert "'/opt/models'" in _rejected(project, "services.llm.data_volume.mount_path", "mount_path:")


@pytest.mark.parametrize("field,key,edit", [
    ("dns.domain", "domain:", lambda d: d["dns"].update(domain="app.example.com\n")),
    ("services.llm.instance_type", "g5.xlarge", lambda d: d["services"]["llm"].update(instance_type="g5.xlarge\n")),
    ("database.engine_version", "engine_version:", lambda d: d["database"].update(engine_version="8.4\n")),
    ("database.instance_class", "instance_class:", lambda d: d["database"].update(instance_class="db.t4g.micro\n")),
    ("storage.cors_allowed_origins[0]", "https://a.example.com",
     lambda d: d["storage"].update(cors_allowed_origins=["https://a.example.com\n"])),
    ("tags.Team", "Team:", lambda d: d.update(tags={"Team": "platform\n"})),
])
def test_trailing_newline_no_longer_satisfies_an_anchored_pattern(project: Path, field: str, key: str,
                                                                 edit: Any) -> None:
    """Finding: `$`-anchored patterns accepted a trailing newline."""
    _edit_base(project, lambda d: (d.setdefault("dns", {"domain": "x.example.com"}),
                                   d.setdefault("database", {}), d.setdefault("storage", {}), edit(d)))
    _rejected(project, field, key)


@pytest.mark.parametrize("value", ["8.٤", "８.4", "8.4.٣"])
def test_engine_version_digits_are_ascii(project: Path, value: str) -> None:
    """Extra finding: `\\d` matched any Unicode digit (Arabic-Indic, fullwidth) in versions and prices."""
    _edit_base(project, lambda d: d.setdefault("database", {}).update(engine_version=value))
    _rejected(project, "database.engine_version", "engine_version:")


def test_spot_price_digits_are_ascii(project: Path) -> None:
    _edit_base(project, lambda d: d["services"]["frontend"].update(spot_max_price="0.٥"))
    _rejected(project, "services.frontend.spot_max_price", "spot_max_price:")


@pytest.mark.parametrize("az", ["us-east-1é", "us-east-1ａ", "us-east-1A", "us-east-1ab"])
def test_availability_zone_letter_is_ascii(project: Path, az: str) -> None:
    """Finding: `us-east-1é` passed as an AZ (str.isalpha)."""
    _edit_base(project, lambda d: d["network"].update(availability_zones=["us-east-1a", az]))
    _rejected(project, "network.availability_zones[1]", "- ")


@pytest.mark.parametrize("key", ["exec_start", "description"])
def test_systemd_values_cannot_end_in_a_line_continuation(project: Path, key: str) -> None:
    """Finding: `exec_start` or `description` ending in `\\` swallowed the next systemd line."""
    value = "/opt/llm/venv/bin/python -m llm_service \\" if key == "exec_start" else "LLM inference \\"
    _edit_base(project, lambda d: d["services"]["llm"].update({key: value}))
    assert "backslash" in _rejected(project, f"services.llm.{key}", "LLM inference" if key == "description"
                                    else "llm_service")


def test_homoglyph_key_says_it_contains_a_lookalike(project: Path) -> None:
    """Finding: a homoglyph key's did-you-mean did not say it contains a look-alike character."""
    _edit_base(project, lambda d: d["project"].update({"shоrt_name": "x"}))  # Cyrillic о
    stderr = _rejected(project, "project.shоrt_name", "rt_name")
    assert "did you mean 'short_name'?" in stderr
    assert "U+043E CYRILLIC SMALL LETTER O" in stderr and "look-alike" in stderr


def test_lookalike_map_key_is_named(project: Path) -> None:
    _edit_base(project, lambda d: d.update(tags={"Tеam": "platform"}))  # Cyrillic е
    assert "U+0435 CYRILLIC SMALL LETTER IE" in _rejected(project, "tags.Tеam", "T")


def test_terminal_text_escapes_ansi_osc_and_bidi_but_keeps_lines() -> None:
    printed = terminal_text("title\x1b]0;pwned\x07 red\x1b[31m \u202eevil\r\nnext\tcol")
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed and "\r" not in printed
    assert printed == "title\\x1b]0;pwned\\x07 red\\x1b[31m \\u202eevil\\r\nnext\tcol"


def test_check_diff_of_a_committed_file_cannot_drive_the_terminal(project: Path) -> None:
    """A hostile committed file shows up in `tfgen check`'s diff: its escapes are printed escaped."""
    assert _invoke("-C", str(project), "render", "--all").exit_code == 0
    agents = project / "generated" / "terraform" / "AGENTS.md"
    agents.write_bytes(agents.read_bytes() + b"\x1b]0;owned\x07\x1b[2J\n")
    result = _invoke("-C", str(project), "check", "--all")
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\\x1b]0;owned\\x07" in result.stdout


def test_markdown_cells_cannot_inject_html_links_or_break_the_table() -> None:
    assert md_cell("<img src=x onerror=alert(1)> [a](http://e) `x` |y|") == \
        "\\<img src=x onerror=alert(1)\\> \\[a\\](http://e) \\`x\\` \\|y\\|"
    assert "\n" not in md_cell("a\nb\u2028c")


def test_the_rules_themselves_match_whole_strings() -> None:
    """Defence in depth: the rule patterns reject a trailing newline even without the generic character check."""
    from tfgen import aws
    from tfgen.rules.naming import ORIGIN_RE, dns_name_problem

    assert aws.instance_type_problem("t3.micro\n") is not None
    assert aws.instance_type_problem("t3.micro") is None
    assert aws.MYSQL_VERSION_RE.match("8.4\n") is None and aws.MYSQL_VERSION_RE.match("8.٤") is None
    assert dns_name_problem("app.example.com\n") is not None and dns_name_problem("app.example.com") is None
    assert ORIGIN_RE.fullmatch("https://a.example.com\n") is None and ORIGIN_RE.fullmatch("https://a.b.com:8443")
    assert not aws.TAG_CHARS_RE.fullmatch("team\n") and not aws.TAG_CHARS_RE.fullmatch("a\u2028b")
    assert aws.TAG_CHARS_RE.fullmatch("Équipe données: ML/ops @ 2024")  # AWS tags do allow Unicode letters
    assert not aws.az_in_region("us-east-1é", "us-east-1") and aws.az_in_region("us-east-1c", "us-east-1")
