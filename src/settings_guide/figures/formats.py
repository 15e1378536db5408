"""The output-format comparison: one generated image saved as PNG, JPEG, WebP and AVIF.

Pure Pillow and NumPy, no torch. A comparison value such as ``jpeg-90`` names a format and its
quality; ``encode_as`` writes the bytes the page links to and measures, and ``zoomed_crop``
enlarges a small region of the decoded file so a reader can see that format's artefacts.

Encoding is deterministic (same pixels, same Pillow: same bytes), so the figure cache does not
churn: every encoder option that could vary by default is pinned, and no metadata is written.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
# Pillow is imported where images are made: parse_format also checks setting files, which needs no Pillow.

# name in a comparison value -> (Pillow format, extension, MIME type, label, what Pillow needs)
_FORMATS = {
    "png": ("PNG", ".png", "image/png", "PNG", ("codec", "zlib")),
    "jpeg": ("JPEG", ".jpg", "image/jpeg", "JPEG", ("codec", "jpg")),
    "webp": ("WEBP", ".webp", "image/webp", "WebP", ("module", "webp")),
    "avif": ("AVIF", ".avif", "image/avif", "AVIF", ("module", "avif")),
}
_LOSSLESS_ONLY = {"png"}
_ALIASES = {"jpg": "jpeg"}  # only for the "did you mean": one spelling per format keeps cache keys unique
_VALUE = re.compile(r"(?P<name>[a-z]+)(?:-(?P<quality>[^-]+))?")
_EXAMPLES = "png, jpeg-90, webp-80, webp-lossless or avif-60 (a quality from 1 to 100 after the dash)"

AVIF_SPEED = 6  # libavif's default; pinned because the speed changes the bytes


@dataclass(frozen=True)
class OutputFormat:
    name: str  # png | jpeg | webp | avif
    quality: int | None  # None: lossless (png, webp-lossless)
    extension: str  # ".jpg"
    mime_type: str  # "image/jpeg"
    label: str  # "JPEG, quality 90": for captions and tabs

    @property
    def value(self) -> str:
        """The comparison value this format was parsed from, e.g. ``jpeg-90`` (also a file-name stem)."""
        if self.quality is not None:
            return f"{self.name}-{self.quality}"
        return self.name if self.name in _LOSSLESS_ONLY else f"{self.name}-lossless"

    @property
    def pillow_format(self) -> str:
        return _FORMATS[self.name][0]


def parse_format(value: str) -> OutputFormat:
    """``png``, ``jpeg-90``, ``webp-lossless``, ``avif-60`` ... -> an OutputFormat; ValueError naming the fix."""
    match = _VALUE.fullmatch(str(value))  # one spelling per format (lower case, no spaces): one cache key
    name = match["name"] if match else None
    if name not in _FORMATS:
        text = str(value).strip().lower()  # "JPEG-40", "jpg-90": suggest the spelling we accept
        letters = re.match(r"[a-z]*", text)[0]
        guess = [_ALIASES.get(g, g) for g in difflib.get_close_matches(letters, [*_FORMATS, *_ALIASES], 1)]
        suggestion = text.replace(letters, guess[0], 1) if guess else ""
        hint = f" (did you mean {suggestion!r}?)" if suggestion != value and _VALUE.fullmatch(suggestion) else ""
        raise ValueError(f"unknown output format {value!r}{hint}: use {_EXAMPLES}")
    _, extension, mime_type, label, _ = _FORMATS[name]
    quality_text = match["quality"]
    if name in _LOSSLESS_ONLY:
        if quality_text is not None:
            raise ValueError(f"{value!r}: {label} is lossless and takes no quality; write just {name!r}")
        return OutputFormat(name, None, extension, mime_type, f"{label}, lossless")
    if quality_text is None:
        raise ValueError(f"{value!r}: {label} needs a quality from 1 to 100, e.g. '{name}-80'")
    if quality_text == "lossless":
        if name != "webp":  # Pillow's JPEG has no lossless mode; AVIF's needs 4:4:4 and a codec option
            raise ValueError(f"{value!r}: only WebP has a lossless mode here; use 'webp-lossless' or 'png'")
        return OutputFormat(name, None, extension, mime_type, f"{label}, lossless")
    if not quality_text.isdigit() or not 1 <= int(quality_text) <= 100:
        raise ValueError(f"{value!r}: the {label} quality must be a whole number from 1 to 100, not {quality_text!r}")
    quality = int(quality_text)
    return OutputFormat(name, quality, extension, mime_type, f"{label}, quality {quality}")


def unsupported_reason(fmt: OutputFormat) -> str | None:
    from PIL import Image, features

    """Why this Pillow cannot write ``fmt``, or None when it can."""
    kind, feature = _FORMATS[fmt.name][4]
    available = features.check_codec(feature) if kind == "codec" else features.check_module(feature)
    if available:
        return None
    library = {"avif": "libavif", "webp": "libwebp", "jpeg": "libjpeg", "png": "zlib"}[fmt.name]
    hint = " (Pillow's wheels include it from 11.3 on)" if fmt.name == "avif" else ""
    return f"this Pillow ({Image.__version__}) was built without {library}, so it cannot write {fmt.label}{hint}"


def format_supported(fmt: OutputFormat) -> bool:
    """Whether this Pillow can write ``fmt``; ``unsupported_reason`` says why not."""
    return unsupported_reason(fmt) is None


def encode_as(pixels: np.ndarray, fmt: OutputFormat) -> bytes:
    import numpy as np
    from PIL import Image

    """An (H, W, 3) uint8 image as the bytes of a ``fmt`` file: deterministic, without metadata."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"encode_as needs an (H, W, 3) uint8 array, got {pixels.dtype} {pixels.shape}")
    if reason := unsupported_reason(fmt):
        raise ValueError(reason)
    image = Image.fromarray(pixels)  # a fresh image: no EXIF, ICC profile or text chunks to carry over
    buffer = io.BytesIO()
    image.save(buffer, fmt.pillow_format, **_save_options(fmt))
    return buffer.getvalue()


def _save_options(fmt: OutputFormat) -> dict:
    # Pillow's defaults, spelled out: a default that changed between versions would change the figure.
    if fmt.name == "png":
        return {"optimize": False, "compress_level": 6}
    if fmt.name == "jpeg":
        return {"quality": fmt.quality, "subsampling": "4:2:0", "optimize": False, "progressive": False}
    if fmt.name == "webp":
        if fmt.quality is None:
            return {"lossless": True, "quality": 80, "method": 4}  # in lossless mode quality is effort, not loss
        return {"quality": fmt.quality, "method": 4}
    # AVIF: aom with several threads may split the work differently run to run; one thread and a fixed speed don't.
    return {"quality": fmt.quality, "speed": AVIF_SPEED, "max_threads": 1, "subsampling": "4:2:0", "range": "full"}


def zoomed_crop(
    data: bytes, centre: tuple[float, float] = (0.5, 0.5), width_fraction: float = 1 / 8, zoom: int = 4
) -> bytes:
    """Decode ``data``, cut a square ``width_fraction`` of the image wide around ``centre`` (fractions
    of width and height), enlarge it ``zoom`` times with NEAREST and return it as lossless PNG bytes.

    NEAREST and PNG add nothing of their own, so the crop shows exactly the decoded format's artefacts.
    """
    if not (0 <= centre[0] <= 1 and 0 <= centre[1] <= 1) or not 0 < width_fraction <= 1 or zoom < 1:
        raise ValueError(
            f"zoomed_crop: centre {centre} must be fractions from 0 to 1, width_fraction in (0, 1], zoom >= 1"
        )
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    side = max(1, min(round(width * width_fraction), width, height))
    # Shift the square inside the image rather than shrink it, so every crop has the same size.
    left = min(max(round(centre[0] * width - side / 2), 0), width - side)
    top = min(max(round(centre[1] * height - side / 2), 0), height - side)
    crop = image.crop((left, top, left + side, top + side)).resize((side * zoom, side * zoom), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    crop.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def human_size(n_bytes: int) -> str:
    """A file size as people read it: "912 bytes", "182 KB", "1.4 MB"; decimal units (KB = 1000 bytes)."""
    if n_bytes < 1000:
        return f"{n_bytes} byte" + ("" if n_bytes == 1 else "s")
    if round(n_bytes / 1000) < 1000:
        return f"{round(n_bytes / 1000)} KB"
    return f"{n_bytes / 1_000_000:.1f} MB"
