"""nnsize train-time: time to train a language model on N tokens, at a stated MFU."""

from __future__ import annotations

from .options import Parser, count, field_options, from_fields, json_option, language_model_options


def run(argv: list[str]) -> str:
    from ..speed import TrainingSetup, train
    from ..speed.setup import training_fields

    p = Parser(prog="nnsize train-time", description="Time to train a language model on a "
               "number of tokens: 6 x active parameters + attention FLOPs a token, over the "
               "cards' peak at a model-FLOPs utilisation.")
    p.add_argument("source", nargs="?", default="", help="a language model: a preset "
                   "(llama-3.1-8b) or a config.json (or none with --layers --hidden --heads)")
    field_options(p, training_fields())
    json_option(p)
    language_model_options(p)
    args = p.parse_args(argv)
    t = from_fields(TrainingSetup, training_fields(), args)
    from ..speed.setup import laid_out, train_layout

    if laid_out(t):
        run_ = train_layout(count(args, args.source), t)
        if args.json:
            from ..render.json import dumps
            from ..render.parallel import run_dict

            return dumps(run_dict(run_))
        from ..render.parallel import run_text

        return run_text(run_)
    result = train(count(args, args.source), t)
    if args.json:
        from ..render.json import dumps, training_dict

        return dumps(training_dict(result))
    from ..render.speed import training_text

    return training_text(result)
