"""nnsize presets: the models nnsize knows by name, and where their numbers come from."""

from __future__ import annotations

from .options import Parser, json_option


def run(argv: list[str]) -> str:
    from ..architectures.presets import presets

    p = Parser(prog="nnsize presets", description="The models nnsize knows by name.")
    json_option(p)
    args = p.parse_args(argv)
    found = list(presets().values())
    if args.json:
        from ..render.json import dumps, preset_list

        return dumps(preset_list(found))
    from ..render.presets import preset_table

    return preset_table(found)
