#!/usr/bin/python3
"""Grid search of the spotter's settings on the `tune` part of the spotting evaluation (never `test`).

  /usr/bin/python3 tools/eval/sweep_spotter.py [--grid 'start-speed=0.7,0.9 end-speed=0.35,0.45 ...']

Each setting is scored by `sueo streams read` on build-eval/tune.npz (render it first with
tools/eval/streams render tune): objective = padded windows right (fraction) + chained-sign F1
- 0.1 x idle false words per 10 minutes. Prints one line per setting, best last.
"""
import argparse
import itertools
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import importlib.machinery  # noqa: E402
import importlib.util  # noqa: E402

loader = importlib.machinery.SourceFileLoader("streams_cli", os.path.join(HERE, "streams"))
spec = importlib.util.spec_from_loader("streams_cli", loader)
streams_cli = importlib.util.module_from_spec(spec)
loader.exec_module(streams_cli)
import streams_score  # noqa: E402

DEFAULT_GRID = ("start-speed=0.7,0.9,1.1 end-speed=0.35,0.45,0.6 end-seconds=0.35,0.45 "
                "min-travel=0.25,0.4")


def objective(f):
    p, r = f["chain_precision"], f["chain_recall"]
    f1 = 2 * p * r / (p + r) if p + r else 0
    return f["window_right"] / max(1, f["windows"]) + f1 - 0.1 * f["idle_false_per_10min"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", default=DEFAULT_GRID)
    a = ap.parse_args()
    npz = os.path.join(streams_cli.OUT, "tune.npz")
    axes = [(k, v.split(",")) for k, v in (item.split("=") for item in a.grid.split())]
    rows = []
    for values in itertools.product(*[v for _, v in axes]):
        options = [x for (k, _), v in zip(axes, values) for x in (f"--{k}", v)]
        f = streams_score.score(streams_cli.read(npz, options))
        rows.append((objective(f), options, f))
        print(f"{objective(f):.3f}  {' '.join(options)}  windows {f['window_right']}/{f['windows']}  "
              f"chain P/R {f['chain_precision']:.2f}/{f['chain_recall']:.2f}  idle {f['idle_false_words']}  "
              f"oov rejected {f['oov_rejected']}/{f['oov_windows']}", flush=True)
    rows.sort(key=lambda r: r[0])
    print("best:", " ".join(rows[-1][1]))


if __name__ == "__main__":
    main()
