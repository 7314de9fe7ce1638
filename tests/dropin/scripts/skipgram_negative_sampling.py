"""Skip-gram with negative sampling (Mikolov et al. 2013) written in plain PyTorch: (centre, context)
pairs from a sliding window, a noise distribution from unigram counts raised to 3/4, two embedding
tables with sparse gradients, the loss -log sigma(u.v) - sum log sigma(-u_neg.v) with torch.bmm,
SparseAdam, then nearest neighbours by cosine similarity with F.normalize and topk."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, WINDOW, NEGATIVES, BATCH, EPOCHS, TOPICS = 30, 10, 2, 5, 64, 2, 3


def make_corpus(rng, sentences=60, length=12):
    """Sentences that each stay within one topic (a contiguous block of word ids), so that words of a
    topic share contexts."""
    topic_size = VOCAB // TOPICS
    corpus = []
    for _ in range(sentences):
        topic = rng.integers(TOPICS)
        corpus.append((topic * topic_size + rng.integers(0, topic_size, size=length)).tolist())
    return corpus


def skipgram_pairs(corpus):
    pairs = []
    for sentence in corpus:
        for i, centre in enumerate(sentence):
            for j in range(max(0, i - WINDOW), min(len(sentence), i + WINDOW + 1)):
                if j != i:
                    pairs.append((centre, sentence[j]))
    return torch.tensor(pairs, dtype=torch.long)


class SkipGramModel(nn.Module):
    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.u_embeddings = nn.Embedding(vocab_size, embedding_dim, sparse=True)
        self.v_embeddings = nn.Embedding(vocab_size, embedding_dim, sparse=True)
        init_range = 0.5 / embedding_dim
        nn.init.uniform_(self.u_embeddings.weight.data, -init_range, init_range)
        nn.init.constant_(self.v_embeddings.weight.data, 0)

    def forward(self, pos_u, pos_v, neg_v):
        emb_u = self.u_embeddings(pos_u)          # (B, D)
        emb_v = self.v_embeddings(pos_v)          # (B, D)
        emb_neg_v = self.v_embeddings(neg_v)      # (B, K, D)
        score = torch.sum(torch.mul(emb_u, emb_v), dim=1)
        score = torch.clamp(score, max=10, min=-10)
        score = -F.logsigmoid(score)
        neg_score = torch.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
        neg_score = torch.clamp(neg_score, max=10, min=-10)
        neg_score = -torch.sum(F.logsigmoid(-neg_score), dim=1)
        return torch.mean(score + neg_score)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    corpus = make_corpus(rng)
    pairs = skipgram_pairs(corpus)
    counts = torch.zeros(VOCAB)
    for sentence in corpus:
        counts.index_add_(0, torch.tensor(sentence), torch.ones(len(sentence)))
    noise = counts.pow(0.75)
    noise = noise / noise.sum()

    model = SkipGramModel(VOCAB, DIM)
    with torch.no_grad():  # the same starting vectors on every engine
        model.u_embeddings.weight.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, (VOCAB, DIM)).astype(np.float32)))
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.02)

    losses = []
    for epoch in range(EPOCHS):
        permutation = torch.from_numpy(rng.permutation(len(pairs)))
        for start in range(0, len(pairs), BATCH):
            batch = pairs[permutation[start:start + BATCH]]
            pos_u, pos_v = batch[:, 0], batch[:, 1]
            # the negatives come from NumPy so that every engine trains on the same ones
            neg_v = torch.from_numpy(rng.choice(VOCAB, size=(len(batch), NEGATIVES), p=noise.numpy()))
            optimizer.zero_grad()
            loss = model(pos_u, pos_v, neg_v)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    grads = {name: p.grad.to_dense().numpy().copy() for name, p in model.named_parameters()}

    # a noise draw with the engine's own generator: its frequencies follow the noise distribution
    draws = torch.multinomial(noise, 20000, replacement=True)
    frequencies = torch.bincount(draws, minlength=VOCAB).float() / draws.numel()
    assert torch.allclose(frequencies, noise, atol=0.01)

    embeddings = model.u_embeddings.weight.detach()
    normalized = F.normalize(embeddings, p=2, dim=1)
    similarity = normalized @ normalized.t()
    neighbours = similarity.topk(4, dim=1).indices[:, 1:]  # the first is the word itself
    same_topic = (neighbours // (VOCAB // TOPICS) == (torch.arange(VOCAB) // (VOCAB // TOPICS)).unsqueeze(1))
    cos = F.cosine_similarity(embeddings[0], embeddings[1], dim=0)
    cos_pairs = nn.CosineSimilarity(dim=1)(embeddings[:5], embeddings[5:10])
    assert torch.allclose(cos, similarity[0, 1], atol=1e-5)
    return {"losses": losses, "grads": grads, "neighbours": neighbours.tolist(),
            "topic_precision": same_topic.float().mean().item(), "cos": cos.item(), "cos_pairs": cos_pairs.tolist(),
            "weights": {"u": embeddings.numpy().copy()}}
