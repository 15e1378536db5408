"""Adding a comparison kind is one file: a kind that exists only in this test goes from YAML to page.

The kind, ``desaturate``, is a measurement: each compared ``saturation`` is the shared input image
blended towards its greyscale, made without a model (like the output-format comparison). It fills in
the steps the README's "How to add a comparison kind" walks through: its rules, its staging, how its
image is made, its page note and a Reproduce line. Nothing else in the package learns its name.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from settings_guide import kinds
from settings_guide.figures.run.images import encode_image
from settings_guide.kinds import Kind
from settings_guide.site.pages import ProjectPaths, generate_site

from ..conftest import ROOT
from .conftest import defaults_yaml, make_project, manifest, run_figures, setting_yaml

NAME = "desaturate"
PARAMETER = "saturation"


def check(comparison):
    for index, value in enumerate(comparison.values or []):
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            yield ("comparison", "values", index), f"a saturation is a number from 0 to 1, got {value!r}"


def stage(spec, staging):
    # Every value starts from one lossless copy of the shared input image, made once.
    return replace(spec, measure=NAME, input=replace(staging.input_image(), format="png", quality=100))


def make(job, run) -> dict:
    colour = run.np.asarray(run.open_rgb(run.figures_dir / job.input_job.file)).astype("float32")
    grey = colour.mean(axis=2, keepdims=True)
    amount = float(job.spec.applied[PARAMETER])
    pixels = (grey + (colour - grey) * amount).round().clip(0, 255).astype("uint8")
    data = encode_image(pixels, job.spec.format, job.spec.quality)
    run.write_bytes(job.file, data)
    return {"width": pixels.shape[1], "height": pixels.shape[0], "source_image": job.input_job.file}


def notes(comparison, first):
    return ["Each image is the shared input image, blended towards its greyscale by the saturation in its caption."]


DESATURATE = Kind(
    name=NAME,
    field="measure",
    label="desaturation",
    description="the shared input image at each `saturation`, made without a model",
    parameters=(PARAMETER,),
    check=check,
    stage=stage,
    make=make,
    notes=notes,
)


@pytest.fixture
def desaturate():
    kinds.register(DESATURATE)
    yield DESATURATE
    kinds.unregister(NAME)


SETTING = setting_yaml(
    "Saturation", f"parameter: {PARAMETER}\nmeasure: {NAME}\nvalues: [0, 0.5, 1]\nranges_apply: false", "number"
)


def test_a_kind_only_this_test_knows_is_validated_made_and_shown(desaturate, tmp_path, tiny_model):
    project = make_project(
        tmp_path / "p", {"saturation": SETTING}, defaults=defaults_yaml(model=str(tiny_model), dtype="fp32")
    )

    result = run_figures(project)

    assert result.code == 0, result.err
    assert "generated 4, cached 0, failed 0" in result.out  # the input image, then one image per value
    made = {file: entry for file, entry in manifest(project).items() if entry.get("setting") == "saturation"}
    assert sorted(entry["value"] for entry in made.values()) == [0, 0.5, 1]
    assert all(entry["inputs"]["measure"] == NAME for entry in made.values())
    page = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates"))).pages[1].markdown
    assert "blended towards its greyscale" in page and "saturation = 0.5" in page
    assert run_figures(project).out.startswith("generated 0, cached 4, failed 0")  # cached: its keys are stable


def test_its_rules_and_its_name_come_from_the_registry(desaturate, tmp_path):
    bad = SETTING.replace("values: [0, 0.5, 1]", "values: [0, 0.5, 2]")
    project = make_project(tmp_path / "p", {"saturation": bad})
    result = run_figures(project, "--check")
    assert result.code == 2
    assert "comparison.values[2]: a saturation is a number from 0 to 1, got 2" in result.err

    typo = SETTING.replace(f"measure: {NAME}", "measure: desaturat")
    (project / "settings" / "saturation.yml").write_text(typo)
    result = run_figures(project, "--check")
    assert "comparison.measure: unknown measure kind 'desaturat'; did you mean 'desaturate'?" in result.err


def test_without_the_kind_the_same_file_is_refused(tmp_path):
    project = make_project(tmp_path / "p", {"saturation": SETTING})
    result = run_figures(project, "--check")
    assert result.code == 2 and "unknown measure kind 'desaturate'" in result.err
