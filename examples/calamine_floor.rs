//! The reading floor for `make bench`: every file only opened and iterated (calamine
//! for workbooks, the csv crate for text), in parallel, with no interpretation. sitrep's
//! ingest stage is measured against this.
//!
//!     cargo run --release --example calamine_floor -- DIR

use calamine::{open_workbook_auto_from_rs, Reader};
use rayon::prelude::*;
use std::io::Cursor;
use std::time::Instant;

fn cells_in(path: &std::path::Path) -> usize {
    let Ok(bytes) = std::fs::read(path) else { return 0 };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "csv" || ext == "tsv" {
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(b';').from_reader(bytes.as_slice());
        return r.byte_records().flatten().map(|rec| rec.len()).sum();
    }
    let Ok(mut wb) = open_workbook_auto_from_rs(Cursor::new(bytes)) else { return 0 };
    let mut n = 0;
    for name in wb.sheet_names() {
        if let Ok(range) = wb.worksheet_range(&name) {
            n += range.used_cells().count();
        }
    }
    n
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: calamine_floor DIR");
    let files: Vec<_> = walkdir::WalkDir::new(&dir).into_iter().flatten().filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    let start = Instant::now();
    let cells: usize = files.par_iter().map(|p| cells_in(p)).sum();
    let secs = start.elapsed().as_secs_f64();
    println!("floor: {} files, {} cells, {:.3} s wall", files.len(), cells, secs);
}
