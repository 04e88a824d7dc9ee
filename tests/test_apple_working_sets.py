"""Metal's recommendedMaxWorkingSetSize as logs print it (tests/data/apple_working_sets.json)
against nnsize's rule (gpus.apple_working_set) and the catalogue's Apple cards (issue 23)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from nnsize.gpus import GPUS, apple_working_set

import paths

DATA = json.loads((paths.DATA / "apple_working_sets.json").read_text(encoding="utf-8"))
LOGS = DATA["logs"]
SCALE = {"MiB": 2**20, "GiB": 2**30, "MB": 10**6}
MACOS_26 = "2025-09-15"  # macOS 26's release: a log dated before it ran an earlier macOS
GiB = 2**30


def _before_26(log: dict[str, object]) -> bool:
    return log["macos"] is None and log["date"] is not None and str(log["date"]) < MACOS_26


def _rule(log: dict[str, object]) -> Decimal:
    """The rule's figure in the log's unit."""
    return Decimal(apple_working_set(int(str(log["ram_gib"])) * GiB)) / SCALE[str(log["unit"])]


def test_every_log_carries_its_source_and_line() -> None:
    for log in LOGS:
        assert str(log["url"]).startswith("https://github.com/"), log
        assert str(log["figure"]).replace(".", "").replace(",", "") in \
            str(log["line"]).replace(".", "").replace(",", ""), log  # the figure as printed
        assert log["unit"] in DATA["units"] and log["ram_source"], log


@pytest.mark.parametrize("log", [g for g in LOGS if g["ram_gib"] and _before_26(g)],
                         ids=lambda g: f"{g['chip']}-{g['ram_gib']}GiB")
def test_the_rule_matches_every_log_before_macos_26(log: dict[str, object]) -> None:
    # 2/3 x 16 GiB = 10,922.67 MiB (logged 10922.67); 2/3 x 32 GiB = 21,845.33 MiB (logged
    # 21845.34: Metal rounds up to a 16 KiB page, 22,906,503,168 B = 21,845.34 MiB);
    # 3/4 x 64 GiB = 49,152 MiB; 3/4 x 96 GiB = 73,728 MiB; 3/4 x 192 GiB = 147,456 MiB
    printed = Decimal(str(log["figure"]))
    assert abs(printed - _rule(log)) <= Decimal("0.01"), (printed, _rule(log))


def test_the_rule_by_size() -> None:
    # the two fractions and where they meet: 36 GiB x 2/3 = 24 GiB; 64 GiB x 3/4 = 48 GiB
    assert apple_working_set(32 * GiB) == 32 * GiB * 2 // 3 == 22_906_492_245
    assert apple_working_set(36 * GiB) == 24 * GiB
    assert apple_working_set(64 * GiB) == 48 * GiB
    sizes = sorted({int(g["ram_gib"]) for g in LOGS if g["ram_gib"] and _before_26(g)})
    assert sizes == [16, 32, 64, 96, 192]  # what the rule rests on: 7 logs at 5 sizes
    assert len([g for g in LOGS if g["ram_gib"] and _before_26(g)]) == 7


def test_macos_26_gives_the_gpu_more_so_the_rule_is_a_floor_there() -> None:
    # an M3 with 16 GiB: 11.84 GiB = 0.74 of it, against the rule's 10.67 (2/3);
    # an M5 Max on macOS 26 with 128 GiB: 107.52 GiB = 0.84, against the rule's 96 (3/4)
    later = {(g["chip"], g["ram_gib"]): Decimal(str(g["figure"])) for g in LOGS
             if g["ram_gib"] and not _before_26(g) and g["date"]}
    assert later == {("M3", 16): Decimal("11.84"), ("M5 Max", 128): Decimal("107.52")}
    for (_, ram), figure in later.items():
        assert figure * GiB > apple_working_set(ram * GiB)
    assert round(Decimal("11.84") / 16, 2) == Decimal("0.74")
    assert round(Decimal("107.52") / 128, 2) == Decimal("0.84")


def test_the_unit_changed_from_mib_to_mb() -> None:
    # one log prints the same figure both ways: 5,726.63 MB (/ 1e6) at start-up and 5,461.34
    # in the buffer lines (/ 2^20): 5,726.63e6 / 1,048,576 = 5,461.34
    log = next(g for g in LOGS if g["unit"] == "MB")
    assert "5461.34" in str(log["line"])
    assert round(Decimal(str(log["figure"])) * 10**6 / 2**20, 2) == Decimal("5461.34")


LOGGED = {"m1", "m1-7", "m1-max", "m1-max-24", "m2-max", "m2-max-30", "m2-ultra", "m2-ultra-60"}


def test_cards_with_a_log_use_it_and_the_others_the_rule() -> None:
    apple = [g for g in GPUS.values() if g.unified]
    assert len(apple) == 30
    assert {g.name for g in apple if g.metal_bytes} == LOGGED
    urls = {str(g["url"]) for g in LOGS}
    for g in apple:
        if g.metal_bytes:
            assert g.usable == g.metal_bytes and g.metal_source.split(" ")[0] in urls
            # the logged figure is the rule's to the printed 0.01 MiB: 10,922.67 MiB =
            # 11,453,249,617 B against 16 GiB x 2/3 = 11,453,246,122 B
            assert abs(g.metal_bytes - apple_working_set(g.bytes)) <= 2**20 // 100
            assert "as logged on" in g.checked
        else:
            assert g.usable == apple_working_set(g.bytes) and "no log" in g.checked
    assert GPUS["m2-max"].usable == 73_728 * 2**20 == 96 * GiB * 3 // 4
    assert GPUS["m1"].usable == int(Decimal("10922.67") * 2**20) == 11_453_249_617


def test_the_verdict_names_the_log() -> None:
    from nnsize.cli import run

    out = run(["fit", "llama-3.1-8b", "--gpu", "m2-max"])
    assert "usable 72.00 GiB = macOS's GPU limit on unified memory, Metal's " \
           "recommendedMaxWorkingSetSize as a log of this memory shows it " \
           "(https://github.com/ggml-org/llama.cpp/issues/3213" in out
    out = run(["fit", "llama-3.1-8b", "--gpu", "m3-max"])  # no log: the rule, said so
    assert "usable 96.00 GiB = 3/4 of it" in out and "before macOS 26" in out
