#![no_main]
//! Number and date parsing of single cells.
use libfuzzer_sys::fuzz_target;
use sitrep_fuzz::ingest::Cell;
use sitrep_fuzz::layout::cells;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = cells::parse_number_text(s);
        let _ = cells::find_date(s);
        let _ = cells::read_number(&Cell::Text(s.to_string()));
        let _ = cells::cell_date(&Cell::Text(s.to_string()));
        let _ = cells::ppkm_level(s);
        let _ = cells::zone(s);
    }
    if data.len() == 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(data);
        let n = f64::from_le_bytes(b);
        let _ = cells::read_number(&Cell::Number(n));
        let _ = cells::cell_date(&Cell::Number(n));
    }
});
