"""A manifest entry -> AUTOMATIC1111's generation parameters, only where every setting has a counterpart.

The text follows ``create_infotext`` in AUTOMATIC1111's modules/processing.py: the prompt, a
``Negative prompt:`` line when there is one, then ``Key: value`` pairs in its order (Steps,
Sampler, Schedule type, CFG scale, Seed, Size, Model, Denoising strength, Clip skip, RNG), each
value quoted as its ``infotext_utils.quote`` does. Where a setting has no counterpart there,
the image gets the reasons instead of a guess. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ... import kinds
from .reproduce import Recorded
from .samplers import SAMPLERS as NAMES

# The samplers AUTOMATIC1111 runs the same method for (pages/figures/samplers.py); its other classes have none.
SAMPLERS = {scheduler: names.automatic1111 for scheduler, names in NAMES.items() if names.parameters}


@dataclass(frozen=True)
class Checkpoint:
    """A Hub model AUTOMATIC1111 can load: the single file its repository holds, and its scheduler."""

    name: str  # AUTOMATIC1111's "Model": the file's name without its extension
    scheduler: str  # the class its diffusers folder loads, used when the run swapped in none


CHECKPOINTS = {
    "stabilityai/stable-diffusion-xl-base-1.0": Checkpoint("sd_xl_base_1.0", "EulerDiscreteScheduler"),
}
# SDXL text-to-image and image-to-image: the pipelines whose call AUTOMATIC1111's txt2img and img2img mirror.
PIPELINES = {"StableDiffusionXLPipeline": "txt2img", "StableDiffusionXLImg2ImgPipeline": "img2img"}
MAPPED = {"prompt", "negative_prompt", "num_inference_steps", "guidance_scale", "width", "height", "strength"}
RUNNER_ONLY = {"output_type", "image"}
WHY_NOT = {
    "clip_skip": "AUTOMATIC1111's Clip skip leaves SDXL's text encoders alone (see the Clip Skip page)",
    "eta": "AUTOMATIC1111 sets eta as a server option (Eta DDIM), not in these parameters",
    "guidance_rescale": "AUTOMATIC1111 has no guidance rescale of its own",
    "denoising_end": "AUTOMATIC1111's refiner switch hands over to a second model; this image stops the first one early",
}
# AUTOMATIC1111 chooses the precision when it starts, so an image's parameters never carry it.
PRECISION_NOTE = (
    "AUTOMATIC1111 sets precision on its command line (--no-half, --no-half-vae), not in the generation parameters."
)
CLIP_TOKENS = 75  # AUTOMATIC1111 splits longer prompts into chunks where diffusers cuts them off


@dataclass(frozen=True)
class Infotext:
    """AUTOMATIC1111's parameters for one image, or why there are none (plain text: pages show it as is)."""

    text: str | None
    reasons: tuple[str, ...] = ()


# The schedule types (modules/sd_schedulers.py) that space noise levels as a diffusers scheduler config does:
# the model's own (leading) spacing is Uniform, trailing is SGM Uniform, and the sigma flags name their own.
SCHEDULE_TYPES = {
    (): "Uniform",
    (("timestep_spacing", "leading"),): "Uniform",
    (("timestep_spacing", "trailing"),): "SGM Uniform",
    (("use_karras_sigmas", True),): "Karras",
    (("use_exponential_sigmas", True),): "Exponential",
    (("use_beta_sigmas", True),): "Beta",
}


def schedule_type(config: dict) -> str | None:
    """AUTOMATIC1111's Schedule type for the scheduler config fields an image changed; None when none matches."""
    changed = tuple(sorted((name, value) for name, value in config.items() if value is not False))
    return SCHEDULE_TYPES.get(changed)


def automatic1111_parameters(entry: dict, tags: tuple[str, ...] = ()) -> Infotext:
    """The generation parameters AUTOMATIC1111 writes into a PNG made with the same settings.

    ``tags``: what the prompt carries for the comparison's kind, e.g. a LoRA's ``<lora:NAME:WEIGHT>``.
    """
    call, reasons = entry["call"], []
    pipeline = entry.get("pipeline")
    checkpoint = CHECKPOINTS.get(entry.get("model"))
    if pipeline not in PIPELINES:
        reasons.append(f"AUTOMATIC1111 has no counterpart of diffusers' {pipeline}")
    if checkpoint is None or str(entry.get("revision", "")).startswith("local:"):
        reasons.append(f"{entry.get('model')} is not a checkpoint file AUTOMATIC1111 loads")
    for name in call:
        if name not in MAPPED | RUNNER_ONLY:
            reasons.append(f"{name}: " + WHY_NOT.get(name, "AUTOMATIC1111 has no such setting"))
    scheduler = entry.get("scheduler") or (checkpoint.scheduler if checkpoint else None)
    sampler = SAMPLERS.get(scheduler)
    if scheduler and sampler is None:
        reasons.append(f"{scheduler} has no AUTOMATIC1111 sampler that runs it with the same defaults")
    for name in ("num_inference_steps", "guidance_scale") + (
        ("strength",) if PIPELINES.get(pipeline) == "img2img" else ()
    ):
        if name not in call:
            reasons.append(f"{name} was left to the pipeline's default, which the manifest does not record")
    prompts = [call.get("prompt"), call.get("negative_prompt") or ""]
    for text in prompts:
        problem = _prompt_problem(text)
        if problem:
            reasons.append(problem)
    if reasons:
        return Infotext(None, tuple(reasons))

    schedule = schedule_type(entry.get("scheduler_config") or {})
    if schedule is None:
        reasons.append(f"the scheduler config {entry.get('scheduler_config')} has no AUTOMATIC1111 schedule type")
        return Infotext(None, tuple(reasons))
    parameters = {
        "Steps": call["num_inference_steps"],
        "Sampler": sampler,
        "Schedule type": schedule if sampler != "DDIM" else "Automatic",
        # diffusers runs no classifier-free guidance at 1 or below; AUTOMATIC1111's CFG scale 1 is that, while its
        # 0 would drop the prompt's prediction altogether.
        "CFG scale": max(1, call["guidance_scale"]),
        "Seed": entry["seed"],
        "Size": f"{entry['width']}x{entry['height']}",
        "Model": checkpoint.name,
        "Denoising strength": call.get("strength"),
        "Clip skip": None,  # only written above 1; on SDXL it has no counterpart (see WHY_NOT)
        "RNG": "CPU",  # the figures draw their noise with torch's CPU generator, as AUTOMATIC1111's CPU option does
    }
    pairs = ", ".join(f"{key}: {_quote(value)}" for key, value in parameters.items() if value is not None)
    negative = f"\nNegative prompt: {_escape(prompts[1])}" if prompts[1] else ""
    prompt = " ".join([_escape(prompts[0]), *tags])  # a tag is read wherever it stands; the end is where it is added
    return Infotext(f"{prompt}{negative}\n{pairs}".strip())


def image_parameters(image: Recorded) -> tuple[str | None, tuple[str, ...], str | None]:
    """An image's parameters, why there are none, and what they leave to AUTOMATIC1111's command line (a
    compared precision), as the page shows them. Each kind the image uses must say itself there (a LoRA as its
    prompt tag); the others' counterparts (Hires. fix, Refiner, extensions) run other code, so their images get
    no parameters at all."""
    names = dict.fromkeys([*kinds.named_in_entry(image.record), *kinds.named_in_entry(image.entry)])
    tags, reasons = [], []
    for kind in map(kinds.get, names):
        tag = kind.automatic1111_tag(image.record) if kind is not None and kind.automatic1111_tag else None
        if tag is None:
            reasons.append(f"its {kind.label if kind else 'comparison'} is not written into them")
        else:
            tags.append(tag)
    if reasons:
        return None, tuple(reasons), None
    infotext = automatic1111_parameters(image.record, tuple(tags))
    compared = set(str(image.entry.get("parameter") or "").split("+"))
    note = PRECISION_NOTE if infotext.text and compared & kinds.precision_parameters() else None
    return infotext.text, infotext.reasons, note


def _prompt_problem(text) -> str | None:
    if not isinstance(text, str):
        return "the prompt is not one text"
    if "\n" in text or "\r" in text:
        return "AUTOMATIC1111's parameters keep a prompt on one line; this one has line breaks"
    if re.search(r"\b(AND|BREAK)\b", text) or re.search(r"<[^<>]*:[^<>]*>", text):
        return "the prompt holds words AUTOMATIC1111 reads as instructions (AND, BREAK, <name:...>)"
    if len(re.findall(r"\w+|[^\w\s]", text)) > CLIP_TOKENS:
        return f"the prompt is longer than CLIP's {CLIP_TOKENS} tokens, which the two tools handle differently"
    return None


def _escape(prompt: str) -> str:
    # Brackets are AUTOMATIC1111's emphasis syntax; a backslash makes them plain characters.
    return re.sub(r"([\\()\[\]])", r"\\\1", prompt)


def _quote(value) -> str:
    """A value as ``infotext_utils.quote`` writes it; whole-number floats as the UI's sliders give them."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ",\n:") else text
