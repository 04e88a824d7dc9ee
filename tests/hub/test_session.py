"""A hostile Hub (hostile_hub.py) against the command line, each case in its own process under
the limits of tests/test_hostile.py (wall clock, CPU, 1 GiB), and against POST /api/hub: one
line, never a traceback or a 500, in bounded time.  Then what no answer may do: send the token
to another origin, write outside the cache, or give an anonymous visitor what a token read."""

from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_hub import CONFIG, SHARD, Case, cases, summed_shards
from loopback_hub import Hub
from test_hostile import PEAK_BYTES, run_cli

import nnsize
from nnsize.errors import NnsizeError
from nnsize.hub.fetch import HubError

pytest.importorskip("huggingface_hub")

CASES = cases()
DEADLINE_S = "4"  # NNSIZE_HUB_DEADLINE in these tests (the messages say it)
API_SECONDS = 10.0  # guard.REQUEST_SECONDS: every answer within it


@pytest.fixture
def deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNSIZE_HUB_DEADLINE", DEADLINE_S)
    monkeypatch.delenv("NNSIZE_HUB_TIMEOUT", raising=False)


def _cli_problem(case: Case, name: str, folder: Path) -> str:
    code, err, peak, elapsed = run_cli([name, "--json"], folder)
    lines = err.strip().splitlines()
    want = 0 if not case.message else 2
    problems = []
    if code != want:
        problems.append(f"exit {code}, not {want}")
    if "Traceback" in err or len(lines) > 1:
        problems.append(f"{len(lines)} lines on stderr")
    if case.message and not (lines and lines[0].startswith("nnsize: error: ")
                             and re.search(case.message, lines[0])):
        problems.append("not the line expected")
    if peak > PEAK_BYTES:
        problems.append(f"peak memory {peak / 2**20:,.0f} MiB")
    if problems:
        return f"{case.name}: {', '.join(problems)} after {elapsed:.1f} s ({err[-300:]!r})"
    return ""


def test_the_command_line_against_a_hostile_hub(hub: Hub, tmp_path: Path, deadline: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", hub.token)  # a token to keep from other origins
    names = [case.serve(hub) for case in CASES]
    folders = [tmp_path / f"case-{case.name}" for case in CASES]
    for folder in folders:
        folder.mkdir()
    with ThreadPoolExecutor(4) as pool:
        problems = [p for p in pool.map(_cli_problem, CASES, names, folders) if p]
    assert not problems, "\n".join(problems)
    assert not Path("/tmp/nnsize-escape").exists()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_api_against_a_hostile_hub(hub: Hub, case: Case, deadline: None) -> None:
    from fastapi.testclient import TestClient

    from nnsize.web.app import create_app

    client = TestClient(create_app(hub=True), raise_server_exceptions=False)
    name = case.serve(hub)
    start = time.monotonic()
    answer = client.post("/api/hub", json={"name": name})
    assert time.monotonic() - start < API_SECONDS
    assert answer.status_code == case.status, answer.text
    assert answer.headers.get("retry-after") == case.retry_after
    if case.message:
        detail = answer.json()["detail"]
        assert re.search(case.message, detail) and "\n" not in detail, detail


# --- what no answer may do --------------------------------------------------------------------

def test_the_token_stays_with_its_origin(hub: Hub, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub redirects a large file to another host (here another port: another origin):
    the file is read there, without the token."""
    other = Hub()
    try:
        other.blobs = hub.blobs  # the other host serves the files: a CDN
        hub.add("org/away", {"config.json": json.dumps(CONFIG).encode(), **SHARD},
                gated=True, lfs_url=other.url)
        monkeypatch.setenv("HF_TOKEN", hub.token)
        report = nnsize.count("org/away")
        assert report.stored["tensors"] == 4
        assert [p for p, _ in other.seen] == ["/lfs/" + hub.shas[("org/away",
                                                                  "model.safetensors")]] * 2
        assert not any("authorization" in h for _, h in other.seen)  # 0-7, then the header
        assert all(h.get("authorization") == f"Bearer {hub.token}" for _, h in hub.seen)
    finally:
        other.close()


def test_what_the_hub_names_never_becomes_a_path_outside_the_cache(
        hub: Hub, tmp_path: Path) -> None:
    for case in (c for c in CASES if c.name.startswith("sha-")):
        hub.add(case.repo, case.files)
        assert case.behave is not None
        hub.hostile = [case.behave(case.repo)]
        with pytest.raises(NnsizeError, match="not 40 hexadecimal digits"):
            nnsize.count(case.repo)
    home = Path(os.environ["HF_HOME"])
    assert not Path("/tmp/nnsize-escape").exists()
    assert all(home in p.parents for p in home.rglob("*"))


def test_what_a_token_read_is_never_answered_without_one(
        hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator counts a gated model with a token; then the Hub is out of reach, or the
    server offline: its anonymous visitors still get no answer from that cache."""
    import huggingface_hub.constants
    from fastapi.testclient import TestClient

    from nnsize.web.app import create_app

    hub.add("org/gated", {"config.json": json.dumps(CONFIG).encode(), **SHARD}, gated=True)
    hub.add("org/open", {"config.json": json.dumps(CONFIG).encode()})
    client = TestClient(create_app(hub=True), raise_server_exceptions=False)
    assert client.post("/api/hub", json={"name": "org/open"}).status_code == 200
    monkeypatch.setenv("HF_TOKEN", hub.token)
    assert nnsize.count("org/gated").stored["tensors"] == 4
    hub.close()
    answer = client.post("/api/hub", json={"name": "org/gated"})
    assert answer.status_code == 502 and "not in the cache" in answer.json()["detail"]
    assert client.post("/api/hub", json={"name": "org/open"}).status_code == 200  # public
    assert nnsize.count("org/gated").stored["hub"]["offline"]  # the operator's, from cache
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    answer = client.post("/api/hub", json={"name": "org/gated"})
    assert answer.status_code == 503 and "nothing of it is cached" in answer.json()["detail"]
    monkeypatch.delenv("HF_TOKEN")  # the command line without a token: the same
    with pytest.raises(NnsizeError, match="nothing of it is cached"):
        nnsize.count("org/gated")


def test_a_failing_hub_is_asked_again_with_backoff(hub: Hub, deadline: None) -> None:
    case = next(c for c in CASES if c.name == "status-503")
    case.serve(hub)
    start = time.monotonic()
    with pytest.raises(HubError, match="503") as e:
        nnsize.count(case.repo)
    # 4 tries, after 0.5, 1 and 2 s
    assert 3.4 < time.monotonic() - start < 6
    assert sum(p.startswith(f"/api/models/{case.repo}/") for p, _ in hub.seen) == 4
    assert e.value.status == 502


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("NNSIZE_HUB_DEADLINE", "soon", "NNSIZE_HUB_DEADLINE='soon': give a number of seconds"),
    ("NNSIZE_HUB_TIMEOUT", "0", "NNSIZE_HUB_TIMEOUT='0': give a number of seconds"),
])
def test_the_deadlines_are_numbers(hub: Hub, monkeypatch: pytest.MonkeyPatch, variable: str,
                                   value: str, message: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(NnsizeError, match=message):
        nnsize.count("org/anything")


def test_a_request_has_its_own_timeout(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.name == "drip-config")
    case.serve(hub)
    monkeypatch.setenv("NNSIZE_HUB_TIMEOUT", "1.5")
    start = time.monotonic()
    with pytest.raises(NnsizeError, match=r"has not answered config.json within 1.5 s "
                                          r"\(--hub-timeout, NNSIZE_HUB_TIMEOUT\)"):
        nnsize.count(case.repo)
    assert time.monotonic() - start < 4


@pytest.mark.parametrize(("option", "message"), [
    ("--hub-timeout", r"has not answered config.json within 1.5 s \(--hub-timeout, "
                      r"NNSIZE_HUB_TIMEOUT\)"),
    ("--hub-deadline", r"has not answered config.json within 1.5 s, the deadline for reading a "
                       r"Hub model \(--hub-deadline, NNSIZE_HUB_DEADLINE\)"),
])
def test_the_deadlines_are_options_too(hub: Hub, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], option: str,
                                       message: str) -> None:
    """The command line's option comes before the environment's variable (set longer here)."""
    from nnsize.cli import main
    from nnsize.hub.deadlines import OPTIONS

    case = next(c for c in CASES if c.name == "drip-config")
    case.serve(hub)
    monkeypatch.setenv("NNSIZE_HUB_TIMEOUT", "30")
    monkeypatch.setenv("NNSIZE_HUB_DEADLINE", "30")
    start = time.monotonic()
    try:
        assert main([case.repo, option, "1.5", "--json"]) == 2
    finally:
        OPTIONS.clear()  # the command's own, for this process's other tests
    assert time.monotonic() - start < 4
    err = capsys.readouterr().err.strip()
    assert re.search(message, err) and "\n" not in err, err
    assert main(["10-2", option, "-1"]) == 2
    assert "give a number of seconds, more than 0" in capsys.readouterr().err
    assert not OPTIONS


@pytest.mark.parametrize(("limit", "value", "shards", "tensors", "name_bytes", "message"), [
    # 20 shards of 60 tensors, each legal under a limit of 1,000: 1,200 in all
    ("MAX_TENSORS", 1000, 20, 60, 1, "lists more than 1,000 tensors over all its files"),
    # 20 headers of about 2,000 bytes, each legal under a limit of 20,000: 40,000 in all
    ("MAX_HEADER", 20_000, 20, 1, 2000, "headers hold more than 20,000 bytes over all its "
                                        "files"),
])
def test_limits_hold_across_shards(hub: Hub, monkeypatch: pytest.MonkeyPatch, limit: str,
                                   value: int, shards: int, tensors: int, name_bytes: int,
                                   message: str) -> None:
    """A checkpoint in many legal shards is held to the limits of one file (the hostile cases
    above cannot show it at the real limits: a million tensors take seconds to parse)."""
    from nnsize.importers import from_safetensors

    monkeypatch.setattr(from_safetensors, limit, value)
    hub.add("evil/sum", summed_shards(shards, tensors, name_bytes))
    with pytest.raises(NnsizeError, match=message):
        nnsize.count("evil/sum")
    hub.add("evil/one", summed_shards(1, tensors, name_bytes))
    assert nnsize.count("evil/one").stored["tensors"] == tensors  # one is within the limits


def test_a_split_gguf_file_is_held_to_the_limits_of_one(hub: Hub, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from hub_repos import write_gguf

    from nnsize.importers import from_gguf

    part = write_gguf(tmp_path / "a.gguf").read_bytes()
    hub.add("evil/split-GGUF", {f"tiny-Q4_0-0000{i}-of-00003.gguf": part for i in (1, 2, 3)})
    # 3 parts of 2 tensors each: within a limit of 6 tensors, not of 5
    assert nnsize.count("evil/split-GGUF:Q4_0").stored["tensors"] == 6
    monkeypatch.setattr(from_gguf, "MAX_TENSORS", 5)
    with pytest.raises(NnsizeError, match="lists more than 5 tensors over all its files"):
        nnsize.count("evil/split-GGUF:Q4_0")


# --- the server's cache -----------------------------------------------------------------------

def _cached(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def test_the_servers_cache_is_bounded_and_least_recently_used_goes_first(
        hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from nnsize.hub import cache
    from nnsize.web.app import create_app

    config = json.dumps(CONFIG).encode()
    for i in range(6):
        hub.add(f"org/m{i}", {"config.json": config, **SHARD})
    public = tmp_path / "hf_home" / "nnsize" / "public"
    client = TestClient(create_app(hub=True), raise_server_exceptions=False)
    assert client.post("/api/hub", json={"name": "org/m0"}).status_code == 200
    one_bytes, one_files = _cached(public)  # a model: ref, file list, config, shard header
    assert one_files == 4
    # room for 2 models (their names are as long: their files weigh the same)
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2 * one_files)
    monkeypatch.setattr(cache, "MAX_BYTES", 2 * one_bytes)

    def ask(i: int) -> list[str]:
        assert client.post("/api/hub", json={"name": f"org/m{i}"}).status_code == 200
        nbytes, files = _cached(public)
        assert nbytes <= 2 * one_bytes and files <= 2 * one_files
        return sorted(p.name.removeprefix("models--org--") for p in public.iterdir())

    assert ask(1) == ["m0", "m1"]
    assert ask(2) == ["m1", "m2"]
    assert ask(1) == ["m1", "m2"]  # from the cache: m1 is the most recently used now
    assert ask(3) == ["m1", "m3"]  # m2 the least
    assert ask(4) == ["m3", "m4"]
    # one model larger than the whole cache is counted, and not kept
    monkeypatch.setattr(cache, "MAX_BYTES", one_bytes - 1)
    assert ask(5) == ["m3", "m4"]


def test_the_command_lines_cache_is_bounded_too(hub: Hub, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The same bound (hub/cache.py) holds nnsize's cache when the command line reads the Hub:
    the least recently used model goes first, and one larger than the whole cache is counted
    and not kept."""
    from nnsize.cli import main
    from nnsize.hub import cache

    config = json.dumps(CONFIG).encode()
    for i in range(5):
        hub.add(f"org/c{i}", {"config.json": config, **SHARD})
    public = tmp_path / "hf_home" / "nnsize" / "public"
    assert main(["org/c0", "--json"]) == 0
    one_bytes, one_files = _cached(public)  # a model: ref, file list, config, shard header
    assert one_files == 4
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2 * one_files)
    monkeypatch.setattr(cache, "MAX_BYTES", 2 * one_bytes)

    def ask(i: int) -> list[str]:
        assert main([f"org/c{i}", "--json"]) == 0
        nbytes, files = _cached(public)
        assert nbytes <= 2 * one_bytes and files <= 2 * one_files
        return sorted(p.name.removeprefix("models--org--") for p in public.iterdir())

    assert ask(1) == ["c0", "c1"]
    assert ask(2) == ["c1", "c2"]
    assert ask(1) == ["c1", "c2"]  # from the cache: c1 is the most recently used now
    assert ask(3) == ["c1", "c3"]  # c2 the least
    monkeypatch.setattr(cache, "MAX_BYTES", one_bytes - 1)
    assert ask(4) == ["c1", "c3"]  # counted, not kept
    capsys.readouterr()


@pytest.mark.parametrize("name", ["index-shards", "config-huge", "listing-files"])
def test_the_servers_cache_keeps_nothing_refused(hub: Hub, tmp_path: Path, name: str,
                                                 deadline: None) -> None:
    from fastapi.testclient import TestClient

    from nnsize.web.app import create_app

    case = next(c for c in CASES if c.name == name)
    client = TestClient(create_app(hub=True), raise_server_exceptions=False)
    assert client.post("/api/hub", json={"name": case.serve(hub)}).status_code == case.status
    assert not (tmp_path / "hf_home" / "nnsize").exists() or \
        _cached(tmp_path / "hf_home" / "nnsize") == (0, 0)
