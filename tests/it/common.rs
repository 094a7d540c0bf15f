use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures/jambi")
}

/// Runs the sitrep binary; returns (status code, stdout, stderr).
pub fn sitrep(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep")).args(args).current_dir(cwd).output().expect("run sitrep");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs the demo week into a fresh folder and returns it.
pub fn run_demo(lang: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lang", lang],
        &fixtures(),
    );
    assert_eq!(code, 0, "sitrep failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    (dir, stdout)
}

/// Text of a PDF as a reader sees it (pdftotext, from poppler-utils).
pub fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is needed by the tests: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let headers = r.headers().expect("headers").clone();
    r.records().map(|rec| {
        let rec = rec.expect("record");
        headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
    }).collect()
}

/// One part of an xlsx (a zip of XML files), as text: what a spreadsheet reads.
pub fn xlsx_part(path: &Path, part: &str) -> String {
    let file = std::fs::File::open(path).expect("open xlsx");
    let mut zip = zip::ZipArchive::new(file).expect("xlsx is a zip");
    let mut entry = zip.by_name(part).unwrap_or_else(|_| panic!("{part} not in {}", path.display()));
    let mut s = String::new();
    std::io::Read::read_to_string(&mut entry, &mut s).expect("utf-8 part");
    s
}

/// A sheet of an xlsx as calamine reads it.
pub fn xlsx_sheet(path: &Path, sheet: &str) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("open xlsx");
    wb.worksheet_range(sheet).unwrap_or_else(|e| panic!("sheet {sheet}: {e}"))
}
