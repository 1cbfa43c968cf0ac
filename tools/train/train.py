#!/usr/bin/python3
"""Trains sueo's sign classifier on landmark .npz sets and exports ONNX (contract: docs/model.md).

  nice -n 10 /usr/bin/python3 tools/train/train.py                 # CV report + final model + card
  /usr/bin/python3 tools/train/train.py --folds 0 --epochs 1 --limit 40 --out /tmp/m.onnx --card ''

Offline tooling only (Debian python3-torch 1.13, CPU). Fixed seed; splits by signer, never at random.
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
from sueo_data import Vocabulary, group_folds, load_npz, time_split  # noqa: E402
from sueo_model import TemporalCNN, export_onnx  # noqa: E402
import cpp_eval  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, DEFAULT_TRIM_MARGIN, resample, trim_to_hands  # noqa: E402
import model_card  # noqa: E402
import parity_fixture  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "..", "shared", "data")


BUILD = os.path.join(REPO, "build")


def default_data():
    """The shared landmark sets, and KSL-77's landmarks as tools/train/extract_ksl77.sh writes them
    (our own pipeline; held-out signer 11 goes to build/ksl77-heldout/, never read here)."""
    found = []
    for name in ("ksl-emergency10", "ksl-keti6", "ksl77"):
        found += sorted(glob.glob(os.path.join(DATA, name, "*.npz")))
    return found + sorted(glob.glob(os.path.join(BUILD, "ksl77", "*.npz")))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=None, help="landmark .npz files (default: ../shared/data/*/)")
    p.add_argument("--vocab", default=os.path.join(REPO, "models", "vocabulary.json"))
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
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sueo", default=os.path.join(BUILD, "sueo"),
                   help="score every fold's exported model with `sueo eval` (the C++ path); '' to skip")
    p.add_argument("--cv-dir", default=os.path.join(BUILD, "cv"), help="fold models and held-out sets go here")
    p.add_argument("--heldout", nargs="*", default=sorted(glob.glob(os.path.join(BUILD, "ksl77-heldout", "*.npz"))),
                   help="sets never trained on, scored with the final model through `sueo eval`")
    p.add_argument("--card-only", default=None, metavar="REPORT",
                   help="no training: rewrite --card from a run's --report JSON (same --data)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (2 oversubscribes a shared 2-core machine badly)")
    return p.parse_args()


class Pool:
    """All sequences of all sets, trimmed once, with their vocabulary index and set."""

    def __init__(self, datasets, vocab, margin, limit):
        self.datasets = datasets
        self.seqs, self.target, self.set_index, self.local = [], [], [], []
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
        self.target = np.array(self.target)
        self.set_index = np.array(self.set_index)
        self.local = np.array(self.local)

    def mask(self, per_set_masks):
        """Pool-level mask from one boolean mask per dataset (indexed by the dataset's own rows)."""
        return np.array([per_set_masks[s][i] for s, i in zip(self.set_index, self.local)])


def train_one(pool, train_idx, classes, args, desc):
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    model = TemporalCNN(classes, args.frames, width=args.width)
    counts = np.bincount(pool.target[train_idx], minlength=classes).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, (counts > 0).sum()), 0.0)
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
    while step < total:
        order = rng.permutation(train_idx)
        for b in range(0, len(order), args.batch):
            idx = order[b:b + args.batch]
            if len(idx) < 2:
                continue
            x = torch.from_numpy(np.stack([augment(pool.seqs[i], args.frames, rng, args.mirror) for i in idx]))
            y = torch.from_numpy(pool.target[idx])
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
        return model(x).numpy()


def score_fold_cpp(model, pool, test_idx, labels, args, k, cpp_runs):
    """Exports the fold's model and scores its held-out sequences, one set at a time, with `sueo eval`."""
    os.makedirs(args.cv_dir, exist_ok=True)
    onnx_path = os.path.join(args.cv_dir, f"fold{k}.onnx")
    export_onnx(model, onnx_path, args.frames, labels, {"sueo.frames": str(args.frames)}, args.trim_margin)
    for d_index, d in enumerate(pool.datasets):
        rows = test_idx[pool.set_index[test_idx] == d_index]
        if len(rows) == 0:
            continue
        local = pool.local[rows]
        data = os.path.join(args.cv_dir, f"fold{k}_{d.name}.npz")
        cpp_eval.write_set(data, [d.sequences[i] for i in local], [d.classes[i] for i in local])
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
        if cpp_runs is not None:
            score_fold_cpp(model, pool, test_idx, labels, args, k, cpp_runs)
    return per_fold


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    paths = args.data or default_data()
    if not paths:
        print(f"skipped: no landmark .npz data under {DATA} (the shared data is not on this machine)")
        sys.exit(77)  # CTest's SKIP_RETURN_CODE
    vocab = Vocabulary.load(args.vocab)
    datasets = [load_npz(p) for p in paths]
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
    model = train_one(pool, np.arange(len(pool.seqs)), len(labels), args, "final")
    meta = {"sueo.frames": str(args.frames),
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
