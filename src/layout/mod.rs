//! Layout: finds, in each sheet of a grid, the title block, the header rows, the role of
//! every column and the kind of every row below it, and reads the values out as
//! [`RowReading`]s with their cell references. No names are resolved here (that is
//! [`crate::table`]); this stage only says what is written where.

pub mod cells;
pub mod header;
pub mod vocab;

use crate::findings::{cell_ref, cell_sym, Finding};
use crate::ingest::{Cell, Grid, Sheet};
use crate::sym::Sym;
use cells::Number;
use chrono::NaiveDate;
use vocab::{Group, Role, Vocabulary};

/// Whether a file is read as submissions (counts) or as the targets reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Submission,
    Targets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Group × dose columns, one row per area.
    Wide,
    /// One row per area, group and dose.
    Long,
    /// Target columns per group (a targets workbook).
    Targets,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Wide => "wide",
            Shape::Long => "long",
            Shape::Targets => "targets",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Count,
    Target,
}

/// One figure read from one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub group: Group,
    /// 1–4 for counts, 0 for targets.
    pub dose: u8,
    pub amount: i64,
    pub cell: Sym,
    /// Column index, to match totals rows against the rows above them.
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    Data,
    Total,
    Rejected(String),
}

/// One row of a data region.
#[derive(Debug, Clone, PartialEq)]
pub struct RowReading {
    pub row: usize,
    pub kind: RowKind,
    pub district_text: Option<String>,
    /// The province column of a multi-district export, to tell same-named districts apart.
    pub province_text: Option<String>,
    pub area_name: Option<String>,
    pub area_code: Option<String>,
    /// The institution a row counts the staff of (agency submissions).
    pub unit: Option<String>,
    /// Cell that names the row (for findings about the name).
    pub label_cell: String,
    pub values: Vec<Value>,
    /// The PPKM level and zone colour the row reports, as written, with their cells.
    pub ppkm_level: Option<WrittenCell>,
    pub zone: Option<WrittenCell>,
}

/// A cell's text with its reference (`D7`), read as written and understood later.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenCell {
    pub text: String,
    pub cell: String,
}

/// One table found in one sheet.
#[derive(Debug, Clone)]
pub struct TableReading {
    pub sheet: String,
    pub shape: Shape,
    pub header_rows: (usize, usize),
    /// The title block's text, where the district and date are looked for.
    pub title: String,
    pub period: Option<NaiveDate>,
    /// The combined header label and the role of each column, as understood.
    pub labels: Vec<String>,
    pub roles: Vec<Role>,
    /// The group or dose the sheet name or title gives to the whole table.
    pub context: vocab::SheetContext,
    pub rows: Vec<RowReading>,
}

/// All tables of one file, and what was noticed while reading them.
#[derive(Debug, Clone, Default)]
pub struct FileLayout {
    pub tables: Vec<TableReading>,
    pub findings: Vec<Finding>,
    /// Why the file holds nothing to use although it was read (e.g. province figures only).
    pub skipped: Option<String>,
}

pub fn read(grid: &Grid, src: &str, purpose: Purpose, vocab: &Vocabulary) -> FileLayout {
    let mut out = FileLayout::default();
    for sheet in &grid.sheets {
        match read_sheet(sheet, src, purpose, vocab, &mut out.findings, &mut out.skipped) {
            Some(t) => out.tables.push(t),
            None if is_instructions(&sheet.name) => {}
            None if sheet.rows.iter().any(|r| r.iter().any(|c| !c.is_empty())) => out.findings.push(
                Finding::info("no_table", src, "no table of vaccination figures recognised in this sheet; skipped").at(&sheet.name, None),
            ),
            None => {}
        }
    }
    out
}

/// The instructions sheet of sitrep's own template (`sitrep template`) holds no table
/// by design: not worth a finding. Other sheets without a table still get an info
/// finding, so a district's notes sheet is visible in the annex.
fn is_instructions(sheet_name: &str) -> bool {
    matches!(vocab::normalise(sheet_name).trim(), "petunjuk" | "instructions")
}

fn read_sheet(sheet: &Sheet, src: &str, purpose: Purpose, vocab: &Vocabulary, findings: &mut Vec<Finding>, skipped: &mut Option<String>) -> Option<TableReading> {
    let header = header::find(sheet, vocab, purpose)?;
    if header.province_only {
        let why = "a table of province figures (a Provinsi column, no Kabupaten/Kota or Kecamatan column): sitrep reads figures per district; not used";
        findings.push(Finding::warning("province_level", src, why).at(&sheet.name, Some(cell_ref(header.first, 0))));
        skipped.get_or_insert_with(|| why.to_string());
        return None;
    }
    for (c, note) in &header.notes {
        findings.push(Finding::info("column_role", src, note.clone()).at(&sheet.name, Some(cell_ref(header.first, *c))));
    }
    let roles = &header.roles;
    let has = |f: &dyn Fn(&Role) -> bool| roles.iter().any(f);
    let shape = if purpose == Purpose::Targets || (!has(&|r| matches!(r, Role::Count(..))) && has(&|r| matches!(r, Role::Target(_))) && !has(&|r| matches!(r, Role::CountValue))) {
        Shape::Targets
    } else if has(&|r| matches!(r, Role::Count(..))) {
        Shape::Wide
    } else if has(&|r| matches!(r, Role::CountValue)) && (has(&|r| matches!(r, Role::GroupName)) || has(&|r| matches!(r, Role::DoseNumber))) {
        Shape::Long
    } else {
        return None;
    };
    let title: String = (0..header.first)
        .flat_map(|r| sheet.rows.get(r).into_iter().flatten())
        .map(|c| c.text())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    let period = (0..header.first)
        .flat_map(|r| sheet.rows.get(r).into_iter().flatten())
        .find_map(cells::cell_date);
    let mut rows = Vec::new();
    for r in header.last + 1..sheet.rows.len() {
        if let Some(row) = read_row(sheet, r, &header, shape, src, vocab, findings) {
            rows.push(row);
        }
    }
    Some(TableReading {
        sheet: sheet.name.clone(),
        shape,
        header_rows: (header.first, header.last),
        title,
        period,
        labels: header.labels.clone(),
        roles: header.roles.clone(),
        context: header.context,
        rows,
    })
}

fn col_of(roles: &[Role], want: Role) -> Option<usize> {
    roles.iter().position(|r| *r == want)
}

fn read_row(sheet: &Sheet, r: usize, header: &header::Header, shape: Shape, src: &str, vocab: &Vocabulary, findings: &mut Vec<Finding>) -> Option<RowReading> {
    let row = sheet.rows.get(r)?;
    if row.iter().all(|c| c.is_empty()) {
        return None;
    }
    let roles = &header.roles;
    let text_at = |c: Option<usize>| c.map(|c| sheet.get(r, c).text()).filter(|t| !t.is_empty());
    let district_col = col_of(roles, Role::DistrictName);
    let area_col = col_of(roles, Role::AreaName);
    let code_col = col_of(roles, Role::AreaCode);
    let district_text = text_at(district_col);
    let province_text = text_at(col_of(roles, Role::ProvinceName));
    let area_name = text_at(area_col);
    let area_code = text_at(code_col);
    let unit_col = col_of(roles, Role::Unit);
    let unit = text_at(unit_col);
    let written = |role: Role| col_of(roles, role).and_then(|c| text_at(Some(c)).map(|text| WrittenCell { text, cell: cell_ref(r, c) }));
    let (ppkm_level, zone) = (written(Role::PpkmLevel), written(Role::Zone));
    // The label is the first naming cell with text, else the first text cell of the row.
    let (label_col, label) = [area_col, unit_col, district_col, code_col]
        .into_iter()
        .flatten()
        .find_map(|c| text_at(Some(c)).map(|t| (c, t)))
        .or_else(|| row.iter().enumerate().find_map(|(c, cell)| match cell {
            Cell::Text(t) if !t.trim().is_empty() => Some((c, t.trim().to_string())),
            _ => None,
        }))
        .unwrap_or((0, String::new()));
    let label_cell = cell_ref(r, label_col);
    // A header repeated inside the data (exports that concatenate pages).
    if header::is_repeated_header(sheet, r, header) {
        return None;
    }
    let value_cols: Vec<usize> = roles
        .iter()
        .enumerate()
        .filter(|(_, role)| matches!(role, Role::Count(..) | Role::Target(_) | Role::CountValue))
        .map(|(c, _)| c)
        .collect();
    let any_number = value_cols.iter().any(|c| matches!(cells::read_number(sheet.get(r, *c)), Number::Value(_)));
    // Each column once (the label is usually the area's cell); the label's own column is
    // among them, so a total label anywhere in the row's naming cells or its label counts.
    let mut naming_cols: Vec<usize> = Vec::with_capacity(4);
    for c in [district_col, area_col, code_col, Some(label_col)].into_iter().flatten() {
        if !naming_cols.contains(&c) {
            naming_cols.push(c);
        }
    }
    let is_total = naming_cols.iter().any(|c| vocab.is_total_label(&sheet.get(r, *c).text()));
    if !any_number && !is_total {
        let non_empty = row.iter().filter(|c| !c.is_empty()).count();
        if vocab.is_note(&label) || non_empty == 1 && label.split_whitespace().count() > 3 || label.is_empty() {
            return None; // a footnote or a stray remark, not a data row
        }
    }
    let mut reading = RowReading { row: r, kind: RowKind::Data, district_text, province_text, area_name, area_code, unit, label_cell, values: Vec::new(), ppkm_level, zone };
    if is_total {
        reading.kind = RowKind::Total;
    }
    let mut bad: Vec<String> = Vec::new();
    match shape {
        Shape::Wide | Shape::Targets => {
            // A targets table in long form (one row per district and group): the
            // group of a plain "Sasaran" column comes from the row's group cell.
            let row_group = col_of(roles, Role::GroupName).and_then(|c| vocab.group_in(&vocab::normalise(&sheet.get(r, c).text())));
            for (c, role) in roles.iter().enumerate() {
                let (kind, group, dose) = match *role {
                    Role::Count(g, d) if shape == Shape::Wide => (ValueKind::Count, g, d),
                    Role::Target(Group::All) if row_group.is_some() => (ValueKind::Target, row_group.unwrap_or(Group::All), 0),
                    Role::Target(g) => (ValueKind::Target, g, 0),
                    _ => continue,
                };
                match whole_number(sheet.get(r, c)) {
                    Ok(Some(amount)) => reading.values.push(Value { kind, group, dose, amount, cell: cell_sym(r, c), col: c }),
                    Ok(None) => {}
                    Err(what) => bad.push(format!("{}: {what}", cell_ref(r, c))),
                }
            }
        }
        Shape::Long => {
            // Target columns beside a long table (a per-row headcount) are read as targets.
            for (c, role) in roles.iter().enumerate() {
                if let Role::Target(g) = *role {
                    match whole_number(sheet.get(r, c)) {
                        Ok(Some(amount)) => reading.values.push(Value { kind: ValueKind::Target, group: g, dose: 0, amount, cell: cell_sym(r, c), col: c }),
                        Ok(None) => {}
                        Err(what) => bad.push(format!("{}: {what}", cell_ref(r, c))),
                    }
                }
            }
            let group_col = col_of(roles, Role::GroupName);
            let dose_col = col_of(roles, Role::DoseNumber);
            let count_col = col_of(roles, Role::CountValue);
            let group = match group_col {
                Some(c) => vocab.group_in(&vocab::normalise(&sheet.get(r, c).text())),
                None => Some(header.context.group.unwrap_or(Group::All)),
            };
            let dose = match dose_col {
                Some(c) => dose_of(sheet.get(r, c), vocab),
                None => header.context.dose,
            };
            let amount = count_col.map(|c| whole_number(sheet.get(r, c)));
            // A totals row of a long table names no group or dose: only its figure matters.
            let (group, dose) = if reading.kind == RowKind::Total { (group.or(Some(Group::All)), dose.or(Some(0))) } else { (group, dose) };
            match (group, dose, amount) {
                (Some(g), Some(d), Some(Ok(Some(a)))) => {
                    let c = count_col.unwrap_or(0);
                    reading.values.push(Value { kind: ValueKind::Count, group: g, dose: d, amount: a, cell: cell_sym(r, c), col: c });
                }
                (None, _, _) => bad.push(format!("{}: unknown group '{}'", cell_ref(r, group_col.unwrap_or(0)), sheet.get(r, group_col.unwrap_or(0)).text())),
                (_, None, _) => bad.push(format!("{}: unknown dose '{}'", cell_ref(r, dose_col.unwrap_or(0)), sheet.get(r, dose_col.unwrap_or(0)).text())),
                (_, _, Some(Err(what))) => bad.push(format!("{}: {what}", cell_ref(r, count_col.unwrap_or(0)))),
                _ => {}
            }
        }
    }
    for b in &bad {
        let (cell, what) = b.split_once(": ").unwrap_or(("", b.as_str()));
        findings.push(Finding::warning("bad_value", src, format!("{what}; left out of the figures")).at(&sheet.name, Some(cell.to_string()).filter(|c| !c.is_empty())));
    }
    if reading.kind == RowKind::Data && reading.values.is_empty() {
        reading.kind = RowKind::Rejected(if bad.is_empty() { "no figures in the row".into() } else { format!("no readable figures ({})", bad.join("; ")) });
    }
    Some(reading)
}

/// A count of people: a whole, non-negative number. Blanks and dashes are no figure.
fn whole_number(cell: &Cell) -> Result<Option<i64>, String> {
    match cells::read_number(cell) {
        Number::Blank => Ok(None),
        Number::Value(v) if v >= 0.0 && v.fract().abs() < 1e-9 && v < 1e12 => Ok(Some(v.round() as i64)),
        Number::Value(v) => Err(format!("{v} is not a whole number of people")),
        Number::Invalid(what) => Err(format!("{what} is not a number")),
    }
}

fn dose_of(cell: &Cell, vocab: &Vocabulary) -> Option<u8> {
    match cells::read_number(cell) {
        Number::Value(v) if (1.0..=4.0).contains(&v) && v.fract() == 0.0 => Some(v as u8),
        _ => vocab.dose_in(&vocab::normalise(&cell.text())),
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::ingest::Merge;
    use proptest::prelude::*;

    /// Cells drawn from what submissions hold: header words, names, numbers in both
    /// conventions, dashes, percentages, dates, Excel errors, blanks.
    fn cell() -> impl Strategy<Value = Cell> {
        prop_oneof![
            3 => Just(Cell::Empty),
            2 => prop::sample::select(vec!["Kecamatan", "Kabupaten/Kota", "Provinsi", "Kode", "Lansia", "Dosis 1", "D2", "Booster", "JUMLAH", "Sasaran", "% Capaian", "Kelompok", "Dosis", "Jumlah", "Sumber: Dinkes", "Kab. Majene", "Banggae", "Data s.d. 12 Maret 2022", "-", "1.234", "1,234", "14,5 %", "Vaksin ke-2", "Nakes"]).prop_map(|s| Cell::Text(s.to_string())),
            3 => (0u32..100_000).prop_map(|n| Cell::Number(n as f64)),
            1 => any::<f64>().prop_map(Cell::Number),
            1 => "\\PC{0,12}".prop_map(Cell::Text),
            1 => prop::sample::select(vec!["#REF!", "#DIV/0!", "#N/A"]).prop_map(|e| Cell::Error(e.to_string())),
            1 => Just(Cell::Date(NaiveDate::from_ymd_opt(2022, 3, 12).unwrap_or_default())),
        ]
    }

    fn sheet() -> impl Strategy<Value = Sheet> {
        (prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..25), prop::collection::vec((0usize..25, 0usize..9, 0usize..3, 0usize..4), 0..4), "\\PC{0,10}").prop_map(|(rows, merges, name)| Sheet {
            name,
            rows,
            merges: merges.into_iter().map(|(r, c, h, w)| Merge { first_row: r, first_col: c, last_row: r + h, last_col: c + w }).collect(),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Layout detection never panics, and every row it reports lies below its header
        /// and carries the cell references of its figures.
        #[test]
        fn layout_detection_on_arbitrary_grids(sheets in prop::collection::vec(sheet(), 1..3)) {
            let grid = Grid { sheets, how: "test".into(), findings: Vec::new() };
            let vocab = Vocabulary::default();
            for purpose in [Purpose::Submission, Purpose::Targets] {
                let layout = read(&grid, "grid", purpose, &vocab);
                for t in &layout.tables {
                    for r in &t.rows {
                        prop_assert!(r.row > t.header_rows.1);
                        prop_assert!(r.values.iter().all(|v| v.amount >= 0 && !v.cell.is_empty()));
                        if let RowKind::Data = r.kind {
                            prop_assert!(!r.values.is_empty());
                        }
                    }
                }
            }
        }
    }
}
