"""How long reading a Hub model may take: the defaults, and what the command line gave.

    REQUEST_S     one request, redirects and retries apart (huggingface_hub's own timeout);
                  --hub-timeout or NNSIZE_HUB_TIMEOUT
    DEADLINE_S    everything one command asks of the Hub, retries and their waits included;
                  --hub-deadline or NNSIZE_HUB_DEADLINE

Kept apart from session.py (which imports asyncio) so the command line's parser reads them
cheaply.
"""

from __future__ import annotations

REQUEST_S = 10.0
DEADLINE_S = 60.0
LONGEST_S = 86400.0  # a day: the most either may be set to
# the seconds the command line's --hub-timeout and --hub-deadline gave, by the variable they
# stand for: they come before the environment's
OPTIONS: dict[str, float] = {}
