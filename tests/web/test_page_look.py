"""How the page looks and reads: axe-core on every tab, light and dark, desktop and phone, with a
screenshot of each under tests/output/; the answer at the top at a glance."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

OUTPUT = Path(__file__).parent.parent / "output"
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}


def _checkpoint_link() -> str:
    """A permalink to a dropped safetensors file: its header travels in the link."""
    import base64
    from urllib.parse import urlencode

    header = json.dumps({"embed.weight": {"dtype": "BF16", "shape": [32000, 512],
                                          "data_offsets": [0, 32_768_000]},
                         "proj.weight": {"dtype": "F32", "shape": [512, 512],
                                         "data_offsets": [32_768_000, 33_816_576]}}).encode()
    raw = struct.pack("<Q", len(header)) + header
    return "#" + urlencode({"mode": "file", "format": "safetensors", "size": len(raw) + 33_816_576,
                            "fname": "model.safetensors",
                            "header": base64.b64encode(raw).decode()})


# every tab, each with what it shows when it has a model: the total it must reach
TABS = {
    "calculator": ("", "1,102"),
    "layers": ("#mode=spec", "41,418"),
    "presets": ("#mode=preset&preset=deepseek-v3&gpu=h100&gpus=8", "671,026,404,352"),
    "file": (_checkpoint_link(), "16,646,144"),  # 32,000 x 512 + 512 x 512
}


def _open(browser: Any, server: str, viewport: dict[str, int], scheme: str, hash_: str) -> Any:
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    page.goto(server + "/" + hash_)
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("tab", list(TABS))
def test_no_axe_violations_and_a_screenshot(browser: Any, server: str, tab: str, device: str,
                                            scheme: str) -> None:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    hash_, total = TABS[tab]
    page = _open(browser, server, DESKTOP if device == "desktop" else PHONE, scheme, hash_)
    page.wait_for_function("(t) => document.getElementById('total-params').textContent === t",
                           arg=total, timeout=30_000)
    page.wait_for_function("document.getElementById('plan-table').rows.length > 1",
                           timeout=30_000)
    results = axe.Axe().run(page)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{tab}-{device}-{scheme}.png"), full_page=True)
    assert results.violations_count == 0, results.generate_report()
    page.context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_answer_comes_first_and_the_memory_card_stays_short(browser: Any, server: str,
                                                                  device: str) -> None:
    viewport = DESKTOP if device == "desktop" else PHONE
    page = _open(browser, server, viewport, "light", TABS["presets"][0])
    page.wait_for_function("document.getElementById('total-params').textContent === "
                           "'671,026,404,352'", timeout=30_000)
    page.wait_for_function("document.getElementById('verdict').textContent.includes('h100')",
                           timeout=30_000)
    for selector in ("#verdict", "#total-params", "#memory-fp32"):
        box = page.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], selector  # no scrolling needed
    if device == "phone":  # the cards and the verdict before the inputs
        assert page.locator("#answer").bounding_box()["y"] < \
            page.locator("#panel-preset").bounding_box()["y"]
    # the memory card is three lines: its title, the size, the exact bytes; none wraps
    lines = page.evaluate("""[...document.querySelectorAll(
        '#memory-fp32 .big, #memory-fp32 .sub, #memory-fp32 + dt, .card.wide:last-child dt')]
        .map((e) => e.getBoundingClientRect().height /
                    parseFloat(getComputedStyle(e).lineHeight))""")
    assert len(lines) == 3 and all(n < 1.5 for n in lines), lines
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]  # nothing scrolls the page sideways
    page.context.close()
