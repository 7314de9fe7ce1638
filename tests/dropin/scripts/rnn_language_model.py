"""A word-level RNN language model written for PyTorch: truncated BPTT with the hidden state
detached between segments, gradient clipping, manual SGD under no_grad, and text generation by
repeated sampling from the softmax."""
import numpy as np
import torch

VOCAB, EMBED, HIDDEN, BATCH, BPTT, STEPS, LR = 50, 16, 24, 4, 7, 20, 1.0


class RNNLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, EMBED)
        self.rnn = torch.nn.RNN(EMBED, HIDDEN)
        self.decoder = torch.nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, hidden):
        output, hidden = self.rnn(self.embed(tokens), hidden)
        return self.decoder(output), hidden


def run(seed=0):
    rng = np.random.default_rng(seed)
    phrase = rng.integers(0, VOCAB, size=11)  # a repeated phrase: something to learn
    stream = np.resize(phrase, (BATCH, BPTT * STEPS + 1)).T.copy()
    model = RNNLM()
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    hidden = torch.zeros(1, BATCH, HIDDEN)
    losses = []
    model.train()
    for step in range(STEPS):
        inputs = torch.from_numpy(stream[step * BPTT:(step + 1) * BPTT])
        targets = torch.from_numpy(stream[step * BPTT + 1:(step + 1) * BPTT + 1])
        hidden = hidden.detach()
        model.zero_grad()
        logits, hidden = model(inputs, hidden)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    weights = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}

    model.eval()
    torch.manual_seed(seed)
    with torch.no_grad():
        word, state, sample = torch.tensor([[3]]), torch.zeros(1, 1, HIDDEN), []
        for _ in range(10):
            logits, state = model(word, state)
            probs = torch.softmax(logits[-1, 0] / 0.8, dim=-1)
            word = torch.multinomial(probs, 1).view(1, 1)
            sample.append(int(word.item()))
    return {"losses": losses, "grads": grads, "weights": weights, "sample": sample}
