"""A data-parallel classifier written for torch.distributed: init_process_group("gloo"), a
DistributedSampler feeding a DataLoader its rank's share of each epoch, DistributedDataParallel, and the
loss averaged over ranks with all_reduce. In one process it is a world of one; run under a launcher with
N processes it trains on N shards with a global batch of GLOBAL_BATCH."""
import os
import socket

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

FEATURES, HIDDEN, CLASSES, EXAMPLES, GLOBAL_BATCH, EPOCHS = 8, 16, 3, 96, 16, 3


def run(seed=0):
    if not dist.is_initialized():
        # a one-process run without a launcher: PyTorch's rendezvous reads these (on this machine only), on
        # a port that is free now (a fixed one clashes with another run of this script)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = str(probe.getsockname()[1])
        for name, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "RANK": "0", "WORLD_SIZE": "1"}.items():
            os.environ.setdefault(name, value)
        dist.init_process_group("gloo")
    world, rank = dist.get_world_size(), dist.get_rank()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(EXAMPLES, FEATURES)).astype(np.float32)
    y = x[:, :CLASSES].argmax(axis=1).astype(np.int64)
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=False)
    loader = DataLoader(data, batch_size=GLOBAL_BATCH // world, sampler=sampler)
    model = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.3, tuple(p.shape)).astype(np.float32)))
    ddp = DDP(model, device_ids=None)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.2, momentum=0.5)
    losses = []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for features, labels in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(ddp(features), labels)
            loss.backward()
            optimizer.step()
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss, op=dist.ReduceOp.SUM)
            losses.append(mean_loss.item() / world)
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    weights = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    return {"losses": losses, "grads": grads, "weights": weights, "world": [world]}
