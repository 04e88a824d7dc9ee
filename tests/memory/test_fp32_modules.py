"""What transformers keeps in float32 (memory.fp32_modules), against transformers itself: tiny
models of every family in the table, written with save_pretrained and loaded back with
from_pretrained at bf16 and at fp16 (the path that applies the keep lists), their parameters
and saved buffers summed to the byte against nnsize's weights line under transformers."""

from __future__ import annotations

from typing import Any

import pytest

import nnsize
from nnsize.architectures import families
from nnsize.architectures.presets import find
from nnsize.memory.fp32_modules import KEPT, fp32_kept
from nnsize.memory.plan import plan
from nnsize.memory.setup import Setup
from nnsize.precision import find as precision

SMALL = {"vocab_size": 128, "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64}
MLA = {"q_lora_rank": 32, "kv_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8,
       "v_head_dim": 16}
ROUTED = {"n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
          "n_group": 1, "topk_group": 1}
MOE = {**ROUTED, "first_k_dense_replace": 1, "n_shared_experts": 1}
EXPERTS = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32}
INDEXER = {"index_n_heads": 2, "index_head_dim": 16, "index_topk": 4}
# model_type -> a tiny config of it (every model_type of KEPT whose config class is its own)
TINY: dict[str, dict[str, Any]] = {
    "deepseek_v2": {**SMALL, **MLA, **MOE},
    "deepseek_v3": {**SMALL, **MLA, **MOE},
    "deepseek_v32": {**SMALL, **MLA, **MOE, **INDEXER},
    "dots1": {**SMALL, **MOE},
    "ernie4_5_moe": {**SMALL, "moe_num_experts": 4, "moe_k": 2, "moe_intermediate_size": 32,
                     "moe_layer_start_index": 1},
    "exaone_moe": {**SMALL, **EXPERTS, "first_k_dense_replace": 1},
    "glm4_moe": {**SMALL, **MOE},
    "glm4_moe_lite": {**SMALL, **MLA, **MOE},
    "glm_moe_dsa": {**SMALL, **MLA, **MOE, **INDEXER},
    "gpt_oss": {**SMALL, "num_local_experts": 4, "num_experts_per_tok": 2, "head_dim": 16},
    "hy_v3": {**SMALL, **EXPERTS, "first_k_dense_replace": 1},
    "kolibri1": {**SMALL, **MOE},
    "lfm2_moe": {**SMALL, **EXPERTS, "num_dense_layers": 1,
                 "layer_types": ["full_attention", "conv"]},
    "mimo_v2_flash": {**SMALL, **ROUTED, "layer_types": ["full_attention", "sliding_attention"],
                      "mlp_layer_types": ["dense", "sparse"]},
    "nemotron_h": {**SMALL, **ROUTED, "hybrid_override_pattern": "*E"},
    "solar_open": {**SMALL, **MOE},
    "t5": {"vocab_size": 128, "d_model": 64, "d_kv": 16, "d_ff": 64, "num_layers": 2,
           "num_heads": 4},
    "mt5": {"vocab_size": 128, "d_model": 64, "d_kv": 16, "d_ff": 64, "num_layers": 2,
            "num_heads": 4},
    "umt5": {"vocab_size": 128, "d_model": 64, "d_kv": 16, "d_ff": 64, "num_layers": 2,
             "num_heads": 4},
    "zamba": {"num_hidden_layers": 4, "layers_block_type": ["mamba", "hybrid"] * 2,
              "num_key_value_heads": 2, "hidden_size": 16, "num_attention_heads": 2,
              "n_mamba_heads": 2, "mamba_d_state": 4, "intermediate_size": 8,
              "vocab_size": 32, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
              "use_mamba_kernels": False},
}
SHARED = {"param2moe", "sarvam_moe", "sarvam_mla",  # built with another family's class
          "kimi_k2"}  # Kimi-K2.5's text_config, which Kimi_K25Config makes deepseek_v3


def _loaded(family: str) -> tuple[dict[str, Any], dict[str, tuple[int, set[str]]]]:
    """(the config, {dtype: (bytes of parameters and saved buffers, the names not at it)}) of
    the tiny model loaded back by from_pretrained at bf16 and at fp16."""
    import tempfile
    import warnings

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.CONFIG_MAPPING[family](**TINY[family])
    auto = transformers.AutoModelForSeq2SeqLM if family.endswith("t5") else \
        transformers.AutoModelForCausalLM
    torch.manual_seed(0)
    out = {}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        auto.from_config(cfg).save_pretrained(folder)
        for name, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            model = auto.from_pretrained(folder, dtype=dtype)
            saved = model.state_dict()
            tensors = {id(t): (n, t) for n, t in [*model.named_parameters(),
                                                  *model.named_buffers()] if n in saved}
            out[name] = (sum(t.numel() * t.element_size() for _, t in tensors.values()),
                         {n for n, t in tensors.values() if t.dtype != dtype})
    return cfg.to_dict(), out


@pytest.mark.parametrize("family", sorted(TINY))
def test_the_weights_line_is_what_from_pretrained_holds(family: str) -> None:
    config, loaded = _loaded(family)
    report = nnsize.count(config)
    for name, (measured, upcast) in loaded.items():
        weights = plan(report, Setup(dtype=name, engine="transformers")).lines[0]
        assert weights.bytes == measured, (name, sorted(upcast))
        # and the line says so wherever transformers kept a tensor in fp32
        assert ("in fp32" in str(weights.terms)) == bool(upcast)


def test_the_table_is_transformers_own_lists() -> None:
    # every family nnsize builds whose transformers class names a list has its entry; the
    # strict list is in `always` (beside what the code creates in float32), the plain one
    # is `fp16`
    transformers = pytest.importorskip("transformers")
    auto = transformers.models.auto.modeling_auto
    for family in families():
        name = auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(family) or \
            auto.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES.get(family)
        cls = getattr(transformers, name, None) if name else None
        strict = set(getattr(cls, "_keep_in_fp32_modules_strict", None) or ())
        plain = set(getattr(cls, "_keep_in_fp32_modules", None) or ())
        if not strict and not plain:
            continue
        assert family in KEPT, family
        assert strict <= set(KEPT[family].always), family
        assert plain == set(KEPT[family].fp16), family
    assert set(KEPT) - set(TINY) == SHARED
    assert all(not p.startswith("model.") for k in KEPT.values() for p in k.always + k.fp16)


def test_deepseek_v3_under_transformers_by_hand() -> None:
    report = find("deepseek-v3").count()
    kept = fp32_kept(report, precision("bf16"))
    assert kept is not None and kept.patterns == ("e_score_correction_bias", "gate.weight")
    assert fp32_kept(report, precision("fp32")) is None  # nothing to keep at fp32
    # as published (fp8): the router's 58 x 256 x 7,168 weights, stored bf16, held in fp32
    # under transformers: 58 x 256 x 7,168 x (4 - 2) = 212,860,928 B more than vLLM holds
    hf = plan(report, Setup(engine="transformers")).lines[0]
    vllm = plan(report, Setup(engine="vllm")).lines[0]
    assert hf.bytes - vllm.bytes == 58 * 256 * 7_168 * 2 == 212_860_928
    assert "transformers keeps deepseek_v3's" in str(hf.terms)
    assert "transformers keeps" not in str(vllm.terms)
    # at --dtype bf16: the same weights, and the correction bias (a buffer, 58 x 256 x 4 B)
    hf = plan(report, Setup(dtype="bf16", engine="transformers")).lines[0]
    vllm = plan(report, Setup(dtype="bf16", engine="vllm")).lines[0]
    assert hf.bytes - vllm.bytes == 212_860_928 + 58 * 256 * 4


def test_a_composite_model_keeps_its_language_models_list() -> None:
    """Kimi-K2.5: a kimi_k25 model whose text_config says kimi_k2 (a DeepseekV3Model to
    transformers); the composite gathers its children's lists, so the router stays in fp32."""
    import json
    import tempfile
    import warnings

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.CONFIG_MAPPING["kimi_k25"](
        text_config={**SMALL, **MLA, **MOE, "model_type": "kimi_k2"},
        vision_config={"hidden_size": 32, "intermediate_size": 32, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "pos_emb_height": 4, "pos_emb_width": 4},
        projection_hidden_size=32)
    auto = transformers.AutoModelForImageTextToText
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        auto.from_config(cfg).save_pretrained(folder)
        model = auto.from_pretrained(folder, dtype=torch.bfloat16)
        with open(f"{folder}/config.json") as f:
            config = json.load(f)
    saved = model.state_dict()
    tensors = {id(t): (n, t) for n, t in [*model.named_parameters(), *model.named_buffers()]
               if n in saved}
    upcast = {n for n, t in tensors.values() if t.dtype == torch.float32}
    # layer 1 is the MoE layer (first_k_dense_replace 1): its router's 4 x 64 weight and 4 biases
    assert upcast == {"model.language_model.layers.1.mlp.gate.weight",
                      "model.language_model.layers.1.mlp.gate.e_score_correction_bias"}
    measured = sum(t.numel() * t.element_size() for _, t in tensors.values())
    # save_pretrained writes the text_config as deepseek_v3; the published file says kimi_k2
    published = {**config, "text_config": {**config["text_config"], "model_type": "kimi_k2"}}
    for text_type, source in (("deepseek_v3", config), ("kimi_k2", published)):
        weights = plan(nnsize.count(source), Setup(dtype="bf16", engine="transformers")).lines[0]
        assert weights.bytes == measured
        assert f"{text_type}'s e_score_correction_bias, gate.weight in fp32" in str(weights.terms)


# model_type -> (a tiny config, the class transformers builds of it) of families nnsize has no
# builder for: transformers builds them (architectures.fallback), which records what it keeps
# in fp32 (the strict and plain lists, the tensors the code creates in float32), for fp32_kept
BUILT: dict[str, tuple[dict[str, Any], str]] = {
    # the strict list (hyper-connections, norms, sinks, the router's bias) and, at fp16 only,
    # the compressors' projections; tests/architectures/test_compressing_cache.py's config
    "deepseek_v4": ({}, "DeepseekV4ForCausalLM"),
    # mixtures of experts planned from their routing (fallback_decoder.ROUTED): the weights
    # line of the plan, to the byte
    "afmoe": ({**SMALL, **EXPERTS, "num_dense_layers": 1, "head_dim": 16},
              "AfmoeForCausalLM"),  # norms at fp16; expert_bias, strict and created so
    "minicpm5_moe": ({**SMALL, **ROUTED, "first_k_dense_replace": 1},
                     "MiniCPM5MoeForCausalLM"),  # the router
    "flint": ({**SMALL, **EXPERTS, "head_dim": 16, "mlp_only_layers": [0]},
              "FlintForCausalLM"),  # the router and the sinks, created so
    "kimi_linear": ({**SMALL, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
                     "head_dim": 16, "layer_types": ["linear_attention", "full_attention"]},
                    "KimiLinearForCausalLM"),  # dt_bias, the router
    "udop": ({"vocab_size": 128, "d_model": 64, "d_kv": 16, "d_ff": 64, "num_layers": 2,
              "num_heads": 4}, "UdopModel"),  # wo, at fp16 only
    "openai_privacy_filter": ({**SMALL, "head_dim": 16, "pad_token_id": 0, "eos_token_id": 1},
                              "OpenAIPrivacyFilterModel"),  # sinks, strict
    # n_points_scale = nn.Buffer(torch.tensor(..., dtype=torch.float32)): no list, created so
    "rt_detr_v2": ({"d_model": 32, "encoder_hidden_dim": 32, "encoder_ffn_dim": 32,
                    "decoder_ffn_dim": 32, "decoder_layers": 2, "encoder_layers": 1,
                    "num_queries": 10, "num_labels": 3,
                    "backbone_config": {"model_type": "rt_detr_resnet", "embedding_size": 8,
                                        "hidden_sizes": [8, 16, 16, 32], "depths": [1, 1, 1, 1],
                                        "out_features": ["stage2", "stage3", "stage4"]}},
                   "RTDetrV2Model"),
}


def _built(family: str, kwargs: dict[str, Any], name: str
           ) -> tuple[dict[str, Any], dict[str, tuple[int, set[str]]]]:
    """(the config as saved, {dtype: (bytes of parameters and saved fp32 buffers, the names
    not at it)}) of the tiny model transformers built, loaded back by from_pretrained."""
    import json
    import tempfile
    import warnings

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    if family == "deepseek_v4":
        from tests.architectures.test_compressing_cache import CONFIG as kwargs
    cls = getattr(transformers, name)
    torch.manual_seed(0)
    out = {}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        cls(transformers.CONFIG_MAPPING[family](**kwargs)).save_pretrained(folder)
        with open(f"{folder}/config.json") as f:
            config = json.load(f)
        for name, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            model = cls.from_pretrained(folder, dtype=dtype)
            saved = model.state_dict()
            # the weights line counts a saved buffer where transformers keeps it in fp32, no
            # other (RT-DETR's BatchNorm statistics, DeepSeek-V4's integer hash routing table
            # tid2eid: the model's state, not its weights; weights.weight_bytes)
            buffers = [(n, t) for n, t in model.named_buffers() if t.dtype == torch.float32]
            tensors = {id(t): (n, t) for n, t in [*model.named_parameters(), *buffers]
                       if n in saved}
            out[name] = (sum(t.numel() * t.element_size() for _, t in tensors.values()),
                         {n for n, t in tensors.values() if t.dtype != dtype})
    return config, out


@pytest.mark.parametrize("family", sorted(BUILT))
def test_what_transformers_built_keeps_in_fp32(family: str) -> None:
    assert family not in families() and family not in KEPT  # the fallback's record, not KEPT
    config, loaded = _built(family, *BUILT[family])
    report = nnsize.count(config)
    assert "keeps_fp32" in report.stored
    assert loaded["fp16"][1]  # something is kept in fp32 (at fp16 at least)
    for name, (measured, upcast) in loaded.items():
        if family == "deepseek_v4" and name == "fp16":  # transformers cannot run it at fp16
            with pytest.raises(nnsize.NnsizeError, match="at fp16"):
                plan(report, Setup(dtype=name, engine="transformers"))
            continue
        weights = plan(report, Setup(dtype=name, engine="transformers")).lines[0]
        assert weights.bytes == measured, (name, sorted(upcast))
        assert (f"transformers keeps {family}'s" in str(weights.terms)) == bool(upcast)


# families transformers builds whose plan nnsize refuses today (a mixture of experts, or
# attention, the planner models only for its own families): the record all the same
RECORDED: dict[str, tuple[dict[str, Any], str]] = {
    "longcat_flash": ({**SMALL, **MLA, "n_routed_experts": 4, "moe_topk": 2,
                       "expert_ffn_hidden_size": 32, "ffn_hidden_size": 64, "num_layers": 2},
                      "LongcatFlashForCausalLM"),  # classifier.weight, at fp16 only
}


@pytest.mark.parametrize("family", sorted(RECORDED))
def test_the_record_names_what_from_pretrained_keeps(family: str) -> None:
    config, loaded = _built(family, *RECORDED[family])
    report = nnsize.count(config)
    assert "planner_refused" in report.stored and loaded["fp16"][1]
    names = [n for r in report.rows for t in r.tensors for n in t.names()]
    for name, (_, upcast) in loaded.items():
        kept = fp32_kept(report, precision(name))
        assert {n for n in names if kept is not None and kept.matches(n)} == upcast, name
