"""Contributor text is untrusted: a corpus of payloads never becomes script, handlers or code links."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml

from settings_guide.errors import ProblemsFound
from settings_guide.pages.render import make_environment, render_setting_page
from settings_guide.settings.load import load_settings
from settings_guide.site.html_safety import sanitize_page_html
from settings_guide.site.mkdocs_config import read_mkdocs_config

from .conftest import ROOT, minimal_setting, run_tool

PROSE_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](jav&#x61;script:alert(1))",
    'Some text{: onclick="alert(1)" }',
    "Some text\n{: onmouseover=alert(1) }",
    "## Heading {: #evil onclick=alert(1) }",
    "{{ 7*191 }}",
    "{% raw %}x{% endraw %}",
    "{{ config.extra }}",
    "<!-- c --><svg onload=alert(1)>",
    "```{onclick=alert(1)}\ncode\n```",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    "<details open ontoggle=alert(1)>",
    "<div markdown>[x](javascript:alert(1))</div>",
]
# Accepted by validation, and must still render inert.
HARMLESS_PROSE = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "`<script>alert(1)</script>`",
    '[x](https://example.com "t\\" onmouseover=\\"alert(1)")',
    "Use `{: onclick=x }` and `{{ 7*191 }}` only as code.",
]
PLAIN_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "{{ 7*191 }}",
    "**bold** {: onclick=alert(1) }",
    '"><svg onload=alert(1)>',
    "| a | b |",
    "`tick` and ``two``",
    "&lt;script&gt;",
]
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.script_bodies.append("")

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_scripts(page_html: str) -> set[str]:
    """Inline script bodies with page-relative paths folded, so pages at any depth compare equal."""
    parser = _Collector()
    parser.feed(page_html)
    folded = set()
    for body in parser.script_bodies:
        if body.lstrip().startswith("{"):
            json.loads(body)  # Material's config: data that is never executed
            continue
        body = re.sub(r'new URL\("[^"]*",location\)', "new URL(BASE,location)", body)
        # Zensical's redirect pages name their target (a validated slug) in a script.
        body = re.sub(r'location\.href="\.\./[a-z0-9-]+/"', "location.href=TARGET", body)
        folded.add(re.sub(r'"base": "[^"]*"', '"base": BASE', body).strip())
    return folded - {""}


OWN_SCRIPTS = (
    "javascripts/scrubber.js",
    "javascripts/model-tab.js",
)  # the theme's scripts live under assets/, ours here


def assert_inert(page_html: str, where: str, allowed_scripts: set[str] | None = None) -> None:
    parser = _Collector()
    parser.feed(page_html)
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), f"{where}: event handler {name} on <{tag}>"
            if name in ("href", "src", "action", "formaction", "srcset", "data") and value:
                cleaned = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                assert not cleaned.startswith(DANGEROUS_SCHEMES), f"{where}: <{tag} {name}={value!r}>"
        assert tag not in ("iframe", "object", "embed", "base"), f"{where}: <{tag}>"
        if tag == "script":
            source = attrs.get("src")
            ours = source is not None and source.endswith(OWN_SCRIPTS)
            assert source is None or ("//" not in source and ("assets/" in source or ours)), f"{where}: {source}"
    for body in parser.script_bodies:
        assert "alert(" not in body and "7*191" not in body, f"{where}: {body[:80]}"
    if allowed_scripts is not None:
        # Only the inline scripts the theme puts on a page with no contributor text at all.
        assert inline_scripts(page_html) <= allowed_scripts, where
    assert "1337" not in page_html, f"{where}: template syntax was evaluated"
    article = page_html.split("<article", 1)[-1].split("</article>", 1)[0]
    for forbidden in ("<form", "<style", "<svg onload", "<img src=x"):
        assert forbidden not in article.lower(), f"{where}: {forbidden}"


def _setting_with_prose(tmp_path: Path, payload: str) -> Path:
    path = tmp_path / "example.yml"
    text = minimal_setting().replace("what_it_does: What it does, in Markdown.", "what_it_does: " + _block(payload))
    path.write_text(text, "utf-8")
    return path


def _block(text: str) -> str:
    return "|\n" + "\n".join("  " + line for line in text.splitlines())


@pytest.mark.parametrize("payload", PROSE_PAYLOADS)
def test_dangerous_prose_is_rejected_with_a_located_message(tmp_path, payload):
    with pytest.raises(ProblemsFound) as caught:
        load_settings([_setting_with_prose(tmp_path, payload)])
    [problem] = caught.value.problems
    assert problem.field == "what_it_does" and problem.line == 7
    assert re.search(r"not allowed|only https|may not contain|code fence", problem.message), problem.message


@pytest.mark.parametrize("payload", PROSE_PAYLOADS + HARMLESS_PROSE)
def test_rendering_alone_makes_prose_inert(tmp_path, payload):
    """Defence in depth: even text that skipped validation renders harmless."""
    [item] = load_settings([_setting_with_prose(tmp_path, "placeholder")])
    setting = item.setting.model_copy(update={"what_it_does": payload, "intro": payload, "tips": [payload]})
    item = item.model_copy(update={"setting": setting})
    page = render_setting_page(make_environment(ROOT / "templates"), item, {item.slug: setting.name}).markdown
    body = page.split("---\n", 2)[2]
    config = read_mkdocs_config(ROOT / "mkdocs.yml")
    extensions, options = [], {}
    for entry in config["markdown_extensions"]:
        name = next(iter(entry)) if isinstance(entry, dict) else entry
        extensions.append(name)
        if isinstance(entry, dict):
            options[name] = entry[name]
    converted = markdown.markdown(body, extensions=extensions, extension_configs=options)
    assert_inert(sanitize_page_html(converted), repr(payload))


BUILDS = {
    "mkdocs": ("mkdocs", "build", "--strict", "--site-dir"),
    # Zensical runs none of our MkDocs plugin: the generated project must carry every safety layer itself.
    "zensical": ("settings-guide", "zensical", "--site-dir"),
}


@pytest.mark.parametrize("builder", list(BUILDS))
def test_plain_text_fields_and_accepted_prose_are_inert_in_the_built_site(project, builder):
    plain = PLAIN_PAYLOADS
    data = yaml.safe_load(minimal_setting())
    data["name"] = plain[0]
    data["aliases"] = [*plain[1:], "example_alias"]
    data["summary"] = " ".join(plain)
    for index, band in enumerate(data["ranges"]):
        band["label"] = plain[index + 3]
    data["intro"] = "\n\n".join(HARMLESS_PROSE)
    data["tips"] = HARMLESS_PROSE
    data["recommendations"] = [{"model": p, "value": p, "note": p} for p in plain]
    data["sources"] = [{"title": p, "url": "https://example.com/a"} for p in plain]
    # Every cell of the "In Your Tool" table; label, name and infotext are aliases, as validation requires.
    place = {"where": plain[0], "label": plain[1], "name": plain[6], "infotext": plain[7]}
    place["defaults"] = [{"value": plain[3], "applies_to": plain[4]}]
    data["tools"]["automatic1111"] = {"places": [place], "note": plain[5], "sources": ["https://example.com/a"]}
    data["tools"]["comfyui"]["absent"] = plain[4]
    (project / "settings" / "payloads.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    validate = run_tool("settings-guide", "validate", cwd=project)
    assert validate.returncode == 0, validate.stderr
    site = project / "site"
    result = run_tool(*BUILDS[builder], str(site), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) > 5
    allowed = inline_scripts((site / "contributing" / "index.html").read_text("utf-8"))
    # A redirect page of the other setting shows no contributor text: its scripts (if any) are the builder's own.
    allowed_in_redirects = inline_scripts((site / "settings" / "steps" / "index.html").read_text("utf-8"))
    for page in pages:
        if 'http-equiv="refresh"' in page.read_text("utf-8"):
            assert_inert(page.read_text("utf-8"), str(page.relative_to(site)), allowed_scripts=allowed_in_redirects)
        else:
            assert_inert(page.read_text("utf-8"), str(page.relative_to(site)), allowed_scripts=allowed)
    payload_page = (site / "settings" / "payloads" / "index.html").read_text("utf-8")
    # The payloads are shown to the reader as the text the contributor typed.
    assert "&lt;img src=x onerror=alert(1)&gt;" in payload_page
    assert "{{ 7*191 }}" in payload_page


def test_the_sanitiser_keeps_only_radio_inputs():
    """The model tabs need radio buttons; any other input (a text field, a file picker, one with no type,
    which browsers show as a text field) comes out as a radio, and its other attributes are dropped."""
    cleaned = sanitize_page_html(
        '<input type="radio" name="tabs" checked><input type="file" name="f"><input name="t" value="x">'
        '<input type="text" onfocus="alert(1)" autofocus>'
    )
    inputs = re.findall(r"<input[^>]*>", cleaned)
    assert len(inputs) == 4 and all('type="radio"' in tag for tag in inputs), cleaned
    assert not re.search(r"file|text|onfocus|autofocus|value=", cleaned), cleaned
    assert 'checked=""' in inputs[0] and 'name="tabs"' in inputs[0]
