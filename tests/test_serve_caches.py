"""What `mkdocs serve` keeps between rebuilds: reused while unchanged, never stale after an edit."""

from __future__ import annotations

import os

import jinja2
from mkdocs.livereload import LiveReloadServer

from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.pages import ProjectPaths, generate_site
from settings_guide.site.serve_polling import POLL_SECONDS, poll_more_often
from settings_guide.site.template_cache import InMemoryBytecodeCache

from .conftest import ROOT, minimal_setting


def test_unchanged_setting_files_are_not_parsed_again(tmp_path):
    for name in ("one", "two"):
        (tmp_path / f"{name}.yml").write_text(minimal_setting(name.title(), f"{name}_alias"), "utf-8")
    first = load_settings(find_setting_files(tmp_path))
    (tmp_path / "two.yml").write_text(minimal_setting("Two, renamed", "two_alias"), "utf-8")
    second = load_settings(find_setting_files(tmp_path))
    assert second[0] is first[0]  # one.yml: the same parsed object
    assert second[1] is not first[1] and second[1].setting.name == "Two, renamed"
    # Back to bytes seen before, in a file of the same name: still never a stale result.
    (tmp_path / "two.yml").write_text(minimal_setting("Two", "two_alias"), "utf-8")
    assert load_settings(find_setting_files(tmp_path))[1].setting.name == "Two"


def test_an_edited_page_template_shows_in_the_next_build(project):
    paths = ProjectPaths.at(project)
    page = next(p for p in generate_site(paths).pages if p.path == "settings/inference-steps.md")
    assert "## What It Does" in page.markdown
    template = project / "templates" / "setting.md.j2"
    template.write_text(template.read_text("utf-8").replace("## What It Does", "## What It Really Does"), "utf-8")
    later = template.stat().st_mtime + 2
    os.utime(template, (later, later))  # an editor's save a moment later; the loader compares mtimes
    page = next(p for p in generate_site(paths).pages if p.path == "settings/inference-steps.md")
    assert "## What It Really Does" in page.markdown


class _CountingCache(InMemoryBytecodeCache):
    dumps = 0

    def dump_bytecode(self, bucket):
        type(self).dumps += 1
        super().dump_bytecode(bucket)


def test_theme_templates_compile_once_and_again_after_an_edit(tmp_path):
    (tmp_path / "page.html").write_text("<p>{{ word }}</p>", "utf-8")
    cache = _CountingCache()

    def render() -> str:  # a new environment each time, as MkDocs makes one per rebuild
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), bytecode_cache=cache)
        return environment.get_template("page.html").render(word="hi")

    assert render() == "<p>hi</p>" and _CountingCache.dumps == 1
    assert render() == "<p>hi</p>" and _CountingCache.dumps == 1  # reused, not compiled
    (tmp_path / "page.html").write_text("<div>{{ word }}</div>", "utf-8")
    assert render() == "<div>hi</div>" and _CountingCache.dumps == 2


def test_serve_polls_every_watched_folder_more_often(tmp_path):
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    server.watch(str(tmp_path))  # as MkDocs watches docs/ before our plugin's on_serve
    assert poll_more_often(server)
    server.watch(str(ROOT / "settings"))  # and a watch added afterwards
    assert {emitter.timeout for emitter in server.observer.emitters} == {POLL_SECONDS}
    assert len(server.observer.emitters) == 2
