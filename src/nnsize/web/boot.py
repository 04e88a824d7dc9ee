"""The page with its first screen inside it: the lists its controls offer (precisions, presets,
GPUs, layer types), which optional endpoints this server has, and the answers to the default
calculator and planner.  The browser shows results without one API call; it is built once per
app, on the first request for the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

# The first screen: the original calculator (10 inputs, 3 hidden layers of 20, 2 outputs) and
# the planner's defaults.  The page sends exactly these bodies; it uses the answers given here
# when its request is the same.
FIRST_COUNT: dict[str, Any] = {"inputs": "10", "hidden_layers": "3", "neurons": "20",
                               "outputs": "2"}
FIRST_NETWORK = "10-20x3-2"  # the same network, as the page sends it to the planner
FIRST_PLAN: dict[str, Any] = {
    "network": FIRST_NETWORK, "dtype": "", "batch": "1", "context": "0", "gpus": "1",
    "train": False, "optimizer": "adamw", "sharding": "none", "checkpointing": False,
    "lora_rank": "0", "qlora": False, "engine": "transformers", "gpu": "rtx-4090"}
# Precisions a KV cache is kept in by the engines people use (transformers, vLLM, llama.cpp).
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "fp8-e4m3", "fp8-e5m2", "int8", "q8_0", "q4_0")


def _group(name: str, description: str) -> str:
    from ..precision import FLOATS

    if name in FLOATS:
        return "Floats"
    if description.startswith("GGUF"):
        return "GGUF (llama.cpp)"
    if name.startswith(("fp8", "int8")):
        return "8 bits"
    return "4 bits and below"


def _dtypes() -> list[dict[str, Any]]:
    from ..precision import catalogue
    from ..render.plan import bits_value

    return [{"name": p.name, "bits": bits_value(p.bits_per_value), "description": p.description,
             "group": _group(p.name, p.description), "kv": p.name in KV_DTYPES}
            for p in catalogue().values()]


def _gguf_files() -> list[dict[str, str]]:
    """The llama.cpp files by the names people download them under (Q4_K_M...): the planner
    plans each as llama-quantize writes it (memory.gguf_mix), floats left out."""
    from ..memory.gguf_mix import FLOAT_TYPES, FTYPES

    return [{"name": name, "about": "a llama.cpp file"} for name in FTYPES
            if name not in FLOAT_TYPES]


def boot_data(app: FastAPI, initial: dict[str, Any]) -> dict[str, Any]:
    """The lists the page's controls offer, the optional endpoints this app has, and the
    answers to the first screen's requests (initial, made by the app)."""
    from ..architectures.presets import presets
    from ..gpus import GPUS
    from ..layers import known_types
    from ..parallel.interconnect import CATALOGUE
    from ..render.speed import _rate

    paths = {getattr(route, "path", "") for route in app.routes}
    return {
        "dtypes": _dtypes(),
        "presets": [{"name": p.name, "kind": p.kind, "description": p.description,
                     "source": p.source} for p in presets().values()],
        "gpus": [{"name": g.name, "bytes": str(g.bytes)} for g in GPUS.values()],
        # the links a tensor-parallel group may cross (the speed panel's "Link between GPUs")
        "interconnects": [{"name": i.name, "bandwidth": _rate(i.bandwidth, "B/s")}
                          for i in CATALOGUE.values()],
        "layers": known_types(),
        "gguf_files": _gguf_files(),
        # endpoints from other parts of nnsize that a server may lack: their panels hide
        "features": {"hub": "/api/hub" in paths, "speed": "/api/speed" in paths},
        "initial": initial,
    }


def page_html(app: FastAPI, page: Path, first_screen: Callable[[], dict[str, Any]]) -> str:
    """The page (index.html) with the boot data in its <script id="boot">, built once per
    app; first_screen() answers the first screen's requests."""
    cached: str | None = getattr(app.state, "page_html", None)
    if cached is None:
        data = json.dumps(boot_data(app, first_screen()), separators=(",", ":"))
        cached = page.read_text(encoding="utf-8").replace("{{BOOT}}",
                                                         data.replace("</", "<\\/"))
        app.state.page_html = cached
    return cached
