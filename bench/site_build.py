"""Benchmark: our site build against a plain mkdocs-material build of the same pages.

Run by hand:  .venv/bin/python bench/site_build.py [--sizes 30 1000] [--repeats 3] [--categories 1]

For each size N it generates N synthetic settings (about 500 words each, three ranges,
a three-value comparison, tips), all in one category unless --categories says otherwise (one
category is the worst case: Material renders the whole section into every page's nav), then
times whole `mkdocs build` processes:
  ours  - the real mkdocs.yml with the settings-guide plugin (validate, render, sanitise, redirects)
          and everything else it configures (the lightbox)
  plain - the pages that `settings-guide render` writes, as plain Markdown in docs/, same theme,
          features and nav, with Material's search plugin only
taking turns, and prints the medians of the repeats after one warm-up each (wall clock, and CPU
time, which other processes on a shared machine disturb far less), their ratio, the mean HTML
size of a setting page in our build, and validate+render time in-process.
"""

from __future__ import annotations

import argparse
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

from settings_guide.pages.render import INDEX_PAGE, make_environment, render_site_pages  # noqa: E402
from settings_guide.settings.load import find_setting_files, load_settings  # noqa: E402
from settings_guide.settings.model import CATEGORIES  # noqa: E402
from settings_guide.site.pages import expand_nav, settings_nav  # noqa: E402

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


def make_projects(size: int, workdir: Path, categories: int = 1) -> tuple[Path, Path]:
    ours, plain = workdir / "ours", workdir / "plain"
    for project in (ours, plain):
        for part in ("templates", "docs", "overrides"):
            shutil.copytree(ROOT / part, project / part)
        (project / "settings").mkdir()
        (project / "figures").mkdir()
    for index in range(size):
        data = synthetic_setting(index, categories)
        data["related"] = [slug for slug in data["related"] if int(slug.split("-")[1]) < size]
        (ours / "settings" / f"setting-{index:04d}.yml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    shutil.copy2(ROOT / "mkdocs.yml", ours / "mkdocs.yml")

    # The plain site: the same Markdown, written into docs/, built without our plugin.
    loaded = load_settings(find_setting_files(ours / "settings"))
    for page in render_site_pages(make_environment(ROOT / "templates"), loaded):
        target = plain / "docs" / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.markdown, "utf-8")
    # Same theme, features and nav; Material's search is its only plugin.
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
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
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        loaded = load_settings(find_setting_files(project / "settings"))
        render_site_pages(make_environment(project / "templates"), loaded)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def setting_page_kib(site: Path) -> float:
    """Mean size of a setting page's HTML in a built site, in KiB."""
    pages = [path for path in (site / "settings").glob("setting-*/index.html")]
    return sum(path.stat().st_size for path in pages) / len(pages) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--categories", type=int, default=1, choices=range(1, len(CATEGORIES) + 1))
    parser.add_argument("--keep", type=Path, help="build the projects in this folder and keep them (for profiling)")
    args = parser.parse_args()
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
            ours, plain = make_projects(size, workdir, args.categories)
            medians = time_builds(ours, plain, args.repeats)
            render_time = time_validate_render(ours, args.repeats)
            page_kib = setting_page_kib(ours / "site")
            for index, clock in enumerate(("wall", "cpu")):
                ours_time, plain_time = medians["ours"][index], medians["plain"][index]
                print(
                    f"{size:>8}  {clock:>5}  {ours_time:>7.2f}s  {plain_time:>7.2f}s  {ours_time / plain_time:>5.3f}x"
                    f"  {page_kib:>6.0f}KiB  {render_time:>14.2f}s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
