//! Resolves the command line and `sitrep.toml` into one [`RunPlan`], in one named step
//! (as ripgrep turns low-level args into high-level settings). Nothing after this
//! module reads flags or files of configuration.

use crate::ingest::Limits;
use crate::layout::vocab::{Group, Vocabulary};
use crate::report::definition::{CampaignConfig, ReportDefinition};
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Id,
    En,
}

/// What the user typed (filled by the CLI in `main.rs`).
#[derive(Debug, Clone, Default)]
pub struct RawArgs {
    pub inputs: Vec<PathBuf>,
    pub targets: Option<PathBuf>,
    /// A second targets file, compared with the first in an annex.
    pub compare_targets: Option<PathBuf>,
    pub out: Option<PathBuf>,
    /// The previous run's export (or output folder), to list what changed.
    pub previous: Option<PathBuf>,
    /// An export of the national application, compared with the submissions (register).
    pub app: Option<PathBuf>,
    pub period: Option<String>,
    /// The receipts log (when each submission was received).
    pub receipts: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub lang: Option<String>,
    pub strict: bool,
    pub quiet: bool,
    /// `--archive DIR`: keep the canonical table as partitioned Parquet there.
    pub archive: Option<PathBuf>,
    /// `--no-cache`: read every file afresh and keep no cache.
    pub no_cache: bool,
    /// `--cache DIR`: keep the incremental cache there rather than in `<out>/.cache`.
    pub cache: Option<PathBuf>,
}

/// `sitrep.toml`. Every key is optional; unknown keys are an error so typos are caught.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Coverage threshold as a fraction (0.7) or a percentage (70).
    pub threshold: Option<f64>,
    pub lang: Option<String>,
    /// Folder (or file) of submissions read when none is named on the command line.
    pub submissions: Option<PathBuf>,
    pub targets: Option<PathBuf>,
    /// The name and version of the targets, stated in every report (e.g. "Kemenkes
    /// 2022, 234,7 juta termasuk anak 6–11"); default: the targets file and its hash.
    pub targets_version: Option<String>,
    pub out: Option<PathBuf>,
    /// The receipts log: a CSV (or workbook) of `file` and `received` time per submission.
    pub receipts: Option<PathBuf>,
    /// The previous run's export folder (e.g. `out-last-week/export`), to list changes.
    pub previous: Option<PathBuf>,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub vocabulary: VocabularyConfig,
    /// Names districts write → official code, e.g. `"Tanjabbar" = "15.06"`.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// `[[campaign]]`: campaign targets shown in the weekly report (added to those of
    /// reports/weekly.toml).
    #[serde(default, rename = "campaign")]
    pub campaigns: Vec<CampaignConfig>,
    /// The date thresholds should be reached by (replaces reports/weekly.toml's).
    pub deadline: Option<toml::Value>,
    /// `[cutoff]`: the daily cut-off for submissions (replaces the report definitions').
    pub cutoff: Option<crate::report::definition::CutoffConfig>,
    /// PPKM vaccination gates, agglomerations, the children 6–11 start rule.
    #[serde(default)]
    pub ppkm: crate::gates::PpkmConfig,
    /// Data-quality rules: unusual jumps, stale districts, codes to skip.
    #[serde(default)]
    pub checks: crate::checks::ChecksConfig,
    #[serde(default)]
    pub sources: SourcesConfig,
    #[serde(default)]
    pub cache: CacheConfig,
}

/// `[cache]`: how the incremental cache is used (not what is read: no key depends on it).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Where the cache is kept (default `<out>/.cache`): a folder that stays when each
    /// week's reports go to a new output folder, e.g. beside the archive.
    pub dir: Option<PathBuf>,
    /// Rows read afresh held in memory before they are written to the cache while the
    /// run goes on reading (default 1,048,576, about 46 MB): lower on a small machine.
    pub rows_held: Option<usize>,
}

/// Refuses a cache folder named where its files would be taken for something else: the output
/// folder itself (the cache tidies its folder), the archive or a folder in it (engines
/// reading `arsip/**/*.parquet` would read the cache's Parquet files). In a submissions
/// folder it is passed over when listing ([`RunPlan::own_paths`]).
fn cache_apart(cache: &Path, out: &Path, archive: Option<&Path>) -> Result<()> {
    let whole = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let c = whole(cache);
    if c == whole(out) {
        bail!("the cache {} is the output folder: give it a folder of its own (by default it is {})", cache.display(), out.join(".cache").display());
    }
    if let Some(a) = archive.filter(|a| c.starts_with(whole(a))) {
        bail!("the cache {} is in the archive {}: engines reading the archive's Parquet files would read the cache's too; keep it beside the archive (e.g. --cache {}-cache)", cache.display(), a.display(), a.display().to_string().trim_end_matches('/'));
    }
    Ok(())
}

/// Refuses an output folder or archive that is a submissions folder itself: the run
/// would write its reports among the submissions. One inside a submissions folder is
/// passed over when listing ([`RunPlan::own_paths`]).
fn not_a_submissions_folder(out: &Path, archive: Option<&Path>, inputs: &[PathBuf]) -> Result<()> {
    for (what, folder) in [("output folder", Some(out)), ("archive", archive)] {
        let Some((folder, real)) = folder.and_then(|f| Some((f, f.canonicalize().ok()?))) else { continue };
        if let Some(i) = inputs.iter().find(|i| i.is_dir() && i.canonicalize().is_ok_and(|r| r == real)) {
            bail!("the {what} {} is the submissions folder {}: sitrep would write among the submissions; give it a folder of its own (e.g. {})", folder.display(), i.display(), i.join(if what == "archive" { "arsip" } else { "laporan" }).display());
        }
    }
    Ok(())
}

/// Rows read afresh held before they are written to the cache ([`CacheConfig::rows_held`]).
pub const ROWS_HELD: usize = 1 << 20;

/// `[sources]`: other kinds of input beside the submissions.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesConfig {
    /// Folder (or file) of the national application's export, e.g. `"app/"`.
    pub app: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_file_bytes: Option<u64>,
    pub max_unzipped_bytes: Option<u64>,
    pub max_cells: Option<usize>,
    pub max_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyConfig {
    /// Word → group code, e.g. `"pra lansia" = "umum_rentan"`.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
    /// Word → dose number, e.g. `"vaksin pertama" = 1`.
    #[serde(default)]
    pub doses: BTreeMap<String, u8>,
}

/// Everything a run needs, resolved and checked.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub inputs: Vec<PathBuf>,
    pub targets: Option<PathBuf>,
    /// A second target version: attainment under it goes to an annex.
    pub compare_targets: Option<PathBuf>,
    /// The receipts log; its times override file modification times.
    pub receipts: Option<PathBuf>,
    pub out: PathBuf,
    /// The previous run's export, to compare with.
    pub previous: Option<PathBuf>,
    /// The targets' name and version, as configured.
    pub targets_version: Option<String>,
    /// The national application's export, compared with the submissions.
    pub app: Option<PathBuf>,
    pub period: Option<NaiveDate>,
    pub lang: Lang,
    pub threshold: f64,
    pub limits: Limits,
    pub vocab: Vocabulary,
    pub aliases: BTreeMap<String, String>,
    pub strict: bool,
    pub quiet: bool,
    pub report: ReportDefinition,
    /// The rakor briefing pack's definition (`reports/rakor.toml`).
    pub rakor: ReportDefinition,
    /// The national report's definition (`reports/national.toml`), used with several provinces.
    pub national: ReportDefinition,
    /// PPKM vaccination gates (`[ppkm]`, defaults 3→2: 50%/40%, 2→1: 70%/60%).
    pub gates: crate::gates::GateRules,
    /// Data-quality rules (`[checks]`).
    pub checks: crate::checks::CheckRules,
    /// The configuration as resolved, written into the manifest.
    pub config_json: serde_json::Value,
    /// Where the canonical table is archived (`--archive`), if anywhere.
    pub archive: Option<PathBuf>,
    /// The incremental cache (`<out>/.cache`), unless `--no-cache`.
    pub cache: Option<PathBuf>,
    /// Rows read afresh held before they are written to the cache (`[cache] rows_held`).
    pub rows_held: usize,
    /// The working folder's blank templates (`templat/` beside the configuration, made by
    /// `sitrep init`), never submissions.
    pub templates: Option<PathBuf>,
}

impl RunPlan {
    /// The files and folders the run reads or writes beside the submissions: when one
    /// lies in a submissions folder, listing passes it over (a run reading its own last
    /// export there counted the week twice: 152.8 % for Jambi's dose 1 instead of 76.4 %).
    pub fn own_paths(&self) -> Vec<&Path> {
        let files = [&self.targets, &self.compare_targets, &self.receipts, &self.app, &self.previous, &self.archive, &self.cache, &self.templates];
        std::iter::once(self.out.as_path()).chain(files.into_iter().flatten().map(PathBuf::as_path)).collect()
    }

    pub fn resolve(args: RawArgs) -> Result<RunPlan> {
        // The configuration: --config, else ./sitrep.toml when present. Relative paths in
        // it are relative to its folder, so `--config kerja/sitrep.toml` works from anywhere.
        let config_path = args.config.clone().or_else(|| Some(PathBuf::from("sitrep.toml")).filter(|p| p.is_file()));
        let (file, base): (FileConfig, PathBuf) = match &config_path {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("cannot read the configuration {}", p.display()))?;
                let file = toml::from_str(&text).with_context(|| format!("{} is not a valid sitrep configuration", p.display()))?;
                (file, p.parent().map(Path::to_path_buf).unwrap_or_default())
            }
            None => (FileConfig::default(), PathBuf::new()),
        };
        let in_base = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let mut args = args;
        // In a working folder (`sitrep init`), `sitrep run` needs no flags.
        if args.inputs.is_empty() {
            match (&file.submissions, &config_path) {
                (Some(s), _) => args.inputs.push(in_base(s.clone())),
                (None, Some(_)) if base.join("submissions").is_dir() => args.inputs.push(base.join("submissions")),
                _ => {}
            }
        }
        let default_targets = config_path.as_ref().map(|_| base.join("sasaran.xlsx")).filter(|p| p.is_file());
        let targets = args.targets.clone().or(file.targets.clone().map(&in_base)).or(default_targets);
        let out = args.out.clone().or(file.out.clone().map(&in_base));
        let receipts = args.receipts.clone().or(file.receipts.clone().map(&in_base));
        if let Some(r) = &receipts {
            if !r.is_file() {
                bail!("the receipts log {} does not exist", r.display());
            }
        }
        let previous = args.previous.clone().or(file.previous.clone().map(&in_base));
        let app = args.app.clone().or(file.sources.app.clone().map(&in_base));
        if let Some(a) = &app {
            if !a.exists() {
                bail!("the application export {} does not exist", a.display());
            }
        }
        if args.inputs.is_empty() {
            bail!("no submissions given: name the files or folders to read, e.g. `sitrep run submissions/ --targets sasaran.xlsx`, or make a working folder with `sitrep init kerja --province 15` and run `sitrep run` inside it");
        }
        for p in &args.inputs {
            if !p.exists() {
                bail!("{} does not exist", p.display());
            }
        }
        let period = match &args.period {
            Some(p) => Some(NaiveDate::parse_from_str(p, "%Y-%m-%d").with_context(|| format!("--period '{p}' is not a date like 2022-01-15"))?),
            None => None,
        };
        let lang = match args.lang.as_deref().or(file.lang.as_deref()).unwrap_or("id") {
            "id" => Lang::Id,
            "en" => Lang::En,
            other => bail!("unknown language '{other}': use id or en"),
        };
        let threshold = match file.threshold.unwrap_or(0.7) {
            t if t > 1.0 && t <= 100.0 => t / 100.0,
            t if t > 0.0 && t <= 1.0 => t,
            t => bail!("threshold {t} is not a coverage between 0 and 1 (or 0 and 100)"),
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_file_bytes: file.limits.max_file_bytes.unwrap_or(defaults.max_file_bytes),
            max_unzipped_bytes: file.limits.max_unzipped_bytes.unwrap_or(defaults.max_unzipped_bytes),
            max_cells: file.limits.max_cells.unwrap_or(defaults.max_cells),
            max_seconds: file.limits.max_seconds.unwrap_or(defaults.max_seconds),
        };
        let mut vocab = Vocabulary::default();
        let mut groups = Vec::new();
        for (word, code) in &file.vocabulary.groups {
            let g = Group::from_code(code).with_context(|| format!("vocabulary: '{code}' is not a group (use sdmk, petugas_publik, lansia, umum_rentan, remaja, anak)"))?;
            groups.push((word.clone(), g));
        }
        let doses: Vec<(String, u8)> = file.vocabulary.doses.iter().map(|(w, d)| (w.clone(), *d)).collect();
        vocab.extend(&groups, &doses);
        let mut report = ReportDefinition::weekly_default()?;
        report.settle(&file.campaigns, file.deadline.as_ref())?;
        let mut rakor = ReportDefinition::rakor_default()?;
        if let Some(c) = &file.cutoff {
            report.cutoff = c.clone();
            rakor.cutoff = c.clone();
        }
        let mut national = ReportDefinition::national_default()?;
        national.settle(&file.campaigns, file.deadline.as_ref())?;
        let gates = crate::gates::GateRules::from_config(&file.ppkm)?;
        let checks = crate::checks::CheckRules::from_config(&file.checks)?;
        let config_json = serde_json::json!({
            "threshold": threshold,
            "cutoff": file.cutoff,
            "lang": lang,
            "limits": limits,
            "vocabulary": file.vocabulary,
            "aliases": file.aliases,
            "previous": previous.as_ref().map(|p| p.display().to_string()),
            "app": app.as_ref().map(|p| p.display().to_string()),
            "targets_version": file.targets_version,
            "ppkm": file.ppkm,
            "checks": file.checks,
            "period": period.map(|p| p.to_string()),
            "strict": args.strict,
            "campaigns": report.campaigns.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
            "deadline": report.deadline_date.map(|d| d.to_string()),
            "receipts": receipts.as_ref().map(|p| p.display().to_string()),
            "config_file": config_path.as_ref().map(|p| p.display().to_string()),
        });
        let out = out.unwrap_or_else(|| base.join("out"));
        // A cache folder named (`--cache`, `[cache] dir`), else `<out>/.cache`.
        let named_cache = args.cache.clone().or(file.cache.dir.clone().map(&in_base));
        if let Some(c) = named_cache.as_ref().filter(|_| !args.no_cache) {
            cache_apart(c, &out, args.archive.as_deref())?;
        }
        not_a_submissions_folder(&out, args.archive.as_deref(), &args.inputs)?;
        let cache = (!args.no_cache).then(|| named_cache.unwrap_or_else(|| out.join(".cache")));
        let templates = config_path.as_ref().map(|_| base.join(crate::workspace::TEMPLATES_DIR)).filter(|p| p.is_dir());
        Ok(RunPlan {
            templates,
            inputs: args.inputs,
            targets,
            compare_targets: args.compare_targets.clone(),
            receipts,
            cache,
            out,
            previous,
            app,
            targets_version: file.targets_version.clone(),
            period,
            lang,
            threshold,
            limits,
            vocab,
            aliases: file.aliases,
            strict: args.strict,
            quiet: args.quiet,
            report,
            rakor,
            national,
            gates,
            checks,
            config_json,
            archive: args.archive,
            rows_held: file.cache.rows_held.unwrap_or(ROWS_HELD).max(1),
        })
    }
}
