#!/usr/bin/python3
"""Trains sueo's sign classifier on landmark .npz sets and exports ONNX (contract: docs/model.md).

  nice -n 10 /usr/bin/python3 tools/train/train.py                 # CV report + final model + card
  /usr/bin/python3 tools/train/train.py --folds 0 --epochs 1 --limit 40 --out /tmp/m.onnx --card ''
  build/sueo vocab export --out build/taught.npz && \
      nice -n 10 /usr/bin/python3 tools/train/train.py --taught build/taught.npz --out build/with-taught.onnx --card ''
      # the store's taught words become model words; swap it in with SIGHUP or POST /api/model/reload

Offline tooling only (Debian python3-torch 1.13, CPU). Fixed seed; splits by signer, never at random.
The test parts of models/splits.json (KSL-77 signers 11-13, KETI-6 signers 13-15) are removed from
every set before anything else happens; they are written to build/test-sets/ and scored only with the
final model, for the card's test section. aihub8's new words are refused outright.
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sueo_augment import augment  # noqa: E402
from sueo_data import (Vocabulary, group_folds, load_npz, load_splits, refuse_never_train, test_mask,  # noqa: E402
                       time_split)
import sueo_embed  # noqa: E402
from sueo_model import TemporalCNN, export_onnx  # noqa: E402
import cpp_eval  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, DEFAULT_TRIM_MARGIN, resample, trim_to_hands  # noqa: E402
import model_card  # noqa: E402
import parity_fixture  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("SUEO_DATA") or os.path.join(REPO, "..", "shared", "data")  # a worktree sets SUEO_DATA


BUILD = os.path.join(REPO, "build")


def default_data():
    """The shared landmark sets, and KSL-77's landmarks as tools/train/extract_ksl77.sh writes them
    (our own pipeline; its test signers go to build/ksl77-heldout/, never read here)."""
    found = []
    for name in ("ksl-emergency10", "ksl-keti6", "ksl77"):
        found += sorted(glob.glob(os.path.join(DATA, name, "*.npz")))
    return found + sorted(glob.glob(os.path.join(BUILD, "ksl77", "*.npz")))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=None, help="landmark .npz files (default: ../shared/data/*/)")
    p.add_argument("--vocab", default=os.path.join(REPO, "models", "vocabulary.json"))
    p.add_argument("--taught", nargs="*", default=[],
                   help="`sueo vocab export` files (.npz + .json): the store's taught words train with the data, "
                        "as words of the model (the vocabulary grows by the words it lacks)")
    p.add_argument("--out", default=os.path.join(REPO, "models", "sueo-ksl.onnx"))
    p.add_argument("--card", default=os.path.join(REPO, "models", "MODEL_CARD.md"), help="'' to skip")
    p.add_argument("--report", default=None, help="write the CV results as JSON here")
    p.add_argument("--parity", default=None,
                   help="write a parity fixture (synthetic inputs, fitted frames, torch scores) for tests/unit/sign")
    p.add_argument("--folds", type=int, default=4, help="signer-grouped CV folds (0: no CV)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--max-steps", type=int, default=0, help="stop each training after this many steps")
    p.add_argument("--limit", type=int, default=0, help="use only the first N sequences per class")
    p.add_argument("--frames", type=int, default=DEFAULT_FRAMES)
    p.add_argument("--trim-margin", type=int, default=DEFAULT_TRIM_MARGIN)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--mirror", type=float, default=0.3,
                   help="probability that an augmented take is mirrored (as a left-handed signer signs it)")
    p.add_argument("--aspect", type=float, default=0.0,
                   help="vertical stretch augmentation: y scaled by exp(U(-a, a)) (0: off)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sueo", default=os.path.join(BUILD, "sueo"),
                   help="score every fold's exported model with `sueo eval` (the C++ path); '' to skip")
    p.add_argument("--embed-dim", type=int, default=64, help="embedding output size (0: scores only)")
    p.add_argument("--supcon", type=float, default=0.5, help="weight of the supervised contrastive loss")
    p.add_argument("--temperature", type=float, default=0.1, help="supervised contrastive temperature")
    p.add_argument("--per-class", type=int, default=4, help="takes of each word in a batch (embedding training)")
    p.add_argument("--splits", default=os.path.join(REPO, "models", "splits.json"))
    p.add_argument("--cv-dir", default=os.path.join(BUILD, "train-folds"),
                   help="each fold's ONNX, what it held out (fold<k>.json) and its held-out sets go here")
    p.add_argument("--test-dir", default=os.path.join(BUILD, "test-sets"),
                   help="the splits.json test parts removed from the training sets are written here")
    p.add_argument("--heldout", nargs="*", default=None,
                   help="sets never trained on, scored with the final model through `sueo eval` "
                        "(default: build/ksl77-heldout/ksl77_test.npz and the test parts written to --test-dir)")
    p.add_argument("--card-only", default=None, metavar="REPORT",
                   help="no training: rewrite --card from a run's --report JSON (same --data)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (2 oversubscribes a shared 2-core machine badly)")
    return p.parse_args()


class Pool:
    """All sequences of all sets, trimmed once, with their vocabulary index, set and group (signer;
    a set without signer ids makes every take its own group)."""

    def __init__(self, datasets, vocab, margin, limit):
        self.datasets = datasets
        self.seqs, self.target, self.set_index, self.local, self.group = [], [], [], [], []
        for d_index, d in enumerate(datasets):
            seen = {}
            for i, (seq, name) in enumerate(zip(d.sequences, d.classes)):
                seen[name] = seen.get(name, 0) + 1
                if limit and seen[name] > limit:
                    continue
                self.seqs.append(trim_to_hands(seq, margin))
                self.target.append(vocab.index(name))
                self.set_index.append(d_index)
                self.local.append(i)
                self.group.append(f"{d.name}/{d.groups[i] if d.groups is not None else f'take{i}'}")
        self.group = np.array(self.group)
        self.target = np.array(self.target)
        self.set_index = np.array(self.set_index)
        self.local = np.array(self.local)

    def mask(self, per_set_masks):
        """Pool-level mask from one boolean mask per dataset (indexed by the dataset's own rows)."""
        return np.array([per_set_masks[s][i] for s, i in zip(self.set_index, self.local)])


def batches(pool, train_idx, args, rng):
    """Random batches (scores only) or class-balanced signer-mixed ones (with an embedding)."""
    if getattr(args, "embed_dim", 0):
        yield from sueo_embed.pk_batches(pool.target, pool.group, train_idx, args.batch, args.per_class, rng)
    while True:
        order = rng.permutation(train_idx)
        for b in range(0, len(order), args.batch):
            if len(order[b:b + args.batch]) >= 2:
                yield order[b:b + args.batch]


def train_one(pool, train_idx, classes, args, desc):
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    embed_dim = getattr(args, "embed_dim", 0)
    model = TemporalCNN(classes, args.frames, width=args.width, embed_dim=embed_dim)
    counts = np.bincount(pool.target[train_idx], minlength=classes).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, (counts > 0).sum()), 0.0)
    if embed_dim:
        weights = (counts > 0).astype(np.float64)  # the batches are class-balanced already
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32), label_smoothing=0.1)
    steps_per_epoch = (len(train_idx) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    if args.max_steps:
        total = min(total, args.max_steps)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(total, 1))
    step = 0
    bar = tqdm(total=total, desc=desc, unit="step", leave=False, dynamic_ncols=True, mininterval=2.0)
    model.train()
    for idx in batches(pool, train_idx, args, rng):
        x = torch.from_numpy(np.stack([augment(pool.seqs[i], args.frames, rng, args.mirror, getattr(args, "aspect", 0.0))
                                       for i in idx]))
        y = torch.from_numpy(pool.target[idx])
        if embed_dim:
            logits, emb = model.logits_and_embedding(x)
            loss = loss_fn(logits, y) + args.supcon * sueo_embed.supcon_loss(emb, y, args.temperature)
        else:
            loss = loss_fn(model.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
        if step >= total:
            break
    bar.close()
    model.eval()
    return model


def predict(model, pool, idx, frames):
    if len(idx) == 0:
        return np.zeros((0, model.head.out_features), dtype=np.float32)
    x = torch.from_numpy(np.stack([resample(pool.seqs[i], frames) for i in idx]))
    with torch.no_grad():
        return torch.softmax(model.logits(x), dim=1).numpy()


def prototype_meta(model, pool, train_idx, classes, args):
    """metadata `sueo.prototypes`: each built-in word's mean embedding over its training takes."""
    if not getattr(args, "embed_dim", 0):
        return {}
    emb = sueo_embed.embed(model, [pool.seqs[i] for i in train_idx], args.frames)
    protos = sueo_embed.prototypes(emb, pool.target[train_idx], classes)
    return {"sueo.prototypes": json.dumps([[round(float(v), 6) for v in p] for p in protos])}


def fold_record(pool, test_idx, k, folds):
    """What fold k held out: per set, its signers (or the time split) and the held-out takes."""
    record = {"fold": k, "folds": folds, "sets": {}}
    for d_index, d in enumerate(pool.datasets):
        rows = test_idx[pool.set_index[test_idx] == d_index]
        local = sorted(int(i) for i in pool.local[rows])
        entry = {"file": os.path.relpath(d.path, REPO), "held_out_rows": [int(d.rows[i]) for i in local],
                 "n": len(local),
                 "split": "signers" if d.groups is not None else "time split (last 20 % of takes per class)"}
        if d.groups is not None:
            entry["held_out_signers"] = sorted({str(d.groups[i]) for i in local})
        if d.ids is not None:
            entry["held_out_ids"] = [d.ids[i] for i in local]
        record["sets"][d.name] = entry
    return record


def export_fold(model, pool, test_idx, labels, args, k):
    """Keeps the fold's model (with prototypes from its own training part) and what it held out:
    out-of-fold scores for calibrating thresholds come from these (--cv-dir, default build/train-folds)."""
    os.makedirs(args.cv_dir, exist_ok=True)
    onnx_path = os.path.join(args.cv_dir, f"fold{k}.onnx")
    train_idx = np.setdiff1d(np.arange(len(pool.seqs)), test_idx)
    meta = {"sueo.frames": str(args.frames), **prototype_meta(model, pool, train_idx, len(labels), args)}
    export_onnx(model, onnx_path, args.frames, labels, meta, args.trim_margin)
    with open(os.path.join(args.cv_dir, f"fold{k}.json"), "w", encoding="utf-8") as f:
        json.dump(fold_record(pool, test_idx, k, args.folds), f, ensure_ascii=False, indent=1)
    for d_index, d in enumerate(pool.datasets):
        rows = test_idx[pool.set_index[test_idx] == d_index]
        if len(rows):
            local = pool.local[rows]
            cpp_eval.write_set(os.path.join(args.cv_dir, f"fold{k}_{d.name}.npz"), [d.sequences[i] for i in local],
                               [d.classes[i] for i in local],
                               files=None if d.ids is None else [d.ids[i] for i in local],
                               signers=None if d.groups is None else [str(d.groups[i]) for i in local])
    return onnx_path


def score_fold_cpp(onnx_path, pool, test_idx, labels, args, k, cpp_runs):
    """Scores the fold's exported model on its held-out sequences, one set at a time, with `sueo eval`."""
    for d_index, d in enumerate(pool.datasets):
        rows = test_idx[pool.set_index[test_idx] == d_index]
        if len(rows) == 0:
            continue
        data = os.path.join(args.cv_dir, f"fold{k}_{d.name}.npz")
        r = cpp_eval.run_eval(args.sueo, onnx_path, data, args.vocab, len(labels))
        cpp_runs.setdefault(d.name, []).append(r)
        tqdm.write(f"  C++ {r['command']}: top-1 {r['accuracy']:.3f} top-3 {r['top3']:.3f} n {r['n']}")


def cross_validate(pool, classes, args, labels=None, cpp_runs=None):
    """Signer-grouped folds for sets with signers; sets without signer ids get their time split
    (last 20 % of takes per class) as test in every fold. Every sequence of a grouped set is tested
    exactly once; the time-split test is scored in every fold (scores averaged). With `cpp_runs`,
    each fold's model is also exported and scored through the C++ path."""
    per_fold = []
    for k in range(args.folds):
        masks = []
        for d in pool.datasets:
            masks.append(group_folds(d, args.folds)[k] if d.groups is not None else time_split(d))
        test = pool.mask(masks)
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        model = train_one(pool, train_idx, classes, args, f"fold {k + 1}/{args.folds}")
        per_fold.append((test_idx, predict(model, pool, test_idx, args.frames)))
        accuracy = np.mean(per_fold[-1][1].argmax(1) == pool.target[test_idx])
        tqdm.write(f"fold {k + 1}/{args.folds}: train {len(train_idx)} test {len(test_idx)} top-1 {accuracy:.3f}")
        onnx_path = export_fold(model, pool, test_idx, labels, args, k)
        if cpp_runs is not None:
            score_fold_cpp(onnx_path, pool, test_idx, labels, args, k, cpp_runs)
    return per_fold


def split_off_tests(datasets, splits, args):
    """Removes the splits.json test parts from the sets (before anything else sees them) and writes
    each to --test-dir as a set `sueo eval` reads. Returns the training sets and the written paths."""
    kept, written = [], []
    for d in datasets:
        refuse_never_train(d, splits)
        test = test_mask(d, splits)
        if test.any():
            path = os.path.join(args.test_dir, f"{d.name}_test.npz")
            os.makedirs(args.test_dir, exist_ok=True)
            held = d.subset(test)
            cpp_eval.write_set(path, held.sequences, held.classes,
                               signers=[str(g) for g in held.groups], files=held.ids)
            written.append(path)
            print(f"{d.name}: {int(test.sum())} takes of test signers "
                  f"{', '.join(sorted({str(g) for g in held.groups}))} set aside (-> {os.path.relpath(path, REPO)})")
        kept.append(d.subset(~test))
    return kept, written


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    paths = args.data or default_data()
    if not paths:
        print(f"skipped: no landmark .npz data under {DATA} (the shared data is not on this machine)")
        sys.exit(77)  # CTest's SKIP_RETURN_CODE
    vocab = Vocabulary.load(args.vocab)
    for taught in args.taught:
        print(f"{taught}: taught words added to the vocabulary: {', '.join(vocab.add_taught(taught)) or 'none'}")
    paths = paths + args.taught
    datasets, test_sets = split_off_tests([load_npz(p) for p in paths], load_splits(args.splits), args)
    if args.heldout is None:
        args.heldout = sorted(glob.glob(os.path.join(BUILD, "ksl77-heldout", "ksl77_test.npz"))) + test_sets
    pool = Pool(datasets, vocab, args.trim_margin, args.limit)
    used = sorted(set(pool.target.tolist()))
    # The model's labels are the vocabulary words the data covers, in vocabulary order.
    remap = {v: i for i, v in enumerate(used)}
    pool.target = np.array([remap[t] for t in pool.target])
    labels = [{"word": vocab.words[v]["word"], "gloss": vocab.words[v]["gloss"]} for v in used]
    for d in datasets:
        print(f"{d.name}: {len(d.sequences)} sequences, {len(set(d.classes))} classes, split by {d.group_kind}"
              + (f", {len(set(d.groups.tolist()))} groups" if d.groups is not None else ""))
    print(f"vocabulary: {len(labels)} words: " + ", ".join(f"{l['word']} ({l['gloss']})" for l in labels))
    if args.card_only:
        with open(args.card_only, encoding="utf-8") as f:
            results = json.load(f)
        run_args = argparse.Namespace(**results["args"])
        model_card.write(args.card, results, labels, datasets, run_args, os.path.getsize(run_args.out))
        print(f"wrote {args.card} from {args.card_only}")
        return
    started = time.time()
    cpp_runs = {} if args.sueo and os.path.exists(args.sueo) and args.folds > 0 else None
    folds = cross_validate(pool, len(labels), args, labels, cpp_runs) if args.folds > 0 else []
    cv_seconds = time.time() - started
    everything = np.arange(len(pool.seqs))
    model = train_one(pool, everything, len(labels), args, "final")
    meta = {"sueo.frames": str(args.frames), **prototype_meta(model, pool, everything, len(labels), args),
            "sueo.trained_on": json.dumps([d.name for d in datasets]),
            "sueo.terms": "research and non-commercial use only; see models/MODEL_CARD.md"}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_onnx(model, args.out, args.frames, labels, meta, args.trim_margin)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    if args.parity:
        parity_fixture.write(model, args.parity, args.frames, args.trim_margin)
        print(f"wrote {args.parity}")
    results = model_card.summarise(pool, folds, labels)
    results["cpp"] = cpp_eval.summarise(cpp_runs or {}, labels)
    results["heldout"] = {}
    if args.sueo and os.path.exists(args.sueo):
        for path in args.heldout:
            r = cpp_eval.run_eval(args.sueo, args.out, path, args.vocab, len(labels))
            r["confusion"] = r["confusion"].tolist()
            results["heldout"][os.path.relpath(path, REPO)] = r
            print(f"held out {path}: top-1 {r['accuracy']:.3f} top-3 {r['top3']:.3f} n {r['n']} (C++)")
    results.update({"args": {k: v for k, v in vars(args).items() if k not in ("data",)},
                    "data": [os.path.relpath(p, REPO) for p in paths], "cv_seconds": round(cv_seconds, 1)})
    for name, r in results["cpp"].items():
        print(f"{name} (C++): top-1 {r['top1']:.3f} top-3 {r['top3']:.3f} (n={r['n']})")
    for name, r in results["datasets"].items():
        print(f"{name}: top-1 {r['top1']:.3f} top-3 {r['top3']:.3f} (n={r['n']}, {r['split']})")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1)
    if args.card:
        model_card.write(args.card, results, labels, datasets, args, os.path.getsize(args.out))
        print(f"wrote {args.card}")


if __name__ == "__main__":
    main()
