"""The planner on language models counted by the transformers fallback: the KV cache against
transformers' own after a forward pass, as tests/memory/test_plan.py does for the native families;
the keys it would have to guess refused by name, the count itself standing."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hf import compare

import nnsize
from nnsize.architectures import families
from nnsize.cli import main
from nnsize.errors import NnsizeError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TINY = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0,
        "bos_token_id": 0, "eos_token_id": 0}


def config(family: str, **extra: Any) -> dict[str, Any]:
    return {"model_type": family, **TINY, **extra}


@pytest.mark.parametrize("family, extra", [
    ("diffllama", {}),  # no head_dim: hidden / heads = 8, as its key projection confirms
    ("jais2", {}),
    ("nanochat", {}),
    ("apertus1p5_text", {}),
    ("lfm2", {"layer_types": ["full_attention"] * 4}),
    # native since (the issue "Native model families"), planned all the same
    ("stablelm", {}),
    # native, 3 sliding layers then a full one, when layer_types is left out
    ("olmo3", {"sliding_window": 5}),
    ("exaone4", {"sliding_window": 5}),
    # native, the full layer first (CWM, Granite SWA), sliding and full alternating (GPT-OSS)
    ("cwm", {"sliding_window": 5, "head_dim": 8}),
    ("granite_swa", {"sliding_window": 5}),
])
def test_kv_cache_against_transformers(family: str, extra: dict[str, Any]) -> None:
    from measure import kv_cache_bytes

    from nnsize.memory import kv_cache
    from nnsize.precision import find

    data = config(family, **extra)
    report = nnsize.count(data)
    if family not in families():  # a native builder later (the issue "Native model families")
        assert "counted_with" in report.stored
    batch, tokens = 3, 13
    measured = kv_cache_bytes(data, batch, tokens)
    predicted, _, _ = kv_cache(report, batch, tokens, find("fp32"))
    # full attention: 4 layers x 13 tokens x 2 kv heads x (8 + 8) x 3 x 4 B = 19,968; with a
    # window of 5, the sliding layers keep 4 tokens: (3 x 4 + 13) x 32 x 3 x 4 B = 9,600
    assert predicted == measured == (9600 if "sliding_window" in extra else 19968)


def test_the_planner_and_compute_take_a_fallback_model(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.memory import compute

    path = tmp_path / "config.json"
    path.write_text(json.dumps(config("diffllama", architectures=["DiffLlamaForCausalLM"])))
    for argv in (["memory", str(path), "--context", "64"], ["fit", str(path), "--gpu", "8GiB"],
                 ["compute", str(path), "--context", "64"]):
        assert main(argv) == 0, capsys.readouterr().err
    report = nnsize.count(json.loads(path.read_text()))
    if "diffllama" in families():
        return
    types = {r.name: r.type for r in report.rows}
    assert types["model.embed_tokens"] == "embedding" and types["lm_head"] == "head"
    # the multiplies a token: per layer q 32x32, k and v 16x32, o 32x32 (3,072), the MLP
    # 3 x 48x32 (4,608): 7,680 x 4 layers = 30,720; the head 64x32 = 2,048; not the lookup
    assert compute(report, 64).linear_macs == 30720 + 2048
    # attention over 64 tokens, causal: 64 x 65 / 2 keys x 4 layers x 4 heads x (8 + 8)
    assert compute(report, 64).attention_macs_prefill == 64 * 65 // 2 * 4 * 4 * 16


@pytest.mark.parametrize("family, extra, key", [
    # a fused query_key_value: hidden / heads not confirmed
    ("gpt_neox_japanese", {}, "head_dim"),
    ("xlstm", {}, "head_dim"),  # recurrent: its 'k' is no attention's
    ("doge", {}, "num_experts"),  # a mixture of experts whose routing nnsize does not read
    ("longcat_flash", {}, "kv_lora_rank"),  # latent attention
    ("olmo_hybrid", {}, "linear_num_value_heads"),  # linear-attention layers beside attention
    ("mistral", {"sliding_window": 5}, None),  # native: planned as it is, no refusal
])
def test_what_the_planner_would_guess_is_refused_by_name(
        family: str, extra: dict[str, Any], key: str | None, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.memory import Setup, plan

    # a refusal example made native is no example: pick a type that still falls back
    assert key is None or family not in families(), f"{family} is native now"
    report = nnsize.count(config(family, **extra))
    assert report.total_params > 0  # the count stands
    if key is None:
        plan(report, Setup())
        return
    assert "The memory planner, compute and speed refuse it" in str(report)  # and says why
    with pytest.raises(NnsizeError, match=f"cannot plan it: config: .*{key}"):
        plan(report, Setup())
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config(family, **extra)))
    capsys.readouterr()
    assert main(["memory", str(path)]) == 2  # one line, exit 2, the key named
    err = capsys.readouterr().err
    assert key in err and err.count("\n") == 1


def test_a_sliding_window_without_layer_types_is_refused() -> None:
    from nnsize.architectures.fallback_decoder import decoder_of

    cfg = transformers.CONFIG_MAPPING["stablelm"](**TINY)
    cfg.sliding_window = 5  # which layers slide?
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = transformers.StableLmForCausalLM(cfg)
    from nnsize.architectures.fallback import _tensors

    with pytest.raises(NnsizeError, match="sliding_window = 5 without layer_types"):
        decoder_of(cfg, _tensors(model))


@pytest.mark.parametrize("family", ["olmo3", "exaone4"])
def test_sliding_layers_as_the_fallback_reads_them(family: str) -> None:
    """layer_types and sliding_window read from the config object, whichever way nnsize counts
    the family: the KV cache of OLMo 3's and EXAONE 4's 3 sliding layers and 1 full one."""
    from nnsize.architectures.fallback import _tensors
    from nnsize.architectures.fallback_decoder import decoder_of
    from nnsize.memory import kv_cache
    from nnsize.model import Report
    from nnsize.precision import find

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family](**TINY, sliding_window=5)
        model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
        with torch.device("meta"):
            shapes = transformers.AutoModelForCausalLM.from_config(cfg)
    with torch.no_grad():
        cache = model(torch.randint(0, 64, (3, 13)), use_cache=True).past_key_values
    measured = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers)
    report = Report("tiny", "pytorch", (), (), decoder=decoder_of(cfg, _tensors(shapes)))
    # the sliding layers keep 4 tokens: (3 x 4 + 13) x 2 kv heads x (8 + 8) x 3 x 4 B = 9,600
    assert kv_cache(report, 3, 13, find("fp32"))[0] == measured == 9600


# transformers 5's per-layer configs: Gemma 4's full-attention layers take global_head_dim (and,
# with attention_k_eq_v, num_global_key_value_heads) through per_layer_config
GEMMA4 = {**TINY, "head_dim": 8, "global_head_dim": 16, "sliding_window": 5,
          "layer_types": ["sliding_attention", "full_attention"] * 2,
          "vocab_size_per_layer_input": 64, "hidden_size_per_layer_input": 4}
DOTS3 = {**TINY, "num_key_value_heads": 4, "moe_intermediate_size": 8, "n_routed_experts": 4,
         "num_experts_per_tok": 2, "shared_experts_intermediate_size": 8, "kv_lora_rank": 8,
         "q_lora_rank": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "qk_nope_head_dim": 8,
         "head_dim": 12, "index_topk": 4, "index_head_dim": 8, "index_n_heads": 2,
         "swa_num_attention_heads": 2, "swa_num_key_value_heads": 2, "swa_q_lora_rank": 8,
         "swa_kv_lora_rank": 4, "swa_head_dim": 12, "swa_qk_nope_head_dim": 8,
         "swa_v_head_dim": 8, "sliding_window": 5}


@pytest.mark.parametrize("family, extra, expected", [
    # sliding layers keep 4 tokens, 2 kv heads x (8 + 8): 2 layers x 3 x 4 x 32 x 4 B = 3,072;
    # full layers all 13, head_dim 16: 2 layers x 3 x 13 x 2 x (16 + 16) x 4 B = 19,968
    ("gemma4_text", {}, 3072 + 19968),
    ("gemma4_unified_text", {}, 3072 + 19968),
    # and 1 kv head in the full layers: 2 x 3 x 13 x 1 x 32 x 4 B = 9,984
    ("gemma4_text", {"attention_k_eq_v": True, "num_global_key_value_heads": 1}, 3072 + 9984),
    ("gemma4_unified_text", {"attention_k_eq_v": True, "num_global_key_value_heads": 1},
     3072 + 9984),
])
def test_a_per_layer_config_is_planned_layer_by_layer(family: str, extra: dict[str, Any],
                                                     expected: int) -> None:
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    data = config(family, **GEMMA4, **extra)
    report = nnsize.count(data)
    # gemma4_text is native (architectures/gemma4.py plans it layer by layer too); Gemma 4
    # unified's text model goes through the fallback planner
    assert ("counted_with" in report.stored) is (family != "gemma4_text")
    assert report.decoder is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family](**{k: v for k, v in data.items()
                                                      if k != "model_type"})
        assert cfg.is_heterogeneous  # the case: head_dim is read layer by layer
        model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    compare(data)  # the count, tensor by tensor against transformers' own
    with torch.no_grad():
        cache = model(torch.randint(0, 64, (3, 13)), use_cache=True).past_key_values
    measured = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers)
    assert kv_cache(report, 3, 13, find("fp32"))[0] == measured == expected


def test_what_a_per_layer_config_sets_beyond_the_attention_s_shape_is_refused_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # dots.llm3's sliding layers have their own latent attention (kv_lora_rank)
    data = config("dots3_note_text", **DOTS3, architectures=["Dots3NoteForCausalLM"])
    report = compare(data)  # the count stands, tensor by tensor
    assert "per_layer_config sets kv_lora_rank" in report.stored["planner_refused"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["memory", str(path)]) == 2
    err = capsys.readouterr().err
    assert "kv_lora_rank layer by layer" in err and err.count("\n") == 1
