"""What autograd saves for backward, for the Keras spellings' layers and the torch.nn kinds they
become, against saved_tensors_hooks (Keras 3 on the torch backend; storages counted once,
parameters apart), as tests/memory/test_plan.py does for whole networks.  One layer each, so the
planner's sum is that layer's rule alone: exact."""

from __future__ import annotations

import os
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import spec_activation_bytes
from nnsize.precision import find

torch = pytest.importorskip("torch")
BATCH = 4


def _saved(call: Any, x: Any, params: set[int]) -> int:
    seen: dict[int, int] = {}

    def pack(t: Any) -> Any:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        call(x)
    return sum(seen.values())


KERAS_CASES = [
    ({"type": "GlobalAveragePooling2D"}, [8, 8, 3]),  # nothing: 0
    ({"type": "GlobalMaxPooling2D"}, [8, 8, 3]),  # input + output: (192 + 3) x 4 x 4 = 3,120
    ({"type": "GlobalAveragePooling1D"}, [8, 3]),
    ({"type": "GlobalMaxPooling1D"}, [8, 3]),  # (24 + 3) x 4 x 4 = 432
    ({"type": "UpSampling2D", "size": 2}, [8, 8, 3]),
    ({"type": "UpSampling2D", "size": 2, "interpolation": "bilinear"}, [8, 8, 3]),
    ({"type": "UpSampling1D", "size": 2}, [8, 3]),
    ({"type": "ZeroPadding2D", "padding": 1}, [8, 8, 3]),
    ({"type": "ZeroPadding1D", "padding": 1}, [8, 3]),
    ({"type": "RepeatVector", "n": 3}, [5]),
    # input 24 + two values a vector 2 x 8 = 40 values x 4 samples x 4 B = 640, + the 4-byte
    # eps scalar (no batch dimension: the planner leaves scalars out)
    ({"type": "UnitNormalization"}, [8, 3]),
    # 6 positions, E 8, 2 heads of 4: 48 + 6 x 2 x 12 + 2 x 6 x 2 x 4 = 288 values, + 12 fp32
    # log-sum-exp: (288 + 12) x 4 samples x 4 B = 4,800
    ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4}, [6, 8]),
    # key_dim 2 != value_dim 5: the CPU math path, probabilities instead of the log-sum-exp:
    # 42 input + 7 x 3 x (2 + 2 + 5) + 3 x 7 x 7 + 7 x 3 x 5 = 483 values x 4 x 4 B = 7,728
    ({"type": "MultiHeadAttention", "num_heads": 3, "key_dim": 2, "value_dim": 5}, [7, 6]),
]


@pytest.mark.parametrize("layer, shape", KERAS_CASES, ids=lambda v: str(v))
def test_keras_layers_save_what_the_planner_says(layer: dict[str, Any], shape: list[int]
                                                 ) -> None:
    if os.environ.get("KERAS_BACKEND", "torch") != "torch":
        pytest.skip("measured on Keras' torch backend")
    keras = pytest.importorskip("keras")
    args = {k: v for k, v in layer.items() if k != "type"}
    built = getattr(keras.layers, layer["type"])(**args)
    x = torch.randn((BATCH, *shape), requires_grad=True)
    if layer["type"] == "MultiHeadAttention":
        built(x, x)  # build, then measure attending over its own input

        def call(t: Any) -> Any:
            return built(t, t)
    else:
        built.build((BATCH, *shape))
        call = built
    params = {v.value.untyped_storage().data_ptr() for v in built.weights}
    measured = _saved(call, x, params)
    report = nnsize.count({"input_shape": shape, "layers": [layer]}, convention="keras")
    predicted, _ = spec_activation_bytes(report, BATCH, find("fp32"))
    assert predicted <= measured <= predicted + 4, (predicted, measured)  # a scalar at most


@pytest.mark.parametrize("layer, module, shape", [
    ({"type": "ZeroPad2d", "padding": 2}, lambda: torch.nn.ZeroPad2d(2), [3, 8, 8]),
    ({"type": "ConstantPad1d", "padding": 1, "value": 1.0},
     lambda: torch.nn.ConstantPad1d(1, 1.0), [3, 8]),
    ({"type": "Upsample", "scale_factor": 2, "mode": "bicubic"},
     lambda: torch.nn.Upsample(scale_factor=2, mode="bicubic"), [3, 8, 8]),
    ({"type": "Upsample", "scale_factor": 2}, lambda: torch.nn.Upsample(scale_factor=2),
     [3, 8, 8]),
])
def test_torch_padding_and_upsampling_save_nothing(layer: dict[str, Any], module: Any,
                                                   shape: list[int]) -> None:
    x = torch.randn((BATCH, *shape), requires_grad=True)
    assert _saved(module(), x, set()) == 0
    predicted, _ = spec_activation_bytes(nnsize.count({"input_shape": shape, "layers": [layer]}),
                                         BATCH, find("fp32"))
    assert predicted == 0


def test_what_is_not_modelled_says_so() -> None:
    # Bidirectional(LSTM): the recurrent layers have no rule yet; MultiHeadAttention with
    # dropout keeps a mask and eager attention's probabilities
    for layer, shape in (({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 4}},
                          [6, 8]),
                         ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4,
                           "dropout": 0.1}, [6, 8])):
        report = nnsize.count({"input_shape": shape, "layers": [layer]}, convention="keras")
        with pytest.raises(NnsizeError, match="not modelled"):
            spec_activation_bytes(report, BATCH, find("fp32"))
