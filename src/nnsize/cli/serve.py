"""nnsize serve: the web calculator and its HTTP API."""

from __future__ import annotations

import sys

from ..errors import NnsizeError
from .options import Parser


def run(argv: list[str]) -> str:
    p = Parser(prog="nnsize serve", description="The web calculator and its HTTP API.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--no-hub", action="store_true", help="no POST /api/hub: the server reads "
                   "no model from the Hugging Face Hub (by default it does where huggingface_hub "
                   "is installed, from HF_ENDPOINT, without a token)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise NnsizeError(f"--port {args.port}: a TCP port is a number from 0 to 65535")
    try:
        import uvicorn  # noqa: F401

        from ..web.app import create_app
        from ..web.server import LOOPBACK, serve
    except ImportError as e:
        raise NnsizeError("the web calculator needs its extra: pip install 'nnsize[web]'") from e
    if args.host not in LOOPBACK:
        print(f"nnsize: warning: --host {args.host} makes the calculator and its API reachable "
              f"from other machines, without authentication", file=sys.stderr, flush=True)
    print(f"nnsize web calculator on http://{args.host}:{args.port}/ (Ctrl+C stops it)",
          flush=True)
    try:
        serve(create_app(hub=False if args.no_hub else None), args.host, args.port)
    except OSError as e:  # the port taken, an address not of this machine
        raise NnsizeError(f"cannot serve on {args.host}:{args.port} ({e.strerror or e})") from e
    return ""
