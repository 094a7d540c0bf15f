//! `sitrep run --archive DIR` and `sitrep report --archive DIR --period P`: the past
//! period re-rendered from the archive alone gives the same reports and tables.

use crate::common::*;

#[test]
fn a_period_re_rendered_from_the_archive_matches_the_run() {
    // The submissions are copied so they can be deleted before the re-render.
    let (dir, subs) = copied_submissions();
    let (archive, first, second) = (dir.path().join("arsip"), dir.path().join("out1"), dir.path().join("out2"));
    let targets = fixtures().join("sasaran.xlsx");
    let (code, out, err) = sitrep(
        &["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", first.to_str().unwrap(), "--archive", archive.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    // Hive layout: the partition columns in the folder names.
    for period in ["2022-01-01", "2022-01-08", "2022-01-15"] {
        let part = archive.join(format!("province_code=15/period={period}/part-0.parquet"));
        assert!(part.is_file(), "missing {}", part.display());
    }
    std::fs::remove_dir_all(&subs).unwrap();

    // Re-rendered with the earlier periods' rows left in the archive until a stage reads
    // them, then (without the archive's list of its partitions) with every row read at once.
    let third = dir.path().join("out3");
    for again in [&second, &third] {
        if again == &third {
            std::fs::remove_file(archive.join("_partitions.json")).unwrap();
        }
        let (code, out, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-15", "--out", again.to_str().unwrap()], dir.path());
        assert_eq!(code, 0, "{out}\n{err}");
        for pdf in ["laporan-mingguan-15-2022-01-15.pdf", "rakor-15-2022-01-15.pdf"] {
            let (a, b) = (pdf_text(&first.join(pdf)), pdf_text(&again.join(pdf)));
            assert!(a.to_uppercase().contains("KERINCI"), "{a}");
            assert_eq!(a, b, "{pdf} differs when re-rendered from the archive");
        }
        let attainment = ["2022-01-01", "2022-01-08", "2022-01-15"].map(|p| [format!("attainment_csv/{p}.csv"), format!("attainment/{p}.parquet")]);
        let table = ["2022-01-01", "2022-01-08", "2022-01-15"].map(|p| format!("observations_csv/{p}.csv"));
        for csv in attainment.iter().flatten().chain(&table).map(String::as_str).chain(["findings.csv", "targets.csv"]) {
            let (a, b) = (std::fs::read(first.join("export").join(csv)).unwrap(), std::fs::read(again.join("export").join(csv)).unwrap());
            assert!(a == b, "export/{csv} differs when re-rendered from the archive");
        }
    }
}

/// A weekly run into the same archive rewrites only the partitions whose rows changed.
#[test]
fn a_partition_whose_rows_did_not_change_is_not_written_again() {
    let (dir, subs) = copied_submissions();
    let (archive, out) = (dir.path().join("arsip"), dir.path().join("out"));
    let run = || run_into_archive(&subs, &out, &archive);
    let part = |period: &str| inode(&archive.join(format!("province_code=15/period={period}/part-0.parquet")));
    run();
    let before = [part("2022-01-01"), part("2022-01-08"), part("2022-01-15")];
    std::fs::remove_file(subs.join("2022-01-15/rekap_kerinci_2022-01-15.xlsx")).unwrap();
    run();
    assert_eq!([part("2022-01-01"), part("2022-01-08")], [before[0], before[1]]);
    assert_ne!(part("2022-01-15"), before[2], "the week that changed was not written again");
    assert!(archive.join("_partitions.json").is_file());
    // A partition deleted by hand is written again; the others stay as they are.
    let gone = archive.join("province_code=15/period=2022-01-01/part-0.parquet");
    std::fs::remove_file(&gone).unwrap();
    let kept = part("2022-01-08");
    run();
    assert!(gone.is_file());
    assert_eq!(part("2022-01-08"), kept);
}

/// A province whose figures for a period are gone when the period is written again (its
/// one file withdrawn) loses that period's partition: an engine reading the archive
/// would otherwise count the withdrawn figures.
#[test]
fn a_province_no_longer_in_a_period_leaves_no_partition_behind() {
    let (dir, subs) = copied_submissions();
    let (archive, out) = (dir.path().join("arsip"), dir.path().join("out"));
    let run = || run_into_archive(&subs, &out, &archive);
    // Kota Padang (West Sumatra, 13) sent one week by mistake into Jambi's folder.
    let padang = subs.join("2022-01-15/kota_padang_2022-01-15.csv");
    std::fs::write(&padang, "kode_wilayah,kecamatan,kelompok,dosis,jumlah\n13.71.01,Padang Selatan,Lansia,1,1165\n13.71.01,Padang Selatan,Lansia,2,900\n").unwrap();
    run();
    let rel = "province_code=13/period=2022-01-15/part-0.parquet";
    let (stray, listing) = (archive.join(rel), archive.join("_partitions.json"));
    let jambi = archive.join("province_code=15/period=2022-01-15/part-0.parquet");
    assert!(stray.is_file() && jambi.is_file());
    let (stray_bytes, listed_first): (Vec<u8>, serde_json::Value) = (std::fs::read(&stray).unwrap(), serde_json::from_slice(&std::fs::read(&listing).unwrap()).unwrap());
    std::fs::remove_file(&padang).unwrap();
    run();
    assert!(!stray.exists(), "the withdrawn province's partition is still in the archive");
    assert!(!archive.join("province_code=13").exists(), "its empty folders are left");
    assert!(jambi.is_file());
    let listed = std::fs::read_to_string(&listing).unwrap();
    assert!(!listed.contains("province_code=13/"), "{listed}");
    assert!(listed.contains("province_code=15/period=2022-01-15/"), "{listed}");

    // An archive that already holds such a partition (an earlier version left it) loses
    // it at the next run, although the period's rows did not change.
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, &stray_bytes).unwrap();
    let mut with_stray: serde_json::Value = serde_json::from_str(&listed).unwrap();
    with_stray[rel] = listed_first[rel].clone();
    std::fs::write(&listing, serde_json::to_vec(&with_stray).unwrap()).unwrap();
    run();
    assert!(!stray.exists(), "a partition left by an earlier version stays");
    assert!(!std::fs::read_to_string(&listing).unwrap().contains("province_code=13/"));
}

/// A week no run reported on (a first run over several weeks reports on the last) is
/// re-rendered from the record of the run that did: its files of later weeks, and what
/// was found in them, are not this week's inputs (those of no week by the date in
/// their name or folder).
#[test]
fn a_week_re_rendered_from_a_later_runs_record_lists_no_later_files() {
    let Archived { dir, archive, out, .. } = archived();
    assert!(!archive.join("_runs/2022-01-08.json").exists() && archive.join("_runs/2022-01-15.json").exists());
    let again = dir.path().join("again");
    let (code, o, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-08", "--out", again.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{o}\n{err}");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(again.join("export/manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    let later: Vec<&str> = inputs.iter().filter(|f| f["period"].as_str().is_some_and(|p| p.split(',').all(|p| p > "2022-01-08"))).map(|f| f["path"].as_str().unwrap()).collect();
    assert!(later.is_empty(), "files of later weeks among the inputs: {later:?}");
    assert!(inputs.iter().any(|f| f["period"] == "2022-01-08") && inputs.iter().any(|f| f["period"] == "2022-01-01"));
    // Batanghari's file of the 15th has a totals row that does not add up; Bungo's
    // damaged workbook gave no period, but its folder is the 15th's.
    let findings = std::fs::read_to_string(again.join("export/findings.csv")).unwrap();
    for later in ["rekap batanghari 15.01.2022.xlsx", "rekap_bungo_revisi.xlsx", "rekap_kerinchi_2022-01-15.csv"] {
        assert!(!findings.contains(later), "a finding about a later week's file:\n{findings}");
        let whole = std::fs::read_to_string(out.join("export/findings.csv")).unwrap();
        assert!(whole.contains(later), "{whole}");
    }
}

/// The files' records are kept once: a weekly run writes a part for its new week and
/// names the earlier weeks' parts; a part changed by hand is a clear error, not other
/// figures.
#[test]
fn a_weekly_run_writes_only_its_new_weeks_files_records() {
    let (dir, subs) = copied_submissions();
    let held = dir.path().join("held");
    std::fs::rename(subs.join("2022-01-15"), &held).unwrap();
    let archive = dir.path().join("arsip");
    let run = |out: &str| {
        let out = dir.path().join(out);
        let args = ["run", subs.to_str().unwrap(), "--targets", "sasaran.xlsx", "--out", out.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--quiet"];
        let (code, out, err) = sitrep(&args, &fixtures());
        assert_eq!(code, 0, "{out}\n{err}");
    };
    let parts_dir = archive.join("_runs/parts");
    let parts = || -> std::collections::BTreeMap<String, u64> {
        std::fs::read_dir(&parts_dir).unwrap().map(|e| e.unwrap().path()).map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), inode(&p))).collect()
    };
    let named = |period: &str| -> Vec<String> {
        let record: serde_json::Value = serde_json::from_slice(&std::fs::read(archive.join(format!("_runs/{period}.json"))).unwrap()).unwrap();
        assert!(record.get("files").is_none(), "the files' records are in parts");
        record["file_parts"].as_array().unwrap().iter().map(|p| format!("{}.json", p["part"].as_str().unwrap())).collect()
    };
    run("out1");
    let first = parts();
    let first_named = named("2022-01-08");
    std::fs::rename(&held, subs.join("2022-01-15")).unwrap();
    run("out2");
    let second = parts();
    let second_named = named("2022-01-15");
    // The earlier weeks' parts are named again, not written again; the new week has one.
    assert!(first_named.iter().all(|p| second_named.contains(p)), "{first_named:?} {second_named:?}");
    assert!(first.iter().all(|(name, ino)| second.get(name) == Some(ino)));
    for new in second_named.iter().filter(|p| !first_named.contains(p)) {
        let records: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(parts_dir.join(new)).unwrap()).unwrap();
        assert!(records.iter().all(|r| r["period"] == "2022-01-15" || r["period"].is_null()), "{new} holds records of earlier weeks");
    }
    // Each period is re-rendered from its own run's record, the submissions gone.
    std::fs::remove_dir_all(&subs).unwrap();
    for (period, out) in [("2022-01-08", "out1"), ("2022-01-15", "out2")] {
        let again = dir.path().join(format!("again-{period}"));
        let (code, o, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", period, "--out", again.to_str().unwrap()], dir.path());
        assert_eq!(code, 0, "{o}\n{err}");
        let pdf = format!("laporan-mingguan-15-{period}.pdf");
        assert_eq!(pdf_text(&dir.path().join(out).join(&pdf)), pdf_text(&again.join(&pdf)), "{pdf}");
    }
    // A part changed by hand.
    let part = parts_dir.join(&second_named[0]);
    let text = std::fs::read_to_string(&part).unwrap().replacen("\"ok\"", "\"OK\"", 1);
    std::fs::write(&part, text).unwrap();
    let (code, _, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-15", "--out", dir.path().join("o").to_str().unwrap()], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&second_named[0]) && err.contains("changed after sitrep wrote it"), "{err}");
}

#[test]
fn the_archive_partition_holds_the_canonical_rows_without_the_partition_columns() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("arsip");
    let (code, out, err) = sitrep(
        &["run", "submissions/2022-01-15", "--targets", "sasaran.xlsx", "--out", dir.path().join("out").to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--quiet"],
        &fixtures(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let file = std::fs::File::open(archive.join("province_code=15/period=2022-01-15/part-0.parquet")).unwrap();
    use polars::prelude::*;
    let df = ParquetReader::new(file).finish().unwrap();
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, ["district_code", "area_code", "unit", "group", "dose", "vaccinated", "source", "sheet", "cell"]);
    let kerinci = df.column("district_code").unwrap().str().unwrap().iter().filter(|d| *d == Some("15.01")).count();
    assert!(kerinci > 0);
    // The same rows as the run's own canonical table for the period.
    let export = read_observations(&dir.path().join("out"));
    assert_eq!(export.iter().filter(|r| r["period"] == "2022-01-15").count(), df.height());
}

#[test]
fn a_period_not_in_the_archive_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = sitrep(&["report", "--archive", dir.path().to_str().unwrap(), "--period", "2022-01-15", "--out", dir.path().join("o").to_str().unwrap()], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("not a sitrep archive"), "{err}");
}

/// `sitrep run` of `subs` (the fixtures' targets) into `out` and `archive`, which must succeed.
/// A partition damaged in place (one bit, its size the same: read as it was, it gave
/// other figures as often as not) is found when a re-render reads it, against the SHA-256
/// `_partitions.json` records, and named; deleted, the next run writes it again.
#[test]
fn a_partition_damaged_in_place_is_named_when_read_back() {
    let Archived { dir, subs, archive, out } = archived();
    let again = dir.path().join("again");
    let part = archive.join("province_code=15/period=2022-01-08/part-0.parquet");
    let written = flip_a_bit_in_place(&part);
    let render = || sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-15", "--out", again.to_str().unwrap()], dir.path());
    let (code, o, err) = render();
    assert_ne!(code, 0, "{o}\n{err}");
    assert!(err.contains(&part.display().to_string()) && err.contains("SHA-256") && err.contains(&format!("sitrep verify --archive {}", archive.display())), "{err}");
    std::fs::remove_file(&part).unwrap();
    run_into_archive(&subs, &out, &archive);
    assert!(std::fs::read(&part).unwrap() == written);
    let (code, o, err) = render();
    assert_eq!(code, 0, "{o}\n{err}");
    assert!(std::fs::read(again.join("export/observations_csv/2022-01-08.csv")).unwrap() == std::fs::read(out.join("export/observations_csv/2022-01-08.csv")).unwrap());
}

/// A partition changed after sitrep wrote it (a byte damaged in place: its size the same)
/// is written again by the next run over its period: engines read the archive directly.
#[test]
fn a_partition_changed_since_it_was_written_is_written_again() {
    let Archived { dir: _dir, subs, archive, out } = archived();
    let part = archive.join("province_code=15/period=2022-01-01/part-0.parquet");
    let written = flip_a_bit_in_place(&part);
    run_into_archive(&subs, &out, &archive);
    assert!(std::fs::read(&part).unwrap() == written, "the partition changed since it was written was kept");
}

/// A re-render under other settings than the archived run's says which differ, with
/// their values then and now; under the run's own, it says nothing of it.
#[test]
fn a_re_render_under_another_configuration_says_which_settings_differ() {
    let (dir, subs) = copied_submissions();
    let (archive, out, again) = (dir.path().join("arsip"), dir.path().join("out"), dir.path().join("again"));
    // Not sitrep.toml, which a run in the folder would find by itself.
    let config = dir.path().join("weekly.toml");
    std::fs::write(&config, "threshold = 0.75\n").unwrap();
    let targets = fixtures().join("sasaran.xlsx");
    let (code, o, err) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--config", config.to_str().unwrap(), "--quiet"], dir.path());
    assert_eq!(code, 0, "{o}\n{err}");
    let render = |extra: &[&str]| {
        let mut args = vec!["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-08", "--out", again.to_str().unwrap(), "--quiet"];
        args.extend_from_slice(extra);
        let (code, o, err) = sitrep(&args, dir.path());
        assert_eq!(code, 0, "{o}\n{err}");
        err
    };
    let other = render(&[]);
    assert!(other.contains("configuration differs") && other.contains("threshold 0.75 then, 0.7 now"), "{other}");
    let same = render(&["--config", config.to_str().unwrap()]);
    assert!(!same.contains("configuration differs"), "{same}");
}

/// A period with files of two provinces, one's file listed among the other's (Kota
/// Padang's, of West Sumatra, in Jambi's folder): the archive holds the rows province by
/// province, the run held them file by file; re-rendered, the canonical table is in the
/// run's order, byte for byte (it had Padang's rows first).
#[test]
fn a_period_of_several_provinces_is_re_rendered_in_the_runs_order() {
    let (dir, subs) = copied_submissions();
    let (archive, out, again) = (dir.path().join("arsip"), dir.path().join("out"), dir.path().join("again"));
    std::fs::write(subs.join("2022-01-15/kota_padang_2022-01-15.csv"), "kode_wilayah,kecamatan,kelompok,dosis,jumlah\n13.71.01,Padang Selatan,Lansia,1,1165\n13.71.01,Padang Selatan,Lansia,2,900\n").unwrap();
    run_into_archive(&subs, &out, &archive);
    let table = |out: &std::path::Path| std::fs::read_to_string(out.join("export/observations_csv/2022-01-15.csv")).unwrap();
    let run = table(&out);
    let provinces: Vec<&str> = run.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    let padang = provinces.iter().position(|p| *p == "13").expect("Padang's rows");
    assert!(padang > 0 && provinces[padang..].contains(&"15"), "Padang's rows are among Jambi's in the run");
    let (code, o, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", "2022-01-15", "--out", again.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{o}\n{err}");
    assert!(table(&again) == run, "the re-rendered canonical table is not in the run's order");
}

/// `sitrep verify --archive` of `archive`: its exit code, stdout and stderr.
fn verify_archive(archive: &std::path::Path) -> (i32, String, String) {
    sitrep(&["verify", "--archive", archive.to_str().unwrap()], archive.parent().unwrap())
}

/// Flips one bit in the middle of the file at `path` (its size the same); returns its
/// bytes as they were.
fn flip_a_bit_in_place(path: &std::path::Path) -> Vec<u8> {
    let written = std::fs::read(path).unwrap();
    let mut damaged = written.clone();
    damaged[written.len() / 2] ^= 1;
    std::fs::write(path, &damaged).unwrap();
    written
}

fn run_into_archive(subs: &std::path::Path, out: &std::path::Path, archive: &std::path::Path) {
    let args = ["run", subs.to_str().unwrap(), "--targets", "sasaran.xlsx", "--out", out.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--quiet"];
    let (code, out, err) = sitrep(&args, &fixtures());
    assert_eq!(code, 0, "{out}\n{err}");
}

/// A copy of the fixtures' submissions run once with `--archive`: the temporary folder
/// holding it, and in it the copy, the archive (`arsip`) and the output folder (`out`).
struct Archived {
    dir: tempfile::TempDir,
    subs: std::path::PathBuf,
    archive: std::path::PathBuf,
    out: std::path::PathBuf,
}

fn archived() -> Archived {
    let (dir, subs) = copied_submissions();
    let (archive, out) = (dir.path().join("arsip"), dir.path().join("out"));
    run_into_archive(&subs, &out, &archive);
    Archived { dir, subs, archive, out }
}

/// A temporary folder holding a copy of the fixtures' submissions (the tests change
/// it), and the copy's path.
pub fn copied_submissions() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    copy_dir(&fixtures().join("submissions"), &subs);
    (dir, subs)
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            // Keep the file times: they are the submissions' received times.
            let t = e.metadata().unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&target).unwrap().set_modified(t).unwrap();
        }
    }
}

/// `sitrep verify --archive` reads the whole archive: a fresh one is as sitrep wrote it;
/// a partition damaged in place (its stamp aside, what a weekly run cannot see), a part
/// of the run records damaged and a partition gone are each named, with what to do; done,
/// the archive verifies again.
#[test]
fn verify_names_what_differs_from_what_sitrep_wrote_and_what_to_do() {
    let Archived { dir: _dir, subs, archive, out } = archived();
    let verify = || verify_archive(&archive);
    let (code, o, err) = verify();
    assert_eq!(code, 0, "{o}\n{err}");
    assert!(o.contains("is as sitrep wrote it: 3 partitions (3 compared with their recorded SHA-256), 1 run record,"), "{o}");
    let damaged = archive.join("province_code=15/period=2022-01-08/part-0.parquet");
    let gone = archive.join("province_code=15/period=2022-01-01/part-0.parquet");
    let part = std::fs::read_dir(archive.join("_runs/parts")).unwrap().next().unwrap().unwrap().path();
    flip_a_bit_in_place(&damaged);
    flip_a_bit_in_place(&part);
    std::fs::remove_file(&gone).unwrap();
    let (code, o, err) = verify();
    assert_eq!(code, 1, "{o}\n{err}");
    let problems: Vec<&str> = o.lines().filter(|l| l.starts_with("problem: ")).collect();
    assert_eq!(problems.len(), 3, "{o}");
    assert!(problems.iter().any(|p| p.contains(&damaged.display().to_string()) && p.contains("SHA-256") && p.contains("delete it and run")), "{o}");
    assert!(problems.iter().any(|p| p.contains(&part.display().to_string()) && p.contains("delete it and run")), "{o}");
    assert!(problems.iter().any(|p| p.contains(&gone.display().to_string()) && p.contains("not there")), "{o}");
    assert!(o.contains("3 problems in 2 partitions (1 compared"), "{o}");
    // What the problems say to do.
    std::fs::remove_file(&damaged).unwrap();
    std::fs::remove_file(&part).unwrap();
    run_into_archive(&subs, &out, &archive);
    let (code, o, err) = verify();
    assert_eq!(code, 0, "{o}\n{err}");
}

/// A re-render of a period the archive has no figures for (a date mistyped, after the
/// last week, before the first) names the periods it has, rather than rendering nothing.
#[test]
fn a_re_render_of_a_period_not_archived_names_the_periods_there_are() {
    let Archived { dir, archive, .. } = archived();
    let again = dir.path().join("again");
    for period in ["2022-01-05", "2023-01-01", "2021-12-25"] {
        let (code, o, err) = sitrep(&["report", "--archive", archive.to_str().unwrap(), "--period", period, "--out", again.to_str().unwrap()], dir.path());
        assert_eq!(code, 2, "{o}\n{err}");
        assert!(err.contains(&format!("holds no figures for {period}: its periods are 2022-01-01, 2022-01-08, 2022-01-15")), "{err}");
        assert!(!again.exists(), "nothing is written");
    }
}

/// A week whose files are all withdrawn keeps its partitions (history), which every
/// engine reading the archive counts: `sitrep verify --archive` notes it, with what to
/// delete, and still finds the archive as sitrep wrote it.
#[test]
fn verify_notes_a_week_whose_files_no_run_names_any_more() {
    let Archived { dir: _dir, subs, archive, out } = archived();
    let verify = || verify_archive(&archive);
    let (code, o, err) = verify();
    assert_eq!(code, 0, "{o}\n{err}");
    assert!(!o.contains("note:"), "{o}");
    std::fs::remove_dir_all(subs.join("2022-01-08")).unwrap();
    run_into_archive(&subs, &out, &archive);
    let (code, o, err) = verify();
    assert_eq!(code, 0, "{o}\n{err}");
    let notes: Vec<&str> = o.lines().filter(|l| l.starts_with("note: ")).collect();
    assert_eq!(notes.len(), 1, "{o}");
    assert!(notes[0].contains("the figures of 2022-01-08 are kept from files no archived run names") && notes[0].contains("period=2022-01-08"), "{o}");
}
