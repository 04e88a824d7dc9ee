"""One published config per family: nnsize's count equals transformers' (tensor by tensor) and
rounds to the count the publisher states."""

from __future__ import annotations

import pytest
from hf import compare
from published import PUBLISHED, UNSTATED

import nnsize

# Where the publisher's figure is not what transformers builds, and why.
DIFFERENT = {
    # OpenAI's model-card table says 244M; transformers builds 241,734,912 (its encoder's
    # sinusoidal positions included, as a frozen parameter): 1% apart.
    "whisper-small": 241_734_912,
    # The paper's 95M includes the quantizer wav2vec2 pre-trains with; the base model
    # transformers builds (Wav2Vec2Model) has 94,371,712.
    "wav2vec2-base": 94_371_712,
    # The paper counts ViT-B/14 at 224 px (257 positions); the published config reads 518 px,
    # 1,370 positions: (1,370 - 257) x 768 = 854,784 more, 86,580,480 in all (85,725,696 at 224)
    "dinov2-base": 86_580_480,
    # transformers builds two sinusoidal position tables (2 x 1,024 x 1,024, frozen) as
    # parameters, and a 96,103-token vocabulary: 570,797,056, 0.5% over the paper's 568M
    "pegasus-large": 570_797_056,
    # The Hub's safetensors count, 106.0B, 1% over the name's 105B; less the embeddings,
    # 103,884,279,808 (its active count, 10.3B, also leaves them out)
    "sarvam-105b": 106_031_763_456,
    # SAM's FAQ, 632M for the image encoder; transformers builds 637,026,048, of which 64 x 64 x
    # 1,280 = 5,242,880 absolute positions (test_sam.py::test_sam_vit_huge)
    "sam-vit-huge-vision": 637_026_048,
}


# Where the publisher truncates rather than rounds: ERNIE 4.5's 21,825,437,888 is "21B";
# DeepSeek-V3.2-Exp's 671,877,929,216 is "671B" (its config's name, config_671B_v3.2.json);
# Qwen3-VL-235B-A22B's 235,669,608,176 is "235B".
TRUNCATED = {"ernie-4.5-21b-a3b", "deepseek-v3.2-exp", "qwen3-vl-235b-a22b"}
# Where the checkpoint stores an output layer transformers 5 ties to the embeddings, and the
# publisher counts it: mT5-Small's own lm_head, 250,112 x 512 = 128,057,344, on top of the
# 172,119,424 transformers builds makes 300,176,768.
UNTIED = {"mt5-small": (172_119_424, 250112 * 512)}
# Where the publisher counts without the input and output embeddings: Sarvam-30B's "30B" is
# 32,152,648,064 - 2 x 262,144 x 4,096 (2,147,483,648) = 30,005,164,416
NO_EMBEDDINGS = {"sarvam-30b": (32_152_648_064, 2 * 262144 * 4096)}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_config_matches_transformers(name: str) -> None:
    compare(PUBLISHED[name][0])


@pytest.mark.parametrize("name", sorted(UNSTATED))
def test_unstated_config_matches_transformers(name: str) -> None:
    compare(UNSTATED[name][0])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_count(name: str) -> None:
    config, _, stated, unit = PUBLISHED[name]
    total = nnsize.count(config).total_params
    if name in DIFFERENT:
        assert total == DIFFERENT[name]
        assert abs(total - stated) < stated // 50
    elif name in TRUNCATED:
        assert total // unit * unit == stated, f"{total:,} is not {stated:,}"
    elif name in NO_EMBEDDINGS:
        built, embeddings = NO_EMBEDDINGS[name]
        assert total == built
        assert round((total - embeddings) / unit) * unit == stated
    elif name in UNTIED:
        built, head = UNTIED[name]
        assert total == built
        assert round((total + head) / unit) * unit == stated
    else:
        assert round(total / unit) * unit == stated, f"{total:,} is not {stated:,}"


def test_gpt_oss_active_parameters() -> None:
    # 4 of 32 experts a token.  Experts: 24 layers x 32 x (2,880 x 5,760 + 5,760 + 2,880 x 2,880
    # + 2,880) = 768 x 24,891,840 = 19,116,933,120; active: everything else + an eighth.
    report = nnsize.count("gpt-oss-20b")
    experts = 24 * 32 * (2880 * 5760 + 5760 + 2880 * 2880 + 2880)
    assert experts == 19_116_933_120
    assert report.active_params == report.total_params - experts + experts // 8


@pytest.mark.parametrize(("name", "active", "embeddings", "stated", "unit"), [
    # Tencent's "21B activated": 20,675,715,072, its embeddings included
    ("hy3-preview", 20_675_715_072, 0, 21 * 10**9, 10**9),
    # Sarvam's "2.4B active" and "10.3B active" leave out the two 262,144 x 4,096 tables:
    # 4,520,573,312 - 2,147,483,648 = 2,373,089,664; 12,414,898,176 - 2,147,483,648 =
    # 10,267,414,528
    ("sarvam-30b", 4_520_573_312, 2 * 262144 * 4096, 24 * 10**8, 10**8),
    ("sarvam-105b", 12_414_898_176, 2 * 262144 * 4096, 103 * 10**8, 10**8),
    # Mistral's "6B active parameters per token": 6,632,588,288 - 2 x 131,072 x 4,096 =
    # 5,558,846,464
    ("mistral-small-4-119b", 6_632_588_288, 2 * 131072 * 4096, 6 * 10**9, 10**9)])
def test_stated_active_parameters(name: str, active: int, embeddings: int, stated: int,
                                  unit: int) -> None:
    report = nnsize.count(PUBLISHED[name][0])
    assert report.active_params == active
    assert round((active - embeddings) / unit) * unit == stated


@pytest.mark.parametrize(("name", "remote"), [("sarvam-30b", "SarvamMoEForCausalLM"),
                                              ("sarvam-105b", "SarvamMLAForCausalLM")])
def test_sarvam_remote_class_names(name: str, remote: str) -> None:
    # the class the published file names counts as the class transformers builds
    config = PUBLISHED[name][0]
    assert (nnsize.count({**config, "architectures": [remote]}).total_params
            == nnsize.count(config).total_params)
