"""The sign embedding: how it is trained (supervised contrastive loss on class-balanced, signer-mixed
batches) and what ships with it (one prototype per built-in word, in the model's metadata).

Why these choices (measured in models/MODEL_CARD.md and docs/teach.md):
  * SupCon (Khosla et al. 2020) pulls every take of a word towards every other take of it in the
    batch and pushes other words away, so a word the classifier never saw still lands in a tight
    cluster when its takes share hand shapes and motion: what nearest-prototype teaching needs.
  * Batches are P words x K takes, the K takes from different signers where the set has signer ids,
    so the positives the loss pulls together differ in who signed them, not only in augmentation.
"""
import numpy as np
import torch

from sueo_prep import resample


def supcon_loss(embedding, target, temperature):
    """Supervised contrastive loss over one batch of L2-normalised embeddings [B, D]."""
    sim = embedding @ embedding.t() / temperature
    n = len(target)
    self_mask = torch.eye(n, dtype=torch.bool)
    positive = (target[:, None] == target[None, :]) & ~self_mask
    sim = sim.masked_fill(self_mask, -1e9)
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    count = positive.sum(1)
    has = count > 0
    if not has.any():
        return embedding.sum() * 0.0
    mean_pos = (log_prob * positive).sum(1)[has] / count[has]
    return -mean_pos.mean()


def pk_batches(targets, groups, train_idx, batch, per_class, rng):
    """Endless class-balanced batches: batch // per_class words, `per_class` takes each, drawn from as
    many different groups (signers) as the word has in training."""
    by_class = {}
    for i in train_idx:
        by_class.setdefault(int(targets[i]), []).append(int(i))
    classes = [c for c, rows in by_class.items() if len(rows) >= 2]
    words = max(2, min(len(classes), batch // per_class))
    while True:
        picked = rng.choice(classes, size=words, replace=False)
        out = []
        for c in picked:
            rows = np.array(by_class[c])
            g = groups[rows]
            order = rng.permutation(len(rows))
            # First one take from each group (in random order), then the rest: distinct signers first.
            seen, first, rest = set(), [], []
            for j in order:
                (rest if g[j] in seen else first).append(rows[j])
                seen.add(g[j])
            take = (first + rest)[:per_class]
            if len(take) < per_class:
                take += list(rng.choice(rows, size=per_class - len(take)))
            out += take
        yield np.array(out)


def embed(model, sequences, frames, batch=256):
    """Embeddings [N, D] of already-trimmed sequences (resampled, no augmentation)."""
    out = []
    model.eval()
    with torch.no_grad():
        for b in range(0, len(sequences), batch):
            x = torch.from_numpy(np.stack([resample(s, frames) for s in sequences[b:b + batch]]))
            out.append(model.embedding_of(model.features(x)).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.embed_dim), dtype=np.float32)


def prototypes(embeddings, targets, classes):
    """One L2-normalised mean embedding per class [C, D] (zeros for a class without takes)."""
    out = np.zeros((classes, embeddings.shape[1]), dtype=np.float32)
    for c in range(classes):
        rows = embeddings[targets == c]
        if len(rows):
            m = rows.mean(0)
            out[c] = m / max(np.linalg.norm(m), 1e-12)
    return out


def normalise(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)

