//! Archive: the canonical table kept as Parquet partitioned by province and period, in
//! the hive layout every engine reads (`DIR/province_code=15/period=2022-01-15/part-0.parquet`;
//! the partition columns live in the folder names, not in the files), and beside it, in
//! `DIR/_runs/<period>.json`, what a re-render needs that is not a figure: the files read,
//! the findings, the targets and the seed of the PDF /ID. Engines skip `_` folders and
//! the `.json` files. `sitrep report --archive` renders a past period from this alone.

use crate::export::{parquet_bytes, write_atomic, Period, Periods};
use crate::findings::Finding;
use crate::table::{self, FileOutcome, Observation, ReportedStatus, Target};
use crate::Consolidated;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `DIR/_runs/<period>.json` holds. Borrowed from the run when written (a year's
/// 26,000 files are not copied to be serialised), owned when read back.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunRecord<'a> {
    sitrep_version: String,
    period: NaiveDate,
    files: Cow<'a, [FileOutcome]>,
    targets_file: Option<Cow<'a, FileOutcome>>,
    findings: Cow<'a, [Finding]>,
    targets: Cow<'a, [Target]>,
    #[serde(default)]
    statuses: Cow<'a, [ReportedStatus]>,
    id_seed: String,
}

/// What `DIR/_partitions.json` holds of each partition written: the fingerprint of its
/// period's rows (as the export's) and its size, so that a run whose rows for a period
/// did not change leaves that period's partitions as they are.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Written {
    period_fingerprint: String,
    bytes: u64,
    /// Its rows (none recorded by older versions: the period is then cut again).
    #[serde(default)]
    rows: Option<usize>,
}

const PARTITIONS: &str = "_partitions.json";

/// The period a run's record is kept under: its latest (none without figures).
pub fn record_period(read: &Consolidated) -> Option<chrono::NaiveDate> {
    // The periods named by their files include those whose rows are still in the cache.
    let named = read.period_keys.as_ref().and_then(|k| k.keys().next_back().copied());
    named.or_else(|| read.observations.iter().map(|o| o.period).max())
}

/// Writes the run record under its latest period ([`record_period`], given: the
/// figures may have been let go of by then): what a re-render needs that is not a
/// figure. Returns its file.
pub fn write_record(dir: &Path, read: &Consolidated, latest: Option<chrono::NaiveDate>) -> Result<Option<PathBuf>> {
    let Some(latest) = latest else { return Ok(None) };
    let record = RunRecord {
        sitrep_version: env!("CARGO_PKG_VERSION").to_string(),
        period: latest,
        files: Cow::Borrowed(&read.files),
        targets_file: read.targets_file.as_ref().map(Cow::Borrowed),
        findings: Cow::Borrowed(&read.findings),
        targets: Cow::Borrowed(&read.targets),
        statuses: Cow::Borrowed(&read.statuses),
        id_seed: hex::encode(read.id_seed),
    };
    let rel = format!("_runs/{latest}.json");
    crate::export::write_json(dir, &rel, &record, false)?;
    Ok(Some(dir.join(rel)))
}

/// Writes the run's observations, one Parquet file per province and period, replacing
/// those partitions unless their period's rows are the same as when they were written.
/// Returns the run's partition files.
pub fn write_partitions(dir: &Path, periods: &Periods) -> Result<Vec<PathBuf>> {
    let mut known: BTreeMap<String, Written> = std::fs::read(dir.join(PARTITIONS)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let mut kept: Vec<(String, Written)> = Vec::new();
    let mut changed: Vec<&Period> = Vec::new();
    for period in periods.iter() {
        // Partitions written for exactly these rows, all still there and holding all of
        // them: kept without cutting the period by province again.
        let tag = format!("/period={}/", period.period);
        let same: Vec<(&String, &Written)> = known.iter().filter(|(rel, w)| rel.contains(&tag) && w.period_fingerprint == period.fingerprint).collect();
        let whole = same.iter().map(|(_, w)| w.rows).sum::<Option<usize>>() == Some(period.count);
        if !same.is_empty() && whole && same.iter().all(|(rel, w)| crate::export::still_there(dir, rel, w.bytes)) {
            kept.extend(same.into_iter().map(|(rel, w)| (rel.clone(), w.clone())));
        } else {
            changed.push(period);
        }
    }
    // The rows of the periods to write that are still in the cache.
    let decoded = periods.decode(&changed)?;
    let mut parts: Vec<(String, &str, Vec<&Observation>)> = Vec::new();
    for (period, decoded) in changed.iter().zip(&decoded) {
        for (province, rows) in table::partitioned(period.rows_with(decoded), |o| o.province_code.as_str()) {
            // The province code comes from the embedded gazetteer (digits), never a file.
            let rel = format!("province_code={}/period={}/part-0.parquet", crate::safe_file_name(province), period.period);
            parts.push((rel, &period.fingerprint, rows));
        }
    }
    let done: Vec<(String, Written)> = crate::par_map_bounded(&parts, |(rel, fingerprint, rows)| -> Result<(String, Written)> {
        if let Some(w) = known.get(rel).filter(|w| w.period_fingerprint == **fingerprint && crate::export::still_there(dir, rel, w.bytes)) {
            return Ok((rel.clone(), Written { rows: Some(rows.len()), ..w.clone() }));
        }
        // Each partition's frame on its own: one frame of a year's rows was gigabytes.
        let part = table::observations_frame(rows.iter().copied())?.drop_many(["province_code", "period"]);
        let out = write_atomic(dir, rel, &parquet_bytes(&part)?)?;
        Ok((rel.clone(), Written { period_fingerprint: fingerprint.to_string(), bytes: out.bytes, rows: Some(rows.len()) }))
    })?;
    let written: Vec<PathBuf> = kept.iter().chain(&done).map(|(rel, _)| dir.join(rel)).collect();
    known.extend(done);
    write_atomic(dir, PARTITIONS, &serde_json::to_vec(&known)?)?;
    Ok(written)
}

/// The history up to `period` (every partition dated on or before it) and the record of
/// the run that reported on it (or, failing that, of the first later run, which read it).
pub fn read(dir: &Path, period: NaiveDate) -> Result<Consolidated> {
    let record = run_record(dir, period)?;
    let mut parts: Vec<(NaiveDate, String, PathBuf)> = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the archive {}", dir.display()))?;
    for prov in entries.flatten() {
        let name = prov.file_name().to_string_lossy().into_owned();
        let Some(code) = name.strip_prefix("province_code=") else { continue };
        for per in std::fs::read_dir(prov.path())?.flatten() {
            let name = per.file_name().to_string_lossy().into_owned();
            let Some(date) = name.strip_prefix("period=").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else { continue };
            if date > period {
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(per.path())?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "parquet")).collect();
            files.sort();
            parts.extend(files.into_iter().map(|f| (date, code.to_string(), f)));
        }
    }
    parts.sort();
    let frames: Vec<Vec<Observation>> = crate::par_map_bounded(&parts, |(date, code, path)| -> Result<Vec<Observation>> {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut df = anyhow::Context::with_context(ParquetReader::new(file).finish(), || format!("{} is not a readable Parquet file", path.display()))?;
        let n = df.height();
        let days = table::days_of(*date);
        df.with_column(Column::new("province_code".into(), vec![code.as_str(); n]))?;
        df.with_column(Int32Chunked::from_vec("period".into(), vec![days; n]).into_date().into_series().into_column())?;
        anyhow::Context::with_context(table::observations_from_frame(&df), || format!("{} does not hold sitrep's canonical table", path.display()))
    })?;
    let id_seed = hex::decode(&record.id_seed).ok().and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok()).unwrap_or_default();
    Ok(Consolidated {
        files: record.files.into_owned(),
        targets_file: record.targets_file.map(Cow::into_owned),
        findings: record.findings.into_owned(),
        observations: frames.into_iter().collect(),
        targets: record.targets.into_owned(),
        statuses: record.statuses.into_owned(),
        id_seed,
        // Rows read back from the archive: fingerprinted, not named by files.
        period_keys: None,
    })
}

fn run_record(dir: &Path, period: NaiveDate) -> Result<RunRecord<'static>> {
    let runs = dir.join("_runs");
    let mut dates: Vec<NaiveDate> = std::fs::read_dir(&runs)
        .with_context(|| format!("{} is not a sitrep archive (no _runs folder): write one with `sitrep run … --archive {}`", dir.display(), dir.display()))?
        .flatten()
        .filter_map(|e| e.path().file_stem().and_then(|s| s.to_str()).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()))
        .filter(|d| *d >= period)
        .collect();
    dates.sort();
    let Some(date) = dates.first() else {
        bail!("the archive {} holds no run covering {period}", dir.display());
    };
    let path = runs.join(format!("{date}.json"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a sitrep run record", path.display()))
}
