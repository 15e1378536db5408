"""Where inline code may wrap: <wbr> between an identifier's words, and nothing else changed."""

from __future__ import annotations

import pytest

from settings_guide.site.code_breaks import break_identifiers


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<code>adapter_weights</code>", "<code>adapter_<wbr>weights</code>"),
        ("<code>pipe.set_adapters()</code>", "<code>pipe.<wbr>set_<wbr>adapters()</code>"),
        (
            "<code>scheduler = EulerDiscreteScheduler</code>",
            "<code>scheduler = Euler<wbr>Discrete<wbr>Scheduler</code>",
        ),
        ("<code>DPMSolverMultistepScheduler</code>", "<code>DPMSolver<wbr>Multistep<wbr>Scheduler</code>"),
        # Numbers, dunder names and entities stay whole.
        ("<code>strength = 0.75</code>", "<code>strength = 0.75</code>"),
        ("<code>__call__</code>", "<code>__call__</code>"),
        ("<code>&lt;lora:name_A&gt;</code>", "<code>&lt;lora:name_<wbr>A&gt;</code>"),
        ("<code>a&amp;Bc</code>", "<code>a&amp;Bc</code>"),
        # Code blocks (Reproduce snippets, indented blocks) are left as they are.
        ('<pre><code class="language-python">pipe.set_adapters()</code></pre>', None),
        ("<pre><code>pipe.set_adapters()</code></pre>", None),
        ("<p>adapter_weights outside code</p>", None),
    ],
)
def test_wrap_points_go_between_words_only(html, expected):
    assert break_identifiers(html) == (html if expected is None else expected)


def test_only_wrap_points_are_added():
    """The pass runs after the HTML clean-up: it must add nothing but empty <wbr> elements."""
    page = '<td><code>cfg_rescale_multiplier</code></td><figcaption><code>x.toString</code> &amp; "q"</figcaption>'
    marked = break_identifiers(page)
    assert marked.count("<wbr>") == 4  # cfg_|rescale_|multiplier, x.|to|String
    assert marked.replace("<wbr>", "") == page
