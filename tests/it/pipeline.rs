//! The demo province end to end, against figures computed by the fixture generator
//! (fixtures/make_fixtures.py), not by sitrep.

use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn key(r: &HashMap<String, String>) -> (String, String, String, String) {
    (r["period"].clone(), r["district_code"].clone(), r["group"].clone(), r["dose"].clone())
}

#[test]
fn figures_per_district_group_and_dose_match_the_generator() {
    let (dir, _) = run_demo("id");
    let rows = read_attainment(&dir.path().join("out"));
    let by_key: HashMap<_, _> = rows.iter().map(|r| (key(r), r)).collect();
    let exp = expected();
    let list = exp["attainment"].as_array().unwrap();
    assert!(list.len() > 600);
    for e in list {
        let k = (
            e["period"].as_str().unwrap().to_string(),
            e["district_code"].as_str().unwrap().to_string(),
            e["group"].as_str().unwrap().to_string(),
            e["dose"].to_string(),
        );
        let got = by_key.get(&k).unwrap_or_else(|| panic!("no attainment row for {k:?}"));
        assert_eq!(got["vaccinated"], e["vaccinated"].to_string(), "vaccinated {k:?}");
        assert_eq!(got["target"], e["target"].to_string(), "target {k:?}");
        let cov: f64 = got["coverage"].parse().unwrap();
        assert!((cov - e["coverage"].as_f64().unwrap()).abs() < 1e-9, "coverage {k:?}: {cov} vs {}", e["coverage"]);
        assert_eq!(got["people_needed"], e["people_needed"].to_string(), "people needed {k:?}");
        assert_eq!(got["rank_in_province"], e["rank_in_province"].to_string(), "rank {k:?}");
        assert_eq!(got["threshold"], "0.7");
    }
    // The province rows (district_code empty).
    for e in exp["province"].as_array().unwrap() {
        let k = (e["period"].as_str().unwrap().to_string(), String::new(), e["group"].as_str().unwrap().to_string(), e["dose"].to_string());
        let got = by_key.get(&k).unwrap_or_else(|| panic!("no province row for {k:?}"));
        assert_eq!(got["vaccinated"], e["vaccinated"].to_string(), "province {k:?}");
        assert_eq!(got["target"], e["target"].to_string(), "province target {k:?}");
    }
}

#[test]
fn every_row_is_accounted_for_per_file() {
    let (dir, stdout) = run_demo("id");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/export/manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    let exp = expected();
    let files = exp["files"].as_object().unwrap();
    assert_eq!(inputs.len(), files.len(), "every input file is in the manifest");
    for (rel, e) in files {
        let got = inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(rel.as_str()))
            .unwrap_or_else(|| panic!("{rel} missing from the manifest"));
        let status = if e["status"] == "ok" { "ok" } else { "error" };
        assert_eq!(got["status"], status, "{rel}");
        for k in ["rows_accepted", "rows_totals", "rows_rejected"] {
            assert_eq!(got[k], e[k], "{k} of {rel}");
        }
        if !e["district_code"].is_null() {
            assert_eq!(got["district_code"], e["district_code"], "{rel}");
        }
        assert_eq!(got["sha256"].as_str().unwrap().len(), 64);
    }
    assert!(stdout.contains("rows accepted"), "{stdout}");
    // Every output is listed with the hash and size of the file written (the large
    // tables are hashed as they are streamed to disk).
    let outputs = manifest["outputs"].as_array().unwrap();
    // The canonical table: one Parquet file and one CSV per period, its rows all there.
    for period in ["2022-01-01", "2022-01-08", "2022-01-15"] {
        assert!(outputs.iter().any(|o| o["path"] == format!("export/observations/{period}.parquet")), "{period}");
        assert!(outputs.iter().any(|o| o["path"] == format!("export/observations_csv/{period}.csv")), "{period}");
    }
    let partitions = manifest["observation_partitions"].as_array().unwrap();
    let rows: u64 = partitions.iter().map(|p| p["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, manifest["totals"]["observations"].as_u64().unwrap());
    assert_eq!(rows as usize, read_observations(&dir.path().join("out")).len());
    for o in outputs {
        let bytes = std::fs::read(dir.path().join("out").join(o["path"].as_str().unwrap())).unwrap();
        assert_eq!(o["sha256"].as_str().unwrap(), sitrep::export::sha256_hex(&bytes), "{}", o["path"]);
        assert_eq!(o["bytes"].as_u64().unwrap(), bytes.len() as u64, "{}", o["path"]);
    }
}

#[test]
fn broken_files_become_findings_that_name_file_sheet_and_cell() {
    let (dir, stdout) = run_demo("id");
    let findings = read_csv(&dir.path().join("out/export/findings.csv"));
    let has = |code: &str, file: &str| findings.iter().find(|f| f["code"] == code && f["source"].contains(file));
    let mismatch = has("total_mismatch", "rekap batanghari 15.01.2022.xlsx").expect("totals mismatch finding");
    assert!(mismatch["message"].contains("15735") && mismatch["message"].contains("15635"), "{mismatch:?}");
    assert!(!mismatch["cell"].is_empty() && !mismatch["sheet"].is_empty());
    let unknown = has("unknown_district", "rekap_kerinchi").expect("unknown district finding");
    assert!(unknown["message"].contains("KERINCHI") && unknown["message"].contains("KAB. KERINCI (15.01)"), "{unknown:?}");
    let broken = has("unreadable_file", "rekap_bungo_revisi.xlsx").expect("unreadable file finding");
    assert_eq!(broken["severity"], "error");
    assert!(stdout.contains("rekap_bungo_revisi.xlsx"), "{stdout}");
}

#[test]
fn the_weekly_report_reads_as_a_governor_would_expect() {
    let (dir, _) = run_demo("id");
    let pdf = dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf");
    let text = pdf_text(&pdf);
    for needle in [
        "LAPORAN SITUASI MINGGUAN VAKSINASI COVID-19",
        "PROVINSI JAMBI",
        "Keadaan s.d. Sabtu, 15 Januari 2022",
        "KAB. KERINCI",
        "KOTA SUNGAI PENUH",
        "Perlu perhatian",
        "Lampiran",
        "Halaman 1 dari",
        "rekap_bungo_revisi.xlsx",
    ] {
        assert!(text.contains(needle), "'{needle}' not in the PDF text:\n{text}");
    }
    // Kerinci's dose-1 coverage and people needed, written the Indonesian way.
    let exp = expected();
    let k = exp["attainment"].as_array().unwrap().iter().find(|e| e["period"] == "2022-01-15" && e["district_code"] == "15.01" && e["group"] == "all" && e["dose"] == 1).unwrap();
    let cov = format!("{:.1}%", (k["coverage"].as_f64().unwrap() * 1000.0).round() / 10.0).replace('.', ",");
    let needed = k["people_needed"].as_i64().unwrap();
    let needed_id = format!("{}.{:03}", needed / 1000, needed % 1000);
    assert!(text.contains(&cov), "coverage {cov} not in the PDF");
    assert!(text.contains(&needed_id), "people needed {needed_id} not in the PDF");
    assert!(text.contains(&format!("KAB. KERINCI masih di bawah 70%: perlu {needed_id} orang lagi")), "talking point missing:\n{text}");
}

#[test]
fn english_on_request() {
    let (dir, _) = run_demo("en");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    assert!(text.contains("WEEKLY COVID-19 VACCINATION SITUATION REPORT"));
    assert!(text.contains("As of Saturday, 15 January 2022"));
    assert!(text.contains("Page 1 of"));
}

#[test]
fn the_same_inputs_give_byte_identical_outputs() {
    let (a, _) = run_demo("id");
    let (b, _) = run_demo("id");
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(a.path().join("out")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(a.path()).unwrap();
        let other = b.path().join(rel);
        assert_eq!(std::fs::read(entry.path()).unwrap(), std::fs::read(&other).unwrap(), "{} differs between runs", rel.display());
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} outputs");
}

#[test]
fn exit_status_for_nothing_to_do_and_strict() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = sitrep(&["run", "does-not-exist"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does-not-exist"));
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let out = dir.path().join("out");
    let (code, _, _) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--strict", "-q"], dir.path());
    assert_eq!(code, 1, "the demo week has error findings, so --strict exits 1");
}

#[test]
fn targets_in_long_form_give_the_same_figures() {
    // The demo's targets rewritten as one row per district and group (semicolon CSV,
    // Indonesian numbers): attainment must not change.
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = run_demo("id");
    let wide = read_csv(&a.path().join("out/export/targets.csv"));
    let mut long = String::from("TARGET SASARAN VAKSINASI PROVINSI JAMBI\nKode Wilayah;Kabupaten/Kota;Kelompok Sasaran;Jumlah Sasaran\n");
    let label = |g: &str| match g {
        "sdmk" => "SDM Kesehatan",
        "petugas_publik" => "Petugas Publik",
        "lansia" => "Lansia",
        "umum_rentan" => "Masyarakat Umum & Rentan",
        "remaja" => "Remaja 12-17",
        "anak" => "Anak 6-11",
        _ => "",
    };
    for t in wide.iter().filter(|t| t["group"] != "all") {
        let n: i64 = t["target"].parse().unwrap();
        long.push_str(&format!("{};{};{};{}\n", t["district_code"], t["district_code"], label(&t["group"]), sitrep::report::locale::int(n, sitrep::config::Lang::Id)));
    }
    std::fs::write(dir.path().join("sasaran_panjang.csv"), long).unwrap();
    let subs = fixtures().join("submissions");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", "sasaran_panjang.csv", "--out", "out", "-q"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let attainment = |p: &std::path::Path| {
        let mut rows: Vec<(String, String, String, String, String)> =
            read_attainment(p).into_iter().map(|r| (r["period"].clone(), r["district_code"].clone(), r["group"].clone(), r["dose"].clone(), r["target"].clone())).collect();
        rows.sort();
        rows
    };
    assert_eq!(attainment(&dir.path().join("out")), attainment(&a.path().join("out")));
}

#[test]
fn target_groups_by_dose_are_charted_as_well_as_tabled() {
    let (dir, _) = run_demo("id");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let exp = expected();
    let p = exp["province"].as_array().unwrap().iter().find(|e| e["period"] == "2022-01-15" && e["group"] == "lansia" && e["dose"] == 3).unwrap();
    let pct = format!("{:.1}%", (p["coverage"].as_f64().unwrap() * 1000.0).round() / 10.0).replace('.', ",");
    // Once in the table, once as the bar's label.
    assert!(text.matches(pct.as_str()).count() >= 2, "{pct} should label a bar too:\n{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Dosis 1 Dosis 2 Dosis 3 (booster)"), "chart legend missing");
}

#[test]
fn a_second_target_version_is_compared_in_an_annex() {
    // The demo's targets doubled, as a second version: coverage under it is halved.
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = run_demo("id");
    let mut csv = String::from("SASARAN VERSI B\nKode;Kabupaten/Kota;SDMK;Petugas Publik;Lansia;Masyarakat Umum & Rentan;Remaja;Anak 6-11\n");
    let wide = read_csv(&a.path().join("out/export/targets.csv"));
    let mut by_district: std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>> = Default::default();
    for t in &wide {
        by_district.entry(t["district_code"].clone()).or_default().insert(t["group"].clone(), t["target"].parse::<i64>().unwrap() * 2);
    }
    for (d, g) in &by_district {
        let v = |k: &str| g.get(k).copied().unwrap_or(0).to_string();
        csv.push_str(&format!("{d};{d};{};{};{};{};{};{}\n", v("sdmk"), v("petugas_publik"), v("lansia"), v("umum_rentan"), v("remaja"), v("anak")));
    }
    std::fs::write(dir.path().join("sasaran_b.csv"), csv).unwrap();
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--targets", "sasaran_b.csv", "--out", "out", "-q"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = pdf_text(&dir.path().join("out/laporan-mingguan-15-2022-01-15.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("cakupan menurut versi sasaran lain"), "{flat}");
    let exp = expected();
    let k = exp["attainment"].as_array().unwrap().iter().find(|e| e["period"] == "2022-01-15" && e["district_code"] == "15.01" && e["group"] == "all" && e["dose"] == 1).unwrap();
    let pct = |c: f64| format!("{:.1}%", (c * 1000.0).round() / 10.0).replace('.', ",");
    let used = pct(k["coverage"].as_f64().unwrap());
    let halved = pct(k["vaccinated"].as_f64().unwrap() / (2.0 * k["target"].as_f64().unwrap()));
    assert!(flat.contains(&format!("KAB. KERINCI {used} {halved}")), "Kerinci {used} / {halved} not in:\n{flat}");
    // The figures used by the rest of the report are those of the first targets.
    let rows = read_attainment(&dir.path().join("out"));
    let got = rows.iter().find(|r| r["period"] == "2022-01-15" && r["district_code"] == "15.01" && r["group"] == "all" && r["dose"] == "1").unwrap();
    assert_eq!(got["target"], k["target"].to_string());
}

/// An export file that cannot be written stops the run with an error naming it, and the
/// manifest (written beside the other files) is not written over: the run does not wait
/// for the file forever.
#[test]
fn an_export_file_that_cannot_be_written_is_named_and_no_manifest_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A folder, not empty, where the gates' CSV goes.
    std::fs::create_dir_all(out.join("export/ppkm_gates.csv/taken")).unwrap();
    let subs = fixtures().join("submissions");
    let targets = fixtures().join("sasaran.xlsx");
    let (code, stdout, stderr) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"], dir.path());
    assert_ne!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("ppkm_gates.csv"), "{stderr}");
    assert!(!out.join("export/manifest.json").exists(), "a manifest was written for an export that was not");
}

/// A working folder where everything sits together (the targets workbook, the receipts
/// log, the output folder with its cache, the archive, all in the submissions folder):
/// sitrep reads only the submissions, on the first run and on the next, when its own
/// export is there; the figures are those of a run over the submissions alone. The
/// targets named among files given one by one are not read as one either. An output
/// folder that is the submissions folder itself is refused.
#[test]
fn the_runs_own_files_in_the_submissions_folder_are_not_read_as_submissions() {
    let (dir, subs) = crate::archive::copied_submissions();
    for f in ["sasaran.xlsx", "receipts.csv"] {
        std::fs::copy(fixtures().join(f), subs.join(f)).unwrap();
    }
    let together = ["run", ".", "--targets", "sasaran.xlsx", "--receipts", "receipts.csv", "--out", "laporan", "--archive", "arsip", "--quiet"];
    let apart_out = dir.path().join("apart");
    let (t, r) = (fixtures().join("sasaran.xlsx"), fixtures().join("receipts.csv"));
    let apart = ["run", ".", "--targets", t.to_str().unwrap(), "--receipts", r.to_str().unwrap(), "--out", apart_out.to_str().unwrap(), "--quiet"];
    let (code, alone, err) = sitrep(&apart, &fixtures().join("submissions"));
    assert_eq!(code, 0, "{err}");
    assert!(alone.contains("sitrep: 35 files, 807 rows accepted"), "{alone}");
    for run in ["first", "second"] {
        let (code, stdout, err) = sitrep(&together, &subs);
        assert_eq!(code, 0, "{err}");
        assert_eq!(stdout, alone, "the {run} run with its own files among the submissions");
        assert!(read_attainment(&subs.join("laporan")) == read_attainment(&apart_out), "the {run} run's figures");
    }
    // The files named one by one, as a shell's `*` names them: the targets among them.
    let mut named: Vec<String> = std::fs::read_dir(subs.join("2022-01-15")).unwrap().map(|e| format!("2022-01-15/{}", e.unwrap().file_name().to_string_lossy())).collect();
    named.push("sasaran.xlsx".into());
    let mut args: Vec<&str> = vec!["run"];
    args.extend(named.iter().map(String::as_str));
    args.extend(["--targets", "sasaran.xlsx", "--out", "laporan-glob", "--quiet"]);
    let (code, stdout, err) = sitrep(&args, &subs);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.starts_with(&format!("sitrep: {} files,", named.len() - 1)), "{stdout}");
    let (code, _, err) = sitrep(&["run", ".", "--targets", "sasaran.xlsx", "--out", "."], &subs);
    assert_eq!(code, 2);
    assert!(err.contains("the output folder . is the submissions folder"), "{err}");
}

/// A district's figures sent as a photo, a PDF or a zip are not read, but said: a warning
/// naming the file and what to do, in the run's findings and in the same findings when
/// the week is re-rendered from the archive; notes and other kinds pass unsaid. A folder
/// holding nothing but such files says what it found instead.
#[test]
fn files_that_are_no_spreadsheet_are_named_with_what_to_do() {
    let (dir, subs) = crate::archive::copied_submissions();
    for f in ["2022-01-15/rekap tebo foto.jpg", "2022-01-15/kiriman merangin.zip", "2022-01-15/rekap kerinci.PDF", "catatan.md", ".DS_Store"] {
        std::fs::write(subs.join(f), "x").unwrap();
    }
    let (out, archive, again) = (dir.path().join("out"), dir.path().join("arsip"), dir.path().join("again"));
    let targets = fixtures().join("sasaran.xlsx");
    let (code, stdout, err) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--quiet"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(stdout.starts_with("sitrep: 35 files, 807 rows accepted"), "the figures are those of the spreadsheets: {stdout}");
    let said = |out: &std::path::Path| -> Vec<(String, String)> {
        let mut v: Vec<_> = read_csv(&out.join("export/findings.csv")).into_iter().filter(|f| f["code"] == "not_a_spreadsheet").map(|f| (f["source"].rsplit('/').next().unwrap().to_string(), f["message"].clone())).collect();
        v.sort();
        v
    };
    let found = said(&out);
    assert_eq!(found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), ["kiriman merangin.zip", "rekap kerinci.PDF", "rekap tebo foto.jpg"]);
    assert!(found[0].1.starts_with("an archive, not a spreadsheet sitrep reads") && found[0].1.contains("extract them into the submissions folder"), "{found:?}");
    assert!(found[1].1.starts_with("a PDF") && found[2].1.starts_with("an image") && found[2].1.contains("ask for them as a spreadsheet"), "{found:?}");
    assert!(read_csv(&out.join("export/findings.csv")).iter().filter(|f| f["code"] == "not_a_spreadsheet").all(|f| f["severity"] == "warning"));
    let (code, _, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-15", "--out", again.to_str().unwrap(), "--quiet"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(said(&again), found, "the re-render says what the run said");

    let only_photos = dir.path().join("foto");
    std::fs::create_dir_all(&only_photos).unwrap();
    std::fs::write(only_photos.join("tebo.jpeg"), "x").unwrap();
    let (code, _, err) = sitrep(&["run", only_photos.to_str().unwrap(), "--out", dir.path().join("o").to_str().unwrap()], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("no submission files") && err.contains("found instead 1 file(s) that are no spreadsheet") && err.contains("tebo.jpeg"), "{err}");
}
