"""Inpainting: the shared input image repainted inside a mask the run draws from its size (a centred ellipse),
the mask blurred by the compared ``mask_blur`` and the result pasted back over the input through that mask.

Why the paste: diffusers' inpainting pipelines binarize the mask they are given (``do_binarize=True``), so a
blur only moves its edge a little; the soft edge readers know from AUTOMATIC1111 comes from compositing the
result over the original through the blurred mask, which A1111 does (as is in its "Only masked" mode; its
"Whole picture" mode doubles the blurred mask first) and diffusers does with
``image_processor.apply_overlay`` (its pipelines call it themselves only with ``padding_mask_crop``).
"""

from __future__ import annotations

from dataclasses import replace

from . import Kind, register, value_items

NAME = "inpainting"
PARAMETER = "mask_blur"  # Gaussian blur radius in pixels, as diffusers' mask_processor.blur and A1111's Mask blur
MASK = "mask"  # the applied value naming the mask's shape (and the suffix of its file beside the input image)
SHAPE = "ellipse"
# The ellipse's box as fractions of the image: the middle of the picture, where the shared prompt puts its subject.
BOX = (0.25, 0.2, 0.75, 0.9)
MAX_BLUR = 256
PADDING = "padding_mask_crop"  # "Only masked": the crop around the mask, in pixels of padding (a call argument)


def check(comparison):
    if "seed" in comparison.names:
        yield ("comparison", "parameter"), "inpainting makes one image per call; compare the seed on another page"
    fixed = comparison.recipe.mask_blur
    if PARAMETER not in comparison.names:
        if fixed is None:
            yield (
                ("comparison", "recipe"),
                f"inpainting needs its mask's blur: compare `{PARAMETER}`, or set `{PARAMETER}:` here (e.g. 4)",
            )
        return
    if fixed is not None:
        yield ("comparison", "recipe", PARAMETER), f"`{PARAMETER}` is the value being compared; remove it here"
    for value_loc, value in value_items(comparison, comparison.names.index(PARAMETER)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_BLUR:
            yield value_loc, f"a mask blur is a radius in pixels from 0 to {MAX_BLUR}, got {value!r}"


def stage(spec, staging):
    # Repaints the shared input image; the mask is drawn from that image's size when the image is made.
    applied = {**spec.applied, MASK: SHAPE}
    fixed = staging.comparison.recipe.mask_blur
    if fixed is not None:  # the same blur for every image (a comparison of the padding or the strength)
        applied[PARAMETER] = fixed
    arguments = spec.arguments
    scale = staging.size_scale(spec.profile)
    if scale != 1:
        # The blur and the padding are pixels of the picture: with --size shrinking it, the same share of it
        # (else a 4-px blur covers a 32-px test image and every crop is the whole picture).
        if PARAMETER in applied:
            applied[PARAMETER] = round(applied[PARAMETER] * scale, 3)
        if arguments.get(PADDING) is not None:
            arguments = {**arguments, PADDING: max(0, round(arguments[PADDING] * scale))}
    return replace(
        spec,
        task=staging.IMAGE_TO_IMAGE,
        recipe=NAME,
        input=staging.input_image(),
        applied=applied,
        arguments=arguments,
    )


def pipeline_class(cls, run):
    """The inpainting variant of a text-to-image pipeline class (SDXL's, FLUX's, ...); None where diffusers has none."""
    family = run.family_of(cls)
    return run.diffusers.pipelines.auto_pipeline.AUTO_INPAINT_PIPELINES_MAPPING.get(family) if family else None


def mask_box(width: int, height: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = BOX
    return round(left * width), round(top * height), round(right * width), round(bottom * height)


def mask_image(width: int, height: int, run):
    """The mask: white (repainted) inside the ellipse, black (kept) outside."""
    mask = run.Image.new("L", (width, height), 0)
    run.ImageDraw.Draw(mask).ellipse(mask_box(width, height), fill=255)
    return mask


def blurred(mask, radius, run):
    return run.diffusers.image_processor.VaeImageProcessor.blur(mask, blur_factor=radius)


def prepare(job, call, run):
    image = run.open_rgb(call.source)
    mask = mask_image(*image.size, run)
    # Kept beside its input image, so the page can show what was repainted.
    run.keep_png(mask, run.layout.control_file(job.input_job.file, MASK))
    call.arguments["image"] = image
    call.arguments["mask_image"] = blurred(mask, job.spec.applied[PARAMETER], run)


def call(pipe, job, call_inputs, run):
    """The pipeline's image pasted back over the input image through the blurred mask (see the module's note)."""
    arguments = call_inputs.arguments
    if arguments.get(PADDING) is not None:
        # "Only masked": the pipeline crops around the mask, inpaints the crop and pastes it back itself, on
        # Pillow images only (its apply_overlay takes no arrays).
        (pixels, seconds, flagged), *_ = run.call_pipeline(pipe, {**arguments, "output_type": "pil"}, [job.spec.seed])
        return [(pixels / 255.0, seconds, flagged)], [[job.spec.seed]], {}
    (pixels, seconds, flagged), *_ = run.call_pipeline(pipe, arguments, [job.spec.seed])
    if run.np.isfinite(pixels).all():  # a broken image is left as it came, for the run's checks to name
        made = pipe.image_processor.numpy_to_pil(pixels[None])[0]
        pasted = pipe.image_processor.apply_overlay(arguments["mask_image"], arguments["image"], made)
        pixels = run.np.asarray(pasted, dtype=run.np.float32) / 255.0
    return [(pixels, seconds, flagged)], [[job.spec.seed]], {}


def record(job, entry, run):
    entry["mask_image"] = {
        "file": run.layout.control_file(job.input_job.file, MASK),
        "width": job.input_job.spec.width,
        "height": job.input_job.spec.height,
    }


def notes(comparison, first):
    fixed = comparison.recipe.mask_blur
    blur = (
        "by the radius in its caption" if fixed is None else f"by {fixed} px"
    ) + " (diffusers' mask_processor.blur, a Gaussian blur in pixels)"
    cropped = PADDING in comparison.names or comparison.arguments.get(PADDING) is not None
    if cropped:
        pasted = (
            "The pipeline crops the picture around the mask with the padding_mask_crop in its caption, inpaints "
            "the crop at the full image size and pastes it back through the mask itself (AUTOMATIC1111's Only "
            "masked)."
        )
    else:
        pasted = (
            "The result is pasted back over the input image through it (image_processor.apply_overlay), as "
            "AUTOMATIC1111 does in its Only masked mode."
        )
    return [
        f"Each image repaints the white ellipse of the mask below in the shared input image. The mask is blurred {blur}. {pasted}"
    ]


def sources(first, entry_of):
    mask = first.get("mask_image")
    return [("The mask: white is repainted, black is kept", mask)] if isinstance(mask, dict) else []


def code_imports(entry):
    return ["from PIL import Image, ImageDraw"]


def code_input(entry, image: str):
    box = mask_box(entry["width"], entry["height"])
    return [
        f'mask_image = Image.new("L", {image}.size, 0)',
        f"ImageDraw.Draw(mask_image).ellipse({box!r}, fill=255)  # white: repainted",
    ]


def code_apply(entry):
    radius = entry["inputs"]["applied"][PARAMETER]
    return [f"mask = pipe.mask_processor.blur(mask_image, blur_factor={radius!r})"]


def code_call_arguments(entry):
    return ["    mask_image=mask,"]


def code_after_call(entry, image: str):
    if entry["call"].get(PADDING) is not None:
        return []  # the pipeline pasted its crop back itself
    return [f"image = pipe.image_processor.apply_overlay(mask, {image}, image)  # pasted back through the mask"]


KIND = register(
    Kind(
        name=NAME,
        field="recipe",
        label="inpainting",
        description="the shared input image repainted inside a centred ellipse, its mask blurred by the compared "
        "`mask_blur` and the result pasted back through it",
        parameters=(PARAMETER,),
        fields=(PARAMETER,),
        check=check,
        stage=stage,
        pipeline_class=pipeline_class,
        prepare=prepare,
        call=call,
        record=record,
        notes=notes,
        sources=sources,
        code_imports=code_imports,
        code_input=code_input,
        code_apply=code_apply,
        code_call_arguments=code_call_arguments,
        code_after_call=code_after_call,
    )
)
