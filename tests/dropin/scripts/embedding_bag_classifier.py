"""A neural bag-of-words classifier written for PyTorch the way its text-classification tutorial builds one:
a map-style Dataset of (label, token ids), a collate_fn that concatenates the token ids into one flat tensor
with their offsets from torch.cumsum, a DataLoader over a BatchSampler of a SequentialSampler, an
nn.EmbeddingBag(mode="mean") fed (text, offsets) next to an nn.EmbeddingBag(mode="sum") fed
per_sample_weights (inverse document frequencies), AdamW with weight decay, gradients accumulated over
micro-batches with the loss divided by their number through torch.cuda.amp's GradScaler and autocast (enabled
only with CUDA, the scaler unscaling before clip_grad_norm_), OneCycleLR stepped per update, and evaluation in
model.eval() under torch.inference_mode with accuracy and a confusion matrix counted with torch.bincount."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.cuda.amp import GradScaler, autocast
from torch.utils.data import BatchSampler, DataLoader, Dataset, SequentialSampler

VOCAB, CLASSES, EMBED, MICRO_BATCH, ACCUMULATE, EPOCHS = 40, 3, 8, 4, 3, 4
use_amp = torch.cuda.is_available()


class TopicDataset(Dataset):
    """Each class draws most of its words from its own third of the vocabulary."""

    def __init__(self, rng, count):
        self.items = []
        for _ in range(count):
            label = int(rng.integers(CLASSES))
            length = int(rng.integers(2, 9))
            own = rng.integers(1 + label * 13, 1 + (label + 1) * 13, size=length)
            noise = rng.integers(1, VOCAB, size=length)
            words = np.where(rng.random(length) < 0.6, own, noise)
            self.items.append((label, words.tolist()))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def document_frequencies(dataset):
    counts = torch.zeros(VOCAB)
    for _, words in dataset:
        counts[torch.tensor(sorted(set(words)))] += 1
    return torch.log((len(dataset) + 1) / (counts + 1))


def make_collate(idf):
    def collate_batch(batch):
        labels = torch.tensor([label for label, _ in batch], dtype=torch.int64)
        pieces = [torch.tensor(words, dtype=torch.int64) for _, words in batch]
        offsets = torch.tensor([0] + [len(p) for p in pieces[:-1]]).cumsum(dim=0)
        text = torch.cat(pieces)
        return labels, text, offsets, idf[text]
    return collate_batch


class NBoW(nn.Module):
    def __init__(self):
        super().__init__()
        self.mean_bag = nn.EmbeddingBag(VOCAB, EMBED, mode="mean")
        self.sum_bag = nn.EmbeddingBag(VOCAB, EMBED, mode="sum")
        self.fc = nn.Linear(2 * EMBED, CLASSES)

    def forward(self, text, offsets, weights):
        features = torch.cat([self.mean_bag(text, offsets), self.sum_bag(text, offsets, per_sample_weights=weights)],
                             dim=1)
        return self.fc(F.relu(features))


def evaluate(model, loader):
    model.eval()
    confusion = torch.zeros(CLASSES * CLASSES, dtype=torch.long)
    total_loss, count = 0.0, 0
    with torch.inference_mode():
        for labels, text, offsets, weights in loader:
            logits = model(text, offsets, weights)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            count += labels.numel()
            predicted = logits.argmax(1)
            confusion += torch.bincount(labels * CLASSES + predicted, minlength=CLASSES * CLASSES)
    confusion = confusion.view(CLASSES, CLASSES)
    return confusion.diag().sum().item() / count, total_loss / count, confusion


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train_set, valid_set = TopicDataset(rng, 48), TopicDataset(rng, 24)
    collate = make_collate(document_frequencies(train_set))
    train_loader = DataLoader(train_set, batch_sampler=BatchSampler(SequentialSampler(train_set), MICRO_BATCH,
                                                                    drop_last=False), collate_fn=collate)
    valid_loader = DataLoader(valid_set, batch_size=8, shuffle=False, collate_fn=collate)

    model = NBoW()
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(param.shape)).astype(np.float32)))

    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
    updates_per_epoch = -(-len(train_loader) // ACCUMULATE)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=EPOCHS,
                                                    steps_per_epoch=updates_per_epoch)
    scaler = GradScaler(enabled=use_amp)
    losses, lrs, accuracies, valid_losses, grad_norms = [], [], [], [], []
    for epoch in range(EPOCHS):
        model.train()
        optimizer.zero_grad()
        for step, (labels, text, offsets, weights) in enumerate(train_loader):
            with autocast(enabled=use_amp):
                loss = F.cross_entropy(model(text, offsets, weights), labels) / ACCUMULATE
            scaler.scale(loss).backward()
            losses.append(loss.item() * ACCUMULATE)
            if (step + 1) % ACCUMULATE == 0 or step + 1 == len(train_loader):
                if epoch == EPOCHS - 1 and step + 1 == len(train_loader):
                    grads = {name: p.grad.detach().numpy().copy() for name, p in model.named_parameters()}
                scaler.unscale_(optimizer)
                grad_norms.append(nn.utils.clip_grad_norm_(model.parameters(), 5.0).item())
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                lrs.append(scheduler.get_last_lr()[0])
                optimizer.zero_grad()
        accuracy, valid_loss, confusion = evaluate(model, valid_loader)
        accuracies.append(accuracy)
        valid_losses.append(valid_loss)
    return {"losses": losses, "grads": grads, "lrs": lrs, "grad_norms": grad_norms, "accuracies": accuracies,
            "valid_losses": valid_losses, "confusion": confusion.numpy(),
            "momentum": optimizer.param_groups[0]["betas"][0],
            "weights": {k: v.numpy() for k, v in model.state_dict().items()}}
