//! Workbooks (xlsx, xlsm, xlsb, xls, ods) through calamine, one sheet at a time.
//!
//! xlsx and xlsb are streamed cell by cell with a cap, because calamine's
//! `worksheet_range` densifies the declared extent and can abort the process
//! (tafia/calamine#693: cells at A1 and XFD1048576 ask for 550 GB).

// A workbook that cannot be read comes back as its `Finding`, once per file: boxing
// it would buy nothing.
#![allow(clippy::result_large_err)]

use super::{merges, Cell, Format, Grid, Limits, Merge, Sheet};
use crate::findings::Finding;
use calamine::{Data, Reader, Sheets};
use std::io::Cursor;

type Wb<'a> = Sheets<Cursor<&'a [u8]>>;

pub fn read(format: Format, bytes: &[u8], limits: &Limits, src: &str) -> Result<Grid, Finding> {
    let cursor = Cursor::new(bytes);
    let opened: Result<Wb, String> = match format {
        Format::Xlsx => calamine::open_workbook_from_rs(cursor).map(Sheets::Xlsx).map_err(|e| e.to_string()),
        Format::Xlsb => calamine::open_workbook_from_rs(cursor).map(Sheets::Xlsb).map_err(|e| e.to_string()),
        Format::Xls => calamine::open_workbook_from_rs(cursor).map(Sheets::Xls).map_err(|e| e.to_string()),
        Format::Ods => calamine::open_workbook_from_rs(cursor).map(Sheets::Ods).map_err(|e| e.to_string()),
        Format::Delimited => Err("not a workbook".into()),
    };
    let mut wb = opened.map_err(|e| Finding::error("unreadable_file", src, explain_open_error(&e)))?;
    let mut grid = Grid { how: format!("{format:?}").to_lowercase(), ..Default::default() };
    if let Ok(Some(vba)) = wb.vba_project() {
        if !vba.get_module_names().is_empty() {
            grid.findings.push(Finding::info("macros_ignored", src, "the workbook contains macros; they were not run"));
        }
    }
    let names = wb.sheet_names();
    // xlsx sheets' merged ranges come from a scan of their XML when the workbook's own
    // sheet list agrees with calamine's (see `merges`), else from calamine.
    let mut scan = match format {
        Format::Xlsx => zip::ZipArchive::new(Cursor::new(bytes)).ok().and_then(|mut zip| {
            let paths = merges::sheet_paths(&mut zip)?;
            paths.iter().map(|(n, _)| n).eq(names.iter()).then_some((zip, paths))
        }),
        _ => None,
    };
    let mut cells_used = 0usize;
    for name in names {
        let scanned = scan.as_mut().and_then(|(zip, paths)| {
            let (_, path) = paths.iter().find(|(n, _)| *n == name)?;
            merges::merged_ranges(zip, path)
        });
        match read_sheet(&mut wb, &name, limits.max_cells.saturating_sub(cells_used), scanned) {
            Ok(sheet) => {
                cells_used += sheet.rows.iter().map(|r| r.len()).sum::<usize>();
                grid.sheets.push(sheet);
            }
            Err(msg) => grid.findings.push(Finding::error("unreadable_sheet", src, msg).at(&name, None)),
        }
    }
    if grid.sheets.is_empty() && !grid.findings.is_empty() {
        return Err(grid.findings.remove(0));
    }
    Ok(grid)
}

fn explain_open_error(e: &str) -> String {
    let lower = e.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        super::guard::ENCRYPTED.into()
    } else {
        format!("cannot open the workbook ({e}); it may be damaged: open and re-save it, or ask the sender again")
    }
}

/// One sheet's cells; `merges` are its merged ranges when already known.
fn read_sheet(wb: &mut Wb<'_>, name: &str, budget: usize, merges: Option<Vec<Merge>>) -> Result<Sheet, String> {
    let mut sheet = Sheet { name: name.to_string(), ..Default::default() };
    let too_big = || format!("sheet '{name}' has more cells than the limit of {budget} (limits.max_cells); refused");
    match wb {
        Sheets::Xlsx(x) => {
            let mut sparse = Vec::new();
            {
                let mut reader = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
                let mut seen = 0usize;
                while let Some(c) = reader.next_cell_with_formula_metadata().map_err(|e| e.to_string())? {
                    seen += 1;
                    if seen.is_multiple_of(4096) && super::past_deadline() {
                        return Err(format!("sheet '{name}': past the time limit"));
                    }
                    // A formula saved without its result (some generators do this) must
                    // not read as an empty cell: it would silently count as nothing.
                    if c.formula.is_some() && matches!(c.value, calamine::DataRef::Empty) {
                        push_cell(&mut sparse, c.pos, Cell::Uncomputed, budget).map_err(|_| too_big())?;
                        continue;
                    }
                    push_sparse(&mut sparse, c.pos, Data::from(c.value), budget).map_err(|_| too_big())?;
                }
            }
            sheet.rows = densify(sparse, budget).ok_or_else(too_big)?;
            sheet.merges = match merges {
                Some(m) => m,
                None => x.merge_cells_by_sheet_name(name).map(|dims| dims.iter().map(to_merge).collect()).unwrap_or_default(),
            };
        }
        Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
            let mut sparse = Vec::new();
            while let Some(c) = reader.next_cell().map_err(|e| e.to_string())? {
                push_sparse(&mut sparse, c.get_position(), Data::from(c.get_value().clone()), budget).map_err(|_| too_big())?;
            }
            sheet.rows = densify(sparse, budget).ok_or_else(too_big)?;
        }
        Sheets::Xls(x) => {
            let range = x.worksheet_range(name).map_err(|e| e.to_string())?;
            sheet.rows = from_range(&range, budget).ok_or_else(too_big)?;
            if let Ok(dims) = x.merge_cells_by_sheet_name(name) {
                sheet.merges = dims.iter().map(to_merge).collect();
            }
        }
        Sheets::Ods(x) => {
            let range = x.worksheet_range(name).map_err(|e| e.to_string())?;
            sheet.rows = from_range(&range, budget).ok_or_else(too_big)?;
        }
    }
    Ok(sheet)
}

pub(super) fn to_merge(d: &calamine::Dimensions) -> Merge {
    Merge { first_row: d.start.0 as usize, first_col: d.start.1 as usize, last_row: d.end.0 as usize, last_col: d.end.1 as usize }
}

fn push_sparse(sparse: &mut Vec<((u32, u32), Cell)>, pos: (u32, u32), v: Data, budget: usize) -> Result<(), ()> {
    push_cell(sparse, pos, convert(v), budget)
}

fn push_cell(sparse: &mut Vec<((u32, u32), Cell)>, pos: (u32, u32), cell: Cell, budget: usize) -> Result<(), ()> {
    if cell.is_empty() {
        return Ok(());
    }
    if sparse.len() >= budget {
        return Err(());
    }
    sparse.push((pos, cell));
    Ok(())
}

/// Lays sparse cells out as dense rows, refusing extents above the cell budget.
fn densify(sparse: Vec<((u32, u32), Cell)>, budget: usize) -> Option<Vec<Vec<Cell>>> {
    let max_row = sparse.iter().map(|((r, _), _)| *r as usize).max();
    let Some(max_row) = max_row else { return Some(Vec::new()) };
    let mut widths = vec![0usize; max_row + 1];
    for ((r, c), _) in &sparse {
        let w = &mut widths[*r as usize];
        *w = (*w).max(*c as usize + 1);
    }
    // Rows are only as wide as their last cell, so a stray cell far to the right
    // costs one long row, not a huge rectangle.
    let total: usize = widths.iter().sum::<usize>() + max_row;
    if total > budget.saturating_mul(4) {
        return None;
    }
    let mut rows: Vec<Vec<Cell>> = widths.iter().map(|w| vec![Cell::Empty; *w]).collect();
    for ((r, c), cell) in sparse {
        rows[r as usize][c as usize] = cell;
    }
    Some(rows)
}

fn from_range(range: &calamine::Range<Data>, budget: usize) -> Option<Vec<Vec<Cell>>> {
    let Some((r0, c0)) = range.start() else { return Some(Vec::new()) };
    let (h, w) = range.get_size();
    if h.saturating_mul(w) > budget.saturating_mul(4) {
        return None;
    }
    let (r0, c0) = (r0 as usize, c0 as usize);
    let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); r0];
    for row in range.rows() {
        let mut out = vec![Cell::Empty; c0];
        out.extend(row.iter().cloned().map(convert));
        while matches!(out.last(), Some(c) if c.is_empty()) {
            out.pop();
        }
        rows.push(out);
    }
    while matches!(rows.last(), Some(r) if r.is_empty()) {
        rows.pop();
    }
    Some(rows)
}

/// A calamine value as our cell; its text is moved, not copied (every text cell of a
/// streamed sheet was copied once more here).
fn convert(v: Data) -> Cell {
    match v {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::String(s) => {
            if s.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(s)
            }
        }
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if dt.is_datetime() => Cell::Date(d.date()),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => match chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d") {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::Text(s),
        },
        Data::DurationIso(s) => Cell::Text(s),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

