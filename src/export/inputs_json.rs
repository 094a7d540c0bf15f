//! Input files' records ([`FileOutcome`]) as JSON, written by hand: the same bytes as
//! serde_json writes for the outcome's derive, at a fraction of the cost. A year's
//! 26,728 records (13 MB) are written twice by every weekly run, the manifest's inputs
//! and the archive's run record: serde_json took some 37 ms for them, most of it its
//! byte-at-a-time escaping of texts that need none and its calls per field; 14 ms so.
//! The archive's parts written before are now found by a digest of their records
//! ([`digest`]), so most weekly runs write them once, for the manifest.

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
    let mut json = Json { out, first: true, number: itoa::Buffer::new() };
    json.out.push(b'{');
    fields(outcome, &mut json);
    json.out.push(b'}');
}

/// What is done with each field of a record: written as JSON ([`Json`]), or fed to the
/// digest that finds a list of records written before ([`Digest`]).
trait Fields {
    fn text(&mut self, name: &str, text: &str);
    fn optional(&mut self, name: &str, text: Option<&str>);
    fn number(&mut self, name: &str, n: u64);
    fn time(&mut self, name: &str, t: Option<chrono::DateTime<chrono::Utc>>);
}

/// Hands every field of `outcome` to `to`, in the order they are declared.
fn fields(outcome: &FileOutcome, to: &mut impl Fields) {
    // Every field named: one added to the outcome is a compile error here until written.
    let FileOutcome { path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title, received, received_from } = outcome;
    to.text("path", path);
    to.text("sha256", sha256);
    to.number("bytes", *bytes);
    for (name, text) in [("status", status), ("how", how), ("layout", layout)] {
        to.text(name, text);
    }
    for (name, text) in [("district_code", district_code), ("period", period)] {
        to.optional(name, text.as_deref());
    }
    for (name, n) in [("rows_accepted", rows_accepted), ("rows_totals", rows_totals), ("rows_rejected", rows_rejected), ("observations", observations)] {
        to.number(name, *n as u64);
    }
    for (name, text) in [("note", note), ("title", title)] {
        to.text(name, text);
    }
    to.time("received", *received);
    to.text("received_from", received_from);
}

/// A record's fields as JSON, after its `{`.
struct Json<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    number: itoa::Buffer,
}

impl Json<'_> {
    fn key(&mut self, name: &str) {
        key(self.out, name, self.first);
        self.first = false;
    }
}

impl Fields for Json<'_> {
    fn text(&mut self, name: &str, text: &str) {
        self.key(name);
        string(self.out, text);
    }
    fn optional(&mut self, name: &str, text: Option<&str>) {
        self.key(name);
        optional(self.out, text);
    }
    fn number(&mut self, name: &str, n: u64) {
        self.key(name);
        self.out.extend_from_slice(self.number.format(n).as_bytes());
    }
    fn time(&mut self, name: &str, t: Option<chrono::DateTime<chrono::Utc>>) {
        self.key(name);
        // As the outcome's serde attribute writes it.
        optional(self.out, t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).as_deref());
    }
}

/// The BLAKE3 of a list of records' fields and of the sitrep `build` writing them
/// ([`crate::build_stamp`]), as hex: lists with the same digest are written
/// ([`compact`]) as the same bytes, so a part of the archive written before is found by
/// it without writing the list out and hashing it with SHA-256 again (a year's 26,728
/// records are 13 MB, ~25 ms of a weekly run's CPU; the digest is a few).
pub fn digest(build: &str, records: &[&FileOutcome]) -> String {
    let mut d = Digest { hasher: blake3::Hasher::new(), buffer: Vec::with_capacity(DIGEST_BUFFER + 1024) };
    d.text("", build);
    d.number("", records.len() as u64);
    for outcome in records {
        fields(outcome, &mut d);
    }
    d.hasher.update(&d.buffer);
    d.hasher.finalize().to_hex().to_string()
}

/// Bytes gathered before they are hashed (BLAKE3 is fast on long inputs, slow on many
/// short ones).
const DIGEST_BUFFER: usize = 1 << 16;

/// Each field fed to the digest unambiguously: texts with their lengths, absent values
/// marked; times to the second, as they are written.
struct Digest {
    hasher: blake3::Hasher,
    buffer: Vec<u8>,
}

impl Digest {
    fn put(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= DIGEST_BUFFER {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
    }
}

impl Fields for Digest {
    fn text(&mut self, _: &str, text: &str) {
        self.put(&(text.len() as u64).to_le_bytes());
        self.put(text.as_bytes());
    }
    fn optional(&mut self, name: &str, text: Option<&str>) {
        match text {
            Some(t) => {
                self.put(&[1]);
                self.text(name, t);
            }
            None => self.put(&[0]),
        }
    }
    fn number(&mut self, _: &str, n: u64) {
        self.put(&n.to_le_bytes());
    }
    fn time(&mut self, _: &str, t: Option<chrono::DateTime<chrono::Utc>>) {
        match t {
            Some(t) => {
                self.put(&[1]);
                self.put(&t.timestamp().to_le_bytes());
            }
            None => self.put(&[0]),
        }
    }
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

    /// Lists with the same digest are written as the same bytes (the archive names a
    /// part by the digest without writing it again): a change to any field, a text's
    /// bytes moved to the next field, a record more, another build, or a received time a
    /// second later gives another digest; a time within the same second (written the same) does not.
    #[test]
    fn a_change_to_any_field_changes_the_digest() {
        let base = outcome(1);
        let at = base.received.unwrap();
        let changes: Vec<fn(&mut FileOutcome)> = vec![
            |o| o.path.push('x'),
            |o| o.sha256.replace_range(0..1, "f"),
            |o| o.bytes += 1,
            |o| o.status = "superseded".into(),
            |o| o.how = "csv".into(),
            |o| o.layout = "long".into(),
            |o| o.district_code = Some("15.02".into()),
            |o| o.district_code = Some(String::new()),
            |o| o.period = Some("2022-01-01".into()),
            |o| o.rows_accepted += 1,
            |o| o.rows_totals += 1,
            |o| o.rows_rejected -= 1,
            |o| o.observations += 1,
            |o| o.note.push(' '),
            |o| o.title.clear(),
            |o| o.received = None,
            |o| o.received = o.received.map(|t| t + chrono::Duration::seconds(1)),
            |o| o.received_from.push('x'),
            // "xlsx" + "wide" against "xls" + "xwide".
            |o| (o.how, o.layout) = ("xls".into(), "xwide".into()),
        ];
        let mut seen = std::collections::BTreeSet::from([digest("build", &[&base])]);
        for change in changes {
            let mut changed = base.clone();
            change(&mut changed);
            assert!(seen.insert(digest("build", &[&changed])), "{changed:?}");
        }
        assert!(seen.insert(digest("build", &[&base, &base])));
        assert!(seen.insert(digest("build", &[])));
        // Another build may write the same records otherwise.
        assert!(seen.insert(digest("another build", &[&base])));
        let mut within = base.clone();
        within.received = Some(at + chrono::Duration::milliseconds(300));
        assert_eq!(digest("build", &[&within]), digest("build", &[&base]));
        assert_eq!(compact(&[&within]), compact(&[&base]));
    }
}
