"""Translating a Keras layer's arguments to the torch.nn kind that has the same tensors."""

from __future__ import annotations

from ..errors import SpecError, suggest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Keras arguments that change no parameter count and no shape.
IGNORED = frozenset({
    "name", "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
    "dtype", "data_format", "seed", "noise_shape", "beta_initializer", "gamma_initializer",
    "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
    "gamma_regularizer", "beta_constraint", "gamma_constraint", "recurrent_initializer",
    "recurrent_regularizer", "recurrent_constraint", "recurrent_activation", "dropout",
    "recurrent_dropout", "unit_forget_bias", "go_backwards", "stateful", "unroll",
    "return_state", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint",
    "mask_zero", "synchronized", "epsilon", "momentum", "axis", "input_length", "sparse",
    "use_cudnn", "implementation", "time_major", "renorm_clipping", "renorm_momentum",
    "zero_output_for_mask", "trainable", "depthwise_initializer", "depthwise_regularizer",
    "depthwise_constraint", "pointwise_initializer", "pointwise_regularizer",
    "pointwise_constraint", "autocast", "flash_attention",
})
# Keras arguments that add or remove weights: accepted only at these values.
ONLY = {"renorm": False, "quantization_config": None, "rms_scaling": False, "lora_rank": None}


def translate(keras_name: str, args: dict[str, Any], rename: dict[str, str],
              extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """args with Keras names renamed to torch's; unknown names are refused with a suggestion."""
    out: dict[str, Any] = {}
    known = [*rename, *extra, *IGNORED]
    for key, value in args.items():
        if key in rename:
            out[rename[key]] = value
        elif key in extra:
            out[key] = value
        elif key in ONLY:
            if value != ONLY[key]:
                raise SpecError(f"{keras_name}: {key}={value!r} changes the layer's weights in "
                                f"a way nnsize does not count")
        elif key not in IGNORED:
            raise SpecError(f"{keras_name} has no argument {key!r}{suggest(key, known)}")
    return out
