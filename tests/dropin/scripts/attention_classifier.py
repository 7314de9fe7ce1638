"""A small Transformer-encoder text classifier written for PyTorch: token and position embeddings,
multi-head self-attention written out (view/transpose into heads, scaled scores, a key-padding mask
with masked_fill, softmax, weighted sum, contiguous().view back), pre-LayerNorm residual blocks in an
nn.ModuleList with GELU feed-forward layers, masked mean pooling, xavier initialisation through
model.apply, AdamW with no weight decay on biases and LayerNorm weights, label smoothing, a cosine
schedule, and a checkpoint of model, optimizer and scheduler saved with torch.save and resumed with
torch.load into fresh objects, which must continue exactly as the uninterrupted run."""
import math
import os
import tempfile

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

VOCAB, D_MODEL, HEADS, LAYERS, CLASSES, MAX_LEN, BATCH, STEPS, PAD = 24, 16, 2, 2, 3, 8, 16, 40, 0


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, dropout=0.0):
        super().__init__()
        assert d_model % n_heads == 0
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, key_padding_mask):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, self.d_head).transpose(1, 2)   # (B, h, T, d)
        k = k.view(B, T, self.n_heads, self.d_head).transpose(1, 2)
        v = v.view(B, T, self.n_heads, self.d_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        att = self.dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x, key_padding_mask):
        x = x + self.attn(self.ln1(x), key_padding_mask)
        return x + self.mlp(self.ln2(x))


class TransformerClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(VOCAB, D_MODEL, padding_idx=PAD)
        self.pos_emb = nn.Embedding(MAX_LEN, D_MODEL)
        self.blocks = nn.ModuleList([Block(D_MODEL, HEADS) for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, CLASSES)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, tokens):
        B, T = tokens.shape
        positions = torch.arange(T, device=tokens.device).unsqueeze(0).expand(B, T)
        padding = tokens.eq(PAD)
        x = self.tok_emb(tokens) + self.pos_emb(positions)
        for block in self.blocks:
            x = block(x, padding)
        x = self.ln_f(x)
        keep = (~padding).unsqueeze(-1).type_as(x)
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.head(pooled)


def make_data(rng, count):
    """The class is which of three marker words (1, 2, 3) occurs most often; the rest is noise."""
    tokens = np.zeros((count, MAX_LEN), dtype=np.int64)
    labels = np.zeros(count, dtype=np.int64)
    for i in range(count):
        n = rng.integers(3, MAX_LEN + 1)
        label = rng.integers(CLASSES)
        words = rng.integers(4, VOCAB, size=n)
        words[rng.permutation(n)[: max(1, n // 2)]] = label + 1
        tokens[i, :n], labels[i] = words, label
    return torch.from_numpy(tokens), torch.from_numpy(labels)


def build(rng_state):
    model = TransformerClassifier()
    rng = np.random.default_rng(rng_state)
    with torch.no_grad():  # the same starting weights on every engine
        for _, p in sorted(model.state_dict().items()):
            if p.is_floating_point():
                p.copy_(torch.from_numpy(rng.normal(0.0, 0.2, tuple(p.shape)).astype(np.float32)))
    no_decay = {name for name, _ in model.named_parameters() if name.endswith("bias") or ".ln" in name
                or name.startswith("ln_")}
    groups = [
        {"params": [p for n, p in model.named_parameters() if n not in no_decay], "weight_decay": 0.05},
        {"params": [p for n, p in model.named_parameters() if n in no_decay], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS, eta_min=1e-4)
    return model, optimizer, scheduler


def train_steps(model, optimizer, scheduler, criterion, batches, losses):
    model.train()
    for x, y in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=2.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    tokens, labels = make_data(rng, BATCH * STEPS)
    batches = [(tokens[i:i + BATCH], labels[i:i + BATCH]) for i in range(0, len(tokens), BATCH)]
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    model, optimizer, scheduler = build(seed)
    losses = []
    train_steps(model, optimizer, scheduler, criterion, batches[:STEPS // 2], losses)
    path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
    torch.save({"step": STEPS // 2, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "scheduler_state_dict": scheduler.state_dict()}, path)
    train_steps(model, optimizer, scheduler, criterion, batches[STEPS // 2:], losses)
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}

    # resume from the checkpoint in fresh objects: the second half must come out the same
    resumed, resumed_optimizer, resumed_scheduler = build(seed + 1)
    checkpoint = torch.load(path)
    resumed.load_state_dict(checkpoint["model_state_dict"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    resumed_losses = []
    train_steps(resumed, resumed_optimizer, resumed_scheduler, criterion, batches[checkpoint["step"]:], resumed_losses)
    assert resumed_losses == losses[STEPS // 2:], (resumed_losses, losses[STEPS // 2:])

    model.eval()
    with torch.no_grad():
        test_x, test_y = make_data(rng, 64)
        logits = model(test_x)
        probs = logits.softmax(dim=-1)
        accuracy = (logits.argmax(dim=-1) == test_y).float().mean().item()
        confidence, _ = probs.max(dim=1)
    return {"losses": losses, "grads": grads, "lr": scheduler.get_last_lr(), "accuracy": accuracy,
            "confidence": confidence.numpy().copy()}
