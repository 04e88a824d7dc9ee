"""The memory planner: inference and training memory, line by line, and the sum of the lines.

Every line is a count times bytes, with the arithmetic shown.  What is exact and what is an
estimate is said per line:

exact        weights (per tensor, at each format's exact bits), gradients, master weights,
             optimizer states (as torch.optim keeps them: Adam's exp_avg and exp_avg_sq and a
             4-byte step per tensor; SGD's momentum buffer; Adafactor's factored row and column
             variances), the KV cache (as transformers fills it: key and value heads per token
             per layer; sliding-window layers keep window - 1 past tokens)
estimate     activations: for layer specs, the tensors autograd saves per layer kind, shared
             storage counted once; for language models, per layer per token
             6 h + 3 kv d + 4 i values (norm and projection inputs, q / k / v, attention output,
             the gated MLP's four intermediates) at the activation precision, plus each RMSNorm's
             fp32 copy of its input (4 h bytes each); with activation checkpointing, each
             layer's input alone plus one layer recomputed.  Inference workspace: one layer's
             transient tensors during prefill plus the fp32 logits of the last position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import NnsizeError
from .model import AttentionLayer, Report, Tensor, numel
from .precision import FLOATS, Precision, find

OPTIMIZERS = ("sgd", "sgd-momentum", "adam", "adamw", "adam-8bit", "adafactor", "lion")
SHARDING = ("none", "ddp", "zero1", "zero2", "zero3", "fsdp", "tp")
MAX_TOKENS = 2**40  # batch x context beyond this is not a plan, it is a typo


@dataclass(frozen=True)
class Line:
    name: str
    bytes: int
    how: str  # the arithmetic, with the numbers in it
    exact: bool = True


@dataclass
class Plan:
    title: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.bytes for line in self.lines)


def _bytes(count: int, bits: Fraction | int) -> int:
    total = count * Fraction(bits)
    return -(-total.numerator // (total.denominator * 8))


def _b(p: Precision) -> str:
    bits = p.bits_per_value
    return f"{bits} bits" if not isinstance(bits, Fraction) or bits.denominator == 1 else \
        f"{float(bits):.4g} bits"


# --- weights -----------------------------------------------------------------------------------

KEEP = ("norms", "biases", "embeddings", "head")  # what weight-only formats usually leave alone


def _kept(row_type: str, t: Tensor, keep: tuple[str, ...]) -> bool:
    """Whether a weight-only format leaves t at the compute precision: by default norms,
    biases, embeddings and the head (and any other vector), as GPTQ, AWQ, bitsandbytes and most
    GGUF mixes do; --keep changes the list."""
    if t.role == "norm" or t.role in ("statistic", "other"):
        return "norms" in keep or t.role != "norm"
    if t.role == "bias" or len(t.shape) < 2:
        return "biases" in keep or t.role != "bias"
    if row_type == "head":
        return "head" in keep
    return t.role == "embedding" and "embeddings" in keep


def weight_bytes(report: Report, precision: Precision, keep: Precision,
                 kept_roles: tuple[str, ...] = KEEP) -> tuple[int, str]:
    """Bytes of every parameter (counted once) at precision; what a weight-only format leaves
    alone (kept_roles) stays at keep."""
    quantized = precision.name not in FLOATS
    main, kept, total = 0, 0, 0
    for row in report.rows:
        for t in row.tensors:
            if t.buffer or t.shared_with:
                continue
            n = t.numel * row.repeat
            if quantized and _kept(row.type, t, kept_roles):
                kept += n
                total += _bytes(n, keep.bits_per_value)
            else:
                main += n
                extra = 0
                if precision.name == "int8-channel" and len(t.shape) >= 2:
                    extra = t.shape[0] * t.copies * row.repeat * 32  # an fp32 scale a row
                total += _bytes(n, precision.bits_per_value) + extra // 8
    how = f"{main:,} x {_b(precision)}"
    if kept:
        how += f" + {kept:,} kept at {keep.name} ({_b(keep)}: {', '.join(kept_roles)})"
    return total, how


# --- KV cache ----------------------------------------------------------------------------------

def _cached_values(layer: AttentionLayer, latent: bool) -> int:
    """Values one layer caches per token: its latent (MLA, compressed), every head's key and
    value (MLA expanded), or its key-value heads' keys and values."""
    if layer.latent_dim is not None:
        return layer.latent_dim if latent else layer.heads * (layer.key_dim + layer.value_dim)
    return layer.kv_heads * (layer.key_dim + layer.value_dim)


def kv_cache(report: Report, batch: int, context: int, kv: Precision,
             latent: bool = True) -> tuple[int, str, list[str]]:
    d = report.decoder
    if d is None:
        return 0, "", []
    values, notes = 0, []
    groups: dict[tuple[int, int], int] = {}
    for layer in d.layers:
        tokens = min(context, layer.window - 1) if layer.window else context
        per_token = _cached_values(layer, latent)
        groups[(tokens, per_token)] = groups.get((tokens, per_token), 0) + 1
        values += tokens * per_token
    total = _bytes(batch * values, kv.bits_per_value)
    per_token = sum(_cached_values(layer, latent) for layer in d.layers)
    notes.append(f"KV cache per token (every layer): {_bytes(per_token, kv.bits_per_value):,} "
                 f"bytes at {kv.name}")
    parts = [f"{n} layers x {tokens:,} tokens x {per:,}" for (tokens, per), n in groups.items()]
    how = f"{batch:,} x ({' + '.join(parts)}) values x {_b(kv)}"
    first = d.layers[0]
    if first.latent_dim is not None:
        expanded = _bytes(batch * context * len(d.layers) * first.heads *
                          (first.key_dim + first.value_dim), kv.bits_per_value)
        if latent:
            notes.append(f"KV cache: multi-head latent attention, the compressed latent per "
                         f"token (as serving engines keep it); expanded keys and values, as "
                         f"transformers keeps them, would take {expanded:,} bytes")
        else:
            notes.append("KV cache: multi-head latent attention, expanded keys and values (as "
                         "transformers keeps them); the latent setting gives the compressed cache")
    if any(layer.window for layer in d.layers):
        windowed = sum(1 for layer in d.layers if layer.window)
        notes.append(f"KV cache: {windowed} of {len(d.layers)} layers attend through a sliding "
                     f"window and keep window - 1 past tokens")
    return total, how, notes


# --- activations -------------------------------------------------------------------------------

def decoder_activation_values(report: Report, tokens: int, checkpointing: bool
                              ) -> tuple[int, int, str]:
    """(16-bit values, fp32 bytes, arithmetic) of what one training step keeps for backward."""
    d = report.decoder
    assert d is not None
    h, i, n = d.hidden, d.expert_intermediate * d.experts_per_token or d.intermediate, \
        len(d.layers)
    first = d.layers[0]
    kv = first.kv_heads * first.key_dim
    per_layer = 6 * h + 3 * kv + 4 * i
    if checkpointing:  # each layer's input, and one layer recomputed during backward
        values = tokens * (n * h + per_layer)
        return values, tokens * 2 * 4 * h, (f"{tokens:,} tokens x ({n} layers x {h:,} + one "
                                             f"layer of {per_layer:,})")
    return tokens * n * per_layer, tokens * n * 2 * 4 * h, \
        f"{tokens:,} tokens x {n} layers x (6 x {h:,} + 3 x {kv:,} + 4 x {i:,})"


# What autograd saves for backward, per layer type: "in" (the input), "out" (the output),
# ("mask", dtype bits) an output-shaped mask, ("stats", n) n values per channel.
SAVES: dict[str, tuple[Any, ...]] = {
    "Linear": ("in",), "Bilinear": ("in",), "Conv1d": ("in",), "Conv2d": ("in",),
    "Conv3d": ("in",), "ConvTranspose1d": ("in",), "ConvTranspose2d": ("in",),
    "ConvTranspose3d": ("in",), "ReLU": ("out",), "ReLU6": ("in",), "Sigmoid": ("out",),
    "Tanh": ("out",), "Softmax": ("out",), "LogSoftmax": ("out",), "ELU": ("out",),
    "GELU": ("in",), "SiLU": ("in",), "Mish": ("in",), "LeakyReLU": ("in",),
    "Hardswish": ("in",), "Hardsigmoid": ("in",), "Softplus": ("in",),
    "BatchNorm1d": ("in", ("stats", 2)), "BatchNorm2d": ("in", ("stats", 2)),
    "BatchNorm3d": ("in", ("stats", 2)), "LayerNorm": ("in", ("rows", 2)),
    "GroupNorm": ("in",), "MaxPool1d": ("in", ("mask", 64)), "MaxPool2d": ("in", ("mask", 64)),
    "MaxPool3d": ("in", ("mask", 64)), "Dropout": (("mask", 8),), "Embedding": (),
    "AdaptiveAvgPool1d": (), "AdaptiveAvgPool2d": (),
    "AdaptiveAvgPool3d": (), "AvgPool1d": (), "AvgPool2d": (), "AvgPool3d": (),
}


VIEWS = ("Flatten", "Unflatten", "Identity")


def spec_activation_bytes(report: Report, batch: int, act: Precision,
                          checkpointing: bool = False) -> tuple[int, str]:
    """What autograd keeps for one step of a layer spec: each layer's saved tensors, the output
    of one layer and the input of the next counted once (they are one tensor).  Checkpointed
    (every layer its own segment), only each layer's input is kept."""
    if checkpointing:
        values = sum(numel(r.input_shape) * r.repeat for r in report.rows)
        return _bytes(batch * values, act.bits_per_value), \
            f"{batch:,} x each layer's input ({values:,} values) x {_b(act)}"
    total_bits: Fraction | int = 0
    layers = 0
    previous_output = None  # the tensor the previous layer made (and maybe saved)
    for row in report.rows:
        if row.saved is not None:
            values, fp32 = row.saved
            total_bits += (values * act.bits_per_value + fp32 * 32) * row.repeat
            previous_output, layers = None, layers + row.repeat
            continue
        if row.type in VIEWS:  # the same storage under another shape
            if previous_output is row.input_shape:
                previous_output = row.output_shape
            layers += row.repeat
            continue
        rule = SAVES.get(row.type)
        if rule is None:
            raise NnsizeError(f"activation memory of a {row.type} layer is not modelled yet")
        saved_in = saved_out = False
        for item in rule:
            if item == "in":
                saved_in = True
            elif item == "out":
                saved_out = True
            elif item[0] == "mask":
                total_bits += numel(row.output_shape) * item[1] * row.repeat
            elif item[0] == "stats":
                total_bits += item[1] * row.output_shape[0] * 32 * row.repeat
            elif item[0] == "rows":
                total_bits += item[1] * numel(row.input_shape[:-1]) * 32 * row.repeat
        if saved_in and previous_output is not row.input_shape:
            total_bits += numel(row.input_shape) * act.bits_per_value * row.repeat
        previous_output = None
        if saved_out:
            total_bits += numel(row.output_shape) * act.bits_per_value * row.repeat
            previous_output = row.output_shape
        layers += row.repeat
    total = _bytes(batch * Fraction(total_bits).__ceil__(), 1)
    return total, f"{batch:,} x the tensors {layers:,} layers save for backward"


# --- optimizer states --------------------------------------------------------------------------

def optimizer_bytes(report: Report, optimizer: str, state_bits: int | Fraction,
                    trainable: list[tuple[Tensor, int]] | None = None) -> tuple[int, str]:
    """Bytes of optimizer.state after a step, as torch.optim keeps it (per trainable tensor)."""
    if optimizer not in OPTIMIZERS:
        from .errors import suggest

        raise NnsizeError(f"unknown optimizer {optimizer!r}{suggest(optimizer, OPTIMIZERS)}; "
                          f"one of {', '.join(OPTIMIZERS)}")
    tensors = trainable if trainable is not None else _trainable(report)
    total, params, count = 0, 0, 0
    for t, copies in tensors:
        n = numel(t.shape)
        params += n * copies
        count += copies
        if optimizer == "sgd":
            each = 0
        elif optimizer in ("sgd-momentum", "lion"):
            each = _bytes(n, state_bits)
        elif optimizer in ("adam", "adamw"):
            each = 2 * _bytes(n, state_bits) + 4  # exp_avg, exp_avg_sq, step (fp32 scalar)
        elif optimizer == "adam-8bit":
            blocks = -(-n // 2048)  # bitsandbytes: 8-bit states, an fp32 absmax per 2048
            each = 2 * (n + 4 * blocks)
        else:  # adafactor: row and column variances for matrices, a full one for vectors
            shape = t.shape
            if len(shape) >= 2:
                each = _bytes(numel(shape[:-1]) + numel(shape[:-2] + shape[-1:]), state_bits) + 4
            else:
                each = _bytes(n, state_bits) + 4
        total += each * copies
    how = {"sgd": "plain SGD keeps no state",
           "sgd-momentum": f"{params:,} momentum values x {state_bits} bits",
           "lion": f"{params:,} momentum values x {state_bits} bits",
           "adam": f"{params:,} x 2 moments x {state_bits} bits + {count:,} steps x 4 B",
           "adamw": f"{params:,} x 2 moments x {state_bits} bits + {count:,} steps x 4 B",
           "adam-8bit": f"{params:,} x 2 moments x 8 bits + an fp32 absmax per 2,048",
           "adafactor": "factored second moments: a row and a column vector per matrix"}[
        optimizer]
    return total, how


def _trainable(report: Report) -> list[tuple[Tensor, int]]:
    return [(t, t.copies * row.repeat) for row in report.rows for t in row.tensors
            if not t.buffer and not t.shared_with and t.trainable]


def _lora(report: Report, rank: int, targets: tuple[str, ...]) -> list[tuple[Tensor, int]]:
    """LoRA factors A (r x in) and B (out x r) for every targeted linear weight."""
    out = []
    for name, t in report.named_tensors():
        if t.buffer or t.shared_with or len(t.shape) != 2 or t.role != "weight":
            continue
        module = name.rsplit(".", 1)[0]
        if targets == ("all-linear",) or module.rsplit(".", 1)[-1] in targets:
            out_f, in_f = t.shape
            out.append((Tensor(f"{module}.lora_A", (rank, in_f), "weight"), 1))
            out.append((Tensor(f"{module}.lora_B", (out_f, rank), "weight"), 1))
    if not out:
        raise NnsizeError(f"no linear layer matches the LoRA targets {', '.join(targets)}")
    return out


# --- the plans ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setup:
    dtype: str = "bf16"
    batch: int = 1
    context: int = 2048
    kv_dtype: str | None = None
    latent: bool = True
    train: bool = False
    optimizer: str = "adamw"
    mixed_precision: bool = True
    checkpointing: bool = False
    gpus: int = 1
    sharding: str = "none"
    lora_rank: int = 0
    lora_targets: tuple[str, ...] = ("q_proj", "v_proj")
    qlora: bool = False
    keep: tuple[str, ...] = KEEP

    def check(self) -> None:
        # Messages name the setting, not a command-line flag: the page and the API say them too.
        for name, value in (("batch", self.batch), ("context", self.context),
                            ("the number of GPUs", self.gpus)):
            if value < 1:
                raise NnsizeError(f"{name} must be at least 1, got {value}")
        if self.batch * self.context > MAX_TOKENS:
            raise NnsizeError(f"batch {self.batch:,} x context {self.context:,} tokens is "
                              f"beyond any machine (at most {MAX_TOKENS:,})")
        if self.sharding not in SHARDING:
            from .errors import suggest

            raise NnsizeError(f"unknown sharding {self.sharding!r}"
                              f"{suggest(self.sharding, SHARDING)}; one of "
                              f"{', '.join(SHARDING)}")
        if self.lora_rank < 0:
            raise NnsizeError("the LoRA rank must be 0 (no LoRA) or more")
        for role in self.keep:
            if role not in KEEP:
                raise NnsizeError(f"--keep {role!r}: choose from {', '.join(KEEP)} (or none)")


def plan(report: Report, s: Setup) -> Plan:
    s.check()
    p = _train(report, s) if s.train else _infer(report, s)
    d = report.decoder
    if d is not None and d.positions and s.context > d.positions:
        p.notes.append(f"The model has {d.positions:,} learned positions: it cannot read a "
                       f"context of {s.context:,} tokens (planned as asked).")
    return p


def _infer(report: Report, s: Setup) -> Plan:
    precision = find(s.dtype)
    compute = precision if precision.name in FLOATS else find("bf16")
    p = Plan(f"{report.source}: inference at {precision.name}, batch {s.batch:,}, context "
             f"{s.context:,}")
    weights, how = weight_bytes(report, precision, compute, s.keep)
    p.lines.append(Line("weights", weights, how))
    if report.decoder is not None:
        kv = find(s.kv_dtype) if s.kv_dtype else compute
        cache, how, notes = kv_cache(report, s.batch, s.context, kv, s.latent)
        p.lines.append(Line(f"KV cache ({kv.name})", cache, how))
        p.notes += notes
        d = report.decoder
        tokens = s.batch * s.context
        inter = max(d.intermediate, d.expert_intermediate * d.experts_per_token)
        workspace = _bytes(tokens * (2 * inter + 4 * d.hidden), compute.bits_per_value) + \
            s.batch * d.vocab * 4
        p.lines.append(Line("activation workspace", workspace,
                            f"{tokens:,} tokens x (2 x {inter:,} + 4 x {d.hidden:,}) x "
                            f"{_b(compute)} + {s.batch:,} x {d.vocab:,} fp32 logits", False))
    else:
        largest = max((numel(r.input_shape) + numel(r.output_shape) for r in report.rows),
                      default=0)
        p.lines.append(Line("activation workspace", _bytes(s.batch * largest,
                                                          compute.bits_per_value),
                            f"{s.batch:,} x the largest layer's input and output ({largest:,} "
                            f"values) x {_b(compute)}", False))
    return p


def _train(report: Report, s: Setup) -> Plan:
    precision = find(s.dtype)
    if precision.name not in FLOATS:
        raise NnsizeError(f"training keeps weights in a float format (fp32, bf16, fp16), not "
                          f"{precision.name}; for 4-bit base weights train QLoRA (LoRA over NF4 "
                          f"weights)")
    mixed = s.mixed_precision and precision.name in ("bf16", "fp16")
    state_bits = 32 if mixed or precision.name == "fp32" else precision.bits_per_value
    n = s.gpus if s.sharding != "none" else 1
    shard = {"none": (1, 1, 1), "ddp": (1, 1, 1), "zero1": (1, 1, n), "zero2": (1, n, n),
             "zero3": (n, n, n), "fsdp": (n, n, n), "tp": (n, n, n)}[s.sharding]
    title = f"{report.source}: training at {precision.name}" + \
        (" (mixed precision, fp32 master weights)" if mixed else "") + \
        f", {s.optimizer}, batch {s.batch:,}, context {s.context:,}" + \
        (f", per GPU of {s.gpus} ({s.sharding})" if s.sharding != "none" else "")
    p = Plan(title)
    if s.lora_rank or s.qlora:
        rank = s.lora_rank or 16
        adapters = _lora(report, rank, s.lora_targets)
        base = find("nf4") if s.qlora else precision
        weights, how = weight_bytes(report, base, precision, s.keep)
        p.lines.append(Line(f"base weights, frozen ({base.name})", weights // shard[0], how))
        lora_params = sum(numel(t.shape) for t, _ in adapters)
        p.lines.append(Line(f"LoRA adapters (rank {rank})", _bytes(lora_params,
                                                                   precision.bits_per_value),
                            f"{lora_params:,} = rank {rank} x (in + out) per targeted linear"))
        trainable, trainable_tensors = lora_params, adapters
    else:
        weights, how = weight_bytes(report, precision, precision)
        p.lines.append(Line("weights", weights // shard[0], how + _per(shard[0])))
        trainable = report.trainable_params
        trainable_tensors = _trainable(report)
    p.lines.append(Line("gradients", _bytes(trainable, precision.bits_per_value) // shard[1],
                        f"{trainable:,} trainable x {_b(precision)}" + _per(shard[1])))
    if mixed:
        p.lines.append(Line("master weights (fp32)", _bytes(trainable, 32) // shard[2],
                            f"{trainable:,} x 32 bits" + _per(shard[2])))
    optim, how = optimizer_bytes(report, s.optimizer, state_bits, trainable_tensors)
    p.lines.append(Line(f"optimizer states ({s.optimizer})", optim // shard[2],
                        how + _per(shard[2])))
    act_precision = find("bf16") if mixed and precision.name == "bf16" else \
        find("fp16") if mixed else precision
    if report.decoder is not None:
        values, fp32_bytes, how = decoder_activation_values(report, s.batch * s.context,
                                                            s.checkpointing)
        act = _bytes(values, act_precision.bits_per_value) + (0 if s.checkpointing else
                                                              fp32_bytes)
        tp = n if s.sharding == "tp" else 1
        p.lines.append(Line("activations" + (" (checkpointed)" if s.checkpointing else ""),
                            act // tp, f"{how} x {_b(act_precision)}" +
                            ("" if s.checkpointing else " + the norms' fp32 copies") +
                            _per(tp), False))
    else:
        act, how = spec_activation_bytes(report, s.batch, act_precision, s.checkpointing)
        p.lines.append(Line("activations" + (" (checkpointed)" if s.checkpointing else ""),
                            act, how, False))
    return p


def _per(n: int) -> str:
    return f", / {n} GPUs" if n > 1 else ""


# --- what the well-known tools would say ----------------------------------------------------------

def as_tool(report: Report, tool: str, s: Setup) -> tuple[int, str]:
    """The same question answered under another tool's assumptions, and the difference."""
    params = report.total_params
    precision = find(s.dtype)
    if tool == "accelerate":
        # accelerate estimate-memory: training with Adam ~ 4 x the model's size at that dtype
        size = _bytes(params, precision.bits_per_value)
        return 4 * size, (f"accelerate's estimate-memory counts training with Adam as 4 x the "
                          f"model at {precision.name} (weights, gradients, two moments, all at "
                          f"{precision.name}), with no master weights or activations")
    if tool == "deepspeed":
        n = s.gpus
        # DeepSpeed estimate_zero3_model_states_mem_needs, no offload: 18 bytes a parameter
        return 18 * params // n, (f"DeepSpeed's ZeRO-3 estimator counts 18 bytes a parameter "
                                  f"over {n} GPUs (fp16 weights and gradients, fp32 master and "
                                  f"two moments, and its buffers), without activations")
    raise NnsizeError(f"unknown tool {tool!r}: accelerate or deepspeed")


# --- will it fit? -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Fit:
    plan: Plan
    usable: int
    fits: bool
    largest_batch: int  # at the setup's context (0: none fits)
    # at the setup's batch, at most the model's learned positions (0: none fits; None: the
    # model reads no sequence, an MLP or a CNN, so no context length applies)
    longest_context: int | None
    fewest_gpus: int  # that hold it, sharded (0: more than 4,096)
    precisions: list[tuple[str, int, bool]]  # name, total bytes, fits
    positions: int = 0  # the model's learned positions, the cap on longest_context (0: none)


def fit(report: Report, s: Setup, usable: int) -> Fit:
    """Does it fit in usable bytes; the largest batch, the longest context, the fewest GPUs."""
    from dataclasses import replace

    p = plan(report, s)

    def total(**change: Any) -> int:
        return plan(report, replace(s, **change)).total

    def largest(key: str, limit: int) -> int:
        """The largest value of key (1..limit) whose plan fits: memory grows with it."""
        if total(**{key: 1}) > usable:
            return 0
        lo, hi = 1, 2
        while hi <= limit and total(**{key: hi}) <= usable:
            lo, hi = hi, hi * 2
        hi = min(hi, limit + 1)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if total(**{key: mid}) <= usable:
                lo = mid
            else:
                hi = mid
        return lo

    fewest = 0
    if s.train:
        for gpus in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096):
            sharding = s.sharding if s.sharding != "none" else "fsdp"
            if total(gpus=gpus, sharding=sharding if gpus > 1 else s.sharding) <= usable:
                fewest = gpus
                break
    else:  # inference: weights and cache split evenly across tensor-parallel GPUs
        for gpus in range(1, 4097):
            if -(-p.total // gpus) <= usable:
                fewest = gpus
                break
    candidates = ("fp32", "bf16", "fp8", "int8", "q8_0", "q6_k", "q4_k", "nf4", "q3_k",
                  "q2_k") if not s.train else ("fp32", "bf16")
    precisions = []
    for name in candidates:
        try:
            t = total(dtype=name)
        except NnsizeError:
            continue
        precisions.append((name, t, t <= usable))
    d = report.decoder
    longest = None if d is None else \
        largest("context", min(MAX_TOKENS // s.batch, d.positions or MAX_TOKENS))
    return Fit(p, usable, p.total <= usable, largest("batch", MAX_TOKENS // s.context),
               longest, fewest, precisions, d.positions if d is not None else 0)


# --- compute -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compute:
    linear_macs: int  # per token: every matmul with a weight (active experts only)
    attention_macs_prefill: int  # QK^T and AV over a prompt of `context`, all of it
    attention_macs_decode: int  # for one new token after `context` tokens
    context: int

    @property
    def prefill_flops(self) -> int:
        return 2 * (self.linear_macs * self.context + self.attention_macs_prefill)

    @property
    def decode_flops(self) -> int:
        return 2 * (self.linear_macs + self.attention_macs_decode)

    @property
    def training_flops_per_token(self) -> int:
        """Forward and backward (twice the forward: gradients of inputs and of weights)."""
        return 3 * self.prefill_flops // self.context


def compute(report: Report, context: int) -> Compute:
    """Multiply-accumulates of a language model, per token and over a prompt.

    Linear: the active parameters of every weight matrix except the embedding lookup (the head
    does multiply).  Attention, causal: position t attends to t keys (or a sliding window's),
    q.k and a.v: heads x (key_dim + value_dim) MACs per key; a prompt of s tokens sums t = 1..s,
    about half of the full s x s (the causal factor).
    """
    d = report.decoder
    if d is None:
        raise NnsizeError("compute per token is for language models counted from a config")
    if context < 1:
        raise NnsizeError("context must be at least 1")
    linear = 0
    for row in report.rows:
        if row.type == "embedding":
            continue
        weights = sum(t.numel for t in row.tensors
                      if not t.buffer and len(t.shape) >= 2 and t.role in ("weight", "embedding"))
        if row.type == "head" and weights == 0:  # tied head: it multiplies all the same
            weights = d.vocab * d.hidden
        share = Fraction(row.active, row.params) if row.params and row.active != row.params \
            else Fraction(1)
        linear += int(weights * share)
    prefill = decode = 0
    for layer in d.layers:
        per_key = layer.heads * (layer.key_dim + layer.value_dim)
        w = layer.window
        if w:
            keys = sum(min(t, w) for t in range(1, context + 1))
        else:
            keys = context * (context + 1) // 2
        prefill += keys * per_key
        decode += min(context + 1, w or context + 1) * per_key
    return Compute(linear, prefill, decode, context)
