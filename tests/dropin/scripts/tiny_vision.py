"""A small vision model written for PyTorch, on 8x8 images of bars (horizontal, vertical or diagonal): the
image centred by a mean kept as an nn.Buffer, folded into channels with nn.PixelUnshuffle, a grouped Conv2d,
nn.ChannelShuffle and nn.LocalResponseNorm, nn.MaxPool2d with its indices, features from
nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d and nn.LPPool2d into an nn.LazyLinear head (its in_features taken
from a dry run), and a decoder of nn.MaxUnpool2d and nn.PixelShuffle. The loss adds cross-entropy, the
reconstruction's MSE and nn.TripletMarginWithDistanceLoss on the features (cosine distance); Adam trains."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES, PER_CLASS, STEPS, SIZE = 3, 6, 40, 8


def make_image(rng, label):
    image = rng.normal(0.0, 0.1, (SIZE, SIZE))
    at = int(rng.integers(1, SIZE - 1))
    if label == 0:
        image[at, :] += 1.0
    elif label == 1:
        image[:, at] += 1.0
    else:
        image[np.arange(SIZE), (np.arange(SIZE) + at) % SIZE] += 1.0
    return image


class TinyVision(nn.Module):
    def __init__(self):
        super().__init__()
        self.mean = nn.Buffer(torch.tensor(0.1))
        self.space_to_depth = nn.PixelUnshuffle(2)                 # (B, 1, 8, 8) -> (B, 4, 4, 4)
        self.conv = nn.Conv2d(4, 8, 3, padding=1, groups=2)
        self.shuffle = nn.ChannelShuffle(2)
        self.norm = nn.LocalResponseNorm(3, alpha=0.1, k=1.0)
        self.pool = nn.MaxPool2d(2, return_indices=True)           # (B, 8, 2, 2)
        self.average = nn.AdaptiveAvgPool2d((1, None))             # (B, 8, 1, 2)
        self.peak = nn.AdaptiveMaxPool2d(1)                        # (B, 8, 1, 1)
        self.energy = nn.LPPool2d(2, 2)                            # (B, 8, 2, 2)
        self.head = nn.LazyLinear(CLASSES)
        self.unpool = nn.MaxUnpool2d(2)                            # (B, 8, 4, 4)
        self.depth_to_space = nn.PixelShuffle(2)                   # (B, 2, 8, 8)

    def forward(self, images):
        hidden = self.norm(self.shuffle(F.relu(self.conv(self.space_to_depth(images - self.mean)))))
        pooled, indices = self.pool(hidden)
        features = torch.cat([self.average(pooled).flatten(1), self.peak(hidden).flatten(1),
                              self.energy(hidden).flatten(1)], dim=1)
        reconstruction = self.depth_to_space(self.unpool(pooled, indices)).mean(dim=1, keepdim=True)
        return self.head(features), features, reconstruction


def cosine_distance(x1, x2):
    return 1.0 - F.cosine_similarity(x1, x2, dim=1)


def run(seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = TinyVision()
    model(torch.zeros(1, 1, SIZE, SIZE))  # the dry run gives the lazy head its in_features
    with torch.no_grad():  # the same starting weights on every engine
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    triplet = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.5)
    half = PER_CLASS // 2

    losses = []
    for step in range(STEPS):
        labels = np.repeat(np.arange(CLASSES), PER_CLASS)  # the classes in blocks: anchors, positives, negatives
        images = torch.tensor(np.stack([make_image(rng, label) for label in labels])[:, None], dtype=torch.float32)
        targets = torch.tensor(labels)
        optimizer.zero_grad()
        logits, features, reconstruction = model(images)
        loss = (F.cross_entropy(logits, targets) + F.mse_loss(reconstruction, images)
                + triplet(features[:half], features[half:PER_CLASS], features[PER_CLASS:PER_CLASS + half]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}

    with torch.no_grad():
        labels = np.repeat(np.arange(CLASSES), 10)
        images = torch.tensor(np.stack([make_image(rng, label) for label in labels])[:, None], dtype=torch.float32)
        logits, _, reconstruction = model(images)
        accuracy = (logits.argmax(dim=1) == torch.tensor(labels)).float().mean().item()
        reconstruction_error = F.mse_loss(reconstruction, images).item()
    return {"losses": losses, "grads": grads, "accuracy": accuracy, "reconstruction_error": reconstruction_error,
            "state_keys": sorted(model.state_dict()), "head": repr(model.head)}
