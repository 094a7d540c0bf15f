//! The PDFs as their readers get them: the rakor briefing pack and the weekly report's
//! monitoring and dropout sections, checked against the fixture generator's figures
//! (fixtures/jambi/expected.json), and a large province laid out without overflow.

use crate::common::*;
use chrono::NaiveDate;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn exp_row<'a>(exp: &'a Value, period: &str, district: &str, group: &str, dose: i64) -> &'a Value {
    exp["attainment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["period"] == period && e["district_code"] == district && e["group"] == group && e["dose"] == dose)
        .unwrap_or_else(|| panic!("no expected row {period} {district} {group} {dose}"))
}

fn id_int(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn id_pct(x: f64) -> String {
    format!("{:.1}%", (x * 1000.0).round() / 10.0).replace('.', ",")
}

const BULAN: [&str; 12] = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];

fn id_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{} {} {}", d.day(), BULAN[d.month0() as usize], d.year())
}

/// One page's text.
fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    let out = Command::new("pdftotext").args(["-layout", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"]).output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_count(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).expect("page count")
}

/// The outline (bookmark) titles, in file order; printpdf writes them as UTF-16BE hex.
fn bookmark_titles(pdf: &Path) -> Vec<String> {
    let bytes = std::fs::read(pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    text.match_indices("/Title<FEFF")
        .map(|(i, _)| {
            let rest = &text[i + 11..];
            let hex = &rest[..rest.find('>').unwrap()];
            let units: Vec<u16> = (0..hex.len() / 4).map(|k| u16::from_str_radix(&hex[k * 4..k * 4 + 4], 16).unwrap()).collect();
            String::from_utf16_lossy(&units)
        })
        .collect()
}

/// Every word lies inside the page, above the footer: nothing overflows.
fn assert_no_overflow(pdf: &Path) {
    let out = Command::new("pdftotext").args(["-bbox", pdf.to_str().unwrap(), "-"]).output().expect("pdftotext");
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    let attr = |line: &str, name: &str| -> f64 {
        let i = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[i..].split('"').next().unwrap().parse().unwrap()
    };
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let (x_max, y_max, x_min) = (attr(line, "xMax"), attr(line, "yMax"), attr(line, "xMin"));
        let word = line.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("");
        assert!(x_min >= 0.0 && x_max <= 595.28 - 42.0 + 1.0, "'{word}' runs past the right margin ({x_max}) in {}", pdf.display());
        assert!(y_max <= 841.89 - 14.0, "'{word}' runs off the bottom of the page ({y_max}) in {}", pdf.display());
        words += 1;
    }
    assert!(words > 100, "only {words} words in {}", pdf.display());
}

#[test]
fn the_rakor_pack_orders_districts_by_urgency_with_contents_and_bookmarks() {
    let (dir, _) = run_demo("id");
    let pdf = dir.path().join("out/rakor-15-2022-01-15.pdf");
    let exp = expected();
    // Urgency: lowest dose-1 coverage (all groups) first, as the generator computed it.
    let mut order: Vec<(f64, String)> = exp["attainment"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["period"] == "2022-01-15" && e["group"] == "all" && e["dose"] == 1)
        .map(|e| (e["coverage"].as_f64().unwrap(), e["district_code"].as_str().unwrap().to_string()))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(order.len(), 11);
    assert_eq!(order[0].1, "15.01", "Kerinci is furthest behind in the story");

    let summary = page_text(&pdf, 1);
    for needle in ["BAHAN RAPAT KOORDINASI VAKSINASI COVID-19", "PROVINSI JAMBI", "Keadaan s.d. Sabtu, 15 Januari 2022", "Daftar isi", "Halaman 1 dari 12", "1 dari 11 kabupaten/kota masih di bawah 70% untuk dosis 1: KAB. KERINCI."] {
        assert!(summary.contains(needle), "'{needle}' not on the summary page:\n{summary}");
    }
    assert_eq!(page_count(&pdf), 12, "a summary page and one page per district");

    // Each district page opens with its name, in the order of urgency, and the contents
    // table gives that page number.
    let bookmarks = bookmark_titles(&pdf);
    for (i, (_, code)) in order.iter().enumerate() {
        let page = page_text(&pdf, i + 2);
        let first = page.lines().find(|l| !l.trim().is_empty()).unwrap().trim().to_string();
        let name = first.clone();
        assert!(name.starts_with("KAB.") || name.starts_with("KOTA"), "page {} starts with '{first}'", i + 2);
        let e = exp_row(&exp, "2022-01-15", code, "all", 1);
        assert!(page.contains(&format!("Cakupan dosis 1: {}", id_pct(e["coverage"].as_f64().unwrap()))), "page {} ({name}): coverage\n{page}", i + 2);
        assert!(page.contains(&format!("peringkat {} dari 11", e["rank_in_province"])), "page {} ({name}): rank", i + 2);
        assert!(bookmarks.contains(&format!("{}. {name}", i + 1)), "no bookmark for {name}: {bookmarks:?}");
        let short = name.split(' ').take(3).collect::<Vec<_>>().join(" ");
        let toc_line = summary.lines().find(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(&format!("{} {short}", i + 1))).unwrap_or_else(|| panic!("{name} not in the contents"));
        assert!(toc_line.trim_end().ends_with(&format!(" {}", i + 2)), "contents line for {name} should end with page {}: '{toc_line}'", i + 2);
    }
}

#[test]
fn the_kerinci_page_states_its_figures_and_talking_points() {
    let (dir, _) = run_demo("id");
    let pdf = dir.path().join("out/rakor-15-2022-01-15.pdf");
    let page = page_text(&pdf, 2);
    let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let exp = expected();
    let now = exp_row(&exp, "2022-01-15", "15.01", "all", 1);
    let before = exp_row(&exp, "2022-01-08", "15.01", "all", 1);
    let needed = now["people_needed"].as_i64().unwrap();
    let gain = now["vaccinated"].as_i64().unwrap() - before["vaccinated"].as_i64().unwrap();
    // At last week's pace (people per day over the 7 days), rounded up to whole days.
    let days = (needed as f64 / (gain as f64 / 7.0)).ceil() as u64;
    let reached = NaiveDate::from_ymd_opt(2022, 1, 15).unwrap() + chrono::Days::new(days);
    let point = format!("KAB. KERINCI masih di bawah 70%: perlu {} orang lagi untuk dosis 1; dengan laju minggu lalu tercapai {}.", id_int(needed), id_date(reached));
    assert!(flat.contains(&point), "talking point '{point}' missing:\n{page}");
    assert!(flat.contains(&format!("Minggu ini {} orang mendapat dosis 1", id_int(gain))), "{page}");
    assert!(flat.contains("Peringkat 11 dari 11 kabupaten/kota untuk dosis 1, sama dengan minggu lalu."), "{page}");
    // Figures by group: the elderly's dose-1 count and coverage; the dose-2 gap.
    let lansia = exp_row(&exp, "2022-01-15", "15.01", "lansia", 1);
    assert!(flat.contains(&id_int(lansia["vaccinated"].as_i64().unwrap())) && flat.contains(&id_pct(lansia["coverage"].as_f64().unwrap())), "{page}");
    let d2 = exp_row(&exp, "2022-01-15", "15.01", "all", 2);
    assert!(flat.contains(&format!("perlu {} orang lagi untuk dosis 2", id_int(d2["people_needed"].as_i64().unwrap()))), "{page}");
    // Dose 1 → dose 2 dropout, above the 20% level of reports/rakor.toml.
    let d1v = now["vaccinated"].as_i64().unwrap();
    let d2v = d2["vaccinated"].as_i64().unwrap();
    let share = (d1v - d2v) as f64 / d1v as f64;
    assert!(flat.contains(&format!("Putus dosis 1 → dosis 2: {} ({} orang belum mendapat dosis 2)", id_pct(share), id_int(d1v - d2v))), "{page}");
    for heading in ["Capaian per kelompok sasaran dan dosis", "Perkembangan cakupan per minggu", "Poin pembicaraan", "1 Jan", "8 Jan", "15 Jan"] {
        assert!(flat.contains(heading), "'{heading}' missing:\n{page}");
    }
    // A district above the threshold says so.
    let last = page_text(&pdf, 12).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(last.contains("KOTA JAMBI sudah mencapai 70% untuk dosis 1"), "{last}");
    assert_no_overflow(&pdf);
}

#[test]
fn the_rakor_pack_in_english() {
    let (dir, _) = run_demo("en");
    let pdf = dir.path().join("out/rakor-15-2022-01-15.pdf");
    let text = pdf_text(&pdf).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in ["COVID-19 VACCINATION COORDINATION MEETING BRIEFING", "Contents: districts by urgency", "KAB. KERINCI is still below 70%:", "more people needed for dose 1", "Talking points", "Page 2 of 12"] {
        assert!(text.contains(needle), "'{needle}' missing");
    }
}

#[test]
fn the_weekly_report_has_the_monitoring_chart_and_dropout() {
    let (dir, _) = run_demo("id");
    let pdf = dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf");
    let text = pdf_text(&pdf);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let exp = expected();
    let prov = |period: &str, dose: i64| {
        exp["province"].as_array().unwrap().iter().find(|e| e["period"] == period && e["group"] == "all" && e["dose"] == dose).unwrap().clone()
    };
    assert!(flat.contains("Pemantauan cakupan kumulatif provinsi"), "{text}");
    assert!(flat.contains("(3 minggu dalam data masukan)"), "{text}");
    // The chart writes the latest province coverage beside each line.
    for dose in [1, 2, 3] {
        let e = prov("2022-01-15", dose);
        let cov = e["vaccinated"].as_f64().unwrap() / e["target"].as_f64().unwrap();
        assert!(flat.contains(&id_pct(cov)), "province dose {dose} coverage {} missing", id_pct(cov));
    }
    let (d1, d2) = (prov("2022-01-15", 1)["vaccinated"].as_i64().unwrap(), prov("2022-01-15", 2)["vaccinated"].as_i64().unwrap());
    let share = (d1 - d2) as f64 / d1 as f64;
    assert!(flat.contains(&format!("PROVINSI {} {} {} {}", id_int(d1), id_int(d2), id_int(d1 - d2), id_pct(share))), "province dropout row missing:\n{text}");
    assert!(flat.contains("Putus dosis (dosis 1 − dosis 2) ÷ dosis 1. Di atas batas 20%:"), "{text}");
    assert_no_overflow(&pdf);
}

/// A province with many districts (Jawa Timur: 38) fits: tables continue, pages do
/// not overflow, every district gets its page and its line in the contents.
#[test]
fn a_large_province_fits_on_the_page() {
    use sitrep::config::Lang;
    use sitrep::report::{definition::ReportDefinition, rakor, weekly, AttainRow, ReportInput};
    let gazetteer = sitrep::gazetteer::embedded();
    let codes: Vec<String> = gazetteer.districts_of("35").map(|r| r.code.clone()).collect();
    assert!(codes.len() >= 35, "{} districts", codes.len());
    let periods: Vec<NaiveDate> = [1, 8, 15].iter().map(|d| NaiveDate::from_ymd_opt(2022, 1, *d).unwrap()).collect();
    let mut rows = Vec::new();
    for (w, period) in periods.iter().enumerate() {
        for dose in 1..=3 {
            for group in ["all", "lansia"] {
                let mut cov: Vec<(usize, f64)> = Vec::new();
                for (i, _) in codes.iter().enumerate() {
                    let base = 0.5 + (i as f64 * 0.37).sin().abs() * 0.4 - dose as f64 * 0.12 + w as f64 * 0.02;
                    cov.push((i, base.max(0.01)));
                }
                let mut sorted = cov.clone();
                sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
                for (i, c) in &cov {
                    let target = 100_000 + *i as i64 * 7_919;
                    let vacc = (c * target as f64) as i64;
                    let rank = sorted.iter().position(|(k, _)| k == i).unwrap() as i32 + 1;
                    rows.push(AttainRow {
                        period: *period,
                        province_code: "35".into(),
                        district_code: Some(codes[*i].as_str().into()),
                        group: group.into(),
                        dose,
                        vaccinated: Some(vacc),
                        target: Some(target),
                        coverage: Some(vacc as f64 / target as f64),
                        people_needed: Some(((0.7 * target as f64).ceil() as i64 - vacc).max(0)),
                        rank: Some(rank),
                    });
                }
            }
            let (v, t): (i64, i64) = rows.iter().filter(|r| r.period == *period && r.dose == dose && r.group == "all").fold((0, 0), |a, r| (a.0 + r.vaccinated.unwrap(), a.1 + r.target.unwrap()));
            rows.push(AttainRow { period: *period, province_code: "35".into(), district_code: None, group: "all".into(), dose, vaccinated: Some(v), target: Some(t), coverage: Some(v as f64 / t as f64), people_needed: None, rank: None });
        }
    }
    let gate_rules = sitrep::gates::GateRules::default();
    let gates = sitrep::gates::compute(&rows, &gate_rules);
    let input = ReportInput {
        index: None,
        province_code: "35",
        period: periods[2],
        rows: &rows,
        findings: &[],
        gates: &gates,
        gate_rules: &gate_rules,
        changes: None,
        app_gaps: None,
        targets_label: Some("test targets v1"),
        institutions: &[],
        compared: None,
        files: &[],
        threshold: 0.7,
        lang: Lang::Id,
        gazetteer,
        id_seed: &[7u8; 16],
    };
    let dir = tempfile::tempdir().unwrap();
    let rakor_pdf = dir.path().join("rakor.pdf");
    let rakor_rendered = rakor::render(&input, &ReportDefinition::rakor_default().unwrap());
    std::fs::write(&rakor_pdf, &rakor_rendered.bytes).unwrap();
    let weekly_pdf = dir.path().join("weekly.pdf");
    let weekly_rendered = weekly::render(&input, &ReportDefinition::weekly_default().unwrap());
    std::fs::write(&weekly_pdf, &weekly_rendered.bytes).unwrap();
    assert_no_overflow(&rakor_pdf);
    assert_no_overflow(&weekly_pdf);
    let pages = page_count(&rakor_pdf);
    // `--timings` shows the cost per page from the pages each render counts: a viewer's count.
    assert_eq!((rakor_rendered.pages, weekly_rendered.pages), (pages, page_count(&weekly_pdf)));
    // The fonts are parsed once in a process, however many PDFs it renders (this test
    // binary renders dozens).
    assert_eq!(sitrep::report::fonts::parsed().0, sitrep::report::fonts::SHIPPED);
    assert!(pages > codes.len() && pages <= codes.len() + 3, "{pages} pages for {} districts", codes.len());
    let bookmarks = bookmark_titles(&rakor_pdf);
    for code in &codes {
        let name = &gazetteer.region(code).unwrap().name;
        assert!(bookmarks.iter().any(|b| b.ends_with(&format!(". {name}"))), "no page for {name}");
    }
    // The contents continue onto a second page with the header repeated.
    let second = page_text(&rakor_pdf, 2);
    let contents_continue = !second.contains("Capaian per kelompok");
    if contents_continue {
        assert!(second.contains("Kabupaten/Kota") && second.contains("Halaman"), "{second}");
    }
    // Each district's line in the contents, on whichever of its pages, ends with the page
    // its own page is: the page whose first line is its name.
    let opening: std::collections::BTreeMap<String, usize> = (1..=pages).map(|p| (page_text(&rakor_pdf, p).lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string(), p)).collect();
    let first = page_text(&rakor_pdf, 1);
    let contents = format!("{}{}", &first[first.find("Daftar isi").expect("contents")..], if contents_continue { second.as_str() } else { "" });
    let mut listed = 0;
    for (n, name) in bookmarks.iter().filter_map(|b| b.split_once(". ")).filter(|(n, _)| n.parse::<usize>().is_ok()) {
        let page = opening[name];
        let line = contents.lines().find(|l| l.trim_start().starts_with(&format!("{n} "))).unwrap_or_else(|| panic!("{n}. {name} not in the contents"));
        assert!(line.trim_end().ends_with(&format!(" {page}")), "contents line {n} ({name}) should end with page {page}: '{line}'");
        listed += 1;
    }
    assert_eq!(listed, codes.len());
    // A run gives the reports only the rows they read (earlier weeks' other groups left
    // out): the same PDFs, byte for byte.
    let mut kept = rows.clone();
    sitrep::report::keep_rows_read(&mut kept, periods[2]);
    assert!(kept.len() < rows.len() && kept.iter().any(|r| r.period == periods[0]), "{} of {} rows kept", kept.len(), rows.len());
    let (rakor_all, weekly_all) = (std::fs::read(&rakor_pdf).unwrap(), std::fs::read(&weekly_pdf).unwrap());
    let input = ReportInput { rows: &kept, ..input };
    assert!(rakor::render(&input, &ReportDefinition::rakor_default().unwrap()).bytes == rakor_all, "the rakor pack differs with the rows the reports read");
    assert!(weekly::render(&input, &ReportDefinition::weekly_default().unwrap()).bytes == weekly_all, "the weekly report differs with the rows the reports read");
}

/// The data-quality checks: every district, group and dose above 100% in the report's
/// period (per the generator) becomes a finding at the target's cell, in the export and
/// in the annex; the generator never lets counts fall or dose 2 pass dose 1.
#[test]
fn data_quality_checks_reach_the_export_and_the_annex() {
    let (dir, _) = run_demo("id");
    let findings = read_csv(&dir.path().join("out/export/findings.csv"));
    let exp = expected();
    let above: Vec<&Value> = exp["attainment"].as_array().unwrap().iter().filter(|e| e["period"] == "2022-01-15" && e["coverage"].as_f64().unwrap() > 1.0).collect();
    assert!(!above.is_empty(), "the demo data has coverage above 100% (health workers)");
    let got: Vec<_> = findings.iter().filter(|f| f["code"] == "coverage_above_100").collect();
    assert_eq!(got.len(), above.len(), "{got:?}");
    for e in above {
        let msg = format!("for {} dose {} in {} on 2022-01-15: {} vaccinated, target {}", e["group"].as_str().unwrap(), e["dose"], e["district_code"].as_str().unwrap(), e["vaccinated"], e["target"]);
        let f = got.iter().find(|f| f["message"].contains(&msg)).unwrap_or_else(|| panic!("no finding '{msg}'"));
        assert!(f["source"].ends_with("sasaran.xlsx") && !f["cell"].is_empty(), "{f:?}");
    }
    assert!(!findings.iter().any(|f| f["code"] == "count_went_down" || f["code"] == "dose2_above_dose1"));
    let annex = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    assert!(annex.contains("[coverage_above_100]"), "{annex}");
}

/// Copies the demo submissions with chosen file times: every 15 January file on time
/// (16.00 WIB), Kerinci's at 19.05 WIB, and Tebo's left out.
fn demo_with_file_times() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let on_time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_642_237_200); // 2022-01-15T09:00:00Z
    let late = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_642_248_300); // 2022-01-15T12:05:00Z
    for entry in walkdir::WalkDir::new(fixtures().join("submissions")) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(fixtures()).unwrap();
        let to = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        if name == "REKAP VAKSIN TEBO 15-01-2022.csv" {
            continue;
        }
        std::fs::copy(entry.path(), &to).unwrap();
        let when = if name == "rekap_kerinci_2022-01-15.xlsx" { late } else { on_time };
        std::fs::File::options().write(true).open(&to).unwrap().set_modified(when).unwrap();
    }
    dir
}

#[test]
fn completeness_and_timeliness_against_the_17_00_wib_cut_off() {
    let dir = demo_with_file_times();
    let out = dir.path().join("out");
    let targets = fixtures().join("sasaran.xlsx");
    let (code, stdout, stderr) = sitrep(&["run", "submissions", "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = pdf_text(&out.join("laporan-mingguan-15-2022-01-15.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Kabupaten/kota yang melapor: 10 dari 11 (tepat waktu 9, terlambat 1; batas 17.00 WIB)"), "{text}");
    assert!(flat.contains("Batas pengiriman: 15 Januari 2022 17.00 WIB. Tepat waktu 9, terlambat 1, waktu tidak diketahui 0, belum mengirim 1 (dari 11)."), "{text}");
    let row = |name: &str| text.lines().find(|l| l.trim_start().starts_with(name) && (l.contains("terlambat") || l.contains("tepat waktu") || l.contains("belum mengirim"))).unwrap_or_else(|| panic!("no row for {name}:\n{text}")).to_string();
    assert!(row("KAB. TEBO").contains("belum mengirim"));
    let kerinci = row("KAB. KERINCI");
    assert!(kerinci.contains("rekap_kerinci_2022-01-15.xlsx") && kerinci.contains("15 Januari 2022 19.05") && kerinci.contains("terlambat 2 jam 5 menit"), "{kerinci}");
    assert!(row("KOTA JAMBI").contains("16.00") && row("KOTA JAMBI").contains("tepat waktu"));
    let manifest = std::fs::read_to_string(out.join("export/manifest.json")).unwrap();
    assert!(manifest.contains("\"received\":\"2022-01-15T12:05:00Z\"") || manifest.contains("\"received\": \"2022-01-15T12:05:00Z\""), "received time in the manifest");
}

/// A report on a past week (`--period`) of a folder holding later weeks too: the files
/// of earlier weeks are history, those of later weeks are counted apart, not called
/// earlier.
#[test]
fn a_report_on_a_past_week_counts_the_earlier_and_later_weeks_files_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // The text of Jambi's weekly report on `period`, its lines joined.
    let report_on = |period: &str| {
        let args = ["run", "submissions", "--targets", "sasaran.xlsx", "--period", period, "--out", out.to_str().unwrap(), "--quiet"];
        let (code, stdout, stderr) = sitrep(&args, &fixtures());
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        pdf_text(&out.join(format!("laporan-mingguan-15-{period}.pdf"))).split_whitespace().collect::<Vec<_>>().join(" ")
    };
    // 11 files dated 1 January, 11 dated 15 January (and 2 of that folder without a date, listed).
    let text = report_on("2022-01-08");
    assert!(text.contains("Berkas untuk 8 Januari 2022 (11 berkas minggu sebelumnya dibaca sebagai riwayat; 11 berkas minggu sesudahnya juga dibaca)."), "{text}");
    // The first week's report has no earlier weeks, the latest none later.
    let text = report_on("2022-01-01");
    assert!(text.contains("Berkas untuk 1 Januari 2022 (22 berkas minggu sesudahnya juga dibaca)."), "{text}");
    let text = report_on("2022-01-15");
    assert!(text.contains("Berkas untuk 15 Januari 2022 (22 berkas minggu sebelumnya dibaca sebagai riwayat)."), "{text}");
}
