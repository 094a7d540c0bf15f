#![no_main]
//! Region names and codes as districts write them.
use libfuzzer_sys::fuzz_target;
use sitrep_fuzz::gazetteer;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let g = gazetteer::embedded();
        let _ = g.district(s);
        let _ = g.district_in_text(s);
        let _ = g.area("15.01", Some(s), Some(s));
        let _ = gazetteer::normalise_code(s);
    }
});
