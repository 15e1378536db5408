"""YAML that does not parse: one `file:LINE:COL: message` line that says what to change, in our words.

PyYAML's own text ("mapping values are not allowed here", `in "<byte string>", line 4, column 9`)
never reaches the contributor, whichever of its two parsers (libyaml or pure Python) reads the file.
"""

from __future__ import annotations

import pytest
import yaml

from settings_guide.cli import main
from settings_guide.settings.yaml_errors import INDENTATION_HINT, explain_syntax_error

from .conftest import minimal_setting

GOOD = minimal_setting()
PYYAML_WORDS = ("<byte string>", "<unicode string>", 'in "', "mapping values are not allowed", "expected <block end>")

# (case, old text of GOOD, new text, line, column, the message)
CASES = [
    (
        "key indented too far",
        "    max: 10",
        "      max: 10",
        12, 7, f"`max:` is indented by 6 spaces, the line above by 4; {INDENTATION_HINT}",
    ),
    (
        "key indented too little",
        "    max: 10",
        "   max: 10",
        12, 4, f"`max:` is indented by 3 spaces, the line above by 4; {INDENTATION_HINT}",
    ),
    (
        "top-level key indented under the one above",
        "category: sampling",
        "  category: sampling",
        4, 3, f"`category:` is indented by 2 spaces, the line above by 0; {INDENTATION_HINT}",
    ),
    (
        "list item indented less than its siblings",
        "  - label: High",
        " - label: High",
        14, 2, f"this list item is indented by 1 space, the line above by 4; {INDENTATION_HINT}",
    ),
    (
        "list item where a key belongs",
        "category: sampling\n",
        "category: sampling\n- stray item\n",
        5, 1, "a list item where the mapping above expects `key: value`; put the list under its key, indented, "
        "e.g. `tips:` and then `  - A tip.`",
    ),
    (
        "tab in indentation",
        "  - label: Low",
        "\t- label: Low",
        10, 1, "tab character in indentation; YAML uses spaces, not tabs: indent this line with spaces",
    ),
    (
        "tab after a list dash",
        "  - label: Low",
        "  -\tlabel: Low",
        10, 4, "tab character; YAML uses spaces, not tabs: replace it with spaces",
    ),
    (
        "unclosed double quote at the end of the file",
        "    url: https://example.com/a",
        '    url: "https://example.com/a',
        GOOD.splitlines().index("    url: https://example.com/a") + 1, 10, 'the " that opens this value is never closed; end the value with "',
    ),
    (
        "unclosed double quote closed by a later value's quote",
        "summary: A short summary.",
        'summary: "A short summary.',
        5, 10, 'the " that opens this value is not closed on this line (the next " is on line 28); end the value with "',
    ),
    (
        "unclosed single quote",
        "summary: A short summary.",
        "summary: 'A short summary.",
        5, 10, "the ' that opens this value is never closed; end the value with '",
    ),
    (
        "unclosed bracket",
        "aliases: [example_alias]",
        "aliases: [example_alias",
        3, 10, "the [ opened here is not closed; end it with ], separate its items with commas, "
        "and put an item that holds `: ` in quotes",
    ),
    (
        "colon inside an unquoted value",
        "summary: A short summary.",
        "summary: Note: a short summary.",
        5, 14, "this unquoted value holds `: `, which YAML reads as a new key; put the whole value in quotes",
    ),
    (
        "text after a closing quote",
        "summary: A short summary.",
        'summary: "A short" summary.',
        5, 20, "text after the closing quote; put the whole value inside the quotes",
    ),
    (
        "invisible control character",
        "summary: A short summary.",
        "summary: A short\x07 summary.",
        5, 17, "character U+0007 is not allowed in YAML (a control character, usually invisible); delete it",
    ),
]  # fmt: skip
IDS = [case[0] for case in CASES]


def broken(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


@pytest.mark.parametrize("old, new, line, column, message", [case[1:] for case in CASES], ids=IDS)
def test_validate_says_where_and_what_to_change(tmp_path, monkeypatch, capsys, old, new, line, column, message):
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "x.yml").write_text(broken(old, new), "utf-8")
    monkeypatch.chdir(tmp_path)  # paths as a contributor sees them

    assert main(["validate", "settings"]) == 1

    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"settings/x.yml:{line}:{column}: {message}", "1 problem in 1 file"]
    assert not [words for words in PYYAML_WORDS if words in captured.err + captured.out]


PARSE_ERRORS = [case for case in CASES if case[0] not in ("tab in indentation", "invisible control character")]


@pytest.mark.parametrize(
    "old, new, line, column, message", [case[1:] for case in PARSE_ERRORS], ids=[case[0] for case in PARSE_ERRORS]
)
def test_the_pure_python_parser_gets_the_same_explanation(old, new, line, column, message):
    # Where libyaml is missing PyYAML parses on its own, in other words; the mark, and so our message, is the same.
    text = broken(old, new)
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.compose(text, Loader=yaml.SafeLoader)
    assert explain_syntax_error(caught.value, text) == (line, column, message)
