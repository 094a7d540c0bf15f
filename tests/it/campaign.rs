//! Campaign targets from the configuration (`[[campaign]]` in sitrep.toml) in the weekly
//! report, and the deadline for thresholds in the attention list, checked against the
//! fixture generator's province figures (fixtures/jambi/expected.json) by hand.

use crate::common::*;

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The province's `all` figure for a period and dose, from expected.json.
fn province(period: &str, dose: i64) -> i64 {
    let exp: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    exp["province"].as_array().unwrap().iter().find(|r| r["period"] == period && r["group"] == "all" && r["dose"] == dose).unwrap()["vaccinated"].as_i64().unwrap()
}

const CAMPAIGNS: &str = r#"
[[campaign]]
name = "Booster Januari"
dose = 3
group = "all"
target = 400000
start = 2022-01-01
end = 2022-01-31

[[campaign]]
name = "Kejar Dosis 2"
dose = 2
target = 500000
start = "2022-01-08"
end = 2022-01-22
province = "15"

[[campaign]]
name = "Kampanye Riau"
dose = 1
target = 1000
start = 2022-01-01
end = 2022-01-31
province = "14"
"#;

#[test]
fn campaign_targets_done_needed_and_projected() {
    // By hand from expected.json: booster (dose 3) 183.773 on 1 Jan, 259.797 on 8 Jan,
    // 358.838 on 15 Jan: 175.065 done since 1 Jan; 224.935 left in 16 days (to 31 Jan):
    // 14.058,4 → 14.059 a day; last week 99.041 in 7 days = 14.148,7 a day → 14.149;
    // 175.065 + 14.148,7 × 16 = 401.444 (100,4%).
    assert_eq!((province("2022-01-01", 3), province("2022-01-08", 3), province("2022-01-15", 3)), (183_773, 259_797, 358_838));
    // Dose 2: 1.592.413 on 8 Jan, 1.736.469 on 15 Jan: 144.056 done; 355.944 left in
    // 7 days (to 22 Jan): 50.849,1 → 50.850 a day; pace 20.579,4; 144.056 + 144.056 =
    // 288.112 (57,6%).
    assert_eq!((province("2022-01-08", 2), province("2022-01-15", 2)), (1_592_413, 1_736_469));
    let dir = tempfile::tempdir().unwrap();
    let subs = fixtures().join("submissions");
    let (code, stdout, stderr, _) = run_in(dir.path(), &[subs.to_str().unwrap()], CAMPAIGNS);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let f = flat(&text);
    assert!(f.contains("Target kampanye"), "{text}");
    assert!(
        f.contains("Booster Januari: 175.065 dari 400.000 dosis (43,8%) sejak 1 Januari 2022; perlu 14.059 dosis per hari sampai 31 Januari 2022; dengan laju minggu lalu (14.149 per hari) diperkirakan 401.444 (100,4% target) pada 31 Januari 2022."),
        "{text}"
    );
    assert!(
        f.contains("Kejar Dosis 2: 144.056 dari 500.000 dosis (28,8%) sejak 8 Januari 2022; perlu 50.850 dosis per hari sampai 22 Januari 2022; dengan laju minggu lalu (20.579 per hari) diperkirakan 288.112 (57,6% target) pada 22 Januari 2022."),
        "{text}"
    );
    // The table row: target, done, remaining, days left, needed, pace, projected.
    let row = text.lines().find(|l| l.contains("Booster Januari") && l.contains("400.000")).unwrap_or_else(|| panic!("{text}"));
    let cells = flat(row);
    assert!(cells.contains("400.000 175.065 (43,8%) 224.935 16 14.059 14.149 401.444 (100,4%)"), "{row}");
    assert!(!f.contains("Kampanye Riau"), "another province's campaign is not shown");
    // English wording.
    let (code, _, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", fixtures().join("sasaran.xlsx").to_str().unwrap(), "--out", "out-en", "--config", "sitrep.toml", "--lang", "en"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let en = flat(&pdf_text(&dir.path().join("out-en/laporan-mingguan-15-2022-01-15.pdf")));
    assert!(en.contains("Kejar Dosis 2: 144,056 of 500,000 doses (28.8%) since 8 January 2022; 50,850 doses a day needed until 22 January 2022; at last week's pace (20,579 a day) 288,112 (57.6% of the target) by 22 January 2022."), "{en}");
}

#[test]
fn no_campaign_no_section_and_bad_campaigns_are_refused() {
    let (dir, _) = run_demo("id");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    assert!(!text.contains("Target kampanye"), "no campaign configured, no section");
    let dir = tempfile::tempdir().unwrap();
    let subs = fixtures().join("submissions");
    let (code, _, stderr, _) = run_in(dir.path(), &[subs.to_str().unwrap()], "[[campaign]]\nname = \"X\"\ndose = 3\ntarget = 10\nstart = 2022-01-31\nend = 2022-01-01\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("campaign 'X': end 2022-01-01 is before start 2022-01-31"), "{stderr}");
    let (code, _, stderr, _) = run_in(dir.path(), &[subs.to_str().unwrap()], "[[campaign]]\nname = \"Y\"\ndose = 3\ntarget = 10\nstart = \"1 April\"\nend = 2022-01-01\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("'1 April' is not a date like 2022-04-30"), "{stderr}");
}

/// `deadline` in sitrep.toml: the attention list shows the people per day needed by then.
/// Kerinci, the one district under 70% for dose 1 on 15 January, still needs 10.914
/// people (expected.json); 16 days to 31 January: 682,1 → 683 a day, against last week's
/// 375 a day (so shown red, and "14 Februari 2022" stays as the date at that pace).
#[test]
fn a_deadline_gives_the_daily_rate_needed_in_the_attention_list() {
    let exp: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    let kerinci = exp["attainment"].as_array().unwrap().iter().find(|e| e["period"] == "2022-01-15" && e["district_code"] == "15.01" && e["group"] == "all" && e["dose"] == 1).unwrap();
    assert_eq!(kerinci["people_needed"], 10_914);
    let dir = tempfile::tempdir().unwrap();
    let subs = fixtures().join("submissions");
    let (code, stdout, stderr, _) = run_in(dir.path(), &[subs.to_str().unwrap()], "deadline = 2022-01-31\n");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let f = flat(&text);
    assert!(f.contains("Perlu per hari") && f.contains("s.d. 31 Jan"), "{text}");
    let row = text.lines().find(|l| l.trim_start().starts_with("KAB. KERINCI") && l.contains("10.914")).unwrap_or_else(|| panic!("{text}"));
    assert!(flat(row).contains("64,8% 10.914 375 683 14 Februari 2022"), "{row}");
    assert!(
        f.contains("KAB. KERINCI masih di bawah 70%: perlu 10.914 orang lagi untuk dosis 1; dengan laju minggu lalu tercapai 14 Februari 2022. Agar tercapai pada 31 Januari 2022 perlu 683 orang per hari."),
        "{text}"
    );
    // A deadline already past says so rather than dividing by zero.
    let (code, _, stderr, _) = run_in(dir.path(), &[subs.to_str().unwrap()], "deadline = \"2022-01-15\"\n");
    assert_eq!(code, 0, "{stderr}");
    let f = flat(&pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf")));
    assert!(f.contains("375 batas waktu") && f.contains("Batas waktu 15 Januari 2022 sudah lewat."), "{f}");
    // Without a deadline the column is not there.
    let (dir, _) = run_demo("id");
    assert!(!pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf")).contains("Perlu per hari"));
}
