"""A GRU encoder-decoder written for PyTorch on a toy transduction (each digit mapped to its successor, the
sequence sorted): time-major batches, a two-layer nn.GRU encoder whose final state starts a two-layer nn.GRU
decoder fed one step at a time, embeddings kept inside a norm ball with nn.Embedding(max_norm=...), teacher
forcing chosen by a fixed inverse-sigmoid schedule and a seeded coin, the output layer first frozen with
requires_grad_(False) and later handed to the optimizer with add_param_group, Adam with a warm-up LinearLR
followed by StepLR through SequentialLR, clip_grad_norm_, model and optimizer checkpointed into an io.BytesIO
with torch.save and reloaded with torch.load into fresh objects that must continue exactly, and greedy
decoding with exact-sequence accuracy under no_grad."""
import io
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2
DIGITS, LENGTH, EMBED, HIDDEN, BATCH, STEPS, UNFREEZE_AT = 8, 5, 8, 16, 8, 60, 20
VOCAB = DIGITS + 3


def make_batch(rng, size):
    digits = rng.integers(0, DIGITS, size=(size, LENGTH))
    targets = np.sort((digits + 1) % DIGITS, axis=1)
    source = torch.from_numpy(digits.T + 3).long()  # (time, batch)
    target = torch.from_numpy(np.concatenate([targets.T + 3, np.full((1, size), EOS)])).long()
    return source, target


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, EMBED, max_norm=1.0)
        self.tgt_embed = nn.Embedding(VOCAB, EMBED, max_norm=1.0)
        self.encoder = nn.GRU(EMBED, HIDDEN, num_layers=2)
        self.decoder = nn.GRU(EMBED, HIDDEN, num_layers=2)
        self.out = nn.Linear(HIDDEN, VOCAB)

    def forward(self, source, target, teacher_forcing):
        _, hidden = self.encoder(self.src_embed(source))
        token = torch.full((1, source.size(1)), BOS, dtype=torch.long)
        logits = []
        for t in range(target.size(0)):
            output, hidden = self.decoder(self.tgt_embed(token), hidden)
            step_logits = self.out(output)
            logits.append(step_logits)
            token = target[t:t + 1] if teacher_forcing[t] else step_logits.argmax(-1).detach()
        return torch.cat(logits, dim=0)

    @torch.no_grad()
    def greedy(self, source, max_len):
        _, hidden = self.encoder(self.src_embed(source))
        token = torch.full((1, source.size(1)), BOS, dtype=torch.long)
        decoded = []
        for _ in range(max_len):
            output, hidden = self.decoder(self.tgt_embed(token), hidden)
            token = self.out(output).argmax(-1)
            decoded.append(token)
        return torch.cat(decoded, dim=0)


def teacher_forcing_probability(step, k=15.0):
    return k / (k + math.exp(step / k))


def make_training(model):
    model.out.requires_grad_(False)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.02)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=5)
    decay = torch.optim.lr_scheduler.StepLR(optimizer, step_size=15, gamma=0.5)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[5])
    return optimizer, scheduler


def train_steps(model, optimizer, scheduler, rng, first, last, log):
    for step in range(first, last):
        if step == UNFREEZE_AT:
            model.out.requires_grad_(True)
            optimizer.add_param_group({"params": model.out.parameters(), "lr": 0.01})
        source, target = make_batch(rng, BATCH)
        forcing = rng.random(target.size(0)) < teacher_forcing_probability(step)
        model.train()
        logits = model(source, target, forcing)
        loss = F.cross_entropy(logits.view(-1, VOCAB), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        log["grad_norms"].append(float(nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
        optimizer.step()
        scheduler.step()
        log["losses"].append(loss.item())
        log["lrs"].append([group["lr"] for group in optimizer.param_groups])


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = Seq2Seq()
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, size=tuple(param.shape)).astype(np.float32)))
    optimizer, scheduler = make_training(model)
    log = {"losses": [], "grad_norms": [], "lrs": []}
    half = STEPS // 2
    train_steps(model, optimizer, scheduler, rng, 0, half, log)

    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "step": half}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    resumed = Seq2Seq()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer, resumed_scheduler = make_training(resumed)
    resumed.out.requires_grad_(True)
    resumed_optimizer.add_param_group({"params": resumed.out.parameters(), "lr": 0.01})
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])

    rng_state = rng.bit_generator.state
    train_steps(model, optimizer, scheduler, rng, half, STEPS, log)
    rng.bit_generator.state = rng_state
    resumed_log = {"losses": [], "grad_norms": [], "lrs": []}
    train_steps(resumed, resumed_optimizer, resumed_scheduler, rng, checkpoint["step"], STEPS, resumed_log)
    assert np.allclose(resumed_log["losses"], log["losses"][half:], rtol=1e-5), (resumed_log, log["losses"][half:])
    grads = {name: p.grad.detach().numpy().copy() for name, p in model.named_parameters()}

    source, target = make_batch(rng, 16)
    model.eval()
    decoded = model.greedy(source, target.size(0))
    exact = (decoded == target).all(dim=0).float().mean().item()
    return {"losses": log["losses"], "grads": grads, "grad_norms": log["grad_norms"], "lrs": log["lrs"][-1],
            "decoded": decoded.t().numpy(), "exact_match": exact,
            "embedding_norms": model.src_embed.weight.norm(dim=1).detach().numpy()}
