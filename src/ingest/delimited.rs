//! CSV, TSV and other delimited text: detect the encoding and the delimiter, then parse
//! with the `csv` crate into the same grid a workbook gives (one sheet, all text).

use super::{Cell, Grid, Limits, Sheet};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use std::path::Path;

pub fn read(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Grid, String> {
    let (text, encoding) = decode(bytes);
    let delimiter = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) {
        b'\t'
    } else {
        sniff_delimiter(&text)
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut cells = 0usize;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", i + 1))?;
        if (i + 1).is_multiple_of(4096) && super::past_deadline() {
            return Err("past the time limit".into());
        }
        cells += record.len();
        if cells > limits.max_cells {
            return Err(format!("more than {} cells (limits.max_cells); refused", limits.max_cells));
        }
        let mut row: Vec<Cell> = record
            .iter()
            .map(|f| if f.trim().is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) })
            .collect();
        while matches!(row.last(), Some(Cell::Empty)) {
            row.pop();
        }
        rows.push(row);
    }
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("csv").to_string();
    let shown = match delimiter {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    };
    Ok(Grid {
        sheets: vec![Sheet { name, rows, merges: Vec::new() }],
        how: format!("csv, {encoding}, delimiter {shown}"),
        findings: Vec::new(),
    })
}

/// BOM first, then strict UTF-8, then a UTF-16 guess from NUL bytes, then chardetng
/// (which picks windows-1252 for the Latin text of Indonesian submissions).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), if enc == UTF_8 { "UTF-8 with BOM" } else { enc.name() });
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let nul_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let nul_odd = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if nul_odd > sample.len() / 4 {
        return (UTF_16LE.decode_without_bom_handling(bytes).0.into_owned(), "UTF-16LE");
    }
    if nul_even > sample.len() / 4 {
        return (UTF_16BE.decode_without_bom_handling(bytes).0.into_owned(), "UTF-16BE");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), "UTF-8");
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(Some(b"id"), chardetng::Utf8Detection::Allow);
    (enc.decode_without_bom_handling(bytes).0.into_owned(), enc.name())
}

/// Picks the candidate whose per-line count is most often the same non-zero number,
/// over the first 50 non-empty lines. Title lines above the table do not confuse it.
pub fn sniff_delimiter(text: &str) -> u8 {
    let candidates = [b';', b',', b'\t', b'|'];
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    let mut best = (b',', 0usize, 0usize);
    for &d in &candidates {
        let mut freq: std::collections::BTreeMap<usize, usize> = Default::default();
        for l in &lines {
            let n = count_outside_quotes(l, d);
            if n > 0 {
                *freq.entry(n).or_default() += 1;
            }
        }
        if let Some((&count, &lines_with)) = freq.iter().max_by_key(|(n, f)| (**f, **n)) {
            if (lines_with, count) > (best.1, best.2) {
                best = (d, lines_with, count);
            }
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn delimiter_ignores_title_lines() {
        let t = "REKAP VAKSINASI;;;\nData s.d. 15 Januari 2022;;;\nKecamatan;D1;D2;D3\nA;1.234;1.000;5\nB;2.000,5;1;2\n";
        assert_eq!(sniff_delimiter(t), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2,5\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n"), b'|');
    }
    #[test]
    fn decodes_bom_and_windows_1252() {
        let (t, e) = decode(b"\xEF\xBB\xBFKecamatan;D1");
        assert_eq!((t.as_str(), e), ("Kecamatan;D1", "UTF-8 with BOM"));
        let (t, e) = decode(b"Sumber: Dinkes \x96 Gar\xfct;;");
        assert_eq!(t, "Sumber: Dinkes \u{2013} Gar\u{fc}t;;");
        assert_eq!(e, "windows-1252");
        let utf16: Vec<u8> = "Kecamatan,D1\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode(&utf16).0, "Kecamatan,D1\n");
    }
}
