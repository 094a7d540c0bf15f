//! Input files' records ([`FileOutcome`]) as JSON, written by hand: the same bytes as
//! serde_json writes for the outcome's derive, at a fraction of the cost. A year's
//! 26,728 records (13 MB) are written twice by every weekly run, the manifest's inputs
//! and the archive's run record: serde_json took some 37 ms for them, most of it its
//! byte-at-a-time escaping of texts that need none and its calls per field; 14 ms so.

use crate::table::FileOutcome;
use std::io::Write;

/// The list as the manifest lays it out at its place (a value of the top object): each
/// record on a line of its own, indented as [`super::RecordPerLine`] indents them.
pub fn write(w: &mut dyn Write, inputs: &[FileOutcome]) -> std::io::Result<()> {
    if inputs.is_empty() {
        return w.write_all(b"[]");
    }
    let mut line = Vec::with_capacity(1024);
    w.write_all(b"[")?;
    for (i, outcome) in inputs.iter().enumerate() {
        line.clear();
        line.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        record(&mut line, outcome);
        w.write_all(&line)?;
    }
    w.write_all(b"\n  ]")
}

/// The list compact, as `serde_json::to_vec` writes it.
pub fn compact(records: &[&FileOutcome]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 512 + 2);
    out.push(b'[');
    for (i, outcome) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        record(&mut out, outcome);
    }
    out.push(b']');
    out
}

/// One record, compact, its fields in the order they are declared.
fn record(out: &mut Vec<u8>, outcome: &FileOutcome) {
    // Every field named: one added to the outcome is a compile error here until written.
    let FileOutcome { path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title, received, received_from } = outcome;
    let mut number = itoa::Buffer::new();
    out.push(b'{');
    key(out, "path", true);
    string(out, path);
    key(out, "sha256", false);
    string(out, sha256);
    key(out, "bytes", false);
    out.extend_from_slice(number.format(*bytes).as_bytes());
    for (name, text) in [("status", status), ("how", how), ("layout", layout)] {
        key(out, name, false);
        string(out, text);
    }
    for (name, text) in [("district_code", district_code), ("period", period)] {
        key(out, name, false);
        optional(out, text.as_deref());
    }
    for (name, n) in [("rows_accepted", rows_accepted), ("rows_totals", rows_totals), ("rows_rejected", rows_rejected), ("observations", observations)] {
        key(out, name, false);
        out.extend_from_slice(number.format(*n).as_bytes());
    }
    for (name, text) in [("note", note), ("title", title)] {
        key(out, name, false);
        string(out, text);
    }
    key(out, "received", false);
    // As the outcome's serde attribute writes it.
    optional(out, received.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).as_deref());
    key(out, "received_from", false);
    string(out, received_from);
    out.push(b'}');
}

/// A field's name (plain ASCII) and its colon, after a comma unless it is the first.
fn key(out: &mut Vec<u8>, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => string(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, control characters as
/// `\b \t \n \f \r` or `\u00XX`, everything else (non-ASCII included) as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most texts need nothing escaped: found so in one pass over them that the compiler
    // makes a few wide comparisons (it does not stop at the first byte that needs it).
    if !bytes.iter().fold(false, |needs, &b| needs | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(i: usize) -> FileOutcome {
        FileOutcome {
            path: format!("/data/minggu {i}/15.01_KERINCI \"rekap\" \\ {i}.xlsx"),
            sha256: format!("{i:064x}"),
            bytes: 3_181 + i as u64,
            status: ["ok", "error", "superseded"][i % 3].into(),
            how: "xlsx".into(),
            layout: "wide".into(),
            district_code: i.is_multiple_of(2).then(|| "15.01".into()),
            period: (i % 3 != 1).then(|| "2022-01-08,2022-01-15".into()),
            rows_accepted: i * 7,
            rows_totals: 1,
            rows_rejected: usize::MAX - i,
            observations: 306,
            // Every control character, and text a user's file may carry.
            note: (0u8..0x20).map(char::from).chain("tab\there, ünïcode — 70,5%, DEL \u{7f}, /slash".chars()).collect(),
            title: "REKAP VAKSINASI | KAB. KERINCI | s.d. 15 Januari 2022\r\n".into(),
            received: (i % 2 == 1).then(|| chrono::DateTime::from_timestamp(1_642_204_800 + i as i64, 123_456_789).unwrap()),
            received_from: ["file_time", "receipts", ""][i % 3].into(),
        }
    }

    /// The bytes serde_json's derive gives, record by record and as the manifest's list.
    #[test]
    fn inputs_are_written_as_serde_json_writes_them() {
        let inputs: Vec<FileOutcome> = (0..7).map(outcome).collect();
        for o in &inputs {
            let mut by_hand = Vec::new();
            record(&mut by_hand, o);
            assert_eq!(String::from_utf8(by_hand).unwrap(), serde_json::to_string(o).unwrap());
        }
        let mut by_hand = Vec::new();
        write(&mut by_hand, &inputs).unwrap();
        let records: Vec<String> = inputs.iter().map(|o| serde_json::to_string(o).unwrap()).collect();
        assert_eq!(String::from_utf8(by_hand.clone()).unwrap(), format!("[\n    {}\n  ]", records.join(",\n    ")));
        let refs: Vec<&FileOutcome> = inputs.iter().collect();
        assert_eq!(compact(&refs), serde_json::to_vec(&refs).unwrap());
        assert_eq!(compact(&[]), b"[]");
        let read: Vec<FileOutcome> = serde_json::from_slice(&by_hand).unwrap();
        assert_eq!(read.len(), 7);
        assert_eq!(read[3].note, inputs[3].note);
        let mut none = Vec::new();
        write(&mut none, &[]).unwrap();
        assert_eq!(none, b"[]");
    }
}
