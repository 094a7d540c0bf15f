//! What changed since the last report: the Jambi fixtures run twice, first with the first
//! two weeks, then with all three and a resubmitted week 2 (Tebo, one cell raised by 10).

use crate::common::{fixtures, pdf_text, read_csv, sitrep};
use std::collections::BTreeSet;
use std::path::Path;

fn copy_week(week: &str, to: &Path) {
    let from = fixtures().join("submissions").join(week);
    std::fs::create_dir_all(to.join(week)).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(week).join(e.file_name())).unwrap();
    }
}

fn run(subs: &Path, out: &Path, previous: Option<&Path>) {
    let targets = fixtures().join("sasaran.xlsx");
    let mut args = vec!["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    if let Some(p) = previous {
        args.extend(["--previous", p.to_str().unwrap()]);
    }
    let (code, stdout, stderr) = sitrep(&args, subs);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

/// (rank, coverage) of all groups, `dose`, in expected.json.
fn expected(period: &str, district: &str, dose: i64) -> (i64, f64) {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    let r = json["attainment"].as_array().unwrap().iter().find(|r| r["period"] == period && r["district_code"] == district && r["group"] == "all" && r["dose"] == dose).unwrap().clone();
    (r["rank_in_province"].as_i64().unwrap(), r["coverage"].as_f64().unwrap())
}

#[test]
fn a_second_run_lists_revisions_ranks_thresholds_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    copy_week("2022-01-01", &subs);
    copy_week("2022-01-08", &subs);
    run(&subs, &dir.path().join("out1"), None);
    assert!(!dir.path().join("out1/export/changes.csv").exists(), "no previous run: no changes.csv");

    // Week 3 arrives, and Tebo resubmits week 2 with 193 health workers instead of 183.
    copy_week("2022-01-15", &subs);
    let tebo = subs.join("2022-01-08/REKAP VAKSIN TEBO 08-01-2022.csv");
    let text = std::fs::read(&tebo).unwrap();
    let text = String::from_utf8_lossy(&text).replacen("Kec. Tebo Tengah;183;", "Kec. Tebo Tengah;193;", 1);
    std::fs::write(&tebo, text.as_bytes()).unwrap();
    run(&subs, &dir.path().join("out2"), Some(&dir.path().join("out1/export")));

    let rows = read_csv(&dir.path().join("out2/export/changes.csv"));
    let of = |kind: &str| rows.iter().filter(|r| r["kind"] == kind).collect::<Vec<_>>();
    // The revision: 1.768 health workers with dose 1 in week 2 (expected.json), now 1.778.
    let revised: BTreeSet<(String, String, String, String, String)> =
        of("revised").iter().map(|r| (r["period"].clone(), r["district_code"].clone(), r["group"].clone(), r["before"].clone(), r["after"].clone())).collect();
    assert!(revised.contains(&("2022-01-08".into(), "15.09".into(), "sdmk".into(), "1768".into(), "1778".into())), "{revised:?}");
    assert!(of("revised").iter().all(|r| r["period"] == "2022-01-08" && r["district_code"] == "15.09" && r["dose"] == "1"), "only Tebo's week 2 dose 1 changed: {revised:?}");

    // Rank and threshold changes between the two reports' periods, from expected.json.
    let districts = ["15.01", "15.02", "15.03", "15.04", "15.05", "15.06", "15.07", "15.08", "15.09", "15.71", "15.72"];
    let want_ranks: BTreeSet<(String, String, String)> = districts
        .iter()
        .filter_map(|d| {
            let (a, b) = (expected("2022-01-08", d, 1).0, expected("2022-01-15", d, 1).0);
            (a != b).then(|| (d.to_string(), a.to_string(), b.to_string()))
        })
        .collect();
    let got_ranks: BTreeSet<(String, String, String)> = of("rank_changed").iter().map(|r| (r["district_code"].clone(), r["before"].clone(), r["after"].clone())).collect();
    assert_eq!(got_ranks, want_ranks);
    assert!(want_ranks.contains(&("15.03".into(), "7".into(), "5".into())));
    let want_crossed: BTreeSet<(String, String)> = districts
        .iter()
        .flat_map(|d| (1..=3).map(move |dose| (d, dose)))
        .filter(|(d, dose)| (expected("2022-01-08", d, *dose).1 < 0.7) != (expected("2022-01-15", d, *dose).1 < 0.7))
        .map(|(d, dose)| (d.to_string(), dose.to_string()))
        .collect();
    let got_crossed: BTreeSet<(String, String)> = of("threshold_crossed").iter().map(|r| (r["district_code"].clone(), r["dose"].clone())).collect();
    assert_eq!(got_crossed, want_crossed);
    assert!(want_crossed.contains(&("15.02".into(), "1".into())) && want_crossed.contains(&("15.05".into(), "1".into())));
    // The resubmission's totals row no longer adds up: a new finding at its cell. The
    // targets above 100% (same cells, another date) are still there, so not resolved.
    assert!(of("finding_appeared").iter().any(|r| r["detail"].starts_with("[total_mismatch]") && r["detail"].contains("TEBO 08-01-2022") && r["detail"].contains("/ B16:")), "{:?}", of("finding_appeared"));
    assert!(of("finding_resolved").is_empty(), "{:?}", of("finding_resolved"));
    assert!(!of("finding_appeared").iter().any(|r| r["detail"].starts_with("[coverage_above_100]") && r["detail"].contains("/ D13:")), "a finding that persists is not new");

    let text = pdf_text(&dir.path().join("out2/laporan-mingguan-15-2022-01-15.pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Perubahan sejak laporan sebelumnya"), "no changes section");
    assert!(flat.contains(&format!("Dibandingkan dengan laporan sebelumnya (8 Januari 2022): {} angka direvisi, {} perubahan peringkat dosis 1, {} melewati ambang", of("revised").len(), want_ranks.len(), want_crossed.len())), "{flat}");
    assert!(flat.contains("angka direvisi KAB. TEBO"), "revision row missing");
    // Without --previous there is nothing to compare: no changes section at all.
    let first = pdf_text(&dir.path().join("out1/laporan-mingguan-15-2022-01-08.pdf"));
    assert!(!first.split_whitespace().collect::<Vec<_>>().join(" ").contains("Perubahan sejak laporan sebelumnya"));

    // Week after week into one folder: `--previous` is the run's own `--out`, read before
    // the run writes there, and lists the same changes.
    let same = dir.path().join("same");
    crate::archive::copy_dir(&dir.path().join("out1"), &same);
    run(&subs, &same, Some(&same));
    assert_eq!(read_csv(&same.join("export/changes.csv")), rows);
}

/// A run into the same folder without `--previous` leaves no changes.csv of the run that
/// had one: the export holds what its manifest lists, and last week's changes would be
/// read as this week's.
#[test]
fn a_run_without_previous_leaves_no_earlier_changes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    copy_week("2022-01-01", &subs);
    let (first, out) = (dir.path().join("first"), dir.path().join("out"));
    run(&subs, &first, None);
    copy_week("2022-01-08", &subs);
    run(&subs, &out, Some(&first.join("export")));
    let changes = out.join("export/changes.csv");
    assert!(changes.is_file());
    let listed = |out: &Path| std::fs::read_to_string(out.join("export/manifest.json")).unwrap().contains("\"export/changes.csv\"");
    assert!(listed(&out));
    run(&subs, &out, None);
    assert!(!changes.exists(), "the earlier run's changes.csv is still in the export");
    assert!(!listed(&out));
}
