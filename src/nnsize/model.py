"""What a count produces: tensors, layer rows and the report that sums them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Shape = tuple[int, ...]

ROLES = ("weight", "bias", "norm", "embedding", "statistic", "other")


def numel(shape: Shape) -> int:
    """Elements of a tensor of this shape; () is a scalar with one element."""
    n = 1
    for d in shape:
        n *= d
    return n


@record
class Tensor:
    """One parameter or buffer, named as the framework names it.

    role: weight | bias | norm (scale or shift of a normalization) | embedding | statistic
    (running mean / variance / counter) | other.  copies > 1 stands for that many tensors of one
    shape whose names differ only by the index written ``{i}`` in name (layers.{i}.weight).
    """

    name: str
    shape: Shape
    role: str
    trainable: bool = True
    buffer: bool = False
    dims: tuple[str, ...] = ()
    copies: int = 1
    shared_with: str = ""  # the same tensor as this one, where it is counted (tied weights)
    start: int = 0  # the first index {i} stands for, when copies > 1

    @classmethod
    def stored(cls, name: str, shape: Shape, role: str, buffer: bool = False,
               shared_with: str = "") -> Tensor:
        """Tensor(name, shape, role, buffer=buffer, shared_with=shared_with), the same in every
        field, at less cost: one dict update, where __init__ loops over the nine fields; a
        checkpoint's importer builds one Tensor per stored tensor (150,000 at the stated
        limit)."""
        t = object.__new__(cls)
        t.__dict__.update(name=name, shape=shape, role=role, trainable=True, buffer=buffer,
                          dims=(), copies=1, shared_with=shared_with, start=0)
        return t

    @property
    def numel(self) -> int:
        return numel(self.shape) * self.copies

    @property
    def counted(self) -> int:
        """Elements this entry adds to the totals: none for a tensor counted elsewhere."""
        return 0 if self.shared_with else self.numel

    def names(self) -> Iterator[str]:
        """Every concrete name this entry stands for."""
        if "{i}" not in self.name:
            yield self.name
        else:
            for i in range(self.start, self.start + self.copies):
                yield self.name.replace("{i}", str(i))

    def prefixed(self, prefix: str) -> Tensor:
        return Tensor(f"{prefix}{self.name}", self.shape, self.role, self.trainable,
                      self.buffer, self.dims, self.copies, self.shared_with, self.start)


Term = tuple[int, Shape]  # (copies, shape): copies x the product of the shape's dimensions
Formula = tuple[Term, ...]  # a parameter count as a sum of such products; () is 0


def sum_formula(tensors: list[Tensor] | tuple[Tensor, ...]) -> Formula:
    """The parameters as a sum of products, one term per parameter tensor counted here:
    a weight 16 x 3 x 3 x 3 and a bias 16 -> ((1, (16, 3, 3, 3)), (1, (16,)))."""
    return tuple((t.copies, t.shape) for t in tensors if not t.buffer and not t.shared_with)


@record
class Saves:
    """What autograd keeps for backward, per sample, as a layer kind declares it."""

    input: bool = False  # the layer's input
    output: bool = False  # its output
    mask_bits: int = 0  # bits per output element of a mask or indices (dropout 8, max-pool 64)
    channel_stats: int = 0  # fp32 values per channel (the output's first dimension)
    row_stats: int = 0  # fp32 values per row (every dimension but the last)
    view: bool = False  # the input's storage under another shape (Flatten): nothing new


@record
class Row:
    """One layer of a report, or a run of `repeat` identical layers counted once and multiplied."""

    name: str
    label: str
    type: str
    input_shape: Shape
    output_shape: Shape
    tensors: tuple[Tensor, ...]
    macs_each: int
    formula: Formula  # the parameters of one repeat as a sum of products: (10 x 20) + 20
    repeat: int = 1
    index: int = 0  # position of the first of these layers in the flattened network
    # How the repeats are laid out, innermost first: (count, positions between two of them).
    steps: tuple[tuple[int, int], ...] = ()
    args: tuple[tuple[str, str], ...] = ()  # the layer's arguments that differ from defaults
    depth: int = -1  # in a module tree: 0 for the root, 1 for its children...; -1 in a sequence
    qualified: bool = False  # tensor names are full already (configs, checkpoints, ONNX)
    active_each: int | None = None  # parameters used per token, where fewer than all (experts)
    # what autograd saves for backward per sample, where the layer kind knows it as a whole:
    # (values at the activation precision, fp32 values)
    saved: tuple[int, int] | None = None
    saves: Saves | None = None  # what it saves, as its layer kind declares it

    @property
    def active(self) -> int:
        return self.params if self.active_each is None else self.active_each * self.repeat

    def positions(self) -> Iterator[int]:
        """Flat positions of every layer this row stands for (expands repeats)."""
        import itertools

        ranges = [range(count) for count, _ in self.steps]
        for combo in itertools.product(*ranges):
            yield self.index + sum(c * step for c, (_, step) in zip(combo, self.steps))

    def named(self) -> Iterator[tuple[str, Tensor]]:
        """(full name, tensor) for every tensor this row stands for, repeats expanded: the row's
        name (or each repeat's position) before the tensor's own, unless already qualified."""
        for t in self.tensors:
            for name in t.names():
                if self.qualified:
                    yield name, t
                elif self.steps:
                    for position in self.positions():
                        yield f"{position}.{name}", t
                else:
                    yield (f"{self.name}.{name}" if self.name else name), t

    @property
    def last_position(self) -> int:
        return self.index + sum((count - 1) * step for count, step in self.steps)

    def _sum(self, keep: Any) -> int:
        return sum(t.counted for t in self.tensors if keep(t)) * self.repeat

    @property
    def _each(self) -> tuple[int, int, int, int, int, int]:
        """Of one repeat: (parameters, weights, biases, other trainable, non-trainable,
        buffers), trainable ones by role; one pass over the tensors, kept (the row is frozen:
        a report of 150,000 rows asks each row several times)."""
        kept: tuple[int, int, int, int, int, int] | None = self.__dict__.get("_each_kept")
        if kept is None:
            kept = self._count_each()
            object.__setattr__(self, "_each_kept", kept)
        return kept

    def _count_each(self) -> tuple[int, int, int, int, int, int]:
        params = weights = biases = other = frozen = buffers = 0
        for t in self.tensors:
            n = t.counted
            if t.buffer:
                buffers += n
                continue
            params += n
            if not t.trainable:
                frozen += n
            elif t.role == "weight":
                weights += n
            elif t.role == "bias":
                biases += n
            else:
                other += n
        return params, weights, biases, other, frozen, buffers

    @property
    def params_each(self) -> int:
        return self._each[0]

    @property
    def params(self) -> int:
        return self._each[0] * self.repeat

    @property
    def weights(self) -> int:
        return self._each[1] * self.repeat

    @property
    def biases(self) -> int:
        return self._each[2] * self.repeat

    @property
    def other_trainable(self) -> int:
        return self._each[3] * self.repeat

    @property
    def trainable(self) -> int:
        return (self._each[1] + self._each[2] + self._each[3]) * self.repeat

    @property
    def non_trainable(self) -> int:
        return self._each[4] * self.repeat

    @property
    def buffers(self) -> int:
        return self._each[5] * self.repeat

    @property
    def macs(self) -> int:
        return self.macs_each * self.repeat

    # What a user reaches from a row.  The records above are numbers; these present them, each
    # importing render/ when first called (a lazy import: the data never calls them, and
    # tests/test_imports.py allows exactly these upward edges, inside functions only).
    @property
    def formula_text(self) -> str:
        """'(10 x 20) + 20 = 220', or '3 x ((20 x 20) + 20) = 1,260' for a repeated layer."""
        from .render.formula import formula_text

        return formula_text(self)

    def to_dict(self) -> dict[str, Any]:
        """The row as `nnsize --json` writes it under `layers`."""
        from .render.json import row_dict

        return row_dict(self)


@record
class AttentionLayer:
    """What one decoder layer keeps per token in its KV cache.

    kv_heads x (key_dim + value_dim) values a token, or, for multi-head latent attention
    (DeepSeek), latent_dim values (the compressed cache serving engines keep).  window: a sliding
    window's length (the cache holds window - 1 past tokens, as transformers keeps them).
    """

    heads: int
    kv_heads: int
    key_dim: int
    value_dim: int
    window: int | None = None
    latent_dim: int | None = None
    # reads the keys and values an earlier layer cached (Gemma 3n's and Gemma 4's last
    # num_kv_shared_layers layers): it attends, and caches nothing of its own
    shared_kv: bool = False


Run = tuple[tuple[AttentionLayer, ...], int]  # a block of consecutive layers, and its repeats


@record
class Layers:
    """A decoder's attention layers as runs of repeated blocks, so that a model of 10^15 layers
    (or of 10^6 alternating local and global ones) is a few entries:

        Layers.periodic((local, global), 5)  ->  local global local global local
    """

    runs: tuple[Run, ...]

    @staticmethod
    def of(layers: Iterable[AttentionLayer]) -> Layers:
        """Layers listed one by one; equal neighbours merge into one run."""
        runs: list[list[Any]] = []
        for layer in layers:
            if runs and runs[-1][0] == (layer,):
                runs[-1][1] += 1
            else:
                runs.append([(layer,), 1])
        return Layers(tuple((block, n) for block, n in runs))

    @staticmethod
    def periodic(block: tuple[AttentionLayer, ...], count: int) -> Layers:
        """count layers that repeat block, the last repeat cut short where count ends."""
        whole, rest = divmod(count, len(block))
        runs = [(block, whole)] if whole else []
        return Layers(tuple(runs + ([(block[:rest], 1)] if rest else [])))

    def __len__(self) -> int:
        return sum(len(block) * n for block, n in self.runs)

    def __getitem__(self, i: int) -> AttentionLayer:
        if i < 0:
            i += len(self)
        for block, n in self.runs:
            if 0 <= i < len(block) * n:
                return block[i % len(block)]
            i -= len(block) * n
        raise IndexError("layer index out of range")

    def __iter__(self) -> Iterator[AttentionLayer]:
        """Every layer one by one (meant for small models and tests; see counts())."""
        for block, n in self.runs:
            for _ in range(n):
                yield from block

    def split_counts(self, at: int) -> list[tuple[AttentionLayer, int, int]]:
        """Each distinct layer with how many like it come before index at, and from at on."""
        out: dict[AttentionLayer, list[int]] = {}
        position = 0
        for block, n in self.runs:
            for j, layer in enumerate(block):
                first = position + j  # this layer's indexes: first + k x len(block), k < n
                # how many of them are >= at: k >= ceil((at - first) / len(block))
                skip = min(n, max(0, -(-(at - first) // len(block))))
                counts = out.setdefault(layer, [0, 0])
                counts[0] += skip
                counts[1] += n - skip
            position += len(block) * n
        return [(layer, before, after) for layer, (before, after) in out.items()]

    def counts(self) -> list[tuple[AttentionLayer, int]]:
        """Each distinct layer with how many layers are like it, in order of first use."""
        out: dict[AttentionLayer, int] = {}
        for block, n in self.runs:
            for layer in block:
                out[layer] = out.get(layer, 0) + n
        return list(out.items())


@record
class Decoder:
    """The shape of a decoder-only language model, for the memory and compute planner."""

    hidden: int
    intermediate: int
    vocab: int
    layers: Layers
    experts_per_token: int = 0  # 0: dense
    expert_intermediate: int = 0
    # Learned position embeddings: the longest sequence the model can read (0: no such table;
    # rotary and ALiBi models have no hard limit, only the length they were trained at).
    positions: int = 0
    # values one sequence keeps whatever its length (Mamba's convolution and SSM state)
    state_values: int = 0
    # feature tokens one image becomes in the context (image-text models; 0: text only)
    image_tokens: int = 0
    # SSM state elements over all state-space layers (Mamba: inner x N a layer; Mamba-2:
    # heads x head_dim x N): a token updates each (h = dA h + dB x) and reads it (y = C h)
    scan_values: int = 0
    # state-space layers, beside the attention layers in `layers` (Mamba: all of them; Jamba:
    # those that are not attention)
    state_layers: int = 0


@record
class EncoderDecoder:
    """An encoder-decoder's caches, as transformers' EncoderDecoderCache keeps them: every
    decoder layer caches self-attention keys and values per decoder token, and cross-attention
    keys and values per encoder token (computed once from the encoder's output).

        bytes = batch x layers x (self_values x decoder tokens + cross_values x encoder tokens)
                x bytes per value
    """

    layers: int  # decoder layers, each with self- and cross-attention
    self_values: int  # per decoder token and layer: 2 x heads x head_dim
    cross_values: int  # per encoder token and layer: 2 x heads x head_dim
    # the encoder's fixed length (Whisper: max_source_positions, 1,500 frames for 30 s of
    # audio); 0: a text encoder, as long as its input
    encoder_length: int = 0


def _totals(rows: tuple[Row, ...]) -> dict[str, int]:
    """The sums of Row's properties over rows, in one pass over the tensors (a checkpoint of a
    million tensors is summed in a second, not in eight passes through properties)."""
    weights = biases = other = trainable = frozen = buffers = macs = active = 0
    for r in rows:
        w = b = o = t = f = buf = 0
        for x in r.tensors:
            if x.shared_with:
                continue
            n = numel(x.shape) * x.copies
            if x.buffer:
                buf += n
            elif x.trainable:
                t += n
                if x.role == "weight":
                    w += n
                elif x.role == "bias":
                    b += n
                else:
                    o += n
            else:
                f += n
        k = r.repeat
        weights += w * k
        biases += b * k
        other += o * k
        trainable += t * k
        frozen += f * k
        buffers += buf * k
        macs += r.macs_each * k
        active += (t + f) * k if r.active_each is None else r.active_each * k
    return {"weights": weights, "biases": biases, "other_trainable": other,
            "trainable_params": trainable, "non_trainable_params": frozen, "buffers": buffers,
            "macs": macs, "active_params": active}


@record
class Report:
    """The count of one network: its rows, totals and parameter memory per precision."""

    source: str
    convention: str
    input_shape: Shape
    rows: tuple[Row, ...]
    # What a file holds beside the count: per-dtype elements and bytes of a checkpoint...
    # (left out of the hash, as a dict cannot be hashed; the rest of a Report is frozen)
    stored: dict[str, Any] = field(default_factory=dict, hash=False)
    decoder: Decoder | None = None  # for language models counted from a config
    encoder_decoder: EncoderDecoder | None = None  # for encoder-decoders counted from a config
    # what the training planner runs one step of on fake tensors (memory/traced.py) where it has
    # no formulas of its own: ("config", the config dict) or ("torch", module, input size, dtype)
    traceable: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)
    total_params: int = field(init=False)
    trainable_params: int = field(init=False)
    non_trainable_params: int = field(init=False)
    weights: int = field(init=False)
    biases: int = field(init=False)
    other_trainable: int = field(init=False)
    buffers: int = field(init=False)
    macs: int = field(init=False)
    active_params: int = field(init=False)

    def __post_init__(self) -> None:
        totals = _totals(self.rows)
        totals["total_params"] = totals["trainable_params"] + totals["non_trainable_params"]
        for k, v in totals.items():
            object.__setattr__(self, k, v)

    @property
    def output_shape(self) -> Shape:
        if self.rows and self.rows[0].depth >= 0:  # a module tree: the root's output
            return self.rows[0].output_shape
        return self.rows[-1].output_shape if self.rows else self.input_shape

    @property
    def is_tree(self) -> bool:
        return bool(self.rows) and self.rows[0].depth >= 0

    def with_children(self, row: Row) -> tuple[int, int]:
        """(parameters, multiply-accumulates) of a module tree row and all rows below it."""
        prefix = row.name + "."
        below = [r for r in self.rows if row.depth == 0 or r is row or r.name.startswith(prefix)]
        return sum(r.params for r in below), sum(r.macs for r in below)

    @property
    def layers(self) -> tuple[Row, ...]:
        return self.rows

    def named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        """(full name, tensor) for every tensor of the flattened network, repeats expanded.

        Names are those of the same layers in a torch.nn.Sequential: '<index>.<tensor name>'.
        Expands repeats one by one: meant for small networks and tests.
        """
        for row in self.rows:
            yield from row.named()

    def tensor_list(self, limit: int = 100_000) -> list[tuple[str, Tensor]]:
        """named_tensors() as a list, refused past limit entries (a billion repeated layers
        are counted in constant time, but not listed)."""
        from .errors import NnsizeError

        out: list[tuple[str, Tensor]] = []
        for row in self.rows:
            if row.repeat > limit:
                raise NnsizeError(f"layer {row.name} repeats {row.repeat:,} times: too many to "
                                  f"list one by one")
            out += row.named()
            if len(out) > limit:
                raise NnsizeError(f"more than {limit:,} tensors: too many to list one by one")
        return out

    # What a user reaches from a report, presented by render/ (imported when first called;
    # see Row above): its memory per precision, its JSON, its text, HTML and DataFrame.
    @property
    def memory(self) -> dict[str, int]:
        """Bytes of the parameters at each precision of the parameter table."""
        from .precision import memory_table

        return memory_table(self.total_params)

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints with --json."""
        from .render.json import report_dict

        return report_dict(self)

    def __str__(self) -> str:
        """The table `nnsize` prints."""
        from .render.report import render

        return render(self, "table")

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter."""
        from .render.report import html

        return html(self)

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:
            from .errors import NnsizeError

            raise NnsizeError("to_dataframe() needs pandas: pip install pandas") from e
        from .render.report import CSV_COLUMNS, csv_rows

        return pd.DataFrame(csv_rows(self), columns=CSV_COLUMNS)
