"""transformers' tensor names as GGUF writes them, and the tensors llama.cpp's converter makes.

Names follow gguf-py's tensor_mapping.py (TensorNameMap: each architecture's tensors,
MODEL_TENSORS in gguf-py's constants.py) and the shapes what convert_hf_to_gguf.py writes
(ggml-org/llama.cpp); tests/importers/test_gguf_names.py checks every name against the gguf
package's own TensorNameMap for each architecture below.  Shapes are torch's (out, in); GGUF's
ne is the reverse.

family       what the converter does besides renaming
llama,       fused MoE experts.gate_up_proj (E, 2I, H) written as ffn_gate_exps and
qwen2/3,     ffn_up_exps (E, I, H) each; Qwen2-MoE's shared_expert_gate (1, H) loaded as {H}
mixtral
gemma 1-3    post_attention_layernorm is the FFN's input norm in Gemma 1 (ffn_norm) but the
             norm after attention in Gemma 2 and 3 (post_attention_norm), whose FFN input norm
             is pre_feedforward_layernorm (ffn_norm); post_feedforward_layernorm: post_ffw_norm
olmo2        no input norm; post_attention_layernorm: post_attention_norm (as Gemma 2)
phi3, phi-4  qkv_proj kept fused (attn_qkv); gate_up_proj kept fused as ffn_up of 2I rows
             (llama.cpp's phi3 loads ffn_up as {n_embd, 2 x n_ff})
deepseek2    (V2, V3) kv_b_proj (heads x (nope + v), rank) split for MLA's absorption into
             attn_k_b (heads, rank, nope), transposed, and attn_v_b (heads, v, rank)
             (DeepseekV2Model.modify_tensors); e_score_correction_bias: exp_probs_b.bias
falcon       self_attention.query_key_value: attn_qkv; input_layernorm (7B) and ln_mlp (40B):
             attn_norm, ln_attn (40B): attn_norm_2
gpt2         Conv1D weights stored (in, out) are transposed to (out, in)
gptneox,     renames only
phi2
gpt-oss      experts stored (E, in, out): gate_up_proj (E, H, 2I) transposed and split into
             ffn_gate_exps and ffn_up_exps (E, I, H) (interleaved rows ::2 and 1::2), their bias
             (E, 2I) into two (E, I); down_proj (E, I, H) transposed to ffn_down_exps (E, H, I);
             self_attn.sinks: attn_sinks.weight (".weight" appended, 1-D); mlp.router:
             ffn_gate_inp; post_attention_layernorm: post_attention_norm (GPT_OSS has no
             ffn_norm); conversion/gpt_oss.py GptOssModel.  The converter repacks OpenAI's MXFP4
             expert blocks as they are: a converted file's experts are MXFP4 at any --outtype
glm4         (GLM-4-0414) gate_up_proj kept fused as ffn_up of 2I rows (llama.cpp's glm4 loads
             ffn_up as {n_embd, 2 x n_ff}); post_self_attn_layernorm: post_attention_norm,
             post_attention_layernorm: ffn_norm, post_mlp_layernorm: post_ffw_norm
             (conversion/glm.py Glm4Model: renames only)
phimoe       (Phi-3.5-MoE) the checkpoint's block_sparse_moe.experts.N.w1 / w2 / w3 stacked as
             ffn_gate_exps / ffn_down_exps / ffn_up_exps (transformers' fused gate_up_proj
             (E, 2I, H) split as for llama); the router (block_sparse_moe.gate, transformers'
             mlp.router): ffn_gate_inp; LayerNorm and head biases kept (conversion/phi.py
             PhiMoeModel); its LongRoPE factors are written as rope_factors_long / _short
             (64 + 64 F32 values, 512 bytes, Phi3MiniModel.generate_extra_tensors): not counted
stablelm     LayerNorm biases (attn_norm.bias, ffn_norm.bias, output_norm.bias): renames only
             (conversion/stablelm.py; per-head q/k norms of StableLM 2 12B are not mapped)
gemma3       (image-text) TextModel.filter_tensors leaves the vision tower and the projector
image-text   (model.vision_tower., model.multi_modal_projector.) out of the text GGUF: llama.cpp
             writes them to a separate mmproj file (convert_hf_to_gguf.py --mmproj); the
             converter drops "language_model." from names (ModelBase.filter_tensors).  Gemma 3's
             converter also cuts token_embd to the tokenizer's vocabulary (262,144 of the
             config's 262,208 rows; Gemma3Model.modify_tensors): nnsize keeps the config's rows,
             not reading the tokenizer (64 rows, under 0.01% of the file)

Converter files (convert_hf_to_gguf.py's model classes, now in ggml-org/llama.cpp's conversion/
package): gpt_oss.py, gemma.py and base.py at commit 2bbcf7fc93a460f04d5709756a48b2408443eecb;
glm.py and phi.py at 7bca1fd9ca2a681b0182e16f24f832b7be1942af; stablelm.py (StableLMModel, which
stacks StableLM 2 12B's per-head q / k norms) as vendored in llama-cpp-python 0.3.36's sdist.

In a layer, the rule "post_attention_layernorm is post_attention_norm when the layer also has a
pre_feedforward_layernorm or has no input_layernorm" is how gguf-py's per-architecture map reads
the same name (GEMMA2, GEMMA3 and OLMO2 have ATTN_POST_NORM and no FFN_NORM from it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NnsizeError

if TYPE_CHECKING:
    from ..model import Report, Shape

# transformers' name inside a decoder layer -> GGUF's (gguf-py's tensor_mapping.py)
_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight", "input_layernorm.bias": "attn_norm.bias",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "post_attention_layernorm.bias": "ffn_norm.bias",
    "pre_feedforward_layernorm.weight": "ffn_norm.weight",
    "post_feedforward_layernorm.weight": "post_ffw_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight", "self_attn.o_proj.bias": "attn_output.bias",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "mlp.gate.weight": "ffn_gate_inp.weight",
    "block_sparse_moe.gate.weight": "ffn_gate_inp.weight",
    "mlp.experts.down_proj": "ffn_down_exps.weight",
    "mlp.shared_expert.gate_proj.weight": "ffn_gate_shexp.weight",
    "mlp.shared_expert.up_proj.weight": "ffn_up_shexp.weight",
    "mlp.shared_expert.down_proj.weight": "ffn_down_shexp.weight",
    "mlp.shared_expert_gate.weight": "ffn_gate_inp_shexp.weight",
    # phi3 / phi-4
    "self_attn.qkv_proj.weight": "attn_qkv.weight",
    "mlp.gate_up_proj.weight": "ffn_up.weight",
    # deepseek2 (V2, V3)
    "self_attn.q_a_proj.weight": "attn_q_a.weight",
    "self_attn.q_a_layernorm.weight": "attn_q_a_norm.weight",
    "self_attn.q_b_proj.weight": "attn_q_b.weight",
    "self_attn.kv_a_proj_with_mqa.weight": "attn_kv_a_mqa.weight",
    "self_attn.kv_a_layernorm.weight": "attn_kv_a_norm.weight",
    "mlp.gate.e_score_correction_bias": "exp_probs_b.bias",
    "mlp.shared_experts.gate_proj.weight": "ffn_gate_shexp.weight",
    "mlp.shared_experts.up_proj.weight": "ffn_up_shexp.weight",
    "mlp.shared_experts.down_proj.weight": "ffn_down_shexp.weight",
    # gpt-oss (its experts are split by gguf_names below)
    "self_attn.sinks": "attn_sinks.weight",
    "mlp.router.weight": "ffn_gate_inp.weight", "mlp.router.bias": "ffn_gate_inp.bias",
    "mlp.experts.down_proj_bias": "ffn_down_exps.bias",
    # glm4 (GLM-4-0414): the norms after attention and after the feed-forward
    "post_self_attn_layernorm.weight": "post_attention_norm.weight",
    "post_mlp_layernorm.weight": "post_ffw_norm.weight",
    # phi2
    "self_attn.dense.weight": "attn_output.weight", "self_attn.dense.bias": "attn_output.bias",
    "mlp.fc1.weight": "ffn_up.weight", "mlp.fc1.bias": "ffn_up.bias",
    "mlp.fc2.weight": "ffn_down.weight", "mlp.fc2.bias": "ffn_down.bias",
    # gpt-neox, falcon (their blocks' names)
    "attention.query_key_value.weight": "attn_qkv.weight",
    "attention.query_key_value.bias": "attn_qkv.bias",
    "attention.dense.weight": "attn_output.weight", "attention.dense.bias": "attn_output.bias",
    "mlp.dense_h_to_4h.weight": "ffn_up.weight", "mlp.dense_h_to_4h.bias": "ffn_up.bias",
    "mlp.dense_4h_to_h.weight": "ffn_down.weight", "mlp.dense_4h_to_h.bias": "ffn_down.bias",
    "self_attention.query_key_value.weight": "attn_qkv.weight",
    "self_attention.dense.weight": "attn_output.weight",
    # falcon-40b: gguf-py maps ln_mlp to attn_norm and ln_attn to attn_norm_2
    "ln_mlp.weight": "attn_norm.weight", "ln_mlp.bias": "attn_norm.bias",
    "ln_attn.weight": "attn_norm_2.weight", "ln_attn.bias": "attn_norm_2.bias",
    # gpt2
    "ln_1.weight": "attn_norm.weight", "ln_1.bias": "attn_norm.bias",
    "ln_2.weight": "ffn_norm.weight", "ln_2.bias": "ffn_norm.bias",
    "attn.c_attn.weight": "attn_qkv.weight", "attn.c_attn.bias": "attn_qkv.bias",
    "attn.c_proj.weight": "attn_output.weight", "attn.c_proj.bias": "attn_output.bias",
    "mlp.c_fc.weight": "ffn_up.weight", "mlp.c_fc.bias": "ffn_up.bias",
    "mlp.c_proj.weight": "ffn_down.weight", "mlp.c_proj.bias": "ffn_down.bias",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight", "lm_head.weight": "output.weight",
    "lm_head.bias": "output.bias", "model.norm.weight": "output_norm.weight",
    "model.norm.bias": "output_norm.bias",
    "model.final_layernorm.weight": "output_norm.weight",
    "model.final_layernorm.bias": "output_norm.bias",
    "transformer.word_embeddings.weight": "token_embd.weight",
    "transformer.wte.weight": "token_embd.weight", "transformer.wpe.weight": "position_embd.weight",
    "transformer.ln_f.weight": "output_norm.weight", "transformer.ln_f.bias": "output_norm.bias",
    "gpt_neox.embed_in.weight": "token_embd.weight",
    "gpt_neox.final_layer_norm.weight": "output_norm.weight",
    "gpt_neox.final_layer_norm.bias": "output_norm.bias",
}
PERSISTENT = ".mlp.gate.e_score_correction_bias"  # a buffer saved in the checkpoint
# what the converter leaves out of the text GGUF: an image-text model's vision tower and
# projector, written to the separate mmproj file (TextModel.filter_tensors)
MMPROJ = ("model.vision_tower.", "model.multi_modal_projector.")
_BLOCKS = ("model.layers.", "transformer.h.", "gpt_neox.layers.")  # a decoder layer's prefix
_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
FAMILIES = ("Llama, Mistral, Mixtral, Qwen 2 / 3 and their MoE, Gemma 1 - 3 (Gemma 3's image-text "
            "models: the text GGUF), OLMo 2, Phi-2, Phi-3, Phi-3.5-MoE, Phi-4, DeepSeek V2 / V3, "
            "GLM-4-0414, gpt-oss, StableLM 2, Falcon, GPT-2, GPT-NeoX")


@dataclass(frozen=True)
class Layout:
    """What a name alone does not say: the norms a layer has, the MLA heads' sizes."""

    post_attention_norm: bool = False  # post_attention_layernorm follows attention (Gemma 2)
    heads: int = 0
    value_dim: int = 0
    experts_in_out: bool = False  # experts stored (E, in, out), as gpt-oss's are


def gguf_names(name: str, shape: Shape, layout: Layout = Layout()) -> list[tuple[str, Shape]]:
    """GGUF's tensors for one of transformers' (two for the fused experts.gate_up_proj and
    DeepSeek's kv_b_proj)."""
    name = name.replace("language_model.", "", 1)  # as ModelBase.filter_tensors does
    if name in _TOP_NAMES:
        return [(_TOP_NAMES[name], shape)]
    for prefix in _BLOCKS:
        if not name.startswith(prefix):
            continue
        index, _, rest = name[len(prefix):].partition(".")
        if not index.isdigit():
            break
        blk = f"blk.{index}."
        if rest == "mlp.experts.gate_up_proj":  # (E, 2 x I, H): GGUF keeps gate and up apart
            if layout.experts_in_out:  # gpt-oss: (E, H, 2 x I), transposed
                shape = (shape[0], shape[2], shape[1])
            half = (shape[0], shape[1] // 2, *shape[2:])
            return [(blk + "ffn_gate_exps.weight", half), (blk + "ffn_up_exps.weight", half)]
        if rest == "mlp.experts.gate_up_proj_bias":  # gpt-oss: (E, 2 x I), split likewise
            half = (shape[0], shape[1] // 2)
            return [(blk + "ffn_gate_exps.bias", half), (blk + "ffn_up_exps.bias", half)]
        if rest == "mlp.experts.down_proj" and layout.experts_in_out:  # (E, I, H) -> (E, H, I)
            return [(blk + "ffn_down_exps.weight", (shape[0], shape[2], shape[1]))]
        if rest == "mlp.shared_expert_gate.weight":  # llama.cpp loads it as {n_embd}
            return [(blk + _LAYER_NAMES[rest], shape[1:])]
        if rest == "self_attn.kv_b_proj.weight" and layout.heads:
            rank = shape[1]
            nope = shape[0] // layout.heads - layout.value_dim
            return [(blk + "attn_k_b.weight", (layout.heads, rank, nope)),
                    (blk + "attn_v_b.weight", (layout.heads, layout.value_dim, rank))]
        if rest.startswith("post_attention_layernorm.") and layout.post_attention_norm:
            return [(blk + "post_attention_norm." + rest.rsplit(".", 1)[1], shape)]
        if rest in _CONV1D and len(shape) == 2:  # GPT-2's Conv1D holds (in, out)
            return [(blk + _LAYER_NAMES[rest], (shape[1], shape[0]))]
        if rest in _LAYER_NAMES:
            return [(blk + _LAYER_NAMES[rest], shape)]
        break
    raise NnsizeError(f"no GGUF name for the tensor {name!r}: nnsize maps {FAMILIES}")


def layout(report: Report) -> Layout:
    """The layer facts the names need, read from the model's own tensors and decoder."""
    names = {n.replace("language_model.", "", 1) for n, _ in report.named_tensors()}
    rests = {n.split(".", 3)[-1] for n in names if n.startswith("model.layers.0.")}
    gpt_oss = "self_attn.sinks" in rests  # GPT_OSS: post_attention_norm, no ffn_norm
    post = gpt_oss or "pre_feedforward_layernorm.weight" in rests or (
        "post_attention_layernorm.weight" in rests and "input_layernorm.weight" not in rests)
    d = report.decoder
    heads = value_dim = 0
    if d is not None and d.layers and d.layers[0].latent_dim is not None:
        heads, value_dim = d.layers[0].heads, d.layers[0].value_dim
    return Layout(post, heads, value_dim, gpt_oss)


def report_tensors(report: Report) -> list[tuple[str, Shape]]:
    """A model's tensors under GGUF's names; a tied head is not written twice.  Buffers are not
    in a checkpoint but DeepSeek's e_score_correction_bias, a persistent buffer the converter
    writes (exp_probs_b)."""
    how = layout(report)
    out: list[tuple[str, Shape]] = []
    for name, t in report.named_tensors():
        if t.shared_with or (t.buffer and not name.endswith(PERSISTENT)) or \
                name.startswith(MMPROJ):
            continue
        out += gguf_names(name, t.shape, how)
    return out


def mmproj_tensors(report: Report) -> list[tuple[str, Shape]]:
    """An image-text model's tensors the text GGUF leaves to its mmproj file (transformers'
    names): the vision tower and the projector."""
    return [(name, t.shape) for name, t in report.named_tensors()
            if name.startswith(MMPROJ) and not t.buffer and not t.shared_with]


def renamed(tensors: Iterable[tuple[str, Shape]], how: Layout) -> dict[str, Shape]:
    """transformers' tensors (name, shape) under the names and shapes GGUF gives them (the text
    GGUF's: the mmproj file's vision tower and projector left out)."""
    return {gguf: shape for name, s in tensors if not name.startswith(MMPROJ)
            for gguf, shape in gguf_names(name, s, how)}


def architecture(names: Iterable[str]) -> str:
    """llama.cpp's architecture where its quantization rules (falcon) or its converter's types
    (gpt-oss: MXFP4 experts) differ by it, else 'llama' (the rules read only names and shapes
    for the rest)."""
    names = list(names)
    if any(n.endswith(".self_attn.sinks") for n in names):
        return "gpt-oss"
    return "falcon" if any(".self_attention.query_key_value." in n for n in names) else "llama"
