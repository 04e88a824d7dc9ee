"""The server as `nnsize serve` runs it (uvicorn, web.server's protocol, web.guard's limits),
on 127.0.0.1, spoken to through raw sockets: idle, half-sent and trickling clients, chunked
bodies, errors on keep-alive connections, the per-request deadline, and the --host warning.

The deadlines are shortened (1 s for a request head, 2 s for a request) so the tests are quick;
the documented ones are web.server.HEAD_SECONDS and web.guard.REQUEST_SECONDS.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

SRC = str(Path(__file__).resolve().parents[2] / "src")
SCRIPT = """
import sys, time
from nnsize.web import guard, server
server.HEAD_SECONDS, guard.REQUEST_SECONDS = 1.0, 2.0
from nnsize.web.app import create_app
app = create_app()

@app.get("/test/boom")
def boom():
    raise RuntimeError("a bug")

@app.get("/test/slow")
def slow():
    time.sleep(6)
    return {}

server.serve(app, "127.0.0.1", int(sys.argv[1]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
    raise RuntimeError("the server did not start in 60 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port)], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for(port, proc)
        yield port
    finally:
        _stop(proc)


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes the connection, which must be within seconds."""
    sock.settimeout(seconds)
    data = b""
    while True:
        chunk = sock.recv(65536)  # raises socket.timeout if the server keeps it open
        if not chunk:
            return data
        data += chunk


def test_idle_and_half_sent_connections_are_closed(port: int) -> None:
    idle = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"POST /api/count HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    with idle, half:
        assert _closed_within(idle, 10) == b""
        assert _closed_within(half, 10) == b""


def test_one_address_holds_at_most_its_share_of_connections(port: int) -> None:
    from nnsize.web.server import PER_ADDRESS

    held = []
    try:
        for _ in range(PER_ADDRESS):  # half-open connections from 127.0.0.2 (loopback too)
            s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
            s.sendall(b"POST /api/count HTTP/1.1\r\n")
            held.append(s)
        with socket.create_connection(("127.0.0.1", port),
                                      source_address=("127.0.0.2", 0)) as one_more:
            answer = _closed_within(one_more, 5)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"connections at once" in answer
        assert b"\r\nretry-after: 1\r\n" in answer.lower()
        # another address is served all the same
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/dtypes")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        for s in held:
            s.close()


def test_a_trickled_body_is_cut_off_with_408(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /api/count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{")
        start = time.monotonic()
        try:
            while time.monotonic() - start < 10:
                s.sendall(b" ")
                time.sleep(0.2)
        except OSError:  # closed under us: the answer is waiting
            pass
        assert _closed_within(s, 10).startswith(b"HTTP/1.1 408 ")


def test_a_chunked_body_over_the_limit_gets_413(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:  # 1.25 MiB in 64 KiB chunks, no length given
        conn.request("POST", "/api/count", body=iter([b"[" * 65536] * 20),
                     headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 413
        assert b"1,048,576 bytes" in response.read()
        conn.request("GET", "/api/dtypes")  # read to its end: the connection goes on
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    finally:
        conn.close()


def test_a_body_far_over_the_limit_is_refused_at_once(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /api/count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000000\r\n\r\n")
        assert _closed_within(s, 10).startswith(b"HTTP/1.1 413 ")


def test_keep_alive_survives_an_error(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path, status in (("/test/boom", 500), ("/api/dtypes", 200),
                             ("/api/nothing", 404), ("/api/dtypes", 200)):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == status, path
    finally:
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:  # a bad body, then a good request on the same connection
        conn.request("POST", "/api/count", body=b"{not json",
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        assert response.status in (400, 422)
        conn.request("POST", "/api/count", body=json.dumps({"network": "10-20-2"}),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["report"]
    finally:
        conn.close()


def test_a_slow_request_is_cut_off_and_stalls_no_other(port: int) -> None:
    answers: dict[str, tuple[int, float]] = {}

    def slow() -> None:
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.request("GET", "/test/slow")
        response = conn.getresponse()
        body = json.loads(response.read())
        answers["slow"] = response.status, time.monotonic() - start
        assert "longer than 2 s" in body["detail"]
        conn.close()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    fast = []
    while thread.is_alive():  # others are answered while it runs
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/count", body=json.dumps({"network": "10-20-2"}),
                     headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
        fast.append(time.monotonic() - start)
    thread.join()
    status, elapsed = answers["slow"]
    assert status == 422
    assert fast, "no other request was made while the slow one ran"


def test_serve_warns_when_reachable_from_other_machines() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nnsize", "serve", "--host", "0.0.0.0",
                             "--port", str(port)], env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert line.startswith("nnsize: warning: --host 0.0.0.0 makes the calculator")
    finally:
        _stop(proc)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("port_arg", ["99999", "-1", "65536"])
def test_serve_refuses_a_port_out_of_range(port_arg: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nnsize", "serve", "--port", port_arg],
                          env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"nnsize: error: --port {port_arg}: a TCP port is a number from 0 to 65535"]


def test_a_request_head_over_16_kib_is_refused_with_431(port: int) -> None:
    """h11 stops a head at 16 KiB itself; httptools (the web extra's faster parser) has no
    limit, so the server counts: a whole head with one header of 64 KiB (64 x 1,024 = 65,536
    bytes) is refused, not parsed; one of 8 KiB is answered."""
    def ask(value: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            try:
                s.sendall(b"GET /api/dtypes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"X-a: " + value + b"\r\n\r\n")
                return _closed_within(s, 10)
            except (ConnectionResetError, BrokenPipeError):  # closed while we still sent
                return b"reset"

    assert ask(b"a" * 8_192).startswith(b"HTTP/1.1 200")
    answer = ask(b"a" * 65_536)
    assert answer == b"reset" or answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), \
        answer[:80]
