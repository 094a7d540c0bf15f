//! The end-of-run summary: what was read, what was refused, who has not reported and
//! where the reports are, as data (for `--json`) and as a short table (for people).

use crate::export::Output;
use crate::findings::{Finding, Severity};
use crate::gazetteer::Gazetteer;
use crate::table::FileOutcome;
use crate::RunSummary;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct District {
    pub code: String,
    pub name: String,
}

/// Borrows the run's files and findings (a year's are 26,000 files): serialised for
/// `--json`, never kept.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport<'a> {
    pub period: Option<String>,
    /// Submission files found.
    pub files: usize,
    /// Read, with a table recognised (status `ok`).
    pub files_read: usize,
    /// Read, with at least one error or warning about them.
    pub files_with_findings: usize,
    /// Not read at all (damaged, hostile, not a spreadsheet).
    pub files_refused: Vec<String>,
    /// Left out because a later copy of the same submission was read.
    pub files_superseded: usize,
    pub rows_accepted: usize,
    pub rows_totals: usize,
    pub rows_rejected: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub districts_expected: usize,
    pub districts_reporting: usize,
    pub districts_missing: Vec<District>,
    pub out: String,
    pub reports: Vec<String>,
    pub exports: Vec<String>,
    pub inputs: &'a [FileOutcome],
    pub targets: Option<&'a FileOutcome>,
    pub findings: &'a [Finding],
}

impl<'a> RunReport<'a> {
    pub fn new(s: &'a RunSummary, out: &Path, gazetteer: &Gazetteer) -> RunReport<'a> {
        let count = |sev: Severity| s.findings.iter().filter(|f| f.severity == sev).count();
        // Looked up for every file (a year's 26,000): hashed, not compared along a tree of
        // paths that share their folders.
        let flagged: rustc_hash::FxHashSet<&str> = s.findings.iter().filter(|f| f.severity != Severity::Info).map(|f| f.source.as_str()).collect();
        let reporting: BTreeSet<&str> = s.districts_reporting.iter().map(String::as_str).collect();
        let expected: Vec<District> = s
            .provinces
            .iter()
            .flat_map(|p| gazetteer.districts_of(p))
            .map(|r| District { code: r.code.clone(), name: r.name.clone() })
            .collect();
        let path = |o: &Output| out.join(&o.path).display().to_string();
        RunReport {
            period: s.period.map(|p| p.to_string()),
            files: s.files.len(),
            files_read: s.files.iter().filter(|f| f.status == "ok").count(),
            files_with_findings: s.files.iter().filter(|f| f.status == "ok" && flagged.contains(f.path.as_str())).count(),
            files_refused: s.files.iter().filter(|f| f.status == "error").map(|f| f.path.clone()).collect(),
            files_superseded: s.files.iter().filter(|f| f.status == "duplicate" || f.status == "superseded").count(),
            rows_accepted: s.files.iter().map(|f| f.rows_accepted).sum(),
            rows_totals: s.files.iter().map(|f| f.rows_totals).sum(),
            rows_rejected: s.files.iter().map(|f| f.rows_rejected).sum(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Info),
            districts_expected: expected.len(),
            districts_reporting: expected.iter().filter(|d| reporting.contains(d.code.as_str())).count(),
            districts_missing: expected.into_iter().filter(|d| !reporting.contains(d.code.as_str())).collect(),
            out: out.display().to_string(),
            reports: s.reports.iter().map(path).collect(),
            exports: s.exports.iter().map(path).collect(),
            inputs: &s.files,
            targets: s.targets.as_ref(),
            findings: &s.findings,
        }
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let mut line = |k: &str, v: String| t.push_str(&format!("  {k:<20} {v}\n"));
        line("files read", format!("{} of {}", self.files_read, self.files));
        line("with findings", self.files_with_findings.to_string());
        line("refused", match self.files_refused.len() {
            0 => "0".to_string(),
            n => format!("{n}: {}", self.files_refused.iter().map(|p| file_name(p)).collect::<Vec<_>>().join(", ")),
        });
        if self.files_superseded > 0 {
            line("superseded", format!("{} (a later copy was read)", self.files_superseded));
        }
        line("rows", format!("{} accepted, {} totals, {} rejected", self.rows_accepted, self.rows_totals, self.rows_rejected));
        line("findings", format!("{} errors, {} warnings", self.errors, self.warnings));
        if self.districts_expected > 0 {
            line("districts reporting", format!("{} of {}", self.districts_reporting, self.districts_expected));
            line("districts missing", match self.districts_missing.as_slice() {
                [] => "none".to_string(),
                m => m.iter().map(|d| format!("{} ({})", d.name, d.code)).collect::<Vec<_>>().join(", "),
            });
        }
        for r in &self.reports {
            line("report", r.clone());
        }
        if let Some(x) = self.exports.iter().find(|e| e.ends_with(".xlsx")) {
            line("for officials", x.clone());
        }
        if !self.exports.is_empty() {
            line("archive", format!("{} ({} files, manifest.json)", Path::new(&self.out).join("export").display(), self.exports.len()));
        }
        let title = match &self.period {
            Some(p) => format!("Summary, period {p}:\n"),
            None => "Summary:\n".to_string(),
        };
        title + &t
    }
}

fn file_name(p: &str) -> &str {
    Path::new(p).file_name().and_then(|n| n.to_str()).unwrap_or(p)
}
