"""A BiLSTM sentence classifier written for PyTorch the usual way for variable-length batches: sentences
padded into a batch-first tensor with their lengths alongside, nn.Embedding with padding_idx,
pack_padded_sequence(..., lengths.cpu(), batch_first=True, enforce_sorted=False), a two-layer
bidirectional nn.LSTM run on the PackedSequence from an explicit zero initial state, the last layer's
final states of both directions (h_n[-2], h_n[-1]) joined with a max over time of the outputs unpacked by
pad_packed_sequence(..., padding_value=-inf, total_length=MAXLEN), cross-entropy, Adam and gradient
clipping, accuracy under no_grad, and the predictions of sentences given one by one."""
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD = 0
VOCAB, CLASSES, EMBED, HIDDEN, LAYERS, BATCH, MAXLEN, EPOCHS = 20, 2, 12, 10, 2, 16, 9, 5

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def make_sentences(rng, count):
    """Labels need both ends of each sentence: is its first word's id larger than its last word's?"""
    sentences, labels = [], []
    for _ in range(count):
        words = rng.integers(1, VOCAB, size=int(rng.integers(2, MAXLEN)))
        sentences.append(words.tolist())
        labels.append(int(words[0] > words[-1]))
    return sentences, labels


def batchify(sentences, labels):
    lengths = torch.tensor([len(s) for s in sentences])
    words = torch.full((len(sentences), int(lengths.max())), PAD, dtype=torch.long)
    for i, sentence in enumerate(sentences):
        words[i, :len(sentence)] = torch.tensor(sentence)
    return words.to(device), lengths.to(device), torch.tensor(labels, device=device)


class BiLSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, num_layers, num_classes):
        super().__init__()
        self.hidden_dim, self.num_layers = hidden_dim, num_layers
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * hidden_dim, num_classes)

    def init_hidden(self, batch_size):
        shape = (2 * self.num_layers, batch_size, self.hidden_dim)
        return torch.zeros(*shape, device=device), torch.zeros(*shape, device=device)

    def forward(self, words, lengths):
        embedded = self.embedding(words)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_output, (h_n, c_n) = self.lstm(packed, self.init_hidden(words.size(0)))
        output, output_lengths = pad_packed_sequence(packed_output, batch_first=True, padding_value=float("-inf"),
                                                     total_length=MAXLEN)
        assert output.shape[1] == MAXLEN and torch.equal(output_lengths, lengths.cpu())
        pooled = output.max(dim=1).values
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)  # last layer: forward after each sentence's last word,
        return self.fc(torch.cat([final, pooled], dim=1))  # backward after its first


@torch.no_grad()
def accuracy(model, words, lengths, labels):
    model.eval()
    return (model(words, lengths).argmax(dim=1) == labels).float().mean().item()


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    train_sentences, train_labels = make_sentences(rng, BATCH * 12)
    dev = batchify(*make_sentences(rng, 48))

    model = BiLSTMClassifier(VOCAB, EMBED, HIDDEN, LAYERS, CLASSES).to(device)
    with torch.no_grad():  # the same starting weights on every engine
        for name, param in sorted(model.named_parameters()):
            param.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(param.shape)).astype(np.float32)))
        model.embedding.weight[PAD].zero_()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_function = nn.CrossEntropyLoss()

    losses, accuracies = [], []
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train_sentences))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            words, lengths, labels = batchify([train_sentences[i] for i in batch], [train_labels[i] for i in batch])
            optimizer.zero_grad()
            loss = loss_function(model(words, lengths), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            losses.append(loss.item())
        accuracies.append(accuracy(model, *dev))
    grads = {name: p.grad.detach().cpu().numpy().copy() for name, p in model.named_parameters()}

    model.eval()
    with torch.no_grad():
        one_by_one = [model(torch.tensor([s]), torch.tensor([len(s)])).argmax(dim=1).item()
                      for s in ([3, 9, 1], [2, 17], [15, 4, 4, 8, 11, 1])]
    return {"losses": losses, "grads": grads, "accuracies": accuracies, "predictions": one_by_one,
            "weights": {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}}
