"""Reading a layer spec from a JSON or YAML file, safely."""

from __future__ import annotations

import os
from typing import Any

from .errors import SpecError

MAX_SPEC_BYTES = 16 * 1024 * 1024
SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def looks_like_file(text: str) -> bool:
    return text.lower().endswith(SPEC_SUFFIXES) or os.path.isfile(text)


def load(path: str) -> Any:
    """The parsed contents of a spec file; SpecError for a missing, huge or malformed file."""
    try:
        size = os.path.getsize(path)
        if size > MAX_SPEC_BYTES:
            raise SpecError(f"{path}: {size:,} bytes is too large for a layer spec "
                            f"(at most {MAX_SPEC_BYTES:,})")
        with open(path, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError as e:
        raise SpecError(f"{path}: no such file") from e
    except IsADirectoryError as e:
        raise SpecError(f"{path}: is a directory, not a spec file") from e
    except OSError as e:
        raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start})") from e
    if path.lower().endswith((".yaml", ".yml")):
        return parse_yaml(text, path)
    return parse_json(text, path)


def parse_json(text: str, where: str) -> Any:
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"{where}: invalid JSON at line {e.lineno}, column {e.colno}: "
                        f"{e.msg}") from e
    except RecursionError as e:
        raise SpecError(f"{where}: JSON nested too deeply") from e
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise SpecError(f"{where}: invalid JSON: {e}") from e


def parse_yaml(text: str, where: str) -> Any:
    import yaml  # only for YAML files

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{where}: invalid YAML{at}: {e.problem or e}") from e
    except yaml.YAMLError as e:
        raise SpecError(f"{where}: invalid YAML: {e}") from e
    except RecursionError as e:
        raise SpecError(f"{where}: YAML nested too deeply") from e
    except ValueError as e:
        raise SpecError(f"{where}: invalid YAML: {e}") from e
