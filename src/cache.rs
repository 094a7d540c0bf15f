//! Incremental cache: what reading each submission gave (observations, targets,
//! findings, outcome), so a run over a folder that already holds last year's files reads
//! only what changed. An entry's key is the SHA-256 of the file's content, its path as
//! shown (dates and districts are also read from file and folder names), the sitrep
//! version and build, and the configuration that affects reading (limits, vocabulary,
//! aliases). Stored in `<out>/.cache/`: the observations as Parquet, the rest as JSON.
//! A missing, stale or damaged cache is simply not used.

use crate::export::{parquet_batches, BATCH, sha256_hex, write_atomic, write_atomic_with};
use crate::findings::Finding;
use crate::table::{self, FileOutcome, FileTable, ReportedStatus, Target};
use anyhow::Result;
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const OBSERVATIONS: &str = "observations.parquet";
const FILES: &str = "files.json";
/// The observations' column naming the index entry they belong to.
const ENTRY: &str = "entry";

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    outcome: FileOutcome,
    findings: Vec<Finding>,
    targets: Vec<Target>,
    #[serde(default)]
    statuses: Vec<ReportedStatus>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Index {
    /// SHA-256 of the observations file written with this index: a pair that does not
    /// match (a run killed between the two writes) is not used.
    observations_sha256: String,
    entries: Vec<Entry>,
}

/// The cache of one run: the entries found on disk, taken as files are read.
pub struct Cache {
    dir: PathBuf,
    /// What is common to every key of this run (version, build, configuration).
    salt: String,
    entries: Mutex<HashMap<String, FileTable>>,
}

impl Cache {
    /// Loads `dir` (an empty cache when there is none or it cannot be used).
    pub fn load(dir: &Path, config: &serde_json::Value) -> Cache {
        // The build, so a rebuilt sitrep does not reuse what an older one read.
        let build = std::env::current_exe().and_then(std::fs::metadata).map(|m| format!("{}:{:?}", m.len(), m.modified().ok())).unwrap_or_default();
        let reading = serde_json::json!([config.get("limits"), config.get("vocabulary"), config.get("aliases")]);
        let salt = format!("{}\n{build}\n{reading}", env!("CARGO_PKG_VERSION"));
        let entries = Self::read(dir).unwrap_or_default();
        Cache { dir: dir.to_path_buf(), salt, entries: Mutex::new(entries) }
    }

    fn read(dir: &Path) -> Option<HashMap<String, FileTable>> {
        let index: Index = serde_json::from_slice(&std::fs::read(dir.join(FILES)).ok()?).ok()?;
        let bytes = std::fs::read(dir.join(OBSERVATIONS)).ok()?;
        if sha256_hex(&bytes) != index.observations_sha256 {
            return None;
        }
        let df = ParquetReader::new(std::io::Cursor::new(bytes)).finish().ok()?;
        let entry_of = df.column(ENTRY).ok()?.u32().ok()?.clone();
        let observations = table::observations_from_frame(&df).ok()?;
        let mut tables: Vec<(String, FileTable)> = index
            .entries
            .into_iter()
            .map(|e| (e.key, FileTable { outcome: e.outcome, observations: Vec::new(), targets: e.targets, statuses: e.statuses, findings: e.findings }))
            .collect();
        for (entry, o) in entry_of.iter().zip(observations) {
            tables.get_mut(entry? as usize)?.1.observations.push(o);
        }
        Some(tables.into_iter().collect())
    }

    /// The key of a file's content as read under `path` (as shown).
    pub fn key(&self, content_sha256: &str, shown_path: &str) -> String {
        sha256_hex(format!("{}\n{content_sha256}\n{shown_path}", self.salt).as_bytes())
    }

    /// The cached reading of a file, if any (each entry is handed out once).
    pub fn take(&self, key: &str) -> Option<FileTable> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key)
    }

    /// How many entries no file of this run has taken.
    pub fn left_over(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Replaces the cache with the files of this run (so it never holds files no longer
    /// read). `files` are as read, before resubmissions and overlaps are settled.
    pub fn save(&self, files: &[(String, &FileTable)]) -> Result<()> {
        // The observations in frames of at most BATCH rows, each with its entry's place
        // in the index (not its 64-character key), streamed to the file.
        let frames = || {
            let mut rows = files.iter().enumerate().flat_map(|(i, (_, f))| f.observations.iter().map(move |o| (i as u32, o))).peekable();
            let mut first = true;
            std::iter::from_fn(move || {
                if !std::mem::take(&mut first) && rows.peek().is_none() {
                    return None;
                }
                let part: Vec<(u32, &table::Observation)> = rows.by_ref().take(BATCH).collect();
                Some(table::observations_frame(part.iter().map(|(_, o)| *o)).and_then(|mut df| {
                    df.with_column(Column::new(ENTRY.into(), part.iter().map(|(e, _)| *e).collect::<Vec<u32>>()))?;
                    Ok(df)
                }))
            })
        };
        let written = write_atomic_with(&self.dir, OBSERVATIONS, &|w| parquet_batches(frames(), w))?;
        let index = Index {
            observations_sha256: written.sha256,
            entries: files
                .iter()
                .map(|(key, f)| Entry { key: key.clone(), outcome: f.outcome.clone(), findings: f.findings.clone(), targets: f.targets.clone(), statuses: f.statuses.clone() })
                .collect(),
        };
        write_atomic(&self.dir, FILES, &serde_json::to_vec(&index)?)?;
        Ok(())
    }
}
