//! Header detection: which rows are the header, and what each column means.
//!
//! Headers span one to three rows. A label spanning several columns (a merged cell, or
//! in ODS and CSV a label followed by empty cells) applies to every column under it.

use super::vocab::{normalise, Role, SheetContext, Vocabulary};
use super::Purpose;
use crate::ingest::{Cell, Sheet};

#[derive(Debug, Clone)]
pub struct Header {
    pub first: usize,
    pub last: usize,
    /// One combined label per column, e.g. `Lansia Dosis 1`.
    pub labels: Vec<String>,
    pub roles: Vec<Role>,
    /// The group or dose given by the sheet name or title block.
    pub context: SheetContext,
    /// The table names provinces only (no district column): figures above the level
    /// sitrep works at.
    pub province_only: bool,
    /// Columns whose role was changed after looking at the data below, and why.
    pub notes: Vec<(usize, String)>,
    /// Each column's label and the text of the header's first row, normalised once:
    /// every data row is compared with them ([`is_repeated_header`]).
    pub normalised: Vec<(String, String)>,
}

const SEARCH_ROWS: usize = 40;
/// Data rows looked at to check what a column really holds.
const SAMPLE_ROWS: usize = 2000;

/// How header-like a cell is: a word of the vocabulary and not a number.
fn is_header_word(cell: &Cell, vocab: &Vocabulary) -> bool {
    let Cell::Text(t) = cell else { return false };
    // Remembered per text: the header rows are searched cell by cell in every file, and
    // the same texts come again file after file (a year's were 0.3 s).
    if let Some(known) = vocab.header_words.get(t, |w| Some(*w)) {
        return known;
    }
    // A role word, a percentage, a target or a dose all classify as something; a group
    // alone (no dose, not a target) classifies as nothing but is still a header word.
    let word = super::cells::parse_number_text(t).is_none() && (vocab.classify(t, false) != Role::Ignore || vocab.group_in(&normalise(t)).is_some());
    vocab.header_words.put(t, |w| *w = word);
    word
}

fn is_numeric(cell: &Cell) -> bool {
    match cell {
        Cell::Number(_) => true,
        Cell::Text(t) => matches!(super::cells::parse_number_text(t), Some(Some(_))),
        _ => false,
    }
}

/// The sheet name first, then the title rows above the header.
fn context_of(sheet: &Sheet, first: usize, vocab: &Vocabulary) -> SheetContext {
    let from_name = vocab.context_in(&sheet.name);
    let title: String = (0..first)
        .flat_map(|r| sheet.rows.get(r).into_iter().flatten())
        .map(|c| c.text())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    let from_title = vocab.context_in(&title);
    SheetContext { group: from_name.group.or(from_title.group), dose: from_name.dose.or(from_title.dose) }
}

pub fn find(sheet: &Sheet, vocab: &Vocabulary, purpose: Purpose) -> Option<Header> {
    let limit = sheet.rows.len().min(SEARCH_ROWS);
    let mut province_table = None;
    for first in 0..limit {
        let row = &sheet.rows[first];
        let words = row.iter().filter(|c| is_header_word(c, vocab)).count();
        let numbers = row.iter().filter(|c| is_numeric(c)).count();
        if words < 2 || numbers * 2 > words {
            continue;
        }
        // Extend down while the next rows carry header words and no figures.
        let mut last = first;
        while last + 1 < sheet.rows.len() && last < first + 2 {
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
        let targets_file = purpose == Purpose::Targets;
        let context = if targets_file { SheetContext::default() } else { context_of(sheet, first, vocab) };
        let mut roles: Vec<Role> = labels.iter().map(|l| vocab.classify_in(l, targets_file, context)).collect();
        let mut notes = Vec::new();
        check_against_data(sheet, last, &labels, &mut roles, &mut notes);
        row_totals_not_counted(&labels, &mut roles, &mut notes);
        let mut roles = dedupe_naming_roles(roles);
        single_count_in_context(&mut roles, context);
        let useful = roles.iter().any(|r| matches!(r, Role::Count(..) | Role::Target(_) | Role::CountValue));
        let named = roles.iter().any(|r| matches!(r, Role::AreaName | Role::AreaCode | Role::DistrictName | Role::Unit));
        let normalised = || labels.iter().enumerate().map(|(c, l)| (normalise(l), normalise(&sheet.get(first, c).text()))).collect();
        if useful && named {
            return Some(Header { first, last, normalised: normalised(), labels, roles, context, province_only: false, notes });
        }
        if useful && province_table.is_none() && roles.contains(&Role::ProvinceName) {
            province_table = Some(Header { first, last, normalised: normalised(), labels, roles, context, province_only: true, notes });
        }
    }
    province_table
}

/// A dose column without a group beside group columns of the same dose (`Lansia D1`,
/// `Nakes D1`, `Jumlah D1`) is the row's total of those groups: not counted again.
fn row_totals_not_counted(labels: &[String], roles: &mut [Role], notes: &mut Vec<(usize, String)>) {
    use super::vocab::Group;
    let specific: Vec<u8> = roles.iter().filter_map(|r| match r {
        Role::Count(g, d) if *g != Group::All => Some(*d),
        _ => None,
    }).collect();
    for (c, r) in roles.iter_mut().enumerate() {
        if let Role::Count(Group::All, d) = *r {
            if specific.contains(&d) {
                *r = Role::Ignore;
                let label = labels.get(c).cloned().unwrap_or_default();
                notes.push((c, format!("column '{label}' is the total of the group columns for dose {d}: not counted again")));
            }
        }
    }
}

/// A sheet about one dose (or group) with a single figures column (`Jumlah`,
/// `Divaksin`) and no group or dose columns: that column is the sheet's count.
fn single_count_in_context(roles: &mut [Role], ctx: SheetContext) {
    let Some(dose) = ctx.dose else { return };
    let long = roles.iter().any(|r| matches!(r, Role::GroupName | Role::DoseNumber | Role::Count(..)));
    if long {
        return;
    }
    for r in roles.iter_mut() {
        if *r == Role::CountValue {
            *r = Role::Count(ctx.group.unwrap_or(super::vocab::Group::All), dose);
        }
    }
}

/// Headers can mislead; the data below settles two cases:
/// - a group or dose column that holds large numbers is the count (a dashboard export
///   that titles both its dose column and its count column `Dosis Vaksin`);
/// - a target column that repeats the same few values down many rows holds a parent
///   figure (the province's target written on each district's row), not one per row.
fn check_against_data(sheet: &Sheet, last: usize, labels: &[String], roles: &mut [Role], notes: &mut Vec<(usize, String)>) {
    let rows = || sheet.rows.iter().skip(last + 1).take(SAMPLE_ROWS);
    let has_count_value = roles.contains(&Role::CountValue);
    let mut count_value_taken = has_count_value;
    // By index: a column's role is changed inside the loop.
    #[allow(clippy::needless_range_loop)]
    for c in 0..roles.len() {
        match roles[c] {
            Role::GroupName | Role::DoseNumber => {
                let cells: Vec<&Cell> = rows().filter_map(|r| r.get(c)).filter(|x| !x.is_empty()).collect();
                let numbers: Vec<f64> = cells.iter().filter_map(|x| number_of(x)).collect();
                let large = numbers.iter().filter(|v| !(1.0..=4.0).contains(*v)).count();
                if !cells.is_empty() && numbers.len() * 2 > cells.len() && large * 2 > numbers.len() {
                    let label = labels.get(c).cloned().unwrap_or_default();
                    if count_value_taken {
                        roles[c] = Role::Ignore;
                        notes.push((c, format!("column '{label}' holds figures, not a group or dose; ignored")));
                    } else {
                        roles[c] = Role::CountValue;
                        count_value_taken = true;
                        notes.push((c, format!("column '{label}' holds figures: read as the count")));
                    }
                }
            }
            Role::Target(_) => {
                let values: Vec<i64> = rows().filter_map(|r| r.get(c)).filter_map(number_of).map(|v| v.round() as i64).collect();
                let mut distinct = values.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if values.len() >= 8 && distinct.len() * 4 <= values.len() {
                    let label = labels.get(c).cloned().unwrap_or_default();
                    roles[c] = Role::Ignore;
                    notes.push((
                        c,
                        format!(
                            "column '{label}' repeats {} values over {} rows (a figure of a larger region written on every row, not a target per row); ignored",
                            distinct.len(),
                            values.len()
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

fn number_of(cell: &Cell) -> Option<f64> {
    match super::cells::read_number(cell) {
        super::cells::Number::Value(v) => Some(v),
        _ => None,
    }
}

/// Keeps the first column of each naming role; later duplicates are ignored.
fn dedupe_naming_roles(mut roles: Vec<Role>) -> Vec<Role> {
    for want in [Role::AreaName, Role::AreaCode, Role::DistrictName, Role::Unit, Role::GroupName, Role::DoseNumber, Role::CountValue, Role::RowNumber, Role::PpkmLevel, Role::Zone] {
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
    // A finite number's text normalises to digits and spaces (at least one digit): a
    // label with anything else, or none (the second column under a merged group name),
    // cannot be equal to it, and the number need not be written out (most cells of a
    // data row are numbers).
    let digits_only = |norm: &str| norm.bytes().any(|b| b.is_ascii_digit()) && norm.bytes().all(|b| b.is_ascii_digit() || b == b' ');
    let mut compared = 0;
    // The other labelled cells, which may match: compared only when they can outnumber
    // the numbers (a data row's one or two names are not written out and normalised).
    let mut others = Vec::new();
    for ((c, label), (norm_label, norm_first_row)) in header.labels.iter().enumerate().zip(&header.normalised) {
        if label.is_empty() {
            continue;
        }
        let cell = sheet.get(r, c);
        if matches!(cell, Cell::Number(n) if n.is_finite()) && !digits_only(norm_label) && !digits_only(norm_first_row) {
            compared += 1;
        } else {
            others.push((cell, norm_label, norm_first_row));
        }
    }
    // Even if every other cell matched, the matches must be more than half the cells.
    if others.len() <= compared {
        return false;
    }
    let mut matches = 0;
    for (cell, norm_label, norm_first_row) in others {
        let t = cell.text();
        if t.is_empty() {
            continue;
        }
        compared += 1;
        let norm = normalise(&t);
        if norm == *norm_label || norm == *norm_first_row {
            matches += 1;
        }
    }
    compared >= 2 && matches * 2 > compared
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header words are remembered per text until the phrases change: a word the
    /// configuration adds is heard in the next file.
    #[test]
    fn a_text_told_no_header_word_is_heard_once_the_phrases_name_it() {
        let mut vocab = Vocabulary::default();
        let petani = Cell::Text("Petani".into());
        assert!(!is_header_word(&petani, &vocab));
        assert!(!is_header_word(&petani, &vocab));
        assert!(is_header_word(&Cell::Text("Lansia".into()), &vocab) && is_header_word(&Cell::Text("Lansia".into()), &vocab));
        assert!(!is_header_word(&Cell::Text("1.234".into()), &vocab));
        vocab.extend(&[("petani".into(), super::super::vocab::Group::UmumRentan)], &[]);
        assert!(is_header_word(&petani, &vocab));
    }

    #[test]
    fn a_header_repeated_inside_the_data_is_told_from_figures() {
        let t = |s: &str| Cell::Text(s.into());
        let rows = vec![
            vec![t("Kecamatan"), t("Lansia Dosis 1"), t("Lansia Dosis 2")],
            vec![t("Kota Baru"), Cell::Number(10.0), Cell::Number(8.0)],
            vec![t("KECAMATAN"), t("Lansia  Dosis 1"), t("Lansia Dosis 2")],
            vec![t("Kecamatan"), Cell::Number(1.0), Cell::Number(2.0)],
            vec![t("Telanaipura"), t("12"), Cell::Number(3.0)],
        ];
        let sheet = Sheet { name: "Rekap".into(), rows, merges: Vec::new() };
        let header = find(&sheet, &Vocabulary::default(), Purpose::Submission).expect("a header");
        let repeated: Vec<bool> = (1..sheet.rows.len()).map(|r| is_repeated_header(&sheet, r, &header)).collect();
        assert_eq!(repeated, [false, true, false, false]);
    }

    #[test]
    fn a_header_word_is_anything_the_vocabulary_classifies_or_a_group() {
        let v = Vocabulary::default();
        // The long form this replaced, checked against the short one on many labels.
        let long_form = |t: &str| {
            let norm = normalise(t);
            v.exact_role(&norm).is_some() || v.group_in(&norm).is_some() || v.dose_in(&norm).is_some() || v.is_percent(&norm) || v.is_target(&norm) || v.classify(t, false) != Role::Ignore
        };
        let words = ["Kecamatan", "Lansia", "Dosis 1", "% capaian", "Sasaran", "Total", "JUMLAH", "Level PPKM", "zona", "Sungai Penuh", "kode", "12-17", "booster", "x", "1.234", "", "Remaja 12-17 D2", "instansi"];
        for a in words {
            for b in words {
                let label = format!("{a} {b}");
                assert_eq!(is_header_word(&Cell::Text(label.clone()), &v), super::super::cells::parse_number_text(&label).is_none() && long_form(&label), "'{label}'");
            }
        }
    }
}
