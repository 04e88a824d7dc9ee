"""Many GPUs: parallel layouts as the frameworks define them, checked, sized, timed, searched.

    shape         what a layout splits: a language model's layers, heads, experts, parameters
    layout        tp x pp (x vp) x dp x cp, ep over the data-parallel ranks, ZeRO / FSDP; the
                  divisibility each framework requires, refused by name
    interconnect  the links collectives cross (NVLink, PCIe, InfiniBand, RoCE, Ethernet)
    rank          one rank's memory: its share of weights, gradients, optimizer states, its
                  activations (Korthikanti et al. 2022), its KV cache, communication buffers
    step          one training step's time: compute, the pipeline bubble, tensor-parallel
                  all-reduces, pipeline sends, data-parallel reductions, expert all-to-alls
    search        every layout of N GPUs that divides and fits, ranked by step time

Numbers only, from plain ints: the caller passes the card's bytes, peak and links (gpus.py is
above this package).  References: Narayanan et al. 2021, "Efficient Large-Scale Language Model
Training on GPU Clusters Using Megatron-LM", https://arxiv.org/abs/2104.04473; Korthikanti et al.
2022, "Reducing Activation Recomputation in Large Transformer Models",
https://arxiv.org/abs/2205.05198; Rajbhandari et al. 2020, "ZeRO",
https://arxiv.org/abs/1910.02054.
"""
