from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize

from differential import check


@st.composite
def block(draw: st.DrawFn) -> dict[str, Any]:
    nhead = draw(st.integers(1, 3))
    return {"d_model": nhead * draw(st.integers(1, 3)), "nhead": nhead,
            "dim_feedforward": draw(st.integers(1, 12)),
            "activation": draw(st.sampled_from(["relu", "gelu"])),
            "norm_first": draw(st.booleans()), "bias": draw(st.booleans())}


@settings(max_examples=30, deadline=None)
@given(args=block(), decoder=st.booleans(), length=st.integers(1, 4))
def test_transformer_layers_match_torch(args: dict[str, Any], decoder: bool,
                                        length: int) -> None:
    kind = "TransformerDecoderLayer" if decoder else "TransformerEncoderLayer"
    check(kind, args, (length, args["d_model"]), omit=("d_model",))


@settings(max_examples=20, deadline=None)
@given(args=block(), decoder=st.booleans(), layers=st.integers(1, 3), norm=st.booleans())
def test_transformer_stacks_match_torch(args: dict[str, Any], decoder: bool, layers: int,
                                        norm: bool) -> None:
    kind, key = ("TransformerDecoder", "decoder_layer") if decoder else \
        ("TransformerEncoder", "encoder_layer")
    stack = {key: args, "num_layers": layers,
             "norm": {"type": "LayerNorm", "normalized_shape": [args["d_model"]]} if norm
             else None}
    check(kind, stack, (3, args["d_model"]))


@settings(max_examples=10, deadline=None)
@given(args=block(), enc=st.integers(1, 2), dec=st.integers(1, 2))
def test_transformer_matches_torch(args: dict[str, Any], enc: int, dec: int) -> None:
    check("Transformer", {**args, "num_encoder_layers": enc, "num_decoder_layers": dec},
          (2, args["d_model"]))


def test_the_original_transformer_base() -> None:
    # Vaswani et al.'s base model without embeddings: torch.nn.Transformer() defaults,
    # d_model 512, 8 heads, 6 + 6 layers, feed-forward 2048: 44,140,544 parameters.
    report = nnsize.count({"input_shape": [10, 512], "layers": [{"type": "Transformer"}]})
    enc = 4 * 512 * 512 + 4 * 512 + 2 * 512 * 2048 + 2048 + 512 + 4 * 512
    dec = enc + 4 * 512 * 512 + 4 * 512 + 2 * 512
    assert report.total_params == 6 * enc + 512 * 2 + 6 * dec + 512 * 2 == 44_140_544


def test_a_deep_stack_is_counted_without_enumerating_it() -> None:
    layer = {"d_model": 8, "nhead": 2, "dim_feedforward": 16}
    report = nnsize.count({"input_shape": [4, 8], "layers": [
        {"type": "TransformerEncoder", "encoder_layer": layer, "num_layers": 10**12}]})
    one = check("TransformerEncoderLayer", layer, (4, 8))
    assert one is not None
    assert report.total_params == 10**12 * one.total_params
