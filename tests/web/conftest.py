from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every web test runs with the network cut off: a connection to anything but loopback
    fails, and the Hub's endpoint is an address that answers nothing.  The API reads the Hub
    only when it is named one (tests/hub/test_web_api.py, through the loopback Hub)."""
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else ""
        if self.family in (socket.AF_INET, socket.AF_INET6) and \
                host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a web test tried to reach {address!r}")
        connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: no Hub here
    yield



@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for the browser tests."""
    import uvicorn

    from nnsize.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(hub=False), host="127.0.0.1", port=port,
                            log_level="warning")  # no Hub here: tests/hub reads one
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A desktop-sized page at the server's root, its uncaught errors in page.errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    p = context.new_page()
    p.errors = []  # every uncaught exception and unhandled rejection of the page
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.goto(server + "/")
    yield p
    context.close()
