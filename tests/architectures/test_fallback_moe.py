"""The mixtures of experts transformers builds whose routing the planner reads
(fallback_decoder.ROUTED): on a tiny model of each, built by transformers on the CPU, the KV
cache its DynamicCache holds after a prefill and decoding steps (to the byte), the active
parameters a token uses and the linear multiplies a token (k of n routed experts, read from
the model's own tensors); the weights line is checked against from_pretrained in
tests/memory/test_fp32_modules.py (BUILT)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import nnsize
from nnsize.architectures import families
from nnsize.cli import main
from nnsize.compute import compute
from nnsize.errors import NnsizeError
from nnsize.memory import kv_cache
from nnsize.precision import find

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TINY = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "pad_token_id": 0,
        "bos_token_id": 0, "eos_token_id": 0, "moe_intermediate_size": 16,
        "num_experts_per_tok": 2}
LATENT = {"n_routed_experts": 4, "n_shared_experts": 1, "num_key_value_heads": 4,
          "q_lora_rank": 16, "kv_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8,
          "v_head_dim": 16}
# model_type -> (its routing and layers, the class, (routed experts, top k)); each a dense
# first layer, a sliding window of 5 where the family has one
FAMILIES: dict[str, tuple[dict[str, Any], str, tuple[int, int]]] = {
    # layers: sliding, full, sliding, full (global_attn_every_n_layers 2); 2 shared experts
    "afmoe": ({"num_experts": 4, "num_shared_experts": 2, "num_dense_layers": 1,
               "sliding_window": 5, "global_attn_every_n_layers": 2},
              "AfmoeForCausalLM", (4, 2)),
    "minicpm5_moe": ({"n_routed_experts": 4, "n_shared_experts": 1, "n_group": 1,
                      "topk_group": 1, "first_k_dense_replace": 1},
                     "MiniCPM5MoeForCausalLM", (4, 2)),
    # layers: full, full, sliding, full (the first two, every fourth from 1 and the last)
    "flint": ({"num_experts": 4, "shared_expert_intermediate_size": 24, "sliding_window": 5,
               "mlp_only_layers": [0], "decoder_sparse_step": 1},
              "FlintForCausalLM", (4, 2)),
    # 2 dense layers (32 wide), sliding then full; then sparse sliding, sparse full; the
    # experts intermediate_size (48) wide, one shared expert as wide
    "cohere2_moe": ({"num_experts": 4, "num_shared_experts": 1, "sliding_window": 5,
                     "prefix_dense_intermediate_size": 40, "prefix_dense_sliding_window_pattern": 2,
                     "sliding_window_pattern": 2, "first_k_dense_replace": 2},
                    "Cohere2MoeForCausalLM", (4, 2)),
    # delta attention, latent attention, twice; q through q_proj (no q_lora_rank)
    "kimi_linear": ({"num_experts": 4, "num_shared_experts": 1, "first_k_dense_replace": 1,
                     "num_key_value_heads": 4, "kv_lora_rank": 16, "qk_rope_head_dim": 8,
                     "qk_nope_head_dim": 8, "v_head_dim": 16, "linear_num_heads": 4,
                     "linear_head_dim": 8, "linear_conv_kernel_dim": 4,
                     "layer_types": ["linear_attention", "full_attention"] * 2},
                    "KimiLinearForCausalLM", (4, 2)),
    # Ling's hybrid: delta attention, latent attention, twice (layer_group_size 2), as Kimi
    # Linear (its linear heads num_attention_heads of head_dim)
    "bailing_hybrid": ({"num_experts": 4, "num_shared_experts": 1, "first_k_dense_replace": 1,
                        "num_key_value_heads": 4, "kv_lora_rank": 16, "qk_rope_head_dim": 8,
                        "qk_nope_head_dim": 8, "v_head_dim": 16, "n_group": 1, "topk_group": 1,
                        "short_conv_kernel_size": 4, "layer_group_size": 2},
                       "BailingHybridForCausalLM", (4, 2)),
    # latent attention in every layer (fallback_decoder.LATENT), a dense first layer; HY-V4's
    # first two layers with an indexer of their own (indexer_types full, full, shared,
    # shared), two hyper-connection streams; A.X-K2's indexer in every layer
    "hy_v4": ({**LATENT, "index_head_dim": 16, "index_n_heads": 2, "index_topk": 4,
               "hc_mult": 2}, "HYV4ForCausalLM", (4, 2)),
    "axk1": ({**LATENT, "n_group": 1, "topk_group": 1}, "AXK1ForCausalLM", (4, 2)),
    "axk2": ({**LATENT, "index_head_dim": 16, "index_n_heads": 2, "index_topk": 4,
              "gated_norm_rank": 4}, "AXK2ForCausalLM", (4, 2)),
    # Aria's language model: every layer routes, its experts intermediate_size (48) wide and
    # stored transposed, 2 shared experts as wide; its own keys for the experts (TINY's left
    # out: None)
    "aria_text": ({"moe_num_experts": 4, "moe_topk": 2, "moe_num_shared_experts": 2,
                   "moe_intermediate_size": None, "num_experts_per_tok": None},
                  "AriaTextForCausalLM", (4, 2)),
    # MiniMax-M3's language model, its layers all full attention: a dense first layer (40
    # wide), experts intermediate_size (48) wide, a shared expert 24 wide, the dense MLP's
    # and the shared expert's gate and up one gate_up_proj; its rope over 4 of 8 values
    "minimax_m3_vl_text": ({"num_local_experts": 4, "shared_intermediate_size": 24,
                            "dense_intermediate_size": 40, "rotary_dim": 4,
                            "mlp_layer_types": ["dense", "sparse", "sparse", "sparse"],
                            "moe_intermediate_size": None},
                           "MiniMaxM3VLForCausalLM", (4, 2)),
    # MiniMax-Text-01: lightning attention, softmax attention, twice; every layer routes, its
    # experts intermediate_size (48) wide, no shared expert; a prompt in blocks of 4 tokens
    "minimax": ({"num_local_experts": 4, "block_size": 4, "moe_intermediate_size": None,
                 "layer_types": ["linear_attention", "full_attention"] * 2},
                "MiniMaxForCausalLM", (4, 2)),
    # Laguna: full, sliding, full, sliding, of 4, 8, 8 and 4 heads
    # (num_attention_heads_per_layer); a dense first layer, a shared expert 24 wide
    "laguna": ({"num_experts": 4, "shared_expert_intermediate_size": 24, "sliding_window": 5,
                "layer_types": ["full_attention", "sliding_attention"] * 2,
                "num_attention_heads_per_layer": [4, 8, 8, 4]}, "LagunaForCausalLM", (4, 2)),
    # JetMoE: every layer's MLP and attention a mixture of 4 experts, 2 a token, no shared
    # ones; an attention expert's queries 2 kv heads x head_dim 8 (kv_channels, by
    # attribute_map), so 2 x 2 = 4 query heads (JetMoeConfig sets num_attention_heads so) over
    # the 2 kv heads kv_proj gives; its MLP experts intermediate_size (48) wide
    "jetmoe": ({"num_local_experts": 4, "num_attention_heads": None,
                "moe_intermediate_size": None}, "JetMoeForCausalLM", (4, 2)),
}
# the families whose experts are intermediate_size wide (not moe_intermediate_size)
WIDE = {"cohere2_moe", "aria_text", "minimax_m3_vl_text", "minimax", "jetmoe"}
# the modules of each layer whose tensors are routed experts: mlp.experts, and JetMoE's MLP
# experts and attention experts (its MoA's query and output projections)
ROUTED_MODULES = {"jetmoe": (".mlp.input_linear.", ".mlp.output_linear.",
                             ".self_attention.experts.input_linear.",
                             ".self_attention.experts.output_linear.")}


def routed(family: str, name: str) -> bool:
    """Whether the parameter called name is one of the family's routed experts'."""
    return any(m in name for m in ROUTED_MODULES.get(family, (".mlp.experts.",)))


# the families whose sparse attention (DSA) compute does not model
INDEXED = {"hy_v4", "axk2"}
# the families with delta-attention layers, whose state only transformers' engines plan
DELTA = {"kimi_linear", "bailing_hybrid"}
# the families whose state only transformers' engines plan (MiniMax's lightning attention too)
TRANSFORMERS_ONLY = DELTA | {"minimax"}
# the families without a shared expert
NOT_SHARED = {"minimax": {"shared experts"}, "jetmoe": {"shared experts"}}
# the families that make a cache of their own (MiniMaxCache: a DynamicCache and the lightning
# layers' states), refusing a DynamicCache given them
OWN_CACHE = {"minimax"}


def keys(family: str) -> dict[str, Any]:
    """The tiny config's keys: TINY's, the family's own over them (None: left out)."""
    return {k: v for k, v in {**TINY, **FAMILIES[family][0]}.items() if v is not None}


def data(family: str) -> dict[str, Any]:
    return {"model_type": family, "architectures": [FAMILIES[family][1]], **keys(family)}


BUILT: dict[str, Any] = {}


def built(family: str) -> Any:
    """The tiny model transformers builds, at bf16, once a family."""
    if family not in BUILT:
        name = FAMILIES[family][1]
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformers.CONFIG_MAPPING[family](**keys(family))
            BUILT[family] = getattr(transformers, name)(config).to(torch.bfloat16).eval()
    return BUILT[family]


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize(("batch", "steps"), [(1, (3,)), (2, (13,)), (2, (4, 1, 1, 1))])
def test_kv_cache_against_transformers(family: str, batch: int, steps: tuple[int, ...]) -> None:
    assert family not in families()  # built by transformers, planned from ROUTED
    model = built(family)
    cache = None if family in OWN_CACHE else transformers.DynamicCache(config=model.config)
    with torch.no_grad():
        for n in steps:
            cache = model(input_ids=torch.randint(1, 64, (batch, n)), cache=cache,
                          use_cache=True).cache
    report = nnsize.count(data(family))
    assert "planner_refused" not in report.stored
    assert kv_cache(report, batch, sum(steps), find("bf16"))[0] == cache_bytes(cache)


def cache_bytes(cache: Any) -> int:
    """Every tensor the cache holds: an attention layer's keys and values (a latent
    attention's latent and rope key) and its indexer's keys where it has an indexer of its
    own, a linear-attention layer's conv and recurrent states (their bookkeeping aside: a
    token counter); MiniMaxCache's lightning states beside its layers (linear_cache, [] for
    a layer that attends, whose DynamicLayer holds its keys: the lightning layers' are
    empty)."""
    total = 0
    for layer in cache.layers:
        if hasattr(layer, "conv_states"):
            held = [*layer.conv_states.values(), *layer.recurrent_states.values()]
        else:
            held = [layer.keys, layer.values]
            if getattr(layer, "indexer_keys", None) is not None:
                held.append(layer.indexer_keys)
        total += sum(t.nbytes for t in held if t is not None)
    states = getattr(cache, "linear_cache", [])
    return total + sum(t.nbytes for t in states if isinstance(t, torch.Tensor))


def test_kimi_linear_cache_arithmetic() -> None:
    # one sequence of 13 tokens at bf16: 2 latent layers x 13 x (16 + 8) x 2 B = 1,248; 2 delta
    # layers x (conv 3 x 4 x 8 channels x 4 columns x 2 B + 4 x 8 x 8 x 4 B) = 2 x (768 +
    # 1,024) = 3,584
    for family in sorted(DELTA):  # Ling's hybrid alike: 4 linear heads of head_dim 8
        report = nnsize.count(data(family))
        assert kv_cache(report, 1, 13, find("bf16"))[0] == 1248 + 3584


def test_kimi_linear_state_is_transformers_alone(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.memory import Setup, plan

    for family in sorted(DELTA):
        report = nnsize.count(data(family))
        for engine in ("vllm", "llama.cpp"):
            with pytest.raises(NnsizeError, match="delta-attention state"):
                plan(report, Setup(engine=engine))


def test_kv_cache_arithmetic() -> None:
    # afmoe, one sequence of 13 tokens at bf16, 2 kv heads x (8 + 8) = 32 values a token:
    # 2 full layers x 13 tokens + 2 sliding layers x 4 (window 5 - 1) = 34 x 32 x 2 B = 2,176
    report = nnsize.count(data("afmoe"))
    assert kv_cache(report, 1, 13, find("bf16"))[0] == 34 * 32 * 2 == 2176


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_active_parameters_and_compute_count_k_of_n_experts(family: str) -> None:
    model = built(family)
    n, k = FAMILIES[family][2]
    params = dict(model.named_parameters())
    experts = sum(p.numel() for name, p in params.items() if routed(family, name))
    report = nnsize.count(data(family))
    assert report.total_params == sum(p.numel() for p in params.values())
    assert report.active_params == report.total_params - experts * (n - k) // n
    assert report.decoder is not None and report.decoder.experts_per_token == k
    assert report.decoder.expert_intermediate == (48 if family in WIDE else 16)
    # a token multiplies every matrix (the head too, tied or not: Cohere's is; the router, the
    # shared experts) but the embedding lookup and the experts it is not routed to
    matrices = sum(p.numel() for name, p in params.items() if p.dim() >= 2
                   and "embed_tokens" not in name and not routed(family, name))
    if model.config.tie_word_embeddings:
        matrices += 64 * 32
    if family in DELTA:  # its delta attention's work a token is not modelled
        with pytest.raises(NnsizeError, match="compute of its state-space layers"):
            compute(report, 16)
    elif family in INDEXED:  # nor a sparse attention's (its indexer's picks)
        with pytest.raises(NnsizeError, match=r"sparse attention \(DSA\)"):
            compute(report, 16)
    else:
        assert compute(report, 16).linear_macs == matrices + experts * k // n
    rows = {r.type for r in report.rows}
    assert {"experts", "shared experts"} - NOT_SHARED.get(family, set()) <= rows


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_weights_line_against_from_pretrained(family: str, tmp_path: Path) -> None:
    # the model saved and loaded back at bf16 as from_pretrained loads it (what it keeps in
    # fp32 kept so): its parameters and saved fp32 buffers, to the byte (as
    # tests/memory/test_fp32_modules.py's BUILT, which holds these families but Cohere2-MoE,
    # which keeps nothing in fp32)
    from nnsize.memory import Setup, plan

    cls = type(built(family))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built(family).save_pretrained(tmp_path)
        model = cls.from_pretrained(tmp_path, dtype=torch.bfloat16)
    saved = model.state_dict()
    buffers = [(n, t) for n, t in model.named_buffers() if t.dtype == torch.float32]
    tensors = {id(t): t for n, t in [*model.named_parameters(), *buffers] if n in saved}
    measured = sum(t.numel() * t.element_size() for t in tensors.values())
    report = nnsize.count(data(family))
    assert plan(report, Setup(dtype="bf16", engine="transformers")).lines[0].bytes == measured


def test_layers_the_config_says_route_must_hold_experts() -> None:
    # afmoe says every layer from num_dense_layers on routes; a model whose config says
    # otherwise than the tensors (here no experts at all) is refused by the planner
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("afmoe")
    tensors = [t for t in _tensors(model) if ".layers.3.mlp.experts." not in t.name]
    with pytest.raises(NnsizeError, match="layer 3 routes"):
        decoder_of(model.config, tensors)
    # and its dense layer 0 must have an MLP intermediate_size wide
    tensors = [t for t in _tensors(model) if ".layers.0.mlp.gate_proj" not in t.name]
    with pytest.raises(NnsizeError, match="dense layer 0"):
        decoder_of(model.config, tensors)


def test_an_expert_key_not_read_is_refused_by_name() -> None:
    # a key with "expert" in it that afmoe's routing does not read still names itself; Trinity's
    # num_expert_groups, which no afmoe module reads, passes at any value (it builds nothing;
    # a grouped top-k would pick which experts, not how many)
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("afmoe")
    config = model.config
    for key, value, refused in (("num_expert_group", 1, True), ("num_expert_groups", 1, False),
                                ("num_expert_groups", 8, False)):
        setattr(config, key, value)
        try:
            if refused:
                with pytest.raises(NnsizeError, match=f"{key} = {value}"):
                    decoder_of(config, _tensors(model))
            else:
                assert decoder_of(config, _tensors(model)).experts_per_token == 2
        finally:
            delattr(config, key)


def test_memory_fit_compute_and_speed_plan_it(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for family in sorted(set(FAMILIES) - DELTA):  # compute: its delta attention
        path = tmp_path / f"{family}.json"
        path.write_text(json.dumps(data(family)))
        for argv in (["memory", str(path), "--context", "64"],
                     ["fit", str(path), "--gpu", "8GiB"],
                     ["compute", str(path), "--context", "64"],
                     ["speed", str(path), "--gpu", "h100"]):
            if family in INDEXED and argv[0] in ("compute", "speed"):  # refused, by its DSA
                assert main(argv) == 2
                assert "sparse attention (DSA)" in capsys.readouterr().err
                continue
            assert main(argv) == 0, capsys.readouterr().err


def test_latent_attention_cache_arithmetic() -> None:
    # one sequence of 13 tokens at bf16, every layer's latent 16 + rope key 8 = 24 values a
    # token: A.X-K1 4 x 13 x 24 x 2 B = 2,496; HY-V4's first two layers keep their indexer's
    # key too (16 values), 2 x 13 x 16 x 2 B = 832 more; A.X-K2's all four, 1,664 more
    for family, indexed in (("axk1", 0), ("hy_v4", 2), ("axk2", 4)):
        report = nnsize.count(data(family))
        assert kv_cache(report, 1, 13, find("bf16"))[0] == 2496 + indexed * 13 * 16 * 2


def test_latent_attention_config_the_model_does_not_show_is_refused() -> None:
    # a config whose latent or indexers are not what transformers built is refused by the key
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("hy_v4")
    config = model.config
    kept = list(config.indexer_types)
    config.indexer_types = ["full"] * 4  # layers 2 and 3 built no indexer
    try:
        with pytest.raises(NnsizeError, match="layer 2 an indexer key of 16 values"):
            decoder_of(config, _tensors(model))
        config.indexer_types = ["full", "full", "shared"]
        with pytest.raises(NnsizeError, match="indexer_types must give each of the 4 layers"):
            decoder_of(config, _tensors(model))
    finally:
        config.indexer_types = kept
    model = built("axk1")
    config = model.config
    config.kv_lora_rank = 8
    try:
        with pytest.raises(NnsizeError, match="layer 0 has no kv_a_proj_with_mqa of 16 rows"):
            decoder_of(config, _tensors(model))
    finally:
        config.kv_lora_rank = 16
    types = getattr(config, "layer_types", None)
    config.layer_types = ["full_attention"] * 4  # A.X-K1 has none
    try:
        with pytest.raises(NnsizeError, match="layer_types = "):
            decoder_of(config, _tensors(model))
    finally:
        config.layer_types = types
    assert decoder_of(config, _tensors(model)).layers[0].latent_dim == 24


def test_hy_v4_training_is_refused_by_its_hyper_connections() -> None:
    # its hc_mult residual streams, mixed in float32 in every layer, are not in the activations
    # estimate; A.X-K1 and A.X-K2 train as nnsize's DeepSeek-V3 and V3.2 do
    from nnsize.memory import Setup, plan

    with pytest.raises(NnsizeError, match="hyper-connections"):
        plan(nnsize.count(data("hy_v4")), Setup(train=True))
    for family in ("axk1", "axk2"):
        assert plan(nnsize.count(data(family)), Setup(train=True)).lines


def test_aria_experts_are_read_transposed() -> None:
    # Aria's experts stored (in, out): gate_up_proj experts x hidden x 2 width; a config
    # whose experts or width the built tensors do not show is refused, and so is an expert key
    # its routing does not read (num_experts_per_tok, which AriaTextTopKRouter never reads)
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("aria_text")
    config = model.config
    assert decoder_of(config, _tensors(model)).expert_intermediate == 48
    for key, value, match in (("moe_num_experts", 3, "layer 0 routes"),
                              ("intermediate_size", 24, "layer 0 routes"),
                              ("moe_num_shared_experts", 1, "layer 0 has no shared expert 48"),
                              ("num_experts_per_tok", 2, "num_experts_per_tok = 2")):
        kept = getattr(config, key, None)
        setattr(config, key, value)
        try:
            with pytest.raises(NnsizeError, match=match):
                decoder_of(config, _tensors(model))
        finally:
            if kept is None:
                delattr(config, key)
            else:
                setattr(config, key, kept)


def test_minimax_m3_fused_mlps_and_sparse_layers() -> None:
    # MiniMax-M3's dense MLP and shared expert are one gate_up_proj each (2 x width rows), read
    # so; its minimax_m3_sparse layers (a lightning indexer whose keys its cache keeps,
    # MiniMaxM3VLSparseCacheLayer) are refused by their layer type
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("minimax_m3_vl_text")
    config = model.config
    assert decoder_of(config, _tensors(model)).intermediate == 40
    for key, value, match in (("dense_intermediate_size", 20, "dense layer 0 has no MLP 20"),
                              ("shared_intermediate_size", 48, "no shared expert 48 wide")):
        kept = getattr(config, key)
        setattr(config, key, value)
        try:
            with pytest.raises(NnsizeError, match=match):
                decoder_of(config, _tensors(model))
        finally:
            setattr(config, key, kept)
    sparse = {**data("minimax_m3_vl_text"), "index_n_heads": 2, "index_head_dim": 8,
              "layer_types": ["full_attention", "minimax_m3_sparse"] * 2}
    report = nnsize.count(sparse)
    assert "layer_types[1] = 'minimax_m3_sparse'" in report.stored["planner_refused"]


def test_laguna_heads_layer_by_layer() -> None:
    # each Laguna layer's attention has num_attention_heads_per_layer[i] heads, read so (its
    # kv heads, and so its cache, the config's); a list the built layers do not show, or not
    # one whole number a layer, is refused
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("laguna")
    config = model.config
    decoder = decoder_of(config, _tensors(model))
    assert [layer.heads for layer in decoder.layers] == [4, 8, 8, 4]
    kept = list(config.num_attention_heads_per_layer)
    for heads, match in (([4, 4, 4, 4], "not all alike"), ([4, 8, 8], "each of"),
                         ([4, 8, 8, 0], "each of")):
        config.num_attention_heads_per_layer = heads
        try:
            with pytest.raises(NnsizeError, match=match):
                decoder_of(config, _tensors(model))
        finally:
            config.num_attention_heads_per_layer = kept


def test_minimax_cache_arithmetic() -> None:
    # one sequence of 13 tokens at bf16: 2 softmax layers x 13 x 2 kv heads x (8 + 8) x 2 B =
    # 1,664; 2 lightning layers' states, 4 heads x 8 x 8 x 2 B = 2 x 512 = 1,024, whatever the
    # context
    report = nnsize.count(data("minimax"))
    assert kv_cache(report, 1, 13, find("bf16"))[0] == 1664 + 1024
    assert kv_cache(report, 1, 1300, find("bf16"))[0] == 166_400 + 1024


def test_minimax_state_is_transformers_alone() -> None:
    from nnsize.memory import Setup, plan

    report = nnsize.count(data("minimax"))
    for engine in ("vllm", "sglang", "llama.cpp"):
        with pytest.raises(NnsizeError, match="lightning-attention state"):
            plan(report, Setup(engine=engine))


@pytest.mark.parametrize("steps", [(13,), (8,), (5, 1, 1)])
def test_minimax_lightning_compute_against_torch(steps: tuple[int, ...]) -> None:
    # the matmul FLOPs torch counts in a lightning layer (layers.0.self_attn) beside its
    # projections (qkv_proj, output_gate, out_proj: 3 matrices of 32 x 96, 32 x 32, 32 x 32),
    # a prompt in blocks of 4 then decoding steps, against compute's scan and blocks: 13
    # tokens, 4 heads, head_dim 8: scan 2 x 4 x 8 x 8 = 512 MACs a token x 13 = 6,656, blocks
    # 4 x 2 x 8 x (3 x 4^2 + 1^2) = 3,136; a new token 512 MACs
    from torch.utils.flop_counter import FlopCounterMode

    model = built("minimax")
    report = nnsize.count(data("minimax"))
    projections = 32 * 96 + 32 * 32 + 32 * 32
    cache = None
    prompt, *rest = steps
    for i, n in enumerate(steps):
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            cache = model(input_ids=torch.randint(1, 64, (1, n)), cache=cache,
                          use_cache=True).cache
        layer = counter.get_flop_counts()["MiniMaxForCausalLM.model.layers.0.self_attn"]
        measured = sum(layer.values()) // 2 - n * projections
        c = compute(report, prompt)
        if i == 0:  # the prompt: 2 lightning layers' work, the scan's and the blocks'
            softmax = prompt * (prompt + 1) // 2 * 4 * (8 + 8) * 2  # causal, 2 layers
            assert 2 * measured == c.attention_macs_prefill - softmax + c.scan_macs * prompt
        else:  # a new token reads the state alone: the scan's 2 x heads x head_dim^2
            assert 2 * measured == n * c.scan_macs


def test_minimax_config_the_model_does_not_show_is_refused() -> None:
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("minimax")
    config = model.config
    decoder = decoder_of(config, _tensors(model))
    assert decoder.state_layers == 2 and len(decoder.layers) == 2
    kept = list(config.layer_types)
    for types, match in ((["full_attention"] * 4, r"layer 0 \(full_attention\) has no "
                          r"self_attn.k_proj.weight"),
                         (kept[:3], "layer_types must give each of the 4 layers"),
                         (["sliding_attention"] * 4, "layer_types must give")):
        config.layer_types = types
        try:
            with pytest.raises(NnsizeError, match=match):
                decoder_of(config, _tensors(model))
        finally:
            config.layer_types = kept
    config.sliding_window = 5
    try:
        with pytest.raises(NnsizeError, match="sliding_window = 5"):
            decoder_of(config, _tensors(model))
    finally:
        config.sliding_window = None


def test_jetmoe_mixture_of_attention() -> None:
    # its cache: 2 kv heads x (8 + 8) = 32 values a token and layer (kv_proj's 2 x 2 x 8 = 32
    # rows, chunked into keys and values), not the 4 query heads' 64: one sequence of 13
    # tokens at bf16, 4 layers x 13 x 32 x 2 B = 3,328
    report = nnsize.count(data("jetmoe"))
    assert kv_cache(report, 1, 13, find("bf16"))[0] == 4 * 13 * 32 * 2 == 3328
    layer = report.decoder.layers[0] if report.decoder else None
    assert layer is not None and (layer.heads, layer.kv_heads, layer.key_dim) == (4, 2, 8)
    # a token's attention after 15 others: 16 keys x 4 layers x 4 query heads x (8 + 8)
    assert compute(report, 16).attention_macs_decode == 17 * 4 * 4 * 16
    # active: per layer, of the attention experts 4 x (16 x 32 + 32 x 16) = 4,096, of the MLP
    # experts 4 x (96 x 32 + 32 x 48) = 18,432, 2 of 4 of each: 4 x (4,096 + 18,432) / 2 =
    # 45,056 of the 90,112 routed parameters
    assert report.total_params - report.active_params == 4 * (4096 + 18432) // 2 == 45056
    labels = [r.label for r in report.rows if r.type == "experts"]
    assert labels == ["model.layers.0-3: experts", "model.layers.0-3: attention experts"]


def test_jetmoe_config_the_model_does_not_show_is_refused() -> None:
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of

    model = built("jetmoe")
    config = model.config
    for key, value, match in (
            # the attention experts' queries are kv heads x kv_channels = 2 x 8 wide, built
            ("kv_channels", 4, "layer 0 has no self_attention.experts.input_linear.weight"),
            ("num_local_experts", 8, "layer 0 has no self_attention.experts.input_linear"),
            # top_k x kv heads = 2 x 2 query heads, as JetMoeConfig.__post_init__ set them
            ("num_attention_heads", 8, "num_attention_heads = 8 is not num_experts_per_tok"),
            ("intermediate_size", 24, "layer 0 routes"),
            ("sliding_window", 5, "sliding_window = 5"),
            ("kv_lora_rank", 16, "kv_lora_rank = 16")):
        kept = getattr(config, key, None)
        setattr(config, key, value)
        try:
            with pytest.raises(NnsizeError, match=match):
                decoder_of(config, _tensors(model))
        finally:
            setattr(config, key, kept)
    assert decoder_of(config, _tensors(model)).experts_per_token == 2


@pytest.mark.parametrize("engine", ["vllm", "sglang", "llama.cpp", "transformers-compile"])
def test_jetmoe_is_planned_as_transformers_runs_it(engine: str) -> None:
    # transformers (and its eager attention) alone: vLLM has no JetMoE model, its top-k gating
    # does not compile; training's activations do not model its mixture of attention
    from nnsize.memory import Setup, plan

    report = nnsize.count(data("jetmoe"))
    with pytest.raises(NnsizeError, match=f"cannot plan it under {engine}: JetMoE's mixture"):
        plan(report, Setup(engine=engine))
    with pytest.raises(NnsizeError, match="its mixture of attention"):
        plan(report, Setup(train=True))
    assert plan(report, Setup(engine="transformers-eager")).lines


@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_jetmoe_prefill_workspace_against_a_real_forward(dtype: str, attention: str) -> None:
    """The peak of live storages in a prefill (no_grad, the last position's logits), less
    the KV cache it fills, against the workspace line, within 5% (measured 0.98 to 0.99): at
    its MLP step, 3 x k x intermediate + 4 x hidden a token as every MoE, and JetMoE's own,
    each routed token's input copied (k x hidden) and its experts' gate and up written twice
    (F.linear an expert, then torch.cat: k x intermediate more)."""
    from measure import _Live

    from nnsize.memory import Setup, plan

    shape = {"vocab_size": 1000, "hidden_size": 128, "intermediate_size": 344,
             "num_hidden_layers": 2, "num_key_value_heads": 2, "kv_channels": 32,
             "num_local_experts": 4, "num_experts_per_tok": 2, "tie_word_embeddings": False}
    config = transformers.JetMoeConfig(**shape)
    config._attn_implementation = attention
    torch.manual_seed(0)
    model = transformers.JetMoeForCausalLM(config).to(
        {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype]).eval()
    live = _Live(list(model.parameters()))
    with torch.no_grad(), live:
        model(input_ids=torch.randint(0, 1000, (2, 256)), use_cache=True, logits_to_keep=1)
    engine = "transformers" if attention == "sdpa" else "transformers-eager"
    lines = {line.part: line.bytes for line in plan(nnsize.count(
        {"model_type": "jetmoe", "architectures": ["JetMoeForCausalLM"], **shape}),
        Setup(dtype=dtype, batch=2, context=256, engine=engine)).lines}
    assert lines["decoder_workspace"] + lines["kv_cache"] == pytest.approx(live.peak, rel=0.05)


def test_jetmoe_defaults_arithmetic() -> None:
    # JetMoeConfig's defaults (configuration_jetmoe.py, transformers v5.25.0): 12 layers,
    # hidden 2,048, 16 kv heads x kv_channels 128 = 2,048, intermediate 5,632, 8 experts, 2 a
    # token, 32,000 tokens, the head tied.  A layer: MLP experts 8 x (2 x 5,632 x 2,048 +
    # 2,048 x 5,632) = 276,824,064, attention experts 8 x 2 x 2,048 x 2,048 = 67,108,864,
    # always kv_proj 4,096 x 2,048 + 2 routers 8 x 2,048 + 2 biases and 2 norms of 2,048 =
    # 8,429,568; the embedding 65,536,000 and the final norm 2,048
    report = nnsize.count({"model_type": "jetmoe", "architectures": ["JetMoeForCausalLM"]})
    assert report.total_params == 12 * (276824064 + 67108864 + 8429568) + 65536000 + 2048 \
        == 4293888000
    assert report.active_params == 12 * ((276824064 + 67108864) // 4 + 8429568) + 65538048 \
        == 1198491648
    # the cache: 12 layers x 2 x 16 x 128 = 49,152 values a token, 98,304 B at bf16
    assert kv_cache(report, 1, 1, find("bf16"))[0] == 12 * 2 * 16 * 128 * 2 == 98304
