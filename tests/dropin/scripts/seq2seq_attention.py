"""An encoder-decoder with attention written for PyTorch (Bahdanau et al. 2015 / Luong et al. 2015) on a
toy task, reversing a sequence: padded source batches with a boolean mask, a bidirectional GRU encoder
whose last forward and backward states are joined into the decoder's first state, a GRUCell decoder
with dot-product attention over the encoder outputs (masked_fill with -inf on padding, softmax,
torch.bmm), teacher forcing, NLLLoss with ignore_index, AdamW with bias parameters free of weight decay,
a warm-up LambdaLR, then greedy and beam-search decoding."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR

PAD, BOS, EOS = 0, 1, 2
VOCAB, EMBED, HIDDEN, BATCH, MIN_LEN, MAX_LEN, STEPS = 9, 16, 32, 16, 2, 5, 60


def make_batch(rng):
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, size=BATCH)
    src = torch.full((BATCH, MAX_LEN), PAD, dtype=torch.long)
    tgt = torch.full((BATCH, MAX_LEN + 2), PAD, dtype=torch.long)
    for i, n in enumerate(lengths):
        tokens = torch.from_numpy(rng.integers(3, VOCAB, size=n))
        src[i, :n] = tokens
        tgt[i, 0], tgt[i, 1:n + 1], tgt[i, n + 1] = BOS, tokens.flip(0), EOS
    return src, tgt


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.rnn = nn.GRU(EMBED, HIDDEN, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * HIDDEN, HIDDEN)
        self.project = nn.Linear(2 * HIDDEN, HIDDEN, bias=False)

    def forward(self, src):
        outputs, h_n = self.rnn(self.embedding(src))           # (B, S, 2H), (2, B, H)
        hidden = torch.tanh(self.bridge(torch.cat((h_n[-2], h_n[-1]), dim=1)))
        return self.project(outputs), hidden


class AttnDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=PAD)
        self.cell = nn.GRUCell(EMBED + HIDDEN, HIDDEN)
        self.out = nn.Linear(2 * HIDDEN, VOCAB)

    def forward(self, token, hidden, context, memory, src_mask):
        hidden = self.cell(torch.cat([self.embedding(token), context], dim=-1), hidden)
        scores = torch.bmm(memory, hidden.unsqueeze(2)).squeeze(2)            # (B, S)
        scores = scores.masked_fill(~src_mask, float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)         # (B, H)
        log_probs = F.log_softmax(self.out(torch.cat((hidden, context), dim=1)), dim=-1)
        return log_probs, hidden, context, weights


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = Encoder(), AttnDecoder()

    def forward(self, src, tgt):
        memory, hidden = self.encoder(src)
        src_mask = src != PAD
        context = memory.new_zeros(src.size(0), HIDDEN)
        outputs = []
        for t in range(tgt.size(1) - 1):  # teacher forcing: the gold previous token goes in
            log_probs, hidden, context, _ = self.decoder(tgt[:, t], hidden, context, memory, src_mask)
            outputs.append(log_probs)
        return torch.stack(outputs, dim=1)

    @torch.no_grad()
    def greedy(self, src, max_len=MAX_LEN + 1):
        memory, hidden = self.encoder(src)
        src_mask = src.ne(PAD)
        context = torch.zeros(src.size(0), HIDDEN)
        token = torch.full((src.size(0),), BOS, dtype=torch.long)
        finished = torch.zeros(src.size(0), dtype=torch.bool)
        result = []
        for _ in range(max_len):
            log_probs, hidden, context, _ = self.decoder(token, hidden, context, memory, src_mask)
            token = log_probs.argmax(dim=-1)
            token = token.masked_fill(finished, PAD)
            result.append(token)
            finished |= token == EOS
            if finished.all():
                break
        return torch.stack(result, dim=1)

    @torch.no_grad()
    def beam_search(self, src, beam_size=3, max_len=MAX_LEN + 1):
        """One source sentence (1, S): keep the beam_size best prefixes by total log-probability."""
        memory, hidden = self.encoder(src)
        memory = memory.expand(beam_size, -1, -1)
        hidden = hidden.repeat(beam_size, 1)
        src_mask = (src != PAD).expand(beam_size, -1)
        context = torch.zeros(beam_size, HIDDEN)
        tokens = torch.full((beam_size, 1), BOS, dtype=torch.long)
        scores = torch.tensor([0.0] + [float("-inf")] * (beam_size - 1))
        for _ in range(max_len):
            log_probs, hidden, context, _ = self.decoder(tokens[:, -1], hidden, context, memory, src_mask)
            ended = tokens[:, -1] == EOS
            log_probs[ended] = float("-inf")
            log_probs[ended, EOS] = 0.0  # a finished prefix stays as it is
            candidates = (scores.unsqueeze(1) + log_probs).view(-1)
            scores, flat = candidates.topk(beam_size)
            origin, word = flat // VOCAB, flat % VOCAB
            tokens = torch.cat([tokens[origin], word.unsqueeze(1)], dim=1)
            hidden, context = hidden[origin], context[origin]
            if (word == EOS).all():
                break
        return tokens[scores.argmax()].tolist(), scores.max().item()


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = Seq2Seq()
    with torch.no_grad():  # the same starting weights on every engine
        for name, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.uniform(-0.15, 0.15, tuple(p.shape)).astype(np.float32)))
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=0.01, betas=(0.9, 0.98))
    scheduler = LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 5) * 0.97 ** step)
    criterion = nn.NLLLoss(ignore_index=PAD)

    losses = []
    for step in range(STEPS):
        model.train()
        src, tgt = make_batch(rng)
        optimizer.zero_grad()
        log_probs = model(src, tgt)
        loss = criterion(log_probs.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}

    model.eval()
    src, tgt = make_batch(rng)
    predicted = model.greedy(src)
    gold = tgt[:, 1:1 + predicted.size(1)]
    mask = gold != PAD
    token_accuracy = ((predicted == gold) & mask).sum().item() / mask.sum().item()
    beam, beam_score = model.beam_search(src[:1])
    with torch.no_grad():
        memory, hidden = model.encoder(src)
        _, _, _, attention = model.decoder(tgt[:, 0], hidden, torch.zeros(BATCH, HIDDEN), memory, src != PAD)
    assert torch.allclose(attention.sum(dim=-1), torch.ones(BATCH))
    assert (attention[src == PAD] == 0).all()
    return {"losses": losses, "grads": grads, "lr": scheduler.get_last_lr(), "greedy": predicted.tolist(),
            "token_accuracy": token_accuracy, "beam": beam, "beam_score": beam_score}
