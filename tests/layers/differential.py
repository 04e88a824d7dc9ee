"""The same layer built by nnsize and by torch.nn, compared tensor by tensor.

check(type, torch_args, x) builds torch.nn.<type>(**torch_args) and nnsize's count of the same
spec, runs a forward pass on a small input, and asserts that
  - both accept the configuration, or both refuse it (nnsize with a SpecError);
  - named_parameters() and named_buffers() match nnsize's tensors, name for name, shape for shape;
  - the output shape matches nnsize's;
  - FlopCounterMode's FLOPs / 2 match nnsize's multiply-accumulates (where torch counts them).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import nnsize
from nnsize.errors import SpecError

BATCH = 2
# Layers that torch runs on one unbatched sample; the rest get a batch of BATCH in front.
UNBATCHED = {"RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer",
             "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer"}
# torch runs these through kernels FlopCounterMode has no formula for.
MACS_NOT_COUNTED_BY_TORCH = {"RNN", "LSTM", "GRU", "Bilinear"}
NNSIZE_ONLY = ("return_sequences", "reset_after")


def torch_module(type_name: str, args: dict[str, Any]) -> nn.Module:
    args = {k: v for k, v in args.items() if k not in NNSIZE_ONLY}
    if isinstance(args.get("dtype"), str):  # a spec writes the dtype's name
        args["dtype"] = getattr(torch, args["dtype"].removeprefix("torch."))
    if type_name in ("TransformerEncoder", "TransformerDecoder"):
        layer_key = "encoder_layer" if type_name == "TransformerEncoder" else "decoder_layer"
        layer_type = "TransformerEncoderLayer" if type_name == "TransformerEncoder" \
            else "TransformerDecoderLayer"
        args[layer_key] = torch_module(layer_type, args[layer_key])
        if args.get("norm") is not None:
            norm = dict(args["norm"])
            args["norm"] = torch_module(norm.pop("type"), norm)
        if type_name == "TransformerEncoder":
            args["enable_nested_tensor"] = False
    return getattr(nn, type_name)(**args)


def torch_input(type_name: str, args: dict[str, Any], x: tuple[int, ...]) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    if type_name in ("Embedding", "EmbeddingBag"):
        return [torch.randint(0, args["num_embeddings"], (BATCH, *x), generator=g)]
    shape = x if type_name in UNBATCHED else (BATCH, *x)
    dtype = getattr(torch, str(args.get("dtype") or "float32").removeprefix("torch."))
    t = torch.randn(shape, generator=g, dtype=dtype)
    if type_name == "MultiheadAttention":
        length = x[0]
        k = torch.randn(length, args.get("kdim") or x[-1], generator=g, dtype=dtype)
        v = torch.randn(length, args.get("vdim") or x[-1], generator=g, dtype=dtype)
        return [t, k, v]
    if type_name in ("TransformerDecoderLayer", "TransformerDecoder", "Transformer", "Bilinear"):
        return [t, t]
    return [t]


def torch_run(type_name: str, args: dict[str, Any], x: tuple[int, ...]
              ) -> tuple[nn.Module, tuple[int, ...], int]:
    module = torch_module(type_name, args)
    inputs = torch_input(type_name, args, x)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = module(*inputs)
    if isinstance(out, tuple):
        out = out[0]
    shape = tuple(out.shape) if type_name in UNBATCHED else tuple(out.shape[1:])
    flops = counter.get_total_flops()
    return module, shape, flops if type_name in UNBATCHED else flops // BATCH


def nnsize_count(type_name: str, args: dict[str, Any], x: tuple[int, ...],
                 omit: tuple[str, ...] = ()) -> nnsize.Report:
    layer = {"type": type_name, **{k: v for k, v in args.items() if k not in omit}}
    return nnsize.count({"input_shape": list(x), "layers": [layer]})


def check(type_name: str, args: dict[str, Any], x: tuple[int, ...],
          omit: tuple[str, ...] = ()) -> nnsize.Report | None:
    """Compare nnsize with torch; omit: arguments nnsize is left to infer from the shape."""
    try:
        module, out_shape, flops = torch_run(type_name, args, x)
        if 0 in out_shape:  # torch returns an empty tensor; nnsize refuses a layer with no output
            raise RuntimeError(f"empty output {out_shape}")
    except (RuntimeError, ValueError, AssertionError, IndexError, TypeError) as torch_error:
        with pytest.raises(SpecError):
            report = nnsize_count(type_name, args, x, omit)
            pytest.fail(f"torch refused {type_name}({args}) on {x} ({torch_error}), "
                        f"nnsize counted {report.total_params}")
        return None
    report = nnsize_count(type_name, args, x, omit)
    (row,) = report.rows
    ours = {name: t.shape for t in row.tensors if not t.buffer for name in t.names()}
    theirs = {name: tuple(p.shape) for name, p in module.named_parameters()}
    assert ours == theirs, f"parameters of {type_name}({args})"
    ours_b = {name: t.shape for t in row.tensors if t.buffer for name in t.names()}
    theirs_b = {name: tuple(b.shape) for name, b in module.named_buffers()}
    assert ours_b == theirs_b, f"buffers of {type_name}({args})"
    assert report.total_params == sum(p.numel() for p in module.parameters())
    assert report.buffers == sum(b.numel() for b in module.buffers())
    assert row.output_shape == out_shape, f"output shape of {type_name}({args}) on {x}"
    if type_name not in MACS_NOT_COUNTED_BY_TORCH:
        assert 2 * row.macs == flops, f"MACs of {type_name}({args}) on {x}: torch {flops} FLOPs"
    return report
