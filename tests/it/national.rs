//! The national weekly report: with several provinces in the input, provinces are ranked
//! where a province's report ranks districts, from the province rows of the attainment.

use crate::common::*;
use chrono::NaiveDate;

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The reader fixtures hold five provinces (no targets): a national report is written
/// beside the five provinces' own, its dose-1 headline the sum of their figures.
#[test]
fn several_provinces_get_a_national_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let subs = root().join("fixtures/reader/submissions");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let pdf = out.join("laporan-mingguan-nasional-2022-03-12.pdf");
    assert!(pdf.exists(), "{stdout}");
    let attainment = read_attainment(&out);
    let provinces: Vec<_> = attainment.iter().filter(|r| r["period"] == "2022-03-12" && r["district_code"].is_empty() && r["group"] == "all" && r["dose"] == "1").collect();
    assert_eq!(provinces.len(), 5);
    let sum: i64 = provinces.iter().map(|r| r["vaccinated"].parse::<i64>().unwrap()).sum();
    let text = pdf_text(&pdf);
    let f = flat(&text);
    assert!(f.contains("INDONESIA (5 provinsi dalam data)"), "{text}");
    assert!(f.contains("Provinsi dengan angka untuk periode ini: 5 dari 5."), "{text}");
    let id_int = |n: i64| n.to_string().as_bytes().rchunks(3).rev().map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(".");
    assert!(f.contains(&format!("Dosis 1 {} – –", id_int(sum))), "national dose 1 = {sum}:\n{text}");
    assert!(f.contains("Peringkat provinsi: dosis 1") && f.contains("SULAWESI TENGAH") && f.contains("KALIMANTAN UTARA"), "{text}");
    // Without targets a province has no coverage: "–", not a target of 0.
    let g = sitrep::gazetteer::embedded();
    for p in &provinces {
        let name = &g.region(&p["province_code"]).unwrap().name;
        let v: i64 = p["vaccinated"].parse().unwrap();
        assert!(f.contains(&format!("– {name} {} – –", id_int(v))), "{name}:\n{text}");
    }
    assert!(!f.contains("Kabupaten/Kota"), "{text}");
    // One province: no national report.
    let (dir, _) = run_demo("id");
    assert!(!dir.path().join("out/laporan-mingguan-nasional-2022-01-15.pdf").exists());
}

/// Three provinces over two weeks, dose 1 (all groups): Jambi 700 → 750 of 1.000,
/// Sumatera Selatan 500 → 560 of 1.000, Bengkulu 800 → 900 of 2.000. Nation: 2.000 →
/// 2.210 of 4.000 (55,3%, +5,3 pp, 210 this week). Sumatera Selatan needs 140 at 60 a
/// week (8,57 a day): 17 days, 1 February; Bengkulu 500 at 100 a week: 35 days, 19 February.
#[test]
fn provinces_are_ranked_and_the_ones_below_the_threshold_listed() {
    let text = national_text(&[]);
    let f = flat(&text);
    assert!(f.contains("INDONESIA (3 provinsi dalam data)"), "{text}");
    assert!(f.contains("Dosis 1 2.210 4.000 55,3% +5,3 pp 210"), "{text}");
    assert!(f.contains("1 JAMBI 750 1.000 75,0% = 0"), "{text}");
    assert!(f.contains("2 SUMATERA SELATAN 560 1.000 56,0% = 140"), "{text}");
    assert!(f.contains("3 BENGKULU 900 2.000 45,0% = 500"), "{text}");
    assert!(f.contains("SUMATERA SELATAN masih di bawah 70%: perlu 140 orang lagi untuk dosis 1; dengan laju minggu lalu tercapai 1 Februari 2022."), "{text}");
    assert!(f.contains("BENGKULU masih di bawah 70%: perlu 500 orang lagi untuk dosis 1; dengan laju minggu lalu tercapai 19 Februari 2022."), "{text}");
    assert!(f.contains("Perlu perhatian: provinsi di bawah target") && f.contains("NASIONAL"), "{text}");
}

/// A national week's findings are hundreds (a year's bench: 1,500, 107 pages of annex):
/// the national report lists the 200 most severe, after how many of each kind; the whole
/// list is in the export and in each province's own report.
#[test]
fn the_national_annex_lists_the_most_severe_findings_after_a_count_of_each_kind() {
    use sitrep::findings::Finding;
    let mut findings: Vec<Finding> = (0..245).map(|i| Finding::warning("coverage_above_100", "sasaran.xlsx", format!("coverage above 100% in district {i}"))).collect();
    findings.extend((0..5).map(|i| Finding::error("unreadable_file", &format!("kab_{i}.xlsx"), "damaged or truncated .xlsx workbook")));
    let text = national_text(&findings);
    let f = flat(&text);
    assert!(f.contains("250 catatan; 200 yang paling berat dicantumkan di bawah ini. Daftar lengkap: export/findings.csv, dan lampiran laporan tiap provinsi."), "{text}");
    assert!(f.contains("galat unreadable_file 5 5") && f.contains("peringatan coverage_above_100 245 1"), "{text}");
    assert!((0..5).all(|i| f.contains(&format!("kab_{i}.xlsx"))), "the errors come first: {text}");
    assert_eq!(f.matches("[coverage_above_100]").count(), 195, "{text}");
    assert!(f.contains("… dan 50 catatan lainnya: lihat export/findings.csv."), "{text}");
}

/// The national report for 15 January 2022 of three provinces over two weeks, dose 1 and
/// 2 (as [`provinces_are_ranked_and_the_ones_below_the_threshold_listed`] describes),
/// with `findings`, as text.
fn national_text(findings: &[sitrep::findings::Finding]) -> String {
    use sitrep::config::Lang;
    use sitrep::report::{definition::ReportDefinition, national, weekly, AttainRow, ReportInput};
    let d = |day: u32| NaiveDate::from_ymd_opt(2022, 1, day).unwrap();
    let mut rows = Vec::new();
    for (code, before, now, target) in [("15", 700, 750, 1000), ("16", 500, 560, 1000), ("17", 800, 900, 2000)] {
        for (period, v) in [(d(8), before), (d(15), now)] {
            for dose in [1, 2] {
                let v: i64 = if dose == 1 { v } else { v * 3 / 4 };
                rows.push(AttainRow {
                    period,
                    province_code: code.into(),
                    district_code: None,
                    group: "all".into(),
                    dose,
                    vaccinated: Some(v),
                    target: Some(target),
                    coverage: Some(v as f64 / target as f64),
                    people_needed: Some(((0.7 * target as f64 - 1e-9).ceil() as i64 - v).max(0)),
                    rank: None,
                });
            }
        }
    }
    let rows = national::rows(&rows, 0.7);
    let rules = sitrep::gates::GateRules::default();
    let input = ReportInput {
        index: None,
        province_code: national::CODE,
        period: d(15),
        rows: &rows,
        findings,
        gates: &[],
        gate_rules: &rules,
        changes: None,
        app_gaps: None,
        targets_label: None,
        institutions: &[],
        compared: None,
        files: &[],
        threshold: 0.7,
        lang: Lang::Id,
        gazetteer: sitrep::gazetteer::embedded(),
        id_seed: &[1u8; 16],
    };
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("nasional.pdf");
    std::fs::write(&pdf, weekly::render(&input, &ReportDefinition::national_default().unwrap()).bytes).unwrap();
    pdf_text(&pdf)
}

/// A national targets file belongs to every province, but what it says about one
/// district is that district's province's business: Bengkulu's report lists coverage
/// above 100% in Kota Bengkulu, not in Majene (Sulawesi Barat); the national report both.
#[test]
fn a_province_report_lists_only_its_own_districts_target_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let targets = dir.path().join("sasaran.csv");
    std::fs::write(
        &targets,
        "SASARAN VAKSINASI NASIONAL;;\nNo;Kode;Kabupaten/Kota;SDMK;Petugas Publik;Lansia;Masyarakat Umum & Rentan;Remaja;Anak 6-11\n1;17.71;KOTA BENGKULU;100;100;100;100;100;100\n2;76.05;KAB. MAJENE;100;100;100;100;100;100\n",
    )
    .unwrap();
    let subs = root().join("fixtures/reader/submissions");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let bengkulu = flat(&pdf_text(&out.join("laporan-mingguan-17-2022-03-12.pdf")));
    assert!(bengkulu.contains("coverage above 100% for all dose 1 in 17.71"), "{bengkulu}");
    assert!(!bengkulu.contains("in 76.05"), "Majene's target finding in Bengkulu's report:\n{bengkulu}");
    let majene = flat(&pdf_text(&out.join("laporan-mingguan-76-2022-03-12.pdf")));
    assert!(majene.contains("in 76.05") && !majene.contains("in 17.71"), "{majene}");
    let national = flat(&pdf_text(&out.join("laporan-mingguan-nasional-2022-03-12.pdf")));
    assert!(national.contains("in 17.71") && national.contains("in 76.05"), "{national}");
}
