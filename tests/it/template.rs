//! `sitrep template`: the workbook a district fills in, looked at as a spreadsheet
//! would (values, validation, protection), and the round trip through `sitrep run`.

use crate::common::*;
use calamine::Data;
use sitrep::gazetteer::Region;
use sitrep::layout::vocab::Group;
use std::path::Path;

fn text(d: Option<&Data>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A made-up but recognisable figure per sub-district, group and dose.
fn figure(area: &Region, g: Group, dose: u8) -> Option<i64> {
    let a: i64 = area.code[6..].parse().unwrap();
    let gi = Group::SPECIFIC.iter().position(|x| *x == g).unwrap() as i64;
    Some(1000 * (gi + 1) + 100 * a - 30 * dose as i64)
}

fn only_xlsx(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "xlsx")).collect();
    v.sort();
    v
}

#[test]
fn a_district_template_reads_like_a_district_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = sitrep(&["template", "--province", "15", "--district", "15.01", "--period", "2022-01-22", "--out", "tpl"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let files = only_xlsx(&dir.path().join("tpl"));
    assert_eq!(files.len(), 1, "{files:?}");
    let path = &files[0];
    assert!(path.file_name().unwrap().to_str().unwrap().contains("15.01"));
    let sheet = xlsx_sheet(path, "Rekap");
    assert_eq!(text(sheet.get_value((0, 0))), "REKAP VAKSINASI COVID-19");
    assert_eq!(text(sheet.get_value((1, 0))), "KABUPATEN KERINCI");
    assert_eq!(text(sheet.get_value((2, 0))), "Data s.d. 22 Januari 2022");
    // Two header rows: groups merged over their doses; children only doses 1 and 2.
    assert_eq!(text(sheet.get_value((4, 3))), "SDMK");
    assert_eq!(text(sheet.get_value((5, 3))), "Dosis 1");
    assert_eq!(text(sheet.get_value((5, 5))), "Dosis 3");
    assert_eq!(text(sheet.get_value((4, 18))), "Anak 6-11");
    assert_eq!(text(sheet.get_value((5, 19))), "Dosis 2");
    assert_eq!(text(sheet.get_value((4, 20))), "");
    // Every official sub-district of Kerinci, by code and name, then JUMLAH.
    let areas: Vec<&Region> = sitrep::gazetteer::embedded().areas_of("15.01").collect();
    assert_eq!(areas.len(), 16);
    for (i, a) in areas.iter().enumerate() {
        assert_eq!(text(sheet.get_value((6 + i as u32, 1))), a.code);
        assert_eq!(text(sheet.get_value((6 + i as u32, 2))), a.name);
    }
    assert_eq!(text(sheet.get_value((6 + 16, 0))), "JUMLAH");

    // Whole non-negative numbers only, on exactly the count cells.
    let xml = xlsx_part(path, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<dataValidation type="whole" operator="greaterThanOrEqual""#), "{xml}");
    assert!(xml.contains(r#"sqref="D7:T22"><formula1>0</formula1>"#), "{xml}");
    // The sheet is protected; the count cells use a style that is not locked.
    assert!(xml.contains("<sheetProtection"), "{xml}");
    let styles = xlsx_part(path, "xl/styles.xml");
    assert!(styles.contains(r#"<protection locked="0"/>"#), "{styles}");
    let d7 = xml.split(r#"<c r="D7" s=""#).nth(1).expect("D7 styled").split('"').next().unwrap().to_string();
    let a7 = xml.split(r#"<c r="A7" s=""#).nth(1).expect("A7 styled").split('"').next().unwrap().to_string();
    let xfs: Vec<&str> = styles.split("<cellXfs").nth(1).unwrap().split("</cellXfs>").next().unwrap().split("<xf ").skip(1).collect();
    assert!(xfs[d7.parse::<usize>().unwrap()].contains(r#"locked="0""#), "count cells are unlocked");
    assert!(!xfs[a7.parse::<usize>().unwrap()].contains(r#"locked="0""#), "the row number is locked");
    // Instructions in Bahasa Indonesia, protected too.
    let help = xlsx_sheet(path, "Petunjuk");
    assert_eq!(text(help.get_value((0, 0))), "PETUNJUK PENGISIAN REKAP VAKSINASI COVID-19");
    assert!(text(help.get_value((3, 0))).contains("kecamatan"));
    assert!(xlsx_part(path, "xl/worksheets/sheet2.xml").contains("<sheetProtection"));
}

#[test]
fn one_template_per_district_of_the_province() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = sitrep(&["template", "--province", "15", "--period", "2022-01-22", "--out", "tpl"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let files = only_xlsx(&dir.path().join("tpl"));
    assert_eq!(files.len(), 11, "{files:?}");
    let jambi = files.iter().find(|p| p.to_str().unwrap().contains("15.71")).expect("Kota Jambi");
    assert_eq!(text(xlsx_sheet(jambi, "Rekap").get_value((1, 0))), "KOTA JAMBI");
    // A wrong code says what to type instead.
    let (code, _, err) = sitrep(&["template", "--province", "99", "--period", "2022-01-22"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("two-digit") && err.contains("15"), "{err}");
    let (code, _, err) = sitrep(&["template", "--province", "15", "--district", "16.01", "--period", "2022-01-22"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("not in province 15"), "{err}");
}

#[test]
fn a_filled_template_is_read_back_with_no_finding_and_the_right_totals() {
    let dir = tempfile::tempdir().unwrap();
    let g = sitrep::gazetteer::embedded();
    let period = chrono::NaiveDate::from_ymd_opt(2022, 1, 22).unwrap();
    let subs = dir.path().join("submissions");
    std::fs::create_dir_all(&subs).unwrap();
    for code in ["15.01", "15.71"] {
        let d = g.region(code).unwrap();
        let bytes = sitrep::template::workbook(g, d, period, Some(&figure)).unwrap();
        std::fs::write(subs.join(sitrep::template::file_name(d, period)), bytes).unwrap();
    }
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(
        &["run", subs.to_str().unwrap(), "--targets", fixtures().join("sasaran.xlsx").to_str().unwrap(), "--out", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The test's made-up counts exceed the demo targets, which the plausibility check
    // rightly reports; what matters here is that reading the template finds nothing.
    let findings: Vec<_> = read_csv(&out.join("export/findings.csv")).into_iter().filter(|f| f["code"] != "coverage_above_100").collect();
    assert!(findings.is_empty(), "a filled template gives no finding: {findings:?}");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("export/manifest.json")).unwrap()).unwrap();
    for input in manifest["inputs"].as_array().unwrap() {
        let areas = g.areas_of(input["district_code"].as_str().unwrap()).count();
        assert_eq!(input["status"], "ok");
        assert_eq!(input["period"], "2022-01-22");
        assert_eq!(input["rows_accepted"], areas, "{input}");
        assert_eq!(input["rows_totals"], 1);
        assert_eq!(input["rows_rejected"], 0);
    }
    // Totals per district, group and dose are the sums of what was filled in.
    let rows = read_attainment(&out);
    for (district, group, dose) in [("15.01", Group::Sdmk, 1u8), ("15.01", Group::Anak, 2), ("15.71", Group::Lansia, 3)] {
        let want: i64 = g.areas_of(district).map(|a| figure(a, group, dose).unwrap()).sum();
        let got = rows.iter().find(|r| r["district_code"] == district && r["group"] == group.code() && r["dose"] == dose.to_string()).expect("row");
        assert_eq!(got["vaccinated"], want.to_string(), "{district} {} dose {dose}", group.code());
    }
    // Every count cell became one observation with its sub-district code.
    let obs = read_observations(&out);
    let cells = 17 * (g.areas_of("15.01").count() + g.areas_of("15.71").count());
    assert_eq!(obs.len(), cells);
    assert!(obs.iter().all(|o| o["area_code"].len() == 8), "every row names its sub-district");
}
