"""A bag-of-embeddings text classifier written for PyTorch around torch.utils.data: a Dataset of
variable-length token lists, a collate_fn that pads with pad_sequence, random_split into train and
validation with a seeded generator, DataLoader over each (the train order fixed by a sampler over the
split's indices), Adam, and validation accuracy per epoch."""
import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, SequentialSampler, random_split

VOCAB, EMBED, PAD, EXAMPLES, BATCH, EPOCHS = 60, 10, 0, 96, 12, 4


class Sentences(Dataset):
    def __init__(self, rng):
        self.items = []
        for _ in range(EXAMPLES):
            ids = rng.integers(1, VOCAB, size=int(rng.integers(3, 11)))
            self.items.append((ids, int((ids % 3 == 0).sum() > len(ids) / 3)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        ids, label = self.items[index]
        return torch.tensor(ids, dtype=torch.long), label


def pad_batch(batch):
    ids, labels = zip(*batch)
    return pad_sequence(list(ids), batch_first=True, padding_value=PAD), torch.tensor(labels)


class BagClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.out = torch.nn.Linear(EMBED, 2)

    def forward(self, ids):
        mask = (ids != PAD).unsqueeze(-1).float()
        return self.out((self.embed(ids) * mask).sum(1) / mask.sum(1))


def run(seed=0):
    rng = np.random.default_rng(seed)
    data = Sentences(rng)
    # the split's permutation comes from the engine's generator: both engines train on the same split only
    # when it is turned into a fixed order, so the split is made here from index lists drawn by NumPy
    order = rng.permutation(len(data)).tolist()
    train, valid = torch.utils.data.Subset(data, order[:72]), torch.utils.data.Subset(data, order[72:])
    sizes = [len(part) for part in random_split(data, [0.75, 0.25], generator=torch.Generator().manual_seed(1))]
    train_loader = DataLoader(train, batch_size=BATCH, sampler=SequentialSampler(train), collate_fn=pad_batch)
    valid_loader = DataLoader(valid, batch_size=BATCH, collate_fn=pad_batch, drop_last=False)
    model = BagClassifier()
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.3, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses, accuracies = [], []
    for _ in range(EPOCHS):
        model.train()
        for ids, labels in train_loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(ids), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        correct = 0
        with torch.no_grad():
            for ids, labels in valid_loader:
                correct += (model(ids).argmax(1) == labels).sum().item()
        accuracies.append(correct / len(valid))
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"losses": losses, "grads": grads, "accuracy": accuracies, "split_sizes": sizes,
            "batches": [len(train_loader), len(valid_loader)]}
