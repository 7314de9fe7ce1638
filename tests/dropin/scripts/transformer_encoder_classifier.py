"""A Transformer-encoder text classifier written for PyTorch with its built-in layers: token and learned
position embeddings, nn.TransformerEncoder over batch-first nn.TransformerEncoderLayer (pre-norm, GELU,
dropout 0 so both engines match) with a key-padding mask, a causal-mask variant built with
nn.Transformer.generate_square_subsequent_mask, attention pooling by nn.MultiheadAttention with a learned
query (its weights returned), Adam, and predictions made in eval mode under no_grad."""
import numpy as np
import torch
from torch import nn

VOCAB, D_MODEL, HEADS, LAYERS, CLASSES, MAX_LEN, BATCH, STEPS, PAD = 20, 16, 2, 2, 3, 7, 12, 30, 0


class EncoderClassifier(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.causal = causal
        self.embed = nn.Embedding(VOCAB, D_MODEL, padding_idx=PAD)
        self.position = nn.Embedding(MAX_LEN, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=32, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(D_MODEL), enable_nested_tensor=False)
        self.query = nn.Parameter(torch.zeros(1, 1, D_MODEL))
        self.pool = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
        self.head = nn.Linear(D_MODEL, CLASSES)

    def forward(self, tokens):
        padding = tokens == PAD
        positions = torch.arange(tokens.shape[1]).unsqueeze(0)
        x = self.embed(tokens) + self.position(positions)
        mask = nn.Transformer.generate_square_subsequent_mask(tokens.shape[1]) if self.causal else None
        x = self.encoder(x, mask=mask, src_key_padding_mask=padding)
        query = self.query.expand(tokens.shape[0], -1, -1)
        pooled, weights = self.pool(query, x, x, key_padding_mask=padding)
        return self.head(pooled.squeeze(1)), weights.squeeze(1)


def make_data(rng, count):
    """The class is which of three marker words (1, 2, 3) occurs most often; sequences are padded at the end."""
    tokens = np.zeros((count, MAX_LEN), dtype=np.int64)
    labels = rng.integers(CLASSES, size=count)
    for i in range(count):
        n = rng.integers(2, MAX_LEN + 1)
        words = rng.integers(4, VOCAB, size=n)
        words[rng.permutation(n)[: max(1, n // 2)]] = labels[i] + 1
        tokens[i, :n] = words
    return torch.from_numpy(tokens), torch.from_numpy(labels)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    tokens, labels = make_data(rng, BATCH * STEPS)
    results = {"losses": [], "grads": {}}
    for causal in (False, True):
        model = EncoderClassifier(causal)
        with torch.no_grad():  # the same starting weights on every engine
            for _, p in sorted(model.state_dict().items()):
                p.copy_(torch.from_numpy(rng.normal(0.0, 0.2, tuple(p.shape)).astype(np.float32)))
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        criterion = nn.CrossEntropyLoss()
        for i in range(0, len(tokens), BATCH):
            optimizer.zero_grad()
            logits, _ = model(tokens[i:i + BATCH])
            loss = criterion(logits, labels[i:i + BATCH])
            loss.backward()
            optimizer.step()
            results["losses"].append(loss.item())
        prefix = "causal." if causal else ""
        results["grads"].update({prefix + name: p.grad.numpy().copy() for name, p in model.named_parameters()})
        model.eval()
        with torch.no_grad():
            test_x, test_y = make_data(rng, 32)
            logits, weights = model(test_x)
        results[prefix + "accuracy"] = (logits.argmax(dim=-1) == test_y).float().mean().item()
        results[prefix + "pooling_weights"] = weights.numpy().copy()
    return results
