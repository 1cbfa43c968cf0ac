#!/usr/bin/python3
"""Labels `sueo extract`'s KSL-77 landmarks from their file names and splits off the held-out signer.

  /usr/bin/python3 tools/train/ksl77_labels.py build/ksl77-raw.npz --out-dir build --held-out 11

File names are c<class>_<label>_s<signer>_<blob>.mp4 (../shared/data/ksl77/README.md); the label
(hi, meat, bi_bim_rice, ...) is a class name that models/vocabulary.json maps to a word. Writes
OUT/ksl77/ksl77.npz (all other signers) and OUT/ksl77-heldout/ksl77_s<id>.npz, each with X, lengths,
labels, signers and files, the layout train.py and `sueo eval` read.
"""
import argparse
import os
import re

import numpy as np

NAME = re.compile(r"^c(\d+)_(.+)_s(\d+)_[0-9a-f]+\.mp4$")


def parse(path):
    m = NAME.match(os.path.basename(path))
    if not m:
        raise ValueError(f"{path}: not a c<class>_<label>_s<signer>_<blob>.mp4 name")
    return m.group(2), m.group(3)


def write(path, d, rows, labels, signers, files):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lengths = d["lengths"][rows]
    longest = int(lengths.max()) if len(rows) else 0
    np.savez_compressed(path, X=d["X"][rows, :longest], lengths=lengths, labels=np.array(labels)[rows],
                        signers=np.array(signers)[rows], files=np.array(files)[rows])
    print(f"wrote {path}: {len(rows)} clips")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("raw", help="sueo extract's .npz (X, lengths, files)")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--held-out", default="11", help="signer id kept out of training")
    args = p.parse_args()
    d = np.load(args.raw)
    files = [os.path.basename(str(f)) for f in d["files"]]
    parsed = [parse(f) for f in files]
    labels = [label for label, _ in parsed]
    signers = [signer for _, signer in parsed]
    held = np.array([s == args.held_out for s in signers])
    if not held.any():
        raise SystemExit(f"no clip of signer {args.held_out} in {args.raw}")
    write(os.path.join(args.out_dir, "ksl77", "ksl77.npz"), d, np.flatnonzero(~held), labels, signers, files)
    write(os.path.join(args.out_dir, "ksl77-heldout", f"ksl77_s{args.held_out}.npz"), d, np.flatnonzero(held),
          labels, signers, files)


if __name__ == "__main__":
    main()
