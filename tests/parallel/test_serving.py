"""nnsize layout --serve --tokens-per-s: the replica layouts (tp x pp, as many replicas as a
decode target needs) that fit, fewest GPUs first; each replica's rate from the speed model."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsize.parallel.layout import check
from nnsize.parallel.serving import target
from nnsize.parallel.shape import gpt

GiB = 2**30


def _step(a: float, b: float):  # type: ignore[no-untyped-def]
    """A decode step of a seconds, plus b a sequence, split over tp cards."""
    return lambda tp, seqs: (a + b * seqs) / tp


@settings(max_examples=60, deadline=None)
@given(layers=st.integers(1, 48), heads=st.sampled_from([8, 12, 16, 32]),
       width=st.sampled_from([64, 128]), gpus=st.integers(1, 24),
       goal=st.floats(1, 50_000), context=st.sampled_from([512, 2048, 8192]),
       batch=st.integers(0, 64))
def test_every_plan_divides_fits_and_meets_the_target(layers: int, heads: int, width: int,
                                                      gpus: int, goal: float, context: int,
                                                      batch: int) -> None:
    shape = gpt(layers, heads * width, heads)
    plans = target(shape, gpus, context, batch, 24 * GiB, _step(0.01, 0.0002), goal)
    for p in plans:
        check(shape, p.layout, training=False)  # tp divides the heads, pp the layers
        assert p.gpus == p.replicas * p.layout.tp * p.layout.pp <= gpus
        assert p.total_tokens_per_s >= goal  # meets the target...
        assert p.replicas == 1 or (p.replicas - 1) * p.tokens_per_s < goal  # ...with no spare
        assert p.batch * context <= p.kv_tokens  # the cache holds the sequences
        assert p.memory_bytes <= 24 * GiB * 92 // 100  # vLLM's gpu_memory_utilization
    assert [p.gpus for p in plans] == sorted(p.gpus for p in plans)  # fewest GPUs first


def test_replicas_from_the_rate() -> None:
    # 8 layers x 1,024 (8 heads of 128): one card, a step of 0.01 + 0.001 x 10 = 0.02 s for 10
    # sequences: 10 / 0.02 = 500 tokens/s a replica; 1,800 tokens/s needs ceil(3.6) = 4
    shape = gpt(8, 1024, 8)
    plans = target(shape, 8, 1024, 10, 80 * GiB, lambda tp, seqs: (0.01 + 0.001 * seqs) / tp,
                   1800)
    one = next(p for p in plans if p.layout.tp == 1 and p.layout.pp == 1)
    assert one.tokens_per_s == pytest.approx(500)
    assert one.replicas == math.ceil(1800 / 500) == 4 and one.gpus == 4
    # pp 2: two micro-batches of 5 in flight, 10 / (0.01 + 0.005) = 666.7 a replica: 3 x 2 = 6
    two = next(p for p in plans if p.layout.tp == 1 and p.layout.pp == 2)
    assert two.tokens_per_s == pytest.approx(10 / 0.015) and two.gpus == 6
    # tp 2: (0.01 + 0.01) / 2 = 0.01 s, 1,000 a replica: 2 replicas x 2 = 4 GPUs, the same
    # GPUs as tp 1's four and faster (2,000 against 4 x 500 = 2,000: ties keep the order)
    assert plans[0].gpus == 4


def test_rate_is_nnsize_speed_at_the_replicas_tp() -> None:
    # the tp 1 replica's rate is `nnsize speed --engine vllm` at the same batch and context
    from nnsize.cli import run

    out = json.loads(run(["layout", "llama-3.1-8b", "--serve", "--gpu", "a100-80gb", "--gpus",
                          "8", "--context", "2048", "--batch", "64", "--tokens-per-s", "5000",
                          "--json"]))
    speed = json.loads(run(["speed", "llama-3.1-8b", "--gpu", "a100-80gb", "--engine", "vllm",
                            "--batch", "64", "--context", "2048", "--json"]))
    rate = speed["decode"]["tokens_per_s"]["expected"]
    one = next(x for x in out["layouts"] if x["layout"]["tp"] == 1 and x["layout"]["pp"] == 1)
    assert one["decode_tokens_per_s_per_replica"] == pytest.approx(rate)
    assert one["replicas"] == math.ceil(5000 / rate)
    assert out["layouts"][0]["gpus"] == min(x["gpus"] for x in out["layouts"])


def test_text_says_why_the_best_wins() -> None:
    from nnsize.cli import run

    text = run(["layout", "llama-3.1-70b", "--serve", "--gpu", "h100-80gb", "--gpus", "16",
                "--context", "4096", "--batch", "32", "--tokens-per-s", "3000"])
    assert "fewest GPUs first" in text and "Best: " in text and "Why: " in text
    # tp 4: the replica's rate is `nnsize speed --gpus 4 --engine vllm --batch 32`'s decode
    out = json.loads(run(["layout", "llama-3.1-70b", "--serve", "--gpu", "h100-80gb", "--gpus",
                          "16", "--context", "4096", "--batch", "32", "--tokens-per-s", "3000",
                          "--json"]))
    speed = json.loads(run(["speed", "llama-3.1-70b", "--gpu", "h100-80gb", "--gpus", "4",
                            "--engine", "vllm", "--batch", "32", "--context", "4096", "--json"]))
    tp4 = next(x for x in out["layouts"] if x["layout"]["tp"] == 4 and x["layout"]["pp"] == 1)
    assert tp4["decode_tokens_per_s_per_replica"] == pytest.approx(
        speed["decode"]["tokens_per_s"]["expected"])


def test_target_refused_without_serve_or_model() -> None:
    from nnsize.cli import main

    assert main(["layout", "llama-3.1-8b", "--gpu", "h100-80gb", "--gpus", "8",
                 "--tokens-per-s", "100"]) == 2
    assert main(["layout", "--layers", "8", "--hidden", "1024", "--heads", "8", "--serve",
                 "--gpu", "h100-80gb", "--gpus", "8", "--tokens-per-s", "100"]) == 2
    assert main(["layout", "llama-3.1-8b", "--serve", "--gpu", "h100-80gb", "--gpus", "8",
                 "--tokens-per-s", "-1"]) == 2
    # --engine changes only the target's rate: without --tokens-per-s it is refused, not dropped
    assert main(["layout", "llama-3.1-8b", "--serve", "--gpu", "h100-80gb", "--gpus", "8",
                 "--engine", "sglang"]) == 2
