"""Word2vec training speed: one epoch of fastgrad's kernels (--engine fastgrad) and of gensim's Word2Vec
(--engine gensim), same words, same settings (fastgrad/benchmarks/workloads.py: word2vec_workload),
the session's thread count as workers. Needs the shared text8 corpus (FASTGRAD_DATA) and, for gensim,
the optional package; skips without them.

    python -m pytest bench/test_word2vec.py --benchmark-only --engine fastgrad
    python -m pytest bench/test_word2vec.py --benchmark-only --engine gensim
"""
import pytest


@pytest.mark.bench_groups("word2vec")
def test_word2vec_epoch(time_case, workload, case):
    time_case(workload, case)
