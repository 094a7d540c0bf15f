//! PPKM vaccination gates on the Jambi fixtures, against figures computed by hand from
//! fixtures/jambi/expected.json.

use crate::common::{fixtures, pdf_text, read_csv, run_demo};

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
