"""What the training functions do under mpiexec, with a stand-in process group where no MPI is needed."""
from types import SimpleNamespace

from fastgrad.train import data_parallel


class CountRecorder:
    def __init__(self):
        self.counts = []

    def update(self, n=1, **fields):
        self.counts.append(n)


def test_word_counts_of_unequal_shards_add_up_to_the_whole_corpus(monkeypatch):
    """Rank 0's shard holds 333 of 1,000 words on 3 ranks: its progress shows all ranks' words and ends on
    1,000 (multiplied by the world size it ended on 999, and the epoch's words/s with it)."""
    monkeypatch.setattr(data_parallel._RUN, "group", SimpleNamespace(rank=0, size=3))
    progress = data_parallel.count_all_ranks(CountRecorder(), local=333, total=1000)
    for words in (100, 100, 133):
        progress.update(words)
    assert sum(progress.counts) == 1000


def test_one_process_counts_its_own_words():
    progress = CountRecorder()
    assert data_parallel.count_all_ranks(progress, local=10, total=10) is progress
