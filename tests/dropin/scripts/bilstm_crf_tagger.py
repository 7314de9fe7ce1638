"""A BiLSTM-CRF tagger (Lample et al. 2016) written for PyTorch with the CRF by hand, its modules built with
device=device and a LayerNorm on the LSTM's outputs: a transition matrix as an nn.Parameter with start and end
scores, the forward algorithm over a padded batch (broadcast scores, torch.logsumexp over the previous tag, a
length mask choosing between the new and the old alphas with torch.where), the gold path's score with
torch.gather on emissions and indexing of the transitions, the negative log-likelihood, SGD with momentum and
MultiStepLR, and Viterbi decoding (max over dims returning values and indices, back-pointers stacked and
followed backwards) under torch.inference_mode, with span-free token accuracy and the mean log-partition."""
import numpy as np
import torch
import torch.nn as nn

PAD = 0
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
VOCAB, TAGS, EMBED, HIDDEN, BATCH, MAXLEN, EPOCHS = 25, 5, 12, 10, 6, 9, 5


def make_sentences(rng, count):
    """Tags follow a fixed transition rule from the words, so the CRF's transitions have something to learn."""
    sentences, tags = [], []
    for _ in range(count):
        words = rng.integers(1, VOCAB, size=int(rng.integers(2, MAXLEN + 1)))
        tag_seq = [int(words[0]) % TAGS]
        for word in words[1:]:
            tag_seq.append((tag_seq[-1] + int(word) % 2) % TAGS)
        sentences.append(words.tolist())
        tags.append(tag_seq)
    return sentences, tags


def pad_batch(sentences, tags):
    longest = max(len(s) for s in sentences)
    words = torch.full((len(sentences), longest), PAD, dtype=torch.long)
    labels = torch.zeros(len(sentences), longest, dtype=torch.long)
    for i, (sentence, tag_seq) in enumerate(zip(sentences, tags)):
        words[i, :len(sentence)] = torch.tensor(sentence)
        labels[i, :len(tag_seq)] = torch.tensor(tag_seq)
    mask = words != PAD
    return words.to(device), labels.to(device), mask.to(device)


class CRF(nn.Module):
    def __init__(self, num_tags):
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags, device=device))  # [from, to]
        self.start_transitions = nn.Parameter(torch.zeros(num_tags, device=device))
        self.end_transitions = nn.Parameter(torch.zeros(num_tags, device=device))

    def _log_partition(self, emissions, mask):
        # emissions: (batch, seq, tags); alpha: (batch, tags)
        alpha = self.start_transitions + emissions[:, 0]
        for t in range(1, emissions.size(1)):
            scores = alpha.unsqueeze(2) + self.transitions.unsqueeze(0) + emissions[:, t].unsqueeze(1)
            next_alpha = torch.logsumexp(scores, dim=1)
            alpha = torch.where(mask[:, t].unsqueeze(1), next_alpha, alpha)
        return torch.logsumexp(alpha + self.end_transitions, dim=1)

    def _gold_score(self, emissions, tags, mask):
        mask_f = mask.float()
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        score = self.start_transitions[tags[:, 0]] + (emit * mask_f).sum(dim=1)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]
        score = score + (trans * mask_f[:, 1:]).sum(dim=1)
        last_index = mask.long().sum(dim=1) - 1
        last_tags = tags.gather(1, last_index.unsqueeze(1)).squeeze(1)
        return score + self.end_transitions[last_tags]

    def neg_log_likelihood(self, emissions, tags, mask):
        return (self._log_partition(emissions, mask) - self._gold_score(emissions, tags, mask)).mean()

    def decode(self, emissions, mask):
        batch, seq_len, _ = emissions.shape
        score = self.start_transitions + emissions[:, 0]
        backpointers = []
        for t in range(1, seq_len):
            candidates = score.unsqueeze(2) + self.transitions.unsqueeze(0)
            best, best_prev = candidates.max(dim=1)
            next_score = best + emissions[:, t]
            score = torch.where(mask[:, t].unsqueeze(1), next_score, score)
            backpointers.append(best_prev)
        score = score + self.end_transitions
        lengths = mask.sum(dim=1).tolist()
        history = torch.stack(backpointers, dim=1) if backpointers else None
        paths = []
        for i in range(batch):
            best_last = int(torch.argmax(score[i]))
            path = [best_last]
            for t in range(lengths[i] - 2, -1, -1):
                path.append(int(history[i, t, path[-1]]))
            paths.append(path[::-1])
        return paths


class BiLSTMCRF(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=PAD, device=device)
        self.lstm = nn.LSTM(EMBED, HIDDEN // 2, batch_first=True, bidirectional=True, device=device)
        self.norm = nn.LayerNorm(HIDDEN, device=device)
        self.hidden2tag = nn.Linear(HIDDEN, TAGS, device=device)
        self.crf = CRF(TAGS)

    def emissions(self, words):
        out, _ = self.lstm(self.embedding(words))
        return self.hidden2tag(self.norm(out))

    def forward(self, words, tags, mask):
        return self.crf.neg_log_likelihood(self.emissions(words), tags, mask)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train = make_sentences(rng, BATCH * 10)
    dev = pad_batch(*make_sentences(rng, 20))

    model = BiLSTMCRF()
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(param.shape)).astype(np.float32)))
        model.embedding.weight[PAD].fill_(0)

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5)
    losses, accuracies, log_partitions, lrs = [], [], [], []
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train[0]))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            words, labels, mask = pad_batch([train[0][i] for i in batch], [train[1][i] for i in batch])
            optimizer.zero_grad()
            loss = model(words, labels, mask)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        model.eval()
        with torch.inference_mode():
            words, labels, mask = dev
            emissions = model.emissions(words)
            paths = model.crf.decode(emissions, mask)
            predicted = torch.zeros_like(labels)
            for i, path in enumerate(paths):
                predicted[i, :len(path)] = torch.tensor(path, device=device)
            correct = (predicted == labels) & mask
            accuracies.append(correct.sum().item() / mask.sum().item())
            log_partitions.append(model.crf._log_partition(emissions, mask).mean().item())
    grads = {name: p.grad.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
    return {"losses": losses, "grads": grads, "accuracies": accuracies, "log_partitions": log_partitions,
            "lrs": lrs, "paths": [" ".join(map(str, path)) for path in paths],
            "transitions": model.crf.transitions.detach().cpu().numpy()}
