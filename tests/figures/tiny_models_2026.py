"""Tiny stand-ins for 2026's model families: Z-Image, FLUX.2 [klein] and [dev], Qwen-Image, Krea 2, Chroma.

Configs follow diffusers' own fixtures (tests/pipelines/*/test_*.py ``get_dummy_components``), with two
changes so that the profiles' own calls run on them unchanged: the text encoders have as many layers as
the real ones' default taps reach (FLUX.2 reads hidden states 9, 18 and 27 of Qwen3, or 10, 20 and 30 of
Mistral), and the tokenizers are built here instead of downloaded. They are byte-level BPE tokenizers
with no merges (one token per byte) plus the special tokens the pipelines' chat templates use; a 300-id
vocabulary keeps each text encoder's embedding at a few thousand weights.
"""

from __future__ import annotations

VOCABULARY = 300  # 256 byte tokens, the special tokens below, and room to spare
QWEN_SPECIAL = [
    "<|im_start|>",
    "<|im_end|>",
    "<think>",
    "</think>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
]
# Qwen3's chat template, cut down to what the pipelines send: one user turn, then the assistant's turn,
# with an empty thinking block when `enable_thinking=False` (as FLUX.2 [klein] asks).
QWEN_CHAT = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if not enable_thinking | default(true) %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
MISTRAL_SPECIAL = ["[IMG]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[INST]", "[/INST]"]
# Mistral Small's template for the system + user messages FLUX.2 [dev] sends (content as a list of parts).
MISTRAL_CHAT = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}"
    "[SYSTEM_PROMPT]{{ m['content'][0]['text'] }}[/SYSTEM_PROMPT]"
    "{% else %}[INST]{% for part in m['content'] %}{{ part['text'] }}{% endfor %}[/INST]{% endif %}{% endfor %}"
)


def _byte_tokenizer(special: list[str], **tokens):
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import Qwen2Tokenizer

    vocab = {character: index for index, character in enumerate(sorted(ByteLevel.alphabet()))}
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[], **tokens)
    tokenizer.add_special_tokens({"additional_special_tokens": special})
    return tokenizer


def qwen_tokenizer():
    """Qwen2/Qwen3's tokenizer class with its chat template: Z-Image, FLUX.2 [klein], Qwen-Image, Krea 2."""
    tokenizer = _byte_tokenizer(QWEN_SPECIAL)
    tokenizer.chat_template = QWEN_CHAT
    return tokenizer


def mistral_tokenizer():
    """FLUX.2 [dev]'s prompt side. Its real repository holds a PixtralProcessor, which transformers loads
    only beside torchvision (no build of it pairs with the CPU torch the tests use); the pipeline calls just
    ``apply_chat_template`` on it, which a tokenizer with the same template answers the same way."""
    tokenizer = _byte_tokenizer(
        MISTRAL_SPECIAL, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    tokenizer.chat_template = MISTRAL_CHAT
    return tokenizer


def _qwen_vae():
    """AutoencoderKLQwenImage (Qwen-Image and Krea 2): a video VAE run on one frame."""
    from diffusers import AutoencoderKLQwenImage

    return AutoencoderKLQwenImage(
        base_dim=24,
        z_dim=4,
        dim_mult=[1, 2, 4],
        num_res_blocks=1,
        temperal_downsample=[False, True],
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    )


def _flux2_vae():
    from diffusers import AutoencoderKLFlux2

    return AutoencoderKLFlux2(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=1,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def _flux2_transformer(text_width: int, guidance_embeds: bool):
    from diffusers import Flux2Transformer2DModel

    return Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=text_width * 3,  # three hidden states side by side
        timestep_guidance_channels=256,
        axes_dims_rope=[4, 4, 4, 4],
        guidance_embeds=guidance_embeds,  # FLUX.2 [dev] takes its guidance as an input; [klein] has none
    )


def tiny_z_image():
    """ZImagePipeline: a two-layer single-stream DiT, a Qwen3 encoder, a 16-channel latent VAE."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=2,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        norm_eps=1e-5,
        qk_norm=True,
        cap_feat_dim=16,
        rope_theta=256.0,
        t_scale=1000.0,
        axes_dims=[8, 4, 4],
        axes_lens=[1024, 32, 32],  # positions for a 512-token prompt (one token per byte here)
    )
    with torch.no_grad():  # made with torch.empty: fixed so that no NaN can come from them
        transformer.x_pad_token.copy_(torch.ones_like(transformer.x_pad_token))
        transformer.cap_pad_token.copy_(torch.ones_like(transformer.cap_pad_token))
    torch.manual_seed(0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        block_out_channels=[32, 64],
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=32,
        sample_size=32,
        scaling_factor=0.3611,
        shift_factor=0.1159,
    )
    torch.manual_seed(0)
    config = Qwen3Config(
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        vocab_size=VOCABULARY,
        max_position_embeddings=1024,
    )
    return ZImagePipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),  # Z-Image-Turbo's scheduler config sets shift 3
        text_encoder=Qwen3Model(config),
        tokenizer=qwen_tokenizer(),
    )


def tiny_flux2_klein():
    """Flux2KleinPipeline, step-distilled like FLUX.2 [klein] 4B: guidance is ignored."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    transformer = _flux2_transformer(text_width=16, guidance_embeds=False)
    torch.manual_seed(0)
    config = Qwen3Config(
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=27,  # the pipeline reads hidden states 9, 18 and 27
        num_attention_heads=2,
        num_key_value_heads=2,
        vocab_size=VOCABULARY,
        max_position_embeddings=1024,
    )
    text_encoder = Qwen3ForCausalLM(config)
    torch.manual_seed(0)
    return Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=qwen_tokenizer(),
        transformer=transformer,
        vae=_flux2_vae(),
        is_distilled=True,
    )


def tiny_flux2_dev():
    """Flux2Pipeline (FLUX.2 [dev]): embedded guidance, a Mistral 3 encoder with a tiny Pixtral vision tower."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2Pipeline
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration

    tokenizer = mistral_tokenizer()
    ids = {name: tokenizer.convert_tokens_to_ids(name) for name in ("<s>", "</s>", "<pad>", "[IMG]")}
    torch.manual_seed(0)
    transformer = _flux2_transformer(text_width=16, guidance_embeds=True)
    config = Mistral3Config(
        text_config={
            "model_type": "mistral",
            "vocab_size": VOCABULARY,
            "hidden_size": 16,
            "intermediate_size": 37,
            "max_position_embeddings": 1024,
            "num_attention_heads": 4,
            "num_hidden_layers": 30,  # the pipeline reads hidden states 10, 20 and 30
            "num_key_value_heads": 2,
            "rms_norm_eps": 1e-05,
            "rope_theta": 1000000000.0,
            "sliding_window": None,
            "bos_token_id": ids["<s>"],
            "eos_token_id": ids["</s>"],
            "pad_token_id": ids["<pad>"],
        },
        vision_config={
            "model_type": "pixtral",
            "hidden_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 4,
            "intermediate_size": 37,
            "image_size": 30,
            "patch_size": 6,
            "num_channels": 3,
        },
        bos_token_id=ids["<s>"],
        eos_token_id=ids["</s>"],
        pad_token_id=ids["<pad>"],
        image_seq_length=4,
        vision_feature_layer=-1,
        image_token_index=ids["[IMG]"],
    )
    torch.manual_seed(0)
    text_encoder = Mistral3ForConditionalGeneration(config)
    torch.manual_seed(0)
    return Flux2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        vae=_flux2_vae(),
    )


def tiny_qwen_image():
    """QwenImagePipeline: a two-block MMDiT and a Qwen2.5-VL encoder; true CFG with a negative prompt."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImagePipeline, QwenImageTransformer2DModel
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tokenizer = qwen_tokenizer()
    vision = {name: tokenizer.convert_tokens_to_ids(f"<|vision_{name}|>") for name in ("start", "end")}
    torch.manual_seed(0)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=16,
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=3,
        joint_attention_dim=16,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )
    torch.manual_seed(0)
    vae = _qwen_vae()
    torch.manual_seed(0)
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
            "vocab_size": VOCABULARY,
            "bos_token_id": tokenizer.eos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        hidden_size=16,
        vocab_size=VOCABULARY,
        vision_start_token_id=vision["start"],
        vision_end_token_id=vision["end"],
        vision_token_id=tokenizer.convert_tokens_to_ids("<|image_pad|>"),
    )
    return QwenImagePipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=Qwen2_5_VLForConditionalGeneration(config).eval(),
        tokenizer=tokenizer,
    )


def tiny_krea2():
    """Krea2Pipeline, distilled like Krea 2 Turbo (fixed shift), tapping three of a Qwen3-VL encoder's layers."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Krea2Pipeline, Krea2Transformer2DModel
    from transformers import Qwen3VLConfig, Qwen3VLModel

    torch.manual_seed(0)
    transformer = Krea2Transformer2DModel(
        in_channels=16,
        num_layers=2,
        attention_head_dim=8,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=32,
        timestep_embed_dim=8,
        text_hidden_dim=16,
        num_text_layers=3,
        text_num_attention_heads=2,
        text_num_key_value_heads=1,
        text_intermediate_size=16,
        num_layerwise_text_blocks=1,
        num_refiner_text_blocks=1,
        axes_dims_rope=(4, 2, 2),
        rope_theta=1000.0,
    )
    torch.manual_seed(0)
    vae = _qwen_vae()
    torch.manual_seed(0)
    config = Qwen3VLConfig(
        text_config={
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "vocab_size": VOCABULARY,
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        vocab_size=VOCABULARY,
    )
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15, base_image_seq_len=256, max_image_seq_len=6400
    )
    return Krea2Pipeline(
        transformer=transformer,
        vae=vae,
        scheduler=scheduler,
        text_encoder=Qwen3VLModel(config).eval(),
        tokenizer=qwen_tokenizer(),
        text_encoder_select_layers=(0, 1, 2),  # the real one taps 12 of Qwen3-VL-4B's 36 layers
        is_distilled=True,
    )


def tiny_chroma():
    """ChromaPipeline (Chroma1-HD): a FLUX-like transformer without CLIP, guided by real CFG with a T5 encoder."""
    import torch
    from diffusers import ChromaPipeline, ChromaTransformer2DModel, FlowMatchEulerDiscreteScheduler

    from .tiny_models import _flow_vae, _t5_encoder, t5_tokenizer

    torch.manual_seed(0)
    transformer = ChromaTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        axes_dims_rope=[4, 4, 8],
        approximator_hidden_dim=32,
        approximator_layers=1,
        approximator_num_channels=16,
    )
    torch.manual_seed(0)
    text_encoder = _t5_encoder().eval()  # eval: T5's dropout would make every call differ
    torch.manual_seed(0)
    return ChromaPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=t5_tokenizer(),
        transformer=transformer,
        vae=_flow_vae(latent_channels=1),
    )


BUILDERS = {
    "z-image-turbo": tiny_z_image,
    "flux2-klein-4b": tiny_flux2_klein,
    "flux2-dev": tiny_flux2_dev,
    "qwen-image": tiny_qwen_image,
    "krea2-turbo": tiny_krea2,
    "chroma1-hd": tiny_chroma,
}
