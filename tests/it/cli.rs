//! The command line as people meet it: the progress bar (only on a terminal), the
//! end-of-run summary (`--quiet`, `--verbose`, `--json`), help with examples, and
//! shell completions.

use crate::common::*;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The demo week without Tebo's file: one district missing.
fn week_without_tebo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    for e in std::fs::read_dir(fixtures().join("submissions/2022-01-15")).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().contains("TEBO") {
            std::fs::copy(&p, subs.join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn run_args<'a>(dir: &'a std::path::Path, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["run".into(), dir.join("subs").display().to_string(), "--targets".into(), fixtures().join("sasaran.xlsx").display().to_string(), "--out".into(), dir.join("out").display().to_string()];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn json_summary_names_what_was_refused_who_is_missing_and_where_the_reports_are() {
    let dir = week_without_tebo();
    let args = run_args(dir.path(), &["--json"]);
    let (code, stdout, stderr) = sitrep(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{stdout}"));
    assert_eq!(v["period"], "2022-01-15");
    assert_eq!(v["files"], 12);
    assert_eq!(v["files_read"], 11);
    assert_eq!(v["files_with_findings"], 2, "Batanghari's totals and the misspelt Kerinci");
    let refused = v["files_refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1);
    assert!(refused[0].as_str().unwrap().ends_with("rekap_bungo_revisi.xlsx"));
    assert_eq!(v["districts_expected"], 11);
    assert_eq!(v["districts_reporting"], 10);
    assert_eq!(v["districts_missing"], serde_json::json!([{"code": "15.09", "name": "KAB. TEBO"}]));
    let report = v["reports"][0].as_str().unwrap();
    assert!(report.ends_with("laporan-mingguan-15-2022-01-15.pdf") && std::path::Path::new(report).is_file());
    assert!(v["exports"].as_array().unwrap().iter().any(|e| e.as_str().unwrap().ends_with("sitrep-15-2022-01-15.xlsx")));
    assert_eq!(v["findings"].as_array().unwrap().len(), v["errors"].as_u64().unwrap() as usize + v["warnings"].as_u64().unwrap() as usize + v["notes"].as_u64().unwrap() as usize);
}

#[test]
fn the_summary_table_and_the_three_levels_of_talk() {
    let dir = week_without_tebo();
    let run = |extra: &[&str]| {
        let args = run_args(dir.path(), extra);
        let (code, stdout, stderr) = sitrep(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
        assert_eq!(code, 0, "{stdout}{stderr}");
        stdout
    };
    let normal = run(&[]);
    for needle in ["Files read:", "Summary, period 2022-01-15:", "files read           11 of 12", "refused              1: rekap_bungo_revisi.xlsx", "districts reporting  10 of 11", "districts missing    KAB. TEBO (15.09)", "laporan-mingguan-15-2022-01-15.pdf", "sitrep-15-2022-01-15.xlsx"] {
        assert!(normal.contains(needle), "'{needle}' missing:\n{normal}");
    }
    assert!(!normal.contains("Wrote "), "{normal}");
    let quiet = run(&["--quiet"]);
    assert_eq!(quiet.lines().count(), 1, "{quiet}");
    assert!(quiet.starts_with("sitrep: 12 files"), "{quiet}");
    let verbose = run(&["--verbose"]);
    assert!(verbose.contains("Wrote ") && verbose.contains("manifest.json"), "{verbose}");
    assert!(verbose.lines().count() > normal.lines().count());
}

#[test]
fn the_pipeline_reports_progress_through_a_hook() {
    struct Count(AtomicUsize, AtomicUsize, Mutex<Vec<String>>);
    impl sitrep::Progress for Count {
        fn files(&self, total: usize) {
            self.0.store(total, Ordering::SeqCst);
        }
        fn file_read(&self, _: &std::path::Path) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
        fn stage(&self, name: &str) {
            self.2.lock().unwrap().push(name.to_string());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = sitrep::config::RunPlan::resolve(sitrep::config::RawArgs {
        inputs: vec![fixtures().join("submissions")],
        targets: Some(fixtures().join("sasaran.xlsx")),
        out: Some(dir.path().join("out")),
        ..Default::default()
    })
    .unwrap();
    let count = Count(AtomicUsize::new(0), AtomicUsize::new(0), Mutex::new(Vec::new()));
    let summary = sitrep::run_with(&plan, &count).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), summary.files.len());
    assert_eq!(count.1.load(Ordering::SeqCst), summary.files.len());
    assert_eq!(*count.2.lock().unwrap(), ["targets", "attainment", "report", "export"]);
}

/// Runs sitrep under a pseudo-terminal (util-linux `script`), as a person would.
fn on_a_terminal(args: &str, ci: bool) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` not installed");
        return None;
    }
    let dir = week_without_tebo();
    let cmd = format!("{} {} {}", env!("CARGO_BIN_EXE_sitrep"), run_args(dir.path(), &[]).iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" "), args);
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).current_dir(dir.path());
    if ci { c.env("CI", "true") } else { c.env_remove("CI") };
    let out = c.output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_progress_bar_on_a_terminal_only() {
    let Some(tty) = on_a_terminal("", false) else { return };
    assert!(tty.contains("/12 files"), "a bar on a terminal:\n{tty}");
    assert!(!on_a_terminal("", true).unwrap().contains("/12 files"), "no bar in CI");
    assert!(!on_a_terminal("--quiet", false).unwrap().contains("/12 files"), "no bar with --quiet");
    // Piped (as in every other test): no bar, no control characters.
    let dir = week_without_tebo();
    let args = run_args(dir.path(), &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep")).args(&args).env_remove("CI").output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("/12 files") && !all.contains('\r') && !all.contains('\u{1b}'), "{all}");
}

#[test]
fn every_command_explains_itself_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [&["--help"][..], &["run", "--help"], &["init", "--help"], &["template", "--help"], &["completions", "--help"]] {
        let (code, stdout, _) = sitrep(cmd, dir.path());
        assert_eq!(code, 0);
        assert!(stdout.contains("sitrep ") && (stdout.contains("Examples:") || stdout.contains("A week's work:")), "{cmd:?}:\n{stdout}");
    }
    let (_, top, _) = sitrep(&["--help"], dir.path());
    for sub in ["run", "init", "template", "completions"] {
        assert!(top.contains(sub), "{sub} listed in --help");
    }
    let (_, run, _) = sitrep(&["run", "--help"], dir.path());
    for flag in ["--quiet", "--verbose", "--json", "--targets", "--period", "--strict"] {
        assert!(run.contains(flag), "{flag} in run --help");
    }
}

#[test]
fn shell_completions() {
    let dir = tempfile::tempdir().unwrap();
    let (code, bash, _) = sitrep(&["completions", "bash"], dir.path());
    assert_eq!(code, 0);
    assert!(bash.contains("_sitrep()") && bash.contains("template") && bash.contains("--province"), "{bash}");
    let (code, fish, _) = sitrep(&["completions", "fish"], dir.path());
    assert_eq!(code, 0);
    assert!(fish.contains("complete -c sitrep"), "{fish}");
    let (code, _, err) = sitrep(&["completions", "cmd.exe"], dir.path());
    assert_eq!(code, 2, "{err}");
}
