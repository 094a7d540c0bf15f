//! Bad input: refused under limits with a clear finding, the rest of the batch goes on;
//! nothing lost, nothing let in.

use crate::common::*;
use std::path::Path;

/// A good submission to keep in every batch: the rest of the batch must go on.
fn good_file(dir: &Path) -> &'static str {
    let src = fixtures().join("submissions/2022-01-15/REKAP VAKSIN TEBO 15-01-2022.csv");
    std::fs::copy(src, dir.join("tebo.csv")).unwrap();
    "tebo.csv"
}

fn finding<'a>(findings: &'a [std::collections::HashMap<String, String>], code: &str, file: &str) -> &'a std::collections::HashMap<String, String> {
    findings
        .iter()
        .find(|f| f["code"] == code && f["source"].contains(file))
        .unwrap_or_else(|| panic!("no {code} finding for {file} in {findings:?}"))
}

fn tebo_accepted(stdout: &str) -> bool {
    stdout.lines().any(|l| l.contains("tebo.csv") && l.contains("15.09") && l.contains("12 rows accepted"))
}

#[test]
fn decompression_bomb_is_refused_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_file(dir.path());
    // 8 MB of repeated XML that deflates to a few KB, against a 1 MB limit.
    let filler = "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>".repeat(200_000);
    std::fs::write(dir.path().join("bomb.xlsx"), xlsx_package(&format!("<sheetData>{filler}</sheetData>"), &[])).unwrap();
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[good, "bomb.xlsx"], "[limits]\nmax_unzipped_bytes = 1000000\n");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let f = finding(&findings, "refused_file", "bomb.xlsx");
    assert!(f["message"].contains("decompression bomb"), "{f:?}");
    assert!(tebo_accepted(&stdout), "{stdout}");
}

#[test]
fn oversized_files_and_sheets_are_refused_under_configurable_limits() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_file(dir.path());
    // A CSV above the byte limit, a CSV and an xlsx above the cell limit.
    std::fs::write(dir.path().join("big.csv"), "Kecamatan;Lansia D1\n".repeat(3000)).unwrap();
    std::fs::write(dir.path().join("wide.tsv"), "a\tb\tc\td\te\n".repeat(2000)).unwrap();
    let rows: String = (1..=3000).map(|r| xlsx_row(r, &["x", "1", "2"])).collect();
    std::fs::write(dir.path().join("tall.xlsx"), xlsx_package(&format!("<sheetData>{rows}</sheetData>"), &[])).unwrap();
    let config = "[limits]\nmax_file_bytes = 50000\nmax_cells = 5000\n";
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[good, "big.csv", "wide.tsv", "tall.xlsx"], config);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(finding(&findings, "file_too_large", "big.csv")["message"].contains("max_file_bytes"));
    assert!(finding(&findings, "unreadable_file", "wide.tsv")["message"].contains("max_cells"));
    assert!(finding(&findings, "unreadable_sheet", "tall.xlsx")["message"].contains("max_cells"));
    assert!(tebo_accepted(&stdout), "{stdout}");
}

#[test]
fn encrypted_workbooks_macros_links_and_uncomputed_formulas_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_file(dir.path());
    let corpus = shared().join("corpus/calamine");
    std::fs::copy(corpus.join("pass_protected.xlsx"), dir.path().join("locked.xlsx")).unwrap();
    std::fs::copy(corpus.join("vba.xlsm"), dir.path().join("macro.xlsm")).unwrap();
    // A district file whose D1 total for one sub-district is a formula saved without
    // its result, and which links to another workbook.
    let body = [
        xlsx_row(1, &["REKAP VAKSINASI KABUPATEN KERINCI"]),
        xlsx_row(2, &["Data s.d. 15 Januari 2022"]),
        xlsx_row(4, &["Kecamatan", "Lansia Dosis 1", "Lansia Dosis 2"]),
        xlsx_row(5, &["Gunung Raya", "=SUM(X1:X9)", "40"]),
        xlsx_row(6, &["Danau Kerinci", "120", "80"]),
    ]
    .concat();
    let link = vec![("xl/externalLinks/externalLink1.xml", b"<externalLink/>".to_vec())];
    std::fs::write(dir.path().join("formula.xlsx"), xlsx_package(&format!("<sheetData>{body}</sheetData>"), &link)).unwrap();
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[good, "locked.xlsx", "macro.xlsm", "formula.xlsx"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(finding(&findings, "refused_file", "locked.xlsx")["message"].contains("encrypted"));
    assert_eq!(finding(&findings, "macros_ignored", "macro.xlsm")["severity"], "info");
    assert!(finding(&findings, "external_links", "formula.xlsx")["message"].contains("not followed"));
    let f = finding(&findings, "bad_value", "formula.xlsx");
    assert_eq!(f["cell"], "B5");
    assert!(f["message"].contains("formula saved without its result"), "{f:?}");
    // The other cells of the file still count; the uncomputed one is not a silent zero.
    let obs = read_observations(&dir.path().join("out"));
    let cells: Vec<&str> = obs.iter().filter(|o| o["source"] == "formula.xlsx").map(|o| o["cell"].as_str()).collect();
    assert_eq!(cells, vec!["C5", "B6", "C6"]);
}

#[test]
fn a_submission_sent_twice_counts_once_and_a_correction_supersedes() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("submissions/2022-01-15/REKAP VAKSIN TEBO 15-01-2022.csv");
    std::fs::copy(&src, dir.path().join("a_tebo.csv")).unwrap();
    std::fs::copy(&src, dir.path().join("b_tebo_lagi.csv")).unwrap();
    let (code, stdout, stderr, _) = run_in(dir.path(), &["a_tebo.csv", "b_tebo_lagi.csv"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let statuses: Vec<&str> = manifest["inputs"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["duplicate", "ok"], "{manifest:#}");
    let single = read_attainment(&dir.path().join("out"));
    let d1 = |rows: &[std::collections::HashMap<String, String>]| {
        rows.iter().find(|r| r["district_code"] == "15.09" && r["group"] == "all" && r["dose"] == "1").map(|r| r["vaccinated"].clone()).unwrap()
    };
    let once = d1(&single);

    // A corrected file for the same district and date, sent later, is the one used.
    let dir2 = tempfile::tempdir().unwrap();
    std::fs::copy(&src, dir2.path().join("tebo.csv")).unwrap();
    // Raise one SDMK dose-1 figure by editing the first data line's second field.
    let s = String::from_utf8_lossy(&std::fs::read(&src).unwrap()).into_owned();
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    let data = lines.iter().position(|l| l.starts_with("Kecamatan")).unwrap() + 1;
    let mut fields: Vec<String> = lines[data].split(';').map(str::to_string).collect();
    let before: i64 = fields[1].replace('.', "").parse().unwrap();
    fields[1] = (before + 1000).to_string();
    lines[data] = fields.join(";");
    let fixed = (lines.join("\r\n") + "\r\n").into_bytes();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(dir2.path().join("tebo_revisi.csv"), &fixed).unwrap();
    let (code, stdout, stderr, findings) = run_in(dir2.path(), &["tebo.csv", "tebo_revisi.csv"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(findings.iter().any(|f| f["code"] == "superseded_file" && f["source"] == "tebo.csv"), "{findings:?}");
    let rows = read_attainment(&dir2.path().join("out"));
    assert_eq!(d1(&rows).parse::<i64>().unwrap(), once.parse::<i64>().unwrap() + 1000);
}

#[test]
fn exported_text_cannot_run_as_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("submissions/2022-01-15/REKAP VAKSIN TEBO 15-01-2022.csv");
    std::fs::copy(src, dir.path().join("=1+1.csv")).unwrap();
    let (code, stdout, stderr, _) = run_in(dir.path(), &["=1+1.csv"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let obs = read_observations(&dir.path().join("out"));
    assert!(!obs.is_empty());
    assert!(obs.iter().all(|o| o["source"] == "'=1+1.csv"), "{:?}", obs[0]);
    let manifest = std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap();
    assert!(manifest.contains("csv_formula_neutralisation"));
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_previous_outputs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let args = ["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", "out", "-q"];
    let (code, _, err) = sitrep(&args, dir.path());
    assert_eq!(code, 0, "{err}");
    let snapshot: Vec<(std::path::PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir.path().join("out"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    assert!(snapshot.len() >= 8);
    for delay_ms in [5u64, 40, 120, 250, 400, 700, 1000] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        // Same inputs give the same bytes, so every output must be exactly the old one:
        // never a half-written file.
        for (path, bytes) in &snapshot {
            assert_eq!(&std::fs::read(path).unwrap(), bytes, "{} damaged by a run killed after {delay_ms} ms", path.display());
        }
    }
}

#[test]
fn a_damaged_xls_container_is_refused_before_calamine_sees_it() {
    // Found by fuzzing: a 10 KB damaged CFB (xls) container on which calamine's reader
    // allocates without bound (23 GB before the OOM killer). The sector chains are now
    // checked first; the run refuses the file and goes on with the others.
    assert_xls_refused("fuzz-timeout-cfb.xls", "loop.xls", &["damaged .xls"]);
}

#[test]
fn an_xls_declaring_a_huge_sheet_is_refused_before_calamine_aborts() {
    // Found by fuzzing: a DIMENSIONS record declaring 687 billion cells, which calamine
    // reserves up front (an abort that catch_unwind cannot stop).
    assert_xls_refused("fuzz-abort-dimensions.xls", "huge.xls", &["declares", "max_cells"]);
}

#[test]
fn the_largest_file_the_default_limits_allow_stays_well_under_a_gigabyte() {
    // Just under the default cell limit (2 million): a 1.9-million-cell CSV.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(20 << 20);
    for i in 0..950_000u32 {
        text.push_str(&format!("baris {i};{}\n", i % 977));
    }
    std::fs::write(dir.path().join("besar.csv"), text).unwrap();
    let (code, stdout, stderr) = sitrep(&["run", "besar.csv", "--out", "out", "--timings", "--no-cache"], dir.path());
    assert!(code == 0 || code == 2, "{stdout}{stderr}");
    let peaks = stdout.lines().find(|l| l.starts_with("peak memory after:")).unwrap_or_else(|| panic!("no timings:\n{stdout}"));
    let worst = peaks
        .split(',')
        .filter_map(|p| p.split_whitespace().rev().nth(1).and_then(|n| n.parse::<u64>().ok()))
        .max()
        .unwrap();
    assert!(worst < 700, "peak {worst} MB: {peaks}");
}

#[test]
fn an_xls_whose_cells_span_a_huge_sheet_is_refused_before_calamine_lays_it_out() {
    // Found by fuzzing: a 10 KB xls whose cell records sit far apart; calamine lays the
    // sheet out densely and took 19 GB. The cells' bounding box is checked first.
    assert_xls_refused("fuzz-oom-cell-extent.xls", "spread.xls", &["spans", "max_cells"]);
}

/// A hostile xls from fuzzing, run beside a good file: refused with a finding whose
/// message says each of `says`, and the batch goes on.
fn assert_xls_refused(fixture: &str, as_name: &str, says: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let good = good_file(dir.path());
    std::fs::copy(root().join("fixtures/hostile").join(fixture), dir.path().join(as_name)).unwrap();
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[good, as_name], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let f = finding(&findings, "refused_file", as_name);
    assert!(says.iter().all(|w| f["message"].contains(w)), "{f:?}");
    assert!(tebo_accepted(&stdout), "{stdout}");
}

#[test]
fn an_xls_on_which_calamine_panics_is_a_finding_with_the_reason_and_no_backtrace() {
    // Found by fuzzing: a damaged CFB container whose sector lies past the end of the
    // file; calamine's reader panics (slicing out of range). The panic is caught on the
    // reader thread; the file gets a finding, the batch goes on, the terminal stays quiet.
    let dir = tempfile::tempdir().unwrap();
    let good = good_file(dir.path());
    std::fs::copy(root().join("fixtures/hostile/fuzz-panic-cfb-sector.xls"), dir.path().join("rusak.xls")).unwrap();
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[good, "rusak.xls"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let f = finding(&findings, "unreadable_file", "rusak.xls");
    assert!(f["message"].starts_with("the spreadsheet reader failed on this file (slice index starts at 4480 but ends at 8)"), "{f:?}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert!(tebo_accepted(&stdout), "{stdout}");
}
