"""A decomposable-attention NLI model (Parikh et al. 2016) written for PyTorch, with the extras people bolt on:
premise and hypothesis padded to different lengths, alignment scores from torch.einsum, a masked softmax
in both directions (masked_fill with the dtype's lowest value), compare and aggregate feed-forward layers
with nn.BatchNorm1d (running statistics used in eval mode) and nn.PReLU, an nn.Bilinear term between the
two aggregates, the classifier's weight reparametrised with nn.utils.parametrizations.weight_norm, a
forward hook recording the aggregate features, retain_grad on the alignment weights, a gradient penalty on
the embedded premise taken with torch.autograd.grad(create_graph=True), distillation from a frozen
copy.deepcopy teacher with F.kl_div(log_target=True), an exponential moving average of the weights kept
by torch.optim.swa_utils.AveragedModel, and Adam; predictions and probabilities of the averaged model."""
import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

PAD = 0
VOCAB, EMBED, HIDDEN, CLASSES, BATCH, STEPS = 20, 8, 12, 3, 16, 80


def make_pairs(rng, count):
    """Entailment when the hypothesis's words all occur in the premise, contradiction when none do."""
    premises, hypotheses, labels = [], [], []
    for _ in range(count):
        premise = rng.choice(np.arange(1, VOCAB), size=int(rng.integers(3, 7)), replace=False)
        label = int(rng.integers(CLASSES))
        others = np.setdiff1d(np.arange(1, VOCAB), premise)
        if label == 0:
            hypothesis = rng.choice(premise, size=2, replace=False)
        elif label == 1:
            hypothesis = np.array([rng.choice(premise), rng.choice(others)])
        else:
            hypothesis = rng.choice(others, size=int(rng.integers(2, 4)), replace=False)
        premises.append(premise.tolist())
        hypotheses.append(hypothesis.tolist())
        labels.append(label)
    return premises, hypotheses, labels


def pad(sequences):
    out = torch.zeros(len(sequences), max(len(s) for s in sequences), dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = torch.tensor(s)
    return out


def masked_softmax(scores, mask, dim):
    return F.softmax(scores.masked_fill(~mask, torch.finfo(scores.dtype).min), dim=dim)


def feed_forward(in_features, out_features):
    # no bias before batch norm: its gradient is zero up to rounding, which Adam would blow up into steps
    return nn.Sequential(nn.Linear(in_features, out_features, bias=False), nn.BatchNorm1d(out_features), nn.PReLU())


class DecomposableAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.attend = nn.Sequential(nn.Linear(EMBED, HIDDEN), nn.ReLU())
        self.compare = feed_forward(2 * EMBED, HIDDEN)
        self.aggregate = feed_forward(2 * HIDDEN, HIDDEN)
        self.bilinear = nn.Bilinear(HIDDEN, HIDDEN, CLASSES)
        self.classify = nn.utils.parametrizations.weight_norm(nn.Linear(2 * HIDDEN, CLASSES))
        self.alignment = None

    def compare_tokens(self, tokens, aligned, mask):
        batch, length, _ = tokens.shape
        compared = self.compare(torch.cat([tokens, aligned], dim=-1).view(batch * length, -1)).view(batch, length, -1)
        return (compared * mask.unsqueeze(-1)).sum(dim=1)

    def forward(self, premise, hypothesis, premise_embedded=None):
        a = self.embed(premise) if premise_embedded is None else premise_embedded
        b = self.embed(hypothesis)
        a_mask, b_mask = premise != PAD, hypothesis != PAD
        scores = torch.einsum("bih,bjh->bij", self.attend(a), self.attend(b))
        pair_mask = a_mask.unsqueeze(2) & b_mask.unsqueeze(1)
        beta_weights = masked_softmax(scores, pair_mask, dim=2)
        alpha_weights = masked_softmax(scores, pair_mask, dim=1)
        if beta_weights.requires_grad:
            beta_weights.retain_grad()
        self.alignment = beta_weights
        beta = torch.bmm(beta_weights, b)
        alpha = torch.bmm(alpha_weights.transpose(1, 2), a)
        v1 = self.compare_tokens(a, beta, a_mask)
        v2 = self.compare_tokens(b, alpha, b_mask)
        features = self.aggregate(torch.cat([v1, v2], dim=1))
        return self.classify(torch.cat([features, v1 - v2], dim=1)) + self.bilinear(features, v1 * v2)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = DecomposableAttention()
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, size=tuple(param.shape)).astype(np.float32)))
        model.embed.weight[PAD].zero_()
    teacher = copy.deepcopy(model)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))

    recorded = []
    handle = model.aggregate.register_forward_hook(lambda module, inputs, output: recorded.append(output.detach()))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses, penalties, alignment_grad_norms = [], [], []
    for step in range(STEPS):
        premises, hypotheses, labels = make_pairs(rng, BATCH)
        premise, hypothesis, labels = pad(premises), pad(hypotheses), torch.tensor(labels)
        model.train()
        premise_embedded = model.embed(premise)
        logits = model(premise, hypothesis, premise_embedded)
        task_loss = F.cross_entropy(logits, labels)
        (embedding_grad,) = torch.autograd.grad(task_loss, premise_embedded, create_graph=True)
        penalty = embedding_grad.pow(2).sum(dim=(1, 2)).mean()
        with torch.no_grad():
            teacher_log_probs = F.log_softmax(teacher(premise, hypothesis), dim=-1)
        distill = F.kl_div(F.log_softmax(logits, dim=-1), teacher_log_probs, reduction="batchmean", log_target=True)
        loss = task_loss + 0.1 * penalty + (0.5 if step < STEPS // 2 else 0.0) * distill
        optimizer.zero_grad()
        loss.backward()
        alignment_grad_norms.append(model.alignment.grad.norm().item())
        optimizer.step()
        ema.update_parameters(model)
        losses.append(loss.item())
        penalties.append(penalty.item())
    handle.remove()
    grads = {name: p.grad.detach().numpy().copy() for name, p in model.named_parameters()}

    premises, hypotheses, labels = make_pairs(rng, 12)
    premise, hypothesis = pad(premises), pad(hypotheses)
    ema.eval()
    model.eval()
    with torch.no_grad():
        probabilities = F.softmax(ema(premise, hypothesis), dim=-1)
        predictions = model(premise, hypothesis).argmax(dim=-1)
    return {"losses": losses, "grads": grads, "penalties": penalties, "alignment_grad_norms": alignment_grad_norms,
            "hooked_features": recorded[-1].numpy(), "hook_calls": len(recorded),
            "running_mean": model.aggregate[1].running_mean.numpy(),
            "running_var": model.aggregate[1].running_var.numpy(),
            "ema_probabilities": probabilities.numpy(), "predictions": predictions.numpy(),
            "accuracy": (predictions == torch.tensor(labels)).float().mean().item(),
            "weight_norm_g": model.classify.parametrizations.weight.original0.detach().numpy()}
