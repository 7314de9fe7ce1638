"""A character-level language model written for PyTorch with the recurrence in a Python loop: words as
character sequences padded with torch.nn.utils.rnn.pad_sequence(padding_value=PAD), two stacked nn.LSTMCell
layers stepped over time with their states in lists, the outputs gathered with torch.stack, a gated skip
connection whose gates come from .chunk(2, dim=-1), the embedding split into two halves with torch.split,
F.cross_entropy with class weights, label smoothing and ignore_index on the padding, Adagrad,
clip_grad_norm_ with the infinity norm, CosineAnnealingWarmRestarts, and the per-character
log-likelihood of each word and greedy completions of prefixes under no_grad."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

WORDS = ["stone", "store", "story", "start", "stark", "stack", "snack", "snake", "shake", "shape", "share",
         "spare", "spark", "spike", "spine", "shine", "shire", "stir", "star", "scar", "scare", "score"]
PAD, BOS, EOS = 0, 1, 2
CHARS = sorted(set("".join(WORDS)))
STOI = {c: i + 3 for i, c in enumerate(CHARS)}
ITOS = {i: c for c, i in STOI.items()}
VOCAB, EMBED, HIDDEN, BATCH, EPOCHS = len(CHARS) + 3, 10, 16, 6, 12


def encode(word):
    return torch.tensor([BOS] + [STOI[c] for c in word] + [EOS], dtype=torch.long)


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.cells = nn.ModuleList([nn.LSTMCell(EMBED, HIDDEN), nn.LSTMCell(HIDDEN, HIDDEN)])
        self.skip = nn.Linear(EMBED // 2, HIDDEN)
        self.gate = nn.Linear(HIDDEN + EMBED // 2, 2 * HIDDEN)
        self.out = nn.Linear(HIDDEN, VOCAB)

    def init_state(self, batch):
        return [(torch.zeros(batch, HIDDEN), torch.zeros(batch, HIDDEN)) for _ in self.cells]

    def step(self, chars, state):
        emb = self.embed(chars)
        _, second_half = torch.split(emb, EMBED // 2, dim=1)
        x, new_state = emb, []
        for cell, (h, c) in zip(self.cells, state):
            h, c = cell(x, (h, c))
            new_state.append((h, c))
            x = h
        update, keep = torch.sigmoid(self.gate(torch.cat([x, second_half], dim=-1))).chunk(2, dim=-1)
        return self.out(keep * x + update * torch.tanh(self.skip(second_half))), new_state

    def forward(self, inputs):
        state = self.init_state(inputs.size(0))
        logits = []
        for t in range(inputs.size(1)):
            step_logits, state = self.step(inputs[:, t], state)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)


def class_weights():
    """Rarer characters weigh more; the padding's weight does not matter as it is ignored."""
    counts = torch.ones(VOCAB)
    for word in WORDS:
        for c in word:
            counts[STOI[c]] += 1
    counts[EOS] += len(WORDS)
    return (counts.sum() / counts).sqrt() / VOCAB


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = CharLM()
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(param.shape)).astype(np.float32)))
        model.embed.weight[PAD].zero_()
    weights = class_weights()

    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.3, initial_accumulator_value=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2, eta_min=0.01)
    losses, grad_norms, lrs = [], [], []
    for epoch in range(EPOCHS):
        order = rng.permutation(len(WORDS))
        for start in range(0, len(order), BATCH):
            batch = pad_sequence([encode(WORDS[i]) for i in order[start:start + BATCH]], batch_first=True,
                                 padding_value=PAD)
            inputs, targets = batch[:, :-1], batch[:, 1:]
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), weight=weights,
                                   ignore_index=PAD, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            grad_norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=float("inf")).item())
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    grads = {name: p.grad.detach().numpy().copy() for name, p in model.named_parameters()}

    with torch.no_grad():
        batch = pad_sequence([encode(w) for w in WORDS[:5]], batch_first=True)
        log_probs = F.log_softmax(model(batch[:, :-1]), dim=-1)
        picked = log_probs.gather(-1, batch[:, 1:].unsqueeze(-1)).squeeze(-1)
        mask = batch[:, 1:] != PAD
        per_char = (picked * mask).sum(1) / mask.sum(1)
        completions = []
        for prefix in ["st", "sp", "sh"]:
            state = model.init_state(1)
            chars = [BOS] + [STOI[c] for c in prefix]
            for ch in chars:
                logits, state = model.step(torch.tensor([ch]), state)
            while len(chars) < 8:
                next_char = logits.argmax(-1).item()
                if next_char == EOS:
                    break
                chars.append(next_char)
                logits, state = model.step(torch.tensor([next_char]), state)
            completions.append("".join(ITOS.get(i, "?") for i in chars[1:]))
    return {"losses": losses, "grads": grads, "grad_norms": grad_norms, "lrs": lrs,
            "per_char_log_likelihood": per_char.numpy(), "completions": completions}
