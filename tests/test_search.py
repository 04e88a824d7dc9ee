from __future__ import annotations

import itertools

import pytest

import nnsize
from nnsize.architectures import count_config
from nnsize.cli import main
from nnsize.errors import NnsizeError
from nnsize.search import (
    Range,
    cnn_params,
    llama_params,
    mlp_params,
    parse_range,
    search_llama,
    search_mlp,
)


@pytest.mark.parametrize("inputs, depth, width, outputs", [(784, 3, 512, 10), (10, 1, 20, 2),
                                                            (5, 0, 7, 3), (3, 10, 1, 1)])
def test_mlp_closed_form_is_the_count(inputs: int, depth: int, width: int, outputs: int) -> None:
    text = f"{inputs}-{width}x{depth}-{outputs}" if depth > 1 else \
        f"{inputs}-{width}-{outputs}" if depth == 1 else f"{inputs}-{outputs}"
    assert mlp_params(inputs, depth, width, outputs) == nnsize.count(text).total_params


@pytest.mark.parametrize("hidden, layers, heads, kv, inter, tied", [
    (2048, 16, 32, 8, 8192, True), (512, 4, 8, 2, 1376, False), (96, 2, 3, 1, 256, False)])
def test_llama_closed_form_is_the_count(hidden: int, layers: int, heads: int, kv: int,
                                        inter: int, tied: bool) -> None:
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000,
              "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": kv, "intermediate_size": inter, "tie_word_embeddings": tied}
    assert llama_params(1000, hidden, layers, heads, kv, inter, tied) == \
        count_config(config).total_params


def test_cnn_closed_form_is_the_count() -> None:
    layers = []
    for stage in range(3):
        for _ in range(2):
            layers += [{"type": "Conv2d", "out_channels": 16 * 2**stage, "kernel_size": 3,
                        "padding": 1, "bias": False}, {"type": "BatchNorm2d"}, {"type": "ReLU"}]
    layers += [{"type": "AdaptiveAvgPool2d", "output_size": 1}, {"type": "Flatten"},
               {"type": "Linear", "out_features": 10}]
    spec = {"input_shape": [3, 32, 32], "layers": layers}
    assert cnn_params(3, 16, 3, 2, 10) == nnsize.count(spec).total_params


def test_mlp_search_against_brute_force() -> None:
    depths, widths = Range(None, 1, 5), Range(None, 8, 200, 8)
    budget = 60_000
    brute = sorted(((mlp_params(100, d, w, 10), d, w) for d, w in
                    itertools.product(depths, widths) if mlp_params(100, d, w, 10) <= budget),
                   reverse=True)
    result = search_mlp(100, 10, depths, widths, budget, top=5)
    assert result.fitting == len(brute) and result.space == 5 * 25
    assert [c.params for c in result.best] == [p for p, _, _ in brute[:5]]
    front = result.pareto  # for each depth, the most parameters; kept only if no shallower beats
    assert all(a.sizes["depth"] < b.sizes["depth"] and a.params < b.params
               for a, b in zip(front, front[1:]))


def test_width_front() -> None:
    result = search_mlp(100, 10, Range(None, 1, 5), Range(None, 8, 200, 8), 60_000,
                        pareto="width")
    front = result.pareto
    assert result.pareto_axis == "width" and front
    assert all(a.sizes["width"] < b.sizes["width"] and a.params < b.params
               for a, b in zip(front, front[1:]))


def test_a_hundred_million_candidates_without_enumerating_them() -> None:
    result = search_mlp(784, 10, Range(None, 1, 10_000), Range(None, 1, 10_000), 10**6)
    assert result.space == 10**8 and result.best[0].params == 1_000_000  # 784-410x5-10


def test_the_largest_llama_under_1b_with_16_layers() -> None:
    result = search_llama(Range(None, 256, 4096, 64), Range((16,)), Range((8, 16, 32)),
                          Range((1, 2, 4, 8)), None, None, Range((32000,)), False, 10**9)
    best = result.best[0]
    assert best.params <= 10**9 and best.params == count_config({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], **best.sizes}).total_params
    assert all(c.params <= best.params for c in result.best)


def test_per_layer_widths_brute_force_and_its_limit() -> None:
    result = search_mlp(10, 2, Range((1, 2)), Range((4, 8, 16)), 300, top=3, per_layer=True)
    assert result.space == 3 + 9
    assert result.best[0].label == "10-16-2" or result.best[0].params <= 300
    with pytest.raises(NnsizeError, match="too many to list"):
        search_mlp(10, 2, Range(None, 1, 8), Range(None, 1, 64), 10**9, per_layer=True)


@pytest.mark.parametrize("argv, message", [
    (["search", "mlp", "--max-params", "10"], "the smallest has 12,730"),
    (["search", "mlp", "--max-params", "1M", "--width", "64:16"], "inverted"),
    (["search", "mlp", "--max-params", "1M", "--width", ""], "empty"),
    (["search", "mlp"], "give one budget"),
    (["search", "mlp", "--max-params", "1M", "--max-memory", "1MB"], "give one budget"),
    (["search", "mlp", "--max-params", "1M", "--width", "1:100000", "--depth", "1:30",
      "--per-layer"], "too many"),
    (["sparsity", "--sparsity", "1.5"], "outside [0, 1]"),
    (["sparsity", "--sparsity=-0.1"], "outside [0, 1]"),
    (["init", "--nonlinearity", "relux"], "did you mean 'relu'"),
    (["growth", "10-20-30-2"], "one width"),
])
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_memory_budget(capsys: pytest.CaptureFixture[str]) -> None:
    # 4 MiB at fp16 = 2,097,152 parameters
    assert main(["search", "mlp", "--max-memory", "4MiB", "--dtype", "fp16", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["budget_params"] == 2_097_152
    assert all(c["params"] <= 2_097_152 for c in data["candidates"])


def test_ranges() -> None:
    assert list(parse_range("16:64:16", "w")) == [16, 32, 48, 64]
    assert list(parse_range("64,16,32", "w")) == [16, 32, 64]
