"""A model on the Hub as nnsize reports it: the count from its config, and what its checkpoint
stores (tensors, dtypes, bytes, from the safetensors headers or PyTorch's pickles), with where
the two differ.

    config.json                       -> the model transformers builds (architectures/)
    model.safetensors[.index.json]    -> every tensor stored: name, shape, dtype, bytes
    pytorch_model.bin[.index.json]    -> the same, from each zip's directory and data.pkl
    both                              -> the config's report, the checkpoint's summary beside it
    model_index.json (diffusers)      -> every component's weights (unet/, vae/...) as one
    repo:Q4_K_M                       -> that GGUF file's header (all its parts)
"""

from __future__ import annotations

import io
import json
import re
import threading
from typing import IO, Any, NamedTuple, Protocol

from ..errors import NnsizeError
from ..model import Report
from ..records import replace
from .cache import Bound
from .fetch import WORKERS, HubError, Remote
from .name import HubName
from .records import Snapshot, Spans

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents, Differences, HubInfo


class Source(Protocol):
    """A repo to read: on the Hub (fetch.Remote) or on disk (folder.Folder)."""

    name: HubName

    def snapshot(self) -> Snapshot: ...

    def small_file(self, filename: str, commit: str) -> bytes: ...

    def head(self, filename: str, commit: str, read: Any,
             chunk: int = 0) -> tuple[Any, int]: ...


CONFIG, PIPELINE = "config.json", "model_index.json"
# the weights a repo, or a diffusers component's folder, holds: the first of these it has, in
# the order transformers and diffusers prefer them (safetensors first, an index before a file)
WEIGHTS = ("model.safetensors.index.json", "model.safetensors",
           "diffusion_pytorch_model.safetensors.index.json",
           "diffusion_pytorch_model.safetensors",
           "pytorch_model.bin.index.json", "pytorch_model.bin",
           "diffusion_pytorch_model.bin.index.json", "diffusion_pytorch_model.bin")
SOME_WEIGHTS = "model.safetensors or pytorch_model.bin, or their .index.json"
PARTS = ("both", "config", "checkpoint")
GGUF_CHUNK = 64 * 1024
# a quantization in a GGUF file name: Q4_K_M, IQ2_XXS, Q8_0, BF16, F16, F32, MXFP4...
QUANT = re.compile(r"(?<![A-Za-z0-9])((?:I?Q[0-9][A-Za-z0-9_]*?)|BF16|F16|F32|MXFP4(?:_MOE)?)"
                   r"(?=[-.]|$)", re.IGNORECASE)
LIMIT = 20  # names listed per kind of difference
MAX_SHARDS = 4096  # files of one checkpoint (the largest published: a few hundred)


class Budget:
    """Limits that hold across all the files of a checkpoint (its shards, a GGUF file's parts),
    not per file: the header bytes read in all, the tensors listed in all.  The limits are one
    file's (importers/), so 20 legal shards cost no more than one."""

    def __init__(self, max_header_bytes: int, max_tensors: int) -> None:
        self.max_header_bytes, self.max_tensors = max_header_bytes, max_tensors
        self.header_bytes, self.tensors = 0, 0
        self.lock = threading.Lock()  # shards are read from threads

    def read(self, nbytes: int, where: str) -> None:
        """nbytes more of a header are about to be read."""
        with self.lock:
            self.header_bytes += nbytes
            if self.header_bytes > self.max_header_bytes:
                raise NnsizeError(f"{where}: the checkpoint's headers hold more than "
                                  f"{self.max_header_bytes:,} bytes over all its files, the "
                                  f"most nnsize reads")

    def listed(self, tensors: int, where: str) -> None:
        """tensors more were listed."""
        with self.lock:
            self.tensors += tensors
            if self.tensors > self.max_tensors:
                raise NnsizeError(f"{where}: the checkpoint lists more than "
                                  f"{self.max_tensors:,} tensors over all its files, the most "
                                  f"nnsize reads")


def count(name: HubName, base: bool = False, part: str = "both",
          anonymous: bool = False, deadline_s: float | None = None,
          bound: Bound | None = None) -> Report:
    """The report of a Hub model (part: both, or only its config's count or its checkpoint's);
    anonymous: read without a token, whatever HF_TOKEN says (as the web server does);
    deadline_s: at most that long for all its requests (else NNSIZE_HUB_DEADLINE's);
    bound: the cache held to it (None: hub/cache.py's), and given only what a model that was
    counted needed."""
    remote = Remote(name, anonymous, deadline_s, bound)
    report = count_source(remote, base, part)
    remote.keep()
    return report


def weights_file(files: set[str] | tuple[str, ...], folder: str = "") -> str | None:
    """The checkpoint a repo's files (or those of its folder) hold: one of WEIGHTS, or None."""
    for name in WEIGHTS:
        path = f"{folder}/{name}" if folder else name
        if path in files:
            return path
    return None


def is_model_folder(path: str) -> bool:
    """A folder holding a config.json, weights or a diffusers model_index.json at its top."""
    import os

    return os.path.isdir(path) and any(os.path.isfile(os.path.join(path, f))
                                       for f in (CONFIG, PIPELINE, *WEIGHTS))


def count_folder(path: str, base: bool = False, part: str = "both") -> Report:
    """A model folder on disk (save_pretrained's), read as a Hub repo is."""
    from .folder import Folder

    if not is_model_folder(path):
        raise NnsizeError(f"{path}: a folder without a config.json, {PIPELINE} or weights "
                          f"({SOME_WEIGHTS})")
    return count_source(Folder(path), base, part)


def count_source(remote: Source, base: bool = False, part: str = "both") -> Report:
    """The report of a repo, remote (Remote) or on disk (Folder)."""
    if part not in PARTS:
        raise NnsizeError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    name = remote.name
    snap = remote.snapshot()
    files = set(snap.files)
    ggufs = sorted(f for f in snap.files if f.lower().endswith(".gguf"))
    weights = weights_file(files)
    has_weights = weights is not None
    if name.quant is not None or (ggufs and CONFIG not in files and not has_weights):
        return _gguf(remote, snap, ggufs)
    if PIPELINE in files and CONFIG not in files and not has_weights:
        return _pipeline(remote, snap, part)
    if CONFIG not in files and not has_weights:
        other = f" (it has GGUF files: name one, {name.repo}:QUANT)" if ggufs else ""
        raise HubError(f"{name}: the repo has neither a config.json nor weights "
                       f"({SOME_WEIGHTS}){other}")
    config: Report | None = None
    config_error = ""
    if CONFIG in files and part != "checkpoint":
        try:
            config = _count_config(remote, snap, base)
        except HubError:
            raise
        except NnsizeError as e:
            if part == "config" or not has_weights:
                raise
            config_error = str(e)
    checkpoint = _checkpoint(remote, snap, weights) \
        if weights is not None and part != "config" else None
    hub = _hub_info(remote, snap)
    if config is None and checkpoint is None:
        missing = CONFIG if part == "config" else f"weights ({SOME_WEIGHTS})"
        raise HubError(f"{name}: the repo has no {missing}")
    if checkpoint is None:
        assert config is not None
        note: Contents = {} if part == "config" else \
            {"checkpoint": f"no weights ({SOME_WEIGHTS})"}
        stored: Contents = {**config.stored, **_hub(hub), **note}
        return replace(config, stored=stored)
    if config is None:
        extra: Contents = {"config_error": config_error} if config_error else {}
        stored = {**checkpoint.stored, **_hub(hub), **extra}
        return replace(checkpoint, stored=stored)
    stored = {**checkpoint.stored, **config.stored, **_hub(hub),
              "differences": differences(config, checkpoint, str(name))}
    return replace(config, stored=stored)


def _count_config(remote: Source, snap: Snapshot, base: bool) -> Report:
    from ..architectures import count_config

    where = f"{remote.name.repo}/{CONFIG}"
    raw = remote.small_file(CONFIG, snap.commit)
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise NnsizeError(f"{where}: not valid JSON ({e})") from e
    report = count_config(data, where, base)
    return replace(report, source=f"{remote.name} ({CONFIG})")


def _read_safetensors(where: str, budget: Budget) -> Any:
    from ..importers.from_safetensors import header_length, parse_header

    def read(f: IO[bytes], size: int) -> tuple[list[Any], int]:
        length = header_length(f.read(8), size, where)
        budget.read(length, where)  # before it is read
        raw = f.read(length)
        # every tensor is a JSON object: at most this many, counted before they are parsed
        most = raw.count(b"{") - 1
        budget.listed(most, where)
        tensors = parse_header(raw, size - 8 - length, where)
        budget.listed(len(tensors) - most, where)
        return tensors, size

    return read


def _read_torch(where: str, budget: Budget) -> Any:
    from ..importers.from_torch_checkpoint import read_tensors

    def read(f: IO[bytes], size: int) -> tuple[list[Any], int]:
        charged: Any = _Charged(f, size, budget, where)  # a binary stream, as f is
        tensors = read_tensors(charged, size, where)
        budget.listed(len(tensors), where)
        return tensors, size

    return read


class _Charged(io.RawIOBase):
    """A file whose reads are charged to a Budget before they are made: the bytes of it not
    read before (a zip's end record is read twice; a legacy file's pickles again from its
    start, in a slice that grows)."""

    def __init__(self, f: IO[bytes], size: int, budget: Budget, where: str) -> None:
        super().__init__()
        self.f, self.size, self.budget, self.where = f, size, budget, where
        self.spans = Spans()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.f.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.f.seek(offset, whence)

    def read(self, n: int | None = -1) -> bytes:
        pos = self.f.tell()
        end = self.size if n is None or n < 0 else min(self.size, pos + n)
        before = self.spans.nbytes
        self.spans.note(pos, max(pos, end))
        self.budget.read(self.spans.nbytes - before, self.where)
        return self.f.read(-1 if n is None else n)


def budgets() -> dict[str, Budget]:
    """A Budget for each format a checkpoint's files may be in, at one file's limits."""
    from ..importers import from_safetensors, from_torch_checkpoint

    return {".safetensors": Budget(from_safetensors.MAX_HEADER, from_safetensors.MAX_TENSORS),
            # data.pkl and the zip's directory (or the legacy format's pickles)
            ".bin": Budget(from_torch_checkpoint.MAX_PICKLE_BYTES,
                           from_torch_checkpoint.MAX_TENSORS)}


class Checkpoint(NamedTuple):
    """The tensors of one checkpoint (a file, or the shards an index names), and its bytes."""

    stored: list[Any]
    fmt: str  # safetensors or pytorch
    shards: int  # 0 for a single file
    file_bytes: int
    header_bytes: int  # what was read of them


def _stored(remote: Source, snap: Snapshot, weights: str,
            limits: dict[str, Budget]) -> Checkpoint:
    """The tensors of weights (one of WEIGHTS, in a folder or not): its headers, or through its
    index every shard's, read in parallel; limits: the budgets (budgets()) they are held to,
    together with whatever else was given the same."""
    from concurrent.futures import ThreadPoolExecutor

    from ..importers.from_safetensors import MAX_TENSORS

    repo = remote.name.repo
    folder, _, _ = weights.rpartition("/")
    suffix = ".safetensors" if ".safetensors" in weights else ".bin"
    shards = [weights]
    weight_map: dict[str, Any] = {}
    if weights.endswith(".index.json"):
        raw = remote.small_file(weights, snap.commit)
        try:
            index = json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise NnsizeError(f"{repo}/{weights}: not valid JSON ({e})") from e
        found = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(found, dict) or not found:
            raise NnsizeError(f"{repo}/{weights}: no 'weight_map' of tensor names to shard "
                              f"files")
        if len(found) > MAX_TENSORS:
            raise NnsizeError(f"{repo}/{weights}: maps {len(found):,} tensors; nnsize reads at "
                              f"most {MAX_TENSORS:,}")
        weight_map = found
        files = set(snap.files)  # relative paths without '..' (fetch._snapshot)
        for given in weight_map.values():
            shard = f"{folder}/{given}" if folder and isinstance(given, str) else given
            if not isinstance(shard, str) or shard not in files or not shard.endswith(suffix):
                raise NnsizeError(f"{repo}/{weights}: shard {str(given)[:100]!r} is not a "
                                  f"{suffix} file of the repo")
        shards = sorted({f"{folder}/{s}" if folder else s for s in weight_map.values()})
        if len(shards) > MAX_SHARDS:
            raise NnsizeError(f"{repo}/{weights}: names {len(shards):,} shards; nnsize reads "
                              f"at most {MAX_SHARDS:,}")
    read = _read_safetensors if suffix == ".safetensors" else _read_torch
    budget = limits[suffix]  # one file's limits, over all the shards

    def one(shard: str) -> tuple[tuple[list[Any], int], int]:
        return remote.head(shard, snap.commit, read(f"{repo}/{shard}", budget))

    with ThreadPoolExecutor(min(WORKERS, len(shards))) as pool:
        futures = [pool.submit(one, shard) for shard in shards]
        try:
            results = [f.result() for f in futures]
        except BaseException:  # a limit or an error: the shards not begun are not read
            for f in futures:
                f.cancel()
            raise
    stored = [s for (tensors, _), _ in results for s in tensors]
    missing = [n for n in weight_map if n not in {s.name for s in stored}]
    if missing:
        raise NnsizeError(f"{repo}/{weights}: {len(missing)} tensors of the index are in no "
                          f"shard, such as {missing[0]!r}")
    return Checkpoint(stored, "safetensors" if suffix == ".safetensors" else "pytorch",
                      len(shards) if weight_map else 0, sum(size for (_, size), _ in results),
                      sum(prefix for _, prefix in results))


def _checkpoint(remote: Source, snap: Snapshot, weights: str) -> Report:
    from ..importers.tensors import checkpoint_report

    c = _stored(remote, snap, weights, budgets())
    report = checkpoint_report(f"{remote.name} ({c.fmt})", c.stored, c.fmt)
    contents: Contents = {**report.stored, "file_bytes": c.file_bytes,
                          "header_bytes": c.header_bytes}
    if c.shards:
        contents["shards"] = c.shards
    return replace(report, stored=contents)


def _pipeline(remote: Source, snap: Snapshot, part: str) -> Report:
    """A diffusers pipeline: model_index.json names its components, and each one's folder holds
    its weights (unet/diffusion_pytorch_model.safetensors, text_encoder/model.safetensors...):
    read as one checkpoint whose tensors are named component.tensor."""
    from ..importers.tensors import checkpoint_report

    name = remote.name
    if part == "config":
        raise HubError(f"{name}: a diffusers pipeline ({PIPELINE}); nnsize counts its "
                       f"components' weights, not their configs")
    try:
        index = json.loads(remote.small_file(PIPELINE, snap.commit))
    except (ValueError, RecursionError) as e:
        raise NnsizeError(f"{name.repo}/{PIPELINE}: not valid JSON ({e})") from e
    if not isinstance(index, dict):
        raise NnsizeError(f"{name.repo}/{PIPELINE}: not a JSON object")
    # "unet": ["diffusers", "UNet2DConditionModel"]; "_class_name" and such are not components
    components = [c for c, v in index.items() if not c.startswith("_") and "/" not in c and
                  isinstance(v, list) and len(v) == 2 and v[0] is not None]
    files = set(snap.files)
    found = {c: weights_file(files, c) for c in components}
    read = [(c, w) for c, w in found.items() if w is not None]
    if not read:
        raise HubError(f"{name}: a diffusers pipeline whose components ({', '.join(components)}) "
                       f"hold no weights ({SOME_WEIGHTS}, or diffusion_pytorch_model.*)")
    if len(read) > MAX_SHARDS:
        raise HubError(f"{name}: a diffusers pipeline of {len(read):,} components with weights; "
                       f"nnsize reads at most {MAX_SHARDS:,}")
    stored: list[Any] = []
    fmts, sizes, prefixes = set(), 0, 0
    limits = budgets()  # the components' files together, as one checkpoint's
    for component, weights in read:
        c = _stored(remote, snap, weights, limits)
        stored += [s._replace(name=f"{component}.{s.name}",
                              shared_with=f"{component}.{s.shared_with}" if s.shared_with else "")
                   for s in c.stored]
        fmts.add(c.fmt)
        sizes, prefixes = sizes + c.file_bytes, prefixes + c.header_bytes
    fmt = ", ".join(sorted(fmts))
    report = checkpoint_report(f"{name} (diffusers: {', '.join(c for c, _ in read)})", stored,
                               fmt)
    # each component and the weights read for it; None: it has none (a scheduler, a tokenizer)
    contents: Contents = {**report.stored, "components": found, "file_bytes": sizes,
                          "header_bytes": prefixes, **_hub(_hub_info(remote, snap))}
    return replace(report, stored=contents)


def quants(files: list[str]) -> list[str]:
    """The quantizations GGUF file names name: 'x-Q4_K_M.gguf' -> 'Q4_K_M'."""
    found = {m.group(1).upper() for f in files for m in [QUANT.search(f.rsplit("/", 1)[-1])]
             if m}
    return sorted(found)


def _gguf(remote: Source, snap: Snapshot, ggufs: list[str]) -> Report:
    from ..importers.from_gguf import MAX_HEADER, MAX_TENSORS, parse
    from ..importers.tensors import checkpoint_report

    name = remote.name
    if not ggufs:
        raise HubError(f"{name}: the repo has no GGUF files")
    if name.quant is None:
        if len(ggufs) > 1 and len(quants(ggufs)) != 1:
            raise HubError(f"{name.repo} has {len(ggufs)} GGUF files: name one, such as "
                           f"{name.repo}:{(quants(ggufs) or ['Q4_K_M'])[0]} (it has "
                           f"{', '.join(quants(ggufs)) or ', '.join(ggufs)})")
        chosen = ggufs
    else:
        chosen = [f for f in ggufs if (m := QUANT.search(f.rsplit("/", 1)[-1]))
                  and m.group(1).upper() == name.quant.upper()]
        if not chosen:
            raise HubError(f"{name.repo} has no {name.quant} GGUF file; it has "
                           f"{', '.join(quants(ggufs)) or ', '.join(ggufs)}", 404)
    if len(chosen) > MAX_SHARDS:
        raise HubError(f"{name}: {len(chosen):,} GGUF files; nnsize reads at most {MAX_SHARDS:,}")
    stored: list[Any] = []
    metadata: dict[str, Any] = {}
    sizes, prefixes = 0, 0
    budget = Budget(MAX_HEADER, MAX_TENSORS)  # one file's limits, over all the parts
    for f in chosen:  # a split file (-00001-of-00003.gguf) has a header per part
        def read(stream: IO[bytes], size: int, f: str = f) -> tuple[Any, int]:
            where = f"{name.repo}/{f}"

            def more(n: int) -> bytes:  # the GGUF reader asks for more bytes as it needs them
                data = stream.read(n)  # (it asks for a megabyte or more, of a file of any size)
                budget.read(len(data), where)
                return data

            return parse(more(8), size, where, more), size

        ((meta, tensors), size), prefix = remote.head(f, snap.commit, read, GGUF_CHUNK)
        budget.listed(len(tensors), f"{name.repo}/{f}")
        metadata = metadata or meta
        stored += tensors
        sizes, prefixes = sizes + size, prefixes + prefix
    report = checkpoint_report(f"{name} ({', '.join(chosen)})", stored, "gguf")
    contents: Contents = {**report.stored, "metadata": {k: v for k, v in metadata.items()
                                                        if k.startswith("general.")
                                                        or k == "version"},
                          "file_bytes": sizes, "header_bytes": prefixes,
                          **_hub(_hub_info(remote, snap))}
    return replace(report, stored=contents)


def _hub_info(remote: Source, snap: Snapshot) -> HubInfo | None:
    if not isinstance(remote, Remote):
        return None
    t = remote.transfer
    return {"repo": remote.name.repo, "revision": remote.revision, "commit": snap.commit,
            "endpoint": remote.endpoint, "bytes_transferred": t.bytes, "requests": t.requests,
            "cached_files": t.cached_files, "offline": remote.offline_reason}


def _hub(info: HubInfo | None) -> Contents:
    return {"hub": info} if info else {}


def differences(config: Report, checkpoint: Report, name: str) -> Differences:
    """Where the config's model and the checkpoint's tensors differ, in plain terms."""
    from ..diff import compare

    d = compare(config, checkpoint)
    tied = {n for n, t in config.named_tensors() if t.shared_with}
    stored = {n for n, t in checkpoint.named_tensors()}
    reasons = []
    tied_stored = sorted(tied & stored)
    if tied_stored:
        reasons.append(f"the checkpoint stores {', '.join(tied_stored[:3])} as a tensor of its "
                       f"own, which the model ties to another (and counts once)")
    layers = len(config.decoder.layers) if config.decoder else None
    extra_layers = sorted({m.group(1) for n in d.only_b
                           if (m := re.search(r"\blayers\.(\d+)\.", n))
                           and layers is not None and int(m.group(1)) >= layers}, key=int)
    if extra_layers:
        reasons.append(f"the checkpoint stores layer(s) {', '.join(extra_layers)} past the "
                       f"config's {layers} (as DeepSeek-V3's multi-token-prediction layer, "
                       f"which transformers does not build)")
    return {"same": d.same, "name": name, "reasons": reasons, "config_params": config.total_params,
            "checkpoint_params": checkpoint.total_params,
            "only_config": len(d.only_a), "only_checkpoint": len(d.only_b),
            "shapes_differ": len(d.mismatched), "tied_not_stored": len(d.tied_not_stored),
            "examples_only_config": d.only_a[:LIMIT],
            "examples_only_checkpoint": d.only_b[:LIMIT],
            "examples_shapes": [(n, list(a), list(b)) for n, a, b in d.mismatched[:LIMIT]],
            "quantized": bool(checkpoint.stored.get("quantized"))}
