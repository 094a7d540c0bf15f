//! `sitrep validate`: what sitrep understood of each submission, in words a data officer
//! can check before sending the file: district, date, layout, the role of every column,
//! how each row was counted, and every finding.

use crate::findings::{cell_ref, Severity};
use crate::gazetteer;
use crate::layout::vocab::Role;
use crate::layout::{FileLayout, RowKind, TableReading};
use crate::table::FileTable;
use std::fmt::Write;

/// One file as `run` would read it.
pub struct Validation {
    pub table: FileTable,
    /// `None` when the file could not be opened at all.
    pub layout: Option<FileLayout>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.table.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Rows of each table shown one by one (the counts always cover all of them).
const ROWS_SHOWN: usize = 12;

pub fn role_text(role: &Role) -> String {
    match role {
        Role::RowNumber => "row number".into(),
        Role::ProvinceName => "province name".into(),
        Role::DistrictName => "district (Kabupaten/Kota) name".into(),
        Role::AreaName => "sub-district (Kecamatan) name".into(),
        Role::AreaCode => "region code".into(),
        Role::Unit => "institution (agency) name".into(),
        Role::GroupName => "target group of the row".into(),
        Role::DoseNumber => "dose of the row".into(),
        Role::CountValue => "people vaccinated (group and dose from the row)".into(),
        Role::Count(g, d) => format!("people vaccinated: group {}, dose {d}", g.code()),
        Role::Target(g) => format!("target (sasaran): group {}", g.code()),
        Role::Percent => "percentage (ignored: recomputed)".into(),
        Role::PpkmLevel => "PPKM level (shown beside the gate)".into(),
        Role::Zone => "zone colour (shown beside the gate)".into(),
        Role::Ignore => "ignored".into(),
    }
}

/// The report for all files, as printed by `sitrep validate`.
pub fn describe(all: &[Validation]) -> String {
    let mut s = String::new();
    for v in all {
        describe_one(v, &mut s);
        s.push('\n');
    }
    let errors = all.iter().filter(|v| v.has_errors()).count();
    let _ = writeln!(s, "{} files checked: {} without errors, {} with errors", all.len(), all.len() - errors, errors);
    s
}

fn describe_one(v: &Validation, s: &mut String) {
    let o = &v.table.outcome;
    let _ = writeln!(s, "== {}", o.path);
    let district = match o.district_code.as_deref() {
        Some(code) => match gazetteer::embedded().region(code) {
            Some(r) => format!("{} ({code})", r.name),
            None => code.to_string(),
        },
        None => "-".into(),
    };
    let _ = writeln!(s, "   status: {}{}", o.status, if o.note.is_empty() { String::new() } else { format!(" ({})", o.note) });
    if !o.how.is_empty() {
        let _ = writeln!(s, "   read as: {}", o.how);
    }
    let _ = writeln!(s, "   district: {district}   date: {}   layout: {}", o.period.as_deref().unwrap_or("-"), if o.layout.is_empty() { "-" } else { &o.layout });
    let _ = writeln!(s, "   rows: {} accepted, {} totals, {} rejected; {} figures", o.rows_accepted, o.rows_totals, o.rows_rejected, o.observations);
    if let Some(layout) = &v.layout {
        for t in &layout.tables {
            describe_table(t, s);
        }
    }
    if v.table.findings.is_empty() {
        let _ = writeln!(s, "   findings: none");
    } else {
        let _ = writeln!(s, "   findings:");
        for f in &v.table.findings {
            let mut at = String::new();
            if let Some(sh) = &f.sheet {
                at.push_str(&format!("sheet '{sh}'"));
            }
            if let Some(c) = &f.cell {
                at.push_str(&format!("{}cell {c}", if at.is_empty() { "" } else { ", " }));
            }
            let _ = writeln!(s, "     {:<7} {}{}{}", f.severity.as_str(), at, if at.is_empty() { "" } else { ": " }, f.message);
        }
    }
}

fn describe_table(t: &TableReading, s: &mut String) {
    let (first, last) = t.header_rows;
    let rows = if first == last { format!("row {}", first + 1) } else { format!("rows {}–{}", first + 1, last + 1) };
    let _ = writeln!(s, "   sheet '{}': {} table, header in {rows}", t.sheet, t.shape.name());
    if !t.title.is_empty() {
        let _ = writeln!(s, "     title: {}", t.title);
    }
    if t.context.group.is_some() || t.context.dose.is_some() {
        let g = t.context.group.map(|g| format!("group {}", g.code()));
        let d = t.context.dose.map(|d| format!("dose {d}"));
        let _ = writeln!(s, "     from the sheet name or title: {}", [g, d].into_iter().flatten().collect::<Vec<_>>().join(", "));
    }
    let _ = writeln!(s, "     columns:");
    for (c, (label, role)) in t.labels.iter().zip(&t.roles).enumerate() {
        if label.is_empty() && *role == Role::Ignore {
            continue;
        }
        let col = cell_ref(0, c);
        let col = col.trim_end_matches('1');
        let _ = writeln!(s, "       {col:<3} {:<28} → {}", format!("'{label}'"), role_text(role));
    }
    let _ = writeln!(s, "     rows:");
    for r in t.rows.iter().take(ROWS_SHOWN) {
        let name = [&r.area_name, &r.district_text, &r.area_code].into_iter().flatten().next().cloned().unwrap_or_default();
        let kind = match &r.kind {
            RowKind::Data => "data".to_string(),
            RowKind::Total => "total".to_string(),
            RowKind::Rejected(why) => format!("rejected ({why})"),
        };
        let figures: Vec<String> = r.values.iter().map(|v| format!("{}={}", v.cell, v.amount)).collect();
        let _ = writeln!(s, "       {:<5} {:<24} {kind}: {}", r.row + 1, format!("'{name}'"), if figures.is_empty() { "-".into() } else { figures.join(" ") });
    }
    if t.rows.len() > ROWS_SHOWN {
        let _ = writeln!(s, "       … and {} more rows", t.rows.len() - ROWS_SHOWN);
    }
}
