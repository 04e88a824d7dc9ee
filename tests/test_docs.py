"""The documentation: the site builds (a broken link, a missing page or API reference fails it),
and every example in it runs with the output it shows.

A ```console block holds `$ nnsize ...` lines, each followed by its exact output; a ```pycon
block is a doctest.  `pytest tests/test_docs.py --overwrite` rewrites the console blocks' output
from the current nnsize after an intended change (the goldens' convention).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from nnsize.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(r"^```(console|pycon)\n(.*?)^```$", re.S | re.M)


def _blocks(kind: str) -> list[tuple[Path, int]]:
    return [(page, i) for page in PAGES
            for i, m in enumerate(BLOCK.finditer(page.read_text())) if m.group(1) == kind]


def _id(case: tuple[Path, int]) -> str:
    return f"{case[0].relative_to(ROOT)}#{case[1]}"


def _run(command: str) -> str:
    """What `nnsize ARGS` prints (stdout then stderr), run in this process."""
    argv = shlex.split(command)
    assert argv[0] == "nnsize", f"a console example runs nnsize, not {argv[0]!r}"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv[1:])
    assert code in (0, 1), f"{command!r} exited {code}: {err.getvalue()}"
    return out.getvalue() + err.getvalue()


def _console(body: str) -> str:
    """The block with each command's output as nnsize prints it now."""
    lines = [line for line in body.splitlines() if line.startswith("$ ")]
    assert lines, "a console block with no '$ nnsize' line"
    return "".join(f"{line}\n{_run(line[2:])}" for line in lines)


@pytest.mark.parametrize("case", _blocks("console"), ids=_id)
def test_console_example(case: tuple[Path, int], overwrite: bool) -> None:
    page, index = case
    text = page.read_text()
    m = list(BLOCK.finditer(text))[index]
    now = _console(m.group(2))
    if overwrite and now != m.group(2):
        page.write_text(text[:m.start(2)] + now + text[m.end(2):])
        return
    assert m.group(2) == now, (f"{_id(case)}: the example's output changed; rerun with "
                               "--overwrite if intended")


@pytest.mark.parametrize("case", _blocks("pycon"), ids=_id)
def test_python_example(case: tuple[Path, int]) -> None:
    page, index = case
    body = list(BLOCK.finditer(page.read_text()))[index].group(2)
    test = doctest.DocTestParser().get_doctest(body, {}, _id(case), str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_every_page_has_examples_or_is_prose() -> None:
    """The README's examples are all run: five command or Python examples at least."""
    readme = [m.group(1) for m in BLOCK.finditer((ROOT / "README.md").read_text())]
    assert len(readme) >= 5


def test_every_page_is_in_the_nav() -> None:
    """mkdocs.yml's nav names every page under docs/ (mkdocs only warns of one left out)."""
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs").rglob("*.md"):
        assert f" {page.relative_to(ROOT / 'docs').as_posix()}\n" in nav, page


def test_every_command_has_a_page() -> None:
    from nnsize.cli import COMMANDS

    for command in COMMANDS:
        assert (ROOT / "docs" / "commands" / f"{command}.md").is_file(), command


def test_the_site_builds(tmp_path: Path) -> None:
    """`mkdocs build --strict`: a broken link, anchor, page or API reference is an error."""
    if importlib.util.find_spec("mkdocs") is None:  # the `docs` (and `test`) extra has it
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "index.html").read_text().count('id="nnsize.') > 10


def test_the_models_page_names_every_family() -> None:
    """docs/models.md states how many model types nnsize builds and names each: the error for an
    unsupported model_type points there instead of listing them."""
    from nnsize.architectures import families

    text = (ROOT / "docs" / "models.md").read_text()
    listed = text[text.index("families (`model_type`)"):text.index("Older configs")]
    assert f"{len(families())} families (`model_type`)" in text
    assert [f for f in sorted(families()) if not re.search(rf"\b{re.escape(f)}\b", listed)] == []
