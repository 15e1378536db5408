"""Output format: one generated image, kept losslessly, saved in each compared ``format`` (``png``, ``jpeg-90``,
``webp-lossless``, ``avif-60``, ...); each slot shows the file, its size and a zoomed crop.

The values are parsed here for the rules, the planner and the pages; ``figures/run/encode.py``
writes them with Pillow. Needs no model once the lossless image exists.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

from ..python_code import python_literal
from . import Kind, register

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
AVIF_SPEED = 6  # libavif's default; pinned because the speed changes the bytes
_EXAMPLES = "png, jpeg-90, webp-80, webp-lossless or avif-60 (a quality from 1 to 100 after the dash)"


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

    @property
    def save_options(self) -> dict:
        """Pillow's ``save`` options for this format: its defaults spelled out, since a default that changed
        between versions would change the figure, and the Reproduce code passes the same ones."""
        if self.name == "png":
            return {"optimize": False, "compress_level": 6}
        if self.name == "jpeg":
            return {"quality": self.quality, "subsampling": "4:2:0", "optimize": False, "progressive": False}
        if self.name == "webp":
            if self.quality is None:
                return {"lossless": True, "quality": 80, "method": 4}  # in lossless mode quality is effort, not loss
            return {"quality": self.quality, "method": 4}
        # AVIF: aom with several threads may split the work differently run to run; one thread and a fixed speed don't.
        return {"quality": self.quality, "speed": AVIF_SPEED, "max_threads": 1, "subsampling": "4:2:0", "range": "full"}

    @property
    def needs(self) -> tuple[str, str]:
        """What Pillow needs to write it: ("codec" or "module", its name) for ``PIL.features``."""
        return _FORMATS[self.name][4]


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


def human_size(n_bytes: int) -> str:
    """A file size as people read it: "912 bytes", "182 KB", "1.4 MB"; decimal units (KB = 1000 bytes)."""
    if n_bytes < 1000:
        return f"{n_bytes} byte" + ("" if n_bytes == 1 else "s")
    if round(n_bytes / 1000) < 1000:
        return f"{round(n_bytes / 1000)} KB"
    return f"{n_bytes / 1_000_000:.1f} MB"


# --- the comparison kind ----------------------------------------------------------------------------

NAME = "output-format"
PARAMETER = "format"


def check(comparison):
    for index, value in enumerate(comparison.values or []):
        try:
            parse_format(str(value))
        except ValueError as error:
            yield ("comparison", "values", index), str(error)


def stage(spec, staging):
    saved_as = parse_format(str(spec.value))
    # One lossless image is saved in each format: the formats' own losses are what the page shows.
    source = replace(staging.input_image(), format="png", quality=100)
    return replace(
        spec, measure=NAME, input=source, format=saved_as.extension.lstrip("."), quality=saved_as.quality or 100
    )


def make(job, run) -> dict:
    """Save the job's lossless input image in the job's format, plus a zoomed crop; the manifest entry's facts."""
    fmt = parse_format(str(job.spec.value))
    pixels = run.np.asarray(run.open_rgb(run.figures_dir / job.input_job.file))
    data = run.encode.encode_as(pixels, fmt)
    crop = run.encode.zoomed_crop(data)
    crop_name = run.layout.crop_file(job.file)
    run.write_bytes(crop_name, crop)
    run.write_bytes(job.file, data)  # last: an entry never names a missing file
    crop_size = run.open_rgb(run.figures_dir / crop_name).size
    return {
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "bytes": len(data),
        "size": human_size(len(data)),
        "format": fmt.label,
        "mime_type": fmt.mime_type,
        "crop": {"file": crop_name, "width": crop_size[0], "height": crop_size[1]},
        "source_image": job.input_job.file,
    }


def notes(comparison, first):
    return ["One image, saved losslessly, then in each format; under each, a 4× crop of the file as it decodes."]


def code_save(entry):
    """The generated image saved as this entry's file, with the options the figure run wrote it with."""
    fmt = parse_format(str((entry.get("inputs") or {}).get("applied", {}).get(PARAMETER, entry.get("value"))))
    options = "".join(f", {name}={python_literal(value)}" for name, value in fmt.save_options.items())
    return [f"image.save({python_literal(entry['file'].rsplit('/', 1)[-1])}{options})"]


KIND = register(
    Kind(
        name=NAME,
        field="measure",
        label="output format",
        description="one image saved in each `format`, with its file size",
        parameters=(PARAMETER,),
        named_values=(PARAMETER,),
        check=check,
        stage=stage,
        make=make,
        notes=notes,
        code_save=code_save,
    )
)
