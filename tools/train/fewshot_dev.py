#!/usr/bin/python3
"""Chooses how the embedding is trained without looking at the few-shot test set (aihub8): an inner
leave-words-out on the training data itself. One set's words are left out of training entirely (KSL-77's
six, or KETI-6's five: 불나다 then leaves emergency-10 too), the model trains on the rest, and those words
are taught from k takes of some signers and recognised on the others (tools/train/fewshot.py's
episodes). Only non-test signers are used (models/splits.json).

  SUEO_DATA=/work/shared/data nice -n 10 /usr/bin/python3 tools/train/fewshot_dev.py --leave-out ksl77 \\
      --supcon 0.5 [--epochs 40]

Prints, per k, the top-1 of nearest-prototype on (a) the embedding output and (b) the pooled features
before the heads (what a model without an embedding output offers), and the held-in words' accuracy.
"""
import argparse
import os
import sys
import tempfile
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fewshot import Takes, table  # noqa: E402
from sueo_data import Vocabulary, load_npz, load_splits  # noqa: E402
from sueo_embed import normalise  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, DEFAULT_TRIM_MARGIN, resample, trim_to_hands  # noqa: E402
from train import REPO, Pool, default_data, split_off_tests, train_one  # noqa: E402

SET_NAMES = {"ksl77": "ksl77", "keti6": "ksl-keti6"}


def views_of(dataset):
    """KETI: recording_index % 3 is the camera; KSL-77 has one camera."""
    if dataset.name == "ksl-keti6":
        d = dict(np.load(dataset.path))
        return np.array([str(int(d["recording_index"][r]) % 3) for r in dataset.rows])
    return np.array(["0"] * len(dataset.sequences))


def features(model, seqs, frames):
    x = torch.from_numpy(np.stack([resample(trim_to_hands(s, DEFAULT_TRIM_MARGIN), frames) for s in seqs]))
    model.eval()
    with torch.no_grad():
        h = model.features(x)
        e = model.embedding_of(h) if model.embed_dim else h
    return normalise(h.numpy()), normalise(e.numpy())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--leave-out", choices=sorted(SET_NAMES), required=True)
    p.add_argument("--supcon", type=float, default=0.5)
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--mirror", type=float, default=0.3)
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    args = types.SimpleNamespace(seed=a.seed, frames=DEFAULT_FRAMES, width=128, batch=32, lr=3e-3, epochs=a.epochs,
                                 max_steps=0, mirror=a.mirror, embed_dim=a.embed_dim, supcon=a.supcon,
                                 temperature=a.temperature, per_class=a.per_class)
    vocab = Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json"))
    with tempfile.TemporaryDirectory() as tmp:
        sets, _ = split_off_tests([load_npz(x) for x in default_data()], load_splits(),
                                  types.SimpleNamespace(test_dir=tmp))
    target = next(d for d in sets if d.name == SET_NAMES[a.leave_out])
    new_words = {vocab.words[vocab.index(c)]["word"] for c in target.classes}
    train_sets = [d.subset(np.array([vocab.words[vocab.index(c)]["word"] not in new_words for c in d.classes]))
                  for d in sets]
    train_sets = [d for d in train_sets if d.sequences]
    pool = Pool(train_sets, vocab, DEFAULT_TRIM_MARGIN, 0)
    used = sorted(set(pool.target.tolist()))
    pool.target = np.array([used.index(t) for t in pool.target])
    print(f"left out {sorted(new_words)}; training on {len(used)} words, {len(pool.seqs)} takes; "
          f"supcon {a.supcon}, embed {a.embed_dim}, epochs {a.epochs}")
    model = train_one(pool, np.arange(len(pool.seqs)), len(used), args, "dev")
    words = np.array([vocab.words[vocab.index(c)]["word"] for c in target.classes])
    h, e = features(model, target.sequences, args.frames)
    signers, views = np.array([str(g) for g in target.groups]), views_of(target)
    for name, emb in (("embedding", e), ("pooled features", h)):
        takes = Takes(emb, words, signers, views, front="0")
        cells = table(takes, (1, 3, 5), (len(takes.words),), a.episodes, a.seed, None)
        print(f"{name}: " + ", ".join(f"k={k} {100 * v[0]:.1f} %" for (k, _), v in cells.items()))


if __name__ == "__main__":
    main()
