//! The receipts log (`--receipts`, `receipts` in sitrep.toml): when each submission was
//! received, as the data officer wrote it down. A file's modification time says when it
//! was last copied, not when it arrived (after a `git checkout` every file is "new"), so
//! the log's time is used when there is one, and the file time otherwise.
//!
//! The log is a CSV (or a workbook) read with the same tolerant reader as submissions:
//! a header row with a file column (`file`, `berkas`, `nama berkas`) and a time column
//! (`received`, `diterima`, `waktu diterima`), one row per file. Times are local times
//! like `2022-01-15 16:20` (WIB unless a zone is written: `16:20 WITA`, `+08:00`) or
//! ISO 8601 (`2022-01-15T09:20:00Z`).

use crate::findings::{cell_ref, Finding};
use crate::ingest::{self, Cell, Limits, SourceFile};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;

/// When one input was received, and whether the receipts log said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub at: Option<DateTime<Utc>>,
    pub from_log: bool,
}

/// File name (lower case) → when it was received.
#[derive(Debug, Clone, Default)]
pub struct Receipts {
    pub source: String,
    times: BTreeMap<String, DateTime<Utc>>,
}

const FILE_HEADERS: &[&str] = &["file", "berkas", "nama berkas", "nama file", "file name", "filename"];
const TIME_HEADERS: &[&str] = &["received", "diterima", "waktu diterima", "waktu", "tanggal diterima", "received at"];

/// The last component of a path written with either separator, lower case: the log
/// names files as the officer saw them, without the folders they were put in.
pub fn file_key(path: &str) -> String {
    path.trim().rsplit(['/', '\\']).next().unwrap_or("").trim().to_lowercase()
}

impl Receipts {
    pub fn received(&self, path: &str) -> Option<DateTime<Utc>> {
        self.times.get(&file_key(path)).copied()
    }
    pub fn len(&self) -> usize {
        self.times.len()
    }
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The received time of each input: the log's, else the file time with a note.
    /// Log entries naming no input are noted too (a typo in a file name shows up).
    pub fn apply(&self, paths: &[String], file_times: &[Option<DateTime<Utc>>]) -> (Vec<Received>, Vec<Finding>) {
        let mut findings = Vec::new();
        let mut used = std::collections::BTreeSet::new();
        let times = paths
            .iter()
            .zip(file_times)
            .map(|(p, ft)| match self.received(p) {
                Some(t) => {
                    used.insert(file_key(p));
                    Received { at: Some(t), from_log: true }
                }
                None => {
                    findings.push(Finding::info("no_receipt", p, format!("not in the receipts log {}: the file's modification time is used as its received time", self.source)));
                    Received { at: *ft, from_log: false }
                }
            })
            .collect();
        for name in self.times.keys().filter(|k| !used.contains(*k)) {
            findings.push(Finding::info("receipt_without_file", &self.source, format!("the receipts log names '{name}', which is not among the submissions read")));
        }
        (times, findings)
    }
}

/// Reads the log. Never fails: an unreadable log or row is a finding, and what could be
/// read is used.
pub fn read(path: &Path, limits: &Limits) -> (Receipts, Vec<Finding>) {
    let display = path.display().to_string();
    let mut receipts = Receipts { source: display.clone(), times: BTreeMap::new() };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return (receipts, vec![Finding::error("unreadable_receipts", &display, format!("cannot read the receipts log: {e}; file times are used"))]),
    };
    let file = SourceFile { path: path.to_path_buf(), display: display.clone(), sha256: String::new(), bytes, modified: None };
    let grid = match ingest::read(&file, limits) {
        Ok(g) => g,
        Err(f) => return (receipts, vec![f]),
    };
    let mut findings = grid.findings.clone();
    let Some(sheet) = grid.sheets.first() else { return (receipts, findings) };
    let header = |cell: &Cell, names: &[&str]| names.contains(&cell.text().to_lowercase().trim_end_matches(':').trim());
    let found = sheet.rows.iter().enumerate().take(20).find_map(|(r, row)| {
        let f = row.iter().position(|c| header(c, FILE_HEADERS))?;
        let t = row.iter().position(|c| header(c, TIME_HEADERS))?;
        Some((r, f, t))
    });
    let Some((header_row, file_col, time_col)) = found else {
        findings.push(Finding::error(
            "unreadable_receipts",
            &display,
            "no header row with a file column (file / berkas) and a time column (received / diterima) in the first 20 rows; file times are used",
        ));
        return (receipts, findings);
    };
    for (r, row) in sheet.rows.iter().enumerate().skip(header_row + 1) {
        let name = row.get(file_col).map(Cell::text).unwrap_or_default();
        let when = row.get(time_col).unwrap_or(&Cell::Empty);
        if name.is_empty() && when.is_empty() {
            continue;
        }
        let at = |c: usize| Some(cell_ref(r, c));
        if name.is_empty() {
            findings.push(Finding::warning("bad_receipt", &display, "a received time with no file name; row skipped").at(&sheet.name, at(file_col)));
            continue;
        }
        let parsed = match when {
            Cell::Text(t) => parse_time(t),
            Cell::Number(n) => excel_serial(*n),
            _ => None,
        };
        let Some(t) = parsed else {
            // A spreadsheet date-time cell reaches us as its date only.
            if let Cell::Date(d) = when {
                findings.push(
                    Finding::warning("bad_receipt", &display, format!("{d} for {name} is a date cell without a time that can be read; write the time as text (2022-01-15 16:20); the file time is used"))
                        .at(&sheet.name, at(time_col)),
                );
                continue;
            }
            findings.push(
                Finding::warning("bad_receipt", &display, format!("'{}' for {name} is not a time like 2022-01-15 16:20 (WIB) or 2022-01-15T09:20:00Z; the file time is used", when.text()))
                    .at(&sheet.name, at(time_col)),
            );
            continue;
        };
        if let Some(before) = receipts.times.insert(file_key(&name), t) {
            if before != t {
                findings.push(Finding::warning("bad_receipt", &display, format!("{name} is logged twice; the later row is used")).at(&sheet.name, at(file_col)));
            }
        }
    }
    (receipts, findings)
}

fn wib() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or(FixedOffset::east_opt(0).expect("UTC is a valid offset"))
}

/// A zone word or offset: WIB, WITA, WIT, UTC, Z, +07:00, +0700, +7.
fn zone(word: &str) -> Option<FixedOffset> {
    let hours = |h: i32| FixedOffset::east_opt(h * 3600);
    match word.to_ascii_uppercase().as_str() {
        "WIB" => hours(7),
        "WITA" => hours(8),
        "WIT" => hours(9),
        "UTC" | "GMT" | "Z" => hours(0),
        w if w.starts_with(['+', '-']) => {
            let sign = if w.starts_with('-') { -1 } else { 1 };
            let digits: String = w[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            let (h, m) = match digits.len() {
                1 | 2 => (digits.parse::<i32>().ok()?, 0),
                4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
                _ => return None,
            };
            FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        }
        _ => None,
    }
}

/// `2022-01-15 16:20` (WIB), `15/01/2022 16.20 WITA`, `2022-01-15T16:20:00+07:00`, `…Z`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // A zone written at the end: a word after a space, or Z / ±hh:mm glued to the time.
    let (local, offset) = match text.rsplit_once(' ').and_then(|(rest, w)| zone(w).map(|z| (rest, z))) {
        Some((rest, z)) => (rest.trim(), z),
        None => match text.strip_suffix(['Z', 'z']) {
            Some(rest) => (rest, FixedOffset::east_opt(0)?),
            None => match text.len().checked_sub(6).and_then(|i| text.get(i..)).and_then(|tail| zone(tail).filter(|_| tail.starts_with(['+', '-']) && tail.contains(':'))) {
                Some(z) => (&text[..text.len() - 6], z),
                None => (text, wib()),
            },
        },
    };
    let local = local.replace('T', " ");
    // Indonesian writes 16.20 for 16:20; only the time part (after the space) is changed.
    let local = match local.split_once(' ') {
        Some((d, t)) => format!("{d} {}", t.replace('.', ":")),
        None => local,
    };
    const FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"];
    let naive = FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(&local, f).ok())?;
    naive.and_local_timezone(offset).single().map(|t| t.with_timezone(&Utc))
}

/// A spreadsheet date-time number (days since 1899-12-30), read as WIB.
fn excel_serial(n: f64) -> Option<DateTime<Utc>> {
    if !(1.0..2_958_466.0).contains(&n) || n.fract() == 0.0 {
        // A whole number is a date without a time of day: not a receipt time.
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let naive = base + chrono::Duration::seconds((n * 86_400.0).round() as i64);
    naive.and_local_timezone(wib()).single().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    #[test]
    fn local_times_are_wib_unless_a_zone_is_written() {
        assert_eq!(parse_time("2022-01-15 16:20"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("2022-01-15 16.20"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("15/01/2022 16:20 WITA"), Some(utc("2022-01-15T08:20:00Z")));
        assert_eq!(parse_time("2022-01-15 16:20 WIT"), Some(utc("2022-01-15T07:20:00Z")));
        assert_eq!(parse_time("2022-01-15 16:20 +08:00"), Some(utc("2022-01-15T08:20:00Z")));
        assert_eq!(parse_time("2022-01-15T16:20:00+07:00"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("2022-01-15T09:20:00Z"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("2022-01-15T16:20"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("2022-01-15T16:20+07:00"), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(parse_time("kemarin sore"), None);
        assert_eq!(parse_time("2022-01-15"), None);
        assert_eq!(parse_time("2022-01-15 25:00"), None);
    }
    #[test]
    fn spreadsheet_numbers_are_date_times() {
        // 44576 = 2022-01-15; .680555… = 16:20.
        assert_eq!(excel_serial(44576.0 + 16.0 / 24.0 + 20.0 / 1440.0), Some(utc("2022-01-15T09:20:00Z")));
        assert_eq!(excel_serial(44576.0), None);
    }
    #[test]
    fn files_are_matched_by_name_and_missing_ones_noted() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("receipts.csv");
        std::fs::write(&log, "Log penerimaan laporan\nfile;received\nrekap_kerinci_2022-01-15.xlsx;2022-01-15 19:05\nTEBO.csv;kemarin\nhantu.csv;2022-01-15 10:00\n").unwrap();
        let (r, findings) = read(&log, &Limits::default());
        assert_eq!(r.len(), 2);
        let bad: Vec<_> = findings.iter().filter(|f| f.code == "bad_receipt").collect();
        assert_eq!(bad.len(), 1, "{findings:?}");
        assert_eq!(bad[0].cell.as_deref(), Some("B4"));
        let paths = vec!["subs/2022-01-15/REKAP_KERINCI_2022-01-15.xlsx".to_string(), "subs/TEBO.csv".to_string()];
        let file_time = Some(utc("2022-02-01T00:00:00Z"));
        let (times, notes) = r.apply(&paths, &[None, file_time]);
        assert_eq!(times, vec![Received { at: Some(utc("2022-01-15T12:05:00Z")), from_log: true }, Received { at: file_time, from_log: false }]);
        assert!(notes.iter().any(|f| f.code == "no_receipt" && f.source == "subs/TEBO.csv"), "{notes:?}");
        assert!(notes.iter().any(|f| f.code == "receipt_without_file" && f.message.contains("hantu.csv")), "{notes:?}");
    }
}
