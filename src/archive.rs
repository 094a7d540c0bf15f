//! Archive: the canonical table kept as Parquet partitioned by province and period, in
//! the hive layout every engine reads (`DIR/province_code=15/period=2022-01-15/part-0.parquet`;
//! the partition columns live in the folder names, not in the files), and beside it, in
//! `DIR/_runs/<period>.json`, what a re-render needs that is not a figure: the files read,
//! the findings, the targets and the seed of the PDF /ID. Engines skip `_` folders and
//! the `.json` files. `sitrep report --archive` renders a past period from this alone.
//!
//! The files' records and the targets, which a year's runs would otherwise repeat in
//! every record (26,000 files: 13 MB a run), are kept once in `DIR/_runs/parts/`, each
//! part named by the SHA-256 of its bytes: a weekly run writes its new week's part and
//! names the others, found by a digest of their records in the latest run record (not
//! written out and hashed again). A part no record names goes when a week's record is
//! replaced.
//!
//! A period written again loses the partitions of provinces with no rows in it now (a
//! file sent to the wrong province's folder and withdrawn): the archive holds what the
//! run's canonical table holds, period by period.

use crate::export::{inputs_json, write_atomic, write_atomic_with, FromRows, Period, Periods};
use crate::findings::Finding;
use crate::sym::Sym;
use crate::table::{self, FileOutcome, Observation, ReportedStatus, Target};
use crate::Consolidated;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod verify;
pub use verify::{verify, Verification};

/// What `DIR/_runs/<period>.json` holds. Borrowed from the run when written (a year's
/// 26,000 files are not copied to be serialised), owned when read back.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunRecord<'a> {
    sitrep_version: String,
    period: NaiveDate,
    /// The files' records in the run's order, as records written before parts held them
    /// (read back, never written now).
    #[serde(default, skip_serializing_if = "<[FileOutcome]>::is_empty")]
    files: Cow<'a, [FileOutcome]>,
    /// The files' records, a part per period (and one for the files without a period).
    #[serde(default)]
    file_parts: Vec<FilePart>,
    targets_file: Option<Cow<'a, FileOutcome>>,
    findings: Cow<'a, [Finding]>,
    /// The targets, as records written before parts held them.
    #[serde(default, skip_serializing_if = "<[Target]>::is_empty")]
    targets: Cow<'a, [Target]>,
    /// The part holding the targets (none without targets).
    #[serde(default)]
    targets_part: Option<String>,
    #[serde(default)]
    statuses: Cow<'a, [ReportedStatus]>,
    id_seed: String,
    /// The run's configuration, as its manifest records it (none from older versions): a
    /// re-render under another says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    configuration: Option<Cow<'a, serde_json::Value>>,
}

/// A part of a run's files' records: its name in `DIR/_runs/parts/` and where its
/// records stand in the run's list of files.
#[derive(serde::Serialize, serde::Deserialize)]
struct FilePart {
    part: String,
    /// Runs of positions, `[first, count]`: one for a folder per week.
    at: Vec<(usize, usize)>,
    /// The digest of its records ([`inputs_json::digest`]) and the part's size: a later
    /// run whose records of the period are the same names the part by them, without
    /// writing the records out and hashing them again. None from older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    records: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

const PARTS: &str = "_runs/parts";

/// What `DIR/_partitions.json` holds of each partition written: the fingerprint of its
/// period's rows (as the export's) and its size, so that a run whose rows for a period
/// did not change leaves that period's partitions as they are; and its SHA-256, checked
/// when a re-render reads it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Written {
    period_fingerprint: String,
    bytes: u64,
    /// Its rows (none recorded by older versions: the period is then cut again).
    #[serde(default)]
    rows: Option<usize>,
    /// Its bytes' SHA-256 (none recorded by older versions: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// The file's stamp just after it was written (size, times, inode): a partition
    /// changed since (a byte damaged in place, a copy put over it) is written again by
    /// the next run that covers its period. None from older versions: its size only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stamp: Option<crate::known_files::Stamp>,
}

impl Written {
    /// Whether the partition at `rel` is as this run wrote it: of its size and, when
    /// recorded, its stamp.
    fn still_there(&self, dir: &Path, rel: &str) -> bool {
        // One stat for both (a year's archive has 1,768 partitions).
        std::fs::metadata(dir.join(rel)).is_ok_and(|meta| meta.len() == self.bytes && self.stamp.is_none_or(|s| crate::known_files::Stamp::of_meta(&meta) == Some(s)))
    }
}

const PARTITIONS: &str = "_partitions.json";

/// The partitions `_partitions.json` records, by path under `dir` (none when it is
/// missing or unreadable: every partition is then written, or read, again).
fn written_partitions(dir: &Path) -> BTreeMap<String, Written> {
    std::fs::read(dir.join(PARTITIONS)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// The period a run's record is kept under: its latest (none without figures).
pub fn record_period(read: &Consolidated) -> Option<chrono::NaiveDate> {
    // The periods named by their files include those whose rows are still in the cache.
    let named = read.period_keys.as_ref().and_then(|k| k.keys().next_back().copied());
    named.or_else(|| read.observations.iter().map(|o| o.period).max())
}

/// Writes the run record under its latest period ([`record_period`], given: the
/// figures may have been let go of by then): what a re-render needs that is not a
/// figure, and the run's `configuration`. Returns its file.
pub fn write_record(dir: &Path, read: &Consolidated, latest: Option<chrono::NaiveDate>, configuration: Option<&serde_json::Value>) -> Result<Option<PathBuf>> {
    let Some(latest) = latest else { return Ok(None) };
    // The files by period, each period's positions in the run's order.
    let mut by_period: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, f) in read.files.iter().enumerate() {
        by_period.entry(f.period.as_deref()).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = by_period.into_values().collect();
    // The parts the latest run record names, by their records' digests: a weekly run's
    // earlier weeks are most often as that run had them.
    let written_before = parts_by_records(dir);
    let build = crate::build_stamp();
    let file_parts = crate::par_map_bounded(&groups, |positions| {
        let records: Vec<&FileOutcome> = positions.iter().map(|i| &read.files[*i]).collect();
        let digest = inputs_json::digest(&build, &records);
        let (part, bytes) = match written_before.get(&digest) {
            Some((part, bytes)) if crate::export::still_there(dir, &part_file(part), *bytes) => (part.clone(), *bytes),
            _ => {
                let json = inputs_json::compact(&records);
                let bytes = json.len() as u64;
                (write_part_bytes(dir, json)?, bytes)
            }
        };
        Ok(FilePart { part, at: runs_of(positions), records: Some(digest), bytes: Some(bytes) })
    })?;
    let targets_part = if read.targets.is_empty() { None } else { Some(write_part(dir, &read.targets)?) };
    let record = RunRecord {
        sitrep_version: env!("CARGO_PKG_VERSION").to_string(),
        period: latest,
        files: Cow::Borrowed(&[]),
        file_parts,
        targets_file: read.targets_file.as_ref().map(Cow::Borrowed),
        findings: Cow::Borrowed(&read.findings),
        targets: Cow::Borrowed(&[]),
        targets_part,
        statuses: Cow::Borrowed(&read.statuses),
        id_seed: hex::encode(read.id_seed),
        configuration: configuration.map(Cow::Borrowed),
    };
    let rel = format!("_runs/{latest}.json");
    let replaced = parts_named(&dir.join(&rel));
    crate::export::write_json(dir, &rel, &record, false)?;
    // A week run again (late files before the rakor) names a new part for its files:
    // the part it named before goes, unless another run's record names it.
    let named = part_names(&record.file_parts, record.targets_part.as_ref());
    remove_parts_unnamed(dir, &dir.join(&rel), named, &replaced)?;
    Ok(Some(dir.join(rel)))
}

/// A part no run record names and older than this was left by a run killed before it
/// wrote its record (a run writing now is younger).
const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the parts `replaced` (the run record `record` replaced) named that no run
/// record names (`named`: the new one's); and, as every record is read for that anyway,
/// the parts and half-written temporary files a killed run left behind.
fn remove_parts_unnamed(dir: &Path, record: &Path, mut named: BTreeSet<String>, replaced: &BTreeSet<String>) -> Result<()> {
    if replaced.is_subset(&named) {
        return Ok(());
    }
    for other in std::fs::read_dir(dir.join("_runs"))?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json") && p != record) {
        named.extend(parts_named(&other));
    }
    let now = std::time::SystemTime::now();
    for entry in std::fs::read_dir(dir.join(PARTS))?.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        let part = file_name.strip_suffix(".json").unwrap_or(file_name);
        if named.contains(part) {
            continue;
        }
        let orphan = || entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > ORPHAN_AGE));
        if replaced.contains(part) || orphan() {
            std::fs::remove_file(entry.path()).ok();
        }
    }
    Ok(())
}

/// What a run record names, read without the rest of it.
#[derive(serde::Deserialize)]
struct Named {
    #[serde(default)]
    file_parts: Vec<FilePart>,
    #[serde(default)]
    targets_part: Option<String>,
}

fn named_in(record: &Path) -> Option<Named> {
    std::fs::read(record).ok().and_then(|b| serde_json::from_slice::<Named>(&b).ok())
}

/// The parts a run record names (none when it cannot be read, or holds its records itself).
fn parts_named(record: &Path) -> BTreeSet<String> {
    let Some(named) = named_in(record) else { return BTreeSet::new() };
    part_names(&named.file_parts, named.targets_part.as_ref())
}

/// The files' parts the latest run record in `dir` names, by the digest of their
/// records, with their sizes (none without a record, or from older versions).
fn parts_by_records(dir: &Path) -> std::collections::HashMap<String, (String, u64)> {
    let latest = record_periods(&dir.join("_runs")).ok().and_then(|periods| periods.max());
    let Some(named) = latest.and_then(|d| named_in(&dir.join(format!("_runs/{d}.json")))) else { return Default::default() };
    named.file_parts.into_iter().filter_map(|p| Some((p.records?, (p.part, p.bytes?)))).collect()
}

/// The periods of the run records in `runs` (`<period>.json`).
fn record_periods(runs: &Path) -> std::io::Result<impl Iterator<Item = NaiveDate>> {
    Ok(std::fs::read_dir(runs)?.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())))
}

/// A part's file under the archive.
fn part_file(name: &str) -> String {
    format!("{PARTS}/{name}.json")
}

/// The names of a record's parts: its files' and its targets'.
fn part_names(file_parts: &[FilePart], targets_part: Option<&String>) -> BTreeSet<String> {
    file_parts.iter().map(|p| p.part.clone()).chain(targets_part.cloned()).collect()
}

/// Writes `records` as a part named by its SHA-256, unless that part is already there
/// (whole: its size is the bytes'). Returns the name.
fn write_part(dir: &Path, records: &(impl serde::Serialize + ?Sized)) -> Result<String> {
    write_part_bytes(dir, serde_json::to_vec(records)?)
}

/// [`write_part`] of records as JSON already (the files' records are written by hand,
/// [`crate::export::inputs_json`]: a year's were 13 MB through serde_json every run).
fn write_part_bytes(dir: &Path, bytes: Vec<u8>) -> Result<String> {
    let name = crate::export::sha256_hex(&bytes);
    let rel = part_file(&name);
    if !crate::export::still_there(dir, &rel, bytes.len() as u64) {
        write_atomic(dir, &rel, &bytes)?;
    }
    Ok(name)
}

/// A part's records, checked against its name (a part changed by hand would re-render
/// other figures than the run's).
fn read_part<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>> {
    let path = dir.join(part_file(name));
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}, a part of the archive's run records", path.display()))?;
    if crate::export::sha256_hex(&bytes) != name {
        bail!("{} was changed after sitrep wrote it (its SHA-256 is no longer its name): the runs that name it cannot be re-rendered from it", path.display());
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not a part of sitrep's run records", path.display()))
}

/// Sorted positions as runs of `[first, count]`.
fn runs_of(positions: &[usize]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in positions {
        match runs.last_mut() {
            Some((first, count)) if *first + *count == i => *count += 1,
            _ => runs.push((i, 1)),
        }
    }
    runs
}

/// The run's files' records in the run's order, from the parts that hold them.
fn files_from_parts(dir: &Path, parts: &[FilePart]) -> Result<Vec<FileOutcome>> {
    let read: Vec<Vec<FileOutcome>> = crate::par_map_bounded(parts, |p| read_part(dir, &p.part))?;
    let count: usize = parts.iter().flat_map(|p| &p.at).map(|(_, n)| n).sum();
    let mut files: Vec<Option<FileOutcome>> = vec![None; count];
    for (part, records) in parts.iter().zip(read) {
        let placed: usize = part.at.iter().map(|(_, n)| n).sum();
        if records.len() != placed {
            bail!("the archive's part {} holds {} files' records, not the {placed} its run record places", part.part, records.len());
        }
        for (i, record) in part.at.iter().flat_map(|(first, n)| *first..first + n).zip(records) {
            match files.get_mut(i) {
                Some(slot @ None) => *slot = Some(record),
                _ => bail!("the archive's run record places two files' records at {i}, or one beyond its {count} files"),
            }
        }
    }
    Ok(files.into_iter().flatten().collect())
}

/// A run record's files' records and targets: from their parts, or from the record
/// itself when it was written before parts.
fn files_and_targets(dir: &Path, record: &RunRecord) -> Result<(Vec<FileOutcome>, Vec<Target>)> {
    let files = if record.file_parts.is_empty() { record.files.to_vec() } else { files_from_parts(dir, &record.file_parts)? };
    let targets = match &record.targets_part {
        Some(name) => read_part(dir, name)?,
        None => record.targets.to_vec(),
    };
    Ok((files, targets))
}

/// Writes the run's observations, one Parquet file per province and period, replacing
/// those partitions unless their period's rows are the same as when they were written:
/// begun, then handed each period's rows by the canonical table's pass over them
/// ([`FromRows::add`]), so that a year's rows from the cache are not decoded again for
/// the archive; [`Partitioning::finish`] writes what no pass handed over.
pub struct Partitioning<'d> {
    dir: &'d Path,
    /// The partitions written before, by path under `dir`.
    known: BTreeMap<String, Written>,
    /// The periods whose partitions are to be written, and whether each has been.
    changed: BTreeMap<NaiveDate, std::sync::atomic::AtomicBool>,
    /// The partitions written this run.
    done: std::sync::Mutex<Vec<(String, Written)>>,
    /// Partitions removed this run: their province had no rows left in a period written again.
    gone: std::sync::Mutex<Vec<String>>,
}

impl<'d> Partitioning<'d> {
    pub fn begin(dir: &'d Path, periods: &Periods) -> Partitioning<'d> {
        let known = written_partitions(dir);
        let mut changed = BTreeMap::new();
        for period in periods.iter() {
            // Partitions written for exactly these rows, all still there and holding all of
            // them: kept without cutting the period by province again.
            let tag = format!("/period={}/", period.period);
            // A partition of the period from other rows (left by a version that did not
            // remove a withdrawn province's) is removed when the period is written again.
            let (same, stale): (Vec<_>, Vec<_>) = known.iter().filter(|(rel, _)| rel.contains(&tag)).partition(|(_, w)| w.period_fingerprint == period.fingerprint);
            let whole = same.iter().map(|(_, w)| w.rows).sum::<Option<usize>>() == Some(period.count);
            if same.is_empty() || !whole || !stale.is_empty() || !same.iter().all(|(rel, w)| w.still_there(dir, rel)) {
                changed.insert(period.period, false.into());
            }
        }
        Partitioning { dir, known, changed, done: Default::default(), gone: Default::default() }
    }

    /// Writes the partitions no pass handed over (their rows decoded from the cache a batch
    /// at a time), then the list of partitions.
    pub fn finish(self, periods: &Periods) -> Result<()> {
        self.add_the_rest(periods)?;
        let Partitioning { dir, mut known, done, gone, .. } = self;
        for rel in gone.into_inner().unwrap_or_else(|e| e.into_inner()) {
            // Its province's folder too, once empty: only now, as a period written beside
            // could have been making its own folder in it.
            if let Some((province, _)) = rel.split_once('/') {
                let _ = std::fs::remove_dir(dir.join(province));
            }
            known.remove(&rel);
        }
        known.extend(done.into_inner().unwrap_or_else(|e| e.into_inner()));
        write_atomic(dir, PARTITIONS, &serde_json::to_vec(&known)?)?;
        Ok(())
    }
}

impl FromRows for Partitioning<'_> {
    fn needs(&self, p: &Period) -> bool {
        self.changed.get(&p.period).is_some_and(|written| !written.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Writes period `p`'s partitions, one per province, unless they are written.
    fn add(&self, period: &Period, rows: &[&Observation]) -> Result<()> {
        let Some(written) = self.changed.get(&period.period) else { return Ok(()) };
        if written.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let dir = self.dir;
        // The province code comes from the embedded gazetteer (digits), never a file.
        let parts: Vec<(String, Vec<&Observation>)> = table::partitioned(rows.iter().copied(), |o| o.province_code.as_str())
            .into_iter()
            .map(|(province, rows)| (format!("province_code={}/period={}/part-0.parquet", crate::safe_file_name(province), period.period), rows))
            .collect();
        let fingerprint = &period.fingerprint;
        let done = crate::par_map_bounded(&parts, |(rel, rows)| -> Result<(String, Written)> {
            if let Some(w) = self.known.get(rel).filter(|w| w.period_fingerprint == *fingerprint && w.still_there(dir, rel)) {
                return Ok((rel.clone(), Written { rows: Some(rows.len()), ..w.clone() }));
            }
            // Without the columns the folders name, in polars' default row groups.
            let out = write_atomic_with(dir, rel, &|w| crate::table_parquet::write(rows, &["province_code", "period"], 512 * 512, ParquetCompression::default(), w))?;
            let stamp = crate::known_files::Stamp::of_path(&dir.join(rel));
            Ok((rel.clone(), Written { period_fingerprint: fingerprint.to_string(), bytes: out.bytes, rows: Some(rows.len()), sha256: Some(out.sha256), stamp }))
        })?;
        let gone = remove_partitions_but(dir, period.period, &done.iter().map(|(rel, _)| rel.as_str()).collect())?;
        self.gone.lock().unwrap_or_else(|e| e.into_inner()).extend(gone);
        self.done.lock().unwrap_or_else(|e| e.into_inner()).extend(done);
        Ok(())
    }
}

/// Removes `period`'s partitions other than `kept` (paths under `dir`), with their period's
/// folder once empty, and returns them: a province whose files for the period were withdrawn
/// would still be read by every engine that reads the archive. Found by listing the
/// province folders, so that partitions `_partitions.json` does not name go too.
fn remove_partitions_but(dir: &Path, period: NaiveDate, kept: &BTreeSet<&str>) -> Result<Vec<String>> {
    let mut gone = Vec::new();
    let Ok(provinces) = std::fs::read_dir(dir) else { return Ok(gone) };
    for entry in provinces.flatten() {
        let name = entry.file_name();
        let Some(province) = name.to_str().filter(|n| n.starts_with("province_code=")) else { continue };
        let folder = format!("{province}/period={period}");
        let rel = format!("{folder}/part-0.parquet");
        if kept.contains(rel.as_str()) || !dir.join(&rel).exists() {
            continue;
        }
        std::fs::remove_file(dir.join(&rel)).with_context(|| format!("removing {}, whose province has no rows for {period} now", dir.join(&rel).display()))?;
        // A folder holding anything else (a file put there by hand) stays.
        let _ = std::fs::remove_dir(dir.join(&folder));
        gone.push(rel);
    }
    Ok(gone)
}

/// The history up to `period` (every partition dated on or before it) and the record of
/// the run that reported on it (or, failing that, of the first later run, which read it).
/// When `_partitions.json` names every partition with its period's fingerprint, size and
/// rows, only `period`'s rows are read now: the others are left where they are
/// ([`Unread`]), each period named by its fingerprint, for the stages to read a few at a
/// time (a year's history read whole was 0.45 GB). Else every row is read now. With
/// them, the configuration that run recorded (none from older versions).
pub fn read(dir: &Path, period: NaiveDate) -> Result<(Consolidated, Option<Unread>, Option<serde_json::Value>)> {
    let mut parts = partitions_through(dir, period)?;
    // A period the archive has no figures for (a date mistyped, a week not archived) is
    // named with the periods it has, not rendered as a report of nothing. Its folders are
    // listed again only then.
    if !parts.iter().any(|p| p.period == period) {
        let held = periods_held(dir)?;
        if !held.is_empty() && !held.contains(&period) {
            bail!("the archive {} holds no figures for {period}: its periods are {}", dir.display(), listed(&held));
        }
    }
    let record = run_record(dir, period)?;
    let known = written_partitions(dir);
    // Each partition's record, when it is of the recorded size: its SHA-256 is checked
    // when it is read; its rows and fingerprint serve when all have them.
    let recorded: Vec<Option<&Written>> = parts
        .iter()
        .map(|p| {
            let rel = p.rel();
            known.get(&rel).filter(|w| crate::export::still_there(dir, &rel, w.bytes))
        })
        .collect();
    for (p, w) in parts.iter_mut().zip(&recorded) {
        p.sha256 = w.and_then(|w| w.sha256.clone());
    }
    let keys = period_keys(&mut parts, &recorded);
    let (now, later): (Vec<Partition>, Vec<Partition>) = parts.into_iter().partition(|p| keys.is_none() || p.period == period);
    let (files, targets) = files_and_targets(dir, &record)?;
    let order = RunOrder::of(&files);
    let frames: Vec<Vec<Observation>> = crate::par_map_bounded(&now, read_partition)?;
    // A period's partitions' rows together in the run's order.
    let mut observations = table::Observations::default();
    let mut frames = frames.into_iter();
    for same_period in now.chunk_by(|a, b| a.period == b.period) {
        for list in order.in_run_order(frames.by_ref().take(same_period.len()).collect()) {
            observations.push(list);
        }
    }
    let unread = keys.is_some().then(|| {
        let mut periods: BTreeMap<NaiveDate, (usize, Vec<Partition>)> = BTreeMap::new();
        for p in later {
            let e = periods.entry(p.period).or_default();
            e.0 += p.rows;
            e.1.push(p);
        }
        Unread { periods, order }
    });
    let id_seed = hex::decode(&record.id_seed).ok().and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok()).unwrap_or_default();
    let (files, findings) = match record.period > period {
        // A period no run reported on, from the record of the first run after it: that
        // run's files of later periods, and what was found in them, are not its inputs.
        true => files_through(files, record.findings.into_owned(), period),
        false => (files, record.findings.into_owned()),
    };
    let read = Consolidated {
        files,
        targets_file: record.targets_file.map(Cow::into_owned),
        findings,
        observations,
        targets,
        statuses: record.statuses.into_owned(),
        id_seed,
        // Each period named by its partitions' fingerprint when they all record one;
        // else the rows read back are fingerprinted.
        period_keys: keys,
    };
    Ok((read, unread, record.configuration.map(Cow::into_owned)))
}

/// The periods the archive's partition folders name (`province_code=…/period=…`).
fn periods_held(dir: &Path) -> Result<BTreeSet<NaiveDate>> {
    let mut held = BTreeSet::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the archive {}", dir.display()))?;
    for prov in entries.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("province_code=")) {
        let Ok(periods) = std::fs::read_dir(prov.path()) else { continue };
        held.extend(periods.flatten().filter_map(|e| e.file_name().to_str()?.strip_prefix("period=").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())));
    }
    Ok(held)
}

/// Dates as a short list: all of a few; of many the first and last ones and how many.
fn listed(dates: &BTreeSet<NaiveDate>) -> String {
    let all: Vec<String> = dates.iter().map(NaiveDate::to_string).collect();
    match all.len() {
        0..=6 => all.join(", "),
        n => format!("{}, {} … {}, {}, {} ({n} periods)", all[0], all[1], all[n - 3], all[n - 2], all[n - 1]),
    }
}

/// A partition of the archive: a province's rows of a period.
struct Partition {
    period: NaiveDate,
    province_code: String,
    path: PathBuf,
    /// Its rows, as `_partitions.json` records them (0 when it does not).
    rows: usize,
    /// Its SHA-256, as `_partitions.json` records it (none when it does not).
    sha256: Option<String>,
}

impl Partition {
    /// Its path under the archive, as `_partitions.json` names it.
    fn rel(&self) -> String {
        format!("province_code={}/period={}/{}", self.province_code, self.period, self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
    }
}

/// The archive's partitions dated on or before `period`, in the order of their periods,
/// provinces and files.
fn partitions_through(dir: &Path, period: NaiveDate) -> Result<Vec<Partition>> {
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
            let files = std::fs::read_dir(per.path())?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "parquet"));
            parts.extend(files.map(|f| (date, code.to_string(), f)));
        }
    }
    parts.sort();
    Ok(parts.into_iter().map(|(period, province_code, path)| Partition { period, province_code, path, rows: 0, sha256: None }).collect())
}

/// Each period's fingerprint, when every one of the period's partitions is `recorded`
/// (its record in `_partitions.json`, of its size as it is now) with it and its rows
/// (then put in `parts`); `None` when one partition is not so recorded.
fn period_keys(parts: &mut [Partition], recorded: &[Option<&Written>]) -> Option<BTreeMap<NaiveDate, String>> {
    let mut keys: BTreeMap<NaiveDate, String> = BTreeMap::new();
    let mut rows = Vec::with_capacity(parts.len());
    for (p, w) in parts.iter().zip(recorded) {
        let w = (*w)?;
        rows.push(w.rows?);
        if keys.entry(p.period).or_insert_with(|| w.period_fingerprint.clone()) != &w.period_fingerprint {
            return None;
        }
    }
    for (p, n) in parts.iter_mut().zip(rows) {
        p.rows = n;
    }
    Some(keys)
}

/// A partition's rows, with the province and period its folders name.
fn read_partition(p: &Partition) -> Result<Vec<Observation>> {
    let path = &p.path;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // A byte changed in a partition was, as often as not, other figures read without a word.
    if p.sha256.as_ref().is_some_and(|want| *want != crate::export::sha256_hex(&bytes)) {
        bail!("{} (`sitrep verify --archive {}` checks every other partition)", not_as_written(path), p.path.ancestors().nth(3).unwrap_or(Path::new(".")).display());
    }
    let df = anyhow::Context::with_context(ParquetReader::new(std::io::Cursor::new(&bytes[..])).finish(), || format!("{} is not a readable Parquet file", path.display()))?;
    let rows = anyhow::Context::with_context(table::observations_from_frame(&df, Sym::new(&p.province_code), p.period), || format!("{} does not hold sitrep's canonical table", path.display()))?;
    if p.rows > 0 && rows.len() != p.rows {
        bail!("{} holds {} rows, not the {} the archive recorded when it wrote it: it was changed after sitrep wrote it", path.display(), rows.len(), p.rows);
    }
    Ok(rows)
}

/// What to do about a partition that is not as sitrep wrote it: it is the run's table,
/// written again from the submissions.
const WRITE_AGAIN: &str = "delete it and run `sitrep run … --archive` over the same submissions to write it again";

/// What is said of a partition whose bytes differ from the SHA-256 [`PARTITIONS`] records
/// (by a re-render reading it, and by `sitrep verify`).
fn not_as_written(path: &Path) -> String {
    format!("{} is not what sitrep wrote there (its SHA-256 differs from the one {PARTITIONS} records): it was damaged or changed since; {WRITE_AGAIN}", path.display())
}

/// The periods of the archive whose rows are not read yet, with their partitions.
pub struct Unread {
    periods: BTreeMap<NaiveDate, (usize, Vec<Partition>)>,
    order: RunOrder,
}

/// Where each file stood in the archived run (by the path its rows name). The archive
/// holds a period's rows by province, the run held them by file: a file resent under
/// another name (listed after the other provinces' files), or provinces' folders named
/// out of their codes' order, put its rows elsewhere in a re-rendered export than in the
/// run's, until they were merged back by it.
struct RunOrder(rustc_hash::FxHashMap<Sym, usize>);

impl RunOrder {
    fn of(files: &[FileOutcome]) -> RunOrder {
        RunOrder(files.iter().enumerate().map(|(i, f)| (Sym::new(&f.path), i)).collect())
    }

    /// A period's partitions' rows (each list in the run's order) in the run's order: as
    /// they are when one after the other they are (a national folder's files named by
    /// their districts' codes), else merged into one list by their files' places. A file's
    /// rows in several partitions (a file with rows of several provinces) come province by
    /// province.
    fn in_run_order(&self, lists: Vec<Vec<Observation>>) -> Vec<Vec<Observation>> {
        let place = |o: &Observation| self.0.get(&o.source).copied().unwrap_or(usize::MAX);
        // The places of the lists' files one after the other, a look-up per file.
        let mut places = lists.iter().flat_map(|l| l.chunk_by(|a, b| a.source == b.source)).map(|run| place(&run[0]));
        let mut last = 0;
        if places.all(|p| std::mem::replace(&mut last, p) <= p) {
            return lists;
        }
        let mut out = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        let mut lists: Vec<std::iter::Peekable<std::vec::IntoIter<Observation>>> = lists.into_iter().map(|l| l.into_iter().peekable()).collect();
        // Each list's next file place, smallest first (the earlier list on a tie).
        let mut next: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>> = lists.iter_mut().enumerate().filter_map(|(i, l)| Some(std::cmp::Reverse((place(l.peek()?), i)))).collect();
        while let Some(std::cmp::Reverse((_, i))) = next.pop() {
            // That list's rows of this file (together, as the run read them), then its
            // next file's place: looked up once a file, not once a row.
            let Some(first) = lists[i].next() else { continue };
            let source = first.source;
            out.push(first);
            while let Some(o) = lists[i].next_if(|o| o.source == source) {
                out.push(o);
            }
            if let Some(o) = lists[i].peek() {
                next.push(std::cmp::Reverse((place(o), i)));
            }
        }
        vec![out]
    }
}

impl Unread {
    /// The periods, with their numbers of rows.
    pub fn periods(&self) -> impl Iterator<Item = (NaiveDate, usize)> + '_ {
        self.periods.iter().map(|(p, (n, _))| (*p, *n))
    }

    /// The rows of each of `periods`, in the run's order (merged back by file).
    pub fn decode(&self, periods: &[NaiveDate]) -> Result<Vec<table::Observations>> {
        let parts: Vec<&Partition> = periods.iter().flat_map(|p| self.periods.get(p).map(|(_, parts)| parts.as_slice()).unwrap_or_default()).collect();
        let mut lists = crate::par_map_bounded(&parts, |p| read_partition(p))?.into_iter();
        Ok(periods.iter().map(|p| self.periods.get(p).map_or(0, |(_, parts)| parts.len())).map(|n| self.order.in_run_order(lists.by_ref().take(n).collect()).into_iter().collect()).collect())
    }
}

/// The files of `period` and before, and the findings about no other file. A file of no
/// period (one that could not be read) is dated by its name or folder, as reading dates
/// a table; one with no date there either stays.
fn files_through(files: Vec<FileOutcome>, findings: Vec<Finding>, period: NaiveDate) -> (Vec<FileOutcome>, Vec<Finding>) {
    let later = |f: &FileOutcome| match f.period {
        Some(_) => f.periods().all(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok_and(|d| d > period)),
        None => table::date_in_path(&f.path).is_some_and(|d| d > period),
    };
    let (later, through): (Vec<FileOutcome>, Vec<FileOutcome>) = files.into_iter().partition(later);
    let gone: BTreeSet<&str> = later.iter().map(|f| f.path.as_str()).collect();
    let findings = findings.into_iter().filter(|f| !gone.contains(f.source.as_str())).collect();
    (through, findings)
}

/// The settings in which `now` differs from the configuration a run recorded (`then`, as
/// [`read`] gives it), each with its value then and now; none when the record keeps none.
/// What names a run's own inputs (the previous export, the receipts log, the
/// configuration file's path) is not compared.
pub fn configuration_differences(then: Option<&serde_json::Value>, now: &serde_json::Value) -> Vec<String> {
    const OWN_INPUTS: [&str; 6] = ["previous", "app", "period", "receipts", "config_file", "strict"];
    let (Some(then), Some(now)) = (then.and_then(|t| t.as_object()), now.as_object()) else { return Vec::new() };
    let keys: BTreeSet<&String> = then.keys().chain(now.keys()).filter(|k| !OWN_INPUTS.contains(&k.as_str())).collect();
    let scalar = |v: Option<&serde_json::Value>| v.is_none_or(|v| !v.is_object() && !v.is_array());
    let shown = |v: Option<&serde_json::Value>| v.filter(|v| !v.is_null()).map_or("none".to_string(), |v| v.to_string());
    keys.into_iter()
        .filter(|k| then.get(*k) != now.get(*k))
        .map(|k| match scalar(then.get(k)) && scalar(now.get(k)) {
            true => format!("{k} {} then, {} now", shown(then.get(k)), shown(now.get(k))),
            // Tables (the PPKM gates, the vocabulary) are named, not printed.
            false => format!("[{k}] changed"),
        })
        .collect()
}

fn run_record(dir: &Path, period: NaiveDate) -> Result<RunRecord<'static>> {
    let runs = dir.join("_runs");
    let mut dates: Vec<NaiveDate> = record_periods(&runs)
        .with_context(|| format!("{} is not a sitrep archive (no _runs folder): write one with `sitrep run … --archive {}`", dir.display(), dir.display()))?
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A re-render reads its own period's rows at once and leaves the others in the
    /// archive, named by their fingerprints, for the stages to read a few at a time; an
    /// archive whose partitions are not all recorded as written is read whole.
    #[test]
    fn only_the_reported_periods_rows_are_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2022, 1, d).unwrap();
        let rows: Vec<Observation> = [1, 8, 15]
            .into_iter()
            .flat_map(|d| {
                let mut a = table::testing::obs("15.01.01", 10 + d as i64, "C5");
                let mut b = table::testing::obs("76.01.02", 20 + d as i64, "C6");
                (a.period, b.period, b.province_code, b.district_code) = (day(d), day(d), "76".into(), "76.01".into());
                [a, b]
            })
            .collect();
        let observations: table::Observations = std::iter::once(rows.clone()).collect();
        let periods = Periods::new(&observations, None, None);
        Partitioning::begin(dir.path(), &periods).finish(&periods).unwrap();
        let read_in = Consolidated { files: vec![FileOutcome { path: "a.xlsx".into(), ..Default::default() }], ..Default::default() };
        write_record(dir.path(), &read_in, Some(day(8)), None).unwrap();

        let (back, unread, _) = read(dir.path(), day(8)).unwrap();
        let held: Vec<Observation> = back.observations.iter().copied().collect();
        assert_eq!(held, rows.iter().filter(|o| o.period == day(8)).copied().collect::<Vec<_>>());
        let unread = unread.expect("the earlier period is left in the archive");
        assert_eq!(unread.periods().collect::<Vec<_>>(), [(day(1), 2)]);
        let decoded: Vec<Observation> = unread.decode(&[day(1)]).unwrap().remove(0).iter().copied().collect();
        assert_eq!(decoded, rows[..2]);
        let keys = back.period_keys.expect("each period named");
        let fingerprints: Vec<(NaiveDate, String)> = periods.iter().filter(|p| p.period <= day(8)).map(|p| (p.period, p.fingerprint.clone())).collect();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), fingerprints);

        // A partition not as it was written (its size is not the one recorded): every
        // row is read now.
        let list = dir.path().join(PARTITIONS);
        let mut known: BTreeMap<String, Written> = serde_json::from_slice(&std::fs::read(&list).unwrap()).unwrap();
        known.get_mut("province_code=76/period=2022-01-01/part-0.parquet").unwrap().bytes += 1;
        std::fs::write(&list, serde_json::to_vec(&known).unwrap()).unwrap();
        let (back, unread, _) = read(dir.path(), day(8)).unwrap();
        assert!(unread.is_none() && back.period_keys.is_none());
        assert_eq!(back.observations.len(), 4);
        // So without the list of partitions written.
        std::fs::remove_file(&list).unwrap();
        let (back, unread, _) = read(dir.path(), day(8)).unwrap();
        assert!(unread.is_none());
        assert_eq!(back.observations.len(), 4);
    }

    /// A run whose records of a period are those of the latest run record names that
    /// run's part (the SHA-256 of the records as written) and leaves its file as it is;
    /// a period with a record changed gets a part of its own, and a part gone is written
    /// again.
    #[test]
    fn a_periods_part_written_before_is_found_by_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<FileOutcome> = ["2022-01-01", "2022-01-08"].iter().enumerate().map(|(i, p)| FileOutcome { path: format!("{i}.xlsx"), period: Some(p.to_string()), ..Default::default() }).collect();
        let day = |d: u32| NaiveDate::from_ymd_opt(2022, 1, d).unwrap();
        let parts_of = |date: NaiveDate| run_record(dir.path(), date).unwrap().file_parts.into_iter().map(|p| p.part).collect::<Vec<_>>();
        let named_as_written = |files: &[FileOutcome]| files.iter().map(|f| crate::export::sha256_hex(&inputs_json::compact(&[f]))).collect::<Vec<_>>();
        let inode = |part: &str| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.path().join(part_file(part))).unwrap());
        write_record(dir.path(), &Consolidated { files: files.clone(), ..Default::default() }, Some(day(8)), None).unwrap();
        let first = parts_of(day(8));
        assert_eq!(first, named_as_written(&files));
        let inodes: Vec<u64> = first.iter().map(|p| inode(p)).collect();

        // The next week: the two periods as they were, and a new one.
        let mut next = files.clone();
        next.push(FileOutcome { path: "2.xlsx".into(), period: Some("2022-01-15".into()), ..Default::default() });
        write_record(dir.path(), &Consolidated { files: next.clone(), ..Default::default() }, Some(day(15)), None).unwrap();
        assert_eq!(parts_of(day(15)), named_as_written(&next));
        assert_eq!(first.iter().map(|p| inode(p)).collect::<Vec<_>>(), inodes, "the parts written before are left as they are");

        // A file of 8 January received again (a new time): its period's part is its own.
        next[1].received = chrono::DateTime::from_timestamp(1_642_204_800, 0);
        // And the part of 1 January gone (removed by hand).
        std::fs::remove_file(dir.path().join(part_file(&first[0]))).unwrap();
        write_record(dir.path(), &Consolidated { files: next.clone(), ..Default::default() }, Some(day(15)), None).unwrap();
        let again = parts_of(day(15));
        assert_eq!(again, named_as_written(&next));
        assert_ne!(again[1], first[1]);
        assert!(dir.path().join(part_file(&first[0])).exists(), "the part gone is written again");
        let (back, _) = files_and_targets(dir.path(), &run_record(dir.path(), day(15)).unwrap()).unwrap();
        assert_eq!(back[1].received, next[1].received);
    }

    /// Files of interleaved periods (a flat folder sorted by district) come back in the
    /// run's order, with the targets; a part written again is not rewritten.
    #[test]
    fn the_files_records_come_back_from_their_parts_in_the_runs_order() {
        let dir = tempfile::tempdir().unwrap();
        let periods = [Some("2022-01-08"), Some("2022-01-01"), None, Some("2022-01-08"), Some("2022-01-01"), Some("2022-01-01")];
        let files: Vec<FileOutcome> = periods.iter().enumerate().map(|(i, p)| FileOutcome { path: format!("{i}.xlsx"), period: p.map(String::from), ..Default::default() }).collect();
        let target = Target { province_code: "15".into(), district_code: "15.01".into(), area_code: None, unit: None, group: crate::layout::vocab::Group::All, target: 900, source: "s.xlsx".into(), sheet: "S".into(), cell: "D4".into() };
        let read = Consolidated { files: files.clone(), targets: vec![target], ..Default::default() };
        let latest = NaiveDate::from_ymd_opt(2022, 1, 8).unwrap();
        write_record(dir.path(), &read, Some(latest), None).unwrap();
        let record = run_record(dir.path(), latest).unwrap();
        assert!(record.files.is_empty(), "the records are in parts, not in the run record");
        assert_eq!(record.file_parts.len(), 3);
        let paths = |files: &[FileOutcome]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        let (back, targets) = files_and_targets(dir.path(), &record).unwrap();
        assert_eq!(paths(&back), paths(&files));
        assert_eq!(targets[0].target, 900);
        // A record written before parts holds its files and targets itself.
        let old = RunRecord { files: Cow::Borrowed(&files), file_parts: Vec::new(), targets: Cow::Borrowed(&read.targets), targets_part: None, ..record };
        let old: RunRecord = serde_json::from_slice(&serde_json::to_vec(&old).unwrap()).unwrap();
        let (back, targets) = files_and_targets(dir.path(), &old).unwrap();
        assert_eq!((paths(&back), targets.len()), (paths(&files), 1));
        // A later run naming the same parts leaves their files as they are.
        let part = dir.path().join(PARTS).join(format!("{}.json", record.file_parts[0].part));
        let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&part).unwrap());
        let before = inode();
        write_record(dir.path(), &read, Some(NaiveDate::from_ymd_opt(2022, 1, 15).unwrap()), None).unwrap();
        assert_eq!(inode(), before);
        assert_eq!(std::fs::read_dir(dir.path().join(PARTS)).unwrap().count(), 4);
        // The week of 15 January run twice more, a late file arriving each time: each new
        // part of its files replaces the one only its record named; the parts the record
        // of 8 January names stay.
        for name in ["late.xlsx", "later.xlsx"] {
            let mut late = read.clone();
            late.files.push(FileOutcome { path: name.into(), period: Some("2022-01-15".into()), ..Default::default() });
            write_record(dir.path(), &late, Some(NaiveDate::from_ymd_opt(2022, 1, 15).unwrap()), None).unwrap();
        }
        let parts: BTreeSet<String> = std::fs::read_dir(dir.path().join(PARTS)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".json").to_string()).collect();
        let named = |period: &str| parts_named(&dir.path().join(format!("_runs/{period}.json")));
        assert_eq!(parts, &named("2022-01-08") | &named("2022-01-15"));
        assert_eq!(parts.len(), 5);

        // A run killed after writing a part and a half-written file, before its record:
        // they go when a week is written again, once older than any run still writing;
        // a part as young as a run writing now stays.
        let parts_dir = dir.path().join(PARTS);
        let old = std::time::SystemTime::now() - ORPHAN_AGE * 2;
        for (name, age) in [("0123abcd.json", Some(old)), (".tmpXy12", Some(old)), ("4567ef.json", None)] {
            let file = std::fs::File::create(parts_dir.join(name)).unwrap();
            if let Some(t) = age {
                file.set_modified(t).unwrap();
            }
        }
        let mut late = read.clone();
        late.files.push(FileOutcome { path: "latest.xlsx".into(), period: Some("2022-01-15".into()), ..Default::default() });
        write_record(dir.path(), &late, Some(NaiveDate::from_ymd_opt(2022, 1, 15).unwrap()), None).unwrap();
        let left: BTreeSet<String> = std::fs::read_dir(&parts_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(left.contains("4567ef.json") && !left.contains("0123abcd.json") && !left.contains(".tmpXy12"), "{left:?}");
        assert_eq!(left.len(), 6, "the five named parts and the young one: {left:?}");
    }
}
