"""The base of every layer kind (Kind), a kind placed on a moved axis (Placed), and the
annotations and axes a spec's values are read by.

A layer kind is a frozen record (nnsize.records) whose fields are exactly the torch.nn
constructor arguments, registered under the torch.nn class name.  Field annotations name how a
spec value is checked:

    Pos     an int >= 1             NonNeg  an int >= 0            int, float, bool, str
    Size    Pos or a list of Pos    Pads    NonNeg or a list of NonNeg
    Pad     Pads, or "same" / "valid"
    Dims    Pos or a list of Pos    Layer   a nested layer spec (a dict with "type")
    Any     anything                X | None: X or null

Arguments that follow from the incoming shape (in_features, in_channels, ...) are listed in the
kind's ``inferred``: a function of the incoming shape that supplies the value when it is missing.

Shapes are read the way the spelling's framework reads them: a torch.nn kind that has a channel
axis (``channels = True``) takes it first; a Keras spelling takes it last, as Keras' default
data_format does, or where its ``data_format`` / ``axis`` says.  A Keras spelling translated to a
torch.nn kind is built on the shape with that axis moved first and wrapped in ``Placed``, which
moves it back, so every shape a spec shows is the shape its framework shows.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SpecError
from ..model import Formula, Saves, Shape, Tensor, numel, sum_formula
from ..records import MISSING, fields, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    K = TypeVar("K", bound=type)

Pos = int
NonNeg = int
Size = int | tuple[int, ...]
Pads = int | tuple[int, ...]
Pad = int | tuple[int, ...] | str
Dims = tuple[int, ...]
Layer = dict[str, "Any"]

# The largest size, count or index a spec may give: counts stay exact far past any real model
# (10^40 x 10^40 is fine), but a dimension of 10^400 is refused before its digits cost anything.
MAX_INT = 10**100

PYTORCH = "pytorch"
KERAS = "keras"
CONVENTIONS = (PYTORCH, KERAS)
CHANNELS_FIRST = "channels_first"
CHANNELS_LAST = "channels_last"
DATA_FORMATS = (CHANNELS_LAST, CHANNELS_FIRST)

# dtype arguments (torch.nn's factory dtype=, Keras' dtype=): what a parameter is created in.
# Keras' mixed policies compute in 16 bits but keep the variables in float32.
DTYPES = {"float32": "float32", "float": "float32", "float16": "float16", "half": "float16",
          "bfloat16": "bfloat16", "float64": "float64", "double": "float64",
          "mixed_float16": "float32", "mixed_bfloat16": "float32"}


class Kind:
    """Base of every layer kind.  Subclasses are frozen records (@record)."""

    inferred: ClassVar[dict[str, Callable[[Shape], Any]]] = {}
    # torch.nn kinds that read a channel axis, first (Conv2d, BatchNorm2d, MaxPool2d...)
    channels: ClassVar[bool] = False
    # torch.nn kinds whose constructor takes device= and dtype= (those with tensors)
    factory: ClassVar[bool] = False
    # kinds spelled as Keras spells them (their fields are Keras' arguments): Keras' arguments
    # that change nothing counted are dropped before checking, as for translated spellings
    keras: ClassVar[bool] = False
    renamed: ClassVar[dict[str, str]] = {}  # a Keras argument -> the field that holds it
    # What autograd saves for backward (None: not modelled, the planner says so).
    saves: ClassVar[Saves | None] = None

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        """Arguments before checking; kinds with nested layer specs build them here."""
        return args

    def output_shape(self, x: Shape) -> Shape:
        """Shape of the output for an input of shape x (batch excluded); raises SpecError."""
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        """Parameters and buffers, named and shaped as the convention's framework does."""
        return []

    def macs(self, x: Shape) -> int:
        """Multiply-accumulates of one forward pass of one sample (matmuls and convolutions)."""
        return 0

    def saved(self, x: Shape) -> tuple[int, int] | None:
        """What autograd saves for backward, per sample, where this kind knows it as a whole:
        (values at the activation precision, fp32 values).  None: the kind's `saves` applies."""
        return None

    def formula(self, tensors: list[Tensor]) -> Formula:
        """The parameter count as a sum of products: (16 x 3 x 3 x 3) + 16."""
        return sum_formula(tensors)

    def saving(self) -> Saves | None:
        """What autograd saves for backward, as the row records it: the kind's `saves`."""
        return self.saves

    def layout(self, x: Shape) -> str | None:
        """Where this layer reads the channel axis of x: CHANNELS_FIRST, CHANNELS_LAST, or None
        where it has none (or x has one dimension, where first and last are the same)."""
        return CHANNELS_FIRST if self.channels and len(x) >= 2 else None

    def arguments(self) -> tuple[tuple[str, str], ...]:
        """The arguments that differ from their defaults (all required ones), for display."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.default is MISSING or value != f.default:
                text = value.type_name if isinstance(value, Kind) else \
                    list(value) if isinstance(value, tuple) else value
                out.append((f.name, str(text)))
        return tuple(out)

    @property
    def type_name(self) -> str:
        return type(self).__name__


@record
class Placed(Kind):
    """A kind as a spec places it: built on x with axis `source` moved to `target` (Keras'
    channels-last moved first for a torch.nn kind), the output moved back; and the dtype its
    tensors are created in, where the spec gives one."""

    inner: Kind
    source: int = 0
    target: int = 0
    dtype: str | None = None

    def inside(self, x: Shape) -> Shape:
        return move_axis(x, self.source, self.target)

    def output_shape(self, x: Shape) -> Shape:
        try:
            y = self.inner.output_shape(self.inside(x))
        except SpecError as e:
            if self.source == self.target or len(x) < 2:
                raise
            raise SpecError(f"{e}; read as Keras reads it, dimension {self.source + 1} of "
                            f"{list(x)} is the channels (moved first for torch.nn's "
                            f"{self.inner.type_name}: {list(self.inside(x))})") from e
        return move_axis(y, self.target, self.source)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return self.inner.tensors(convention)

    def macs(self, x: Shape) -> int:
        return self.inner.macs(self.inside(x))

    def saved(self, x: Shape) -> tuple[int, int] | None:
        whole = self.inner.saved(self.inside(x))
        saves = self.inner.saving()
        if whole is not None or saves is None or not self._moves_statistics():
            return whole
        # statistics per channel or per row are laid out on the inner kind's axes, which the
        # row's shapes (the spec's) do not show: what it saves is counted here as a whole
        inside = self.inside(x)
        y = self.inner.output_shape(inside)
        values = numel(x) * saves.input + numel(y) * saves.output
        fp32 = saves.channel_stats * (y[0] if y else 1) + \
            saves.row_stats * numel(inside[:-1])
        return values, fp32

    def _moves_statistics(self) -> bool:
        saves = self.inner.saving()
        return self.source != self.target and saves is not None and \
            bool(saves.channel_stats or saves.row_stats) and not saves.mask_bits

    def saving(self) -> Saves | None:
        return self.inner.saving()

    def formula(self, tensors: list[Tensor]) -> Formula:
        return self.inner.formula(tensors)

    def layout(self, x: Shape) -> str | None:
        if len(x) < 2 or self.source == self.target:
            return self.inner.layout(x)
        if (self.source, self.target) == (len(x) - 1, 0):
            return CHANNELS_LAST
        return None

    def arguments(self) -> tuple[tuple[str, str], ...]:
        extra = (("dtype", self.dtype),) if self.dtype else ()
        return self.inner.arguments() + extra

    @property
    def type_name(self) -> str:
        return self.inner.type_name


def move_axis(x: Shape, source: int, target: int) -> Shape:
    """x with dimension `source` moved to position `target` (numpy's moveaxis, one axis)."""
    if source == target or len(x) < 2:
        return x
    rest = [d for i, d in enumerate(x) if i != source]
    rest.insert(target, x[source])
    return tuple(rest)


def channel_axis(data_format: Any, x: Shape, where: str) -> int:
    """The index of the channel axis of x (batch excluded) for a Keras data_format."""
    fmt = CHANNELS_LAST if data_format is None else data_format
    if fmt not in DATA_FORMATS:
        raise SpecError(f"{where}: data_format must be 'channels_last' or 'channels_first', "
                        f"got {data_format!r}")
    return max(len(x) - 1, 0) if fmt == CHANNELS_LAST else 0


def keras_axis(axis: Any, x: Shape, where: str, key: str = "axis") -> int:
    """A Keras axis (counted with the batch at 0; negative from the end) as an index of x."""
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise SpecError(f"{where}: {key} must be one integer here, got {axis!r}")
    d = axis + len(x) + 1 if axis < 0 else axis
    if d == 0:
        raise SpecError(f"{where}: {key}={axis} is the batch dimension, which a spec leaves out")
    if not 1 <= d <= len(x):
        raise SpecError(f"{where}: {key}={axis} is out of range for an input of {len(x)} "
                        f"dimensions plus the batch")
    return d - 1
