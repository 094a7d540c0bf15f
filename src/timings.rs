//! Where a run spends its time, per pipeline stage, for `sitrep run --timings` and
//! `make bench`. The per-file stages run in parallel: their figure is the time summed
//! over threads (CPU-like), beside the wall time of the whole parallel read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub enum Stage {
    Ingest,
    Layout,
    Table,
    Attain,
    Report,
    Export,
}

/// Thread-summed nanoseconds of the per-file stages, shared by the rayon workers.
#[derive(Debug, Default)]
pub struct StageClock {
    nanos: [AtomicU64; 3],
}

impl StageClock {
    /// Adds the time since `since` to a per-file stage; returns now, for the next stage.
    pub fn add(&self, stage: Stage, since: Instant) -> Instant {
        let now = Instant::now();
        let i = match stage {
            Stage::Ingest => 0,
            Stage::Layout => 1,
            _ => 2,
        };
        self.nanos[i].fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
        now
    }
}

#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Ingest, layout, table: summed over threads.
    pub per_file: [Duration; 3],
    /// Wall time of the parallel read (ingest + layout + table).
    pub read_wall: Duration,
    pub attain: Duration,
    pub report: Duration,
    /// The export after the reports (the attainment and targets tables are written
    /// while the reports are rendered: their time is in `report`'s, where it overlaps).
    pub export: Duration,
    /// The canonical table's export (and the archive's partitions), written beside
    /// attainment and the reports.
    pub table_export: Duration,
    pub total: Duration,
    /// Peak resident memory after each stage (KB, Linux), in stage order.
    pub peak_kb: Vec<(&'static str, u64)>,
    /// CPU time of the process (all threads, user and system) at the end of each stage,
    /// in stage order.
    pub cpu_after: Vec<(&'static str, Duration)>,
    /// Submissions taken from the incremental cache, of all submissions.
    pub files_cached: (usize, usize),
    /// Of those, the files not read at all (unchanged since the cache saw them).
    pub files_not_read: usize,
    /// Rows of the table left in the cache because no stage needed them, of all its rows.
    pub rows_left_in_cache: (usize, usize),
    /// Each PDF the run rendered: its kind, pages and CPU time.
    pub pdfs: Vec<PdfCost>,
}

/// What rendering one PDF cost: the CPU time of the thread that laid it out and wrote
/// its bytes (one thread does both, so other work beside it does not count).
#[derive(Debug, Clone)]
pub struct PdfCost {
    /// `weekly`, `rakor` or `national`.
    pub kind: &'static str,
    pub pages: usize,
    pub cpu: Duration,
}

/// A duration in milliseconds, as `--timings` prints them.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec it is given; the clock id is a constant.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec.max(0) as u64, t.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// `f`'s result and the CPU time the calling thread spent in it.
pub fn on_this_thread<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let before = thread_cpu_time();
    let value = f();
    (value, thread_cpu_time().saturating_sub(before))
}

/// The `--timings` lines on the PDFs: per kind, the CPU time per page of the shorter and
/// the longer half of its files, which are the same when rendering grows linearly with
/// pages (the weekly reports are all of about one length: one line, no halves); and how
/// often the fonts were parsed in the process (once).
fn pdf_lines(pdfs: &[PdfCost], fonts_parsed: (usize, Duration)) -> Vec<String> {
    let pages: usize = pdfs.iter().map(|p| p.pages).sum();
    let cpu: Duration = pdfs.iter().map(|p| p.cpu).sum();
    let mut out = vec![format!(
        "pdf: {} files, {pages} pages, {:.1} ms CPU rendering them; fonts: {} parses of the {} shipped faces, {:.1} ms",
        pdfs.len(),
        ms(cpu),
        fonts_parsed.0,
        crate::report::fonts::SHIPPED,
        ms(fonts_parsed.1)
    )];
    let per_page = |part: &[&PdfCost]| {
        let pages: usize = part.iter().map(|p| p.pages).sum();
        ms(part.iter().map(|p| p.cpu).sum::<Duration>()) / pages.max(1) as f64
    };
    let range = |part: &[&PdfCost]| {
        let (lo, hi) = (part.iter().map(|p| p.pages).min().unwrap_or(0), part.iter().map(|p| p.pages).max().unwrap_or(0));
        if lo == hi { format!("{lo} pages") } else { format!("{lo}–{hi} pages") }
    };
    for kind in ["rakor", "weekly", "national"] {
        let mut of_kind: Vec<&PdfCost> = pdfs.iter().filter(|p| p.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        of_kind.sort_by_key(|p| p.pages);
        let (shorter, longer) = of_kind.split_at(of_kind.len() / 2);
        let line = match shorter.first().zip(longer.last()) {
            Some((s, l)) if s.pages < l.pages => format!(
                "{:.2} ms a page; the shorter {} ({}) {:.2}, the longer {} ({}) {:.2}",
                per_page(&of_kind),
                shorter.len(),
                range(shorter),
                per_page(shorter),
                longer.len(),
                range(longer),
                per_page(longer)
            ),
            _ => format!("{:.2} ms a page", per_page(&of_kind)),
        };
        out.push(format!("  {kind} ({}, {}): {line}", of_kind.len(), range(&of_kind)));
    }
    out
}

/// CPU time this process has used so far, all threads, user and system.
pub fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return Duration::ZERO;
        }
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Peak resident set size of this process so far (Linux `VmHWM`), in KB.
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

impl Timings {
    pub fn from_parallel(clock: &StageClock, wall: Duration) -> Timings {
        let get = |i: usize| Duration::from_nanos(clock.nanos[i].load(Ordering::Relaxed));
        Timings { per_file: [get(0), get(1), get(2)], read_wall: wall, peak_kb: vec![("read", peak_rss_kb())], cpu_after: vec![("read", cpu_time())], ..Default::default() }
    }

    pub fn record(&mut self, stage: Stage, since: Instant) {
        let d = since.elapsed();
        let name = match stage {
            Stage::Attain => {
                self.attain = d;
                "attain"
            }
            Stage::Report => {
                self.report = d;
                "report"
            }
            Stage::Export => {
                self.export = d;
                "export"
            }
            _ => return,
        };
        self.peak_kb.push((name, peak_rss_kb()));
        self.cpu_after.push((name, cpu_time()));
    }

    /// The lines printed by `--timings`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("read (parallel wall): {:9.1} ms", ms(self.read_wall)),
            format!("  ingest (thread sum): {:8.1} ms", ms(self.per_file[0])),
            format!("  layout (thread sum): {:8.1} ms", ms(self.per_file[1])),
            format!("  table  (thread sum): {:8.1} ms", ms(self.per_file[2])),
            format!("attain:               {:8.1} ms", ms(self.attain)),
            format!("report:               {:8.1} ms (the officials' workbooks are made here, beside the PDFs)", ms(self.report)),
            format!("export:               {:8.1} ms (the attainment tables, and the files needing no report, are written beside report)", ms(self.export)),
            format!("  canonical table:    {:8.1} ms (export and archive, and the districts' sums with the cache; beside attain and report)", ms(self.table_export)),
            format!("total:                {:8.1} ms", ms(self.total)),
        ];
        // A re-render from the archive reads no submission: nothing to say of the cache.
        if self.files_cached.1 > 0 {
            out.push(format!("cache: {} of {} files reused", self.files_cached.0, self.files_cached.1));
            out.push(format!("not read again (unchanged since the cache saw them): {} files", self.files_not_read));
            out.push(format!("rows left in the cache (no stage needed them): {} of {}", self.rows_left_in_cache.0, self.rows_left_in_cache.1));
        }
        // Each stage's CPU: the difference from the stage before (the canonical table's
        // export counts where it ran, in attain and report).
        let mut before = Duration::ZERO;
        let cpu: Vec<String> = self
            .cpu_after
            .iter()
            .map(|(s, at)| {
                let spent = at.saturating_sub(before);
                before = *at;
                format!("{s} {:.1} ms", ms(spent))
            })
            .collect();
        out.push(format!("cpu (all threads): {}", cpu.join(", ")));
        let peaks: Vec<String> = self.peak_kb.iter().map(|(s, kb)| format!("{s} {} MB", kb / 1024)).collect();
        out.push(format!("peak memory after: {}", peaks.join(", ")));
        if !self.pdfs.is_empty() {
            out.extend(pdf_lines(&self.pdfs, crate::report::fonts::parsed()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(kind: &'static str, pages: usize, micros: u64) -> PdfCost {
        PdfCost { kind, pages, cpu: Duration::from_micros(micros) }
    }

    /// The PDF lines: totals, and per kind the cost per page of all its files and of its
    /// shorter and longer halves; a kind whose files are all of one length gets no halves.
    #[test]
    fn the_pdf_lines_give_the_cost_per_page_of_the_shorter_and_longer_files() {
        let pdfs = [cost("rakor", 40, 4_400), cost("weekly", 5, 1_000), cost("rakor", 6, 600), cost("rakor", 20, 2_000), cost("weekly", 5, 1_500), cost("rakor", 10, 1_000)];
        let lines = pdf_lines(&pdfs, (2, Duration::from_micros(1_500)));
        assert_eq!(
            lines,
            [
                "pdf: 6 files, 86 pages, 10.5 ms CPU rendering them; fonts: 2 parses of the 2 shipped faces, 1.5 ms",
                "  rakor (4, 6–40 pages): 0.11 ms a page; the shorter 2 (6–10 pages) 0.10, the longer 2 (20–40 pages) 0.11",
                "  weekly (2, 5 pages): 0.25 ms a page",
            ]
        );
    }
}
