"""The weights a step reads: all but the input embedding, and the experts its tokens pick."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import ONCE_AN_INPUT, Report, Row
from ..records import replace
from .hardware import FLOATS

if TYPE_CHECKING:
    from ..memory.fp32_modules import Fp32


@dataclass(frozen=True)
class Weights:
    """Bytes of the weights a step reads: those read whatever the batch, and expert rows."""

    always: int
    experts: tuple[tuple[int, Fraction], ...]  # (bytes of all of a row's experts, k / n)

    def read(self, tokens: int) -> int:
        """Bytes read by a step of `tokens` tokens: each expert row's share a token uses, spread
        over tokens picks: n (1 - (1 - k/n)^tokens) of n experts, as bytes."""
        total = self.always
        for row_bytes, share in self.experts:
            touched = 1 - (1 - float(share)) ** tokens
            total += min(row_bytes, int(row_bytes * touched + 0.5))
        return total

    @property
    def all(self) -> int:
        return self.always + sum(b for b, _ in self.experts)


def weights_dtype(report: Report, dtype: str) -> tuple[str, bool]:
    """(the dtype the weights are read at, whether as published): the --dtype asked; without
    one, the method of the config's quantization_config (fp8, mxfp4: the checkpoint's stored
    bytes, memory.quantization.published, as memory plans them), else bf16."""
    if dtype:
        return dtype, False
    from ..memory.quantization import published

    checkpoint = published(report)
    return (checkpoint.method, True) if checkpoint else ("bf16", False)


def weights_read(report: Report, dtype: str, keep: tuple[str, ...] | None = None,
                 published: bool = False, fp32: Fp32 | None = None) -> Weights:
    """Every weight a forward pass reads at dtype (a weight-only format leaves `keep` at bf16),
    less the input embedding table: a token reads one row of it; less an image-text model's
    vision tower and projector (an audio tower's too): they run once an image, at the prompt,
    not at a step that generates a token (compute leaves them out of a token's MACs alike).
    A head tied to the embedding reads the whole matrix, so then it counts.  A llama.cpp mix
    (Q4_K_M...) is read tensor by tensor at the types memory's gguf_weights line counts
    (memory.gguf_mix, one source); with published, every tensor at the bytes its config's
    quantization_config says the checkpoint stores (memory.quantization.published, as memory
    plans it); fp32: what the engine keeps in float32 (memory.fp32_modules), at 4 B."""
    from ..memory import KEEP, weight_bytes
    from ..memory.plan import gguf_mix_name
    from ..precision import find

    mix = gguf_mix_name(dtype)
    if mix:
        return mix_read(report, mix)
    precision = find(dtype)
    compute = precision if precision.name in FLOATS else find("bf16")
    kept = KEEP if keep is None else keep
    tied = any(t.shared_with for r in report.rows if r.type == "head" for t in r.tensors)
    read = [r for r in report.rows if r.type not in ONCE_AN_INPUT
            and (r.type != "embedding" or tied)]

    def size(rows: list[Row]) -> int:
        if published:
            return stored_bytes(report, rows, fp32)
        sub = Report(report.source, report.convention, report.input_shape, tuple(rows))
        return weight_bytes(sub, precision, compute, kept, fp32=fp32)[0]

    always = size([r for r in read if r.active_each is None or r.params_each == 0])
    experts = tuple((size([r]), Fraction(r.active_each, r.params_each)) for r in read
                    if r.active_each is not None and r.params_each)
    return Weights(always, experts)


def stored_bytes(report: Report, rows: list[Row], fp32: Fp32 | None = None) -> int:
    """Bytes of the tensors of rows as the checkpoint a config's quantization_config describes
    stores them: memory's own tally (memory.quantization.published) of the report cut to those
    rows (its config and decoder kept: the method reads them), as fp32 leaves them loaded."""
    from ..memory.quantization import published

    checkpoint = published(replace(report, rows=tuple(rows)))
    if checkpoint is None:
        raise NnsizeError(f"{report.source}: no quantization_config says how it is stored")
    if fp32 is not None:
        checkpoint = checkpoint.loaded(fp32)
    return sum(t.bytes for t in checkpoint.tensors)


def head_read(report: Report, dtype: str, keep: tuple[str, ...] | None = None,
              published: bool = False, fp32: Fp32 | None = None) -> int:
    """Bytes a step reads of the output layer (llama.cpp's output.weight, the head; the
    embedding table where the head is tied to it): the part of the weights read that -ngl puts
    on the GPU only past the repeating layers (memory.serving.offload)."""
    from ..memory import KEEP, weight_bytes
    from ..memory.plan import gguf_mix_name
    from ..precision import find

    mix = gguf_mix_name(dtype)
    if mix:
        from ..memory.gguf_mix import mix as gguf

        tensors = {t.name: t.bytes for t in gguf(report, mix).tensors}
        return tensors.get("output.weight", tensors.get("token_embd.weight", 0))
    precision = find(dtype)
    compute = precision if precision.name in FLOATS else find("bf16")
    tied = any(t.shared_with for r in report.rows if r.type == "head" for t in r.tensors)
    rows = tuple(r for r in report.rows if r.type == ("embedding" if tied else "head"))
    if published:
        return stored_bytes(report, list(rows), fp32)
    sub = Report(report.source, report.convention, report.input_shape, rows)
    return weight_bytes(sub, precision, compute, KEEP if keep is None else keep, fp32=fp32)[0]


def mix_read(report: Report, ftype: str) -> Weights:
    """The bytes a step reads of a GGUF file of the named mix: every tensor of memory.gguf_mix
    but token_embd (a row per token) unless the head is tied to it (no output.weight: then the
    whole table is read); the routed experts' tensors (GGUF's *_exps) as one expert row at the
    decoder's k / n."""
    from ..memory.gguf_mix import mix

    tensors = mix(report, ftype).tensors
    tied = all(t.name != "output.weight" for t in tensors)
    always = experts = 0
    for t in tensors:
        if t.name == "token_embd.weight" and not tied:
            continue
        if "_exps." in t.name:
            experts += t.bytes
        else:
            always += t.bytes
    d = report.decoder
    n = max((t.shape[0] for t in tensors if "_exps." in t.name), default=0)
    if not experts or d is None or not d.experts_per_token or not n:
        return Weights(always + experts, ())
    return Weights(always, ((experts, Fraction(d.experts_per_token, n)),))
