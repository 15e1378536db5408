"""Golden files for every state a setting page's figures can be in, rendered through the real templates.

Each state is a tiny project in a tmp folder (one setting, a figures/defaults.yml) whose manifest holds
stand-in entries with what a real run records: the planned file, key and inputs (from ``plan_project``,
exactly as the ``figures`` command plans them), the call, model, revision, pipeline, dtype, seed,
device and versions, fixed seconds, and small real image files. No torch, no diffusers, no GPU.

The pages are compared with tests/golden/figures/<state>.md; ``UPDATE_GOLDEN=1`` writes them instead
(after an intended template or view change: review the diff). Beside each comparison, a few facts
that must hold whatever the template looks like, so a golden update cannot silently drop a feature.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from settings_guide.figures.layout import crop_file, variant_file
from settings_guide.figures.make import BuildOptions, plan_project
from settings_guide.figures.manifest import image_entry, job_entry, write_manifest
from settings_guide.figures.run.encode import encode_as, format_supported, zoomed_crop
from settings_guide.figures.run.images import ImageRefused, encode_image, encode_variants
from settings_guide.figures.run.precision import shown_failure
from settings_guide.figures.sweeps import sweep_record
from settings_guide.kinds.output_format import human_size, parse_format
from settings_guide.site.pages import ProjectPaths, generate_site

from .figures.conftest import FLUX_PROFILE, PROMPT, defaults_yaml, make_project, setting_yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "figures"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"  # regenerate after an intended template or view change

# The run-wide facts a real run records (figures/run/generate.py: device_name, library_versions), fixed.
DEVICE = "NVIDIA H100 80GB HBM3"
VERSIONS = {"diffusers": "0.36.0", "python": "3.11.13", "torch": "2.9.0", "transformers": "4.57.1"}
GIB = 1024**3
SDXL = "stabilityai/stable-diffusion-xl-base-1.0"  # the default profile's model (figures/conftest.py HUB_MODEL)

STEPS = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 3]")


# --- stand-ins for what `settings-guide figures` writes ------------------------------------------


def plan(project: Path):
    """The whole plan of the project, as the ``figures`` command makes it (configured defaults, no overrides)."""
    return plan_project(BuildOptions(root=project), None).full


def pixels(width: int, height: int, index: int) -> np.ndarray:
    """A deterministic textured image (no random generator), a little different for each index."""
    y, x = np.mgrid[0:height, 0:width]
    red = (x * 255 // max(1, width - 1) + index * 40) % 256
    green = (y * 255 // max(1, height - 1) + (x * y * 7) % 32) % 256
    blue = (x * x * 31 + y * 17 + index * 91) % 256
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


def recorded_call(job, **extra) -> dict:
    """The call as the run records it for a text-to-image pipeline: the spec's arguments, its size, floats out."""
    spec = job.spec
    return {**spec.arguments, "width": spec.width, "height": spec.height, "output_type": "np", **extra}


def run_facts(job) -> dict:
    return {
        "device": DEVICE,
        "versions": VERSIONS,
        "pipeline": job.source.pipeline,
        "dtype": job.spec.dtype,
        "revision": job.source.revision,
        "offload": "none",
    }


def made_entry(figures: Path, job, index: int, seconds: float, call_extra=None, batch_seeds=None, extra=None) -> dict:
    """Write ``job``'s image in its format (WebP with its smaller copies, or PNG) and its manifest entry, as the run does."""
    spec = job.spec
    values = pixels(spec.width, spec.height, index)
    data = encode_image(values, spec.format, spec.quality)
    variants = []
    for width, height, variant in encode_variants(values, spec.format, spec.quality):
        name = variant_file(job.file, width)
        (figures / name).parent.mkdir(parents=True, exist_ok=True)
        (figures / name).write_bytes(variant)
        variants.append({"file": name, "width": width, "height": height})
    (figures / job.file).parent.mkdir(parents=True, exist_ok=True)
    (figures / job.file).write_bytes(data)
    return image_entry(
        job,
        call=recorded_call(job, **(call_extra or {})),
        run=run_facts(job),
        seconds=seconds,
        width=values.shape[1],
        height=values.shape[0],
        sha256=hashlib.sha256(data).hexdigest(),
        batch_seeds=batch_seeds,
        extra={**(extra or {}), **({"variants": variants} if variants else {})},
    )


def comparison_jobs(full) -> list:
    return [job for job in full.jobs if job.spec.role == "comparison"]


def rendered(project: Path, slug: str):
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    return next(page for page in site.pages if page.path == f"settings/{slug}.md")


def comparison_section(markdown: str) -> str:
    return markdown.split("## Visual Comparison", 1)[1].split("\n## ", 1)[0]


def check_golden(name: str, markdown: str, project: Path) -> None:
    # Nothing of this machine belongs in a page: every path is relative to the project root.
    for where in {str(project), str(project.resolve()), str(project.parent), "/tmp/", "pytest-of-"}:
        assert where not in markdown, f"{where!r} in the {name} page"
    assert "Traceback" not in markdown
    expected = GOLDEN / f"{name}.md"
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(markdown, "utf-8")
    assert expected.is_file(), f"no golden file {expected.name}: run with UPDATE_GOLDEN=1 to write it"
    assert markdown == expected.read_text("utf-8"), f"run with UPDATE_GOLDEN=1 if figures/{name}.md should change"


# --- the states ----------------------------------------------------------------------------------


def test_pending_no_manifest(tmp_path):
    project = make_project(tmp_path / "project", {"steps": STEPS})

    page = rendered(project, "steps").markdown

    check_golden("pending", page, project)
    comparison = comparison_section(page)
    assert comparison.count("<span>Image pending</span>") == 2
    assert 'aria-label="Image pending for num_inference_steps = 3"' in comparison
    assert "The images for this comparison have not been generated yet." in comparison
    assert "<img " not in comparison and "Made with" not in comparison and "Reproduce" not in comparison


def test_made_every_image_fresh(tmp_path):
    # 384 px: each image gets a 320 px copy, so the srcset is on the page too.
    project = make_project(tmp_path / "project", {"steps": STEPS}, defaults_yaml(size=384))
    figures = project / "figures"
    jobs = comparison_jobs(plan(project))
    entries = {job.file: made_entry(figures, job, index, 1.5 + index) for index, job in enumerate(jobs)}
    write_manifest(figures, entries)

    page = rendered(project, "steps").markdown

    check_golden("made", page, project)
    comparison = comparison_section(page)
    assert "Image pending" not in comparison and "Out of date" not in comparison
    assert "have not been generated yet" not in comparison
    assert comparison.count('<figure class="sg-figure sg-figure--fresh">') == 2
    assert '<img src="../../figures/steps/num_inference_steps-2.webp"' in comparison
    assert "figures/steps/num_inference_steps-3.320w.webp 320w" in comparison
    pinned = f"<code>{SDXL}</code> at revision <code>462165984030</code>"
    assert f"Made with {pinned} on {DEVICE}, seed <code>7</code>, prompt “{PROMPT}”." in comparison
    assert "About 2.0 s per image." in comparison
    assert "<summary>Reproduce these images</summary>" in comparison
    assert comparison.count('<code class="language-python">') == 3  # the model's set-up once, then each image
    assert "num_inference_steps=3" in comparison and "guidance_scale=6.0" in comparison


def test_stale_image_made_with_another_fixed_argument(tmp_path):
    project = make_project(tmp_path / "project", {"steps": STEPS})
    # The image of 3 steps was made when the profile's guidance_scale was 5.0; the defaults say 6.0 now.
    before = make_project(
        tmp_path / "before", {"steps": STEPS}, defaults_yaml().replace("guidance_scale: 6.0", "guidance_scale: 5.0")
    )
    figures = project / "figures"
    now, old = comparison_jobs(plan(project)), comparison_jobs(plan(before))
    assert [job.file for job in now] == [job.file for job in old] and now[1].key != old[1].key
    made = [now[0], old[1]]
    entries = {job.file: made_entry(figures, job, index, 1.5 + index) for index, job in enumerate(made)}
    write_manifest(figures, entries)

    page = rendered(project, "steps").markdown

    check_golden("stale", page, project)
    comparison = comparison_section(page)
    assert comparison.count('<figure class="sg-figure sg-figure--fresh">') == 1
    assert comparison.count('<figure class="sg-figure sg-figure--stale">') == 1
    # The note names what changed, from what to what; the stale image is still shown.
    assert '<strong class="sg-stale">Out of date:</strong> changed: guidance_scale 5.0 → 6.0' in comparison
    assert '<img src="../../figures/steps/num_inference_steps-3.webp"' in comparison
    assert "Image pending" not in comparison


def test_tabs_two_model_profiles_both_made(tmp_path):
    setting = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 3]\nmodels: [sdxl, flux-schnell]")
    project = make_project(tmp_path / "project", {"steps": setting}, defaults_yaml(profiles=FLUX_PROFILE))
    figures = project / "figures"
    jobs = comparison_jobs(plan(project))
    assert {job.spec.profile for job in jobs} == {"sdxl", "flux-schnell"}
    entries = {job.file: made_entry(figures, job, index, 1.0 + index / 2) for index, job in enumerate(jobs)}
    write_manifest(figures, entries)

    page = rendered(project, "steps").markdown

    check_golden("tabs", page, project)
    comparison = comparison_section(page)
    assert comparison.count('type="radio"') == 2 and comparison.count('class="tabbed-block"') == 2
    assert '<label for="sg-model-steps-1">SDXL</label>' in comparison
    assert '<label for="sg-model-steps-2">FLUX.1 [schnell]</label>' in comparison
    assert f"Made with SDXL (<code>{SDXL}</code> at revision <code>462165984030</code>)" in comparison
    assert "Made with FLUX.1 [schnell] (<code>black-forest-labs/FLUX.1-schnell</code>" in comparison
    assert '<img src="../../figures/steps/flux-schnell/num_inference_steps-3.webp"' in comparison
    assert "Image pending" not in comparison and "have not been generated yet" not in comparison
    assert "<summary>Reproduce these images (FLUX.1 [schnell])</summary>" in comparison
    assert "FluxPipeline" in comparison


def test_nan_slot_in_a_precision_comparison(tmp_path):
    setting = setting_yaml("Precision", "parameter: dtype\nvalues: [fp32, fp16]", "choice")
    project = make_project(tmp_path / "project", {"precision": setting})
    figures = project / "figures"
    fp32, fp16 = comparison_jobs(plan(project))
    message = shown_failure(fp16, ImageRefused("100% of its pixels are NaN or infinite", "nan"))
    assert message is not None  # a precision comparison shows a NaN result instead of refusing it
    entries = {fp32.file: made_entry(figures, fp32, 0, 3.2)}
    # What the run records when the image came out NaN: the call and facts, no size, no hash, no file.
    entries[fp16.file] = image_entry(
        fp16,
        call=recorded_call(fp16),
        run=run_facts(fp16),
        seconds=1.4,
        width=None,
        height=None,
        sha256=None,
        batch_seeds=[7],
        extra={"result": "nan", "message": message},
    )
    write_manifest(figures, entries)
    assert not (figures / fp16.file).exists()

    page = rendered(project, "precision").markdown

    check_golden("nan", page, project)
    comparison = comparison_section(page)
    assert 'aria-label="No image for dtype = fp16: NaN pixels: a black image"' in comparison
    assert "<strong>No image</strong><span>NaN pixels: a black image</span>" in comparison
    assert "fp16 with the model&#x27;s own VAE produced NaN (not-a-number) pixels" in comparison
    assert '<img src="../../figures/precision/dtype-fp32.webp"' in comparison
    assert "dtype-fp16.webp" not in comparison  # no image, no Reproduce code for it
    assert "Image pending" not in comparison and "Out of date" not in comparison
    assert "<summary>Reproduce this image</summary>" in comparison


FORMATS = ["png", "jpeg-90", "webp-80"]


def test_output_formats_show_each_file_size_and_crop(tmp_path):
    if not all(format_supported(parse_format(value)) for value in FORMATS):
        pytest.skip("this Pillow cannot write every compared format")
    setting = setting_yaml(
        "Formats", f"parameter: format\nmeasure: output-format\nvalues: [{', '.join(FORMATS)}]", "choice"
    )
    # 96 px: big enough that each format's file has a size of its own on the page.
    project = make_project(tmp_path / "project", {"formats": setting}, defaults_yaml(size=96))
    figures = project / "figures"
    full = plan(project)
    [source] = [job for job in full.jobs if job.spec.role == "input"]
    jobs = comparison_jobs(full)
    # The lossless image every format is saved from: made by the model like any image (PNG, no smaller copies).
    entries = {source.file: made_entry(figures, source, 0, 2.7)}
    values = pixels(source.spec.width, source.spec.height, 0)
    sizes = {}
    for index, job in enumerate(jobs):
        # kinds/output_format.py `make`: the file in its format, a zoomed crop, and the facts; no call, no model.
        fmt = parse_format(str(job.spec.value))
        data = encode_as(values, fmt)
        crop = zoomed_crop(data)
        crop_name = crop_file(job.file)
        (figures / crop_name).parent.mkdir(parents=True, exist_ok=True)
        (figures / crop_name).write_bytes(crop)
        (figures / job.file).write_bytes(data)
        with Image.open(io.BytesIO(crop)) as opened:
            crop_width, crop_height = opened.size
        sizes[job.spec.value] = human_size(len(data))
        entries[job.file] = {
            **job_entry(job, 0.01 * (index + 1)),
            "sha256": hashlib.sha256(data).hexdigest(),
            "width": values.shape[1],
            "height": values.shape[0],
            "bytes": len(data),
            "size": human_size(len(data)),
            "format": fmt.label,
            "mime_type": fmt.mime_type,
            "crop": {"file": crop_name, "width": crop_width, "height": crop_height},
            "source_image": source.file,
        }
    write_manifest(figures, entries)

    page = rendered(project, "formats").markdown

    check_golden("formats", page, project)
    comparison = comparison_section(page)
    for value, size in sizes.items():
        assert f'<code>format = {value}</code> <span class="sg-file-size">{size}</span>' in comparison
    assert comparison.count('<img class="sg-crop"') == len(FORMATS)
    assert '<img src="../../figures/formats/format-jpeg-90.jpg"' in comparison
    assert "figures/formats/format-jpeg-90-crop.png" in comparison
    assert 'class="sg-seconds"' not in comparison  # a saved format has no generation time
    # The provenance comes from the image the formats were saved from.
    assert f"Made with <code>{SDXL}</code> at revision <code>462165984030</code> on {DEVICE}, seed <code>7</code>" in (
        comparison
    )
    assert "One image, saved losslessly, then in each format" in comparison
    assert "Image pending" not in comparison and "have not been generated yet" not in comparison


BATCHES = {1: (0.62, int(9.1 * GIB)), 2: (0.50, int(10.2 * GIB)), 4: (0.44, int(11.9 * GIB))}


def test_batch_chart_on_one_device(tmp_path):
    setting = setting_yaml("Batch", "parameter: num_images_per_prompt\nmeasure: batch-size\nvalues: [1, 2, 4]")
    project = make_project(tmp_path / "project", {"batch": setting})
    figures = project / "figures"
    entries = {}
    for index, job in enumerate(comparison_jobs(plan(project))):
        size = job.spec.value
        seconds, peak = BATCHES[size]
        entries[job.file] = made_entry(
            figures,
            job,
            index,
            seconds,
            call_extra={"num_images_per_prompt": size},
            batch_seeds=[job.spec.seed + n for n in range(size)],  # kinds/batch_size.py: one generator per image
            extra={"batch_size": size, "peak_memory_bytes": peak},
        )
    write_manifest(figures, entries)

    page = rendered(project, "batch")

    check_golden("batch", page.markdown, project)
    comparison = comparison_section(page.markdown)
    assert "### Measured Time and Memory" in comparison
    assert f"Measured on {DEVICE}: other GPUs" in comparison
    assert '<span class="sg-seconds">0.6 s per image, peak memory 9.1 GiB</span>' in comparison
    assert "peak memory 11.9 GiB" in comparison
    assert "figures/batch/batch-light.svg#only-light" in comparison
    assert {path for path, _ in page.files} >= {"figures/batch/batch-light.svg", "figures/batch/batch-dark.svg"}
    assert "Image pending" not in comparison


def test_batch_chart_with_a_batch_out_of_memory_and_a_stale_one(tmp_path):
    setting = setting_yaml("Batch", "parameter: num_images_per_prompt\nmeasure: batch-size\nvalues: [1, 2, 4]")
    project = make_project(tmp_path / "project", {"batch": setting})
    # Batch 2 was measured when the profile's guidance_scale was 5.0; the defaults say 6.0 now.
    before = make_project(
        tmp_path / "before", {"batch": setting}, defaults_yaml().replace("guidance_scale: 6.0", "guidance_scale: 5.0")
    )
    figures = project / "figures"
    one, _, four = comparison_jobs(plan(project))
    two = comparison_jobs(plan(before))[1]
    entries = {}
    for index, job in enumerate((one, two)):
        size = job.spec.value
        entries[job.file] = made_entry(
            figures,
            job,
            index,
            BATCHES[size][0],
            call_extra={"num_images_per_prompt": size},
            batch_seeds=[job.spec.seed + n for n in range(size)],
            extra={"batch_size": size, "peak_memory_bytes": BATCHES[size][1]},
        )
    # What the run records for a batch the GPU had no memory for (kinds/batch_size.py, figures/run/generate.py):
    # the call and facts, its batch size and the peak until it failed, the result and its message; no file.
    entries[four.file] = image_entry(
        four,
        call=recorded_call(four, num_images_per_prompt=4),
        run=run_facts(four),
        seconds=0.0,
        width=None,
        height=None,
        sha256=None,
        batch_seeds=[four.spec.seed + n for n in range(4)],
        extra={
            "batch_size": 4,
            "peak_memory_bytes": int(79.2 * GIB),
            "result": "out-of-memory",
            "message": "out of memory at batch size 4: OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
        },
    )
    write_manifest(figures, entries)

    page = rendered(project, "batch")

    check_golden("batch-oom", page.markdown, project)
    comparison = comparison_section(page.markdown)
    # The slot says what happened; the chart marks the batch where it stands, labelled, and the stale point.
    assert 'aria-label="No image for num_images_per_prompt = 4: Out of memory"' in comparison
    assert "Batch 4 ran out of memory." in comparison
    assert '<strong class="sg-stale">Out of date:</strong> changed: guidance_scale 5.0 → 6.0</figcaption>' in comparison
    svg = dict(page.files)["figures/batch/batch-light.svg"]
    assert ">out of memory at 4</text>" in svg and svg.count('<path d="M') >= 2  # a cross in each panel
    assert ">0.50 s (out of date)</text>" in svg and ">10.2 GiB (out of date)</text>" in svg
    assert '<circle cx="' in svg and 'r="4" fill="none"' in svg  # the stale point drawn hollow
    assert "79.2" not in svg  # the peak until the failure is no measurement of batch 4
    assert "Out of date: batch 2, measured with other inputs than the page&#x27;s." in svg


SWEEP = setting_yaml(
    "Steps",
    "parameter: num_inference_steps\nvalues: [2, 4]\nsweep:\n  values: [1, 2, 3, 4]\n  reference: 4",
)
DIFFERENCES = [0.41, 0.12, 0.03, 0.0]


def test_scrubber_through_a_measured_sweep(tmp_path):
    project = make_project(tmp_path / "project", {"steps": SWEEP})
    figures = project / "figures"
    full = plan(project)
    [sweep] = full.sweeps
    entries = {job.file: made_entry(figures, job, index, 0.8 * (index + 1)) for index, job in enumerate(sweep.jobs)}
    assert {job.file for job in full.jobs} == set(entries)  # the compared values are among the sweep's
    write_manifest(figures, entries, {sweep.spec.id: sweep_record(sweep, entries, DIFFERENCES)})

    page = rendered(project, "steps")

    check_golden("scrubber", page.markdown, project)
    comparison = comparison_section(page.markdown)
    assert comparison.count('<li class="sg-scrubber-point"') == 4
    assert 'class="sg-scrubber" data-sg-start="3"' in comparison  # it starts at the reference, 4 steps
    assert '<a href="../../figures/steps/num_inference_steps-1.webp">num_inference_steps = 1</a>: difference 0.410' in (
        comparison
    )
    assert "### Measured Difference and Time" in comparison and "figures/steps/sweep-light.svg" in comparison
    assert "the chart appears once" not in comparison and "Out of date" not in comparison
    assert {path for path, _ in page.files} >= {"figures/steps/sweep-light.svg", "figures/steps/sweep-dark.svg"}
    assert re.search(r'<p class="sg-measured"><strong>Measured:</strong> ', page.markdown)
