"""docs/json.md's schemas, written from the models: which model each endpoint and command
answers, and a table of each model's keys (tests/web/test_schemas.py writes them there)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .index import ANSWERS, COMMANDS

__all__ = ["documented"]


def _named(kind: Any) -> str:
    """A type of ANSWERS in words: a model's name, a list of one, one of several."""
    from typing import get_args, get_origin

    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return f"[{kind.__name__}](#{kind.__name__.lower()})"
    if get_origin(kind) is list:
        return f"a list of {_named(get_args(kind)[0])}"
    if kind is str:
        return "string"
    return " or ".join(_named(k) for k in get_args(kind))


def _models(kind: Any) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [kind]
    return [m for k in get_args(kind) for m in _models(k)]


def _type(schema: dict[str, Any]) -> str:
    """A property's JSON schema in words (Integer: an integer, exact, perhaps as a string)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return "any JSON" if name == "JsonValue" else f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        kinds = schema["anyOf"]
        if [k.get("type") for k in kinds] == ["integer", "string"]:
            return "integer"
        if [k.get("type") for k in kinds] == ["number", "integer", "string"]:
            return "number"
        return " or ".join(dict.fromkeys(_type(k) for k in kinds))
    if "enum" in schema or "const" in schema:
        return " or ".join(f'`"{v}"`' for v in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(_type(k) for k in schema["prefixItems"]) + "]"
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"object of {_type(extra)}" if isinstance(extra, dict) else "object"
    return {"string": "string", "boolean": "boolean", "number": "number", "integer": "integer",
            "null": "null"}.get(str(kind), "any")


def documented() -> str:
    """docs/json.md's generated part, from the models' JSON schemas: which schema each
    endpoint answers, and each schema's keys (a table per model)."""
    from pydantic.json_schema import models_json_schema

    rows = ["| endpoint | answers |", "| --- | --- |",
            *(f"| `{path}` | {_named(kind)} |" for path, kind in ANSWERS.items()),
            *(f"| `{' '.join(['nnsize', *name.split(), '--json'])}` | {_named(kind)} |"
              for name, kind in COMMANDS.items())]
    models = list(dict.fromkeys(m for kind in (*ANSWERS.values(), *COMMANDS.values())
                                for m in _models(kind)))
    _, schema = models_json_schema([(m, "serialization") for m in models])
    out = ["\n".join(rows)]
    for name, one in schema["$defs"].items():
        if name == "JsonValue":  # JSON from outside (a GGUF file's metadata): no keys
            continue
        lines = [f"### {name}", ""]
        if one.get("description"):
            lines += [" ".join(one["description"].split()), ""]
        lines += ["| key | type | meaning |", "| --- | --- | --- |"]
        required = set(one.get("required", ()))
        for key, prop in one["properties"].items():
            kind = _type(prop) + ("" if key in required else ", or absent")
            meaning = " ".join(prop.get("description", "").split()).replace("|", "\\|")
            lines.append(f"| `{key}` | {kind} | {meaning} |")
        extra = one.get("additionalProperties")
        if isinstance(extra, dict):
            lines.append(f"| other keys | {_type(extra)} | |")
        out.append("\n".join(lines))
    return "\n\n".join(out)
