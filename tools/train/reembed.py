#!/usr/bin/python3
"""Makes an exported model's `embedding` output the L2-normalised pooled features (the encoder's
output) instead of the contrastive projection head, and recomputes its prototypes, without retraining.

  SUEO_DATA=../shared/data /usr/bin/python3 tools/train/reembed.py models/sueo-ksl.onnx
  ... tools/train/reembed.py build/train-folds/fold0.onnx --fold build/train-folds/fold0.json

Why: the inner leave-words-out (tools/train/fewshot_dev.py, tuning data only) found the pooled features
better for words never trained on than the projection the contrastive loss is applied to (KETI-6's
words left out, 5-way, k = 3: 87.2 % vs 80.6 %), as Khosla et al. use the encoder, not the projection,
downstream. train.py now exports that (sueo_model.TemporalCNN); this tool gives models trained before
the same output: the classifier is untouched, byte for byte.

Prototypes are each word's mean embedding over the model's own training takes (the splits.json test
parts never; a fold's held-out rows (fold<k>.json) not either), computed through `sueo eval --dump`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpp_eval  # noqa: E402
from sueo_data import load_npz, load_splits  # noqa: E402
from train import REPO, default_data, split_off_tests  # noqa: E402


def rewire(proto):
    """embedding = h / sqrt((h*h) @ ones) with h the Flatten output (the pooled features)."""
    g = proto.graph
    flatten = next(n for n in g.node if n.op_type == "Flatten")
    h = flatten.output[0]
    div = next(n for n in g.node if "embedding" in n.output)
    projected = div.input[0]
    if projected == h:
        return proto, False  # already the features
    mul = next(n for n in g.node if n.op_type == "Mul" and list(n.input) == [projected, projected])
    matmul = next(n for n in g.node if n.op_type == "MatMul" and n.input[0] == mul.output[0])
    width = next(int(numpy_helper.to_array(t).shape[1]) for t in g.initializer if t.name == "head.weight")
    mul.input[0] = mul.input[1] = h
    div.input[0] = h
    ones = [t for t in g.initializer if t.name == matmul.input[1]][0]
    ones.CopyFrom(numpy_helper.from_array(np.ones((width, width), dtype=np.float32), matmul.input[1]))
    # The projection head (Gemm, Relu, Gemm from h to `projected`) now feeds nothing: drop it.
    dead, frontier = [], {projected}
    while frontier:
        name = frontier.pop()
        node = next((n for n in g.node if name in n.output), None)
        if node is None or node is flatten:
            continue
        dead.append(node)
        frontier.update(i for i in node.input if i != h)
    used = set()
    for n in g.node:
        if n not in dead:
            used.update(n.input)
    for n in dead:
        g.node.remove(n)
    for t in [t for t in g.initializer if t.name not in used]:
        g.initializer.remove(t)
    out = next(o for o in g.output if o.name == "embedding")
    out.type.tensor_type.shape.dim[1].dim_value = width
    for entry in [m for m in proto.metadata_props if m.key == "sueo.prototypes"]:
        proto.metadata_props.remove(entry)  # the old ones are in the projection's space; made anew below
    return proto, True


def training_takes(fold_json):
    """The sets' non-test takes, minus a fold's held-out rows: what the model trained on."""
    with tempfile.TemporaryDirectory() as tmp:
        sets, _ = split_off_tests([load_npz(p) for p in default_data()], load_splits(), types.SimpleNamespace(test_dir=tmp))
    held = {}
    if fold_json:
        with open(fold_json, encoding="utf-8") as f:
            for entry in json.load(f)["sets"].values():
                held[os.path.abspath(os.path.join(REPO, entry["file"]))] = set(entry["held_out_rows"])
    seqs, classes = [], []
    for d in sets:
        out = held.get(d.path, set())
        for i, row in enumerate(d.rows):
            if int(row) not in out:
                seqs.append(d.sequences[i])
                classes.append(d.classes[i])
    return seqs, classes


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--out", default=None, help="default: overwrite the model")
    p.add_argument("--fold", default=None, help="the fold's JSON (build/train-folds/fold<k>.json)")
    p.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    a = p.parse_args()
    proto, changed = rewire(onnx.load(a.model))
    out = a.out or a.model
    seqs, classes = training_takes(a.fold)
    with tempfile.TemporaryDirectory() as tmp:
        model_tmp = os.path.join(tmp, "m.onnx")
        onnx.save(proto, model_tmp)
        data = os.path.join(tmp, "train.npz")
        cpp_eval.write_set(data, seqs, classes)
        dump = os.path.join(tmp, "d.npz")
        done = subprocess.run([a.sueo, "eval", "--model", model_tmp, "--data", data, "--dump", dump], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        d = np.load(dump)
        emb, truth = d["embeddings"], d["truth"]
    labels = json.loads({m.key: m.value for m in proto.metadata_props}["sueo.labels"])
    protos = np.zeros((len(labels), emb.shape[1]), dtype=np.float32)
    for c in range(len(labels)):
        rows = emb[truth == c]
        if len(rows):
            m = rows.mean(0)
            protos[c] = m / max(np.linalg.norm(m), 1e-12)
    for entry in [m for m in proto.metadata_props if m.key == "sueo.prototypes"]:
        proto.metadata_props.remove(entry)
    entry = proto.metadata_props.add()
    entry.key, entry.value = "sueo.prototypes", json.dumps([[round(float(v), 6) for v in row] for row in protos])
    onnx.checker.check_model(proto)
    onnx.save(proto, out)
    print(f"wrote {out}: embedding = normalised pooled features [1, {emb.shape[1]}] "
          f"({'rewired' if changed else 'already'}), prototypes from {len(seqs)} training takes")


if __name__ == "__main__":
    main()
