//! `sitrep verify --archive DIR`: whether the archive is as sitrep wrote it, read whole.
//!
//! A weekly run sees a partition changed by a write (its stamp differs) and writes it
//! again, but not one whose bytes rotted on the disk with its stamp intact; a re-render
//! names such a partition only when it reads it, perhaps years later. This reads every
//! partition and every part of the run records and compares each with what
//! `_partitions.json` and its name record: what an archivist runs before copying the
//! archive away, or after restoring it.

use super::{not_as_written, part_names, partitions_through, read_part, record_periods, written_partitions, FilePart, RunRecord, PARTITIONS, PARTS, WRITE_AGAIN};
use crate::table::{FileOutcome, Target};
use anyhow::{bail, Result};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What [`verify`] found.
#[derive(Debug, Default)]
pub struct Verification {
    /// Partitions found under the province and period folders.
    pub partitions: usize,
    /// Of them, those whose bytes were compared with the SHA-256 sitrep recorded.
    pub partitions_hashed: usize,
    /// Run records read, and the parts they name (each checked against its name).
    pub records: usize,
    pub parts: usize,
    /// What differs from what sitrep wrote, each naming its file and what to do.
    pub problems: Vec<String>,
    /// What could not be checked (written by hand, or by versions that recorded less).
    pub notes: Vec<String>,
}

/// Reads the whole archive at `dir` and compares it with what sitrep recorded writing.
/// An error only when `dir` is no archive at all.
pub fn verify(dir: &Path) -> Result<Verification> {
    let runs = dir.join("_runs");
    let partitions = partitions_through(dir, NaiveDate::MAX)?;
    if !runs.is_dir() && partitions.is_empty() {
        bail!("{} is not a sitrep archive (no _runs folder, no province_code=… folders): write one with `sitrep run … --archive {}`", dir.display(), dir.display());
    }
    let mut found = Verification { partitions: partitions.len(), ..Verification::default() };
    check_partitions(dir, &partitions, &mut found)?;
    let (parts, files_periods) = check_records(dir, &runs, &mut found);
    found.parts = parts.len();
    // Periods whose files no run names any more (a week's files all withdrawn): their
    // partitions stay, as history, and every engine reading the archive counts them.
    if found.records > 0 && !parts.values().any(Result::is_err) {
        let unnamed: BTreeSet<NaiveDate> = partitions.iter().map(|p| p.period).filter(|p| !files_periods.contains(p)).collect();
        for period in unnamed {
            found.notes.push(format!("the figures of {period} are kept from files no archived run names any more (withdrawn since?): a re-render of {period} has them without their files; if they should not be counted, delete the folders province_code=…/period={period} in {}", dir.display()));
        }
    }
    // Parts no record names: a run stopped before writing its record (the next run removes them).
    if let Ok(listing) = std::fs::read_dir(dir.join(PARTS)) {
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.strip_suffix(".json").is_some_and(|part| !parts.contains_key(part)) {
                found.notes.push(format!("{} is named by no run record (left by a run stopped before it wrote its record): not needed", entry.path().display()));
            }
        }
    }
    Ok(found)
}

/// Each partition against what `_partitions.json` records of it (its size and SHA-256),
/// and each recorded partition that is gone.
fn check_partitions(dir: &Path, partitions: &[super::Partition], found: &mut Verification) -> Result<()> {
    // The partitions, against `_partitions.json`.
    let recorded_file = dir.join(PARTITIONS);
    if recorded_file.exists() && std::fs::read(&recorded_file).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()).is_none() {
        found.problems.push(format!("{} cannot be read: the partitions cannot be compared with what sitrep wrote; the next `sitrep run … --archive` over their periods writes them and it again", recorded_file.display()));
    }
    let known = written_partitions(dir);
    let checked = crate::par_map_bounded(partitions, |p| {
        let rel = p.rel();
        let path = p.path.display();
        let Some(w) = known.get(&rel) else { return Ok(Checked::Note(format!("{path} is not in {PARTITIONS} (put there by hand, or written before sitrep recorded its partitions): not checked"))) };
        let bytes = match std::fs::read(&p.path) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Checked::Problem(format!("{path} cannot be read ({e}); {WRITE_AGAIN}"))),
        };
        if bytes.len() as u64 != w.bytes {
            return Ok(Checked::Problem(format!("{path} holds {} bytes, not the {} sitrep wrote: it was changed or cut since; {WRITE_AGAIN}", bytes.len(), w.bytes)));
        }
        match &w.sha256 {
            Some(want) if *want != crate::export::sha256_hex(&bytes) => Ok(Checked::Problem(not_as_written(&p.path))),
            Some(_) => Ok(Checked::Hashed),
            None => Ok(Checked::Note(format!("{path} was written before sitrep recorded its partitions' SHA-256: its size alone was checked (the next run over its period that changes it records one)"))),
        }
    })?;
    for c in checked {
        match c {
            Checked::Hashed => found.partitions_hashed += 1,
            Checked::Problem(p) => found.problems.push(p),
            Checked::Note(n) => found.notes.push(n),
        }
    }
    let on_disk: BTreeSet<String> = partitions.iter().map(|p| p.rel()).collect();
    for rel in known.keys().filter(|rel| !on_disk.contains(*rel)) {
        found.problems.push(format!("{} is recorded in {PARTITIONS} but is not there: its rows are missing from the archive; run `sitrep run … --archive` over the same submissions to write it again", dir.join(rel).display()));
    }
    Ok(())
}

/// The parts named by the run records, each read once, by name, with how many records it
/// holds (or what is wrong with it).
type Parts = BTreeMap<String, std::result::Result<usize, String>>;

/// Every run record, the parts holding its files' records and targets (each against its
/// name) and where it places them; with the periods of the files the records name.
fn check_records(dir: &Path, runs: &Path, found: &mut Verification) -> (Parts, BTreeSet<NaiveDate>) {
    // The run records, and the parts holding their files' records and targets: each
    // part read once (a year's records name 53 parts each, most of them the same).
    let mut parts: Parts = BTreeMap::new();
    // The periods of the files the records name.
    let mut files_periods: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut periods: Vec<NaiveDate> = record_periods(runs).map(Iterator::collect).unwrap_or_default();
    periods.sort();
    for period in periods {
        let path = runs.join(format!("{period}.json"));
        let record: RunRecord = match std::fs::read(&path).map_err(anyhow::Error::from).and_then(|b| Ok(serde_json::from_slice(&b)?)) {
            Ok(r) => r,
            Err(e) => {
                found.problems.push(format!("{} cannot be read as a sitrep run record ({e}): the period {period} cannot be re-rendered; run `sitrep run … --archive` over its submissions to write it again", path.display()));
                continue;
            }
        };
        found.records += 1;
        // Records written before parts held them hold their files themselves.
        files_periods.extend(periods_of(&record.files));
        // A part of its recorded size is kept by the next run: deleted, it is written again.
        let again = |what: String, there: bool| format!("{what} (named by {}); {}run `sitrep run … --archive` over the period's submissions to write it again", path.display(), if there { "delete it and " } else { "" });
        for name in part_names(&record.file_parts, record.targets_part.as_ref()) {
            if parts.contains_key(&name) {
                continue;
            }
            // Read and checked against its name (its SHA-256).
            let read = match record.targets_part.as_ref() == Some(&name) {
                true => read_part::<Target>(dir, &name).map(|r| r.len()),
                false => read_part::<FileOutcome>(dir, &name).map(|files| {
                    files_periods.extend(periods_of(&files));
                    files.len()
                }),
            };
            let read = read.map_err(|e| format!("{e:#}"));
            if let Err(e) = &read {
                found.problems.push(again(e.clone(), dir.join(super::part_file(&name)).exists()));
            }
            parts.insert(name, read);
        }
        // Each part's records placed once each among the run's files.
        let counts: Option<Vec<usize>> = record.file_parts.iter().map(|p| parts.get(&p.part).and_then(|r| r.as_ref().ok()).copied()).collect();
        if let Some(problem) = counts.and_then(|counts| misplaced(&record.file_parts, &counts)) {
            found.problems.push(format!("{}: {problem}: the period {period} cannot be re-rendered; run `sitrep run … --archive` over its submissions to write it again", path.display()));
        }
    }
    (parts, files_periods)
}

/// The periods the files' records name.
fn periods_of(files: &[FileOutcome]) -> impl Iterator<Item = NaiveDate> + '_ {
    files.iter().flat_map(FileOutcome::periods).filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// One partition's check.
enum Checked {
    Hashed,
    Problem(String),
    Note(String),
}

/// What is wrong with where a record's `file_parts` place their records (`counts`: how many
/// each part holds), if anything: each position of the run's files once.
fn misplaced(file_parts: &[FilePart], counts: &[usize]) -> Option<String> {
    let total: usize = counts.iter().sum();
    let mut seen = vec![false; total];
    for (p, count) in file_parts.iter().zip(counts) {
        let placed: usize = p.at.iter().map(|(_, n)| n).sum();
        if placed != *count {
            return Some(format!("the part {} holds {count} files' records, not the {placed} the record places", p.part));
        }
        for i in p.at.iter().flat_map(|(first, n)| *first..first + n) {
            match seen.get_mut(i) {
                Some(slot @ false) => *slot = true,
                _ => return Some(format!("two files' records placed at {i}, or one beyond the run's {total} files")),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, at: &[(usize, usize)]) -> FilePart {
        FilePart { part: name.into(), at: at.to_vec(), records: None, bytes: None }
    }

    /// Each of the run's files once: a part's count must be what its runs place, and no
    /// position placed twice or beyond the files.
    #[test]
    fn records_placed_once_each() {
        assert_eq!(misplaced(&[part("a", &[(0, 2), (4, 1)]), part("b", &[(2, 2)])], &[3, 2]), None);
        assert!(misplaced(&[part("a", &[(0, 2)])], &[3]).is_some_and(|p| p.contains("holds 3")));
        assert!(misplaced(&[part("a", &[(0, 2)]), part("b", &[(1, 1)])], &[2, 1]).is_some_and(|p| p.contains("at 1")));
        assert!(misplaced(&[part("a", &[(1, 2)])], &[2]).is_some_and(|p| p.contains("beyond")));
    }
}
