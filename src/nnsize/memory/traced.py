"""Activations of any torch model as autograd keeps them, traced on fake tensors.

For the models nnsize has no per-layer formulas for (encoders such as BERT, encoder-decoders
such as T5, BART and Whisper, vision and audio encoders such as ViT, any torch.nn.Module whose
layers it cannot price one by one), one training step runs on fake tensors (torch's
FakeTensorMode: shapes, dtypes and storages, no memory and no arithmetic) at the planned batch
and length, as PyTorch would run it on the CPU:

    saved   the forward pass under saved_tensors_hooks: every storage autograd keeps for
            backward, counted once however many ops save it (a view of it is the same
            storage), the weights and autocast's weight copies apart
    parts   the same bytes by the layer that saved them: each transformers layer that
            checkpointing would wrap (GradientCheckpointingLayer), everything else by the
            model's top modules
    peak    the forward and the backward under a dispatch mode that follows every storage an
            op makes until it is freed: the most alive at once, the weights, their gradients
            and autocast's weight copies apart (with checkpointing on: the checkpointed step's
            peak)

It is what the real step would keep on the CPU; a GPU runs the same ops with the same saved
tensors, except where the attention kernel differs (both SDPA kernels, flash and memory
efficient, save what the CPU's flash kernel saves: q, k, v, the output and a log-sum-exp).
tests/memory/test_traced.py measures the same models with real tensors.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import NnsizeError

INSTALL = "pip install 'nnsize[transformers]'"
# a fake step allocates nothing, but torch and transformers take about 1 GiB before the first
# module, and a large model's modules (and its step's ops) take seconds of CPU
TRACE_MEMORY = 4 * 1024**3
TRACE_SECONDS = 120.0
TRACE_WALL_SECONDS = 300.0
# set in a web server's counting child (web/pool.py), whose limits a trace would pass: the plan
# is refused there (Deferred) and planned again under a budget of its own
DEFER = False
MODES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "autocast": "float32"}


class Deferred(NnsizeError):
    """A training step to trace where DEFER holds: the caller plans it again under the traced
    budget (web/pool.py's traced)."""

    status = 503


@dataclass(frozen=True)
class Traced:
    """One training step's activations, measured on fake tensors."""

    saved: int  # bytes autograd keeps at the end of the forward pass
    parts: tuple[tuple[str, int], ...]  # the saved bytes by layer (or top module), in order
    peak: int  # the most alive during forward and backward, weights and their gradients apart
    loss: str  # what the step's loss is ("" where the model computes none)
    attention: str  # the attention transformers ran ("" for a plain torch module)
    what: str  # the class traced
    carried: tuple[int, ...] = ()  # the contexts traced, where carried to the one asked


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


class _Live:
    """Bytes of the storages ops make, alive until freed; the peak (a TorchDispatchMode)."""

    def __init__(self, skip: set[int]) -> None:
        self.skip = skip  # the weights' storages
        self.live: dict[int, int] = {}
        self.now = self.peak = self.grads = 0

    def free(self, key: int) -> None:
        self.now -= self.live.pop(key, 0)


_KEY = "_nnsize_key"
_next_key = itertools.count(1)


def _storage_key(t: Any) -> int:
    """A number for the storage of t, its own for as long as the process runs: set on the
    storage's Python object (torch keeps one per storage while the storage lives, views
    included) the first time it is seen.  Not its address (_cdata) or id(): a storage freed
    during the step (autocast's weight copies after the first pass, any activation) leaves its
    address to the next one malloc places there, which was then taken for the old one (a
    weight copy, or a storage already counted) and skipped, by where malloc happened to put
    it: the peak differed from run to run by up to a third."""
    storage = t.untyped_storage()
    key = getattr(storage, _KEY, None)
    if key is None:
        key = next(_next_key)
        setattr(storage, _KEY, key)
    return int(key)


def trace(build: Callable[[Any], tuple[Any, dict[str, Any], str]], mode: str,
          checkpointing: bool = False) -> Traced:
    """build(fake_mode) -> (model, forward's keyword inputs, loss name), called under the
    FakeTensorMode it is given.
    mode: fp32, bf16, fp16 (the model at that dtype) or autocast (fp32 weights, bf16 ops)."""
    import logging

    import torch
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.utils._python_dispatch import TorchDispatchMode

    # a failing op is reported once, as an NnsizeError below, not logged with its traceback
    logging.getLogger("torch._subclasses.fake_tensor").setLevel(logging.CRITICAL)
    if mode not in MODES:
        raise NnsizeError(f"unknown activation mode {mode!r}; one of {', '.join(MODES)}")
    fake = FakeTensorMode(allow_non_fake_inputs=False)
    fake.cache_enabled = False  # its cache of op outputs would keep freed storages alive
    default = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, MODES[mode]))  # fake weights cannot be cast after
    try:
        with fake:
            model, inputs, loss_name = build(fake)
    except NnsizeError:
        raise
    except Exception as e:  # transformers' own validation of the config: one line
        raise NnsizeError(f"the model could not be built to trace a training step "
                          f"({type(e).__name__}: {_first_line(e)})") from e
    finally:
        torch.set_default_dtype(default)
    model.train()
    if checkpointing:
        if not getattr(model, "supports_gradient_checkpointing", False):
            raise NnsizeError(f"{type(model).__name__} has no activation checkpointing in "
                              f"transformers; plan it without")
        enable = getattr(model, "activation_checkpointing_enable", None) or \
            model.gradient_checkpointing_enable  # transformers 5 renamed it
        enable({"use_reentrant": False})
    params = list(model.parameters())
    weights = {_storage_key(p) for p in params}
    casts: set[int] = set()
    layers = _layer_names(model)
    current: list[str] = []

    def enter(name: str) -> Callable[..., None]:
        def pre(*_: Any) -> None:
            current.append(name)
        return pre

    def leave(*_: Any) -> None:
        current.pop()

    handles = []
    for name, module in model.named_modules():
        if name and (name in layers or "." not in name):
            handles.append(module.register_forward_pre_hook(enter(name)))
            handles.append(module.register_forward_hook(leave, always_call=True))

    class CastsAndLive(TorchDispatchMode):  # type: ignore[no-untyped-call]
        """autocast's copies of the weights (their own plan line), and live storages."""

        def __init__(self, live: _Live | None) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.live_bytes = live

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            out = _cpu_op(func, args, kwargs or {})
            cast = func is torch.ops.aten._to_copy.default and \
                isinstance(args[0], torch.Tensor) and _storage_key(args[0]) in weights
            outs = out if isinstance(out, (tuple, list)) else (out,)
            for t in outs:
                if not isinstance(t, torch.Tensor):
                    continue
                key = _storage_key(t)
                if cast:
                    casts.add(key)
                live = self.live_bytes
                if live is None or key in live.live or key in weights or key in casts:
                    continue
                size = t.untyped_storage().nbytes()
                if size:
                    live.live[key] = size
                    live.now += size
                    weakref.finalize(t.untyped_storage(), live.free, key)
            if self.live_bytes is not None:
                self.live_bytes.peak = max(self.live_bytes.peak,
                                           self.live_bytes.now - self.live_bytes.grads)
            return out

    saved: dict[int, tuple[int, str]] = {}

    def pack(t: Any) -> Any:
        key = _storage_key(t)
        if key not in saved:
            saved[key] = (t.untyped_storage().nbytes(), current[-1] if current else "")
        return t

    autocast = mode == "autocast"
    try:
        with fake, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
                CastsAndLive(None), torch.autocast("cpu", torch.bfloat16, enabled=autocast):
            out = model(**inputs)
        kept = {k: v for k, v in saved.items() if k not in weights and k not in casts}
        del out
        live = _Live(weights)

        def grad(p: Any) -> None:
            live.grads += p.grad.untyped_storage().nbytes()

        hooks = [p.register_post_accumulate_grad_hook(grad) for p in params if p.requires_grad]
        with fake, CastsAndLive(live):
            with torch.autocast("cpu", torch.bfloat16, enabled=autocast):
                loss = _scalar(model(**inputs))
            # as a training loop runs it: backward after autocast's block, whose cache of
            # weight copies it frees on leaving (the copies autograd saved live on)
            loss.backward()
            out = loss
        del out
        for h in hooks:
            h.remove()
    except NnsizeError:
        raise
    except Exception as e:  # transformers' or the module's own refusal: one line
        name = getattr(model, "traced_name", type(model).__name__)
        raise NnsizeError(f"a training step of {name} could not be traced "
                          f"({type(e).__name__}: {_first_line(e)})") from e
    finally:
        for handle in handles:
            handle.remove()
    by_part: dict[str, int] = {}
    for size, part in kept.values():
        by_part[part] = by_part.get(part, 0) + size
    attention = str(getattr(getattr(model, "config", None), "_attn_implementation", "") or "")
    return Traced(saved=sum(size for size, _ in kept.values()), parts=tuple(by_part.items()),
                  peak=live.peak, loss=loss_name, attention=attention,
                  what=getattr(model, "traced_name", type(model).__name__))


def _cpu_op(func: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    """func on fake tensors as the CPU's kernel runs it.  Where torch's fake (meta) kernel of
    an op checks CUDA's dtypes and the CPU's kernel runs others (CPU_DTYPES), the fake kernel
    is run on bf16 stand-ins of the same sizes and strides (its shape and stride checks, the
    CPU's too) and its result given the dtype the CPU's kernel returns, the inputs'."""
    import torch

    if func not in _cpu_dtype_ops():
        return func(*args, **kwargs)
    dtype = next((a.dtype for a in args if isinstance(a, torch.Tensor)), None)
    if dtype is None or dtype == torch.bfloat16 or not dtype.is_floating_point:
        return func(*args, **kwargs)

    def bf16(t: Any) -> Any:
        if isinstance(t, torch.Tensor) and t.dtype == dtype:
            return torch.empty_strided(t.size(), t.stride(), dtype=torch.bfloat16)
        return t

    shaped = func(*[bf16(a) for a in args], **kwargs)
    return torch.empty_strided(shaped.size(), shaped.stride(), dtype=dtype)


def _cpu_dtype_ops() -> tuple[Any, ...]:
    """The ops whose fake kernel refuses a dtype their CPU kernel runs: torch._grouped_mm (the
    grouped experts of transformers' MoE layers, experts_implementation grouped_mm), whose meta
    function repeats CUDA's bf16-only check while the CPU's kernel multiplies fp32 and fp16 too
    (torch 2.13: torch/_meta_registrations.py, _meta_grouped_mm_common); under autocast, which
    does not cast it, and in fp32 or fp16 training its inputs are the weights' dtype."""
    import torch

    return (torch.ops.aten._grouped_mm.default,)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _scalar(out: Any) -> Any:
    """The step's loss: the model's own, or (without one) the sum of its first output."""
    loss = getattr(out, "loss", None)
    if loss is not None:
        return loss
    first = out[0] if isinstance(out, (tuple, list)) else \
        next(iter(out.values())) if isinstance(out, dict) else out
    return first.float().sum()


def _layer_names(model: Any) -> set[str]:
    """The modules transformers' checkpointing wraps (GradientCheckpointingLayer)."""
    try:
        from transformers.modeling_layers import GradientCheckpointingLayer
    except ImportError:
        return set()
    return {name for name, m in model.named_modules() if isinstance(m, GradientCheckpointingLayer)}


# --- a torch.nn.Module the user gave -------------------------------------------------------------


def trace_module(module: Any, sizes: list[tuple[int, ...]], dtype: Any, batch: int, mode: str,
                 checkpointing: bool = False) -> Traced:
    """A training step of a live torch module on inputs of these sizes (their first dimension
    the batch, set to batch), its parameters swapped for fake copies for the step and put back
    after: the module itself is never run or changed."""
    import torch

    if checkpointing:
        raise NnsizeError("activation checkpointing of a torch module depends on where its "
                          "code checkpoints; plan it without checkpointing")
    if mode in ("bf16", "fp16"):
        raise NnsizeError(f"a torch module's training step is traced in fp32 or under autocast "
                          f"(its weights as they are), not in pure {mode}")
    if not sizes:
        raise NnsizeError("the training activations of a torch module are traced from one "
                          "step at its input size: give the input size")
    originals: list[tuple[Any, str, Any, bool]] = []

    def build(fake: Any) -> tuple[Any, dict[str, Any], str]:
        copies: dict[int, Any] = {}
        for m in module.modules():
            for store, parameter in ((m._parameters, True), (m._buffers, False)):
                for name, t in list(store.items()):
                    if t is None:
                        continue
                    if id(t) not in copies:
                        f = fake.from_tensor(t)
                        copies[id(t)] = torch.nn.Parameter(f, t.requires_grad) if parameter \
                            else f
                    originals.append((store, name, t, parameter))
                    store[name] = copies[id(t)]
        inputs = [torch.zeros((batch, *s[1:]), dtype=dtype or torch.float32) for s in sizes]
        return _Positional(module, inputs), {}, ""

    training = [(m, m.training) for m in module.modules()]
    try:
        return trace(build, mode, checkpointing)
    finally:
        for store, name, t, _ in reversed(originals):
            store[name] = t
        for m, was in training:
            m.training = was


class _Positional:
    """A module called with positional inputs, as trace() calls a model with keywords."""

    def __init__(self, module: Any, inputs: list[Any]) -> None:
        self.module, self.inputs = module, inputs
        self.traced_name = type(module).__name__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def __call__(self, **_: Any) -> Any:
        return self.module(*self.inputs)


# --- models built from a config by transformers --------------------------------------------------

# the head classes transformers registers (its auto mappings) and the labels each one's loss
# reads: token ids per position, one class per sequence, or none
_LABELS = (("MODEL_FOR_MASKED_LM_MAPPING_NAMES", "tokens"),
           ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "tokens"),
           ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "tokens"),
           ("MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES", "tokens"),
           ("MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES", "per-token classes"),
           ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES", "classes"),
           ("MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES", "classes"),
           ("MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES", "classes"))


def _labels_kind(cls_name: str) -> str:
    from transformers.models.auto import modeling_auto

    for mapping, kind in _LABELS:
        names = getattr(modeling_auto, mapping, {}).values()
        flat = {n for v in names for n in ((v,) if isinstance(v, str) else v)}
        if cls_name in flat:
            return kind
    return ""


def config_model(data: dict[str, Any], batch: int, context: int, encoder_length: int,
                 attention: str) -> tuple[Any, dict[str, Any], str]:
    """The class transformers builds from a config.json (its first architecture, else the base
    model), with the inputs one training step reads:

    input_ids        batch x context tokens (an encoder-decoder's encoder: encoder_length, or
                     the context)
    pixel_values     batch x channels x image_size x image_size (the config's)
    input_features   batch x mel bins x 2 x max_source_positions frames (Whisper: 3,000, 30 s)
    input_values     batch x context audio samples
    labels           as the head's loss reads them: the context's tokens (masked and causal
                     LMs, encoder-decoders: the decoder's tokens), a class per sequence, a
                     class per token; a model without a head is stepped on the sum of its
                     output"""
    import torch
    import transformers
    from transformers.models.auto import modeling_auto

    from ..spec import special_floats

    model_type = str(data.get("model_type", ""))
    if model_type not in transformers.CONFIG_MAPPING:
        raise NnsizeError(f"transformers {transformers.__version__} does not know model_type "
                          f"{model_type!r}: a training step cannot be traced")
    config = transformers.CONFIG_MAPPING[model_type].from_dict(
        special_floats({k: v for k, v in data.items() if k != "auto_map"}))
    config.use_cache = False
    # which token starts the decoder (T5, BART shift the labels right with it) changes no shape
    # and no byte: a config that leaves it out (a reconstructed preset) is traced with token 0
    for key in ("decoder_start_token_id", "pad_token_id"):
        if getattr(config, key, None) is None and getattr(config, "is_encoder_decoder", False):
            setattr(config, key, 0)
    if attention:
        config._attn_implementation = attention
    archs = data.get("architectures")
    name = archs[0] if isinstance(archs, list) and archs else \
        modeling_auto.MODEL_MAPPING_NAMES.get(model_type)
    if isinstance(name, (tuple, list)):
        name = name[0]
    cls = getattr(transformers, str(name), None)
    if cls is None:
        raise NnsizeError(f"transformers {transformers.__version__} has no class {name!r}")
    from transformers.initialization import no_init_weights

    with no_init_weights():  # random values mean nothing on fake tensors (and some need data)
        model = cls(config)
    if hasattr(model, "tie_weights"):
        model.tie_weights()
    if attention and getattr(model.config, "_attn_implementation", attention) != attention:
        raise NnsizeError(f"{cls.__name__} does not run {attention} attention in transformers")
    main = getattr(model, "main_input_name", "input_ids")
    length = encoder_length or context
    _check_positions(cls.__name__, config, main, length, context)
    inputs: dict[str, Any] = {}
    if main == "input_ids":
        vocab = int(getattr(config, "vocab_size", 2) or 2)
        inputs["input_ids"] = torch.randint(0, vocab, (batch, length))
    elif main == "pixel_values":
        size = getattr(config, "image_size", None)
        size = size if isinstance(size, (list, tuple)) else (size, size)
        if not isinstance(size[0], int):
            raise NnsizeError(f"{cls.__name__}'s config names no image_size to trace it at")
        inputs[main] = torch.zeros(batch, int(getattr(config, "num_channels", 3)), *size)
    elif main == "input_features":
        frames = 2 * int(getattr(config, "max_source_positions", 0) or 0)
        mels = int(getattr(config, "num_mel_bins", 0) or 0)
        if not frames or not mels:
            raise NnsizeError(f"{cls.__name__}: its config names no mel bins or source "
                              f"positions to trace it at")
        inputs[main] = torch.zeros(batch, mels, frames)
    elif main == "input_values":
        inputs[main] = torch.zeros(batch, context)
    else:
        raise NnsizeError(f"{cls.__name__} reads {main}, which nnsize cannot make an input of "
                          f"to trace a training step")
    kind = _labels_kind(cls.__name__)
    vocab = int(getattr(config, "vocab_size", 2) or 2)
    classes = int(getattr(config, "num_labels", 2) or 2)
    if kind == "tokens":
        inputs["labels"] = torch.randint(0, vocab, (batch, context))
    elif kind == "per-token classes":
        inputs["labels"] = torch.randint(0, classes, (batch, length))
    elif kind == "classes":
        inputs["labels"] = torch.randint(0, classes, (batch,))
        if getattr(config, "problem_type", None) is None:
            config.problem_type = "single_label_classification"
    loss = {"tokens": f"cross-entropy over {vocab:,} tokens",
            "per-token classes": f"cross-entropy over {classes} classes per token",
            "classes": f"cross-entropy over {classes} classes"}.get(kind, "")
    return model, inputs, loss


def _check_positions(name: str, config: Any, main: str, length: int, context: int) -> None:
    """A learned position table stops the step where it ends: said, not traced into a shape
    error.  (key, tokens it bounds): the encoder's input, an encoder-decoder's decoder."""
    bounds = [("max_target_positions", context)] if main != "input_ids" else \
        [("max_position_embeddings", max(length, context)), ("n_positions", length),
         ("max_target_positions", context)]
    from ..limits import padded_positions, reads_n_positions

    model_type = getattr(config, "model_type", "")
    offset = padded_positions({"model_type": model_type,
                               "pad_token_id": getattr(config, "pad_token_id", None)})
    for key, tokens in bounds:
        if key == "n_positions" and not reads_n_positions(model_type):
            continue  # T5's published n_positions: a leftover its model never reads
        limit = getattr(config, key, None)
        if isinstance(limit, int) and key == "max_position_embeddings":
            limit -= offset  # RoBERTa: 514 rows, the first two before its first position
        if isinstance(limit, int) and 0 < limit < tokens:
            raise NnsizeError(f"{name} reads at most {limit:,} positions ({key}): a training "
                              f"step at {tokens:,} tokens cannot run; plan a context (or "
                              f"encoder length) of at most {limit:,}")


def _trace_config(data: dict[str, Any], batch: int, context: int, encoder_length: int,
                  attention: str, mode: str, checkpointing: bool) -> Traced:
    import warnings

    from transformers.utils import logging

    # its notes (a reference scan is slower than the CUDA kernel) are not the answer
    logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trace(lambda _: config_model(data, batch, context, encoder_length, attention),
                     mode, checkpointing)


def _trace_configs(data: dict[str, Any], batch: int, contexts: tuple[int, ...],
                   encoder_length: int, attention: str, mode: str,
                   checkpointing: bool) -> list[Traced]:
    return [_trace_config(data, batch, c, encoder_length, attention, mode, checkpointing)
            for c in contexts]


def trace_config(data: dict[str, Any], batch: int, context: int, encoder_length: int = 0,
                 attention: str = "", mode: str = "autocast", checkpointing: bool = False,
                 scan: bool = False, chunk: int = 0) -> Traced:
    """A training step of the model a config builds, traced in a child process under limits
    (child.py): attention '' is transformers' own default for the family.

    scan: the model scans its sequence (a state-space or recurrent layer), which transformers
    runs without its CUDA kernels as a loop over the tokens (or over chunks of chunk_size
    tokens): op by op on fake tensors, 2,048 tokens pass the time limit.  Such a step is
    traced at four short contexts instead and the bytes carried to the context asked, where
    they are a quadratic in the context to the byte (scan_points); chunk: the chunk its code
    scans at where no config key names it (CODE_CHUNKS)."""
    if not available():
        raise NnsizeError(f"the training activations of this model are traced by running a "
                          f"step on fake tensors, which needs torch and transformers: {INSTALL}")
    if DEFER:
        raise Deferred("a training step to trace, under a budget of its own")
    from .. import child

    points = scan_points(data, context, chunk) if scan else ()
    contexts = points or (context,)
    traced = child.run(_trace_configs, data, batch, contexts, encoder_length, attention, mode,
                       checkpointing, memory=TRACE_MEMORY, seconds=TRACE_SECONDS,
                       wall=TRACE_WALL_SECONDS, what="tracing a training step")
    if not points:
        return traced[0]
    carried = carry(points, traced, context)
    # a step's peak holds every tensor it saves; a carry whose peak is below them extrapolates
    # what the points do not show (a scan's chunk longer than the points, Granite 4's
    # mamba_chunk_size of 256 by default): never planned
    if carried is None or carried.peak < carried.saved:
        raise NnsizeError(f"the training step of {traced[0].what} scans its tokens one by one "
                          f"on the CPU, and its bytes at {', '.join(map(str, points))} tokens "
                          f"do not carry to {context:,} (no quadratic in the context through "
                          f"them, or one whose peak falls below what the step saves); plan a "
                          f"context of at most {points[-1]:,}")
    return carried


SCAN_STEP = 16  # tokens between the contexts a scan is traced at (or its chunk_size)
# the config keys that name the chunk a scan runs at: Mamba-2's and Nemotron-H's chunk_size,
# and the Mamba-2 hybrids' (Bamba, Falcon-H1, Granite 4) mamba_chunk_size, 256 by default
CHUNK_KEYS = ("chunk_size", "mamba_chunk_size")
# the chunk transformers' torch reference of a layer scans at where no config key sets it, by the
# layer's StateMixer kind: the default of the function's chunk_size, which the model's code
# leaves as it is (transformers 5.x, modeling_kimi_linear.py and modeling_bailing_hybrid.py:
# chunk_kimi_delta_attention(..., chunk_size=64), called without one); it pads the sequence to
# whole chunks of it (pad_size = (chunk_size - sequence_length % chunk_size) % chunk_size)
CODE_CHUNKS = {"kda": 64}


def scan_points(data: dict[str, Any], context: int, chunk: int = 0) -> tuple[int, ...]:
    """The four contexts a scanning model is traced at: a, 2a, 3a, 4a with a = 16 tokens, or
    the chunk the scan runs at, the config's chunk_size; or, where the code sets the chunk
    (chunk, CODE_CHUNKS), 4a to 7a.  A chunked scan pads the sequence to whole chunks, so only
    whole chunks give a polynomial (traced at 16 to 64 tokens, Kimi Linear's chunks of 64 were
    one chunk each, carried to a context of many as one); and its first chunks are off the
    polynomial the later ones are on (a tiny Kimi Linear's delta layer saves 3,418,224 B at one
    chunk, then 3,419,136 B more at two and 3,415,040 B more a chunk after; its step's peak
    rises 4,896,128 B, 4,900,736 B, then 4,888,448 B a chunk from four chunks to eight).  None
    where the context is short enough to trace itself, or not a whole number of chunks."""
    config = data.get("text_config") if isinstance(data.get("text_config"), dict) else data
    named = next((config[key] for key in CHUNK_KEYS if config.get(key) is not None), None) \
        if isinstance(config, dict) else None
    first = 1
    if isinstance(named, int) and not isinstance(named, bool) and named > 0:
        step = named
    elif chunk:
        step, first = chunk, 4
    else:
        step = SCAN_STEP
    points = tuple(n * step for n in range(first, first + 4))
    if context <= points[-1] or (step != SCAN_STEP and context % step):
        return ()
    return points


def _quadratic(points: tuple[int, ...], values: list[int], at: int) -> int | None:
    """values at points (a, 2a, 3a, 4a) as c0 + c1 x + c2 x^2 through the first three, checked
    at the fourth, evaluated at at; None where the fourth misses or the result is no whole
    number of bytes."""
    from fractions import Fraction

    (x1, x2, x3, x4), (y1, y2, y3, y4) = points, values
    def lagrange(x: int) -> Fraction:
        return (Fraction(y1 * (x - x2) * (x - x3), (x1 - x2) * (x1 - x3))
                + Fraction(y2 * (x - x1) * (x - x3), (x2 - x1) * (x2 - x3))
                + Fraction(y3 * (x - x1) * (x - x2), (x3 - x1) * (x3 - x2)))
    value = lagrange(at)
    if lagrange(x4) != y4 or value.denominator != 1 or value < 0:
        return None
    return int(value)


def carry(points: tuple[int, ...], traced: list[Traced], context: int) -> Traced | None:
    """The step at context from the steps traced at points: saved, peak and each part carried
    by _quadratic; None where any of them is not a quadratic in the context."""
    saved = _quadratic(points, [t.saved for t in traced], context)
    peak = _quadratic(points, [t.peak for t in traced], context)
    names = [name for name, _ in traced[0].parts]
    if saved is None or peak is None or any([n for n, _ in t.parts] != names for t in traced):
        return None
    parts = []
    for i, name in enumerate(names):
        part = _quadratic(points, [t.parts[i][1] for t in traced], context)
        if part is None:
            return None
        parts.append((name, part))
    first = traced[0]
    return Traced(saved, tuple(parts), peak, first.loss, first.attention, first.what,
                  carried=points)
