"""A window-based NER tagger written for PyTorch (Collobert et al. 2011's window approach): the
embeddings of a window of words, concatenated, through a hidden tanh layer to tag scores; Adam,
cross-entropy, accuracy under no_grad."""
import numpy as np
import torch

VOCAB, TAGS, EMBED, WINDOW, HIDDEN, BATCH, STEPS = 60, 5, 8, 5, 20, 16, 15


class WindowTagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.hidden = torch.nn.Linear(WINDOW * EMBED, HIDDEN)
        self.output = torch.nn.Linear(HIDDEN, TAGS)

    def forward(self, windows):
        x = self.embed(windows).view(windows.shape[0], -1)
        return self.output(torch.tanh(self.hidden(x)))


def run(seed=0):
    rng = np.random.default_rng(seed)
    windows = rng.integers(0, VOCAB, size=(STEPS, BATCH, WINDOW))
    tags = (windows[:, :, WINDOW // 2] % TAGS).astype(np.int64)  # learnable from the centre word
    model = WindowTagger()
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.3, tuple(p.shape)).astype(np.float32)))
        model.embed.weight[0].fill_(0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for step in range(STEPS):
        x, y = torch.from_numpy(windows[step]), torch.from_numpy(tags[step])
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    with torch.no_grad():
        predicted = model(torch.from_numpy(windows.reshape(-1, WINDOW))).argmax(dim=1)
        accuracy = (predicted == torch.from_numpy(tags.reshape(-1))).float().mean().item()
    return {"losses": losses, "grads": grads, "accuracy": accuracy}
