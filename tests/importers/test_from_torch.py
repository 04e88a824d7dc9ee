from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from models import MODELS, TinyGPT
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import nnsize
from nnsize.importers.from_torch import flop_formulas


def real_flops(model: nn.Module, options: dict[str, Any]) -> int:
    """FLOPs of a real forward pass (on a copy for lazy modules, which it sizes)."""
    if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
        model = copy.deepcopy(model)
    if "input_data" in options:
        inputs = list(options["input_data"])
    else:
        dtype = options.get("input_dtype", torch.float32)
        size = options["input_size"]
        inputs = [torch.randint(0, 60, size) if dtype == torch.long else torch.randn(size)]
    # FlopCounterMode as it is, plus the CPU attention kernel it has no formula for (tested
    # by hand in test_attention_is_not_silently_zero)
    counter = FlopCounterMode(display=False, custom_mapping=flop_formulas(torch))
    with counter, torch.no_grad():
        model(*inputs)
    return int(counter.get_total_flops())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_summary_against_pytorch(name: str) -> None:
    factory, options = MODELS[name]
    torch.manual_seed(0)
    model = factory()
    report = nnsize.summary(model, **options)
    sized = model
    if name == "lazy":  # lazy parameters get their shapes from a first forward pass
        sized = copy.deepcopy(model)
        sized(torch.randn(options["input_size"]))
    params = list(sized.parameters())
    assert report.total_params == sum(p.numel() for p in params)
    assert report.trainable_params == sum(p.numel() for p in params if p.requires_grad)
    assert report.buffers == sum(b.numel() for b in sized.buffers())
    assert sum(r.params for r in report.rows) == report.total_params  # rows sum to the totals
    if options:
        assert 2 * report.macs == real_flops(model, options)


def test_tied_weights_count_once_and_are_marked() -> None:
    model = TinyGPT()
    report = nnsize.summary(model)
    head = next(r for r in report.rows if r.name == "head")
    (weight,) = head.tensors
    assert weight.shared_with == "tok.weight" and head.params == 0
    # 64 x 32 embedding counted once: torch's parameters() agrees
    assert report.total_params == sum(p.numel() for p in model.parameters())


def test_frozen_layers_are_non_trainable() -> None:
    factory, _ = MODELS["frozen"]
    report = nnsize.summary(factory())
    # the frozen Linear(10, 20): 10 x 20 + 20 = 220
    assert report.non_trainable_params == 220 and report.trainable_params == 42


def test_attention_is_not_silently_zero() -> None:
    # q @ k^T and attn @ v: 2 x (batch 2 x 4 heads x 16 x 16 x 8 head dim) per block, 2 blocks
    report = nnsize.summary(TinyGPT(), input_size=(2, 16), input_dtype=torch.long)
    attention = 2 * 2 * (2 * 4 * 16 * 16 * 8)
    linear = 2 * (2 * 16 * (32 * 96 + 32 * 32 + 32 * 128 + 128 * 32)) + 2 * 16 * 32 * 64
    assert report.macs == attention + linear


def test_the_model_is_left_as_it_was() -> None:
    model = MODELS["resnetish"][0]()
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    hooks = [(len(m._forward_hooks), len(m._forward_pre_hooks)) for m in model.modules()]
    nnsize.summary(model, input_size=(2, 3, 32, 32))
    assert model.training
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert [(len(m._forward_hooks), len(m._forward_pre_hooks)) for m in model.modules()] == hooks
    after = model.state_dict()
    assert state.keys() == after.keys()
    assert all(torch.equal(state[k], after[k]) for k in state)  # BatchNorm stats untouched


def test_a_meta_model_is_summarised_without_allocating() -> None:
    with torch.device("meta"):
        model = nn.Sequential(nn.Embedding(128_256, 8192), nn.Linear(8192, 28_672, bias=False),
                              nn.Linear(28_672, 8192, bias=False))
    report = nnsize.summary(model, input_size=(1, 4), input_dtype=torch.long)
    assert report.total_params == 128_256 * 8192 + 2 * 8192 * 28_672
    assert report.macs == 2 * 4 * 8192 * 28_672
    assert all(p.is_meta for p in model.parameters())


def test_depth_folds_rows_without_changing_totals() -> None:
    model = MODELS["resnetish"][0]()
    full = nnsize.summary(model, input_size=(1, 3, 32, 32))
    folded = nnsize.summary(model, input_size=(1, 3, 32, 32), depth=1)
    assert max(r.depth for r in folded.rows) == 1
    assert (folded.total_params, folded.macs, folded.buffers) == \
        (full.total_params, full.macs, full.buffers)


def test_lazy_modules_need_an_input() -> None:
    with pytest.raises(nnsize.NnsizeError, match="uninitialized lazy parameters"):
        nnsize.summary(MODELS["lazy"][0]())


def test_a_failing_forward_is_one_clear_error() -> None:
    with pytest.raises(nnsize.NnsizeError, match="forward pass of Sequential failed"):
        nnsize.summary(nn.Sequential(nn.Linear(3, 3)), input_size=(2, 5))


def test_the_cli_imports_a_factory(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert main(["torch:models:TinyGPT", "--input-size", "2,16", "--input-dtype", "int64",
                 "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == sum(p.numel() for p in TinyGPT().parameters())
    assert main(["torch:models:Nothing"]) == 2
    assert "has no 'Nothing'" in capsys.readouterr().err


def test_notebook_and_dataframe_views() -> None:
    report = nnsize.summary(MODELS["mlp"][0]())
    assert "<table>" in report._repr_html_() and "1,102" in report._repr_html_()
    frame = report.to_dataframe()
    assert int(frame["params"].sum()) == 1102


def test_pruning_leaves_no_fake_tensor_behind() -> None:
    model = MODELS["pruned"][0]()
    before = model[0].weight
    nnsize.summary(model, input_size=(4, 10))
    assert model[0].weight is before and type(model[0].weight) is torch.Tensor
