#!/usr/bin/python3
"""Unit tests of the training tools that need no shared data (CTest: sign.python_tools).

  /usr/bin/python3 tools/train/test_train_tools.py
"""
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpp_eval  # noqa: E402
import ksl77_labels  # noqa: E402
from parity_fixture import synthetic_sequence  # noqa: E402
from sueo_augment import augment, mirror  # noqa: E402
from sueo_data import Vocabulary, group_folds, load_npz, time_split  # noqa: E402
from sueo_prep import Preprocess, prepare  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def write_set(path, n_per_class, names, **extra):
    rng = np.random.default_rng(0)
    labels, seqs = [], []
    for name in names:
        for _ in range(n_per_class):
            seqs.append(synthetic_sequence(rng, int(rng.integers(20, 40))))
            labels.append(name)
    X = np.zeros((len(seqs), 40, 258), dtype=np.float32)
    for i, s in enumerate(seqs):
        X[i, :len(s)] = s
    np.savez_compressed(path, X=X, lengths=np.array([len(s) for s in seqs]), labels=np.array(labels), **extra)


class LoaderTest(unittest.TestCase):
    def test_a_ksl77_style_set_plugs_in_and_splits_by_signer(self):
        names = ["hi", "meat", "face"]
        files = [f"videos/c0{k}_{n}_s{s:02d}_abcd.mp4" for k, n in enumerate(names) for s in (1, 3, 5, 7)]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "ksl77_holistic258.npz")
            write_set(path, 4, names, files=np.array(files))
            d = load_npz(path)
        self.assertEqual(d.group_kind, "signer (from file names)")
        self.assertEqual(sorted(set(d.groups.tolist())), ["01", "03", "05", "07"])
        vocab = Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json"))
        self.assertEqual(vocab.words[vocab.index("meat")]["word"], "만나다")
        for mask in group_folds(d, 2):  # no signer on both sides of any fold
            self.assertFalse(set(d.groups[mask].tolist()) & set(d.groups[~mask].tolist()))

    def test_a_set_without_signers_is_split_by_time(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "session.npz")
            write_set(path, 10, ["a", "b"], seq_ids=np.array([f"{c}/{i}" for c in "ab" for i in range(10)]))
            d = load_npz(path)
        self.assertIsNone(d.groups)
        test = time_split(d)
        self.assertEqual(int(test.sum()), 4)  # the last 2 takes of each class
        self.assertTrue(all(d.order[test] >= 8))

    def test_vocabulary_refuses_an_alias_for_two_words(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "v.json")
            with open(path, "w") as f:
                f.write('{"words": [{"word": "a", "aliases": ["x"]}, {"word": "b", "aliases": ["x"]}]}')
            with self.assertRaises(ValueError):
                Vocabulary.load(path)


    def test_a_store_export_trains_as_new_words(self):
        # `sueo vocab export`: labels = the taught word, signers = the teaching session, and a .json index.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "taught.npz")
            write_set(path, 3, ["우유", "안녕"], signers=np.array(["page-1", "page-2", "cli"] * 2))
            with open(os.path.join(tmp, "taught.json"), "w", encoding="utf-8") as f:
                json.dump({"format": "sueo-taught-words", "version": 1,
                           "words": [{"word": "우유", "gloss": "milk"}, {"word": "안녕", "gloss": "hi again"}]}, f)
            vocab = Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json"))
            before = len(vocab.words)
            self.assertEqual(vocab.add_taught(path), ["우유"])  # 안녕 is a vocabulary word: more examples of it
            d = load_npz(path)
        self.assertEqual(len(vocab.words), before + 1)
        self.assertEqual(vocab.words[vocab.index("우유")]["gloss"], "milk")
        self.assertEqual(vocab.words[vocab.index("안녕")]["gloss"], "hi")
        self.assertEqual(sorted(set(d.groups.tolist())), ["cli", "page-1", "page-2"])

    def test_a_json_that_is_not_a_store_index_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "other.npz")
            write_set(path, 1, ["a"])
            with open(os.path.join(tmp, "other.json"), "w") as f:
                f.write('{"words": []}')
            with self.assertRaises(ValueError):
                Vocabulary.load(os.path.join(REPO, "models", "vocabulary.json")).add_taught(path)


class Ksl77Test(unittest.TestCase):
    def test_labels_and_signers_come_from_the_file_name(self):
        self.assertEqual(ksl77_labels.parse("x/c04_bi_bim_rice_s09_83f4b858.mp4"), (4, "bi_bim_rice", "09"))
        self.assertEqual(ksl77_labels.parse("c03_meat_s11_5bf5da80.mp4"), (3, "meat", "11"))
        self.assertEqual(ksl77_labels.parse("c05_glad_sNA_32197c94.mp4"), (5, "glad", None))
        with self.assertRaises(ValueError):
            ksl77_labels.parse("c05_glad_32197c94.mp4")

    def _split(self, files, *extra, variants=()):
        """ksl77_labels on a raw file of ones and, per entry of `variants`, a raw file of that value
        (its clip names, or `files`)."""
        with tempfile.TemporaryDirectory() as tmp:
            raws = []
            for i, (value, names) in enumerate([(1.0, files)] + [(v, n or files) for v, n in variants]):
                raws.append(os.path.join(tmp, f"raw{i}.npz"))
                np.savez(raws[-1], X=np.full((len(names), 5 + i, 258), value, dtype=np.float32),
                         lengths=np.array([5, 4, 3] * (len(names) // 3) + [5] * (len(names) % 3)), files=np.array(names))
            sys.argv = ["ksl77_labels.py", *raws, "--out-dir", tmp, *extra]
            ksl77_labels.main()
            return {os.path.relpath(os.path.join(r, f), tmp): load_npz(os.path.join(r, f))
                    for r, _, names in os.walk(tmp) for f in names if not f.startswith("raw")}

    def test_other_landmark_models_add_training_takes_only(self):
        files = [f"v/c0{c}_{n}_s{s}_abcd.mp4" for c, n in ((1, "hi"), (9, "face")) for s in ("01", "11", "12")]
        out = self._split(files, "--held-out", "11", variants=[(2.0, None), (3.0, None)])
        train, held = out["ksl77/ksl77.npz"], out["ksl77-heldout/ksl77_test.npz"]
        self.assertEqual(len(train.sequences), 3 * 4)
        self.assertEqual(sorted({float(s[0, 0]) for s in train.sequences}), [1.0, 2.0, 3.0])
        self.assertEqual(train.groups.tolist(), ["01", "12", "01", "12"] * 3)  # a clip's variants: one signer
        self.assertEqual([len(s) for s in train.sequences], [5, 3, 5, 3] * 3)
        self.assertEqual({float(s[0, 0]) for s in held.sequences}, {1.0})  # held-out: the first raw file only
        with self.assertRaises(SystemExit):
            self._split(files, "--held-out", "11", variants=[(2.0, list(reversed(files)))])

    def test_the_held_out_signer_goes_to_its_own_file(self):
        files = [f"v/c0{c}_{n}_s{s}_abcd.mp4" for c, n in ((1, "hi"), (9, "face")) for s in ("01", "11", "12")]
        out = self._split(files, "--held-out", "11")
        train, held = out["ksl77/ksl77.npz"], out["ksl77-heldout/ksl77_s11.npz"]
        self.assertEqual(sorted(set(train.groups.tolist())), ["01", "12"])
        self.assertEqual(held.groups.tolist(), ["11", "11"])
        self.assertEqual(held.classes, ["hi", "face"])
        self.assertEqual([len(s) for s in held.sequences], [4, 4])

    def test_splits_json_decides_test_signers_and_oov_halves(self):
        files = [f"v/c01_hi_s{s}_abcd.mp4" for s in ("01", "11", "12", "13", "14")]
        files += ["v/c05_glad_sNA_ab12.mp4", "v/c11_x_sNA_ab12.mp4", "v/c13_y_sNA_cd34.mp4"]
        out = self._split(files)
        self.assertEqual(sorted(out["ksl77/ksl77.npz"].groups.tolist()), ["01", "14"])
        self.assertEqual(sorted(out["ksl77-heldout/ksl77_test.npz"].groups.tolist()), ["11", "12", "13"])
        self.assertEqual(out["ksl77-oov/ksl77_oov_calibration.npz"].classes, ["glad", "y"])  # 5, 13
        self.assertEqual(out["ksl77-oov/ksl77_oov_test.npz"].classes, ["x"])  # 11


class CppEvalTest(unittest.TestCase):
    def test_reads_the_confusion_matrix_sueo_eval_prints(self):
        text = ("accuracy per class\n\nconfusion matrix (rows: true, columns: predicted; ...)\n"
                "            2    5    7\n       2    3    0    1\n       7    0    2    4\n\naccuracy 0.7\n")
        c = cpp_eval.parse_confusion(text, 8)
        self.assertEqual(c[2, 2], 3)
        self.assertEqual(c[2, 7], 1)
        self.assertEqual(c[7, 5], 2)
        self.assertEqual(int(c.sum()), 10)


class PreprocessTest(unittest.TestCase):
    def test_features_ignore_where_and_how_big_the_body_is(self):
        seq = prepare(synthetic_sequence(np.random.default_rng(1), 50))
        moved = seq.copy()
        for lo, hi, step in ((0, 132, 4), (132, 195, 3), (195, 258, 3)):
            for axis in (0, 1):
                cols = np.arange(lo + axis, hi, step)
                present = moved[:, cols] != 0
                moved[:, cols] = np.where(present, 0.1 + 0.8 * moved[:, cols], 0)
            zcols = np.arange(lo + 2, hi, step)
            moved[:, zcols] *= 0.8
        prep = Preprocess(48)
        with torch.no_grad():
            a = prep(torch.from_numpy(seq)[None])
            b = prep(torch.from_numpy(moved)[None])
        self.assertLess(float((a - b).abs().max()), 1e-4)

    def test_augmentation_keeps_absent_parts_absent(self):
        rng = np.random.default_rng(2)
        seq = synthetic_sequence(rng, 60, hands="right")
        for _ in range(20):
            out = augment(seq, 48, rng)
            self.assertEqual(out.shape, (48, 258))
            self.assertFalse(np.any(out[:, 132:195]))  # the left hand never appears

    def test_mirror_moves_the_right_hand_to_the_left_slot_and_back(self):
        rng = np.random.default_rng(3)
        seq = synthetic_sequence(rng, 30, hands="right")
        m = mirror(seq, rng, 1.0)
        self.assertFalse(np.any(m[:, 195:258]))  # the right-hand slot is now empty
        seen = seq[:, 195] != 0
        np.testing.assert_allclose(m[seen, 132], 1.0 - seq[seen, 195], atol=1e-6)  # wrist x mirrored
        self.assertFalse(np.any(m[~seen, 132:195]))  # absent stays absent (zeros, not 1 - 0)
        np.testing.assert_allclose(m[:, 11 * 4], 1.0 - seq[:, 12 * 4], atol=1e-6)  # shoulders trade places
        np.testing.assert_allclose(mirror(m, rng, 1.0), seq, atol=1e-6)
        self.assertIs(mirror(seq, rng, 0.0), seq)


if __name__ == "__main__":
    unittest.main()
