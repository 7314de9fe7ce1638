"""A convolutional sentence classifier (Kim 2014) written for PyTorch: variable-length sentences padded
with nn.utils.rnn.pad_sequence, embeddings transposed to (batch, channels, length), parallel Conv1d
filters of widths 2, 3 and 4 in an nn.ModuleList, ReLU, max-pooling over time with F.max_pool1d,
the pooled features concatenated, dropout, a sigmoid output with nn.BCELoss, Adadelta as Kim used, and the
precision of the positive class under no_grad."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

VOCAB, EMBED, FILTERS, WIDTHS, BATCH, STEPS, PAD = 30, 10, 6, (2, 3, 4), 16, 60, 0
GOOD, BAD, NOT = 1, 2, 3  # "not good" is bad: the phrase matters, not the word


def make_sentence(rng):
    words = list(rng.integers(4, VOCAB, size=int(rng.integers(4, 10))))
    label = int(rng.integers(2))
    phrase = [GOOD] if label else [NOT, GOOD]
    if rng.random() < 0.3:
        phrase = [NOT, BAD] if label else [BAD]
    at = int(rng.integers(len(words)))
    return words[:at] + phrase + words[at:], label


class KimCNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, n_filters, filter_sizes, dropout=0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.convs = nn.ModuleList([nn.Conv1d(in_channels=embed_dim, out_channels=n_filters, kernel_size=fs)
                                    for fs in filter_sizes])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(len(filter_sizes) * n_filters, 1)

    def forward(self, text):
        embedded = self.embedding(text).permute(0, 2, 1)                       # (B, E, T)
        conved = [F.relu(conv(embedded)) for conv in self.convs]               # (B, F, T - fs + 1)
        pooled = [F.max_pool1d(c, c.shape[2]).squeeze(2) for c in conved]      # (B, F)
        features = self.dropout(torch.cat(pooled, dim=1))
        return torch.sigmoid(self.fc(features)).squeeze(1)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    data = [make_sentence(rng) for _ in range(BATCH * STEPS)]
    model = KimCNN(VOCAB, EMBED, FILTERS, WIDTHS)
    with torch.no_grad():  # the same starting weights on every engine
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
        model.embedding.weight[PAD].fill_(0)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    criterion = nn.BCELoss()

    losses = []
    model.train()
    for step in range(STEPS):
        batch = data[step * BATCH:(step + 1) * BATCH]
        text = pad_sequence([torch.tensor(words) for words, _ in batch], batch_first=True, padding_value=PAD)
        labels = torch.tensor([label for _, label in batch], dtype=torch.float)
        optimizer.zero_grad()
        predictions = model(text)
        loss = criterion(predictions, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}

    model.eval()
    with torch.no_grad():
        test = [make_sentence(rng) for _ in range(100)]
        text = pad_sequence([torch.tensor(w) for w, _ in test]).t()  # (T, B) then transposed
        labels = torch.tensor([label for _, label in test])
        predicted = (model(text) > 0.5).long()
        accuracy = (predicted == labels).float().mean().item()
        true_positives = ((predicted == 1) & (labels == 1)).sum().item()
        precision = true_positives / max(predicted.sum().item(), 1)
        probabilities = model(text[:4])
    return {"losses": losses, "grads": grads, "accuracy": accuracy, "precision": precision,
            "probabilities": probabilities.numpy().copy()}
