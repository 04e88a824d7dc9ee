"""NumPy .npz archives against NumPy's own reading of them: names, shapes, bytes; never an array."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

import nnsize
from nnsize.cli import main
from nnsize.errors import SpecError

np = pytest.importorskip("numpy")


def test_names_and_shapes_are_numpys(tmp_path: Path) -> None:
    arrays = {"fc1.weight": np.zeros((20, 10), "f4"), "fc1.bias": np.zeros(20, "f4"),
              "fc2.weight": np.zeros((2, 20), "f2"), "steps": np.zeros((), "i8")}
    for save in (np.savez, np.savez_compressed):
        path = tmp_path / f"{save.__name__}.npz"
        save(path, **arrays)
        report = nnsize.count(str(path))
        ours = {n: t.shape for row in report.rows for t in row.tensors for n in t.names()}
        with np.load(path) as theirs:
            assert ours == {n: theirs[n].shape for n in theirs.files}
        # 20 x 10 + 20 + 2 x 20 = 260 (steps, an integer, is bookkeeping: a buffer)
        assert report.total_params == 260


def test_the_data_is_never_read(tmp_path: Path) -> None:
    """A header that claims 10^12 floats, and no data after it: counted from the header."""
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)
    assert nnsize.count(str(path)).total_params == 10**12


@pytest.mark.parametrize(("arrays", "says"), [
    ({"names": np.array(["a", "b"])}, "dtype '<U1'"),
    ({"objects": np.array([None], dtype=object)}, "dtype '|O'"),
])
def test_what_is_not_numbers_is_refused_by_name(tmp_path: Path, arrays: dict[str, object],
                                                 says: str) -> None:
    path = tmp_path / "odd.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=says):
        nnsize.count(str(path))


def test_not_a_zip_is_one_line_and_exit_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "not.npz"
    path.write_bytes(b"PK\x03\x04 nothing more")
    assert main([str(path)]) == 2
    assert "not an .npz archive" in capsys.readouterr().err
