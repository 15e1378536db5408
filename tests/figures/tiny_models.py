"""Tiny random-weight stand-ins for the catalogue's models, built from configs and laid out as an
offline Hugging Face cache, so ``from_pretrained("owner/name", revision=COMMIT)`` loads them
exactly as it would load a download.

Configs follow diffusers' own test fixtures (``get_dummy_components``): a few thousand weights
per part, 32 x 32 images in a fraction of a second on the CPU. Nothing is downloaded: the CLIP
tokenizer is built from a 54-entry vocabulary, the T5 tokenizer from a 30-piece unigram list. 2026's
families (Z-Image, FLUX.2, Qwen-Image, Krea 2, Chroma) are in tiny_models_2026.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# Each catalogue model with a stand-in: its Hub id and the commit figures/defaults.yml pins, read from that
# file so that the two cannot drift apart (the refiner's stand-in is in tiny_adapters).
DEFAULTS = Path(__file__).resolve().parents[2] / "figures" / "defaults.yml"


def _pinned() -> dict[str, tuple[str, str]]:
    from settings_guide.figures.profiles import load_defaults

    models = load_defaults(DEFAULTS).values.models
    return {name: (models[name].model, models[name].revision) for name in _builders() if name in models}


def _builders() -> dict:
    from .tiny_models_2026 import BUILDERS

    return {
        "sdxl": tiny_sdxl,
        "flux-schnell": tiny_flux,
        "flux-dev": lambda: tiny_flux(guidance_embeds=True),
        "sd35-medium": tiny_sd3,
        "instruct-pix2pix": tiny_pix2pix,
        **BUILDERS,
    }


def snapshot_folder(cache: Path, repo: str, commit: str) -> Path:
    """Where the Hub client keeps ``repo`` at ``commit``; records the commit as ``main`` too."""
    root = cache / ("models--" + repo.replace("/", "--"))
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    return root / "snapshots" / commit


def add_to_cache(cache: Path, repo: str, commit: str, pipe) -> Path:
    """Save ``pipe`` as ``repo`` at ``commit`` in the cache (written beside, then moved in: never half there)."""
    folder = snapshot_folder(cache, repo, commit)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    pipe.save_pretrained(partial)
    partial.rename(folder)
    return folder


def copy_snapshot(cache: Path, repo: str, commit: str, new_commit: str) -> Path:
    """The same weights under another commit, as after a new push to the Hub; ``main`` moves to it."""
    old = snapshot_folder(cache, repo, commit)
    new = snapshot_folder(cache, repo, new_commit)
    shutil.copytree(old, new)
    return new


def build_hub_cache(cache: Path, names=None, adapters: bool = True) -> Path:
    """Every named catalogue model (all by default), tiny, at its pinned commit; with the adapters and refiner
    of tiny_adapters."""
    builders = _builders()
    for name in names or HUB_MODELS:
        repo, commit = HUB_MODELS[name]
        if not snapshot_folder(cache, repo, commit).is_dir():
            add_to_cache(cache, repo, commit, builders[name]())
    if adapters:
        from .tiny_adapters import build_adapter_cache

        build_adapter_cache(cache)
    return cache


# --- tokenizers --------------------------------------------------------------------------------


def clip_tokenizer():
    """A CLIP tokenizer over single letters: every word of a prompt gets its own ids, so prompts differ."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[f"{letter}</w>"] = len(vocab)
    # transformers 5 takes the vocabulary itself (`vocab_file=` would be ignored, leaving every token unknown).
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def t5_tokenizer():
    from transformers import T5TokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(c, -1.0) for c in "▁abcdefghijklmnopqrstuvwxyz"]
    return T5TokenizerFast(vocab=pieces, extra_ids=0)


def _clip_config(**extra):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,  # clip_skip 2 reads the fourth hidden state from the end
        vocab_size=1000,
        hidden_act="gelu",
        **extra,
    )


def _t5_encoder():
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=32128, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, relative_attention_num_buckets=8
    )
    return T5EncoderModel(config)


def _flow_vae(latent_channels: int):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )


def _sd_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        sample_size=128,
    )


# --- pipelines ---------------------------------------------------------------------------------


def tiny_sdxl():
    """StableDiffusionXLPipeline: a UNet with SDXL's size conditioning, two CLIP encoders."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    # 6 size numbers x 8 + the 32-wide pooled text embedding; both CLIPs' 32-wide states side by side.
    unet = sdxl_unet(size_numbers=6, cross_attention_dim=64)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, steps_offset=1, beta_schedule="scaled_linear", timestep_spacing="leading"
    )
    from .tiny_adapters import overflowing_vae

    vae = overflowing_vae()  # overflows in fp16 unless upcast, as SDXL's own VAE does
    torch.manual_seed(0)
    config = _clip_config(projection_dim=32)
    tokenizer = clip_tokenizer()
    return StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(config),
        text_encoder_2=CLIPTextModelWithProjection(config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )


def sdxl_unet(size_numbers: int, cross_attention_dim: int):
    """SDXL's UNet, tiny: ``size_numbers`` conditioning numbers (6 for the base's sizes and crop, 5 for the
    refiner's, whose aesthetic score replaces the target size), each embedded 8 wide, plus the pooled text."""
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=size_numbers * 8 + 32,
        cross_attention_dim=cross_attention_dim,
    )


def tiny_flux(guidance_embeds: bool = False):
    """FluxPipeline: a one-block transformer, CLIP and T5 encoders, a one-channel latent VAE.

    ``guidance_embeds``: FLUX.1 [dev] takes its distilled guidance as an input ([schnell] has none).
    """
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
        guidance_embeds=guidance_embeds,
    )
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(_clip_config(projection_dim=32))
    torch.manual_seed(0)
    return FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=clip_tokenizer(),
        text_encoder_2=_t5_encoder(),
        tokenizer_2=t5_tokenizer(),
        transformer=transformer,
        vae=_flow_vae(latent_channels=1),
    )


def tiny_sd3():
    """StableDiffusion3Pipeline: a ten-block MMDiT (skip-layer guidance needs layers 7 to 9), three encoders."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
    from transformers import CLIPTextModelWithProjection

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(
        sample_size=32,
        patch_size=1,
        in_channels=4,
        num_layers=10,  # SD 3.5's skip-layer guidance skips layers 7, 8 and 9
        attention_head_dim=8,
        num_attention_heads=4,
        caption_projection_dim=32,
        joint_attention_dim=32,
        pooled_projection_dim=64,
        out_channels=4,
    )
    torch.manual_seed(0)
    config = _clip_config(projection_dim=32)
    tokenizer = clip_tokenizer()
    return StableDiffusion3Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=CLIPTextModelWithProjection(config),
        tokenizer=tokenizer,
        text_encoder_2=CLIPTextModelWithProjection(config),
        tokenizer_2=tokenizer,
        text_encoder_3=_t5_encoder(),
        tokenizer_3=t5_tokenizer(),
        transformer=transformer,
        vae=_flow_vae(latent_channels=4),
    )


def _sd_unet(in_channels: int):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )


def _sd_family(pipeline_class, scheduler, unet_in_channels: int = 4):
    """An SD 1.x-style pipeline (UNet, CLIP, VAE) of ``pipeline_class``, with no safety checker."""
    import torch
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = _sd_unet(unet_in_channels)
    torch.manual_seed(0)
    vae = _sd_vae()
    torch.manual_seed(0)
    return pipeline_class(
        unet=unet,
        scheduler=scheduler,
        vae=vae,
        text_encoder=CLIPTextModel(_clip_config()),
        tokenizer=clip_tokenizer(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def tiny_sd():
    """StableDiffusionPipeline with a DDIM scheduler (eta works with it): the tests' local-folder model."""
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return _sd_family(StableDiffusionPipeline, scheduler)


def tiny_pix2pix():
    """StableDiffusionInstructPix2PixPipeline: an SD UNet taking the input image's latents as 4 more channels."""
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    scheduler = EulerAncestralDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    return _sd_family(StableDiffusionInstructPix2PixPipeline, scheduler, unet_in_channels=8)


HUB_MODELS = _pinned()


if __name__ == "__main__":  # python -m tests.figures.tiny_models DIR: a cache to try `make figures` on
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.figures.tiny_models CACHE_DIR")
    folder = build_hub_cache(Path(sys.argv[1]).resolve())
    print(f"tiny stand-ins of {', '.join(HUB_MODELS)}, its adapters and refiner in {folder}; use them with")
    print(f"  HF_HUB_CACHE={folder} HF_HUB_OFFLINE=1 make figures ARGS='--size 32x32 --device cpu'")
