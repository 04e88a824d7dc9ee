"""nnsize layout: every parallel layout of N GPUs that divides and fits, fastest first."""

from __future__ import annotations

from typing import Any

from .options import Parser, count, field_options, from_fields, json_option, language_model_options


def run(argv: list[str]) -> str:
    from ..speed import TrainingSetup
    from ..speed.setup import layout_flags, training_fields

    if "--list-interconnects" in argv:
        from ..parallel.interconnect import CATALOGUE

        if "--json" in argv:
            from ..render.json import dumps

            return dumps([{"name": i.name, "bandwidth": i.bandwidth, "within_node": i.within_node,
                           "latency_s": i.latency_s, "hop_s": i.hop_s, "source": i.source}
                          for i in CATALOGUE.values()])
        return "\n".join(f"{i.name:16} {i.bandwidth / 1e9:6.1f} GB/s a GPU one way, "
                         f"{'inside a node' if i.within_node else 'between nodes'}: {i.source}"
                         for i in CATALOGUE.values())
    p = Parser(prog="nnsize layout", description="Every layout (tp x pp x dp, cp, ep, ZeRO, "
               "recomputation) of a number of GPUs that divides and fits, ranked by step time, "
               "with per-GPU memory and MFU; --serve for serving replicas.")
    p.add_argument("source", nargs="?", default="", help="a language model (preset, "
                   "config.json), or none with --layers --hidden --heads")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="training (the default)")
    mode.add_argument("--serve", action="store_true", help="serving: tp x pp a replica")
    field_options(p, training_fields())
    p.add_argument("--tokens-per-s", type=float, default=None, help="--serve: a decode target, "
                   "tokens/s over all replicas: the layouts that meet it, fewest GPUs first")
    p.add_argument("--engine", default=None, help="--serve --tokens-per-s: the engine whose "
                   "fitted efficiency the speed model uses (vllm)")
    p.add_argument("--list-interconnects", action="store_true", help="the link catalogue")
    p.add_argument("--limit", type=int, default=15, help="rows to show (15)")
    json_option(p)
    language_model_options(p)
    args = p.parse_args(argv)
    t = from_fields(TrainingSetup, training_fields(), args)
    shape = _shape(args)
    target_given = args.tokens_per_s is not None
    if (target_given or args.engine) and not (args.serve and target_given):
        from ..errors import NnsizeError

        raise NnsizeError("--tokens-per-s is a serving target: give it with --serve; --engine "
                          "goes with them (the speed model's rate for the target)")
    if args.serve and target_given:
        return _target(args, shape, t)
    if args.serve:
        return _serve(args, shape, t)
    from ..parallel.interconnect import links
    from ..parallel.layout import kernel
    from ..parallel.search import search, why
    from ..speed.cluster import card

    gpu, peak = card(t)
    batch = t.global_batch or t.batch or t.gpus
    fixed = layout_flags(t) or {}
    fixed.pop("global_batch", None)
    nodes = int(fixed.pop("nodes", 0))
    found = search(shape, t.gpus, batch, t.context, gpu.usable, peak,
                   links(gpu.link.name if gpu.link else None, t.interconnect), nodes,
                   t.efficiency, fixed, gpu.bandwidth, kernel(t.attention))
    reason = why(found[0], found[1]) if len(found) > 1 else None
    if args.json:
        from ..render.json import dumps
        from ..render.parallel import search_dict

        return dumps(search_dict(shape, found, t.gpus, reason, gpu.name, args.limit))
    from ..render.parallel import search_text

    return search_text(shape, found, t.gpus, reason, gpu.name, limit=args.limit)


def _shape(args: object) -> Any:
    from ..parallel.shape import from_report

    return from_report(count(args, vars(args)["source"]))  # type: ignore[arg-type]


def _serve(args: object, shape: object, t: object) -> str:
    from ..parallel.interconnect import links
    from ..parallel.serving import replicas
    from ..render.parallel import serve_text
    from ..speed.cluster import card

    gpu, _ = card(t)
    node = links(gpu.link.name if gpu.link else None, t.interconnect).node  # type: ignore
    found = replicas(shape, t.gpus, t.context, gpu.bytes, gpu.bandwidth, node)  # type: ignore
    if vars(args)["json"]:
        from ..render.json import dumps

        return dumps([{"layout": c.layout.as_dict(), "replicas": c.replicas,
                       "kv_cache_tokens": c.kv_tokens, "max_concurrency": c.concurrency,
                       "decode_tokens_per_s": c.tokens_per_s} for c in found])
    return serve_text(shape, found, t.gpus, gpu.name)  # type: ignore[arg-type,attr-defined]


def _target(args: object, shape: Any, t: Any) -> str:
    """--serve --tokens-per-s: the replicas a decode target needs, fewest GPUs first; each
    replica's rate from the speed model (speed/inference.py) at its tp and batch."""
    from ..errors import NnsizeError
    from ..parallel.serving import target
    from ..speed.cluster import card
    from ..speed.engines import find_engine
    from ..speed.hardware import hardware
    from ..speed.inference import speed

    a = vars(args)
    if not 0 < a["tokens_per_s"] <= 1e12:
        raise NnsizeError(f"--tokens-per-s is a decode rate above 0, got {a['tokens_per_s']}")
    if not a["source"]:
        raise NnsizeError("--tokens-per-s needs a model (a preset, a config.json): the speed "
                          "model reads its layers; a plain GPT shape has none")
    engine = find_engine(a["engine"] or "vllm").name
    report = count(args, a["source"])  # type: ignore[arg-type]
    gpu, _ = card(t)
    cache: dict[tuple[int, int], float] = {}

    def step_s(tp: int, seqs: int) -> float:
        if (tp, seqs) not in cache:
            s = speed(report, hardware(gpu, "bf16", tp), "bf16", None, seqs, t.context,
                      engine=engine)
            cache[tp, seqs] = s.decode.expected_s
        return cache[tp, seqs]

    found = target(shape, t.gpus, t.context, t.batch or 0, gpu.bytes, step_s, a["tokens_per_s"])
    if a["json"]:
        from ..render.json import dumps
        from ..render.parallel import target_dict

        return dumps(target_dict(shape, found, t, gpu.name, engine, a["tokens_per_s"]))
    from ..render.parallel import target_text

    return target_text(shape, found, t, gpu.name, engine, a["tokens_per_s"], a["limit"])
