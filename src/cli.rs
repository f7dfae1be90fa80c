//! Command-line definitions only: what can be typed, validated without touching the disk.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find leaked credentials in files and git repositories.
#[derive(Debug, Parser)]
#[command(
    name = "scour",
    version,
    about = "Find leaked credentials in files and git repositories.",
    long_about = "Find leaked credentials in files and git repositories.\n\n\
        scour matches files against rules (patterns/*.toml, built in) that know Kubernetes \
        Secrets, registry credentials, connection URLs, private keys, cloud and SaaS tokens \
        and password assignments in configuration. Secrets are redacted in every output \
        unless --show-secrets is given.",
    after_help = "Exit status: 0 nothing found, 1 findings, 2 error (purge: 0 done, 2 refused or failed).\n\n\
        Examples:\n  scour scan .                         scan the files on disk\n  \
        kubectl get secret db -o yaml | scour scan -\n  \
        scour history --all-objects          every blob git holds, placed in history\n  \
        scour checklist > rotation.md        one task per credential to rotate\n  \
        scour purge --dry-run                what a history rewrite would change\n  \
        scour hook install --pre-commit      block commits that add secrets\n  \
        scour rules list                     the built-in rules"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories on disk (or standard input, given as `-`).
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Scan every blob and message in a git repository's history, each unique blob once.
    #[command(after_help = HISTORY_HELP)]
    History(HistoryArgs),
    /// Turn a history scan into a rotation checklist: one entry per credential.
    #[command(after_help = CHECKLIST_HELP)]
    Checklist(ChecklistArgs),
    /// Rewrite history so that no flagged blob is reachable, then verify it. DESTRUCTIVE.
    #[command(long_about = PURGE_ABOUT, after_help = PURGE_HELP)]
    Purge(PurgeArgs),
    /// Git hooks: reject pushes (pre-receive) or commits (pre-commit) that add secrets.
    #[command(subcommand)]
    Hook(HookCommand),
    /// List the rules, or check a rule file and its examples.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Check a configuration file, or write a commented starter `.scour.toml`.
    #[command(subcommand, after_help = CONFIG_HELP)]
    Config(ConfigCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `scour man > scour.1`.
    Man,
}

const CONFIG_HELP: &str = "\
Where the configuration comes from:
  scan, hook pre-commit, rules list   the nearest .scour.toml at or above the scanned path, up to
                                      the top of the git work tree (the file on disk)
  history, checklist, purge           the .scour.toml committed at HEAD
  hook pre-receive                    only the server's own scour/config.toml in the repository's
                                      git directory, or --config: never anything a push brings
--config FILE uses FILE instead; --no-config uses none. Command-line options win over the file.

Keys: rules, disable, min_confidence, min_severity, fail_on, baseline, bypass (pre-receive
only), [severity] \"rule.id\" = \"high\", [allow] paths, regexes, stopwords, commits, and
[allow.rule.\"rule.id\"] with the same lists for one rule.";

/// `scour config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file (default: the one `scour scan` would read here); exit 2 on
    /// the first problem, naming its line and key.
    Check {
        /// The file.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Write a commented starter configuration.
    Init {
        /// Where to write it.
        #[arg(value_name = "FILE", default_value = ".scour.toml")]
        file: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

const SCAN_HELP: &str = "\
What is skipped by default, and how to include it:
  files matched by .gitignore, .ignore or .scourignore (gitignore syntax)   --no-ignore
  binary files (a NUL byte in the first 8 KiB)                              (never scanned)
  files over 25 MiB                                                         --max-file-size
  the .git directory and symlinks                                           (never followed)

Noise control:
  every finding has a confidence (high, medium, low) from its value and where it sits; tests,
  examples, docs and commented-out lines make weak values low, and low is hidden unless
  --min-confidence low; --explain says why on each line;
  a line holding `scour:allow` is never reported;
  --baseline REPORT.json hides the credentials an earlier JSON report holds;
  .scour.toml allows paths, regexes, stopwords and commits (see `scour config --help`).

Exit status: 0 nothing found, 1 findings, 2 error.";

const HISTORY_HELP: &str = "\
What is scanned:
  every blob reachable from every ref (branches, remote-tracking branches, tags, notes,
  refs/stash and its parents), and every commit and annotated tag message;
  with --all-objects, every object in the database: unreachable blobs (amended or rebased
  away, dropped stashes, reflog-only commits) are found too and marked `unreachable`.
Each unique blob is read and scanned once, however many commits and paths hold it; a finding
is reported once per path, with the earliest commit holding it there, its author and date,
whether HEAD still holds it, and the refs that reach it.

Skipped: binary blobs, blobs over --max-file-size, submodule entries, and paths that the
`.scourignore` committed at HEAD excludes (--no-ignore reports them).

Examples:
  scour history                          the repository you are in
  scour history --all-objects /srv/git/platform.git
  scour history --range origin/main..HEAD   only what a branch adds (for CI)
  scour history --refs 'refs/heads/*'    branches only

Exit status: 0 nothing found, 1 findings, 2 error.";

const CHECKLIST_HELP: &str = "\
The checklist opens with counts by severity, confidence, state and system, then has one entry
per credential: a random-looking value is one credential wherever it appears (a token pasted in
three files); a weak, chosen or placeholder value is one per system it guards (the registry
host, else the chart or service directory, with a dotted key's prefix). Each entry says what
the credential most likely is, where (one line per path, with its versions) and since when it
leaked, whether it is still at HEAD, which refs reach it, how to rotate it, and the `scour
purge` command that removes its blobs from history. Weak and placeholder values say so.

Order: severity, then still present before removed, then longest exposure.

Examples:
  scour checklist > rotation.md          Markdown task list for a tracking issue
  scour history --format json -o report.json && scour checklist --from report.json
  scour checklist --worktree --format json -o checklist.json

Exit status: 0 no credential, 1 credentials listed, 2 error.";

const PURGE_ABOUT: &str = "\
Rewrite history so that no flagged blob is reachable, then verify it.

This is destructive. Every commit from the first one that held a flagged blob onwards gets a
new id; every clone, fork and open pull request still holds the old history. Rotate the
credentials FIRST: a secret that was pushed is public whatever happens to history, and purging
only stops it from spreading further.

Before it prunes the old objects, scour writes a bundle of the old history to
.git/scour/before-purge-<time>.bundle: that is the way back (`git fetch <bundle> '*:*'`) until
you delete it. With --keep-objects nothing is pruned, and .git/scour/ref-map has each changed
ref's old value for `git update-ref`.";

const PURGE_HELP: &str = "\
What is removed: the blobs that a `scour history --format json` report (--findings) names, or
that --blob names, or every blob at a path matching --path, or larger than
--strip-bigger-than; with none of these, every blob the built-in rules flag.

Safety: scour refuses to run with uncommitted changes, older stashes (stash@{1} and on, which
expiring the reflogs would lose) or a merge, rebase, cherry-pick, revert or bisect in progress
(--force overrides), refuses while a flagged blob is still at the tip of a branch (fix it in
a new commit first, or pass --include-head), and refuses when a removed blob would stay
reachable at a path the selection misses (it names them) or sits in a kept (.keep) pack, or
when a linked worktree has a commit the rewrite replaces checked out.
--dry-run prints the plan and changes nothing.

Pruning: the objects still reachable go into one new pack, which is checked (it reads back
whole, holds no removed blob and no flagged secret where the rules judge it one at its path)
before any old pack or loose object is deleted; a failed check deletes nothing, and lists the
objects in .git/scour/verify-failed-<time>.txt. Object databases scour does not model (kept
or promisor packs, alternates, linked worktrees...) are pruned by `git gc --prune=now` instead.

Killed at any moment, it leaves a sound repository with the refs all old or all new; run the
same purge again to finish the job (it reads .git/scour/journal first).

Written under .git/scour/: commit-map (old new), ref-map (ref old new), ban-list (removed
blob and commit ids, for `scour hook pre-receive`), before-purge-<time>.bundle; while it runs,
lock and journal.

After it: `git push --force --mirror` (or per branch with --force), ask the host to drop
cached views and pull-request refs, tell every collaborator to re-clone.

Exit status: 0 done (or nothing to do), 2 error or refusal.";

/// Arguments of `scour purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// The repository (default: the current one).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// Remove the blobs that this `scour history --format json` report names.
    #[arg(long, value_name = "REPORT")]
    pub findings: Option<PathBuf>,

    /// Remove this blob (repeatable).
    #[arg(long = "blob", value_name = "ID")]
    pub blobs: Vec<String>,

    /// Remove (or, with --mode redact, redact) blobs at paths matching this glob, anywhere in
    /// history (repeatable), e.g. 'infra/k8s/base/secrets.yaml'.
    #[arg(long = "path", value_name = "GLOB")]
    pub paths: Vec<String>,

    /// Remove blobs larger than this (bytes, or with a K, M, G suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub strip_bigger_than: Option<u64>,

    /// drop: remove the files from every commit; redact: keep them, with each secret replaced
    /// by ***REMOVED***.
    #[arg(long, value_enum, default_value_t = PurgeMode::Drop)]
    pub mode: PurgeMode,

    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Run even with uncommitted changes or an operation in progress (the checkout is then
    /// left alone).
    #[arg(long)]
    pub force: bool,

    /// Also rewrite branch tips that still hold flagged blobs.
    #[arg(long)]
    pub include_head: bool,

    /// Keep the old objects and reflogs: nothing is pruned, the old state stays restorable.
    #[arg(long)]
    pub keep_objects: bool,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Purge modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PurgeMode {
    /// Remove the flagged files' entries.
    Drop,
    /// Replace each secret with ***REMOVED***.
    Redact,
}

/// `scour hook ...`
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Server-side hook: reads `old new ref` lines on stdin, scans what the push adds, exits 0
    /// to accept and 1 to reject.
    #[command(after_help = PRE_RECEIVE_HELP)]
    PreReceive {
        /// Give up after this many seconds (hosting platforms allow about 5).
        #[arg(long, value_name = "SECS", default_value_t = 4.0)]
        timeout: f64,
        /// What to do when time runs out.
        #[arg(long, value_enum, default_value_t = OnTimeout::Reject)]
        on_timeout: OnTimeout,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Client-side hook: scans the staged changes (the index against HEAD); exits 1 to block
    /// the commit.
    PreCommit {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Writes the hook script into a repository's hooks directory.
    Install {
        /// Install the server-side pre-receive hook (for a bare repository that receives pushes).
        #[arg(
            long,
            conflicts_with = "pre_commit",
            required_unless_present = "pre_commit"
        )]
        pre_receive: bool,
        /// Install the pre-commit hook (for a developer's clone).
        #[arg(long)]
        pre_commit: bool,
        /// Replace an existing hook.
        #[arg(long)]
        force: bool,
        /// The repository (default: the current one).
        #[arg(value_name = "REPO", default_value = ".")]
        repo: PathBuf,
    },
}

const PRE_RECEIVE_HELP: &str = "\
Every updated ref is checked: new branches, tags, force pushes, several refs in one push;
deletions need no check. Only objects new to the repository are scanned (what
`git rev-list NEW --not --all` lists), read from the push quarantine; each new blob once,
plus new commit and tag messages. A push that brings back a blob or commit that
`scour purge` removed (its ban list) is rejected too.

Bypass, for false positives: git push -o scour.skip=\"<reason>\" (the server needs
`git config receive.advertisePushOptions true`). The push is accepted and a JSON line with
the time, the pusher, the refs, the reason and the findings' fingerprints is appended to
scour/audit.jsonl in the repository. A bypass without a reason is refused.";

/// What the pre-receive hook does when its deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnTimeout {
    /// Reject the push (the safe default).
    Reject,
    /// Accept it unchecked.
    Accept,
}

/// Arguments of `scour checklist`.
#[derive(Debug, Args)]
pub struct ChecklistArgs {
    /// The repository (default: the current one). Ignored with --from.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// Build the checklist from a saved `scour history --format json` report instead.
    #[arg(long, value_name = "REPORT")]
    pub from: Option<PathBuf>,

    /// Also scan the files on disk, and say which credentials are still there.
    #[arg(long, conflicts_with = "from")]
    pub worktree: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ChecklistFormat::Markdown)]
    pub format: ChecklistFormat,

    /// Write the checklist to FILE (created with mode 0600) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show secrets in full. The checklist then holds live credentials.
    #[arg(long)]
    pub show_secrets: bool,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Checklist formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChecklistFormat {
    /// A GitHub task list, one `- [ ]` per credential.
    Markdown,
    /// The same content as JSON.
    Json,
}

/// Arguments of `scour history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The repository: a work tree, a bare repository or a mirror (default: the current one).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// Scan every object in the database, not only what refs reach.
    #[arg(long)]
    pub all_objects: bool,

    /// Only blobs introduced by commits that REV does not reach.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    pub since: Option<String>,

    /// Only blobs introduced by the commits of the range A..B.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// Only refs whose full name matches this glob (repeatable), e.g. 'refs/heads/*'.
    #[arg(long = "refs", value_name = "GLOB")]
    pub refs: Vec<String>,

    /// Also report paths that the `.scourignore` committed at HEAD excludes.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip blobs larger than this (bytes, or with a K, M, G suffix).
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size)]
    pub max_file_size: u64,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// How a long job runs: threads and progress.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Show a progress bar on stderr.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
}

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// When standard error is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `scour scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input. Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Scan files that ignore files (.gitignore, .ignore, .scourignore) exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip files larger than this (bytes, or with a K, M, G suffix: 25M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// What `scan` and `history` share: the rules, the baseline and how findings are written.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Hide credentials that this earlier `--format json` report already lists.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where the rules come from, and which of their findings count.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Add the rules of a TOML file, or of every *.toml in a directory (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub extra: Vec<PathBuf>,

    /// Report findings of this confidence and above (default: the configuration's, else
    /// medium). high: token formats, private keys and random-looking values; medium adds chosen
    /// and default passwords in deployable configuration; low adds weak values in tests,
    /// examples, docs and comments.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_confidence: Option<ConfidenceArg>,

    /// Read the configuration from FILE instead of the project's `.scour.toml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no configuration file.
    #[arg(long)]
    pub no_config: bool,
}

/// Confidence levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    /// Everything the rules match, fixtures and examples included.
    Low,
    /// Plausibly live credentials (the default).
    Medium,
    /// Only the likeliest: formats, keys, random-looking values outside tests and docs.
    High,
}

/// How findings are written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Write the report to FILE (created with mode 0600) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print secrets in full. Reports then hold live credentials: handle them as such.
    #[arg(long)]
    pub show_secrets: bool,

    /// Colour the human format.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Say on each line why the finding has its confidence (JSON always has `reason`).
    #[arg(long)]
    pub explain: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Lines for a terminal, and a summary.
    Human,
    /// One JSON document with findings and summary.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0 for code-scanning services.
    Sarif,
    /// GitLab Secret Detection report (gl-secret-detection-report.json).
    Gitlab,
    /// JUnit XML for test-report widgets.
    Junit,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// When standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `scour rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, category and title.
    List {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Validate rule files and run their examples and counterexamples.
    Check {
        /// Rule files or directories to check (together with the built-in rules).
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
}

/// Parses `25M`, `1G`, `512K`, `100` (bytes); suffixes are powers of 1024, `B`/`iB` optional.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size (examples: 1048576, 512K, 25M, 1G)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("'{text}': unknown unit '{unit}' (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("25M"), Ok(25 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
    }
}
