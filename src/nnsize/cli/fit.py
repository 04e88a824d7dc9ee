"""nnsize fit: will it fit on a GPU; the largest batch, the longest context, the fewest GPUs."""

from __future__ import annotations

from .options import Parser, count, setup, setup_options


def run(argv: list[str]) -> str:
    from ..gpus import find_gpu
    from ..memory import fit
    from ..memory.fit import on_gpu

    p = Parser(prog="nnsize fit", description="Will it fit on a GPU: the largest batch, the "
               "longest context, the fewest GPUs, the precisions that fit.")
    setup_options(p)
    p.add_argument("--gpu", required=True, help="a size (24GiB, 80 GB) or a GPU: rtx-4090, "
                   "a100-80gb, h100-80gb...")
    args = p.parse_args(argv)
    gpu = find_gpu(args.gpu)
    from ..memory.plan import settle
    from ..memory.serving import serving
    from ..memory.setup import resolve

    report = count(args, args.source)
    # the context asked, else the default at most the model's own (BERT: 512)
    s = settle(report, resolve(setup(args), str(report.stored.get("format", ""))))
    s, usable = on_gpu(s, gpu.reported, gpu.name, gpu.usable)  # what CUDA reports
    result = fit(report, s, usable)
    engine = serving(report, s, gpu)  # the engine's own start-up figures
    at_split = None
    if engine.offload is not None:  # llama.cpp: decode at the most layers -ngl fits
        from ..speed.offload import fit_split

        at_split = fit_split(report, gpu, s, engine.offload.gpu_layers)
    if args.json:
        from ..render.json import dumps, fit_dict

        return dumps(fit_dict(result, gpu, engine, at_split))
    from ..render.plan import fit_text

    return fit_text(result, gpu, engine, at_split)
