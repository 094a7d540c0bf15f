//! What changed since the last report: given the previous run's export (its
//! attainment, `findings.csv` and `ppkm_gates.csv`), the figures of a past week
//! that were revised (a district resubmitted it), districts that changed rank, crossed
//! the coverage threshold or changed PPKM level by vaccination, and findings that
//! appeared or were resolved. Reading the previous export is the only I/O here; the
//! comparison is a pure function.

// An unreadable previous export comes back as a `Finding`, once per run: boxing it
// would buy nothing.
#![allow(clippy::result_large_err)]

use crate::attain::AttainRow;
use crate::export::neutralise;
use crate::findings::Finding;
use crate::gates::GateRow;
use crate::sym::Sym;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The figures of the previous run that matter for a comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// (period, district, group, dose) → (vaccinated, coverage, rank), district rows only
    /// (a year's are half a million: keyed by symbols, looked up without a copy).
    pub figures: rustc_hash::FxHashMap<FigureKey, Figure>,
    /// (period, district) → PPKM level by vaccination, of the previous report's period.
    pub levels: BTreeMap<(NaiveDate, String), u8>,
    /// Findings as exported, by what they are about, with their message.
    pub findings: BTreeMap<FindingKey, String>,
}

/// What a finding is about: (code, source, sheet, cell), or the message in place of the
/// cell when it has none. A finding at the same cell is the same finding next week even
/// when its message names another date or figure.
pub type FindingKey = (String, String, String, String);

/// (period, district, group, dose).
pub type FigureKey = (NaiveDate, Sym, Sym, i32);

/// (vaccinated, coverage, rank) as exported.
pub type Figure = (Option<i64>, Option<f64>, Option<i32>);

fn key(code: &str, source: &str, sheet: &str, cell: &str, message: &str) -> FindingKey {
    let what = if cell.is_empty() { message } else { cell };
    (code.to_string(), source.to_string(), sheet.to_string(), what.to_string())
}

impl Previous {
    /// The period the previous report was about: its latest.
    pub fn period(&self) -> Option<NaiveDate> {
        self.figures.keys().map(|k| k.0).max()
    }

    /// The periods of the figures read.
    pub fn periods(&self) -> std::collections::BTreeSet<NaiveDate> {
        self.figures.keys().map(|k| k.0).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A past week's figure differs from the previous run's.
    Revised,
    RankChanged,
    ThresholdCrossed,
    PpkmLevelChanged,
    FindingAppeared,
    FindingResolved,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Revised => "revised",
            ChangeKind::RankChanged => "rank_changed",
            ChangeKind::ThresholdCrossed => "threshold_crossed",
            ChangeKind::PpkmLevelChanged => "ppkm_level_changed",
            ChangeKind::FindingAppeared => "finding_appeared",
            ChangeKind::FindingResolved => "finding_resolved",
        }
    }
}

/// One change; `before` and `after` as plain text (a count, a rank, a coverage, a level).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub period: Option<NaiveDate>,
    pub district_code: String,
    pub group: String,
    pub dose: Option<i32>,
    pub before: String,
    pub after: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The period of the previous report.
    pub previous_period: Option<NaiveDate>,
    pub items: Vec<Change>,
}

/// The export folder of a run: `DIR/export` when given the run's output folder.
fn export_folder(dir: &Path) -> PathBuf {
    let inner = dir.join("export");
    if attainment_files(dir).is_empty() && !attainment_files(&inner).is_empty() {
        inner
    } else {
        dir.to_path_buf()
    }
}

/// An export's attainment CSVs: one per period in `attainment_csv/`, in period order, or
/// the single `attainment.csv` of exports made before it was cut by period.
fn attainment_files(folder: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(folder.join("attainment_csv")).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "csv")).collect();
    parts.sort();
    if parts.is_empty() && folder.join("attainment.csv").is_file() {
        parts.push(folder.join("attainment.csv"));
    }
    parts
}

/// Hands each row of a CSV to `each`, as the fields named `columns` (empty when the
/// file has no such column). Streamed: a year's attainment is half a million rows.
fn each_row<const N: usize>(path: &Path, columns: [&str; N], mut each: impl FnMut([&str; N])) -> Result<(), String> {
    let cannot = |e: csv::Error| format!("cannot read {}: {e}", path.display());
    let mut r = csv::Reader::from_path(path).map_err(cannot)?;
    let headers = r.headers().map_err(cannot)?;
    let at = columns.map(|c| headers.iter().position(|h| h == c));
    let mut record = csv::StringRecord::new();
    while r.read_record(&mut record).map_err(cannot)? {
        each(at.map(|i| i.and_then(|i| record.get(i)).unwrap_or("")));
    }
    Ok(())
}

/// The periods of the previous export whose attainment is this run's (`keys`: this
/// run's key of each period's attainment): the previous run recorded the same key for
/// them in its manifest, and their files are as it wrote them. Nothing in them was
/// revised.
fn same_as_this_run(folder: &Path, keys: &BTreeMap<NaiveDate, &str>) -> std::collections::BTreeSet<NaiveDate> {
    let partitions = crate::export::PreviousPartitions::of_manifest(&folder.join("manifest.json"));
    // The manifest's paths are from the run's output folder, the export's parent.
    let root = folder.parent().unwrap_or(folder);
    partitions
        .attainment
        .iter()
        .filter(|p| keys.get(&p.period) == Some(&p.fingerprint.as_str()) && crate::export::still_there(root, &p.csv.path, p.csv.bytes))
        .map(|p| p.period)
        .collect()
}

/// The district figures of attainment CSVs, read in parallel (a year's are 52 files,
/// 41 MB).
fn figures_of(paths: &[PathBuf]) -> anyhow::Result<Vec<(FigureKey, Figure)>> {
    let read = crate::par_map_bounded(paths, |path| {
        let mut figures: Vec<(FigureKey, Figure)> = Vec::new();
        // A file's rows are of one period (the single file of older exports, of a few):
        // its text is parsed once.
        let mut last: Option<(String, NaiveDate)> = None;
        each_row(path, ["period", "district_code", "group", "dose", "vaccinated", "coverage", "rank_in_province"], |[period, district, group, dose, vaccinated, coverage, rank]| {
            let date = match &last {
                Some((text, date)) if text == period => *date,
                _ => match NaiveDate::parse_from_str(period, "%Y-%m-%d") {
                    Ok(date) => last.insert((period.to_string(), date)).1,
                    Err(_) => return,
                },
            };
            let Ok(dose) = dose.parse::<i32>() else { return };
            if !district.is_empty() {
                figures.push(((date, Sym::new(district), Sym::new(group), dose), (vaccinated.parse().ok(), coverage.parse().ok().filter(|c: &f64| c.is_finite()), rank.parse().ok())));
            }
        })
        .map_err(anyhow::Error::msg)?;
        Ok(figures)
    })?;
    Ok(read.into_iter().flatten().collect())
}

/// Reads the previous run's export. An unreadable export is a finding, not a failed run.
/// The periods whose attainment is the same in this run (`keys`, as
/// `same_as_this_run`) are not read, but for the previous report's own: a weekly run
/// reads a week or two of a year's figures.
pub fn read_previous(dir: &Path, keys: &BTreeMap<NaiveDate, &str>) -> Result<Previous, Finding> {
    let folder = export_folder(dir);
    let display = folder.display().to_string();
    let unreadable = |m: String| Finding::error("previous_unreadable", &display, format!("the previous run's export cannot be compared: {m}; give --previous the out/export folder of last week's run"));
    let mut prev = Previous::default();
    let attainment = attainment_files(&folder);
    let same = same_as_this_run(&folder, keys);
    let period_of = |path: &PathBuf| path.file_stem().and_then(|s| s.to_str()).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let (mut to_read, mut left_out) = (Vec::new(), Vec::new());
    for (i, path) in attainment.iter().enumerate() {
        let latest = i + 1 == attainment.len();
        if !latest && period_of(path).is_some_and(|d| same.contains(&d)) { &mut left_out } else { &mut to_read }.push(path.clone());
    }
    let mut read = figures_of(&to_read).map_err(|e| unreadable(e.to_string()))?;
    // The previous report's period is the latest with district figures: when the latest
    // file has none, the periods left out are read too.
    if !left_out.is_empty() && read.iter().map(|(k, _)| k.0).max() != attainment.last().and_then(period_of) {
        read.extend(figures_of(&left_out).map_err(|e| unreadable(e.to_string()))?);
    }
    prev.figures.extend(read);
    if prev.figures.is_empty() {
        // The one file read, else the folder of the periods' files.
        let read = match attainment.as_slice() {
            [one] => one.clone(),
            _ => folder.join("attainment_csv"),
        };
        return Err(unreadable(format!("{} has no district figures", read.display())));
    }
    each_row(&folder.join("findings.csv"), ["code", "source", "sheet", "cell", "message"], |[code, source, sheet, cell, message]| {
        prev.findings.entry(key(code, source, sheet, cell, message)).or_insert_with(|| message.to_string());
    })
    .map_err(unreadable)?;
    // Exports written before the gates existed have no ppkm_gates.csv: no level changes.
    // Only the previous report's period's levels are compared (the file has every week's).
    let reported = prev.period().map(|p| p.to_string()).unwrap_or_default();
    let mut levels = BTreeMap::new();
    let gates = each_row(&folder.join("ppkm_gates.csv"), ["period", "district_code", "agglomeration", "level_by_vaccination"], |[period, district, agglomeration, level]| {
        if period != reported || agglomeration == "true" {
            return;
        }
        if let (Ok(p), Ok(l)) = (NaiveDate::parse_from_str(period, "%Y-%m-%d"), level.parse::<u8>()) {
            levels.insert((p, district.to_string()), l);
        }
    });
    if gates.is_ok() {
        prev.levels = levels;
    }
    Ok(prev)
}

/// A finding's key as the export writes it, so it compares with the previous export's.
pub fn finding_key(f: &Finding) -> FindingKey {
    key(f.code, &neutralise(&f.source), &neutralise(f.sheet.as_deref().unwrap_or("")), f.cell.as_deref().unwrap_or(""), &neutralise(&f.message))
}

fn pct(c: f64) -> String {
    format!("{:.1}%", c * 100.0)
}

/// Compares this run (its rows, gates and findings, reporting on `period`) with the previous.
pub fn compare(prev: &Previous, rows: &[AttainRow], gates: &[GateRow], findings: &[Finding], period: NaiveDate, threshold: f64) -> Changes {
    let mut items = Vec::new();
    let before_period = prev.period();
    let change = |kind, period, district: &str, group: &str, dose, before: String, after: String, detail: String| Change {
        kind,
        period,
        district_code: district.to_string(),
        group: group.to_string(),
        dose,
        before,
        after,
        detail,
    };
    // Revisions: the same week, district, group and dose, another count.
    for r in rows.iter().filter(|r| r.period <= period) {
        let Some(d) = &r.district_code else { continue };
        let Some((Some(was), _, _)) = prev.figures.get(&(r.period, *d, r.group, r.dose)) else { continue };
        if let Some(now) = r.vaccinated.filter(|now| now != was) {
            items.push(change(ChangeKind::Revised, Some(r.period), d, &r.group, Some(r.dose), was.to_string(), now.to_string(), format!("difference {:+}", now - was)));
        }
    }
    // Rank and threshold: this report's period against the previous report's.
    if let Some(pp) = before_period {
        for r in rows.iter().filter(|r| r.period == period && r.group == "all") {
            let Some(d) = &r.district_code else { continue };
            let Some((_, was_cov, was_rank)) = prev.figures.get(&(pp, *d, r.group, r.dose)) else { continue };
            if let (1, Some(a), Some(b)) = (r.dose, *was_rank, r.rank) {
                if a != b {
                    let detail = if b < a { format!("up {}", a - b) } else { format!("down {}", b - a) };
                    items.push(change(ChangeKind::RankChanged, Some(period), d, &r.group, Some(r.dose), a.to_string(), b.to_string(), detail));
                }
            }
            if let (Some(a), Some(b)) = (*was_cov, r.coverage) {
                let detail = if a < threshold && b >= threshold {
                    "reached the threshold"
                } else if a >= threshold && b < threshold {
                    "fell below the threshold"
                } else {
                    continue;
                };
                items.push(change(ChangeKind::ThresholdCrossed, Some(period), d, &r.group, Some(r.dose), pct(a), pct(b), format!("{detail} {}", pct(threshold))));
            }
        }
        for g in gates.iter().filter(|g| g.period == period && !g.is_agglomeration) {
            if let (Some(a), Some(b)) = (prev.levels.get(&(pp, g.district_code.clone())), g.level_by_vaccination) {
                if *a != b {
                    let detail = if b < *a { "vaccination permits a lower level" } else { "vaccination permits only a higher level" };
                    items.push(change(ChangeKind::PpkmLevelChanged, Some(period), &g.district_code, "all", None, a.to_string(), b.to_string(), detail.to_string()));
                }
            }
        }
    }
    // Findings: appeared (in this run only) and resolved (in the previous only).
    let mut now: BTreeMap<FindingKey, String> = BTreeMap::new();
    for f in findings {
        now.entry(finding_key(f)).or_insert_with(|| neutralise(&f.message).into_owned());
    }
    for (kind, set, other) in [(ChangeKind::FindingAppeared, &now, &prev.findings), (ChangeKind::FindingResolved, &prev.findings, &now)] {
        for (k, message) in set.iter().filter(|(k, _)| !other.contains_key(*k)) {
            // The cell when there is one (the message already says the rest).
            let cell = if k.3 == *message { "" } else { k.3.as_str() };
            let place = [k.1.as_str(), k.2.as_str(), cell].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" / ");
            items.push(change(kind, None, "", "", None, String::new(), String::new(), format!("[{}] {place}: {message}", k.0)));
        }
    }
    items.sort_by(|a, b| (a.kind, a.period, &a.district_code, &a.group, a.dose).cmp(&(b.kind, b.period, &b.district_code, &b.group, b.dose)));
    Changes { previous_period: before_period, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, day).unwrap()
    }
    fn row(period: NaiveDate, district: &str, dose: i32, v: i64, t: i64, rank: i32) -> AttainRow {
        AttainRow {
            period,
            province_code: "15".into(),
            district_code: Some(district.into()),
            group: "all".into(),
            dose,
            vaccinated: Some(v),
            target: Some(t),
            coverage: Some(v as f64 / t as f64),
            people_needed: None,
            rank: Some(rank),
        }
    }

    #[test]
    fn revisions_ranks_thresholds_and_findings_by_hand() {
        let mut prev = Previous::default();
        prev.figures.insert((d(1), "15.01".into(), "all".into(), 1), (Some(500), Some(0.5), Some(1)));
        prev.figures.insert((d(8), "15.01".into(), "all".into(), 1), (Some(650), Some(0.65), Some(2)));
        prev.figures.insert((d(8), "15.02".into(), "all".into(), 1), (Some(700), Some(0.7), Some(1)));
        prev.levels.insert((d(8), "15.01".into()), 2);
        prev.findings.insert(key("count_went_down", "a.xlsx", "S", "C7", "old"), "old".into());
        // The same cell with another message (another date) is the same finding.
        let kept = Finding::warning("coverage_above_100", "sasaran.xlsx", "on 2022-01-15").at("Sasaran", Some("D11".into()));
        prev.findings.insert(key("coverage_above_100", "sasaran.xlsx", "Sasaran", "D11", "on 2022-01-08"), "on 2022-01-08".into());

        let rows = vec![
            row(d(1), "15.01", 1, 520, 1000, 1), // resubmitted: 500 → 520
            row(d(8), "15.01", 1, 650, 1000, 2), // unchanged
            row(d(15), "15.01", 1, 720, 1000, 1), // 65% → 72%: crossed 70%, rank 2 → 1
            row(d(15), "15.02", 1, 710, 1000, 2), // rank 1 → 2, still above
        ];
        let gates = vec![GateRow {
            period: d(15),
            province_code: "15".into(),
            district_code: "15.01".into(),
            is_agglomeration: false,
            dose1_coverage: Some(0.72),
            lansia_dose1_coverage: Some(0.61),
            level_by_vaccination: Some(1),
            next_gate: None,
            people_needed_dose1: Some(0),
            people_needed_lansia: Some(0),
            children_may_start: Some(true),
            dose1: None,
            lansia: None,
            reported: None,
        }];
        let findings = vec![kept, Finding::warning("unusual_jump", "c.xlsx", "new")];
        let c = compare(&prev, &rows, &gates, &findings, d(15), 0.7);
        assert_eq!(c.previous_period, Some(d(8)));
        let kinds: Vec<(&str, &str, &str, &str)> = c.items.iter().map(|i| (i.kind.as_str(), i.district_code.as_str(), i.before.as_str(), i.after.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("revised", "15.01", "500", "520"),
                ("rank_changed", "15.01", "2", "1"),
                ("rank_changed", "15.02", "1", "2"),
                ("threshold_crossed", "15.01", "65.0%", "72.0%"),
                ("ppkm_level_changed", "15.01", "2", "1"),
                ("finding_appeared", "", "", ""),
                ("finding_resolved", "", "", ""),
            ]
        );
        assert_eq!(c.items[0].period, Some(d(1)));
        assert_eq!(c.items[0].detail, "difference +20");
        assert_eq!(c.items[1].detail, "up 1");
        assert_eq!(c.items[3].detail, "reached the threshold 70.0%");
        assert_eq!(c.items[5].detail, "[unusual_jump] c.xlsx: new");
        assert_eq!(c.items[6].detail, "[count_went_down] a.xlsx / S / C7: old");
    }

    /// An export's attainment is read from its per-period CSVs, or from the single
    /// `attainment.csv` of an export made before they were cut by period: the same figures.
    #[test]
    fn attainment_per_period_and_in_one_file_read_alike() {
        let header = "period,province_code,district_code,group,dose,vaccinated,target,coverage,threshold,people_needed,rank_in_province,districts_reporting\n";
        let weeks = ["2022-01-08,15,15.01,all,1,100,1000,0.1,0.7,600,1,2\n2022-01-08,15,,all,1,150,2000,0.075,0.7,1250,,2\n", "2022-01-15,15,15.01,all,1,120,1000,0.12,0.7,580,1,2\n"];
        let (per_period, single) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let parts = per_period.path().join("export/attainment_csv");
        std::fs::create_dir_all(&parts).unwrap();
        for (name, rows) in ["2022-01-08.csv", "2022-01-15.csv"].iter().zip(weeks) {
            std::fs::write(parts.join(name), format!("{header}{rows}")).unwrap();
        }
        std::fs::write(single.path().join("attainment.csv"), format!("{header}{}{}", weeks[0], weeks[1])).unwrap();
        for dir in [per_period.path(), single.path()] {
            let folder = export_folder(dir);
            std::fs::write(folder.join("findings.csv"), "severity,code,source,sheet,cell,message\n").unwrap();
        }
        // Given the run's output folder (`out`), its `export/` is read.
        let (a, b) = (read_previous(per_period.path(), &BTreeMap::new()).unwrap(), read_previous(single.path(), &BTreeMap::new()).unwrap());
        assert_eq!(a.figures.len(), 2, "{:?}", a.figures);
        assert_eq!(a.figures, b.figures);
        assert_eq!(a.figures[&(NaiveDate::from_ymd_opt(2022, 1, 15).unwrap(), "15.01".into(), "all".into(), 1)].0, Some(120));
    }

    /// A weekly run into the same folder reads of the previous export only the periods
    /// whose attainment changed, and the previous report's period; a file changed since
    /// its run wrote it is read.
    #[test]
    fn periods_whose_attainment_is_this_runs_are_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("export/attainment_csv");
        std::fs::create_dir_all(&parts).unwrap();
        std::fs::write(dir.path().join("export/findings.csv"), "severity,code,source,sheet,cell,message\n").unwrap();
        let header = "period,province_code,district_code,group,dose,vaccinated\n";
        let days = ["2022-01-01", "2022-01-08", "2022-01-15"];
        let mut partitions = Vec::new();
        for day in days {
            let text = format!("{header}{day},15,15.01,all,1,100\n");
            std::fs::write(parts.join(format!("{day}.csv")), &text).unwrap();
            let file = serde_json::json!({"path": format!("export/attainment_csv/{day}.csv"), "sha256": "", "bytes": text.len()});
            partitions.push(serde_json::json!({"period": day, "rows": 1, "fingerprint": format!("key {day}"), "parquet": file, "csv": file}));
        }
        std::fs::write(dir.path().join("export/manifest.json"), serde_json::json!({"attainment_partitions": partitions}).to_string()).unwrap();
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let keys: BTreeMap<NaiveDate, &str> = [("2022-01-01", "key 2022-01-01"), ("2022-01-08", "another key"), ("2022-01-15", "key 2022-01-15")].map(|(d, k)| (date(d), k)).into();
        let periods = |prev: Previous| prev.figures.keys().map(|k| k.0.to_string()).collect::<std::collections::BTreeSet<_>>();
        let prev = read_previous(dir.path(), &keys).unwrap();
        assert_eq!(prev.period(), Some(date("2022-01-15")));
        assert_eq!(periods(prev), ["2022-01-08", "2022-01-15"].map(String::from).into());
        // Week 1's file edited after the run: read again.
        std::fs::write(parts.join("2022-01-01.csv"), format!("{header}2022-01-01,15,15.01,all,1,1000\n")).unwrap();
        assert_eq!(periods(read_previous(dir.path(), &keys).unwrap()).len(), 3);
        // Without this run's keys (no cache), every period is read.
        assert_eq!(periods(read_previous(dir.path(), &BTreeMap::new()).unwrap()).len(), 3);
        // The latest period without district figures: the report before was on an earlier
        // one, which is read though unchanged.
        std::fs::write(parts.join("2022-01-15.csv"), format!("{header}2022-01-15,15,,all,1,100\n")).unwrap();
        let names = days.map(|d| format!("key {d}"));
        let all_same: BTreeMap<NaiveDate, &str> = days.iter().zip(&names).map(|(d, k)| (date(d), k.as_str())).collect();
        assert_eq!(read_previous(dir.path(), &all_same).unwrap().period(), Some(date("2022-01-08")));
    }

    /// The PPKM levels of the previous export compared are its report's period's, of
    /// districts (not agglomerations).
    #[test]
    fn the_previous_levels_are_its_report_periods() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("attainment_csv")).unwrap();
        for day in ["2022-01-08", "2022-01-15"] {
            std::fs::write(dir.path().join(format!("attainment_csv/{day}.csv")), format!("period,district_code,group,dose,vaccinated\n{day},15.01,all,1,100\n")).unwrap();
        }
        std::fs::write(dir.path().join("findings.csv"), "severity,code,source,sheet,cell,message\n").unwrap();
        let gates = "period,district_code,level_by_vaccination,agglomeration\n2022-01-08,15.01,3,false\n2022-01-15,15.01,2,false\n2022-01-15,15.02,4,false\n2022-01-15,Jambi Raya,3,true\n";
        std::fs::write(dir.path().join("ppkm_gates.csv"), gates).unwrap();
        let prev = read_previous(dir.path(), &BTreeMap::new()).unwrap();
        let d = NaiveDate::from_ymd_opt(2022, 1, 15).unwrap();
        assert_eq!(prev.levels, [((d, "15.01".to_string()), 2), ((d, "15.02".to_string()), 4)].into());
    }

    /// An export without district figures is named by what was read: its one attainment
    /// file, else the folder of its periods' files.
    #[test]
    fn an_export_without_figures_names_what_was_read() {
        let header = "period,province_code,district_code,group,dose,vaccinated\n";
        for files in [vec!["attainment.csv"], vec!["attainment_csv/2022-01-08.csv"], vec!["attainment_csv/2022-01-08.csv", "attainment_csv/2022-01-15.csv"]] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("attainment_csv")).unwrap();
            for f in &files {
                std::fs::write(dir.path().join(f), header).unwrap();
            }
            let named = if files.len() == 1 { dir.path().join(files[0]) } else { dir.path().join("attainment_csv") };
            let finding = read_previous(dir.path(), &BTreeMap::new()).unwrap_err();
            assert!(finding.message.contains(&format!("{} has no district figures", named.display())), "{}", finding.message);
        }
    }

    #[test]
    fn an_export_that_is_not_there_is_a_finding() {
        let f = read_previous(Path::new("/nonexistent/out"), &BTreeMap::new()).unwrap_err();
        assert_eq!(f.code, "previous_unreadable");
    }
}
