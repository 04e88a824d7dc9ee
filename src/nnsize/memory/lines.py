"""The terms of a plan's lines and notes: one frozen record per kind, the numbers of its
arithmetic (render/ writes them out, dispatching on the record's type).

A line's part and a note's key (the names the JSON and the tests use) are each record's PART and
KEY.  Records that share their numbers but not their words are subclasses (base weights are
weights, the loss's backward reads the decoder activations' numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from ..precision import Precision
from .bits import to_bytes
from .engines import DecoderWorkspaceTerms as DecoderWorkspaceTerms  # one forward pass's
from .engines import Engine

if TYPE_CHECKING:  # the rank lines of a parallel layout (parallel/ is loaded only for one)
    from ..parallel.rank import RankTerms

# --- lines -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeightsTerms:
    """values at precision; kept (what a weight-only format leaves alone) at keep; own: a
    layer's own dtype argument -> its parameters; rank_share: one rank's share of a layout."""

    PART: ClassVar[str] = "weights"
    values: int
    precision: Precision
    kept: int
    keep: Precision
    kept_roles: tuple[str, ...]
    method: str | None
    own: tuple[tuple[str, int], ...] = ()
    gpus: int = 1
    rank_share: float | None = None
    quant_state: int = 0  # bitsandbytes' per-tensor codes and block rounding (nf4, nf4-dq)
    fp32: int = 0  # values the engine keeps in float32 (fp32_modules), and whose they are
    fp32_why: str = ""


@dataclass(frozen=True)
class BaseWeightsTerms(WeightsTerms):
    """LoRA's frozen base."""

    PART: ClassVar[str] = "base_weights"


@dataclass(frozen=True)
class StoredWeightsTerms:
    """A file's own bytes: (dtype, elements, bytes), the most bytes first."""

    PART: ClassVar[str] = "stored_weights"
    dtypes: tuple[tuple[str, int, int], ...]
    rank_share: float | None = None
    # a config's quantization_config, not a file: what its publisher stores (quantization.py)
    how: str = ""


@dataclass(frozen=True)
class GgufWeightsTerms:
    """llama.cpp's mix: (tensor type, tensors, bytes)."""

    PART: ClassVar[str] = "gguf_weights"
    ftype: str
    types: tuple[tuple[str, int, int], ...]
    rank_share: float | None = None


@dataclass(frozen=True)
class LoraTerms:
    PART: ClassVar[str] = "lora"
    params: int
    rank: int
    precision: Precision


@dataclass(frozen=True)
class GradientsTerms:
    PART: ClassVar[str] = "gradients"
    params: int
    precision: Precision
    gpus: int = 1


@dataclass(frozen=True)
class MasterWeightsTerms:
    PART: ClassVar[str] = "master_weights"
    params: int
    gpus: int = 1


@dataclass(frozen=True)
class OptimizerTerms:
    PART: ClassVar[str] = "optimizer"
    optimizer: str
    params: int
    tensors: int
    state_bits: int | Fraction
    gpus: int = 1


@dataclass(frozen=True)
class AutocastTerms:
    """params linear weights copied; with checkpointing, outside the layers + one layer's."""

    PART: ClassVar[str] = "autocast_copies"
    params: int
    outside: int
    one_layer: int
    precision: Precision
    gpus: int = 1


@dataclass(frozen=True)
class StatePart:
    """One part of a sequence's state: layers x values a layer at precision.  name: "conv",
    "SSM" (the recurrent state of a gated delta net too), or "state" (no StateMixer to split
    it)."""

    name: str
    layers: int
    values: int
    precision: Precision

    @property
    def state_bytes(self) -> int:
        return to_bytes(self.layers * self.values, self.precision.bits_per_value)


@dataclass(frozen=True)
class CompressedPart:
    """layers whose cache compresses (memory.kv_cache.compressed_values), each keeping entries
    x entry values, pending tokens x pending values and carried slots x carry values at the
    cache's precision, and carried slots x carry_float32 values in float32."""

    layers: int
    ratio: int
    entries: int
    entry: int
    pending: int
    pending_values: int
    carried: int
    carry: int
    carry_float32: int


@dataclass(frozen=True)
class KvTerms:
    """batch x (groups of (layers, tokens, values a token) + state values) at precision;
    block_tokens: an engine's whole blocks; rank_values / values: one rank's share; shared:
    the sequences that share llama.cpp's unified cache (batch is then its one stream, the
    tokens the stream's cells, and the state is shared x state values); state_parts: a
    sequence's state as the engine keeps it, each part at its own precision (memory.state)."""

    PART: ClassVar[str] = "kv_cache"
    batch: int
    precision: Precision
    state: int
    groups: tuple[tuple[int, int, int], ...]
    block_tokens: int = 0
    rank_values: int | None = None
    values: int | None = None
    shared: int = 0
    state_parts: tuple[StatePart, ...] = ()
    compressed: tuple[CompressedPart, ...] = ()  # beside the groups' tokens (a window's)
    # where a compressing cache held more on the way to context than at it: the context whose
    # cache the terms are (kv_cache.peak_context), and the context asked; 0 and 0 otherwise
    peak: int = 0
    context: int = 0


@dataclass(frozen=True)
class EncoderDecoderCacheTerms:
    PART: ClassVar[str] = "encoder_decoder_cache"
    batch: int
    layers: int
    self_values: int
    context: int
    cross_values: int
    encoder_tokens: int
    precision: Precision
    self_bytes: int
    cross_bytes: int


@dataclass(frozen=True)
class WorkspaceTerms:
    """A layer spec's largest layer input and output."""

    PART: ClassVar[str] = "workspace"
    batch: int
    values: int
    precision: Precision


@dataclass(frozen=True)
class DecoderActivationsTerms:
    PART: ClassVar[str] = "decoder_activations"
    tokens: int
    layers: int
    mode: str
    attention: str
    checkpointing: bool
    layer_inputs: int
    vocab: int
    gpus: int = 1


@dataclass(frozen=True)
class LossBackwardTerms(DecoderActivationsTerms):
    PART: ClassVar[str] = "loss_backward"


@dataclass(frozen=True)
class ActivationsTerms:
    """A layer spec's saved tensors: values (checkpointed: the layers' inputs) or layers."""

    PART: ClassVar[str] = "activations"
    batch: int
    checkpointing: bool
    precision: Precision
    values: int = 0
    layers: int = 0


@dataclass(frozen=True)
class TracedTerms:
    """One training step traced on fake tensors (traced.py); parts: (part, bytes)."""

    PART: ClassVar[str] = "traced_activations"
    what: str
    mode: str
    attention: str
    loss: str
    checkpointing: bool
    saved: int
    peak: int
    parts: tuple[tuple[str, int], ...]
    batch: int
    context: int
    gpus: int = 1
    carried: tuple[int, ...] = ()  # the contexts traced, where carried to this one (a scan)


@dataclass(frozen=True)
class TracedBackwardTerms(TracedTerms):
    PART: ClassVar[str] = "traced_backward"


if TYPE_CHECKING:
    LineTerms: TypeAlias = (WeightsTerms | StoredWeightsTerms | GgufWeightsTerms | LoraTerms |
                            GradientsTerms | MasterWeightsTerms | OptimizerTerms | AutocastTerms |
                            KvTerms | EncoderDecoderCacheTerms | DecoderWorkspaceTerms |
                            WorkspaceTerms | DecoderActivationsTerms | ActivationsTerms |
                            TracedTerms | RankTerms)


# --- notes -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayoutNote:
    KEY: ClassVar[str] = "layout"
    layout: str
    gpus: int
    stage: str
    kv_heads: int
    tp: int
    replicated: bool
    latent: bool


@dataclass(frozen=True)
class KvPerTokenNote:
    KEY: ClassVar[str] = "kv_per_token"
    bytes: int
    precision: Precision
    self_only: bool = False  # cross-attention layers beside, whose cache is no token's


@dataclass(frozen=True)
class MlaLatentNote:
    KEY: ClassVar[str] = "mla_latent"
    expanded_bytes: int


@dataclass(frozen=True)
class MlaExpandedNote:
    KEY: ClassVar[str] = "mla_expanded"


@dataclass(frozen=True)
class DsaIndexerNote:
    """DeepSeek Sparse Attention: layers that cache their indexer's key, values a token."""

    KEY: ClassVar[str] = "dsa_indexer"
    layers: int
    values: int


@dataclass(frozen=True)
class CompressedCacheNote:
    """layers of all compress their cache (DeepSeek-V4's CSA and HCA layers): beside a window
    of window - 1 tokens, an entry every ratio tokens; bytes a token of the batch at context."""

    KEY: ClassVar[str] = "compressed_cache"
    layers: int
    of: int
    ratios: tuple[int, ...]
    window: int
    context: int
    per_token: int


@dataclass(frozen=True)
class SlidingWindowNote:
    KEY: ClassVar[str] = "sliding_window"
    windowed: int
    layers: int
    masked: int = 0  # windowed layers whose cache keeps every token all the same (GPT-Neo's)
    llama_cpp_cells: int = 0  # llama.cpp's SWA cache, cells a stream (llama_cpp_swa_cells)
    ubatch: int = 0  # the n_ubatch those cells hold beside the window
    sequences: int = 1  # the sequences whose windows share those cells (a unified cache)
    swa_full: bool = False  # llama.cpp's --swa-full: those cells are the full cache's


@dataclass(frozen=True)
class CrossAttentionNote:
    """layers of all cross-attend to images a sequence, each tiles x tokens a tile, cached once
    a request (kv_cache.kept_tokens); asked: images was asked, not the model's default."""

    KEY: ClassVar[str] = "cross_attention"
    layers: int
    of: int
    images: int
    tiles: int
    tile_tokens: int
    asked: bool


@dataclass(frozen=True)
class ModelContextNote:
    """No context was asked: the default stopped at the model's own (source says whose)."""

    KEY: ClassVar[str] = "model_context"
    context: int
    source: str
    model: str
    default: int


@dataclass(frozen=True)
class PastPositionsNote:
    KEY: ClassVar[str] = "past_positions"
    positions: int
    context: int
    source: str


@dataclass(frozen=True)
class EncoderDecoderNote:
    KEY: ClassVar[str] = "encoder_decoder"
    encoder_tokens: int
    fixed: bool
    asked: bool


@dataclass(frozen=True)
class ImagesNote:
    KEY: ClassVar[str] = "images"
    images: int
    tokens: int
    text: int
    context: int


@dataclass(frozen=True)
class UnreachedNote:
    """Trainable parameters in rows the forward never calls (MiMo's MTP layers): loaded, but
    given no gradient and no optimizer state."""

    KEY: ClassVar[str] = "unreached"
    params: int


@dataclass(frozen=True)
class EngineNote:
    KEY: ClassVar[str] = "engine"
    engine: Engine


@dataclass(frozen=True)
class NotPlannedNote:
    KEY: ClassVar[str] = "not_planned"
    format: str


@dataclass(frozen=True)
class RepricedNote:
    """A config whose quantization_config says how it is published, planned at another dtype:
    as asked, or for training."""

    KEY: ClassVar[str] = "repriced"
    dtype: str
    method: str


@dataclass(frozen=True)
class LayerDtypesNote:
    KEY: ClassVar[str] = "layer_dtypes_ignored"
    dtypes: tuple[str, ...]


@dataclass(frozen=True)
class GgufFileNote:
    """The file beyond its tensor data; an image-text model's vision tower and projector
    (mmproj_params values in mmproj_tensors tensors), which llama.cpp writes to a separate
    mmproj file, not the text GGUF the weights line counts."""

    KEY: ClassVar[str] = "gguf_file"
    padding: int
    tensors: int
    mmproj_tensors: int = 0
    mmproj_params: int = 0


@dataclass(frozen=True)
class TrainingSetupNote:
    KEY: ClassVar[str] = "training_setup"
    mode: str
    master: bool
    precision: Precision
    attention: str
    family_default: bool
    checkpointing: bool
    base: str


@dataclass(frozen=True)
class DropoutMaskNote:
    """LoRA dropout's masks: the bytes a value the plan counts (activations.DROPOUT_MASK: 1,
    CUDA's bool mask; None: the CPU's noise at the input's dtype)."""

    KEY: ClassVar[str] = "dropout_mask"
    mask_bytes: int | None


@dataclass(frozen=True)
class FamilyEagerNote:
    """Inference under transformers of a family it runs with eager attention by default
    (memory.eager.EAGER): why, and what a score holds at the softmax (eager.score_peak)."""

    KEY: ClassVar[str] = "family_eager"
    family: str
    reason: str
    score_bytes: int
    act_bytes: int
    sink: int
    measured: bool
    unplanned: str = ""  # why its eager scores are not planned (eager.UNPLANNED), where not


@dataclass(frozen=True)
class LlamaCppSlotsNote:
    """llama.cpp serving several sequences of context tokens: in one unified cache of
    sequences x context cells they share (llama-server's default), or a stream of context
    cells each (split): kv_cache.llama_cpp_streams.  n_ctx: the -c that gives it."""

    KEY: ClassVar[str] = "llama_cpp_slots"
    sequences: int
    context: int
    unified: bool

    @property
    def n_ctx(self) -> int:
        return self.sequences * self.context


NoteTerms: TypeAlias = (LayoutNote | KvPerTokenNote | MlaLatentNote | MlaExpandedNote |
                        SlidingWindowNote | CrossAttentionNote | LlamaCppSlotsNote |
                        FamilyEagerNote |
                        DsaIndexerNote | CompressedCacheNote | ModelContextNote |
                        PastPositionsNote |
                        EncoderDecoderNote | ImagesNote | EngineNote | NotPlannedNote |
                        RepricedNote | LayerDtypesNote | GgufFileNote | TrainingSetupNote |
                        DropoutMaskNote | UnreachedNote)


# --- another tool's figure (peers.as_tool) ------------------------------------------------------

@dataclass(frozen=True)
class AccelerateTerms:
    """accelerate's estimate-memory: Adam as 4 x the model at precision."""

    TOOL: ClassVar[str] = "accelerate"
    precision: Precision


@dataclass(frozen=True)
class DeepSpeedTerms:
    """DeepSpeed's ZeRO-3 estimator: 18 bytes a parameter over gpus, 4 of the largest module."""

    TOOL: ClassVar[str] = "deepspeed"
    gpus: int
    largest: int
    module: str


ToolTerms: TypeAlias = AccelerateTerms | DeepSpeedTerms


# --- a plan's line and note ----------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One part of the sum: terms its arithmetic (a record of lines.py), whose type says what
    it is (part: its name in the JSON and the tests)."""

    bytes: int
    terms: LineTerms
    exact: bool = True

    @property
    def part(self) -> str:
        return self.terms.PART


@dataclass(frozen=True)
class Note:
    """A remark on the plan: terms its numbers (a record of lines.py; key: its name)."""

    terms: NoteTerms

    @property
    def key(self) -> str:
        return self.terms.KEY
