//! Writes the PDF file: page content streams encoded operator by operator as the layout
//! draws, then the file around them (catalog, pages, outline, info, the fonts' objects
//! built once per run, cross-reference table). Object numbers, the `/ID` and the absence
//! of dates are ours, so the same inputs give the same bytes.
//!
//! printpdf builds the font objects (`fonts.rs`); its own serialisation, formatting every
//! operator and collecting the glyphs of every document, was most of a national run.

use super::fonts::{self, fonts, FIRST_FONT_OBJECT};

/// zlib at its fastest level: a national week's 69 PDFs are 11 MB against 8 MB at level 3,
/// and their report stage takes 0.18 s against 0.22 s.
/// One compressor per thread, reset for each stream: setting one up (its window and
/// tables) cost as much as compressing a small page.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    thread_local! {
        static ZLIB: std::cell::RefCell<flate2::write::ZlibEncoder<Vec<u8>>> = std::cell::RefCell::new(flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(1)));
    }
    ZLIB.with_borrow_mut(|z| {
        // Writing to a Vec cannot fail.
        let _ = z.reset(Vec::with_capacity(bytes.len() / 3 + 64));
        let _ = z.write_all(bytes);
        let _ = z.try_finish();
        std::mem::take(z.get_mut())
    })
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `<…>`, a string as hex digits.
pub fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'<');
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out.push(b'>');
}

/// A text string for the info dictionary and the outline: UTF-16BE with its mark.
fn text_string(out: &mut Vec<u8>, s: &str) {
    let mut bytes = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    hex_string(out, &bytes);
}

/// A number with at most `places` decimals (2 for positions, 3 for colours), written
/// without exponent or trailing zeros; halves rounded away from zero.
fn number(out: &mut Vec<u8>, v: f32, places: u32) {
    // Each scale a constant of its own, so that its divisions are multiplications (a
    // year's reports write millions of numbers).
    match places {
        2 => scaled::<100>(out, v, 2),
        3 => scaled::<1000>(out, v, 3),
        _ => scaled::<10_000>(out, v, 4),
    }
}

/// [`number`] with `SCALE` = 10^`places`.
fn scaled<const SCALE: u64>(out: &mut Vec<u8>, v: f32, places: u32) {
    // An f32 times a scale below 2^14 is exact in an f64, and so is adding a half: the
    // truncation is `round` (half away from zero), without its library call.
    let x = v as f64 * SCALE as f64;
    let n = (x.abs() + 0.5) as u64;
    if x < 0.0 && n != 0 {
        out.push(b'-');
    }
    let (whole, mut frac) = (n / SCALE, n % SCALE);
    out.extend_from_slice(itoa::Buffer::new().format(whole).as_bytes());
    if frac != 0 {
        out.push(b'.');
        let mut digits = places;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let mut buffer = itoa::Buffer::new();
        let s = buffer.format(frac);
        for _ in s.len()..digits as usize {
            out.push(b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// One page's content stream, in PDF coordinates (origin bottom left).
#[derive(Default)]
pub struct Content {
    bytes: Vec<u8>,
    /// The fill colour and font last set: set again only when they change (both last
    /// across text objects; lines are drawn inside q…Q and leave them alone).
    fill: Option<(f32, f32, f32)>,
    font: Option<(bool, f32)>,
}

impl Content {
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The content stream as drawn so far.
    #[cfg(test)]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn nums(&mut self, values: &[f32], places: u32) {
        for v in values {
            number(&mut self.bytes, *v, places);
            self.bytes.push(b' ');
        }
    }

    fn set_fill(&mut self, color: (f32, f32, f32)) {
        if self.fill != Some(color) {
            self.fill = Some(color);
            self.color(color, b"rg");
        }
    }

    fn color(&mut self, (r, g, b): (f32, f32, f32), op: &[u8]) {
        self.nums(&[r, g, b], 3);
        self.bytes.extend_from_slice(op);
        self.bytes.push(b'\n');
    }

    /// Text in one of the two faces; characters the subset lacks are drawn as '?'.
    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: (f32, f32, f32), s: &str) {
        self.set_fill(color);
        self.bytes.extend_from_slice(b"BT\n");
        if self.font != Some((bold, size)) {
            self.font = Some((bold, size));
            self.bytes.push(b'/');
            self.bytes.extend_from_slice(fonts::NAMES[bold as usize].as_bytes());
            self.bytes.push(b' ');
            self.nums(&[size], 2);
            self.bytes.extend_from_slice(b"Tf\n");
        }
        // At BT the text matrix is the identity: moving the line is placing the text.
        self.nums(&[x, y], 2);
        self.bytes.extend_from_slice(b"Td\n(");
        let face = fonts::face(bold);
        let unknown = face.gid('?').unwrap_or(0);
        // The glyph ids as bytes in a literal string, half the bytes of hex digits (a
        // weekly run writes megabytes of text, all deflated): the string's delimiters,
        // its escape and line ends escaped.
        for c in s.chars() {
            for b in face.gid(c).unwrap_or(unknown).to_be_bytes() {
                match b {
                    b'(' | b')' | b'\\' => self.bytes.extend_from_slice(&[b'\\', b]),
                    b'\r' => self.bytes.extend_from_slice(b"\\r"),
                    b'\n' => self.bytes.extend_from_slice(b"\\n"),
                    _ => self.bytes.push(b),
                }
            }
        }
        self.bytes.extend_from_slice(b") Tj\nET\n");
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: (f32, f32, f32)) {
        self.set_fill(fill);
        self.nums(&[x, y, w, h], 2);
        self.bytes.extend_from_slice(b"re\nf\n");
    }

    pub fn polyline(&mut self, points: &[(f32, f32)], color: (f32, f32, f32), thickness: f32, dashed: bool) {
        self.bytes.extend_from_slice(b"q\n");
        self.color(color, b"RG");
        self.nums(&[thickness], 2);
        self.bytes.extend_from_slice(b"w\n");
        if dashed {
            self.bytes.extend_from_slice(b"[4 3] 0 d\n");
        }
        for (i, (x, y)) in points.iter().enumerate() {
            self.nums(&[*x, *y], 2);
            self.bytes.extend_from_slice(if i == 0 { b"m\n" } else { b"l\n" });
        }
        self.bytes.extend_from_slice(b"S\nQ\n");
    }
}

/// The file: one A4 page per content stream, the outline's entries (title, page index
/// from 0), the document title, and the `/ID`.
pub fn write(pages: &[Content], bookmarks: &[(String, usize)], title: &str, producer: &str, id: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let f = fonts();
    let n_fonts = f.objects.len() as u32;
    let first_page = FIRST_FONT_OBJECT + n_fonts;
    // Each page is two objects: the page, then its content stream.
    let page_obj = |i: usize| first_page + 2 * i as u32;
    let outline = first_page + 2 * pages.len() as u32;
    // The highest object number.
    let size = if bookmarks.is_empty() { outline - 1 } else { outline + bookmarks.len() as u32 };
    let mut out: Vec<u8> = Vec::with_capacity(16_384 + pages.len() * 4096);
    let mut offsets: Vec<usize> = Vec::with_capacity(size as usize);
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut begin = |out: &mut Vec<u8>, n: u32| {
        debug_assert_eq!(offsets.len() as u32 + 1, n);
        offsets.push(out.len());
        let _ = writeln!(out, "{n} 0 obj");
    };
    begin(&mut out, 1);
    out.extend_from_slice(b"<</Type/Catalog/Pages 2 0 R");
    if !bookmarks.is_empty() {
        let _ = write!(out, "/Outlines {outline} 0 R/PageMode/UseOutlines");
    }
    out.extend_from_slice(b">>\nendobj\n");
    begin(&mut out, 2);
    let _ = write!(out, "<</Type/Pages/Count {}/Kids[", pages.len());
    for i in 0..pages.len() {
        let _ = write!(out, "{}{} 0 R", if i > 0 { " " } else { "" }, page_obj(i));
    }
    out.extend_from_slice(b"]>>\nendobj\n");
    begin(&mut out, 3);
    out.extend_from_slice(b"<</Title");
    text_string(&mut out, title);
    out.extend_from_slice(b"/Creator");
    text_string(&mut out, "sitrep");
    out.extend_from_slice(b"/Producer");
    text_string(&mut out, producer);
    out.extend_from_slice(b">>\nendobj\n");
    begin(&mut out, 4);
    let _ = write!(out, "<</Font<</{} {} 0 R/{} {} 0 R>>>>\nendobj\n", fonts::NAMES[0], f.font_refs[0], fonts::NAMES[1], f.font_refs[1]);
    for (k, object) in f.objects.iter().enumerate() {
        begin(&mut out, FIRST_FONT_OBJECT + k as u32);
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    for (i, page) in pages.iter().enumerate() {
        let n = page_obj(i);
        begin(&mut out, n);
        let _ = write!(out, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.28 841.89]/Resources 4 0 R/Contents {} 0 R>>\nendobj\n", n + 1);
        begin(&mut out, n + 1);
        let stream = deflate(&page.bytes);
        let _ = write!(out, "<</Length {}/Filter/FlateDecode>>\nstream\n", stream.len());
        out.extend_from_slice(&stream);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }
    if !bookmarks.is_empty() {
        let last = pages.len().saturating_sub(1);
        begin(&mut out, outline);
        let _ = write!(out, "<</Type/Outlines/Count {}/First {} 0 R/Last {} 0 R>>\nendobj\n", bookmarks.len(), outline + 1, outline + bookmarks.len() as u32);
        for (k, (name, page)) in bookmarks.iter().enumerate() {
            let n = outline + 1 + k as u32;
            begin(&mut out, n);
            let _ = write!(out, "<</Parent {outline} 0 R/Title");
            text_string(&mut out, name);
            let _ = write!(out, "/Dest[{} 0 R/XYZ null null null]", page_obj((*page).min(last)));
            if k > 0 {
                let _ = write!(out, "/Prev {} 0 R", n - 1);
            }
            if k + 1 < bookmarks.len() {
                let _ = write!(out, "/Next {} 0 R", n + 1);
            }
            out.extend_from_slice(b">>\nendobj\n");
        }
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", size + 1);
    for o in &offsets {
        let _ = writeln!(out, "{o:010} 00000 n ");
    }
    let _ = write!(out, "trailer\n<</Size {}/Root 1 0 R/Info 3 0 R/ID[", size + 1);
    hex_string(&mut out, id);
    hex_string(&mut out, id);
    let _ = write!(out, "]>>\nstartxref\n{xref}\n%%EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f32, places: u32) -> String {
        let mut out = Vec::new();
        number(&mut out, v, places);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(num(42.0, 2), "42");
        assert_eq!(num(772.29004, 2), "772.29");
        assert_eq!(num(0.05, 2), "0.05");
        assert_eq!(num(-3.5, 2), "-3.5");
        assert_eq!(num(0.16, 3), "0.16");
        assert_eq!(num(0.004, 2), "0");
        assert_eq!(num(841.89, 2), "841.89");
    }

    /// The rounding without `f64::round` is `f64::round`: positions across a page and
    /// beyond (±2,500 pt, each quarter of a hundredth: halves among them) and values
    /// between.
    #[test]
    fn numbers_round_as_f64_round_does() {
        let reference = |v: f32, places: u32| {
            let scale = 10i64.pow(places);
            let n = (v as f64 * scale as f64).round() as i64;
            let (sign, n) = (if n < 0 { "-" } else { "" }, n.unsigned_abs());
            let frac = format!("{:0width$}", n % scale as u64, width = places as usize);
            let frac = frac.trim_end_matches('0');
            format!("{sign}{}{}{frac}", n / scale as u64, if frac.is_empty() { "" } else { "." })
        };
        let mut values: Vec<f32> = (-1_000_000..=1_000_000).map(|q| q as f32 / 400.0).collect();
        values.extend((0..20_000).map(|i| (i as f32 * 0.731).sin() * 10_000.0));
        for v in values {
            for places in [2, 3] {
                assert_eq!(num(v, places), reference(v, places), "{v} to {places} places");
            }
        }
    }

    /// A literal string as a reader takes it: `\` escapes, an unescaped line end is a
    /// line feed (PDF 32000, 7.3.4.2), parentheses balanced.
    fn literal(bytes: &[u8]) -> Vec<u8> {
        let (mut out, mut i) = (Vec::new(), 0);
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    i += 1;
                    out.push(match bytes[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b => b,
                    });
                }
                b'\r' => out.push(b'\n'),
                b'(' | b')' => panic!("an unescaped parenthesis at {i}"),
                b => out.push(b),
            }
            i += 1;
        }
        out
    }

    /// Text is its glyph ids, two bytes each, whatever bytes they are: the string's
    /// delimiters, its escape and line ends among them.
    #[test]
    fn text_is_written_as_its_glyph_ids() {
        let face = fonts::face(false);
        // Every character the subset has, so that ids with the bytes of `(`, `)`, `\`,
        // CR and LF are among them.
        let s: String = (' '..='ž').filter(|c| face.gid(*c).is_some()).collect();
        let ids: Vec<u8> = s.chars().flat_map(|c| face.gid(c).unwrap().to_be_bytes()).collect();
        for special in [b'(', b')', b'\\', b'\r', b'\n'] {
            assert!(ids.contains(&special), "no glyph id with byte {special}");
        }
        let mut page = Content::default();
        page.text(42.0, 800.0, 10.0, false, (0.0, 0.0, 0.0), &s);
        let at = page.bytes.windows(4).position(|w| w == b"Td\n(").unwrap() + 4;
        let end = page.bytes.len() - b") Tj\nET\n".len();
        assert!(page.bytes.ends_with(b") Tj\nET\n"));
        assert!(std::str::from_utf8(&page.bytes[..at]).unwrap().ends_with("42 800 Td\n("));
        assert_eq!(literal(&page.bytes[at..end]), ids);
    }

    /// Every cross-reference entry points at its object, and every stream's length ends
    /// at its `endstream`: viewers that repair a broken table would hide a mistake here.
    #[test]
    fn the_cross_reference_table_and_stream_lengths_are_exact() {
        let mut pages = vec![Content::default(), Content::default()];
        pages[0].text(42.0, 800.0, 10.0, false, (0.0, 0.0, 0.0), "Halaman satu — ≥ 70%");
        pages[1].rect(10.0, 10.0, 20.0, 5.0, (0.9, 0.9, 0.9));
        pages[1].polyline(&[(0.0, 0.0), (5.0, 5.0)], (0.2, 0.2, 0.2), 0.5, true);
        let bytes = write(&pages, &[("Satu".into(), 0), ("Dua".into(), 1)], "Judul", "sitrep test", &[7; 16]);
        // One character per byte, so positions in the text are offsets in the file.
        let text: String = bytes.iter().map(|b| if b.is_ascii() { *b as char } else { '.' }).collect();
        let at = text.rfind("startxref\n").unwrap();
        let xref: usize = text[at + 10..].lines().next().unwrap().parse().unwrap();
        let mut lines = text[xref..].lines();
        assert_eq!(lines.next(), Some("xref"));
        let count: usize = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        lines.next();
        for n in 1..count {
            let offset: usize = lines.next().unwrap()[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{n} 0 obj\n")), "object {n}");
        }
        assert!(lines.next().unwrap().starts_with("trailer"));
        let mut streams = 0;
        for (i, _) in text.match_indices(">>\nstream\n") {
            let dict_start = text[..i].rfind("<<").unwrap();
            let dict = &text[dict_start..i];
            let len: usize = dict[dict.find("/Length ").unwrap() + 8..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
            let end = i + ">>\nstream\n".len() + len;
            assert_eq!(&bytes[end..end + 10], b"\nendstream", "stream at {i}");
            streams += 1;
        }
        // Two pages and the fonts' programs and maps.
        assert!(streams >= 6, "{streams} streams");
        assert_eq!(write(&pages, &[], "Judul", "sitrep test", &[7; 16]), write(&pages, &[], "Judul", "sitrep test", &[7; 16]));
    }
}
