//! Incremental cache: what reading each submission gave (observations, targets,
//! findings, outcome), so a run over a folder that already holds last year's files reads
//! only what changed. An entry's key is the SHA-256 of the file's content, its path as
//! shown (dates and districts are also read from file and folder names), the sitrep
//! version and build, and the configuration that affects reading (limits, vocabulary,
//! aliases). Stored in `<out>/.cache/`: the observations as Parquet, the rest as JSON.
//! A missing, stale or damaged cache is simply not used.

use crate::export::{parquet_bytes, sha256_hex, write_atomic};
use crate::findings::Finding;
use crate::table::{self, FileOutcome, FileTable, ReportedStatus, Target};
use anyhow::Result;
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const OBSERVATIONS: &str = "observations.parquet";
const FILES: &str = "files.json";

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
        let keys: Vec<String> = df.column("key").ok()?.str().ok()?.iter().map(|k| k.unwrap_or_default().to_string()).collect();
        let observations = table::observations_from_frame(&df).ok()?;
        let mut by_key: HashMap<String, FileTable> = index
            .entries
            .into_iter()
            .map(|e| (e.key, FileTable { outcome: e.outcome, observations: Vec::new(), targets: e.targets, statuses: e.statuses, findings: e.findings }))
            .collect();
        for (key, o) in keys.into_iter().zip(observations) {
            by_key.get_mut(&key)?.observations.push(o);
        }
        Some(by_key)
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
        let mut keys = Vec::new();
        for (key, f) in files {
            keys.extend(std::iter::repeat_n(key.as_str(), f.observations.len()));
        }
        let mut df = table::observations_frame(files.iter().flat_map(|(_, f)| f.observations.iter()))?;
        df.with_column(Column::new("key".into(), keys))?;
        let bytes = parquet_bytes(&df)?;
        let index = Index {
            observations_sha256: sha256_hex(&bytes),
            entries: files
                .iter()
                .map(|(key, f)| Entry { key: key.clone(), outcome: f.outcome.clone(), findings: f.findings.clone(), targets: f.targets.clone(), statuses: f.statuses.clone() })
                .collect(),
        };
        write_atomic(&self.dir, OBSERVATIONS, &bytes)?;
        write_atomic(&self.dir, FILES, &serde_json::to_vec(&index)?)?;
        Ok(())
    }
}
