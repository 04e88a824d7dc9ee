"""POST /api/hub: a model on the Hugging Face Hub by its name, counted by the server through the
code the command line uses (hub/), with its config-versus-checkpoint comparison.

    the name       hub/name.py's parser, as if written hf:NAME: never a local path, and nothing
                   but org/name[@revision][:QUANT] (no URL, so no other host than HF_ENDPOINT's)
    the token      none: the server reads as an anonymous visitor, whatever HF_TOKEN says, so
                   it lends no one its operator's access to gated or private repos
    the cache      only what was read without a token (hub/fetch.py keeps the rest apart),
                   and only for a model that was counted (what was refused is not kept); the
                   cache's public part held to hub/cache.py's bound (the command line's is
                   too), the least recently used removed first
    the time       HUB_SECONDS for the Hub's answers, within guard.Guard's deadline for every
                   request, so a slow Hub is a 504 that says so
    the errors     hub/session.HubError's status: 404 no such repo, revision, file or GGUF
                   quantization; 401 gated; 429 the Hub asks for fewer requests; 502 the Hub
                   unreachable or failing with nothing cached, or answering nonsense; 503
                   HF_HUB_OFFLINE with nothing cached; 504 no answer in time; 400 the rest

The endpoint exists where huggingface_hub is installed (the 'hub' extra), unless the app is made
without it (create_app(hub=False), nnsize serve --no-hub); the page shows its tab only then.
"""

from __future__ import annotations

import importlib.util
import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, StrictBool

if TYPE_CHECKING:
    from ..hub.name import HubName
    from ..model import Report

# a repo id (96 + 1 + 96), a revision (255), a quantization (64), their separators, "hf:"
NAME_LIMIT = 520
HUB_SECONDS = 8.0  # of guard.REQUEST_SECONDS (10): the rest is for counting and answering


class HubRequest(BaseModel):
    """A Hub model's name ('Qwen/Qwen3-0.6B', 'org/name@revision', 'org/name-GGUF:Q4_K_M')."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=NAME_LIMIT, examples=["Qwen/Qwen3-0.6B"])
    base: StrictBool = False


def available() -> bool:
    """Whether huggingface_hub can be imported (without importing it)."""
    return importlib.util.find_spec("huggingface_hub") is not None


# a model's page as people copy it from the browser: https://huggingface.co/org/name, hf.co,
# with /tree/REVISION (a branch, a tag, a commit) or /blob/REVISION/a-file after it
_PAGE = re.compile(r"^(?:hf:)?(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/"
                   r"(?P<repo>[^/@:\s]+/[^/@:\s]+)(?:/(?:tree|blob|resolve)/(?P<rev>[^/\s]+)"
                   r"(?:/\S*)?)?/?$")


def hub_name(text: str) -> HubName:
    """The Hub name text stands for, read as hf:text: a name, never a path of the server's.
    A model's page (https://huggingface.co/org/name[/tree/REVISION]) is read as its name: the
    host is only a spelling, the server reads the Hub it is configured with."""
    from ..errors import SpecError
    from ..hub.name import PREFIX, parse

    text = text.strip()
    page = _PAGE.match(text)
    if page is not None:
        text = page["repo"] + (f"@{page['rev']}" if page["rev"] else "")
    if not text:
        raise SpecError("name: give a model's name on the Hub, such as Qwen/Qwen3-0.6B")
    name = parse(text if text.startswith(PREFIX) else PREFIX + text)
    assert name is not None  # a forced name parses or raises
    return name


def count_hub(text: str, base: bool = False) -> Report:
    """The report of the Hub model text names, read anonymously (see above)."""
    from ..hub import count

    return count(hub_name(text), base, anonymous=True, deadline_s=HUB_SECONDS)
