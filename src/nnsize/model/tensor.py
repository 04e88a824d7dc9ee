"""A tensor as a count records it, and a parameter count as a sum of products."""

from __future__ import annotations

from collections.abc import Iterator

from ..records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

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
