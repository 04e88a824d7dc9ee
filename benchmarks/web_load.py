"""Load on the count endpoint: a fixed-rate generator on loopback against `nnsize serve`.

Starts the server (uvicorn, one process) on a free 127.0.0.1 port, sends POST /api/count with
the calculator's default network at a steady rate for a fixed time (open loop: requests leave on
schedule whether or not earlier ones have returned), and prints throughput, p50 / p99 latency and
errors.  Target: p99 under 20 ms at 500 requests per second, no errors.  Bounded: it stops by
itself, and sends nothing beyond 127.0.0.1.

    python benchmarks/web_load.py [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time

BODY = {"inputs": 10, "hidden_layers": 3, "neurons": 20, "outputs": 2}


async def load(url: str, rate: int, seconds: float) -> tuple[list[float], int, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        async def one() -> None:
            nonlocal errors
            start = time.perf_counter()
            try:
                r = await client.post(url, json=BODY)
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - start)

        tasks = []
        begin = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
    return latencies, errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "nnsize", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/count"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        asyncio.run(load(url, 50, 1))  # warm up
        latencies, errors, elapsed = asyncio.run(load(url, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"requests {len(ms):,} in {elapsed:.1f} s = {len(ms) / elapsed:.0f}/s "
          f"(target rate {args.rate}/s), errors {errors}")
    print(f"latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms "
          f"(target p99 < 20 ms)")


if __name__ == "__main__":
    main()
