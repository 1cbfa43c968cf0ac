#!/usr/bin/python3
"""Chooses how the embedding is trained without looking at the few-shot test set (aihub8): an inner
leave-words-out on the training data itself. One set's words are left out of training entirely (KSL-77's
six, or KETI-6's five: 불나다 then leaves emergency-10 too), the model trains on the rest, and those words
are taught from k takes of some signers and recognised on the others (tools/train/fewshot.py's
episodes). Only non-test signers are used (models/splits.json).

  SUEO_DATA=../shared/data nice -n 10 /usr/bin/python3 tools/train/fewshot_dev.py --leave-out ksl77 \\
      --supcon 0.5 [--epochs 40]

Prints, per k, the top-1 of nearest-prototype on (a) the embedding output and (b) the pooled features
before the heads (what a model without an embedding output offers), and the held-in words' accuracy.
"""
import argparse
import json
import os
import sys
import tempfile
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sueo_embed  # noqa: E402
from fewshot import Builtin, Takes, decide, episode, table  # noqa: E402
from sueo_data import Vocabulary, load_npz, load_splits  # noqa: E402
from sueo_embed import normalise  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, DEFAULT_TRIM_MARGIN, resample, trim_to_hands  # noqa: E402
from sueo_model import export_onnx  # noqa: E402
from train import REPO, Pool, default_data, split_off_tests, train_one  # noqa: E402

SET_NAMES = {"ksl77": "ksl77", "keti6": "ksl-keti6"}


def views_of(dataset):
    """KETI: recording_index % 3 is the camera; KSL-77 has one camera."""
    if dataset.name == "ksl-keti6":
        d = dict(np.load(dataset.path))
        return np.array([str(int(d["recording_index"][r]) % 3) for r in dataset.rows])
    return np.array(["0"] * len(dataset.sequences))


def outputs(model, seqs, frames):
    """Probabilities and embeddings as the exported model gives them."""
    x = torch.from_numpy(np.stack([resample(trim_to_hands(s, DEFAULT_TRIM_MARGIN), frames) for s in seqs]))
    model.eval()
    with torch.no_grad():
        probs, emb = model(x)
    return probs.numpy(), emb.numpy()


def features(model, seqs, frames):
    """The contrastive projection (training only) and the exported embedding (the pooled features)."""
    x = torch.from_numpy(np.stack([resample(trim_to_hands(s, DEFAULT_TRIM_MARGIN), frames) for s in seqs]))
    model.eval()
    with torch.no_grad():
        h = model.features(x)
        e = model.projection_of(h) if model.embed_dim else h
    return normalise(e.numpy()), normalise(h.numpy())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--leave-out", choices=sorted(SET_NAMES), required=True)
    p.add_argument("--supcon", type=float, default=0.5)
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--mirror", type=float, default=0.3)
    p.add_argument("--aspect", type=float, default=0.0)
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="also export the dev model (ONNX with prototypes) here")
    a = p.parse_args()
    torch.set_num_threads(1)
    args = types.SimpleNamespace(seed=a.seed, frames=DEFAULT_FRAMES, width=128, batch=32, lr=3e-3, epochs=a.epochs,
                                 max_steps=0, mirror=a.mirror, aspect=a.aspect, embed_dim=a.embed_dim, supcon=a.supcon,
                                 temperature=a.temperature, per_class=a.per_class)
    vocab = Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json"))
    with tempfile.TemporaryDirectory() as tmp:
        sets, _ = split_off_tests([load_npz(x) for x in default_data()], load_splits(),
                                  types.SimpleNamespace(test_dir=tmp))
    target = next(d for d in sets if d.name == SET_NAMES[a.leave_out])
    new_words = {vocab.words[vocab.index(c)]["word"] for c in target.classes}
    # The other signer-grouped set keeps a quarter of its signers out of training: the built-in words
    # the taught ones must not take away are scored on them.
    other = next(d for d in sets if d.name == SET_NAMES[{"ksl77": "keti6", "keti6": "ksl77"}[a.leave_out]])
    held_signers = set(sorted(set(other.groups.tolist()))[0::4])
    held_builtin = other.subset(np.array([g in held_signers for g in other.groups.tolist()])
                                & np.array([vocab.words[vocab.index(c)]["word"] not in new_words for c in other.classes]))
    train_sets = []
    for d in sets:
        keep = np.array([vocab.words[vocab.index(c)]["word"] not in new_words for c in d.classes])
        if d is other:
            keep &= np.array([g not in held_signers for g in d.groups.tolist()])
        if keep.any():
            train_sets.append(d.subset(keep))
    pool = Pool(train_sets, vocab, DEFAULT_TRIM_MARGIN, 0)
    used = sorted(set(pool.target.tolist()))
    pool.target = np.array([used.index(t) for t in pool.target])
    labels = [vocab.words[v]["word"] for v in used]
    print(f"left out {sorted(new_words)}; training on {len(used)} words, {len(pool.seqs)} takes; built-in check on "
          f"{other.name} signers {sorted(held_signers)} ({len(held_builtin.sequences)} takes); "
          f"supcon {a.supcon}, embed {a.embed_dim}, epochs {a.epochs}")
    model = train_one(pool, np.arange(len(pool.seqs)), len(used), args, "dev")
    protos = sueo_embed.prototypes(sueo_embed.embed(model, pool.seqs, args.frames), pool.target, len(used))
    if a.out:
        # A model that never saw the left-out words: what the teaching tests teach them to.
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        export_onnx(model, a.out, args.frames, [{"word": vocab.words[v]["word"], "gloss": vocab.words[v]["gloss"]}
                                                for v in used],
                    {"sueo.frames": str(args.frames), "sueo.left_out": json.dumps(sorted(new_words), ensure_ascii=False),
                     "sueo.prototypes": json.dumps([[round(float(v), 6) for v in p] for p in protos])})
        print(f"wrote {a.out}")
    probs_b, emb_b = outputs(model, held_builtin.sequences, args.frames)
    truth_b = np.array([labels.index(vocab.words[vocab.index(c)]["word"]) for c in held_builtin.classes])
    builtin = Builtin(labels, protos, probs_b, emb_b, truth_b)
    words = np.array([vocab.words[vocab.index(c)]["word"] for c in target.classes])
    probs_t, emb_t = outputs(model, target.sequences, args.frames)
    h, _ = features(model, target.sequences, args.frames)  # the projection, for comparison
    signers, views = np.array([str(g) for g in target.groups]), views_of(target)
    base = float(np.mean(probs_b.argmax(1) == truth_b))
    print(f"built-in words on held-out signers, classifier alone: {100 * base:.1f} %")
    n = len(set(words.tolist()))
    for name, emb in (("embedding", emb_t), ("projection", h)):
        takes = Takes(emb, words, signers, views, front="0")
        cells = table(takes, (1, 3, 5), (n,), a.episodes, a.seed, None,
                      builtin if name == "embedding" else None, probs_t)
        for (k, _), v in cells.items():
            print(f"{name} k={k}: {n}-way {100 * v['closed'][0]:.1f} %" + (
                f"; with built-in words competing {100 * v['with_builtin'][0]:.1f} %; built-in kept "
                f"{100 * v['builtin_kept'][0]:.1f} %" if "with_builtin" in v else ""))
    # The margin a taught word needs over the classifier's word (src/sign/matcher.h), k = 3.
    takes = Takes(emb_t, words, signers, views, front="0")
    for margin in (-0.3, -0.2, -0.1, -0.05, 0.0, 0.05):
        rng = np.random.default_rng(a.seed)
        new_acc, kept = [], []
        for _ in range(a.episodes):
            wl = sorted(set(words.tolist()))
            tp, rows = episode(takes, wl, 3, rng, None)
            new_acc.append(np.mean(decide(takes.emb[rows], probs_t[rows], builtin, tp, wl, 0.0, margin)
                                   == takes.word[rows]))
            kept.append(np.mean(decide(builtin.emb, builtin.probs, builtin, tp, wl, 0.0, margin)
                                == builtin.labels[builtin.truth]))
        print(f"margin {margin:+.2f}, k=3: new words {100 * np.mean(new_acc):.1f} %, built-in kept {100 * np.mean(kept):.1f} %")
    # The other rule: nearest prototype over built-in and taught words together.
    takes = Takes(emb_t, words, signers, views, front="0")
    rng = np.random.default_rng(a.seed)
    for k in (1, 3, 5):
        new_acc, kept = [], []
        for _ in range(a.episodes):
            tp, rows = episode(takes, sorted(set(words.tolist())), k, rng, None)
            names = np.array(list(labels) + sorted(set(words.tolist())))
            allp = np.concatenate([builtin.protos, tp])
            new_acc.append(np.mean(names[(takes.emb[rows] @ allp.T).argmax(1)] == takes.word[rows]))
            kept.append(np.mean(names[(builtin.emb @ allp.T).argmax(1)] == builtin.labels[builtin.truth]))
        print(f"nearest prototype over all words, k={k}: new words {100 * np.mean(new_acc):.1f} %, "
              f"built-in kept {100 * np.mean(kept):.1f} %")

if __name__ == "__main__":
    main()
