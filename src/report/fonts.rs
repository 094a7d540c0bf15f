//! The two shipped faces (a Latin subset of DejaVu Sans), parsed once per process: their
//! advance widths and glyph ids by codepoint for layout and text encoding, and their PDF
//! font objects, built once by printpdf and copied into every PDF.

use printpdf::{FontId, Op, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, TextItem, Mm, Pt};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/SitrepSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/SitrepSans-Bold.ttf");

/// The font resource names content streams use (`/SRSANS 9 Tf`).
pub const NAMES: [&str; 2] = ["SRSANS", "SRSANB"];

/// Codepoints looked up from a table (Latin, punctuation, arrows, the ▲▼ shapes); the
/// font's own maps are B-trees and every character of every cell is measured.
const TABLED: u32 = 0x2600;

pub struct Face {
    pub parsed: ParsedFont,
    /// Advance width (font units) and glyph id (0: none) of each codepoint below TABLED.
    widths: Vec<u32>,
    gids: Vec<u16>,
}

impl Face {
    fn new(bytes: &[u8]) -> Face {
        PARSED.fetch_add(1, Ordering::Relaxed);
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the shipped font parses");
        let gids: Vec<u16> = (0..TABLED).map(|c| parsed.codepoint_to_glyph.get(&c).copied().unwrap_or(0)).collect();
        let widths = gids.iter().map(|g| parsed.glyph_widths.get(g).copied().unwrap_or(0) as u32).collect();
        Face { parsed, widths, gids }
    }

    /// The glyph id drawing `c`, if the subset has one.
    pub fn gid(&self, c: char) -> Option<u16> {
        let g = match self.gids.get(c as usize) {
            Some(g) => *g,
            None => self.parsed.codepoint_to_glyph.get(&(c as u32)).copied().unwrap_or(0),
        };
        (g != 0).then_some(g)
    }

    /// The advance width of `c` in font units.
    pub fn advance(&self, c: char) -> u32 {
        match self.widths.get(c as usize) {
            Some(w) => *w,
            None => self.gid(c).and_then(|g| self.parsed.glyph_widths.get(&g)).copied().unwrap_or(0) as u32,
        }
    }

    pub fn units_per_em(&self) -> f32 {
        self.parsed.units_per_em.max(1) as f32
    }
}

pub struct Fonts {
    /// Regular, bold.
    pub faces: [Face; SHIPPED],
    /// The font objects every PDF carries, serialised once, numbered from
    /// [`FIRST_FONT_OBJECT`]: see `pdf_objects`.
    pub objects: Vec<Vec<u8>>,
    /// Object numbers of the two Type0 font dictionaries (regular, bold).
    pub font_refs: [u32; 2],
}

/// Where the font objects start in every PDF sitrep writes (1–4 are the catalog, page
/// tree, info and shared resources).
pub const FIRST_FONT_OBJECT: u32 = 5;

/// The faces sitrep ships (regular, bold).
pub const SHIPPED: usize = 2;

/// Faces parsed in this process, and the time the fonts took to make ready (parsed, and
/// their PDF objects built): `--timings` shows them, as the fonts are to be parsed once
/// per run, not once per PDF.
static PARSED: AtomicUsize = AtomicUsize::new(0);
static MAKING_NANOS: AtomicU64 = AtomicU64::new(0);

/// How many faces were parsed in this process so far, and the time the fonts took.
pub fn parsed() -> (usize, std::time::Duration) {
    (PARSED.load(Ordering::Relaxed), std::time::Duration::from_nanos(MAKING_NANOS.load(Ordering::Relaxed)))
}

pub fn fonts() -> &'static Fonts {
    static F: OnceLock<Fonts> = OnceLock::new();
    F.get_or_init(|| {
        let started = std::time::Instant::now();
        let faces = [Face::new(REGULAR_TTF), Face::new(BOLD_TTF)];
        let (objects, font_refs) = pdf_objects(&faces);
        MAKING_NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Fonts { faces, objects, font_refs }
    })
}

pub fn face(bold: bool) -> &'static Face {
    &fonts().faces[bold as usize]
}

/// The PDF objects of both faces (Type0 font, CID font, descriptor, font program,
/// ToUnicode map), as printpdf writes them for a page that uses every glyph, so that the
/// widths and the text mapping cover whatever a report draws.
fn pdf_objects(faces: &[Face; 2]) -> (Vec<Vec<u8>>, [u32; 2]) {
    let mut doc = PdfDocument::new("fonts");
    let mut ops = vec![Op::StartTextSection];
    for (face, name) in faces.iter().zip(NAMES) {
        let id = FontId(name.into());
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(face.parsed.clone()));
        let every: String = face.parsed.codepoint_to_glyph.keys().filter_map(|c| char::from_u32(*c)).filter(|c| !c.is_control()).collect();
        ops.push(Op::SetFont { font: PdfFontHandle::External(id), size: Pt(10.0) });
        ops.push(Op::ShowText { items: vec![TextItem::Text(every)] });
    }
    ops.push(Op::EndTextSection);
    doc.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]);
    let opts = PdfSaveOptions { subset_fonts: false, ..Default::default() };
    let lo = doc.to_lopdf_document(&opts, &mut Vec::new());
    // The Type0 dictionaries, found by name, and everything they reference, renumbered.
    let mut order: Vec<lopdf::ObjectId> = Vec::new();
    let mut roots = [0u32; 2];
    for (k, name) in NAMES.iter().enumerate() {
        let root = lo
            .objects
            .iter()
            .find(|(_, o)| o.as_dict().is_ok_and(|d| d.get(b"Subtype").and_then(|s| s.as_name()).is_ok_and(|s| s == b"Type0") && d.get(b"BaseFont").and_then(|s| s.as_name()).is_ok_and(|s| s == name.as_bytes())))
            .map(|(id, _)| *id)
            .expect("printpdf writes a Type0 font for each face");
        roots[k] = root.0;
        collect(&lo, root, &mut order);
    }
    let number = |id: lopdf::ObjectId| FIRST_FONT_OBJECT + order.iter().position(|x| *x == id).expect("collected") as u32;
    let font_refs = [number((roots[0], 0)), number((roots[1], 0))];
    let objects = order
        .iter()
        .map(|id| {
            let mut out = Vec::new();
            write_object(&mut out, &lo.objects[id], &number);
            out
        })
        .collect();
    (objects, font_refs)
}

/// Depth-first: `id`, then the objects it references, each once.
fn collect(doc: &lopdf::Document, id: lopdf::ObjectId, order: &mut Vec<lopdf::ObjectId>) {
    if order.contains(&id) {
        return;
    }
    order.push(id);
    let mut refs = Vec::new();
    references(&doc.objects[&id], &mut refs);
    for r in refs {
        collect(doc, r, order);
    }
}

fn references(o: &lopdf::Object, out: &mut Vec<lopdf::ObjectId>) {
    use lopdf::Object::*;
    match o {
        Reference(id) => out.push(*id),
        Array(a) => a.iter().for_each(|x| references(x, out)),
        Dictionary(d) => d.iter().for_each(|(_, x)| references(x, out)),
        Stream(s) => s.dict.iter().for_each(|(_, x)| references(x, out)),
        _ => {}
    }
}

/// Serialises one object, streams deflated, references renumbered.
fn write_object(out: &mut Vec<u8>, o: &lopdf::Object, number: &dyn Fn(lopdf::ObjectId) -> u32) {
    use lopdf::Object::*;
    use std::io::Write;
    match o {
        Null => out.extend_from_slice(b"null"),
        Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Real(r) => out.extend_from_slice(format!("{r}").as_bytes()),
        Name(n) => {
            out.push(b'/');
            for b in n {
                if b.is_ascii_alphanumeric() || b"-_.+".contains(b) {
                    out.push(*b);
                } else {
                    let _ = write!(out, "#{b:02X}");
                }
            }
        }
        String(s, _) => super::pdf_file::hex_string(out, s),
        Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, x, number);
            }
            out.push(b']');
        }
        Dictionary(d) => write_dict(out, d.iter(), number),
        Stream(s) => {
            // Deflated here unless printpdf already filtered it.
            let (content, filter) = match s.dict.get(b"Filter") {
                Ok(f) => (s.content.clone(), f.clone()),
                Err(_) => (super::pdf_file::deflate(&s.content), Name(b"FlateDecode".to_vec())),
            };
            let length = Integer(content.len() as i64);
            let (lk, fk) = (b"Length".to_vec(), b"Filter".to_vec());
            let kept = s.dict.iter().filter(|(k, _)| !matches!(k.as_slice(), b"Length" | b"Filter"));
            write_dict(out, kept.chain([(&fk, &filter), (&lk, &length)]), number);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&content);
            out.extend_from_slice(b"\nendstream");
        }
        Reference(id) => {
            let _ = write!(out, "{} 0 R", number(*id));
        }
    }
}

fn write_dict<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a Vec<u8>, &'a lopdf::Object)>, number: &dyn Fn(lopdf::ObjectId) -> u32) {
    out.extend_from_slice(b"<<");
    for (k, v) in entries {
        write_object(out, &lopdf::Object::Name(k.clone()), number);
        out.push(b' ');
        write_object(out, v, number);
    }
    out.extend_from_slice(b">>");
}
