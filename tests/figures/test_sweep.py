"""Sweeps: more values rendered with the same seed, each measured against a reference image and charted."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from settings_guide.errors import ProblemsFound
from settings_guide.figures.run.metrics import image_difference
from settings_guide.pages.figures.chart import DARK, LIGHT, sweep_chart_svg
from settings_guide.pages.figures.sweep_text import measured_sentence, read_sweep
from settings_guide.pages.figures.view import FigureSlot, ModelFigures, PageFigures, SweepChart
from settings_guide.pages.render import make_environment, render_site_pages
from settings_guide.settings.load import load_settings
from settings_guide.site.html_safety import sanitize_page_html
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import PROMPT, SEEDS, defaults_yaml, images, make_project, manifest, run_figures, setting_yaml

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
# Value 2 is also compared, so its image serves both; 1 and 3 are the sweep's own.
STEPS = setting_yaml(
    "Steps",
    """
    parameter: num_inference_steps
    values: [2, 4]
    sweep:
      values: [1, 2, 3, 4]
      reference: 4
""",
)


def sweeps(project: Path) -> dict[str, dict]:
    data = json.loads((project / "figures" / "manifest.json").read_text("utf-8"))
    return {record["setting"]: record for record in data.get("sweeps", [])}


def site(project: Path):
    return generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))


@pytest.fixture(scope="module")
def measured(tmp_path_factory, tiny_model) -> Path:
    """A project whose steps sweep is rendered and measured; the seeds comparison shares its other arguments."""
    project = make_project(
        tmp_path_factory.mktemp("sweep") / "p",
        {"steps": STEPS, "seeds": SEEDS},
        defaults=defaults_yaml(model=str(tiny_model), dtype="fp32"),
    )
    result = run_figures(project)
    assert result.code == 0, result.err
    assert "generated 7, cached 0, failed 0, measured 1 sweep " in result.out
    return project


def copy_of(project: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(project, tmp_path / "copy"))


# --- the run ------------------------------------------------------------------------------------


def test_the_sweep_renders_each_value_once_with_the_same_seed_and_measures_it(measured, tiny_model):
    entries = manifest(measured)
    files = [f"steps/num_inference_steps-{value}.webp" for value in (1, 2, 3, 4)]
    assert set(files) <= set(images(measured))
    assert [entries[name]["role"] for name in files] == ["sweep", "comparison", "sweep", "comparison"]
    assert {entries[name]["seed"] for name in files} == {7}
    assert [entries[name]["call"]["num_inference_steps"] for name in files] == [1, 2, 3, 4]
    # Its seconds are charted, so the 2-step image ran alone, not in the seeds' batch it could have joined.
    assert "batch_seeds" not in entries["steps/num_inference_steps-2.webp"]
    assert entries["seeds/seed-1.webp"]["batch_seeds"] == [1, 2, 3]

    record = sweeps(measured)["steps"]
    assert (record["parameter"], record["reference"], record["metric"]) == ("num_inference_steps", 4, "1 − SSIM")
    assert [point["value"] for point in record["points"]] == [1, 2, 3, 4]
    assert [point["file"] for point in record["points"]] == files
    assert [point["key"] for point in record["points"]] == [entries[name]["key"] for name in files]
    assert [point["seconds"] for point in record["points"]] == [entries[name]["seconds"] for name in files]
    differences = [point["difference"] for point in record["points"]]
    assert differences[3] == 0.0 and all(d > 0 for d in differences[:3]), differences
    assert record["model"] == str(tiny_model) and record["devices"] == ["CPU"]
    assert (record["prompt"], record["seed"], record["width"], record["height"]) == (PROMPT, 7, 32, 32)

    # The numbers are the metric of the files on disk: anyone can check them against the images.
    from PIL import Image

    pixels = [np.asarray(Image.open(measured / "figures" / name).convert("RGB")) for name in files]
    assert differences == [round(image_difference(image, pixels[3]), 5) for image in pixels]


def test_the_warm_up_call_before_the_first_timed_image_leaves_its_pixels_alone(tiny_model, tmp_path, monkeypatch):
    from settings_guide.figures.run import generate

    warm_ups = []
    original = generate.warm_up
    monkeypatch.setattr(
        generate, "warm_up", lambda pipe, arguments: warm_ups.append(arguments) or original(pipe, arguments)
    )
    plain = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 4]")
    made = {}
    for name, setting in (("swept", STEPS), ("plain", plain)):
        project = make_project(
            tmp_path / name, {"steps": setting}, defaults=defaults_yaml(model=str(tiny_model), dtype="fp32")
        )
        assert run_figures(project).code == 0
        made[name] = images(project)

    # Once per run (each has one model), before its first timed image, sweep or not.
    assert len(warm_ups) == 2 and all(arguments["num_inference_steps"] == 2 for arguments in warm_ups)
    assert all(made["swept"][name] == image for name, image in made["plain"].items())


def test_a_cached_rerun_renders_and_measures_nothing(measured, tiny_model, tmp_path):
    project = copy_of(measured, tmp_path)
    before = {p: p.read_bytes() for p in (project / "figures").rglob("*") if p.is_file()}

    result = run_figures(project)

    assert result.code == 0 and "generated 0, cached 7, failed 0 (" in result.out
    assert {p: p.read_bytes() for p in (project / "figures").rglob("*") if p.is_file()} == before
    check = run_figures(project, "--check")
    assert check.code == 0
    assert "7 images: 7 fresh, 0 missing, 0 stale; 1 sweeps: 1 fresh, 0 missing, 0 stale" in check.out


def test_a_run_killed_before_measuring_measures_on_the_next_run_without_rendering(measured, tmp_path):
    project = copy_of(measured, tmp_path)
    path = project / "figures" / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    record = data.pop("sweeps")[0]
    path.write_text(json.dumps(data))  # as a run killed after its last image, before measuring

    check = run_figures(project, "--check")
    assert check.code == 1 and "missing  sweep of steps  [SDXL]  (not measured yet)" in check.out
    assert "1 sweep is missing or stale" in check.err

    result = run_figures(project)

    assert result.code == 0 and "generated 0, cached 7, failed 0, measured 1 sweep " in result.out
    assert sweeps(project)["steps"] == record  # the same numbers again: the metric is deterministic


def test_changing_the_sweep_values_remeasures_the_images_it_has(measured, tmp_path):
    project = copy_of(measured, tmp_path)
    (project / "settings" / "steps.yml").write_text(STEPS.replace("[1, 2, 3, 4]", "[1, 2, 4]"))

    dry = run_figures(project, "--dry-run")
    assert "stale    sweep of steps  [SDXL]  (changed: its values)" in dry.out
    assert "remove   steps/num_inference_steps-3.webp  (no setting asks for it)" in dry.out
    # Until then the page keeps the old chart, marked out of date.
    [page] = [p for p in site(project).pages if p.path == "settings/steps.md"]
    assert '<strong class="sg-stale">Out of date:</strong> changed: its values' in page.markdown

    result = run_figures(project)

    assert result.code == 0 and "generated 0, cached 6, failed 0, removed 1, measured 1 sweep " in result.out
    assert [point["value"] for point in sweeps(project)["steps"]["points"]] == [1, 2, 4]

    (project / "settings" / "steps.yml").write_text(
        setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [2, 4]")
    )
    assert "remove   sweep of steps  (no setting asks for it now)" in run_figures(project, "--dry-run").out
    assert run_figures(project).code == 0 and "steps" not in sweeps(project)


def test_shards_measure_their_own_sweeps_and_the_merge_adopts_them(measured, tiny_model, tmp_path):
    main = make_project(
        tmp_path / "main", {"steps": STEPS, "seeds": SEEDS}, defaults=defaults_yaml(model=str(tiny_model), dtype="fp32")
    )
    one, two = (Path(shutil.copytree(main, tmp_path / name)) for name in ("one", "two"))
    assert run_figures(one, "--shard", "1/2").code == 0 and run_figures(two, "--shard", "2/2").code == 0
    assert [sorted(sweeps(p)) if (p / "figures" / "manifest.json").exists() else [] for p in (one, two)] in (
        [["steps"], []],
        [[], ["steps"]],
    )

    merged = run_figures(main, "--merge", str(one / "figures"), str(two / "figures"))

    assert merged.code == 0 and "merged 7 images from 2 folders; 0 still missing or stale; 1 of 1 sweeps" in merged.out
    [shard] = [p for p in (one, two) if (p / "figures" / "manifest.json").exists() and sweeps(p)]
    assert sweeps(main) == sweeps(shard)
    without_seconds = lambda record: [{**point, "seconds": None} for point in record["points"]]  # noqa: E731
    assert without_seconds(sweeps(main)["steps"]) == without_seconds(sweeps(measured)["steps"])  # same images
    assert run_figures(main, "--check").code == 0


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_chart_in_both_palettes_and_says_how_it_was_measured(measured, tiny_model):
    built = site(measured)
    [page] = [p for p in built.pages if p.path == "settings/steps.md"]
    markdown = page.markdown
    section = markdown.split("### Measured Difference and Time", 1)[1].split("\n## ", 1)[0]
    assert '<img class="sg-no-zoom" src="../../figures/steps/sweep-light.svg#only-light"' in section
    assert '<img class="sg-no-zoom" src="../../figures/steps/sweep-dark.svg#only-dark"' in section
    record = sweeps(measured)["steps"]
    sentence = measured_sentence(read_sweep(record, 0.05))
    assert f"<figcaption>{sentence}</figcaption>" in section
    assert (
        f"Measured with <code>{tiny_model}</code> on CPU in fp32 at 32 × 32, seed <code>7</code>, prompt “{PROMPT}”;"
    ) in section
    assert "One model, prompt and seed on one machine" in section

    charts = {path: text for path, text in built.generated_files.items() if path.startswith("figures/")}
    assert sorted(charts) == ["figures/steps/sweep-dark.svg", "figures/steps/sweep-light.svg"]
    for text in charts.values():
        svg = ElementTree.fromstring(text)
        words = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
        assert "num_inference_steps" in words and "difference (1 − SSIM)" in words and "seconds per image" in words
        assert len(list(svg.iter(f"{SVG}circle"))) >= 4  # a marker per value
    # Both images survive the HTML clean-up of generated pages.
    html = sanitize_page_html(section)
    assert "sweep-light.svg#only-light" in html and "sweep-dark.svg#only-dark" in html


def test_the_page_says_the_sweep_is_pending_until_it_is_measured(tmp_path):
    project = make_project(tmp_path / "p", {"steps": STEPS})
    [page] = [p for p in site(project).pages if p.path == "settings/steps.md"]
    assert "A sweep of 4 values measures each image against a reference image" in page.markdown
    assert not [path for path in site(project).generated_files if path.startswith("figures/")]  # no chart yet


def test_the_value_range_of_the_measured_point_cites_it_and_links_the_chart(tmp_path):
    import markdown

    text = STEPS.replace(
        "min: 0\n    max: 100000",
        "min: 0\n    max: 10\n    description: Few.\n  - label: Many\n    min: 11\n    max: 100000",
    )
    (tmp_path / "steps.yml").write_text(text)
    loaded = load_settings([tmp_path / "steps.yml"])
    chart = SweepChart(values=4, status="fresh", light="a.svg", dark="b.svg", sentence="From 3 on, close.", band=0)
    figures = PageFigures(models=[ModelFigures([FigureSlot("num_inference_steps = 2")])], sweep=chart)
    page = render_site_pages(make_environment(ROOT / "templates"), loaded, lambda item: figures)[1].markdown
    ranges = page.split("## Value Ranges", 1)[1].split("\n## ", 1)[0]
    assert ranges.count('class="sg-measured"') == 1
    assert ranges.index("sg-measured") < ranges.index("### Many")
    html = markdown.markdown(page.split("---", 2)[2], extensions=["toc", "md_in_html", "attr_list"])
    assert 'id="measured-difference-and-time"' in html and 'href="#measured-difference-and-time"' in html


# --- the metric ---------------------------------------------------------------------------------


def _scene(size: int) -> np.ndarray:
    """A smooth gradient with a few sharp shapes: structure for SSIM to see."""
    y, x = np.mgrid[0:size, 0:size] / size
    grey = 200 * x * (1 - y) + 30
    grey[size // 4 : size // 2, size // 4 : size // 2] = 240
    grey[(x - 0.7) ** 2 + (y - 0.7) ** 2 < 0.02] = 10
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


@pytest.mark.parametrize("size", [32, 512])  # 512 is averaged down to 256 first, as in the SSIM reference code
def test_the_difference_is_zero_for_the_reference_and_grows_with_distance(size):
    scene = _scene(size)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=scene.shape)
    noisier = [np.clip(scene + sigma * noise, 0, 255).astype(np.uint8) for sigma in (2, 6, 15, 40, 90)]
    differences = [image_difference(image, scene) for image in [scene, *noisier]]

    assert differences[0] == 0.0
    assert all(a < b for a, b in zip(differences, differences[1:], strict=False)), differences
    assert differences == [image_difference(image, scene) for image in [scene, *noisier]]  # deterministic
    assert image_difference(255 - scene, scene) > 0.5
    with pytest.raises(ValueError, match="same size"):
        image_difference(scene[:16], scene)


# --- the chart ----------------------------------------------------------------------------------

STEPS_RECORD = {
    "parameter": "num_inference_steps",
    "reference": 100,
    "points": [
        {"value": v, "difference": d, "seconds": round(0.2 + 0.1 * v, 2)}
        for v, d in zip(
            [1, 2, 4, 8, 16, 25, 30, 50, 75, 100],
            [0.8, 0.6, 0.35, 0.15, 0.07, 0.06, 0.04, 0.03, 0.01, 0.0],
            strict=True,
        )
    ],
}
GUIDANCE_RECORD = {
    "parameter": "guidance_scale",
    "reference": 5.0,
    "points": [
        {"value": v, "difference": d, "seconds": 9.5}
        for v, d in zip([1.0, 3.0, 4.0, 5.0, 6.0, 9.0, 15.0], [0.4, 0.1, 0.04, 0.0, 0.03, 0.12, 0.3], strict=True)
    ],
}


def test_the_sentence_states_the_measured_point():
    steps = read_sweep(STEPS_RECORD, 0.05)
    assert measured_sentence(steps) == (
        "From num_inference_steps = 30 on the image is within 5 % of the one at num_inference_steps = 100 "
        "(1 − SSIM ≤ 0.05), in 31 % of the time."
    )
    guidance = read_sweep(GUIDANCE_RECORD, 0.05, "recommended value")
    assert measured_sentence(guidance) == (
        "From guidance_scale = 4.0 to 6.0 the image stays within 5 % of the one at the recommended value, "
        "guidance_scale = 5.0 (1 − SSIM ≤ 0.05)."
    )
    assert measured_sentence(read_sweep(GUIDANCE_RECORD, 0.02)) == (
        "No other value came within 2 % of the one at guidance_scale = 5.0 (1 − SSIM ≤ 0.02); the closest, "
        "guidance_scale = 6.0, differs by 0.030."
    )


def test_the_chart_marks_the_threshold_and_the_measured_point():
    svg = ElementTree.fromstring(sweep_chart_svg(read_sweep(GUIDANCE_RECORD, 0.05, "<recommended> & co"), LIGHT, "t"))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "guidance_scale" in texts  # linear: 1 to 15 is no span for a log scale
    assert "recommended> & co, 5.0" in " ".join(texts).replace("<", "")  # the label, escaped, parses
    assert "threshold 0.05" in texts and "4.0" in texts and "6.0" in texts  # both ends of the run, labelled
    rings = [c for c in svg.iter(f"{SVG}circle") if c.get("fill") == "none"]
    assert len(rings) == 2
    [band] = [r for r in svg.iter(f"{SVG}rect") if r.get("fill-opacity") and float(r.get("width")) > 28]
    assert float(band.get("x")) == float(rings[0].get("cx")) < float(rings[1].get("cx"))

    steps = ElementTree.fromstring(sweep_chart_svg(read_sweep(STEPS_RECORD, 0.05), DARK))
    assert "num_inference_steps (log scale)" in [t.text for t in steps.iter(f"{SVG}text")]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_the_chart_colours_keep_their_contrast_on_their_page(palette):
    # WCAG: 4.5:1 for text, 3:1 for the lines and markers that carry the data.
    assert _contrast(palette.ink, palette.background) >= 4.5
    assert _contrast(palette.muted, palette.background) >= 4.5
    assert _contrast(palette.difference, palette.background) >= 3
    assert _contrast(palette.seconds, palette.background) >= 3


# --- validation ---------------------------------------------------------------------------------


def problems(tmp_path: Path, comparison: str, value_type: str = "number") -> list[str]:
    path = tmp_path / "x.yml"
    path.write_text(setting_yaml("X", comparison, value_type))
    with pytest.raises(ProblemsFound) as found:
        load_settings([path])
    return [str(problem).replace(f"{tmp_path.as_posix()}/", "") for problem in found.value.problems]


@pytest.mark.parametrize(
    ("sweep", "value_type", "expected"),
    [
        ("values: [1, 2, 4]\n  reference: 5", "number", "x.yml:17:16: comparison.sweep.reference: the reference 5 is not one of the sweep's values"),
        ("values: [1, 2, 400]\n  reference: 1", "number", "x.yml:16:20: comparison.sweep.values[2]: 400 lies outside the declared ranges (0 – 100)"),
        ("values: [1, 4, 2]\n  reference: 1", "number", "x.yml:16:20: comparison.sweep.values[2]: 2 comes after 4; list the sweep's values from low to high"),
        ("values: [1, 2]\n  reference: 1", "number", "x.yml:16:13: comparison.sweep.values: List should have at least 3 items"),
        ("values: [1, 2.5, 4]\n  reference: 4", "integer", "x.yml:16:17: comparison.sweep.values[1]: expected a whole number because value_type is 'integer'"),
        ("values: [1, 2, 4]\n  reference: 4\n  threshold: 1.5", "number", "x.yml:18:16: comparison.sweep.threshold: Input should be less than 1"),
        ("values: [1, 2, 4]\n  reference: 4\n  colour: red", "number", "x.yml:18:5: comparison.sweep.colour: unknown field 'colour'"),
    ],
)  # fmt: skip
def test_sweep_mistakes_are_one_line_at_their_place(tmp_path, sweep, value_type, expected):
    comparison = f"parameter: guidance_scale\nvalues: [1, 2]\nsweep:\n  {sweep}"
    found = problems(tmp_path, comparison, value_type)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_only_numeric_settings_with_one_seed_and_size_can_sweep(tmp_path):
    sweep = "\nsweep:\n  values: [1, 2, 3]\n  reference: 3"
    [choice] = problems(tmp_path, "parameter: scheduler\nvalues: [A, B]" + sweep, "choice")
    assert choice.startswith("x.yml:14:5: comparison.sweep: a sweep measures numeric settings only")
    [seed] = problems(tmp_path, "parameter: seed\nvalues: [1, 2]" + sweep, "integer")
    assert seed.startswith("x.yml:16:5: comparison.sweep: a sweep compares images of the same seed")
