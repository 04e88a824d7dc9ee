"""Which model each endpoint and each command answers: the app declares ANSWERS as its 200
responses, docs/json.md lists both, tests/web/test_schemas.py validates real answers by them."""

from __future__ import annotations

from typing import Any

from .count import Check, CheckpointAnswer, Compute, Count, CountAnswer, HubAnswer, Preset
from .design import Diff, GrowthAnswer, Scales, Search, SparseTensor, Summary
from .parallel import Interconnect, LayoutSearch, LayoutTarget, ServingReplicas
from .plan import Dtype, Fit, MemoryAnswer, Plan
from .speed import Gpu, SpeedAnswer
from .train import TrainRun, TrainTime

__all__ = ["ANSWERS", "COMMANDS"]

# what each endpoint answers, by path
ANSWERS: dict[str, Any] = {
    "/api/count": CountAnswer,
    "/api/config": CountAnswer,
    "/api/preset": CountAnswer,
    "/api/checkpoint": CheckpointAnswer,
    "/api/hub": HubAnswer,
    "/api/growth": GrowthAnswer,
    "/api/memory": MemoryAnswer,
    "/api/speed": SpeedAnswer,
    "/api/train-time": TrainTime | TrainRun,
    "/api/presets": list[Preset],
    "/api/dtypes": list[Dtype],
    "/api/gpus": list[Gpu],
    "/api/layers": list[str],
}

# what each command prints with --json in each of its modes (its words after `nnsize`; N: a
# value), the API's models where it has an endpoint; tests/web/test_schemas.py checks that every
# mode of cli/ has its entry, and validates the golden JSON files and a real run of the rest
COMMANDS: dict[str, Any] = {
    "": Count, "compare": list[Summary], "memory": Plan, "fit": Fit, "compute": Compute,
    "speed": SpeedAnswer, "train-time": TrainTime | TrainRun, "layout": LayoutSearch,
    "layout --serve": list[ServingReplicas], "layout --serve --tokens-per-s N": LayoutTarget,
    "layout --list-interconnects": list[Interconnect],
    "growth": GrowthAnswer, "presets": list[Preset], "memory --list-dtypes": list[Dtype],
    "speed --list-gpus": list[Gpu], "check": Check, "diff": Diff, "search": Search,
    "init": list[Scales], "sparsity": list[SparseTensor],
}
