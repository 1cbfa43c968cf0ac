#!/usr/bin/python3
"""Teaching scenarios as files the C++ path takes: an enrolment set (`sueo vocab import` teaches it) and
a test set of other signers' takes of the same words (`sueo eval --store` scores it).

  SUEO_DATA=../shared/data /usr/bin/python3 tools/train/teach_sets.py --words 5 --k 3 --out build/teach5
  build/sueo vocab import --store build/teach5/store.db build/teach5/enrol.npz
  build/sueo eval --store build/teach5/store.db --data build/teach5/test.npz            # taught words
  build/sueo eval --store build/teach5/store.db --data build/ksl77-heldout/ksl77_test.npz   # built-in words

Words come from aihub8's seven new words first (each as its main dictionary entry, tools/train/fewshot.py;
k enrolment signers, front view, one take each; test: the other signers' front views), then, to reach
more than seven, from the KSL-77 out-of-vocabulary *test* half (one clip enrols; a second clip, where the
word has one, is tested; no signer ids there). Nothing here is trained on.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpp_eval  # noqa: E402
from fewshot import AIHUB, REPO, Takes  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--words", type=int, default=5)
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--oov", default=os.path.join(REPO, "build", "ksl77-oov", "ksl77_oov_test.npz"))
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with open(os.path.join(REPO, "models", "splits.json"), encoding="utf-8") as f:
        new_words = json.load(f)["aihub8"]["new_words"]
    d = dict(np.load(AIHUB))
    keep = Takes.aihub8_rows(AIHUB, new_words)
    rows = np.flatnonzero(keep & (d["view"] == "F"))
    word, signer = d["label8"][rows], d["signer"][rows]
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(sorted(set(signer.tolist())))
    enrol_signers, test_signers = set(order[:a.k]), set(order[a.k:])
    chosen = sorted(rng.choice(sorted(set(word.tolist())), size=min(a.words, 7), replace=False))
    enrol = [r for r, w, s in zip(rows, word, signer) if w in chosen and s in enrol_signers]
    test = [r for r, w, s in zip(rows, word, signer) if w in chosen and s in test_signers]
    seq = lambda r: d["X"][r, :d["lengths"][r]]  # noqa: E731
    e_seqs, e_words, e_who = [seq(r) for r in enrol], [str(d["label8"][r]) for r in enrol], [str(d["signer"][r]) for r in enrol]
    t_seqs, t_words, t_who = [seq(r) for r in test], [str(d["label8"][r]) for r in test], [str(d["signer"][r]) for r in test]
    extra = a.words - len(chosen)
    if extra > 0:
        o = dict(np.load(a.oov))
        names = [str(s) for s in o["labels"]]
        for name in sorted(set(names))[:extra]:
            clips = [i for i, n in enumerate(names) if n == name]
            e_seqs.append(o["X"][clips[0], :o["lengths"][clips[0]]])
            e_words.append(name)
            e_who.append("ksl77")
            for c in clips[1:]:
                t_seqs.append(o["X"][c, :o["lengths"][c]])
                t_words.append(name)
                t_who.append("ksl77")
            chosen.append(name)
    os.makedirs(a.out, exist_ok=True)
    cpp_eval.write_set(os.path.join(a.out, "enrol.npz"), e_seqs, e_words, signers=e_who)
    cpp_eval.write_set(os.path.join(a.out, "test.npz"), t_seqs, t_words, signers=t_who)
    print(f"{len(chosen)} words ({', '.join(chosen)}); enrolment {len(e_seqs)} takes (aihub8 signers "
          f"{', '.join(sorted(enrol_signers))}), test {len(t_seqs)} takes -> {a.out}/enrol.npz, {a.out}/test.npz")


if __name__ == "__main__":
    main()
