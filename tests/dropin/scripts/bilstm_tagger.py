"""A BiLSTM tagger written for PyTorch: sentences padded into batches by hand, nn.Embedding with
padding_idx, a bidirectional batch-first LSTM without packing, cross-entropy with ignore_index on the
padding, Adam with two parameter groups and an exponential schedule, gradient clipping, masked
accuracy under no_grad, and the best weights kept with torch.save and restored with torch.load."""
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, IGNORE = 0, -100
VOCAB, TAGS, EMBED, HIDDEN, BATCH, MAXLEN, EPOCHS = 30, 4, 16, 20, 8, 10, 6

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def make_sentences(rng, count):
    sentences, tags = [], []
    for _ in range(count):
        words = rng.integers(1, VOCAB, size=int(rng.integers(3, MAXLEN + 1)))
        previous = np.concatenate([[0], words[:-1]])
        sentences.append(words.tolist())
        tags.append(((words + previous) % TAGS).tolist())  # each tag needs the word to its left
    return sentences, tags


def pad_batch(sentences, tags):
    lengths = torch.tensor([len(s) for s in sentences], dtype=torch.long)
    longest = lengths.max().item()
    words = torch.full((len(sentences), longest), PAD, dtype=torch.long)
    labels = torch.full((len(sentences), longest), IGNORE, dtype=torch.long)
    for i, (sentence, tag_seq) in enumerate(zip(sentences, tags)):
        words[i, :len(sentence)] = torch.tensor(sentence)
        labels[i, :len(tag_seq)] = torch.tensor(tag_seq)
    return words.to(device), labels.to(device), lengths.to(device)


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, tagset_size, embedding_dim, hidden_dim, dropout=0.0):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.hidden2tag = nn.Linear(hidden_dim * 2, tagset_size)

    def forward(self, sentence):
        embeds = self.dropout(self.word_embeddings(sentence))
        lstm_out, (h_n, c_n) = self.lstm(embeds)
        return self.hidden2tag(self.dropout(lstm_out))


@torch.no_grad()
def evaluate(model, words, labels, lengths):
    model.eval()
    predictions = model(words).argmax(dim=-1)
    mask = torch.arange(words.size(1), device=device).unsqueeze(0) < lengths.unsqueeze(1)
    assert torch.equal(mask, labels != IGNORE)
    correct = (predictions == labels).masked_fill(~mask, False)
    return correct.sum().item() / mask.sum().item()


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train_sentences, train_tags = make_sentences(rng, BATCH * 15)
    dev = pad_batch(*make_sentences(rng, 40))

    model = BiLSTMTagger(VOCAB, TAGS, EMBED, HIDDEN).to(device)
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, size=tuple(param.shape)).astype(np.float32)))
        model.word_embeddings.weight[PAD].zero_()
    num_params = sum(p.numel() for p in model.parameters() if p.requires_grad)

    optimizer = torch.optim.Adam([
        {"params": model.word_embeddings.parameters(), "lr": 0.03},
        {"params": list(model.lstm.parameters()) + list(model.hidden2tag.parameters())},
    ], lr=0.01, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
    loss_function = nn.CrossEntropyLoss(ignore_index=IGNORE)

    checkpoint = os.path.join(tempfile.mkdtemp(), "best_tagger.pt")
    losses, grad_norms, accuracies, best_accuracy = [], [], [], -1.0
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train_sentences))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            words, labels, _ = pad_batch([train_sentences[i] for i in batch], [train_tags[i] for i in batch])
            model.zero_grad()
            tag_scores = model(words)
            loss = loss_function(tag_scores.view(-1, TAGS), labels.view(-1))
            loss.backward()
            grad_norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)))
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        accuracy = evaluate(model, *dev)
        accuracies.append(accuracy)
        if accuracy > best_accuracy:
            best_accuracy = accuracy
            torch.save(model.state_dict(), checkpoint)
    grads = {name: p.grad.detach().cpu().numpy().copy() for name, p in model.named_parameters()}

    restored = BiLSTMTagger(VOCAB, TAGS, EMBED, HIDDEN)
    restored.load_state_dict(torch.load(checkpoint))
    restored.eval()
    assert evaluate(restored, *dev) == best_accuracy
    with torch.no_grad():
        sentence = torch.tensor([[5, 17, 3, 22]], dtype=torch.long)
        tag_ids = F.softmax(restored(sentence), dim=-1).argmax(dim=-1).squeeze(0).tolist()
    return {"losses": losses, "grads": grads, "grad_norms": grad_norms, "accuracies": accuracies,
            "lr": scheduler.get_last_lr(), "num_params": num_params, "tags": tag_ids,
            "weights": {k: v.numpy() for k, v in restored.state_dict().items()}}
