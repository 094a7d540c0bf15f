//! The command line: parses flags, resolves them with `sitrep.toml` into a run plan,
//! runs the pipeline and prints the summary. No pipeline logic lives here.

use chrono::NaiveDate;
use clap::{Args, CommandFactory, Parser, Subcommand};
use sitrep::config::{RawArgs, RunPlan};
use sitrep::findings::Severity;
use sitrep::summary::RunReport;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// A year of history makes millions of small allocations across threads; the system
// allocator spent as much time in the kernel as sitrep spent working.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (linked by the mimalloc crate).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
/// `mi_option_purge_delay` in mimalloc.h (the v3 sources libmimalloc-sys 0.1.49 builds).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Memory a run frees is handed back to the kernel after 100 ms rather than mimalloc's
/// 10 ms: a run frees and allocates again within moments, and each page handed back
/// was zeroed by the kernel again when reused (a year's run spent seconds in
/// `clear_page`). Measured on a year: 18–23 s → 16.8 s at the same peak (1.23 GB);
/// never handing back (-1) was no faster and peaked 300 MB higher.
/// `MIMALLOC_PURGE_DELAY` in the environment still decides, when set.
fn keep_freed_memory() {
    set_purge_delay(100);
}

/// From this many submission files a run hands freed memory back at once
/// ([`SizedRun`]): a run over a year's folder (26,728 files) then peaked 40–60 MB lower
/// (a year's first run 535–556 → 497–499 MB, the weekly run over it 253–290 → 218–228 MB)
/// in the same time, when a national week (514 files) kept it 100 ms and ran 7 % faster.
/// A run that read fewer afresh and carries its checks on keeps it 100 ms again once
/// reading is done: it then decodes only the new periods from the cache, and the weekly
/// run over a year went 0.74–0.76 → 0.69–0.73 s for 217–230 → 260–270 MB; and while it
/// reads, when the cache has all but a few of the files. Not so for a
/// year's first run (even 10 ms took it past 300 MB), nor for a report on an earlier
/// week, which checks every week again from the cache (100 ms: 295 → 370 MB); both keep
/// it only during the pass over every period's rows ([`SizedRun::rows_pass`]).
/// `sitrep report --archive` counts the files the archived run read: a report on the
/// 51st week re-rendered from a year's archive (26,214 files) then peaked at 234–237 MB
/// instead of 300–316 MB, in 5.0–5.1 s instead of 4.5–4.6 s (the 22nd week's: 190 MB
/// instead of 250–258, 2.3 s instead of 2.05–2.1).
const LARGE_RUN_FILES: usize = 5_000;

/// Freed memory kept during the pass over every period's rows ([`SizedRun::rows_pass`]).
/// Non-LTO build, three alternated rounds of 0 / 50 / 100 ms: a year's first run, the
/// attain stage 3.22–3.48 / 3.00–3.25 / 2.78–3.08 s at 256–271 / 270–282 / 277–287 MB; a
/// report on an earlier week from the cache (every week checked again) 1.67–1.92 /
/// 1.42–1.66 / 1.37–1.55 s at 242–250 / 271 / 268–286 MB. 50 ms: most of the time, and
/// more room under the 300 MB target.
const PASS_PURGE_DELAY_MS: std::ffi::c_long = 50;

fn set_purge_delay(ms: std::ffi::c_long) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is allowed at any time; 15 is purge_delay (ms).
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, ms) }
    }
}

/// What `sitrep run` does as it learns how far the run got: the allocator set for the
/// run's size once the files are counted, and the progress bar, when there is one.
struct SizedRun<'a> {
    bar: Option<&'a Bar>,
    /// The run found `LARGE_RUN_FILES` or more.
    large: std::sync::atomic::AtomicBool,
    /// Freed memory is handed back at once (a large run, unless it keeps it).
    at_once: std::sync::atomic::AtomicBool,
}

impl<'a> SizedRun<'a> {
    fn new(bar: Option<&'a Bar>) -> SizedRun<'a> {
        SizedRun { bar, large: Default::default(), at_once: Default::default() }
    }
    fn large(&self) -> bool {
        self.large.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Hands freed memory back at once (`true`), or keeps it 100 ms.
    fn hand_back_at_once(&self, at_once: bool) {
        self.at_once.store(at_once, std::sync::atomic::Ordering::Relaxed);
        match at_once {
            true => set_purge_delay(0),
            false => keep_freed_memory(),
        }
    }
}

impl sitrep::Progress for SizedRun<'_> {
    fn files(&self, total: usize) {
        if total >= LARGE_RUN_FILES {
            self.large.store(true, std::sync::atomic::Ordering::Relaxed);
            self.hand_back_at_once(true);
        }
        if let Some(b) = self.bar {
            b.files(total);
        }
    }
    fn file_read(&self, path: &Path) {
        if let Some(b) = self.bar {
            b.file_read(path);
        }
    }
    fn stage(&self, name: &str) {
        // The reports are made: what the run frees from now on is freed for good, as it
        // exits. Handed back, it was the run's last milliseconds (page tables unmapped,
        // the other core's interrupted to flush them).
        if name == "export" {
            set_purge_delay(-1);
        }
        if let Some(b) = self.bar {
            b.stage(name);
        }
    }
    /// Few files to read afresh (a weekly run over a year's folder): freed memory is kept
    /// while reading too (the weekly run over a year: median 0.655 → 0.645 s, 222 → 233 MB).
    fn to_read_afresh(&self, afresh: usize) {
        if self.large() && afresh < LARGE_RUN_FILES {
            self.hand_back_at_once(false);
        }
    }
    fn read_done(&self, read_afresh: usize, carries_on: bool) {
        if self.large() {
            self.hand_back_at_once(!(read_afresh < LARGE_RUN_FILES && carries_on));
        }
    }
    /// A run handing freed memory back at once keeps it `PASS_PURGE_DELAY_MS` during the
    /// pass over every period's rows: each batch of periods frees what the next takes
    /// again, and the run's peak comes after the pass (attainment and the reports).
    fn rows_pass(&self, begins: bool) {
        if self.at_once.load(std::sync::atomic::Ordering::Relaxed) {
            match begins {
                true => set_purge_delay(PASS_PURGE_DELAY_MS),
                false => set_purge_delay(0),
            }
        }
    }
}

/// No transparent huge pages for this process: mimalloc asks for them, and the kernel
/// then zeroes 2 MB at the first touch of each, often more than a run uses of it (a
/// third of a week's CPU profile was that zeroing, with stalls when the kernel had to
/// compact memory for them). Measured alternately on 2 cores: a week 0.52–0.92 s
/// (median 0.72) → 0.50–0.66 s (median 0.63) and 205–250 → 150–177 MB; the weekly run
/// over a year 4.6–5.8 s → 3.9–4.4 s; a year 14.7–15.3 s → 14.2–14.6 s, 70 MB less.
/// `MIMALLOC_ALLOW_THP` in the environment still decides, when set.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "sitrep",
    version,
    about = "Vaccination submissions in, weekly situation reports and an archive out",
    long_about = "Reads the spreadsheets districts send (xlsx, xls, xlsb, ods, csv, tsv; laid out however \
they were laid out), resolves names to official Kemendagri codes, computes target attainment and \
writes the weekly situation report (PDF), an XLSX workbook for officials and an archive.",
    after_help = "A week's work:
  sitrep init kerja --province 15        # once: a working folder for Jambi
  cd kerja                               # fill in sasaran.xlsx, send out templat/
  sitrep run                             # after putting the files in submissions/<date>/

Or without a working folder:
  sitrep run submissions/ --targets sasaran.xlsx --out out/

`sitrep <command> --help` explains each command."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read submissions, compute attainment, write the reports and the export.
    #[command(after_help = "Exit status: 0 reports written; 1 with --strict when a finding is an error; 2 nothing could be done.

Examples:
  sitrep run                                       # inside a folder made by `sitrep init`
  sitrep run submissions/ --targets sasaran.xlsx --out out/
  sitrep run minggu-3/*.xlsx --targets sasaran.xlsx --period 2022-01-15 --lang en
  sitrep run submissions/ --targets sasaran.xlsx --json > ringkasan.json")]
    Run(RunArgs),
    /// Re-render the reports and the export of a past period from an archive written by
    /// `sitrep run --archive DIR`, without the submissions.
    #[command(after_help = "Examples:
  sitrep report --archive arsip/ --period 2022-01-15 --out out-15jan/
  sitrep report --archive arsip/ --period 2022-01-15 --targets sasaran-baru.xlsx --lang en")]
    Report(ReportArgs),
    /// Make a working folder for a province: sitrep.toml, sasaran.xlsx, templates, submissions/.
    #[command(after_help = "Creates, in DIR:
  sitrep.toml               the settings, every key explained (threshold, language, limits,
                            vocabulary additions, name aliases)
  sasaran.xlsx              the province's districts, target cells to fill in
  templat/<period>/         one template per district for the period
  submissions/<period>/     where the districts' files go
  README.md                 how to use the folder, in Bahasa Indonesia
Nothing already in DIR is overwritten. Afterwards, inside DIR, `sitrep run` needs no flags.

Examples:
  sitrep init vaksinasi-jambi --province 15
  sitrep init . --province 15 --period 2022-01-22")]
    Init {
        /// The folder to create (or complete).
        dir: PathBuf,
        /// Province code (Kemendagri), e.g. 15 for Jambi.
        #[arg(long)]
        province: String,
        /// The first period (YYYY-MM-DD): names submissions/<period>/ and the templates; defaults to today.
        #[arg(long)]
        period: Option<String>,
    },
    /// Write the XLSX template each district fills in (one file per district).
    #[command(after_help = "The template has the district and date in its title, the district's sub-districts (official \
names and codes), SDMK / Petugas Publik / Lansia / Masyarakat Umum & Rentan / Remaja / Anak \
columns by dose, a JUMLAH row, whole-number checks on the count cells, a protected header and \
a \"Petunjuk\" sheet. A filled template is read by `sitrep run` as it is.

Examples:
  sitrep template --province 15 --period 2022-01-22               # every district of Jambi
  sitrep template --district 15.01 --period 2022-01-22 --out templat/")]
    Template {
        /// Province code (Kemendagri), e.g. 15 for Jambi: one template per district.
        #[arg(long)]
        province: Option<String>,
        /// Only this district, by code (15.01) or name (Kerinci).
        #[arg(long)]
        district: Option<String>,
        /// The date the figures are as of (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        period: Option<String>,
        /// Folder to write the templates in (created if needed).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Check submissions before sending them: how each file is read (district, date,
    /// layout, the role of every column, rows accepted / totals / rejected) and every
    /// finding. Writes nothing; exits 1 when any file has an error.
    #[command(after_help = "Example:\n  sitrep validate rekap_kerinci_2022-01-15.xlsx")]
    Validate {
        /// Submission files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Configuration file (vocabulary and aliases are applied as in `run`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check that an archive written by `sitrep run --archive DIR` is as sitrep wrote it:
    /// every partition against the SHA-256 recorded when it was written, every run record
    /// and the parts holding its files' records. Writes nothing; exits 1 when something
    /// differs.
    #[command(after_help = "A weekly run writes again a partition changed by a write, but not one whose bytes were
damaged on the disk since; `sitrep report --archive` names such a partition only when it
reads it. Run this before copying an archive away and after restoring it.

Example:
  sitrep verify --archive arsip/")]
    Verify {
        /// The archive folder.
        #[arg(long, required = true)]
        archive: PathBuf,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  sitrep completions bash > ~/.local/share/bash-completion/completions/sitrep
  sitrep completions zsh > ~/.zfunc/_sitrep
  sitrep completions fish > ~/.config/fish/completions/sitrep.fish
  sitrep completions powershell >> $PROFILE")]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Submission files or folders (read recursively); in a working folder made by
    /// `sitrep init`, defaults to its submissions/ folder.
    submissions: Vec<PathBuf>,
    /// The targets (sasaran) workbook; in a working folder, its sasaran.xlsx. Given twice,
    /// the second is a target version compared with the first in an annex.
    #[arg(long, action = clap::ArgAction::Append)]
    targets: Vec<PathBuf>,
    /// Output folder (reports at the top, the archival export in export/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Receipts log (CSV or xlsx: file, received) giving when each submission arrived;
    /// files not in it use their modification time.
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// The previous run's export (or output folder): list what changed since then.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// An export of the national application (e.g. the dashboard CSVs): show where it
    /// lags behind the submissions.
    #[arg(long)]
    app: Option<PathBuf>,
    /// Report period (YYYY-MM-DD); defaults to the latest date in the submissions.
    #[arg(long)]
    period: Option<String>,
    /// Configuration file (defaults to ./sitrep.toml when present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Report language: id (default) or en.
    #[arg(long)]
    lang: Option<String>,
    /// Exit with status 1 when any finding is an error.
    #[arg(long)]
    strict: bool,
    /// Print only the final line.
    #[arg(long, short, conflicts_with_all = ["verbose", "json"])]
    quiet: bool,
    /// Also print notes (findings of severity info) and every file written.
    #[arg(long, short)]
    verbose: bool,
    /// Print the end-of-run summary as JSON on stdout, and nothing else.
    #[arg(long)]
    json: bool,
    /// Print the time and peak memory of each pipeline stage (used by `make bench`).
    #[arg(long)]
    timings: bool,
    /// Also keep the canonical table as Parquet in DIR, partitioned by province and
    /// period (DIR/province_code=15/period=2022-01-15/part-0.parquet).
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Read every file afresh (by default what earlier runs read is reused from OUT/.cache
    /// when the file, the configuration and sitrep are unchanged).
    #[arg(long)]
    no_cache: bool,
    /// Keep the cache in DIR rather than in OUT/.cache: one that stays when each week's
    /// reports go to a new output folder (e.g. beside the archive: --cache arsip-cache/).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache: Option<PathBuf>,
}

#[derive(Args)]
struct ReportArgs {
    /// The archive written by `sitrep run --archive DIR`.
    #[arg(long, value_name = "DIR")]
    archive: PathBuf,
    /// The period to report on (YYYY-MM-DD).
    #[arg(long)]
    period: String,
    /// A targets (sasaran) workbook to use instead of the archived targets.
    #[arg(long)]
    targets: Option<PathBuf>,
    /// Output folder (reports at the top, the export in export/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Configuration file (defaults to ./sitrep.toml when present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Report language: id (default) or en.
    #[arg(long)]
    lang: Option<String>,
    /// Print only the final line.
    #[arg(long, short)]
    quiet: bool,
    /// Print the time and peak memory of each pipeline stage (used by `make bench`).
    #[arg(long)]
    timings: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    no_huge_pages();
    // A parser that panics on a damaged file is caught and the file gets a finding that
    // names it and the panic's message; the default hook's backtrace on the terminal
    // would only alarm the data officer. Panics anywhere else still print.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !sitrep::ingest::parsing_here() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Report(args) => report(args),
        Command::Validate { files, config } => validate(files, config),
        Command::Verify { archive } => verify(&archive),
        Command::Template { province, district, period, out } => template(province, district, period, out),
        Command::Init { dir, province, period } => init(dir, province, period),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sitrep", &mut script);
            let _ = std::io::stdout().write_all(&script);
            ExitCode::SUCCESS
        }
    }
}

fn parse_period(p: Option<&str>) -> Result<NaiveDate, String> {
    match p {
        Some(p) => NaiveDate::parse_from_str(p, "%Y-%m-%d").map_err(|_| format!("--period '{p}' is not a date like 2022-01-22")),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    eprintln!("sitrep: {e:#}");
    ExitCode::from(2)
}

fn init(dir: PathBuf, province: String, period: Option<String>) -> ExitCode {
    let g = sitrep::gazetteer::embedded();
    let result = parse_period(period.as_deref()).map_err(anyhow::Error::msg).and_then(|p| sitrep::workspace::init(g, &dir, &province, p));
    match result {
        Ok(written) => {
            for p in &written {
                println!("Wrote {}", p.display());
            }
            println!(
                "sitrep: working folder ready. Next: fill in {}, put the districts' files in {}, then run `sitrep run` inside {}",
                dir.join(sitrep::workspace::TARGETS_FILE).display(),
                dir.join(sitrep::workspace::SUBMISSIONS_DIR).display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn template(province: Option<String>, district: Option<String>, period: Option<String>, out: PathBuf) -> ExitCode {
    let g = sitrep::gazetteer::embedded();
    let result = (|| -> anyhow::Result<Vec<PathBuf>> {
        let period = parse_period(period.as_deref()).map_err(anyhow::Error::msg)?;
        let mut written = Vec::new();
        for d in sitrep::template::districts(g, province.as_deref(), district.as_deref())? {
            let bytes = sitrep::template::workbook(g, d, period, None)?;
            let name = sitrep::template::file_name(d, period);
            sitrep::export::write_atomic(&out, &name, &bytes)?;
            written.push(out.join(name));
        }
        Ok(written)
    })();
    match result {
        Ok(files) => {
            for f in &files {
                println!("Wrote {}", f.display());
            }
            println!("sitrep: {} templates; send each district its file, then read the filled ones with `sitrep run`", files.len());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// The progress bar on a terminal: files read, then the stage being worked on.
struct Bar(indicatif::ProgressBar);

impl sitrep::Progress for Bar {
    fn files(&self, total: usize) {
        // Drawn from here on: before the count is known, a bar would only flicker.
        self.0.set_length(total as u64);
        self.0.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    fn file_read(&self, path: &Path) {
        self.0.inc(1);
        self.0.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    }
    fn stage(&self, name: &str) {
        let what = match name {
            "targets" => "reading the targets",
            "attainment" => "computing attainment",
            "report" => "rendering the report",
            "export" => "writing the export",
            other => other,
        };
        self.0.set_message(what.to_string());
    }
}

/// A bar only for a person watching: a terminal on both ends, not CI, not quiet or JSON.
fn progress_bar(args: &RunArgs) -> Option<Bar> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if args.quiet || args.json || ci || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::hidden());
    let style = indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files  {wide_msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(Bar(bar))
}

fn run(args: RunArgs) -> ExitCode {
    let bar = progress_bar(&args);
    let (verbose, json, timings) = (args.verbose, args.json, args.timings);
    if args.targets.len() > 2 {
        return fail(anyhow::anyhow!("--targets may be given at most twice: the targets used, and a version to compare them with"));
    }
    let mut targets = args.targets.into_iter();
    let raw = RawArgs {
        inputs: args.submissions,
        targets: targets.next(),
        compare_targets: targets.next(),
        out: args.out,
        previous: args.previous,
        app: args.app,
        period: args.period,
        receipts: args.receipts,
        config: args.config,
        lang: args.lang,
        strict: args.strict,
        quiet: args.quiet,
        archive: args.archive,
        no_cache: args.no_cache,
        cache: args.cache,
    };
    let plan = match RunPlan::resolve(raw) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let result = sitrep::run_with(&plan, &SizedRun::new(bar.as_ref()));
    if let Some(b) = &bar {
        b.0.finish_and_clear();
    }
    conclude(&plan, result, verbose, json, timings)
}

fn report(args: ReportArgs) -> ExitCode {
    // The archive stands where the submissions would: the plan resolves as for a run.
    let raw = RawArgs {
        inputs: vec![args.archive.clone()],
        targets: args.targets,
        out: args.out,
        period: Some(args.period),
        config: args.config,
        lang: args.lang,
        quiet: args.quiet,
        ..Default::default()
    };
    let plan = match RunPlan::resolve(raw) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let Some(period) = plan.period else { return fail(anyhow::anyhow!("--period is needed")) };
    let result = sitrep::report_from_archive(&plan, &args.archive, period, &SizedRun::new(None));
    conclude(&plan, result, false, false, args.timings)
}

/// The summary, the findings and the exit status of a run (or a re-render).
fn conclude(plan: &RunPlan, result: anyhow::Result<sitrep::RunSummary>, verbose: bool, json: bool, timings: bool) -> ExitCode {
    let summary = match result {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let report = RunReport::new(&summary, &plan.out, sitrep::gazetteer::embedded());
    // Said even with --quiet and --json (on stderr): the run took much longer than usual.
    for note in &summary.notes {
        eprintln!("sitrep: {note}");
    }
    if json {
        match serde_json::to_string_pretty(&report) {
            // A closed pipe (`| head`) is not an error worth a panic.
            Ok(text) => {
                let _ = writeln!(std::io::stdout(), "{text}");
            }
            Err(e) => return fail(e.into()),
        }
    } else if !plan.quiet {
        print_files_and_findings(&summary, verbose);
        if verbose {
            for o in summary.reports.iter().chain(summary.exports.iter()) {
                println!("Wrote {}", plan.out.join(&o.path).display());
            }
        }
        print!("{}", report.table());
    }
    if timings && !json {
        for line in summary.timings.lines() {
            println!("{line}");
        }
    }
    if !json {
        println!(
            "sitrep: {} files, {} rows accepted, {} totals rows, {} rejected; {} findings ({} errors); {} reports{}",
            report.files,
            report.rows_accepted,
            report.rows_totals,
            report.rows_rejected,
            summary.findings.len(),
            report.errors,
            summary.reports.len(),
            summary.period.map(|p| format!(" for {p}")).unwrap_or_default()
        );
    }
    let status = if summary.reports.is_empty() {
        eprintln!("sitrep: no report could be written: no readable figures in the submissions (see the findings above; `sitrep template` makes a sheet every district can fill)");
        ExitCode::from(2)
    } else if plan.strict && report.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends next and the kernel takes its memory back at once: a year's
    // summary (26,000 files' records) freed record by record took 4–10 ms.
    std::mem::forget(summary);
    status
}

fn print_files_and_findings(summary: &sitrep::RunSummary, verbose: bool) {
    println!("Files read:");
    for f in summary.files.iter().chain(summary.targets.iter()) {
        if f.status == "ok" {
            println!(
                "  ok    {}: {} {} {} ({}): {} rows accepted, {} totals, {} rejected",
                f.path,
                f.district_code.as_deref().unwrap_or("-"),
                f.period.as_deref().unwrap_or("-"),
                f.layout,
                f.how,
                f.rows_accepted,
                f.rows_totals,
                f.rows_rejected
            );
        } else {
            println!("  {:<5} {}: {}", f.status, f.path, f.note);
        }
    }
    let shown: Vec<_> = summary.findings.iter().filter(|f| verbose || f.severity != Severity::Info).collect();
    if !shown.is_empty() {
        println!("Findings:");
        for f in shown {
            println!("  {:<7} {}", f.severity.as_str(), f.located());
        }
    }
}

fn verify(archive: &std::path::Path) -> ExitCode {
    let found = match sitrep::archive::verify(archive) {
        Ok(found) => found,
        Err(e) => return fail(e),
    };
    for note in &found.notes {
        println!("note: {note}");
    }
    for problem in &found.problems {
        println!("problem: {problem}");
    }
    let sitrep::archive::Verification { partitions, partitions_hashed, records, parts, problems, .. } = &found;
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let checked = format!(
        "{} ({partitions_hashed} compared with their recorded SHA-256), {}, {}",
        count(*partitions, "partition", "partitions"),
        count(*records, "run record", "run records"),
        count(*parts, "part of their files' records", "parts of their files' records")
    );
    match problems.len() {
        0 => {
            println!("sitrep: the archive {} is as sitrep wrote it: {checked}", archive.display());
            ExitCode::SUCCESS
        }
        n => {
            println!("sitrep: the archive {}: {} in {checked}", archive.display(), count(n, "problem", "problems"));
            ExitCode::from(1)
        }
    }
}

fn validate(files: Vec<PathBuf>, config: Option<PathBuf>) -> ExitCode {
    let raw = RawArgs { inputs: files, config, ..Default::default() };
    let checked = RunPlan::resolve(raw).and_then(|plan| sitrep::validate(&plan));
    match checked {
        Ok(all) => {
            print!("{}", sitrep::validate::describe(&all));
            if all.iter().any(|v| v.has_errors()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            ExitCode::from(2)
        }
    }
}
