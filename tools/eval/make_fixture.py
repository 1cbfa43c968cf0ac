#!/usr/bin/python3
"""Copies some streams of a `sueo streams render` file into a small test fixture (same layout).

  /usr/bin/python3 tools/eval/make_fixture.py build-eval/tune.npz tests/data/streams/tune-sample.npz NAME...

Clip paths in the truth are reduced to file names: the fixture holds landmarks only.
"""
import json
import os
import sys

import numpy as np


def main():
    src, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    d = np.load(src)
    with open(src + ".json", encoding="utf-8") as f:
        truth = {t["name"]: t for t in json.load(f)}
    all_names = [str(n) for n in d["names"]]
    X, t_ms, offsets, aspect, kept = [], [], [0], [], []
    for name in names:
        i = all_names.index(name)
        a, b = d["offsets"][i], d["offsets"][i + 1]
        X.append(d["X"][a:b])
        t_ms.append(d["t_ms"][a:b])
        offsets.append(offsets[-1] + (b - a))
        aspect.append(d["aspect"][i])
        t = dict(truth[name])
        for s in t.get("signs", []):
            s["clip"] = os.path.basename(s["clip"])
        kept.append(t)
    np.savez_compressed(out, X=np.concatenate(X).astype(np.float32), t_ms=np.concatenate(t_ms).astype(np.float32),
                        offsets=np.array(offsets, dtype=np.int32), names=np.array(names),
                        aspect=np.array(aspect, dtype=np.float32))
    with open(out + ".json", "w", encoding="utf-8") as f:
        json.dump(kept, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
