"""memory.sharded: one rank's lines of a tensor-parallel plan."""

from __future__ import annotations

import pytest

import nnsize
from nnsize.memory import Setup, plan
from nnsize.memory.sharded import split_workspace

V4_FLASH = "tests/data/published_configs/deepseek-ai--DeepSeek-V4-Flash.json"


@pytest.mark.parametrize("model,setup", [
    ("llama-3.1-8b", {}), ("gemma-2-9b", {}), ("gpt-oss-20b", {}),
    ("llama-3.1-8b", {"engine": "transformers-eager"}),
    ("qwen3-30b-a3b", {"engine": "transformers-eager", "batch": 2}),
    (V4_FLASH, {})])  # eager, its hyper-connection streams and masks whole on every rank
def test_a_split_over_one_rank_is_the_whole_workspace(model: str, setup: dict[str, object]
                                                      ) -> None:
    # the tensor-parallel arithmetic at tp 1 gives what one GPU plans, to the byte: the larger
    # of the attention's step (scores, repeat_kv's copies, a family's own tensors) and the
    # MLP's, beside the four hidden-sized tensors, the masks and the logits, not their sum
    line = next(x for x in plan(nnsize.count(model), Setup(context=4096, **setup)).lines
                if x.part == "decoder_workspace")
    assert split_workspace(line.terms, 1) == line.bytes
    assert split_workspace(line.terms, 2) < line.bytes
