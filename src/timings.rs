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
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
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
        out
    }
}
