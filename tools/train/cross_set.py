#!/usr/bin/python3
"""Cross-set check of a merged word: train on one set only, then ask where the other set's takes of
the shared sign land. If 불나다 (emergency-10) and fire/is_on_fire (KETI-6) are one sign, a model that
never saw the other set should still call them 불나다 far above chance.

  nice -n 10 /usr/bin/python3 tools/train/cross_set.py [--epochs 15] [--out models/cross-set.md]
"""
import argparse
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sueo_data import Vocabulary, load_npz  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, DEFAULT_TRIM_MARGIN, resample, trim_to_hands  # noqa: E402
from train import DATA, REPO, Pool, train_one  # noqa: E402

SHARED = "불나다"


def run(train_set, test_set, vocab, args):
    pool = Pool([train_set], vocab, DEFAULT_TRIM_MARGIN, 0)
    used = sorted(set(pool.target.tolist()))
    pool.target = np.array([used.index(t) for t in pool.target])
    words = [vocab.words[v]["word"] for v in used]
    model = train_one(pool, np.arange(len(pool.seqs)), len(used), args, f"train on {train_set.name}")
    shared = np.array([vocab.words[vocab.index(c)]["word"] == SHARED for c in test_set.classes])
    picks = np.flatnonzero(shared)
    x = torch.from_numpy(np.stack([resample(trim_to_hands(s, DEFAULT_TRIM_MARGIN), DEFAULT_FRAMES)
                                   for s in test_set.sequences]))
    with torch.no_grad():
        every = model(x).numpy().argmax(1)
    pred = every[picks]
    # Control: how often the other set's *other* words are called the shared word (a catch-all class
    # would make the first figure meaningless).
    control = float(np.mean(every[~shared] == words.index(SHARED)))
    counts = {w: int(np.sum(pred == k)) for k, w in enumerate(words)}
    share = counts[SHARED] / len(picks)
    line = (f"| {train_set.name} ({len(words)} words) | {test_set.name}: {len(picks)} takes of "
            f"{', '.join(sorted({test_set.classes[i] for i in picks}))} | {share:.2f} | {control:.2f} | {1 / len(words):.2f} | "
            + ", ".join(f"{w} {c}" for w, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c) + " |")
    print(line)
    return line


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--out", default=os.path.join(REPO, "models", "cross-set.md"))
    p.add_argument("--aspect", type=float, default=0.0, help="vertical stretch augmentation (train.py --aspect)")
    p.add_argument("--mirror", type=float, default=0.0)
    a = p.parse_args()
    torch.set_num_threads(1)
    args = types.SimpleNamespace(seed=0, frames=DEFAULT_FRAMES, width=128, batch=32, lr=3e-3, epochs=a.epochs,
                                 max_steps=0, aspect=a.aspect, mirror=a.mirror)
    vocab = Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json"))
    em = load_npz(os.path.join(DATA, "ksl-emergency10", "ksl_emergency10_holistic258.npz"))
    keti = load_npz(os.path.join(DATA, "ksl-keti6", "ksl_keti6_dev_holistic258.npz"))
    lines = [f"Train on one set only ({a.epochs} epochs, seed 0), classify the other set's takes of {SHARED}:", "",
             f"| trained on | tested on | called {SHARED} | other words called {SHARED} (control) | chance | predictions of the shared sign |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines.append(run(keti, em, vocab, args))
    lines.append(run(em, keti, vocab, args))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
