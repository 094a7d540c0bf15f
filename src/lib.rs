//! sitrep: vaccination submissions in, weekly situation reports and an archive out.
//!
//! The pipeline, one module per stage, data flowing one way:
//! `ingest` (bytes → grid) → `layout` (grid → readings) → `table` (readings → canonical
//! table with codes and provenance) → `attain` (coverage, gaps, ranks) → `checks`
//! (figures that cannot all be right) → `report` (PDF)
//! and `export` (Parquet, CSV, manifest). [`Finding`]s travel beside the data.

pub mod appgap;
pub mod archive;
pub mod attain;
pub mod attain_cache;
pub mod cache;
pub mod changes;
pub mod checks;
pub mod checks_state;
pub mod config;
pub mod export;
pub mod findings;
pub mod gates;
pub mod gazetteer;
pub mod institutions;
pub mod ingest;
pub mod known_files;
pub mod layout;
pub mod levels;
mod making;
mod mapped;
pub mod pending;
pub mod period_keys;
pub mod period_sums;
pub mod receipts;
pub mod report;
pub mod sealed;
pub mod summary;
pub mod sym;
pub mod table;
mod table_parquet;
pub mod template;
pub mod timings;
pub mod validate;
pub mod workspace;
mod write_behind;

use anyhow::{bail, Context, Result};
use config::RunPlan;
use findings::Finding;
use ingest::SourceFile;
use layout::Purpose;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use table::{FileOutcome, FileTable, Resolver};

/// What a run did, for the command-line summary and the exit status.
pub struct RunSummary {
    pub files: Vec<FileOutcome>,
    pub targets: Option<FileOutcome>,
    pub findings: Vec<Finding>,
    pub reports: Vec<export::Output>,
    pub exports: Vec<export::Output>,
    pub period: Option<chrono::NaiveDate>,
    pub timings: timings::Timings,
    /// Provinces reported on, and the districts with figures for the period.
    pub provinces: Vec<String>,
    pub districts_reporting: Vec<String>,
    /// What the run says of itself beside the findings (a damaged cache set aside).
    pub notes: Vec<String>,
}

/// What the pipeline says about its progress, for a progress bar. The pipeline knows
/// nothing of terminals; `()` ignores everything.
pub trait Progress: Sync {
    /// The number of submission files found.
    fn files(&self, _total: usize) {}
    /// One file has been read (ingest, layout, table), in any order.
    fn file_read(&self, _path: &Path) {}
    /// A later stage has started: `targets`, `attainment`, `report`, `export`.
    fn stage(&self, _name: &str) {}
    /// The cache is loaded: of the files found, about `afresh` are not in it and will be
    /// read (a weekly run over a year's folder: a week's).
    fn to_read_afresh(&self, _afresh: usize) {}
    /// Reading is done: `read_afresh` files were read afresh. `carries_on`: the checks
    /// carry on from the last run, so the stages after it decode only the new periods'
    /// rows from the cache (a weekly run over a year's folder holds a week's worth more).
    fn read_done(&self, _read_afresh: usize, _carries_on: bool) {}
    /// The pass over every period's rows (the canonical table, the districts' sums and
    /// the checks, a batch of periods at a time) begins (`true`) or is done.
    fn rows_pass(&self, _begins: bool) {}
}

impl Progress for () {}

/// `f` over `items` in parallel, as many at once as there are threads and no more. For
/// work that calls polars: a thread waiting for polars' own pool takes up further items
/// meanwhile, and over a year's partitions their frames piled up to gigabytes and their
/// stacks overflowed (`--archive` of a national year aborted).
pub(crate) fn par_map_bounded<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Result<R> + Sync) -> Result<Vec<R>> {
    let mut out = Vec::with_capacity(items.len());
    for some in items.chunks(rayon::current_num_threads().max(1)) {
        out.extend(some.par_iter().map(&f).collect::<Result<Vec<R>>>()?);
    }
    Ok(out)
}

/// This sitrep: its version and its build (the executable's size and time), so that what
/// one build wrote (the cache, the export's partitions) is not taken as another's.
pub fn build_stamp() -> String {
    let build = std::env::current_exe().and_then(std::fs::metadata).map(|m| format!("{}:{:?}", m.len(), m.modified().ok())).unwrap_or_default();
    format!("{}\n{build}", env!("CARGO_PKG_VERSION"))
}

/// Every submission file under the given paths, sorted, without following links out.
pub fn collect_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    list_inputs(paths, &[]).0.into_iter().map(|(path, _)| path).collect()
}

/// A submission file as listed: its path, and what was taken of its metadata while
/// listing.
type Listed = (PathBuf, Option<known_files::Statted>);

/// [`collect_inputs`] with each file's metadata, taken as its folder is listed: relative
/// to the open folder, a stat walks one name, not the whole path (a year's 26,728 files
/// stat by path were 30 ms of a weekly run's reading; 20 ms this way, and beside the
/// cache's loading rather than after it). The files and folders in `own` are passed
/// over where a folder holds them, and so is a file of `own` named among the paths
/// (`sitrep run kiriman/* --targets kiriman/sasaran.xlsx`: the shell named it twice).
/// Beside them, a finding for each file in a folder that may be figures sent as
/// something other than a spreadsheet ([`ingest::not_a_spreadsheet`]).
fn list_inputs(paths: &[PathBuf], own: &[&Path]) -> (Vec<Listed>, Vec<Finding>) {
    let (mut files, mut others) = (Vec::new(), Vec::new());
    // Each of `own` that exists, as given and as its real path: found once for every path
    // listed (week folders given one by one are dozens).
    let own: Vec<(&Path, PathBuf)> = own.iter().filter_map(|p| Some((*p, p.canonicalize().ok()?))).collect();
    for p in paths {
        if p.is_file() {
            if !is_own_file(p, &own) {
                files.push((p.clone(), known_files::Statted::of(std::fs::metadata(p))));
            }
            continue;
        }
        list_folder(p, &own_paths_in(p, &own), &mut files, &mut others);
    }
    // Several paths given: their files together, each once.
    if paths.len() > 1 {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        others.sort_by(|a, b| a.source.cmp(&b.source));
        others.dedup_by(|a, b| a.source == b.source);
    }
    (files, others)
}

/// The submission files in `folder` and its folders, with their metadata, in the order of
/// `Path`'s comparison (component by component): each folder's entries sorted by name,
/// a folder's files listed at its name's place. Sorting the whole list by path instead
/// was 6 ms of a weekly run over a year's folder, on one core. Links are not followed (a
/// link to a file or folder is passed over); a folder that cannot be listed is passed
/// over; so are the paths in `skip`. Files that are no spreadsheet but may hold figures
/// go to `others`, as findings.
fn list_folder(folder: &Path, skip: &HashSet<PathBuf>, files: &mut Vec<Listed>, others: &mut Vec<Finding>) {
    let Ok(listing) = std::fs::read_dir(folder) else { return };
    let mut entries: Vec<(std::ffi::OsString, std::fs::DirEntry)> = listing.flatten().map(|e| (e.file_name(), e)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    files.reserve(entries.len());
    for (name, entry) in entries {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if !skip.is_empty() && skip.contains(&path) {
            continue;
        }
        if kind.is_dir() {
            list_folder(&path, skip, files, others);
            continue;
        }
        let name = name.to_string_lossy();
        // Office lock files (~$x.xlsx) and hidden files are not submissions.
        if kind.is_file() && !name.starts_with("~$") && !name.starts_with('.') {
            if ingest::has_known_extension(&path) {
                files.push((path, known_files::Statted::of(entry.metadata())));
            } else {
                others.extend(ingest::not_a_spreadsheet(&path));
            }
        }
    }
}

/// Those of `own` that lie in `folder`, as its listing names them (`folder` joined with
/// the rest of their path): compared on real paths, so `.`, `..` and links in the paths
/// given do not hide them. One that does not exist yet cannot be listed.
fn own_paths_in(folder: &Path, own: &[(&Path, PathBuf)]) -> HashSet<PathBuf> {
    let Ok(real_folder) = folder.canonicalize() else { return HashSet::new() };
    own.iter().filter_map(|(_, real)| real.strip_prefix(&real_folder).ok().filter(|rest| !rest.as_os_str().is_empty()).map(|rest| folder.join(rest))).collect()
}

/// Whether `file` is one of `own`, on real paths (compared only for the same file name,
/// as given or real: a glob names hundreds of files).
fn is_own_file(file: &Path, own: &[(&Path, PathBuf)]) -> bool {
    let name = file.file_name();
    own.iter().any(|(given, real)| (given.file_name() == name || real.file_name() == name) && file.canonicalize().is_ok_and(|f| f == *real))
}

/// When each file was received: the receipts log's time when the plan names a log, else
/// the file's modification time. Notes about the log come back as findings.
fn received_times(plan: &RunPlan, files: &[FileTable], file_times: Vec<Option<chrono::DateTime<chrono::Utc>>>) -> (Vec<receipts::Received>, Vec<Finding>) {
    let Some(path) = &plan.receipts else { return (file_times.into_iter().map(|at| receipts::Received { at, from_log: false }).collect(), Vec::new()) };
    let (log, mut findings) = receipts::read(path, &plan.limits);
    let paths: Vec<String> = files.iter().map(|f| f.outcome.path.clone()).collect();
    let (times, notes) = log.apply(&paths, &file_times);
    findings.extend(notes);
    (times, findings)
}

/// The plan's submission files and the findings about files that are no spreadsheet, or
/// an error saying where none was found (and what was found instead).
fn submission_paths(plan: &RunPlan) -> Result<(Vec<Listed>, Vec<Finding>)> {
    let (paths, others) = list_inputs(&plan.inputs, &plan.own_paths());
    if paths.is_empty() {
        let instead = match others.len() {
            0 => String::new(),
            n => format!("; found instead {n} file(s) that are no spreadsheet: {}", others.iter().take(5).map(|f| f.source.as_str()).collect::<Vec<_>>().join(", ")),
        };
        bail!("no submission files (.xlsx .xlsm .xls .xlsb .ods .csv .tsv) found in {}{instead}", plan.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok((paths, others))
}

fn load(path: &Path) -> std::io::Result<SourceFile> {
    load_with(path, known_files::Statted::of(std::fs::metadata(path)).as_ref())
}

/// A file's bytes and content hash, with its modification time from `meta` (taken
/// before reading).
fn load_with(path: &Path, meta: Option<&known_files::Statted>) -> std::io::Result<SourceFile> {
    let bytes = std::fs::read(path)?;
    Ok(SourceFile { path: path.to_path_buf(), display: path.display().to_string(), sha256: export::sha256_hex(&bytes), bytes, modified: file_time(meta) })
}

/// A file's modification time, as submissions' times are kept.
fn file_time(meta: Option<&known_files::Statted>) -> Option<chrono::DateTime<chrono::Utc>> {
    meta.map(|m| chrono::DateTime::<chrono::Utc>::from(m.modified))
}

/// Ingest, layout and table for one file: never fails, a bad file is a finding.
fn read_one(path: &Path, purpose: Purpose, plan: &RunPlan, resolver: &Resolver, clock: &timings::StageClock) -> (FileTable, Option<chrono::DateTime<chrono::Utc>>) {
    let (table, _, modified) = read_one_explained(path, purpose, plan, resolver, clock);
    (table, modified)
}

/// As [`read_one`], keeping the layout (what each sheet's columns and rows were read as)
/// for `sitrep validate`.
fn read_one_explained(
    path: &Path,
    purpose: Purpose,
    plan: &RunPlan,
    resolver: &Resolver,
    clock: &timings::StageClock,
) -> (FileTable, Option<layout::FileLayout>, Option<chrono::DateTime<chrono::Utc>>) {
    let started = std::time::Instant::now();
    let file = match load(path) {
        Ok(f) => f,
        Err(e) => {
            let display = path.display().to_string();
            let f = SourceFile { path: path.to_path_buf(), display: display.clone(), bytes: Vec::new(), sha256: String::new(), modified: None };
            return (table::unreadable(&f, Finding::error("unreadable_file", &display, format!("cannot read the file: {e}"))), None, None);
        }
    };
    read_loaded(file, started, purpose, plan, resolver, clock)
}

/// How many submissions came from the cache, and how many of those were not read at all.
#[derive(Default)]
struct CacheCounts {
    hits: std::sync::atomic::AtomicUsize,
    not_read: std::sync::atomic::AtomicUsize,
}

/// The run's files as listed ([`list_inputs`]): their paths, their metadata (`None`
/// where it could not be had), and a time before any was taken.
struct Listing<'a> {
    paths: &'a [PathBuf],
    metas: &'a [Option<known_files::Statted>],
    before: std::time::SystemTime,
}

/// A submission through the cache, with its metadata and a time before it was taken. A
/// file whose stamp (size, times, inode) is as the cache last saw it is not read: its
/// content hash is the one seen then. Otherwise it is loaded and hashed, and a hit skips
/// ingest, layout and table (its rows stay in the cache, where [`cache::Stored`] says).
/// Returns the table, the file time and the cache key.
fn read_through_cache(path: &Path, statted: Option<(&known_files::Statted, std::time::SystemTime)>, plan: &RunPlan, resolver: &Resolver, clock: &timings::StageClock, cache: &cache::Cache, counts: &CacheCounts) -> Read {
    use std::sync::atomic::Ordering::Relaxed;
    let started = std::time::Instant::now();
    // As `display` shows it, without a copy when the path is UTF-8 (a year's 26,728 files).
    let shown = path.to_string_lossy();
    let meta = statted.map(|(m, _)| m);
    // Settled as of a time before the stat, not after: a file written just before it is
    // then not stamped.
    let stamp = statted.and_then(|(m, before)| m.settled(before));
    if let Some(stamp) = stamp {
        if let Some(found) = cache.known.unchanged(&shown, &stamp) {
            let key = found.key.map_or_else(|| cache.key(found.sha256, &shown), String::from);
            if let Some((t, stored)) = cache.take(&key) {
                match found.key {
                    Some(_) => found.saw(),
                    None => cache.known.saw(shown.into_owned(), stamp, found.sha256.to_string(), key.clone()),
                }
                clock.add(timings::Stage::Ingest, started);
                counts.hits.fetch_add(1, Relaxed);
                counts.not_read.fetch_add(1, Relaxed);
                return (t, file_time(meta), Some(key), Some(stored));
            }
        }
    }
    let Ok(file) = load_with(path, meta) else {
        // Unreadable: said as without a cache, and not cached.
        let (t, m) = read_one(path, Purpose::Submission, plan, resolver, clock);
        return (t, m, None, None);
    };
    let key = cache.key(&file.sha256, &file.display);
    // The stamp taken before reading, kept if the file still had that size: a write
    // since would have changed its times, so the next run reads it again.
    if let Some(stamp) = stamp.filter(|s| s.bytes() == file.bytes.len() as u64) {
        cache.known.saw(shown.into_owned(), stamp, file.sha256.clone(), key.clone());
    }
    if let Some((t, stored)) = cache.take(&key) {
        clock.add(timings::Stage::Ingest, started);
        counts.hits.fetch_add(1, Relaxed);
        return (t, file.modified, Some(key), Some(stored));
    }
    let (t, _, modified) = read_loaded(file, started, Purpose::Submission, plan, resolver, clock);
    (t, modified, Some(key), None)
}

/// A submission as read: its table (without its rows when they are still in the cache),
/// its file time, its cache key and where the cache has its rows.
type Read = (FileTable, Option<chrono::DateTime<chrono::Utc>>, Option<String>, Option<cache::Stored>);

/// Ingest, layout and table of a file already loaded.
fn read_loaded(
    file: SourceFile,
    started: std::time::Instant,
    purpose: Purpose,
    plan: &RunPlan,
    resolver: &Resolver,
    clock: &timings::StageClock,
) -> (FileTable, Option<layout::FileLayout>, Option<chrono::DateTime<chrono::Utc>>) {
    let grid = ingest::read(&file, &plan.limits);
    let ingested = clock.add(timings::Stage::Ingest, started);
    let grid = match grid {
        Ok(g) => g,
        Err(finding) => return (table::unreadable(&file, finding), None, file.modified),
    };
    let mut layout = layout::read(&grid, &file.display, purpose, &plan.vocab);
    let laid_out = clock.add(timings::Stage::Layout, ingested);
    let mut found = grid.findings.clone();
    found.append(&mut layout.findings);
    layout.findings = found;
    let resolved = table::resolve_file(&file, &grid.how, &layout, resolver);
    clock.add(timings::Stage::Table, laid_out);
    (resolved, Some(layout), file.modified)
}

/// `sitrep validate`: reads the submissions exactly as [`run`] does (including the
/// settling of resubmissions and repeated figures) and returns, per file, the outcome,
/// the findings and the layout as understood; a file that is no spreadsheet but may hold
/// figures comes last, skipped with the finding a run makes of it. Writes nothing.
pub fn validate(plan: &RunPlan) -> Result<Vec<validate::Validation>> {
    let gazetteer = gazetteer::embedded();
    let resolver = Resolver { gazetteer, aliases: &plan.aliases };
    let (paths, not_spreadsheets) = submission_paths(plan)?;
    let clock = timings::StageClock::default();
    let results: Vec<_> = paths.par_iter().map(|(p, _)| read_one_explained(p, Purpose::Submission, plan, &resolver, &clock)).collect();
    let mut files = Vec::new();
    let mut layouts = Vec::new();
    let mut mtimes = Vec::new();
    for (f, l, m) in results {
        files.push(f);
        layouts.push(l);
        mtimes.push(m);
    }
    table::settle(&mut files, &mtimes);
    let skipped = not_spreadsheets.into_iter().map(|finding| {
        let outcome = FileOutcome { path: finding.source.clone(), status: "skipped".into(), note: "not a spreadsheet".into(), ..Default::default() };
        validate::Validation { table: FileTable { outcome: Box::new(outcome), findings: vec![finding], ..Default::default() }, layout: None }
    });
    Ok(files.into_iter().zip(layouts).map(|(table, layout)| validate::Validation { table, layout }).chain(skipped).collect())
}

pub fn run(plan: &RunPlan) -> Result<RunSummary> {
    run_with(plan, &())
}

/// [`run`], telling `progress` how far it got. A cache found damaged once the run
/// relied on it (a period's sums unreadable, a segment changed under it) is set aside as
/// `.cache-damaged` beside it and the run done again without it: the reports still come
/// out (reading everything afresh), and the summary's notes say what happened.
pub fn run_with(plan: &RunPlan, progress: &dyn Progress) -> Result<RunSummary> {
    // A cache this run cannot write is gone without, as with `--no-cache`.
    if let Some(dir) = plan.cache.as_deref() {
        if let Err(e) = cache::writable(dir) {
            let mut summary = run_once(&RunPlan { cache: None, ..plan.clone() }, progress)?;
            summary.notes.push(format!(
                "the cache cannot be written ({e}): every submission was read afresh, as the next run will be until it can; `--no-cache` runs so on purpose, and deleting {} lets the next run make it anew",
                dir.display()
            ));
            return Ok(summary);
        }
    }
    let damaged = match run_once(plan, progress) {
        Err(e) if e.chain().any(|c| c.is::<cache::Damaged>()) => e,
        done => return done,
    };
    let Some(dir) = &plan.cache else { return Err(damaged) };
    // `.cache-damaged` beside `.cache`; `arsip-cache-damaged` beside `--cache arsip-cache`.
    let aside = dir.with_file_name(format!("{}-damaged", dir.file_name().map(|n| n.to_string_lossy()).unwrap_or(".cache".into())));
    if aside.exists() {
        std::fs::remove_dir_all(&aside).with_context(|| format!("{damaged:#}; and {} could not be removed to set the cache aside", aside.display()))?;
    }
    std::fs::rename(dir, &aside).with_context(|| format!("{damaged:#}; and the cache could not be set aside"))?;
    let mut summary = run_once(plan, progress)?;
    summary.notes.push(format!(
        "{damaged:#}: the cache was set aside as {} and every submission read again (it can be deleted)",
        aside.display()
    ));
    Ok(summary)
}

fn run_once(plan: &RunPlan, progress: &dyn Progress) -> Result<RunSummary> {
    let run_started = std::time::Instant::now();
    // The folder is listed while the cache's indexes are read (each a tenth of a second
    // over a year's folder), and the gazetteer parsed beside them (alone, it was a
    // national week's first 10 ms, on one core).
    let listing_began = std::time::SystemTime::now();
    let ((paths, gazetteer), cache) = rayon::join(|| rayon::join(|| submission_paths(plan), gazetteer::embedded), || plan.cache.as_ref().map(|dir| cache::Cache::load(dir, &plan.config_json)));
    let resolver = Resolver { gazetteer, aliases: &plan.aliases };
    let (paths, not_spreadsheets) = paths?;
    let (paths, metas): (Vec<PathBuf>, Vec<Option<known_files::Statted>>) = paths.into_iter().unzip();
    let listing = Listing { paths: &paths, metas: &metas, before: listing_began };
    // Stage 1–3 per file, in parallel; results keep the sorted input order.
    let clock = timings::StageClock::default();
    progress.files(paths.len());
    if let Some(c) = &cache {
        progress.to_read_afresh(c.to_read_afresh(&paths));
    }
    let counts = CacheCounts::default();
    let mut cache = cache;
    let results = read_submissions(&listing, plan, &resolver, &clock, &mut cache, &counts, progress)?;
    // A year's stamps are 2 MB, no longer needed.
    drop(metas);
    let (hits, not_read) = (counts.hits.into_inner(), counts.not_read.into_inner());
    let summary = std::thread::scope(|scope| -> Result<RunSummary> {
        // What needs none of the files read, read on threads of their own while this one
        // sorts the files out (one core was idle for it).
        let beside = ReadBeside {
            checks: scope.spawn(|| checks_state::kept(plan.cache.as_ref().map(|d| d.join(cache::CHECKS)).as_deref(), &plan.checks)),
            targets: scope.spawn(|| plan.targets.as_ref().map(|p| read_one(p, Purpose::Targets, plan, &resolver, &clock).0)),
        };
        let mut read = Files::with_capacity(results.len(), not_spreadsheets);
        let mut stored = Vec::with_capacity(results.len());
        for (t, m, k, s) in results {
            read.tables.push(t);
            read.mtimes.push(m);
            read.keys.push(k);
            stored.push(s);
        }
        // What the cache writes of this run's files: written beside the rest of the run when
        // it is small (a week's, copied, as settling changes the files next); a year read
        // afresh is written now, as a copy would double the run's memory. Rewritten only
        // when something changed: a file read afresh, or one gone.
        let writing = cache.as_ref().filter(|c| hits < paths.len() || c.left_over() > 0);
        let with_key: Vec<usize> = (0..read.keys.len()).filter(|i| read.keys[*i].is_some()).collect();
        let (new, kept) = match writing {
            Some(c) => {
                let (new, kept) = c.to_write(&with_key.iter().filter_map(|i| read.keys[*i].as_deref()).collect::<Vec<_>>());
                (new.into_iter().map(|n| with_key[n]).collect(), Some(kept))
            }
            None => (Vec::new(), None),
        };
        // The cached files' rows settling needs, and those written again, are decoded now;
        // the others stay in the cache until a stage asks for them.
        let pending = match &cache {
            Some(c) => {
                let mut needed = vec![false; read.tables.len()];
                new.iter().for_each(|i: &usize| needed[*i] = true);
                Some(pending::Pending::new(c, &mut read.tables, stored, &read.keys, &needed).context("reading the cache")?)
            }
            None => None,
        };
        let mut to_write: Option<(Vec<(String, FileTable)>, cache::Kept)> = None;
        if let (Some(c), Some(kept)) = (writing, kept) {
            let entries: Vec<(String, &FileTable)> = new.iter().filter_map(|i| Some((read.keys[*i].clone()?, &read.tables[*i]))).collect();
            if entries.iter().map(|(_, f)| f.observations.len()).sum::<usize>() <= CACHE_COPIED_MAX {
                to_write = Some((entries.into_iter().map(|(k, f)| (k, f.clone())).collect(), kept));
            } else {
                c.write(&entries, kept)?;
            }
        }
        std::thread::scope(|scope| {
            let saving = scope.spawn(|| -> Result<()> {
                let Some(c) = &cache else { return Ok(()) };
                if let Some((new, kept)) = to_write {
                    c.write(&new.iter().map(|(k, f)| (k.clone(), f)).collect::<Vec<_>>(), kept)?;
                }
                c.known.save()
            });
            let summary = settle_and_report(plan, progress, &clock, run_started, read, pending, cache.as_ref(), (hits, not_read, paths.len()), beside);
            let saved = saving.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the thread stopped"))).context("saving the cache");
            let summary = summary?;
            saved?;
            Ok(summary)
        })
    });
    drop_aside(cache);
    summary
}

/// What a run reads beside its files, needing none of them: the checks' state the last
/// run kept, and the targets file.
struct ReadBeside<'s> {
    checks: std::thread::ScopedJoinHandle<'s, checks_state::Earlier>,
    targets: std::thread::ScopedJoinHandle<'s, Option<FileTable>>,
}

/// Drops `value` on a thread of its own: a year's cache is 26,000 entries and their
/// texts freed one by one (9 ms), which the caller need not wait for (the command line
/// exits meanwhile).
fn drop_aside<T: Send + 'static>(value: T) {
    // Should no thread start, the value is dropped here, with the closure.
    let _ = std::thread::Builder::new().name("drop".into()).spawn(move || drop(value));
}

/// Files read at a time: between two parts, the rows read afresh may be written to the
/// cache ([`read_submissions`]).
const READ_PART: usize = 512;

/// Files read afresh written to the cache as one segment while reading: their places in
/// the results, whether each settles alone, and the segment (being written, then written).
struct Part<S> {
    which: Vec<usize>,
    alone: Vec<bool>,
    segment: S,
}

/// Stage 1–3 of every submission, in parallel, `READ_PART` files at a time, through the
/// cache when there is one; results keep the sorted input order. Once the rows read
/// afresh pass `plan.rows_held`, they are written to the cache as a segment (on a thread
/// of its own, while the next part is read) and let go of: they are then where
/// [`cache::Stored`] says, as for a file the cache had.
fn read_submissions(
    listing: &Listing,
    plan: &RunPlan,
    resolver: &Resolver,
    clock: &timings::StageClock,
    cache: &mut Option<cache::Cache>,
    counts: &CacheCounts,
    progress: &dyn Progress,
) -> Result<Vec<Read>> {
    let paths = listing.paths;
    let mut results: Vec<Read> = Vec::with_capacity(paths.len());
    let written = std::thread::scope(|scope| -> Result<Vec<Part<cache::Spilled>>> {
        let cache = cache.as_ref();
        let mut number = cache.map(cache::Cache::next_number).unwrap_or(0);
        // Files read afresh whose rows are not in the cache yet (their places in
        // `results`), and how many rows they hold.
        let (mut unspilled, mut unspilled_rows, mut spilling) = (Vec::new(), 0, false);
        // The segment being written (one at a time: at most two parts' rows are held),
        // and those written.
        let mut writing: Option<Part<std::thread::ScopedJoinHandle<Result<cache::Spilled>>>> = None;
        let mut written = Vec::new();
        let finish = |w: Option<Part<std::thread::ScopedJoinHandle<Result<cache::Spilled>>>>, written: &mut Vec<Part<cache::Spilled>>| -> Result<()> {
            if let Some(Part { which, alone, segment }) = w {
                let segment = segment.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the thread stopped"))).context("writing the cache")?;
                written.push(Part { which, alone, segment });
            }
            Ok(())
        };
        let parts: Vec<&[PathBuf]> = paths.chunks(READ_PART).collect();
        for (n, part) in parts.iter().enumerate() {
            let part_metas = &listing.metas[n * READ_PART..n * READ_PART + part.len()];
            let read: Vec<Read> = part
                .par_iter()
                .zip(part_metas)
                // In small pieces: the files to read are together (a new week's folder, at
                // the end of a year's), and in large pieces rayon began with one thread
                // reading them all.
                .with_max_len(8)
                .map(|(p, meta)| {
                    let r = match cache {
                        Some(c) => read_through_cache(p, meta.as_ref().map(|m| (m, listing.before)), plan, resolver, clock, c, counts),
                        None => {
                            let (t, m) = read_one(p, Purpose::Submission, plan, resolver, clock);
                            (t, m, None, None)
                        }
                    };
                    progress.file_read(p);
                    r
                })
                .collect();
            for r in read {
                if r.2.is_some() && r.3.is_none() && !r.0.observations.is_empty() {
                    unspilled.push(results.len());
                    unspilled_rows += r.0.observations.len();
                }
                results.push(r);
            }
            // A run that wrote some of its rows to the cache writes the rest too: its later
            // stages then read every period the same way.
            let last = n + 1 == parts.len();
            let Some(c) = cache.filter(|_| unspilled_rows >= plan.rows_held || (last && spilling && !unspilled.is_empty())) else { continue };
            finish(writing.take(), &mut written)?;
            spilling = true;
            let which = std::mem::take(&mut unspilled);
            unspilled_rows = 0;
            // Whether settling each on its own changes nothing, as the cache keeps for the
            // files it has ([`cache::Cache::settled_alone`]); found before the rows go.
            let alone: Vec<bool> = which.par_iter().map(|i| table::settles_alone(&results[*i].0)).collect();
            // The rows moved to the writing thread, with a copy of their files' records.
            let files: Vec<(String, FileTable)> = which
                .iter()
                .map(|i| {
                    let (t, _, key, _) = &mut results[*i];
                    let rows = std::mem::take(&mut t.observations);
                    (key.clone().unwrap_or_default(), FileTable { observations: rows, outcome: t.outcome.clone(), targets: t.targets.clone(), statuses: t.statuses.clone(), findings: t.findings.clone() })
                })
                .collect();
            let this = number;
            number += 1;
            writing = Some(Part { which, alone, segment: scope.spawn(move || c.write_spilled(this, &files)) });
        }
        finish(writing.take(), &mut written)?;
        Ok(written)
    })?;
    if let Some(c) = cache.as_mut() {
        for Part { which, alone, segment } in written {
            for ((i, place), alone) in which.into_iter().zip(c.add_spilled(segment)).zip(alone) {
                let (_, _, key, stored) = &mut results[i];
                if let (true, Some(k)) = (alone, key.as_ref()) {
                    c.settled_alone.insert(k.clone());
                }
                *stored = Some(place);
            }
        }
    }
    Ok(results)
}

/// The run's submission files as read, in input order: their tables, file times and
/// cache keys.
struct Files {
    tables: Vec<FileTable>,
    mtimes: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    keys: Vec<Option<String>>,
    /// What listing found of files that are no spreadsheet ([`ingest::not_a_spreadsheet`]).
    not_spreadsheets: Vec<Finding>,
}

impl Files {
    fn with_capacity(n: usize, not_spreadsheets: Vec<Finding>) -> Files {
        Files { tables: Vec::with_capacity(n), mtimes: Vec::with_capacity(n), keys: Vec::with_capacity(n), not_spreadsheets }
    }
}

/// Observations a run's cache writes on the side, copied: more (a year read afresh) are
/// written before the run goes on.
const CACHE_COPIED_MAX: usize = 1 << 20;

/// The run after reading: settling, targets, and [`report_and_export`].
#[allow(clippy::too_many_arguments)]
fn settle_and_report(
    plan: &RunPlan,
    progress: &dyn Progress,
    clock: &timings::StageClock,
    run_started: std::time::Instant,
    read: Files,
    mut pending: Option<pending::Pending>,
    cache: Option<&cache::Cache>,
    (hits, not_read, file_count): (usize, usize, usize),
    beside: ReadBeside,
) -> Result<RunSummary> {
    let stopped = || anyhow::anyhow!("a thread reading beside the files stopped");
    let Files { tables: mut files, mtimes, keys: cache_keys, not_spreadsheets } = read;
    // A receipts log, when given, says when files arrived (newest resubmission wins).
    let (received, receipt_findings) = received_times(plan, &files, mtimes);
    // The findings about no file read: the listing's, then the receipts log's.
    let about_no_file: Vec<Finding> = not_spreadsheets.into_iter().chain(receipt_findings).collect();
    let mtimes: Vec<_> = received.iter().map(|r| r.at).collect();
    let rows_before: Vec<usize> = files.iter().map(|f| f.observations.len()).collect();
    let findings_before: Vec<usize> = files.iter().map(|f| f.findings.len()).collect();
    // Files whose rows are still in the cache are as settling would leave them: the
    // others are settled among themselves.
    match &pending {
        Some(p) => {
            let loaded: Vec<usize> = (0..files.len()).filter(|i| !p.in_cache(*i)).collect();
            let mut some: Vec<FileTable> = loaded.iter().map(|i| std::mem::take(&mut files[*i])).collect();
            table::settle(&mut some, &loaded.iter().map(|i| mtimes[*i]).collect::<Vec<_>>());
            for (i, f) in loaded.into_iter().zip(some) {
                files[i] = f;
            }
        }
        None => table::settle(&mut files, &mtimes),
    }
    // Each period named by the files that make it (with the cache): what is kept per
    // period (district sums, the export's and the archive's partitions) is found
    // without reading the period's rows.
    let in_cache = pending.as_ref().map(|p| p.periods_in_cache()).unwrap_or_default();
    let period_keys = period_keys::of(&files, &cache_keys, &rows_before, &in_cache);
    if let (Some(p), Some(c)) = (&pending, cache) {
        // For the next run: the files settling left as read while no other file shared
        // their districts and periods.
        let alone = |i: usize| {
            let f = &files[i];
            p.in_cache(i) || (!p.shares(i) && f.outcome.status == "ok" && f.targets.is_empty() && rows_before[i] > 0 && f.observations.len() == rows_before[i] && f.findings.len() == findings_before[i])
        };
        c.save_settled_alone((0..files.len()).filter(|i| alone(*i)).filter_map(|i| cache_keys[i].as_deref()))?;
    }
    // No figures at all: no period, and no report.
    let any_rows = files.iter().any(|f| !f.observations.is_empty()) || in_cache.iter().any(Option::is_some);
    let period = if any_rows { Some(report_period(plan, &files, period_keys.as_ref())?) } else { None };
    // The checks carry on from the periods the last run checked: they need the later
    // periods' rows, and the report's period's (institutions, coverage). With nothing to
    // carry on from they check every period, a batch at a time from the cache.
    let kept_checks = beside.checks.join().map_err(|_| stopped())?;
    let earlier_checks = match period {
        Some(period) => checks_state::earlier(period_keys.as_ref(), period, kept_checks),
        None => checks_state::Earlier::none(),
    };
    progress.read_done(file_count - hits, earlier_checks.checked_through().is_some());
    if let (Some(p), Some(keys), Some(period)) = (&mut pending, &period_keys, period) {
        let through = earlier_checks.checked_through();
        let needed = keys.keys().copied().filter(|d| *d == period || through.is_some_and(|t| *d > t)).collect();
        p.load(&mut files, &needed).context("reading the cache")?;
    }
    for (f, r) in files.iter_mut().zip(&received) {
        f.outcome.received = r.at;
        f.outcome.received_from = if r.from_log { "receipts" } else if r.at.is_some() { "file_time" } else { "" }.into();
    }
    progress.stage("targets");
    let targets_table = beside.targets.join().map_err(|_| stopped())?;
    let mut timings = timings::Timings::from_parallel(clock, run_started.elapsed());
    timings.files_cached = (hits, file_count);
    timings.files_not_read = not_read;
    let unread = pending.map(pending::Pending::into_unread);
    let left: usize = unread.iter().flat_map(|u| u.periods()).map(|(_, n)| n).sum();
    timings.rows_left_in_cache = (left, left + files.iter().map(|f| f.observations.len()).sum::<usize>());
    let mut read = consolidate(files, targets_table, about_no_file, plan);
    read.period_keys = period_keys;
    report_and_export(plan, read, plan.archive.as_deref(), timings, run_started, progress, Later { unread: unread.as_ref(), earlier_checks, period })
}

/// What the stages after reading take from the cache: the periods whose rows are still
/// there, and the checks' state from the last run; and the report's period.
struct Later<'c> {
    unread: Option<&'c pending::Unread<'c>>,
    earlier_checks: checks_state::Earlier,
    period: Option<chrono::NaiveDate>,
}

/// The submissions as read and settled, with everything the later stages need: what
/// [`run`] gets from the files and `sitrep report --archive` from the archive.
#[derive(Debug, Clone, Default)]
pub struct Consolidated {
    pub files: Vec<FileOutcome>,
    pub targets_file: Option<FileOutcome>,
    /// Findings of reading (the checks on the figures are added later).
    pub findings: Vec<Finding>,
    pub observations: table::Observations,
    pub targets: Vec<table::Target>,
    /// PPKM levels and zone colours the submissions report (shown beside the gates).
    pub statuses: Vec<table::ReportedStatus>,
    /// A seed for the PDF /ID: the same inputs and configuration give the same bytes.
    pub id_seed: [u8; 16],
    /// Each period's key from its files ([`period_keys`]), when the run read through the cache.
    pub period_keys: Option<std::collections::BTreeMap<chrono::NaiveDate, String>>,
}

/// Gathers the files' observations, targets and findings into one table; `about_no_file`
/// (the listing's and the receipts log's findings) come first.
fn consolidate(mut files: Vec<FileTable>, targets_table: Option<FileTable>, about_no_file: Vec<Finding>, plan: &RunPlan) -> Consolidated {
    let mut findings: Vec<Finding> = about_no_file;
    let mut observations = table::Observations::default();
    let mut targets = Vec::new();
    let mut statuses = Vec::new();
    for f in &mut files {
        findings.append(&mut f.findings);
        // Moved, not copied: a year of observations is most of a run's memory.
        observations.push(std::mem::take(&mut f.observations));
        statuses.append(&mut f.statuses);
    }
    match &targets_table {
        Some(t) => {
            findings.extend(t.findings.iter().cloned());
            targets.extend(t.targets.iter().cloned());
            // Institutions' headcounts come with their own submissions.
            for f in &files {
                targets.extend(f.targets.iter().filter(|x| x.unit.is_some()).cloned());
            }
            if t.targets.is_empty() {
                findings.push(Finding::error("no_targets", &t.outcome.path, "no targets (sasaran) could be read from this file; coverage cannot be computed: fill in its target cells (one row per district, one column per group) and run again"));
            }
        }
        None => {
            // Targets written inside the submissions (e.g. a Sasaran column) are used
            // when no targets file is given.
            for f in &files {
                targets.extend(f.targets.iter().cloned());
            }
            if targets.is_empty() {
                findings.push(Finding::warning("no_targets", "(run)", "no targets given (--targets sasaran.xlsx): coverage and people needed cannot be computed"));
            }
        }
    }
    let outcomes: Vec<FileOutcome> = files.into_iter().map(|f| *f.outcome).collect();
    let mut h = Sha256::new();
    for f in &outcomes {
        h.update(f.sha256.as_bytes());
    }
    if let Some(t) = &targets_table {
        h.update(t.outcome.sha256.as_bytes());
    }
    h.update(plan.config_json.to_string().as_bytes());
    // The receipts log changes what the timeliness section says.
    if let Some(r) = &plan.receipts {
        h.update(std::fs::read(r).unwrap_or_default());
    }
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let mut id_seed = [0u8; 16];
    id_seed.copy_from_slice(&h.finalize()[..16]);
    Consolidated { files: outcomes, targets_file: targets_table.map(|t| *t.outcome), findings, observations, targets, statuses, id_seed, period_keys: None }
}

/// `sitrep report --archive DIR --period P`: the reports and the export of a past period
/// from the archive alone (targets from `--targets` when given, else as archived).
pub fn report_from_archive(plan: &RunPlan, dir: &Path, period: chrono::NaiveDate, progress: &dyn Progress) -> Result<RunSummary> {
    let run_started = std::time::Instant::now();
    let (mut read, unread, recorded_configuration) = archive::read(dir, period)?;
    // The files the archived run read: a year's history is as large a run as a year's.
    progress.files(read.files.len());
    let unread = unread.map(pending::Unread::Archive);
    if let Some(path) = &plan.targets {
        let gazetteer = gazetteer::embedded();
        let resolver = Resolver { gazetteer, aliases: &plan.aliases };
        let clock = timings::StageClock::default();
        let t = read_one(path, Purpose::Targets, plan, &resolver, &clock).0;
        // The archived targets and what was said about them give way to the new file's.
        let old = read.targets_file.take().map(|o| o.path);
        read.findings.retain(|f| f.code != "no_targets" && Some(&f.source) != old.as_ref());
        read.findings.extend(t.findings.iter().cloned());
        if t.targets.is_empty() {
            read.findings.push(Finding::error("no_targets", &t.outcome.path, "no targets (sasaran) could be read from this file; coverage cannot be computed"));
        }
        read.targets = t.targets;
        read.targets_file = Some(*t.outcome);
    }
    let timings = timings::Timings::from_parallel(&timings::StageClock::default(), run_started.elapsed());
    let any_rows = !read.observations.is_empty() || unread.as_ref().is_some_and(|u| !u.periods().is_empty());
    let period = if any_rows { Some(report_period_of(plan, &read.observations, read.period_keys.as_ref())?) } else { None };
    let later = Later { unread: unread.as_ref(), earlier_checks: checks_state::Earlier::none(), period };
    let mut summary = report_and_export(plan, read, None, timings, run_started, progress, later)?;
    // Re-rendered under other settings than the archived run's (a threshold raised since):
    // the reports follow today's, and the officer is told which differ.
    let differences = archive::configuration_differences(recorded_configuration.as_ref(), &plan.config_json);
    if !differences.is_empty() {
        summary.notes.push(format!(
            "the archived run's configuration differs from this one's ({}): these reports follow this one; give that run's sitrep.toml (--config) to render them as it did",
            differences.join("; ")
        ));
    }
    Ok(summary)
}

/// Attainment, checks, reports and export: the pipeline after reading, shared by
/// [`run`] and [`report_from_archive`].
/// The canonical table (and the archive's partitions, when `archive` names one) are
/// written beside the rest.
fn report_and_export(plan: &RunPlan, read: Consolidated, archive: Option<&Path>, timings: timings::Timings, run_started: std::time::Instant, progress: &dyn Progress, later: Later) -> Result<RunSummary> {
    let Later { unread, earlier_checks, period } = later;
    let Some(period) = period else {
        let Consolidated { files: outcomes, targets_file, findings, .. } = read;
        return Ok(RunSummary {
            files: outcomes,
            targets: targets_file,
            findings,
            reports: Vec::new(),
            exports: Vec::new(),
            period: None,
            timings,
            provinces: Vec::new(),
            districts_reporting: Vec::new(),
            notes: Vec::new(),
        });
    };
    let mut read = read;
    // The archive's run record (26,000 files' records for a year) is written beside the rest.
    let record_period = archive.and_then(|_| archive::record_period(&read));
    let observations = std::mem::take(&mut read.observations);
    // The table cut by period, once, each part named by its files (with the cache) or by
    // a fingerprint of its rows: the export and the archive compare the names with what
    // they wrote before, and the districts' sums of a period the cache has under its
    // name are not summed again.
    let started = std::time::Instant::now();
    // Shared: each side lets go of the cut as soon as it is done with it.
    let periods = std::sync::Arc::new(export::Periods::new(&observations, read.period_keys.as_ref(), unread));
    let cutting = started.elapsed();
    progress.stage("attainment");
    // The attain stage's time includes the sums, the checks and the institutions, and
    // the wait for the canonical table.
    let stage = std::time::Instant::now();
    // With no kept state to carry on from, the checks see every period's rows: those of
    // the periods still in the cache are fed to them by the table's pass (below), which
    // then decodes each period for both.
    let every_period = earlier_checks.checks_every_period(read.period_keys.as_ref(), plan.cache.is_some());
    let fed = (periods.any_in_cache() && every_period).then(|| checks_state::Fed::new(period, &plan.checks));
    // What needs the figures themselves (the canonical table, the districts' sums, the
    // checks, the institutions) is done first; the figures are then let go of, before
    // attainment and the reports (a year's are 300 MB).
    progress.rows_pass(true);
    let (table, from_figures, record) = std::thread::scope(|scope| {
        // The canonical table needs nothing else: it is written (to the export, and to
        // the archive) while the rest is computed (a year's table takes seconds to write).
        // The archive's partitions and, with the cache, the districts' sums are made in
        // the same pass over the rows: a year's rows from the cache are decoded once for
        // all three (and the sums' batches, the checks' and the table's side by side were
        // a year's peak; the archive's own pass was a third decoding).
        let for_table = periods.clone();
        let fed = fed.as_ref();
        let table = scope.spawn(move || {
            let started = std::time::Instant::now();
            // What the previous run into the same folder wrote, period by period (read
            // here: a year's manifest is 17 MB); attainment's is handed on.
            let before = export::PreviousPartitions::read(&plan.out);
            let partitioning = archive.map(|dir| archive::Partitioning::begin(dir, &for_table));
            let summing = plan.cache.as_ref().map(|dir| period_sums::Summing::begin(&for_table, &dir.join(cache::SUMS))).transpose().context("summing the districts' figures")?;
            let also: Vec<&dyn export::FromRows> = [partitioning.as_ref().map(|p| p as &dyn export::FromRows), summing.as_ref().map(|s| s as &dyn export::FromRows)].into_iter().flatten().collect();
            let partitions = export::canonical_table(&plan.out, &for_table, &before.observations, &also, fed.map(|f| f as &dyn export::InOrder))?;
            if let Some(p) = partitioning {
                p.finish(&for_table)?;
            }
            let sums = summing.map(|s| s.finish(&for_table)).transpose().context("summing the districts' figures")?;
            Ok::<_, anyhow::Error>((partitions, cutting + started.elapsed(), before.attainment, sums))
        });
        let record = archive.map(|dir| scope.spawn(|| archive::write_record(dir, &read, record_period, Some(&plan.config_json))));
        let joined = |table: std::thread::ScopedJoinHandle<'_, Result<_>>| table.join().unwrap_or_else(|_| Err(anyhow::anyhow!("writing the canonical table stopped")));
        // The checks fed by the table's pass are taken once it is done, and only when
        // it went through: fed part of the periods, they would keep a state that claims all.
        let (from_figures, table) = match fed {
            None => (from_figures(plan, &read, &observations, periods, period, earlier_checks, None), joined(table)),
            Some(fed) => {
                let table = joined(table);
                let checked = match &table {
                    Ok(_) => from_figures(plan, &read, &observations, periods, period, earlier_checks, Some(fed)),
                    Err(_) => Err(anyhow::anyhow!("not checked: the canonical table was not written")),
                };
                (checked, table)
            }
        };
        let record = record.map(|r| r.join().unwrap_or_else(|_| Err(anyhow::anyhow!("writing the run record stopped"))));
        (table, from_figures, record)
    });
    progress.rows_pass(false);
    drop(observations);
    record.transpose().context("writing the archive's run record")?;
    let (partitions, table_took, attainment_before, sums) = table?;
    let mut from_figures = from_figures?;
    from_figures.figures = from_figures.figures.or(sums);
    attain_report_export(plan, read, from_figures, (partitions, table_took), &attainment_before, period, stage, timings, run_started, progress)
}

/// What the run needs of the figures themselves, besides the canonical table.
struct FromFigures {
    /// The districts' sums, for attainment (each period's read or made a frame only when
    /// attainment computes it, once the figures are let go of); with the cache, made in
    /// the canonical table's pass and put here after.
    figures: Option<period_sums::Sums>,
    checked: checks_state::Found,
    institutions: Vec<institutions::Institution>,
}

fn from_figures(plan: &RunPlan, read: &Consolidated, observations: &table::Observations, periods: std::sync::Arc<export::Periods>, period: chrono::NaiveDate, earlier_checks: checks_state::Earlier, fed: Option<&checks_state::Fed>) -> Result<FromFigures> {
    // Without the cache, the sums of the rows held (with it, the table's pass makes them).
    let figures = plan.cache.is_none().then(|| period_sums::Sums::held(table::district_sums(observations)));
    // Staff vaccinated per institution, from agency submissions.
    let institutions = institutions::compute(observations, &read.targets);
    // Figures that cannot all be right: counts going down, dose 2 above dose 1, unusual
    // jumps, stale districts (above 100% needs attainment). With the cache, the periods
    // checked by the last run are not checked again.
    let checks_dir = plan.cache.as_ref().map(|d| d.join(cache::CHECKS));
    let checked = checks_state::run(observations, &periods, read.period_keys.as_ref(), earlier_checks, period, &plan.checks, checks_dir.as_deref(), fed).context("checking the figures")?;
    drop(periods);
    Ok(FromFigures { figures, checked, institutions })
}

/// The period the reports are about: the plan's, which must be one of the submissions'
/// dates, else the latest of them.
fn report_period(plan: &RunPlan, files: &[FileTable], named: Option<&std::collections::BTreeMap<chrono::NaiveDate, String>>) -> Result<chrono::NaiveDate> {
    report_period_of(plan, files.iter().flat_map(|f| &f.observations), named)
}

fn report_period_of<'a>(plan: &RunPlan, observations: impl IntoIterator<Item = &'a table::Observation>, named: Option<&std::collections::BTreeMap<chrono::NaiveDate, String>>) -> Result<chrono::NaiveDate> {
    // The periods named by their files are the table's periods (with those still in the
    // cache): a year's rows are not scanned for them.
    let periods = match named {
        Some(names) => names.keys().copied().collect(),
        None => table::periods(observations),
    };
    match plan.period {
        Some(p) if !periods.contains(&p) => bail!("no submission is dated {p}; the dates found are {}", periods.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
        Some(p) => Ok(p),
        None => periods.last().copied().context("no dated observations"),
    }
}

/// Attainment, checks, reports and the export other than the canonical table, which
/// `table` finishes writing (it is being written meanwhile).
#[allow(clippy::too_many_arguments)]
fn attain_report_export(
    plan: &RunPlan,
    read: Consolidated,
    from_figures: FromFigures,
    (partitions, table_took): (Vec<export::Partition>, std::time::Duration),
    attainment_before: &[export::Partition],
    period: chrono::NaiveDate,
    stage: std::time::Instant,
    mut timings: timings::Timings,
    run_started: std::time::Instant,
    progress: &dyn Progress,
) -> Result<RunSummary> {
    let gazetteer = gazetteer::embedded();
    let Consolidated { files: outcomes, targets_file, mut findings, observations: _, targets, statuses, id_seed, period_keys } = read;
    let FromFigures { figures, checked, institutions } = from_figures;
    let figures = figures.context("the districts' figures were not summed")?;
    let targets_df = table::targets_frame(&targets).context("building the targets table")?;
    let attained = match &plan.cache {
        // Periods whose figures and targets are unchanged come from the cache.
        Some(dir) => attain_cache::compute(&figures, &targets_df, plan.threshold, &dir.join(cache::ATTAINMENT), period_keys.as_ref()).context("computing attainment")?,
        None => attain_cache::Attained::uncached(attain::compute(&table::district_sums_frame(&figures.all()?)?, &targets_df, plan.threshold).context("computing attainment")?)?,
    };
    // Kept only for a second target version; otherwise let go of (a year's are 32 MB).
    let to_compare = plan.compare_targets.as_ref().map(|path| (path, figures));
    timings.record(timings::Stage::Attain, stage);
    // The previous run's export is read before this run writes any of its own: it may
    // be the same folder (`--previous out --out out`, week after week).
    #[allow(clippy::result_large_err)] // an unreadable export is a finding, once per run
    let previous = plan.previous.as_ref().map(|dir| {
        let keys = attained.periods.iter().filter_map(|p| Some((p.period, p.key.as_deref()?))).collect();
        changes::read_previous(dir, &keys)
    });
    // The attainment and targets tables of the export need nothing else: they are
    // written while the rest is computed and the reports are rendered.
    std::thread::scope(|scope| {
        let writing_attainment = scope.spawn(|| export::write_attainment(&plan.out, &attained, attainment_before, &targets_df));
        let stage = std::time::Instant::now();
        // The rows the reports and gates read (the application, `--app`, is compared
        // with the report's period), and every row of the periods `--previous` read of
        // the previous export, whose figures may have been revised.
        let revisable: std::collections::BTreeSet<chrono::NaiveDate> = match &previous {
            Some(Ok(prev)) => prev.periods(),
            _ => Default::default(),
        };
        let mut rows = attained.rows_read(period, &revisable)?;
        // Provinces with figures for the period (a national targets file alone is not a report).
        let provinces: std::collections::BTreeSet<String> =
            rows.iter().filter(|r| r.period == period && r.district_code.is_some() && r.vaccinated.is_some()).map(|r| r.province_code.to_string()).collect();
        // The passes over every period's rows (a year's are 160,000), side by side: what
        // each district's vaccination permits under the PPKM gates, the checks' last
        // findings (coverage above 100%), and the national report's rows (with several
        // provinces, a report ranking them), summed before the rows are moved below.
        let ((mut gates, (checked, keeping_checks)), (national_rows, districts_reporting)) = rayon::join(
            || rayon::join(|| gates::compute(&rows, &plan.gates), || checked.finish(&targets, &rows, &plan.checks)),
            || {
                let national_rows = (provinces.len() > 1).then(|| {
                    let mut national = report::national::rows(&rows, plan.threshold);
                    report::keep_rows_read(&mut national, period);
                    national
                });
                let set: std::collections::BTreeSet<crate::sym::Sym> = rows.iter().filter(|r| r.period == period && r.vaccinated.is_some()).filter_map(|r| r.district_code).collect();
                (national_rows, set.into_iter().map(|d| d.to_string()).collect::<Vec<String>>())
            },
        );
        // Beside the gates, the level or zone colour the submissions themselves report.
        findings.extend(gates::attach_reported(&mut gates, &statuses));
        // A second target version (`--targets` twice): attainment under it, for an annex.
        let compared = match &to_compare {
            Some((path, sums)) => {
                let resolver = Resolver { gazetteer, aliases: &plan.aliases };
                let t = read_one(path, Purpose::Targets, plan, &resolver, &timings::StageClock::default()).0;
                findings.extend(t.findings.iter().cloned());
                let figures_df = table::district_sums_frame(&sums.all()?)?;
                let alt = attain::compute(&figures_df, &table::targets_frame(&t.targets)?, plan.threshold)?;
                Some((report::rows_from_frame(&alt)?, file_name(&t.outcome.path).to_string()))
            }
            None => None,
        };
        findings.extend(checked);
        // Register versus application: where the national application lags the submissions.
        let app_gaps = match &plan.app {
            Some(dir) => {
                let resolver = Resolver { gazetteer, aliases: &plan.aliases };
                Some(read_app(dir, plan, &resolver, &targets_df, &rows, &gates, period, &mut findings)?)
            }
            None => None,
        };
        // What changed since the previous run's export, when one is given.
        let changes = match previous {
            Some(Ok(prev)) => Some(changes::compare(&prev, &rows, &gates, &findings, period, plan.threshold)),
            Some(Err(finding)) => {
                findings.push(finding);
                None
            }
            None => None,
        };
        // Which targets the coverage is of: the configured version, else the file and its hash.
        let targets_label = match (&plan.targets_version, &targets_file) {
            (Some(v), Some(t)) => Some(format!("{v} ({})", file_name(&t.path))),
            (Some(v), None) => Some(v.clone()),
            // The targets file's own title block names its version ("SASARAN … TAHUN 2022").
            (None, Some(t)) if !t.title.is_empty() => Some(format!("{} ({}, SHA-256 {})", t.title.replace(" | ", " "), file_name(&t.path), t.sha256.get(..12).unwrap_or(&t.sha256))),
            (None, Some(t)) => Some(format!("{}, SHA-256 {}", file_name(&t.path), t.sha256.get(..12).unwrap_or(&t.sha256))),
            (None, None) => None,
        };
        // Each province's report sees only its own rows (lookups scan them), moved, not
        // copied (a year's are half a million); beside it, what each province's report and
        // workbook show of the files and findings.
        let (rows_of, share_of) = rayon::join(
            || {
                report::keep_rows_read(&mut rows, period);
                // A province's rows come together, period after period: each province's
                // list is made at its size and looked up once per run of its rows (grown
                // and looked up row by row, a year's 160,000 took 14 ms on one core; 5 now).
                let runs: Vec<(crate::sym::Sym, usize)> = rows.chunk_by(|a, b| a.province_code == b.province_code).map(|run| (run[0].province_code, run.len())).collect();
                let mut sizes: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
                for (province, length) in &runs {
                    *sizes.entry(province.as_str()).or_default() += length;
                }
                let mut rows_of: std::collections::BTreeMap<&str, Vec<report::AttainRow>> = provinces.iter().map(|p| (p.as_str(), Vec::with_capacity(sizes.get(p.as_str()).copied().unwrap_or(0)))).collect();
                let mut rest = rows.into_iter();
                for (province, length) in runs {
                    let run = rest.by_ref().take(length);
                    match rows_of.get_mut(province.as_str()) {
                        Some(list) => list.extend(run),
                        None => run.for_each(drop),
                    }
                }
                rows_of
            },
            || province_shares(&provinces, &outcomes, &findings),
        );
        // The reports show the gates of their period: each district's was looked up by a
        // scan, of every period's gates over a year (26,000).
        let gates_of_period: Vec<gates::GateRow> = gates.iter().filter(|g| g.period == period).cloned().collect();
        progress.stage("report");
        // What every report of the run shares; each report's own fields are set in `making`.
        let shared = report::ReportInput {
            province_code: "",
            period,
            rows: &[],
            findings: &[],
            gates: &gates_of_period,
            gate_rules: &plan.gates,
            changes: changes.as_ref(),
            app_gaps: app_gaps.as_deref(),
            targets_label: targets_label.as_deref(),
            institutions: &institutions,
            compared: compared.as_ref().map(|(r, l)| (r.as_slice(), l.as_str())),
            files: &[],
            threshold: plan.threshold,
            lang: plan.lang,
            gazetteer,
            id_seed: &id_seed,
            index: None,
        };
        // The reports are made while the export writes what needs nothing from them.
        let mut made_at = stage;
        let (reports, exports) = export::write(
            &export::ExportInput {
                root: plan.out.clone(),
                partitions: &partitions,
                findings: &findings,
                gates: &gates,
                changes: changes.as_ref(),
                app_gaps: app_gaps.as_deref(),
                inputs: &outcomes,
                targets_input: targets_file.as_ref(),
                config: &plan.config_json,
            },
            || writing_attainment.join().unwrap_or_else(|_| Err(anyhow::anyhow!("writing the attainment table stopped"))),
            || {
                let made = making::make(&making::Making { plan, rows_of: &rows_of, share_of: &share_of, national_rows: national_rows.as_deref(), outcomes: &outcomes, findings: &findings, shared }).map(|mut made| {
                    timings.pdfs = std::mem::take(&mut made.costs);
                    made
                });
                timings.record(timings::Stage::Report, stage);
                made_at = std::time::Instant::now();
                progress.stage("export");
                made
            },
        )?;
        timings.table_export = table_took;
        timings.record(timings::Stage::Export, made_at);
        checks_state::finish(keeping_checks)?;
        timings.total = run_started.elapsed();
        Ok(RunSummary {
            files: outcomes,
            targets: targets_file,
            findings,
            reports,
            exports,
            period: Some(period),
            timings,
            provinces: provinces.into_iter().collect(),
            districts_reporting,
            notes: Vec::new(),
        })
    })
}

/// What each province's report and workbook show: its own files and the files no
/// province could be given to (unreadable, several districts, none), and the findings
/// about them, leaving out what a shared file (national targets) says of other
/// provinces' districts. One pass over the files: a year has 26,000.
fn province_shares<'a>(provinces: &'a std::collections::BTreeSet<String>, outcomes: &'a [FileOutcome], findings: &[Finding]) -> std::collections::BTreeMap<&'a str, (Vec<&'a FileOutcome>, Vec<Finding>)> {
    // A file's province: the part of its district code before the dot; none when shared.
    fn owner(f: &FileOutcome) -> Option<&str> {
        f.district_code.as_deref().and_then(|d| d.split_once('.')).map(|(prov, _)| prov)
    }
    let mut shares: std::collections::BTreeMap<&str, (Vec<&FileOutcome>, Vec<Finding>)> = provinces.iter().map(|p| (p.as_str(), Default::default())).collect();
    let mut owners: rustc_hash::FxHashMap<&str, &str> = Default::default();
    for f in outcomes {
        match owner(f) {
            Some(prov) => {
                if let Some((files, _)) = shares.get_mut(prov) {
                    files.push(f);
                }
                owners.insert(f.path.as_str(), prov);
            }
            None => shares.values_mut().for_each(|(files, _)| files.push(f)),
        }
    }
    for (prov, (_, said)) in shares.iter_mut() {
        let from_elsewhere = |f: &Finding| owners.get(f.source.as_str()).is_some_and(|o| o != prov);
        said.extend(findings.iter().filter(|f| !from_elsewhere(f) && f.concerns_province(prov)).cloned());
    }
    shares
}

/// Reads the national application's export like submissions (its findings join the
/// run's) and compares it with the register's figures.
#[allow(clippy::too_many_arguments)]
fn read_app(
    dir: &Path,
    plan: &RunPlan,
    resolver: &Resolver,
    targets_df: &polars::prelude::DataFrame,
    rows: &[attain::AttainRow],
    gates: &[gates::GateRow],
    period: chrono::NaiveDate,
    findings: &mut Vec<Finding>,
) -> Result<Vec<appgap::AppGap>> {
    let clock = timings::StageClock::default();
    let paths = collect_inputs(&[dir.to_path_buf()]);
    let results: Vec<(FileTable, _)> = paths.par_iter().map(|p| read_one(p, Purpose::Submission, plan, resolver, &clock)).collect();
    let (mut files, mtimes): (Vec<FileTable>, Vec<_>) = results.into_iter().unzip();
    table::settle(&mut files, &mtimes);
    let mut observations = table::Observations::default();
    for f in &files {
        findings.extend(f.findings.iter().cloned());
        observations.push(f.observations.clone());
    }
    if observations.is_empty() {
        findings.push(Finding::warning("no_app_figures", &dir.display().to_string(), "no figures could be read from the application export; register and application are not compared"));
        return Ok(Vec::new());
    }
    let figures_df = table::district_figures_frame(&observations).context("summing the application's figures")?;
    let app_rows = report::rows_from_frame(&attain::compute(&figures_df, targets_df, plan.threshold).context("computing the application's attainment")?)?;
    let app_gates = gates::compute(&app_rows, &plan.gates);
    Ok(appgap::compare(rows, &app_rows, gates, &app_gates, period))
}

/// The last part of a path as given, for a report.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Keeps letters, digits, `-`, `_` and `.`; never a path separator or `..`.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    cleaned.trim_start_matches('.').replace("..", "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A folder's files come in `Path`'s order (component by component), whatever order
    /// the file system lists them in: a folder's files at its name's place, before a
    /// file whose name it begins; lock files, hidden files and other kinds passed over.
    #[test]
    fn a_folder_is_listed_in_the_order_of_its_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["2022-01-08", "2022-01-01", "a", "a/b", "a-b"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        let files = ["2022-01-08/x.csv", "2022-01-01/z.xlsx", "2022-01-01/y.xlsx", "a.csv", "a/b/c.csv", "a/b.csv", "a-b/d.ods", "a-b.csv", "B.xls", "~$lock.xlsx", ".hidden.csv", "notes.pdf"];
        for f in files {
            std::fs::write(root.join(f), "x").unwrap();
        }
        let listed = collect_inputs(&[root.to_path_buf()]);
        let mut expected: Vec<PathBuf> = files[..9].iter().map(|f| root.join(f)).collect();
        expected.sort();
        assert_eq!(listed, expected);
        // The first of them as a path's order has it: `a` and its files before `a-b`,
        // `a-b.csv` and `a.csv`, and upper case before lower.
        let shown: Vec<String> = listed.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(shown, ["2022-01-01/y.xlsx", "2022-01-01/z.xlsx", "2022-01-08/x.csv", "B.xls", "a/b/c.csv", "a/b.csv", "a-b/d.ods", "a-b.csv", "a.csv"]);
    }

    /// Work that waits for another pool (as polars' calls do) is not started beyond
    /// the threads there are: each waiting thread would otherwise take up more items.
    #[test]
    fn parallel_work_that_waits_for_another_pool_stays_bounded() {
        let other = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let mine = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let items: Vec<usize> = (0..40).collect();
        let done = mine.install(|| {
            par_map_bounded(&items, |i| {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                other.install(|| std::thread::sleep(std::time::Duration::from_millis(2)));
                now.fetch_sub(1, Ordering::SeqCst);
                Ok(*i)
            })
        });
        assert_eq!(done.unwrap(), items);
        assert!(most.load(Ordering::SeqCst) <= 2, "{} items at once", most.load(Ordering::SeqCst));
    }
}
