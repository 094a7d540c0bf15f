//! Charts drawn with PDF vector operations in the report's own font.

use super::pdf::{Align, Doc, Rgb3, BLACK, GREY, LIGHT, MARGIN, PAGE_W};

pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: Rgb3,
}

/// Horizontal bars of coverage (0..1+) with a dashed threshold line, one bar per row.
pub fn coverage_bars(doc: &mut Doc, bars: &[Bar], threshold: f64, threshold_label: &str, value_label: &dyn Fn(f64) -> String) {
    let label_w = 150.0;
    let row_h = 14.0;
    let x0 = MARGIN + label_w;
    let plot_w = PAGE_W - MARGIN - x0 - 40.0;
    let max = bars.iter().map(|b| b.value).fold(1.0f64, f64::max).min(2.0);
    let scale = |v: f64| x0 + (v.clamp(0.0, max) / max) as f32 * plot_w;
    let height = bars.len() as f32 * row_h + 30.0;
    doc.ensure(height);
    let top = doc.y;
    // Grid every 10%.
    let mut tick = 0.0;
    while tick <= max + 1e-9 {
        let x = scale(tick);
        doc.line(&[(x, top), (x, top + bars.len() as f32 * row_h)], LIGHT, 0.5, false);
        doc.text_aligned(x - 15.0, 30.0, top + bars.len() as f32 * row_h + 10.0, 6.5, false, GREY, Align::Center, &format!("{}%", (tick * 100.0).round()));
        tick += if max > 1.2 { 0.2 } else { 0.1 };
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + i as f32 * row_h;
        doc.text_aligned(MARGIN, label_w - 6.0, y + row_h * 0.7, 7.5, false, BLACK, Align::Right, &b.label);
        let w = scale(b.value) - x0;
        doc.rect(x0, y + 2.0, w.max(0.5), row_h - 4.0, b.color);
        doc.text_at(x0 + w + 3.0, y + row_h * 0.7, 7.0, false, BLACK, &value_label(b.value));
    }
    let tx = scale(threshold);
    let bottom = top + bars.len() as f32 * row_h;
    doc.line(&[(tx, top - 4.0), (tx, bottom + 2.0)], Rgb3(0.8, 0.1, 0.1), 1.2, true);
    doc.text_at(tx + 3.0, top - 5.0, 7.0, true, Rgb3(0.8, 0.1, 0.1), threshold_label);
    doc.y = bottom + 22.0;
}
