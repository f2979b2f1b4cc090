"""Formatting with a Memo (per top-level block, what render uses for many environments) gives exactly what
formatting the whole file gives, for every corpus and generated file and for files built to fool the cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfgen.errors import FormatError
from tfgen.hcl import Memo, format_hcl, top_level_items
from tfgen.hcl.tokens import tokenize

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "tests/fmt_corpus").glob("*.tf"), *(ROOT / "tests/fmt_corpus").glob("*.tfvars"),
                *(ROOT / "generated").rglob("*.tf")])


def whole(text: str) -> str | FormatError:
    try:
        return format_hcl(text)
    except FormatError as exc:
        return exc


def with_memo(text: str, memo: Memo) -> str | FormatError:
    try:
        return format_hcl(text, memo=memo)
    except FormatError as exc:
        return exc


def same(a: str | FormatError, b: str | FormatError) -> bool:
    return str(a) == str(b) and type(a) is type(b)


def test_every_corpus_and_generated_file_formats_the_same_piece_by_piece() -> None:
    memo = Memo()
    texts = [p.read_bytes().decode() for p in FILES]
    assert len(texts) > 80
    for _ in range(2):  # the second round is assembled from the memo
        for path, text in zip(FILES, texts, strict=True):
            assert same(with_memo(text, memo), whole(text)), path
    assert memo.items, "the generated tree has top-level blocks to share"


# Pieces chosen so that a line `}` appears where it does not end a block: inside a heredoc, a comment, a
# nested block written at column 0, and a file that stops inside a heredoc.
PIECES = [
    'resource "a" "b" {\n  x = 1\n}\n',
    '\nresource "a" "c" {\n  y   = "2"\n  zzz = 3\n}\n',
    'locals {\n  s = <<EOF\n}\nresource "x" "y" {\n}\nEOF\n}\n',
    'locals {\n  s = <<-EOT\n    }\n  EOT\n}\n',
    '/* a comment\n}\n*/\n',
    'module "m" {\n  tags = {\n}\nsource = "./m"\n}\n',
    'x = 1\nyy = 2\n',
    '# trailing comment\n',
    'locals {\n  t = <<EOF\n}\n',
    'variable "v" {\n  default = { a = 1, bb = 2 }\n}\n',
    '}\n',
    'data "d" "e" {\n}\n\n\n',
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6), st.lists(st.sampled_from(PIECES), max_size=4))
def test_a_shared_memo_never_changes_a_result(first: list[str], second: list[str]) -> None:
    """Whatever files came before (filling the memo), a file formats as it does alone, error or not."""
    memo = Memo()
    for text in ("".join(first), "".join(second), "".join(reversed(first))):
        assert same(with_memo(text, memo), whole(text)), text


def test_pieces_are_cut_only_at_top_level_block_ends() -> None:
    text = 'locals {\n  s = <<EOF\n}\nEOF\n}\nresource "a" "b" {\n}\n\nx = 1\n'
    assert top_level_items(tokenize(text, "t"), text) == ['locals {\n  s = <<EOF\n}\nEOF\n}\n',
                                                          'resource "a" "b" {\n}\n', "\nx = 1\n"]


def test_an_error_keeps_the_files_own_line_numbers() -> None:
    memo = Memo()
    format_hcl('resource "a" "b" {\n}\n', memo=memo)
    with pytest.raises(FormatError) as err:
        format_hcl('resource "a" "b" {\n}\nresource "c" "d" {\n  x = = 1\n}\n', source="f.tf", memo=memo)
    assert ":4:" in str(err.value)


def test_an_attribute_set_twice_across_pieces_is_still_refused() -> None:
    """The one check spanning pieces: a top-level attribute set in two of them (hypothesis found it)."""
    memo = Memo()
    format_hcl('x = 1\nresource "a" "b" {\n}\n', memo=memo)
    with pytest.raises(FormatError, match="Attribute redefined"):
        format_hcl('x = 1\nresource "a" "b" {\n}\nx = 1\n', memo=memo)
