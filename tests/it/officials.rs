//! The workbook for officials (`export/sitrep-<province>-<period>.xlsx`), read back as a
//! spreadsheet would read it.

use crate::common::*;
use calamine::Data;
use std::collections::HashMap;

fn num(d: Option<&Data>) -> Option<f64> {
    match d? {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn text(d: Option<&Data>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

#[test]
fn the_officials_workbook_holds_the_attainment_by_district_and_group() {
    let (dir, stdout) = run_demo("id");
    let xlsx = dir.path().join("out/export/sitrep-15-2022-01-15.xlsx");
    assert!(stdout.contains("sitrep-15-2022-01-15.xlsx"), "{stdout}");
    let csv = read_attainment(&dir.path().join("out"));
    let want: HashMap<(String, String, String), &HashMap<String, String>> = csv
        .iter()
        .filter(|r| r["period"] == "2022-01-15")
        .map(|r| ((r["district_code"].clone(), r["group"].clone(), r["dose"].clone()), r))
        .collect();

    // Sheet 1: one line per district, then the province; doses 1–3 in three columns each.
    let cap = xlsx_sheet(&xlsx, "Capaian");
    assert_eq!(text(cap.get_value((0, 0))), "CAPAIAN VAKSINASI COVID-19 PROVINSI JAMBI");
    assert!(text(cap.get_value((1, 0))).contains("15 Januari 2022"));
    assert_eq!(text(cap.get_value((3, 4))), "Dosis 1");
    assert_eq!(text(cap.get_value((4, 5))), "Cakupan");
    let mut districts = 0;
    for r in 5..cap.height() as u32 {
        let code = text(cap.get_value((r, 1)));
        let key_code = if code == "15" { String::new() } else { code.clone() };
        for (k, dose) in ["1", "2", "3"].iter().enumerate() {
            let c = 4 + 3 * k as u32;
            let e = want.get(&(key_code.clone(), "all".into(), dose.to_string())).unwrap_or_else(|| panic!("no csv row for {code} dose {dose}"));
            assert_eq!(num(cap.get_value((r, c))), e["vaccinated"].parse().ok(), "vaccinated {code} dose {dose}");
            let cov: f64 = e["coverage"].parse().unwrap();
            assert!((num(cap.get_value((r, c + 1))).unwrap() - cov).abs() < 1e-12, "coverage {code} dose {dose}");
            assert_eq!(num(cap.get_value((r, c + 2))), e["people_needed"].parse().ok(), "people needed {code} dose {dose}");
        }
        if code != "15" {
            districts += 1;
        }
    }
    assert_eq!(districts, 11);
    assert_eq!(text(cap.get_value((15, 2))), "KOTA SUNGAI PENUH");
    assert_eq!(text(cap.get_value((16, 2))), "PROVINSI JAMBI");

    // Sheet 2: district × group; Kerinci's elderly, dose 2.
    let grp = xlsx_sheet(&xlsx, "Kelompok Sasaran");
    let row = (4..grp.height() as u32).find(|r| text(grp.get_value((*r, 0))) == "15.01" && text(grp.get_value((*r, 2))) == "Lansia").expect("Kerinci Lansia row");
    let e = want[&("15.01".to_string(), "lansia".to_string(), "2".to_string())];
    assert_eq!(num(grp.get_value((row, 3))), e["target"].parse().ok());
    assert_eq!(num(grp.get_value((row, 6))), e["vaccinated"].parse().ok());

    // Sheet 3: the findings, as in findings.csv.
    let findings = read_csv(&dir.path().join("out/export/findings.csv"));
    let tem = xlsx_sheet(&xlsx, "Temuan");
    assert_eq!(tem.height(), findings.len() + 1);
    assert_eq!(text(tem.get_value((1, 1))), findings[0]["code"]);
    assert_eq!(text(tem.get_value((1, 5))), findings[0]["message"]);

    // Formats: thousands and percentages, frozen headers, set column widths.
    let styles = xlsx_part(&xlsx, "xl/styles.xml");
    assert!(styles.contains(r##"formatCode="#,##0""##), "{styles}");
    assert!(styles.contains(r#"formatCode="0.0%""#), "{styles}");
    let sheet1 = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet1.contains(r#"state="frozen""#) && sheet1.contains(r#"topLeftCell="D6""#), "{sheet1}");
    assert!(sheet1.contains("<cols>") && sheet1.contains("customWidth"), "{sheet1}");

    // Listed in the manifest with its hash.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let listed = manifest["outputs"].as_array().unwrap().iter().find(|o| o["path"] == "export/sitrep-15-2022-01-15.xlsx").expect("xlsx in the manifest");
    assert_eq!(listed["sha256"].as_str().unwrap(), sitrep::export::sha256_hex(&std::fs::read(&xlsx).unwrap()));
}

#[test]
fn text_from_submissions_cannot_become_a_formula_in_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    // A file whose name (and so its sheet name) is a formula; it holds no table.
    let hostile = dir.path().join("=HYPERLINK(1).csv");
    std::fs::write(&hostile, "nothing here\nat all\n").unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &["run", fixtures().join("submissions/2022-01-15").to_str().unwrap(), hostile.to_str().unwrap(), "--targets", fixtures().join("sasaran.xlsx").to_str().unwrap(), "--out", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let tem = xlsx_sheet(&out.join("export/sitrep-15-2022-01-15.xlsx"), "Temuan");
    let sheets: Vec<String> = (1..tem.height() as u32).map(|r| text(tem.get_value((r, 3)))).collect();
    assert!(sheets.iter().any(|s| s == "'=HYPERLINK(1)"), "{sheets:?}");
    assert!(!sheets.iter().any(|s| s.starts_with('=')), "{sheets:?}");
}
