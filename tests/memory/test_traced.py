"""Training activations traced on fake tensors (nnsize.memory.traced) against a real step.

Each case builds a small model from a config (BERT, T5, BART, Whisper, ViT) or a plain torch
module, runs one real training step on the CPU and measures what autograd saves
(saved_tensors_hooks, one count per storage, weights and autocast's weight copies apart) and
the step's peak of live storages (tests/measure.py); the trace of the same step on fake tensors
must give the saved bytes within 2% (most to the byte: the difference is the labels, a tensor of
their own in the trace, the input ids themselves in the measurement) and the peak within 4%.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from measure import measure  # noqa: E402

import nnsize  # noqa: E402
from nnsize.errors import NnsizeError  # noqa: E402
from nnsize.memory.lines import ModelContextNote  # noqa: E402
from nnsize.memory.traced import _trace_config, config_model, trace_module  # noqa: E402

BATCH, CONTEXT = 2, 64
BERT = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": 1000,
        "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "intermediate_size": 256}
T5 = {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "vocab_size": 1000,
      "d_model": 128, "d_kv": 32, "d_ff": 256, "num_layers": 2, "num_heads": 4,
      "decoder_start_token_id": 0, "pad_token_id": 0}
BART = {"model_type": "bart", "architectures": ["BartForConditionalGeneration"],
        "vocab_size": 1000, "d_model": 128, "encoder_layers": 2, "decoder_layers": 2,
        "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 256,
        "decoder_ffn_dim": 256, "max_position_embeddings": 256}
WHISPER = {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"],
           "vocab_size": 1000, "d_model": 128, "encoder_layers": 2, "decoder_layers": 2,
           "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 256,
           "decoder_ffn_dim": 256, "num_mel_bins": 80, "max_source_positions": 100,
           "max_target_positions": 256, "decoder_start_token_id": 1, "pad_token_id": 0}
VIT = {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": 128,
       "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256,
       "image_size": 64, "patch_size": 8, "num_labels": 10}
MODES = {"fp32": False, "autocast": True}
CASES = [(name, config, mode) for name, config in (("bert", BERT), ("t5", T5), ("bart", BART),
                                                   ("whisper", WHISPER), ("vit", VIT))
         for mode in MODES]


def _measured(config: dict[str, Any], mode: str) -> Any:
    torch.manual_seed(0)
    model, inputs, _ = config_model(config, BATCH, CONTEXT, 0, "")
    model.train()
    return measure(model, inputs, MODES[mode])


@pytest.mark.parametrize(("name", "config", "mode"), CASES, ids=[f"{n}-{m}" for n, _, m in CASES])
def test_traced_step_against_a_real_one(name: str, config: dict[str, Any], mode: str) -> None:
    traced = _trace_config(config, BATCH, CONTEXT, 0, "", mode, False)
    measured = _measured(config, mode)
    assert traced.saved == pytest.approx(measured.saved, rel=0.02)
    assert traced.peak == pytest.approx(measured.peak - measured.casts, rel=0.04)


def test_bert_fp32_to_the_labels() -> None:
    """The trace keeps the labels (2 x 64 int64 = 1,024 B) as a tensor of their own; the
    measured step reads the same tensor as input ids and labels: the only difference."""
    traced = _trace_config(BERT, BATCH, CONTEXT, 0, "", "fp32", False)
    measured = _measured(BERT, "fp32")
    assert traced.saved - measured.saved in (0, 2 * 64 * 8)
    # each of the two layers saved the same bytes, counted by the layer that saved them
    layers = dict(traced.parts)
    assert layers["bert.encoder.layer.0"] == layers["bert.encoder.layer.1"] > 0


def test_the_same_step_gives_the_same_bytes() -> None:
    """A plan is the same for the same input, every run (issue 21: `nnsize memory bert-base
    --train --context 512` gave a backward line of 135,821,316 / 135,029,764 / 99,646,468 B).
    The trace followed storages by their address: a freed storage's address, taken again by a
    new one, was mistaken for the old one (after the first pass, for one of autocast's weight
    copies) and skipped.  Three traces in this process, whose heap differs each time, and two
    in fresh processes (each its own hash seed and heap) give the same bytes to the byte."""
    import json
    import os
    import subprocess
    import sys

    import paths

    def step() -> tuple[int, int]:
        t = _trace_config(BERT, BATCH, 256, 0, "", "autocast", False)
        return t.saved, t.peak

    here = {step() for _ in range(3)}
    assert len(here) == 1
    root = paths.ROOT
    code = ("import json, sys; sys.path[:0] = [sys.argv[1]]; "
            "from nnsize.memory.traced import _trace_config; "
            f"t = _trace_config(json.loads(sys.argv[2]), {BATCH}, 256, 0, '', 'autocast', False); "
            "print(t.saved, t.peak)")
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", code, str(root / "src"), json.dumps(BERT)],
                              capture_output=True, text=True, check=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        saved, peak = map(int, done.stdout.split()[-2:])
        assert {(saved, peak)} == here


def test_checkpointing_keeps_less() -> None:
    full = _trace_config(BERT, BATCH, CONTEXT, 0, "", "fp32", False)
    checkpointed = _trace_config(BERT, BATCH, CONTEXT, 0, "", "fp32", True)
    assert checkpointed.peak < full.peak


def test_a_torch_module() -> None:
    """A torch.nn.TransformerEncoder between two linear layers: no layer formulas, traced."""
    layer = torch.nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)
    module = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.TransformerEncoder(layer, 2),
                                 torch.nn.Linear(64, 10))
    before = [p.clone() for p in module.parameters()]
    module.eval()
    traced = trace_module(module, [(1, 32, 16)], None, BATCH, "fp32")
    assert not module.training  # put back as it was
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters()))
    x = torch.randn(BATCH, 32, 16)
    module.train()
    pointers = {p.untyped_storage().data_ptr() for p in module.parameters()}
    storages: dict[int, int] = {}

    def pack(t: Any) -> Any:
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x).sum()
    saved = sum(n for p, n in storages.items() if p not in pointers)
    assert traced.saved == saved


def test_the_planner_plans_an_encoder_decoder() -> None:
    """nnsize memory --train of a config without per-layer formulas: the traced lines."""
    from nnsize.memory import Setup, plan

    p = plan(nnsize.count(T5), Setup(batch=BATCH, context=CONTEXT, train=True, dtype="fp32"))
    lines = {line.part: line for line in p.lines}
    traced = _trace_config(T5, BATCH, CONTEXT, 0, "", "fp32", False)
    assert lines["traced_activations"].bytes == traced.saved
    assert lines["traced_backward"].bytes == traced.peak - traced.saved
    assert not lines["traced_activations"].exact


def test_a_module_without_an_input_size_is_refused() -> None:
    with pytest.raises(NnsizeError, match="input size"):
        trace_module(torch.nn.Linear(2, 2), [], None, 1, "fp32")


def test_a_state_space_decoder_is_traced() -> None:
    """Mamba has no per-layer formulas: its step is traced (transformers' reference scan on the
    CPU, as measured here; the CUDA kernels of mamba_ssm keep less)."""
    from nnsize.memory import Setup, plan

    mamba = {"model_type": "mamba", "architectures": ["MambaForCausalLM"], "vocab_size": 1000,
             "hidden_size": 64, "num_hidden_layers": 2, "state_size": 8, "expand": 2,
             "conv_kernel": 4}
    lines = {line.part: line.bytes for line in plan(nnsize.count(mamba), Setup(
        batch=BATCH, context=CONTEXT, train=True, dtype="fp32")).lines}
    measured = _measured(mamba, "fp32")
    assert lines["traced_activations"] == pytest.approx(measured.saved, rel=0.02)


def test_a_long_scan_is_carried_from_four_short_ones() -> None:
    """Without its CUDA kernels, Mamba's scan is a loop over the tokens: 2,048 of them pass the
    trace's time limit.  The step is traced at 16, 32, 48 and 64 tokens and carried to the
    context asked; at 112 tokens the carried bytes are the traced ones, to the byte."""
    from nnsize.memory.traced import carry, scan_points

    mamba = {"model_type": "mamba", "architectures": ["MambaForCausalLM"], "vocab_size": 100,
             "hidden_size": 32, "num_hidden_layers": 1, "state_size": 4}
    points = scan_points(mamba, 112)
    assert points == (16, 32, 48, 64)
    traced = [_trace_config(mamba, 1, c, 0, "", "fp32", False) for c in points]
    direct = _trace_config(mamba, 1, 112, 0, "", "fp32", False)
    carried = carry(points, traced, 112)
    assert carried is not None
    assert (carried.saved, carried.peak, carried.parts) == \
        (direct.saved, direct.peak, direct.parts)
    assert scan_points(mamba, 64) == ()  # short enough to trace itself
    assert scan_points({**mamba, "chunk_size": 256}, 2_000) == ()  # not whole chunks


def test_the_carry_is_a_quadratic_checked_at_its_fourth_point() -> None:
    from nnsize.memory.traced import _quadratic

    # 100 + 3x + 2x^2 at 16, 32, 48, 64: 660, 2,244, 4,852, 8,484; at 2,048: 8,394,852
    assert _quadratic((16, 32, 48, 64), [660, 2_244, 4_852, 8_484], 2_048) == 8_394_852
    assert _quadratic((16, 32, 48, 64), [660, 2_244, 4_852, 8_485], 2_048) is None


def test_past_the_learned_positions_is_said() -> None:
    """BERT's 512 learned positions (here 128): a longer step is refused by name, not traced
    into a shape error."""
    with pytest.raises(NnsizeError, match="at most 128 positions"):
        _trace_config({**BERT, "max_position_embeddings": 128}, 1, 256, 0, "", "fp32", False)


def test_the_default_context_is_the_models_own() -> None:
    """No context asked: 2,048 at most the model's own longest.  BERT's table here holds 128
    rows, so the step is planned at 128 tokens (not refused at 2,048), and the plan says why;
    an explicit context past the table keeps the refusal that names it."""
    from nnsize.memory import Setup, plan

    bert = {**BERT, "max_position_embeddings": 128}
    p = plan(nnsize.count(bert), Setup(train=True, dtype="fp32"))
    assert p.setup.context == 128 and p.setup.context_from == \
        "learned positions (max_position_embeddings)"
    assert [n.terms.context for n in p.notes if isinstance(n.terms, ModelContextNote)] == [128]
    traced = _trace_config(bert, 1, 128, 0, "", "fp32", False)
    lines = {line.part: line.bytes for line in p.lines}
    assert lines["traced_activations"] == traced.saved  # the step at 128 tokens
    with pytest.raises(NnsizeError, match="at most 128 positions"):
        plan(nnsize.count(bert), Setup(train=True, dtype="fp32", context=256))


def test_the_cli_plans_bert_base_without_a_context() -> None:
    """`nnsize memory bert-base --train` was refused at the default 2,048 tokens; BERT-base has
    512 learned positions (max_position_embeddings 512 in google-bert/bert-base-uncased's
    config.json, https://huggingface.co/google-bert/bert-base-uncased/blob/main/config.json),
    so the default stops there and the note says so."""
    import contextlib
    import io

    from nnsize.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["memory", "bert-base", "--train"]) == 0
    text = out.getvalue()
    assert "batch 1, context 512" in text.splitlines()[0]
    assert "Context 512: bert-base's learned positions (max_position_embeddings)." in text


# Kimi Linear's and Ling's hybrid (tests/architectures/test_fallback_moe.py's tiny models): delta
# attention, latent attention, twice; a dense first layer, then 4 routed experts (2 a token)
# that transformers runs through torch._grouped_mm
DELTA = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 4,
         "num_attention_heads": 4, "num_key_value_heads": 4, "pad_token_id": 0,
         "bos_token_id": 0, "eos_token_id": 0, "moe_intermediate_size": 16,
         "num_experts_per_tok": 2, "num_experts": 4, "num_shared_experts": 1,
         "first_k_dense_replace": 1, "kv_lora_rank": 16, "qk_rope_head_dim": 8,
         "qk_nope_head_dim": 8, "v_head_dim": 16}
KIMI = {"model_type": "kimi_linear", "architectures": ["KimiLinearForCausalLM"], **DELTA,
        "head_dim": 8, "linear_num_heads": 4, "linear_head_dim": 8, "linear_conv_kernel_dim": 4,
        "layer_types": ["linear_attention", "full_attention"] * 2}
BAILING = {"model_type": "bailing_hybrid", "architectures": ["BailingHybridForCausalLM"], **DELTA,
           "head_dim": 8, "n_group": 1, "topk_group": 1, "short_conv_kernel_size": 4,
           "layer_group_size": 2}


@pytest.mark.parametrize("config", [KIMI, BAILING], ids=["kimi_linear", "bailing_hybrid"])
def test_a_routed_delta_model_against_a_real_step(config: dict[str, Any]) -> None:
    """Issue 21: their training step was refused ("Expected inputs of BF16 type", torch's fake
    kernel of _grouped_mm).  Under autocast the experts multiply fp32 (autocast does not cast
    _grouped_mm), which the CPU's kernel runs: traced, within 2% of the real step's saved
    bytes and 4% of its peak (batch 2 x 64 tokens, one chunk of the delta rule)."""
    traced = _trace_config(config, BATCH, CONTEXT, 0, "", "autocast", False)
    measured = _measured(config, "autocast")
    assert traced.saved == pytest.approx(measured.saved, rel=0.02)
    assert traced.peak == pytest.approx(measured.peak - measured.casts, rel=0.04)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_grouped_mm_on_fake_tensors_as_the_cpu_runs_it(dtype: str) -> None:
    """torch's fake kernel of _grouped_mm checks CUDA's dtypes (bf16 only); the CPU's kernel
    multiplies fp32 and fp16 too.  On fake tensors the trace gives what the CPU's kernel
    gives: its dtype, sizes and strides; and the CPU's own refusal of strides that are no
    whole 16 bytes is kept (30 fp32 values a row: 120 B)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    from nnsize.memory.traced import _cpu_op

    kind = getattr(torch, dtype)
    offs = torch.tensor([2, 5, 7, 10], dtype=torch.int32)
    op = torch.ops.aten._grouped_mm.default
    real = op(torch.randn(10, 32, dtype=kind), torch.randn(4, 32, 16, dtype=kind), offs)
    with FakeTensorMode() as fake:
        a, b, o = fake.from_tensor(torch.empty(10, 32, dtype=kind)), \
            fake.from_tensor(torch.empty(4, 32, 16, dtype=kind)), fake.from_tensor(offs)
        out = _cpu_op(op, (a, b, o), {})
        assert (out.dtype, out.shape, out.stride()) == (real.dtype, real.shape, real.stride())
        odd = fake.from_tensor(torch.empty(10, 30, dtype=kind))
        with pytest.raises(RuntimeError):
            _cpu_op(op, (odd, fake.from_tensor(torch.empty(4, 30, 16, dtype=kind)), o), {})
    with pytest.raises(RuntimeError, match="16 bytes"):
        op(torch.randn(10, 30, dtype=kind), torch.randn(4, 30, 16, dtype=kind), offs)


def test_a_delta_scan_is_carried_over_whole_chunks() -> None:
    """Kimi Linear's delta rule runs in chunks of 64 tokens (CODE_CHUNKS: its function's
    default), padding the sequence to whole chunks: traced at 16 to 64 tokens (one chunk each)
    the bytes were carried to 2,048 as if it were one chunk.  Traced at 256, 320, 384 and 448
    tokens instead (4 to 7 chunks: the first chunks are off the polynomial), and carried to
    512 the bytes are the traced ones, to the byte."""
    from nnsize.memory.traced import CODE_CHUNKS, carry, scan_points

    kimi = {**KIMI, "num_hidden_layers": 2, "layer_types": ["linear_attention", "full_attention"],
            "first_k_dense_replace": 0}
    chunk = CODE_CHUNKS["kda"]
    report = nnsize.count(kimi)
    assert report.decoder is not None and report.decoder.mixer is not None
    assert report.decoder.mixer.kind == "kda"
    points = scan_points(kimi, 512, chunk)
    assert points == (256, 320, 384, 448)
    assert scan_points(kimi, 448, chunk) == ()  # short enough to trace itself
    assert scan_points(kimi, 2_000, chunk) == ()  # 31.25 chunks: traced itself
    traced = [_trace_config(kimi, 1, c, 0, "", "autocast", False) for c in points]
    direct = _trace_config(kimi, 1, 512, 0, "", "autocast", False)
    carried = carry(points, traced, 512)
    assert carried is not None
    assert (carried.saved, carried.peak, carried.parts) == \
        (direct.saved, direct.peak, direct.parts)


def test_the_delta_chunk_is_transformers_own() -> None:
    """CODE_CHUNKS is the default chunk_size of transformers' own functions, which the model
    calls without one."""
    import inspect

    from transformers.models.bailing_hybrid import modeling_bailing_hybrid
    from transformers.models.kimi_linear import modeling_kimi_linear

    from nnsize.memory.traced import CODE_CHUNKS

    for module, layer in ((modeling_kimi_linear, "KimiLinearDeltaAttention"),
                          (modeling_bailing_hybrid, "BailingHybridDeltaAttention")):
        kernel = module.chunk_kimi_delta_attention  # a module calling the function (hub kernels)
        function = getattr(kernel, "forward", kernel)
        assert inspect.signature(function).parameters["chunk_size"].default == CODE_CHUNKS["kda"]
        assert "chunk_size" not in inspect.getsource(getattr(module, layer).forward)
