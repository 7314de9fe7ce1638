"""Data sets, samplers and the DataLoader, with torch.utils.data's names and behaviour, so that training
loops written for PyTorch load their batches unchanged. Loading runs in the main process (see
`DataLoader`); shuffles are drawn from fastgrad's generator, so their orders are not PyTorch's."""
from fastgrad.utils.data.collate import default_collate, default_convert
from fastgrad.utils.data.dataloader import DataLoader, get_worker_info
from fastgrad.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                                         random_split)
from fastgrad.utils.data.dataset import StackDataset
from fastgrad.utils.data.distributed import DistributedSampler
from fastgrad.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                         WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
