"""The planner against PyTorch and transformers measuring the same thing."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

import nnsize
from nnsize.cli import main
from nnsize.memory import Setup, compute, kv_cache, optimizer_bytes, plan, spec_activation_bytes
from nnsize.memory.lines import DeepSpeedTerms
from nnsize.precision import find

SPEC = {"input_shape": [3, 16, 16], "layers": [
    {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
    {"type": "BatchNorm2d"}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Flatten"}, {"type": "Linear", "out_features": 32}, {"type": "ReLU"},
    {"type": "Linear", "out_features": 10}, {"type": "LayerNorm"}]}


def torch_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 8 * 8, 32), nn.ReLU(),
                         nn.Linear(32, 10), nn.LayerNorm(10))


def one_step(model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    model(torch.randn(4, 3, 16, 16)).square().mean().backward()
    optimizer.step()


@pytest.mark.parametrize("name, make", [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd-momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("adam", lambda p: torch.optim.Adam(p)),
    ("adamw", lambda p: torch.optim.AdamW(p)),
    ("adafactor", lambda p: torch.optim.Adafactor(p)),
])
def test_optimizer_states_against_torch(name: str, make: Any) -> None:
    model = torch_model()
    optimizer = make(model.parameters())
    one_step(model, optimizer)
    measured = sum(v.nbytes for state in optimizer.state.values() for v in state.values()
                   if isinstance(v, torch.Tensor))
    predicted, _ = optimizer_bytes(nnsize.count(SPEC), name, 32)
    assert predicted == measured


def test_gradients_and_weights_against_torch() -> None:
    model = torch_model()
    model(torch.randn(4, 3, 16, 16)).sum().backward()
    lines = {line.part: line.bytes for line in plan(nnsize.count(SPEC), Setup(
        dtype="fp32", train=True, mixed_precision=False, optimizer="sgd")).lines}
    assert lines["gradients"] == sum(p.grad.nbytes for p in model.parameters())
    assert lines["weights"] == sum(p.nbytes for p in model.parameters())


def saved_bytes(model: nn.Module, x: torch.Tensor, checkpointed: bool = False) -> int:
    """What autograd keeps for backward, deduplicated by storage, parameters left out."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        if checkpointed:
            y = x
            for layer in model:
                y = checkpoint(layer, y, use_reentrant=False)
        else:
            model(x)
    return sum(seen.values())


# The activation model is an estimate: it counts what each layer kind saves (its input or
# output, a max-pool's int64 indices, a norm's statistics) and shares one tensor between a layer
# and the next.  Allowed 10%: small extras it leaves out (BatchNorm's reserve, scalars).
TOLERANCE = 0.10


@pytest.mark.parametrize("name, spec, model, x", [
    ("mlp", {"input_shape": [64], "layers": [
        {"type": "Linear", "out_features": 128}, {"type": "ReLU"},
        {"type": "Linear", "out_features": 128}, {"type": "ReLU"},
        {"type": "Linear", "out_features": 10}]},
     lambda: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                           nn.Linear(128, 10)), (8, 64)),
    ("cnn", SPEC, torch_model, (8, 3, 16, 16)),
    ("transformer block", {"input_shape": [32, 64], "layers": [
        {"type": "TransformerEncoderLayer", "nhead": 4, "dim_feedforward": 128,
         "dropout": 0.0}]},
     lambda: nn.Sequential(nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0,
                                                      batch_first=True)), (8, 32, 64)),
])
@pytest.mark.parametrize("checkpointed", [False, True])
def test_activations_against_saved_tensors_hooks(name: str, spec: dict[str, Any], model: Any,
                                                 x: tuple[int, ...], checkpointed: bool) -> None:
    torch.manual_seed(0)
    measured = saved_bytes(model(), torch.randn(x, requires_grad=False), checkpointed)
    predicted, _ = spec_activation_bytes(nnsize.count(spec), x[0], find("fp32"), checkpointed)
    assert predicted == pytest.approx(measured, rel=TOLERANCE), (predicted, measured)


transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("family, extra", [
    ("llama", {}),  # grouped-query attention: 2 key-value heads for 4
    ("mistral", {"sliding_window": 5}),
    ("gemma2", {"sliding_window": 5, "head_dim": 8}),  # local and global layers alternate
    ("gemma3_text", {"sliding_window": 5, "head_dim": 8, "sliding_window_pattern": 2}),
    ("qwen3", {"head_dim": 8}),
])
def test_kv_cache_against_transformers(family: str, extra: dict[str, Any]) -> None:
    from measure import kv_cache_bytes

    config = {"model_type": family, "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
              "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
              "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, **extra}
    batch, tokens = 3, 13
    measured = kv_cache_bytes(config, batch, tokens)
    predicted, _, _ = kv_cache(nnsize.count(config), batch, tokens, find("fp32"))
    assert predicted == measured


def test_latent_attention_cache() -> None:
    # DeepSeek-V3: the latent is kv_lora_rank + rope = 512 + 64 values a token a layer
    report = nnsize.count("deepseek-v3")
    latent, _, _ = kv_cache(report, 1, 1000, find("bf16"))
    assert latent == 61 * 1000 * 576 * 2
    expanded, _, _ = kv_cache(report, 1, 1000, find("bf16"), latent=False)
    assert expanded == 61 * 1000 * 128 * (192 + 128) * 2


def test_compute_against_flop_counter() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    config = {"model_type": "llama", "vocab_size": 64, "hidden_size": 32,
              "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "architectures": ["LlamaForCausalLM"]}
    cfg = transformers.LlamaConfig(**{k: v for k, v in config.items()
                                      if k not in ("model_type", "architectures")})
    model = transformers.LlamaForCausalLM(cfg).eval()
    s = 10
    from nnsize.importers.from_torch import flop_formulas

    with FlopCounterMode(display=False, custom_mapping=flop_formulas(torch)) as counter, \
            torch.no_grad():
        model(torch.randint(0, 64, (1, s)))
    c = compute(nnsize.count(config), s)
    # FlopCounterMode counts every matmul exactly, and attention over the full s x s (it does
    # not know the mask is causal): 2 layers x s^2 x 4 heads x (8 + 8)
    full_attention = 2 * s * s * 4 * (8 + 8)
    assert counter.get_total_flops() == 2 * (c.linear_macs * s + full_attention)
    # nnsize's prefill counts the causal half: sum of t for t = 1..s keys per query
    assert c.attention_macs_prefill == 2 * (s * (s + 1) // 2) * 4 * (8 + 8)


def test_memory_is_a_sum_of_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["memory", "llama-3.1-8b", "--train", "--batch", "8", "--context", "4096",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_bytes"] == sum(line["bytes"] for line in data["lines"])
    names = [line["name"] for line in data["lines"]]
    # the default: torch.autocast over fp32 weights, gradients and Adam states
    assert names[:4] == ["weights", "gradients", "optimizer states (adamw)",
                         "autocast weight copies (bf16)"]
    assert data["lines"][0]["bytes"] == 4 * 8_030_261_248
    assert main(["memory", "llama-3.1-8b", "--train", "--mixed-precision", "master-weights",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [line["name"] for line in data["lines"]][:4] == [
        "weights", "gradients", "master weights (fp32)", "optimizer states (adamw)"]
    assert data["lines"][0]["bytes"] == 2 * 8_030_261_248


def test_what_weight_only_formats_keep(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    sizes = {}
    for keep in ("norms,biases,embeddings,head", "none"):
        # q4_0-block: Q4_0 blocks alone (the llama.cpp name Q4_0 is its file, whose types
        # llama.cpp chooses, so keep does not apply to it)
        assert main(["memory", "llama-3.2-1b", "--dtype", "q4_0-block", "--keep", keep,
                     "--json"]) == 0
        sizes[keep] = json.loads(capsys.readouterr().out)["lines"][0]["bytes"]
    # tied embeddings of 128,256 x 2,048 at 16 bits instead of 4.5: 128,256 x 2,048 x 11.5 / 8
    # bytes more, plus the norms (2 x 16 + 1) x 2,048 x 11.5 / 8
    embeddings, norms = 128_256 * 2048, 33 * 2048
    assert sizes["norms,biases,embeddings,head"] - sizes["none"] == \
        pytest.approx((embeddings + norms) * 11.5 / 8, abs=2)
    assert main(["memory", "llama-3.2-1b", "--keep", "eyes"]) == 2


def test_precisions_exactly() -> None:
    # 1M parameters: fp32 4,000,000 B; int4 GPTQ group 128: 4 + 20/128 bits
    assert find("gptq-int4").bits_per_value * 1_000_000 / 8 == 519_531.25
    assert find("nf4").bits_per_value == 4.5 and find("q4_0").bits_per_value == 4.5
    assert find("q8_0").bits_per_value == 8.5  # 34 bytes per block of 32


def test_fit_and_tools(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["fit", "llama-3.1-8b", "--gpu", "rtx-4090", "--context", "8192",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fits"] and data["largest_batch"] >= 1 and data["fewest_gpus"] == 1
    assert main(["fit", "llama-3.1-70b", "--gpu", "80GB", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fewest_gpus"] == 2
    assert main(["memory", "llama-3.1-8b", "--train", "--as", "accelerate"]) == 0
    assert "4 x the model at bf16" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["memory", "llama-3.1-8b", "--dtype", "fp7"], "did you mean 'fp8'"),
    (["memory", "llama-3.1-8b", "--batch", "0"], "batch must be at least 1, got"),
    (["memory", "llama-3.1-8b", "--batch", "-3"], "batch must be at least 1, got"),
    (["memory", "llama-3.1-8b", "--batch", "10000000000", "--context", "10000000000"],
     "beyond any machine"),
    (["fit", "llama-3.1-8b", "--gpu", "24G"], "ambiguous"),
    (["fit", "llama-3.1-8b", "--gpu", "rtx-4085"], "did you mean"),
    (["fit", "llama-3.1-8b", "--gpu", "big"], "unknown GPU"),
    (["memory", "llama-3.1-8b", "--train", "--dtype", "q4_k"], "float format"),
])
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_fit_no_context_for_an_mlp_and_gpt2s_learned_positions() -> None:
    from nnsize.memory import fit
    from nnsize.render.plan import fit_lines

    usable = 23 * 2**30  # a 24 GiB card less 1 GiB
    mlp = fit(nnsize.count("784-512x4-10"), Setup(), usable)
    assert mlp.longest_context is None  # it reads no sequence: no context applies
    assert [label for label, _ in fit_lines(mlp)] == ["Largest batch at this context",
                                                      "Fewest such GPUs that hold it"]
    gpt2 = fit(nnsize.count("gpt2"), Setup(context=1024), usable)
    assert gpt2.positions == 1024 and gpt2.longest_context == 1024  # wpe: 1,024 x 768
    assert fit_lines(gpt2)[1] == ("Longest context at this batch",
                                  "1,024 (all of its 1,024 learned positions)")
    past = plan(nnsize.count("gpt2"), Setup(context=2048))
    assert [note.key for note in past.notes][-1] == "past_positions"


def test_a_size_a_card_is_sold_as_reads_as_its_memory() -> None:
    from nnsize.gpus import find_gpu

    gpu = find_gpu("48GB")  # an L40S is sold as 48 GB and has 48 GiB = 51,539,607,552 bytes
    assert gpu.bytes == 48 * 2**30 and "l40s" in gpu.name and "48000MB" in gpu.name
    assert find_gpu("48000MB").bytes == 48 * 10**9  # the decimal reading, asked for plainly
    assert find_gpu("50GB").bytes == 50 * 10**9  # no card is sold as 50 GB
    # the H200's 141 GB are 141 GiB: CUDA's total on one, 150,021,734,400 bytes, exceeds 141e9
    # (issue 23, the sixth pass), so the size reads as the card, as 48 GB does
    assert find_gpu("141GB").bytes == 141 * 2**30
    # several cards are sold as 48 GB, all 48 GiB: the name says it read them so, naming them
    assert "the cards sold as 48 GB (a40, l40, l40s, l20 and 6 more), all "\
           "51,539,607,552 bytes" in gpu.name


def test_apple_usable_memory_is_macos_gpu_limit() -> None:
    """recommendedMaxWorkingSetSize: 2/3 of unified memory at or below 36 GiB (a 32 GiB M1 Max
    reports 21,845.34 MiB: 32,768 x 2/3), 3/4 above (a 128 GiB Mac: 96 GiB)."""
    from nnsize.gpus import GPUS

    assert GPUS["m1-pro"].usable == 32 * 2**30 * 2 // 3  # 21,845.33 MiB
    assert GPUS["m4-max-32"].usable == 36 * 2**30 * 2 // 3 == 24 * 2**30  # 36 GiB: 2/3
    assert GPUS["m4-max"].usable == 96 * 2**30  # 128 GiB x 3/4
    # a CUDA card: what CUDA reports less the context, 47,834,660,864 B (44.55 GiB, the RTX
    # A6000 with ECC on, as its deviceQuery shows it) - 2**30 = 46,760,919,040 B
    assert GPUS["rtx-a6000"].usable == 47_834_660_864 - 2**30 == 46_760_919_040
    from nnsize.cli import run

    out = run(["fit", "llama-3.1-8b", "--gpu", "m4-max"])
    assert "usable 96.00 GiB = 3/4 of it, macOS's GPU limit on unified memory" in out


def test_deepspeeds_largest_layer_is_the_largest_module() -> None:
    """model_to_params in DeepSpeed: max over modules of sum(p.numel() for p in
    m.parameters(recurse=False)); for a Llama, the embedding (or the head)."""
    transformers = pytest.importorskip("transformers")
    from nnsize.memory import as_tool, largest_module

    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 100,
              "hidden_size": 32, "intermediate_size": 200, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2,
              "tie_word_embeddings": False}
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(
        **{k: v for k, v in config.items() if k not in ("model_type", "architectures")}))
    expected = max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())
    report = nnsize.count(config)
    largest, name = largest_module(report)
    assert largest == expected == 200 * 32  # an MLP projection (6,400) beats the 100 x 32 embedding
    total, terms = as_tool(report, "deepspeed", Setup(gpus=4))
    assert total == 4 * 6_400 + 18 * report.total_params // 4
    assert isinstance(terms, DeepSpeedTerms) and terms.module == "model.layers.N.mlp.gate_proj"


def test_weight_only_formats_follow_their_library(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nnsize.memory.weight_only import split

    report = nnsize.count("mixtral-8x7b")
    quantized, kept = split(report, "gptq")
    from nnsize.render.plan import line_how

    how = line_how(plan(report, Setup(dtype="gptq-int4")).lines[0])
    # GPTQ keeps the routers, embeddings, norms and head at bf16: 2 bytes each
    assert str(kept) in how.replace(",", "") and "gptq" in how
    assert main(["memory", "mixtral-8x7b", "--dtype", "nf4", "--json"]) == 0
    how = json.loads(capsys.readouterr().out)["lines"][0]["how"]
    assert "what nf4 leaves unquantized" in how  # transformers 5: fused experts are not Linear


@pytest.mark.parametrize("family", ["whisper", "bart", "mbart", "marian", "pegasus", "m2m_100",
                                    "t5"])
def test_encoder_decoder_cache_against_transformers(family: str) -> None:
    # transformers' EncoderDecoderCache after one forward pass: the decoder's self-attention
    # keys and values for its tokens, cross-attention's for the encoder's, in every layer
    import warnings

    if family == "t5":
        config: dict[str, Any] = {"d_model": 16, "d_kv": 6, "num_heads": 3, "d_ff": 8,
                                  "num_layers": 2, "num_decoder_layers": 3}
    else:
        config = {"d_model": 16, "encoder_attention_heads": 4, "decoder_attention_heads": 2,
                  "encoder_layers": 2, "decoder_layers": 3, "encoder_ffn_dim": 8,
                  "decoder_ffn_dim": 8, "max_position_embeddings": 64}
    if family == "whisper":  # the encoder always reads max_source_positions frames
        config.update(num_mel_bins=4, max_source_positions=10, max_target_positions=32)
    config.update(vocab_size=64, pad_token_id=0, bos_token_id=0, eos_token_id=0,
                  decoder_start_token_id=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family](**config)
        model = transformers.AutoModelForSpeechSeq2Seq.from_config(cfg) if family == "whisper" \
            else transformers.AutoModelForSeq2SeqLM.from_config(cfg)
    batch, tokens, source = 2, 7, 11
    inputs = {"input_features": torch.randn(batch, 4, 20)} if family == "whisper" else \
        {"input_ids": torch.randint(1, 64, (batch, source))}
    with torch.no_grad():
        cache = model(**inputs, decoder_input_ids=torch.randint(1, 64, (batch, tokens)),
                      use_cache=True).past_key_values
    measured = sum(layer.keys.nbytes + layer.values.nbytes for part in (
        cache.self_attention_cache, cache.cross_attention_cache) for layer in part.layers)
    report = nnsize.count({"model_type": family, **config})
    asked = 0 if family == "whisper" else source
    p = plan(report, Setup(dtype="fp32", batch=batch, context=tokens, encoder_length=asked))
    line = next(line for line in p.lines if line.part == "encoder_decoder_cache")
    assert line.bytes == measured
    assert "workspace" not in [line.part for line in p.lines]
    # by hand, bart: 2 x 3 layers x (32 x 7 + 32 x 11) x 4 B = 13,824; t5: 2 x 3 x (36 x 7 +
    # 36 x 11) x 4 = 15,552; whisper: 2 x 3 x (32 x 7 + 32 x 10 frames) x 4 = 13,056
    assert measured == {"t5": 15_552, "whisper": 13_056}.get(family, 13_824)


def test_mamba_compute_against_flop_counter() -> None:
    # a tiny Mamba through transformers' reference (PyTorch) scan: FlopCounterMode counts the
    # projections (mm), the depthwise conv and the scan's read-out C h (bmm); the state update
    # dA h + dB x is elementwise there (FlopCounterMode counts no elementwise op), as are exp,
    # softplus, the gate and the norms, which nnsize does not count either
    import warnings

    from torch.utils.flop_counter import FlopCounterMode

    config = {"model_type": "mamba", "vocab_size": 64, "hidden_size": 16, "state_size": 4,
              "num_hidden_layers": 2, "expand": 2, "conv_kernel": 3,
              "architectures": ["MambaForCausalLM"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.MambaConfig(**{k: v for k, v in config.items()
                                          if k not in ("model_type", "architectures")})
        model = transformers.MambaForCausalLM(cfg).eval()
    s, layers, inner, n, k = 10, 2, 32, 4, 3
    # with grad on: under no_grad, FlopCounterMode's module tracker fails inside transformers
    # 5.25's causal_conv1d fallback ("Expected gradient function to be set"); the counts are
    # the same either way, as the forward pass is the same
    with FlopCounterMode(display=False) as counter:
        model(torch.randint(0, 64, (1, s)), use_cache=False)
    flops = {str(op): v for op, v in counter.get_flop_counts()["Global"].items()}
    c = compute(nnsize.count(config), s)
    conv = layers * inner * k  # 2 x 32 x 3 = 192 MACs a token, inside linear_macs
    assert flops["aten.mm"] == 2 * s * (c.linear_macs - conv)  # 2 x 10 x 4,736 = 94,720
    assert c.scan_macs == 2 * layers * inner * n == 512
    assert flops["aten.bmm"] == 2 * s * c.scan_macs // 2  # the read-out: 2 x 10 x 256 = 5,120
    # transformers pads the conv by k - 1 and drops the k - 1 extra outputs it computes
    assert flops["aten.convolution"] == 2 * (s + k - 1) * conv  # 2 x 12 x 192 = 4,608
    assert c.prefill_flops == 2 * s * (c.linear_macs + c.scan_macs)


def test_state_space_lines_are_named_ssm_state() -> None:
    from nnsize.render.plan import line_name

    mamba = {"model_type": "mamba", "vocab_size": 64, "hidden_size": 16, "state_size": 4,
             "num_hidden_layers": 2, "expand": 2, "conv_kernel": 3}
    line = next(x for x in plan(nnsize.count(mamba), Setup()).lines if x.part == "kv_cache")
    assert line_name(line) == "SSM state (bf16)"
    # one sequence as transformers keeps it: 2 layers x (32 x 3 conv window x 2 B + 32 x 4
    # SSM x 4 B, its float32 state)
    assert line.bytes == 2 * (32 * 3 * 2 + 32 * 4 * 4) == 1_408


def test_images_join_the_context() -> None:
    # LLaVA-1.5 (transformers' default LlavaConfig): CLIP ViT-L/14 at 336 px, 576 tokens an
    # image; 2 images and 2,048 text tokens are a context of 2,048 + 2 x 576 = 3,200 tokens
    from nnsize.errors import NnsizeError
    from nnsize.memory.compute import image_context

    config = transformers.LlavaConfig().to_dict()
    report = nnsize.count(config)
    assert image_context(report, 2048, 2) == 3200
    with_images = plan(report, Setup(context=2048, images=2))
    as_text = plan(report, Setup(context=3200))
    kv = [next(x.bytes for x in p.lines if x.part == "kv_cache") for p in (with_images, as_text)]
    assert kv[0] == kv[1] == 32 * 3200 * 8192 * 2  # layers x tokens x 2 x 4,096 x 2 B
    assert "images" in [note.key for note in with_images.notes]
    assert compute(report, image_context(report, 2048, 2)) == compute(report, 3200)
    with pytest.raises(NnsizeError, match="no fixed number of tokens per image"):
        plan(nnsize.count("llama-3.1-8b"), Setup(images=1))


def test_a_layers_dtype_argument_sets_its_parameter_memory() -> None:
    """nn.Linear(16, 32, dtype=torch.float16) keeps its 544 parameters in 2 bytes each, whatever
    the plan's --dtype; the Linear without one follows --dtype (fp32: 132 x 4)."""
    torch = pytest.importorskip("torch")
    from nnsize.memory import Setup, plan

    spec = {"input_shape": [16], "layers": [
        {"type": "Linear", "in_features": 16, "out_features": 32, "dtype": "float16"},
        {"type": "Linear", "in_features": 32, "out_features": 4}]}
    model = torch.nn.Sequential(torch.nn.Linear(16, 32, dtype=torch.float16),
                                torch.nn.Linear(32, 4))
    measured = sum(p.numel() * p.element_size() for p in model.parameters())
    lines = {line.part: line for line in plan(nnsize.count(spec), Setup(dtype="fp32")).lines}
    # (16 x 32 + 32) x 2 + (32 x 4 + 4) x 4 = 1,088 + 528 = 1,616
    assert lines["weights"].bytes == measured == 1_616
    assert lines["weights"].terms.own == (("fp16", 544),)
    train = plan(nnsize.count(spec), Setup(dtype="fp32", train=True))
    assert any(note.key == "layer_dtypes_ignored" for note in train.notes)


@pytest.mark.parametrize(("source", "context", "why"), [
    # GPT-2: wpe holds 1,024 rows (n_positions 1024 in openai-community/gpt2's config.json)
    ("gpt2", 1024, "learned positions"),
    # BERT-base: max_position_embeddings 512 (google-bert/bert-base-uncased's config.json)
    ("bert-base", 512, "learned positions (max_position_embeddings)"),
    # RoBERTa: 514 rows, positions start at pad_token_id + 1 = 2 (transformers'
    # create_position_ids_from_input_ids): 514 - 2 = 512 tokens
    ("roberta-base", 512, "learned positions (max_position_embeddings 514 less the 2 before the "
                          "first, pad_token_id + 1)"),
    # Llama 3.1: 131,072 positions, past the default: 2,048
    ("llama-3.1-8b", 2048, "default"),
    # T5: relative positions, no table: 2,048; an MLP reads no sequence: 2,048 (unused)
    ("t5-small", 2048, "default"),
    ("784-512x4-10", 2048, "default"),
])
def test_the_default_context_follows_the_model(source: str, context: int, why: str) -> None:
    from nnsize.memory.plan import settle

    report = nnsize.count(source)
    s = settle(report, Setup())
    assert (s.context, s.context_from) == (context, why)
    assert settle(report, Setup(context=300)).context == 300  # asked: as asked


def test_the_default_context_is_said_where_the_model_shortens_it() -> None:
    p = plan(nnsize.count("gpt2"), Setup())
    assert p.setup.context == 1024
    notes = [n for n in p.notes if n.key == "model_context"]
    assert [n.terms.context for n in notes] == [1024]
    assert "past_positions" not in [n.key for n in p.notes]
    # Llama at the default 2,048: no note (the title says the context)
    assert "model_context" not in [n.key for n in plan(nnsize.count("llama-3.1-8b"),
                                                       Setup()).notes]


def test_layers_the_forward_never_calls_get_no_gradient_nor_state() -> None:
    """MiMo's multi-token-prediction layers are in its checkpoint and its model, but its forward
    never calls them (a draft model runs them): after backward their grad is None, and AdamW
    keeps no state for them.  Checked on a tiny MiMo: transformers' Qwen2ForCausalLM (MiMo's
    main model, tensor for tensor) with the MTP layer's tensors beside it, as nnsize lists
    them, one training step."""
    transformers = pytest.importorskip("transformers")
    config = {"model_type": "mimo", "architectures": ["MiMoForCausalLM"], "vocab_size": 64,
              "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "num_nextn_predict_layers": 1,
              "max_position_embeddings": 64, "tie_word_embeddings": False}
    report = nnsize.count(config)
    mtp = {name: t.shape for row in report.rows if row.name.startswith("mtp")
           for t in row.tensors for name in t.names()}
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(transformers.Qwen2Config(
        **{k: v for k, v in config.items() if k not in ("model_type", "architectures",
                                                        "num_nextn_predict_layers")}))
    unused = nn.ParameterList(nn.Parameter(torch.randn(shape)) for shape in mtp.values())
    model.add_module("mtp", unused)  # in model.parameters(), never in the forward
    optimizer = torch.optim.AdamW(model.parameters())
    model(input_ids=torch.randint(0, 64, (1, 8)), labels=torch.randint(0, 64, (1, 8))
          ).loss.backward()
    optimizer.step()
    lines = {line.part: line for line in plan(report, Setup(
        dtype="fp32", train=True, mixed_precision=False, optimizer="adamw", context=8)).lines}
    assert lines["weights"].bytes == sum(p.nbytes for p in model.parameters())
    assert all(p.grad is None for p in unused)
    assert lines["gradients"].bytes == sum(p.grad.nbytes for p in model.parameters()
                                           if p.grad is not None)
    # exp_avg, exp_avg_sq and a 4-byte step for each parameter the forward reached
    assert lines["optimizer"].bytes == sum(
        s.nbytes for state in optimizer.state.values() for s in state.values())
    unreached = sum(math.prod(shape) for shape in mtp.values())
    assert lines["gradients"].terms.params == report.trainable_params - unreached
