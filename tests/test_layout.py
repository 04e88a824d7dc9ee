"""tests/ mirrors src/nnsize/ (issue 25, "tests mirror the source tree"): a package's tests live
in tests/<package>/, each file named test_<module>.py after the module it tests, or listed below
with the modules it spans (a topic file); a flat tests/test_<module>.py tests a top-level module,
or is one of the cross-cutting files below.  The folders that hold no tests are named too."""

from __future__ import annotations

import paths

# folders of tests/ that are no package: what they hold
NOT_PACKAGES = {
    "data": "facts the tests read (published measurements, engine logs, file sizes)",
    "golden": "the commands' expected output (test_golden.py, render/test_render.py)",
    "output": "the page tests' screenshots (written by web/test_page*.py, ignored by git)",
}

# packages of src/nnsize/ with modules that have no tests/<package>/: why (none today)
UNTESTED_PACKAGES: dict[str, str] = {}

# flat files that test no one top-level module: what they check
CROSS_CUTTING = {
    "test_docs.py": "the MkDocs site builds strict and every console example in docs/ runs",
    "test_golden.py": "every command's output against tests/golden/commands",
    "test_hostile.py": "hostile files and requests through the CLI and the API (tests/hostile.py)",
    "test_imports.py": "the one-way layering of every module, and what start-up imports",
    "test_layout.py": "this file: tests/ mirrors src/nnsize/",
    "test_tables.py": "one table per concept (formats, sources, families, commands, engines)",
}

# tests/<package>/test_X.py where X is no module of the package: the modules it spans
TOPICS = {
    "layers/test_spelling.py": ("layers/registry.py",),  # Keras' spellings, translated there
    "architectures/test_classes.py": ("architectures/registry.py", "architectures/heads.py"),
    "architectures/test_default_configs.py": ("architectures/config.py",),
    "architectures/test_compressing_cache.py": ("architectures/fallback_decoder.py",
                                                "memory/kv_cache.py"),
    "architectures/test_fallback_moe.py": ("architectures/fallback_decoder.py",
                                           "architectures/fallback.py"),
    "architectures/test_fallback_planner.py": ("architectures/fallback.py", "memory/plan.py"),
    "architectures/test_fallback_types.py": ("architectures/fallback.py",
                                             "architectures/fallback_decoder.py"),
    "architectures/test_families.py": ("architectures/gpt.py", "architectures/bert_like.py",
                                       "architectures/t5.py"),
    "architectures/test_heads_more.py": ("architectures/heads.py",),
    "architectures/test_published.py": ("architectures/__init__.py",),
    "architectures/test_real_configs.py": ("architectures/__init__.py", "architectures/fallback.py",
                                           "architectures/fallback_decoder.py"),
    "architectures/test_saved_configs.py": ("architectures/config.py",),
    "architectures/test_windows.py": ("architectures/decoder_builder.py", "model/decoder.py"),
    "cli/test_cli.py": ("cli/__init__.py", "cli/count.py", "cli/compare.py"),
    "hub/test_hub.py": ("hub/__init__.py", "hub/fetch.py", "hub/cache.py", "hub/repo.py"),
    "hub/test_pytorch_and_diffusers.py": ("hub/repo.py", "importers/from_torch_checkpoint.py"),
    "hub/test_web_api.py": ("web/hub.py", "render/hub.py"),
    "importers/test_checkpoints.py": ("importers/from_safetensors.py", "importers/from_gguf.py",
                                      "importers/from_torch_checkpoint.py",
                                      "importers/tensors.py"),
    "layers/test_argument_forms.py": ("layers/arguments.py",),
    "layers/test_keras_convention.py": ("layers/registry.py",),
    "layers/test_saves.py": ("layers/__init__.py", "memory/activations.py"),
    "memory/test_engine_logs.py": ("memory/serving.py", "memory/engines.py"),
    "memory/test_lora.py": ("memory/plan.py", "memory/weights.py", "memory/activations.py"),
    "memory/test_stored_plans.py": ("memory/plan.py", "memory/fit.py"),
    "model/test_model.py": ("model/report.py", "model/row.py", "model/tensor.py"),
    "parallel/test_parallel.py": ("parallel/layout.py", "parallel/rank.py", "parallel/step.py",
                                  "parallel/search.py", "parallel/interconnect.py"),
    "memory/test_engine_start.py": ("memory/serving.py", "render/plan.py"),
    "parallel/test_runs.py": ("parallel/rank.py", "parallel/step.py", "parallel/shape.py"),
    "render/test_render.py": ("render/report.py", "render/table.py", "render/numbers.py"),
    "speed/test_measurements.py": ("speed/__init__.py", "speed/fitting.py"),
    "speed/test_speed.py": ("speed/__init__.py", "speed/inference.py", "speed/training.py",
                            "speed/fitting.py"),
    "web/test_page.py": ("web/static/index.html", "web/static/app.js"),
    "web/test_page_layout.py": ("web/static/index.html", "web/static/app.js"),
    "web/test_page_look.py": ("web/static/index.html", "web/static/style.css"),
    "web/test_page_third.py": ("web/static/index.html", "web/static/app.js"),
    "web/test_schema.py": ("web/app.py", "web/requests.py"),
    "web/test_gpt_shape_api.py": ("web/requests.py", "web/answers.py"),
    "web/test_summary.py": ("importers/summary.py", "web/answers.py"),
}


def _packages() -> set[str]:
    return {p.parent.name for p in paths.SRC.glob("*/__init__.py")}


def _folders() -> set[str]:
    return {p.name for p in paths.TESTS.iterdir()
            if p.is_dir() and not p.name.startswith((".", "__"))}


def _modules(package: str) -> set[str]:
    folder = paths.SRC / package
    return ({p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
            | {p.parent.name for p in folder.glob("*/__init__.py")})


def test_every_test_folder_names_a_package() -> None:
    assert _folders() - _packages() - set(NOT_PACKAGES) == set()


def test_every_package_has_a_test_folder() -> None:
    with_modules = {p for p in _packages() if _modules(p)}
    assert with_modules - _folders() - set(UNTESTED_PACKAGES) == set()
    assert set(UNTESTED_PACKAGES) <= with_modules - _folders(), "an exception that has tests"


def test_each_test_file_is_named_after_a_module_or_listed() -> None:
    unnamed = []
    for path in sorted(paths.TESTS.glob("*/test_*.py")):
        package, name = path.parent.name, path.relative_to(paths.TESTS).as_posix()
        if path.stem.removeprefix("test_") not in _modules(package) and name not in TOPICS:
            unnamed.append(name)
    flat = {p.stem.removeprefix("test_") for p in paths.TESTS.glob("test_*.py")
            if p.name not in CROSS_CUTTING}
    top = {p.stem for p in paths.SRC.glob("*.py")}
    assert unnamed == [], "name each after its module, or list it in TOPICS with its subjects"
    assert flat - top == set(), "a flat test names a top-level module, or is CROSS_CUTTING"


def test_the_lists_name_what_exists() -> None:
    stale = [name for name in [*TOPICS, *CROSS_CUTTING] if not (paths.TESTS / name).is_file()]
    stale += [subject for subjects in TOPICS.values() for subject in subjects
              if not (paths.SRC / subject).is_file()]
    stale += [name for name in TOPICS
              if name.split("/")[1].removeprefix("test_")[:-3] in _modules(name.split("/")[0])]
    assert stale == []


def test_module_names_are_unique() -> None:
    """tests/ has no __init__.py: pytest imports each file by its bare name (and the helpers
    are imported so: `from hf import ...`), so two files of one name in two folders collide."""
    names: dict[str, list[str]] = {}
    for path in paths.TESTS.rglob("*.py"):
        if path.name != "conftest.py" and "__pycache__" not in path.parts:
            names.setdefault(path.name, []).append(path.relative_to(paths.TESTS).as_posix())
    assert {n: p for n, p in names.items() if len(p) > 1} == {}
