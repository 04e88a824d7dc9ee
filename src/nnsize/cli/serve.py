"""nnsize serve: the web calculator and its HTTP API."""

from __future__ import annotations

from ..errors import NnsizeError
from .options import Parser


def run(argv: list[str]) -> str:
    p = Parser(prog="nnsize serve", description="The web calculator and its HTTP API.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    args = p.parse_args(argv)
    try:
        import uvicorn

        from ..web.app import create_app
    except ImportError as e:
        raise NnsizeError("the web calculator needs its extra: pip install 'nnsize[web]'") from e
    print(f"nnsize web calculator on http://{args.host}:{args.port}/ (Ctrl+C stops it)",
          flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return ""
