//! Real and hostile files from ../shared/corpus: every file ends with a result or a
//! clear finding; the process never aborts.

use crate::common::*;

#[test]
fn calamine_hostile_files_never_crash_the_run() {
    let corpus = shared().join("corpus/calamine");
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

/// Every file of the corpus (calamine's hostile files, the KawalCOVID19 workbook, the
/// dashboard export) is read as `run` reads it, without a panic; each ends with a status
/// and, unless it was read, a finding; every row of every table found is accepted, a
/// totals row, or rejected: the three counts add up to the rows read.
#[test]
fn every_corpus_file_ends_with_a_result_and_every_row_is_accounted_for() {
    let corpus = shared().join("corpus");
    if !corpus.exists() {
        eprintln!("skipped: {} not present", corpus.display());
        return;
    }
    let inputs = vec![corpus.join("calamine"), corpus.join("kawalcovid19"), corpus.join("kemenkes-dashboard-2021-07-13")];
    let plan = sitrep::config::RunPlan::resolve(sitrep::config::RawArgs { inputs, ..Default::default() }).unwrap();
    let all = sitrep::validate(&plan).unwrap();
    assert!(all.len() > 90, "{} files", all.len());
    let mut read_ok = 0;
    for v in &all {
        let o = &v.table.outcome;
        assert!(["ok", "error", "skipped", "duplicate", "superseded"].contains(&o.status.as_str()), "{}: status {}", o.path, o.status);
        if o.status != "ok" {
            assert!(!v.table.findings.is_empty() && !o.note.is_empty(), "{} is {} without a reason", o.path, o.status);
        } else {
            read_ok += 1;
        }
        let rows: usize = v.layout.iter().flat_map(|l| l.tables.iter()).map(|t| t.rows.len()).sum();
        assert_eq!(o.rows_accepted + o.rows_totals + o.rows_rejected, rows, "{}: rows accepted+totals+rejected vs rows read", o.path);
        for f in &v.table.findings {
            assert!(!f.message.is_empty() && f.source == o.path, "{f:?}");
        }
    }
    assert!(read_ok >= 4, "the dashboard's district files are read");
    let report = sitrep::validate::describe(&all);
    assert_eq!(report.matches("\n== ").count() + 1, all.len(), "one section per file");
}
