//! The incremental cache: a second run over the same folder reads nothing afresh and
//! writes the same bytes; a changed file is read again, and only it.

use crate::archive::{copied_submissions, copy_dir};
use crate::common::*;
use std::path::Path;

/// Runs over `subs`; returns the `--timings` line saying how many files the cache gave.
fn run(subs: &Path, out: &Path, extra: &[&str]) -> String {
    line(&run_timings(subs, out, extra), "cache:")
}

fn run_timings(subs: &Path, out: &Path, extra: &[&str]) -> String {
    run_timings_stderr(subs, out, extra).0
}

/// [`run_timings`], with what the run said on stderr.
fn run_timings_stderr(subs: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let targets = fixtures().join("sasaran.xlsx");
    let mut args = vec!["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--timings"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = sitrep(&args, subs);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The line of `stdout` starting with `start`.
fn line(stdout: &str, start: &str) -> String {
    stdout.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no {start} line in\n{stdout}")).to_string()
}

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && !e.path().components().any(|c| c.as_os_str() == ".cache"))
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

/// The export's attainment files (Parquet and CSV, per period) of an output folder.
fn attainment_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    ["export/attainment", "export/attainment_csv"].iter().flat_map(|d| files_under(&out.join(d)).into_iter().map(move |(name, bytes)| (format!("{d}/{name}"), bytes))).collect()
}

#[test]
fn a_second_run_reuses_every_file_and_writes_the_same_bytes() {
    let (dir, subs) = copied_submissions();
    let out = dir.path().join("out");
    assert_eq!(run(&subs, &out, &[]), "cache: 0 of 35 files reused");
    let first = files_under(&out);
    assert_eq!(segments(&out), vec![(0, 35)]);
    assert_eq!(run(&subs, &out, &[]), "cache: 35 of 35 files reused");
    assert_eq!(segments(&out), vec![(0, 35)], "nothing changed: nothing rewritten");
    let second = files_under(&out);
    assert_eq!(first.len(), second.len());
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert!(a == b, "{name} differs on the cached run");
    }

    // One file changed: read again, the others still reused, and its figures are used.
    let changed = subs.join("2022-01-15/rekap_kerinci_2022-01-15.xlsx");
    assert!(changed.is_file());
    std::fs::copy(fixtures().join("submissions/2022-01-08/rekap_kerinci_2022-01-08.xlsx"), &changed).unwrap();
    assert_eq!(run(&subs, &out, &[]), "cache: 34 of 35 files reused");
    // The segment held the file as it was: folded into a new one without it.
    assert_eq!(segments(&out), vec![(1, 35)]);
    let fresh = dir.path().join("fresh");
    assert_eq!(run(&subs, &fresh, &["--no-cache"]), "cache: 0 of 35 files reused");
    assert!(!fresh.join(".cache").exists());
    assert!(attainment_files(&out) == attainment_files(&fresh), "the cached run and a fresh one disagree after a file changed");
    // The changed file is now a newer submission for an earlier week: that week's sums
    // and rows, kept per period, were taken again, not from the cache.
    for dir in ["export/observations_csv", "export/observations"] {
        let (a, b) = (files_under(&out.join(dir)), files_under(&fresh.join(dir)));
        assert_eq!(a.len(), 3);
        assert!(a == b, "{dir}: the cached run and a fresh one disagree after a file changed");
    }
    assert_eq!(std::fs::read_dir(out.join(".cache/sums")).unwrap().count(), 6, "one file of sums per week, and its scope");
}

/// The cache's segments: (number, files in it), from their indexes.
fn segments(out: &Path) -> Vec<(u64, usize)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(out.join(".cache")).unwrap().flatten() {
        let name = e.file_name().to_str().unwrap().to_string();
        let Some(number) = name.strip_prefix("segment-").and_then(|n| n.strip_suffix(".json")) else { continue };
        let index: serde_json::Value = serde_json::from_slice(&sitrep::sealed::read(&e.path()).unwrap()).unwrap();
        assert!(out.join(format!(".cache/segment-{number}.parquet")).is_file());
        found.push((number.parse().unwrap(), index["entries"].as_array().unwrap().len()));
    }
    found.sort();
    found
}

/// A weekly run over a folder that holds the earlier weeks writes only the new week.
#[test]
fn a_new_week_is_cached_beside_the_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    copy_dir(&fixtures().join("submissions/2022-01-08"), &subs.join("2022-01-08"));
    let out = dir.path().join("out");
    let n = std::fs::read_dir(subs.join("2022-01-08")).unwrap().count();
    assert_eq!(run(&subs, &out, &[]), format!("cache: 0 of {n} files reused"));
    copy_dir(&fixtures().join("submissions/2022-01-15"), &subs.join("2022-01-15"));
    let m = std::fs::read_dir(subs.join("2022-01-15")).unwrap().count();
    assert_eq!(run(&subs, &out, &[]), format!("cache: {n} of {} files reused", n + m));
    assert_eq!(segments(&out), vec![(0, n), (1, m)]);
    // Attainment is kept per week too, as Parquet, as the export's CSV rows and as the
    // rows later weeks' reports read of it; the export's CSV made from them is the one a
    // fresh run writes.
    let kept: Vec<String> = std::fs::read_dir(out.join(".cache/attainment")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    for ext in [".parquet", ".csv", ".history.parquet"] {
        let mut weeks: Vec<&str> = kept.iter().filter(|f| f.ends_with(ext) && (ext != ".parquet" || !f.ends_with(".history.parquet"))).map(|f| &f[..10]).collect();
        weeks.sort();
        assert_eq!(weeks, ["2022-01-08", "2022-01-15"], "{kept:?}");
    }
    let fresh = dir.path().join("fresh");
    run(&subs, &fresh, &["--no-cache"]);
    let (a, b) = (attainment_files(&out), attainment_files(&fresh));
    assert_eq!(a.len(), 4, "a Parquet file and a CSV per week");
    assert!(a == b, "the weekly run's attainment files are not a fresh run's");
    assert_eq!(run(&subs, &out, &[]), format!("cache: {0} of {0} files reused", n + m));
    // A week taken away: its segment goes.
    std::fs::remove_dir_all(subs.join("2022-01-08")).unwrap();
    assert_eq!(run(&subs, &out, &[]), format!("cache: {m} of {m} files reused"));
    assert_eq!(segments(&out), vec![(1, m)]);
}

/// The export's canonical table and attainment are written per period, and a period
/// whose rows did not change is left as it is; a damaged file is written again; a period
/// gone is removed.
#[test]
fn only_the_periods_that_changed_are_exported_again() {
    let (dir, subs) = copied_submissions();
    let (out, fresh) = (dir.path().join("out"), dir.path().join("fresh"));
    let periods = ["2022-01-01", "2022-01-08", "2022-01-15"];
    for (parquet_dir, csv_dir) in [("observations", "observations_csv"), ("attainment", "attainment_csv")] {
        let part_in = |out: &Path, period: &str| (out.join(format!("export/{parquet_dir}/{period}.parquet")), out.join(format!("export/{csv_dir}/{period}.csv")));
        let part = |period: &str| part_in(&out, period);
        copy_dir(&fixtures().join("submissions"), &subs);
        run(&subs, &out, &[]);
        let before: Vec<(u64, u64)> = periods.iter().map(|p| part(p)).map(|(a, b)| (inode(&a), inode(&b))).collect();
        // A file of the last week taken away: only that week is written again.
        std::fs::remove_file(subs.join("2022-01-15/rekap_kerinci_2022-01-15.xlsx")).unwrap();
        run(&subs, &out, &[]);
        let (a, b) = part("2022-01-01");
        assert_eq!((inode(&a), inode(&b)), before[0], "{parquet_dir}");
        let (a, b) = part("2022-01-08");
        assert_eq!((inode(&a), inode(&b)), before[1], "{parquet_dir}");
        let (a, b) = part("2022-01-15");
        assert!(inode(&a) != before[2].0 && inode(&b) != before[2].1, "{parquet_dir}: the changed week was not written again");
        // A file damaged by hand is written again, with the same bytes as a fresh run.
        let (_, csv) = part("2022-01-08");
        std::fs::write(&csv, "period\n").unwrap();
        run(&subs, &out, &[]);
        run(&subs, &fresh, &["--no-cache"]);
        for period in periods {
            let ((a, b), (c, d)) = (part(period), part_in(&fresh, period));
            assert!(std::fs::read(&a).unwrap() == std::fs::read(&c).unwrap(), "{parquet_dir} {period} parquet");
            assert!(std::fs::read(&b).unwrap() == std::fs::read(&d).unwrap(), "{parquet_dir} {period} csv");
        }
        // A week no longer in the submissions: its files go.
        std::fs::remove_dir_all(subs.join("2022-01-01")).unwrap();
        run(&subs, &out, &[]);
        let (a, b) = part("2022-01-01");
        assert!(!a.exists() && !b.exists(), "{parquet_dir}");
        std::fs::remove_dir_all(&subs).unwrap();
    }
}

#[test]
fn a_changed_vocabulary_reads_every_file_again() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    copy_dir(&fixtures().join("submissions/2022-01-15"), &subs);
    // Settled files: found unchanged by their stamps, not read, when the cache has them.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for e in std::fs::read_dir(&subs).unwrap() {
        std::fs::File::options().write(true).open(e.unwrap().path()).unwrap().set_modified(an_hour_ago).unwrap();
    }
    let out = dir.path().join("out");
    let n = std::fs::read_dir(&subs).unwrap().count();
    let counts = |stdout: &str| (line(stdout, "cache:"), line(stdout, "not read again"));
    let said = |reused: usize| (format!("cache: {reused} of {n} files reused"), format!("not read again (unchanged since the cache saw them): {reused} files"));
    assert_eq!(counts(&run_timings(&subs, &out, &[])), said(0));
    assert_eq!(counts(&run_timings(&subs, &out, &[])), said(n));
    let config = dir.path().join("sitrep.toml");
    std::fs::write(&config, "[vocabulary.groups]\n\"pra lansia\" = \"umum_rentan\"\n").unwrap();
    // The files are known by their stamps, but their keys were made under the other
    // vocabulary: every file is read again, and keyed anew for the next run.
    assert_eq!(counts(&run_timings(&subs, &out, &["--config", config.to_str().unwrap()])), said(0));
    assert_eq!(counts(&run_timings(&subs, &out, &["--config", config.to_str().unwrap()])), said(n));
}

/// A file unchanged since the cache saw it (same size, times and inode) is not read at
/// all; a file written since is read again, even at the same size with its modification
/// time set back as it was, and its new figures are used.
#[test]
fn unchanged_files_are_not_read_again_and_a_file_written_since_is() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    copy_dir(&fixtures().join("submissions/2022-01-15"), &subs);
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for e in std::fs::read_dir(&subs).unwrap() {
        std::fs::File::options().write(true).open(e.unwrap().path()).unwrap().set_modified(an_hour_ago).unwrap();
    }
    let n = std::fs::read_dir(&subs).unwrap().count();
    let out = dir.path().join("out");
    let not_read = |stdout: &str| line(stdout, "not read again");
    let first = run_timings(&subs, &out, &[]);
    assert_eq!(line(&first, "cache:"), format!("cache: 0 of {n} files reused"));
    assert_eq!(not_read(&first), "not read again (unchanged since the cache saw them): 0 files");
    let second = run_timings(&subs, &out, &[]);
    assert_eq!(line(&second, "cache:"), format!("cache: {n} of {n} files reused"));
    assert_eq!(not_read(&second), format!("not read again (unchanged since the cache saw them): {n} files"));

    // One figure changed in place, same size, its time set back: read again.
    let tebo = subs.join("REKAP VAKSIN TEBO 15-01-2022.csv");
    let bytes = std::fs::read(&tebo).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let at = text.find("Kec. Tebo Tengah;186;").unwrap() + "Kec. Tebo Tengah;".len();
    let mut changed = bytes.clone();
    changed[at..at + 3].copy_from_slice(b"187");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&tebo, &changed).unwrap();
    std::fs::File::options().write(true).open(&tebo).unwrap().set_modified(an_hour_ago).unwrap();
    let third = run_timings(&subs, &out, &[]);
    assert_eq!(line(&third, "cache:"), format!("cache: {} of {n} files reused", n - 1));
    assert_eq!(not_read(&third), format!("not read again (unchanged since the cache saw them): {} files", n - 1));
    let fresh = dir.path().join("fresh");
    run(&subs, &fresh, &["--no-cache"]);
    assert!(attainment_files(&out) == attainment_files(&fresh), "the run that did not read unchanged files and a fresh run disagree");
    let csv = String::from_utf8(std::fs::read(out.join("export/observations_csv/2022-01-15.csv")).unwrap()).unwrap();
    let cell = csv.lines().find(|l| l.contains("TEBO 15-01-2022.csv") && l.ends_with(",B4")).unwrap();
    assert!(cell.contains(",sdmk,1,187,"), "the changed figure is not in the table: {cell}");
}

/// "N of T" of a `--timings` line's end, as numbers.
fn n_of_t(line: &str) -> (usize, usize) {
    let (n, t) = line.rsplit(": ").next().unwrap().split_once(" of ").unwrap();
    (n.parse().unwrap(), t.parse().unwrap())
}

/// Asserts that two runs wrote the same files (`written_alike`), byte for byte; `when`
/// names the comparison.
fn same(a: Vec<(String, Vec<u8>)>, b: Vec<(String, Vec<u8>)>, when: &str) {
    assert_eq!(a.iter().map(|(n, _)| n).collect::<Vec<_>>(), b.iter().map(|(n, _)| n).collect::<Vec<_>>(), "{when}");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{when}: {name} differs");
    }
}

/// What a run writes that a cached run must write alike: the attainment, findings and
/// canonical table exports, the files' accounting in the manifest, and the archive's
/// partitions.
fn written_alike(out: &Path, archive: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    all.push(("export/findings.csv".to_string(), std::fs::read(out.join("export/findings.csv")).unwrap()));
    all.extend(attainment_files(out));
    for d in ["export/observations", "export/observations_csv"] {
        all.extend(files_under(&out.join(d)).into_iter().map(|(name, bytes)| (format!("{d}/{name}"), bytes)));
    }
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("export/manifest.json")).unwrap()).unwrap();
    all.push(("manifest inputs".into(), manifest["inputs"].to_string().into_bytes()));
    all.extend(files_under(archive).into_iter().filter(|(name, _)| name.starts_with("province_code=")));
    // The latest run record and the parts holding its files' records and targets.
    let (name, record) = files_under(&archive.join("_runs")).into_iter().rfind(|(name, _)| !name.starts_with("parts")).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&record).unwrap();
    let parts = parsed["file_parts"].as_array().unwrap().iter().map(|p| &p["part"]).chain([&parsed["targets_part"]]).map(|p| format!("parts/{}.json", p.as_str().unwrap()));
    all.extend(parts.map(|part| (part.clone(), std::fs::read(archive.join("_runs").join(part)).unwrap())));
    all.push((format!("_runs/{name}"), record));
    all
}

/// A run reading more rows afresh than it holds (`[cache] rows_held`; a year's first run)
/// writes them to the cache as it reads and takes every period back from there: it
/// writes what a run holding them all writes, and the next run reuses every file.
#[test]
fn a_run_that_writes_its_rows_to_the_cache_as_it_reads_writes_what_one_holding_them_writes() {
    let (dir, subs) = copied_submissions();
    // A count that goes down in the last week: the checks (fed the earlier weeks by the
    // table's pass over the cache) have a finding to compare.
    let later = subs.join("2022-01-15/kota_sungai_penuh_2022-01-15.csv");
    let text = std::fs::read_to_string(&later).unwrap();
    assert!(text.contains(",SDMK,1,102,"));
    std::fs::write(&later, text.replace(",SDMK,1,102,", ",SDMK,1,90,")).unwrap();
    let config = dir.path().join("sitrep.toml");
    std::fs::write(&config, "[cache]\nrows_held = 1\n").unwrap();
    let (out, archive) = (dir.path().join("out"), dir.path().join("arsip"));
    let args = ["--config", config.to_str().unwrap(), "--archive", archive.to_str().unwrap()];
    let first = run_timings(&subs, &out, &args);
    assert_eq!(line(&first, "cache:"), "cache: 0 of 35 files reused");
    // The earlier weeks' rows went to the cache and stayed there: no stage but the
    // checks, the sums and the table needed them, and those read them back a batch at a time.
    let (left, all) = n_of_t(&line(&first, "rows left in the cache"));
    assert!(left > 0 && left < all, "the rows read went to the cache: {left} of {all} left there");
    // The same configuration file (it is in the reports' seed), holding every row.
    std::fs::write(&config, "[cache]\nrows_held = 1048576\n").unwrap();
    let (held, held_archive) = (dir.path().join("held"), dir.path().join("held-arsip"));
    let holding = run_timings(&subs, &held, &["--config", config.to_str().unwrap(), "--archive", held_archive.to_str().unwrap()]);
    assert_eq!(n_of_t(&line(&holding, "rows left in the cache")).0, 0, "a run holding what it read decodes nothing");
    same(written_alike(&out, &archive), written_alike(&held, &held_archive), "the first run, against the run that held its rows");
    assert!(std::fs::read_to_string(out.join("export/findings.csv")).unwrap().contains("count_went_down"), "the checks found no count going down");
    let pdfs = |d: &Path| files_under(d).into_iter().filter(|(name, _)| name.ends_with(".pdf")).collect::<Vec<_>>();
    assert!(!pdfs(&out).is_empty() && pdfs(&out) == pdfs(&held), "the reports differ from the run that held its rows");
    // Every file from the segments written while reading.
    assert_eq!(run(&subs, &out, &args), "cache: 35 of 35 files reused");
    same(written_alike(&out, &archive), written_alike(&held, &held_archive), "the run again, against the run that held its rows");
}

/// A run whose canonical table cannot be written (a file where its folder goes) fails,
/// naming the folder, and keeps no checks' state (the checks fed by the table's pass saw
/// only the periods before the failure); once the folder can be written, the next run over
/// what the failed one left in the cache says what a fresh run says.
#[test]
fn after_a_run_whose_canonical_table_failed_the_next_says_what_a_fresh_run_says() {
    let (dir, subs) = copied_submissions();
    let later = subs.join("2022-01-15/kota_sungai_penuh_2022-01-15.csv");
    let text = std::fs::read_to_string(&later).unwrap();
    std::fs::write(&later, text.replace(",SDMK,1,102,", ",SDMK,1,90,")).unwrap();
    let config = dir.path().join("sitrep.toml");
    std::fs::write(&config, "[cache]\nrows_held = 1\n").unwrap();
    let out = dir.path().join("out");
    let blocked = out.join("export/observations_csv");
    std::fs::create_dir_all(blocked.parent().unwrap()).unwrap();
    std::fs::write(&blocked, "not a folder").unwrap();
    let targets = fixtures().join("sasaran.xlsx");
    let args = ["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    let (code, stdout, stderr) = sitrep(&args, dir.path());
    assert_ne!(code, 0, "the run went through\n{stdout}\n{stderr}");
    assert!(stderr.contains("observations_csv"), "{stderr}");
    assert!(!out.join(".cache/checks/state.json").exists(), "the checks kept a state from part of the periods");
    std::fs::remove_file(&blocked).unwrap();
    let (code, stdout, stderr) = sitrep(&args, dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let fresh = dir.path().join("fresh");
    run(&subs, &fresh, &["--no-cache"]);
    let findings = |d: &Path| std::fs::read_to_string(d.join("export/findings.csv")).unwrap();
    assert!(findings(&out).contains("count_went_down"));
    assert_eq!(findings(&out), findings(&fresh));
}

/// The districts' sums are made in the canonical table's pass over the rows; with the
/// table's files unchanged and the sums gone, they are made from the rows alone, the same.
#[test]
fn sums_gone_with_the_table_unchanged_are_made_again_the_same() {
    let (dir, subs) = copied_submissions();
    let out = dir.path().join("out");
    run(&subs, &out, &[]);
    let sums = out.join(".cache/sums");
    // `files_under` leaves the cache out: its files, by name.
    let files_of = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d).unwrap().flatten().map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())).collect();
        v.sort();
        v
    };
    let before = files_of(&sums);
    let attainment = attainment_files(&out);
    assert_eq!(before.len(), 6, "one file of sums per week, and its scope");
    std::fs::remove_dir_all(&sums).unwrap();
    std::fs::remove_dir_all(out.join(".cache/attainment")).unwrap();
    let again = run_timings(&subs, &out, &[]);
    assert_eq!(line(&again, "cache:"), "cache: 35 of 35 files reused");
    assert!(files_of(&sums) == before, "the sums made again differ");
    assert!(attainment_files(&out) == attainment, "the attainment from the sums made again differs");
}

/// A copy of the fixtures' submissions run once into `out` (its cache filled), with the
/// attainment files that run wrote.
fn cached_once() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, Vec<(String, Vec<u8>)>) {
    let (dir, subs) = copied_submissions();
    let out = dir.path().join("out");
    run(&subs, &out, &[]);
    let attainment = attainment_files(&out);
    (dir, subs, out, attainment)
}

/// The run again once its cache is spoilt: every file read afresh, stderr saying each
/// of `said`, and the attainment the same.
fn read_afresh(subs: &Path, out: &Path, attainment: &[(String, Vec<u8>)], said: &[&str]) {
    let (stdout, stderr) = run_timings_stderr(subs, out, &[]);
    assert!(said.iter().all(|s| stderr.contains(s)), "{said:?} in\n{stderr}");
    assert_eq!(line(&stdout, "cache:"), "cache: 0 of 35 files reused");
    assert!(attainment_files(out) == attainment, "the attainment read afresh differs");
}

/// A week's sums damaged in the cache at the same size (so not seen as changed), found
/// when attainment reads them: the run sets the cache aside, reads every submission again
/// and writes what it wrote before, saying so on stderr.
#[test]
fn a_damaged_cache_is_set_aside_and_the_run_done_again() {
    let (_dir, subs, out, attainment) = cached_once();
    let mut sums: Vec<std::path::PathBuf> = std::fs::read_dir(out.join(".cache/sums")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "tsv")).collect();
    sums.sort();
    // The first week's (not the report's week, whose rows are read anyway): its last
    // newline made a letter.
    let mut bytes = std::fs::read(&sums[0]).unwrap();
    *bytes.last_mut().unwrap() = b'x';
    std::fs::write(&sums[0], &bytes).unwrap();
    std::fs::remove_dir_all(out.join(".cache/attainment")).unwrap();
    read_afresh(&subs, &out, &attainment, &[&format!("{} is damaged or gone", sums[0].display()), "set aside as", ".cache-damaged"]);
    assert!(out.join(".cache-damaged/sums").is_dir() && out.join(".cache/sums").is_dir());
    // The next run takes everything from the new cache.
    assert_eq!(run(&subs, &out, &[]), "cache: 35 of 35 files reused");
}

/// A week's attainment damaged in the cache at the same size (the week before the
/// report's, which the rows are chosen from whole) is found by its seal when the cache is
/// read: that week is computed again and its files written anew; every submission still
/// comes from the cache, and the attainment is the same.
#[test]
fn a_damaged_attainment_file_is_computed_again() {
    let (_dir, subs, out, attainment) = cached_once();
    let whole = std::fs::read_dir(out.join(".cache/attainment")).unwrap().flatten().map(|e| e.path()).find(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        name.starts_with("2022-01-08-") && name.ends_with(".parquet") && !name.ends_with(".history.parquet")
    });
    let whole = whole.expect("the week before the report's is kept");
    let mut bytes = std::fs::read(&whole).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 64].fill(b'x');
    std::fs::write(&whole, &bytes).unwrap();
    let (stdout, stderr) = run_timings_stderr(&subs, &out, &[]);
    assert!(!stderr.contains("damaged"), "{stderr}");
    assert_eq!(line(&stdout, "cache:"), "cache: 35 of 35 files reused");
    assert!(attainment_files(&out) == attainment, "the attainment computed again differs");
    assert!(std::fs::read(&whole).unwrap() != bytes, "the damaged file was left");
    assert!(sitrep::sealed::read(&whole).is_some());
}

/// Replaces the first `from` in the file at `path` with `to`, of the same length: damage
/// that neither a size nor a parser sees.
fn damage_in_place(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(from.len()).position(|w| w == from).unwrap_or_else(|| panic!("no {:?} in {}", String::from_utf8_lossy(from), path.display()));
    bytes[at..at + to.len()].copy_from_slice(to);
    std::fs::write(path, bytes).unwrap();
}

/// Cache files damaged where neither their size nor their parser sees it are not read as
/// they are (each is sealed): a segment's index with a field's name misspelt (its rows'
/// places then read as none: the file's rows were dropped), a week's district sums with a
/// figure changed (attainment was computed from it). The run writes what it wrote before.
#[test]
fn cache_files_damaged_unseen_are_not_read_as_they_are() {
    let (_dir, subs, out, attainment) = cached_once();
    let written = |out: &Path| (std::fs::read(out.join("export/findings.csv")).unwrap(), files_under(&out.join("export/observations_csv")), attainment_files(out));
    let before = written(&out);
    let index = std::fs::read_dir(out.join(".cache")).unwrap().flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "json") && p.file_name().unwrap().to_string_lossy().starts_with("segment-")).unwrap();
    damage_in_place(&index, b"\"links\"", b"\"lInks\"");
    let (stdout, stderr) = run_timings_stderr(&subs, &out, &[]);
    assert!(written(&out) == before, "after a damaged index: {stdout}\n{stderr}");
    assert!(attainment_files(&out) == attainment);

    let mut sums: Vec<std::path::PathBuf> = std::fs::read_dir(out.join(".cache/sums")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "tsv")).collect();
    sums.sort();
    // Kerinci's elderly with dose 1 in the first week: 1 more.
    let text = String::from_utf8_lossy(&std::fs::read(&sums[0]).unwrap()).into_owned();
    let line = text.lines().find(|l| l.contains("\t15.01\tlansia\t1\t")).expect("Kerinci's line").to_string();
    let figure = line.rsplit('\t').next().unwrap();
    let raised = (figure.parse::<u64>().unwrap() + 1).to_string();
    assert_eq!(raised.len(), figure.len());
    damage_in_place(&sums[0], line.as_bytes(), line.replace(figure, &raised).as_bytes());
    // Attainment made again from the sums.
    std::fs::remove_dir_all(out.join(".cache/attainment")).unwrap();
    let (stdout, stderr) = run_timings_stderr(&subs, &out, &[]);
    assert!(written(&out) == before, "after damaged sums: {stdout}\n{stderr}");
}

/// A cache this run cannot write (a file where one of its folders should be, as a
/// read-only folder of a colleague's would be) stopped the run at its first write, after
/// reading, with no report. The run goes on without it, every file read afresh, and
/// says so on stderr.
#[test]
fn a_cache_that_cannot_be_written_is_gone_without() {
    let (_dir, subs, out, attainment) = cached_once();
    std::fs::remove_dir_all(out.join(".cache/attainment")).unwrap();
    std::fs::write(out.join(".cache/attainment"), "not a folder").unwrap();
    read_afresh(&subs, &out, &attainment, &["the cache cannot be written", ".cache/attainment", "read afresh"]);
    assert!(out.join("laporan-mingguan-15-2022-01-15.pdf").is_file());
    // Mended, the cache is used again.
    std::fs::remove_file(out.join(".cache/attainment")).unwrap();
    assert_eq!(run(&subs, &out, &[]), "cache: 35 of 35 files reused");
}

/// A segment's observations damaged at the same size pass the loading of the cache (its
/// size is checked, not its hash) and are found when its rows are decoded: the cache is
/// set aside and the run done again. One cut short is not used at all: its files are
/// read again.
#[test]
fn a_damaged_segment_is_found_when_decoded_and_a_short_one_when_loaded() {
    let (_dir, subs, out, attainment) = cached_once();
    let segment = out.join(".cache/segment-0.parquet");
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&segment, &bytes).unwrap();
    read_afresh(&subs, &out, &attainment, &["segment 0", "is damaged or was changed", "set aside as"]);

    // Cut short: the segment is passed over, its files read again, nothing set aside.
    std::fs::remove_dir_all(out.join(".cache-damaged")).unwrap();
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..bytes.len() - 1]).unwrap();
    assert_eq!(run(&subs, &out, &[]), "cache: 0 of 35 files reused");
    assert!(!out.join(".cache-damaged").exists());
    assert!(attainment_files(&out) == attainment);
    assert_eq!(run(&subs, &out, &[]), "cache: 35 of 35 files reused");
}

/// A weekly run leaves the earlier weeks' rows in the cache, as no stage needs them, and
/// writes what a fresh run writes. A resubmission for an earlier week takes the rows of
/// the weeks it touches out of the cache, to be settled with it.
#[test]
fn a_weekly_run_leaves_the_earlier_weeks_rows_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("submissions");
    for week in ["2022-01-01", "2022-01-08"] {
        copy_dir(&fixtures().join(format!("submissions/{week}")), &subs.join(week));
    }
    let (out, archive) = (dir.path().join("out"), dir.path().join("arsip"));
    let with_archive = ["--archive", archive.to_str().unwrap()];
    let first = run_timings(&subs, &out, &with_archive);
    assert_eq!(n_of_t(&line(&first, "rows left in the cache")).0, 0, "a first run decodes what it read");
    copy_dir(&fixtures().join("submissions/2022-01-15"), &subs.join("2022-01-15"));
    let weekly = run_timings(&subs, &out, &with_archive);

    // The rows left are the two earlier weeks', all of them.
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("export/manifest.json")).unwrap()).unwrap();
    let rows_of = |week: &str| manifest["observation_partitions"].as_array().unwrap().iter().find(|p| p["period"] == week).unwrap()["rows"].as_u64().unwrap() as usize;
    let (left, all) = n_of_t(&line(&weekly, "rows left in the cache"));
    assert_eq!(left, rows_of("2022-01-01") + rows_of("2022-01-08"));
    assert_eq!(all, left + rows_of("2022-01-15"));
    assert!(left > 0);
    let fresh = |name: &str| {
        let (out, archive) = (dir.path().join(name), dir.path().join(format!("{name}-arsip")));
        run(&subs, &out, &["--no-cache", "--archive", archive.to_str().unwrap()]);
        written_alike(&out, &archive)
    };
    same(written_alike(&out, &archive), fresh("fresh"), "the weekly run, against a fresh run");

    // Another archive, the cache as it is: the earlier weeks' partitions are written from
    // the rows kept in the cache.
    let other = dir.path().join("arsip-2");
    let again = run_timings(&subs, &out, &["--archive", other.to_str().unwrap()]);
    assert!(n_of_t(&line(&again, "rows left in the cache")).0 > 0);
    same(written_alike(&out, &other), fresh("fresh-2"), "a new archive from the cache, against a fresh run");

    // The week-2 Kerinci file sent again, in week 3's folder: week 2's rows come out of
    // the cache and the two files are settled together.
    std::fs::copy(subs.join("2022-01-08/rekap_kerinci_2022-01-08.xlsx"), subs.join("2022-01-15/rekap_kerinci_susulan.xlsx")).unwrap();
    run(&subs, &out, &with_archive);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("export/manifest.json")).unwrap()).unwrap();
    let statuses: Vec<&str> = manifest["inputs"].as_array().unwrap().iter().filter(|f| f["path"].as_str().unwrap().contains("kerinci_")).map(|f| f["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"duplicate"), "{statuses:?}");
    same(written_alike(&out, &archive), fresh("fresh-3"), "after a resubmission for an earlier week, against a fresh run");
}

/// A report on an earlier week from the cache checks every week (the state kept for the
/// latest week does not serve it) a batch of weeks at a time from the cache, leaving
/// the rows of the weeks nothing else needs there, and says what a fresh run says.
#[test]
fn a_report_on_an_earlier_week_from_the_cache_says_what_a_fresh_run_says() {
    let (dir, subs) = copied_submissions();
    // A count that goes down in the last week (and dose 2 above dose 1 there): findings
    // of a later week than the report's, which the checks still list.
    let later = subs.join("2022-01-15/kota_sungai_penuh_2022-01-15.csv");
    let text = std::fs::read_to_string(&later).unwrap();
    assert!(text.contains(",SDMK,1,102,"));
    std::fs::write(&later, text.replace(",SDMK,1,102,", ",SDMK,1,90,")).unwrap();
    let out = dir.path().join("out");
    run(&subs, &out, &[]);
    let earlier = run_timings(&subs, &out, &["--period", "2022-01-08"]);
    let (left, all) = n_of_t(&line(&earlier, "rows left in the cache"));
    assert!(left > 0 && left < all, "the other weeks' rows stay in the cache: {left} of {all}");
    let fresh = dir.path().join("fresh");
    run(&subs, &fresh, &["--no-cache", "--period", "2022-01-08"]);
    let findings = |d: &Path| std::fs::read_to_string(d.join("export/findings.csv")).unwrap();
    assert_eq!(findings(&out), findings(&fresh));
    for code in ["count_went_down", "dose2_above_dose1"] {
        assert!(findings(&out).contains(code), "the checks found no {code} to compare");
    }
    let reports = |d: &Path| files_under(d).into_iter().filter(|(name, _)| name.ends_with("2022-01-08.pdf")).collect::<Vec<_>>();
    let (a, b) = (reports(&out), reports(&fresh));
    assert!(!a.is_empty());
    assert!(a == b, "the reports on the earlier week differ from a fresh run's");
}

/// `--cache DIR` keeps the cache apart from the output folder: a week whose reports go to
/// a new folder reuses what the last week's run read, and writes what a fresh run
/// writes there; a cache in the archive or the output folder itself is refused.
#[test]
fn a_cache_beside_the_archive_serves_runs_into_new_output_folders() {
    let (dir, subs) = copied_submissions();
    let (archive, cache) = (dir.path().join("arsip"), dir.path().join("arsip-cache"));
    let (week1, week2, fresh, fresh_archive) = (dir.path().join("laporan-1"), dir.path().join("laporan-2"), dir.path().join("fresh"), dir.path().join("fresh-arsip"));
    let kept_apart = ["--archive", archive.to_str().unwrap(), "--cache", cache.to_str().unwrap()];
    assert_eq!(run(&subs, &week1, &kept_apart), "cache: 0 of 35 files reused");
    assert!(cache.join("known-files.json").is_file() && !week1.join(".cache").exists());
    assert_eq!(run(&subs, &week2, &kept_apart), "cache: 35 of 35 files reused");
    assert!(!week2.join(".cache").exists());
    assert_eq!(run(&subs, &fresh, &["--no-cache", "--archive", fresh_archive.to_str().unwrap()]), "cache: 0 of 35 files reused");
    same(written_alike(&week2, &archive), written_alike(&fresh, &fresh_archive), "a run into a new folder through a cache kept apart, and a fresh one");
    let targets = fixtures().join("sasaran.xlsx");
    for (bad, says) in [(archive.join("cache"), "is in the archive"), (week2.clone(), "is the output folder")] {
        let (code, o, err) = sitrep(&["run", subs.to_str().unwrap(), "--targets", targets.to_str().unwrap(), "--out", week2.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--cache", bad.to_str().unwrap()], dir.path());
        assert_eq!(code, 2, "{o}\n{err}");
        assert!(err.contains(says), "{err}");
    }
}
