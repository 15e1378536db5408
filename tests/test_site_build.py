"""The real site: `mkdocs build --strict`, ProperDocs, `mkdocs serve`, aliases, edit links."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from .conftest import ADDRESSES, BIN, ROOT, minimal_setting, run_tool

LOCAL_SITE_URL = "http://127.0.0.1:8000/"  # unset: `make serve` serves the site at the server's root


@pytest.fixture
def no_addresses(monkeypatch):
    """A contributor's machine: neither address is set."""
    for name in ADDRESSES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    docs_before = sorted((p.relative_to(ROOT), p.stat().st_mtime_ns) for p in (ROOT / "docs").rglob("*"))
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(site), cwd=ROOT, env=ADDRESSES)
    assert result.returncode == 0, result.stderr
    docs_after = sorted((p.relative_to(ROOT), p.stat().st_mtime_ns) for p in (ROOT / "docs").rglob("*"))
    assert docs_before == docs_after, "the build must not write generated pages into docs/"
    return site


def read(site: Path, path: str) -> str:
    return (site / path).read_text("utf-8")


def test_every_setting_and_the_index_are_built(built_site):
    slugs = [p.stem for p in (ROOT / "settings").glob("[!_]*.yml")]
    assert slugs
    for slug in slugs:
        assert (built_site / "settings" / slug / "index.html").is_file(), slug
    index = read(built_site, "settings/index.html")
    assert "All Settings Guides" in index
    assert 'href="inference-steps/"' in index


def test_setting_page_sections_in_html(built_site):
    page = read(built_site, "settings/inference-steps/index.html")
    for heading in ("What It Does", "Value Ranges", "Visual Comparison", "Tips"):
        assert re.search(rf"<h2 id=\"[^\"]+\">{heading}<", page), heading
    # One tab per model, three values each, as settings/inference-steps.yml lists them.
    comparison = yaml.safe_load((ROOT / "settings" / "inference-steps.yml").read_text("utf-8"))["comparison"]
    assert page.count('<div class="tabbed-block">') == len(comparison["models"]) >= 9
    assert page.count('class="sg-pending"') + page.count('<img src="../../figures/') == 3 * len(comparison["models"])
    assert '<div class="admonition tip">' in page


def test_edit_link_opens_the_settings_yaml(built_site):
    page = read(built_site, "settings/inference-steps/index.html")
    repo = ADDRESSES["REPO_URL"]
    assert edit_links(page) == [f"{repo}/edit/main/settings/inference-steps.yml"]
    assert repository_links(page) == [repo, repo]  # the header's and the drawer's
    assert canonical_link(page) == ADDRESSES["SITE_URL"] + "settings/inference-steps/"
    # A page that really lies in docs/ keeps its own edit link.
    assert edit_links(read(built_site, "contributing/index.html")) == [f"{repo}/edit/main/docs/contributing.md"]


def test_without_addresses_the_site_is_local_and_links_to_no_repository(project, no_addresses):
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(project / "site"), cwd=project)
    assert result.returncode == 0, result.stderr
    for path in ("settings/inference-steps/index.html", "contributing/index.html"):
        page = (project / "site" / path).read_text("utf-8")
        assert canonical_link(page).startswith(LOCAL_SITE_URL)
        assert edit_links(page) == [] and repository_links(page) == []  # no buttons that lead nowhere


def edit_links(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"[^>]*rel="edit"', page)


def repository_links(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"[^>]*class="md-source"', page)


def canonical_link(page: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1)


def test_alias_urls_forward_to_their_setting(built_site):
    for alias in ("sample-steps", "num-inference-steps", "steps"):
        page = read(built_site, f"settings/{alias}/index.html")
        assert '<meta http-equiv="refresh" content="0; url=../inference-steps/">' in page
        assert '<link rel="canonical" href="../inference-steps/">' in page


def test_aliases_are_in_the_search_index(built_site):
    index = json.loads(read(built_site, "search/search_index.json"))
    page = next(doc for doc in index["docs"] if doc["location"] == "settings/inference-steps/")
    assert page.get("boost") == 2
    # Material boosts the tags field far above title and text: aliases rank their page first.
    assert page["tags"] == ["num_inference_steps", "inference_steps", "steps", "sample_steps", "Sampling steps"]
    assert index["config"]["fields"]["tags"]["boost"] > index["config"]["fields"]["title"]["boost"]
    # The text under the title (its "Also known as" line) is the page's own entry, as in a plain Material build.
    assert page["title"] == "Inference Steps" and "sample_steps" in page["text"]


def test_reader_features_and_no_outside_requests(built_site):
    page = read(built_site, "settings/inference-steps/index.html")
    config = json.loads(re.search(r'<script id="__config" type="application/json">(.+?)</script>', page).group(1))
    for feature in ("navigation.instant", "search.suggest", "content.action.edit"):
        assert feature in config["features"]
    assert 'data-md-color-scheme="default"' in page and 'data-md-color-scheme="slate"' in page
    assert 'title="Switch to dark mode"' in page and 'title="Switch to light mode"' in page
    assert "glightbox" in page, "zoom on comparison images"
    assert "fonts.googleapis" not in page and "fonts.gstatic" not in page
    loading_tags = [tag for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", page) if 'rel="canonical"' not in tag]
    assert loading_tags and not [tag for tag in loading_tags if re.search(r'(?:src|href)="(?:https?:)?//', tag)]


def test_properdocs_builds_the_same_site(tmp_path):
    result = run_tool("properdocs", "build", "-f", "mkdocs.yml", "--strict", "--site-dir", str(tmp_path), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "settings" / "inference-steps" / "index.html").is_file()
    assert (tmp_path / "settings" / "sample-steps" / "index.html").is_file()


def test_broken_setting_fails_the_build_with_the_validate_message(project):
    (project / "settings" / "broken.yml").write_text(
        minimal_setting("Broken", "broken_alias").replace("sampling", "nope")
    )
    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(project / "site"), cwd=project)
    assert result.returncode != 0
    expected = "settings/broken.yml:4:11: category: unknown category 'nope'"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    validate = run_tool("settings-guide", "validate", cwd=project)
    assert expected in validate.stderr


def test_an_alias_url_taken_by_a_page_keeps_the_page_and_warns(project):
    (project / "docs" / "settings").mkdir()
    (project / "docs" / "settings" / "steps.md").write_text("# Steps, written by hand\n", "utf-8")
    result = run_tool("mkdocs", "build", "--site-dir", str(project / "site"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "alias URL /settings/steps/ is taken by a page; no redirect written for it" in result.stderr
    assert "Steps, written by hand" in (project / "site" / "settings" / "steps" / "index.html").read_text("utf-8")
    redirect = (project / "site" / "settings" / "sample-steps" / "index.html").read_text("utf-8")
    assert 'url=../inference-steps/"' in redirect
    strict = run_tool("mkdocs", "build", "--strict", "--site-dir", str(project / "strict"), cwd=project)
    assert strict.returncode != 0  # the warning fails a strict build, as in CI


def test_render_command_writes_the_same_markdown(project, tmp_path):
    out = tmp_path / "out"
    result = run_tool("settings-guide", "render", "--out", str(out), cwd=project)
    assert result.returncode == 0, result.stderr
    page = (out / "settings" / "inference-steps.md").read_text("utf-8")
    assert page.startswith('---\ntitle: "Inference Steps"')
    assert (out / "settings" / "index.md").is_file()
    again = run_tool("settings-guide", "render", "--out", str(out), cwd=project)
    assert "(0 changed)" in again.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_serve_rebuilds_when_a_setting_changes(project, no_addresses):
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/settings/inference-steps/"  # at the root, as the README says
    try:
        page = _poll(url, lambda text: "Inference Steps" in text)
        assert "Freshly edited summary" not in page
        path = project / "settings" / "inference-steps.yml"
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"(?m)^summary: .*$", "summary: Freshly edited summary.", text), "utf-8")
        _poll(url, lambda text: "Freshly edited summary" in text)
        # A template edit shows too: the rebuild reuses compiled templates only while they are unchanged.
        template = project / "templates" / "setting.md.j2"
        template.write_text(template.read_text("utf-8").replace("## What It Does", "## What It Really Does"))
        _poll(url, lambda text: "What It Really Does" in text)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _poll(url: str, ready, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            last = _fetch(url)
            if ready(last):
                return last
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never became ready; last response starts {last[:200]!r}")


def test_search_finds_a_model_page_by_any_of_its_names(built_site):
    index = json.loads(read(built_site, "search/search_index.json"))
    page = next(doc for doc in index["docs"] if doc["location"] == "models/flux2-klein-4b/")
    names = yaml.safe_load((ROOT / "models" / "flux2-klein-4b.yml").read_text("utf-8"))["aliases"]
    assert page["tags"] == names and {"flux2-klein", "Klein 4B"} <= set(names)
    assert page["title"] == "FLUX.2 [klein] 4B" and "Klein 4B" in page["text"]


def test_the_site_publishes_its_models_cheat_sheet_and_open_data(built_site):
    keys = sorted(p.stem for p in (ROOT / "models").glob("[!_]*.yml"))
    assert keys and all((built_site / "models" / key / "index.html").is_file() for key in keys)
    home = read(built_site, "index.html")
    assert "I use this model" in home and "I want to understand this setting" in home
    assert all(f'href="models/{key}/"' in home for key in keys)
    assert 'href="cheat-sheet/"' in home
    published = json.loads(read(built_site, "api/v1/models.json"))
    assert [model["key"] for model in published["models"]] == keys
