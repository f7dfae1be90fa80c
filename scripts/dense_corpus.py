#!/usr/bin/env python3
"""Writes a `git fast-import` stream: the shape of an infrastructure repository's history.

Used by scripts/make-dense-corpus.sh. A few large, keyword-dense YAML files (Helm values with a
`password`, `secret`, `token` or `key` on every other line, mostly empty or references, some of
them real-looking credentials), a Kubernetes Secret, a PEM key and a `.env`, edited a few lines
at a time over thousands of commits. Every commit is also a pull-request ref
(`refs/pull/N/head`), as on a hosting mirror, and every hundredth is tagged. Packed with a deep
delta window, nearly every version of a file is a small delta of another.
"""

import argparse
import random
import sys

WORDS = ["grafana", "loki", "tempo", "mimir", "alloy", "agent", "gateway", "ingester",
         "querier", "compactor", "distributor", "ruler", "memcached", "minio", "redis",
         "postgres", "oauth", "smtp", "ldap", "s3", "gcs", "azure", "admin", "api", "ui"]
KEYS = ["password", "secret", "token", "apiKey", "accessKey", "secretKey", "clientSecret",
        "existingSecret", "passwordKey", "tokenFile", "secretName", "authToken"]
EMPTY = ['""', "", "~", '"changeme"', "${PASSWORD}", '"{{ .Values.global.password }}"',
         "/var/run/secrets/token", "my-secret", "null"]
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def credential(rng):
    kind = rng.randrange(4)
    body = "".join(rng.choice(ALNUM) for _ in range(24))
    if kind == 0:
        return '"Zq' + body + '"'
    if kind == 1:
        return "ghp_" + body + "".join(rng.choice(ALNUM) for _ in range(12))
    if kind == 2:
        return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    return "postgres://app:" + body[:14] + "@db:5432/app"


def line(rng, secret_rate):
    indent = "  " * rng.randrange(1, 4)
    word = rng.choice(WORDS)
    if rng.random() < 0.5:
        return f"{indent}{word}: {rng.choice(['true', 'false', '1', 'info', 'ClusterIP', '8080'])}"
    key = word + rng.choice(KEYS)[0].upper() + rng.choice(KEYS)[1:]
    value = credential(rng) if rng.random() < secret_rate else rng.choice(EMPTY)
    return f"{indent}{key}: {value}"


class Stream:
    def __init__(self, out):
        self.out = out
        self.mark = 0

    def blob(self, data):
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)))
        self.out.write(data + b"\n")
        return self.mark

    def commit(self, ref, n, message, files, parent):
        self.mark += 1
        when = 1_600_000_000 + n * 600
        msg = message.encode()
        self.out.write(b"commit %s\nmark :%d\n" % (ref.encode(), self.mark))
        self.out.write(b"author Dev <dev@example.com> %d +0000\n" % when)
        self.out.write(b"committer Dev <dev@example.com> %d +0000\n" % when)
        self.out.write(b"data %d\n%s\n" % (len(msg), msg))
        if parent:
            self.out.write(b"from :%d\n" % parent)
        for path, mark in files:
            self.out.write(b"M 100644 :%d %s\n" % (mark, path.encode()))
        self.out.write(b"\n")
        return self.mark


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=6)
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout.buffer
    s = Stream(out)

    docs = {}
    for f in range(args.files):
        docs[f"charts/{WORDS[f]}/values.yaml"] = [line(rng, 0.004) for _ in range(args.lines)]
    docs["deploy/secret.yaml"] = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: app",
                                  "data:", "  DB_PASSWORD: c2VjcmV0LXBhc3N3b3JkLTE="]
    docs["deploy/.env"] = ["LOG_LEVEL=info", "API_TOKEN=" + credential(rng).strip('"')]
    key = ["-----BEGIN RSA PRIVATE KEY-----"] + [
        "".join(rng.choice(ALNUM) for _ in range(64)) for _ in range(20)
    ] + ["-----END RSA PRIVATE KEY-----"]
    docs["keys/deploy.pem"] = key
    marks = {}

    def write(path):
        marks[path] = s.blob(("\n".join(docs[path]) + "\n").encode())

    for path in docs:
        write(path)
    head = None
    for n in range(args.commits):
        touched = []
        for _ in range(rng.randrange(1, 3)):
            path = rng.choice(list(docs))
            lines = docs[path]
            op = rng.random()
            at = rng.randrange(len(lines))
            if path == "keys/deploy.pem":
                lines[rng.randrange(1, len(lines) - 1)] = "".join(rng.choice(ALNUM) for _ in range(64))
            elif path == "deploy/secret.yaml":
                lines.append(f"  KEY_{n}: " + "".join(rng.choice(ALNUM) for _ in range(16)) + "=")
                if len(lines) > 40:
                    del lines[6]
            elif op < 0.5:
                lines[at] = line(rng, 0.01)
            elif op < 0.75:
                lines[at:at] = [line(rng, 0.01) for _ in range(rng.randrange(1, 6))]
            elif len(lines) > 10:
                del lines[at:at + rng.randrange(1, 4)]
            touched.append(path)
        for path in set(touched):
            write(path)
        files = sorted(marks.items()) if n == 0 else [(p, marks[p]) for p in sorted(set(touched))]
        head = s.commit("refs/heads/main", n, f"change {n}", files, head)
        out.write(b"reset refs/pull/%d/head\nfrom :%d\n\n" % (n, head))
        if n % 100 == 0:
            out.write(b"reset refs/tags/v%d\nfrom :%d\n\n" % (n, head))


if __name__ == "__main__":
    main()
