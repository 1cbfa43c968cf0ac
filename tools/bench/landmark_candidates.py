#!/usr/bin/python3
"""Speed and accuracy of the cheaper landmark options (issue 10 item 3), each beside the unchanged
pipeline, in one run:

  speed     `sueo bench landmarks --json`: wall and thread-CPU medians of a tracked frame (thread CPU
            time is what a busy machine disturbs least; callgrind cannot stand in here: under valgrind
            XNNPACK loses its AVX-512 kernels and runs ~1000× slower);
  landmarks `sueo extract` of every clip, RMS of x, y against the unchanged options on the frames where
            both find the part, and how often the parts' presence agrees;
  words     `sueo recognize` of every clip with the same classifier (the page's JPEGs through the
            server's path) and `sueo eval` of the extracted landmarks: accuracy on all clips and on the
            held-out test signers (11, 12, 13, models/splits.json; the shipped model was trained on
            everyone but 11, so only signer 11 is truly unseen by it).

    /usr/bin/python3 tools/bench/landmark_candidates.py \\
        --clips '../shared/data/ksl77/videos/c0[1347]_*_s[0-9]*.mp4' ... [--variants base,crop,...]

Prints a Markdown table and, last, one JSON line. Offline tooling: not part of the product.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Each candidate as command-line options of sueo (the same rows in serve, recognize, extract, bench).
VARIANTS = {
    "base": [],
    "every2": ["--landmark-every", "2"],
    "track": ["--hand-recrop", "tracked"],
    "lite_hands": ["--hand-model", "lite"],
    "lite_pose": ["--pose-model", "lite"],
    "lite_both": ["--pose-model", "lite", "--hand-model", "lite"],
    "lite_track": ["--pose-model", "lite", "--hand-model", "lite", "--hand-recrop", "tracked"],
    # Together: what the capacity bench runs as the cheaper server.
    "every2_track": ["--landmark-every", "2", "--hand-recrop", "tracked"],
    "every2_track_lite_hands": ["--landmark-every", "2", "--hand-recrop", "tracked", "--hand-model", "lite"],
    # The pose on every second frame only, the hands tracked in between (HOLISTIC.md, "--pose-every N").
    "pose2_track": ["--pose-every", "2", "--hand-recrop", "tracked"],
    # bf16 needs a CPU with AVX512_BF16 (sueo refuses it elsewhere).
    "bf16_track": ["--landmark-precision", "bf16", "--hand-recrop", "tracked"],
    "bf16_pose2_track": ["--landmark-precision", "bf16", "--pose-every", "2", "--hand-recrop", "tracked"],
}
HELD_OUT = {"11", "12", "13"}
SIGNER = re.compile(r"_s(\d+)_")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "SUEO_HOME": REPO}, **kw)


def landmark_options(opts):
    """The options that change the landmarks themselves (extract and bench take no --landmark-every)."""
    out, skip = [], False
    for i, o in enumerate(opts):
        if skip:
            skip = False
            continue
        if o == "--landmark-every":
            skip = True
            continue
        out.append(o)
    return out


def every_of(opts):
    return int(opts[opts.index("--landmark-every") + 1]) if "--landmark-every" in opts else 1


def speed(sueo, opts, runs):
    line = run([sueo, "bench", "landmarks", "--reference", "0", "--runs", str(runs), "--json", *landmark_options(opts)])
    summary = json.loads(line.stdout.strip().splitlines()[-1])
    every = every_of(opts)
    # Landmarks on every N-th frame: a stream's landmark cost per received frame divides by N.
    return {"frame_ms": summary["frame_ms_median"], "frame_cpu_ms": summary["frame_cpu_ms_median"],
            "per_stream_frame_cpu_ms": summary["frame_cpu_ms_median"] / every,
            "recrops_per_frame": summary.get("hand_recrops_per_frame")}


def extract(sueo, opts, clips, out, base_every, jobs):
    every = base_every * every_of(opts)
    run([sueo, "extract", "--every", str(every), "--jobs", str(jobs), "--out", out, *landmark_options(opts), *clips])
    data = np.load(out)
    return data["X"], data["lengths"]


def landmark_diff(base, variant, step):
    """RMS of x, y (normalised) per part where both find it, and presence agreement, on common frames."""
    (bx, bl), (vx, vl) = base, variant
    parts = {"pose": (0, 33, 4), "left": (132, 21, 3), "right": (195, 21, 3)}
    out = {}
    for name, (offset, points, stride) in parts.items():
        sq, n, agree, frames = 0.0, 0, 0, 0
        for i in range(len(bl)):
            b = bx[i, :bl[i]:step][: vl[i]]
            v = vx[i, :vl[i]][: len(b)]
            cols = [offset + p * stride + k for p in range(points) for k in (0, 1)]
            bp, vp = b[:, cols], v[:, cols]
            b_present = np.any(bp != 0, axis=1)
            v_present = np.any(vp != 0, axis=1)
            both = b_present & v_present
            sq += float(np.sum((bp[both] - vp[both]) ** 2))
            n += int(both.sum()) * len(cols)
            agree += int(np.sum(b_present == v_present))
            frames += len(b)
        out[name] = {"rms": (sq / n) ** 0.5 if n else None, "presence_agree": agree / frames if frames else None}
    return out


def evaluate(sueo, model, npz, clips, tmp):
    """`sueo eval` of the variant's landmarks (labels from the file names): all clips and the held-out signers."""
    data = np.load(npz)
    names = [os.path.basename(c) for c in clips]
    labels = np.array([re.match(r"c\d+_(.+)_s\d+_", n).group(1) for n in names])
    held = np.array([SIGNER.search(n).group(1) in HELD_OUT for n in names])
    out = {}
    for key, keep in (("all", np.ones(len(names), bool)), ("held_out", held)):
        path = os.path.join(tmp, f"eval-{key}.npz")
        np.savez(path, X=data["X"][keep], lengths=data["lengths"][keep], labels=labels[keep])
        proc = run([sueo, "eval", "--model", model, "--data", path])
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        out[key] = {"accuracy": summary["accuracy"], "n": summary["n"]}
    return out


def words(sueo, model, opts, clips, vocabulary, jobs):
    proc = subprocess.run([sueo, "recognize", "--model", model, "--jobs", str(jobs), *opts, *clips], capture_output=True, text=True,
                          env={**os.environ, "SUEO_HOME": REPO})
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    right = {"all": [0, 0], "held_out": [0, 0], "s11": [0, 0]}
    for line in lines:
        name = os.path.basename(line["file"])
        label = re.match(r"c\d+_(.+)_s\d+_", name).group(1)
        signer = SIGNER.search(name).group(1)
        ok = line.get("word") == vocabulary.get(label)
        for key, member in (("all", True), ("held_out", signer in HELD_OUT), ("s11", signer == "11")):
            if member:
                right[key][0] += ok
                right[key][1] += 1
    return {k: {"right": r, "clips": n} for k, (r, n) in right.items()}


def load_vocabulary(path):
    words = json.load(open(path))["words"]
    return {alias: w["word"] for w in words for alias in w.get("aliases", []) + [w["word"]]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    parser.add_argument("--model", default=os.path.join(REPO, "models", "sueo-ksl.onnx"))
    parser.add_argument("--clips", nargs="+", required=True, help="videos or globs (KSL-77 names: c<class>_<label>_s<signer>_<id>)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    parser.add_argument("--runs", type=int, default=3, help="timed passes of `sueo bench landmarks`")
    parser.add_argument("--jobs", type=int, default=1, help="clips at once in extract and recognize")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: speed, landmarks, words")
    args = parser.parse_args()
    clips = sorted({f for pattern in args.clips for f in glob.glob(pattern)})
    if not clips:
        sys.exit("no clip matches --clips")
    skip = set(filter(None, args.skip.split(",")))
    vocabulary = load_vocabulary(os.path.join(REPO, "models", "vocabulary.json"))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base_landmarks = None
        for name in args.variants.split(","):
            opts = VARIANTS[name]
            r = {"options": " ".join(opts) or "(MediaPipe's graph)"}
            if "speed" not in skip:
                r.update(speed(args.sueo, opts, args.runs))
            if "landmarks" not in skip:
                lm = extract(args.sueo, opts, clips, os.path.join(tmp, name + ".npz"), 2, args.jobs)
                if name == "base":
                    base_landmarks = lm
                r["eval"] = evaluate(args.sueo, args.model, os.path.join(tmp, name + ".npz"), clips, tmp)
                if base_landmarks is not None:
                    r["landmarks"] = landmark_diff(base_landmarks, lm, every_of(opts))
            if "words" not in skip:
                r["words"] = words(args.sueo, args.model, opts, clips, vocabulary, args.jobs)
            results[name] = r
            print(f"{name}: {json.dumps(r)}", file=sys.stderr, flush=True)
    print(f"{len(clips)} clips; load average {open('/proc/loadavg').read().strip()}")
    print("| candidate | frame ms (wall / CPU) | CPU ms per received frame | re-crops/frame "
          "| RMS x,y pose / left / right | presence agree | recognize: all / held-out 11–13 / signer 11 "
          "| eval: all / held-out |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        lm = r.get("landmarks", {})
        fmt = lambda v, d=4: "-" if v is None else f"{v:.{d}f}"
        rms = " / ".join(fmt(lm.get(p, {}).get("rms")) for p in ("pose", "left", "right")) if lm else "-"
        agree = " / ".join(fmt(lm.get(p, {}).get("presence_agree"), 3) for p in ("pose", "left", "right")) if lm else "-"
        w = r.get("words", {})
        acc = lambda k: f"{w[k]['right']}/{w[k]['clips']}" if k in w else "-"
        e = r.get("eval", {})
        ev = lambda k: f"{round(e[k]['accuracy'] * e[k]['n'])}/{e[k]['n']}" if k in e else "-"
        print(f"| {name} ({r['options']}) | {fmt(r.get('frame_ms'), 2)} / {fmt(r.get('frame_cpu_ms'), 2)} "
              f"| {fmt(r.get('per_stream_frame_cpu_ms'), 2)} "
              f"| {fmt(r.get('recrops_per_frame'), 2)} | {rms} | {agree} | {acc('all')} / {acc('held_out')} / {acc('s11')} "
              f"| {ev('all')} / {ev('held_out')} |")
    print(json.dumps({"bench": "landmark_candidates", "clips": len(clips), "results": results,
                      "loadavg": open('/proc/loadavg').read().strip()}))


if __name__ == "__main__":
    main()
