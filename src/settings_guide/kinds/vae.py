"""VAE and precision: a replacement VAE chosen per image by the compared value ``vae``, beside the model's own
VAE with and without diffusers' fp32 upcast (what a tool without the upcast runs)."""

from __future__ import annotations

from ..python_code import TORCH_DTYPE_CODE, python_literal
from . import DIFFUSERS_MODEL_FILES, Kind, adapter_note, register, value_items

NAME = "vae"
PARAMETER = "vae"  # the compared value that picks the VAE of each image
# `vae` values besides an adapter's name: the model's own VAE as diffusers runs it (SDXL's decodes in fp32
# when the run is in fp16), and the same VAE kept in the run's dtype, as a tool without that upcast runs it.
STOCK_VAE, NO_UPCAST_VAE = "stock", "stock-no-upcast"
STOCK_VAES = (STOCK_VAE, NO_UPCAST_VAE)
OWN_UPCAST = "own_upcast"  # what the Reproduce set-up keeps the model's own `force_upcast` under


def check(comparison):
    adapter = comparison.adapter
    if PARAMETER not in comparison.names:
        yield ("comparison", "parameter"), "a VAE adapter is chosen per image: compare `vae` (e.g. [dtype, vae])"
        return
    allowed = (*STOCK_VAES, adapter.name)
    for value_loc, value in value_items(comparison, comparison.names.index(PARAMETER)):
        if value not in allowed:
            yield (
                value_loc,
                f"a `vae` value is {STOCK_VAE!r} (the model's own), {NO_UPCAST_VAE!r} (the same without diffusers' "
                f"fp32 decode) or {adapter.name!r}, got {value!r}",
            )


def uses_adapter(spec, adapter) -> bool:
    return spec.applied.get(PARAMETER) == adapter.name  # the other values keep the model's own VAE


def hub_files(adapter):
    return DIFFUSERS_MODEL_FILES


def load(pipe, adapter, dtype, run):
    vae = run.diffusers.AutoencoderKL.from_pretrained(
        adapter.model, revision=adapter.revision, use_safetensors=True, **{run.DTYPE_KEYWORD: dtype}
    )
    pipe.register_modules(vae=vae)
    return pipe


def apply(pipe, applied, adapter, run):
    """The stock VAE decoding without the fp32 upcast diffusers gives it, for one call; returns the undo."""
    vae = pipe.vae if hasattr(pipe, "vae") else None
    upcast = getattr(getattr(vae, "config", None), "force_upcast", None)
    if applied.get(PARAMETER) != NO_UPCAST_VAE or upcast is None:
        return None
    vae.register_to_config(force_upcast=False)  # what a tool without the upcast does: the overflow shows
    return lambda: vae.register_to_config(force_upcast=upcast)


def which(value: str | None, dtype: str) -> str:
    """The VAE a precision image decoded with, in words (for the slot of an image that came out NaN or black)."""
    return {
        None: "the model's own VAE",
        STOCK_VAE: "the model's own VAE",
        NO_UPCAST_VAE: f"the model's own VAE decoding in {dtype} (diffusers' fp32 upcast switched off)",
    }.get(value, f"the {value} VAE")


def notes(comparison, first):
    return [adapter_note(KIND.label, comparison.adapter)]


def code_classes(entry):
    return ["AutoencoderKL"] if entry["inputs"].get("adapter") else []


def code_after_load(entry):
    adapter = entry["inputs"].get("adapter")
    if not adapter:
        # The model's own VAE: kept, so that each image's lines set its upcast again (in any order).
        return [f"{OWN_UPCAST} = pipe.vae.config.force_upcast  # the model's own setting"] if _own_vae(entry) else []
    model, revision = python_literal(adapter["model"]), python_literal(adapter["revision"])
    return [
        f"pipe.register_modules(vae=AutoencoderKL.from_pretrained({model}, revision={revision}, "
        f"dtype={TORCH_DTYPE_CODE[entry['dtype']]}))"
    ]


def code_apply(entry):
    """The upcast the run decoded with: switched off for `stock-no-upcast`, the model's own for `stock`."""
    if not _own_vae(entry):
        return []
    off = entry["inputs"]["applied"][PARAMETER] == NO_UPCAST_VAE
    return [f"pipe.vae.register_to_config(force_upcast={'False' if off else OWN_UPCAST})"]


def _own_vae(entry) -> bool:
    return (entry["inputs"].get("applied") or {}).get(PARAMETER) in STOCK_VAES


KIND = register(
    Kind(
        name=NAME,
        field="adapter",
        label="VAE",
        description="a replacement VAE, chosen by the value `vae`",
        parameters=(PARAMETER,),
        named_values=(PARAMETER,),
        precision=True,
        check=check,
        uses_adapter=uses_adapter,
        hub_files=hub_files,
        load=load,
        apply=apply,
        notes=notes,
        code_classes=code_classes,
        code_after_load=code_after_load,
        code_apply=code_apply,
        loads_before_device=True,
    )
)
