from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from differential import check


@settings(max_examples=40, deadline=None)
@given(num=st.integers(1, 30), dim=st.integers(1, 8), length=st.integers(1, 5),
       padding=st.booleans(), bag=st.booleans(), mode=st.sampled_from(["sum", "mean", "max"]))
def test_embeddings_match_torch(num: int, dim: int, length: int, padding: bool, bag: bool,
                                mode: str) -> None:
    args = {"num_embeddings": num, "embedding_dim": dim,
            "padding_idx": (num - 1) if padding else None}
    if bag:
        check("EmbeddingBag", {**args, "mode": mode}, (length,))
    else:
        check("Embedding", args, (length,))


def test_embedding_worked_example() -> None:
    # BERT-base's word embeddings: 30,522 x 768 = 23,440,896
    report = check("Embedding", {"num_embeddings": 30522, "embedding_dim": 768}, (4,))
    assert report is not None
    assert report.total_params == 23_440_896 and report.output_shape == (4, 768)
    assert report.weights == 0 and report.other_trainable == 23_440_896
