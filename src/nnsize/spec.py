"""Reading a layer spec from a JSON or YAML file, safely."""

from __future__ import annotations

import os

from .errors import SpecError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_SPEC_BYTES = 16 * 1024 * 1024
SPEC_SUFFIXES = (".json", ".yaml", ".yml")
# transformers 5 saves the floats JSON has no literal for as {"__float__": "Infinity"} (Bamba's
# time_step_limit), and reads them back as floats (PreTrainedConfig._decode_special_floats)
SPECIAL_FLOATS = {"Infinity": float("inf"), "-Infinity": float("-inf"), "NaN": float("nan")}


def looks_like_file(text: str) -> bool:
    return text.lower().endswith(SPEC_SUFFIXES) or os.path.isfile(text)


def load(path: str) -> Any:
    """The parsed contents of a spec file; SpecError for a missing, huge or malformed file."""
    from .files import read_bounded

    raw = read_bounded(path, MAX_SPEC_BYTES, "a layer spec")
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
        data = json.loads(text, object_hook=_special_float)
        if "\\u" in text:  # an escaped lone surrogate (\ud800) is no character to print
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except UnicodeEncodeError as e:
        raise SpecError(f"{where}: invalid JSON: a string holds a lone surrogate "
                        f"(\\ud800-\\udfff), which is no character") from e
    except json.JSONDecodeError as e:
        raise SpecError(f"{where}: invalid JSON at line {e.lineno}, column {e.colno}: "
                        f"{e.msg}") from e
    except RecursionError as e:
        raise SpecError(f"{where}: JSON nested too deeply") from e
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise SpecError(f"{where}: invalid JSON: {e}") from e


def special_floats(value: Any) -> Any:
    """value with every {"__float__": "Infinity"} (or "-Infinity", "NaN") in it a float, as
    transformers reads the config.json it saved."""
    if isinstance(value, dict):
        return _special_float({k: special_floats(v) for k, v in value.items()})
    if isinstance(value, list):
        return [special_floats(v) for v in value]
    return value


def _special_float(obj: dict[str, Any]) -> Any:
    tag = obj.get("__float__") if len(obj) == 1 else None
    return SPECIAL_FLOATS[tag] if isinstance(tag, str) and tag in SPECIAL_FLOATS else obj


def parse_yaml(text: str, where: str) -> Any:
    """YAML's safe subset; aliases may not expand the document past MAX_YAML_NODES nodes
    (600 bytes of nested aliases can stand for billions), checked before anything reads it."""
    import yaml  # only for YAML files

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where)
        return loader.construct_document(node)
    except SpecError:
        raise
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
    finally:
        loader.dispose()


MAX_YAML_NODES = 1_000_000  # nodes of a YAML document with every alias expanded
# a scalar counts as one node per this many characters: a long string repeated through aliases
# costs what its copies would (a 108 KB file could otherwise stand for gigabytes of text)
SCALAR_CHARS = 16


def _check_expansion(root: Any, where: str) -> None:
    """Count the nodes the document stands for, each shared node once per use (memoised by
    node, so the count costs one visit per distinct node); refuse cycles and big expansions."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise SpecError(f"{where}: a YAML alias refers to a node that contains it")
        if depth > 500:
            raise SpecError(f"{where}: YAML nested too deeply")
        active.add(key)
        n = 1
        if isinstance(node, yaml.ScalarNode):
            n += len(node.value) // SCALAR_CHARS
        elif isinstance(node, yaml.SequenceNode):
            n += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            n += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if n > MAX_YAML_NODES:
            raise SpecError(f"{where}: the YAML's aliases expand it to more than "
                            f"{MAX_YAML_NODES:,} values (a scalar counting one per "
                            f"{SCALAR_CHARS} characters); nnsize reads at most that many")
        active.discard(key)
        sizes[key] = n
        return n

    size(root, 0)
