#!/usr/bin/env python3
"""Writes a `git fast-import` stream: a long, deterministic history built from real source text.

Used by scripts/make-corpus.sh. The history adds the files of a source tree crate by crate,
then edits, copies, moves and deletes them over many commits, on several branches with merges
and tags, and plants fake credentials at known places. The planted list goes to --planted as
TSV (commit number, ref, path, rule, what happens to it later).
"""

import argparse
import os
import random
import sys

# Fake credentials in the shapes of the Enclii audit. Each is (path, content, rule).
PLANTED = [
    ("infra/k8s/base/secrets.yaml",
     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: enclii\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n",
     "kubernetes.secret-data"),
    ("infra/k8s/base/postgres.yaml",
     "env:\n- name: POSTGRES_PASSWORD\n  value: postgres\n", "kubernetes.env-value"),
    ("infra/k8s/base/redis.yaml",
     "command: [\"redis-server\", \"--requirepass\", \"redis_dev\"]\n", "database.redis-requirepass-flag"),
    ("deploy/.env", "POSTGRES_PASSWORD=enclii_dev\n", "generic.env-password"),
    ("deploy/jwt.yaml", "JWT_SECRET: replace-me-with-a-real-key\n", "jwt.signing-key"),
    ("scripts/push.sh", "docker login ghcr.io -u bot -p Corpu5RegistryT0ken\n", "registry.docker-login"),
    ("ci/github.env", "GITHUB_TOKEN=ghp_C0rpusT0kenAbcdefghijklmnopqrstuvw12\n", "vcs.github-pat"),
    ("ci/gitlab.env", "CI_TOKEN=glpat-C0rpusT0kenAbcdefghij\n", "vcs.gitlab-pat"),
    ("backup/aws.env", "aws_access_key_id = AKIAZ3MEXQNT7PLUS4WQ\n", "cloud.aws-access-key-id"),
    ("config/database.yml", "production:\n  url: postgres://app:C0rpusDbPass@db:5432/app\n", "database.postgres-url"),
    ("keys/deploy.pem",
     "-----BEGIN RSA PRIVATE KEY-----\n"
     "MIIEpAIBAFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5\n"
     "OAuO2yJKaySKHpJOj9CuLhqUkqMwXxiMthCQD540f66IbcZQd5XsdFxMP8sussc+\n"
     "-----END RSA PRIVATE KEY-----\n", "keys.pem-private-key"),
    ("config/slack.yaml",
     "webhook: https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/C0rpusWebh00kAbcdefghij\n",
     "saas.slack-webhook"),
]


def text_files(root):
    """Every UTF-8-looking text file under root, sorted, as (relative path, bytes)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if len(data) > 256 * 1024 or b"\0" in data[:8192]:
                continue
            out.append((os.path.relpath(path, root), data))
    return out


class Stream:
    """A fast-import stream on stdout, with marks for commits."""

    def __init__(self, out):
        self.out = out
        self.mark = 0
        self.time = 1420070400  # 2015-01-01

    def write(self, b):
        self.out.write(b)

    def commit(self, ref, message, ops, parents=()):
        self.mark += 1
        self.time += 3600
        who = b"Corpus Author <corpus@enclii.dev> %d +0000\n" % self.time
        self.write(b"commit %s\nmark :%d\nauthor %scommitter %s" % (ref.encode(), self.mark, who, who))
        msg = message.encode()
        self.write(b"data %d\n%s\n" % (len(msg), msg))
        for i, p in enumerate(parents):
            self.write(b"%s :%d\n" % (b"from" if i == 0 else b"merge", p))
        for op in ops:
            if op[0] == "M":
                _, path, data = op
                self.write(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
                self.write(data)
                self.write(b"\n")
            elif op[0] == "D":
                self.write(b"D %s\n" % op[1].encode())
        self.write(b"\n")
        return self.mark

    def tag(self, name, mark, message=None):
        if message is None:
            self.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))
        else:
            who = b"Corpus Author <corpus@enclii.dev> %d +0000\n" % self.time
            msg = message.encode()
            self.write(b"tag %s\nfrom :%d\ntagger %sdata %d\n%s\n" % (name.encode(), mark, who, len(msg), msg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--planted", required=True)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    files = text_files(args.source)
    s = Stream(sys.stdout.buffer)
    tree = {}  # path -> bytes, on main
    planted_log = []
    import_commits = max(1, args.commits // 10)
    per_import = max(1, len(files) // import_commits + 1)
    plant_at = {int(args.commits * (i + 1) / (len(PLANTED) + 2)): i for i in range(len(PLANTED))}
    head = None
    branch_heads = {}
    paths = []
    words = [b"alpha", b"beta", b"gamma", b"delta", b"omega", b"kappa", b"sigma"]

    for n in range(args.commits):
        ops = []
        message = ""
        if n < import_commits and files:
            batch, files = files[:per_import], files[per_import:]
            for path, data in batch:
                tree[path] = data
                ops.append(("M", path, data))
            message = "import %s" % (batch[0][0].split(os.sep)[0] if batch else "")
        elif n in plant_at:
            path, content, rule = PLANTED[plant_at[n]]
            data = content.encode()
            tree[path] = data
            ops.append(("M", path, data))
            message = "add %s" % path
            fate = "kept"
            planted_log.append([n + 1, "refs/heads/main", path, rule, fate])
        else:
            roll = rng.random()
            if n % 500 == 0 or not paths:
                paths = sorted(tree.keys())
            if not paths:
                continue
            path = paths[rng.randrange(len(paths))]
            if path not in tree:
                continue
            data = tree[path]
            if roll < 0.80:
                lines = data.split(b"\n")
                at = rng.randrange(len(lines) + 1)
                lines.insert(at, b"// revision %d: %s" % (n, rng.choice(words)))
                data = b"\n".join(lines)
                tree[path] = data
                ops.append(("M", path, data))
                message = "edit %s" % path
            elif roll < 0.88:
                stem, ext = os.path.splitext(path)
                new = "%s_copy%d%s" % (stem, n, ext)
                tree[new] = data
                ops.append(("M", new, data))
                message = "copy %s" % path
            elif roll < 0.95:
                new = os.path.join("moved", path)
                tree[new] = tree.pop(path)
                ops.append(("D", path))
                ops.append(("M", new, data))
                message = "move %s" % path
            else:
                # Delete; a planted secret deleted here stays in history only.
                del tree[path]
                ops.append(("D", path))
                message = "delete %s" % path
                for entry in planted_log:
                    if entry[2] == path and entry[4] == "kept":
                        entry[4] = "deleted at commit %d" % (n + 1)
        parents = (head,) if head else ()
        head = s.commit("refs/heads/main", message, ops, parents)
        # Branches every 2000 commits, merged back 500 commits later; some never merged.
        if n > import_commits and n % 2000 == 0:
            name = "refs/heads/feature-%d" % n
            bpath = "features/f%d.env" % n
            content = b"FEATURE_TOKEN=ghp_Branch%dToken%s\n" % (n, b"x" * (25 - len(str(n))))
            branch_heads[name] = s.commit(name, "feature %d" % n, [("M", bpath, content)], (head,))
            planted_log.append([n + 1, name, bpath, "vcs.github-pat", "branch"])
        if n > import_commits and n % 2000 == 500:
            name = "refs/heads/feature-%d" % (n - 500)
            if name in branch_heads and (n // 2000) % 2 == 0:
                head = s.commit("refs/heads/main", "merge %s" % name, [], (head, branch_heads[name]))
        if n > import_commits and n % 5000 == 0:
            s.tag("v%d.0" % (n // 5000), head, "release %d" % (n // 5000))
            s.tag("v%d.0-light" % (n // 5000), head)
    with open(args.planted, "w") as f:
        f.write("commit\tref\tpath\trule\tfate\n")
        for row in planted_log:
            f.write("\t".join(str(c) for c in row) + "\n")


if __name__ == "__main__":
    main()
