//! Merged ranges of xlsx sheets, found by a byte scan of each sheet's XML.
//!
//! calamine's `merge_cells_by_sheet_name` parses the whole sheet a second time, an XML
//! event for every cell, to reach the `<mergeCells>` after them: over a year of
//! submissions that second parse cost half as much again as reading the cells (1.3–2.5
//! CPU-s). Here the sheet is only inflated and searched for `mergeCell` elements (under
//! 0.5 CPU-s for the year). The sheets' paths come from the workbook's relationships,
//! found as calamine finds them. Whatever this does not recognise gives `None`, and the
//! caller asks calamine instead, so an unusual file is read as before.

use super::Merge;
use quick_xml::events::Event;
use std::io::{Cursor, Read};

pub type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The workbook's sheets as (name, path of the sheet's XML in the archive), in the
/// workbook's order.
pub fn sheet_paths(zip: &mut Zip) -> Option<Vec<(String, String)>> {
    // The package's relationships name the workbook part (usually xl/workbook.xml);
    // sheet targets are relative to its folder.
    let package = relationships(&read_entry(zip, "_rels/.rels")?)?;
    let target = package.into_iter().find(|r| r.kind.ends_with("/relationships/officeDocument"))?.target;
    let (dir, name) = match target.rfind('/') {
        Some(i) => target.split_at(i + 1),
        None => ("", target.as_str()),
    };
    let dir = dir.strip_prefix('/').unwrap_or(dir);
    let name = if name.is_empty() { "workbook.xml" } else { name };
    let rels = relationships(&read_entry(zip, &format!("{dir}_rels/{name}.rels"))?)?;
    let workbook = read_entry(zip, &format!("{dir}{name}"))?;
    let mut sheets = Vec::new();
    for_each_element(&workbook, "sheet", |e| {
        let mut name = None;
        let mut id = None;
        for a in e.attributes() {
            let a = a.ok()?;
            if a.key.as_ref() == "name" {
                name = Some(a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.into_owned());
            } else if a.key.local_name().as_ref() == "id" {
                id = Some(a.value.into_owned());
            }
        }
        let target = &rels.iter().find(|r| Some(&r.id) == id.as_ref())?.target;
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("{dir}{target}"),
        };
        sheets.push((name?, path));
        Some(())
    })?;
    Some(sheets)
}

/// The merged ranges of the sheet stored at `path`.
pub fn merged_ranges(zip: &mut Zip, path: &str) -> Option<Vec<Merge>> {
    let entry = zip.by_name(path).ok()?;
    scan(entry, 64 * 1024)
}

struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn relationships(xml: &[u8]) -> Option<Vec<Relationship>> {
    let mut out = Vec::new();
    for_each_element(xml, "Relationship", |e| {
        let mut r = Relationship { id: String::new(), kind: String::new(), target: String::new() };
        for a in e.attributes() {
            let a = a.ok()?;
            match a.key.as_ref() {
                "Id" => r.id = a.value.into_owned(),
                "Type" => r.kind = a.value.into_owned(),
                "Target" => r.target = a.value.into_owned(),
                _ => {}
            }
        }
        out.push(r);
        Some(())
    })?;
    Some(out)
}

/// Calls `f` on every element with this local name; `None` when the XML is malformed
/// or `f` gives up.
fn for_each_element(xml: &[u8], local_name: &str, mut f: impl FnMut(&quick_xml::events::BytesStart) -> Option<()>) -> Option<()> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == local_name => f(&e)?,
            Event::Eof => return Some(()),
            _ => {}
        }
        buf.clear();
    }
}

/// A small part of the package (relationships, the workbook), read whole. The guard
/// has already bounded every entry's inflated size.
fn read_entry(zip: &mut Zip, path: &str) -> Option<Vec<u8>> {
    let mut entry = zip.by_name(path).ok()?;
    let mut out = Vec::new();
    entry.read_to_end(&mut out).ok()?;
    Some(out)
}

const NAME: &[u8] = b"mergeCell";
/// An element longer than this is not a merged range: the scan gives up.
const LONGEST_ELEMENT: usize = 4096;

/// Reads `xml` a chunk at a time and takes every `<mergeCell ref="…"/>` (with any
/// namespace prefix). Markup cannot hide in text (`<` is escaped there); comments are
/// not told apart, which no spreadsheet writer puts around merged ranges.
fn scan(mut xml: impl Read, chunk: usize) -> Option<Vec<Merge>> {
    let mut merges = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(2 * chunk);
    let mut block = vec![0u8; chunk];
    loop {
        let n = xml.read(&mut block).ok()?;
        buf.extend_from_slice(&block[..n]);
        let at_end = n == 0;
        let done = take_merges(&buf, &mut merges)?;
        if at_end {
            // An element still open at the end: the sheet is damaged.
            return (done.pending.is_none()).then_some(merges);
        }
        buf.drain(..done.upto);
    }
}

struct Scanned {
    /// Bytes that need not be seen again.
    upto: usize,
    /// Where an element starts whose end is not read yet.
    pending: Option<usize>,
}

/// Takes the complete `mergeCell` elements in `xml`. Keeps back what a later chunk may
/// complete: an open element, and the last few bytes (a name cut at the chunk's end).
fn take_merges(xml: &[u8], merges: &mut Vec<Merge>) -> Option<Scanned> {
    let mut upto = 0;
    for at in memchr::memmem::find_iter(xml, NAME) {
        if at < upto {
            continue;
        }
        let Some(&next) = xml.get(at + NAME.len()) else { break };
        if !opens_element(xml, at) || !matches!(next, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>') {
            continue; // `mergeCells`, a closing tag, or the name inside other markup
        }
        let Some(len) = memchr::memchr(b'>', &xml[at..]) else {
            if xml.len() - at > LONGEST_ELEMENT {
                return None;
            }
            // Kept from before its `<` and prefix, but not from before what was taken.
            let start = upto.max(at.saturating_sub(TAIL));
            return Some(Scanned { upto: start, pending: Some(start) });
        };
        merges.push(merge_in(&xml[at + NAME.len()..at + len])?);
        upto = at + len + 1;
    }
    Some(Scanned { upto: upto.max(xml.len().saturating_sub(TAIL)), pending: None })
}

/// Bytes kept back between chunks: the element's name and its namespace prefix.
const TAIL: usize = 64;

/// Whether the name at `at` opens an element: `<mergeCell` or `<x:mergeCell`.
fn opens_element(xml: &[u8], at: usize) -> bool {
    match at.checked_sub(1).map(|i| xml[i]) {
        Some(b'<') => true,
        Some(b':') => {
            let prefix_start = xml[..at - 1].iter().rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')));
            prefix_start.is_some_and(|i| xml[i] == b'<' && i + 1 < at - 1)
        }
        _ => false,
    }
}

/// The range in a `mergeCell`'s attributes: `ref="C4:E4"` (or a single cell).
fn merge_in(attributes: &[u8]) -> Option<Merge> {
    let mut rest = attributes;
    let value = loop {
        let at = memchr::memmem::find(rest, b"ref")?;
        let before = at.checked_sub(1).map(|i| rest[i]);
        let after = rest[at + 3..].trim_ascii_start();
        if matches!(before, Some(b' ' | b'\t' | b'\r' | b'\n')) {
            if let Some(after) = after.strip_prefix(b"=") {
                let after = after.trim_ascii_start();
                let quote = *after.first()?;
                if quote != b'"' && quote != b'\'' {
                    return None;
                }
                let len = memchr::memchr(quote, &after[1..])?;
                break &after[1..1 + len];
            }
        }
        rest = &rest[at + 3..];
    };
    let text = std::str::from_utf8(value).ok()?;
    let (first, last) = text.split_once(':').unwrap_or((text, text));
    let (first_row, first_col) = cell(first)?;
    let (last_row, last_col) = cell(last)?;
    Some(Merge { first_row, first_col, last_row, last_col })
}

/// "C4" → (3, 2), 0-based.
fn cell(reference: &str) -> Option<(usize, usize)> {
    let digits = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = reference.split_at(digits);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters.bytes().fold(0usize, |n, b| n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as usize);
    let row: usize = number.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(first_row: usize, first_col: usize, last_row: usize, last_col: usize) -> Merge {
        Merge { first_row, first_col, last_row, last_col }
    }

    #[test]
    fn merged_ranges_are_found_whatever_the_chunks_cut() {
        let xml = br#"<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mergeCell ref="Z9:Z10" is text here</t></is></c></row></sheetData><mergeCells count="5"><mergeCell ref="A4:A5"/><mergeCell  ref = 'C4:E4' /><x:mergeCell ref="AA10:AB12"></x:mergeCell><x:mergeCell ref="AC1:AC2"/><mergeCell
ref="B2"/><mergeCell xr:uid="{1}" ref="XFD1048575:XFD1048576"/></mergeCells><pageMargins left="0.7"/></worksheet>"#;
        let want = vec![m(3, 0, 4, 0), m(3, 2, 3, 4), m(9, 26, 11, 27), m(0, 28, 1, 28), m(1, 1, 1, 1), m(1048574, 16383, 1048575, 16383)];
        for chunk in 1..=xml.len() + 1 {
            assert_eq!(scan(&xml[..], chunk), Some(want.clone()), "chunk of {chunk} bytes");
        }
    }

    #[test]
    fn what_the_scan_cannot_vouch_for_is_left_to_calamine() {
        for xml in [&br#"<mergeCells><mergeCell ref="A1:B2""#[..], br#"<mergeCell ref="1A:B2"/>"#, br#"<mergeCell ref=A1:B2/>"#, br#"<mergeCell/>"#] {
            assert_eq!(scan(xml, 7), None, "{}", String::from_utf8_lossy(xml));
        }
        assert_eq!(scan(&br#"<mergeCells count="0"></mergeCells>"#[..], 5), Some(vec![]));
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any bytes, with pieces of merged-range markup among them: the scan never
        /// panics, and where the chunks are cut never changes what it finds.
        #[test]
        fn chunking_never_changes_the_result(parts in prop::collection::vec(prop_oneof![
            Just(&b"<mergeCell ref=\"B2:C3\"/>"[..]), Just(&b"<x:mergeCell ref='A1'>"[..]), Just(&b"</x:mergeCell>"[..]),
            Just(&b"<mergeCells count=\"1\">"[..]), Just(&b"mergeCell"[..]), Just(&b"<"[..]), Just(&b">"[..]), Just(&b" ref="[..]),
            Just(&b"\""[..]), Just(&b"Z9"[..]), Just(&b":"[..]), Just(&b"<c r=\"A1\"><v>1</v></c>"[..]),
        ], 0..40), noise in prop::collection::vec(any::<u8>(), 0..64), chunk in 1usize..80) {
            let mut xml: Vec<u8> = parts.concat();
            let at = noise.first().map_or(0, |b| *b as usize % (xml.len() + 1));
            xml.splice(at..at, noise.iter().copied());
            prop_assert_eq!(scan(&xml[..], chunk), scan(&xml[..], xml.len() + 1));
        }
    }

    /// Every xlsx in the fixtures: the scan finds the same sheets and ranges as calamine.
    #[test]
    fn the_scan_agrees_with_calamine_on_the_fixtures() {
        use calamine::Reader;
        let files: Vec<_> = walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).into_iter().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "xlsx")).map(|e| e.into_path()).collect();
        assert!(files.len() >= 20, "{} xlsx fixtures", files.len());
        let mut ranges = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            // Some fixtures are other formats under an xlsx name.
            let Ok(mut zip) = Zip::new(Cursor::new(&bytes[..])) else { continue };
            let paths = sheet_paths(&mut zip).unwrap_or_else(|| panic!("{}", path.display()));
            let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(&bytes[..])).unwrap();
            assert_eq!(paths.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), wb.sheet_names(), "{}", path.display());
            for (name, sheet) in &paths {
                let ours = merged_ranges(&mut zip, sheet).unwrap_or_else(|| panic!("{} {name}", path.display()));
                let theirs: Vec<Merge> = wb.merge_cells_by_sheet_name(name).unwrap().iter().map(super::super::workbook::to_merge).collect();
                assert_eq!(ours, theirs, "{} {name}", path.display());
                ranges += ours.len();
            }
        }
        assert!(ranges > 20, "{ranges} merged ranges in the fixtures");
    }
}
