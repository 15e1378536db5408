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

# The Scheduler page's mapping (settings/scheduler.yml: "AUTOMATIC1111's **Euler**", ...); a test
# keeps the two in step. Its other classes have no AUTOMATIC1111 sampler the page vouches for.
SAMPLERS = {
    "EulerDiscreteScheduler": "Euler",
    "EulerAncestralDiscreteScheduler": "Euler a",
    "DPMSolverMultistepScheduler": "DPM++ 2M",
    "DDIMScheduler": "DDIM",
}


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
CLIP_TOKENS = 75  # AUTOMATIC1111 splits longer prompts into chunks where diffusers cuts them off


@dataclass(frozen=True)
class Infotext:
    """AUTOMATIC1111's parameters for one image, or why there are none (plain text: pages show it as is)."""

    text: str | None
    reasons: tuple[str, ...] = ()


def automatic1111_parameters(entry: dict) -> Infotext:
    """The generation parameters AUTOMATIC1111 writes into a PNG made with the same settings."""
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
        reasons.append(f"{scheduler} has no AUTOMATIC1111 sampler on the Scheduler page")
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

    parameters = {
        "Steps": call["num_inference_steps"],
        "Sampler": sampler,
        # The plain spacing of the model's noise levels: the runner never switches on Karras sigmas.
        "Schedule type": "Uniform" if sampler != "DDIM" else "Automatic",
        "CFG scale": call["guidance_scale"],
        "Seed": entry["seed"],
        "Size": f"{entry['width']}x{entry['height']}",
        "Model": checkpoint.name,
        "Denoising strength": call.get("strength"),
        "Clip skip": None,  # only written above 1; on SDXL it has no counterpart (see WHY_NOT)
        "RNG": "CPU",  # the figures draw their noise with torch's CPU generator, as AUTOMATIC1111's CPU option does
    }
    pairs = ", ".join(f"{key}: {_quote(value)}" for key, value in parameters.items() if value is not None)
    negative = f"\nNegative prompt: {_escape(prompts[1])}" if prompts[1] else ""
    return Infotext(f"{_escape(prompts[0])}{negative}\n{pairs}".strip())


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
