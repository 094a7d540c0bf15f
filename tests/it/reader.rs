//! Layouts the Jambi fixtures never show (fixtures/reader, made by
//! make_reader_fixtures.py): one sheet per dose and per group, notes sheets, compound
//! and English headers, district-level rows with codes typed as numbers, a long table
//! in UTF-16, a `|`-delimited Windows-1252 file with ragged rows. Expected figures come
//! from the generator, not from sitrep.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn reader_fixtures() -> std::path::PathBuf {
    root().join("fixtures/reader")
}

fn run_reader() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let subs = reader_fixtures().join("submissions");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    (dir, stdout)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(reader_fixtures().join("expected.json")).unwrap()).unwrap()
}

#[test]
fn figures_from_unfamiliar_layouts_match_the_generator() {
    let (dir, _) = run_reader();
    let obs = read_observations(&dir.path().join("out"));
    let mut got: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for o in &obs {
        assert_eq!(o["period"], expected()["date"].as_str().unwrap(), "{o:?}");
        *got.entry((o["district_code"].clone(), o["group"].clone(), o["dose"].clone())).or_default() += o["vaccinated"].parse::<i64>().unwrap();
    }
    let mut want: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for f in expected()["figures"].as_array().unwrap() {
        want.insert((f["district_code"].as_str().unwrap().into(), f["group"].as_str().unwrap().into(), f["dose"].to_string()), f["vaccinated"].as_i64().unwrap());
    }
    assert!(want.len() > 60);
    assert_eq!(got, want);
}

#[test]
fn every_file_row_is_accounted_for() {
    let (dir, stdout) = run_reader();
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    let exp = expected();
    for (name, e) in exp["files"].as_object().unwrap() {
        let got = inputs.iter().find(|i| i["path"].as_str().unwrap().ends_with(name.as_str())).unwrap_or_else(|| panic!("{name} not in the manifest"));
        assert_eq!(got["status"], "ok", "{name}");
        for k in ["rows_accepted", "rows_totals", "rows_rejected", "district_code"] {
            assert_eq!(got[k], e[k], "{k} of {name}");
        }
        assert!(stdout.lines().any(|l| l.contains(name.as_str()) && l.contains("rows accepted")), "no summary line for {name}:\n{stdout}");
    }
}

#[test]
fn what_cannot_be_read_is_a_finding_with_sheet_cell_and_suggestion() {
    let (dir, _) = run_reader();
    let findings = read_csv(&dir.path().join("out/export/findings.csv"));
    for e in expected()["findings"].as_array().unwrap() {
        let (file, code, sheet, cell, text) = (e["source"].as_str().unwrap(), e["code"].as_str().unwrap(), e["sheet"].as_str().unwrap(), e["cell"].as_str().unwrap(), e["text"].as_str().unwrap());
        assert!(
            findings.iter().any(|f| f["source"].ends_with(file) && f["code"] == code && f["sheet"] == sheet && f["cell"] == cell && f["message"].contains(text)),
            "expected {code} at {file} '{sheet}' {cell} mentioning '{text}'; findings:\n{findings:#?}"
        );
    }
    // A notes sheet is information, never an error.
    assert!(findings.iter().all(|f| f["severity"] != "error"), "{findings:#?}");
}

#[test]
fn validate_shows_what_was_understood_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = reader_fixtures().join("submissions/Majene per dosis 12-03-2022.xlsx");
    let (code, stdout, stderr) = sitrep(&["validate", file.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "warnings only: {stdout}{stderr}");
    for needle in [
        "district: KAB. MAJENE (76.05)   date: 2022-03-12   layout: wide",
        "rows: 24 accepted, 3 totals, 0 rejected",
        "sheet 'Booster': wide table, header in row 5",
        "from the sheet name or title: dose 3",
        "'Lansia'                     → people vaccinated: group lansia, dose 3",
        "'Kec.'                       → sub-district (Kecamatan) name",
        "sheet 'Dosis 2', cell E8: Excel error #DIV/0! is not a number",
        "did you mean Tammerodo Sendana (76.05.06)?",
        "sheet 'Petunjuk Pengisian': no table",
    ] {
        assert!(stdout.contains(needle), "'{needle}' not in:\n{stdout}");
    }
    assert!(!dir.path().join("out").exists(), "validate writes nothing");
    // A file with an error: exit status 1.
    let bad = dir.path().join("rekap_kab_majenne_2022-03-12.csv");
    std::fs::write(&bad, "KABUPATEN MAJENNE\nKecamatan;Dosis 1;Dosis 2\nBanggae;1.200;900\n").unwrap();
    let (code, stdout, _) = sitrep(&["validate", bad.to_str().unwrap()], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("unknown district") && stdout.contains("KAB. MAJENE (76.05)"), "{stdout}");
    // A folder: a photo of a form is shown skipped, with what to do; warnings only.
    let folder = dir.path().join("kiriman");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&file, folder.join("majene.xlsx")).unwrap();
    std::fs::write(folder.join("majene foto.jpg"), "x").unwrap();
    let (code, stdout, _) = sitrep(&["validate", folder.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("majene foto.jpg\n   status: skipped (not a spreadsheet)") && stdout.contains("ask for them as a spreadsheet"), "{stdout}");
}

/// A district's own name in its column of sub-districts: bare, it is the sub-district
/// of that name (kecamatan Sarolangun, 15.03.03); as "Kabupaten Sarolangun" below the
/// rows and equal to their sum, it is their total, not the district counted again.
#[test]
fn a_sub_district_named_as_its_district_counts_and_a_district_named_sum_is_a_total() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    std::fs::create_dir_all(&subs).unwrap();
    let csv = "REKAP VAKSINASI KABUPATEN SAROLANGUN\nData s.d. 15 Januari 2022\nKecamatan;Lansia Dosis 1;Lansia Dosis 2\nBatang Asai;239;200\nSarolangun;123;100\nKabupaten Sarolangun;362;300\n";
    std::fs::write(subs.join("rekap sarolangun 15-01-2022.csv"), csv).unwrap();
    // Kota Sungai Penuh's kecamatan Sungai Penuh (15.72.01) under a row of zeros, with
    // zeros: a sub-district that has not started, not a total.
    let zeros = "REKAP VAKSINASI KOTA SUNGAI PENUH\nData s.d. 15 Januari 2022\nKecamatan;Lansia Dosis 1;Lansia Dosis 2\nPesisir Bukit;0;0\nSungai Penuh;0;0\n";
    std::fs::write(subs.join("rekap sungai penuh 15-01-2022.csv"), zeros).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let obs = read_observations(&out);
    let got: Vec<(&str, &str, &str)> = obs.iter().map(|o| (o["area_code"].as_str(), o["dose"].as_str(), o["vaccinated"].as_str())).collect();
    assert_eq!(
        got,
        vec![("15.03.01", "1", "239"), ("15.03.01", "2", "200"), ("15.03.03", "1", "123"), ("15.03.03", "2", "100"), ("15.72.02", "1", "0"), ("15.72.02", "2", "0"), ("15.72.01", "1", "0"), ("15.72.01", "2", "0")]
    );
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(out.join("export/manifest.json")).unwrap()).unwrap();
    let totals = |name: &str| manifest["inputs"].as_array().unwrap().iter().find(|i| i["path"].as_str().unwrap().ends_with(name)).unwrap()["rows_totals"].clone();
    assert_eq!(totals("rekap sarolangun 15-01-2022.csv"), 1);
    assert_eq!(totals("rekap sungai penuh 15-01-2022.csv"), 0);
    let findings = read_csv(&out.join("export/findings.csv"));
    assert!(findings.iter().any(|f| f["code"] == "district_totals_row" && f["cell"] == "A6"), "{findings:#?}");
}
