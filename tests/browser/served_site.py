"""The built site as a browser sees it: a project copy with stand-in figures, built, served on 127.0.0.1.

Shared by the browser tests (tests/browser/) and the page-weight benchmark (bench/page_weight.py).
Nothing here imports pytest or Playwright at module level.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from settings_guide.figures.layout import variant_file
from settings_guide.figures.run.images import encode_image, encode_variants
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.mkdocs_config import read_mkdocs_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT_PARTS = ("mkdocs.yml", "settings", "models", "templates", "docs", "overrides")

CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium; Playwright's own browser download does not work here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # Belt and braces: even a request the tests fail to intercept cannot leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]  # fmt: skip

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

mimetypes.add_type("image/webp", ".webp")


def launch_chromium(playwright):
    """One headless Debian Chromium for a whole session."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --- the project ---------------------------------------------------------------------------------


def copy_project(destination: Path) -> Path:
    """The parts of this checkout a site build reads, without its figures folder."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    (destination / "figures").mkdir()
    return destination


def setting_slugs(project: Path) -> list[str]:
    """Every setting's slug: its page is settings/<slug>/."""
    return [path.stem for path in find_setting_files(project / "settings")]


def comparison_slugs(project: Path) -> list[str]:
    """The settings whose pages have a Visual Comparison."""
    return [item.slug for item in _loaded(project) if item.setting.comparison is not None]


def add_standin_figures(
    project: Path, slugs: list[str], size: int = 1024, quality: int = 80, photos: bool = False
) -> dict[str, list[str]]:
    """WebP images and a ``figures/manifest.json`` entry for every compared value of these settings.

    The manifest has the shape ``settings-guide figures`` writes: per model for comparisons across
    models, with each sweep's images and its measured record (stand-in numbers: the difference
    falls towards the reference). The copy has no ``figures/defaults.yml``, so the pages show the
    manifest's images without checking cache keys (the real pipeline's keys need the real model).
    Returns each setting's comparison image files, model after model.
    """
    figures = project / "figures"
    entries, sweeps, files = [], [], {}
    by_slug = {item.slug: item for item in _loaded(project)}
    defaults = yaml.safe_load((ROOT / "figures" / "defaults.yml").read_text("utf-8"))
    profiles = defaults["models"]
    labels = {name: profile["label"] for name, profile in profiles.items()}
    for slug in slugs:
        comparison = by_slug[slug].setting.comparison
        files[slug] = []
        for model in comparison.models or [None]:
            profile = model.profile if model is not None else None
            model_profile = profiles[profile or defaults["default_model"]]
            folder = f"{slug}/{profile}" if profile else slug
            shown = comparison.values_for(model)
            sweep = comparison.sweep_for(model)
            swept = [value for value in (sweep.values if sweep else []) if value not in shown]
            values = [*shown, *swept]
            made = {}
            for index, value in enumerate(values):
                name = f"{folder}/{comparison.parameter_key}-{index}.webp"
                image = photo_standin(size, index) if photos else standin_image(size, index, len(values))
                entry = _write_standin(figures, name, image, quality)
                entry.update({
                    "role": "comparison" if value in shown else "sweep", "setting": slug,
                    "parameter": comparison.parameter_key, "value": value, "seconds": 2.5 + index, "seed": 1234,
                    "model": "stand-in/test-images", "device": "a test machine (stand-in images)",
                    "call": {"prompt": "a red fox sitting on a mossy log in a misty forest", comparison.parameter_key: value},
                    # What a real run records, so the pages show each image's "Reproduce" code as they will.
                    "pipeline": comparison.pipeline or model_profile["pipeline"], "revision": model_profile["revision"],
                    "dtype": model_profile["dtype"], "versions": {"diffusers": "0.36.0", "torch": "2.9.0"},
                })  # fmt: skip
                if profile:
                    entry.update(profile=profile, label=labels.get(profile, profile))
                _as_measured(figures, comparison, entry, index)
                entries.append(entry)
                made[repr(value)] = entry
                if value in shown:
                    files[slug].append(name)
            if sweep is not None:
                sweeps.append(_standin_sweep(slug, comparison.parameter, sweep, made, profile, labels))
    manifest = {"schema": 1, "images": sorted(entries, key=lambda entry: entry["file"])}
    if sweeps:
        manifest["sweeps"] = sweeps
    (figures / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    return files


def _as_measured(figures: Path, comparison, entry: dict, index: int) -> None:
    """What a real run records for measured and precision comparisons: a format's size and crop, a batch's
    memory, and (for the stock VAE kept in fp16) a NaN result in place of an image."""
    from settings_guide.figures.run.encode import zoomed_crop
    from settings_guide.kinds.output_format import human_size

    file = figures / entry["file"]
    if comparison.measure == "output-format":
        crop = entry["file"].rsplit(".", 1)[0] + "-crop.png"
        (figures / crop).write_bytes(zoomed_crop(file.read_bytes()))
        size = file.stat().st_size
        entry.update(bytes=size, size=human_size(size), crop={"file": crop, "width": 512, "height": 512})
    elif comparison.measure == "batch-size":
        entry.update(batch_size=entry["value"], peak_memory_bytes=(9 + index) * 1024**3, device="NVIDIA H200")
    elif "stock-no-upcast" in (entry["value"] if isinstance(entry["value"], list) else []):
        file.unlink()
        for variant in entry.pop("variants"):
            (figures / variant["file"]).unlink()
        entry.update(result="nan", message="fp16 with the model's own VAE decoding in fp16 produced NaN pixels.")


def _write_standin(figures: Path, name: str, image: Image.Image, quality: int) -> dict:
    (figures / name).parent.mkdir(parents=True, exist_ok=True)
    (figures / name).write_bytes(encode_image(np.asarray(image), "webp", quality))  # as the figure run encodes
    # The smaller srcset copies, made by the same code the figure pipeline uses.
    variants = []
    for width, height, data in encode_variants(np.asarray(image), "webp", quality):
        (figures / variant_file(name, width)).write_bytes(data)
        variants.append({"file": variant_file(name, width), "width": width, "height": height})
    return {"file": name, "width": image.width, "height": image.height, "variants": variants}


def _standin_sweep(slug: str, parameter: str, sweep, made: dict, profile: str | None, labels: dict) -> dict:
    """A sweep record in the manifest's shape; the difference shrinks with the distance to the reference."""
    values = list(sweep.values)
    reference = values.index(sweep.reference)
    points = [
        {
            "value": value,
            "file": made[repr(value)]["file"],
            "key": f"stand-in-{slug}-{profile}-{value}",
            "difference": round(min(0.9, 0.03 * abs(index - reference) ** 1.6), 5),
            "seconds": made[repr(value)]["seconds"],
        }
        for index, value in enumerate(values)
    ]
    record = {
        "setting": slug, "parameter": parameter, "reference": sweep.reference, "metric": "1 − SSIM",
        "metric_version": 1, "points": points, "devices": ["a test machine (stand-in images)"],
        "model": "stand-in/test-images", "dtype": "bf16", "seed": 1234, "width": 1024, "height": 1024,
    }  # fmt: skip
    if profile:
        record.update(profile=profile, label=labels.get(profile, profile))
    return record


# Colour photographs that scikit-image ships inside its wheel (nothing is downloaded), for bench/page_weight.py.
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "retina", "immunohistochemistry")


def photo_standin(size: int, index: int) -> Image.Image:
    """A real photograph, cropped square and resized to ``size``: how a page weighs with photographic figures.

    The smaller ones are enlarged, which smooths them a little, so they still compress somewhat better than
    a real 1024-px render; the synthetic stand-in's detail errs the other way. Needs scikit-image.
    """
    from skimage import data

    pixels = getattr(data, PHOTOS[index % len(PHOTOS)])()
    height, width = pixels.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(pixels[top : top + side, left : left + side]).convert("RGB")
    return square.resize((size, size), Image.Resampling.LANCZOS)


def standin_image(size: int, index: int, count: int, seed: int = 1234) -> Image.Image:
    """A photo-like stand-in for a generated image; more fine detail for later values.

    Smooth colour regions plus detail whose amplitude falls with frequency, as in photographs,
    so WebP compresses it about as well as a real 1024-px render (roughly 90-150 KB at quality 80).
    """
    rng = np.random.default_rng(seed)
    luminance = np.zeros((size, size), np.float32)
    colour = np.zeros((size, size, 3), np.float32)
    detail = 0.5 + 0.5 * (index + 1) / count
    cells, amplitude = 4, 1.0
    while cells <= size:
        luminance += _smooth_noise(rng, cells, size, channels=1)[..., 0] * amplitude * (detail if cells >= 64 else 1.0)
        if cells <= 16:
            colour += _smooth_noise(rng, cells, size, channels=3) * amplitude
        cells, amplitude = cells * 2, amplitude * 0.76
    height = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    sky, ground = np.array([0.9, 0.62, 0.3], np.float32), np.array([0.2, 0.32, 0.15], np.float32)
    pixels = np.clip(sky * (1 - height) + ground * height + luminance[..., None] * 0.55 + colour * 0.25, 0, 1)
    return Image.fromarray((pixels * 255).astype(np.uint8))


def _smooth_noise(rng, cells: int, size: int, channels: int) -> np.ndarray:
    small = (rng.random((cells, cells, channels), dtype=np.float32) * 255).astype(np.uint8)
    image = Image.fromarray(small[..., 0] if channels == 1 else small).resize((size, size), Image.BICUBIC)
    values = np.asarray(image, np.float32) / 255 - 0.5
    return values[..., None] if channels == 1 else values


def _loaded(project: Path):
    return load_settings(find_setting_files(project / "settings"))


def site_path(project: Path) -> str:
    """The path part of ``site_url`` (``/`` unless SITE_URL names another): where the site lives on its host."""
    config = read_mkdocs_config(project / "mkdocs.yml")
    path = urllib.parse.urlsplit(config.get("site_url") or "/").path
    return path if path.endswith("/") else path + "/"


def build_site(project: Path, serve_root: Path, config_file: str = "mkdocs.yml") -> Path:
    """``mkdocs build --strict`` into ``serve_root`` + site path, as the host would lay it out."""
    site = serve_root / site_path(project).strip("/")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [str(BIN / "mkdocs"), "build", "--strict", "-f", config_file, "--site-dir", str(site)]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{result.stderr}")
    return site


def with_plugin(project: Path, name: str, options: dict, config_file: str) -> str:
    """A second config file in the project: mkdocs.yml plus one more plugin."""
    config = read_mkdocs_config(project / "mkdocs.yml")
    config["plugins"] = [*config.get("plugins", []), {name: options}]
    (project / config_file).write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return config_file


# --- serving -------------------------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    compress = False
    image_delay = 0.0
    _TEXT = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")

    def log_message(self, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")  # as GitHub Pages sends it
        super().end_headers()

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if self.image_delay and path.suffix == ".webp":
            time.sleep(self.image_delay)  # a slow network for images only (each request has its own thread)
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        content_type = self.guess_type(str(path))
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and wants_gzip and path.is_file() and content_type.startswith(self._TEXT)):
            return super().do_GET()
        # Like GitHub Pages: text is sent gzip-compressed, images as they are.
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SiteServer:
    """Serves a folder on 127.0.0.1 from a background thread; ``with SiteServer(root) as origin``.

    ``compress`` gzips text as GitHub Pages does; ``image_delay`` holds back each image by that many seconds.
    """

    def __init__(self, root: Path, compress: bool = False, image_delay: float = 0.0):
        handler = type("Handler", (_Handler,), {"compress": compress, "image_delay": image_delay})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=root))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.origin

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
