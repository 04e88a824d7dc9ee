"""DeepSeek-V4's compressing cache (its CSA and HCA layers, fallback_decoder.compressing_layers
and memory.kv_cache.compressed_values) against the cache transformers fills: a tiny model of the
same structure (a sliding layer, two CSA and two HCA layers, ratios 2 and 8, a window of 6)
saved and loaded at bf16 and fp32 as from_pretrained loads it (its float32 position_bias
kept), run on the CPU over prompts and decoding steps, and every tensor its cache holds summed
(numel x element_size, each tensor once: a compressing layer's values are its keys)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from nnsize.architectures.fallback_decoder import compressing_layers
from nnsize.errors import NnsizeError
from nnsize.memory import kv_cache
from nnsize.memory.kv_cache import peak_context
from nnsize.model import Decoder, Report, Tensor
from nnsize.precision import find

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TYPES = ["sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention",
         "compressed_sparse_attention", "heavily_compressed_attention"]
CONFIG: dict[str, Any] = {
    "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 5, "num_attention_heads": 4,
    "num_key_value_heads": 1, "head_dim": 16, "q_lora_rank": 16, "o_groups": 2,
    "o_lora_rank": 8, "moe_intermediate_size": 16, "n_routed_experts": 4,
    "num_experts_per_tok": 2, "n_shared_experts": 1, "index_head_dim": 8, "index_n_heads": 2,
    "index_topk": 4, "sliding_window": 6, "hc_mult": 2, "layer_types": TYPES,
    "compress_rates": {"compressed_sparse_attention": 2, "heavily_compressed_attention": 8},
    "partial_rotary_factor": 0.5, "max_position_embeddings": 256,
    "mlp_layer_types": ["hash_moe"] + ["moe"] * 4}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    torch.manual_seed(0)
    config = transformers.DeepseekV4Config(**CONFIG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.DeepseekV4ForCausalLM(config)
        folder = tmp_path_factory.mktemp("deepseek_v4")
        model.save_pretrained(folder)
    return config, folder


def cache_bytes(cache: Any) -> int:
    """Every tensor each layer of the cache holds, once (a compressing layer's values are its
    keys), its bookkeeping scalar aside (a sliding layer's _sliding_window_tensor, which no
    window's cache nnsize plans counts)."""
    seen: set[int] = set()
    total = 0

    def walk(value: Any) -> None:
        nonlocal total
        if isinstance(value, torch.Tensor) and id(value) not in seen:
            seen.add(id(value))
            total += value.numel() * value.element_size()
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for layer in cache.layers:
        for name, value in vars(layer).items():
            if not name.startswith("_"):
                walk(value)
    return total


LOADED: dict[tuple[Path, str], Any] = {}


def loaded(folder: Path, dtype: str) -> Any:
    """The tiny model as from_pretrained loads it at dtype (once a dtype)."""
    if (folder, dtype) not in LOADED:
        torch_dtype = {"bf16": torch.bfloat16, "fp32": torch.float32,
                       "fp16": torch.float16}[dtype]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = transformers.DeepseekV4ForCausalLM.from_pretrained(folder, dtype=torch_dtype)
        LOADED[(folder, dtype)] = model.eval()
    return LOADED[(folder, dtype)]


def planned(config: Any, batch: int, tokens: int, dtype: str, peak: bool = False) -> int:
    model = transformers.DeepseekV4ForCausalLM
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = model(config)
    tensors = [Tensor(n, tuple(p.shape), "weight") for n, p in built.named_parameters()]
    layers = compressing_layers(config, tensors)
    report = Report("tiny", "pytorch", (), (), decoder=Decoder(32, 16, 64, layers))
    return kv_cache(report, batch, tokens, find(dtype), peak=peak)[0]


@pytest.mark.parametrize(("dtype", "batch", "steps"), [
    ("bf16", 1, (1,)), ("bf16", 2, (1,)), ("bf16", 2, (5,)), ("bf16", 2, (7,)),
    ("bf16", 1, (8,)), ("bf16", 2, (16,)), ("bf16", 2, (17,)), ("bf16", 3, (33,)),
    ("bf16", 2, (3, 1, 1, 1, 1)),  # a prompt of 3, then 4 decoding steps: 7
    ("bf16", 1, (10, 1, 1, 1, 1, 1, 1, 1)),  # 17, a group of 8 closed while decoding
    ("bf16", 1, (9, 4, 3)),  # prompts that leave pending tokens, then close them
    ("fp32", 2, (17,)), ("fp32", 1, (5, 1, 1, 1))])  # everything in float32
def test_cache_against_transformers(saved: tuple[Any, Path], dtype: str, batch: int,
                                    steps: tuple[int, ...]) -> None:
    config, folder = saved
    model = loaded(folder, dtype)
    position = model.model.layers[1].self_attn.compressor.position_bias
    assert position.dtype == torch.float32  # _keep_in_fp32_modules_strict
    cache = transformers.DynamicCache(config=config)
    with torch.no_grad():
        for n in steps:
            model(input_ids=torch.randint(0, 64, (batch, n)), cache=cache, use_cache=True)
    assert cache_bytes(cache) == planned(config, batch, sum(steps), dtype)


def test_arithmetic_at_17_tokens(saved: tuple[Any, Path]) -> None:
    # one sequence of 17 tokens at bf16 (head_dim 16, index_head_dim 8, window 6: 5 tokens):
    # sliding: 5 x (16 + 16) x 2 B = 320
    # CSA (ratio 2): 5 x 16 x 2 (values are keys) + 8 entries x 24 x 2 + 1 pending x
    #   (2 x 2 x 24) x 2 + 2 carried x 24 x 2 + 2 x 24 x 4 (float32 gates) = 160 + 384 + 192
    #   + 96 + 192 = 1,024
    # HCA (ratio 8): 160 + 2 entries x 16 x 2 + 1 pending x 32 x 2 = 160 + 64 + 64 = 288
    config, _ = saved
    assert planned(config, 1, 17, "bf16") == 320 + 2 * 1024 + 2 * 288 == 2944


def test_fp16_is_refused_as_transformers_cannot_run_it(saved: tuple[Any, Path]) -> None:
    # from_pretrained at fp16 keeps the compressors' kv_proj and gate_proj in float32
    # (_keep_in_fp32_modules), and their F.linear meets fp16 activations
    config, folder = saved
    model = loaded(folder, "fp16")
    assert model.model.layers[1].self_attn.compressor.kv_proj.weight.dtype == torch.float32
    with pytest.raises(RuntimeError, match="same dtype"), torch.no_grad():
        model(input_ids=torch.zeros((1, 4), dtype=torch.long),
              cache=transformers.DynamicCache(config=config), use_cache=True)
    with pytest.raises(NnsizeError, match="at fp16"):
        planned(config, 1, 4, "fp16")


def test_the_peak_on_the_way_as_transformers_fills_it(saved: tuple[Any, Path]) -> None:
    # a prompt of 1, then one token a step to 26: the largest cache any step held so far is
    # the planned peak (kv_cache's peak, peak_context), at every step; once the window is
    # full (6) the cache itself dips wherever a group of 2 closes, below the step before
    config, folder = saved
    model = loaded(folder, "bf16")
    cache = transformers.DynamicCache(config=config)
    held = []
    with torch.no_grad():
        for _ in range(26):
            model(input_ids=torch.randint(0, 64, (1, 1)), cache=cache, use_cache=True)
            held.append(cache_bytes(cache))
    assert [n for n in range(2, 27) if held[n - 1] < held[n - 2]] == list(range(6, 27, 2))
    for n in range(1, 27):
        assert planned(config, 1, n, "bf16") == held[n - 1]
        assert planned(config, 1, n, "bf16", peak=True) == max(held[:n])


@pytest.mark.parametrize("ratios", [[2, 8], [3, 8], [5], [4, 6, 128]])
def test_peak_context_is_the_largest_of_every_context_before(ratios: list[int]) -> None:
    # a cache that grows with the context (a window, entries) beside each ratio's pending
    # tokens: peak_context reads the last lcm(ratios) contexts and finds the largest of all,
    # the latest where several tie
    def cache(m: int) -> int:
        return min(m, 7) * 100 + sum((m // r) * 3 + (m % r) * 40 for r in ratios)

    for n in range(1, 400):
        most = max(cache(m) for m in range(1, n + 1))
        assert peak_context(ratios, n, cache) == \
            max(m for m in range(1, n + 1) if cache(m) == most)
