//! Institutional compliance: an agency's submission (staff vaccinated per institution
//! against its headcount) is reported on its own and never added to the district's
//! population figures.

use crate::common::*;

#[test]
fn agency_staff_are_reported_against_headcount_and_kept_out_of_district_totals() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    for e in std::fs::read_dir(fixtures().join("submissions/2022-01-15")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, subs.join(p.file_name().unwrap())).unwrap();
    }
    let body = [
        xlsx_row(1, &["REKAP VAKSINASI PEGAWAI"]),
        xlsx_row(2, &["PEMERINTAH KABUPATEN KERINCI"]),
        xlsx_row(3, &["Data s.d. 15 Januari 2022"]),
        xlsx_row(5, &["No", "Nama Instansi", "Jumlah Pegawai", "Dosis 1", "Dosis 2"]),
        xlsx_row(6, &["1", "Sekretariat Daerah", "120", "61", "40"]),
        xlsx_row(7, &["2", "Dinas Kesehatan", "80", "80", "78"]),
        xlsx_row(8, &["3", "Dinas Pendidikan", "200", "150", "90"]),
        xlsx_row(9, &["", "JUMLAH", "400", "291", "208"]),
    ]
    .concat();
    std::fs::write(subs.join("opd_kerinci_2022-01-15.xlsx"), xlsx_package(&format!("<sheetData>{body}</sheetData>"), &[])).unwrap();
    let targets = fixtures().join("sasaran.xlsx");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", "out", "-q"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");

    // The district's figures are the generator's, untouched by the agency's staff.
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    let want = expected["attainment"].as_array().unwrap().iter().find(|e| e["period"] == "2022-01-15" && e["district_code"] == "15.01" && e["group"] == "all" && e["dose"] == 1).unwrap();
    let rows = read_attainment(&dir.path().join("out"));
    let got = rows.iter().find(|r| r["period"] == "2022-01-15" && r["district_code"] == "15.01" && r["group"] == "all" && r["dose"] == "1").unwrap();
    assert_eq!(got["vaccinated"], want["vaccinated"].to_string());
    assert_eq!(got["target"], want["target"].to_string());
    // Both files are used: the agency's is not a resubmission of the district's.
    let manifest = std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap();
    assert!(!manifest.contains("superseded"), "{manifest}");
    // The observations keep the institution, with provenance.
    let obs = read_observations(&dir.path().join("out"));
    let setda: Vec<_> = obs.iter().filter(|o| o["unit"] == "Sekretariat Daerah").collect();
    assert_eq!(setda.len(), 2, "{setda:?}");
    assert!(setda.iter().all(|o| o["area_code"].is_empty() && o["district_code"] == "15.01"));

    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Kepatuhan instansi"), "{flat}");
    assert!(flat.contains("3 instansi melapor; 2 di bawah target 100,0% untuk dosis 1"), "{flat}");
    assert!(flat.contains("Sekretariat Daerah 120 61 (50,8%) 40 (33,3%)"), "{flat}");
    assert!(flat.contains("Dinas Kesehatan 80 80 (100,0%) 78 (97,5%)"), "{flat}");
}

#[test]
fn without_agency_submissions_there_is_no_institutions_section() {
    let (dir, _) = run_demo("id");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    assert!(!text.contains("Kepatuhan instansi"));
}
