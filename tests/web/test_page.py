"""The page in a real Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from browsing import wait_for, wait_text

OUTPUT = Path(__file__).parent.parent / "output"


def totals(page: Any) -> tuple[str, str, str]:
    return (page.inner_text("#total-weights"), page.inner_text("#total-biases"),
            page.inner_text("#total-params"))


def test_first_load_shows_the_original_calculator(page: Any) -> None:
    wait_for(page, "1,102")
    assert totals(page) == ("1,040", "62", "1,102")
    assert page.input_value("#inputs") == "10" and page.input_value("#hidden") == "3"
    assert page.input_value("#neurons") == "20" and page.input_value("#outputs") == "2"
    # one memory at the top, the plan's (issue 24): 1,102 x 2 B at bf16 and the activations
    page.wait_for_function("document.getElementById('memory-fp32').textContent.includes("
                           "'2,284 B')", timeout=30_000)
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
    page.wait_for_function("document.getElementById('verdict').textContent.includes("
                           "'Fits on rtx-4090')", timeout=30_000)  # not while it is loading
    page.check("#plan-train")
    page.wait_for_function("document.getElementById('verdict').textContent.includes("
                           "'Does not fit')", timeout=30_000)
    assert "optimizer states (adamw)" in page.inner_text("#plan-table")


# --- the second edition (issue 17): each test fails on the first edition's page -----------------

def plan_text(page: Any) -> str:
    return page.inner_text("#plan-fit") + "\n" + page.inner_text("#plan-table")


def safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> Path:
    """A safetensors file: its header, then its data as a sparse file (nothing written)."""
    size = {"F32": 4, "BF16": 2, "F16": 2, "I8": 1}
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = size[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + offset)
    return path


def test_1_the_planner_and_the_link_follow_a_dropped_file(page: Any, browser: Any,
                                                            tmp_path: Path) -> None:
    wait_for(page, "1,102")
    page.click("#tab-file")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "gpt2", "n_embd": 768, "n_layer": 12,
                                  "n_head": 12, "architectures": ["GPT2LMHeadModel"]}))
    page.set_input_files("#file", str(config))
    wait_for(page, "124,439,808")
    wait_text(page, "#plan-table", "124,439,808 x 16 bits")
    # then a 14M-parameter checkpoint: 3,500 x 4,000 = 14,000,000 fp32 values (56 MB)
    big = safetensors(tmp_path / "model.safetensors", {"w": ("F32", [3500, 4000])})
    page.set_input_files("#file", str(big))
    wait_for(page, "14,000,000")
    wait_text(page, "#plan-table", "14,000,000 x F32")  # planned as stored (issue 24)
    assert "1,102" not in plan_text(page) and "124,439,808" not in plan_text(page)
    link = page.get_attribute("#permalink", "href")
    assert "mode=file" in link and "mode=mlp" not in link
    fresh = browser.new_page()
    fresh.goto(link)
    wait_for(fresh, "14,000,000")
    wait_text(fresh, "#plan-table", "14,000,000 x F32")
    fresh.close()


def test_2_a_huge_number_of_hidden_layers_is_described_compactly(page: Any) -> None:
    sent: list[int] = []
    page.on("request", lambda r: r.method == "POST" and sent.append(len(r.post_data or "")))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    wait_for(page, "1,102")
    page.fill("#hidden", "100000000")
    # 10 x 20 + 20 = 220, then 99,999,999 x (20 x 20 + 20) = 41,999,999,580, then 20 x 2 + 2 = 42
    wait_for(page, "41,999,999,842")
    wait_text(page, "#verdict", "10-20x100000000-2: inference")  # this network's plan
    assert "784" not in page.input_value("#shorthand")
    assert page.input_value("#shorthand") == "10-20x100000000-2"
    page.fill("#hidden", "99999999999")  # 220 + 99,999,999,998 x 420 + 42 = 41,999,999,999,422
    wait_for(page, "41,999,999,999,422")
    wait_text(page, "#verdict", "Does not fit on rtx-4090")  # 84 TB at bf16: the new verdict
    page.fill("#hidden", "3000")  # 220 + 2,999 x 420 + 42 = 1,259,842
    wait_for(page, "1,259,842")
    wait_text(page, "#verdict", "Fits on rtx-4090")
    assert max(sent) < 2_000 and not errors  # a few bytes each, never an array of layers


def test_3_invalid_input_leaves_no_stale_numbers(page: Any) -> None:
    wait_for(page, "1,102")
    page.fill("#inputs", "1e9")
    wait_text(page, "#error", "Input neurons must be a whole number")
    wait_for(page, "-")
    assert totals(page) == ("-", "-", "-")
    assert page.inner_text("#memory-fp32") == "-"
    assert page.inner_text("#verdict").startswith("No answer")
    assert page.is_hidden("#detail")
    page.fill("#inputs", "10")
    wait_for(page, "1,102")
    assert page.is_hidden("#error") and page.is_visible("#detail")


def test_4_the_four_inputs_travel_as_exact_strings(page: Any) -> None:
    wait_for(page, "1,102")
    page.fill("#inputs", "9007199254740993")  # 2^53 + 1: a JS float reads 2^53
    page.fill("#hidden", "4")
    page.fill("#neurons", "512")
    page.fill("#outputs", "10")
    weights = 9007199254740993 * 512 + 3 * 512 * 512 + 512 * 10
    total = weights + 4 * 512 + 10  # 4,611,686,018,427,390,476 + 2,058
    wait_for(page, f"{total:,}")
    assert page.inner_text("#total-weights") == f"{weights:,}"
    wait_text(page, "#plan-table", f"{total:,} x 16 bits")  # the planner agrees with the cards


def test_5_the_planner_says_what_the_cli_says(page: Any, capsys: Any) -> None:
    from nnsize.cli import main

    main(["fit", "llama-3.1-8b", "--gpu", "h100-80gb", "--train", "--optimizer", "adamw",
          "--batch", "8", "--context", "4096"])
    cli = capsys.readouterr().out
    assert "Largest batch at this context: none fits" in cli
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    page.fill("#plan-gpu", "h100-80gb")
    page.fill("#plan-batch", "8")
    page.fill("#plan-context", "4096")
    page.check("#plan-train")
    wait_text(page, "#plan-fit", "more than 4,096 (sharded with FSDP / ZeRO-3;")
    for line in page.inner_text("#plan-fit").splitlines()[1:]:
        if ":" in line and not line.startswith("Precisions"):
            assert line.strip() in cli, line
    assert "none fits" in page.inner_text("#plan-fit")
    # the breakdown bar has a legend: one entry a line of the plan
    legend = page.locator("#plan-legend li").all_inner_texts()
    assert len(legend) == page.locator("#plan-table tbody tr").count() - 1
    assert any(t.startswith("optimizer states (adamw):") for t in legend)
    # an MLP reads no sequence: no longest context at all
    page.click("#tab-mlp")
    wait_for(page, "1,102")
    wait_text(page, "#verdict", "10-20x3-2: training")  # the MLP's plan, not the last one
    assert "Longest context" not in page.inner_text("#plan-fit")
    # GPT-2 has 1,024 learned positions
    page.click("#tab-preset")
    page.select_option("#preset", "gpt2")
    wait_for(page, "124,439,808")
    page.uncheck("#plan-train")
    wait_text(page, "#plan-fit", "Longest context at this batch: 1,024")


def test_6_gguf_and_onnx_files_count_in_the_page(page: Any, tmp_path: Path) -> None:
    import tomllib

    web = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"]["web"]
    assert any(r.startswith("gguf") for r in web) and any(r.startswith("onnx") for r in web)
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    path = tmp_path / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))  # 640
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    page.click("#tab-file")
    page.set_input_files("#file", str(path))
    wait_for(page, "640")
    assert page.locator("#plan-dtype option[value='q4_k']").count() == 1  # GGUF types listed


def test_7_a_checkpoint_shows_its_stored_dtypes_and_bytes(page: Any, tmp_path: Path) -> None:
    path = safetensors(tmp_path / "mixed.safetensors",
                       {"a": ("F32", [100, 10]), "b": ("BF16", [300])})
    page.click("#tab-file")
    page.set_input_files("#file", str(path))
    wait_for(page, "1,300")  # 100 x 10 + 300
    stored = page.inner_text("#stored-table")
    assert "F32\t1\t1,000\t4,000" in stored  # 1,000 x 4 bytes
    assert "BF16\t1\t300\t600" in stored  # 300 x 2 bytes
    assert "4,600 bytes" in page.inner_text("#stored-summary")


def test_8_the_shorthand_and_the_four_fields_are_one_network(page: Any) -> None:
    wait_for(page, "1,102")
    assert page.input_value("#shorthand") == "10-20x3-2"
    page.fill("#shorthand", "784-512x4-10")  # uniform: the fields follow
    wait_for(page, "1,195,018")  # 401,920 + 3 x (512 x 512 + 512) + 512 x 10 + 10
    assert [page.input_value(f"#{k}") for k in ("inputs", "hidden", "neurons", "outputs")] \
        == ["784", "4", "512", "10"]
    assert page.is_enabled("#inputs")
    page.fill("#shorthand", "784-512-256-10")  # two widths: the fields cannot hold it
    wait_for(page, "535,818")  # 401,920 + 131,328 + 2,570
    assert page.is_disabled("#inputs") and page.is_disabled("#neurons")
    assert "the fields are off" in page.inner_text("#shorthand-note")
    page.fill("#shorthand", "")
    wait_for(page, "1,195,018")  # the fields again
    assert page.is_enabled("#inputs")
    page.fill("#neurons", "20")  # the fields write the shorthand
    assert page.input_value("#shorthand") == "784-20x4-10"


def test_9_gpu_names_and_the_planner_controls(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    for typed, found in (("h100", "h100-80gb"), ("RTX 4090", "rtx-4090"), ("a100", "a100-80gb"),
                         ("4090", "rtx-4090")):  # each a different card from the one before
        page.fill("#plan-gpu", typed)
        wait_text(page, "#plan-fit", f"On {found} (")
    page.fill("#plan-batch", "0")
    wait_text(page, "#plan-fit", "Batch must be at least 1")
    page.fill("#plan-batch", "1")
    page.check("#plan-train")
    page.select_option("#plan-dtype", "q4_k")  # GGUF types are in the list
    wait_text(page, "#plan-fit", "No plan")
    assert "--" not in page.inner_text("#plan-fit")  # no CLI flag in the page's messages
    page.select_option("#plan-dtype", "bf16")
    page.check("#plan-qlora")
    page.fill("#plan-lora", "16")
    page.check("#plan-checkpointing")
    wait_text(page, "#plan-table", "activations (checkpointed")  # the last change made
    assert "LoRA adapters (rank 16" in page.inner_text("#plan-table")
    assert "base weights, frozen (nf4-dq)" in page.inner_text("#plan-table")
    page.uncheck("#plan-qlora")
    page.fill("#plan-lora", "0")
    page.fill("#plan-gpus", "8")
    page.select_option("#plan-sharding", "fsdp")
    wait_text(page, "#plan-table", "/ 8 GPUs")
    page.uncheck("#plan-train")  # FSDP shards training state: off, and planned without it
    assert page.locator("#plan-sharding option[value=fsdp]").is_disabled()
    page.select_option("#plan-kv-dtype", "fp8")
    wait_text(page, "#plan-table", "KV cache (fp8)")


def test_10_every_bar_is_labelled_and_readable(browser: Any, server: str) -> None:
    for viewport in ({"width": 1200, "height": 900}, {"width": 390, "height": 844}):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(server + "/#mode=preset&preset=resnet50")
        wait_for(page, "25,557,032")
        assert page.locator("#chart li").count() == 110  # every row drawn
        assert "All 110 rows drawn" in page.inner_text("#chart-note")
        page.select_option("#preset", "deepseek-v3")
        wait_for(page, "671,026,404,352")
        cut = page.evaluate("""[...document.querySelectorAll('#chart .label, #chart .value')]
            .filter((e) => e.scrollWidth > e.clientWidth + 1 ||
                           e.getBoundingClientRect().right > innerWidth).length""")
        assert cut == 0
        values = page.locator("#chart .value").all_inner_texts()
        assert "385,875,968,000" in values or any(len(v) > 10 for v in values)
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                             "'#chart .label')).fontSize)")
        assert size >= 12  # the page's own text size, not an SVG scaled down to 7 px
        context.close()


def test_11_cards_for_other_parameters_and_moe_active_ones(page: Any) -> None:
    spec = json.dumps({"input_shape": [10], "layers": [
        {"type": "Embedding", "num_embeddings": 1000, "embedding_dim": 64}]})
    page.click("#tab-spec")
    page.fill("#spec-text", spec)
    wait_for(page, "64,000")  # 1,000 x 64, all of it an embedding
    assert page.inner_text("#total-weights") == "0" and page.inner_text("#total-other") == "64,000"
    page.click("#tab-preset")
    page.select_option("#preset", "mixtral-8x7b")
    wait_for(page, "46,702,792,704")
    assert page.inner_text("#active-params") == "12,879,925,248 active per token"


def test_12_copy_links_tabs_and_python_tuples(browser: Any, server: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + "/")
    wait_for(page, "1,102")
    page.click("#copy-md")
    wait_text(page, "#copy-md", "Copied")
    assert "Markdown copied" in page.inner_text("#copy-status")
    assert "1,102" in page.evaluate("navigator.clipboard.readText()")
    # tabs follow the arrow keys
    page.focus("#tab-mlp")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-spec", "aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-spec"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.id") == "tab-file"
    page.keyboard.press("ArrowRight")  # wraps around
    assert page.evaluate("document.activeElement.id") == "tab-mlp"
    # kernel_size=(7, 7), as Python writes it
    page.click("#tab-spec")
    wait_for(page, "41,418")
    page.fill("#editor tbody tr:nth-child(1) td:nth-child(3) input",
              "out_channels=8, kernel_size=(7, 7), padding=3")
    # 8 x 3 x 7 x 7 + 8 = 1,184, then (8 x 16 x 16) x 10 + 10 = 20,490: 21,674
    wait_for(page, "21,674")
    assert '"kernel_size": [7, 7]' in page.input_value("#spec-text")
    # a link with a bad spec says so; an unknown mode says so
    page.goto(server + "/#mode=spec&spec=%7Bbad")
    wait_text(page, "#error", "not valid JSON")
    assert page.inner_text("#total-params") == "-"
    page.goto(server + "/#mode=bogus")
    wait_for(page, "1,102")
    assert "bogus" in page.inner_text("#notice")
    context.close()


def test_the_first_screen_needs_no_api_call(browser: Any, server: str) -> None:
    page = browser.new_page()
    calls: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and calls.append(r.url))
    page.goto(server + "/")
    wait_for(page, "1,102")
    wait_text(page, "#verdict", "Fits on rtx-4090")
    page.wait_for_function("document.querySelectorAll('#growth-width circle').length === 6")
    assert calls == []
    page.close()


def test_the_speed_panel_asks_nnsize_speed(page: Any) -> None:
    wait_for(page, "1,102")
    assert page.is_visible("#speed")
    assert "language models" in page.inner_text("#speed-notes")  # not for an MLP
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: "/api/speed" in r.url and sent.append(json.loads(r.post_data)))
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    wait_text(page, "#speed-table", "tokens/s expected")
    assert "What bounds decoding" in page.inner_text("#speed-table")
    # the planner's engine (issue 24, point 7) and its precision: the empty default (a config
    # as its quantization_config publishes it, else bf16), as the plan above took it
    assert sent[-1] == {"preset": "llama-3.1-8b", "gpu": "rtx-4090", "gpus": "1",
                        "dtype": "", "batch": "1", "context": "0",
                        "engine": "transformers"}
    # the empty Context field is sent as 0: the model's own, at most 2,048 (tests/web/test_app.py
    # test_speed_without_a_context_is_the_planners_default reads what the API makes of it)


def test_the_hub_panel_shows_where_the_api_has_it(browser: Any) -> None:
    """The Hub reader's endpoint comes from another part of nnsize: the page hides the tab
    without it (test below); an app that has it gets the tab, which calls it."""
    import threading
    import time

    import uvicorn

    import nnsize
    from nnsize.web.app import _answer, create_app

    app = create_app(hub=False)  # the stub below stands for the real one (tests/hub)
    asked: list[dict[str, Any]] = []

    @app.post("/api/hub")
    def hub(body: dict[str, Any], numbers: str = "int") -> dict[str, Any]:
        asked.append(body)
        return {**_answer(nnsize.count("gpt2"), "string"),
                "comparison": "the config and the checkpoint agree"}

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        wait_for(page, "1,102")
        assert page.is_visible("#tab-hub")
        page.click("#tab-hub")
        page.fill("#hub-name", "openai-community/gpt2")
        page.click("#hub-go")
        wait_for(page, "124,439,808")
        assert asked == [{"name": "openai-community/gpt2"}]
        assert "agree" in page.inner_text("#hub-compare")
        axe = pytest.importorskip("axe_playwright_python.sync_playwright")
        results = axe.Axe().run(page)  # the tab passes axe-core too
        assert results.violations_count == 0, results.generate_report()
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "by-name-desktop-light.png"), full_page=True)
    finally:
        page.close()
        server.should_exit = True
        thread.join(timeout=10)


def test_without_the_hub_endpoint_its_tab_stays_hidden(page: Any) -> None:
    wait_for(page, "1,102")
    assert page.is_hidden("#tab-hub")


def test_a_file_too_large_for_a_link_says_so(page: Any, tmp_path: Path) -> None:
    # 300 tensors of 10 values: a header of some 20 kB, more than a link should carry
    path = safetensors(tmp_path / "many.safetensors",
                       {f"layer.{i}.weight": ("F32", [10]) for i in range(300)})
    page.click("#tab-file")
    page.set_input_files("#file", str(path))
    wait_for(page, "3,000")  # 300 x 10
    assert page.get_attribute("#permalink", "href") is None
    assert "too large for a link" in page.inner_text("#permalink")
