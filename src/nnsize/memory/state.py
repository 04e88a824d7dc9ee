"""A sequence's fixed state -- state-space and linear-attention layers' conv window and SSM or
recurrent state -- at the dtype each engine keeps it, which is never the KV cache's own:

- transformers (5.25, and the engines planned as it allocates): the conv state at the model's
  dtype and kernel columns wide, the SSM / recurrent state in float32.  LinearAttentionLayer
  allocates the conv state at the dtype of the conv's input and the recurrent state
  zeros_like the state the kernel returns (cache_utils.py, huggingface/transformers@v5.25.0);
  the torch paths compute that state in float32 (modeling_mamba.py's ssm_state =
  state.float() x dA + dBx, modeling_mamba2.py's float() inputs, modeling_qwen3_next.py's
  torch_chunk_gated_delta_rule casting q, k, v to float32), and so does the kernel path of the
  gated delta net (flash-linear-attention's chunk_gated_delta_rule_fwd_h allocates its
  final_state with dtype=torch.float32: fla/ops/common/chunk_delta_h.py,
  fla-org/flash-linear-attention@990535b7a614bd7e249cacce3918c833429c5950).
  Measured on CPU, tiny models in bf16 (tests/memory/test_state.py): the conv state bf16
  (..., kernel), the recurrent state float32 for Mamba, Falcon-Mamba, Mamba-2, Jamba, Bamba,
  Zamba2, Falcon-H1, Granite 4.0 H, Nemotron-H, Qwen3-Next and Qwen3.5; LFM2's short
  convolution bf16 (..., L_cache).  Kimi Linear's delta attention (StateMixer kind "kda",
  planned for transformers alone): its conv state over q, k and v (3 x heads x head_dim,
  kernel) at the model's dtype, its recurrent state (heads, head_dim, head_dim) in float32
  (KimiLinearDeltaAttention.forward casts it: models/kimi_linear/modeling_kimi_linear.py,
  transformers v5.25.0; tests/architectures/test_fallback_moe.py).  MiniMax's lightning
  attention (kind "lightning", transformers alone): no conv, its state K^T V (heads,
  head_dim, head_dim) at the dtype of its values, the model's, and so are its decay buffers
  (MiniMaxLightningAttention.forward, models/minimax/modeling_minimax.py, transformers
  v5.25.0; measured bf16 in tests/architectures/test_fallback_moe.py).
- vLLM: vllm_kv.state_shapes (kernel - 1 columns), the conv state at the model's dtype
  (mamba_cache_dtype "auto"), the SSM / recurrent state at the dtype the model's config hook
  fixes (StateMixer.ssm_dtype), else the model's; --kv-cache-dtype never reaches it.
- SGLang: planned by vLLM's rule.  Its pool keeps the conv state at a fixed bfloat16
  (CONV_DTYPE) and the temporal state at SGLANG_MAMBA_SSM_DTYPE, which ServerArgs sets from
  --mamba-ssm-dtype (sgl-project/sglang@288330db619a3e4e479a15a50e6be8d5e03c7255
  python/sglang/srt/configs/mamba_utils.py); its default there is not read here, so the model's
  dtype (and its config's ssm dtype) stands in for it.
- llama.cpp: llama_memory_recurrent's r_l and s_l, ggml_new_tensor_2d(type_r, n_embd_r(),
  rows) and (type_s, n_embd_s(), rows) (src/llama-memory-recurrent.cpp,
  ggml-org/llama.cpp@0054ee8ca80bb64d4a56eec854f2753cab5b51be): r_l (conv, n_embd_r =
  (d_conv - 1) x (d_inner + 2 x n_group x d_state), LFM2 n_embd x (L_cache - 1)) and s_l
  (n_embd_s = d_state x d_inner) are
  GGML_TYPE_F32 whatever -ctk / -ctv say: create_memory passes F32, F32 for recurrent models
  and recurrent_type_k / _v F32 for hybrids, only the attention's types from params.type_k /
  type_v (src/llama-model.cpp, ggml-org/llama.cpp@00342301d01add50835550e8a916f12097d94517;
  src/llama-hparams.cpp n_embd_r / n_embd_s, @01b77b5793989e0a1508a2fe3757d4e743a7bbd1).
  Its element counts are vLLM's shapes at one rank.

A model with state values but no StateMixer (Zamba, whose Mamba vLLM does not run) keeps its
state at the KV cache's precision, as before: nnsize has no shapes to split it by.
"""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..precision import Precision, find
from .engines import as_transformers
from .lines import StatePart

if TYPE_CHECKING:
    from ..model import Decoder

# the mixers whose state nnsize plans as transformers keeps it alone, and what to call it
TRANSFORMERS_ONLY = {"kda": "Kimi Linear's delta-attention",
                     "lightning": "MiniMax's lightning-attention"}


def state_parts(d: Decoder, engine: str, kv: Precision, model: Precision
                ) -> tuple[StatePart, ...]:
    """A sequence's state as engine keeps it: conv and SSM parts, each at its dtype; model: the
    model's (compute) dtype, kv: the KV cache's (used only where no StateMixer splits it).

    Qwen3.5-27B in bf16 (48 gated delta net layers, conv width 2 x 16 x 128 + 48 x 128 =
    10,240, kernel 4, 48 value heads of 128 x 128): transformers 48 x (4 x 10,240 x 2 B +
    48 x 128 x 128 x 4 B); vLLM 48 x (3 x 10,240 x 2 B + 48 x 128 x 128 x 4 B) (its
    config's mamba_ssm_dtype); llama.cpp 48 x (3 x 10,240 + 48 x 128 x 128) x 4 B."""
    from .vllm_kv import MAMBA_DTYPES, state_shapes

    if not d.state_values:
        return ()
    m = d.mixer
    if m is None:
        return (StatePart("state", 1, d.state_values, kv),)
    fp32 = find("fp32")
    if m.kind in TRANSFORMERS_ONLY and not as_transformers(engine):
        raise NnsizeError(f"{TRANSFORMERS_ONLY[m.kind]} state is planned as transformers keeps "
                          f"it (--engine transformers); nnsize has not read how {engine} keeps "
                          f"it")
    if m.kind == "kda":  # KimiLinearDeltaAttention's conv1d over q, k and v, and its state
        return (StatePart("conv", m.layers, 3 * m.heads * m.head_dim * m.kernel, model),
                StatePart("SSM", m.layers, m.heads * m.head_dim * m.head_dim, fp32))
    if m.kind == "lightning":  # MiniMaxLightningAttention's K^T V, at its values' dtype
        return (StatePart("SSM", m.layers, m.heads * m.head_dim * m.head_dim, model),)
    conv, *rest = state_shapes(m, 1)
    ssm = sum(prod(shape) for shape in rest)
    if engine == "llama.cpp":
        parts = [StatePart("conv", m.layers, prod(conv), fp32), StatePart("SSM", m.layers, ssm,
                                                                          fp32)]
    elif as_transformers(engine):  # the conv window keeps the kernel's every column
        parts = [StatePart("conv", m.layers, conv[1] * m.kernel, model),
                 StatePart("SSM", m.layers, ssm, fp32)]
    else:  # vLLM, and SGLang by its rule
        ssm_precision = find(MAMBA_DTYPES[m.ssm_dtype]) if m.ssm_dtype else model
        parts = [StatePart("conv", m.layers, prod(conv), model),
                 StatePart("SSM", m.layers, ssm, ssm_precision)]
    return tuple(part for part in parts if part.values)

