//! Hostile pushes: real `git push` into a bare repository whose pre-receive hook is scour,
//! wrapped in `/usr/bin/time` to read its peak memory and wall time. Whatever a push holds (a
//! 200 MB blob, a 50 MB line, 100,000 tree entries, 100-level paths, paths that are not UTF-8
//! or hold newlines, symlinks and submodules, a 1 MB message, base64 nested past the decoder's
//! depth, archives of a secret), the hook answers within `--timeout` + 1 s and 1 GiB, and its
//! verdict is the one expected (a rejection on timeout counts as an answer where the scan may
//! not finish in time).
//!
//! The big inputs are streamed into `git fast-import`, never built by slow loops of `git add`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::server::{push, stderr, Server};
use common::Repo;

const TIMEOUT_SECS: u64 = 4;
const MAX_RSS_KIB: u64 = 1024 * 1024;
const SECRET_LINE: &str = "DB_PASSWORD=s3cr3tDbPass1\n";
const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

/// What the hook must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accept,
    /// Rejected for a secret it names.
    Reject,
    /// Rejected, for the secret or because the scan did not finish in time.
    RejectOrTimeout,
}

/// A `git fast-import` stream being written into a client, on a branch of its own.
struct Import {
    child: std::process::Child,
    marks: usize,
}

impl Import {
    fn start(client: &Repo) -> Import {
        let child = Command::new("git")
            .args(["fast-import", "--quiet", "--force"])
            .current_dir(client.path())
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import runs");
        Import { child, marks: 0 }
    }

    fn out(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("piped")
    }

    /// A blob of `len` bytes written by `fill`; returns its mark.
    fn blob(&mut self, len: usize, fill: impl FnOnce(&mut dyn Write)) -> usize {
        self.marks += 1;
        let mark = self.marks;
        write!(self.out(), "blob\nmark :{mark}\ndata {len}\n").unwrap();
        let mut counted = Counted(self.out(), 0);
        fill(&mut counted);
        assert_eq!(counted.1, len, "the blob is as long as announced");
        writeln!(self.out()).unwrap();
        mark
    }

    fn small_blob(&mut self, bytes: &[u8]) -> usize {
        self.blob(bytes.len(), |w| w.write_all(bytes).unwrap())
    }

    /// A commit on `branch` after `parent`, with `message` and tree changes `entries` (fast-
    /// import `M`/`D` lines, paths C-quoted where they need it).
    fn commit(&mut self, branch: &str, parent: &str, message: &[u8], entries: &[u8]) {
        let out = self.out();
        write!(
            out,
            "commit refs/heads/{branch}\ncommitter Hostile <h@example.org> 1700000000 +0000\ndata {}\n",
            message.len()
        )
        .unwrap();
        out.write_all(message).unwrap();
        write!(out, "\nfrom {parent}\n").unwrap();
        out.write_all(entries).unwrap();
        writeln!(out).unwrap();
    }

    fn finish(mut self) {
        drop(self.child.stdin.take());
        assert!(self.child.wait().unwrap().success(), "fast-import failed");
    }
}

/// A writer that counts what passes through.
struct Counted<'a>(&'a mut std::process::ChildStdin, usize);

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Writes `total` bytes of `unit` repeated.
fn repeat(w: &mut dyn Write, unit: &[u8], total: usize) {
    // Whole units per chunk, so that the stream is the unit over and over, never cut mid-unit
    // (only the end may be).
    let units = ((1 << 20) / unit.len()).max(1);
    let chunk: Vec<u8> = unit.repeat(units);
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        w.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
}

/// One hostile push: builds its branch with fast-import and says what to expect.
struct Case {
    name: &'static str,
    expect: Expect,
    /// Text the rejection must hold (a path), when it rejects for a secret.
    names: &'static str,
    build: fn(&mut Import, &str, &str),
}

const FILLER: &[u8] = b"filler line: nothing to see here, lorem ipsum dolor sit amet.\n";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a 200 MB blob, a secret on its last line",
            expect: Expect::RejectOrTimeout,
            names: "big.env",
            build: |imp, branch, parent| {
                let size = 200 << 20;
                let mark = imp.blob(size + 1 + SECRET_LINE.len(), |w| {
                    repeat(w, FILLER, size);
                    // The filler ends mid-line: the secret starts a line of its own.
                    w.write_all(b"\n").unwrap();
                    w.write_all(SECRET_LINE.as_bytes()).unwrap();
                });
                imp.commit(
                    branch,
                    parent,
                    b"big",
                    format!("M 100644 :{mark} big.env\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a single 50 MB line of keyword hits",
            expect: Expect::RejectOrTimeout,
            names: "line.env",
            build: |imp, branch, parent| {
                let unit = b"password=Xy9pQ2 ";
                let size = 50 << 20;
                let mark = imp.blob(size, |w| repeat(w, unit, size));
                imp.commit(
                    branch,
                    parent,
                    b"line",
                    format!("M 100644 :{mark} line.env\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a tree of 100,000 entries",
            expect: Expect::Accept,
            names: "",
            build: |imp, branch, parent| {
                let mark = imp.small_blob(b"x = 1\n");
                let mut entries = Vec::with_capacity(100_000 * 32);
                for i in 0..100_000 {
                    writeln!(entries, "M 100644 :{mark} d{}/f{i}.txt", i / 1000).unwrap();
                }
                imp.commit(branch, parent, b"wide", &entries);
            },
        },
        Case {
            name: "a path 100 levels deep",
            expect: Expect::Reject,
            names: "d99/app.env:1",
            build: |imp, branch, parent| {
                let mark = imp.small_blob(SECRET_LINE.as_bytes());
                let dirs: String = (0..100).map(|i| format!("d{i}/")).collect();
                imp.commit(
                    branch,
                    parent,
                    b"deep",
                    format!("M 100644 :{mark} {dirs}app.env\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a path that is not UTF-8",
            expect: Expect::Reject,
            names: "app.env",
            build: |imp, branch, parent| {
                let mark = imp.small_blob(SECRET_LINE.as_bytes());
                imp.commit(
                    branch,
                    parent,
                    b"latin1",
                    format!("M 100644 :{mark} \"conf\\351/app.env\"\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a path holding a newline",
            expect: Expect::Reject,
            names: "line.env",
            build: |imp, branch, parent| {
                let mark = imp.small_blob(SECRET_LINE.as_bytes());
                imp.commit(
                    branch,
                    parent,
                    b"newline",
                    format!("M 100644 :{mark} \"new\\nline.env\"\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a symlink out of the tree and a submodule entry",
            expect: Expect::Accept,
            names: "",
            build: |imp, branch, parent| {
                let entries = format!(
                    "M 120000 inline secrets.env\ndata 11\n/etc/passwd\nM 160000 {} vendor/lib\n",
                    "1".repeat(40)
                );
                imp.commit(branch, parent, b"links", entries.as_bytes());
            },
        },
        Case {
            name: "a 1 MB commit message, a token at its end",
            expect: Expect::Reject,
            names: "(commit or tag message)",
            build: |imp, branch, parent| {
                let mut message: Vec<u8> = FILLER.iter().copied().cycle().take(1 << 20).collect();
                message.extend_from_slice(format!("\ndeployed with {TOKEN}\n").as_bytes());
                imp.commit(branch, parent, &message, b"");
            },
        },
        Case {
            name: "a secret under eight layers of base64 (past the depth limit of three)",
            expect: Expect::Accept,
            names: "",
            build: |imp, branch, parent| {
                let mut value = SECRET_LINE.trim_end().to_string();
                for _ in 0..8 {
                    value = base64::engine::general_purpose::STANDARD.encode(value);
                }
                let mark = imp.small_blob(format!("PAYLOAD={value}\n").as_bytes());
                imp.commit(
                    branch,
                    parent,
                    b"nested",
                    format!("M 100644 :{mark} deploy/nested.env\n").as_bytes(),
                );
            },
        },
        Case {
            name: "a gzip and a zip archive of a secret file (binary: not unpacked)",
            expect: Expect::Accept,
            names: "",
            build: |imp, branch, parent| {
                let gz = gzip(SECRET_LINE.as_bytes());
                let zip = stored_zip("app.env", SECRET_LINE.as_bytes());
                let (g, z) = (imp.small_blob(&gz), imp.small_blob(&zip));
                imp.commit(
                    branch,
                    parent,
                    b"archives",
                    format!("M 100644 :{g} backup/app.env.gz\nM 100644 :{z} backup/app.zip\n")
                        .as_bytes(),
                );
            },
        },
    ]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// A zip archive holding one file, stored uncompressed: the secret's bytes sit in it as they
/// are, between binary headers.
fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32fast::hash(data);
    let (n, len) = (name.len() as u16, data.len() as u32);
    let mut z = Vec::new();
    let header = |z: &mut Vec<u8>, central: bool| {
        z.extend_from_slice(if central {
            b"PK\x01\x02\x14\x00"
        } else {
            b"PK\x03\x04"
        });
        z.extend_from_slice(&[0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&[0, 0]); // extra
        if central {
            z.extend_from_slice(&[0; 12]); // comment, disk, attributes, offset 0
        }
        z.extend_from_slice(name.as_bytes());
    };
    header(&mut z, false);
    z.extend_from_slice(data);
    let central_at = z.len() as u32;
    header(&mut z, true);
    let central_len = z.len() as u32 - central_at;
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\x00\x01\x00");
    z.extend_from_slice(&central_len.to_le_bytes());
    z.extend_from_slice(&central_at.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

#[test]
fn hostile_pushes_are_answered_in_time_and_memory() {
    let timeout = TIMEOUT_SECS.to_string();
    let server = Server::new(&["--timeout", &timeout], true);
    let client = server.client();
    let parent = client.git(&["rev-parse", "HEAD"]).trim().to_string();
    let cases = cases();
    // One fast-import for every branch: each case is a branch off `main`.
    let mut import = Import::start(&client);
    for (i, case) in cases.iter().enumerate() {
        (case.build)(&mut import, &format!("hostile{i}"), &parent);
    }
    import.finish();
    let measured = !server.costs().is_empty() || std::path::Path::new("/usr/bin/time").exists();
    let mut figures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let runs = server.costs().len();
        let started = Instant::now();
        let out = push(&client, &["origin", &format!("hostile{i}")]);
        let took = started.elapsed();
        let err = stderr(&out);
        let timed_out = err.contains("did not finish within");
        let verdict = match (out.status.success(), timed_out) {
            (true, _) => Expect::Accept,
            (false, false) => Expect::Reject,
            (false, true) => Expect::RejectOrTimeout,
        };
        let context = format!("{}: push took {took:?}\n{err}", case.name);
        assert!(
            err.contains("scour: push") || verdict == Expect::Accept,
            "the hook, not git, decided: {context}"
        );
        match case.expect {
            Expect::RejectOrTimeout => {
                assert_ne!(verdict, Expect::Accept, "{context}")
            }
            wanted => assert_eq!(verdict, wanted, "{context}"),
        }
        if verdict == Expect::Reject {
            assert!(
                err.contains(case.names),
                "names {:?}: {context}",
                case.names
            );
        }
        if measured {
            let costs = server.costs();
            assert_eq!(costs.len(), runs + 1, "one hook run per push: {context}");
            let cost = costs[runs];
            assert!(
                cost.wall < Duration::from_secs(TIMEOUT_SECS + 1),
                "answered in {:?}: {context}",
                cost.wall
            );
            assert!(
                cost.max_rss_kib < MAX_RSS_KIB,
                "peak RSS {} KiB: {context}",
                cost.max_rss_kib
            );
            figures.push(format!(
                "{:<72} {:>9}  hook {:>5.2} s  {:>7.1} MiB",
                case.name,
                format!("{verdict:?}"),
                cost.wall.as_secs_f64(),
                cost.max_rss_kib as f64 / 1024.0
            ));
        }
    }
    eprintln!("{}", figures.join("\n"));
}

/// Paths holding a newline, a tab, a double quote, a backslash or a byte that is not UTF-8 are
/// read from git verbatim, not in git's C-quoted form (`"odd/new\nline/.pgpass"`): the file is
/// judged by its real name (a `.pgpass` is a dedicated credential file only under that exact
/// name, so a quoted `.pgpass"` would pass unseen) and the rejection names the real path. The
/// plain path is the control.
#[test]
fn paths_with_newlines_tabs_quotes_and_bad_utf8_are_read_exactly() {
    let server = Server::new(&["--timeout", "30"], false);
    let client = server.client();
    let parent = client.git(&["rev-parse", "HEAD"]).trim().to_string();
    // (the path as fast-import takes it, C-quoted; the path as the rejection must show it)
    let paths: [(&str, &str); 6] = [
        ("odd/plain/.pgpass", "odd/plain/.pgpass"),
        (r#""odd/new\nline/.pgpass""#, "odd/new\nline/.pgpass"),
        (r#""odd/tab\there/.pgpass""#, "odd/tab\there/.pgpass"),
        (r#""odd/say \"hi\"/.pgpass""#, "odd/say \"hi\"/.pgpass"),
        (r#""odd/back\\slash/.pgpass""#, "odd/back\\slash/.pgpass"),
        (r#""odd/caf\351/.pgpass""#, "odd/caf\u{FFFD}/.pgpass"),
    ];
    let mut import = Import::start(&client);
    let mark = import.small_blob(b"db.internal:5432:app:alice:Tr0ub4dor-3\n");
    let entries: String = paths
        .iter()
        .map(|(quoted, _)| format!("M 100644 :{mark} {quoted}\n"))
        .collect();
    import.commit("odd", &parent, b"odd paths", entries.as_bytes());
    import.finish();

    let out = push(&client, &["origin", "odd"]);
    // git relays each line the hook writes as `remote: <line>` padded with spaces; a newline
    // in a path splits one.
    let relayed = stderr(&out);
    let err: Vec<&str> = relayed
        .lines()
        .map(|l| {
            l.strip_prefix("remote: ")
                .unwrap_or(l)
                .trim_end_matches(' ')
        })
        .collect();
    let err = err.join("\n");
    assert!(!out.status.success(), "rejected:\n{err}");
    assert!(
        err.contains("adds 6 secret(s)"),
        "one secret per path:\n{err}"
    );
    for (_, shown) in paths {
        assert!(
            err.contains(&format!("{shown}:1")),
            "names {shown:?} (followed by its line):\n{err}"
        );
    }
}
