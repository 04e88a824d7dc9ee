"""What a layout splits: a language model's layers, heads, experts and parameters, from a
counted report or from a plain GPT shape (the papers' models that have no config)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NnsizeError
from ..model import Report

REPLICATED = ("norms", "norm")  # tensor parallelism keeps a copy of these on every rank


@dataclass(frozen=True)
class Shape:
    """A decoder's dimensions and its parameters by how they split.

    layer_params: the transformer layers' weights that tensor parallelism splits (attention,
    dense MLPs, shared experts, routers); expert_params: the routed experts, split by expert
    parallelism; replicated_params: norms, on every tensor-parallel rank; embedding_params and
    head_params: the vocabulary-parallel input and output layers (head 0: tied)."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    value_dim: int
    ffn: int
    vocab: int
    embedding_params: int
    head_params: int
    layer_params: int
    replicated_params: int = 0
    expert_params: int = 0
    experts: int = 0
    experts_per_token: int = 0
    expert_ffn: int = 0
    # multi-head latent attention's cache (DeepSeek), with a sparse-attention indexer's key
    # (DeepSeek-V3.2, GLM-5: one key a token, which GlmMoeDsaConfig's tp plan does not
    # split): on every tp rank
    latent_dim: int = 0
    gated: bool = False  # a gated MLP (SwiGLU: gate and up projections), else GELU's one
    dropout: bool = False  # dropout after attention and MLP (the papers' GPT), masks kept

    @property
    def total_params(self) -> int:
        return self.embedding_params + self.head_params + self.layer_params + \
            self.replicated_params + self.expert_params

    @property
    def active_params(self) -> int:
        """Parameters a token computes with: routed experts k of E."""
        routed = self.expert_params * self.experts_per_token // self.experts \
            if self.experts else 0
        return self.total_params - self.expert_params + routed

    def model_flops_per_token(self, seq: int) -> int:
        """Training FLOPs a token as MFU counts them (no recomputation): 6 x the weights it
        multiplies (all but the input embedding) + 12 x layers x heads x head_dim x seq for
        QK^T and AV forward and backward (Narayanan et al. 2021, sec. 5.1: 72 B s l h^2 (1 +
        s / 6h + V / 16 l h) over a batch, the same terms at h = heads x head_dim)."""
        matmul = self.active_params - self.embedding_params - self.replicated_params
        return 6 * matmul + 12 * self.layers * self.heads * self.head_dim * seq

    def kv_values(self, tp: int) -> int:
        """Values one tensor-parallel rank caches per token per layer: its share of the KV
        heads (vLLM replicates a KV head on every rank when tp exceeds them: at least one
        head a rank), or the whole latent of multi-head latent attention (not split)."""
        if self.latent_dim:
            return self.latent_dim
        return max(1, self.kv_heads // tp) * (self.head_dim + self.value_dim)


def from_report(report: Report) -> Shape:
    """The shape of a language model counted from a config; its rows give the parameters."""
    d = report.decoder
    if d is None or not len(d.layers):
        raise NnsizeError(f"{report.source}: parallel layouts are for decoder language models "
                          f"counted from a config (a preset such as llama-3.1-70b, a "
                          f"config.json) or a GPT shape (--layers --hidden --heads)")
    if d.state_layers:
        raise NnsizeError(f"{report.source}: how a state-space model's scan splits over "
                          f"tensor-parallel ranks is not modelled; give a transformer")
    if d.varied:
        raise NnsizeError(f"{report.source}: how layers that differ ({d.varied}) split over "
                          f"tensor- and pipeline-parallel ranks is not modelled; nnsize's "
                          f"layouts take every layer alike")
    first = d.layers[0]
    by: dict[str, int] = {}
    for row in report.rows:
        by[row.type] = by.get(row.type, 0) + row.params
    embedding = by.pop("embedding", 0)
    head = by.pop("head", 0)
    experts = by.pop("experts", 0)
    replicated = sum(by.pop(k, 0) for k in REPLICATED)
    n_experts = max((t.shape[0] for row in report.rows if row.type == "experts"
                     for t in row.tensors if len(t.shape) == 3), default=0)
    gated = any(t.name.endswith("gate_proj.weight") or t.name.endswith("gate_up_proj")
                for row in report.rows for t in row.tensors)
    return Shape(report.source, len(d.layers), d.hidden, first.heads, first.kv_heads,
                 first.key_dim, first.value_dim, d.intermediate, d.vocab, embedding, head,
                 sum(by.values()), replicated, experts, n_experts if experts else 0,
                 d.experts_per_token if experts else 0, d.expert_intermediate,
                 first.latent_dim + first.index_dim if first.latent_dim else 0, gated,
                 dropout=bool(report.stored.get("gpt_shape")))


def gpt(layers: int, hidden: int, heads: int, kv_heads: int = 0, ffn: int = 0,
        vocab: int = 51200, tied: bool = True, name: str = "") -> Shape:
    """A plain GPT of the papers (Megatron-LM's GPT): per layer 4h^2 attention (fewer with
    fewer KV heads), 2 x h x ffn MLP (ffn 4h unless given), biases, two LayerNorms; a learned
    vocabulary embedding, tied to the output layer unless tied=False.

    GPT-3 175B: 96 layers, h 12,288, 96 heads: 12 x 96 x 12,288^2 = 173,946,175,488 in the
    layers' matrices."""
    from ..architectures.gpt_shape import check
    from ..architectures.gpt_shape import name as named

    check(layers, hidden, heads, kv_heads)
    kv = kv_heads or heads
    f = ffn or 4 * hidden
    d = hidden // heads
    attention = hidden * hidden * 2 + 2 * hidden * kv * d + hidden + 2 * kv * d + hidden
    mlp = 2 * hidden * f + f + hidden
    norms = 4 * hidden
    return Shape(name or named(layers, hidden, heads), layers, hidden, heads,
                 kv, d, d, f, vocab, vocab * hidden, 0 if tied else vocab * hidden,
                 layers * (attention + mlp), layers * norms + 2 * hidden, dropout=True)
