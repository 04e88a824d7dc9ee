"""A summary of a live torch.nn.Module: its module tree, exact totals, and, given an input,
output shapes and multiply-accumulates from a forward pass that allocates nothing.

Parameters are read from each module's own _parameters, deduplicated by identity as
model.parameters() does: a tied or shared parameter is counted where it first appears and marked
'shared_with' elsewhere.  The forward pass runs under FakeTensorMode (or on the meta device for a
meta model) with torch.utils.flop_counter.FlopCounterMode, which sees every matmul, convolution
and attention call, functional ones included.  Hooks are removed and the model is not otherwise
touched: its parameters, buffers, device and training mode stay as they were.
"""

from __future__ import annotations

from typing import Any

from ..errors import NnsizeError
from ..model import Report, Row, Shape, Tensor, sum_formula


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise NnsizeError("summarising a PyTorch model needs torch: pip install torch") from e
    return torch


def _role(module: Any, name: str, buffer: bool, torch: Any) -> str:
    nn = torch.nn
    if buffer:
        return "statistic" if name in ("running_mean", "running_var",
                                        "num_batches_tracked") else "other"
    if isinstance(module, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm,
                           nn.RMSNorm, nn.LocalResponseNorm)):
        return "norm"
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return "embedding"
    if name.startswith("bias") or name.endswith("bias"):
        return "bias"
    return "weight"


def _shape(t: Any, torch: Any) -> Shape | None:
    """The shape of a parameter or buffer; None while a lazy module has not seen an input."""
    if isinstance(t, torch.nn.parameter.UninitializedTensorMixin):
        return None
    return tuple(int(d) for d in t.shape)


def _tensors(modules: list[tuple[str, Any]], torch: Any) -> dict[str, list[Tensor]]:
    seen: dict[int, str] = {}
    out: dict[str, list[Tensor]] = {}
    lazy = []
    for path, module in modules:
        own = []
        for store, buffer in ((module._parameters, False), (module._buffers, True)):
            for name, t in store.items():
                if t is None:
                    continue
                full = f"{path}.{name}" if path else name
                shape = _shape(t, torch)
                if shape is None:
                    lazy.append(full)
                    continue
                trainable = bool(getattr(t, "requires_grad", False)) and not buffer
                own.append(Tensor(name, shape, _role(module, name, buffer, torch),
                                  trainable=trainable, buffer=buffer,
                                  shared_with=seen.get(id(t), "")))
                seen.setdefault(id(t), full)
        out[path] = own
    if lazy:
        raise NnsizeError(f"the model has uninitialized lazy parameters ({', '.join(lazy[:3])}"
                          f"{', ...' if len(lazy) > 3 else ''}): give input_size or input_data "
                          f"so nnsize can run the forward pass that sizes them")
    return out


def flop_formulas(torch: Any) -> dict[Any, Any]:
    """What FlopCounterMode misses on the CPU: the CPU kernel of scaled_dot_product_attention.

    q: [b, h, s_q, d] @ k^T: [b, h, d, s_k] -> scores [b, h, s_q, s_k], then @ v: [b, h, s_k, d_v]
    (the full score matrix, causal or not, as torch counts its other attention kernels)
    """
    from torch.utils.flop_counter import sdpa_flop_count

    # FlopCounterMode passes the op's other arguments too (dropout_p, is_causal, attn_mask,
    # scale, out_shape): none changes the count of the matmuls.
    def cpu_attention(query: Any, key: Any, value: Any, *_: Any, **__: Any) -> int:
        return int(sdpa_flop_count(query, key, value))  # type: ignore[no-untyped-call]

    op = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    return {op: cpu_attention} if op is not None else {}


def _fake_forward(model: Any, input_size: Any, input_data: Any, input_dtype: Any, torch: Any
                  ) -> tuple[dict[str, Shape], dict[str, int]]:
    """Output shape and inclusive FLOPs of each module, from one forward pass on no memory.

    The parameters and buffers are swapped for fake (or meta) copies for the call
    (torch.func.functional_call), so whatever the forward pass writes to them, such as
    BatchNorm's running statistics in training mode, never reaches the model.
    """
    from torch.func import functional_call
    from torch.utils.flop_counter import FlopCounterMode

    on_meta = any(p.is_meta for p in model.parameters() if _shape(p, torch) is not None)
    shapes: dict[str, Shape] = {}
    names = {id(m): path for path, m in model.named_modules()}

    def hook(module: Any, args: Any, output: Any) -> None:
        first = output[0] if isinstance(output, (tuple, list)) and output else output
        if hasattr(first, "shape"):
            shapes.setdefault(names[id(module)], tuple(int(d) for d in first.shape))

    state = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    # Plain tensor attributes a forward pass may set (pruning's pre-hook recomputes .weight):
    # put back afterwards, so no fake tensor stays behind in the model.
    plain = {m: {k: v for k, v in vars(m).items() if isinstance(v, torch.Tensor)}
             for m in model.modules()}
    handles = [m.register_forward_hook(hook) for m in model.modules()]
    counter = FlopCounterMode(display=False, custom_mapping=flop_formulas(torch))
    try:
        with torch.no_grad():
            if on_meta:
                inputs = _inputs(input_size, input_data, input_dtype, torch, "meta", None)
                meta = {k: v.to("meta") for k, v in state.items()}
                with counter:
                    functional_call(model, meta, tuple(inputs), strict=False)
            else:
                from torch._subclasses.fake_tensor import FakeTensorMode

                with FakeTensorMode(allow_non_fake_inputs=True) as mode:
                    inputs = _inputs(input_size, input_data, input_dtype, torch, None, mode)
                    fake: dict[str, Any] = {k: mode.from_tensor(v) for k, v in state.items()}
                    with counter:
                        functional_call(model, fake, tuple(inputs), strict=False)
    except NnsizeError:
        raise
    except Exception as e:  # the model's own forward refused the input
        raise NnsizeError(f"the forward pass of {type(model).__name__} failed on the given "
                          f"input: {type(e).__name__}: {e}") from e
    finally:
        for h in handles:
            h.remove()
        for m, saved in plain.items():
            for k, v in list(vars(m).items()):
                if isinstance(v, torch.Tensor) and k not in saved:
                    delattr(m, k)
            for k, v in saved.items():
                setattr(m, k, v)
    root = type(model).__name__
    flops: dict[str, int] = {}
    for key, ops in counter.get_flop_counts().items():
        if key == "Global":
            continue
        path = "" if key == root else key[len(root) + 1:] if key.startswith(root + ".") else None
        if path is not None:
            flops[path] = int(sum(ops.values()))
    return shapes, flops


def _sized_copy(model: Any, input_size: Any, input_data: Any, input_dtype: Any, torch: Any
                ) -> Any:
    """A copy of a model with lazy modules, sized by one real forward pass on zeros.

    Lazy parameters only get their shapes from a real first call; the copy takes it, so the
    model itself stays uninitialized.  (Lazy models are small until then.)
    """
    import copy

    sized = copy.deepcopy(model)
    try:
        with torch.no_grad():
            if input_data is not None:
                data = input_data if isinstance(input_data, (list, tuple)) else [input_data]
                sized(*[copy.deepcopy(d) for d in data])
            else:
                sizes = input_size if isinstance(input_size[0], (list, tuple)) else [input_size]
                sized(*[torch.zeros(tuple(s), dtype=input_dtype or torch.float32)
                        for s in sizes])
    except Exception as e:
        raise NnsizeError(f"sizing the lazy modules of {type(model).__name__} failed: "
                          f"{type(e).__name__}: {e}") from e
    return sized


def _inputs(input_size: Any, input_data: Any, dtype: Any, torch: Any, device: str | None,
            mode: Any) -> list[Any]:
    if input_data is not None:
        data = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
        if device == "meta":
            return [d.to("meta") if hasattr(d, "to") else d for d in data]
        return [mode.from_tensor(d) if isinstance(d, torch.Tensor) else d for d in data]
    sizes = input_size if input_size and isinstance(input_size[0], (list, tuple)) \
        else [input_size]
    return [torch.empty(tuple(s), dtype=dtype or torch.float32, device=device) for s in sizes]


def summarize(model: Any, input_size: Any = None, input_data: Any = None,
              depth: int | None = None, input_dtype: Any = None) -> Report:
    """The report of a torch.nn.Module; input_size includes the batch, as torchinfo's does."""
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise NnsizeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    modules = list(model.named_modules())
    has_lazy = any(_shape(t, torch) is None for t in model.parameters())
    if has_lazy and (input_size is not None or input_data is not None):
        model = _sized_copy(model, input_size, input_data, input_dtype, torch)
    shapes: dict[str, Shape] = {}
    flops: dict[str, int] = {}
    if input_size is not None or input_data is not None:
        shapes, flops = _fake_forward(model, input_size, input_data, input_dtype, torch)
        modules = list(model.named_modules())
    tensors = _tensors(modules, torch)
    children = {path: [f"{path}.{c}" if path else c for c, _ in m.named_children()]
                for path, m in modules}
    # Inclusive FLOPs bottom-up: a container that is never called itself (a ModuleList) holds
    # what its children did.
    inclusive: dict[str, int] = {}
    for path, _ in reversed(modules):
        below = sum(inclusive.get(c, 0) for c in children[path])
        inclusive[path] = max(flops.get(path, 0), below)
    own_flops = {path: inclusive[path] - sum(inclusive.get(c, 0) for c in children[path])
                 for path, _ in modules}
    rows: list[Row] = []
    for path, module in modules:
        level = 0 if not path else path.count(".") + 1
        if depth is not None and level > depth:
            continue  # folded into its ancestor at `depth`, below
        own = list(tensors[path])
        macs = own_flops[path] // 2
        if depth is not None and level == depth:
            prefix = path + "." if path else ""
            for other, _ in modules:
                if other != path and (not path or other.startswith(prefix)):
                    own += [t.prefixed(other[len(prefix):] + ".") for t in tensors[other]]
                    macs += own_flops[other] // 2
        rows.append(Row(name=path, label=path.rsplit(".", 1)[-1] if path else "",
                        type=type(module).__name__, input_shape=(),
                        output_shape=shapes.get(path, ()), tensors=tuple(own), macs_each=macs,
                        formula=sum_formula(own), index=len(rows), depth=level,
                        saves=_saves(type(module).__name__)))
    size = tuple(input_size) if input_size and isinstance(input_size[0], int) else ()
    # the training planner traces one step of the module at its input sizes (memory/traced.py)
    sizes = [tuple(t.shape) for t in (input_data if isinstance(input_data, (list, tuple))
                                      else [input_data])] if input_data is not None else \
        [tuple(s) for s in input_size] if input_size and not isinstance(input_size[0], int) \
        else [size] if size else []
    dtype = input_data.dtype if isinstance(input_data, torch.Tensor) else input_dtype
    return Report(type(model).__name__, "pytorch", size, tuple(rows),
                  traceable=("torch", model, sizes, dtype))


def _saves(class_name: str) -> Any:
    """What a torch.nn class saves for backward, as nnsize's kind of that name declares it."""
    from ..layers import kind_of

    kind = kind_of(class_name)
    return kind.saves if kind is not None else None


def import_object(target: str) -> Any:
    """The torch.nn.Module named 'package.module:attribute' (called if it is a factory)."""
    import importlib

    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise NnsizeError(f"torch:{target}: write torch:package.module:factory")
    torch = _torch()
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except ImportError as e:
        raise NnsizeError(f"torch:{target}: cannot import {module_name!r} ({e})") from e
    except AttributeError as e:
        raise NnsizeError(f"torch:{target}: {module_name!r} has no {attribute!r}") from e
    if not isinstance(obj, torch.nn.Module):
        if not callable(obj):
            raise NnsizeError(f"torch:{target} is neither a torch.nn.Module nor a factory")
        try:
            obj = obj()
        except Exception as e:
            raise NnsizeError(f"torch:{target}() failed: {type(e).__name__}: {e}") from e
    if not isinstance(obj, torch.nn.Module):
        raise NnsizeError(f"torch:{target} gave a {type(obj).__name__}, not a torch.nn.Module")
    return obj
