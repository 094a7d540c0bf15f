//! Ingest: the bytes of one submission → a [`Grid`] of cells per sheet.
//!
//! Every format (xlsx, xls, xlsb, ods, csv, tsv) ends in the same shape so that layout
//! detection is one code path. Untrusted files are checked before calamine sees them
//! (see [`guard`]): calamine can abort the process on hostile input.

// A file that cannot be read comes back as its `Finding` (file, sheet, cell, reason),
// once per file and never on a hot path: boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod delimited;
pub mod guard;
mod merges;
pub mod workbook;

use crate::findings::Finding;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// One cell value as read, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// An Excel error value such as `#REF!` (never read as zero).
    Error(String),
    /// A formula saved without its computed result.
    Uncomputed,
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
    /// The cell as text, for titles and headers.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
            Cell::Uncomputed => String::new(),
        }
    }
}

/// A merged range, 0-based inclusive, in the sheet's absolute coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: usize,
    pub first_col: usize,
    pub last_row: usize,
    pub last_col: usize,
}

/// One sheet as a dense grid. `rows[r][c]` is the cell at absolute row `r`, column `c`
/// (0-based, so `rows[0][0]` is A1); rows may be shorter than the widest row.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
    pub merges: Vec<Merge>,
}

impl Sheet {
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&EMPTY)
    }
    pub fn width(&self) -> usize {
        self.rows.iter().map(|r| r.len()).max().unwrap_or(0)
    }
}

/// Everything read from one file.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub sheets: Vec<Sheet>,
    /// How the file was decoded (format, encoding, delimiter), for the manifest.
    pub how: String,
    pub findings: Vec<Finding>,
}

/// Limits that keep a hostile file from taking the machine down.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_unzipped_bytes: u64,
    pub max_cells: usize,
    /// Time allowed to read one file, in seconds.
    pub max_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Sized so that one file stays well under 1 GB of memory: cells cost ~40 bytes.
        Limits { max_file_bytes: 100 << 20, max_unzipped_bytes: 500 << 20, max_cells: 2_000_000, max_seconds: 30 }
    }
}

/// The formats sitrep reads, decided from the content first and the extension second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Delimited,
}

pub const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "tsv", "txt"];

pub fn has_known_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// What to ask of a sender whose figures came as something other than a spreadsheet.
const ASK_FOR_A_SPREADSHEET: &str = "if it holds a district's figures, ask for them as a spreadsheet (`sitrep template` makes one to fill in)";

/// A file in a submissions folder that is no spreadsheet but may be a district's figures
/// sent another way (a PDF, a photo of the form, the spreadsheets zipped): said, as its
/// district would otherwise only show as missing. Other kinds (notes, sitrep.toml) pass
/// unsaid.
pub fn not_a_spreadsheet(path: &Path) -> Option<Finding> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let (what, then) = match ext.as_str() {
        "zip" | "rar" | "7z" => ("an archive", "if it holds spreadsheets, extract them into the submissions folder and run again"),
        "pdf" => ("a PDF", ASK_FOR_A_SPREADSHEET),
        "jpg" | "jpeg" | "png" | "heic" | "gif" | "webp" => ("an image", ASK_FOR_A_SPREADSHEET),
        "doc" | "docx" | "odt" | "rtf" => ("a text document", ASK_FOR_A_SPREADSHEET),
        "ppt" | "pptx" | "odp" => ("a presentation", ASK_FOR_A_SPREADSHEET),
        "numbers" => ("an Apple Numbers file", "ask the sender to export it as xlsx or csv"),
        // What Google Drive leaves on a synced disk: a link, the figures stay online.
        "gsheet" => ("a Google Sheets shortcut (a link; the figures are online)", "open it and download the sheet as xlsx (File > Download) into the folder"),
        _ => return None,
    };
    Some(Finding::warning(
        "not_a_spreadsheet",
        &path.display().to_string(),
        format!("{what}, not a spreadsheet sitrep reads (xlsx, xls, xlsb, ods, csv, tsv): nothing in it was counted; {then}"),
    ))
}

/// A submission file, loaded into memory once (it is hashed and parsed from the same bytes).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to users and written in provenance.
    pub display: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// File modification time, used as the received time when nothing else declares it.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads one file into a grid. Never panics on bad input: a panic inside a parser is
/// caught and reported as a finding.
pub fn read(file: &SourceFile, limits: &Limits) -> Result<Grid, Finding> {
    let src = file.display.as_str();
    if file.bytes.len() as u64 > limits.max_file_bytes {
        return Err(Finding::error(
            "file_too_large",
            src,
            format!(
                "file is {} bytes, above the limit of {} bytes (raise limits.max_file_bytes in sitrep.toml if it is genuine)",
                file.bytes.len(),
                limits.max_file_bytes
            ),
        ));
    }
    let format = guard::sniff_format(&file.path, &file.bytes).map_err(|m| Finding::error("unreadable_file", src, m))?;
    if parsed_in_place(format, &file.bytes) {
        return in_place(file, limits, |path, bytes, limits, src| parse(format, path, bytes, limits, src));
    }
    with_deadline(file, limits, move |path, bytes, limits, src| parse(format, path, bytes, limits, src))
}

/// Whether a file is parsed on the calling thread rather than handed to a reader thread
/// that can be abandoned ([`with_deadline`]): handing each file over and back cost ~60
/// µs of CPU a file here (two threads woken; a year's first run 1.6 CPU-s, a tenth of
/// it), as much as half the parse of a small workbook. In place go the formats whose
/// parse cannot run away: delimited text (read by our loop, bounded by its bytes) and
/// xlsx (XML, every calamine loop over it stopping at the end of its part, cells
/// streamed under `max_cells`), both checking the time limit as they go
/// ([`past_deadline`]). Not an xlsx holding a VBA project: that is a CFB container, read
/// by the code fuzzing found loops in (xls), as are xlsb and ods, read whole by calamine.
fn parsed_in_place(format: Format, bytes: &[u8]) -> bool {
    match format {
        Format::Delimited => true,
        // Zip entries' names are stored as they are: a workbook with `xl/vbaProject.bin`
        // has the name in its bytes (the name found by chance in compressed data only
        // sends the file to a reader thread).
        Format::Xlsx => memchr::memmem::find(bytes, b"vbaProject").is_none(),
        Format::Xls | Format::Xlsb | Format::Ods => false,
    }
}

thread_local! {
    /// When the parse running in place on this thread must stop ([`in_place`]).
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    /// Whether that parse stopped at its deadline.
    static STOPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the parse running in place on this thread is past its time limit: the
/// parsers' own loops ask every few thousand cells, and stop (their error is then
/// replaced by the time limit's finding). Always false on a reader thread, which is
/// abandoned instead.
pub(crate) fn past_deadline() -> bool {
    let past = DEADLINE.get().is_some_and(|d| std::time::Instant::now() > d);
    if past {
        STOPPED.set(true);
    }
    past
}

/// Whether a panic on this thread is a parser's, caught and turned into a finding: the
/// panic hook prints nothing for it (see `main`).
pub fn parsing_here() -> bool {
    std::thread::current().name() == Some(READER_THREAD) || DEADLINE.get().is_some()
}

/// Runs a parser on this thread, under `catch_unwind` and the time limit its loops check.
fn in_place(file: &SourceFile, limits: &Limits, parse: impl FnOnce(&Path, &[u8], &Limits, &str) -> Result<Grid, Finding>) -> Result<Grid, Finding> {
    let src = file.display.as_str();
    DEADLINE.set(Some(std::time::Instant::now() + std::time::Duration::from_secs(limits.max_seconds.max(1))));
    STOPPED.set(false);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&file.path, &file.bytes, limits, src)));
    DEADLINE.set(None);
    match result {
        _ if STOPPED.take() => Err(timed_out(src, limits)),
        Ok(result) => result,
        Err(payload) => Err(reader_failed(src, panic_message(payload.as_ref()))),
    }
}

/// The finding for a file whose reading passed `limits.max_seconds`.
fn timed_out(src: &str, limits: &Limits) -> Finding {
    Finding::error(
        "read_timeout",
        src,
        format!(
            "reading this file took longer than {} s (limits.max_seconds), so it was skipped; it is probably damaged: open and re-save it, or ask the sender for a new copy",
            limits.max_seconds
        ),
    )
}

fn parse(format: Format, path: &Path, bytes: &[u8], limits: &Limits, src: &str) -> Result<Grid, Finding> {
    match format {
        Format::Delimited => delimited::read(path, bytes, limits).map_err(|m| Finding::error("unreadable_file", src, m)),
        _ => {
            let notes = guard::check_archive(format, bytes, limits).map_err(|m| Finding::error("refused_file", src, m))?;
            let mut grid = workbook::read(format, bytes, limits, src)?;
            grid.findings.extend(notes.into_iter().map(|n| Finding::warning(n.code, src, n.message)));
            Ok(grid)
        }
    }
}

fn reader_failed(src: &str, why: Option<String>) -> Finding {
    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
    Finding::error("unreadable_file", src, format!("the spreadsheet reader failed on this file{why}; it is probably damaged: open and re-save it, or ask the sender for a new copy"))
}

/// The message a parser panicked with, for the finding (the panic hook prints nothing
/// for parsers: [`parsing_here`]).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned())
}

/// The name of the threads parsers run on (the panic hook stays quiet on them).
pub const READER_THREAD: &str = "sitrep-read";

/// A parse to run on a reader thread.
type Job = Box<dyn FnOnce() -> Result<Grid, Finding> + Send>;

/// A parser thread, kept for the next file by the thread that started it: spawning a
/// thread per file cost more than parsing a small file.
struct Reader {
    jobs: std::sync::mpsc::Sender<Job>,
    results: std::sync::mpsc::Receiver<std::thread::Result<Result<Grid, Finding>>>,
}

impl Reader {
    fn spawn() -> Option<Reader> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<Job>();
        let (result_tx, results) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(READER_THREAD.into())
            .spawn(move || {
                for job in job_rx {
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    if result_tx.send(result).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Reader { jobs, results })
    }
}

thread_local! {
    /// This thread's reader, when it has one that is not stuck.
    static READER: std::cell::RefCell<Option<Reader>> = const { std::cell::RefCell::new(None) };
}

/// Runs a parser on a reader thread, under `catch_unwind` and a time limit. A damaged
/// file can send a parser into a loop (found by fuzzing calamine's xls reader): the run
/// gives up on that file with a finding and goes on; the stuck thread is left behind
/// (the next file gets a new reader) and ends with the process.
fn with_deadline(
    file: &SourceFile,
    limits: &Limits,
    parse: impl FnOnce(&Path, &[u8], &Limits, &str) -> Result<Grid, Finding> + Send + 'static,
) -> Result<Grid, Finding> {
    let src = file.display.clone();
    let (path, bytes, lim, name) = (file.path.clone(), file.bytes.clone(), *limits, src.clone());
    let job: Job = Box::new(move || parse(&path, &bytes, &lim, &name));
    let Some(reader) = READER.with(|r| r.borrow_mut().take()).or_else(Reader::spawn) else {
        return Err(reader_failed(&src, None));
    };
    if reader.jobs.send(job).is_err() {
        return Err(reader_failed(&src, None));
    }
    let result = reader.results.recv_timeout(std::time::Duration::from_secs(limits.max_seconds.max(1)));
    if result.is_ok() {
        // Finished (even by a panic, which was caught): free for the next file.
        READER.with(|r| *r.borrow_mut() = Some(reader));
    }
    match result {
        Ok(Ok(result)) => result,
        Ok(Err(payload)) => Err(reader_failed(&src, panic_message(payload.as_ref()))),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(reader_failed(&src, None)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(timed_out(&src, limits)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kinds that may be figures sent another way are named, whatever the extension's
    /// case; notes and configuration pass unsaid.
    #[test]
    fn files_that_may_be_figures_sent_another_way_are_named() {
        let said = |name: &str| not_a_spreadsheet(Path::new(name)).map(|f| f.message);
        assert!(said("kiriman/rekap tebo.PDF").unwrap().starts_with("a PDF, not a spreadsheet sitrep reads"));
        assert!(said("foto.HEIC").unwrap().starts_with("an image"));
        assert!(said("kerinci.zip").unwrap().contains("extract them into the submissions folder"));
        assert!(said("Rekap Merangin.gsheet").unwrap().contains("download the sheet as xlsx"));
        for quiet in ["README.md", "sitrep.toml", "catatan.txt.bak", "tanpa-ekstensi"] {
            assert_eq!(said(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn a_parser_that_does_not_return_is_abandoned_after_the_time_limit() {
        let file = SourceFile { path: "stuck.xls".into(), display: "stuck.xls".into(), bytes: vec![0; 8], sha256: String::new(), modified: None };
        let limits = Limits { max_seconds: 1, ..Limits::default() };
        let started = std::time::Instant::now();
        let result = with_deadline(&file, &limits, |_, _, _, _| loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        });
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let finding = result.unwrap_err();
        assert_eq!(finding.code, "read_timeout");
        assert!(finding.message.contains("limits.max_seconds"));
        // The stuck reader is left behind; the next file gets a new one.
        let next = with_deadline(&file, &limits, |_, _, _, _| Err(Finding::error("test_done", "stuck.xls", "read")));
        assert_eq!(next.unwrap_err().code, "test_done");
    }

    /// Parsed in place: delimited text and xlsx without a VBA project; the rest, and an
    /// xlsx naming `vbaProject.bin`, on a reader thread that can be abandoned.
    #[test]
    fn only_formats_that_cannot_run_away_are_parsed_in_place() {
        assert!(parsed_in_place(Format::Delimited, b"a;b\n1;2\n"));
        assert!(parsed_in_place(Format::Xlsx, b"PK\x03\x04 xl/worksheets/sheet1.xml"));
        assert!(!parsed_in_place(Format::Xlsx, b"PK\x03\x04 xl/vbaProject.bin"));
        for format in [Format::Xls, Format::Xlsb, Format::Ods] {
            assert!(!parsed_in_place(format, b""));
        }
    }

    /// In place, a parse past its time limit stops at its next check and the file gets
    /// the time limit's finding; a panic is a finding; the thread is as before after both.
    #[test]
    fn a_parse_in_place_stops_at_its_time_limit_and_a_panic_is_a_finding() {
        let file = SourceFile { path: "slow.csv".into(), display: "slow.csv".into(), bytes: vec![], sha256: String::new(), modified: None };
        let limits = Limits { max_seconds: 1, ..Limits::default() };
        let result = in_place(&file, &limits, |_, _, _, _| {
            assert!(parsing_here() && !past_deadline());
            std::thread::sleep(std::time::Duration::from_millis(1100));
            match past_deadline() {
                true => Err(Finding::error("unreadable_file", "slow.csv", "stopped")),
                false => Ok(Grid::default()),
            }
        });
        assert_eq!(result.unwrap_err().code, "read_timeout");
        assert!(!parsing_here() && !past_deadline());
        let result = in_place(&file, &limits, |_, _, _, _| panic!("parser bug"));
        let finding = result.unwrap_err();
        assert_eq!(finding.code, "unreadable_file");
        assert!(finding.message.contains("parser bug"));
        assert!(in_place(&file, &limits, |_, _, _, _| Ok(Grid::default())).is_ok());
    }

    #[test]
    fn a_parser_that_panics_is_a_finding() {
        let file = SourceFile { path: "bad.xls".into(), display: "bad.xls".into(), bytes: vec![], sha256: String::new(), modified: None };
        let result = with_deadline(&file, &Limits::default(), |_, _, _, _| panic!("parser bug"));
        assert_eq!(result.unwrap_err().code, "unreadable_file");
        // The reader survived the panic and reads the next file.
        let next = with_deadline(&file, &Limits::default(), |_, _, _, _| Err(Finding::error("test_done", "bad.xls", "read")));
        assert_eq!(next.unwrap_err().code, "test_done");
    }
}
