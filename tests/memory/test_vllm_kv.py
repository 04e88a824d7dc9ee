"""vLLM V1's KV cache groups (memory.vllm_kv) against vLLM's own unit tests and its logs.

vLLM's unit tests: tests/v1/core/test_kv_cache_utils.py at vllm-project/vllm eaba533a5e3853c
730318c8b5960de4d159a82ed (test_get_kv_cache_config_one_worker,
test_get_max_concurrency_for_kv_cache_config).  Their layers: new_kv_cache_spec(), 16-token
blocks of 2 x 4 KV heads x 64 x 2 B, mem_per_block_per_layer = 16 x 2 x 64 x 4 x 2 = 16,384 B,
1,024 B a token.  Logs: tests/data/engine_logs.json "vllm_groups".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory.serving import capacity, vllm_groups
from nnsize.memory.setup import Setup
from nnsize.memory.vllm_kv import Spec, group_size, groups

import paths

DATA = json.loads((paths.DATA / "engine_logs.json").read_text())
GiB = 2**30
PAGE = 16 * 2 * 64 * 4 * 2  # vLLM's test: mem_per_block_per_layer = 16,384
FULL, SLIDING = Spec(1024), Spec(1024, window=1)


@pytest.mark.parametrize(("full", "sliding", "memory", "size", "n_groups", "padding", "blocks"), [
    (1, 1, PAGE * 2 * 32, 1, 2, 0, 64),  # full + sliding: 2 groups of 1, 64 blocks
    (2, 4, PAGE * 2 * 32, 2, 3, 0, 32),  # 2 full + 4 sliding: 2 layers per group
    (3, 7, PAGE * 3 * 32, 3, 4, 2, 32),  # 3 full + 7 sliding, padded to 3 + 9
    (6, 5, PAGE * 6 * 32, 6, 2, 1, 32),  # gpt-oss + eagle: 5 < 1.5 x 6, padded to 6 + 6
])
def test_groups_as_vllms_unit_test(full: int, sliding: int, memory: int, size: int,
                                   n_groups: int, padding: int, blocks: int) -> None:
    g = groups([(FULL, full), (SLIDING, sliding)], memory, 16, 2048)
    assert (g.group_size, len(g.groups), g.padding, g.blocks, g.page) == \
        (size, n_groups, padding, blocks, PAGE)
    # layers[i::num_groups] to the i-th group of a kind: 7 sliding in 3 groups are 3, 2, 2
    if sliding == 7:
        assert [x.layers for x in g.groups] == [3, 3, 2, 2]


def test_smaller_pages_take_larger_blocks() -> None:
    # full head 64 beside sliding head 32: the sliding layer's page is 8,192 B, unified to
    # 16,384 by 32-token blocks; 32 blocks in 16,384 x 32 B.  Head 96 (24,576 B) cannot be
    full, half = Spec(1024), Spec(512, window=1)
    g = groups([(full, 1), (half, 1)], PAGE * 32, 16, 2048)
    assert g.blocks == 32 and [x.block_tokens for x in g.groups] == [16, 32]
    with pytest.raises(NnsizeError, match="cannot unify"):
        groups([(full, 1), (Spec(1536, window=1), 1)], PAGE * 2 * 32, 16, 2048)


def test_group_size_rule() -> None:
    # vllm#29303: the largest count where under 1.5 x the smallest (gpt-oss-120b + eagle,
    # 19 full + 18 sliding: 19); Gemma 3 27B's 52 sliding + 10 full: 10
    assert group_size([19, 18]) == 19 and group_size([52, 10]) == 10 and group_size([12, 12]) == 12


def test_max_concurrency_as_vllms_unit_test() -> None:
    # Qwen1.5-7B's spec (32 KV heads x 128 x 2 x 2 B = 16,384 B a token), max_model_len 16,384,
    # max_num_batched_tokens 1,024: 32 full + 32 sliding (window 1,024) layers with
    # (1,024 + 129) x 3 blocks hold 3 requests: one takes 16,384 / 16 = 1,024 full blocks and
    # cdiv(min(1,023 + 1,024, 16,384), 16) + 1 = 129 sliding ones
    full, sliding = Spec(16_384), Spec(16_384, window=1024)
    page = 16 * 16_384
    g = groups([(full, 32), (sliding, 32)], (1024 + 129) * 3 * page * 32, 16_384, 1024)
    assert g.request_blocks == 1024 + 129 and g.max_concurrency == 3


def test_gemma_3_27b_on_an_h100() -> None:
    # 52 sliding-window (1,024) + 10 full layers of 16 KV heads x 128 x 2 x 2 B = 8,192 B a
    # token: 7 groups of 10 (8 padding layers), page 16 x 8,192 = 131,072 B; what vLLM logs
    # from nnsize's 11,227,914,516 B: 11,227,914,516 // 131,072 // 10 = 8,566 blocks,
    # 8,566 // 7 x 16 = 19,568 tokens (memory / (62 x 8,192) would say 22,096);
    # at 2,048 tokens a request takes 128 + 6 x (128 + 1) = 902 blocks: 8,566 / 902 = 9.50x
    s = Setup(engine="vllm", context=2048)
    c = capacity(nnsize.count("gemma-3-27b"), s, int(79.22 * GiB), "h100-80gb")
    assert c is not None and c.groups is not None
    g = c.groups
    assert (g.group_size, len(g.groups), g.padding, g.page) == (10, 7, 8, 131_072)
    assert g.blocks == c.kv_bytes // 131_072 // 10
    assert c.kv_cache_tokens == g.blocks // 7 * 16
    assert g.request_blocks == 902
    assert c.max_concurrency == pytest.approx(g.blocks / 902)


def test_one_kind_of_layer_is_one_group() -> None:
    # Llama (all full), Mistral (all one window), DeepSeek's MLA: memory.serving's per-token
    # path, unchanged
    for model in ("llama-3.1-8b", "mistral-7b", "deepseek-v2-lite"):
        c = capacity(nnsize.count(model), Setup(engine="vllm", context=4096),
                     int(79.22 * GiB), "h100-80gb")
        assert c is not None and c.groups is None
        assert c.kv_cache_tokens == max(c.kv_bytes, 0) // (c.per_token * 16) * 16


def _mla_bytes(model: str, tp: int) -> int:
    # MLA's page a layer, a token: the latent kv_lora_rank + qk_rope_head_dim on every rank
    from nnsize.memory.plan import plan

    report = nnsize.count(model)
    p = plan(report, Setup(engine="vllm", context=1, tp=tp))
    assert vllm_groups(report, p, tp, 0, 1, 1) is None  # one kind: one group
    c = capacity(report, Setup(engine="vllm", context=1, tp=tp), 80 * GiB, "h100-80gb")
    assert c is not None
    layers = len(report.decoder.layers) if report.decoder else 0
    return c.per_token // layers


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"] if "kv_cache_gib_by_stage"
                               in e["logged"]], ids=lambda e: e["url"].rsplit("/", 1)[-1])
def test_mla_tokens_from_the_logged_kv_memory(e: dict[str, Any]) -> None:
    # DeepSeek-V2-Lite at tp 2, pp 2: 576 x 2 B = 1,152 B a layer on every rank; blocks a stage
    # = its memory // (16 x 1,152 x its layers), the fewest taken: 12.13 GiB // (16 x 1,152 x
    # 14) = 50,473 blocks = 807,568 tokens, the log's 807,792 (its GiB has 2 decimals)
    f, log = e["flags"], e["logged"]
    per_layer = _mla_bytes(e["model"], f["tensor_parallel_size"])
    assert per_layer == (512 + 64) * 2 == 1152
    blocks = min(int(gib * GiB) // (16 * per_layer * n)
                 for gib, n in zip(log["kv_cache_gib_by_stage"], e["stage_layers"]))
    assert sum(e["stage_layers"]) == 27
    assert blocks * 16 == pytest.approx(log["kv_cache_tokens"], rel=0.03)
    assert blocks * 16 / f["max_model_len"] == pytest.approx(log["max_concurrency"], rel=0.03)


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"] if "kv_needed_gib"
                               in e["logged"]], ids=lambda e: e["url"].rsplit("/", 1)[-1])
def test_mla_one_request_as_logged(e: dict[str, Any]) -> None:
    # cdiv(32,768, 16) = 2,048 blocks x 16 x 1,152 B x 27 layers = 1,019,215,872 B = 0.95 GiB
    per_layer = _mla_bytes(e["model"], 1)
    needed = -(-e["flags"]["max_model_len"] // 16) * 16 * per_layer * 27
    assert needed / GiB == pytest.approx(e["logged"]["kv_needed_gib"], abs=0.005)


def test_state_space_layers_are_grouped() -> None:
    # Jamba: 2 attention layers of 4 (attn_layer_period 2), 2 KV heads x 16 x 2 x 2 B = 128 B a
    # token; a Mamba state conv 3 x 128 + SSM 128 x 4 = 896 values x 2 B = 1,792 B: block
    # 16 x cdiv(1,792, 16 x 128) = 16, the state padded to 2,048 B (14.29%); 2 groups of 2,
    # a request of 1,024 tokens cdiv(1,024, 16) + 1 = 65 blocks without prefix caching
    # (--mamba-cache-mode none), cdiv(1,024, 16) + 2 = 66 with it (vLLM 0.28's default: align)
    from nnsize.memory.serving import Serving
    from nnsize.render.plan import serving_lines

    jamba = {"model_type": "jamba", "hidden_size": 64, "num_attention_heads": 4,
             "num_key_value_heads": 2, "num_hidden_layers": 4, "intermediate_size": 128,
             "vocab_size": 256, "num_experts": 1, "attn_layer_period": 2, "attn_layer_offset": 1,
             "mamba_d_state": 4, "mamba_d_conv": 4, "mamba_expand": 2,
             "architectures": ["JambaForCausalLM"]}
    default = capacity(nnsize.count(jamba), Setup(engine="vllm", context=1024), 80 * GiB,
                       "h100-80gb")
    assert default is not None and default.groups is not None
    assert (default.groups.mamba_cache_mode, default.groups.request_blocks) == \
        ("align", 1024 // 16 + 2)
    c = capacity(nnsize.count(jamba), Setup(engine="vllm", context=1024,
                                            mamba_cache_mode="none"), 80 * GiB, "h100-80gb")
    assert c is not None and c.terms["state_layers"] == 2 and c.groups is not None
    g = c.groups
    assert g.alignment is not None
    assert (g.alignment.state, g.alignment.block_tokens, g.page) == (1792, 16, 2048)
    assert (len(g.groups), g.group_size, g.request_blocks) == (2, 2, 65)
    assert c.kv_cache_tokens == c.kv_bytes // 2048 // 2 // 2 * 16
    text = dict(serving_lines(Serving(c)))["vLLM KV cache"]
    assert "not modelled" not in text
    assert "16 x cdiv(1,792 B, 16 x 128 B) = 16 tokens" in text and "(14.29%)" in text
    # the mode nnsize assumes, said where the request's blocks are
    assert "a state group 1 block: mamba_cache_mode none, prefix caching off, as vllm serve " \
        "left it for hybrid models before 0.28.0" in text
    assert "a state group 2 blocks: mamba_cache_mode align, prefix caching on, vllm serve's " \
        "default from 0.28.0" in dict(serving_lines(Serving(default)))["vLLM KV cache"]
    from nnsize.render.json import serving_dict

    groups = serving_dict(Serving(c))["kv_cache"]["groups"]  # type: ignore[index]
    assert (groups["attention_block_tokens"], groups["state_bytes"],
            groups["state_padding_percent"], groups["mamba_cache_mode"]) == \
        (16, 1792, 14.29, "none")
    assert [x.get("state_bytes") for x in groups["groups"]] == [None, 1792]


def _published(name: str) -> dict[str, Any]:
    """A model of tests/architectures/published.py, or a file of tests/data/published_configs."""
    import sys

    if name.endswith(".json"):
        return dict(json.loads((paths.DATA / "published_configs" / name).read_text()))
    sys.path.insert(0, str(paths.ROOT / "tests" / "architectures"))
    from published import PUBLISHED as configs  # type: ignore[import-not-found]

    return dict(configs[name][0])


def _alignment(name: str, tp: int, kv_dtype: str | None = None) -> Any:
    from nnsize.memory.plan import plan

    report = nnsize.count(_published(name))
    s = Setup(engine="vllm", context=4096, tp=tp, gpus=tp, sharding="tp", kv_dtype=kv_dtype) \
        if tp > 1 else Setup(engine="vllm", context=4096, kv_dtype=kv_dtype)
    g = vllm_groups(report, plan(report, s), tp, 0, 4096, 2048)
    assert g is not None and g.alignment is not None
    return g.alignment


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"] if "attention_block_tokens"
                               in e["logged"]], ids=lambda e: e["model"])
def test_attention_block_and_padding_as_logged(e: dict[str, Any]) -> None:
    # "Setting attention block size to N tokens" and "Padding mamba page size by X%", exact:
    # Granite 4.0 H Small (Mamba-2: conv 3 x (8,192 + 2 x 1 x 128) x 2 B + SSM 128 x 64 x
    # 128 x 2 B = 2,147,840 B; attention 2 x 8 x 128 x 2 B = 4,096 B a token): 16 x
    # cdiv(2,147,840, 65,536) = 528 tokens, 2,162,688 B, 0.69%; Qwen3-Next-80B-A3B at tp 2
    # (gated delta net: conv 3 x (2 x 16 x 128 + 32 x 128) / 2 x 2 B + recurrent 16 x 128 x
    # 128 x 2 B = 548,864 B; attention 1 x 256 x 2 x 2 B = 1,024 B): 544 tokens, 1.49%
    # Qwen3.6-35B-A3B (Qwen3.5-35B-A3B's shape) with an fp8 cache: 16 x cdiv(2,146,304, 16 x
    # 1,024) = 2,096 tokens
    a = _alignment(e["model"], e["flags"].get("tensor_parallel_size", 1),
                   {"fp8_e4m3": "fp8"}.get(e["flags"].get("kv_cache_dtype", "")))
    assert a.block_tokens == e["logged"]["attention_block_tokens"]
    if "state_padding_percent" in e["logged"]:
        assert round(a.padding_percent, 2) == e["logged"]["state_padding_percent"]


def test_nemotron_h_block_as_vllm_says() -> None:
    # vllm-project/vllm#24280: "672 tokens for nvidia/NVIDIA-Nemotron-Nano-9B-v2", a vLLM that
    # kept the SSM state at the model's bf16: 3 x 12,288 x 2 B + 128 x 80 x 128 x 2 B =
    # 2,695,168 B, 16 x cdiv(2,695,168, 65,536) = 672.  Since vllm-project/vllm#39032 its
    # config's mamba_ssm_cache_dtype, else float32 (this config names none): 73,728 + 128 x 80
    # x 128 x 4 B = 5,316,608 B, 16 x cdiv(5,316,608, 65,536) = 16 x 82 = 1,312
    from nnsize.memory.vllm_kv import align, state_bytes
    from nnsize.records import replace

    a = _alignment("nemotron-nano-9b-v2", 1)
    assert (a.state, a.block_tokens) == (3 * 12_288 * 2 + 128 * 80 * 128 * 4, 16 * 82) == \
        (5_316_608, 1312)
    report = nnsize.count(_published("nemotron-nano-9b-v2"))
    m = report.decoder.mixer if report.decoder else None
    assert m is not None and m.ssm_dtype == "float32"
    bf16 = state_bytes(replace(m, ssm_dtype=""), 1, 2)
    assert (bf16, align(bf16, 2 * 8 * 128 * 2).block_tokens) == (2_695_168, 672)


def test_nemotron_h_reads_its_mamba_ssm_cache_dtype() -> None:
    # NVIDIA-Nemotron-3-Nano-30B-A3B's config says "float32"; a config saying "float16" keeps
    # the SSM state at 2 B, one that vLLM does not know is refused by name
    from nnsize.errors import SpecError

    config = _published("nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.json")
    assert config["mamba_ssm_cache_dtype"] == "float32"
    d = nnsize.count(config).decoder
    assert d is not None and d.mixer is not None and d.mixer.ssm_dtype == "float32"
    d = nnsize.count({**config, "mamba_ssm_cache_dtype": "float16"}).decoder
    assert d is not None and d.mixer is not None and d.mixer.ssm_dtype == "float16"
    with pytest.raises(SpecError, match="mamba_ssm_cache_dtype = 'fp8'"):
        nnsize.count({**config, "mamba_ssm_cache_dtype": "fp8"})


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"] if "kv_cache_gib" in e["logged"]
                               and "attention_block_tokens" in e["logged"]],
                         ids=lambda e: e["model"])
def test_state_groups_tokens_from_the_logged_kv_memory(e: dict[str, Any]) -> None:
    # Qwen3-Next-80B-A3B at tp 2, 44.59 GiB a rank: 12 attention + 36 gated delta net layers,
    # group_size 12, 1 + 3 groups, page 544 x 1,024 = 557,056 B; 47,878,... B // 557,056 //
    # 12 = 7,162 blocks, 7,162 // 4 x 544 = 973,760 tokens (the log's); a request of 262,144
    # tokens takes cdiv(262,144, 544) + 3 = 485 blocks: 7,162 / 485 = 14.77x
    from nnsize.memory.plan import plan

    f, log = e["flags"], e["logged"]
    tp = f["tensor_parallel_size"]
    report = nnsize.count(_published(e["model"]))
    s = Setup(engine="vllm", context=f["max_model_len"], tp=tp, gpus=tp, sharding="tp")
    g = vllm_groups(report, plan(report, s), tp, int(log["kv_cache_gib"] * GiB),
                    f["max_model_len"], f["max_num_batched_tokens"])
    assert g is not None
    assert g.tokens == pytest.approx(log["kv_cache_tokens"], rel=0.03)
    assert g.max_concurrency == pytest.approx(log["max_concurrency"], rel=0.03)
    assert (g.group_size, len(g.groups)) == (12, 4)


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"] if "kv_cache_gib" in e["logged"]
                               and "attention_block_tokens" in e["logged"]],
                         ids=lambda e: e["model"])
def test_state_groups_from_the_setup_alone(e: dict[str, Any]) -> None:
    # nnsize's own budget (the weights, the profile run, outside torch) on the card the log
    # names: Qwen3-Next-80B-A3B on 2 x H200, 997,152 tokens against 973,760 (1.024)
    f, log = e["flags"], e["logged"]
    tp = f["tensor_parallel_size"]
    from nnsize.gpus import find_gpu

    gpu = find_gpu(e["gpu"])
    assert gpu.cuda_bytes is not None
    # the log's own flags: its vLLM's gpu_memory_utilization, and prefix caching off
    # ("Hybrid or mamba-based model detected: disabling prefix caching"), not nnsize's defaults
    mode = "none" if f.get("enable_prefix_caching") is False else f["mamba_cache_mode"]
    s = Setup(engine="vllm", context=f["max_model_len"], chunk=f["max_num_batched_tokens"],
              tp=tp, gpus=tp, sharding="tp", mamba_cache_mode=mode,
              gpu_memory_utilization=str(f["gpu_memory_utilization"]))
    c = capacity(nnsize.count(_published(e["model"])), s, gpu.cuda_bytes, e["gpu"])
    assert c is not None and c.groups is not None
    assert c.kv_cache_tokens == pytest.approx(log["kv_cache_tokens"], rel=0.03)
    assert c.max_concurrency == pytest.approx(log["max_concurrency"], rel=0.03)


def test_state_shapes_by_kind() -> None:
    # vLLM's MambaStateShapeCalculator: mamba1 (kernel - 1, I / tp), (I / tp, N); mamba2's
    # groups grow to tp where they do not divide it (1 group at tp 2: 2); short_conv one conv
    from nnsize.memory.vllm_kv import state_shapes
    from nnsize.model import StateMixer

    assert state_shapes(StateMixer("mamba1", 1, 8192, 4, 16), 2) == ((3, 4096), (4096, 16))
    # (8,192 + 2 x 2 x 128) / 2 = 4,352
    assert state_shapes(StateMixer("mamba2", 1, 8192, 4, 128, 128, 64, 1), 2) == \
        ((3, 4352), (64, 64, 128))
    assert state_shapes(StateMixer("short_conv", 1, 1024, 3), 1) == ((2, 1024),)
    with pytest.raises(NnsizeError, match="cannot split"):
        state_shapes(StateMixer("short_conv", 1, 1024, 3), 3)


def test_mimo_v2_flash_as_vllms_model_caches_it(capsys: pytest.CaptureFixture[str]) -> None:
    # vLLM's MiMoV2Attention pads values to head_dim and slides over sliding_window_size
    # (vllm_kv.CACHING): a full layer's token 2 x 4 KV heads x 192 x 2 B = 3,072 B (transformers
    # keeps 4 x (192 + 128) x 2 B = 2,560), a sliding one's 2 x 8 x 192 x 2 B = 6,144 B
    # (5,120), window 128 (129).  9 full layers and 39 sliding: group_size 9 (39 is not under
    # 1.5 x 9), 1 + cdiv(39, 9) = 6 groups with 6 padding layers; page 16 x 6,144 = 98,304 B,
    # the full layers' block 32 tokens.  A request of 262,144 tokens (chunks of 8,192) takes
    # 262,144 / 32 = 8,192 blocks of the full group, cdiv(127 + 8,192, 16) + 1 = 521 of each
    # sliding one: 8,192 + 5 x 521 = 10,797
    from nnsize.memory.plan import plan

    report = nnsize.count(paths.DATA / "published_configs" / "XiaomiMiMo--MiMo-V2-Flash.json")
    p = plan(report, Setup(engine="vllm", context=262144))
    g = vllm_groups(report, p, 1, 80 * GiB, 262144, 8192)
    assert g is not None
    assert [(x.spec, x.layers, x.block_tokens) for x in g.groups] == \
        [(Spec(2 * 4 * 192 * 2), 9, 32)] + [(Spec(2 * 8 * 192 * 2, window=128), 8, 16)] * 4 + \
        [(Spec(2 * 8 * 192 * 2, window=128), 7, 16)]
    assert (g.group_size, g.padding, g.page) == (9, 6, 16 * 6144)
    assert g.blocks == 80 * GiB // 98_304 // 9
    assert g.tokens == g.blocks // 6 * 16
    assert g.request_blocks == 8192 + 5 * 521
    # and the output says whose sizes these are
    from nnsize.cli import main
    from nnsize.memory.vllm_kv import CACHING

    assert g.caching == CACHING["mimo_v2_flash"]
    path = str(paths.DATA / "published_configs" / "XiaomiMiMo--MiMo-V2-Flash.json")
    assert main(["fit", path, "--engine", "vllm", "--gpu", "h200", "--tp", "8"]) == 0
    out = capsys.readouterr().out
    assert "as vLLM's model of the family caches them, not as transformers'" in out
    assert "values padded to the keys' width, windows 1 token shorter" in out


QWEN35_27B = "Qwen--Qwen3.5-27B.json"
# Qwen3.5-27B's gated delta net (16 key heads, 48 value heads of 128, kernel 4) in bf16 with
# its config's mamba_ssm_dtype float32: conv 3 x (2 x 16 x 128 + 48 x 128) x 2 B + recurrent
# 48 x 128 x 128 x 4 B; an attention token 4 KV heads x 256 x 2 x 2 B
QWEN35_27B_STATE = 3 * (2 * 16 * 128 + 48 * 128) * 2 + 48 * 128 * 128 * 4  # 3,207,168
QWEN35_27B_TOKEN = 4 * 256 * 2 * 2  # 4,096


def _qwen35_groups(kv_bytes: int, mode: str, max_model_len: int = 32_768) -> Any:
    from nnsize.memory.plan import plan

    report = nnsize.count(_published(QWEN35_27B))
    s = Setup(engine="vllm", context=max_model_len)
    return vllm_groups(report, plan(report, s), 1, kv_bytes, max_model_len, 8192,
                       mamba_cache_mode=mode)


def test_qwen3_5_keeps_its_recurrent_state_at_mamba_ssm_dtype() -> None:
    # vLLM's Qwen3_5ForConditionalGenerationConfig sets mamba_ssm_cache_dtype from the
    # config's mamba_ssm_dtype (float32); the conv state stays at the model's bf16:
    # 61,440 + 3,145,728 = 3,207,168 B, block 16 x cdiv(3,207,168, 16 x 4,096) = 16 x 49 = 784
    # (at bf16 it would be 61,440 + 1,572,864 = 1,634,304 B, 16 x 25 = 400 tokens)
    from nnsize.memory.vllm_kv import align, state_bytes
    from nnsize.records import replace

    report = nnsize.count(_published(QWEN35_27B))
    m = report.decoder.mixer if report.decoder else None
    assert m is not None and m.ssm_dtype == "float32"
    assert state_bytes(m, 1, 2) == QWEN35_27B_STATE == 3_207_168
    assert align(QWEN35_27B_STATE, QWEN35_27B_TOKEN).block_tokens == 16 * 49 == 784
    bf16 = state_bytes(replace(m, ssm_dtype=""), 1, 2)
    assert bf16 == 3 * 10_240 * 2 + 48 * 128 * 128 * 2 == 1_634_304
    assert align(bf16, QWEN35_27B_TOKEN).block_tokens == 16 * 25 == 400
    # tensor parallel 2: each rank half the heads, the same dtypes
    assert state_bytes(m, 2, 2) == QWEN35_27B_STATE // 2


def test_a_mamba_ssm_dtype_vllm_does_not_know_is_refused() -> None:
    from nnsize.errors import SpecError

    # the language model's config (the image-text wrapper falls back to transformers' count)
    text = {**_published(QWEN35_27B)["text_config"], "mamba_ssm_dtype": "float8"}
    with pytest.raises(SpecError, match="mamba_ssm_dtype = 'float8'"):
        nnsize.count(text)


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"]
                               if e["flags"].get("mamba_cache_mode") == "none"],
                         ids=lambda e: e["url"].rsplit("/", 1)[-1])
def test_qwen3_5_without_prefix_caching_as_logged(e: dict[str, Any]) -> None:
    # vllm-project/vllm#40691 (vLLM 0.19.0, no --enable-prefix-caching): 16 attention + 48
    # state layers, group_size 16, 1 + 3 groups, page 784 x 4,096 = 3,211,264 B.  No KV memory
    # is logged: the tokens say blocks // 4 = 290,864 / 784 = 371; the largest such count,
    # 1,487 blocks, in 1,487 x 3,211,264 x 16 B.  A request of 32,768 tokens takes
    # cdiv(32,768, 784) = 42 attention blocks + 3 state groups x 1 = 45: 1,487 / 45 = 33.04x
    log = e["logged"]
    page = 784 * QWEN35_27B_TOKEN
    blocks = (log["kv_cache_tokens"] // 784) * 4 + 3
    assert blocks == 1487
    g = _qwen35_groups(blocks * page * 16, "none", e["flags"]["max_model_len"])
    assert (g.alignment.block_tokens, g.page, g.group_size, len(g.groups)) == \
        (784, page, 16, 4)
    assert g.blocks == blocks and g.request_blocks == 42 + 3 * 1
    assert g.tokens == log["kv_cache_tokens"] == 371 * 784
    assert g.max_concurrency == pytest.approx(log["max_concurrency"], abs=0.005)
    # prefix caching (align) takes two state blocks a request: 1,487 / 48 = 30.98x, not the log
    assert _qwen35_groups(blocks * page * 16, "align").max_concurrency == \
        pytest.approx(1487 / 48)


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"]
                               if "kv_cache_tokens_by_concurrency" in e["logged"]],
                         ids=lambda e: e["model"])
def test_qwen3_5_with_prefix_caching_as_logged(e: dict[str, Any]) -> None:
    # mamba_cache_mode align (--enable-prefix-caching): the same 784-token block, and a
    # request of 32,768 tokens takes 42 attention blocks + 3 state groups x 2 = 48.  That vLLM
    # logs int(max concurrency x max_model_len): 42.75x = 2,052 / 48 blocks, 42.75 x 32,768 =
    # 1,400,832 tokens; nnsize's figure (blocks // groups x block, the earlier log) is
    # 2,052 // 4 x 784 = 402,192
    log = e["logged"]
    page = 784 * QWEN35_27B_TOKEN
    g = _qwen35_groups(2052 * page * 16, "align", e["flags"]["max_model_len"])
    assert g.alignment.block_tokens == log["attention_block_tokens"] == 784
    assert g.request_blocks == 42 + 3 * 2 == 48
    assert g.max_concurrency == log["max_concurrency"] == 2052 / 48
    assert g.tokens_by_concurrency == log["kv_cache_tokens_by_concurrency"] == 1_400_832
    assert g.tokens == 2052 // 4 * 784 == 402_192
    # one state block a request: no whole number of blocks is 42.75 x 45
    assert not any(b / 45 == log["max_concurrency"] for b in range(1900, 1950))


def test_align_mode_takes_a_state_block_more_a_group() -> None:
    # Qwen3-Next-80B-A3B at tp 2 (the 0.10.2 log, tests/data/engine_logs.json): a request of
    # 262,144 tokens takes cdiv(262,144, 544) = 482 attention blocks + 3 state groups: 485
    # without prefix caching, 482 + 3 x 2 = 488 with it (align); the block and the logged
    # tokens do not move
    from nnsize.memory.plan import plan

    report = nnsize.count(_published("qwen3-next-80b-a3b"))
    s = Setup(engine="vllm", context=262_144, tp=2, gpus=2, sharding="tp")
    p = plan(report, s)
    none, aligned = (vllm_groups(report, p, 2, 47_878_000_000, 262_144, 8192,
                                 mamba_cache_mode=mode) for mode in ("none", "align"))
    assert none is not None and aligned is not None
    assert (none.request_blocks, aligned.request_blocks) == (482 + 3, 482 + 3 * 2)
    assert none.alignment == aligned.alignment and none.tokens == aligned.tokens
    assert aligned.max_concurrency == pytest.approx(none.blocks / 488)


def test_a_mode_vllm_lacks_is_refused() -> None:
    with pytest.raises(NnsizeError, match="'every' is not modelled"):
        groups([(FULL, 1), (Spec(0, state=1024), 1)], PAGE * 32, 16, 2048, 16,
               mamba_cache_mode="every")


def test_all_mode_keeps_a_state_a_block() -> None:
    # vLLM 0.28.0 (Platform._align_hybrid_block_size, MambaSpec.max_memory_usage_bytes):
    # Nemotron-H-56B, chunk_size 128, bf16 at tp 1: a Mamba-2 state of conv 3 x (16,384 + 2 x
    # 8 x 256) x 2 B + SSM 256 x 64 x 256 x 4 B (float32: NemotronHForCausalLMConfig) =
    # 16,900,096 B, 4,126 tokens of attention at 8 KV heads x 128 x 2 x 2 B = 4,096 B: the
    # block is 16 x cdiv(16,900,096, 16 x 4,096) = 4,128 tokens in none and align,
    # 128 x cdiv(4,126, 128) = 4,224 in all; 10 attention and 54 state layers, 7 groups of
    # 10; a request of 32,768 tokens takes cdiv(32,768, 4,224) = 8 attention blocks and 8 in
    # each of the 6 state groups in all (56), 8 + 6 x 2 = 20 in align
    from nnsize.memory.plan import plan
    from nnsize.memory.vllm_kv import align, mamba_chunk

    config = _published("nvidia--Nemotron-H-56B-Base-8K.json")
    assert mamba_chunk(config) == 128
    report = nnsize.count(config)
    s = Setup(engine="vllm", context=32_768)
    p = plan(report, s)
    kv = 40 * GiB
    every, aligned = (vllm_groups(report, p, 1, kv, 32_768, 8192, mamba_cache_mode=mode)
                      for mode in ("all", "align"))
    assert every is not None and aligned is not None
    assert every.alignment is not None and aligned.alignment is not None
    assert every.alignment.state == aligned.alignment.state == 16_900_096
    assert (aligned.alignment.block_tokens, every.alignment.block_tokens) == (4128, 4224)
    assert align(16_900_096, 4096, chunk=128).block_tokens == 128 * -(-4126 // 128)
    assert (len(every.groups), every.group_size) == (7, 10)
    assert every.page == 4224 * 4096 and every.blocks == kv // every.page // 10
    assert [g.block_tokens for g in every.groups] == [4224] * 7
    assert every.tokens == every.blocks // 7 * 4224
    assert (every.request_blocks, aligned.request_blocks) == (8 + 6 * 8, 8 + 6 * 2)
    assert every.mamba_cache_mode == "all" and not every.fell_back
    # the setup's mode reaches the capacity, the text and the JSON
    from nnsize.memory.serving import Serving
    from nnsize.render.json import serving_dict
    from nnsize.render.plan import serving_lines

    c = capacity(report, Setup(engine="vllm", context=32_768, mamba_cache_mode="all"),
                 int(139.8 * GiB), "h200")
    assert c is not None and c.groups is not None and c.groups.request_blocks == 56
    text = dict(serving_lines(Serving(c)))["vLLM KV cache"]
    assert "a state group cdiv(32,768, 4,224) blocks: mamba_cache_mode all" in text
    assert "4,224 tokens, the Mamba chunk's smallest multiple that holds " \
        "cdiv(16,900,096 B, 4,096 B) tokens" in text
    groups_json = serving_dict(Serving(c))["kv_cache"]["groups"]  # type: ignore[index]
    assert groups_json["mamba_cache_mode"] == "all"
    assert "mamba_cache_mode_fell_back" not in groups_json


def test_all_mode_falls_back_to_align_where_vllm_does() -> None:
    # Qwen3-Next's vLLM class has no SupportsMambaPrefixCaching: MambaModelConfig warns
    # "falling back to 'align' mode", so "all" plans what align does
    from nnsize.memory.plan import plan

    report = nnsize.count(_published("qwen3-next-80b-a3b"))
    s = Setup(engine="vllm", context=262_144, tp=2, gpus=2, sharding="tp")
    p = plan(report, s)
    every, aligned = (vllm_groups(report, p, 2, 47_878_000_000, 262_144, 8192,
                                  mamba_cache_mode=mode) for mode in ("all", "align"))
    assert every is not None and aligned is not None
    assert every.fell_back and every.mamba_cache_mode == "align"
    assert (every.alignment, every.request_blocks, every.tokens) == \
        (aligned.alignment, aligned.request_blocks, aligned.tokens)


@pytest.mark.parametrize(("cls", "model_type"), [
    ("NemotronHConfig", "nemotron_h"), ("GraniteMoeHybridConfig", "granitemoehybrid"),
    ("FalconH1Config", "falcon_h1"), ("Zamba2Config", "zamba2"), ("JambaConfig", "jamba")])
def test_mamba_chunk_defaults_are_transformers(cls: str, model_type: str) -> None:
    # a config file without mamba_chunk_size or chunk_size has its class's default, which
    # vLLM's ModelConfig.get_mamba_chunk_size reads (2,048 where the class has neither)
    transformers = pytest.importorskip("transformers")
    from nnsize.memory.vllm_kv import mamba_chunk

    c = getattr(transformers, cls)()
    expected = getattr(c, "mamba_chunk_size", None) or getattr(c, "chunk_size", None) or 2048
    assert mamba_chunk({"model_type": model_type}) == expected


@pytest.mark.parametrize("e", [e for e in DATA["vllm_groups"]
                               if "kv_cache_gib_printed" in e["logged"]],
                         ids=lambda e: e["model"])
def test_align_mode_from_the_logged_kv_memory(e: dict[str, Any]) -> None:
    # vLLM 0.20.0, Qwen3.6-35B-A3B (as Qwen3.5-35B-A3B) with an fp8 cache and prefix caching:
    # 10 attention + 30 state layers, group_size 10, 4 groups, page 2,096 x 1,024 = 2,146,304 B.
    # The log's 0.32 GiB has two decimals: from 0.315 GiB, int(0.315 x 2^30) // 2,146,304 // 10
    # = 15 blocks: 15 // 4 x 2,096 = 6,288 tokens, and a request of 8,192 tokens takes
    # cdiv(8,192, 2,096) = 4 + 3 state groups x 2 = 10 blocks: 1.50x (one state block: 2.14x)
    from nnsize.memory.plan import plan

    f, log = e["flags"], e["logged"]
    report = nnsize.count(_published(e["model"]))
    s = Setup(engine="vllm", context=f["max_model_len"], kv_dtype="fp8")
    kv = int((log["kv_cache_gib_printed"] - 0.005) * GiB)
    g = vllm_groups(report, plan(report, s), 1, kv, f["max_model_len"],
                    f["max_num_batched_tokens"], mamba_cache_mode=f["mamba_cache_mode"])
    assert g is not None and g.alignment is not None
    assert (g.alignment.block_tokens, g.page, g.group_size, len(g.groups)) == \
        (2096, 2096 * 1024, 10, 4)
    assert g.blocks == kv // (2096 * 1024) // 10 == 15
    assert g.tokens == log["kv_cache_tokens"] == 15 // 4 * 2096
    assert g.request_blocks == 4 + 3 * 2
    assert g.max_concurrency == pytest.approx(log["max_concurrency"], abs=0.005)
    none = vllm_groups(report, plan(report, s), 1, kv, f["max_model_len"],
                       f["max_num_batched_tokens"])
    assert none is not None and none.max_concurrency == pytest.approx(15 / 7)
