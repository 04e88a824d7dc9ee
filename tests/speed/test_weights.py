"""The weights a step reads (speed.weights) of a config whose quantization_config says how its
publisher stores it: the checkpoint's own bytes, tensor by tensor as memory plans them (one
function, memory.quantization.published), unless --dtype re-prices them."""

from __future__ import annotations

import pytest

from nnsize.architectures.presets import find
from nnsize.errors import NnsizeError
from nnsize.memory.plan import plan
from nnsize.memory.setup import Setup
from nnsize.render.speed import speed_text
from nnsize.speed import SpeedSetup, estimate, weights_read
from nnsize.speed.setup import planner_fit

# gpt-oss-20b as published: its index's total_size (tests/memory/test_quantization.py), and its
# input embedding, 201,088 x 2,880 bf16 values, of which a token reads one row
GPT_OSS_20B = 13_761_264_768
EMBEDDING = 201_088 * 2_880 * 2  # 1,158,266,880 B


def test_gpt_oss_20b_reads_its_published_bytes() -> None:
    report = find("gpt-oss-20b").count()
    w = weights_read(report, "mxfp4", published=True)
    # every stored tensor but the input embedding (the head is not tied: it is read whole)
    assert w.all == GPT_OSS_20B - EMBEDDING == 12_602_997_888
    # the expert rows, read at k / n = 4 / 32: their MXFP4 blocks and scales, 24 layers x 32
    # x (5,760 + 2,880) x 90 x 17 B, and their biases, 24 x 32 x (5,760 + 2,880) x 2 B bf16
    assert sum(b for b, _ in w.experts) == 24 * 32 * (5_760 + 2_880) * (90 * 17 + 2)
    s = estimate(report, SpeedSetup(gpu="rtx-4090"))
    assert s.dtype == "mxfp4" and s.published
    assert s.prefill.weight_bytes == GPT_OSS_20B - EMBEDDING  # 512 tokens touch every expert
    text = speed_text(s)
    assert "weights mxfp4 as published" in text and "as nnsize memory plans them" in text
    # MXFP4 is a weight-only format: the matmuls run at bf16, the engine's figures for
    # quantized weights
    assert s.hardware.compute == "bf16"
    llama = estimate(report, SpeedSetup(gpu="rtx-4090", engine="llama.cpp"))
    assert llama.engine.fitted_on == "geforce/quantized"


def test_an_explicit_dtype_reprices_as_before() -> None:
    report = find("gpt-oss-20b").count()
    s = estimate(report, SpeedSetup(gpu="rtx-4090", dtype="bf16"))
    assert s.dtype == "bf16" and not s.published
    # every parameter but the embedding at 2 B: 20,914,757,184 - 201,088 x 2,880 values
    assert s.prefill.weight_bytes == (20_914_757_184 - 201_088 * 2_880) * 2
    # and the planner's word is on the same setup: re-priced at bf16, not as published
    memory = plan(report, Setup(dtype="bf16")).total
    assert planner_fit(report, SpeedSetup(gpu="rtx-4090", dtype="bf16"))[0] == memory  # type: ignore[index]
    published = plan(report, Setup()).total
    assert planner_fit(report, SpeedSetup(gpu="rtx-4090"))[0] == published  # type: ignore[index]


def test_deepseek_v3_fp8_as_published_and_its_fp32_router() -> None:
    report = find("deepseek-v3").count()
    hf = estimate(report, SpeedSetup(gpu="h100-80gb", gpus=8, engine="transformers"))
    vllm = estimate(report, SpeedSetup(gpu="h100-80gb", gpus=8, engine="vllm"))
    assert hf.dtype == vllm.dtype == "fp8"
    assert hf.hardware.compute == "fp8"  # FP8Linear: fp8 activations, an fp8 block matmul
    # transformers holds the router's 58 x 256 x 7,168 weights in fp32 (stored bf16): read at
    # 4 B, 58 x 256 x 7,168 x 2 B more over the 8 cards
    assert 8 * (hf.prefill.weight_bytes - vllm.prefill.weight_bytes) in range(
        58 * 256 * 7_168 * 2 - 8, 58 * 256 * 7_168 * 2 + 8)
    stored = weights_read(report, "fp8", published=True)
    assert "transformers keeps deepseek_v3's" in speed_text(hf)
    assert "transformers keeps" not in speed_text(vllm)
    # as memory plans it: the published bytes less the embedding, 129,280 x 7,168 x 2 B
    weights = plan(report, Setup(engine="vllm")).lines[0].bytes
    assert stored.all == weights - 129_280 * 7_168 * 2
    with pytest.raises(NnsizeError, match="--keep does not apply to deepseek-v3 as published"):
        estimate(report, SpeedSetup(gpu="h100-80gb", keep=("embeddings",)))
