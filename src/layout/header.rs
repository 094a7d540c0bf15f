//! Header detection: which rows are the header, and what each column means.
//!
//! Headers span one to three rows. A label spanning several columns (a merged cell, or
//! in ODS and CSV a label followed by empty cells) applies to every column under it.

use super::vocab::{normalise, Role, Vocabulary};
use super::Purpose;
use crate::ingest::{Cell, Sheet};

#[derive(Debug, Clone)]
pub struct Header {
    pub first: usize,
    pub last: usize,
    /// One combined label per column, e.g. `Lansia Dosis 1`.
    pub labels: Vec<String>,
    pub roles: Vec<Role>,
}

const SEARCH_ROWS: usize = 40;

/// How header-like a cell is: a word of the vocabulary and not a number.
fn is_header_word(cell: &Cell, vocab: &Vocabulary) -> bool {
    let Cell::Text(t) = cell else { return false };
    if super::cells::parse_number_text(t).is_some() {
        return false;
    }
    let norm = normalise(t);
    vocab.exact_role(&norm).is_some() || vocab.group_in(&norm).is_some() || vocab.dose_in(&norm).is_some() || vocab.is_percent(&norm) || vocab.is_target(&norm)
}

fn is_numeric(cell: &Cell) -> bool {
    match cell {
        Cell::Number(_) => true,
        Cell::Text(t) => matches!(super::cells::parse_number_text(t), Some(Some(_))),
        _ => false,
    }
}

pub fn find(sheet: &Sheet, vocab: &Vocabulary, purpose: Purpose) -> Option<Header> {
    let limit = sheet.rows.len().min(SEARCH_ROWS);
    for first in 0..limit {
        let row = &sheet.rows[first];
        let words = row.iter().filter(|c| is_header_word(c, vocab)).count();
        let numbers = row.iter().filter(|c| is_numeric(c)).count();
        if words < 2 || numbers * 2 > words {
            continue;
        }
        // Extend down while the next rows carry header words and no figures.
        let mut last = first;
        while last + 1 < sheet.rows.len() && last + 1 <= first + 2 {
            let next = &sheet.rows[last + 1];
            let w = next.iter().filter(|c| is_header_word(c, vocab)).count();
            let n = next.iter().filter(|c| is_numeric(c)).count();
            if w >= 1 && n == 0 {
                last += 1;
            } else {
                break;
            }
        }
        let labels = combine_labels(sheet, first, last);
        let roles: Vec<Role> = labels.iter().map(|l| vocab.classify(l, purpose == Purpose::Targets)).collect();
        let useful = roles.iter().any(|r| matches!(r, Role::Count(..) | Role::Target(_) | Role::CountValue));
        let named = roles.iter().any(|r| matches!(r, Role::AreaName | Role::AreaCode | Role::DistrictName));
        if useful && named {
            return Some(Header { first, last, labels, roles: dedupe_naming_roles(roles) });
        }
    }
    None
}

/// Keeps the first column of each naming role; later duplicates are ignored.
fn dedupe_naming_roles(mut roles: Vec<Role>) -> Vec<Role> {
    for want in [Role::AreaName, Role::AreaCode, Role::DistrictName, Role::GroupName, Role::DoseNumber, Role::CountValue, Role::RowNumber] {
        let mut seen = false;
        for r in roles.iter_mut() {
            if *r == want {
                if seen {
                    *r = Role::Ignore;
                }
                seen = true;
            }
        }
    }
    roles
}

/// One label per column: the texts of the header rows from top to bottom, where an empty
/// upper cell takes the label spanning it (merged range, or the label to its left when
/// the row below continues).
fn combine_labels(sheet: &Sheet, first: usize, last: usize) -> Vec<String> {
    let width = (first..=last).map(|r| sheet.rows.get(r).map(|x| x.len()).unwrap_or(0)).max().unwrap_or(0);
    let mut filled: Vec<Vec<String>> = Vec::new();
    for r in first..=last {
        let mut row_labels: Vec<String> = Vec::with_capacity(width);
        for c in 0..width {
            let mut t = sheet.get(r, c).text();
            if t.is_empty() {
                if let Some(m) = sheet.merges.iter().find(|m| m.first_row <= r && r <= m.last_row && m.first_col <= c && c <= m.last_col) {
                    // Only spread horizontally: a vertical merge's text is already above.
                    if m.first_row == r {
                        t = sheet.get(m.first_row, m.first_col).text();
                    }
                } else if r < last && !sheet.get(r + 1, c).is_empty() {
                    if let Some(k) = span_start(sheet, r, c) {
                        t = sheet.get(r, k).text();
                    }
                }
            }
            row_labels.push(t);
        }
        filled.push(row_labels);
    }
    (0..width)
        .map(|c| filled.iter().map(|row| row[c].as_str()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The column where an unmerged span (a label followed by empty cells whose lower
/// row continues, as ODS and CSV write merged headers) that covers `c` starts.
fn span_start(sheet: &Sheet, r: usize, c: usize) -> Option<usize> {
    let mut k = c;
    while k > 0 {
        k -= 1;
        if sheet.get(r + 1, k).is_empty() {
            return None;
        }
        if !sheet.get(r, k).is_empty() {
            return Some(k);
        }
    }
    None
}

/// A data row that repeats the header's naming words (exports that concatenate pages).
pub fn is_repeated_header(sheet: &Sheet, r: usize, header: &Header) -> bool {
    let mut matches = 0;
    let mut compared = 0;
    for (c, label) in header.labels.iter().enumerate() {
        let t = sheet.get(r, c).text();
        if label.is_empty() || t.is_empty() {
            continue;
        }
        compared += 1;
        let first_row_text = sheet.get(header.first, c).text();
        if normalise(&t) == normalise(label) || normalise(&t) == normalise(&first_row_text) {
            matches += 1;
        }
    }
    compared >= 2 && matches * 2 > compared
}
