//! `sitrep init`: a working folder in which `sitrep run` needs no flags.

use crate::common::*;
use calamine::Data;
use sitrep::gazetteer::Region;
use sitrep::layout::vocab::Group;

fn text(d: Option<&Data>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn target(d: &Region, g: Group) -> Option<i64> {
    let n: i64 = d.code[3..].parse().unwrap();
    Some(10_000 + 1000 * n + Group::SPECIFIC.iter().position(|x| *x == g).unwrap() as i64)
}

#[test]
fn init_makes_a_folder_where_run_needs_no_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = sitrep(&["init", "kerja", "--province", "15", "--period", "2022-01-15"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let work = dir.path().join("kerja");
    for f in ["sitrep.toml", "sasaran.xlsx", "README.md", "templat/2022-01-15/rekap-vaksinasi-15.01-kab-kerinci-2022-01-15.xlsx"] {
        assert!(work.join(f).is_file(), "{f} missing");
    }
    assert!(work.join("submissions/2022-01-15").is_dir());
    assert!(stdout.contains("sitrep run"), "says what to do next: {stdout}");
    let readme = std::fs::read_to_string(work.join("README.md")).unwrap();
    assert!(readme.contains("Setiap minggu") && readme.contains("`sitrep run`"), "{readme}");
    let toml = std::fs::read_to_string(work.join("sitrep.toml")).unwrap();
    assert!(toml.contains("threshold = 70") && toml.contains("[aliases]"), "{toml}");

    // The targets workbook: the province's districts with their codes, targets to fill.
    let sheet = xlsx_sheet(&work.join("sasaran.xlsx"), "Sasaran");
    let header: Vec<String> = (0..10).map(|c| text(sheet.get_value((2, c)))).collect();
    assert_eq!(header, ["No", "Kode", "Kabupaten/Kota", "SDMK", "Petugas Publik", "Lansia", "Masyarakat Umum & Rentan", "Remaja", "Anak 6-11", "Total"]);
    let districts: Vec<&Region> = sitrep::gazetteer::embedded().districts_of("15").collect();
    assert_eq!(districts.len(), 11);
    for (i, d) in districts.iter().enumerate() {
        let r = 3 + i as u32;
        assert_eq!(text(sheet.get_value((r, 1))), d.code);
        assert_eq!(text(sheet.get_value((r, 2))), d.name);
        assert_eq!(text(sheet.get_value((r, 3))), "", "target cells start empty");
    }

    // Run with the empty targets: reports are written and the finding says what to do.
    std::fs::copy(fixtures().join("submissions/2022-01-15/rekap_kerinci_2022-01-15.xlsx"), work.join("submissions/2022-01-15/kerinci.xlsx")).unwrap();
    let (code, stdout, stderr) = sitrep(&["run"], &work);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("fill in its target cells"), "{stdout}");

    // Fill the targets as a user would, add the rest of the week, run again: no flags.
    let g = sitrep::gazetteer::embedded();
    std::fs::write(work.join("sasaran.xlsx"), sitrep::workspace::targets_workbook(g, g.region("15").unwrap(), Some(&target)).unwrap()).unwrap();
    for e in std::fs::read_dir(fixtures().join("submissions/2022-01-15")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, work.join("submissions/2022-01-15").join(p.file_name().unwrap())).unwrap();
    }
    let (code, stdout, stderr) = sitrep(&["run"], &work);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(work.join("out/laporan-mingguan-15-2022-01-15.pdf").is_file());
    assert!(work.join("out/export/sitrep-15-2022-01-15.xlsx").is_file());
    let findings = read_csv(&work.join("out/export/findings.csv"));
    // Reading findings only: the test's targets are made up, so coverage above 100% is
    // rightly reported against them by the plausibility check.
    assert!(!findings.iter().any(|f| f["source"].contains("sasaran") && f["code"] != "coverage_above_100"), "the filled targets read cleanly: {findings:?}");
    let targets = read_csv(&work.join("out/export/targets.csv"));
    let lansia = targets.iter().find(|t| t["district_code"] == "15.71" && t["group"] == "lansia").expect("Kota Jambi lansia target");
    assert_eq!(lansia["target"], target(g.region("15.71").unwrap(), Group::Lansia).unwrap().to_string());
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(work.join("out/export/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["configuration"]["config_file"], "sitrep.toml");
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 14);

    // The whole working folder as the submissions: its targets, blank templates and
    // output folder are sitrep's own, not submissions; the same files are read.
    let toml = std::fs::read_to_string(work.join("sitrep.toml")).unwrap();
    std::fs::write(work.join("sitrep.toml"), toml.replace("submissions = \"submissions\"", "submissions = \".\"")).unwrap();
    let (code, again, stderr) = sitrep(&["run"], &work);
    assert_eq!(code, 0, "{again}{stderr}");
    assert!(!again.contains("templat"), "{again}");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(work.join("out/export/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 14);

    // A second init does not overwrite the folder.
    let (code, _, err) = sitrep(&["init", "kerja", "--province", "15"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("already has a sitrep.toml"), "{err}");
}

#[test]
fn run_without_submissions_outside_a_working_folder_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = sitrep(&["run"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("sitrep init"), "{err}");
}
