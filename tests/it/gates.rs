//! PPKM vaccination gates on the Jambi fixtures, against figures computed by hand from
//! fixtures/jambi/expected.json.

use crate::common::{fixtures, pdf_text, read_csv, read_observations, run_demo};

/// (vaccinated, target) of a district's figure in expected.json.
fn expected(period: &str, district: &str, group: &str, dose: i64) -> (i64, i64) {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = json["attainment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == period && r["district_code"] == district && r["group"] == group && r["dose"] == dose)
        .unwrap_or_else(|| panic!("no {period} {district} {group} {dose} in expected.json"));
    (row["vaccinated"].as_i64().unwrap(), row["target"].as_i64().unwrap())
}

#[test]
fn kerinci_gate_row_matches_the_hand_computation() {
    let (dir, _) = run_demo("id");
    let rows = read_csv(&dir.path().join("out/export/ppkm_gates.csv"));
    let k = rows.iter().find(|r| r["period"] == "2022-01-15" && r["district_code"] == "15.01").expect("Kerinci row");
    let (v1, t1) = expected("2022-01-15", "15.01", "all", 1);
    let (vl, tl) = expected("2022-01-15", "15.01", "lansia", 1);
    let (c1, cl) = (v1 as f64 / t1 as f64, vl as f64 / tl as f64);
    // Kerinci is between 50% and 70% for dose 1: level 2, next gate 2→1.
    assert!((0.5..0.7).contains(&c1) && (0.4..0.6).contains(&cl), "{c1} {cl}");
    assert!((k["dose1_coverage"].parse::<f64>().unwrap() - c1).abs() < 1e-9);
    assert!((k["lansia_dose1_coverage"].parse::<f64>().unwrap() - cl).abs() < 1e-9);
    assert_eq!(k["level_by_vaccination"], "2");
    assert_eq!(k["next_gate"], "2→1");
    let need = |thr: f64, v: i64, t: i64| ((thr * t as f64 - 1e-9).ceil() as i64 - v).max(0);
    assert_eq!(k["people_needed_dose1"], need(0.7, v1, t1).to_string());
    assert_eq!(k["people_needed_lansia"], need(0.6, vl, tl).to_string());
    assert_eq!(k["children_6_11_may_start"], "false");
    // One row per district and period: 11 districts × 3 weeks.
    assert_eq!(rows.len(), 33);

    let weekly = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    // Without a configured version the report names the targets file and its hash.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let sha = manifest["targets"]["sha256"].as_str().unwrap();
    // The version comes from the targets file's own title block, with the file's hash.
    let weekly_flat = weekly.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        weekly_flat.contains(&format!("Sasaran yang dipakai: SASARAN VAKSINASI COVID-19 PROVINSI JAMBI TAHUN 2022 (sasaran.xlsx, SHA-256 {}).", &sha[..12])),
        "weekly lacks the targets' version and hash"
    );
    assert!(weekly.contains("Gerbang vaksinasi PPKM"), "weekly report lacks the PPKM section");
    let rakor = pdf_text(&dir.path().join("out/rakor-15-2022-01-15.pdf"));
    let needed = need(0.7, v1, t1);
    let words = format!("KAB. KERINCI: vaksinasi memungkinkan PPKM level 2; untuk turun ke level 1 perlu {}.{:03} orang", needed / 1000, needed % 1000);
    assert!(rakor.split_whitespace().collect::<Vec<_>>().join(" ").contains(&words), "rakor lacks: {words}");
}

#[test]
fn the_level_and_zones_a_submission_writes_sit_beside_the_gate() {
    // Sungai Penuh's last file carries `level_ppkm` (Level 3 on every row) and each
    // sub-district's `zona`; the worst zone of its sub-districts is merah.
    let (dir, _) = run_demo("id");
    let rows = read_csv(&dir.path().join("out/export/ppkm_gates.csv"));
    let sp = rows.iter().find(|r| r["period"] == "2022-01-15" && r["district_code"] == "15.72").expect("Sungai Penuh row");
    assert_eq!((sp["reported_ppkm_level"].as_str(), sp["reported_zone"].as_str()), ("3", "merah"));
    assert!(sp["reported_at"].ends_with("kota_sungai_penuh_2022-01-15.csv, sheet 'kota_sungai_penuh_2022-01-15' cell F2"), "{}", sp["reported_at"]);
    // Earlier weeks and other districts report nothing.
    let earlier = rows.iter().find(|r| r["period"] == "2022-01-08" && r["district_code"] == "15.72").unwrap();
    assert_eq!(earlier["reported_ppkm_level"], "");
    assert_eq!(rows.iter().filter(|r| !r["reported_ppkm_level"].is_empty()).count(), 1);
    let level = sp["level_by_vaccination"].parse::<u8>().unwrap();
    assert!(level < 3, "the fixture's story: vaccination alone permits a lower level than the one reported");

    let flat = |p: &str| pdf_text(&dir.path().join(p)).split_whitespace().collect::<Vec<_>>().join(" ");
    let weekly = flat("out/laporan-mingguan-15-2022-01-15.pdf");
    assert!(weekly.contains("Laporan daerah: level PPKM"), "weekly lacks the reported column");
    assert!(weekly.contains("3 · merah*"), "weekly lacks Sungai Penuh's reported level and worst zone");
    let rakor = flat("out/rakor-15-2022-01-15.pdf");
    let point = format!("Daerah melaporkan PPKM level 3 (zona merah); vaksinasi saja memungkinkan level {level}, jadi level ini ditahan oleh indikator lain");
    assert!(rakor.contains(&point), "rakor lacks: {point}");
}

#[test]
fn a_ppkm_cell_that_is_neither_level_nor_colour_is_a_finding_and_the_row_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir(&subs).unwrap();
    // District-level rows of two cities; one writes its level in a way sitrep cannot read.
    std::fs::write(
        subs.join("rekap_2022-01-15.csv"),
        "Kabupaten/Kota;Lansia Dosis 1;Level PPKM;Zona\nKota Jambi;40.000;Level 2;Kuning\nKota Sungai Penuh;5.000;tinggi;Merah\nKab. Kerinci;7.000;tinggi;\n",
    )
    .unwrap();
    let (code, _, stderr, findings) = crate::common::run_in(dir.path(), &[subs.to_str().unwrap()], "");
    assert_eq!(code, 0, "{stderr}");
    let bad: Vec<_> = findings.iter().filter(|f| f["code"] == "bad_ppkm_status").collect();
    // Once for the text, at its first cell, however many rows repeat it.
    assert_eq!(bad.len(), 1, "{findings:?}");
    assert_eq!(bad[0]["cell"], "C3");
    assert!(bad[0]["message"].contains("'tinggi' is not a PPKM level"), "{}", bad[0]["message"]);
    let rows = read_csv(&dir.path().join("out/export/ppkm_gates.csv"));
    let row = |code: &str| rows.iter().find(|r| r["district_code"] == code).unwrap().clone();
    assert_eq!((row("15.71")["reported_ppkm_level"].as_str(), row("15.71")["reported_zone"].as_str()), ("2", "kuning"));
    // The unreadable level is left out; the zone of the same row is still shown.
    assert_eq!((row("15.72")["reported_ppkm_level"].as_str(), row("15.72")["reported_zone"].as_str()), ("", "merah"));
    let observations = read_observations(&dir.path().join("out"));
    assert_eq!(observations.iter().filter(|o| o["district_code"] == "15.72").count(), 1, "the row's figure still counts");
}
