#!/usr/bin/env python3
"""Train scour's learned filter (patterns/model.json) on labelled real code.

usage: scripts/train-model.py [--scour BIN] [--corpora DIR] [--work DIR] [--folds N] [--write]

Samples are every candidate scour reports at `--min-confidence low` with SCOUR_FEATURES=1
(the features are computed by scour itself, so training and inference cannot drift apart):
- CredData-dev (../shared/corpora/creddata-dev.tar.xz): a candidate on a T row is positive; on
  an F row, or on a line with no row, negative (as score.py counts it); on an X row only
  (template, example, placeholder) it is left out, as `score.py --x-as ignore` does.
- the precision corpora: tests/wild/labels.tsv says real or not; a candidate with no label was
  never reported at default confidence, and counts as not real.

The model is an L2-regularised logistic regression over binary features, fitted by batch
gradient descent in plain Python (no dependencies). Thresholds: `medium` is the lowest
probability at which cross-validated precision on CredData-dev (folds by repository) and
precision on the labelled corpora both stay >= the target; `high` keeps 0.97 precision.
It prints the cross-validated score per fold and overall, then the in-sample score, and with
--write replaces patterns/model.json.
"""
import argparse
import csv
import glob
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import wild  # noqa: E402  (unpacking and the corpora's names)

MIN_COUNT = int(os.environ.get("SCOUR_TRAIN_MIN_COUNT", "3"))
L2 = float(os.environ.get("SCOUR_TRAIN_L2", "1.0"))
# Our own labels of the shared corpora are few next to CredData's, and they are the judgement
# a user makes of deployable configuration; they weigh more than one CredData row each.
CORPORA_WEIGHT = 10.0
TARGET_PRECISION = 0.90
HIGH_PRECISION = 0.97


def run_scour(scour, cwd, target):
    env = dict(os.environ, SCOUR_FEATURES="1")
    out = subprocess.run([scour, "scan", target, "--no-ignore", "--min-confidence", "low",
                          "--format", "jsonl"], cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"train: scour failed in {cwd}: {out.stderr.strip()[:300]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def weighed(finding):
    """Whether the model decides the finding (distinctive formats are high anywhere, and
    vendored code's other values low)."""
    return "model " in finding["reason"]


def shown(finding):
    """Whether scour shows the finding by default (what a finding the model does not weigh,
    a format or a value in vendored code, stays at)."""
    return finding["confidence"] in ("medium", "high")


def creddata_samples(scour, root):
    rows = defaultdict(list)
    for f in glob.glob(os.path.join(root, "meta", "*.csv")):
        repo = os.path.basename(f)[:-4]
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                rows[r["FilePath"]].append(r)
    samples = []
    for f in run_scour(scour, root, "data"):
        path = f["path"]
        repo = path.split("/")[1]
        hit = set()
        for r in rows.get(path, []):
            if not int(r["LineStart"]) <= f["line"] <= int(r["LineEnd"]):
                continue
            vs, ve = r["ValueStart"], r["ValueEnd"]
            if vs not in ("", None) and ve not in ("", None) and int(r["LineStart"]) == int(r["LineEnd"]):
                if not (f["value_start"] < int(ve) and int(vs) < f["value_end"]):
                    continue
            hit.add(r["GroundTruth"])
        if "T" in hit:
            label = 1
        elif "F" in hit or not hit:
            label = 0
        else:
            continue  # X only: neither true nor false
        samples.append({"x": f["features"], "y": label, "group": repo, "src": "creddata",
                        "row": (path, f["line"]), "fixed": not weighed(f), "shown": shown(f)})
    return samples


def corpora_samples(scour, work):
    labels, _, _ = wild.load_labels()
    samples = []
    for corpus in wild.PRECISION.values():
        if not os.path.isdir(os.path.join(work, corpus)):
            continue
        for f in run_scour(scour, work, corpus):
            label = labels.get((corpus, f["path"], f["line"]))
            samples.append({"x": f["features"], "y": 1 if label == "real" else 0,
                            "group": corpus, "src": "corpora", "row": (f["path"], f["line"]),
                            "labelled": label is not None, "fixed": not weighed(f),
                            "shown": shown(f)})
    return samples


def fit(samples, vocab, iters=150, rate=0.3):
    samples = [s for s in samples if not s["fixed"]]
    index = {name: i for i, name in enumerate(vocab)}
    xs = [[index[n] for n in set(s["x"]) if n in index] for s in samples]
    ys = [s["y"] for s in samples]
    # Positives and negatives weigh alike overall; corpora labels weigh as much as CredData.
    n_pos = sum(ys) or 1
    n_neg = (len(ys) - sum(ys)) or 1
    ws = [(0.5 / n_pos if s["y"] else 0.5 / n_neg) * len(ys) * (CORPORA_WEIGHT if s.get("labelled") else 1.0)
          for s in samples]
    w = [0.0] * len(vocab)
    b = 0.0
    g2 = [1e-8] * len(vocab)
    gb2 = 1e-8
    for _ in range(iters):
        grad = [0.0] * len(vocab)
        gb = 0.0
        for x, y, sw in zip(xs, ys, ws):
            z = b + sum(w[i] for i in x)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            d = (p - y) * sw
            gb += d
            for i in x:
                grad[i] += d
        n = len(xs)
        for i in range(len(w)):
            g = grad[i] / n + L2 * w[i] / n
            g2[i] += g * g
            w[i] -= rate * g / math.sqrt(g2[i])
        gb /= n
        gb2 += gb * gb
        b -= rate * gb / math.sqrt(gb2)
    return b, {name: w[i] for name, i in index.items() if abs(w[i]) >= 0.01}


def prob(model, sample):
    if sample["fixed"]:
        return 1.0 if sample["shown"] else 0.0
    feats = sample["x"]
    b, w = model
    z = b + sum(w.get(n, 0.0) for n in set(feats))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def vocabulary(samples):
    counts = Counter(n for s in samples if not s["fixed"] for n in set(s["x"]))
    return sorted(n for n, c in counts.items() if c >= MIN_COUNT)


def hand_reports(sample):
    """Whether the hand-written confidence model alone would report the candidate."""
    return "hand:medium" in sample["x"] or "hand:high" in sample["x"]


def floor(sample):
    """The hand model's report that the model cannot overrule (confidence::floor): in
    deployable configuration, and for chosen or random values in code, outside comments."""
    x = set(sample["x"])
    if not hand_reports(sample) or "commented" in x or "net" in x:
        return False
    if "ctx:config" in x:
        return True
    return "ctx:code" in x and "strength:weak" not in x and "exemplary" not in x


def noted(sample):
    """A commented-out value that is not random-looking: low below the high threshold."""
    return "commented" in sample["x"] and "strength:strong" not in sample["x"]


def shown_to_a_reader(sample):
    """A weak or chosen value in documentation, an example, or a description field's text:
    low whatever the model says (why_not_live in src/finding.rs)."""
    x = sample["x"]
    return "strength:strong" not in x and (
        "ctx:docs" in x or "ctx:example" in x or "line:describes" in x)


def reports(p, sample, medium, keep, high=1.0):
    """The decision scour makes (src/detect/learned.rs, confidence::floor): the model is sure
    enough, or the hand model reports it and the model does not object, or the floor holds."""
    if shown_to_a_reader(sample):
        return False
    if noted(sample):
        return p >= high
    return p >= medium or hand_reports(sample) and p >= keep or floor(sample)


def row_score(scored, medium, keep, positives, high=1.0):
    """CredData-style rows score: distinct T rows hit, distinct negative lines hit."""
    hit = [(p, s) for p, s in scored if reports(p, s, medium, keep, high)]
    tp = {s["row"] for p, s in hit if s["y"] == 1}
    fp = {s["row"] for p, s in hit if s["y"] == 0} - tp
    precision = len(tp) / (len(tp) + len(fp)) if tp or fp else 1.0
    recall = len(tp) / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


GRID = [i / 20 for i in range(1, 20)]


def pick_thresholds(held, positives, corp, high, corpora_precision=True):
    """The (medium, keep) pair of best cross-validated F1 on CredData whose precision there and
    on the corpora stays >= the target, keeping every real finding of the corpora."""
    corp_pos = sum(s["y"] for s in corp[1])
    best = None
    for medium in GRID:
        for keep in [k for k in GRID if k <= medium]:
            p, r, f1 = row_score(held, medium, keep, positives, high)
            cp, cr, _ = row_score(corp[0], medium, keep, corp_pos, high)
            if p < TARGET_PRECISION or corpora_precision and cp < TARGET_PRECISION or cr < 1.0:
                continue
            if best is None or f1 > best[0]:
                best = (f1, medium, keep)
    return best


def t_rows(root):
    n = 0
    for f in glob.glob(os.path.join(root, "meta", "*.csv")):
        with open(f, newline="") as fh:
            n += sum(1 for r in csv.DictReader(fh) if r["GroundTruth"] == "T")
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scour", default=os.path.join(REPO, "target", "release", "scour"))
    ap.add_argument("--corpora", default=os.path.join(REPO, "..", "shared", "corpora"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "scour-wild"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--diagnose", action="store_true",
                    help="list the corpora's real findings and their strongest negatives, scored")
    a = ap.parse_args()
    wild.unpack(a.corpora, a.work)
    root = os.path.join(a.work, "creddata-dev")
    cd = creddata_samples(a.scour, root)
    corp = corpora_samples(a.scour, a.work)
    positives = t_rows(root)
    print(f"samples: CredData-dev {len(cd)} ({sum(s['y'] for s in cd)} on T rows), "
          f"corpora {len(corp)} ({sum(s['y'] for s in corp)} real); T rows {positives}")

    # Cross-validation on CredData by repository; the corpora always train.
    groups = sorted({s["group"] for s in cd})
    random.Random(7).shuffle(groups)
    fold_of = {g: i % a.folds for i, g in enumerate(groups)}
    held = []
    for k in range(a.folds):
        train = [s for s in cd if fold_of[s["group"]] != k] + corp
        test = [s for s in cd if fold_of[s["group"]] == k]
        model = fit(train, vocabulary(train))
        held += [(prob(model, s), s) for s in test]
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        p, r, f1 = row_score(held, t, t, positives)
        print(f"  cross-validated at {t:.2f}: P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    with open(os.path.join(REPO, "patterns", "model.json")) as fh:
        shipped = json.load(fh)
    p, r, f1 = row_score(held, shipped["medium"], shipped["keep"], positives, shipped["high"])
    print(f"  cross-validated at the shipped thresholds (patterns/model.json): "
          f"P {p:.3f} R {r:.3f} F1 {f1:.3f}")

    model = fit(cd + corp, vocabulary(cd + corp))
    scored_cd = [(prob(model, s), s) for s in cd]
    scored_corp = [(prob(model, s), s) for s in corp]
    # High: where the model alone keeps CredData's cross-validated precision at 0.97.
    high = min((t for t in GRID if row_score(held, t, 1.0, positives)[0] >= HIGH_PRECISION),
               default=0.95)
    picked = pick_thresholds(held, positives, (scored_corp, corp), high)
    if picked is None or a.diagnose:
        for p_, s in sorted(scored_corp, key=lambda ps: -ps[0]):
            if s["y"] == 1 or p_ >= 0.5:
                print(f"  {p_:.2f} {'REAL' if s['y'] else 'not '} {s['group']}:{s['row'][0]}:{s['row'][1]} "
                      + " ".join(n for n in s["x"] if n.startswith(("rule:", "ctx:", "strength", "hand"))))
    if picked is None:
        print("train: WARNING: no thresholds keep the corpora's precision; label what they report")
        picked = pick_thresholds(held, positives, (scored_corp, corp), high, corpora_precision=False)
    if picked is None:
        sys.exit("train: no thresholds keep CredData's precision and every real corpora finding")
    _, medium, keep = picked
    high = max(high, medium)
    p, r, f1 = row_score(held, medium, keep, positives, high)
    print(f"cross-validated (by repository) at medium {medium:.2f}, keep {keep:.2f}, high {high:.2f}: "
          f"P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    p, r, f1 = row_score(scored_cd, medium, keep, positives, high)
    print(f"in-sample CredData-dev: P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    p, r, _ = row_score(scored_corp, medium, keep, sum(s["y"] for s in corp), high)
    print(f"in-sample corpora: P {p:.3f} R {r:.3f}")
    b, w = model
    top = sorted(w.items(), key=lambda kv: -abs(kv[1]))[:25]
    print("heaviest features: " + ", ".join(f"{n} {v:+.2f}" for n, v in top))
    if a.write:
        out = {"bias": round(b, 4), "medium": medium, "keep": keep, "high": high,
               "weights": {n: round(v, 4) for n, v in sorted(w.items())}}
        with open(os.path.join(REPO, "patterns", "model.json"), "w") as fh:
            json.dump(out, fh, indent=0, sort_keys=True)
            fh.write("\n")
        print(f"wrote patterns/model.json: {len(w)} weights, medium {medium}, keep {keep}, high {high}")


if __name__ == "__main__":
    main()
