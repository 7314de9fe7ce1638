"""A fixed-window neural language model (Bengio et al. 2003) written for PyTorch: n-gram windows cut from
the token stream with Tensor.unfold, embeddings initialised from given vectors with
nn.Embedding.from_pretrained, an nn.Sequential of Flatten, Linear, Tanh and Dropout, SGD with Nesterov
momentum and weight decay, ReduceLROnPlateau on the validation loss, perplexity from a summed
cross-entropy, the best weights kept with copy.deepcopy(model.state_dict()), log-probabilities of the
targets with torch.gather, and the likeliest next words with topk."""
import copy
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, CONTEXT, EMBED, HIDDEN, BATCH, EPOCHS = 20, 3, 8, 32, 32, 6


class NGramLM(nn.Module):
    def __init__(self, pretrained, context_size, hidden_size, dropout=0.0):
        super().__init__()
        self.embeddings = nn.Embedding.from_pretrained(pretrained, freeze=False)
        vocab_size, embedding_dim = pretrained.shape
        self.mlp = nn.Sequential(
            nn.Flatten(),
            nn.Linear(context_size * embedding_dim, hidden_size),
            nn.Tanh(),
            nn.Dropout(dropout),
        )
        self.output = nn.Linear(hidden_size, vocab_size)

    def forward(self, context):
        return self.output(self.mlp(self.embeddings(context)))


def make_stream(rng, length):
    """A second-order Markov chain: each word is a function of the two before it, with some noise."""
    stream = [1, 2]
    for _ in range(length - 2):
        if rng.random() < 0.8:
            stream.append((stream[-1] * 3 + stream[-2]) % VOCAB)
        else:
            stream.append(int(rng.integers(VOCAB)))
    return torch.tensor(stream, dtype=torch.long)


def windows(stream):
    ngrams = stream.unfold(0, CONTEXT + 1, 1)        # (N, CONTEXT + 1), a sliding window
    return ngrams[:, :-1], ngrams[:, -1]


def evaluate(model, contexts, targets):
    model.eval()
    total_loss, count = 0.0, 0
    with torch.inference_mode():
        for x, y in zip(contexts.split(BATCH), targets.split(BATCH)):
            total_loss += F.cross_entropy(model(x), y, reduction="sum").item()
            count += y.numel()
    return total_loss / count


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train_x, train_y = windows(make_stream(rng, 1200))
    valid_x, valid_y = windows(make_stream(rng, 300))
    vectors = torch.from_numpy(rng.normal(0, 0.5, (VOCAB, EMBED)).astype(np.float32))

    model = NGramLM(vectors, CONTEXT, HIDDEN)
    with torch.no_grad():  # the same starting weights on every engine
        for name, p in sorted(model.named_parameters()):
            if not name.startswith("embeddings"):
                p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)

    losses, valid_losses, lrs = [], [], []
    best_loss, best_state = float("inf"), None
    for epoch in range(EPOCHS):
        model.train()
        order = torch.from_numpy(rng.permutation(len(train_x)))
        for batch in order.split(BATCH):
            with torch.set_grad_enabled(True):
                logits = model(train_x[batch])
                loss = F.cross_entropy(logits, train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        valid_loss = evaluate(model, valid_x, valid_y)
        scheduler.step(valid_loss)
        valid_losses.append(valid_loss)
        lrs.append(optimizer.param_groups[0]["lr"])
        if valid_loss < best_loss:
            best_loss, best_state = valid_loss, copy.deepcopy(model.state_dict())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}

    model.load_state_dict(best_state)
    assert evaluate(model, valid_x, valid_y) == best_loss
    model.eval()
    with torch.no_grad():
        log_probs = F.log_softmax(model(valid_x), dim=-1)
        target_log_probs = torch.gather(log_probs, 1, valid_y.unsqueeze(1)).squeeze(1)
        perplexity = torch.exp(-target_log_probs.mean()).item()
        top_probs, top_words = log_probs[:5].exp().topk(3, dim=-1)
    assert math.isclose(perplexity, math.exp(best_loss), rel_tol=1e-4)
    return {"losses": losses, "grads": grads, "valid_losses": valid_losses, "lr": lrs, "perplexity": perplexity,
            "top_words": top_words.tolist(), "top_probs": top_probs.numpy().copy()}
