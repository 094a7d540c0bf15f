//! Ingest: the bytes of one submission → a [`Grid`] of cells per sheet.
//!
//! Every format (xlsx, xls, xlsb, ods, csv, tsv) ends in the same shape so that layout
//! detection is one code path. Untrusted files are checked before calamine sees them
//! (see [`guard`]): calamine can abort the process on hostile input.

pub mod delimited;
pub mod guard;
pub mod workbook;

use crate::findings::Finding;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// One cell value as read, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// An Excel error value such as `#REF!` (never read as zero).
    Error(String),
    /// A formula saved without its computed result.
    Uncomputed,
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
    /// The cell as text, for titles and headers.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
            Cell::Uncomputed => String::new(),
        }
    }
}

/// A merged range, 0-based inclusive, in the sheet's absolute coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: usize,
    pub first_col: usize,
    pub last_row: usize,
    pub last_col: usize,
}

/// One sheet as a dense grid. `rows[r][c]` is the cell at absolute row `r`, column `c`
/// (0-based, so `rows[0][0]` is A1); rows may be shorter than the widest row.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
    pub merges: Vec<Merge>,
}

impl Sheet {
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&EMPTY)
    }
    pub fn width(&self) -> usize {
        self.rows.iter().map(|r| r.len()).max().unwrap_or(0)
    }
}

/// Everything read from one file.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub sheets: Vec<Sheet>,
    /// How the file was decoded (format, encoding, delimiter), for the manifest.
    pub how: String,
    pub findings: Vec<Finding>,
}

/// Limits that keep a hostile file from taking the machine down.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_unzipped_bytes: u64,
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Sized so that one file stays well under 1 GB of memory: cells cost ~40 bytes.
        Limits { max_file_bytes: 100 << 20, max_unzipped_bytes: 500 << 20, max_cells: 2_000_000 }
    }
}

/// The formats sitrep reads, decided from the content first and the extension second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Delimited,
}

pub const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "tsv", "txt"];

pub fn has_known_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// A submission file, loaded into memory once (it is hashed and parsed from the same bytes).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to users and written in provenance.
    pub display: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// File modification time, used as the received time when nothing else declares it.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads one file into a grid. Never panics on bad input: a panic inside a parser is
/// caught and reported as a finding.
pub fn read(file: &SourceFile, limits: &Limits) -> Result<Grid, Finding> {
    let src = file.display.as_str();
    if file.bytes.len() as u64 > limits.max_file_bytes {
        return Err(Finding::error(
            "file_too_large",
            src,
            format!(
                "file is {} bytes, above the limit of {} bytes (raise limits.max_file_bytes in sitrep.toml if it is genuine)",
                file.bytes.len(),
                limits.max_file_bytes
            ),
        ));
    }
    let format = guard::sniff_format(&file.path, &file.bytes).map_err(|m| Finding::error("unreadable_file", src, m))?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        Format::Delimited => delimited::read(&file.path, &file.bytes, limits).map_err(|m| Finding::error("unreadable_file", src, m)),
        _ => {
            let notes = guard::check_archive(format, &file.bytes, limits).map_err(|m| Finding::error("refused_file", src, m))?;
            let mut grid = workbook::read(format, &file.bytes, limits, src)?;
            grid.findings.extend(notes.into_iter().map(|n| Finding::warning(n.code, src, n.message)));
            Ok(grid)
        }
    }));
    match result {
        Ok(r) => r,
        Err(_) => Err(Finding::error("unreadable_file", src, "the spreadsheet reader failed on this file (it is probably damaged); open and re-save it, or ask the sender for a new copy")),
    }
}
