"""The Zensical build against the MkDocs build of the same project: the same site, page for page.

Both builds are real (``mkdocs build --strict`` and ``settings-guide zensical``, which runs
``zensical build --strict``) on a copy of the real catalogue with stand-in figures and a measured
sweep, so images, srcset copies and charts are all on the pages being compared.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.pages import alias_redirects

from .browser.served_site import add_standin_figures, comparison_slugs, copy_project
from .conftest import ADDRESSES, minimal_setting, run_tool

# A name with characters HTML gives meaning to: each builder must show it exactly once escaped.
ODD_NAME = "Steps & <Friends>"


def IMAGES_FOR(project: Path) -> list[str]:  # noqa: N802 - reads as the constant it stands for
    """The settings given stand-in images: the one with a sweep (its chart too) and two more."""
    return ["inference-steps", *[slug for slug in comparison_slugs(project) if slug != "inference-steps"][:2]]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> tuple[Path, Path, Path]:
    project = copy_project(tmp_path_factory.mktemp("zensical") / "project")
    odd = minimal_setting(name=json.dumps(ODD_NAME), alias="odd_alias").replace(
        "category: sampling", "category: prompt"
    )
    (project / "settings" / "odd-name.yml").write_text(odd, "utf-8")
    # Big enough for 320/640 px srcset copies; settings with sweeps get their images and measurements too.
    add_standin_figures(project, IMAGES_FOR(project), size=720)

    mkdocs_site, zensical_site = project / "site-mkdocs", project / "site-zensical"
    # Both with the addresses the Publish site workflow gives them.
    built = run_tool("mkdocs", "build", "--strict", "--site-dir", str(mkdocs_site), cwd=project, env=ADDRESSES)
    assert built.returncode == 0, built.stderr
    built = run_tool("settings-guide", "zensical", "--site-dir", str(zensical_site), cwd=project, env=ADDRESSES)
    assert built.returncode == 0, built.stdout + built.stderr
    return project, mkdocs_site, zensical_site


def test_both_builders_publish_the_same_pages(sites):
    project, mkdocs_site, zensical_site = sites
    mkdocs_pages, zensical_pages = page_urls(mkdocs_site), page_urls(zensical_site)
    assert mkdocs_pages == zensical_pages
    slugs = [path.stem for path in find_setting_files(project / "settings")]
    assert {f"settings/{slug}/" for slug in slugs} | {"", "settings/", "contributing/"} <= zensical_pages


def test_every_setting_page_has_the_same_headings_images_and_nav(sites):
    project, mkdocs_site, zensical_site = sites
    for path in find_setting_files(project / "settings"):
        url = f"settings/{path.stem}/index.html"
        ours, theirs = PageParts.of(mkdocs_site / url), PageParts.of(zensical_site / url)
        assert ours.headings == theirs.headings, url
        assert ours.images == theirs.images, url
        assert ours.nav == theirs.nav, url
        assert ours.headings[0][0] == "h1" and len(ours.headings) > 5, url


def test_figures_srcset_copies_and_charts_load_in_both(sites):
    project, mkdocs_site, zensical_site = sites
    for slug in IMAGES_FOR(project):
        for site in (mkdocs_site, zensical_site):
            sources = PageParts.of(site / "settings" / slug / "index.html").images
            assert any(" 640w" in source for source in sources), (site, slug)  # a srcset, with its copies
            charts = [source for source in sources if ".svg#" in source]
            # The sweep's chart, or the batch-size measurement's: a light and a dark copy each.
            assert len(charts) == (2 if slug in ("inference-steps", "batch-size") else 0), (site, slug)
            for source in sources:
                for path in (part.split()[0].split("#")[0] for part in source.split(",")):
                    assert (site / "settings" / slug / path).resolve().is_file(), (site, slug, path)
            # Links to images (zoom, the scrubber's list of sweep images) resolve too.
            page = (site / "settings" / slug / "index.html").read_text("utf-8")
            linked = re.findall(r'<a [^>]*href="([^"]+\.webp)"', page)
            assert linked and all((site / "settings" / slug / path).resolve().is_file() for path in linked), site
        assert "sg-scrubber-point" in (site / "settings" / "inference-steps" / "index.html").read_text("utf-8")


def test_the_category_nav_and_names_are_escaped_once(sites):
    _, mkdocs_site, zensical_site = sites
    for site in (mkdocs_site, zensical_site):
        parts = PageParts.of(site / "settings/odd-name/index.html")
        assert ODD_NAME in parts.nav and "Prompt" in parts.nav, site
        assert ODD_NAME == parts.headings[0][1], site


def test_alias_urls_redirect_to_their_setting_in_both(sites):
    project, mkdocs_site, zensical_site = sites
    expected = {
        f"settings/{alias}/": f"settings/{slug}/"
        for alias, slug in alias_redirects(load_settings(find_setting_files(project / "settings"))).items()
    }
    assert expected["settings/cfg/"] == "settings/guidance-scale/"
    assert redirects(mkdocs_site) == expected
    assert redirects(zensical_site) == expected


def test_edit_links_open_each_settings_yaml(sites):
    project, _, zensical_site = sites
    for path in find_setting_files(project / "settings"):
        page = (zensical_site / "settings" / path.stem / "index.html").read_text("utf-8")
        [edit] = re.findall(r'<a href="([^"]+)"[^>]*rel="edit"', page)
        assert edit == f"{ADDRESSES['REPO_URL']}/edit/main/settings/{path.stem}.yml"
        assert f'<a href="{ADDRESSES["REPO_URL"]}" title="Go to repository" class="md-source"' in page
        assert f'<link rel="canonical" href="{ADDRESSES["SITE_URL"]}settings/{path.stem}/">' in page
    contributing = (zensical_site / "contributing" / "index.html").read_text("utf-8")
    assert f"{ADDRESSES['REPO_URL']}/edit/main/docs/contributing.md" in contributing
    # The field reference the MkDocs plugin inserts is there too.
    assert "<!-- schema-reference -->" not in contributing and "value_type" in contributing


def test_aliases_are_search_terms_in_both(sites):
    _, mkdocs_site, zensical_site = sites
    mkdocs_index = json.loads((mkdocs_site / "search" / "search_index.json").read_text("utf-8"))["docs"]
    zensical_index = json.loads((zensical_site / "search.json").read_text("utf-8"))["items"]
    for entries in (mkdocs_index, zensical_index):
        [page] = [entry for entry in entries if entry["location"] == "settings/guidance-scale/"]
        assert {"cfg_scale", "guidance_scale"} <= set(page["tags"]), page["tags"]


def test_generated_pages_keep_the_html_clean_up_in_zensical(sites):
    """Zensical's own Markdown render with the generated config: setting pages lose handlers, others keep theirs."""
    project, _, _ = sites
    script = textwrap.dedent(
        """
        import json
        from zensical.config import parse_config
        from zensical.markdown.render import render
        parse_config("mkdocs.yml")
        markdown = '<div onclick="steal()">x</div><script>steal()</script>'
        for path in ("settings/inference-steps.md", "contributing.md"):
            print(json.dumps(render(markdown, path, path[:-3] + "/")["content"]))
        """
    )
    result = run_tool("python", "-c", script, cwd=project / "build" / "zensical")
    assert result.returncode == 0, result.stderr
    generated, written_by_hand = map(json.loads, result.stdout.strip().splitlines())
    assert "onclick" not in generated and "<script" not in generated and "<div>x</div>" in generated
    assert 'onclick="steal()"' in written_by_hand


def test_a_removed_setting_leaves_no_page_behind(sites, tmp_path):
    project, _, _ = sites
    copy = copy_project(tmp_path / "project")
    (copy / "settings" / "odd-name.yml").write_text((project / "settings" / "odd-name.yml").read_text("utf-8"))
    out = copy / "build" / "zensical"
    assert run_tool("settings-guide", "zensical", "--no-build", cwd=copy).returncode == 0
    assert (out / "docs" / "settings" / "odd-name.md").is_file()
    (copy / "settings" / "odd-name.yml").unlink()
    assert run_tool("settings-guide", "zensical", "--no-build", cwd=copy).returncode == 0
    assert not (out / "docs" / "settings" / "odd-name.md").exists()


def test_the_zensical_config_takes_the_addresses_from_the_same_variables(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    config = project / "build" / "zensical" / "mkdocs.yml"
    assert run_tool("settings-guide", "zensical", "--no-build", cwd=project, env=ADDRESSES).returncode == 0
    published = yaml.safe_load(config.read_text("utf-8"))
    assert (published["site_url"], published["repo_url"]) == (ADDRESSES["SITE_URL"], ADDRESSES["REPO_URL"])
    assert published["edit_uri"] == "edit/main/docs/"
    for name in ADDRESSES:
        monkeypatch.delenv(name, raising=False)
    assert run_tool("settings-guide", "zensical", "--no-build", cwd=project).returncode == 0
    local = yaml.safe_load(config.read_text("utf-8"))
    # As `mkdocs build` with nothing set: at the local server's root, and no edit links to nowhere.
    assert (local["site_url"], local["repo_url"], local["edit_uri"]) == ("http://127.0.0.1:8000/", None, None)


def test_an_invalid_setting_stops_the_zensical_build_with_its_location(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "settings" / "broken.yml").write_text(minimal_setting().replace("category: sampling", "category: nope"))
    result = run_tool("settings-guide", "zensical", cwd=project)
    assert result.returncode == 1
    assert re.search(r"settings/broken\.yml:\d+:\d+: category: unknown category 'nope'", result.stderr), result.stderr
    assert not (project / "site-zensical").exists()


# --- reading the built sites --------------------------------------------------------------------


def page_urls(site: Path) -> set[str]:
    """Every page's URL inside the site, alias redirect pages left out."""
    urls = set()
    for page in site.rglob("index.html"):
        if _refresh_target(page.read_text("utf-8")) is None:
            urls.add("" if page.parent == site else page.parent.relative_to(site).as_posix() + "/")
    return urls


def redirects(site: Path) -> dict[str, str]:
    """Each redirect page's URL and the URL it forwards to, both inside the site."""
    found = {}
    for page in site.rglob("index.html"):
        target = _refresh_target(page.read_text("utf-8"))
        if target is not None:
            here = page.parent.relative_to(site).as_posix() + "/"
            found[here] = _resolve(here, target)
    return found


def _refresh_target(page_html: str) -> str | None:
    match = re.search(r'<meta http-equiv="refresh" content="0; ?url=([^"]+)"', page_html)
    return html.unescape(match.group(1)) if match else None


def _resolve(here: str, target: str) -> str:
    parts = here.rstrip("/").split("/")
    for part in target.strip("/").split("/"):
        parts = parts[:-1] if part == ".." else [*parts, part]
    return "/".join(parts) + "/"


class PageParts(HTMLParser):
    """The article's headings and image sources, and the primary nav's link texts, of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.nav: list[str] = []
        self._article = self._nav = 0
        self._heading: list[str] | None = None
        self._heading_tag = ""
        self._link: list[str] | None = None

    @classmethod
    def of(cls, page: Path) -> PageParts:
        parser = cls()
        parser.feed(page.read_text("utf-8"))
        return parser

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "article":
            self._article += 1
        if tag == "nav" and ("md-nav--primary" in classes or self._nav):
            self._nav += 1
        if self._article and tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading, self._heading_tag = [], tag
        if self._article and tag == "img":
            self.images.append(attrs.get("src", ""))
            if attrs.get("srcset"):
                self.images.append(attrs["srcset"])
        if self._nav and tag in ("a", "label") and "md-nav__link" in classes:
            self._link = []
        if tag == "a" and "headerlink" in classes:
            self._heading_tag += "#"  # the permalink's text is not part of the heading

    def handle_endtag(self, tag):
        if tag == "article":
            self._article -= 1
        if tag == "nav" and self._nav:
            self._nav -= 1
        if self._heading is not None and tag == self._heading_tag.rstrip("#"):
            self.headings.append((tag, " ".join("".join(self._heading).split())))
            self._heading = None
        if tag == "a" and self._heading_tag.endswith("#"):
            self._heading_tag = self._heading_tag.rstrip("#")
        if self._link is not None and tag in ("a", "label"):
            text = " ".join("".join(self._link).split())
            if text:
                self.nav.append(text)
            self._link = None

    def handle_data(self, data):
        if self._heading is not None and not self._heading_tag.endswith("#"):
            self._heading.append(data)
        if self._link is not None:
            self._link.append(data)
