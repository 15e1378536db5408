"""What AUTOMATIC1111 and ComfyUI call each diffusers scheduler the catalogue compares, for the captions.

Sources: the table of A1111/k-diffusion names in diffusers' docs (api/schedulers/overview), AUTOMATIC1111's
sampler lists (modules/sd_samplers_kdiffusion.py, sd_samplers_timesteps.py) and ComfyUI's ``SAMPLER_NAMES``
(comfy/samplers.py). A name holds for the scheduler as the figure run builds it, from the model's own config:
SDXL base's keeps diffusers' defaults (no Karras sigmas, the default ``dpmsolver++`` algorithm), so
``DPMSolverMultistepScheduler`` is DPM++ 2M there, not DPM++ 2M Karras or DPM++ 2M SDE. The Scheduler
page (settings/scheduler.yml) names each of them in its choices; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerNames:
    automatic1111: str  # its "Sampling method"
    comfyui: str  # the KSampler node's sampler_name
    parameters: bool = True  # AUTOMATIC1111's generation parameters may name it: it runs the same method there


SAMPLERS = {
    "EulerDiscreteScheduler": SamplerNames("Euler", "euler"),
    "EulerAncestralDiscreteScheduler": SamplerNames("Euler a", "euler_ancestral"),
    "DPMSolverMultistepScheduler": SamplerNames("DPM++ 2M", "dpmpp_2m"),
    "DDIMScheduler": SamplerNames("DDIM", "ddim"),
    # The same method with other defaults (order 3 in both tools, variant bh1 in AUTOMATIC1111; diffusers'
    # class runs order 2, bh2): a name, not the same setting.
    "UniPCMultistepScheduler": SamplerNames("UniPC", "uni_pc_bh2", parameters=False),
    # Flow-matching models (SD3, FLUX): both tools run their plain Euler and Heun samplers on the model's own
    # flow schedule; AUTOMATIC1111's parameters here cover SDXL only.
    "FlowMatchEulerDiscreteScheduler": SamplerNames("Euler", "euler", parameters=False),
    "FlowMatchHeunDiscreteScheduler": SamplerNames("Heun", "heun", parameters=False),
}


# The sigma spacings diffusers' schedulers take as config flags, and what AUTOMATIC1111's "Schedule type" menu
# (modules/sd_schedulers.py) and ComfyUI's KSampler `scheduler` (comfy/samplers.py SCHEDULER_NAMES) call them.
SCHEDULE_TYPES = {
    "use_karras_sigmas": SamplerNames("Karras", "karras"),
    "use_exponential_sigmas": SamplerNames("Exponential", "exponential"),
    "use_beta_sigmas": SamplerNames("Beta", "beta"),
}


def also_called(parameter, value) -> str | None:
    """What the tools call a compared scheduler, e.g. ``AUTOMATIC1111: Euler a · ComfyUI: euler_ancestral``,
    or a compared schedule type (one of the sigma flags switched on), e.g. ``AUTOMATIC1111: Karras · ...``."""
    names = SAMPLERS.get(value) if parameter == "scheduler" and isinstance(value, str) else None
    if names is None:
        names = _schedule_type(parameter, value)
    return f"AUTOMATIC1111: {names.automatic1111} · ComfyUI: {names.comfyui}" if names else None


def _schedule_type(parameter, value) -> SamplerNames | None:
    """The schedule type a value of sigma flags (``scheduler.use_karras_sigmas+...``) switches on, if one."""
    names = parameter if isinstance(parameter, list) else str(parameter).split("+")
    fields = [name.removeprefix("scheduler.") for name in names]
    flags = value if isinstance(value, list) and len(value) == len(fields) else [value]
    on = [field for field, flag in zip(fields, flags, strict=False) if flag is True]
    return SCHEDULE_TYPES.get(on[0]) if len(on) == 1 else None
