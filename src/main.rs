//! The `scour` binary: parses the command line, runs one subcommand, maps the result to an exit
//! code (0 nothing found, 1 findings, 2 error).

mod cli;

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use cli::{
    ChecklistArgs, ChecklistFormat, Cli, ColorArg, Command, ConfigCommand, FormatArg, HistoryArgs,
    HookCommand, OnTimeout, OutputArgs, ProgressArg, PurgeArgs, PurgeMode, ReportArgs, RuleArgs,
    RulesCommand, ScanArgs,
};
use scour::config::{self, Config, Lookup};
use scour::detect::confidence::Confidence;
use scour::detect::Detector;
use scour::report::{self, Format, Style};
use scour::rules::{check, RuleSet, Severity};
use scour::scan::{self, Baseline, Outcome, Warning};

const FINDINGS: u8 = 1;
const ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::History(args) => run_history(args),
        Command::Checklist(args) => run_checklist(args),
        Command::Purge(args) => run_purge(args),
        Command::Hook(hook) => run_hook(hook),
        Command::Rules(RulesCommand::List { rules }) => list_rules(&rules),
        Command::Rules(RulesCommand::Check { files }) => check_rules(&files),
        Command::Config(ConfigCommand::Check { file }) => check_config(file.as_deref()),
        Command::Config(ConfigCommand::Init { file, force }) => init_config(&file, force),
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("scour: {err:#}");
            ExitCode::from(ERROR)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn warn(w: Warning) {
    eprintln!("scour: warning: {w}");
}

/// The configuration `args` select: `--config`, none with `--no-config`, or what `lookup` finds.
fn load_config(args: &RuleArgs, lookup: Lookup<'_>) -> Result<Option<Config>> {
    Ok(config::find(
        args.config.as_deref(),
        args.no_config,
        lookup,
    )?)
}

/// The detector for the command line and the configuration.
fn load_rules(args: &RuleArgs, config: Option<&Config>) -> Result<Detector> {
    let overrides = config::Overrides {
        rules: args.extra.clone(),
        min_confidence: args.min_confidence.map(|level| match level {
            cli::ConfidenceArg::Low => Confidence::Low,
            cli::ConfidenceArg::Medium => Confidence::Medium,
            cli::ConfidenceArg::High => Confidence::High,
        }),
    };
    Ok(config::detector(config, &overrides)?)
}

/// The lowest severity that makes the exit status 1.
fn fail_on(config: Option<&Config>) -> Severity {
    config.and_then(|c| c.fail_on).unwrap_or(Severity::Low)
}

/// The configuration, rules, baseline and failing severity that `scan` and `history` share.
fn load_report_args(
    args: &ReportArgs,
    lookup: Lookup<'_>,
) -> Result<(Detector, Option<Baseline>, Severity)> {
    let config = load_config(&args.rules, lookup)?;
    let detector = load_rules(&args.rules, config.as_ref())?;
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None => match &config {
            Some(c) => c.baseline()?,
            None => None,
        },
    };
    Ok((detector, baseline, fail_on(config.as_ref())))
}

fn run_scan(args: ScanArgs) -> Result<u8> {
    let top = match args.paths.first() {
        Some(p) if p != Path::new("-") => p.as_path(),
        _ => Path::new("."),
    };
    let (detector, baseline, fail_on) = load_report_args(&args.report, Lookup::Disk(top))?;
    let opts = scan::Options {
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size,
        threads: args.threads,
    };
    let stdin = args.paths.iter().any(|p| p == Path::new("-"));
    let outcome = if stdin {
        if args.paths.len() > 1 {
            bail!("'-' (standard input) cannot be combined with other paths");
        }
        scan::scan_reader(&detector, io::stdin().lock(), &opts, &warn)?
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        scan::scan_paths(&detector, &paths, &opts, &warn)?
    };
    report_outcome(
        outcome,
        baseline.as_ref(),
        &detector,
        &args.report.output,
        fail_on,
    )
}

fn run_history(args: HistoryArgs) -> Result<u8> {
    scour::interrupt::install();
    few_arenas();
    let mut laps = scour::timing::Laps::start("history");
    let (detector, baseline, fail_on) = load_report_args(&args.report, Lookup::Head(&args.repo))?;
    laps.lap("configuration and rules");
    let refs = globs(&args.refs, "--refs")?;
    let opts = scour::history::Options {
        all_objects: args.all_objects,
        refs,
        since: args.since.clone(),
        range: args.range.clone(),
        threads: args.work.threads,
        max_file_size: args.max_file_size,
        no_ignore: args.no_ignore,
        progress: progress_wanted(args.work.progress),
        index_only: false,
        keep_commits: false,
    };
    let outcome = scour::history::scan_history(&detector, &args.repo, &opts, &warn)?;
    let mut laps = scour::timing::Laps::start("history");
    let code = report_outcome(
        outcome,
        baseline.as_ref(),
        &detector,
        &args.report.output,
        fail_on,
    );
    laps.lap("report");
    code
}

fn globs(patterns: &[String], flag: &str) -> Result<Option<globset::GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for glob in patterns {
        builder.add(globset::Glob::new(glob).with_context(|| format!("{flag} '{glob}'"))?);
    }
    Ok(Some(builder.build().context(flag.to_string())?))
}

/// Caps glibc's heaps (arenas). By default every allocating thread may get its own, up to
/// eight per core, and memory freed into one is not reused by another: a history pass's
/// threads build the matches the main thread later frees and replaces with findings, and on a
/// mirror with 297,409 findings (`scripts/make-dense-corpus.sh`, 2 cores) the default peaked at
/// 536 MiB where two arenas peak at 413 MiB, in the same time.
fn few_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = i32::try_from((cores / 2).max(2)).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tunable of the allocator; no memory is touched.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
}

fn run_purge(args: PurgeArgs) -> Result<u8> {
    scour::interrupt::install();
    few_arenas();
    use scour::purge::{self, Mode};
    let config = load_config(&args.rules, Lookup::Head(&args.repo))?;
    let detector = load_rules(&args.rules, config.as_ref())?;
    let opts = purge::Options {
        mode: Some(match args.mode {
            PurgeMode::Drop => Mode::Drop,
            PurgeMode::Redact => Mode::Redact,
        }),
        findings: args.findings.clone(),
        blobs: args.blobs.clone(),
        paths: purge::PathGlobs::new(&args.paths).context("--path")?,
        bigger_than: args.strip_bigger_than,
        dry_run: args.dry_run,
        force: args.force,
        include_head: args.include_head,
        keep_objects: args.keep_objects,
        threads: args.work.threads,
        progress: progress_wanted(args.work.progress),
    };
    let report = purge::purge(&detector, &args.repo, &opts, &warn)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    report::purge::write(&mut out, &report, args.dry_run)?;
    out.flush()?;
    Ok(0)
}

fn run_hook(hook: HookCommand) -> Result<u8> {
    use scour::hook;
    match hook {
        HookCommand::PreReceive {
            timeout,
            on_timeout,
            rules,
        } => {
            let mut laps = scour::timing::Laps::start("hook pre-receive");
            let git_dir = hook::git_dir()?;
            // Never the pushed content's configuration: only the server's.
            let config = load_config(&rules, Lookup::Server(&git_dir))?;
            let detector = load_rules(&rules, config.as_ref())?;
            laps.lap("configuration and rules");
            let mut input = String::new();
            io::stdin()
                .read_to_string(&mut input)
                .context("reading the pushed refs from stdin")?;
            let opts = hook::PreReceive {
                timeout: std::time::Duration::from_secs_f64(timeout.max(0.1)),
                accept_on_timeout: on_timeout == OnTimeout::Accept,
                bypass: config
                    .as_ref()
                    .map(|c| c.bypass.clone())
                    .unwrap_or_default(),
                fail_on: fail_on(config.as_ref()),
            };
            // Not locked: the inspecting thread prints its timings to stderr too.
            let mut err = io::stderr();
            Ok(
                match hook::pre_receive(&detector, &input, &opts, &mut err)? {
                    hook::Verdict::Accept => 0,
                    hook::Verdict::Reject => FINDINGS,
                },
            )
        }
        HookCommand::PreCommit { rules } => {
            let dir = std::env::current_dir()?;
            let config = load_config(&rules, Lookup::Disk(&dir))?;
            let detector = load_rules(&rules, config.as_ref())?;
            let mut err = io::stderr().lock();
            Ok(
                if hook::pre_commit(&detector, &dir, fail_on(config.as_ref()), &mut err)? {
                    0
                } else {
                    FINDINGS
                },
            )
        }
        HookCommand::Install {
            pre_receive,
            pre_commit: _,
            force,
            repo,
        } => {
            let repo = scour::source::git::open(&repo)?;
            let kind = if pre_receive {
                "pre-receive"
            } else {
                "pre-commit"
            };
            let exe = std::env::current_exe().context("locating the scour binary")?;
            let path = hook::install(repo.git_dir(), kind, &exe, force)?;
            println!("installed {}", path.display());
            if pre_receive {
                println!(
                    "for the bypass (git push -o scour.skip=...), run in that repository: git config receive.advertisePushOptions true"
                );
            }
            Ok(0)
        }
    }
}

fn progress_wanted(arg: ProgressArg) -> bool {
    match arg {
        ProgressArg::Always => true,
        ProgressArg::Never => false,
        ProgressArg::Auto => io::stderr().is_terminal(),
    }
}

fn run_checklist(args: ChecklistArgs) -> Result<u8> {
    scour::interrupt::install();
    use scour::checklist::{self, Checklist, Item};
    let config = load_config(&args.rules, Lookup::Head(&args.repo))?;
    let detector = load_rules(&args.rules, config.as_ref())?;
    let items: Vec<Item> = match &args.from {
        Some(report) => checklist::load_report(report)
            .map_err(|e| anyhow::anyhow!("report '{}': {e}", report.display()))?,
        None => {
            let opts = checklist::ScanOptions {
                worktree: args.worktree,
                threads: args.work.threads,
                progress: progress_wanted(args.work.progress),
                show_secrets: args.show_secrets,
            };
            checklist::scan(&detector, &args.repo, &opts, &warn)?
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let saved_as = match (args.format, &args.output) {
        (ChecklistFormat::Json, Some(path)) => Some(path.display().to_string()),
        _ => None,
    };
    let build = checklist::BuildOptions {
        now,
        min_confidence: detector.min_confidence(),
        saved_as,
    };
    let list = Checklist::build(items, detector.rules(), &build);
    let render = |out: &mut dyn Write| match args.format {
        ChecklistFormat::Markdown => report::checklist::markdown(out, &list),
        ChecklistFormat::Json => report::checklist::json(out, &list),
    };
    write_output(args.output.as_deref(), "checklist file", render)?;
    let fail_on = fail_on(config.as_ref());
    Ok(if list.entries.iter().any(|e| e.severity >= fail_on) {
        FINDINGS
    } else {
        0
    })
}

/// Applies the baseline, writes the report and gives the exit code: what `scan` and `history`
/// share once they have an outcome.
fn report_outcome(
    mut outcome: Outcome,
    baseline: Option<&Baseline>,
    detector: &Detector,
    output: &OutputArgs,
    fail_on: Severity,
) -> Result<u8> {
    if let Some(baseline) = baseline {
        outcome.apply_baseline(baseline);
    }
    emit(&outcome, detector, output)?;
    Ok(if outcome.findings.iter().any(|f| f.severity >= fail_on) {
        FINDINGS
    } else {
        0
    })
}

/// Writes the report to `--output` (mode 0600) or standard output.
fn emit(outcome: &Outcome, detector: &Detector, args: &OutputArgs) -> Result<()> {
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Gitlab => Format::Gitlab,
        FormatArg::Junit => Format::Junit,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            args.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let style = Style {
        format,
        show_secrets: args.show_secrets,
        color,
        explain: args.explain,
    };
    write_output(args.output.as_deref(), "report file", |out| {
        report::write(out, outcome, detector.rules(), style)
    })?;
    if args.output.is_some() && format != Format::Human {
        eprintln!("{}", report::human::summary_line(&outcome.summary));
    }
    Ok(())
}

/// Runs `render` into `output` (created with mode 0600: it may hold secrets) or, without one,
/// standard output; `what` names the file in errors.
fn write_output(
    output: Option<&Path>,
    what: &str,
    render: impl Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match output {
        Some(path) => {
            let named = || format!("{what} '{}'", path.display());
            let mut out = io::BufWriter::new(report::create_private(path).with_context(named)?);
            render(&mut out)
                .and_then(|_| out.flush())
                .with_context(named)
        }
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            render(&mut out)?;
            Ok(out.flush()?)
        }
    }
}

fn list_rules(args: &RuleArgs) -> Result<u8> {
    let config = load_config(args, Lookup::Disk(Path::new(".")))?;
    let detector = load_rules(args, config.as_ref())?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let rules = detector.rules().rules();
    let width = rules.iter().map(|r| r.id.as_str().len()).max().unwrap_or(0);
    for r in rules {
        writeln!(
            out,
            "{:width$}  {:8}  {:17}  {}",
            r.id.as_str(),
            r.severity.as_str(),
            r.category.as_str(),
            r.title
        )?;
    }
    writeln!(out, "\n{} rules", rules.len())?;
    out.flush()?;
    Ok(0)
}

fn check_rules(files: &[PathBuf]) -> Result<u8> {
    let mut problems = 0usize;
    for file in files {
        // The file's rules come first, then the built-in ones it does not redefine: a copy of
        // a built-in file can be checked, and decoded examples still meet the other rules.
        let mut set = RuleSet::default();
        if let Err(err) = set.add_path(file) {
            eprintln!("scour: {err}");
            problems += 1;
            continue;
        }
        let added = set.len();
        set.add_builtin(true).context("built-in rules")?;
        let detector = Detector::new(set);
        let mine = |r: &scour::rules::Rule| !r.builtin;
        let failures = check::run(&detector, mine);
        let examples: usize = detector
            .rules()
            .rules()
            .iter()
            .filter(|r| mine(r))
            .map(|r| r.examples.len() + r.counterexamples.len())
            .sum();
        for f in &failures {
            eprintln!("scour: {f}");
        }
        problems += failures.len();
        if failures.is_empty() {
            println!(
                "{}: {added} rule{} ok, {examples} examples and counterexamples pass",
                file.display(),
                if added == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if problems == 0 { 0 } else { ERROR })
}

fn check_config(file: Option<&Path>) -> Result<u8> {
    let Some(config) = config::find(file, false, Lookup::Disk(Path::new(".")))? else {
        bail!(
            "no {} here or above (up to the top of the work tree); `scour config init` writes one",
            config::FILE_NAME
        );
    };
    // Rule ids, rule files and the baseline are checked by using them.
    let detector = config::detector(Some(&config), &config::Overrides::default())?;
    config.baseline()?;
    println!(
        "{}: ok ({} rules in use, {} allowlist entries)",
        config.name,
        detector.rules().len(),
        config.allow_entries()
    );
    Ok(0)
}

fn init_config(file: &Path, force: bool) -> Result<u8> {
    if file.exists() && !force {
        bail!(
            "'{}' already exists; pass --force to replace it",
            file.display()
        );
    }
    std::fs::write(file, config::STARTER)
        .with_context(|| format!("writing '{}'", file.display()))?;
    println!(
        "wrote {}; check it with `scour config check`",
        file.display()
    );
    Ok(0)
}

fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut out = io::BufWriter::new(io::stdout().lock());
    clap_complete::generate(shell, &mut command, "scour", &mut out);
    out.flush()?;
    Ok(0)
}

fn man_page() -> Result<u8> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
    out.flush()?;
    Ok(0)
}
