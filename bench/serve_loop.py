"""Benchmark: the contributor's loop, from saving a setting's YAML to `mkdocs serve` serving the new page.

Run by hand:  .venv/bin/python bench/serve_loop.py [--edits 8] [--setting inference-steps]

Copies the real project (settings, templates, docs, overrides, figures, mkdocs.yml) to a scratch
folder, starts `mkdocs serve` there as `make serve` does, and then, once per edit: replaces the
setting's summary with a new word (written as editors save: a temporary file renamed over the
YAML), and polls the page every 10 ms until the word is served. Prints each save-to-served time
and their median. Nothing in the checkout is edited.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROJECT_PARTS = ("mkdocs.yml", "settings", "templates", "docs", "overrides", "figures")
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 60


def copy_project(destination: Path) -> Path:
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns(".lock"))
        elif source.exists():
            shutil.copy2(source, destination / part)
    return destination


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_until(condition, what: str) -> float:
    """Seconds until ``condition()`` is true, polled every 10 ms."""
    start = time.perf_counter()
    while time.perf_counter() - start < GIVE_UP_SECONDS:
        if condition():
            return time.perf_counter() - start
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"gave up waiting for {what}")


def save_like_an_editor(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=8)
    parser.add_argument("--setting", default="inference-steps")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        project = copy_project(Path(scratch))
        port = free_port()
        # As on a contributor's machine: no SITE_URL, so `mkdocs serve` serves the site at the root.
        url = f"http://127.0.0.1:{port}/settings/{args.setting}/"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        env.pop("SITE_URL", None)
        command = [str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"]
        server = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            started = wait_until(lambda: fetch(url) is not None, "the first build")
            print(f"first build served after {started:.2f}s")
            yaml_path = project / "settings" / f"{args.setting}.yml"
            original = yaml_path.read_text("utf-8")
            times = []
            for edit in range(args.edits):
                word = f"Benchmarkword{edit}x{time.time_ns()}"
                edited = re.sub(r"(?m)^summary: .*$", f"summary: {word} summary.", original, count=1)
                save_like_an_editor(yaml_path, edited)
                saved = time.perf_counter()
                wait_until(lambda word=word: word in (fetch(url) or ""), f"edit {edit}")
                times.append(time.perf_counter() - saved)
                print(f"edit {edit + 1}: served {times[-1]:.2f}s after the save", flush=True)
                time.sleep(1.0)  # let the server settle, as between a contributor's saves
            print(f"median save-to-served: {statistics.median(times):.2f}s over {len(times)} edits")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
