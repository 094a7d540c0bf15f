#![no_main]
//! CSV decoding, delimiter sniffing, and layout detection on the resulting grid.
use libfuzzer_sys::fuzz_target;
use sitrep_fuzz::ingest::{delimited, Grid, Limits};
use sitrep_fuzz::layout::{self, vocab::Vocabulary, Purpose};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_file_bytes: 1 << 20, max_unzipped_bytes: 1 << 20, max_cells: 20_000, max_seconds: 10 };
    let vocab = Vocabulary::default();
    if let Ok(sheets) = delimited::read(std::path::Path::new("f.csv"), data, &limits).map(|g: Grid| g) {
        let _ = layout::read(&sheets, "f.csv", Purpose::Submission, &vocab);
        let _ = layout::read(&sheets, "f.csv", Purpose::Targets, &vocab);
    }
});
