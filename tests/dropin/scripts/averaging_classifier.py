"""A deep averaging network (Iyyer et al. 2015) written for PyTorch: the masked mean of word
embeddings of a padded batch, two ReLU layers, binary cross-entropy with logits, SGD with momentum
and a step learning-rate schedule."""
import numpy as np
import torch

VOCAB, EMBED, HIDDEN, BATCH, LENGTH, STEPS, PAD = 80, 12, 16, 16, 9, 30, 0


class DAN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.layers = torch.nn.Sequential(torch.nn.Linear(EMBED, HIDDEN), torch.nn.ReLU(),
                                          torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ReLU())
        self.classify = torch.nn.Linear(HIDDEN, 1)

    def forward(self, tokens):
        mask = (tokens != PAD).float().unsqueeze(-1)
        average = (self.embed(tokens) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.classify(self.layers(average)).squeeze(-1)


def run(seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCAB, size=(STEPS, BATCH, LENGTH))
    lengths = rng.integers(2, LENGTH + 1, size=(STEPS, BATCH))
    tokens[np.arange(LENGTH)[None, None, :] >= lengths[:, :, None]] = PAD
    labels = (tokens % 2 == 1).sum(axis=2) > (tokens > 0).sum(axis=2) / 2  # mostly odd words
    model = DAN()
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.3, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    losses = []
    for step in range(STEPS):
        x = torch.from_numpy(tokens[step])
        y = torch.from_numpy(labels[step].astype(np.float32))
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"losses": losses, "grads": grads, "lr": scheduler.get_last_lr()}
