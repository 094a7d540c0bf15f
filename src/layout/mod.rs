//! Layout: finds, in each sheet of a grid, the title block, the header rows, the role of
//! every column and the kind of every row below it, and reads the values out as
//! [`RowReading`]s with their cell references. No names are resolved here (that is
//! [`crate::table`]); this stage only says what is written where.

pub mod cells;
pub mod header;
pub mod vocab;

use crate::findings::{cell_ref, Finding};
use crate::ingest::{Cell, Grid, Sheet};
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
    pub cell: String,
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
    pub area_name: Option<String>,
    pub area_code: Option<String>,
    /// Cell that names the row (for findings about the name).
    pub label_cell: String,
    pub values: Vec<Value>,
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
    pub rows: Vec<RowReading>,
}

/// All tables of one file, and what was noticed while reading them.
#[derive(Debug, Clone, Default)]
pub struct FileLayout {
    pub tables: Vec<TableReading>,
    pub findings: Vec<Finding>,
}

pub fn read(grid: &Grid, src: &str, purpose: Purpose, vocab: &Vocabulary) -> FileLayout {
    let mut out = FileLayout::default();
    for sheet in &grid.sheets {
        match read_sheet(sheet, src, purpose, vocab, &mut out.findings) {
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

/// A sheet of instructions (like `Petunjuk` in sitrep's own template) is expected to
/// hold no table: not worth a finding.
fn is_instructions(sheet_name: &str) -> bool {
    matches!(vocab::normalise(sheet_name).trim(), "petunjuk" | "petunjuk pengisian" | "cara pengisian" | "instructions")
}

fn read_sheet(sheet: &Sheet, src: &str, purpose: Purpose, vocab: &Vocabulary, findings: &mut Vec<Finding>) -> Option<TableReading> {
    let header = header::find(sheet, vocab, purpose)?;
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
    Some(TableReading { sheet: sheet.name.clone(), shape, header_rows: (header.first, header.last), title, period, rows })
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
    let area_name = text_at(area_col);
    let area_code = text_at(code_col);
    // The label is the first naming cell with text, else the first text cell of the row.
    let (label_col, label) = [area_col, district_col, code_col]
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
    let is_total = [district_col, area_col, code_col, Some(label_col)]
        .into_iter()
        .flatten()
        .any(|c| vocab.is_total_label(&sheet.get(r, c).text()))
        || (!label.is_empty() && vocab.is_total_label(&label) && area_name.is_none() && district_text.is_none());
    if !any_number && !is_total {
        let non_empty = row.iter().filter(|c| !c.is_empty()).count();
        if vocab.is_note(&label) || non_empty == 1 && label.split_whitespace().count() > 3 || label.is_empty() {
            return None; // a footnote or a stray remark, not a data row
        }
    }
    let mut reading = RowReading { row: r, kind: RowKind::Data, district_text, area_name, area_code, label_cell, values: Vec::new() };
    if is_total {
        reading.kind = RowKind::Total;
    }
    let mut bad: Vec<String> = Vec::new();
    match shape {
        Shape::Wide | Shape::Targets => {
            for (c, role) in roles.iter().enumerate() {
                let (kind, group, dose) = match *role {
                    Role::Count(g, d) if shape == Shape::Wide => (ValueKind::Count, g, d),
                    Role::Target(g) => (ValueKind::Target, g, 0),
                    _ => continue,
                };
                match whole_number(sheet.get(r, c)) {
                    Ok(Some(amount)) => reading.values.push(Value { kind, group, dose, amount, cell: cell_ref(r, c), col: c }),
                    Ok(None) => {}
                    Err(what) => bad.push(format!("{}: {what}", cell_ref(r, c))),
                }
            }
        }
        Shape::Long => {
            let group_col = col_of(roles, Role::GroupName);
            let dose_col = col_of(roles, Role::DoseNumber);
            let count_col = col_of(roles, Role::CountValue);
            let group = match group_col {
                Some(c) => vocab.group_in(&vocab::normalise(&sheet.get(r, c).text())),
                None => Some(Group::All),
            };
            let dose = match dose_col {
                Some(c) => dose_of(sheet.get(r, c), vocab),
                None => None,
            };
            let amount = count_col.map(|c| whole_number(sheet.get(r, c)));
            match (group, dose, amount) {
                (Some(g), Some(d), Some(Ok(Some(a)))) => {
                    let c = count_col.unwrap_or(0);
                    reading.values.push(Value { kind: ValueKind::Count, group: g, dose: d, amount: a, cell: cell_ref(r, c), col: c });
                }
                (None, _, _) => bad.push(format!("{}: unknown group '{}'", cell_ref(r, group_col.unwrap_or(0)), sheet.get(r, group_col.unwrap_or(0)).text())),
                (_, None, _) => bad.push(format!("{}: unknown dose '{}'", cell_ref(r, dose_col.unwrap_or(0)), sheet.get(r, dose_col.unwrap_or(0)).text())),
                (_, _, Some(Err(what))) => bad.push(format!("{}: {what}", cell_ref(r, count_col.unwrap_or(0)))),
                _ => {}
            }
        }
    }
    for b in &bad {
        findings.push(Finding::warning("bad_value", src, format!("{b}; left out of the figures")).at(&sheet.name, b.split(':').next().map(str::to_string)));
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
