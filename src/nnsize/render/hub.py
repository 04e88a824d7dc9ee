"""Where a Hub model came from, what reading it cost, and where its config and its checkpoint
differ, as text."""

from __future__ import annotations

from .numbers import human, n, shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents, Differences, HubInfo


def hub_lines(hub: HubInfo, stored: Contents) -> list[str]:
    """Where a Hub model was read from, and what reading it cost."""
    read = (f"; of the checkpoint's {n(stored['file_bytes'])} bytes "
            f"({human(stored['file_bytes'], True)}) only its headers are read, "
            f"{n(stored['header_bytes'])} bytes" if "file_bytes" in stored else "")
    cached = f", {n(hub['cached_files'])} file(s) from the cache" if hub["cached_files"] else ""
    offline = f" (offline: {hub['offline']})" if hub["offline"] else ""
    requests = "1 request" if hub["requests"] == 1 else f"{n(hub['requests'])} requests"
    return [f"From the Hugging Face Hub: {hub['repo']} at {hub['revision']} (commit "
            f"{hub['commit'][:12]}){offline}",
            f"Transferred {n(hub['bytes_transferred'])} bytes in {requests}{cached}{read}", ""]


def difference_lines(d: Differences) -> list[str]:
    """The config's count against the checkpoint's tensors, said plainly."""
    name = d["name"]
    reasons = [f"  Where: {r}." for r in d["reasons"]]
    if d["same"]:
        tied = (f" ({n(d['tied_not_stored'])} tied tensor(s) stored once, or not at all)"
                if d["tied_not_stored"] else "")
        if d["checkpoint_params"] == d["config_params"]:
            return ["", f"The checkpoint stores exactly the tensors the config builds{tied}."]
        return ["", f"The checkpoint stores the tensors the config builds, with the same "
                    f"shapes, but holds {n(d['checkpoint_params'])} parameters against the "
                    f"config's {n(d['config_params'])}.", *reasons]
    delta = d["checkpoint_params"] - d["config_params"]
    out = ["", f"The config and the checkpoint differ: the checkpoint holds "
               f"{n(d['checkpoint_params'])} parameters, {delta:+,} against the config's "
               f"{n(d['config_params'])}."]
    if d["quantized"]:
        out.append("  The checkpoint is quantized: its packed tensors and scales stand for the "
                   "weights above.")
    for count, what, examples in (
            (d["only_checkpoint"], "stored, not in the model the config builds",
             d["examples_only_checkpoint"]),
            (d["only_config"], "in the model, not stored", d["examples_only_config"])):
        if count:
            out.append(f"  {n(count)} tensor(s) {what}, such as {examples[0]}")
    if d["shapes_differ"]:
        first, a, b = d["examples_shapes"][0]
        out.append(f"  {n(d['shapes_differ'])} tensor(s) with other shapes, such as {first}: "
                   f"{shape(tuple(a))} vs {shape(tuple(b))}")
    out += reasons
    out.append(f"  'nnsize diff {name}' lists them all.")
    return out


def comparison(stored: Contents) -> str:
    """For a Hub model: where it was read from, and its config against its checkpoint (or why
    there is no such comparison), as the page shows it beside the report."""
    lines = hub_lines(stored["hub"], stored) if "hub" in stored else []
    if "differences" in stored:
        lines += difference_lines(stored["differences"])
    elif "config_error" in stored:
        lines.append(f"The config could not be counted ({stored['config_error']}); the count "
                     f"is what the checkpoint stores.")
    elif "checkpoint" in stored:
        lines.append(f"No checkpoint to compare the config with: the repo has "
                     f"{stored['checkpoint']}.")
    elif stored.get("format") == "gguf":
        lines.append("A GGUF file: counted from its header; it has no config to compare with.")
    return "\n".join(line for line in lines if line)
