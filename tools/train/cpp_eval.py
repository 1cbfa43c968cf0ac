"""Scores models through the C++ path: `sueo eval --model M.onnx --data SET.npz` (trim, resample and
OpenCV DNN exactly as the server runs them), and collects its accuracy, top-3 and confusion matrix.

train.py uses it to score every cross-validation fold's exported model on that fold's held-out
sequences, and the final model on held-out sets (KSL-77 signer 11)."""
import json
import os
import subprocess

import numpy as np


def write_set(path, sequences, classes, files=None, signers=None):
    """An .npz `sueo eval` reads: X zero-padded, lengths, labels (dataset class names); optionally the
    takes' names and signers (load_npz reads both back)."""
    longest = max(len(s) for s in sequences)
    X = np.zeros((len(sequences), longest, sequences[0].shape[1]), dtype=np.float32)
    for i, s in enumerate(sequences):
        X[i, :len(s)] = s
    extra = {"files": np.array(files)} if files is not None else {}
    if signers is not None:
        extra["signers"] = np.array(signers)
    np.savez_compressed(path, X=X, lengths=np.array([len(s) for s in sequences], dtype=np.int32),
                        labels=np.array(classes), **extra)


def parse_confusion(text, classes):
    """The matrix `sueo eval` prints: a header of column label indices, then one row per true label
    (its index, then counts)."""
    confusion = np.zeros((classes, classes), dtype=np.int64)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix"))
    cols = [int(v) for v in lines[start + 1].split()]
    for line in lines[start + 2:]:
        values = line.split()
        if len(values) != len(cols) + 1:
            break
        confusion[int(values[0]), cols] = [int(v) for v in values[1:]]
    return confusion


def run_eval(sueo, model, data, vocab, classes):
    """Runs `sueo eval`; returns its JSON summary plus the confusion matrix."""
    command = [sueo, "eval", "--model", model, "--data", data, "--vocabulary", vocab]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    if summary["unmatched"]:
        raise RuntimeError(f"{data}: {summary['unmatched']} sequences not matched to the model's labels")
    summary["confusion"] = parse_confusion(done.stdout, classes)
    summary["command"] = " ".join(os.path.relpath(c) if os.path.exists(c) else c for c in command)
    return summary


def summarise(fold_runs, labels):
    """fold_runs: {dataset: [summary per fold]} -> per dataset totals (n-weighted), as model_card wants."""
    out = {}
    for name, runs in fold_runs.items():
        n = sum(r["n"] for r in runs)
        confusion = sum(r["confusion"] for r in runs)
        out[name] = {"n": n, "top1": float(np.trace(confusion) / n),
                     "top3": float(sum(r["top3"] * r["n"] for r in runs) / n),
                     "per_fold_top1": [r["accuracy"] for r in runs], "confusion": confusion.tolist()}
    return out
