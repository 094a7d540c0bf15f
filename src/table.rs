//! Table: resolves the names and dates of each file's readings to official codes and
//! builds the canonical long table (one row per observation, with provenance), the
//! targets, the totals reconciliation and the per-file row accounting.

use crate::findings::{Finding, Severity};
use crate::gazetteer::{self, Gazetteer, Region, Unresolved};
use crate::ingest::SourceFile;
use crate::layout::vocab::Group;
use crate::layout::cells::{self, Zone};
use crate::layout::{FileLayout, RowKind, RowReading, Shape, TableReading, ValueKind};
use crate::sym::Sym;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// One figure of the canonical table, with where it was read. Its texts are interned
/// ([`Sym`]): a year holds millions of observations, and their texts were most of their
/// memory (44 bytes each now, against 200 with inline strings). Packed to 4 bytes:
/// aligned to its count's 8 it was 48, a year's 25 MB of padding.
/// Only its size matters (never handed to C), so the compiler still orders its fields.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(packed(4))]
#[allow(clippy::repr_packed_without_abi)]
pub struct Observation {
    pub period: NaiveDate,
    pub province_code: Sym,
    pub district_code: Sym,
    pub area_code: Option<Sym>,
    pub unit: Option<Sym>,
    pub group: Group,
    pub dose: u8,
    pub vaccinated: i64,
    /// The file, as shown.
    pub source: Sym,
    pub sheet: Sym,
    pub cell: Sym,
}

/// The canonical table: the files' lists of observations, in file order. A year's lists
/// are not copied into one: that copy doubled a year's peak memory.
#[derive(Debug, Clone, Default)]
pub struct Observations(Vec<Vec<Observation>>);

impl Observations {
    /// Adds a file's observations after those already held.
    pub fn push(&mut self, list: Vec<Observation>) {
        if !list.is_empty() {
            self.0.push(list);
        }
    }
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Observation> + Clone {
        self.into_iter()
    }
    /// Each file's rows.
    pub fn files(&self) -> impl Iterator<Item = &[Observation]> {
        self.0.iter().map(Vec::as_slice)
    }
    /// Each file's rows, given up.
    pub fn into_lists(self) -> Vec<Vec<Observation>> {
        self.0
    }
}

/// Files' rows borrowed, as [`Observations`] holds them owned: for checks over rows held
/// in several places (a carry and a batch of periods), without copying them into one.
#[derive(Clone, Copy)]
pub struct Lists<'a>(pub &'a [&'a [Observation]]);

impl<'a> Lists<'a> {
    /// Each file's rows.
    pub fn files(self) -> impl Iterator<Item = &'a [Observation]> {
        self.0.iter().copied()
    }
}

impl<'a> IntoIterator for Lists<'a> {
    type Item = &'a Observation;
    type IntoIter = std::iter::Flatten<std::iter::Copied<std::slice::Iter<'a, &'a [Observation]>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().copied().flatten()
    }
}

impl FromIterator<Vec<Observation>> for Observations {
    fn from_iter<I: IntoIterator<Item = Vec<Observation>>>(lists: I) -> Observations {
        let mut all = Observations::default();
        for list in lists {
            all.push(list);
        }
        all
    }
}

impl<'a> IntoIterator for &'a Observations {
    type Item = &'a Observation;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Observation>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().flatten()
    }
}

/// `items` in groups of at most `n`, in order; one empty group when there are none (so
/// a file written from the groups still gets its columns).
pub fn in_groups<T>(items: impl Iterator<Item = T>, n: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.peekable();
    let mut first = true;
    std::iter::from_fn(move || {
        if !std::mem::take(&mut first) && items.peek().is_none() {
            return None;
        }
        Some(items.by_ref().take(n).collect())
    })
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub province_code: String,
    pub district_code: String,
    pub area_code: Option<String>,
    /// The institution whose headcount this is (agency submissions), else `None`.
    #[serde(default)]
    pub unit: Option<String>,
    pub group: Group,
    pub target: i64,
    pub source: String,
    pub sheet: String,
    pub cell: String,
}

/// The PPKM level or zone colour a submission reports for a district (or one of its
/// sub-districts) in one period: shown beside the gate sitrep computes, never used in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportedStatus {
    pub period: NaiveDate,
    pub district_code: String,
    pub area_code: Option<String>,
    pub ppkm_level: Option<u8>,
    pub zone: Option<Zone>,
    pub source: String,
    pub sheet: String,
    pub cell: String,
}

/// How one input file was read, for the summary line and the manifest.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
    /// The title block above the first table (a targets file's name and version).
    #[serde(default)]
    pub title: String,
    /// When the submission was received (UTC): the receipts log's time, else the file's
    /// modification time.
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339", default)]
    pub received: Option<chrono::DateTime<chrono::Utc>>,
    /// Where `received` comes from: `receipts`, `file_time`, or empty when unknown.
    pub received_from: String,
}

impl FileOutcome {
    /// The periods its rows are of, as `period` names them (several joined by commas).
    pub fn periods(&self) -> impl Iterator<Item = &str> {
        self.period.as_deref().into_iter().flat_map(|p| p.split(','))
    }
}

fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    s.map(|s| chrono::DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&chrono::Utc)).map_err(serde::de::Error::custom)).transpose()
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
    /// Boxed: a year's 26,000 tables pass through several lists between the cache and
    /// the summary, and each move copied the outcome's 300 bytes into fresh memory.
    pub outcome: Box<FileOutcome>,
    pub observations: Vec<Observation>,
    pub targets: Vec<Target>,
    pub statuses: Vec<ReportedStatus>,
    pub findings: Vec<Finding>,
}

pub struct Resolver<'a> {
    pub gazetteer: &'a Gazetteer,
    pub aliases: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    /// A district name from a row, within the row's province when it names one.
    fn district(&self, text: &str, province: Option<&str>) -> Result<Region, Unresolved> {
        let norm = crate::layout::vocab::normalise(text);
        if let Some(code) = self.aliases.iter().find(|(k, _)| crate::layout::vocab::normalise(k) == norm).map(|(_, v)| v) {
            if let Some(r) = self.gazetteer.region(code) {
                return Ok(r.clone());
            }
        }
        let province_code = province.and_then(|p| self.gazetteer.province(p)).map(|p| p.code.as_str());
        self.gazetteer.district_in(text, province_code).cloned()
    }
}

/// A date in the names of the folders holding the file (nearest first, two levels):
/// exports saved into a folder named for the day (`dashboard-2021-07-13/`).
fn folder_date(path: &std::path::Path) -> Option<(NaiveDate, String)> {
    path.ancestors().skip(1).take(2).find_map(|dir| {
        let name = dir.file_name()?.to_str()?;
        cells::find_date(name).map(|d| (d, name.to_string()))
    })
}

/// The date a file's name gives, else the folders holding it (as reading dates a table
/// that names none): for files whose tables gave no period (one that could not be read).
pub fn date_in_path(path: &str) -> Option<NaiveDate> {
    let path = std::path::Path::new(path);
    path.file_stem().and_then(|s| s.to_str()).and_then(cells::find_date).or_else(|| folder_date(path).map(|(date, _)| date))
}

/// A file that could not be read at all.
pub fn unreadable(file: &SourceFile, finding: Finding) -> FileTable {
    FileTable {
        outcome: Box::new(FileOutcome {
            path: file.display.clone(),
            sha256: file.sha256.clone(),
            bytes: file.bytes.len() as u64,
            status: "error".into(),
            note: finding.message.clone(),
            ..Default::default()
        }),
        findings: vec![finding],
        ..Default::default()
    }
}

pub fn resolve_file(file: &SourceFile, how: &str, layout: &FileLayout, resolver: &Resolver) -> FileTable {
    let src = file.display.as_str();
    let mut out = FileTable {
        outcome: Box::new(FileOutcome {
            path: file.display.clone(),
            sha256: file.sha256.clone(),
            bytes: file.bytes.len() as u64,
            status: "ok".into(),
            how: how.to_string(),
            ..Default::default()
        }),
        findings: layout.findings.clone(),
        ..Default::default()
    };
    let stem = file.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let mut districts = BTreeSet::new();
    let mut periods = BTreeSet::new();
    let mut shapes = BTreeSet::new();
    let folder = folder_date(&file.path);
    for table in &layout.tables {
        shapes.insert(table.shape.name());
        resolve_table(table, src, stem, folder.as_ref(), resolver, &mut out, &mut districts, &mut periods);
    }
    if layout.tables.is_empty() && layout.skipped.is_some() {
        out.outcome.status = "skipped".into();
        out.outcome.note = layout.skipped.clone().unwrap_or_default();
    } else if layout.tables.is_empty() {
        out.outcome.status = "error".into();
        out.outcome.note = "no table of vaccination figures found".into();
        out.findings.push(Finding::error("no_table", src, "no table of vaccination figures found in any sheet: sitrep looks for a header row naming the areas (Kecamatan, Kabupaten/Kota, Kode) and groups or doses (Lansia, Dosis 1…)"));
    }
    out.outcome.layout = shapes.into_iter().collect::<Vec<_>>().join("+");
    out.outcome.title = layout.tables.first().map(|t| t.title.clone()).unwrap_or_default();
    out.outcome.district_code = (districts.len() == 1).then(|| districts.iter().next().cloned()).flatten().or_else(|| (districts.len() > 1).then(|| format!("{} districts", districts.len())));
    out.outcome.period = match periods.len() {
        0 => None,
        1 => periods.iter().next().map(|p: &NaiveDate| p.to_string()),
        _ => Some(periods.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")),
    };
    out.outcome.observations = out.observations.len();
    // Held until the run ends: a list grown by doubling holds up to twice its rows, and
    // a year is millions of them. Under mimalloc this keeps the block when it shrinks by
    // half or less (see [`fitted`]); copying every file's list instead took a year's
    // peak 15–50 MB lower for 0.4–0.6 s more (page faults): not taken.
    out.observations.shrink_to_fit();
    out
}

/// `list` in a block of its length. Copied when it has room to spare, not shrunk:
/// mimalloc shrinks a block in place when the new size is at least half of it (always so
/// after doubling), so `shrink_to_fit` leaves the memory taken.
pub fn fitted<T: Copy>(list: Vec<T>) -> Vec<T> {
    if list.capacity() > list.len() {
        list.as_slice().to_vec()
    } else {
        list
    }
}

fn reject(out: &mut FileTable, reason: String) {
    out.outcome.rows_rejected += 1;
    if out.outcome.note.is_empty() {
        out.outcome.note = reason;
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve_table(
    table: &TableReading,
    src: &str,
    stem: &str,
    folder: Option<&(NaiveDate, String)>,
    resolver: &Resolver,
    out: &mut FileTable,
    districts: &mut BTreeSet<String>,
    periods: &mut BTreeSet<NaiveDate>,
) {
    let sheet = table.sheet.as_str();
    // Interned once for the table's observations.
    let (source, sheet_sym) = (Sym::new(src), Sym::new(sheet));
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
    let mut period = table.period.or_else(|| cells::find_date(stem));
    if period.is_none() && table.shape != Shape::Targets {
        if let Some((date, name)) = folder {
            period = Some(*date);
            out.findings.push(Finding::info("date_from_folder", src, format!("no date in the title rows or the file name: the date {date} was taken from the folder name '{name}'")).at(sheet, None));
        }
    }
    if period.is_none() && table.shape != Shape::Targets {
        out.findings.push(Finding::error("no_date", src, "no date found in the title rows, the file name or its folder's name (write e.g. 'Data s.d. 15 Januari 2022' above the table); rows not counted").at(sheet, None));
    }
    // Rows since the last totals row, per column, for reconciliation.
    let mut running: BTreeMap<usize, i64> = BTreeMap::new();
    // A table's rows are mostly of one province and district.
    let (mut province_sym, mut district_sym) = (crate::sym::Recent::default(), crate::sym::Recent::default());
    for row in &table.rows {
        match &row.kind {
            RowKind::Total => {
                out.outcome.rows_totals += 1;
                check_total(row, &running, src, sheet, &mut out.findings);
                running.clear();
                continue;
            }
            RowKind::Rejected(reason) => {
                // Say which district the row was for, or that its name is none (a lake
                // on a map export, a remark), so the reader knows whether it matters.
                let named = row.district_text.as_deref().map(|t| (t, resolver.district(t, row.province_text.as_deref())));
                let (severity, reason) = match named {
                    Some((_, Ok(d))) => (Severity::Warning, format!("{reason} for {} ({})", d.name, d.code)),
                    Some((t, Err(u))) if u.suggestions.is_empty() => (Severity::Info, format!("{reason}; '{t}' is not a district")),
                    _ => (Severity::Warning, reason.clone()),
                };
                out.findings.push(Finding::new(severity, "rejected_row", src, format!("row {} rejected: {reason}", row.row + 1)).at(sheet, Some(row.label_cell.clone())));
                reject(out, reason);
                continue;
            }
            RowKind::Data => {}
        }
        // A row named as the file's district, below its sub-districts and their sum
        // ("Kabupaten Tebo" where another file says JUMLAH): a totals row, not figures
        // counted a second time at district level.
        if sums_the_rows_above(row, &running) && names_title_district(row, &title_district, resolver) {
            out.outcome.rows_totals += 1;
            out.findings.push(
                Finding::info("district_totals_row", src, format!("row {} is named as the district and adds up the rows above: read as their total", row.row + 1)).at(sheet, Some(row.label_cell.clone())),
            );
            running.clear();
            continue;
        }
        for v in &row.values {
            *running.entry(v.col).or_default() += v.amount;
        }
        let district = match (&row.district_text, &title_district) {
            (Some(t), _) => resolver.district(t, row.province_text.as_deref()),
            // A code column holding district codes (a provincial file, one row per district).
            (None, _) if row.area_code.as_deref().and_then(gazetteer::normalise_code).is_some_and(|c| c.len() == 5) => {
                resolver.gazetteer.district(row.area_code.as_deref().unwrap_or_default()).cloned()
            }
            (None, Some(d)) => d.clone(),
            (None, None) => Err(Unresolved { text: String::new(), suggestions: Vec::new(), ambiguous: false }),
        };
        let district = match district {
            Ok(d) => d,
            Err(u) => {
                let reason = if u.text.is_empty() {
                    "no district: name it in the title rows (e.g. 'KABUPATEN KERINCI'), in a Kabupaten/Kota column, or in the file name".to_string()
                } else {
                    u.describe("district")
                };
                if row.district_text.is_some() {
                    out.findings.push(Finding::error("unknown_district", src, reason.clone()).at(sheet, Some(row.label_cell.clone())));
                }
                reject(out, reason);
                continue;
            }
        };
        // An institution's row (an agency's staff) belongs to the district, not to an area.
        let area = if row.unit.is_some() { None } else { resolve_area(row, &district, resolver, src, sheet, &mut out.findings) };
        let province_code = district.province_code().to_string();
        if table.shape == Shape::Targets || row.values.iter().all(|v| v.kind == ValueKind::Target) {
            for v in row.values.iter().filter(|v| v.kind == ValueKind::Target) {
                out.targets.push(Target {
                    province_code: province_code.clone(),
                    district_code: district.code.clone(),
                    area_code: area.clone(),
                    unit: row.unit.clone(),
                    group: v.group,
                    target: v.amount,
                    source: src.to_string(),
                    sheet: sheet.to_string(),
                    cell: v.cell.to_string(),
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
        if let Some(status) = reported_status(row, period, &district.code, &area, src, sheet, &mut out.findings) {
            out.statuses.push(status);
        }
        let row_texts = (province_sym.get(&province_code), district_sym.get(&district.code), area.as_deref().map(Sym::new), row.unit.as_deref().map(Sym::new));
        for v in &row.values {
            match v.kind {
                ValueKind::Count => out.observations.push(Observation {
                    period,
                    province_code: row_texts.0,
                    district_code: row_texts.1,
                    area_code: row_texts.2,
                    unit: row_texts.3,
                    group: v.group,
                    dose: v.dose,
                    vaccinated: v.amount,
                    source,
                    sheet: sheet_sym,
                    cell: v.cell,
                }),
                ValueKind::Target => out.targets.push(Target {
                    province_code: province_code.clone(),
                    district_code: district.code.clone(),
                    area_code: area.clone(),
                    unit: row.unit.clone(),
                    group: v.group,
                    target: v.amount,
                    source: src.to_string(),
                    sheet: sheet.to_string(),
                    cell: v.cell.to_string(),
                }),
            }
        }
    }
}

/// The PPKM level and zone colour a row reports, if it reports either. A cell that is
/// neither is a finding; the row's figures are used all the same.
fn reported_status(row: &RowReading, period: NaiveDate, district: &str, area: &Option<String>, src: &str, sheet: &str, findings: &mut Vec<Finding>) -> Option<ReportedStatus> {
    let level = understood(&row.ppkm_level, cells::ppkm_level, "a PPKM level (1–4, e.g. 'Level 3')", src, sheet, findings);
    let zone = understood(&row.zone, cells::zone, "a zone colour (merah, oranye, kuning or hijau)", src, sheet, findings);
    let cell = level.as_ref().map(|(_, c)| c).or(zone.as_ref().map(|(_, c)| c))?.clone();
    Some(ReportedStatus {
        period,
        district_code: district.to_string(),
        area_code: area.clone(),
        ppkm_level: level.map(|(l, _)| l),
        zone: zone.map(|(z, _)| z),
        source: src.to_string(),
        sheet: sheet.to_string(),
        cell,
    })
}

/// A written cell read by `parse`, with its reference; a finding when it cannot be
/// (once per sheet and text: a long table repeats the district's level on every row).
fn understood<T>(written: &Option<crate::layout::WrittenCell>, parse: fn(&str) -> Option<T>, what: &str, src: &str, sheet: &str, findings: &mut Vec<Finding>) -> Option<(T, String)> {
    let w = written.as_ref()?;
    if let Some(v) = parse(&w.text) {
        return Some((v, w.cell.clone()));
    }
    let message = format!("'{}' is not {what}; not shown beside the gate (the row's figures were used)", w.text);
    if !findings.iter().any(|f| f.code == "bad_ppkm_status" && f.sheet.as_deref() == Some(sheet) && f.message == message) {
        findings.push(Finding::warning("bad_ppkm_status", src, message).at(sheet, Some(w.cell.clone())));
    }
    None
}

/// Whether each of the row's figures is the sum of its column in the rows above (since
/// the last totals row). Zeros under zeros prove nothing (a sub-district that has not
/// started, under another): at least one figure must be more than nothing.
fn sums_the_rows_above(row: &RowReading, running: &BTreeMap<usize, i64>) -> bool {
    row.values.iter().any(|v| v.amount != 0) && row.values.iter().all(|v| running.get(&v.col) == Some(&v.amount))
}

/// Whether the row's sub-district cell names the district of the file's title (and no
/// district column names another).
fn names_title_district(row: &RowReading, title_district: &Option<Result<Region, Unresolved>>, resolver: &Resolver) -> bool {
    let Some(Ok(district)) = title_district else { return false };
    row.district_text.is_none() && row.area_name.as_deref().is_some_and(|n| resolver.gazetteer.names_district(n, district))
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
    // A name that is the district's own is a district-level row, unless a sub-district
    // code says otherwise (kecamatan Sungai Penuh, 15.72.01, in Kota Sungai Penuh) or the
    // name is bare and one of its sub-districts has it (kecamatan Sarolangun, 15.03.03, in
    // a column of Kab. Sarolangun's sub-districts). A district-named row that is the sum
    // of the rows above was read as a totals row before this.
    let sub_district_code = row.area_code.as_deref().and_then(gazetteer::normalise_code).is_some_and(|c| c.len() > 5);
    if let Some(name) = row.area_name.as_deref().filter(|n| !sub_district_code && resolver.gazetteer.names_district(n, district)) {
        return resolver.gazetteer.area_named_bare(&district.code, name).map(|a| a.code.clone());
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
                .at(sheet, Some(v.cell.to_string())),
            );
        }
    }
}

/// The same submission twice is counted once; two different files for the same
/// district and period: the newer one (file time, then name) is used.
pub fn settle_resubmissions(files: &mut [FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>]) {
    // An agency's file and the district's own file for the same week are not
    // resubmissions of each other: whether a file counts institutions is in the key.
    let mut by_key: BTreeMap<(Sym, NaiveDate, bool), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.outcome.status != "ok" {
            continue;
        }
        if let Some((d, p)) = one_district_and_period(&f.observations) {
            let units = f.observations.iter().any(|o| o.unit.is_some());
            by_key.entry((d, p, units)).or_default().push(i);
        }
    }
    for ((district, period, _), mut idx) in by_key {
        if idx.len() < 2 {
            continue;
        }
        idx.sort_by(|a, b| older_first(files, mtimes, *a, *b));
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
            f.statuses.clear();
            f.outcome.observations = 0;
            let msg = f.outcome.note.clone();
            f.findings.push(Finding::warning(if same { "duplicate_file" } else { "superseded_file" }, &f.outcome.path.clone(), msg));
        }
    }
}

/// Settles what the files say twice: resubmissions (a newer file for the same district
/// and week), the same figure in two places, and a district's figures given both as its
/// total and by sub-district ([`crate::levels`]). Figures are then counted once.
pub fn settle(files: &mut [FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>]) {
    settle_resubmissions(files, mtimes);
    settle_overlaps(files, mtimes);
    crate::levels::settle_levels(files, mtimes);
}

/// Whether settling `file` on its own changes nothing of it (no figure given twice, no
/// district at two levels): with no other file sharing its districts and periods, it is
/// then settled as read ([`crate::pending`]). A file without rows, with targets or not
/// read is not.
pub fn settles_alone(file: &FileTable) -> bool {
    if file.outcome.status != "ok" || !file.targets.is_empty() || file.observations.is_empty() {
        return false;
    }
    let mut alone = [file.clone()];
    settle(&mut alone, &[None]);
    let [settled] = alone;
    settled.outcome.status == file.outcome.status && settled.observations.len() == file.observations.len() && settled.findings.len() == file.findings.len()
}

/// The files read (status ok), newest first: the order in which a figure given twice
/// is taken.
pub(crate) fn newest_first(files: &[FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).filter(|i| files[*i].outcome.status == "ok").collect();
    order.sort_by(|a, b| older_first(files, mtimes, *b, *a));
    order
}

/// Which of files `a` and `b` is the older submission: by file time (none is oldest),
/// then by name (the earlier name). The newer one counts, for resubmissions, repeated
/// figures and figures at two levels alike.
fn older_first(files: &[FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>], a: usize, b: usize) -> std::cmp::Ordering {
    mtimes.get(a).cmp(&mtimes.get(b)).then(files[a].outcome.path.cmp(&files[b].outcome.path))
}

/// The district and period of a file's observations when they are all of one.
fn one_district_and_period(obs: &[Observation]) -> Option<(Sym, NaiveDate)> {
    let first = obs.first()?;
    obs.iter().all(|o| o.district_code == first.district_code && o.period == first.period).then_some((first.district_code, first.period))
}

/// The same figure given twice is counted once: by two files (a dashboard's table and
/// its map export), or by two sheets of one workbook (dose sheets and a summary sheet).
/// Across files the newer file's figure is used (file time, then name, as for
/// resubmissions); within a file the first one read. Equal figures are noted once per
/// pair of files; different figures are warnings naming both cells.
pub fn settle_overlaps(files: &mut [FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>]) {
    // Files that share no district and period (nor a target's district) cannot repeat
    // each other's figures: each group of files that do is settled on its own, in
    // parallel, so a year is thousands of small settlements rather than one of millions.
    // Each group's files, their times and their places in `files`.
    type Settling = (Vec<FileTable>, Vec<Option<chrono::DateTime<chrono::Utc>>>, Vec<usize>);
    let mut groups: Vec<Settling> = overlap_groups(files)
        .into_iter()
        .map(|members| {
            let tables = members.iter().map(|&i| std::mem::take(&mut files[i])).collect();
            let times = members.iter().map(|&i| mtimes.get(i).copied().flatten()).collect();
            (tables, times, members)
        })
        .collect();
    use rayon::prelude::*;
    groups.par_iter_mut().for_each(|(tables, times, _)| settle_overlaps_hashed(tables, times, &place_hash));
    for (tables, _, members) in groups {
        for (t, i) in tables.into_iter().zip(members) {
            files[i] = t;
        }
    }
}

/// The files read (status ok) in groups that may overlap: linked by a district and
/// period both have figures for, or a district both give targets for. Each group lists
/// its files in input order.
fn overlap_groups(files: &[FileTable]) -> Vec<Vec<usize>> {
    #[derive(Hash, PartialEq, Eq)]
    enum Link {
        Figures(Sym, NaiveDate),
        Targets(String),
    }
    // Union-find over files: each link joins the files that have it.
    let mut parent: Vec<usize> = (0..files.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: rustc_hash::FxHashMap<Link, usize> = Default::default();
    for (i, f) in files.iter().enumerate().filter(|(_, f)| f.outcome.status == "ok") {
        let mut last = None;
        let figures = f.observations.iter().filter_map(|o| {
            // Rows of a file mostly share their district and period: each link once in a row.
            let link = (o.district_code, o.period);
            (last.replace(link) != Some(link)).then_some(Link::Figures(link.0, link.1))
        });
        let targets = f.targets.iter().map(|t| Link::Targets(t.district_code.clone()));
        for link in figures.chain(targets) {
            let j = *first_with.entry(link).or_insert(i);
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in (0..files.len()).filter(|&i| files[i].outcome.status == "ok") {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// A hash of where an observation belongs (period, district, area, unit, group, dose).
fn place_hash(o: &Observation) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    // Interned texts: their ids stand for them (the hash only groups, never orders).
    (o.period, o.district_code.id(), o.area_code.map(Sym::id), o.unit.map(Sym::id), o.group, o.dose).hash(&mut h);
    h.finish()
}

fn settle_overlaps_hashed(files: &mut [FileTable], mtimes: &[Option<chrono::DateTime<chrono::Utc>>], hash: &dyn Fn(&Observation) -> u64) {
    const SHOWN: usize = 20;
    type Key = (NaiveDate, Sym, Option<Sym>, Option<Sym>, Group, u8);
    type TKey = (String, Option<String>, Option<String>, Group);
    let key = |o: &Observation| (o.period, o.district_code, o.area_code, o.unit, o.group, o.dose);
    let same_place = |a: &Observation, b: &Observation| (a.period, &a.district_code, &a.area_code, &a.unit, a.group, a.dose) == (b.period, &b.district_code, &b.area_code, &b.unit, b.group, b.dose);
    let order = newest_first(files, mtimes);
    // The first observation of each place, as (file, index in its list), by a hash of the
    // place: a year holds millions, and owned keys were most of its memory. Places whose
    // hash another place already holds go to `collided`.
    let figures: usize = order.iter().map(|&i| files[i].observations.len()).sum();
    let mut seen: rustc_hash::FxHashMap<u64, (usize, usize)> = rustc_hash::FxHashMap::with_capacity_and_hasher(figures, Default::default());
    let mut collided: std::collections::HashMap<Key, (usize, usize)> = Default::default();
    let mut seen_targets: std::collections::HashMap<TKey, (usize, i64, String)> = Default::default();
    // Figures counted already are marked, and taken out once the whole group is settled:
    // the lists stay as they are meanwhile, so (file, index) holds, and nothing is copied
    // (copying each kept figure into a new list was a year's table over again).
    let mut dropped: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for &i in &order {
        // (other file, same value?) → figures; differing ones described.
        let mut same: BTreeMap<usize, usize> = BTreeMap::new();
        let mut differ: BTreeMap<usize, Vec<(String, String, String)>> = BTreeMap::new();
        for (k, o) in files[i].observations.iter().enumerate() {
            let h = hash(o);
            let first = |(j, k): (usize, usize)| -> Option<&Observation> { files[j].observations.get(k).filter(|p| same_place(p, o)) };
            let earlier = match seen.get(&h) {
                None => {
                    seen.insert(h, (i, k));
                    None
                }
                Some(&at) => match first(at) {
                    Some(p) => Some((at.0, p)),
                    None => match collided.get(&key(o)) {
                        Some(&at) => first(at).map(|p| (at.0, p)),
                        None => {
                            collided.insert(key(o), (i, k));
                            None
                        }
                    },
                },
            };
            let Some((j, p)) = earlier else { continue };
            dropped[i].push(k);
            if p.vaccinated == o.vaccinated {
                *same.entry(j).or_default() += 1;
            } else {
                differ.entry(j).or_default().push((
                    o.cell.to_string(),
                    o.sheet.to_string(),
                    format!("{} {} dose {} on {}: {} here, {} in sheet '{}' cell {}", o.district_code, o.group.code(), o.dose, o.period, { o.vaccinated }, { p.vaccinated }, p.sheet, p.cell),
                ));
            }
        }
        files[i].outcome.observations = files[i].observations.len() - dropped[i].len();
        let targets = std::mem::take(&mut files[i].targets);
        let mut kept_targets = Vec::with_capacity(targets.len());
        for t in targets {
            let k: TKey = (t.district_code.clone(), t.area_code.clone(), t.unit.clone(), t.group);
            match seen_targets.get(&k) {
                None => {
                    seen_targets.insert(k, (i, t.target, format!("sheet '{}' cell {}", t.sheet, t.cell)));
                    kept_targets.push(t);
                }
                Some((j, v, _)) if *v == t.target => *same.entry(*j).or_default() += 1,
                Some((j, v, there)) => differ.entry(*j).or_default().push((
                    t.cell.clone(),
                    t.sheet.clone(),
                    format!("target of {} {}: {} here, {} in {there}", t.district_code, t.group.code(), t.target, v),
                )),
            }
        }
        files[i].targets = kept_targets;
        let src = files[i].outcome.path.clone();
        for (j, n) in same {
            let other = if j == i { "elsewhere in this file".to_string() } else { files[j].outcome.path.clone() };
            files[i].findings.push(Finding::info("repeated_figures", &src, format!("{n} figures repeat the same figures in {other}: counted once")));
        }
        for (j, list) in differ {
            let other = if j == i { "an earlier sheet of this file".to_string() } else { files[j].outcome.path.clone() };
            let n = list.len();
            for (cell, sheet, what) in list.into_iter().take(SHOWN) {
                files[i].findings.push(
                    Finding::warning("conflicting_figures", &src, format!("{what}; the figure in {other} was used")).at(&sheet, Some(cell)),
                );
            }
            if n > SHOWN {
                files[i].findings.push(Finding::warning("conflicting_figures", &src, format!("{} more figures differ from {other}; its figures were used", n - SHOWN)));
            }
        }
    }
    for (file, drop) in files.iter_mut().zip(dropped).filter(|(_, d)| !d.is_empty()) {
        let mut k = 0;
        let mut drop = drop.into_iter().peekable();
        file.observations.retain(|_| {
            let keep = drop.next_if_eq(&k).is_none();
            k += 1;
            keep
        });
    }
}

/// 1970-01-01: Parquet and polars keep a date as the days since then.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};

/// A date as Parquet and polars keep it: days since 1970-01-01.
pub fn days_of(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

/// Days since 1970-01-01 as a date. sitrep writes none before it nor past the calendar:
/// such a count (a damaged file) reads as 1970-01-01.
pub fn date_from_days(days: i32) -> NaiveDate {
    u64::try_from(days).ok().and_then(|d| EPOCH.checked_add_days(chrono::Days::new(d))).unwrap_or(EPOCH)
}

/// [`date_from_days`] over a column whose rows mostly share their date (a file's rows
/// share its period): the last date is kept, and a year's millions of rows are
/// converted a few thousand times.
#[derive(Default)]
pub struct Dates(Option<(i32, NaiveDate)>);

impl Dates {
    pub fn of(&mut self, days: i32) -> NaiveDate {
        match self.0 {
            Some((d, date)) if d == days => date,
            _ => self.0.insert((days, date_from_days(days))).1,
        }
    }
}

/// The canonical long table as a polars frame (column names as in DESIGN.md).
/// Takes any walk over the observations (one pass per column), so that callers holding
/// them in several lists need not copy them into one.
pub fn observations_frame<'a, I>(obs: I) -> polars::prelude::PolarsResult<polars::prelude::DataFrame>
where
    I: IntoIterator<Item = &'a Observation>,
    I::IntoIter: Clone,
{
    use polars::prelude::*;
    let obs = obs.into_iter();
    let days: Vec<i32> = obs.clone().map(|o| days_of(o.period)).collect();
    let len = days.len();
    // Texts go straight into the columns, a long one stored once ([`text_column`]).
    let t = |name: &str, f: &dyn Fn(&Observation) -> Option<Sym>| -> Column { text_column(name, len, obs.clone().map(f)).into_series().into() };
    DataFrame::new(
        len,
        vec![
            Int32Chunked::from_vec("period".into(), days).into_date().into_series().into(),
            t("province_code", &|o| Some(o.province_code)),
            t("district_code", &|o| Some(o.district_code)),
            t("area_code", &|o| o.area_code),
            t("unit", &|o| o.unit),
            StringChunked::from_iter_values("group".into(), obs.clone().map(|o| o.group.code())).into_series().into(),
            Column::new("dose".into(), obs.clone().map(|o| o.dose as i32).collect::<Vec<i32>>()),
            Column::new("vaccinated".into(), obs.clone().map(|o| o.vaccinated).collect::<Vec<i64>>()),
            t("source", &|o| Some(o.source)),
            t("sheet", &|o| Some(o.sheet)),
            t("cell", &|o| Some(o.cell)),
        ],
    )
}

/// A text column of `len` interned texts in which a long text (a file's path, on every
/// row of the file) is stored once and every row refers to it, where polars' builders
/// copy it for each row: a year's table was 700 MB of such copies.
fn text_column(name: &str, len: usize, values: impl Iterator<Item = Option<Sym>>) -> polars::prelude::StringChunked {
    use polars_arrow::array::{MutableBinaryViewArray, View};
    let mut array = MutableBinaryViewArray::<str>::with_capacity(len);
    let mut stored: rustc_hash::FxHashMap<usize, View> = Default::default();
    let mut last: Option<(Sym, View)> = None;
    // The bytes of the texts pushed as views, counted in once at the end.
    let mut shared_bytes = 0;
    for value in values {
        let Some(s) = value else {
            array.push_null();
            continue;
        };
        if s.len() <= View::MAX_INLINE_SIZE as usize {
            array.push_value(&*s);
            continue;
        }
        let view = match last {
            Some((l, v)) if l == s => v,
            _ => *stored.entry(s.id()).or_insert_with(|| array.push_value_into_buffer(s.as_bytes())),
        };
        last = Some((s, view));
        // SAFETY: the view was made by this array's `push_value_into_buffer`, which stored
        // its bytes in the buffer the view names (buffers are only ever added).
        unsafe { array.views_mut().push(view) };
        shared_bytes += s.len();
        if let Some(validity) = array.validity() {
            validity.push(true);
        }
    }
    // SAFETY: the total of the texts' lengths, as `push_value` keeps it (checked against
    // the views in debug builds).
    unsafe { array.set_total_bytes_len(array.total_bytes_len() + shared_bytes) };
    polars::prelude::StringChunked::with_chunk(name.into(), array.freeze())
}

/// The observations by `key` (a partition of the export or the archive), each list in
/// the table's order. Consecutive rows mostly share their key (a file's rows), so the
/// map is looked up once per run of rows, not once per row.
pub fn partitioned<'a, K: Ord + Copy>(obs: impl IntoIterator<Item = &'a Observation>, key: impl Fn(&Observation) -> K) -> BTreeMap<K, Vec<&'a Observation>> {
    let mut parts: BTreeMap<K, Vec<&'a Observation>> = BTreeMap::new();
    let mut run: Vec<&'a Observation> = Vec::new();
    let mut run_key: Option<K> = None;
    for o in obs {
        let k = key(o);
        if run_key != Some(k) {
            if let Some(done) = run_key.replace(k) {
                parts.entry(done).or_default().append(&mut run);
            }
        }
        run.push(o);
    }
    if let Some(done) = run_key {
        parts.entry(done).or_default().append(&mut run);
    }
    parts
}

/// The rows of `lists` by `key`, as runs of consecutive rows of a list that share it,
/// each key's runs in the lists' order. A file's rows mostly share their period and
/// district: a year is tens of thousands of runs, where a reference per row was 50 MB.
/// A list whose rows alternate keys (a history with a column per week) costs a slice
/// per row, twice a reference.
pub fn runs_by<'a, K: Ord + Copy>(lists: impl IntoIterator<Item = &'a [Observation]>, key: impl Fn(&Observation) -> K) -> BTreeMap<K, Vec<&'a [Observation]>> {
    let mut parts: BTreeMap<K, Vec<&'a [Observation]>> = BTreeMap::new();
    for list in lists {
        for run in list.chunk_by(|a, b| key(a) == key(b)) {
            parts.entry(key(&run[0])).or_default().push(run);
        }
    }
    parts
}

/// The periods of the observations, oldest first.
pub fn periods<'a>(obs: impl IntoIterator<Item = &'a Observation>) -> Vec<NaiveDate> {
    // A run of rows mostly shares its period (a file's): the set is touched once per run.
    let mut periods = std::collections::BTreeSet::new();
    let mut last = None;
    for o in obs {
        if last != Some(o.period) {
            last = Some(o.period);
            periods.insert(o.period);
        }
    }
    periods.into_iter().collect()
}

/// Where a district sum belongs: period, province, district, group and dose.
pub type SumKey = (NaiveDate, Sym, Sym, Group, u8);

/// Each district's figures per period, group and dose, summed over its areas: what the
/// attainment queries read (the columns of [`observations_frame`] they use), a few
/// hundred thousand rows for a year instead of millions. Institutions' staff figures are
/// left out, as attainment leaves them out.
pub fn district_figures_frame<'a>(obs: impl IntoIterator<Item = &'a Observation>) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    district_sums_frame(&district_sums(obs))
}

/// The sums of [`district_figures_frame`], sorted by their key.
pub fn district_sums<'a>(obs: impl IntoIterator<Item = &'a Observation>) -> Vec<(SumKey, i64)> {
    let mut sums: rustc_hash::FxHashMap<SumKey, i64> = Default::default();
    // A file's rows share their period and district: they are summed in a short list
    // first, and the table (hundreds of thousands of sums for a year, out of the cache's
    // reach) is touched once per group and dose of each file, not once per row.
    let mut run: Option<(NaiveDate, Sym, Sym)> = None;
    let mut run_sums: Vec<((Group, u8), i64)> = Vec::new();
    let mut flush = |place: Option<(NaiveDate, Sym, Sym)>, run_sums: &mut Vec<((Group, u8), i64)>| {
        if let Some((period, province, district)) = place {
            for ((group, dose), n) in run_sums.drain(..) {
                *sums.entry((period, province, district, group, dose)).or_default() += n;
            }
        }
    };
    for o in obs.into_iter().filter(|o| o.unit.is_none()) {
        let place = (o.period, o.province_code, o.district_code);
        if run != Some(place) {
            flush(run.replace(place), &mut run_sums);
        }
        match run_sums.iter_mut().find(|(k, _)| *k == (o.group, o.dose)) {
            Some((_, n)) => *n += o.vaccinated,
            None => run_sums.push(((o.group, o.dose), o.vaccinated)),
        }
    }
    flush(run, &mut run_sums);
    let mut rows: Vec<_> = sums.into_iter().collect();
    rows.sort_unstable_by_key(|(k, _)| *k);
    rows
}

/// Sums (sorted by their key) as the frame of [`district_figures_frame`].
pub fn district_sums_frame(rows: &[(SumKey, i64)]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let text = |name: &str, f: &dyn Fn(&SumKey) -> &str| -> Column { StringChunked::from_iter_values(name.into(), rows.iter().map(|(k, _)| f(k))).into_series().into() };
    DataFrame::new(
        rows.len(),
        vec![
            Int32Chunked::from_vec("period".into(), rows.iter().map(|(k, _)| days_of(k.0)).collect()).into_date().into_series().into(),
            text("province_code", &|k| k.1.as_str()),
            text("district_code", &|k| k.2.as_str()),
            Column::full_null("unit".into(), rows.len(), &DataType::String),
            text("group", &|k| k.3.code()),
            Column::new("dose".into(), rows.iter().map(|(k, _)| k.4 as i32).collect::<Vec<i32>>()),
            Column::new("vaccinated".into(), rows.iter().map(|(_, n)| *n).collect::<Vec<i64>>()),
        ],
    )
}

/// A partition of the archive read back as observations: its frame holds every column
/// but those its folders name, which are the same on every row (`province_code`,
/// `period`).
pub fn observations_from_frame(df: &polars::prelude::DataFrame, province_code: Sym, period: NaiveDate) -> polars::prelude::PolarsResult<Vec<Observation>> {
    use polars::prelude::*;
    let dose = df.column("dose")?.cast(&DataType::Int32)?;
    let vaccinated = df.column("vaccinated")?.cast(&DataType::Int64)?;
    let (mut dose, mut vaccinated) = (dose.i32()?.iter(), vaccinated.i64()?.iter());
    let texts = |name: &str| -> PolarsResult<_> { Ok(interned(df.column(name)?.str()?).into_iter()) };
    let (mut district, mut area, mut unit) = (texts("district_code")?, texts("area_code")?, texts("unit")?);
    let (mut source, mut sheet, mut cell) = (texts("source")?, texts("sheet")?, texts("cell")?);
    let mut group = df.column("group")?.str()?.iter();
    let empty = Sym::new("");
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(Some(g)) = group.next().map(|g| g.and_then(Group::from_code)) else {
            polars_bail!(ComputeError: "row {i}: an unknown group");
        };
        let text = |v: Option<Option<Sym>>| v.flatten().unwrap_or(empty);
        out.push(Observation {
            period,
            province_code,
            district_code: text(district.next()),
            area_code: area.next().flatten(),
            unit: unit.next().flatten(),
            group: g,
            dose: dose.next().flatten().and_then(|d| u8::try_from(d).ok()).unwrap_or_default(),
            vaccinated: vaccinated.next().flatten().unwrap_or_default(),
            source: text(source.next()),
            sheet: text(sheet.next()),
            cell: text(cell.next()),
        });
    }
    Ok(out)
}

/// A text column's values, interned. Each distinct view of a chunk is interned once: a
/// column read from a Parquet dictionary gives every row of an entry the entry's view
/// (hashing and comparing each row's text was most of reading the archive back). Within
/// a chunk, one view is one text: inline, its bytes; else a place in the chunk's buffers.
fn interned(ca: &polars::prelude::StringChunked) -> Vec<Option<Sym>> {
    use polars_arrow::array::Array;
    let mut out = Vec::with_capacity(ca.len());
    for chunk in ca.downcast_iter() {
        let mut seen: rustc_hash::FxHashMap<u128, Sym> = Default::default();
        // Most rows repeat the row above's file, sheet and codes.
        let mut last: Option<(u128, Sym)> = None;
        for (i, view) in chunk.views().iter().enumerate() {
            if chunk.is_null(i) {
                out.push(None);
                continue;
            }
            let view = view.as_u128();
            let sym = match last {
                Some((v, sym)) if v == view => sym,
                // SAFETY: `i` is within the chunk (its views are as many as its values).
                _ => *seen.entry(view).or_insert_with(|| Sym::new(unsafe { chunk.value_unchecked(i) })),
            };
            last = Some((view, sym));
            out.push(Some(sym));
        }
    }
    out
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
            Column::new("unit".into(), targets.iter().map(|t| t.unit.clone()).collect::<Vec<Option<String>>>()),
            Column::new("group".into(), s(&|t| t.group.code().to_string())),
            Column::new("target".into(), targets.iter().map(|t| t.target).collect::<Vec<i64>>()),
            Column::new("source".into(), s(&|t| t.source.clone())),
            Column::new("sheet".into(), s(&|t| t.sheet.clone())),
            Column::new("cell".into(), s(&|t| t.cell.clone())),
        ],
    )
}

/// Observations and files for the settling tests (here and in `levels`).
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Lansia dose 1 of sub-district `area` of 15.01 on 2022-01-15.
    pub(crate) fn obs(area: &str, n: i64, cell: &str) -> Observation {
        Observation {
            period: NaiveDate::from_ymd_opt(2022, 1, 15).unwrap(),
            province_code: "15".into(),
            district_code: "15.01".into(),
            area_code: Some(area.into()),
            unit: None,
            group: Group::Lansia,
            dose: 1,
            vaccinated: n,
            source: "".into(),
            sheet: "Sheet1".into(),
            cell: cell.into(),
        }
    }

    /// A file read (status ok) with these observations.
    pub(crate) fn file(path: &str, observations: Vec<Observation>) -> FileTable {
        let mut f = FileTable { observations, ..Default::default() };
        f.outcome.observations = f.observations.len();
        f.outcome.path = path.into();
        f.outcome.status = "ok".into();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{file, obs};
    use super::*;

    /// A text column with each long text stored once holds the texts polars' own
    /// builder holds (missing, empty, short, long, repeated, not ASCII), and writes the
    /// same Parquet bytes.
    #[test]
    fn a_text_column_with_shared_texts_is_polars_own() {
        use polars::prelude::*;
        let texts: Vec<Option<Sym>> = [
            Some("/data/submissions/2022-01-15/15.01_KAB_KERINCI_2022-01-15.xlsx"),
            Some("/data/submissions/2022-01-15/15.01_KAB_KERINCI_2022-01-15.xlsx"),
            None,
            Some(""),
            Some("C7"),
            Some("exactly12byt"),
            Some("thirteen byte"),
            Some("Kab. Tanjung Jabung Barat é ✓"),
            Some("/data/submissions/2022-01-15/15.02_KAB_MERANGIN.xlsx"),
            None,
            Some("/data/submissions/2022-01-15/15.01_KAB_KERINCI_2022-01-15.xlsx"),
            Some("thirteen byte"),
        ]
        .iter()
        .map(|t| t.map(Sym::new))
        .collect();
        // With enough distinct long texts to fill several of polars' buffers.
        let rows: Vec<Option<Sym>> = (0..1000).flat_map(|i| texts.iter().copied().chain([Some(Sym::new(&format!("/data/submissions/file number {i}.xlsx")))])).collect();
        let ours = text_column("t", rows.len(), rows.iter().copied());
        let polars_own = StringChunked::from_iter_options("t".into(), rows.iter().map(|t| t.map(|s| s.as_str())));
        assert!(ours.equal_missing(&polars_own).all());
        assert_eq!(ours.null_count(), polars_own.null_count());
        let parquet = |c: StringChunked| {
            let mut df = DataFrame::new(c.len(), vec![c.into_series().into()]).unwrap();
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
            bytes
        };
        assert!(parquet(ours) == parquet(polars_own));
    }

    /// A figure given twice in the newer file is counted once, and the older file's
    /// figures are still compared with the right ones of the newer (the ones after the
    /// repeat), whatever the hash.
    #[test]
    fn a_figure_repeated_within_a_file_is_counted_once_and_later_ones_still_compare() {
        for hash in [&place_hash as &dyn Fn(&Observation) -> u64, &|_: &Observation| 7] {
            let newer = file("rekap.xlsx", vec![obs("15.01.01", 100, "D9"), obs("15.01.01", 100, "E9"), obs("15.01.01", 90, "F9"), obs("15.01.02", 250, "D10")]);
            let older = file("lama.xlsx", vec![obs("15.01.02", 200, "C6"), obs("15.01.03", 300, "C7")]);
            let mut files = vec![older, newer];
            let at = |d: i64| Some(chrono::DateTime::<chrono::Utc>::from_timestamp(1_640_000_000 + d * 86_400, 0).unwrap());
            settle_overlaps_hashed(&mut files, &[at(1), at(2)], hash);
            let cells = |f: &FileTable| f.observations.iter().map(|o| o.cell.to_string()).collect::<Vec<_>>();
            assert_eq!((cells(&files[1]), files[1].outcome.observations), (vec!["D9".to_string(), "D10".to_string()], 2));
            assert_eq!((cells(&files[0]), files[0].outcome.observations), (vec!["C7".to_string()], 1));
            let said = |f: &FileTable| f.findings.iter().map(|f| format!("{} {:?} {}", f.code, f.cell, f.message)).collect::<Vec<_>>();
            let newer_said = said(&files[1]);
            assert!(newer_said.iter().any(|m| m.starts_with("repeated_figures") && m.contains("1 figures repeat the same figures in elsewhere in this file")), "{newer_said:?}");
            assert!(newer_said.iter().any(|m| m.starts_with("conflicting_figures Some(\"F9\")") && m.contains("90 here, 100 in sheet 'Sheet1' cell D9")), "{newer_said:?}");
            let older_said = said(&files[0]);
            assert_eq!(older_said.len(), 1, "{older_said:?}");
            assert!(older_said[0].contains("200 here, 250 in sheet 'Sheet1' cell D10"), "{older_said:?}");
        }
    }

    /// A dashboard table and its map export give the same places: equal figures count
    /// once, a different figure is a warning at its cell, the newer file's figure wins.
    fn settle(hash: &dyn Fn(&Observation) -> u64) -> Vec<FileTable> {
        let older = file("tabel.xlsx", vec![obs("15.01.01", 100, "C5"), obs("15.01.02", 200, "C6"), obs("15.01.03", 300, "C7")]);
        let newer = file("peta.xlsx", vec![obs("15.01.01", 100, "D9"), obs("15.01.02", 250, "D10"), obs("15.01.04", 400, "D11")]);
        let mut files = vec![older, newer];
        let at = |d: u32| Some(chrono::DateTime::<chrono::Utc>::from_timestamp(1_640_000_000 + d as i64 * 86_400, 0).unwrap());
        settle_overlaps_hashed(&mut files, &[at(1), at(2)], hash);
        files
    }

    fn check(files: &[FileTable]) {
        fn cells(f: &FileTable) -> Vec<(&str, i64)> {
            f.observations.iter().map(|o| (o.cell.as_str(), o.vaccinated)).collect()
        }
        assert_eq!(cells(&files[1]), vec![("D9", 100), ("D10", 250), ("D11", 400)]);
        assert_eq!(cells(&files[0]), vec![("C7", 300)]);
        let codes: Vec<(&str, Option<&str>)> = files[0].findings.iter().map(|f| (f.code, f.cell.as_deref())).collect();
        assert!(codes.contains(&("repeated_figures", None)), "{codes:?}");
        assert!(codes.contains(&("conflicting_figures", Some("C6"))), "{codes:?}");
        let conflict = files[0].findings.iter().find(|f| f.code == "conflicting_figures").unwrap();
        assert!(conflict.message.contains("200 here, 250 in sheet 'Sheet1' cell D10"), "{}", conflict.message);
        assert!(files[1].findings.is_empty());
    }

    #[test]
    fn dates_are_days_since_1970_and_back() {
        let d = NaiveDate::from_ymd_opt(2022, 12, 24).unwrap();
        assert_eq!(days_of(d), 19_350);
        assert_eq!(date_from_days(19_350), d);
        let mut dates = Dates::default();
        assert_eq!([19_350, 19_350, 19_357, 19_350].map(|n| dates.of(n)), [d, d, NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(), d]);
        // Damaged counts read as the epoch rather than stopping the run.
        assert_eq!(date_from_days(-3), EPOCH);
        assert_eq!(date_from_days(i32::MAX), EPOCH);
    }

    #[test]
    fn an_observation_takes_44_bytes() {
        // A year is 6.4 million of them: their size is most of a year's memory.
        assert_eq!(std::mem::size_of::<Observation>(), 44);
    }

    #[test]
    fn figures_given_twice_count_once_and_the_newer_file_wins() {
        check(&settle(&place_hash));
    }

    /// A file that settling on its own leaves as read is known before its rows go to the
    /// cache; one giving a figure twice (two sheets, one sub-district) is not, nor one with
    /// targets, none or not read.
    #[test]
    fn whether_a_file_settles_alone_is_found_from_it_alone() {
        let plain = file("a.xlsx", vec![obs("15.01.01", 1, "C5"), obs("15.01.02", 2, "C6")]);
        assert!(settles_alone(&plain));
        let twice = file("b.xlsx", vec![obs("15.01.01", 1, "C5"), Observation { sheet: "Rekap".into(), ..obs("15.01.01", 1, "D9") }]);
        assert!(!settles_alone(&twice));
        assert!(!settles_alone(&file("c.xlsx", Vec::new())));
        let mut unread = plain.clone();
        unread.outcome.status = "unreadable".into();
        assert!(!settles_alone(&unread));
        let target = Target { province_code: "15".into(), district_code: "15.01".into(), area_code: None, unit: None, group: Group::Lansia, target: 1, source: String::new(), sheet: String::new(), cell: String::new() };
        assert!(!settles_alone(&FileTable { targets: vec![target], ..plain }));
    }

    /// Files are settled in groups: those sharing a district and period, or a district's
    /// targets, directly or through another file; a file sharing nothing is alone.
    #[test]
    fn files_that_can_overlap_are_settled_together() {
        let other_district = |o: Observation| Observation { district_code: "15.02".into(), ..o };
        let target = |district: &str| Target {
            province_code: "15".into(),
            district_code: district.into(),
            area_code: None,
            unit: None,
            group: Group::Lansia,
            target: 1,
            source: String::new(),
            sheet: String::new(),
            cell: String::new(),
        };
        let a = file("a.xlsx", vec![obs("15.01.01", 1, "C5")]);
        let b = FileTable { targets: vec![target("15.72")], ..file("b.xlsx", vec![obs("15.01.02", 2, "C6")]) };
        let c = file("c.xlsx", vec![other_district(obs("15.02.01", 3, "C7"))]);
        let d = FileTable { targets: vec![target("15.72")], ..file("d.xlsx", Vec::new()) };
        let mut unread = file("e.xlsx", vec![obs("15.01.01", 1, "C5")]);
        unread.outcome.status = "unreadable".into();
        assert_eq!(overlap_groups(&[a, b, c, d, unread]), vec![vec![0, 1, 3], vec![2]]);
    }

    /// Settled group by group, with a file of another district between them, the two
    /// overlapping files come out as settled on their own.
    #[test]
    fn settling_in_groups_gives_the_same_figures_and_findings() {
        let older = file("tabel.xlsx", vec![obs("15.01.01", 100, "C5"), obs("15.01.02", 200, "C6"), obs("15.01.03", 300, "C7")]);
        let apart = file("lain.xlsx", vec![Observation { district_code: "15.02".into(), ..obs("15.02.01", 7, "C5") }]);
        let newer = file("peta.xlsx", vec![obs("15.01.01", 100, "D9"), obs("15.01.02", 250, "D10"), obs("15.01.04", 400, "D11")]);
        let mut files = vec![older, apart, newer];
        let at = |d: u32| Some(chrono::DateTime::<chrono::Utc>::from_timestamp(1_640_000_000 + d as i64 * 86_400, 0).unwrap());
        settle_overlaps(&mut files, &[at(1), at(3), at(2)]);
        assert_eq!(files[1].observations.len(), 1);
        assert!(files[1].findings.is_empty());
        files.remove(1);
        check(&files);
    }

    /// Partitions keep the table's order within each list, across runs of rows.
    #[test]
    fn partitions_keep_the_tables_order() {
        let at = |area: &str, cell: &str, day: u32| Observation { period: NaiveDate::from_ymd_opt(2022, 1, day).unwrap(), ..obs(area, 1, cell) };
        let table: Observations = vec![vec![at("15.01.01", "C1", 1), at("15.01.02", "C2", 1)], vec![at("15.01.01", "C3", 8), at("15.01.02", "C4", 1)]].into_iter().collect();
        let parts = partitioned(&table, |o| o.period);
        let cells: Vec<(u32, Vec<&str>)> = parts.iter().map(|(p, rows)| (chrono::Datelike::day(p), rows.iter().map(|o| o.cell.as_str()).collect())).collect();
        assert_eq!(cells, vec![(1, vec!["C1", "C2", "C4"]), (8, vec!["C3"])]);
    }

    /// Places are found by hash; two places with one hash must not be taken as one.
    #[test]
    fn places_whose_hashes_collide_stay_apart() {
        check(&settle(&|_| 42));
    }
}

