"""Issue 21: inference under transformers with the attention it picks for the family: eager for
gemma2, gpt_oss and the others of memory.eager.EAGER, whose eager_attention_forward holds one
layer's scores at the softmax, beside a float mask for each layer type."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import pytest

import nnsize
from nnsize.memory.eager import EAGER, reason, score_peak, score_traffic, term_bytes
from nnsize.memory.plan import plan
from nnsize.memory.setup import Setup

TINY = {"vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "tie_word_embeddings": False, "sliding_window": 64}
FAMILIES = {
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM", {
        "query_pre_attn_scalar": 16, "attn_logit_softcapping": 50.0,
        "final_logit_softcapping": 30.0}),
    "gpt_oss": ("GptOssConfig", "GptOssForCausalLM", {
        "num_local_experts": 4, "num_experts_per_tok": 2, "intermediate_size": 64}),
    "granite_swa": ("GraniteSWAConfig", "GraniteSWAForCausalLM", {}),
    "mimo_v2_flash": ("MiMoV2FlashConfig", "MiMoV2FlashForCausalLM", {
        "v_head_dim": 16, "layer_types": ["full_attention", "sliding_attention"],
        "mlp_layer_types": ["dense", "sparse"], "n_routed_experts": 4,
        "moe_intermediate_size": 64, "num_experts_per_tok": 2}),
    "llama": ("LlamaConfig", "LlamaForCausalLM", {"attn_implementation": "eager"}),
    "flint": ("FlintConfig", "FlintForCausalLM", {
        "layer_types": ["full_attention", "sliding_attention"], "mlp_only_layers": [0, 1]}),
    "inkling2_text": ("Inkling2TextConfig", "Inkling2ForCausalLM", {
        "layer_types": ["hybrid", "hybrid_sliding"], "swa_num_attention_heads": 4,
        "swa_num_key_value_heads": 2, "swa_head_dim": 16, "sliding_window_size": 64,
        "rel_extent": 64, "n_routed_experts": 4, "moe_intermediate_size": 64,
        "num_experts_per_tok": 2, "unpadded_vocab_size": 1000,
        "n_layers_per_attn_res_block": 1}),
    # tests/architectures/test_compressing_cache.py's tiny DeepSeek-V4: a sliding layer, two
    # CSA (ratio 2) and two HCA layers (ratio 8), one KV head, its window 6
    "deepseek_v4": ("DeepseekV4Config", "DeepseekV4ForCausalLM", {
        "hidden_size": 32, "num_hidden_layers": 5, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 16, "q_lora_rank": 16, "o_groups": 2,
        "o_lora_rank": 8, "moe_intermediate_size": 16, "n_routed_experts": 4,
        "num_experts_per_tok": 2, "n_shared_experts": 1, "index_head_dim": 8,
        "index_n_heads": 2, "index_topk": 4, "sliding_window": 6, "hc_mult": 2,
        "layer_types": ["sliding_attention", "compressed_sparse_attention",
                        "heavily_compressed_attention", "compressed_sparse_attention",
                        "heavily_compressed_attention"],
        "compress_rates": {"compressed_sparse_attention": 2, "heavily_compressed_attention": 8},
        "partial_rotary_factor": 0.5, "max_position_embeddings": 256,
        "mlp_layer_types": ["hash_moe"] + ["moe"] * 4}),
    # latent attention over 16 heads (no repeat_kv copies: a key and a value a head), a DSA
    # indexer of its own in both layers (indexer_types full, full), 128 picked keys
    "hy_v4": ("HYV4Config", "HYV4ForCausalLM", {
        "num_attention_heads": 16, "num_key_value_heads": 16, "n_routed_experts": 4,
        "n_shared_experts": 1, "moe_intermediate_size": 64, "num_experts_per_tok": 2,
        "q_lora_rank": 32, "kv_lora_rank": 32, "qk_rope_head_dim": 16, "qk_nope_head_dim": 16,
        "v_head_dim": 16, "index_head_dim": 16, "index_n_heads": 2, "index_topk": 128,
        "hc_mult": 2, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}),
}


def _config(family: str, **shape: Any) -> dict[str, Any]:
    _, model, extra = FAMILIES[family]
    return {**TINY, **extra, **shape, "model_type": family, "architectures": [model]}


def _lines(config: dict[str, Any], **setup: Any) -> dict[str, Any]:
    return {line.part: line for line in plan(nnsize.count(config), Setup(**setup)).lines}


def test_the_scores_per_family() -> None:
    """Bytes a score at eager's peak: llama's upcast form 16-bit scores + an fp32 copy + the
    fp32 softmax, 2 + 4 + 4 = 10 B (fp32: 8 B); gpt-oss's sinks three model-dtype copies over
    keys + 1 columns."""
    assert score_peak("gemma2", 2) == (10, 0, True) and score_peak("gemma2", 4) == (8, 0, True)
    assert score_peak("gpt_oss", 2) == (6, 1, True) and score_peak("gpt_oss", 4) == (12, 1, True)
    assert score_peak("llama", 2) == (10, 0, False)  # llama's form, not a family of EAGER
    # mimo_v2_flash's softmax in the model dtype: two copies over keys + 1
    assert score_peak("mimo_v2_flash", 2) == (4, 1, True)
    assert score_peak("mimo_v2_flash", 4) == (8, 1, True)
    # flint's fp32 scores whatever the dtype: 4 + 4 + 4 over keys + 1
    assert score_peak("flint", 2) == (12, 1, True) and score_peak("flint", 4) == (12, 1, True)
    assert score_peak("flint", 2, fp16=True) == (12, 1, True)
    # inkling2's scores with the sink cast to fp32: 2 + 4 + 4 + 2 at bf16, 4 + 4 + 4 at fp32
    assert score_peak("inkling2", 2) == (12, 1, True) == score_peak("inkling2_text", 4)
    # fp16 on a GPU: softmax reads the fp16 scores without an fp32 copy (aten SoftMax.cpp),
    # the peak is its cast back: 2 + 4 + 2
    assert score_peak("gemma2", 2, fp16=True) == (8, 0, True)
    assert score_peak("gpt_oss", 2, fp16=True) == (6, 1, True)
    assert reason("gemma2") == "sdpa does not support softcapping"
    assert all(reason(family) for family in EAGER)


def test_gemma2_counts_its_scores_by_default() -> None:
    """gemma2 at bf16, 1 x 1,024 tokens, 4 heads: scores 1,024 x 4 x 1,024 x 10 B = 41,943,040;
    two masks (its sliding and full layers) 2 x 1,024 x 1,024 x 2 B = 4,194,304; its 2 KV
    heads repeated to 4 (repeat_kv), 1,024 keys x 4 x (16 + 16) x 2 B = 262,144, freed
    before the MLP's intermediates, 1,024 x 3 x 128 x 2 B = 786,432, the smaller; beside them
    four hidden-sized tensors 1,024 x 4 x 64 x 2 B = 524,288; 1 x 1,000 fp32 logits 4,000."""
    line = _lines(_config("gemma2"), dtype="bf16", context=1024)["decoder_workspace"]
    assert line.terms.scores == 41_943_040 and line.terms.mask_bytes == 4_194_304
    assert line.terms.kv_copies == 262_144
    assert line.bytes == 524_288 + 41_943_040 + 262_144 + 4_194_304 + 4_000
    assert line.terms.family == "gemma2"
    # as --attention eager gives it; a serving engine runs its own kernels
    assert _lines(_config("gemma2"), dtype="bf16", context=1024, attention="eager")[
        "decoder_workspace"].bytes == line.bytes
    assert _lines(_config("gemma2"), dtype="bf16", context=1024, engine="vllm")[
        "decoder_workspace"].terms.scores == 0


def test_gpt_oss_sinks() -> None:
    """gpt_oss at fp32, 1 x 1,024 tokens, 4 heads: three fp32 copies over 1,024 + 1 columns,
    1,024 x 4 x 1,025 x 12 B = 50,380,800."""
    terms = _lines(_config("gpt_oss"), dtype="fp32", context=1024)["decoder_workspace"].terms
    assert terms.scores == 50_380_800 and terms.masks == 2


def test_an_sdpa_family_holds_no_scores() -> None:
    config = dict(TINY, model_type="llama", architectures=["LlamaForCausalLM"])
    terms = _lines(config, context=1024)["decoder_workspace"].terms
    assert terms.scores == 0 and terms.masks == 0 and not terms.family
    assert terms.kv_copies == 0  # SDPA takes the KV heads as they are (enable_gqa)


def test_repeat_kv_copies_only_grouped_heads() -> None:
    """repeat_kv copies the keys and values where a layer has fewer KV heads than heads:
    gemma2 at fp32, 2 x 256 tokens, 4 heads of 2 KV heads, 2 sequences x 256 keys x 4 x (16 +
    16) x 4 B = 262,144; with 4 KV heads (num_key_value_groups 1) it returns the cache's own
    tensors, nothing copied."""
    terms = _lines(_config("gemma2"), dtype="fp32", batch=2, context=256)[
        "decoder_workspace"].terms
    assert terms.sequences == 2 and terms.kv_repeat == 4 * 32 and terms.kv_copies == 262_144
    mha = dict(_config("gemma2"), num_key_value_heads=4)
    assert _lines(mha, dtype="fp32", batch=2, context=256)[
        "decoder_workspace"].terms.kv_copies == 0


def test_the_note_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    main(["memory", "gemma-2-9b", "--context", "8192"])
    out = capsys.readouterr().out
    assert "transformers runs gemma2 with eager attention: sdpa does not support " \
           "softcapping" in out
    assert "the attention's scores 8,192 x 16 heads x 8,192 keys x 10 B + K and V repeated " \
           "to every head (repeat_kv) 8,192 keys x 16 heads x 512 x 2 B + 2 masks 8,192 x " \
           "8,192 x 2 B" in out


def _model(family: str, dtype: str, **shape: Any) -> tuple[Any, Any]:
    """The tiny model of a family at a dtype, as from_pretrained keeps it, and its module."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config_class, model_class, extra = FAMILIES[family]
    hf = getattr(transformers, config_class)(**{**TINY, **extra, **shape})
    module = importlib.import_module(getattr(transformers, model_class).__module__)
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(hf).to(
        {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]).eval()
    keep = getattr(model, "_keep_in_fp32_modules_strict", None) or []  # as from_pretrained
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if any(part in name for part in keep) and tensor.is_floating_point():
            tensor.data = tensor.data.float()
    assert model.config._attn_implementation == "eager"  # transformers' own (or as asked)
    return model, module


def _measure(family: str, dtype: str, batch: int, tokens: int,
             **shape: Any) -> tuple[int, list[int]]:
    """The peak of live storages in a prefill, and each layer's eager_attention_forward's
    own (what it makes beyond what was alive when it began); shape: the tiny config's sizes
    changed (heads, KV heads)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from measure import _Live

    class Attention(_Live):
        mark: int | None = None
        own = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            out = super().__torch_dispatch__(func, types, args, kwargs)
            if self.mark is not None:
                self.own = max(self.own, self.now - self.mark)
            return out

    model, module = _model(family, dtype, **shape)
    live, owns, forward = Attention(list(model.parameters())), [], module.eager_attention_forward

    def measured(*args: Any, **kwargs: Any) -> Any:
        live.mark, live.own = live.now, 0
        out = forward(*args, **kwargs)
        owns.append(live.own)
        live.mark = None
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "eager_attention_forward", measured)
        with torch.no_grad(), live:
            model(input_ids=torch.randint(0, 1000, (batch, tokens)), use_cache=True,
                  logits_to_keep=1)
    return live.peak, owns


@pytest.mark.parametrize("family,dtype,batch,tokens", [
    ("gemma2", "bf16", 1, 256), ("gemma2", "fp32", 2, 512), ("gpt_oss", "bf16", 1, 512),
    ("gpt_oss", "fp32", 1, 256), ("granite_swa", "bf16", 1, 512)])
def test_against_a_real_prefill(family: str, dtype: str, batch: int, tokens: int) -> None:
    """The scores and repeat_kv's copies to the byte: what eager_attention_forward makes, the
    scores and the keys and values its 2 KV heads repeat to 4 (repeat_kv: batch x tokens keys x
    4 heads x (16 + 16) x the dtype's bytes; granite_swa's sinks add a few rows more: its
    logsumexp and sink scale, 3 x 4 x 512 x 2 B at bf16); both layers the same, the windowed
    one (64) as wide as the full one.  The workspace and KV cache within 10% of the prefill's
    peak, and nearer it with the copies than without (gemma2 at bf16, 1 x 256: 0.987, 0.966
    without; gpt_oss at fp32: 0.984, 0.953)."""
    peak, owns = _measure(family, dtype, batch, tokens)
    act = 2 if dtype == "bf16" else 4
    lines = _lines(_config(family), dtype=dtype, batch=batch, context=tokens)
    terms = lines["decoder_workspace"].terms
    assert terms.kv_copies == batch * tokens * 4 * (16 + 16) * act
    rows = 3 * batch * 4 * tokens * act if family == "granite_swa" else 0
    assert owns == [terms.scores + terms.kv_copies + rows] * 2
    planned = lines["decoder_workspace"].bytes + lines["kv_cache"].bytes
    assert planned == pytest.approx(peak, rel=0.10)
    assert abs(planned - peak) < abs(planned - terms.kv_copies - peak)


def test_repeat_kv_copies_in_a_real_prefill() -> None:
    """gemma2 at bf16, 1 x 128 tokens, 16 heads of 64 over 2 KV heads: eager_attention_forward
    holds the scores, 16 x 128 x 128 x 10 B = 2,621,440, beside repeat_kv's copies, 128 keys x
    16 x (64 + 64) x 2 B = 524,288, to the byte; the workspace and KV cache 0.92 of the
    prefill's peak with them, 0.77 without (the queries and the attention's output, 16 x 64
    values a token each, are not planned).  With one KV head the reshape of the expand is a
    view: only the scores (16 x 128 x 128 x 10 B), and nothing planned for the copies."""
    gqa = {"num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 64,
           "query_pre_attn_scalar": 64}
    peak, owns = _measure("gemma2", "bf16", 1, 128, **gqa)
    lines = _lines(_config("gemma2", **gqa), dtype="bf16", context=128)
    terms = lines["decoder_workspace"].terms
    assert terms.scores == 2_621_440 and terms.kv_copies == 524_288
    assert owns == [2_621_440 + 524_288] * 2
    planned = lines["decoder_workspace"].bytes + lines["kv_cache"].bytes
    assert abs(planned - peak) < abs(planned - terms.kv_copies - peak)
    assert planned == pytest.approx(peak, rel=0.10)
    mqa = dict(gqa, num_key_value_heads=1)
    _, owns = _measure("gemma2", "bf16", 1, 128, **mqa)
    assert owns == [2_621_440] * 2
    assert _lines(_config("gemma2", **mqa), dtype="bf16", context=128)[
        "decoder_workspace"].terms.kv_copies == 0


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_transformers_eager_engine_on_llama(dtype: str) -> None:
    """--engine transformers-eager runs llama's eager_attention_forward, the upcast form, with
    one mask (no windowed layers): the workspace and KV cache within 10% of the peak."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from measure import _Live

    config = dict(TINY, model_type="llama", architectures=["LlamaForCausalLM"])
    del config["sliding_window"]
    hf = transformers.LlamaConfig(**{k: v for k, v in config.items()
                                     if k not in ("model_type", "architectures")},
                                  attn_implementation="eager")
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(hf).to(
        {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]).eval()
    live = _Live(list(model.parameters()))
    with torch.no_grad(), live:
        model(input_ids=torch.randint(0, 1000, (1, 512)), use_cache=True, logits_to_keep=1)
    lines = _lines(config, dtype=dtype, context=512, engine="transformers-eager")
    assert lines["decoder_workspace"].terms.masks == 1
    assert lines["decoder_workspace"].bytes + lines["kv_cache"].bytes == \
        pytest.approx(live.peak, rel=0.10)


@pytest.mark.parametrize("dtype,tokens", [("bf16", 64), ("fp32", 48), ("bf16", 50)])
def test_deepseek_v4_against_a_real_prefill(dtype: str, tokens: int) -> None:
    """DeepSeek-V4's eager scores are over the prompt's keys and the entries its compressing
    layers concatenate after them, tokens // ratio, with its fp32 sink: 12 B a score over keys
    + 1 (at bf16 the masked 2 B scores, the fp32 logits the fp32 sink promotes and their fp32
    softmax, and its 2 B cast: one 4 B row under the form), its one KV head copied by no
    repeat_kv.  Its CSA layers (ratio 2) hold the most: at bf16 x 64 tokens, 4 heads x 64 x (64
    + 32 + 1) x 12 B = 297,984, 1,024 more than measured; its sliding layer 4 x 64 x (64 + 1) x
    12 B less a row, its HCA layers (ratio 8) 64 + 8 keys.  Only the scores are checked here;
    the tensors beside them: test_family_terms_against_a_real_prefill."""
    _, owns = _measure("deepseek_v4", dtype, 1, tokens)
    lines = _lines(_config("deepseek_v4"), dtype=dtype, context=tokens)
    terms = lines["decoder_workspace"].terms
    assert terms.compressed == tokens // 2 and terms.sink == 1 and terms.kv_copies == 0
    assert terms.scores == 4 * tokens * (tokens + tokens // 2 + 1) * 12
    row = 4 * tokens * 4 if dtype == "bf16" else 0
    forms = [4 * tokens * (tokens + tokens // ratio + 1) * 12 - row if ratio else
             4 * tokens * (tokens + 1) * 12 - row for ratio in (0, 2, 8, 2, 8)]
    assert owns == forms and max(owns) == terms.scores - row


def test_deepseek_v4_flash_plans_its_compressed_keys() -> None:
    """DeepSeek-V4-Flash at bf16, 1,024 tokens: its CSA layers (ratio 4) concatenate 256
    entries, so its scores are 1,024 x 64 heads x (1,024 + 256 + 1) x 12 B = 1,007,419,392,
    and the note says why, with its own form."""
    import json

    from paths import DATA

    config = json.loads((DATA / "published_configs" /
                         "deepseek-ai--DeepSeek-V4-Flash.json").read_text())
    p = plan(nnsize.count(config), Setup(dtype="bf16", context=1024))
    work = next(line for line in p.lines if line.part == "decoder_workspace")
    assert work.terms.scores == 1024 * 64 * (1024 + 256 + 1) * 12 == 1_007_419_392
    from nnsize.render.plan import note_text

    assert any("deepseek_v4 with eager attention" in note_text(n) and "compress" in
               note_text(n) and "not measured" not in note_text(n) for n in p.notes)


@pytest.mark.parametrize("dtype,batch,tokens", [("bf16", 1, 512), ("fp32", 2, 256)])
def test_mimo_v2_flash_against_a_real_prefill(dtype: str, batch: int, tokens: int) -> None:
    """MiMo-V2-Flash's softmax in the model dtype, 2 x act over keys + 1 columns: at bf16,
    1 x 4 heads x 512 x 513 x 4 B = 4,202,496.  Its full layer (no sinks, 2 KV heads repeated
    to 4: repeat_kv 2 x 1 x 4 x 512 x 16 x 2 B = 131,072) peaks at the masked scores, the row
    max and the max-subtracted copy, 2 x 512 + 1 columns: one row (batch x 4 x tokens x act)
    under the form; its sliding layer (sinks, twice the KV heads: 4, repeat_kv copies nothing)
    at the concatenation, the row max and its max-subtracted copy, 2 x 513 + 1: one row over.
    The workspace and KV cache within 10% of the prefill's peak."""
    peak, owns = _measure("mimo_v2_flash", dtype, batch, tokens)
    act = 2 if dtype == "bf16" else 4
    lines = _lines(_config("mimo_v2_flash"), dtype=dtype, batch=batch, context=tokens)
    scores = lines["decoder_workspace"].terms.scores
    assert scores == batch * 4 * tokens * (tokens + 1) * 2 * act
    row = batch * 4 * tokens * act
    assert owns == [scores + 2 * batch * 4 * tokens * 16 * act - row, scores + row]
    assert lines["decoder_workspace"].bytes + lines["kv_cache"].bytes == \
        pytest.approx(peak, rel=0.10)


@pytest.mark.parametrize("dtype,batch,tokens", [("bf16", 1, 512), ("fp32", 2, 256)])
def test_flint_against_a_real_prefill(dtype: str, batch: int, tokens: int) -> None:
    """Flint's scores stay in fp32 at every dtype: the masked scores (4 B over keys) alive
    beside the concatenation with the sink and its softmax (4 + 4 B over keys + 1): at bf16,
    1 x 4 heads x 512 x (4 x 512 + 8 x 513) = 12,599,296, the form's 12 B over keys + 1 less
    one 4 B row (1 x 4 x 512 x 4 = 8,192), beside repeat_kv's copies (2 x 4 x 512 x 16 x 2 B)
    in both layers (a window is a mask).  The plan's workspace (its routing read from
    fallback_decoder.ROUTED; both layers dense here) has those scores."""
    peak, owns = _measure("flint", dtype, batch, tokens)
    act = 2 if dtype == "bf16" else 4
    per_score, columns, measured = score_peak("flint", act)
    scores = batch * 4 * tokens * (tokens + columns) * per_score
    repeat_kv = 2 * batch * 4 * tokens * 16 * act
    assert measured and owns == [scores - batch * 4 * tokens * 4 + repeat_kv] * 2
    lines = _lines(_config("flint"), dtype=dtype, batch=batch, context=tokens,
                   engine="transformers-eager")
    assert lines["decoder_workspace"].terms.scores == scores


@pytest.mark.parametrize("dtype,tokens", [("bf16", 512), ("fp32", 256)])
def test_inkling2_against_a_real_prefill(dtype: str, tokens: int) -> None:
    """Inkling 2's scores with the sink cast to fp32, at bf16 1 x 4 heads x 512 x (2 x 512 +
    4 x 513 + 4 x 513 + 2 x 512) = 12,599,296 (at fp32 4 x 256 + 8 x 257 a row), the form's
    12 B over keys + 1 less one 4 B row, beside repeat_kv's copies, in the one call of each
    layer over the whole prompt (its other calls, over a window's blocks, hold far less).  The
    planner refuses an Inkling 2 (a mixture of experts built by transformers), so the form is
    checked on its own."""
    _, owns = _measure("inkling2_text", dtype, 1, tokens)
    act = 2 if dtype == "bf16" else 4
    per_score, columns, measured = score_peak("inkling2_text", act)
    scores = 4 * tokens * (tokens + columns) * per_score
    repeat_kv = 2 * 4 * tokens * 16 * act
    assert measured and max(owns) == scores - 4 * tokens * 4 + repeat_kv


def test_mimo_v2_flash_note_says_its_own_form(capsys: pytest.CaptureFixture[str]) -> None:
    """The published MiMo-V2-Flash at 8,192 tokens: 64 heads x (8,192 + 1) keys x 2 x 2 B, and
    the note names its own form, not llama's."""
    from nnsize.cli import main

    from paths import DATA

    main(["memory", str(DATA / "published_configs" / "XiaomiMiMo--MiMo-V2-Flash.json"),
          "--context", "8192"])
    out = capsys.readouterr().out
    assert "scores 8,192 x 64 heads x (8,192 + 1 sink) keys x 4 B" in out
    assert "4 B a score: its softmax in the model dtype" in out and "not measured" not in out


@pytest.mark.parametrize("dtype,tokens", [("bf16", 1024), ("fp32", 256)])
def test_hy_v4_against_a_real_prefill(dtype: str, tokens: int) -> None:
    """HY-V4 (planned from fallback_decoder.LATENT) runs gpt_oss's eager_attention_forward over
    every key, its DSA indexer's picks a mask: its sinks kept in fp32 make the concatenation
    fp32, the sinks-upcast form, 12 B a score over keys + 1 (at bf16 one 4 B column less a
    row, as Inkling 2's), 16 heads and no repeat_kv copies.  At bf16 the workspace and KV cache
    within 10% of the prefill's peak (the tensors beside the scores, the mask's masked copy, the
    indexer's bool mask and top-k indices among them: test_family_terms_against_a_real_prefill)."""
    peak, owns = _measure("hy_v4", dtype, 1, tokens)
    act = 2 if dtype == "bf16" else 4
    per_score, columns, measured = score_peak("hy_v4", act)
    scores = 16 * tokens * (tokens + columns) * per_score
    assert measured and (per_score, columns) == (12, 1)
    assert owns == [scores - (16 * tokens * 4 if dtype == "bf16" else 0)] * 2
    lines = _lines(_config("hy_v4"), dtype=dtype, context=tokens)
    assert lines["decoder_workspace"].terms.scores == scores
    if dtype == "bf16":
        assert lines["decoder_workspace"].bytes + lines["kv_cache"].bytes == \
            pytest.approx(peak, rel=0.10)


def _traffic(family: str, dtype: str, tokens: int, **shape: Any) -> list[int]:
    """Each eager_attention_forward call's traffic over its scores in a prefill of 1 x
    tokens: the bytes of every aten operation's inputs and outputs of at least tokens x
    tokens values (the scores, heads x that; the mask once), views apart."""
    torch = pytest.importorskip("torch")
    from torch.utils._python_dispatch import TorchDispatchMode

    class Traffic(TorchDispatchMode):
        moved = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            leaves = torch.utils._pytree.tree_leaves
            ins = [t for t in leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            outs = [t for t in leaves(out) if isinstance(t, torch.Tensor)]
            read = {t.untyped_storage().data_ptr() for t in ins}
            if any(t.untyped_storage().data_ptr() not in read for t in outs):  # not a view
                self.moved += sum(t.numel() * t.element_size() for t in ins + outs
                                  if t.numel() >= tokens * tokens)
            return out

    model, module = _model(family, dtype, **shape)
    moved, forward = [], module.eager_attention_forward

    def measured(*args: Any, **kwargs: Any) -> Any:
        with Traffic() as traffic:
            out = forward(*args, **kwargs)
        moved.append(traffic.moved)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "eager_attention_forward", measured)
        with torch.no_grad():
            model(input_ids=torch.randint(0, 1000, (1, tokens)), use_cache=True,
                  logits_to_keep=1)
    return moved


@pytest.mark.parametrize("family,dtype", [
    ("llama", "bf16"), ("llama", "fp32"), ("gemma2", "bf16"), ("gemma2", "fp32"),
    ("gpt_oss", "bf16"), ("gpt_oss", "fp32"), ("granite_swa", "bf16"),
    ("mimo_v2_flash", "bf16"), ("mimo_v2_flash", "fp32"), ("flint", "bf16"), ("flint", "fp32")])
def test_the_traffic_over_the_scores(family: str, dtype: str) -> None:
    """What speed charges eager attention's prefill, to the byte: each layer's steps over its
    4 heads x 256 x 256 scores (and 256 x 257 where a sink is concatenated), and its mask read
    once, 256 x 256 x the dtype's bytes.  llama at bf16, 32 B a score: 4 x 256 x 256 x 32 +
    256 x 256 x 2 = 8,519,680; gemma2's soft-capping 3 x (2 + 2) more; mimo_v2_flash's full
    layer (no sink) 11 x 2 B over the keys, its sliding layer gpt_oss's 7 x 2 B over the keys
    and 6 x 2 B over keys + 1."""
    act = 2 if dtype == "bf16" else 4
    moved = _traffic(family, dtype, 256)
    layers = ["full_attention", "sliding_attention"] if family == "mimo_v2_flash" else \
        ["full_attention"] * 2
    expected = []
    for layer in layers:
        steps = score_traffic(family, act, softcap=family == "gemma2",
                              sink=layer == "sliding_attention")
        assert steps is not None
        keys, sink = sum(step[1] for step in steps), sum(step[2] for step in steps)
        expected.append(4 * 256 * (256 * keys + 257 * sink) + 256 * 256 * act)
    assert moved == expected
    if family == "llama" and dtype == "bf16":
        assert moved == [8_519_680] * 2


@pytest.mark.parametrize("family,dtype", [
    ("hy_v4", "bf16"), ("hy_v4", "fp32"), ("deepseek_v4", "bf16"), ("deepseek_v4", "fp32")])
def test_the_traffic_over_promoted_scores(family: str, dtype: str) -> None:
    """DeepSeek-V4's and HY-V4's steps, gpt_oss's with the fp32 sink promoting the logits: at
    bf16 the QK^T 2, scaling 4, mask 4, the concatenation's read 2 and its cast back 4 + 2 and
    the matmul's read 2 over the keys, 20 B, and 4 + 4 + 8 + 8 = 24 B over keys + 1 (HY-V4, 4
    heads, at 256 tokens: 4 x 256 x (256 x 20 + 257 x 24) + the mask 256 x 256 x 2 =
    11,689,984); at fp32
    gpt_oss's own.  DeepSeek-V4's keys: the prompt's and its compressing layers' entries, 256 //
    ratio."""
    act = 2 if dtype == "bf16" else 4
    # 4 heads: at the tiny HY-V4's 16, its queries and keys (16 x 256 x 32 values) are as large
    # as the scores and _traffic's size filter would take them for the scores' traffic
    heads = 4
    moved = _traffic(family, dtype, 256, num_attention_heads=heads, num_key_value_heads=heads) \
        if family == "hy_v4" else _traffic(family, dtype, 256)  # DeepSeek-V4's tiny: 4 heads
    steps = score_traffic(family, act)
    assert steps is not None
    over_keys, over_sink = sum(step[1] for step in steps), sum(step[2] for step in steps)
    ratios = (0, 2, 8, 2, 8) if family == "deepseek_v4" else (0, 0)
    keys = [256 + (256 // ratio if ratio else 0) for ratio in ratios]
    assert moved == [heads * 256 * (n * over_keys + (n + 1) * over_sink) + 256 * n * act
                     for n in keys]
    if family == "hy_v4" and dtype == "bf16":
        assert moved == [11_689_984] * 2


def test_inkling2_traffic_is_not_charged() -> None:
    """Inkling 2's sliding layers run eager attention over a window's blocks too: speed
    charges no traffic for it (the planner refuses an Inkling 2 anyway), rather than a guess."""
    assert score_traffic("inkling2", 2) is None
    # fp16 on a GPU: the softmax reads the fp16 scores itself, 24 B a score (not measured)
    assert sum(step[1] for step in score_traffic("llama", 2, fp16=True) or ()) == 24


def test_sdpa_is_refused_where_transformers_refuses_it(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """A family whose model class sets _supports_sdpa = False cannot be built with sdpa:
    transformers raises ("Gemma2ForCausalLM does not support an attention implementation
    through torch.nn.functional.scaled_dot_product_attention yet"), so a plan at sdpa is
    refused by name, in inference under transformers and in training; a serving engine runs
    kernels of its own, and InternLM2's config class (not its model class) picks eager."""
    transformers = pytest.importorskip("transformers")
    from nnsize.cli import main

    config = transformers.Gemma2Config(**{**TINY, **FAMILIES["gemma2"][2]})
    with pytest.raises(ValueError, match="does not support an attention implementation"):
        transformers.Gemma2ForCausalLM._from_config(config, attn_implementation="sdpa")
    for args in (["gemma-2-9b"], ["gemma-2-9b", "--train"], ["gpt-oss-20b"]):
        assert main(["memory", *args, "--attention", "sdpa"]) == 2
        assert "_supports_sdpa = False" in capsys.readouterr().err
    assert main(["memory", "gemma-2-9b", "--attention", "sdpa", "--engine", "vllm"]) == 0
    assert main(["memory", "llama-3.1-8b", "--attention", "sdpa"]) == 0
    internlm2 = {"model_type": "internlm2", "architectures": ["InternLM2ForCausalLM"],
                 "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 1000}
    assert plan(nnsize.count(internlm2), Setup(attention="sdpa")).lines


def _peak_storages(family: str, dtype: str, tokens: int) -> tuple[int, list[int]]:
    """The peak of live storages in a prefill of 1 x tokens, and their sizes at it."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from measure import _Live

    class Snapshot(_Live):
        sizes: list[int] = []

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            before = self.peak
            out = super().__torch_dispatch__(func, types, args, kwargs)
            if self.peak > before:
                self.sizes = sorted(self.live.values())
            return out

    model, _ = _model(family, dtype)
    live = Snapshot(list(model.parameters()))
    with torch.no_grad(), live:
        model(input_ids=torch.randint(0, 1000, (1, tokens)), use_cache=True, logits_to_keep=1)
    return live.peak, live.sizes


@pytest.mark.parametrize("family,dtype,tokens", [
    ("deepseek_v4", "bf16", 32), ("deepseek_v4", "bf16", 128), ("deepseek_v4", "bf16", 512),
    ("deepseek_v4", "fp32", 256), ("hy_v4", "bf16", 32), ("hy_v4", "bf16", 128),
    ("hy_v4", "bf16", 512), ("hy_v4", "fp32", 32), ("hy_v4", "fp32", 256)])
def test_family_terms_against_a_real_prefill(family: str, dtype: str, tokens: int) -> None:
    """DeepSeek-V4's and HY-V4's own tensors (eager.attention_terms, eager.mlp_terms), each a
    storage alive at the prefill's peak, to the byte: both families' hyper-connection streams
    (tokens x hc_mult 2 x hidden x act); DeepSeek-V4's block_bias (tokens x (tokens // 2 + 1))
    and the mask widened by it (tokens x (tokens + tokens // 2)); HY-V4's bool mask (tokens x
    tokens x 1 B), the mask's masked copy, two layers' top-k indices (tokens x min(128,
    tokens) int32) and its latent expanded, four storages of tokens x 16 heads x 32.  The
    workspace and KV cache within 10% of the peak (bf16: DeepSeek-V4 0.933 at 128 tokens,
    0.981 at 512; HY-V4 0.936, 0.972, 0.991 at 32, 128, 512; fp32: DeepSeek-V4 0.935 at 256,
    HY-V4 0.902 and 0.969 at 32 and 256).  DeepSeek-V4 at 32 tokens peaks in its experts
    instead, whose step is planned to the byte (32 x 2 routed x 6 x 128 x act, the packed
    gate_up and the clamped gate, up, SiLU and product), 0.733 of the peak: the rest is its
    long tail of small tensors (the compressors' buffered projections the cache keeps, the
    attention's returned weights, the streams of the layer's output), not planned."""
    peak, sizes = _peak_storages(family, dtype, tokens)
    act = 2 if dtype == "bf16" else 4
    lines = _lines(_config(family), dtype=dtype, context=tokens)
    terms = lines["decoder_workspace"].terms
    planned = lines["decoder_workspace"].bytes + lines["kv_cache"].bytes
    hidden = 32 if family == "deepseek_v4" else 64
    if family == "deepseek_v4":
        expected = [tokens * 2 * hidden * act, tokens * (tokens // 2 + 1) * act,
                    tokens * (tokens + tokens // 2) * act]
        assert [term_bytes([term]) for term in terms.family_terms] == expected
        mlp = [tokens * 2 * 2 * 128 * act] + [tokens * 2 * 128 * act] * 4
        assert term_bytes(terms.mlp_terms) + tokens * 3 * 256 * act == sum(mlp)
    else:
        topk = tokens * min(128, tokens) * 4
        expected = [tokens * 2 * hidden * act, tokens * tokens, tokens * tokens * act,
                    topk, topk] + [tokens * 16 * 32 * act] * 4
        assert term_bytes(terms.family_terms) == sum(expected) and not terms.mlp_terms
    if family == "deepseek_v4" and tokens == 32:  # the experts' step
        assert not Counter(mlp) - Counter(sizes)
        assert planned / peak == pytest.approx(0.733, abs=0.001)
        return
    assert not Counter(expected) - Counter(sizes)  # each alive at the peak
    assert planned == pytest.approx(peak, rel=0.10)
