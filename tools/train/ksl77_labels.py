#!/usr/bin/python3
"""Labels `sueo extract`'s KSL-77 landmarks from their file names and splits them as models/splits.json
says, so that nothing in a test part can reach training.

  /usr/bin/python3 tools/train/ksl77_labels.py build/ksl77-raw.npz [build/ksl77-raw-lite.npz ...] --out-dir build
      [--held-out 11,12]

Further raw files are the same clips through other landmark models (`sueo extract --pose-model lite
...`): their takes join the training file only, as more takes of the same signers (so a signer's
variants always fall in the same fold), and teach the model landmarks of every model the server may
run. The held-out and out-of-vocabulary files come from the first raw file alone.

File names are c<class>_<label>_s<signer>_<blob>.mp4 (../shared/data/ksl77/README.md); the label
(hi, meat, bi_bim_rice, ...) is a class name that models/vocabulary.json maps to a word. Writes, each
with X, lengths, labels, signers, files (the layout train.py and `sueo eval` read):

  OUT/ksl77/ksl77.npz                      the known words (splits.json ksl77.known_classes), every signer
                                           except the test signers: the only file train.py reads
  OUT/ksl77-heldout/ksl77_test.npz         the test signers (ksl77.test_signers, or --held-out), never
  OUT/ksl77-heldout/ksl77_s<id>.npz        trained or tuned on; one file for all and one per signer
  OUT/ksl77-oov/ksl77_oov_calibration.npz  the out-of-vocabulary words (no signer id), calibration half
  OUT/ksl77-oov/ksl77_oov_test.npz         and test half (ksl77.oov_*_classes); their labels are the
                                           KSL-77 glosses, which no model knows, and `class_ids` is added
"""
import argparse
import json
import os
import re

import numpy as np

NAME = re.compile(r"^c(\d+)_(.+)_s(\d+|NA)_[0-9a-f]+\.mp4$")
SPLITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "splits.json")


def parse(path):
    """(class id, label, signer id or None) from a KSL-77 clip name."""
    m = NAME.match(os.path.basename(path))
    if not m:
        raise ValueError(f"{path}: not a c<class>_<label>_s<signer>_<blob>.mp4 name")
    return int(m.group(1)), m.group(2), None if m.group(3) == "NA" else m.group(3)


def write(path, d, rows, labels, signers, files, extra=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rows = np.asarray(rows, dtype=np.int64)
    lengths = d["lengths"][rows]
    longest = int(lengths.max()) if len(rows) else 0
    np.savez_compressed(path, X=d["X"][rows, :longest], lengths=lengths, labels=np.array(labels)[rows],
                        signers=np.array(signers)[rows], files=np.array(files)[rows], **(extra or {}))
    print(f"wrote {path}: {len(rows)} clips")


def with_variants(d, files, variant_paths, rows):
    """(arrays, rows): the raw file's arrays with each variant's appended, and `rows` repeated in each."""
    X, lengths, all_rows = [d["X"]], [d["lengths"]], [rows]
    for i, path in enumerate(variant_paths):
        v = np.load(path)
        if [os.path.basename(str(f)) for f in v["files"]] != files:
            raise SystemExit(f"{path}: not the same clips in the same order as the first raw file")
        X.append(v["X"])
        lengths.append(v["lengths"])
        all_rows.append(rows + (i + 1) * len(files))
    frames = max(x.shape[1] for x in X)
    X = [np.pad(x, ((0, 0), (0, frames - x.shape[1]), (0, 0))) for x in X]
    return {"X": np.concatenate(X), "lengths": np.concatenate(lengths)}, np.concatenate(all_rows)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("raw", help="sueo extract's .npz (X, lengths, files)")
    p.add_argument("variants", nargs="*", help="the same clips' landmarks from other landmark models (training only)")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--splits", default=SPLITS)
    p.add_argument("--held-out", default=None,
                   help="comma-separated signer ids kept out of training (default: splits.json ksl77.test_signers)")
    args = p.parse_args()
    with open(args.splits, encoding="utf-8") as f:
        split = json.load(f)["ksl77"]
    test_signers = args.held_out.split(",") if args.held_out else [str(s) for s in split["test_signers"]]
    d = np.load(args.raw)
    files = [os.path.basename(str(f)) for f in d["files"]]
    parsed = [parse(f) for f in files]
    class_ids = np.array([c for c, _, _ in parsed])
    labels = [label for _, label, _ in parsed]
    signers = [s if s is not None else "NA" for _, _, s in parsed]
    known = np.isin(class_ids, split["known_classes"]) & np.array([s != "NA" for s in signers])
    held = known & np.isin(signers, test_signers)
    if not held.any():
        raise SystemExit(f"no clip of signers {','.join(test_signers)} in {args.raw}")
    copies = 1 + len(args.variants)
    write(os.path.join(args.out_dir, "ksl77", "ksl77.npz"),
          *with_variants(d, files, args.variants, np.flatnonzero(known & ~held)),
          labels * copies, signers * copies, files * copies)
    heldout = os.path.join(args.out_dir, "ksl77-heldout")
    write(os.path.join(heldout, "ksl77_test.npz"), d, np.flatnonzero(held), labels, signers, files)
    for s in test_signers:
        rows = np.flatnonzero(held & (np.array(signers) == s))
        if len(rows):
            write(os.path.join(heldout, f"ksl77_s{s}.npz"), d, rows, labels, signers, files)
    for half in ("calibration", "test"):
        rows = np.flatnonzero(np.isin(class_ids, split[f"oov_{half}_classes"]))
        if len(rows):
            write(os.path.join(args.out_dir, "ksl77-oov", f"ksl77_oov_{half}.npz"), d, rows, labels, signers, files,
                  {"class_ids": class_ids[rows]})


if __name__ == "__main__":
    main()
