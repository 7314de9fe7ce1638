"""Training steps: the RNN LM and 2-layer LSTM LM (V=10000, E=H=200, B=20, T=35, full softmax, clip, SGD;
group "lm"), the NER window network and the DAN classifier with dense and sparse embeddings (group
"training"), fastgrad (--engine fastgrad) and PyTorch (--engine torch), the same code for both.

    python -m pytest bench/test_training_step.py --benchmark-only --engine fastgrad
    python -m pytest bench/test_training_step.py --benchmark-only --engine torch
"""
import pytest


@pytest.mark.bench_groups("lm", "training")
def test_training_step(time_case, workload, case):
    time_case(workload, case)
