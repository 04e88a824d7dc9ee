"""The page's third edition (issue 24): one setup, one answer, on any link and any network.
Each test is numbered after the issue's point and fails on the second edition's page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browsing import settled, wait_for, wait_text

OUTPUT = Path(__file__).parent.parent / "output"
PHONE = {"width": 390, "height": 844}


def throttle(page: Any, latency: int = 150, throughput: int = 200_000) -> None:
    """Chromium's network emulation: latency in ms, throughput in bytes per second."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency, "downloadThroughput": throughput,
        "uploadThroughput": throughput})


# --- 3: a race on a slow network ---------------------------------------------------------------

def test_3_a_throttled_race_ends_on_the_latest_answer(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")  # llama-3.1-8b
    throttle(page)
    page.select_option("#preset", "resnet50")
    page.wait_for_timeout(600)
    page.select_option("#preset", "gpt2")
    wait_for(page, "124,439,808")
    settled(page)
    page.wait_for_timeout(1_500)  # any late answer has arrived by now
    assert not page.errors, page.errors
    assert page.inner_text("#total-params") == "124,439,808"
    assert page.is_hidden("#error")
    assert "gpt2" in page.inner_text("#verdict")
    assert "GPT-2" in page.inner_text("#preset-source") or "gpt2" in \
        page.inner_text("#preset-source").lower()


def test_3_many_quick_edits_on_a_slow_network_end_on_the_last(page: Any) -> None:
    throttle(page, 150, 200_000)
    for n in range(1, 9):  # 220 + (n - 1) x 420 + 42 for n hidden layers
        page.fill("#hidden", str(n))
        page.wait_for_timeout(80)
    wait_for(page, f"{220 + 7 * 420 + 42:,}")
    settled(page)
    page.wait_for_timeout(1_000)
    assert not page.errors, page.errors
    assert page.inner_text("#total-params") == "3,202"
    assert "10-20x8-2" in page.inner_text("#verdict")


# --- 4: a loading state on every panel ------------------------------------------------------

def test_4_every_panel_shows_it_is_loading(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    throttle(page, 1_500, 200_000)  # slow enough to look at the page while it loads
    page.select_option("#preset", "resnet50")
    busy = page.evaluate("['answer', 'planner', 'speed'].map((id) => "
                         "document.getElementById(id).getAttribute('aria-busy'))")
    assert busy == ["true", "true", "true"], busy
    # what belongs to the new choice shows at once; what does not is marked as old
    assert "ResNet" in page.inner_text("#preset-source")
    assert "Loading" in page.inner_text("#verdict")
    wait_for(page, "25,557,032")
    settled(page)


# --- 5: an error clears every number that depends on it ----------------------------------------

def test_5_a_bad_batch_clears_the_speed_too(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    wait_text(page, "#speed-table", "tokens/s")
    page.fill("#plan-batch", "abc")
    wait_text(page, "#verdict", "No plan")
    page.wait_for_timeout(500)
    assert "tokens/s" not in page.inner_text("#speed")
    assert "Batch must be a whole number" in page.inner_text("#verdict")


# --- 2 and 6: a GGUF file, planned as stored, its header alone sent --------------------------

def write_gguf(path: Path) -> tuple[Path, int]:
    """A llama-shaped GGUF: 2 blocks, embedding 256, 4 heads (2 for K and V), context 4,096,
    a 20,000-word vocabulary in its metadata (as real files carry it), Q8_0 weights of 4 MiB
    in all.  Returns the path and the bytes of its tensors."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(2)
    w.add_embedding_length(256)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_context_length(4096)
    w.add_token_list([f"token{i}" for i in range(20_000)])
    q8 = gguf.GGMLQuantizationType.Q8_0
    block, size = gguf.GGML_QUANT_SIZES[q8]  # 32 values in 34 bytes
    stored = 0
    for name, rows in (("token_embd.weight", 4096), ("blk.0.attn_q.weight", 4096),
                       ("blk.1.attn_q.weight", 4096), ("output.weight", 4096)):
        raw = np.zeros((rows, 256 // block * size), dtype=np.uint8)  # rows x 256 values
        w.add_tensor(name, raw, raw_dtype=q8)
        stored += raw.nbytes
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path, stored


def test_2_and_6_a_gguf_is_planned_as_stored_from_its_header_alone(page: Any,
                                                                  tmp_path: Path) -> None:
    path, stored = write_gguf(tmp_path / "tiny-q8_0.gguf")
    bodies: list[int] = []
    page.on("request", lambda r: r.method == "POST" and bodies.append(len(r.post_data_buffer
                                                                           or b"")))
    page.click("#tab-file")
    page.set_input_files("#file", str(path))
    wait_for(page, f"{4 * 4096 * 256:,}")  # 4 tensors of 4,096 x 256 = 4,194,304
    wait_text(page, "#plan-table", "as stored")
    plan = page.inner_text("#plan-table")
    assert f"{stored:,}" in plan  # 4 x 4,096 x 8 blocks x 34 bytes = 4,456,448
    assert "KV cache" in plan or "kv_cache" in plan  # from the file's own metadata
    page.fill("#plan-context", "131072")  # past the file's context_length of 4,096
    wait_text(page, "#plan-fit", "4,096")
    page.fill("#plan-batch", "2")
    page.fill("#plan-batch", "3")
    settled(page)
    # the header (metadata and tensor infos, the vocabulary left out) is a few kB; the file is
    # 4 MiB: no request carries more than the header, and all of them together stay small
    assert bodies and max(bodies) < 16_000, bodies
    assert sum(bodies) < path.stat().st_size // 20, bodies
    assert not page.errors, page.errors


def test_2_the_names_people_download_are_in_the_list_and_in_links(browser: Any,
                                                                    server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/#mode=preset&preset=llama-3.1-8b&dtype=q4_k_m&gpu=h100-80gb")
    wait_for(page, "8,030,261,248")
    assert page.locator("#plan-dtype option[value='Q4_K_M']").count() == 1
    assert page.input_value("#plan-dtype") == "Q4_K_M"
    wait_text(page, "#plan-table", "Q4_K_M")
    page = context.new_page()
    page.goto(server + "/#mode=preset&preset=gpt2&dtype=bf17")
    wait_for(page, "124,439,808")
    wait_text(page, "#verdict", "bf17")  # refused, with the link's word in the message
    assert "No plan" in page.inner_text("#verdict")
    context.close()


# --- 8: compact specs -----------------------------------------------------------------------

def test_8_fifty_thousand_identical_layers_travel_as_one_entry(page: Any) -> None:
    sent: list[int] = []
    page.on("request", lambda r: r.method == "POST" and sent.append(len(r.post_data or "")))
    page.click("#tab-spec")
    wait_for(page, "41,418")
    spec = {"input_shape": [64], "layers": [{"type": "Linear", "out_features": 64}] * 50_000}
    page.fill("#spec-text", json.dumps(spec))
    wait_for(page, f"{50_000 * (64 * 64 + 64):,}")  # 50,000 x 4,160 = 208,000,000
    settled(page)
    assert page.locator("#editor tbody tr").count() == 1  # one row, with its count
    assert page.input_value("#editor tbody tr input[aria-label^='Layer 0 count']") == "50000"
    assert max(sent) < 4_000, max(sent)
    assert len(page.get_attribute("#permalink", "href")) < 2_000
    assert '"repeat": 50000' in page.input_value("#spec-text")


def test_8_the_api_counts_identical_layers_as_runs() -> None:
    from fastapi.testclient import TestClient

    from nnsize.web.app import create_app

    spec = {"input_shape": [8], "layers": [{"type": "Linear", "out_features": 8}] * 5_000}
    answer = TestClient(create_app(hub=False)).post("/api/count", json={"spec": spec}).json()
    assert answer["report"]["total_params"] == 5_000 * (8 * 8 + 8)  # 5,000 x 72 = 360,000
    assert len(answer["report"]["layers"]) < 10  # one row for the run, not 5,000


# --- 9: the page's words -----------------------------------------------------------------------

def test_9_messages_name_the_page_fields(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    page.fill("#plan-gpus", "2000000")
    wait_text(page, "#verdict", "No plan")
    message = page.inner_text("#verdict")
    assert "Number of GPUs" in message and "gpus:" not in message, message
    page.fill("#plan-gpus", "1")
    wait_text(page, "#verdict", "Fits")
    notes = page.inner_text("#planner") + page.inner_text("#speed")
    assert "--" not in notes and "chunk settings" not in notes, notes


def test_9_hub_names_as_people_paste_them() -> None:
    from nnsize.web.hub import hub_name

    for text in ("Qwen/Qwen3-0.6B", "hf:Qwen/Qwen3-0.6B", "https://huggingface.co/Qwen/Qwen3-0.6B",
                 "huggingface.co/Qwen/Qwen3-0.6B/tree/main", "https://hf.co/Qwen/Qwen3-0.6B"):
        assert hub_name(text).repo == "Qwen/Qwen3-0.6B", text


# --- 11: one memory at the top -------------------------------------------------------------------

def test_11_the_headline_memory_is_the_plans(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    wait_text(page, "#verdict", "Fits")
    big = page.inner_text("#memory-fp32 .big")
    total = page.evaluate("[...document.querySelectorAll('#plan-table tbody tr')].at(-1)"
                          ".cells[2].textContent")
    assert big == total, (big, total)
    assert big in page.inner_text("#verdict")


# --- 12: the layout on a phone ------------------------------------------------------------------

def test_12_a_phone_shows_short_headlines_real_checkboxes_and_whole_numbers(
        browser: Any, server: str) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(server + "/#mode=preset&preset=gpt2&gpu=24GB&batch=64")
    wait_for(page, "124,439,808")
    wait_text(page, "#verdict", "24GB")
    lines = page.evaluate("(() => { const e = document.querySelector('#verdict strong');"
                          " return e.getBoundingClientRect().height /"
                          " parseFloat(getComputedStyle(e).lineHeight); })()")
    assert lines <= 2.5, lines
    for box in ("#plan-train", "#plan-checkpointing", "#plan-qlora"):
        size = page.locator(box).bounding_box()
        assert size["width"] >= 16 and size["height"] >= 16, (box, size)
    cut = page.evaluate("""[...document.querySelectorAll('#plan select')].filter((s) => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = getComputedStyle(s).font;
        return c.measureText(s.selectedOptions[0].textContent).width + 24 >
               s.getBoundingClientRect().width; }).map((s) => s.id)""")
    assert not cut, cut
    wait_text(page, "#speed-notes", "pick a GPU from the list")  # 24GB: no bandwidth known
    assert "--" not in page.inner_text("#speed-notes")
    page.fill("#plan-gpu", "rtx-4090")
    wait_text(page, "#speed-table", "tokens/s")  # 64 sequences: thousands of tokens/s
    assert "e+" not in page.inner_text("#speed-table")
    page = context.new_page()
    page.goto(server + "/#mode=mlp&shorthand=1000000000-1000000000x1000000-1000000000")
    page.wait_for_function("document.getElementById('total-params').textContent.length > 20",
                           timeout=30_000)
    split = page.evaluate("""(() => {  // a digit group on two lines
        const node = document.getElementById('total-params').firstChild;
        const text = node.textContent, tops = [];
        for (let i = 0; i < text.length; i++) {
          const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
          tops.push(Math.round(r.getBoundingClientRect().top)); }
        let group = [];
        for (let i = 0; i <= text.length; i++) {
          if (i === text.length || text[i] === ',') {
            if (new Set(group).size > 1) return true; group = []; }
          else group.push(tops[i]); }
        return false; })()""")
    assert not split
    page.wait_for_function("document.querySelectorAll('#growth-width .ytick').length >= 2",
                           timeout=30_000)
    for term in ("activation workspace", "roofline", "ZeRO-3"):
        assert page.locator(f"[data-term='{term}']").count() >= 1, term
    context.close()


# --- 13: a bad file link ------------------------------------------------------------------------

def test_13_a_bad_file_link_says_so(browser: Any, server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/#mode=file&format=safetensors&size=100&fname=x.safetensors"
                       "&header=!!!")
    wait_text(page, "#error", "header")
    assert not errors, errors
    assert page.inner_text("#total-params") == "-"
    context.close()


# --- 14: the four fields take what the CLI takes -----------------------------------------------

def test_14_the_four_fields_take_a_trillion_layers_and_more(page: Any) -> None:
    page.fill("#hidden", "10000000000000")  # 220 + 9,999,999,999,999 x 420 + 42
    wait_for(page, f"{220 + 9_999_999_999_999 * 420 + 42:,}")
    assert page.is_hidden("#error")


# --- 15: controls that do not apply ---------------------------------------------------------

def test_15_training_controls_are_off_without_training_and_qlora_needs_a_rank(page: Any) -> None:
    page.click("#tab-preset")
    wait_for(page, "8,030,261,248")
    for box in ("#plan-optimizer", "#plan-checkpointing", "#plan-lora", "#plan-qlora"):
        assert page.is_disabled(box), box
    assert "training" in page.inner_text("#plan-train-note").lower()
    page.check("#plan-train")
    for box in ("#plan-optimizer", "#plan-checkpointing", "#plan-lora", "#plan-qlora"):
        assert page.is_enabled(box), box
    page.check("#plan-qlora")  # rank 0: refused, never planned at another rank
    wait_text(page, "#verdict", "No plan")
    assert "LoRA rank" in page.inner_text("#verdict")
    page.fill("#plan-lora", "8")
    wait_text(page, "#plan-table", "rank 8")


# --- 16: copy buttons -----------------------------------------------------------------------------

def test_16_copy_says_why_when_there_is_nothing_to_copy(page: Any) -> None:
    page.fill("#inputs", "x")
    wait_for(page, "-")
    page.click("#copy-md")
    wait_text(page, "#copy-status", "Nothing to copy")


# --- 17: the web extra --------------------------------------------------------------------------

def test_17_the_web_extra_installs_what_the_page_offers() -> None:
    import tomllib

    extras = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"]
    assert set(extras["hub"]) <= set(extras["web"])


# --- 18: bare checkpoints ------------------------------------------------------------------------

def test_18_a_bare_checkpoint_has_no_workspace_and_its_int64_tensor_is_a_buffer() -> None:
    import base64
    import struct

    from fastapi.testclient import TestClient

    from nnsize.web.app import create_app

    header = json.dumps({"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]},
                         "ids": {"dtype": "I64", "shape": [10], "data_offsets": [64, 144]}})
    raw = struct.pack("<Q", len(header)) + header.encode()
    client = TestClient(create_app(hub=False))
    answer = client.post(f"/api/checkpoint?format=safetensors&file_size={len(raw) + 144}",
                         content=raw)
    assert answer.status_code == 200, answer.text
    count = answer.json()["report"]
    assert count["total_params"] == 16 and count["buffers"] == 10  # 4 x 4; 10 int64 ids
    plan = client.post("/api/memory", json={
        "checkpoint": {"format": "safetensors", "file_size": len(raw) + 144,
                       "header": base64.b64encode(raw).decode()}, "gpu": "rtx-4090"}).json()
    lines = [line["name"] for line in plan["plan"]["lines"]]
    assert lines == ["weights (as stored)"], lines  # 144 B as stored, no activation workspace
    assert plan["plan"]["total_bytes"] == "144"  # 10 x 8 + 16 x 4
    assert not any("batch" in k.lower() for k, _ in plan["fit"]["lines"])
