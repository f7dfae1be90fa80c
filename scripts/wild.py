#!/usr/bin/env python3
"""Measure scour on real repositories: the shared corpora and labelled CredData.

usage: scripts/wild.py [--scour BIN] [--corpora DIR] [--work DIR] [--check]
       scripts/wild.py [--scour BIN] --debian TREES [--check]

Unpacks ../shared/corpora/*.tar.xz into the work directory (once), scans each precision
corpus at the default confidence, and joins the findings with tests/wild/labels.tsv
(corpus, path, line, label, reason; label is `real` or `not`). Prints, per corpus, the
findings, how many are labelled real or not, and the precision (real / reported, unlabelled
findings counted as not real); then every finding that has no label yet, without its secret.
Then the CredData-dev score (`score.py --x-as ignore`) and the recall fixtures of fake-leaks.

--debian TREES scans instead each folder of TREES (the upstream sources that
scripts/wild-debian.sh fetches) as its own root and joins the findings with
tests/wild/debian-labels.tsv; --check then exits 1 when a finding labelled real is no longer
reported or a finding has no label.

--check exits 1 when a finding labelled real is no longer reported, when the precision
over all corpora falls below the floor written in labels.tsv (`# floor: 0.NN`), or when fewer
fake-leaks files have a finding than its recall floor there (`# fake-leaks floor: N`).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LABELS = os.path.join(REPO, "tests", "wild", "labels.tsv")
DEBIAN_LABELS = os.path.join(REPO, "tests", "wild", "debian-labels.tsv")
# Precision corpora: the top folder each tarball unpacks to.
PRECISION = {
    "charts.tar.xz": "charts",
    "grafana-helm-charts.tar.xz": "grafana-helm-charts",
    "kubernetes-examples.tar.xz": "examples",
    "microservices-demo.tar.xz": "microservices-demo",
    "terraform-aws-rds.tar.xz": "terraform-aws-rds",
    "requests.tar.xz": "requests",
    "curl.tar.xz": "curl",
}


def unpack(corpora, work):
    os.makedirs(work, exist_ok=True)
    for name in sorted(os.listdir(corpora)):
        if not name.endswith(".tar.xz"):
            continue
        marker = os.path.join(work, "." + name + ".done")
        if os.path.exists(marker):
            continue
        with tarfile.open(os.path.join(corpora, name)) as t:
            t.extractall(work, filter="data")
        open(marker, "w").close()


def scan(scour, cwd, args):
    out = subprocess.run([scour, "scan", *args, "--format", "jsonl"], cwd=cwd,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"wild: scour failed in {cwd}: {out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def load_labels(path=LABELS):
    """The labels, the precision floor and the fake-leaks recall floor of a labels file."""
    labels, floor, recall_floor = {}, 0.0, 0
    with open(path, newline="") as fh:
        for row in fh:
            if row.startswith("# floor:"):
                floor = float(row.split(":", 1)[1])
            if row.startswith("# fake-leaks floor:"):
                recall_floor = int(row.split(":", 1)[1])
        fh.seek(0)
        rows = csv.reader((r for r in fh if not r.startswith("#")), delimiter="\t")
        for corpus, path, line, label, reason in rows:
            if label not in ("real", "not") or not reason.strip():
                sys.exit(f"wild: bad label row {corpus} {path}:{line}: {label!r} {reason!r}")
            labels[(corpus, path, int(line))] = label
    return labels, floor, recall_floor


def precision_corpora(scour, work, labels, corpora=PRECISION.values(), own_root=False):
    """Scans each corpus folder of `work` (from `work`, or from inside it with `own_root`)
    and prints its findings against the labels; returns the precision and the lost reals."""
    seen, unlabelled, missing = set(), [], []
    total = {"findings": 0, "real": 0, "not": 0}
    print(f"{'corpus':22} {'findings':>8} {'real':>5} {'not':>5} {'unlab':>5} {'precision':>9}")
    for corpus in corpora:
        if not os.path.isdir(os.path.join(work, corpus)):
            continue
        if own_root:
            found = scan(scour, os.path.join(work, corpus), ["--no-config", "."])
        else:
            found = scan(scour, work, [corpus])
        counts = {"real": 0, "not": 0, "unlabelled": 0}
        for f in found:
            key = (corpus, f["path"], f["line"])
            seen.add(key)
            label = labels.get(key)
            counts[label or "unlabelled"] += 1
            if label is None:
                unlabelled.append(f"{corpus}  {f['path']}:{f['line']}  {f['rule']}  {f['confidence']}  {f['reason']}")
        n = len(found)
        shown = f"{counts['real'] / n:.3f}" if n else "-"
        print(f"{corpus:22} {n:8} {counts['real']:5} {counts['not']:5} {counts['unlabelled']:5} {shown:>9}")
        total["findings"] += n
        total["real"] += counts["real"]
        total["not"] += counts["not"]
    for key, label in labels.items():
        if label == "real" and key not in seen:
            missing.append(f"{key[0]}  {key[1]}:{key[2]}")
    n = total["findings"]
    precision = total["real"] / n if n else 1.0
    print(f"{'all':22} {n:8} {total['real']:5} {total['not']:5} {n - total['real'] - total['not']:5} {precision:9.3f}")
    if unlabelled:
        print("\nfindings without a label (add them to tests/wild/labels.tsv):")
        print("\n".join("  " + u for u in unlabelled))
    if missing:
        print("\nlabelled real but no longer reported:")
        print("\n".join("  " + m for m in missing))
    return precision, missing, len(unlabelled)


def creddata(scour, work):
    root = os.path.join(work, "creddata-dev")
    if not os.path.isdir(root):
        return
    found = subprocess.run([scour, "scan", "data", "--no-ignore", "--format", "jsonl"], cwd=root,
                           capture_output=True, text=True).stdout
    path = os.path.join(work, "creddata-findings.jsonl")
    with open(path, "w") as fh:
        fh.write(found)
    score = subprocess.run([sys.executable, "score.py", path, "--x-as", "ignore"], cwd=root,
                           capture_output=True, text=True).stdout.splitlines()
    print("\nCredData-dev (score.py --x-as ignore):")
    print("\n".join("  " + line for line in score[1:4]))


def fake_leaks(scour, work):
    root = os.path.join(work, "fake-leaks")
    if not os.path.isdir(root):
        return
    files = {os.path.relpath(os.path.join(d, n), work)
             for d, _, names in os.walk(root) if "/.git" not in d for n in names}
    found = {f["path"] for f in scan(scour, work, ["fake-leaks", "--no-ignore"])}
    print(f"\nfake-leaks (recall fixtures): {len(found & files)} of {len(files)} files have a finding")
    return len(found & files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scour", default=os.path.join(REPO, "target", "release", "scour"))
    ap.add_argument("--corpora", default=os.path.join(REPO, "..", "shared", "corpora"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "scour-wild"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--debian", metavar="TREES")
    args = ap.parse_args()
    if args.debian:
        labels, _, _ = load_labels(DEBIAN_LABELS)
        trees = sorted(os.listdir(args.debian))
        _, missing, unlabelled = precision_corpora(args.scour, args.debian, labels, trees, True)
        if args.check and (missing or unlabelled):
            sys.exit(f"wild: {len(missing)} real finding(s) lost, {unlabelled} without a label")
        return
    unpack(args.corpora, args.work)
    labels, floor, recall_floor = load_labels()
    precision, missing, _ = precision_corpora(args.scour, args.work, labels)
    if args.check:
        recalled = fake_leaks(args.scour, args.work)
        if missing or precision < floor:
            sys.exit(f"wild: precision {precision:.3f} (floor {floor}), {len(missing)} real finding(s) lost")
        if recalled is not None and recalled < recall_floor:
            sys.exit(f"wild: {recalled} fake-leaks files have a finding (floor {recall_floor})")
        return
    creddata(args.scour, args.work)
    fake_leaks(args.scour, args.work)


if __name__ == "__main__":
    main()
