"""The planner's inputs, described once: the CLI's options and the web API's request model are
both derived from these fields and their metadata (flag, help, choices, bounds)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..engines import VLLM_ALLOCATION as _VLLM  # its defaults, which its options' help names
from ..engines import VLLM_VERSION
from ..errors import NnsizeError
from .engines import ENGINES, engine
from .weights import KEEP

OPTIMIZERS = ("sgd", "sgd-momentum", "adam", "adamw", "adam-8bit", "adafactor", "lion")
# torch.autocast (fp32 weights, bf16 compute: the usual mixed precision), 16-bit weights with
# fp32 master weights (DeepSpeed, Megatron), or everything at --dtype
MIXED = ("autocast", "master-weights", "none")
ATTENTION = ("default", "sdpa", "eager")  # default: as transformers picks it per family
SHARDING = ("none", "ddp", "zero1", "zero2", "zero3", "fsdp", "tp")
MAX_TOKENS = 2**40  # batch x context beyond this is not a plan, it is a typo
# --grad-dtype, on the planner's and the speed model's setups alike
GRAD_DTYPES = ("", "16-bit", "bf16", "fp16", "fp32", "bf16+fp32")
GRAD_DTYPE_HELP = (
    "the gradients' dtype with a training layout: 16-bit (the weights' own, default), bf16, "
    "fp16, fp32 (an fp32 accumulation buffer: Megatron-LM with bf16, FSDP with reduce_dtype "
    "fp32 as torchtitan), bf16+fp32 (the bf16 gradients and an fp32 buffer beside them: "
    "DeepSpeed's BF16_Optimizer)")
# tokens per sequence when none is asked, at most the model's own longest context
# (plan.model_context: BERT's 512 learned positions, GPT-2's 1,024): plan.settle
DEFAULT_CONTEXT = 2048


def _opt(help: str, *, flag: str | None = None, choices: tuple[str, ...] = (),
         low: int | None = None, high: int | None = None, negated: bool = False,
         listed: tuple[str, ...] = (), max_length: int | None = None) -> dict[str, Any]:
    """Field metadata: the CLI flag (default --field-name), help, choices, bounds.  negated: a
    bool True by default, turned off by the flag.  listed: a comma list whose 'none' is ()."""
    return {"flag": flag, "help": help, "choices": choices, "low": low, "high": high,
            "negated": negated, "listed": listed, "max_length": max_length}


option = _opt  # the same metadata for the other setups described once (speed.setup)


@dataclass(frozen=True)
class Setup:
    """What the planner is asked: precision, batch, context, training and how it is spread."""

    dtype: str = field(default="", metadata=_opt(
        "weights' precision: fp32, bf16, fp16, fp8, int8, int8-channel, gptq-int4[-gN], "
        "awq-int4, nf4, nf4-dq, mxfp4, nvfp4, a llama-quantize type (Q8_0, Q4_K_M...: the "
        "file it writes), a GGUF block format alone (q8_0-block), ternary, binary (default: a "
        "file as stored, anything else bf16)", max_length=40))
    batch: int = field(default=1, metadata=_opt("sequences per step (1)", low=1,
                                                high=MAX_TOKENS))
    context: int = field(default=0, metadata=_opt(
        "tokens per sequence (default: 2048, or the model's own longest context where it is "
        "shorter, such as BERT's 512 learned positions; the plan says which)", low=0,
        high=MAX_TOKENS))
    encoder_length: int = field(default=0, metadata=_opt(
        "an encoder-decoder's encoder tokens, cached by cross-attention (default: Whisper's "
        "1,500 frames for 30 s of audio; a text encoder as long as the context)", low=0,
        high=MAX_TOKENS))
    images: int = field(default=-1, metadata=_opt(
        "images in each sequence: an image-text model's tokens per image join the context, "
        "a cross-attention model's (Llama 3.2 Vision) vision tokens fill its cross-attention "
        "layers' cache (default: 1 for a cross-attention model, else 0)", low=-1,
        high=MAX_TOKENS))
    kv_dtype: str | None = field(default=None, metadata=_opt(
        "the KV cache's precision (default: the compute one)", max_length=40))
    latent: bool = field(default=True, metadata=_opt(
        "DeepSeek's latent attention cache: compressed (serving engines; transformers since "
        "its #47761) or expanded (transformers before it, llama.cpp before April 2025)",
        flag="--mla", choices=("latent", "expanded")))
    train: bool = field(default=False, metadata=_opt("training instead of inference"))
    optimizer: str = field(default="adamw", metadata=_opt("the optimizer (adamw)",
                                                          choices=OPTIMIZERS))
    mixed_precision: bool = field(default=True, metadata=_opt(
        "16-bit training without fp32 master weights", flag="--no-mixed-precision",
        negated=True))
    checkpointing: bool = field(default=False, metadata=_opt("activation checkpointing"))
    gpus: int = field(default=1, metadata=_opt("GPUs (1)", low=1, high=1_000_000))
    sharding: str = field(default="none", metadata=_opt(
        "data parallel (ddp), ZeRO 1/2/3, FSDP or tensor parallel over --gpus",
        choices=SHARDING))
    tp: int = field(default=0, metadata=_opt(
        "tensor-parallel ranks (0: none, or what --sharding tp says)", low=0, high=1_000_000))
    pp: int = field(default=0, metadata=_opt("pipeline stages (0: one)", low=0,
                                             high=1_000_000))
    vp: int = field(default=0, metadata=_opt(
        "virtual stages a pipeline rank runs, the interleaved schedule (0: plain 1F1B)", low=0,
        high=1_000_000))
    dp: int = field(default=0, metadata=_opt(
        "data-parallel ranks (0: the GPUs left over)", low=0, high=1_000_000))
    ep: int = field(default=0, metadata=_opt("expert-parallel ranks (0: none)", low=0,
                                             high=1_000_000))
    cp: int = field(default=0, metadata=_opt("context-parallel ranks (0: none)", low=0,
                                             high=1_000_000))
    sp: bool = field(default=False, metadata=_opt(
        "sequence parallelism over the tensor-parallel ranks"))
    zero: int = field(default=-1, metadata=_opt("ZeRO stage 0-3 over the data-parallel ranks",
                                                low=-1, high=3))
    fsdp: str = field(default="", metadata=_opt("FSDP: full or hybrid shard",
                                                choices=("", "full", "hybrid")))
    micro_batch: int = field(default=0, metadata=_opt(
        "sequences a rank computes at once (0: --batch)", low=0, high=MAX_TOKENS))
    global_batch: int = field(default=0, metadata=_opt(
        "sequences a training step, all ranks (0: dp x micro-batch)", low=0, high=MAX_TOKENS))
    recompute: str = field(default="", metadata=_opt(
        "activation recomputation: none, selective or full (Korthikanti et al. 2022), or "
        "selective-op (torchtitan's op-level selective checkpointing)",
        choices=("", "none", "selective", "selective-op", "full")))
    grad_dtype: str = field(default="", metadata=_opt(GRAD_DTYPE_HELP, choices=GRAD_DTYPES))
    nodes: int = field(default=0, metadata=_opt("nodes the GPUs are in (0: 8 GPUs a node)",
                                                low=0, high=1_000_000))
    lora_rank: int = field(default=0, metadata=_opt("train LoRA adapters of this rank", low=0,
                                                    high=1_000_000))
    lora_targets: tuple[str, ...] = field(default=("q_proj", "v_proj"), metadata=_opt(
        "module names to adapt, or all-linear (q_proj,v_proj)", listed=("all-linear",)))
    qlora: bool = field(default=False, metadata=_opt(
        "LoRA over NF4 base weights with double quantization, as PEFT's "
        "prepare_model_for_kbit_training leaves them (norms, embeddings and head fp32)"))
    lora_dropout: float = field(default=0.0, metadata=_opt(
        "PEFT's lora_dropout: above 0 each adapter keeps its dropped input and a mask (0)",
        low=0, high=1))
    keep: tuple[str, ...] = field(default=KEEP, metadata=_opt(
        "what a weight-only format (int4, nf4, q4_k...) leaves at the compute precision: "
        "norms, biases, embeddings, head, or none (default: all four; on a language model "
        "GPTQ, AWQ, NF4 and FP8 follow their library)", listed=KEEP))
    mixed: str = field(default="autocast", metadata=_opt(
        "with a 16-bit --dtype: torch.autocast over fp32 weights (default, as the Trainer's "
        "bf16=True runs), 16-bit weights with fp32 master weights (DeepSpeed, Megatron), or "
        "none (pure 16-bit)", flag="--mixed-precision", choices=MIXED))
    attention: str = field(default="default", metadata=_opt(
        "transformers' attention: default (as transformers picks it for the family: sdpa, "
        "or eager for Gemma 2, gpt-oss and the others SDPA cannot run), sdpa (flash / "
        "memory-efficient) or eager (keeps the heads x context x context probabilities); "
        "with a training layout (--tp, --pp...) default and sdpa mean flash attention",
        choices=ATTENTION))
    engine: str = field(default="", metadata=_opt(
        "inference as this engine serves it: transformers (the whole prompt in one pass; "
        "transformers-eager with eager attention's probabilities, transformers-compile), "
        "vllm, sglang, llama.cpp; mlc, exllama, exllamav2, mlx, gpt-fast, tensorrt-llm and "
        "roofline have no published memory profile and are planned as transformers (the note "
        "says so).  Default: llama.cpp for a GGUF file or type (Q4_K_M...), transformers "
        "otherwise; the answer names it",
        choices=ENGINES))
    chunk: int = field(default=0, metadata=_opt(
        "prompt tokens per forward pass: vLLM's max_num_batched_tokens, llama.cpp's "
        "--ubatch-size (0: the engine's default)", low=0, high=MAX_TOKENS))
    kv_unified: bool = field(default=True, metadata=_opt(
        "llama.cpp serving several sequences (batch above 1): one KV cache they share, as "
        "llama-server keeps it by default (unified: --parallel auto, 4 slots with "
        "kv_unified = true), or a cache a sequence (split: --no-kv-unified, or an explicit "
        "--parallel without -kvu); each sequence can reach the context either way, the "
        "sliding-window cache and the compute buffer differ (unified)",
        flag="--kv-sharing", choices=("unified", "split")))
    swa_full: bool = field(default=False, metadata=_opt(
        "llama.cpp's --swa-full: the sliding-window layers (Gemma 2 and 3, gpt-oss) keep a "
        "full-size cache, every cell of the context, not the window and n_ubatch (llama.cpp "
        "only; llama_context_default_params() sets it, so programs on libllama such as "
        "Ollama's runner before it ran llama-server keep it; llama-server and llama-cli "
        "do not unless asked)"))
    kq_mask: str = field(default="f16", metadata=_opt(
        "llama.cpp's KQ mask under flash attention: f16 alone (builds since "
        "ggml-org/llama.cpp#23764, May 2026: the default) or f32+f16, an f32 mask and its f16 "
        "cast, its rows padded to 64 (the builds before); without flash attention it is f32 "
        "either way (llama.cpp only)", choices=("f16", "f32+f16")))
    gpu_memory_utilization: str = field(default="", metadata=_opt(
        f"vLLM's share of the GPU (default {float(_VLLM.memory_fraction):g}, vLLM "
        f"{VLLM_VERSION}'s vllm serve; 0.9 before)", max_length=20))
    mamba_cache_mode: str = field(default="", metadata=_opt(
        "vLLM's prefix caching for a hybrid (state-space or linear-attention) model: align "
        f"(on, two state blocks a request: vLLM {VLLM_VERSION}'s vllm serve, the default), "
        "none (off: vllm serve before 0.28.0, or --no-enable-prefix-caching) or all (a state "
        "a block of a request, the block a multiple of the Mamba chunk; Nemotron-H, Jamba, "
        "Zamba2, Granite 4.0 H, Falcon-H1, vLLM runs the others in align)",
        choices=("", "align", "none", "all")))
    beyond_context: bool = field(default=False, metadata=_opt(
        "let fit's longest context go past the model's own maximum (max_position_embeddings, "
        "its rope scaling, a GGUF's context_length)"))
    imatrix: bool = field(default=False, metadata=_opt(
        "a GGUF mix made with an importance matrix (it changes a few tensors' types)"))
    # not an option: where the context came from when none was asked (plan.settle): "" (asked),
    # "default" (DEFAULT_CONTEXT), or the model's own limit ("learned positions", a config key)
    context_from: str = field(default="", metadata={"internal": True})

    @property
    def training_mode(self) -> str:
        """How a training step computes: fp32, bf16 / fp16 (pure), or autocast."""
        from ..precision import find

        name = find(self.dtype or "bf16").name
        if name in ("bf16", "fp16") and self.mixed_precision and self.mixed == "autocast":
            return "autocast"
        return name if name in ("bf16", "fp16") else "fp32"

    @property
    def master_weights(self) -> bool:
        """16-bit weights and gradients with fp32 master weights and optimizer states."""
        from ..precision import find

        return find(self.dtype or "bf16").name in ("bf16", "fp16") and \
            self.mixed_precision and \
            self.mixed == "master-weights"

    @property
    def parallel(self) -> bool:
        """A layout asked by the layout flags (tp, pp, dp...), not --sharding alone."""
        return bool(self.tp or self.pp or self.vp or self.dp or self.ep or self.cp or self.sp
                    or self.zero >= 0 or self.fsdp or self.micro_batch or self.global_batch
                    or self.recompute or self.nodes or bool(self.grad_dtype))

    def layout(self) -> Any:
        """The parallel.layout.Layout the flags (or --sharding over --gpus) describe; None for
        one GPU without either."""
        from ..parallel.layout import from_sharding, kernel, resolve

        if not self.parallel and (self.sharding == "none" or self.gpus == 1):
            return None
        flags: dict[str, Any] = from_sharding(self.sharding, self.gpus) if \
            self.sharding != "none" else {}
        given = {k: v for k, v in (("tp", self.tp), ("pp", self.pp), ("dp", self.dp),
                                   ("cp", self.cp)) if v}
        for k, v in given.items():
            if k in flags and flags[k] != v:
                raise NnsizeError(f"--sharding {self.sharding} over {self.gpus} GPUs means "
                                  f"{k} {flags[k]}, and {k} {v} was given: give one of them")
        flags.update(given)
        if self.sharding == "tp" and "dp" not in given and "pp" not in given:
            flags.pop("dp", None)
        rest: dict[str, Any] = {
            "ep": self.ep or 1, "vp": self.vp or 1, "sp": self.sp,
            "micro_batch": self.micro_batch or self.batch, "global_batch": self.global_batch,
            "recompute": self.recompute or ("full" if self.checkpointing else "none"),
            "nodes": self.nodes, "attention": kernel(self.attention)}
        if self.zero >= 0:
            rest["zero"] = self.zero
        elif "zero" in flags:
            rest["zero"] = flags["zero"]
        rest["fsdp"] = self.fsdp or str(flags.get("fsdp", ""))
        if self.grad_dtype:
            rest["grad_dtype"] = self.grad_dtype
        tp, pp, cp = (int(flags.get(k, 1)) for k in ("tp", "pp", "cp"))
        dp = int(flags.get("dp", 0))
        if self.gpus == 1 and (tp * pp * cp * max(dp, 1)) > 1:  # the degrees say the GPUs
            return resolve(tp * pp * cp * max(dp, 1), tp, pp, cp, dp, **rest)
        return resolve(self.gpus, tp, pp, cp, dp, **rest)

    @property
    def engine_name(self) -> str:
        """The engine asked, or the default for the precision (memory.engines.default_engine);
        a GGUF file's own default is filled in by resolve()."""
        from .engines import default_engine

        return self.engine or default_engine(self.dtype)

    def serving(self, gpu_bytes: int | None = None, gpu_name: str = "") -> Any:
        """The engine profile (memory.engines.Engine) this setup serves with."""
        from fractions import Fraction

        share = None
        if self.gpu_memory_utilization:
            try:
                share = Fraction(self.gpu_memory_utilization.strip())
            except (ValueError, ZeroDivisionError) as e:
                raise NnsizeError(f"GPU memory utilization {self.gpu_memory_utilization!r} "
                                  f"is not a number such as 0.9") from e
        return engine(self.engine_name, self.chunk or None, share, self.attention != "eager",
                      gpu_bytes, gpu_name, self.mamba_cache_mode or None, self.swa_full,
                      self.kq_mask)

    def check(self) -> None:
        # Messages name the setting, not a command-line flag: the page and the API say them too.
        for name, value in (("batch", self.batch), ("context", self.context),
                            ("the number of GPUs", self.gpus)):
            if value < 1:
                raise NnsizeError(f"{name} must be at least 1, got {value}")
        for f in fields(self):  # every other bound a field's metadata states (the API's too)
            value, low, high = getattr(self, f.name), f.metadata.get("low"), \
                f.metadata.get("high")
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            name = f.name.replace("_", " ")
            if low is not None and value < low:
                least = "0 or more (-1: the default)" if low == -1 else f"at least {low:,}"
                raise NnsizeError(f"{name} must be {least}, got {value:,}")
            if high is not None and value > high:
                raise NnsizeError(f"{name} must be at most {high:,}, got {value:,}")
        if self.batch * self.context > MAX_TOKENS:
            raise NnsizeError(f"batch {self.batch:,} x context {self.context:,} tokens is "
                              f"beyond any machine (at most {MAX_TOKENS:,})")
        if self.sharding not in SHARDING:
            from ..errors import suggest

            raise NnsizeError(f"unknown sharding {self.sharding!r}"
                              f"{suggest(self.sharding, SHARDING)}; one of "
                              f"{', '.join(SHARDING)}")
        if self.lora_rank < 0:
            raise NnsizeError("the LoRA rank must be 0 (no LoRA) or more")
        if not 0 <= self.lora_dropout <= 1:  # also NaN
            raise NnsizeError(f"the LoRA dropout is a probability from 0 to 1, got "
                              f"{self.lora_dropout}")
        if self.lora_dropout and not (self.lora_rank or self.qlora):
            raise NnsizeError("a LoRA dropout needs LoRA adapters: give a LoRA rank (or QLoRA)")
        for role in self.keep:
            if role not in KEEP:
                raise NnsizeError(f"keep {role!r}: choose from {', '.join(KEEP)} (or none)")
        for flag, given, allowed in (("mixed precision", self.mixed, MIXED),
                                     ("attention", self.attention, ATTENTION)):
            if given not in allowed:
                from ..errors import suggest

                raise NnsizeError(f"unknown {flag} {given!r}{suggest(given, allowed)}; one of "
                                  f"{', '.join(allowed)}")
        if self.chunk < 0:
            raise NnsizeError(f"the prefill chunk must be 0 (the engine's default) or more, got "
                              f"{self.chunk}")
        self.serving()  # checks --engine and --gpu-memory-utilization


def setup_fields() -> list[Any]:
    """The Setup's fields, in order, each with its metadata (for the CLI and the web); not the
    internal ones (context_from)."""
    return [f for f in fields(Setup) if not f.metadata.get("internal")]


def resolve(s: Setup, stored_format: str = "") -> Setup:
    """The setup with its engine named: the one asked, or the default for what was given (a
    GGUF file: llama.cpp), so every surface plans, fits and times the same engine."""
    if s.engine:
        return s
    from dataclasses import replace

    from .engines import default_engine

    return replace(s, engine=default_engine(s.dtype, stored_format))
