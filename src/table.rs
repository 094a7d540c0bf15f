//! Table: resolves the names and dates of each file's readings to official codes and
//! builds the canonical long table (one row per observation, with provenance), the
//! targets, the totals reconciliation and the per-file row accounting.

use crate::findings::Finding;
use crate::gazetteer::{self, Gazetteer, Region, Unresolved};
use crate::ingest::SourceFile;
use crate::layout::vocab::Group;
use crate::layout::{cells, FileLayout, RowKind, RowReading, Shape, TableReading, ValueKind};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub period: NaiveDate,
    pub province_code: String,
    pub district_code: String,
    pub area_code: Option<String>,
    pub unit: Option<String>,
    pub group: Group,
    pub dose: u8,
    pub vaccinated: i64,
    pub source: String,
    pub sheet: String,
    pub cell: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub province_code: String,
    pub district_code: String,
    pub area_code: Option<String>,
    pub group: Group,
    pub target: i64,
    pub source: String,
    pub sheet: String,
    pub cell: String,
}

/// How one input file was read, for the summary line and the manifest.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileOutcome {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// `ok`, `error`, `duplicate`, `superseded`.
    pub status: String,
    pub how: String,
    pub layout: String,
    pub district_code: Option<String>,
    pub period: Option<String>,
    pub rows_accepted: usize,
    pub rows_totals: usize,
    pub rows_rejected: usize,
    pub observations: usize,
    pub note: String,
    /// When the submission was received: the file's modification time (UTC).
    #[serde(serialize_with = "rfc3339")]
    pub received: Option<chrono::DateTime<chrono::Utc>>,
}

fn rfc3339<S: serde::Serializer>(t: &Option<chrono::DateTime<chrono::Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}

/// One file after resolution.
#[derive(Debug, Clone, Default)]
pub struct FileTable {
    pub outcome: FileOutcome,
    pub observations: Vec<Observation>,
    pub targets: Vec<Target>,
    pub findings: Vec<Finding>,
}

pub struct Resolver<'a> {
    pub gazetteer: &'a Gazetteer,
    pub aliases: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    fn district(&self, text: &str) -> Result<Region, Unresolved> {
        let norm = crate::layout::vocab::normalise(text);
        if let Some(code) = self.aliases.iter().find(|(k, _)| crate::layout::vocab::normalise(k) == norm).map(|(_, v)| v) {
            if let Some(r) = self.gazetteer.region(code) {
                return Ok(r.clone());
            }
        }
        self.gazetteer.district(text).cloned()
    }
}

/// A file that could not be read at all.
pub fn unreadable(file: &SourceFile, finding: Finding) -> FileTable {
    FileTable {
        outcome: FileOutcome {
            path: file.display.clone(),
            sha256: file.sha256.clone(),
            bytes: file.bytes.len() as u64,
            status: "error".into(),
            note: finding.message.clone(),
            ..Default::default()
        },
        findings: vec![finding],
        ..Default::default()
    }
}

pub fn resolve_file(file: &SourceFile, how: &str, layout: &FileLayout, resolver: &Resolver) -> FileTable {
    let src = file.display.as_str();
    let mut out = FileTable {
        outcome: FileOutcome {
            path: file.display.clone(),
            sha256: file.sha256.clone(),
            bytes: file.bytes.len() as u64,
            status: "ok".into(),
            how: how.to_string(),
            ..Default::default()
        },
        findings: layout.findings.clone(),
        ..Default::default()
    };
    let stem = file.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let mut districts = BTreeSet::new();
    let mut periods = BTreeSet::new();
    let mut shapes = BTreeSet::new();
    for table in &layout.tables {
        shapes.insert(table.shape.name());
        resolve_table(table, src, stem, resolver, &mut out, &mut districts, &mut periods);
    }
    if layout.tables.is_empty() {
        out.outcome.status = "error".into();
        out.outcome.note = "no table of vaccination figures found".into();
        out.findings.push(Finding::error("no_table", src, "no table of vaccination figures found in any sheet: sitrep looks for a header row naming the areas (Kecamatan, Kabupaten/Kota, Kode) and groups or doses (Lansia, Dosis 1…)"));
    }
    out.outcome.layout = shapes.into_iter().collect::<Vec<_>>().join("+");
    out.outcome.district_code = (districts.len() == 1).then(|| districts.iter().next().cloned()).flatten().or_else(|| (districts.len() > 1).then(|| format!("{} districts", districts.len())));
    out.outcome.period = match periods.len() {
        0 => None,
        1 => periods.iter().next().map(|p: &NaiveDate| p.to_string()),
        _ => Some(periods.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")),
    };
    out.outcome.observations = out.observations.len();
    out
}

fn reject(out: &mut FileTable, reason: String) {
    out.outcome.rows_rejected += 1;
    if out.outcome.note.is_empty() {
        out.outcome.note = reason;
    }
}

fn resolve_table(
    table: &TableReading,
    src: &str,
    stem: &str,
    resolver: &Resolver,
    out: &mut FileTable,
    districts: &mut BTreeSet<String>,
    periods: &mut BTreeSet<NaiveDate>,
) {
    let sheet = table.sheet.as_str();
    // The district of the whole table: title block first, then the file name.
    let title_district = match resolver.gazetteer.district_in_text(&table.title) {
        Some(Ok(r)) => Some(Ok(r.clone())),
        Some(Err(u)) => Some(Err(u)),
        None => resolver.gazetteer.district_in_text(stem).map(|r| r.cloned()),
    };
    if let Some(Err(u)) = &title_district {
        out.findings.push(
            Finding::error("unknown_district", src, format!("unknown district '{}': its rows were not counted{}", u.text, u.did_you_mean())).at(sheet, None),
        );
    }
    let period = table.period.or_else(|| cells::find_date(stem));
    if period.is_none() && table.shape != Shape::Targets {
        out.findings.push(Finding::error("no_date", src, "no date found in the title rows or the file name (write e.g. 'Data s.d. 15 Januari 2022' above the table); rows not counted").at(sheet, None));
    }
    // Rows since the last totals row, per column, for reconciliation.
    let mut running: BTreeMap<usize, i64> = BTreeMap::new();
    for row in &table.rows {
        match &row.kind {
            RowKind::Total => {
                out.outcome.rows_totals += 1;
                check_total(row, &running, src, sheet, &mut out.findings);
                running.clear();
                continue;
            }
            RowKind::Rejected(reason) => {
                out.findings.push(Finding::warning("rejected_row", src, format!("row {} rejected: {reason}", row.row + 1)).at(sheet, Some(row.label_cell.clone())));
                reject(out, reason.clone());
                continue;
            }
            RowKind::Data => {}
        }
        for v in &row.values {
            *running.entry(v.col).or_default() += v.amount;
        }
        let district = match (&row.district_text, &title_district) {
            (Some(t), _) => resolver.district(t),
            (None, Some(d)) => d.clone(),
            (None, None) => Err(Unresolved { text: String::new(), suggestions: Vec::new() }),
        };
        let district = match district {
            Ok(d) => d,
            Err(u) => {
                let reason = if u.text.is_empty() {
                    "no district: name it in the title rows (e.g. 'KABUPATEN KERINCI'), in a Kabupaten/Kota column, or in the file name".to_string()
                } else {
                    format!("unknown district '{}'{}", u.text, u.did_you_mean())
                };
                if row.district_text.is_some() {
                    out.findings.push(Finding::error("unknown_district", src, reason.clone()).at(sheet, Some(row.label_cell.clone())));
                }
                reject(out, reason);
                continue;
            }
        };
        let area = resolve_area(row, &district, resolver, src, sheet, &mut out.findings);
        let province_code = district.province_code().to_string();
        if table.shape == Shape::Targets || row.values.iter().all(|v| v.kind == ValueKind::Target) {
            for v in row.values.iter().filter(|v| v.kind == ValueKind::Target) {
                out.targets.push(Target {
                    province_code: province_code.clone(),
                    district_code: district.code.clone(),
                    area_code: area.clone(),
                    group: v.group,
                    target: v.amount,
                    source: src.to_string(),
                    sheet: sheet.to_string(),
                    cell: v.cell.clone(),
                });
            }
            out.outcome.rows_accepted += 1;
            districts.insert(district.code.clone());
            continue;
        }
        let Some(period) = period else {
            reject(out, "no date for this table".into());
            continue;
        };
        districts.insert(district.code.clone());
        periods.insert(period);
        out.outcome.rows_accepted += 1;
        for v in &row.values {
            match v.kind {
                ValueKind::Count => out.observations.push(Observation {
                    period,
                    province_code: province_code.clone(),
                    district_code: district.code.clone(),
                    area_code: area.clone(),
                    unit: None,
                    group: v.group,
                    dose: v.dose,
                    vaccinated: v.amount,
                    source: src.to_string(),
                    sheet: sheet.to_string(),
                    cell: v.cell.clone(),
                }),
                ValueKind::Target => out.targets.push(Target {
                    province_code: province_code.clone(),
                    district_code: district.code.clone(),
                    area_code: area.clone(),
                    group: v.group,
                    target: v.amount,
                    source: src.to_string(),
                    sheet: sheet.to_string(),
                    cell: v.cell.clone(),
                }),
            }
        }
    }
}

/// The sub-district of a row, or `None` for district-level rows. An unknown name keeps
/// the row (its figures still count for the district) with a finding.
fn resolve_area(row: &RowReading, district: &Region, resolver: &Resolver, src: &str, sheet: &str, findings: &mut Vec<Finding>) -> Option<String> {
    if row.area_name.is_none() && row.area_code.is_none() {
        return None;
    }
    // A code column holding the district's own code is not a sub-district.
    if row.area_name.is_none() {
        if let Some(c) = row.area_code.as_deref().and_then(gazetteer::normalise_code) {
            if c.len() <= 5 {
                return None;
            }
        }
    }
    if row.area_name.as_deref().is_some_and(|n| resolver.gazetteer.district(n).ok().is_some_and(|d| d.code == district.code)) {
        return None;
    }
    match resolver.gazetteer.area(&district.code, row.area_name.as_deref(), row.area_code.as_deref()) {
        Ok(a) => Some(a.code.clone()),
        Err(u) => {
            findings.push(
                Finding::warning(
                    "unknown_area",
                    src,
                    format!("unknown sub-district '{}' in {}: its figures count for the district only{}", u.text, district.name, u.did_you_mean()),
                )
                .at(sheet, Some(row.label_cell.clone())),
            );
            None
        }
    }
}

fn check_total(row: &RowReading, running: &BTreeMap<usize, i64>, src: &str, sheet: &str, findings: &mut Vec<Finding>) {
    if running.is_empty() {
        return;
    }
    for v in &row.values {
        let sum = running.get(&v.col).copied().unwrap_or(0);
        if sum != v.amount {
            findings.push(
                Finding::warning(
                    "total_mismatch",
                    src,
                    format!("totals row says {} but the rows above add up to {} (difference {}); the rows were used", v.amount, sum, v.amount - sum),
                )
                .at(sheet, Some(v.cell.clone())),
            );
        }
    }
}

/// The same submission twice is counted once; two different files for the same
/// district and period: the newer one (file time, then name) is used.
pub fn settle_resubmissions(files: &mut [FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>]) {
    let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.outcome.status != "ok" || f.observations.is_empty() {
            continue;
        }
        let ds: BTreeSet<&String> = f.observations.iter().map(|o| &o.district_code).collect();
        let ps: BTreeSet<NaiveDate> = f.observations.iter().map(|o| o.period).collect();
        if ds.len() == 1 && ps.len() == 1 {
            let d = ds.into_iter().next().cloned().unwrap_or_default();
            let p = ps.into_iter().next().map(|p| p.to_string()).unwrap_or_default();
            by_key.entry((d, p)).or_default().push(i);
        }
    }
    for ((district, period), mut idx) in by_key {
        if idx.len() < 2 {
            continue;
        }
        idx.sort_by(|a, b| mtimes[*a].cmp(&mtimes[*b]).then(files[*a].outcome.path.cmp(&files[*b].outcome.path)));
        let Some(&keep) = idx.last() else { continue };
        let kept_path = files[keep].outcome.path.clone();
        let kept_hash = files[keep].outcome.sha256.clone();
        for &i in &idx[..idx.len() - 1] {
            let f = &mut files[i];
            let same = f.outcome.sha256 == kept_hash;
            f.outcome.status = if same { "duplicate".into() } else { "superseded".into() };
            f.outcome.note = if same { format!("same content as {kept_path}; counted once") } else { format!("superseded by {kept_path} (newer submission for {district}, {period})") };
            f.outcome.rows_rejected += f.outcome.rows_accepted;
            f.outcome.rows_accepted = 0;
            f.observations.clear();
            f.outcome.observations = 0;
            let msg = f.outcome.note.clone();
            f.findings.push(Finding::warning(if same { "duplicate_file" } else { "superseded_file" }, &f.outcome.path.clone(), msg));
        }
    }
}

/// The canonical long table as a polars frame (column names as in DESIGN.md).
pub fn observations_frame(obs: &[Observation]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let days: Vec<i32> = obs.iter().map(|o| (o.period - epoch).num_days() as i32).collect();
    let s = |f: &dyn Fn(&Observation) -> String| obs.iter().map(f).collect::<Vec<String>>();
    let o = |f: &dyn Fn(&Observation) -> Option<String>| obs.iter().map(f).collect::<Vec<Option<String>>>();
    DataFrame::new(
        obs.len(),
        vec![
            Int32Chunked::from_vec("period".into(), days).into_date().into_series().into(),
            Column::new("province_code".into(), s(&|o| o.province_code.clone())),
            Column::new("district_code".into(), s(&|o| o.district_code.clone())),
            Column::new("area_code".into(), o(&|o| o.area_code.clone())),
            Column::new("unit".into(), o(&|o| o.unit.clone())),
            Column::new("group".into(), s(&|o| o.group.code().to_string())),
            Column::new("dose".into(), obs.iter().map(|o| o.dose as i32).collect::<Vec<i32>>()),
            Column::new("vaccinated".into(), obs.iter().map(|o| o.vaccinated).collect::<Vec<i64>>()),
            Column::new("source".into(), s(&|o| o.source.clone())),
            Column::new("sheet".into(), s(&|o| o.sheet.clone())),
            Column::new("cell".into(), s(&|o| o.cell.clone())),
        ],
    )
}

pub fn targets_frame(targets: &[Target]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let s = |f: &dyn Fn(&Target) -> String| targets.iter().map(f).collect::<Vec<String>>();
    DataFrame::new(
        targets.len(),
        vec![
            Column::new("province_code".into(), s(&|t| t.province_code.clone())),
            Column::new("district_code".into(), s(&|t| t.district_code.clone())),
            Column::new("area_code".into(), targets.iter().map(|t| t.area_code.clone()).collect::<Vec<Option<String>>>()),
            Column::new("group".into(), s(&|t| t.group.code().to_string())),
            Column::new("target".into(), targets.iter().map(|t| t.target).collect::<Vec<i64>>()),
            Column::new("source".into(), s(&|t| t.source.clone())),
            Column::new("sheet".into(), s(&|t| t.sheet.clone())),
            Column::new("cell".into(), s(&|t| t.cell.clone())),
        ],
    )
}
