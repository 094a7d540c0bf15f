//! The command line: parses flags, resolves them with `sitrep.toml` into a run plan,
//! runs the pipeline and prints the summary. No pipeline logic lives here.

use clap::{Parser, Subcommand};
use sitrep::config::{RawArgs, RunPlan};
use sitrep::findings::Severity;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "sitrep", version, about = "Vaccination submissions in, weekly situation reports and an archive out")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read submissions, compute attainment, write the reports and the export.
    #[command(after_help = "Examples:\n  sitrep run submissions/ --targets sasaran.xlsx --out out/\n  sitrep run minggu-3/*.xlsx --targets sasaran.xlsx --period 2022-01-15 --lang en")]
    Run {
        /// Submission files or folders (read recursively).
        #[arg(required = true)]
        submissions: Vec<PathBuf>,
        /// The targets (sasaran) workbook.
        #[arg(long)]
        targets: Option<PathBuf>,
        /// Output folder (reports at the top, the archival export in export/).
        #[arg(long)]
        out: Option<PathBuf>,
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
        #[arg(long, short)]
        quiet: bool,
        /// Print the time and peak memory of each pipeline stage.
        #[arg(long)]
        timings: bool,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (submissions, targets, out, period, config, lang, strict, quiet, timings) = match cli.command {
        Command::Run { submissions, targets, out, period, config, lang, strict, quiet, timings } => {
            (submissions, targets, out, period, config, lang, strict, quiet, timings)
        }
        Command::Validate { files, config } => return validate(files, config),
    };
    let raw = RawArgs { inputs: submissions, targets, out, period, config, lang, strict, quiet };
    let plan = match RunPlan::resolve(raw) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            return ExitCode::from(2);
        }
    };
    let summary = match sitrep::run(&plan) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            return ExitCode::from(2);
        }
    };
    if !plan.quiet {
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
        let shown: Vec<_> = summary.findings.iter().filter(|f| f.severity != Severity::Info).collect();
        if !shown.is_empty() {
            println!("Findings:");
            for f in shown {
                println!("  {:<7} {}", f.severity.as_str(), f.located());
            }
        }
        for o in summary.reports.iter().chain(summary.exports.iter()) {
            println!("Wrote {}", plan.out.join(&o.path).display());
        }
    }
    if timings {
        for line in summary.timings.lines() {
            println!("{line}");
        }
    }
    let accepted: usize = summary.files.iter().map(|f| f.rows_accepted).sum();
    let totals: usize = summary.files.iter().map(|f| f.rows_totals).sum();
    let rejected: usize = summary.files.iter().map(|f| f.rows_rejected).sum();
    let errors = summary.findings.iter().filter(|f| f.severity == Severity::Error).count();
    println!(
        "sitrep: {} files, {} rows accepted, {} totals rows, {} rejected; {} findings ({} errors); {} reports{}",
        summary.files.len(),
        accepted,
        totals,
        rejected,
        summary.findings.len(),
        errors,
        summary.reports.len(),
        summary.period.map(|p| format!(" for {p}")).unwrap_or_default()
    );
    if summary.reports.is_empty() {
        eprintln!("sitrep: no report could be written: no readable figures in the submissions");
        return ExitCode::from(2);
    }
    if plan.strict && errors > 0 {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
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
