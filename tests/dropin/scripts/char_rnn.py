"""A character-level language model written for PyTorch: a vocabulary of characters from the text,
the stream cut into batch rows, a two-layer batch-first LSTM with the state carried across segments
and detached (truncated BPTT), the loss per character with reduction='none' weighted by a mask,
RMSprop with clip_grad_value_ and a warm-up LambdaLR, bits per character under no_grad, then greedy
decoding with argmax and sampling with temperature and torch.multinomial."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog sat on a mat and a log. " * 4)
EMBED, HIDDEN, LAYERS, BATCH, SEQ_LEN, EPOCHS = 12, 32, 2, 4, 16, 12


class CharRNN(nn.Module):
    def __init__(self, n_chars, embed_size, hidden_size, n_layers):
        super(CharRNN, self).__init__()
        self.hidden_size, self.n_layers = hidden_size, n_layers
        self.encoder = nn.Embedding(n_chars, embed_size)
        self.rnn = nn.LSTM(embed_size, hidden_size, n_layers, batch_first=True)
        self.decoder = nn.Linear(hidden_size, n_chars)

    def forward(self, x, hidden=None):
        output, hidden = self.rnn(self.encoder(x), hidden)
        return self.decoder(output.contiguous()), hidden

    def init_hidden(self, batch_size):
        weight = next(self.parameters()).data
        return (weight.new(self.n_layers, batch_size, self.hidden_size).zero_(),
                weight.new(self.n_layers, batch_size, self.hidden_size).zero_())


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    chars = sorted(set(TEXT))
    char2idx = {c: i for i, c in enumerate(chars)}
    idx2char = dict(enumerate(chars))
    data = torch.tensor([char2idx[c] for c in TEXT], dtype=torch.long)
    n_rows = data.size(0) // BATCH
    rows = data[:n_rows * BATCH].view(BATCH, n_rows)

    model = CharRNN(len(chars), EMBED, HIDDEN, LAYERS)
    with torch.no_grad():  # the same starting weights on every engine
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.uniform(-0.15, 0.15, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.95)
    warmup = 5
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda step: min(1.0, (step + 1) / warmup))

    losses, lrs = [], []
    for epoch in range(EPOCHS):
        model.train()
        hidden = model.init_hidden(BATCH)
        for start in range(0, n_rows - 1, SEQ_LEN):
            inputs = rows[:, start:start + SEQ_LEN]
            targets = rows[:, start + 1:start + SEQ_LEN + 1]
            inputs = inputs[:, :targets.size(1)]
            # the last segment is short: pad it and mask the padding out of the loss
            mask = torch.ones_like(targets, dtype=torch.float)
            if targets.size(1) < SEQ_LEN:
                missing = SEQ_LEN - targets.size(1)
                inputs = torch.cat([inputs, inputs.new_zeros(BATCH, missing)], dim=1)
                targets = torch.cat([targets, targets.new_zeros(BATCH, missing)], dim=1)
                mask = torch.cat([mask, torch.zeros(BATCH, missing)], dim=1)
            hidden = tuple(h.detach() for h in hidden)
            optimizer.zero_grad()
            logits, hidden = model(inputs, hidden)
            per_char = F.cross_entropy(logits.view(-1, len(chars)), targets.reshape(-1), reduction="none")
            loss = (per_char * mask.view(-1)).sum() / mask.sum()
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 0.5)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(optimizer.param_groups[0]["lr"])
    grads = {name: p.grad.clone().numpy() for name, p in model.named_parameters()}

    model.eval()
    with torch.no_grad():
        logits, _ = model(rows[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, len(chars)), rows[:, 1:].reshape(-1))
        bits_per_char = nll.item() / math.log(2)

        def generate(prime, length, temperature=None):
            hidden = None
            x = torch.tensor([[char2idx[c] for c in prime]])
            out = list(prime)
            for _ in range(length):
                logits, hidden = model(x, hidden)
                last = logits[:, -1, :]
                if temperature is None:
                    next_id = last.argmax(dim=-1, keepdim=True)
                else:
                    probs = F.softmax(last / temperature, dim=-1)
                    next_id = torch.multinomial(probs, num_samples=1)
                out.append(idx2char[next_id.item()])
                x = next_id
            return "".join(out)

        greedy = generate("the ", 20)
        sampled = generate("a ", 20, temperature=0.7)
    assert len(sampled) == 22 and set(sampled) <= set(chars)
    return {"losses": losses, "grads": grads, "lr": lrs, "bpc": bits_per_char, "greedy": greedy}
