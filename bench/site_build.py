"""Benchmark: our site build against a plain mkdocs-material build of the same pages.

Run by hand:  .venv/bin/python bench/site_build.py [--sizes 30 1000] [--repeats 3] [--categories 1]
              [--pages inference-steps | --pages SLUG | --pages synthetic] [--keep DIR]

For each size N it generates N settings, all in one category unless --categories says otherwise (one
category is the worst case: Material renders the whole section into every page's nav). By default
(--pages inference-steps) each is a copy of the real page settings/inference-steps.yml: three models
with their own values and sweeps, the per-tool table, recommendations, tips and sources, loaded with
PyYAML and changed only in its identity: the name gets the copy's number ("Inference Steps 0042",
which is also its file's slug), every alias and every tool-table name gets the same suffix (so
aliases stay unique across all copies and still cover the table's names, as the validator requires),
and related links point to the next copies. --pages SLUG copies any other real setting the same way;
--pages synthetic gives the old made-up pages (one model, three values, about 500 words), which
under-report our cost. The real figures/defaults.yml (and figures/manifest.json, if there is one) is
copied into the project, so our build plans every page's figures just as the real site does.
Then it times whole `mkdocs build` processes:
  ours  - the real mkdocs.yml with the settings-guide plugin (validate, plan figures, render,
          sanitise, redirects) and everything else it configures (the lightbox)
  plain - the pages that `settings-guide render` writes for the same project (figure slots and sweep
          charts included), as plain Markdown in docs/, same theme, features and nav, with Material's
          search plugin only
taking turns, and prints the medians of the repeats after one warm-up each (wall clock, and CPU
time, which other processes on a shared machine disturb far less), their ratio, the mean HTML
size of a setting page in our build, and the in-process time of load + validate + plan figures +
render (what our plugin's on_files does before MkDocs sees the pages).
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from settings_guide.pages.render import INDEX_PAGE  # noqa: E402
from settings_guide.settings.model import CATEGORIES  # noqa: E402
from settings_guide.settings.rules import slugify  # noqa: E402
from settings_guide.site.mkdocs_config import drop_edit_links_without_repo, read_mkdocs_config  # noqa: E402
from settings_guide.site.pages import ProjectPaths, expand_nav, generate_site, settings_nav  # noqa: E402

SYNTHETIC = "synthetic"
FIGURE_FILES = ("defaults.yml", "manifest.json")  # what the figures reader reads, where the real project has it

WORDS = "noise model image prompt detail sampler guidance value step seed texture light colour shape".split()


def paragraph(seed: int, words: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words)).capitalize() + "."


def synthetic_setting(index: int, categories: int) -> dict:
    return {
        "name": f"Setting {index:04d}",
        "aliases": [f"setting_{index:04d}", f"alias-{index:04d}"],
        "category": list(CATEGORIES)[index % categories],
        "summary": paragraph(index, 14),
        "intro": paragraph(index + 1, 60),
        "what_it_does": "\n\n".join(paragraph(index + k, 90) for k in range(3)),
        "value_type": "integer",
        "ranges": [
            {"label": label, "min": low, "max": high, "description": paragraph(index + low, 35)}
            for label, low, high in (("Low", 1, 10), ("Mid", 20, 30), ("High", 40, 100))
        ],
        "comparison": {"parameter": "num_inference_steps", "values": [4, 25, 50]},
        "tips": [paragraph(index + k, 18) for k in range(4)],
        "related": [f"setting-{(index + 1) % 1000:04d}"] if index else [],
        "sources": [{"title": "Reference", "url": "https://example.com/docs"}],
    }


def copied_setting(original: dict, index: int, size: int, categories: int) -> tuple[str, dict]:
    """A real setting with its identity changed for copy ``index`` of ``size``: (file slug, data)."""
    data = copy.deepcopy(original)

    def numbered(text: str) -> str:  # num_inference_steps_0042, Sampling steps 0042: the slug gains -0042
        return f"{text}{' ' if ' ' in text else '_'}{index:04d}"

    data["name"] = f"{original['name']} {index:04d}"
    data["aliases"] = [numbered(alias) for alias in original.get("aliases", [])]
    # The validator wants each name in the tool table among the aliases: they get the same number.
    for row in (data.get("tools") or {}).values():
        for place in row.get("places") or []:
            for field in ("label", "name", "infotext"):
                if place.get(field):
                    place[field] = ", ".join(numbered(part) for part in str(place[field]).split(", "))
    data["category"] = list(CATEGORIES)[index % categories]
    # As many related links as the original has, to the next copies (none to itself).
    wanted = min(len(original.get("related") or []), size - 1)
    data["related"] = [f"{slugify(original['name'])}-{(index + step) % size:04d}" for step in range(1, wanted + 1)]
    return slugify(data["name"]), data


def make_projects(size: int, workdir: Path, categories: int = 1, pages: str = "inference-steps") -> tuple[Path, Path]:
    ours, plain = workdir / "ours", workdir / "plain"
    for project in (ours, plain):
        for part in ("templates", "docs", "overrides"):
            shutil.copytree(ROOT / part, project / part)
        (project / "settings").mkdir()
        (project / "figures").mkdir()
    # Our build plans each page's figures from the real defaults, and reads the real manifest if any.
    for name in FIGURE_FILES:
        if (ROOT / "figures" / name).is_file():
            shutil.copy2(ROOT / "figures" / name, ours / "figures" / name)
    if pages != SYNTHETIC:
        original = yaml.safe_load((ROOT / "settings" / f"{pages}.yml").read_text("utf-8"))
    for index in range(size):
        if pages == SYNTHETIC:
            slug, data = f"setting-{index:04d}", synthetic_setting(index, categories)
            data["related"] = [slug for slug in data["related"] if int(slug.split("-")[1]) < size]
        else:
            slug, data = copied_setting(original, index, size, categories)
        (ours / "settings" / f"{slug}.yml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8"
        )
    shutil.copy2(ROOT / "mkdocs.yml", ours / "mkdocs.yml")

    # The plain site: what `settings-guide render` writes for this project (pages and sweep charts),
    # in docs/, built without our plugin.
    site = generate_site(ProjectPaths.at(ours))
    loaded = site.settings
    for path, text in [*((page.path, page.markdown) for page in site.pages), *site.generated_files.items()]:
        target = plain / "docs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    # Same theme, features and nav; Material's search is its only plugin.
    config = read_mkdocs_config(ROOT / "mkdocs.yml")
    drop_edit_links_without_repo(config)  # as our plugin does, so both builds make the same links
    config["plugins"] = [entry for entry in config["plugins"] if isinstance(entry, dict) and "search" in entry]
    config["nav"] = expand_nav(config["nav"], settings_nav(loaded, INDEX_PAGE))
    (plain / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "utf-8")
    return ours, plain


def build_seconds(project: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one whole `mkdocs build` process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [str(BIN / "mkdocs"), "build", "--strict", "--quiet", "--site-dir", str(project / "site")]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, cwd=project, env=env, check=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_builds(ours: Path, plain: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each build after one warm-up each, the two taking turns
    (which goes first alternates), so a change in the machine's load falls on both alike."""
    build_seconds(ours), build_seconds(plain)
    runs: dict[Path, list[tuple[float, float]]] = {ours: [], plain: []}
    for attempt in range(repeats):
        for project in (ours, plain) if attempt % 2 == 0 else (plain, ours):
            runs[project].append(build_seconds(project))
    return {
        name: (statistics.median(w for w, _ in runs[project]), statistics.median(c for _, c in runs[project]))
        for name, project in (("ours", ours), ("plain", plain))
    }


def time_validate_render(project: Path, repeats: int) -> float:
    """Median seconds of what our plugin's on_files computes: load, validate, plan figures, render."""
    from settings_guide.settings import load
    from settings_guide.site import pages

    times = []
    for _ in range(repeats):
        # As in a fresh build process: no files parsed and no templates compiled before (the
        # plain project's pages were made in this process, which filled both caches).
        getattr(load, "_LOADED", {}).clear()
        if hasattr(pages, "_environment"):
            pages._environment.cache_clear()
        start = time.perf_counter()
        generate_site(ProjectPaths.at(project))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def setting_page_kib(project: Path) -> float:
    """Mean size of a setting page's HTML in a built site, in KiB."""
    pages = [project / "site" / "settings" / path.stem / "index.html" for path in (project / "settings").glob("*.yml")]
    return sum(path.stat().st_size for path in pages) / len(pages) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--categories", type=int, default=1, choices=range(1, len(CATEGORIES) + 1))
    parser.add_argument(
        "--pages",
        default="inference-steps",
        help="the real setting (a slug under settings/) each generated page copies, or 'synthetic' for made-up pages",
    )
    parser.add_argument("--keep", type=Path, help="build the projects in this folder and keep them (for profiling)")
    args = parser.parse_args()
    if args.pages != SYNTHETIC and not (ROOT / "settings" / f"{args.pages}.yml").is_file():
        parser.error(f"--pages: no settings/{args.pages}.yml (or use --pages {SYNTHETIC})")
    # CPU seconds matter on a shared machine: a build is one thread, so without contention its CPU
    # time is its wall time, and other people's work inflates only the wall clock.
    print(
        f"{'settings':>8}  {'':>5}  {'ours':>8}  {'plain':>8}  {'ratio':>6}  {'HTML/page':>9}  {'validate+render':>15}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            workdir = args.keep / str(size) if args.keep else Path(scratch)
            if args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
            ours, plain = make_projects(size, workdir, args.categories, args.pages)
            medians = time_builds(ours, plain, args.repeats)
            render_time = time_validate_render(ours, args.repeats)
            page_kib = setting_page_kib(ours)
            for index, clock in enumerate(("wall", "cpu")):
                ours_time, plain_time = medians["ours"][index], medians["plain"][index]
                print(
                    f"{size:>8}  {clock:>5}  {ours_time:>7.2f}s  {plain_time:>7.2f}s  {ours_time / plain_time:>5.3f}x"
                    f"  {page_kib:>6.0f}KiB  {render_time:>14.2f}s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
