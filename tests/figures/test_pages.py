"""The pages: fresh images replace "Image pending", stale ones carry a note, provenance underneath."""

from __future__ import annotations

import json
from pathlib import Path

from settings_guide.pages.figures.read import figures_reader
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import PROMPT, STEPS, defaults_yaml, make_project, run_figures

ROOT = Path(__file__).resolve().parents[2]


def page(project: Path, slug: str) -> str:
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    return next(p.markdown for p in site.pages if p.path == f"settings/{slug}.md")


def page_figures(project: Path, slug: str):
    [item] = [i for i in load_settings(find_setting_files(project / "settings")) if i.slug == slug]
    return figures_reader(project, project / "figures")(item)


def test_fresh_images_replace_pending_and_say_how_they_were_made(tmp_path, tiny_model):
    # The defaults name the tiny model and fp32, so what the CPU run makes is what the pages plan.
    project = make_project(tmp_path / "p", defaults=defaults_yaml(model=str(tiny_model), dtype="fp32"))
    assert page(project, "steps").count("<span>Image pending</span>") == 2

    assert run_figures(project).code == 0

    figures = page_figures(project, "steps")
    assert [slot.status for slot in figures.slots] == ["fresh", "fresh"]
    assert figures.slots[1].image == "figures/steps/num_inference_steps-3.webp"
    assert (figures.slots[1].width, figures.slots[1].height) == (32, 32) and figures.slots[1].seconds > 0
    [model] = figures.models
    assert (model.model, model.prompt, model.seed, model.device) == (str(tiny_model), PROMPT, 7, "CPU")
    markdown = page(project, "steps")
    assert "Image pending" not in markdown and "Out of date" not in markdown
    assert '<img src="../../figures/steps/num_inference_steps-2.webp"' in markdown
    assert f"Made with <code>{tiny_model}</code> on CPU, seed <code>7</code>, prompt “{PROMPT}”." in markdown
    assert " s</span>" in markdown  # seconds per image under each one

    [seeds] = page_figures(project, "seeds").models
    assert seeds.seed is None and "Each image uses the seed in its caption." in seeds.notes


def test_a_stale_image_stays_on_the_page_with_a_note(tmp_path, tiny_model):
    project = make_project(tmp_path / "p", defaults=defaults_yaml(model=str(tiny_model), dtype="fp32"))
    run_figures(project)
    (project / "settings" / "steps.yml").write_text(STEPS.replace("[2, 3]", "[2, 3]\n  prompt: a blue fox"))

    figures = page_figures(project, "steps")

    assert [slot.status for slot in figures.slots] == ["stale", "stale"]
    assert figures.slots[0].stale_reason == "changed: prompt"
    markdown = page(project, "steps")
    assert '<img src="../../figures/steps/num_inference_steps-3.webp"' in markdown
    assert markdown.count('<strong class="sg-stale">Out of date:</strong> changed: prompt') == 2


def test_images_made_for_another_model_show_as_stale(tmp_path, tiny_model):
    # The run used --model; the pages plan the configured Hub model, so they must not call these fresh.
    project = make_project(tmp_path / "p")
    run_figures(project, model=tiny_model)
    figures = page_figures(project, "steps")
    reason = 'changed: model, dtype "fp32" → "bf16"'
    assert [(slot.status, slot.stale_reason) for slot in figures.slots] == [("stale", reason)] * 2


def test_pages_build_without_figure_defaults_or_manifest(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "figures" / "defaults.yml").unlink()
    assert [slot.status for slot in page_figures(project, "steps").slots] == ["missing", "missing"]
    (project / "figures" / "manifest.json").write_text(json.dumps({"images": []}))
    assert page(project, "steps").count("<span>Image pending</span>") == 2


def test_large_images_get_smaller_copies_for_srcset(tmp_path, tiny_model):
    project = make_project(tmp_path / "p", defaults=defaults_yaml(model=str(tiny_model), dtype="fp32", size=384))
    assert run_figures(project, "--only", "steps").code == 0

    entry = json.loads((project / "figures" / "manifest.json").read_text("utf-8"))["images"][0]
    assert entry["variants"] == [{"file": entry["file"].replace(".webp", ".320w.webp"), "width": 320, "height": 320}]
    from PIL import Image

    assert Image.open(project / "figures" / entry["variants"][0]["file"]).size == (320, 320)
    markdown = page(project, "steps")
    assert (
        'srcset="../../figures/steps/num_inference_steps-2.320w.webp 320w, '
        '../../figures/steps/num_inference_steps-2.webp 384w"'
    ) in markdown
    # A rerun keeps the copies: they belong to planned images, so tidying leaves them alone.
    assert run_figures(project, "--only", "steps").code == 0
    assert (project / "figures" / entry["variants"][0]["file"]).is_file()
