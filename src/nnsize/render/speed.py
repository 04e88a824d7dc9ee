"""Speed results as text, the arithmetic shown: decode, prefill, training time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .numbers import n as _n

if TYPE_CHECKING:
    from ..gpus import GPU
    from ..speed import Speed, Step, Training
    from ..speed.offload import Split

# the fixed state a token reads and writes, by its layers' kind (model.StateMixer.kind)
STATE_WORDS = {
    "mamba1": "state-space layers: their convolution and SSM state",
    "mamba2": "state-space layers: their convolution and SSM state",
    "short_conv": "short-convolution layers: their convolution state",
    "gated_delta_net": "delta-attention layers: their convolution and recurrent state",
    "kda": "delta-attention layers: their convolution and recurrent state",
    "lightning": "lightning-attention layers: their state",
}


def _s(seconds: float) -> str:
    """A duration in the unit that reads best: us, ms, s, h or days."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 3600:
        return f"{seconds:.3g} s"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:,.1f} days"


def _rate(value: float, unit: str) -> str:
    """1,008 GB/s; 165.2 TFLOP/s."""
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:,.4g} {prefix}{unit}"
    return f"{value:,.4g} {unit}"


def _tokens(value: float) -> str:
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _expected(step: Step, s: Speed) -> str:
    e = s.engine
    parts = []
    if step.memory_s / e.bandwidth_share >= step.compute_s / e.compute_share:
        parts.append(f"{_s(step.memory_s)}" + (f" / {e.bandwidth_share:g} (its share of peak "
                                               f"bandwidth)" if e.bandwidth_share != 1 else ""))
    else:
        parts.append(f"{_s(step.compute_s)}" + (f" / {e.compute_share:g} (its share of peak "
                                                f"FLOP/s)" if e.compute_share != 1 else ""))
    if step.comm_s:
        parts.append(f"{_s(step.comm_s)} all-reduce")
    if e.layer_overhead_s:
        parts.append(f"{s.layers} layers x {_s(e.layer_overhead_s)}")
    if step is s.prefill and e.token_overhead_s:
        parts.append(f"{s.layers} layers x {_n(s.batch * s.prompt)} tokens x "
                     f"{_s(e.token_overhead_s)}")
    if step is s.prefill and e.call_overhead_s:
        parts.append(f"{_s(e.call_overhead_s)} a call")
    if step is s.decode and e.sequence_overhead_s and s.batch > 1:
        parts.append(f"{s.layers} layers x {_n(s.batch - 1)} more sequences x "
                     f"{_s(e.sequence_overhead_s)}")
    if step.attention_s:
        parts.append(f"{_s(step.attention_s)}" + (f" / {e.bandwidth_share:g}" if
                                                  e.bandwidth_share != 1 else "") +
                     " eager scores")
    return " + ".join(parts) + f" = {_s(step.expected_s)}"


def _per(tokens: int, seconds: float, sequences: int) -> str:
    """'1,820 tokens/s' and, for a decode batch, each sequence's share."""
    text = f"{_tokens(tokens / seconds)} tokens/s"
    return text + (f" ({_tokens(1 / seconds)} per sequence)" if sequences > 1 else "")


def _step_lines(step: Step, s: Speed, tokens: int, sequences: int = 1) -> list[str]:
    hw = s.hardware
    per = " per card" if hw.gpus > 1 else ""
    lines = [
        f"  weights read    {_n(step.weight_bytes)} bytes{per}",
        f"  {_cache(s):<15} {_n(step.cache_bytes)} bytes{per}",
        f"  memory          {_n(step.bytes)} bytes / {_rate(hw.bandwidth, 'B/s')} = "
        f"{_s(step.memory_s)}",
        f"  compute         {_n(step.flops)} FLOPs / {_rate(hw.peak_flops, 'FLOP/s')} "
        f"({hw.compute}) = {_s(step.compute_s)}"]
    if hw.gpus > 1:
        link = f"{_rate(hw.link.bandwidth, 'B/s')} ({hw.link.name})" if hw.link else \
            "no link known, not counted"
        lines.append(f"  all-reduce      {_n(step.comm_bytes)} bytes / {link} + "
                     f"{2 * s.layers} x the link's latency over {hw.gpus} cards (fitted to "
                     f"gpt-fast's measured decode, parallel/interconnect.py) = "
                     f"{_s(step.comm_s)}")
    if step.attention_bytes:
        lines.append(f"  eager scores    {_n(step.attention_bytes)} bytes{per} / "
                     f"{_rate(hw.bandwidth, 'B/s')} = {_s(step.attention_s)}, after the rest "
                     f"(eager attention's own kernels)")
    lines.append(f"  roofline        {_s(step.roofline_s)}: {step.bound} binds"
                 + (" (+ the eager scores)" if step.attention_s else "") + " -> "
                 f"{_per(tokens, step.roofline_s, sequences)}")
    lines.append(f"  expected        {_expected(step, s)} -> "
                 f"{_per(tokens, step.expected_s, sequences)} ({s.engine.name}"
                 + ("" if s.engine.measured else ": no published measurement, the roofline")
                 + ")")
    return lines


def _cache(s: Speed) -> str:
    """What a step reads beside the weights: a KV cache, a state-space model's state, both."""
    if not s.state_bytes:
        return "KV cache"
    return "KV cache+state" if s.kv_heads or s.latent_cache else "SSM state"


def speed_notes(s: Speed) -> list[str]:
    """What the figures assume, in words."""
    hw = s.hardware
    notes = [(f"weights read per step: every tensor of the {s.dtype} GGUF file but the input "
              f"embedding, each at the type llama.cpp gives it (as nnsize memory --dtype "
              f"{s.dtype.lower()} counts them; no importance matrix)" if s.gguf_mix else
              f"weights read per step: every tensor but the input embedding at the bytes its "
              f"quantization_config says the checkpoint stores ({s.published}), as nnsize "
              f"memory plans them; --dtype re-prices them" if s.published else
              f"weights read per step: every matrix but the input embedding, at {s.dtype}"
              + (f" ({', '.join(s.kept)} kept at bf16)" if s.kept else ""))
             + (f"; {s.fp32}, read at 4 B" if s.fp32 else ""),
             f"{_cache(s)} at {s.kv_dtype}" + ("" if s.kv_given else
                                              " (the compute precision; --kv-dtype changes it)")]
    if s.state_bytes:
        notes.append(f"{STATE_WORDS.get(s.state_kind, STATE_WORDS['mamba1'])}, "
                     f"{_n(s.state_bytes)} bytes for the batch whatever the context, read and "
                     f"written every token "
                     + ("beside the KV cache" if s.kv_heads or s.latent_cache else
                        "in place of a KV cache"))
    if s.experts_per_token:
        notes.append(f"mixture of experts: {s.experts_per_token} experts per token; a step of "
                     f"t tokens reads n (1 - (1 - k/n)^t) of n experts in expectation (uniform "
                     f"routing), all of them {_n(s.expert_bytes)} bytes")
    if s.eager is not None:
        notes.append(_eager(s))
    if s.swa is not None:
        notes.append(_swa(s))
    if hw.gpus > 1:
        link = hw.link.name if hw.link else "no link known"
        split = "the latent KV cache is not split: it has no heads" if s.latent_cache \
            else f"the KV cache {s.kv_split} ways, by its {s.kv_heads} key-value heads"
        notes.append(f"tensor parallel over {hw.gpus} cards: weights and FLOPs split "
                     f"{hw.gpus} ways, {split}; 2 all-reduces per layer over {link}"
                     + (f" at {_rate(hw.link.bandwidth, 'B/s')} each way" if hw.link else
                        " (not counted)"))
    return notes


def _swa(s: Speed) -> str:
    """What a decode step reads of llama.cpp's sliding-window layers (speed.swa_read)."""
    w = s.swa
    assert w is not None
    head = (f"sliding-window layers: {w.layers} of {w.of}, a window of {_n(w.window)} tokens; "
            f"a decode step reads ")
    written = "; a prefill writes every token of the prompt into their cache"
    if w.skips:
        return head + (f"{_n(w.cells)} past tokens of each (the window - 1): Metal's flash "
                       f"attention skips the blocks of cells the mask hides"
                       + (", so --swa-full's full-size cache reads no more" if w.full else "")
                       + written + ", and scores each token over its window")
    if w.full:
        return head + (f"every cell of their cache, {_n(w.cells)} a sequence as a global "
                       f"layer's: --swa-full keeps it full-size and llama.cpp's CUDA kernels "
                       f"read every cell to n_kv, those the mask hides too (without it "
                       f"{_n(w.otherwise)})" + written + " and scores each token over every "
                       "token before it, as a global layer")
    return head + (f"every cell of llama.cpp's SWA cache, {_n(w.cells)} a sequence (the least "
                   f"of the context and the window + n_ubatch {_n(w.ubatch)}, padded to 256): "
                   f"its CUDA kernels read every cell to n_kv, those the mask hides too "
                   f"(--swa-full: {_n(w.otherwise)})" + written + " and scores each token "
                   "over every cell the cache holds (the decode's FLOPs too)")


def _eager(s: Speed) -> str:
    """Eager attention's prefill traffic over its scores, the arithmetic shown."""
    t = s.eager
    assert t is not None
    who = (f"transformers runs {t.family} with eager attention" if t.family else
           "eager attention (transformers-eager)")
    if t.unplanned:
        return (f"{who}: its scores are not heads x prompt x prompt ({t.unplanned}); the "
                f"prefill charges no traffic for them")
    keys = " + ".join(f"{what} {over}" for what, over, _ in t.steps if over)
    sink = " + ".join(f"{what} {over}" for what, _, over in t.steps if over)
    per = f"({keys}) = {t.per_score} B over the keys" + (
        f" and ({sink}) = {t.per_sink} B over the keys + 1 sink column" if t.per_sink else "")
    if t.forms > 1:
        per += f" (its largest layer's; its {t.forms} kinds of layer each their own steps)"
    form = "" if t.measured else ", llama's eager_attention_forward (the family's own not " \
                                 "measured)"
    return (f"{who}{form}: each layer writes and reads its scores in memory, "
            f"{_n(t.batch)} x {t.heads} heads x {_n(t.prompt)} x {_n(t.prompt)}, a score {per}"
            f", and reads its mask once, {_n(t.batch)} x {_n(t.prompt)} x {_n(t.prompt)} x "
            f"{t.act_bytes} B; over {t.layers} layers {_n(t.bytes)} bytes, charged to the "
            f"prefill at the card's bandwidth after its other work (measured on the CPU in "
            f"transformers 5.25: tests/memory/test_eager.py)")


def split_lines(o: Split, s: Speed) -> list[str]:
    """Decode at llama.cpp's -ngl split (speed.offload), side by side."""
    e = s.engine
    where = f"{o.gpu_layers} of {o.layers} layers" + \
        (" and the output layer" if o.output_on_gpu else "")
    share = f" x {e.bandwidth_share:g}" if e.bandwidth_share != 1 else ""
    return [
        f"Decode at -ngl {o.ngl}: {where} on the GPU, the rest in the CPU's RAM",
        f"  GPU side        {_n(o.gpu_bytes)} bytes / ({_rate(s.hardware.bandwidth, 'B/s')}"
        f"{share}) + {o.gpu_layers} layers x {_s(e.layer_overhead_s)} = "
        f"{_s(o.gpu_s + o.overhead_s)}",
        f"  CPU side        {_n(o.cpu_bytes)} bytes / {_rate(o.cpu_bandwidth, 'B/s')} = "
        f"{_s(o.cpu_s)} (its roofline: no CPU measurement fitted)",
        f"  expected        {_s(o.expected_s)} -> {_tokens(o.tokens_per_s)} tokens/s "
        f"(the whole model on the GPU: {_tokens(s.decode_tokens_per_s[1])})",
        f"  CPU bandwidth   {o.cpu_source}",
        "  prefill at a split is not modelled: the prefill below is the whole model on the GPU"]


def speed_text(s: Speed) -> str:
    hw = s.hardware
    cards = f"{hw.gpus} x {hw.name}" if hw.gpus > 1 else hw.name
    out = [f"{s.source} on {cards} ({_rate(hw.bandwidth, 'B/s')}, "
           f"{_rate(hw.peak_flops, 'FLOP/s')} at {hw.compute}): weights {s.dtype}"
           f"{' as published' if s.published else ''}, "
           f"KV cache {s.kv_dtype}, engine {s.engine.name}", "",
           (f"Decode: one token for each of {_n(s.batch)} sequences" if s.batch > 1 else
            "Decode: one token") + f" at {_n(s.context)} tokens of context"]
    out += _step_lines(s.decode, s, s.batch, s.batch)
    if s.compute_bound_batch is None:
        out.append(f"  compute never binds: the {_cache(s)} read grows as fast as the FLOPs")
    else:
        out.append(f"  compute binds from a batch of {_n(s.compute_bound_batch)}")
    if s.offload is not None:
        out += ["", *split_lines(s.offload, s)]
    out += ["", f"Prefill: a prompt of {_n(s.prompt)} tokens"
                f"{f' for each of {_n(s.batch)} sequences' if s.batch > 1 else ''}"]
    out += _step_lines(s.prefill, s, s.batch * s.prompt)
    roofline, expected = s.time_to_first_token_s
    out.append(f"  time to first token: {_s(roofline)} at best, {_s(expected)} expected")
    about = f"{s.engine.about}; " if s.engine.about else ""
    out += ["", f"Engine {s.engine.name}: {about}{s.engine.source}"]
    out += [f"Note: {note}" for note in speed_notes(s)]
    return "\n".join(out)


def training_text(t: Training) -> str:
    hw = t.hardware
    best, expected = t.seconds
    step_best, step_expected = t.step_seconds
    return "\n".join([
        f"{t.source}: training on {_n(t.tokens)} tokens, {_n(hw.gpus)} x {hw.name} "
        f"({_rate(hw.peak_flops, 'FLOP/s')} at {hw.compute} each)",
        f"  per token     6 x {_n(t.six_n // 6)} active parameters (linear layers) = "
        f"{_n(t.six_n)} FLOPs + attention over {_n(t.context)} tokens "
        f"{_n(t.attention_flops_per_token)} = {_n(t.flops_per_token)} FLOPs",
        f"  in all        {_n(t.tokens)} x {_n(t.flops_per_token)} = {t.total_flops:.4g} FLOPs",
        f"  roofline      {t.total_flops:.4g} / ({_n(hw.gpus)} x "
        f"{_rate(hw.peak_flops, 'FLOP/s')}) = {_s(best)}",
        f"  expected      at {t.mfu:.0%} model-FLOPs utilisation: {_s(expected)}",
        f"  a step        {_n(t.batch)} sequences x {_n(t.context)} tokens: {_s(step_best)} "
        f"at best, {_s(step_expected)} expected; {_n(t.steps)} steps",
        f"  Chinchilla-optimal: 20 tokens per parameter x {_n(t.params)} = "
        f"{_n(t.chinchilla_tokens)} tokens (Hoffmann et al. 2022, "
        f"https://arxiv.org/abs/2203.15556; for dense models)",
        "Note: published large runs report 38-43% MFU in bf16 (Llama 3 405B on 16K H100s, "
        "https://arxiv.org/abs/2407.21783)"])


def gpu_table(gpus: list[GPU]) -> str:
    """The catalogue: bandwidth, dense peaks per precision, the link, the source."""
    from .table import table

    rows = [[g.name, f"{g.bandwidth / 1e9:,.0f} GB/s",
             ", ".join(f"{k} {v / 1e12:,.4g}" for k, v in g.peaks),
             g.link.name if g.link else "", g.spec_source or g.source] for g in gpus]
    return table(["GPU", "Memory bandwidth", "Dense peak TFLOP/s", "Link", "Source"], rows,
                 [False, True, False, False, False])


def planner_line(need: int, usable: int) -> str:
    """The warning speed prints under a setup its memory planner says does not fit."""
    from .numbers import human

    return (f"\n\nDoes not fit: the memory planner needs {human(need, True)} per card for this "
            f"setup and engine, {human(usable, True)} are usable (see fit); these speeds are "
            f"of a setup that cannot run as given")
