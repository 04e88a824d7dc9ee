"""Load on the count endpoint: a fixed-rate generator on loopback against `nnsize serve`.

Starts the server (uvicorn, one process) on a free 127.0.0.1 port, sends POST /api/count with
the calculator's default network at a steady rate for a fixed time (open loop: requests leave on
schedule whether or not earlier ones have returned), and prints throughput, p50 / p99 latency and
errors.  Target: p99 under 20 ms at 500 requests per second, no errors.  Bounded: it stops by
itself, and sends nothing beyond 127.0.0.1.

    PYTHONPATH=src python benchmarks/web_load.py [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter

BODY = {"inputs": 10, "hidden_layers": 3, "neurons": 20, "outputs": 2}
CONNECTIONS = 32  # nnsize.web.server.PER_ADDRESS: past it, one address gets 503s


def _request(port: int) -> bytes:
    """The one request, encoded once: POST /api/count with the calculator's network, kept
    alive (the generator's own cost per request is a write and a read, not a client library's
    few milliseconds, which on two busy cores would be the bottleneck it measures)."""
    body = json.dumps(BODY).encode()
    return (f"POST /api/count HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response: its status, and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip().lower()
              for k, _, v in (line.partition(":") for line in lines[1:])}
    await reader.readexactly(int(fields.get("content-length", "0")))
    return int(lines[0].split()[1]), fields.get("connection") == "close"


async def load(port: int, rate: int, seconds: float) -> tuple[list[float], Counter[str], float]:
    """Open loop: request i is due at begin + i / rate and leaves then on the next idle
    kept-alive connection of a pool of CONNECTIONS (the server's limit for one address), or
    waits for one; its latency counts from when it was due, so a server that falls behind
    shows it.  Whatever has not answered 10 s after the last request was due is an error."""
    request = _request(port)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []  # of the 200 answers
    errors: Counter[str] = Counter()  # every other outcome, by what it was

    async def one(due: float) -> None:
        reader, writer = await pool.get()
        close = True
        try:
            writer.write(request)
            status, close = await _answer(reader)
            if status == 200:
                latencies.append(time.perf_counter() - due)
            else:
                errors[f"HTTP {status}"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            errors[type(e).__name__] += 1
        finally:
            if close:  # the server closed it (or it broke): a new one in its place
                writer.close()
                pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
            else:
                pool.put_nowait((reader, writer))

    tasks = []
    begin = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = begin + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    _, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
    if pending:
        errors["no answer within 10 s"] += len(pending)
    elapsed = time.perf_counter() - begin
    while not pool.empty():
        pool.get_nowait()[1].close()
    return latencies, errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--settle", type=float, default=20,
                        help="seconds to wait once the server answers: its warm parents import "
                             "torch and transformers in the background after it starts")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "nnsize", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a busy machine starts the server slowly
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"the server did not start on port {port} within 60 s")
                time.sleep(0.1)
        time.sleep(args.settle)  # the steady state: the warm parents' imports done
        asyncio.run(load(port, 50, 1))  # warm up
        latencies, errors, elapsed = asyncio.run(load(port, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    if not latencies:
        sys.exit(f"no answer from the server on port {port}: {dict(errors)}")
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    sent = len(ms) + sum(errors.values())
    print(f"requests {sent:,} sent at {args.rate}/s for {args.seconds:g} s, answers in "
          f"by {elapsed:.1f} s; errors {sum(errors.values())}"
          + (f": {', '.join(f'{k} x {n}' for k, n in errors.most_common())}" if errors else ""))
    print(f"latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms "
          f"(target p99 < 20 ms)")


if __name__ == "__main__":
    main()
