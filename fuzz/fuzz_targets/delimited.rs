#![no_main]
//! CSV decoding, delimiter sniffing, and layout detection on the resulting grid.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use sitrep_fuzz::ingest::{delimited, Grid, Limits};
use sitrep_fuzz::layout::{self, vocab::Vocabulary, Purpose};

/// Built once, as a run does (building it normalises every phrase).
static VOCAB: OnceLock<Vocabulary> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let vocab = VOCAB.get_or_init(Vocabulary::default);
    let limits = Limits { max_file_bytes: 1 << 20, max_unzipped_bytes: 1 << 20, max_cells: 20_000, max_seconds: 10 };
    if let Ok(sheets) = delimited::read(std::path::Path::new("f.csv"), data, &limits).map(|g: Grid| g) {
        let _ = layout::read(&sheets, "f.csv", Purpose::Submission, vocab);
        let _ = layout::read(&sheets, "f.csv", Purpose::Targets, vocab);
    }
});
