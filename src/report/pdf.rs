//! PDF layout: A4 pages, text in the embedded font with measured widths, filled boxes,
//! lines, tables that continue on the next page with their header, page footers and
//! bookmarks. `pdf_file` encodes what is drawn and writes the file.

use super::fonts::face;
use super::pdf_file::Content;

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 42.0;
const BOTTOM: f32 = 54.0;

/// The advance width of a character in font units.
fn advance(c: char, bold: bool) -> u32 {
    face(bold).advance(c)
}

/// The width of a text in font units (whole numbers, so widths add up exactly).
fn units(s: &str, bold: bool) -> u32 {
    s.chars().map(|c| advance(c, bold)).sum()
}

/// Font units to points, as [`text_width`] computes them.
fn points(units: u32, size: f32, bold: bool) -> f32 {
    units as f32 / face(bold).units_per_em() * size
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb3(pub f32, pub f32, pub f32);

impl Rgb3 {
    fn rgb(self) -> (f32, f32, f32) {
        (self.0, self.1, self.2)
    }
}

pub const BLACK: Rgb3 = Rgb3(0.0, 0.0, 0.0);
pub const GREY: Rgb3 = Rgb3(0.45, 0.45, 0.45);
pub const LIGHT: Rgb3 = Rgb3(0.92, 0.93, 0.95);
pub const HEADER_FILL: Rgb3 = Rgb3(0.16, 0.29, 0.48);
pub const WHITE: Rgb3 = Rgb3(1.0, 1.0, 1.0);
pub const GREEN: Rgb3 = Rgb3(0.73, 0.89, 0.73);
pub const YELLOW: Rgb3 = Rgb3(1.0, 0.91, 0.6);
pub const RED: Rgb3 = Rgb3(0.96, 0.7, 0.7);
pub const BAR: Rgb3 = Rgb3(0.27, 0.51, 0.71);
pub const BAR_LOW: Rgb3 = Rgb3(0.84, 0.3, 0.3);

/// Width of a text in points (no kerning; DejaVu digits are tabular).
pub fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    points(units(s, bold), size, bold)
}

/// Breaks a text into lines no wider than `width`.
pub fn wrap(s: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    // Widths are added word by word (exact in font units) rather than re-measuring the line.
    let fits = |u: u32| points(u, size, bold) <= width;
    let space = advance(' ', bold);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_units = 0;
    for word in s.split_whitespace() {
        let word_units = units(word, bold);
        if cur.is_empty() {
            cur = word.to_string();
            cur_units = word_units;
        } else if fits(cur_units + space + word_units) {
            cur.push(' ');
            cur.push_str(word);
            cur_units += space + word_units;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
            cur_units = word_units;
        }
        // A single word wider than the line (a long path) is cut, wherever it falls.
        while !fits(cur_units) && cur.chars().count() > 1 {
            let (mut head_units, mut head_len) = (0, 0);
            for ch in cur.chars() {
                if !fits(head_units + advance(ch, bold)) {
                    break;
                }
                head_units += advance(ch, bold);
                head_len += ch.len_utf8();
            }
            if head_len == 0 {
                break;
            }
            let rest = cur[head_len..].to_string();
            cur.truncate(head_len);
            lines.push(std::mem::take(&mut cur));
            cur = rest;
            cur_units = units(&cur, bold);
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Where text `w` wide starts in a box at `x`, `width` wide.
fn aligned_x(x: f32, width: f32, w: f32, align: Align) -> f32 {
    match align {
        Align::Left => x,
        Align::Right => x + width - w,
        Align::Center => x + (width - w) / 2.0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Right,
    Center,
}

pub struct TableColumn {
    pub title: String,
    pub width: f32,
    pub align: Align,
}

#[derive(Debug, Clone, Default)]
pub struct TableCell {
    pub text: String,
    pub fill: Option<Rgb3>,
    pub bold: bool,
}

impl TableCell {
    pub fn plain(text: impl Into<String>) -> Self {
        TableCell { text: text.into(), ..Default::default() }
    }
    pub fn filled(text: impl Into<String>, fill: Rgb3) -> Self {
        TableCell { text: text.into(), fill: Some(fill), bold: false }
    }
}

/// A document being laid out top to bottom. `y` is the distance from the page top.
pub struct Doc {
    pages: Vec<Content>,
    /// The page being drawn.
    page: Content,
    pub y: f32,
    bookmarks: Vec<(String, usize)>,
    running_title: String,
}

/// Where a table cell's text is drawn once it is known: a page number in a table of
/// contents, known only when the pages after it are laid out ([`Doc::table_with_slots`],
/// [`Doc::fill`]). Laying the rakor pack out twice to learn them cost a national week's
/// run 40–50 ms, a weekly run over a year (a chart of 52 weeks per district) up to 110.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// The page, counted from 0.
    page: usize,
    x: f32,
    width: f32,
    y_top: f32,
    size: f32,
    bold: bool,
    align: Align,
}

impl Doc {
    pub fn new(running_title: &str) -> Doc {
        Doc { pages: Vec::new(), page: Content::default(), y: MARGIN, bookmarks: Vec::new(), running_title: running_title.to_string() }
    }

    pub fn page_number(&self) -> usize {
        self.pages.len() + 1
    }

    pub fn bookmark(&mut self, name: &str) {
        let page = self.page_number();
        self.bookmarks.push((name.to_string(), page));
    }

    pub fn new_page(&mut self) {
        let page = std::mem::take(&mut self.page);
        self.pages.push(page);
        self.y = MARGIN;
    }

    /// Starts the next thing on a fresh page (no blank page when this one is still empty).
    pub fn start_page(&mut self) {
        if !self.page.is_empty() {
            self.new_page();
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > PAGE_H - BOTTOM {
            self.new_page();
        }
    }

    pub fn text_at(&mut self, x: f32, y_top: f32, size: f32, bold: bool, color: Rgb3, s: &str) {
        self.page.text(x, PAGE_H - y_top, size, bold, color.rgb(), s);
    }

    // A text operator's operands (place, size, weight, colour) and its alignment in a box.
    #[allow(clippy::too_many_arguments)]
    pub fn text_aligned(&mut self, x: f32, width: f32, y_top: f32, size: f32, bold: bool, color: Rgb3, align: Align, s: &str) {
        self.text_at(aligned_x(x, width, text_width(s, size, bold), align), y_top, size, bold, color, s);
    }

    /// Draws `s` in a slot [`Doc::table_with_slots`] left, on whichever page it is.
    pub fn fill(&mut self, slot: &Slot, s: &str) {
        let x = aligned_x(slot.x, slot.width, text_width(s, slot.size, slot.bold), slot.align);
        let page = self.pages.get_mut(slot.page).unwrap_or(&mut self.page);
        page.text(x, PAGE_H - slot.y_top, slot.size, slot.bold, BLACK.rgb(), s);
    }

    pub fn rect(&mut self, x: f32, y_top: f32, w: f32, h: f32, fill: Rgb3) {
        self.page.rect(x, PAGE_H - y_top - h, w, h, fill.rgb());
    }

    /// A polyline through points given as (x, y from top).
    pub fn line(&mut self, points: &[(f32, f32)], color: Rgb3, thickness: f32, dashed: bool) {
        let points: Vec<(f32, f32)> = points.iter().map(|(x, y)| (*x, PAGE_H - *y)).collect();
        self.page.polyline(&points, color.rgb(), thickness, dashed);
    }

    /// A section heading, kept on the same page as the start of what follows it.
    pub fn heading(&mut self, s: &str) {
        self.ensure(110.0);
        self.y += 14.0;
        self.text_at(MARGIN, self.y, 13.0, true, HEADER_FILL, s);
        self.y += 8.0;
        let y = self.y;
        self.line(&[(MARGIN, y), (PAGE_W - MARGIN, y)], HEADER_FILL, 0.8, false);
        self.y += 10.0;
    }

    pub fn paragraph(&mut self, s: &str, size: f32, bold: bool, color: Rgb3) {
        for line in wrap(s, size, bold, PAGE_W - 2.0 * MARGIN) {
            self.ensure(size * 1.4);
            self.y += size * 1.1;
            self.text_at(MARGIN, self.y, size, bold, color, &line);
            self.y += size * 0.35;
        }
    }

    /// A bulleted line; wrapped lines hang under the text, not under the bullet.
    pub fn bullet(&mut self, s: &str, size: f32, color: Rgb3) {
        let indent = text_width("• ", size, false);
        for (i, line) in wrap(s, size, false, PAGE_W - 2.0 * MARGIN - indent).iter().enumerate() {
            self.ensure(size * 1.4);
            self.y += size * 1.1;
            if i == 0 {
                self.text_at(MARGIN, self.y, size, false, color, "•");
            }
            self.text_at(MARGIN + indent, self.y, size, false, color, line);
            self.y += size * 0.35;
        }
    }

    /// A small grey explanatory line under a heading (how a figure is computed).
    pub fn note(&mut self, s: &str) {
        self.paragraph(s, 8.5, false, GREY);
    }

    /// A table; rows that do not fit continue on the next page under a repeated header.
    pub fn table(&mut self, columns: &[TableColumn], rows: &[Vec<TableCell>], size: f32) {
        self.table_with_slots(columns, rows, size, None);
    }

    /// [`Doc::table`], but the cells of column `slots` are laid out (their text sizes
    /// the row) and not drawn: one slot per row is returned, in row order, for
    /// [`Doc::fill`] to draw a text of one line there later.
    pub fn table_with_slots(&mut self, columns: &[TableColumn], rows: &[Vec<TableCell>], size: f32, slots: Option<usize>) -> Vec<Slot> {
        let mut left = Vec::new();
        let pad = 3.0;
        let header_h = columns.iter().map(|c| wrap(&c.title, size, true, c.width - 2.0 * pad).len()).max().unwrap_or(1) as f32 * size * 1.25 + 2.0 * pad;
        self.ensure(header_h + size * 2.0 + 2.0 * pad);
        self.table_header(columns, size, header_h, pad);
        for (i, row) in rows.iter().enumerate() {
            let wrapped: Vec<Vec<String>> = columns
                .iter()
                .zip(row.iter())
                .map(|(c, cell)| wrap(&cell.text, size, cell.bold, c.width - 2.0 * pad))
                .collect();
            let lines = wrapped.iter().map(|w| w.len()).max().unwrap_or(1) as f32;
            let h = lines * size * 1.25 + 2.0 * pad;
            if self.y + h > PAGE_H - BOTTOM {
                self.new_page();
                self.table_header(columns, size, header_h, pad);
            }
            let mut x = MARGIN;
            if i % 2 == 1 {
                let total: f32 = columns.iter().map(|c| c.width).sum();
                self.rect(MARGIN, self.y, total, h, LIGHT);
            }
            for (column, ((c, cell), lines)) in columns.iter().zip(row.iter()).zip(wrapped.iter()).enumerate() {
                if let Some(fill) = cell.fill {
                    self.rect(x, self.y, c.width, h, fill);
                }
                let top = self.y;
                let line_y = |k: usize| top + pad + size * (k as f32 + 1.0) * 1.25 - size * 0.25;
                if slots == Some(column) {
                    // One slot per row, at its first line, whatever the text laid out.
                    left.push(Slot { page: self.pages.len(), x: x + pad, width: c.width - 2.0 * pad, y_top: line_y(0), size, bold: cell.bold, align: c.align });
                } else {
                    for (k, l) in lines.iter().enumerate() {
                        self.text_aligned(x + pad, c.width - 2.0 * pad, line_y(k), size, cell.bold, BLACK, c.align, l);
                    }
                }
                x += c.width;
            }
            self.y += h;
        }
        self.y += 6.0;
        left
    }

    fn table_header(&mut self, columns: &[TableColumn], size: f32, h: f32, pad: f32) {
        let total: f32 = columns.iter().map(|c| c.width).sum();
        self.rect(MARGIN, self.y, total, h, HEADER_FILL);
        let mut x = MARGIN;
        for c in columns {
            for (k, l) in wrap(&c.title, size, true, c.width - 2.0 * pad).iter().enumerate() {
                let y = self.y + pad + size * (k as f32 + 1.0) * 1.25 - size * 0.25;
                self.text_aligned(x + pad, c.width - 2.0 * pad, y, size, true, WHITE, c.align, l);
            }
            x += c.width;
        }
        self.y += h;
    }

    /// Lays out footers ("Halaman x dari N") and writes the PDF bytes. The `/ID` comes
    /// from `id_seed` (a hash of the inputs), so the same inputs give the same bytes.
    pub fn finish(mut self, title: &str, page_label: &dyn Fn(usize, usize) -> String, id_seed: &[u8]) -> super::Pdf {
        if !self.page.is_empty() || self.pages.is_empty() {
            self.new_page();
        }
        let n = self.pages.len();
        let running = self.running_title.clone();
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            self.page = std::mem::take(page);
            let label = page_label(i + 1, n);
            let y = PAGE_H - 28.0;
            self.line(&[(MARGIN, y - 10.0), (PAGE_W - MARGIN, y - 10.0)], GREY, 0.4, false);
            self.text_at(MARGIN, y, 7.5, false, GREY, &running);
            self.text_aligned(MARGIN, PAGE_W - 2.0 * MARGIN, y, 7.5, false, GREY, Align::Right, &label);
            *page = std::mem::take(&mut self.page);
        }
        // Bookmarks hold page numbers from 1.
        let bookmarks: Vec<(String, usize)> = self.bookmarks.iter().map(|(name, page)| (name.clone(), page.saturating_sub(1))).collect();
        super::Pdf { bytes: super::pdf_file::write(&pages, &bookmarks, title, &format!("sitrep {}", env!("CARGO_PKG_VERSION")), id_seed), pages: n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each page's texts: where each is placed (the `Td` operands) and its glyphs, sorted
    /// (text filled into a slot comes last in its page's content).
    fn texts_by_page(doc: &Doc) -> Vec<Vec<Vec<u8>>> {
        doc.pages.iter().chain([&doc.page]).map(|page| {
            let mut texts: Vec<Vec<u8>> = page.bytes().split(|b| *b == b'\n').collect::<Vec<_>>().windows(2).filter(|w| w[0].ends_with(b"Td")).map(|w| [w[0], w[1]].concat()).collect();
            texts.sort();
            texts
        }).collect()
    }

    /// The rakor pack's table of contents relies on it: text filled into a table's slots
    /// later lands on the page, at the place, where the table would have drawn it, also
    /// on the pages the table continued onto.
    #[test]
    fn a_slot_filled_later_holds_what_the_table_would_have_drawn() {
        let columns = vec![TableColumn { title: "Kabupaten".into(), width: 200.0, align: Align::Left }, TableColumn { title: "Halaman".into(), width: 80.0, align: Align::Right }];
        let rows: Vec<Vec<TableCell>> = (0..150).map(|i| vec![TableCell::plain(format!("Kabupaten nomor {i} dengan nama panjang sekali sampai dibungkus")), TableCell::plain((i * 7 % 200).to_string())]).collect();
        let start = |doc: &mut Doc| {
            doc.heading("Daftar isi");
            doc.paragraph(&"kata yang cukup panjang untuk dibungkus ".repeat(20), 9.5, false, BLACK);
        };
        let mut drawn = Doc::new("t");
        start(&mut drawn);
        drawn.table(&columns, &rows, 8.0);
        let mut filled = Doc::new("t");
        start(&mut filled);
        let slots = filled.table_with_slots(&columns, &rows, 8.0, Some(1));
        assert_eq!(slots.len(), rows.len());
        assert_eq!((filled.page_number(), filled.y), (drawn.page_number(), drawn.y));
        assert!(drawn.page_number() > 3, "the table spans pages: {}", drawn.page_number());
        assert_ne!(texts_by_page(&filled), texts_by_page(&drawn), "the slots are not drawn until filled");
        for (slot, row) in slots.iter().zip(&rows) {
            filled.fill(slot, &row[1].text);
        }
        assert_eq!(texts_by_page(&filled), texts_by_page(&drawn));
    }

    #[test]
    fn every_wrapped_line_fits_even_a_long_path_after_other_words() {
        let s = "check the counts in /work/fixtures/jambi/submissions/2022-01-15/bungo_rekap_2022_01_15.ods please";
        let lines = wrap(s, 7.0, false, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(text_width(l, 7.0, false) <= 120.0, "'{l}' is wider than the column");
        }
        assert_eq!(lines.concat().replace(' ', ""), s.replace(' ', ""));
    }
}
