"""Tiny random-weight stand-ins for the adapters and second-stage models of the SDXL comparisons
(refiner, a style LoRA and a step-distillation LoRA, ControlNet, IP-Adapter, fp16-safe VAE), laid out in an offline Hugging Face cache
the way the Hub lays out the real repositories, so diffusers loads them by Hub id and revision.

Every one fits the tiny SDXL of ``tiny_models``: its 4-channel latents, its UNet's 64-wide cross
attention, its 32-wide CLIP. Weights that the real training would have moved away from zero
(LoRA ``lora_B``, ControlNet's zero convolutions) are random here, so each adapter visibly changes
the image. Use with ``HF_HUB_CACHE=<cache>`` and ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .tiny_models import _clip_config, _sd_vae, clip_tokenizer, sdxl_unet, snapshot_folder, tiny_sdxl

# Each adapter: its Hub id and the commit the setting files pin (commits public code loads them at).
ADAPTER_REPOS = {
    "sdxl-refiner": ("stabilityai/stable-diffusion-xl-refiner-1.0", "5d4cfe854c9a9a87939ff3653551c2b3c99a4356"),
    "lora": ("nerijs/pixel-art-xl", "8bf4a4d9ea283e00a51fafda8e0539f8248ea037"),
    "controlnet": ("diffusers/controlnet-canny-sdxl-1.0", "eb115a19a10d14909256db740ed109532ab1483c"),
    "ip-adapter": ("h94/IP-Adapter", "018e402774aeeddd60609b4ecdb7e298259dc729"),
    "vae-fp16-fix": ("madebyollin/sdxl-vae-fp16-fix", "207b116dae70ace3637169f1ddd2434b91b3a8cd"),
    "lightning-lora": ("ByteDance/SDXL-Lightning", "c9a24f48e1c025556787b0c58dd67a091ece2e44"),
}

LORA_WEIGHT = "pixel-art-xl.safetensors"
LIGHTNING_LORA_WEIGHT = "sdxl_lightning_8step_lora.safetensors"
IP_ADAPTER_SUBFOLDER = "sdxl_models"
IP_ADAPTER_WEIGHT = "ip-adapter_sdxl.safetensors"

# How far overflowing_vae() scales one decoder convolution: its outputs, of order 1, pass fp16's
# largest finite value (65504) while staying far inside fp32's and bf16's range (about 3e38).
OVERFLOW_FACTOR = 1e6


def write_snapshot(cache: Path, repo: str, commit: str, save) -> Path:
    """``save(folder)`` writes ``repo`` at ``commit``: into a folder beside the snapshot, then moved in."""
    folder = snapshot_folder(cache, repo, commit)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    save(partial)
    partial.rename(folder)
    return folder


def build_adapter_cache(cache: Path, names=tuple(ADAPTER_REPOS)) -> Path:
    """Every named adapter, tiny, at its commit in ``ADAPTER_REPOS``; existing snapshots are kept."""
    writers = {
        "sdxl-refiner": lambda folder: tiny_refiner().save_pretrained(folder),
        "lora": lambda folder: save_tiny_lora(folder, LORA_WEIGHT),
        "controlnet": lambda folder: tiny_controlnet().save_pretrained(folder),
        "ip-adapter": save_tiny_ip_adapter,
        "vae-fp16-fix": lambda folder: tiny_fp16_fix_vae().save_pretrained(folder),
        "lightning-lora": lambda folder: save_tiny_lora(folder, LIGHTNING_LORA_WEIGHT, seed=6),
    }
    for name in names:
        repo, commit = ADAPTER_REPOS[name]
        if not snapshot_folder(cache, repo, commit).is_dir():
            write_snapshot(cache, repo, commit, writers[name])
    return cache


# --- refiner -----------------------------------------------------------------------------------


def tiny_refiner():
    """StableDiffusionXLImg2ImgPipeline like SDXL's refiner: the second CLIP only, an aesthetic score.

    Its UNet's added conditioning is 5 numbers (original size, crop, aesthetic score) instead of the
    base's 6 (target size in place of the score), and it attends to the 32-wide second encoder alone.
    Scheduler and VAE match ``tiny_sdxl``, so it refines the base's latents directly.
    """
    import torch
    from diffusers import StableDiffusionXLImg2ImgPipeline
    from transformers import CLIPTextModelWithProjection

    base = tiny_sdxl()
    torch.manual_seed(1)
    unet = sdxl_unet(size_numbers=5, cross_attention_dim=32)  # one text encoder, 32 wide
    torch.manual_seed(1)
    text_encoder_2 = CLIPTextModelWithProjection(_clip_config(projection_dim=32))
    # The real refiner's model_index.json: aesthetic score on, no zeroed embeddings for an empty negative prompt.
    return StableDiffusionXLImg2ImgPipeline(
        vae=base.vae,
        text_encoder=None,
        text_encoder_2=text_encoder_2,
        tokenizer=None,
        tokenizer_2=clip_tokenizer(),
        unet=unet,
        scheduler=base.scheduler,
        requires_aesthetics_score=True,
        force_zeros_for_empty_prompt=False,
    )


# --- LoRA --------------------------------------------------------------------------------------


def save_tiny_lora(folder: Path, weight_name: str, seed: int = 2) -> None:
    """A rank-4 LoRA on the tiny SDXL UNet's attention projections, saved as ``weight_name``; ``seed`` draws
    its weights, so two LoRAs (a style's, a step-distillation's) change the image differently."""
    import torch
    from diffusers import StableDiffusionXLPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = tiny_sdxl().unet
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    torch.manual_seed(seed)
    with torch.no_grad():  # peft starts lora_B at zero (no change); a trained LoRA's is not
        for name, parameter in unet.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)
    StableDiffusionXLPipeline.save_lora_weights(
        folder, unet_lora_layers=get_peft_model_state_dict(unet), weight_name=weight_name
    )


# --- ControlNet --------------------------------------------------------------------------------


def tiny_controlnet():
    """ControlNetModel copied from the tiny SDXL UNet, its zero convolutions made random."""
    import torch
    from diffusers import ControlNetModel

    # Two conditioning blocks: the control image shrinks by 2 per side, as the tiny VAE's latents do.
    controlnet = ControlNetModel.from_unet(tiny_sdxl().unet, conditioning_embedding_out_channels=(16, 32))
    torch.manual_seed(3)
    # from_unet starts the output convolutions at zero, so an untrained ControlNet changes nothing.
    zeroed = [controlnet.controlnet_cond_embedding.conv_out, *controlnet.controlnet_down_blocks]
    with torch.no_grad():
        for conv in [*zeroed, controlnet.controlnet_mid_block]:
            conv.weight.normal_(std=0.1)
            conv.bias.normal_(std=0.1)
    return controlnet


# --- IP-Adapter --------------------------------------------------------------------------------


def tiny_image_encoder():
    """CLIPVisionModelWithProjection for 32 x 32 images in 8 x 8 patches, projecting to 32."""
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(4)
    config = CLIPVisionConfig(
        hidden_size=32,
        projection_dim=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        intermediate_size=37,
        patch_size=8,
    )
    return CLIPVisionModelWithProjection(config)


def save_tiny_ip_adapter(folder: Path) -> None:
    """``sdxl_models/ip-adapter_sdxl.safetensors`` and ``sdxl_models/image_encoder/``, as in h94/IP-Adapter.

    The weights are in the original IP-Adapter layout that ``load_ip_adapter`` converts: ``image_proj``
    maps the image embedding to 4 tokens of the UNet's cross-attention width; ``ip_adapter.{n}`` holds
    the image keys and values of the n-th attention processor, counting self-attention (even n) and
    cross-attention (odd n) alike, so the cross-attention ones are 1, 3, 5, ...
    """
    import torch
    from safetensors.torch import save_file

    unet = tiny_sdxl().unet
    encoder = tiny_image_encoder()
    width, embedding = unet.config.cross_attention_dim, encoder.config.projection_dim
    tokens = 4
    generator = torch.Generator().manual_seed(5)

    def random(*shape):
        return torch.randn(*shape, generator=generator) * 0.3

    weights = {
        "image_proj.proj.weight": random(tokens * width, embedding),
        "image_proj.proj.bias": random(tokens * width),
        "image_proj.norm.weight": torch.ones(width),
        "image_proj.norm.bias": torch.zeros(width),
    }
    cross_attention = [name for name in unet.attn_processors if name.endswith("attn2.processor")]
    for i, name in enumerate(cross_attention):
        hidden = _block_width(unet, name)
        weights[f"ip_adapter.{2 * i + 1}.to_k_ip.weight"] = random(hidden, width)
        weights[f"ip_adapter.{2 * i + 1}.to_v_ip.weight"] = random(hidden, width)
    sub = folder / IP_ADAPTER_SUBFOLDER
    sub.mkdir(parents=True)
    save_file(weights, sub / IP_ADAPTER_WEIGHT)
    encoder.save_pretrained(sub / "image_encoder")


def _block_width(unet, processor: str) -> int:
    """The channel width at an attention processor, as diffusers' IP-Adapter conversion works it out."""
    channels = unet.config.block_out_channels
    if processor.startswith("mid_block"):
        return channels[-1]
    block = int(processor.split(".")[1])
    return list(reversed(channels))[block] if processor.startswith("up_blocks") else channels[block]


# --- VAE precision -----------------------------------------------------------------------------


def overflowing_vae(force_upcast: bool = True):
    """The tiny SDXL VAE made to overflow in fp16 the way SDXL's own VAE does, and only in fp16.

    One decoder convolution's weights and bias are multiplied by ``OVERFLOW_FACTOR``. Its output goes
    straight into a GroupNorm, which divides the factor out again: fp32 and bf16 decode as before
    (bf16 keeps fp32's range), while in fp16 that intermediate passes 65504, becomes inf, and the
    GroupNorm turns it into NaN pixels. ``force_upcast=True`` is what the real SDXL VAE's config says:
    diffusers' SDXL pipelines then decode an fp16 VAE in fp32 and nothing overflows; pass False (or
    ``vae.register_to_config(force_upcast=False)``) to see the NaN/black image.
    """
    import torch

    torch.manual_seed(0)  # the same weights as tiny_sdxl's VAE
    vae = _sd_vae()
    conv = vae.decoder.mid_block.resnets[0].conv1  # followed by norm2, a GroupNorm
    with torch.no_grad():
        conv.weight.mul_(OVERFLOW_FACTOR)
        conv.bias.mul_(OVERFLOW_FACTOR)
    vae.register_to_config(force_upcast=force_upcast)
    return vae


def tiny_fp16_fix_vae():
    """The tiny SDXL VAE without the overflow (finite in fp16), with ``force_upcast=False`` like
    sdxl-vae-fp16-fix's config, and a slightly shifted output: the real one was fine-tuned, so its
    pictures differ a little from the stock VAE's (and a comparison of the two is not pixel-identical)."""
    import torch

    torch.manual_seed(0)
    vae = _sd_vae()
    with torch.no_grad():
        vae.decoder.conv_out.bias.add_(0.01)
    vae.register_to_config(force_upcast=False)
    return vae


if __name__ == "__main__":  # python -m tests.figures.tiny_adapters DIR: add the adapters to a tiny cache
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.figures.tiny_adapters CACHE_DIR")
    folder = build_adapter_cache(Path(sys.argv[1]).resolve())
    print(f"tiny stand-ins of {', '.join(ADAPTER_REPOS)} in {folder}")
