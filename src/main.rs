//! The command line: parses flags, resolves them with `sitrep.toml` into a run plan,
//! runs the pipeline and prints the summary. No pipeline logic lives here.

use clap::{Parser, Subcommand};
use sitrep::config::{RawArgs, RunPlan};
use sitrep::findings::Severity;
use chrono::NaiveDate;
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
        /// Submission files or folders (read recursively); in a working folder made by
        /// `sitrep init`, defaults to its submissions/ folder.
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
    },
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
}

fn parse_period(p: Option<&str>) -> Result<NaiveDate, String> {
    match p {
        Some(p) => NaiveDate::parse_from_str(p, "%Y-%m-%d").map_err(|_| format!("--period '{p}' is not a date like 2022-01-22")),
        None => Ok(chrono::Local::now().date_naive()),
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
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { submissions, targets, out, period, config, lang, strict, quiet } => run(submissions, targets, out, period, config, lang, strict, quiet),
        Command::Template { province, district, period, out } => template(province, district, period, out),
        Command::Init { dir, province, period } => init(dir, province, period),
    }
}

fn init(dir: PathBuf, province: String, period: Option<String>) -> ExitCode {
    let g = sitrep::gazetteer::embedded();
    let result = parse_period(period.as_deref()).map_err(anyhow::Error::msg).and_then(|p| sitrep::workspace::init(g, &dir, &province, p));
    match result {
        Ok(written) => {
            for p in &written {
                println!("Wrote {}", p.display());
            }
            println!("sitrep: working folder ready. Next: fill in {}, put the districts' files in {}, then run `sitrep run` inside {}",
                dir.join(sitrep::workspace::TARGETS_FILE).display(),
                dir.join(sitrep::workspace::SUBMISSIONS_DIR).display(),
                dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run(submissions: Vec<PathBuf>, targets: Option<PathBuf>, out: Option<PathBuf>, period: Option<String>, config: Option<PathBuf>, lang: Option<String>, strict: bool, quiet: bool) -> ExitCode {
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
