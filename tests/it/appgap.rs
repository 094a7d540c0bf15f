//! Register versus application on the Jambi fixtures: an export of the national
//! application (the dashboard's CSV kind) that lags two districts' registers.

use crate::common::{fixtures, pdf_text, read_csv, read_observations, sitrep};

#[test]
fn the_application_lagging_the_register_is_listed_largest_first() {
    let dir = tempfile::tempdir().unwrap();
    // Kerinci's register says 136.876 with dose 1 on 15 January, Kota Jambi's 428.876
    // (expected.json); the application has 5.000 and 100 fewer, Bungo the same.
    let app = dir.path().join("kemenkes-dashboard-2022-01-15");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("DashboardPenerimaVaksinPerDaerah.csv"),
        "Kab/kota,Provinsi,Achievement % Vaksin1,Divaksin 1\nKota Jambi,Jambi,0.80%,\"428,776\"\nKab. Kerinci,Jambi,0.50%,\"131,876\"\nKab. Bungo,Jambi,0.78%,\"234,992\"\n",
    )
    .unwrap();
    // Told apart by configuration: [sources] app.
    std::fs::write(dir.path().join("sitrep.toml"), "targets_version = \"Kemenkes 2022, 234,7 juta\"\n[sources]\napp = \"kemenkes-dashboard-2022-01-15\"\n").unwrap();
    let out = dir.path().join("out");
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let config = dir.path().join("sitrep.toml");
    let (code, stdout, stderr) =
        sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let rows = read_csv(&out.join("export/app_gaps.csv"));
    let got: Vec<(&str, &str, &str, &str, &str)> =
        rows.iter().map(|r| (r["district_code"].as_str(), r["register_vaccinated"].as_str(), r["app_vaccinated"].as_str(), r["gap_people"].as_str(), r["gap_pp"].as_str())).collect();
    // 5000 / 211128 = 2.37 pp; 100 / 509980 = 0.02 pp.
    assert_eq!(got, [("15.01", "136876", "131876", "5000", "2.37"), ("15.71", "428876", "428776", "100", "0.02")]);
    // The dashboard has no elderly figures: the application's PPKM level cannot be judged.
    assert!(rows.iter().all(|r| r["level_by_app"].is_empty() && r["closing_changes_gate"] == "false"));
    // Only dose 1 of the application's districts is compared, and the observations of the
    // submissions are not changed by it.
    assert_eq!(rows.len(), 2);
    let obs = read_observations(&out);
    assert!(obs.iter().all(|o| !o["source"].contains("Dashboard")));

    let text = pdf_text(&out.join("laporan-mingguan-15-2022-01-15.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Register kabupaten/kota dibanding aplikasi"), "no application section");
    assert!(flat.contains("KAB. KERINCI Semua kelompok, dosis 1 136.876 131.876 5.000 +2,4 pp –"), "{flat}");
    // Every report states the targets it used.
    assert!(flat.contains("Sasaran yang dipakai: Kemenkes 2022, 234,7 juta (sasaran.xlsx)."), "weekly lacks the targets version");
    let rakor = pdf_text(&out.join("rakor-15-2022-01-15.pdf")).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(rakor.contains("Sasaran yang dipakai: Kemenkes 2022, 234,7 juta (sasaran.xlsx)."), "rakor lacks the targets version");
    assert!(rakor.contains("5.000 orang (semua kelompok, dosis 1) ada di laporan kabupaten/kota tetapi belum di aplikasi"), "rakor lacks the data-entry point");
}
