#![no_main]
//! Whole files through the guarded reader (format sniffing, zip pre-check, calamine
//! under a cell budget) and layout detection.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use sitrep_fuzz::ingest::{self, Limits, SourceFile};
use sitrep_fuzz::layout::{self, vocab::Vocabulary, Purpose};

/// Built once, as a run does (building it normalises every phrase).
static VOCAB: OnceLock<Vocabulary> = OnceLock::new();

/// sitrep catches a parser's panic on its reader thread and reports the file as
/// unreadable (`ingest::with_deadline`); libFuzzer's hook would abort on it first. Known
/// ones are regression tests (`tests/it/hostile.rs`); panics elsewhere still abort.
static QUIET_READERS: OnceLock<()> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    QUIET_READERS.get_or_init(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(ingest::READER_THREAD) {
                fuzzer_hook(info);
            }
        }));
    });
    let vocab = VOCAB.get_or_init(Vocabulary::default);
    let limits = Limits { max_file_bytes: 1 << 20, max_unzipped_bytes: 8 << 20, max_cells: 50_000, max_seconds: 10 };
    // The same bytes under each extension; names that would read them the same way
    // (a zip is read by its content whatever its extension) are read once.
    let mut read_as = Vec::new();
    for name in ["f.xlsx", "f.xls", "f.ods", "f.csv"] {
        if let Ok(format) = ingest::guard::sniff_format(std::path::Path::new(name), data) {
            if read_as.contains(&format) {
                continue;
            }
            read_as.push(format);
        }
        let file = SourceFile { path: name.into(), display: name.into(), bytes: data.to_vec(), sha256: String::new(), modified: None };
        if let Ok(grid) = ingest::read(&file, &limits) {
            let _ = layout::read(&grid, name, Purpose::Submission, vocab);
        }
    }
});
