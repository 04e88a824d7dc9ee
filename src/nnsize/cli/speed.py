"""nnsize speed: decode tokens per second and time to first token, bound and expected."""

from __future__ import annotations

from .options import Parser, count, field_options, from_fields, json_option, language_model_options


def run(argv: list[str]) -> str:
    from ..speed import SpeedSetup, estimate
    from ..speed.setup import speed_fields

    if "--list-gpus" in argv:
        from ..gpus import GPUS

        if "--json" in argv:
            from ..render.json import dumps, gpu_list

            return dumps(gpu_list(list(GPUS.values())))
        from ..render.speed import gpu_table

        return gpu_table(list(GPUS.values()))
    p = Parser(prog="nnsize speed", description="How fast a language model decodes and reads "
               "a prompt: the bytes and FLOPs of each step over the card's bandwidth and peak, "
               "as a roofline bound and as the value an engine reaches.")
    p.add_argument("source", nargs="?", default="", help="a language model: a preset "
                   "(llama-3.1-8b) or a config.json (or none with --layers --hidden --heads)")
    field_options(p, speed_fields())
    p.add_argument("--list-gpus", action="store_true", help="the catalogue, with sources")
    json_option(p)
    language_model_options(p)
    args = p.parse_args(argv)
    from ..speed.setup import planner_fit

    report = count(args, args.source)
    s = from_fields(SpeedSetup, speed_fields(), args)
    result = estimate(report, s)
    fit = planner_fit(report, s)  # the memory planner's word on the same setup
    if args.json:
        from ..render.json import dumps, speed_dict

        return dumps(speed_dict(result, fit))
    from ..render.speed import planner_line, speed_text

    return speed_text(result) + (planner_line(*fit) if fit and fit[0] > fit[1] else "")
