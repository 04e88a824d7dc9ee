"""The page in a real Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

OUTPUT = Path(__file__).parent.parent / "output"


def totals(page: Any) -> tuple[str, str, str]:
    return (page.inner_text("#total-weights"), page.inner_text("#total-biases"),
            page.inner_text("#total-params"))


def wait_for(page: Any, total: str) -> None:
    page.wait_for_function(f"document.getElementById('total-params').textContent === '{total}'",
                           timeout=10_000)


@pytest.fixture
def page(browser: Any, server: str) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    p = context.new_page()
    p.goto(server + "/")
    yield p
    context.close()


def test_first_load_shows_the_original_calculator(page: Any) -> None:
    wait_for(page, "1,102")
    assert totals(page) == ("1,040", "62", "1,102")
    assert page.input_value("#inputs") == "10" and page.input_value("#hidden") == "3"
    assert page.input_value("#neurons") == "20" and page.input_value("#outputs") == "2"
    assert "4,408 B" in page.inner_text("#memory-fp32")
    assert "(10 x 20) + 20 = 220" in page.inner_text("#layers")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "calculator.png"), full_page=True)


def test_every_keystroke_updates_the_results(page: Any) -> None:
    wait_for(page, "1,102")
    page.fill("#hidden", "4")  # 220 + 3 x 420 + 42 = 1,522; no submit button
    wait_for(page, "1,522")
    assert totals(page) == ("1,440", "82", "1,522")


def test_growth_chart(page: Any) -> None:
    wait_for(page, "1,102")
    page.wait_for_function("document.querySelectorAll('#growth-width circle').length === 6")
    assert "~width^1.9" in page.text_content("#growth-width")
    assert "~depth^1.0" in page.text_content("#growth-depth")


def test_keyboard_alone(page: Any) -> None:
    wait_for(page, "1,102")
    page.focus("#outputs")
    page.keyboard.press("Control+A")
    page.keyboard.type("5")  # 1,102 - 42 + (20 x 5 + 5) = 1,165
    wait_for(page, "1,165")


def test_a_count_above_2_to_the_53_is_exact(page: Any) -> None:
    page.fill("#shorthand", "1000000000-1000000000")
    wait_for(page, "1,000,000,001,000,000,000")


def test_picking_a_preset(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")  # llama-3.1-8b
    page.select_option("#preset", "resnet50")
    wait_for(page, "25,557,032")
    assert "torchvision" in page.inner_text("#preset-source")


def test_the_layer_editor_and_the_spec_text_edit_one_network(page: Any) -> None:
    page.click("#tab-spec")
    wait_for(page, "41,418")  # the default CNN: 448 + (16 x 16 x 16) x 10 + 10
    page.fill("#editor tbody tr:nth-child(1) td:nth-child(3) input",
              "out_channels=8, kernel_size=3, padding=1")  # 224 + 8 x 16 x 16 x 10 + 10
    wait_for(page, "20,714")
    assert '"out_channels": 8' in page.input_value("#spec-text")


def test_dropping_a_safetensors_file_sends_only_its_header(page: Any, tmp_path: Path) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [300, 1000],
                               "data_offsets": [0, 1_200_000]}}).encode()
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 1_200_000)
    sent: list[int] = []
    page.on("request", lambda r: r.url.find("/api/checkpoint") >= 0 and
            sent.append(len(r.post_data_buffer or b"")))
    page.click("#tab-file")
    page.set_input_files("#file", str(path))
    wait_for(page, "300,000")
    assert sent == [8 + len(header)]  # the header, not the 1.2 MB of data


def test_a_permalink_restores_the_state(page: Any, browser: Any) -> None:
    wait_for(page, "1,102")
    page.fill("#neurons", "30")  # 10x30+30 + 2 x (30x30+30) + 30x2+2 = 330 + 1,860 + 62 = 2,252
    wait_for(page, "2,252")
    link = page.get_attribute("#permalink", "href")
    fresh = browser.new_page()
    fresh.goto(link)
    wait_for(fresh, "2,252")
    assert fresh.input_value("#neurons") == "30"
    fresh.close()


def test_the_planner_is_in_the_permalink(page: Any, browser: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    page.fill("#plan-context", "4096")
    page.fill("#plan-gpu", "h100-80gb")
    page.wait_for_function("document.getElementById('plan-fit').textContent.includes("
                           "'h100-80gb')", timeout=10_000)
    fresh = browser.new_page()
    fresh.goto(page.get_attribute("#permalink", "href"))
    wait_for(fresh, "8,030,261,248")
    assert fresh.input_value("#plan-context") == "4096"
    assert fresh.input_value("#plan-gpu") == "h100-80gb"
    fresh.close()


def test_phone_width_and_dark_mode(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  color_scheme="dark")
    p = context.new_page()
    p.goto(server + "/")
    wait_for(p, "1,102")
    width = p.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling of the page
    background = p.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    OUTPUT.mkdir(exist_ok=True)
    p.screenshot(path=str(OUTPUT / "phone-dark.png"), full_page=True)
    context.close()


def test_bad_input_shows_the_message(page: Any) -> None:
    wait_for(page, "1,102")
    page.fill("#shorthand", "10--20")
    page.wait_for_selector("#error:not([hidden])")
    assert "token 2: empty size" in page.inner_text("#error")


def test_the_memory_planner(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    page.wait_for_function("document.getElementById('plan-fit').textContent.includes("
                           "'rtx-4090')", timeout=10_000)
    assert "Fits on rtx-4090" in page.inner_text("#verdict")
    page.check("#plan-train")
    page.wait_for_function("document.getElementById('verdict').textContent.includes("
                           "'Does not fit')", timeout=10_000)
    assert "optimizer states (adamw)" in page.inner_text("#plan-table")
