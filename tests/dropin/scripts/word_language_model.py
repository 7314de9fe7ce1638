"""The model class of PyTorch's word-level language-model example, written for torch.nn as people do:
`getattr(nn, rnn_type)`, dropout on embeddings and outputs, a decoder with tied weights, log-softmax
outputs with NLLLoss, `init_hidden` returning a tuple for the LSTM, `repackage_hidden`, gradient
clipping and the manual update `p.data.add_(p.grad, alpha=-lr)`."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NTOKEN, NINP, NHID, NLAYERS, BPTT, BATCH, LR, CLIP = 60, 32, 32, 2, 10, 8, 5.0, 0.25


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ["LSTM", "GRU"]:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def evaluate(model, source, criterion):
    model.eval()
    total, hidden = 0.0, model.init_hidden(BATCH)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, BPTT):
            data, targets = get_batch(source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(source) - 1)


def run(rnn_type="LSTM", dropout=0.0, tied=True, epochs=2, seed=0):
    rng = np.random.default_rng(seed)
    phrases = [rng.integers(0, NTOKEN, size=int(n)) for n in rng.integers(4, 9, size=12)]  # text with structure
    stream = np.concatenate([phrases[k] for k in rng.integers(0, len(phrases), size=800)])
    train = batchify(torch.from_numpy(stream[:2400]), BATCH)
    valid = batchify(torch.from_numpy(stream[2400:]), BATCH)
    torch.manual_seed(seed)
    model = RNNModel(rnn_type, NTOKEN, NINP, NHID, NLAYERS, dropout, tied)
    with torch.no_grad():  # one set of starting weights for every engine
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    criterion = nn.NLLLoss()
    losses = []
    for _ in range(epochs):
        model.train()
        hidden = model.init_hidden(BATCH)
        for i in range(0, train.size(0) - 1, BPTT):
            data, targets = get_batch(train, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-LR)
            losses.append(loss.item())
    return {"losses": losses, "valid_ppl": math.exp(evaluate(model, valid, criterion))}
