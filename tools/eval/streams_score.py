"""Figures of the spotting evaluation from `sueo streams read` output and the streams' truth.

A spotted word counts when its segment overlaps the true sign's frames and the word is right (each true
sign matched once). Definitions, per stream kind (tools/eval/streams_spec.py):
  window/rate  the window's word (the best-scoring named sign, as the server's `word`) is the true word
  chain        precision = right named signs / named signs; recall = true signs named right / true signs
  idle         false words = named signs; per 10 minutes of idle video
  oov          rejected = the window names no word
  latency      the spotter's wait for rest: `decided_ms` - the sign's last moving frame (`end_ms`), and
               `decided_ms` - the clip's last frame (capture time), for signs named right
"""
import numpy as np


def overlaps(answer, sign):
    return answer["first"] <= sign["last"] and answer["last"] >= sign["first"]


def match(answers, signs):
    """(right, wrong) named answers and the true signs matched, greedily in time order."""
    used = set()
    right, wrong = [], []
    for a in answers:
        if a["word"] is None:
            continue
        hit = next((i for i, s in enumerate(signs) if i not in used and overlaps(a, s) and s["label"] == a["word"]),
                   None)
        if hit is None:
            wrong.append(a)
        else:
            used.add(hit)
            right.append((a, signs[hit]))
    return right, wrong, used


def window_word(answers):
    named = [a for a in answers if a["word"] is not None]
    return max(named, key=lambda a: a["score"])["word"] if named else None


def named_at(answers, threshold):
    """The answers as the server would give them with --accept-score `threshold` (from a run at 0)."""
    out = []
    for a in answers:
        b = dict(a)
        score = a["score"] if a["word"] is not None else a.get("guess", {}).get("score", 0)
        if a["word"] is None or score < threshold:
            b["word"] = None
        out.append(b)
    return out


def score(pairs, verbose=False):
    f = {"window": {"n": 0, "right": 0, "by_signer": {}, "by_rest": {}, "no_word": 0, "several": 0},
         "rate": {"n": 0, "right": 0, "by_rate": {}},
         "chain": {"named": 0, "right": 0, "signs": 0, "found": 0},
         "idle": {"seconds": 0.0, "false_words": 0, "segments": 0, "by_rest": {}},
         "oov": {"n": 0, "rejected": 0, "reasons": {}},
         "latency_ms": [], "wait_ms": [], "landmarked": {}}
    for truth, line in pairs:
        kind, answers, signs = truth["kind"], line["answers"], truth["signs"]
        # Landmark CPU spent / CPU of every frame (--rest-fps, --landmark-every): the pose model on
        # every frame, a hand's two models (recrop + landmarks, about as costly as the pose model:
        # src/landmarks/HOLISTIC.md) on each frame where the pose sees that wrist.
        cost = truth.get("landmark_cost")
        cell = f["landmarked"].setdefault(kind, [0.0, 0.0])
        if cost is None:
            cell[0] += len(line.get("landmarked", range(line["frames"])))
            cell[1] += line["frames"]
        else:
            cell[0] += float(np.sum(cost[np.asarray(line.get("landmarked", range(len(cost))), dtype=int)]))
            cell[1] += float(np.sum(cost))
        if verbose:
            said = " ".join(f"{a['word'] or '(' + a['reason'] + ')'}@{a['first']}-{a['last']}" for a in answers)
            print(f"{truth['name']:44s} truth {' '.join(s['label'] + '@' + str(s['first']) + '-' + str(s['last']) for s in signs) or '-':30s} said {said}")
        right, wrong, used = match(answers, signs)
        for a, s in right:
            f["latency_ms"].append(a["decided_ms"] - s["end_ms"])
            f["wait_ms"].append(a["decided_ms"] - a["end_ms"])
        if kind in ("window", "rate"):
            ok = window_word(answers) == signs[0]["label"]
            g = f[kind]
            g["n"] += 1
            g["right"] += ok
            if kind == "window":
                for key, value in (("by_signer", truth.get("signer", "?")), ("by_rest", truth.get("rest", "?"))):
                    cell = g[key].setdefault(value, [0, 0])
                    cell[0] += ok
                    cell[1] += 1
                g["no_word"] += window_word(answers) is None
                g["several"] += sum(a["word"] is not None for a in answers) > 1
            else:
                key = truth["name"].split("/")[1]
                cell = g["by_rate"].setdefault(key, [0, 0])
                cell[0] += ok
                cell[1] += 1
        elif kind == "chain":
            g = f["chain"]
            g["named"] += len(right) + len(wrong)
            g["right"] += len(right)
            g["signs"] += len(signs)
            g["found"] += len(used)
        elif kind == "idle":
            g = f["idle"]
            seconds = truth["frames"] / truth["fps"]
            g["seconds"] += seconds
            g["false_words"] += len(wrong)
            g["segments"] += len(answers)
            cell = g["by_rest"].setdefault(truth.get("rest", "?"), [0, 0.0])
            cell[0] += len(wrong)
            cell[1] += seconds
        elif kind == "oov":
            g = f["oov"]
            g["n"] += 1
            rejected = window_word(answers) is None
            g["rejected"] += rejected
            for a in answers:
                key = a["word"] and "named" or a["reason"]
                g["reasons"][key] = g["reasons"].get(key, 0) + 1
            if not answers:
                g["reasons"]["no_sign"] = g["reasons"].get("no_sign", 0) + 1
    lat = np.array(f["latency_ms"]) if f["latency_ms"] else np.zeros(1)
    wait = np.array(f["wait_ms"]) if f["wait_ms"] else np.zeros(1)
    c, i = f["chain"], f["idle"]
    return {
        "window_right": f["window"]["right"], "windows": f["window"]["n"],
        "window_by_signer": f["window"]["by_signer"], "window_by_rest": f["window"]["by_rest"],
        "window_no_word": f["window"]["no_word"], "window_several_words": f["window"]["several"],
        "rate_right": f["rate"]["right"], "rate_windows": f["rate"]["n"], "rate_by": f["rate"]["by_rate"],
        "chain_precision": c["right"] / c["named"] if c["named"] else 0.0,
        "chain_recall": c["found"] / c["signs"] if c["signs"] else 0.0,
        "chain_signs": c["signs"],
        "idle_minutes": i["seconds"] / 60, "idle_false_words": i["false_words"],
        "idle_false_per_10min": i["false_words"] / (i["seconds"] / 600) if i["seconds"] else 0.0,
        "idle_segments": i["segments"], "idle_by_rest": i["by_rest"],
        "oov_rejected": f["oov"]["rejected"], "oov_windows": f["oov"]["n"], "oov_reasons": f["oov"]["reasons"],
        "decision_latency_ms_p50": float(np.percentile(lat, 50)), "decision_latency_ms_p95": float(np.percentile(lat, 95)),
        "landmarked_share": {k: v[0] / v[1] for k, v in f["landmarked"].items() if v[1]},
        "landmarked_share_all": sum(v[0] for v in f["landmarked"].values()) / max(1, sum(v[1] for v in f["landmarked"].values())),
        "rest_wait_ms_p50": float(np.percentile(wait, 50)), "rest_wait_ms_p95": float(np.percentile(wait, 95)),
    }


def print_figures(part, g):
    print(f"\nspotting evaluation, part '{part}'" + (" (held-out: never tuned on)" if part == "test" else " (tuning data)"))
    print(f"  padded single-sign windows right  {g['window_right']}/{g['windows']}   (no word {g['window_no_word']}, "
          f"several words {g['window_several_words']})")
    print("    by signer  " + "  ".join(f"s{k} {v[0]}/{v[1]}" for k, v in sorted(g["window_by_signer"].items())))
    print("    by rest    " + "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(g["window_by_rest"].items())))
    print(f"  other rates / drops right         {g['rate_right']}/{g['rate_windows']}   " +
          "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(g["rate_by"].items())))
    print(f"  chained signs precision / recall  {g['chain_precision']:.3f} / {g['chain_recall']:.3f}   ({g['chain_signs']} signs)")
    print(f"  idle video false words            {g['idle_false_words']} in {g['idle_minutes']:.1f} min = "
          f"{g['idle_false_per_10min']:.2f} per 10 min   (segments found {g['idle_segments']})")
    print(f"  unknown signs rejected            {g['oov_rejected']}/{g['oov_windows']}   {g['oov_reasons']}")
    print(f"  spotter's wait for rest ms p50/p95 {g['rest_wait_ms_p50']:.0f} / {g['rest_wait_ms_p95']:.0f}   "
          "(the sign's last moving frame -> the frame that ends it)")
    print(f"  landmark CPU (estimate)           {100 * g['landmarked_share_all']:.1f} % of every frame's   " +
          "  ".join(f"{k} {100 * v:.0f} %" for k, v in sorted(g["landmarked_share"].items())))
    print(f"  clip's last frame -> decision ms  {g['decision_latency_ms_p50']:.0f} / {g['decision_latency_ms_p95']:.0f}   "
          "(negative: decided before the clip's own end, which includes the hands going down)")


def curve(pairs, thresholds=None):
    thresholds = thresholds or [round(x, 2) for x in np.arange(0.0, 1.0001, 0.05)]
    rows = []
    for t in thresholds:
        known = accepted = right = oov = oov_accepted = 0
        idle_seconds = idle_false = 0.0
        for truth, line in pairs:
            answers = named_at(line["answers"], t)
            kind = truth["kind"]
            if kind in ("window", "rate", "chain"):
                r, _, used = match(answers, truth["signs"])
                known += len(truth["signs"])
                right += len(used)
                accepted += sum(1 for s in truth["signs"] if any(a["word"] and overlaps(a, s) for a in answers))
            elif kind == "oov":
                oov += 1
                oov_accepted += window_word(answers) is not None
            elif kind == "idle":
                idle_seconds += truth["frames"] / truth["fps"]
                idle_false += sum(a["word"] is not None for a in answers)
        rows.append({"threshold": t, "known_accepted": accepted / known if known else 0,
                     "known_right": right / known if known else 0,
                     "oov_false_accept": oov_accepted / oov if oov else 0,
                     "idle_false_per_10min": idle_false / (idle_seconds / 600) if idle_seconds else 0})
    return rows


def print_curve(part, rows):
    print(f"\naccept-score curve, part '{part}'" + (" (held-out)" if part == "test" else " (tuning data)"))
    print("  threshold  known accepted  known right  unknown accepted  idle false words / 10 min")
    for r in rows:
        print(f"  {r['threshold']:9.2f}  {r['known_accepted']:14.3f}  {r['known_right']:11.3f}  "
              f"{r['oov_false_accept']:16.3f}  {r['idle_false_per_10min']:10.2f}")
