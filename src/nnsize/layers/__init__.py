"""Layer kinds, one file per family, each registering its kinds with @register.

A new kind goes into its family's file (and @alias for another framework's spelling); a new
family is a new file named in FAMILIES (registry.py).  Families are imported when a spec first names
a kind they might hold, most common first, so counting an MLP imports dense.py alone.

What every layer kind shares, in three modules, is named here together (a family imports it
from this package):

    kind       the base of every layer kind (Kind, Placed), the annotations a field is read by
               (Pos, Size, Pads...), the conventions and the axis helpers
    arguments  a spec's value checked against its field's annotation; the shape helpers
    registry   the kinds by name, each family imported when first named; build() a kind
"""

from __future__ import annotations

from .arguments import (
    check_value,
    first,
    last,
    need_rank,
    ntuple,
    pick,
    product,
)
from .kind import (
    CHANNELS_FIRST,
    CHANNELS_LAST,
    CONVENTIONS,
    DATA_FORMATS,
    DTYPES,
    KERAS,
    MAX_INT,
    PYTORCH,
    Dims,
    Kind,
    Layer,
    NonNeg,
    Pad,
    Pads,
    Placed,
    Pos,
    Size,
    channel_axis,
    keras_axis,
    move_axis,
)
from .registry import (
    ALIASES,
    FAMILIES,
    REGISTRY,
    SHARED,
    Translation,
    Translator,
    alias,
    build,
    from_args,
    kind_of,
    known_types,
    load_all,
    register,
)

__all__ = ["ALIASES", "CHANNELS_FIRST", "CHANNELS_LAST", "CONVENTIONS", "DATA_FORMATS", "DTYPES",
           "Dims", "FAMILIES", "KERAS", "Kind", "Layer", "MAX_INT", "NonNeg", "PYTORCH", "Pad",
           "Pads", "Placed", "Pos", "REGISTRY", "SHARED", "Size", "Translation", "Translator",
           "alias", "build", "channel_axis", "check_value", "first", "from_args", "keras_axis",
           "kind_of", "known_types", "last", "load_all", "move_axis", "need_rank", "ntuple",
           "pick", "product", "register"]
