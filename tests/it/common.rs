use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workplace's shared material (`../shared` beside the project, as in CI), or where
/// `SITREP_SHARED` says.
pub fn shared() -> PathBuf {
    if let Ok(dir) = std::env::var("SITREP_SHARED") {
        return PathBuf::from(dir);
    }
    let beside = root().join("../shared");
    if beside.exists() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures/jambi")
}

/// Runs the sitrep binary; returns (status code, stdout, stderr).
pub fn sitrep(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep")).args(args).current_dir(cwd).output().expect("run sitrep");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs the demo week (with its receipts log, as `make demo` does) into a fresh folder
/// and returns it.
pub fn run_demo(lang: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let receipts = fixtures().join("receipts.csv");
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--receipts", receipts.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lang", lang],
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

/// The canonical table of a run's output folder: its per-period CSVs, oldest first, as
/// one list of rows.
pub fn read_observations(out: &Path) -> Vec<std::collections::HashMap<String, String>> {
    read_periods(&out.join("export/observations_csv"))
}

/// The attainment table of a run's output folder: its per-period CSVs, oldest first, as
/// one list of rows.
pub fn read_attainment(out: &Path) -> Vec<std::collections::HashMap<String, String>> {
    read_periods(&out.join("export/attainment_csv"))
}

/// The rows of a folder of per-period CSVs (`<period>.csv`), oldest first.
fn read_periods(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    parts.sort();
    parts.iter().flat_map(|p| read_csv(p)).collect()
}

/// The file's identity on disk: a file written again (atomically, by rename) is a new one.
pub fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).ino()
}

pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let headers = r.headers().expect("headers").clone();
    r.records().map(|rec| {
        let rec = rec.expect("record");
        headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
    }).collect()
}

/// A minimal xlsx package with one sheet ("Data") whose `<worksheet>` body is given, plus
/// extra zip entries. Strings are inline (`t="inlineStr"`), so no shared-strings part.
pub fn xlsx_package(sheet_body: &str, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        let sheet = format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sheet_body}</worksheet>"#);
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec()),
            ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
            ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
            ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec()),
            ("xl/worksheets/sheet1.xml", sheet.into_bytes()),
        ];
        for (name, body) in files.iter().map(|(n, b)| (*n, b)).chain(extra.iter().map(|(n, b)| (*n, b))) {
            z.start_file(name, o).unwrap();
            z.write_all(body).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A sheet row of inline strings and numbers: `row(5, &["Kec. A", "12"])`; text cells
/// are those that do not parse as a number.
pub fn xlsx_row(r: usize, cells: &[&str]) -> String {
    let mut s = format!(r#"<row r="{r}">"#);
    for (i, v) in cells.iter().enumerate() {
        let col = (b'A' + i as u8) as char;
        if v.is_empty() {
            continue;
        }
        if let Some(f) = v.strip_prefix('=') {
            s.push_str(&format!(r#"<c r="{col}{r}"><f>{f}</f></c>"#));
        } else if v.parse::<f64>().is_ok() {
            s.push_str(&format!(r#"<c r="{col}{r}"><v>{v}</v></c>"#));
        } else {
            s.push_str(&format!(r#"<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#));
        }
    }
    s.push_str("</row>");
    s
}

/// Runs sitrep on the given inputs (relative to `dir`) with a config text; returns
/// (status, stdout, stderr, findings.csv rows).
pub fn run_in(dir: &Path, inputs: &[&str], config: &str) -> (i32, String, String, Vec<std::collections::HashMap<String, String>>) {
    std::fs::write(dir.join("sitrep.toml"), config).unwrap();
    let mut args = vec!["run"];
    args.extend_from_slice(inputs);
    let targets = fixtures().join("sasaran.xlsx");
    args.extend_from_slice(&["--targets", targets.to_str().unwrap(), "--out", "out", "--config", "sitrep.toml"]);
    let (code, out, err) = sitrep(&args, dir);
    let findings_path = dir.join("out/export/findings.csv");
    let findings = if findings_path.exists() { read_csv(&findings_path) } else { Vec::new() };
    (code, out, err, findings)
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
