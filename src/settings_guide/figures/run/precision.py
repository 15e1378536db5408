"""The labelled result of a precision that broke the image (NaN or black): recorded and shown, not refused."""

from __future__ import annotations

from ...kinds import vae
from ..manifest import SHOWN_FAILURES
from .images import ImageRefused

PRECISION_PARAMETERS = ("dtype", vae.PARAMETER)


def shown_failure(job, refused: ImageRefused) -> str | None:
    """The slot text for a precision that broke the image (NaN or black), or None when it is a real failure."""
    if refused.kind not in SHOWN_FAILURES or not set(str(job.spec.parameter).split("+")) & set(PRECISION_PARAMETERS):
        return None
    outcome = "NaN (not-a-number) pixels, a black image" if refused.kind == "nan" else "an all-black image"
    dtype = job.spec.dtype
    which = vae.which(job.spec.applied.get(vae.PARAMETER), dtype)
    return (
        f"{dtype} with {which} produced {outcome}: a value grew past the largest number {dtype} can hold "
        "(in SDXL's stock VAE this happens in the decoder), so there is no picture to show."
    )
