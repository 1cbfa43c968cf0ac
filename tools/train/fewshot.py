#!/usr/bin/python3
"""Few-shot teaching, measured: words the model never trained on, enrolled from k takes of some signers
and recognised on other signers, by nearest prototype in the model's embedding (the C++ path:
`sueo eval --dump`).

  SUEO_DATA=../shared/data /usr/bin/python3 tools/train/fewshot.py [--model models/sueo-ksl.onnx]

Leave-words-out set: aihub8's seven new words (models/splits.json aihub8.new_words), never trained on.
aihub8 files several AI Hub dictionary entries under one Korean word (가다 has four: WORD0943, 0944,
0946, 1345), and different entries are different signs; one person teaching a word teaches one form, so
each word is taken as its entry with the most signers (ties: the lowest id), which is what a signer
enrolling and a signer being recognised would share. A take is one (entry, signer) performance; aihub8
filmed it from five cameras (views F, D, L, R, U), which are not independent: an episode splits the
eight signers into enrolment signers (k of them, one take each, front view F: the teacher faces the
iPad) and test signers (all the others). Test takes are their front views (the table) or all five
views (the second table).

Each cell: mean top-1 over episodes (random signer splits; for 5-way also random word subsets), with
the spread over episodes. Built-in words: the model's own test sets (models/splits.json test signers,
never trained on) are scored with the classifier alone and with taught words added to the decision
(src/sign/matcher.h: a taught word wins only when the embedding is nearer to its prototype than to the
classifier's best word's prototype), to show teaching does not take built-in words away.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sueo_embed import normalise  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("SUEO_DATA") or os.path.join(REPO, "..", "shared", "data")
AIHUB = os.path.join(DATA, "ksl-aihub8", "ksl_aihub8_dev_holistic258.npz")


def dump(sueo, model, data, vocab):
    """Scores and embeddings of every sequence of `data`, through `sueo eval --dump`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dump.npz")
        cmd = [sueo, "eval", "--model", model, "--data", data, "--vocabulary", vocab, "--dump", out]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        d = np.load(out)
        return {k: d[k] for k in d.files}


def main_variants(word, word_id, signer):
    """word -> the dictionary entry with the most signers (ties: lowest id)."""
    best = {}
    for w in sorted(set(word)):
        ids = sorted(set(word_id[word == w]))
        counts = [(len(set(signer[(word == w) & (word_id == i)])), i) for i in ids]
        best[w] = sorted(counts, key=lambda c: (-c[0], c[1]))[0][1]
    return best


class Takes:
    """Embeddings with word, signer and view per row; `front` is the view enrolment takes come from."""

    def __init__(self, emb, word, signer, view, front="F"):
        self.emb, self.word, self.signer, self.view, self.front = normalise(emb), word, signer, view, front
        self.words = sorted(set(word.tolist()))
        self.signers = sorted(set(signer.tolist()))

    @staticmethod
    def aihub8_rows(path, new_words):
        """Mask of the aihub8 rows kept: the new words, each as its main dictionary entry."""
        d = np.load(path)
        word = np.array([str(s) for s in d["label8"]])
        word_id = np.array([str(s) for s in d["word_id"]])
        variant = main_variants(word, word_id, np.array([str(s) for s in d["signer"]]))
        return np.array([w in new_words and word_id[i] == variant[w] for i, w in enumerate(word)])

    @staticmethod
    def aihub8(path, embeddings, new_words):
        """aihub8 reduced to one dictionary entry per new word."""
        d = np.load(path)
        word = np.array([str(s) for s in d["label8"]])
        word_id = np.array([str(s) for s in d["word_id"]])
        signer = np.array([str(s) for s in d["signer"]])
        variant = main_variants(word, word_id, signer)
        keep = Takes.aihub8_rows(path, new_words)
        takes = Takes(embeddings[keep], word[keep], signer[keep], np.array([str(s) for s in d["view"]])[keep])
        takes.variant = {w: variant[w] for w in new_words}
        return takes


def episode(takes, words, k, rng, test_views):
    """One episode: a random order of the signers; for each word the first k signers who signed it
    enrol (one take each, front view when they have one), every other signer's takes of the words are
    tested. Returns the prototypes [n, D] and the test rows."""
    order = list(rng.permutation(takes.signers))
    protos, tested = [], []
    for w in words:
        mine = takes.word == w
        enrol = [s for s in order if np.any(mine & (takes.signer == s))][:k]
        rows = []
        for s in enrol:
            own = np.flatnonzero(mine & (takes.signer == s))
            front = own[takes.view[own] == takes.front]
            rows.append(front[0] if len(front) else own[rng.integers(len(own))])
        protos.append(normalise(takes.emb[rows].mean(0)))
        tested.append(np.flatnonzero(mine & ~np.isin(takes.signer, enrol)
                                     & (np.isin(takes.view, test_views) if test_views else True)))
    return np.stack(protos), np.concatenate(tested)


class Builtin:
    """The model's own words: labels, shipped prototypes, and never-trained-on test takes' scores and
    embeddings (splits.json test signers), for the decision with taught words added."""

    def __init__(self, labels, prototypes, probs, emb, truth):
        self.labels, self.protos = np.array(labels), normalise(prototypes)
        self.probs, self.emb, self.truth = probs, normalise(emb), truth


def decide(emb, probs, builtin, taught_protos, taught_words, min_similarity=0.0, margin=0.0):
    """src/sign/matcher.cpp's rule: the nearest taught word wins when its cosine reaches min_similarity
    and beats the cosine to the classifier's word's prototype by more than `margin`; otherwise the
    classifier's word."""
    top = probs.argmax(1)
    s_c = np.einsum("nd,nd->n", emb, builtin.protos[top])
    s_t = emb @ taught_protos.T
    taught = (s_t.max(1) >= min_similarity) & (s_t.max(1) - s_c > margin)
    return np.where(taught, np.array(taught_words)[s_t.argmax(1)], builtin.labels[top])


def table(takes, shots, ways, episodes, seed, test_views, builtin=None, probs=None):
    """Per (k, n): the new words' top-1 among the taught words only (the few-shot figure), and with a
    `builtin`: the new words' top-1 when the built-in words compete (the Matcher's decision) and the
    built-in test takes' top-1 with the taught words added."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in shots:
        for n in ways:
            closed, open_, kept = [], [], []
            for _ in range(episodes):
                words = list(sorted(rng.choice(takes.words, size=n, replace=False)) if n < len(takes.words)
                             else takes.words)
                protos, rows = episode(takes, words, k, rng, test_views)
                truth = takes.word[rows]
                closed.append(np.mean(np.array(words)[(takes.emb[rows] @ protos.T).argmax(1)] == truth))
                if builtin is not None:
                    open_.append(np.mean(decide(takes.emb[rows], probs[rows], builtin, protos, words) == truth))
                    kept.append(np.mean(decide(builtin.emb, builtin.probs, builtin, protos, words)
                                        == builtin.labels[builtin.truth]))
            out[(k, n)] = {"closed": (float(np.mean(closed)), float(np.std(closed)))}
            if builtin is not None:
                out[(k, n)]["with_builtin"] = (float(np.mean(open_)), float(np.std(open_)))
                out[(k, n)]["builtin_kept"] = (float(np.mean(kept)), float(np.std(kept)))
    return out


def pct(v):
    return f"{100 * v[0]:.1f} % (± {100 * v[1]:.1f})"


def print_table(title, cells, shots, ways, builtin_base=None):
    print(f"\n{title}\n")
    head = "| k (enrolment takes, one per signer) | " + " | ".join(f"{n}-way" for n in ways)
    extra = builtin_base is not None
    if extra:
        head += " | " + " | ".join(f"{n} taught, built-in words competing" for n in ways)
        head += " | " + " | ".join(f"built-in test top-1 with {n} taught (without: {100 * builtin_base:.1f} %)"
                                   for n in ways)
    print(head + " |")
    print("| --- |" + " --- |" * (len(ways) * (3 if extra else 1)))
    for k in shots:
        row = [pct(cells[(k, n)]["closed"]) for n in ways]
        if extra:
            row += [pct(cells[(k, n)]["with_builtin"]) for n in ways]
            row += [pct(cells[(k, n)]["builtin_kept"]) for n in ways]
        print(f"| {k} | " + " | ".join(row) + " |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(REPO, "models", "sueo-ksl.onnx"))
    p.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    p.add_argument("--vocab", default=os.path.join(REPO, "models", "vocabulary.json"))
    p.add_argument("--splits", default=os.path.join(REPO, "models", "splits.json"))
    p.add_argument("--episodes", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the table as JSON here")
    p.add_argument("--builtin-test", nargs="*", default=[os.path.join(REPO, "build", "ksl77-heldout", "ksl77_test.npz"),
                                                         os.path.join(REPO, "build", "test-sets", "ksl-keti6_test.npz")],
                   help="the model's never-trained-on test takes (splits.json test signers)")
    args = p.parse_args()
    if not os.path.exists(AIHUB):
        print(f"skipped: {AIHUB} is absent (set SUEO_DATA)")
        sys.exit(77)
    with open(args.splits, encoding="utf-8") as f:
        new_words = json.load(f)["aihub8"]["new_words"]
    d = dump(args.sueo, args.model, AIHUB, args.vocab)
    if d["embeddings"].shape[1] == 0:
        raise SystemExit(f"{args.model} has no embedding output: teaching is unavailable with it")
    takes = Takes.aihub8(AIHUB, d["embeddings"], new_words)
    keep = Takes.aihub8_rows(AIHUB, new_words)
    probs = d["scores"][keep]
    builtin, base = None, None
    meta = {p.key: p.value for p in onnx.load(args.model).metadata_props}
    if "sueo.prototypes" in meta and all(os.path.exists(x) for x in args.builtin_test):
        parts = [dump(args.sueo, args.model, x, args.vocab) for x in args.builtin_test]
        labels = [l["word"] for l in json.loads(meta["sueo.labels"])]
        builtin = Builtin(labels, np.array(json.loads(meta["sueo.prototypes"]), dtype=np.float32),
                          np.concatenate([q["scores"] for q in parts]), np.concatenate([q["embeddings"] for q in parts]),
                          np.concatenate([q["truth"] for q in parts]))
        base = float(np.mean(builtin.probs.argmax(1) == builtin.truth))
        print(f"built-in test takes: {len(builtin.truth)} ({', '.join(os.path.relpath(x, REPO) for x in args.builtin_test)}), "
              f"classifier alone top-1 {100 * base:.1f} %")
    print(f"model {os.path.relpath(args.model, REPO)}; aihub8 new words and the entry taken for each: "
          + ", ".join(f"{w} {takes.variant[w]}" for w in takes.words))
    print(f"{len(takes.signers)} signers; {args.episodes} episodes per cell, seed {args.seed}")
    shots, ways = (1, 3, 5), (5, 7)
    front = table(takes, shots, ways, args.episodes, args.seed, ["F"], builtin, probs)
    every = table(takes, shots, ways, args.episodes, args.seed, None, builtin, probs)
    print_table("Test takes: front view (F) of the signers not enrolled", front, shots, ways, base)
    print_table("Test takes: all five views of the signers not enrolled", every, shots, ways, base)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"front": {f"{k},{n}": v for (k, n), v in front.items()},
                       "all_views": {f"{k},{n}": v for (k, n), v in every.items()}, "builtin_alone": base,
                       "variants": takes.variant, "model": args.model, "episodes": args.episodes}, f,
                      ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
