"""nnsize.model shows what a Report and a Row can do: their methods are in the classes, not
attached from elsewhere at import; and a Report is frozen and hashable."""

from __future__ import annotations

import pytest

import nnsize
from nnsize.model import Report, Row
from nnsize.records import FrozenInstanceError, fields


@pytest.mark.parametrize("cls, names", [
    (Report, ("memory", "to_dict", "__str__", "_repr_html_", "to_dataframe", "layers")),
    (Row, ("formula_text", "to_dict")),
])
def test_methods_are_defined_in_the_class(cls: type, names: tuple[str, ...]) -> None:
    for name in names:
        assert name in vars(cls), f"{cls.__name__}.{name} is not defined in nnsize.model"


def test_a_report_is_frozen_and_hashable() -> None:
    a, b = nnsize.count("10-20-20-20-2"), nnsize.count("10-20-20-20-2")
    with pytest.raises(FrozenInstanceError):
        a.total_params = 0  # type: ignore[misc]
    assert a == b and hash(a) == hash(b)
    assert len({a, b, nnsize.count("llama-3.1-8b")}) == 2


def test_the_presenters() -> None:
    report = nnsize.count("10-20-20-20-2")
    # (10 x 20) + 20 = 220: the first layer's weights and biases
    assert report.layers[0].formula_text == "(10 x 20) + 20 = 220"
    assert report.memory["fp32"] == 1102 * 4 == 4408
    assert report.to_dict()["total_params"] == 1102
    assert report.layers[0].to_dict()["params"] == 220
    assert str(report).startswith("10-20-20-20-2  (input shape [10]")
    assert "<table" in report._repr_html_()


def test_a_stored_tensor_is_the_tensor_the_constructor_makes() -> None:
    """Tensor.stored (the importers' cheap constructor) sets every field, as __init__ does: the
    same value, hash, text and fields, and frozen alike."""
    from nnsize.model import Tensor

    for args, kwargs in [(("a.weight", (2, 2), "weight"), {}),
                         (("a.bias", (2,), "bias"), {"buffer": True}),
                         (("lm_head.weight", (8, 4), "weight"), {"shared_with": "embed.weight"})]:
        fast, slow = Tensor.stored(*args, **kwargs), Tensor(*args, **kwargs)  # type: ignore[arg-type]
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
        assert vars(fast) == {f.name: getattr(slow, f.name) for f in fields(Tensor)}
        with pytest.raises(FrozenInstanceError):
            fast.name = "b"  # type: ignore[misc]


def test_a_reports_stored_contents_are_frozen_too() -> None:
    """A Report is frozen, and what it stores of a file with it: a change is refused by name,
    replace() makes another Report, and the contents survive a pickle (the planner's child
    processes send Reports back) and JSON as a plain object."""
    import json
    import pickle

    from nnsize.model import Report
    from nnsize.records import FrozenInstanceError, replace

    report = Report("x", "pytorch", (), (), stored={"format": "gguf"})
    with pytest.raises(FrozenInstanceError, match="replace"):
        report.stored["format"] = "safetensors"
    with pytest.raises(FrozenInstanceError):
        report.stored.update({"quantized": True})
    other = replace(report, stored={**report.stored, "quantized": True})
    assert (report.stored, other.stored) == ({"format": "gguf"},
                                             {"format": "gguf", "quantized": True})
    assert pickle.loads(pickle.dumps(other)).stored == other.stored
    assert json.dumps(other.stored) == '{"format": "gguf", "quantized": true}'
    assert hash(report) == hash(other)  # the contents are left out of the hash
