//! The receipts log: when each submission arrived, as the province logged it, rather
//! than the file's modification time (which a copy or a `git checkout` resets).

use crate::common::*;

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The timeliness table's row for a district (its first line).
fn row(text: &str, name: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(name) && (l.contains("terlambat") || l.contains("tepat waktu") || l.contains("belum mengirim")))
        .unwrap_or_else(|| panic!("no timeliness row for {name}:\n{text}"))
        .to_string()
}

/// The demo (fixtures/jambi/receipts.csv): every 15 January file before 17.00 WIB but
/// Kerinci's, logged at 19.05; whatever the files' own times are after a checkout.
#[test]
fn the_demo_reads_arrival_times_from_its_receipts_log() {
    let (dir, _) = run_demo("id");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let f = flat(&text);
    assert!(f.contains("Kabupaten/kota yang melapor: 11 dari 11 (tepat waktu 10, terlambat 1; batas 17.00 WIB)"), "{text}");
    assert!(
        f.contains("Batas pengiriman: 15 Januari 2022 17.00 WIB. Tepat waktu 10, terlambat 1, waktu tidak diketahui 0, belum mengirim 0 (dari 11). Waktu diterima menurut log penerimaan."),
        "{text}"
    );
    let kerinci = row(&text, "KAB. KERINCI");
    assert!(kerinci.contains("15 Januari 2022 19.05 WIB") && kerinci.contains("terlambat 2 jam 5 menit"), "{kerinci}");
    let tebo = row(&text, "KAB. TEBO");
    assert!(tebo.contains("15 Januari 2022 16.07 WIB") && tebo.contains("tepat waktu"), "{tebo}");
    assert!(!text.contains("waktu berkas"), "every file is in the log");
    // The manifest keeps the logged time (UTC) and says where it came from.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let inputs = manifest.to_string();
    assert!(inputs.contains(r#""received":"2022-01-15T12:05:00Z","received_from":"receipts""#), "{inputs}");
    let findings = read_csv(&dir.path().join("out/export/findings.csv"));
    assert!(!findings.iter().any(|f| f["code"] == "no_receipt" || f["code"] == "receipt_without_file"), "{findings:?}");
}

/// An earlier week: Tebo's 8 January file was logged the next morning at 08.40.
#[test]
fn a_file_logged_the_next_morning_is_late_for_its_week() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &[
            "run",
            fixtures().join("submissions").to_str().unwrap(),
            "--targets",
            fixtures().join("sasaran.xlsx").to_str().unwrap(),
            "--receipts",
            fixtures().join("receipts.csv").to_str().unwrap(),
            "--period",
            "2022-01-08",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = pdf_text(&out.join("laporan-mingguan-15-2022-01-08.pdf"));
    let tebo = row(&text, "KAB. TEBO");
    assert!(tebo.contains("9 Januari 2022 08.40 WIB") && tebo.contains("terlambat 15 jam 40 menit"), "{tebo}");
    assert!(row(&text, "KAB. KERINCI").contains("tepat waktu"));
    assert!(flat(&text).contains("Tepat waktu 10, terlambat 1, waktu tidak diketahui 0, belum mengirim 0 (dari 11)."), "{text}");
}

/// The log named in sitrep.toml, with Tebo's 15 January file left out, a zone written
/// for one entry and a time nobody can read: Tebo falls back to its file time (noted),
/// the bad row is a warning at its cell, the other times are used.
#[test]
fn a_file_missing_from_the_log_falls_back_to_its_file_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string(fixtures().join("receipts.csv")).unwrap();
    let mut kept: Vec<String> = log.lines().filter(|l| !l.starts_with("REKAP VAKSIN TEBO 15-01-2022.csv")).map(|l| {
        // Muaro Jambi logged in WITA: 13.48 WITA is 12.48 WIB.
        if l.starts_with("KAB MUARO JAMBI 15-01-2022.xls") { "KAB MUARO JAMBI 15-01-2022.xls,2022-01-15 13:48 WITA".to_string() } else { l.to_string() }
    }).collect();
    kept.push("rekap_bungo_revisi.xlsx,sore".into());
    std::fs::write(dir.path().join("terima.csv"), kept.join("\n")).unwrap();
    let subs = fixtures().join("submissions");
    let (code, stdout, stderr, findings) = run_in(dir.path(), &[subs.to_str().unwrap()], "receipts = \"terima.csv\"\n");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let tebo_note: Vec<_> = findings.iter().filter(|f| f["code"] == "no_receipt").collect();
    assert_eq!(tebo_note.len(), 1, "{findings:?}");
    assert!(tebo_note[0]["source"].ends_with("REKAP VAKSIN TEBO 15-01-2022.csv") && tebo_note[0]["severity"] == "info", "{tebo_note:?}");
    let bad: Vec<_> = findings.iter().filter(|f| f["code"] == "bad_receipt").collect();
    assert_eq!(bad.len(), 1, "{findings:?}");
    assert!(bad[0]["source"].ends_with("terima.csv") && bad[0]["cell"] == format!("B{}", kept.len()), "{bad:?}");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    assert!(flat(&text).contains("Waktu diterima menurut log penerimaan; 1 berkas tidak tercatat di log, memakai waktu berkas."), "{text}");
    assert!(flat(&row(&text, "KAB. TEBO")).contains("WIB"), "the file time is shown");
    assert!(text.contains("(waktu berkas)"), "{text}");
    assert!(row(&text, "KAB. MUARO JAMBI").contains("15 Januari 2022 12.48 WIB"), "{text}");
}

/// A log kept in a workbook: times as text, or as a spreadsheet date-time number.
#[test]
fn a_receipts_workbook_with_text_and_date_time_numbers() {
    let dir = tempfile::tempdir().unwrap();
    // 44576 is 15 January 2022; 19.05 is 1145/1440 of a day.
    let serial = format!("{}", 44576.0 + 1145.0 / 1440.0);
    let sheet = format!(
        "<sheetData>{}{}{}{}</sheetData>",
        xlsx_row(1, &["Log penerimaan laporan kabupaten/kota"]),
        xlsx_row(2, &["No", "Nama berkas", "Diterima"]),
        xlsx_row(3, &["1", "rekap_kerinci_2022-01-15.xlsx", &serial]),
        xlsx_row(4, &["2", "Rekap Vaksin Merangin 15-01-2022.xlsx", "15/01/2022 16.40 WIB"]),
    );
    std::fs::write(dir.path().join("log.xlsx"), xlsx_package(&sheet, &[])).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &["run", fixtures().join("submissions").to_str().unwrap(), "--targets", fixtures().join("sasaran.xlsx").to_str().unwrap(), "--receipts", "log.xlsx", "--out", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = pdf_text(&out.join("laporan-mingguan-15-2022-01-15.pdf"));
    let kerinci = row(&text, "KAB. KERINCI");
    assert!(kerinci.contains("15 Januari 2022 19.05 WIB") && kerinci.contains("terlambat 2 jam 5 menit"), "{kerinci}");
    assert!(row(&text, "KAB. MERANGIN").contains("15 Januari 2022 16.40 WIB"), "{text}");
    let findings = read_csv(&out.join("export/findings.csv"));
    // 35 files, 2 in the log.
    assert_eq!(findings.iter().filter(|f| f["code"] == "no_receipt").count(), 33, "{findings:?}");
}

#[test]
fn the_cut_off_time_is_set_in_sitrep_toml() {
    // Kerinci's last file arrived at 19.05 (receipts log): late against 17:00, on time
    // against a cut-off of 20:00 set in the run's configuration.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sitrep.toml"), "[cutoff]\ntime = \"20:00\"\n").unwrap();
    let subs = fixtures().join("submissions");
    let (targets, receipts) = (fixtures().join("sasaran.xlsx"), fixtures().join("receipts.csv"));
    let (code, stdout, stderr) = sitrep(
        &["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--receipts", receipts.to_str().unwrap(), "--out", "out", "-q"],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf")).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("tepat waktu 11, terlambat 0"), "{text}");
    assert!(text.contains("20:00") || text.contains("20.00"), "the cut-off is stated: {text}");
}
