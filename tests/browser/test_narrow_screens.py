"""On a 390 px phone: the "In Your Tool" table fits the screen, and identifiers wrap only between their words."""

from __future__ import annotations

import pytest

from .served_site import PHONE

# Long identifiers in their tables and captions: adapter_weights, EulerDiscreteScheduler, set_ip_adapter_scale, ...
SLUGS = [
    "inference-steps", "scheduler", "lora-weight", "ip-adapter-scale", "controlnet-conditioning-scale",
    "skip-layer-guidance", "sdxl-size-conditioning",
]  # fmt: skip
# Pages whose captions are too long for half a phone's width: each must wrap at least once, where allowed.
WRAPPING = {"scheduler", "controlnet-conditioning-scale"}

# The table under "In Your Tool": its box, its scroll container's, and each shown cell's label and header.
TOOL_TABLE = """() => {
  const heading = document.getElementById("in-your-tool");
  const next = heading.nextElementSibling;
  const table = next.matches("table") ? next : next.querySelector("table");
  const scroller = table.closest(".md-typeset__scrollwrap") || table;
  const box = table.getBoundingClientRect();
  const headers = [...table.querySelectorAll("thead th")].map(th => th.textContent.trim());
  const cells = [...table.querySelectorAll("tbody td")].filter(td => td.getClientRects().length).map(td => ({
    header: headers[td.cellIndex],
    label: getComputedStyle(td, "::before").content,
    right: td.getBoundingClientRect().right,
  }));
  return {left: box.left, right: box.right, scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
          cells};
}"""

# Every line break inside a code element of a table or caption, with the text around it: each character's
# box comes from a Range over it, and a character lower than the last one shown starts a new line.
CODE_LINE_BREAKS = """() => {
  const found = {codes: 0, breaks: [], copied: []};
  for (const code of document.querySelectorAll("table code, figcaption code")) {
    if (!code.getClientRects().length) continue;  // in a hidden tab
    found.codes += 1;
    const chars = [];
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = [...range.getClientRects()].find(r => r.width > 0);
        chars.push({char: node.data[i], rect});
      }
    }
    let last = null;
    chars.forEach((entry, index) => {
      if (!entry.rect) return;  // collapsed white space
      if (last !== null && entry.rect.top > chars[last].rect.top + chars[last].rect.height / 2) {
        found.breaks.push({text: code.textContent, before: chars.slice(last, index).map(c => c.char).join(""),
                           after: entry.char});
      }
      last = index;
    });
    const selection = getSelection();
    selection.selectAllChildren(code);
    found.copied.push([selection.toString(), code.textContent]);
    selection.removeAllRanges();
  }
  // Aliases are chips: each stays on one line, wrap points or not.
  found.splitAliases = [...document.querySelectorAll(".sg-aka code")]
    .filter(code => code.getClientRects().length > 1).map(code => code.textContent);
  return found;
}"""


def wraps_between_words(before: str, after: str) -> bool:
    """A line may end after white space, _ . - or /, or between the words of a camelCase name."""
    last = before[-1]
    return any(c.isspace() for c in before) or last in "_.-/" or (last.islower() and after.isupper())


@pytest.mark.parametrize("slug", SLUGS)
def test_the_tool_table_fits_a_phone_with_each_cell_named(open_page, slug):
    page = open_page(f"settings/{slug}/", phone=True).page
    table = page.evaluate(TOOL_TABLE)
    assert 0 <= table["left"] and table["right"] <= PHONE["width"], table
    assert table["scrollWidth"] <= table["clientWidth"], "part of the table is hidden sideways"
    assert table["cells"], "no cell is shown"
    for cell in table["cells"]:
        assert cell["right"] <= PHONE["width"]
        # One block per tool: its name first, then each cell beside its column's name.
        expected = "none" if cell["header"] == "Tool" else f'"{cell["header"]}"'
        assert cell["label"] == expected, cell


@pytest.mark.parametrize("slug", SLUGS)
def test_identifiers_in_tables_and_captions_wrap_only_between_words(open_page, slug):
    page = open_page(f"settings/{slug}/", phone=True).page
    found = page.evaluate(CODE_LINE_BREAKS)
    assert found["codes"] > 0
    broken = [b for b in found["breaks"] if not wraps_between_words(b["before"], b["after"])]
    assert broken == [], broken
    if slug in WRAPPING:
        assert found["breaks"], "the long captions should wrap (at the allowed places)"
    assert found["splitAliases"] == []
    # The wrap points are empty elements: a copied identifier has no stray characters.
    for copied, text in found["copied"]:
        assert copied == text and not any(c in copied for c in "\u200b\u00ad\u2060"), copied
