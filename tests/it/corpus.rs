//! Real and hostile files from ../shared/corpus: every file ends with a result or a
//! clear finding; the process never aborts.

use crate::common::*;

#[test]
fn calamine_hostile_files_never_crash_the_run() {
    let corpus = root().join("../shared/corpus/calamine");
    if !corpus.exists() {
        eprintln!("skipped: {} not present", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(&["run", corpus.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    // No readable vaccination figures in there: status 2, but a clean exit with a summary.
    assert!(code == 0 || code == 2, "status {code}\n{stdout}\n{stderr}");
    assert!(stdout.contains("sitrep: "), "no summary line:\n{stdout}\n{stderr}");
    let listed = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Files read:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.contains("/calamine/"))
        .count();
    let files = std::fs::read_dir(&corpus).unwrap().filter(|e| {
        let p = e.as_ref().unwrap().path();
        sitrep::ingest::has_known_extension(&p)
    }).count();
    assert_eq!(listed, files, "every file gets a line in the summary:\n{stdout}");
}

#[test]
fn a_sheet_spanning_a1_to_xfd1048576_does_not_abort_the_run() {
    // An xlsx whose only cells are A1 and XFD1048576 (calamine#693 aborts on it).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extent.xlsx");
    std::fs::write(&path, extent_bomb()).unwrap();
    let (code, stdout, stderr) = sitrep(&["run", path.to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap()], dir.path());
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.contains("extent.xlsx"), "{stdout}");
}

fn extent_bomb() -> Vec<u8> {
    xlsx_package(
        r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData>"#,
        &[],
    )
}
