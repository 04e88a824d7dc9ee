"""A layout: how N GPUs split a model, as Megatron-LM, DeepSpeed, FSDP and vLLM define it, and
the divisibility each requires, refused by name.

    gpus = tp x cp x pp x dp     (Megatron-Core's order, tp innermost: tp-cp-ep-dp-pp)
    ep   splits the routed experts over the data-parallel ranks (ep divides dp x cp)
    vp   virtual stages a pipeline rank runs (the interleaved schedule), 1: plain 1F1B
    sp   sequence parallelism: the tensor-parallel ranks also split the layer norms' and
         dropouts' activations along the sequence (Korthikanti et al. 2022)
    zero 0-3 (Rajbhandari et al. 2020): optimizer states (1), gradients (2), weights (3)
         sharded over the data-parallel ranks; fsdp full = ZeRO-3, hybrid = ZeRO-3 inside a
         node and replicated across nodes
    attention  the attention kernel: flash (FlashAttention, Dao et al. 2022,
         https://arxiv.org/abs/2205.14135: the softmax fused into the kernel, no s x s scores
         kept; torchtitan's SDPA, Megatron-Core's and Transformer Engine's fused attention) or
         eager (the unfused QK^T, softmax, dropout and AV of Megatron-LM before it: the
         a s^2 scores kept and passed over in memory, Korthikanti et al.'s 5as / h terms)
    grad_dtype  what the gradients are kept in (GRAD_DTYPES): 16-bit (bf16 / fp16), the
         weights' own (plain PyTorch: a parameter's .grad has its dtype); fp32, an fp32 accumulation
         buffer in their place (Megatron-LM's main_grad with bf16; FSDP's sharded fp32
         gradients with reduce_dtype fp32, as torchtitan runs); bf16+fp32, the 16-bit .grad
         kept beside an fp32 accumulation buffer (DeepSpeed's BF16_Optimizer)

The bubble of a pipeline with m micro-batches a step: (pp - 1) / (m x vp) of the ideal time
(Narayanan et al. 2021, sec. 2.2, https://arxiv.org/abs/2104.04473).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import NnsizeError
from .shape import Shape

# selective: Korthikanti et al. 2022 (Megatron-LM); selective-op: torchtitan's op-level
# selective checkpointing (activation_checkpoint.selective_ac_option = "op"), rank.py
RECOMPUTE = ("none", "selective", "selective-op", "full")
ATTENTION = ("flash", "eager")
FSDP = ("", "full", "hybrid")
# the gradients a rank keeps: (bytes a parameter held, bytes a parameter reduced over dp).
# Megatron-LM with bf16 accumulates and all-reduces in fp32 (--accumulate-allreduce-grads-in-
# fp32, which validate_args turns on for --bf16: megatron/training/arguments.py; the main_grad
# buffers of megatron/core/distributed/param_and_grad_buffer.py, param.grad freed as it is added
# in); DeepSpeed's BF16_Optimizer keeps the bf16 .grad (cleared at the next backward) and
# accumulates it into an fp32 buffer of all the rank's parameters (deepspeed/runtime/
# bf16_optimizer.py: fp32_groups_gradients_flat), which its pipeline engine all-reduces in bf16:
# _bf16_reduce_grads hands the fp32 buffer to allreduce_bucket, which casts it to
# communication_data_type, bf16 when bf16 is on under ZeRO 0 and the config names none
# (deepspeed/runtime/engine.py and pipe/engine.py, microsoft/DeepSpeed 77b649d1, BLOOM's; the
# same at 06e39a56, October 2022): 2 B a parameter reduced
# 16-bit (the default): the weights' own dtype, whichever 16-bit one it is
GRAD_DTYPES: dict[str, tuple[int, int]] = {"16-bit": (2, 2), "bf16": (2, 2), "fp16": (2, 2),
                                           "fp32": (4, 4), "bf16+fp32": (6, 2)}
GPUS_PER_NODE = 8  # an HGX / DGX board, where --nodes is not given (the answer says so)


class LayoutError(NnsizeError):
    """A layout that cannot run: the message names which number does not divide which."""


@dataclass(frozen=True)
class Layout:
    """One layout of gpus: the degrees of each kind of parallelism and how the batch splits."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    cp: int = 1
    ep: int = 1
    vp: int = 1
    sp: bool = False
    zero: int = 0
    fsdp: str = ""
    micro_batch: int = 1
    global_batch: int = 0  # sequences a step, all ranks (0: serving, or dp x micro-batch)
    recompute: str = "none"
    nodes: int = 0  # 0: gpus / 8 rounded up
    attention: str = "flash"  # the attention kernel: flash or eager (unfused)
    grad_dtype: str = "16-bit"  # GRAD_DTYPES: what the gradients are kept and reduced in

    @property
    def grad_bytes(self) -> int:
        """Bytes a parameter the rank's gradients hold (GRAD_DTYPES)."""
        return GRAD_DTYPES[self.grad_dtype][0]

    @property
    def reduce_bytes(self) -> int:
        """Bytes a parameter of gradient the data-parallel reduction moves (GRAD_DTYPES)."""
        return GRAD_DTYPES[self.grad_dtype][1]

    @property
    def gpus(self) -> int:
        return self.tp * self.cp * self.pp * self.dp

    @property
    def gpus_per_node(self) -> int:
        return -(-self.gpus // self.node_count)

    @property
    def node_count(self) -> int:
        return self.nodes or -(-self.gpus // GPUS_PER_NODE)

    @property
    def micro_batches(self) -> int:
        """Micro-batches each pipeline runs a step: global batch / (dp x micro-batch)."""
        batch = self.global_batch or self.dp * self.micro_batch
        return batch // (self.dp * self.micro_batch)

    def zero_divisors(self) -> tuple[int, int, int]:
        """(weights, gradients, optimizer states): how many data-parallel ranks share each."""
        group = self.dp * self.cp
        if self.fsdp == "hybrid":
            group = max(1, min(group, self.gpus_per_node // (self.tp * self.cp) * self.cp))
        stage = 3 if self.fsdp else self.zero
        return (group if stage >= 3 else 1, group if stage >= 2 else 1,
                group if stage >= 1 else 1)

    @property
    def bubble(self) -> float:
        """The pipeline's idle share of the ideal time: (pp - 1) / (m x vp)."""
        return (self.pp - 1) / (self.micro_batches * self.vp) if self.pp > 1 else 0.0

    def describe(self) -> str:
        parts = [f"tp {self.tp}", f"pp {self.pp}" + (f" (vp {self.vp})" if self.vp > 1 else ""),
                 f"dp {self.dp}"]
        parts += [f"cp {self.cp}"] if self.cp > 1 else []
        parts += [f"ep {self.ep}"] if self.ep > 1 else []
        parts += ["sp"] if self.sp else []
        parts += [f"FSDP {self.fsdp}"] if self.fsdp else [f"ZeRO-{self.zero}"] if self.zero else []
        parts += [f"{self.grad_dtype} gradients"] if self.grad_bytes != 2 else []
        return " x ".join(parts[:3]) + (", " + ", ".join(parts[3:]) if parts[3:] else "")

    def as_dict(self) -> dict[str, object]:
        return {"tp": self.tp, "pp": self.pp, "vp": self.vp, "dp": self.dp, "cp": self.cp,
                "ep": self.ep, "sp": self.sp, "zero": self.zero, "fsdp": self.fsdp or None,
                "micro_batch": self.micro_batch, "global_batch": self.global_batch or None,
                "micro_batches": self.micro_batches, "recompute": self.recompute,
                "gpus": self.gpus, "nodes": self.node_count, "attention": self.attention,
                "grad_dtype": self.grad_dtype}


def stage_layers(shape: Shape, layout: Layout) -> int:
    """Transformer layers on the busiest pipeline rank: layers / pp, or, where the embedding
    and the loss count as a layer each (Megatron's --account-for-embedding-in-pipeline-split
    and --account-for-loss-in-pipeline-split; Llama 3 405B's 126 layers over 16 stages),
    (layers + 2) / pp."""
    chunks = layout.pp * layout.vp
    if shape.layers % chunks == 0:
        return shape.layers // layout.pp
    return (shape.layers + 2) // layout.pp


def check(shape: Shape, layout: Layout, training: bool = True) -> None:
    """Refuse a layout that cannot run, naming the number that does not divide the other."""
    t = layout
    for name, value in (("tp", t.tp), ("pp", t.pp), ("dp", t.dp), ("cp", t.cp), ("ep", t.ep),
                        ("vp", t.vp), ("micro-batch", t.micro_batch)):
        if value < 1:
            raise LayoutError(f"{name} must be at least 1, got {value}")
    if t.recompute not in RECOMPUTE:
        raise LayoutError(f"recompute {t.recompute!r}: one of {', '.join(RECOMPUTE)}")
    if t.attention not in ATTENTION:
        raise LayoutError(f"attention {t.attention!r}: one of {', '.join(ATTENTION)}")
    if t.grad_dtype not in GRAD_DTYPES:
        raise LayoutError(f"gradient dtype {t.grad_dtype!r}: one of {', '.join(GRAD_DTYPES)}")
    if t.fsdp not in FSDP:
        raise LayoutError(f"fsdp {t.fsdp!r}: full or hybrid")
    if not 0 <= t.zero <= 3:
        raise LayoutError(f"ZeRO stage {t.zero}: 0, 1, 2 or 3")
    if t.fsdp and t.zero:
        raise LayoutError(f"FSDP ({t.fsdp} shard) is ZeRO-3 by another name: give fsdp or "
                          f"zero {t.zero}, not both")
    if t.nodes and t.gpus % t.nodes:
        raise LayoutError(f"{t.gpus:,} GPUs do not divide over {t.nodes:,} nodes")
    if shape.heads % t.tp:
        raise LayoutError(f"tp {t.tp} does not divide the {shape.heads} attention heads of "
                          f"{shape.name}: each rank computes heads / tp of them")
    kv = shape.kv_heads
    if not shape.latent_dim and kv % t.tp and t.tp % kv:
        raise LayoutError(f"tp {t.tp} and the {kv} KV heads of {shape.name} divide neither "
                          f"way: a rank holds kv heads / tp of them, or (tp > kv heads) each "
                          f"KV head is replicated on tp / kv heads ranks, which needs tp to be "
                          f"a multiple of {kv}")
    if t.vp > 1 and t.pp == 1:
        raise LayoutError(f"vp {t.vp}: virtual stages interleave a pipeline; give pp above 1")
    chunks = t.pp * t.vp
    if shape.layers % chunks and (shape.layers + 2) % chunks:
        what = f"pp {t.pp} x vp {t.vp} = {chunks}" if t.vp > 1 else f"pp {t.pp}"
        raise LayoutError(f"{what} does not divide the {shape.layers} layers of {shape.name} "
                          f"(nor {shape.layers} + 2, with the embedding and the loss counted "
                          f"as a layer each)")
    if t.sp and t.tp == 1:
        raise LayoutError("sequence parallelism splits over the tensor-parallel ranks: give "
                          "tp above 1")
    if t.ep > 1:
        if not shape.experts:
            raise LayoutError(f"ep {t.ep}: {shape.name} has no routed experts to split")
        if shape.experts % t.ep:
            raise LayoutError(f"ep {t.ep} does not divide the {shape.experts} routed experts "
                              f"of {shape.name}")
        if (t.dp * t.cp) % t.ep:
            raise LayoutError(f"ep {t.ep} does not divide dp x cp = {t.dp * t.cp}: the expert-"
                              f"parallel ranks are taken from the data-parallel ones")
    if not training:
        if t.dp > 1 and (t.zero or t.fsdp):
            raise LayoutError("ZeRO and FSDP shard training state; serving replicas hold "
                              "whole copies")
        return
    if t.global_batch:
        if t.global_batch % (t.dp * t.micro_batch):
            raise LayoutError(f"dp {t.dp} x micro-batch {t.micro_batch} = "
                              f"{t.dp * t.micro_batch} does not divide the global batch of "
                              f"{t.global_batch:,} sequences")
        if t.vp > 1 and t.micro_batches % t.pp:
            raise LayoutError(f"the interleaved schedule needs the {t.micro_batches} "
                              f"micro-batches a step to be a multiple of pp {t.pp}")


def kernel(name: str) -> str:
    """The layout's attention kernel for an --attention value: eager stays eager; default,
    sdpa (PyTorch's scaled_dot_product_attention runs a flash or memory-efficient kernel for
    training) and flash are flash."""
    if name == "eager":
        return "eager"
    if name in ("", "default", "sdpa", "flash"):
        return "flash"
    raise LayoutError(f"attention {name!r}: flash (or sdpa, default) or eager")


def resolve(gpus: int, tp: int = 1, pp: int = 1, cp: int = 1, dp: int = 0,
            **rest: object) -> Layout:
    """The layout gpus make with these degrees: dp = gpus / (tp x cp x pp) where not given."""
    inner = tp * cp * pp
    if inner < 1:
        raise LayoutError("tp, cp and pp must each be at least 1")
    if dp == 0:
        if gpus % inner:
            raise LayoutError(f"tp {tp} x cp {cp} x pp {pp} = {inner} does not divide the "
                              f"{gpus:,} GPUs")
        dp = gpus // inner
    elif inner * dp != gpus:
        raise LayoutError(f"tp {tp} x cp {cp} x pp {pp} x dp {dp} = {inner * dp:,}, not the "
                          f"{gpus:,} GPUs given")
    return replace(Layout(), tp=tp, pp=pp, cp=cp, dp=dp, **rest)  # type: ignore[arg-type]


def from_sharding(sharding: str, gpus: int) -> dict[str, object]:
    """The layout flags the older --sharding names over gpus."""
    flags: dict[str, dict[str, object]] = {
            "none": {}, "ddp": {"dp": gpus}, "zero1": {"dp": gpus, "zero": 1},
            "zero2": {"dp": gpus, "zero": 2}, "zero3": {"dp": gpus, "zero": 3},
            "fsdp": {"dp": gpus, "fsdp": "full"}, "tp": {"tp": gpus}}
    return flags[sharding]
