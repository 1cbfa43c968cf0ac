"""Landmark datasets (.npz), the shared vocabulary (models/vocabulary.json) and group splits.

A dataset file is an .npz with
  X        [N, T_max, 258] float32, zero-padded after `lengths`
  lengths  [N] int
  labels   one of: `y` [N] int indexing `classes` [C] str, or `labels` [N] str (class names)
and optionally, to say who signed what (splits never mix a group between train and test):
  signers          [N] int/str   one id per signer
  files            [N] str       source files; a `_s<digits>_` part names the signer (KSL-77 names)
  recording_index  [N] int       KETI: recording_index // 3 is the signer, % 3 the camera view
  seq_ids          [N] str       "<class>/<n>", used to order takes within a class
Without any signer information the set is one session per class (ksl-emergency10): it can only be
split by time (the last takes of each class held out), which still shares the session.
"""
import json
import os
import re
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Vocabulary:
    words: list  # [{"word", "gloss", "aliases"}]
    alias: dict = field(default_factory=dict)  # class name -> index into words

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            words = json.load(f)["words"]
        alias = {}
        for index, entry in enumerate(words):
            for name in [entry["word"]] + entry.get("aliases", []):
                if alias.get(name, index) != index:
                    raise ValueError(f"{path}: '{name}' names two words")
                alias[name] = index
        return Vocabulary(words, alias)

    def add_taught(self, npz_path):
        """The words of a `sueo vocab export` file join the vocabulary (its .json beside it gives the
        glosses), so the store's taught words can train with the shared sets. A taught word named like
        a vocabulary word (or one of its aliases) adds examples to that word. Returns the new words."""
        with open(os.path.splitext(npz_path)[0] + ".json", encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("format") != "sueo-taught-words":
            raise ValueError(f"{npz_path}: its .json is not a `sueo vocab export` index")
        added = []
        for entry in doc.get("words", []):
            word = entry["word"]
            if word in self.alias:
                continue
            self.alias[word] = len(self.words)
            self.words.append({"word": word, "gloss": entry.get("gloss", ""), "aliases": []})
            added.append(word)
        return added

    def has(self, class_name):
        return class_name in self.alias

    def index(self, class_name):
        if class_name not in self.alias:
            raise KeyError(f"class '{class_name}' is not in the vocabulary (add it to models/vocabulary.json)")
        return self.alias[class_name]


@dataclass
class Dataset:
    name: str
    sequences: list  # [n_i, 258] float32 each, unpadded
    classes: list  # dataset class name per sequence
    groups: np.ndarray  # signer id per sequence, or None
    order: np.ndarray  # take number within its class (for time splits)
    group_kind: str
    path: str = ""
    ids: list = None  # a name per take (files, seq_ids or sample_id), when the file has one
    rows: np.ndarray = None  # each take's row in `path` (subsets keep pointing at the file)

    def __post_init__(self):
        if self.rows is None:
            self.rows = np.arange(len(self.sequences))

    def subset(self, mask):
        keep = np.flatnonzero(mask)
        return Dataset(self.name, [self.sequences[i] for i in keep], [self.classes[i] for i in keep],
                       None if self.groups is None else self.groups[keep], self.order[keep], self.group_kind,
                       self.path, None if self.ids is None else [self.ids[i] for i in keep], self.rows[keep])


def _strings(array):
    return [str(s) for s in array.tolist()]


def dataset_name(path):
    return os.path.basename(os.path.dirname(os.path.abspath(path))) or os.path.basename(path)


def load_npz(path):
    d = np.load(path, allow_pickle=False)
    X = d["X"]
    lengths = d["lengths"] if "lengths" in d.files else np.full(len(X), X.shape[1])
    if "labels" in d.files:
        classes = _strings(d["labels"])
    else:
        names = _strings(d["classes"])
        classes = [names[int(i)] for i in d["y"]]
    sequences = [np.ascontiguousarray(X[i, :int(lengths[i])], dtype=np.float32) for i in range(len(X))]
    groups, kind = None, "session (no signer ids)"
    if "signers" in d.files:
        groups, kind = np.array(_strings(d["signers"])), "signer (signers)"
    elif "files" in d.files:
        found = [re.search(r"_s(\d+)_", os.path.basename(f)) for f in _strings(d["files"])]
        if all(found):
            groups, kind = np.array([m.group(1) for m in found]), "signer (from file names)"
    elif "recording_index" in d.files:
        groups, kind = d["recording_index"].astype(np.int64) // 3, "signer (recording_index // 3)"
    order = np.arange(len(X))
    if "seq_ids" in d.files:
        order = np.array([int(s.rsplit("/", 1)[-1]) if s.rsplit("/", 1)[-1].isdigit() else i
                          for i, s in enumerate(_strings(d["seq_ids"]))])
    ids = None
    for key in ("files", "sample_id", "seq_ids"):
        if key in d.files:
            ids = [os.path.basename(s) for s in _strings(d[key])]
            break
    return Dataset(dataset_name(path), sequences, classes, groups, order, kind, os.path.abspath(path), ids)


def time_split(dataset, test_fraction=0.2):
    """Per class: the last `test_fraction` of takes (by take number) are test."""
    test = np.zeros(len(dataset.classes), dtype=bool)
    classes = np.array(dataset.classes)
    for name in sorted(set(dataset.classes)):
        idx = np.flatnonzero(classes == name)
        idx = idx[np.argsort(dataset.order[idx], kind="stable")]
        cut = int(round(len(idx) * (1 - test_fraction)))
        test[idx[cut:]] = True
    return test


def group_folds(dataset, folds):
    """Signer-grouped folds: groups sorted, dealt round-robin. Returns a list of test masks."""
    groups = sorted(set(dataset.groups.tolist()))
    masks = []
    for k in range(folds):
        held = set(groups[k::folds])
        masks.append(np.array([g in held for g in dataset.groups.tolist()]))
    return masks


SPLITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "splits.json")
# Dataset folder name -> its entry in models/splits.json
_SPLIT_KEYS = {"ksl77": "ksl77", "ksl77-heldout": "ksl77", "ksl-keti6": "keti6", "ksl-aihub8": "aihub8"}


def load_splits(path=SPLITS):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_mask(dataset, splits):
    """Rows of `dataset` in the project's fixed test part (models/splits.json): KSL-77 and KETI-6 test
    signers. Training never reads them; they are only scored, for reports that say so."""
    entry = splits.get(_SPLIT_KEYS.get(dataset.name, ""), {})
    signers = entry.get("test_signers")
    if not signers:
        return np.zeros(len(dataset.classes), dtype=bool)
    if dataset.groups is None:
        raise ValueError(f"{dataset.name}: splits.json names test signers but the set has no signer ids")
    held = {str(s) for s in signers}
    return np.array([str(g) in held for g in dataset.groups.tolist()])


def refuse_never_train(dataset, splits):
    """aihub8's new words are the few-shot teaching set and unknown-sign negatives: never trained on."""
    new_words = set(splits.get("aihub8", {}).get("new_words", []))
    bad = sorted(new_words & set(dataset.classes))
    if bad:
        raise SystemExit(f"{dataset.name}: {', '.join(bad)} are never trained on (models/splits.json aihub8.new_words)")
