#!/usr/bin/python3
"""Evidence for merging (or not) class names into one vocabulary word: are two labels one sign?

  /usr/bin/python3 tools/train/vocab_evidence.py [--out models/vocabulary-evidence.md]

For KETI-6 (signer ids known) it normalises every take the way the model does (trim, resample,
in-graph Preprocess), then asks, for each take, which label its nearest take *by another signer*
has (1-NN, signer-grouped). If two labels are one sign, their takes' neighbours split between them
at about chance; distinct signs find their own label. It also counts byte-identical takes across
labels and checks where emergency-10's takes land among KETI's labels (cross-set 1-NN).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sueo_data import load_npz  # noqa: E402
from sueo_prep import DEFAULT_FRAMES, Preprocess, prepare  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "..", "shared", "data")


def features(sequences, frames=DEFAULT_FRAMES):
    x = torch.from_numpy(np.stack([prepare(s, frames) for s in sequences]))
    with torch.no_grad():
        return Preprocess(frames)(x).reshape(len(sequences), -1).numpy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keti", default=os.path.join(DATA, "ksl-keti6", "ksl_keti6_dev_holistic258.npz"))
    p.add_argument("--emergency", default=os.path.join(DATA, "ksl-emergency10", "ksl_emergency10_holistic258.npz"))
    p.add_argument("--out", default=os.path.join(REPO, "models", "vocabulary-evidence.md"))
    args = p.parse_args()
    keti = load_npz(args.keti)
    labels = np.array(keti.classes)
    names = sorted(set(keti.classes))
    f = features(keti.sequences)
    dist = ((f[:, None, :] - f[None, :, :]) ** 2).sum(-1)
    same_signer = keti.groups[:, None] == keti.groups[None, :]
    dist[same_signer] = np.inf
    nn_label = labels[dist.argmin(1)]
    lines = ["Signer-grouped 1-nearest-neighbour on the model's normalised features (KETI-6 dev, "
             f"{len(labels)} takes, {len(set(keti.groups.tolist()))} signers): row = a take's label, "
             "column = its nearest other-signer take's label.", "",
             "| label | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
    for a in names:
        row = [int(np.sum((labels == a) & (nn_label == b))) for b in names]
        lines.append(f"| {a} | " + " | ".join(str(v) for v in row) + " |")
    raw = [s.tobytes() for s in keti.sequences]
    identical = [(keti.classes[i], keti.classes[j]) for i in range(len(raw)) for j in range(i + 1, len(raw))
                 if raw[i] == raw[j] and keti.classes[i] != keti.classes[j]]
    lines += ["", f"Byte-identical takes under two different labels: {len(identical)} "
              + (f"({', '.join(f'{a} = {b}' for a, b in identical)})" if identical else ""), ""]
    if os.path.exists(args.emergency):
        em = load_npz(args.emergency)
        pick = [i for i, c in enumerate(em.classes) if c == "불나다"]
        fe = features([em.sequences[i] for i in pick])
        d2 = ((fe[:, None, :] - f[None, :, :]) ** 2).sum(-1)
        near = labels[d2.argmin(1)]
        counts = {n: int(np.sum(near == n)) for n in names}
        lines += [f"Cross-set: nearest KETI-6 take of each of emergency-10's {len(pick)} `불나다` takes: "
                  + ", ".join(f"{n} {c}" for n, c in counts.items() if c) + ".", ""]
    text = "\n".join(lines)
    print(text)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
