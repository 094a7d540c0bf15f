//! Charts drawn with PDF vector operations in the report's own font.

use super::pdf::{Align, Doc, Rgb3, BLACK, GREY, LIGHT, MARGIN, PAGE_W};

pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: Rgb3,
}

/// Horizontal bars of coverage (0..1+) with a dashed threshold line, one bar per row.
pub fn coverage_bars(doc: &mut Doc, bars: &[Bar], threshold: f64, threshold_label: &str, value_label: &dyn Fn(f64) -> String) {
    let groups: Vec<BarGroup> = bars.iter().map(|b| BarGroup { label: b.label.clone(), bars: vec![Some((b.value, b.color))] }).collect();
    grouped_bars(doc, &groups, &[], threshold, threshold_label, value_label);
}

/// A row label with one or more bars (e.g. a target group with a bar per dose); `None`
/// leaves the slot empty.
pub struct BarGroup {
    pub label: String,
    pub bars: Vec<Option<(f64, Rgb3)>>,
}

/// Horizontal bars of coverage, grouped under row labels, with a dashed threshold line
/// and, when given, a legend naming the bars of a group.
pub fn grouped_bars(doc: &mut Doc, groups: &[BarGroup], legend: &[(String, Rgb3)], threshold: f64, threshold_label: &str, value_label: &dyn Fn(f64) -> String) {
    let label_w = 150.0;
    let per_group = groups.iter().map(|g| g.bars.len()).max().unwrap_or(1).max(1);
    let bar_h = if per_group == 1 { 14.0 } else { 9.0 };
    let group_h = bar_h * per_group as f32 + if per_group == 1 { 0.0 } else { 5.0 };
    let x0 = MARGIN + label_w;
    let plot_w = PAGE_W - MARGIN - x0 - 40.0;
    let max = groups.iter().flat_map(|g| g.bars.iter().flatten().map(|(v, _)| *v)).fold(1.0f64, f64::max).min(2.0);
    let scale = |v: f64| x0 + (v.clamp(0.0, max) / max) as f32 * plot_w;
    let legend_h = if legend.is_empty() { 0.0 } else { 14.0 };
    let plot_h = groups.len() as f32 * group_h;
    // Room above the plot for the threshold's label, clear of the top bar and of the
    // heading's rule.
    let label_band = 9.0;
    doc.ensure(label_band + plot_h + legend_h + 30.0);
    if !legend.is_empty() {
        // From the left margin, clear of the threshold label drawn above the plot.
        let mut x = MARGIN;
        for (name, colour) in legend {
            doc.rect(x, doc.y, 9.0, 7.0, *colour);
            doc.text_at(x + 12.0, doc.y + 6.5, 7.0, false, BLACK, name);
            x += 12.0 + super::pdf::text_width(name, 7.0, false) + 14.0;
        }
        doc.y += legend_h;
    }
    let top = doc.y + label_band;
    // Grid every 10% (20% when some coverage is far above 100%).
    let mut tick = 0.0;
    while tick <= max + 1e-9 {
        let x = scale(tick);
        doc.line(&[(x, top), (x, top + plot_h)], LIGHT, 0.5, false);
        doc.text_aligned(x - 15.0, 30.0, top + plot_h + 10.0, 6.5, false, GREY, Align::Center, &format!("{}%", (tick * 100.0).round()));
        tick += if max > 1.2 { 0.2 } else { 0.1 };
    }
    for (i, g) in groups.iter().enumerate() {
        let y = top + i as f32 * group_h;
        doc.text_aligned(MARGIN, label_w - 6.0, y + (bar_h * g.bars.len() as f32) / 2.0 + 2.5, 7.5, false, BLACK, Align::Right, &g.label);
        for (k, bar) in g.bars.iter().enumerate() {
            let Some((value, colour)) = bar else { continue };
            let by = y + k as f32 * bar_h;
            let w = scale(*value) - x0;
            doc.rect(x0, by + 1.5, w.max(0.5), bar_h - 3.0, *colour);
            doc.text_at(x0 + w + 3.0, by + bar_h * 0.72, if per_group == 1 { 7.0 } else { 6.0 }, false, BLACK, &value_label(*value));
        }
    }
    let tx = scale(threshold);
    let bottom = top + plot_h;
    doc.line(&[(tx, top - 4.0), (tx, bottom + 2.0)], Rgb3(0.8, 0.1, 0.1), 1.2, true);
    doc.text_at(tx + 3.0, top - 5.0, 7.0, true, Rgb3(0.8, 0.1, 0.1), threshold_label);
    doc.y = bottom + 22.0;
}

/// One line of a trend chart: a value (coverage) per period, `None` where unknown.
pub struct Series {
    pub label: String,
    pub color: Rgb3,
    pub values: Vec<Option<f64>>,
}

pub const LINE_COLORS: [Rgb3; 4] = [Rgb3(0.16, 0.29, 0.48), Rgb3(0.27, 0.62, 0.36), Rgb3(0.85, 0.55, 0.1), Rgb3(0.55, 0.35, 0.65)];

/// Which of `n` period labels, `label_w` wide on slots `slot` apart, are shown: all when
/// they fit, else every k-th counted back from the last (the report's own period), so that
/// a year's 52 labels do not run into one another.
fn labelled(n: usize, slot: f32, label_w: f32) -> Vec<usize> {
    let every = ((label_w / slot).ceil() as usize).max(1);
    (0..n).filter(|i| (n - 1 - i).is_multiple_of(every)).collect()
}

/// Coverage per period as lines with markers, a dashed threshold line, the periods on the
/// x axis and a legend on the right; `height` is the plot's height in points.
pub fn trend_lines(doc: &mut Doc, periods: &[String], series: &[Series], threshold: f64, threshold_label: &str, value_label: &dyn Fn(f64) -> String, height: f32) {
    let legend_w = 120.0;
    let x0 = MARGIN + 34.0;
    let x1 = PAGE_W - MARGIN - legend_w;
    let max_value = series.iter().flat_map(|s| s.values.iter().flatten()).fold(threshold, |a, b| a.max(*b));
    // The y axis runs to 100%, or to the next 20% above the highest value (data errors
    // can exceed 100%), capped so a wild value cannot flatten the chart.
    let y_max = if max_value <= 1.0 { 1.0 } else { ((max_value * 5.0).ceil() / 5.0).min(3.0) } as f32;
    doc.ensure(height + 40.0);
    let top = doc.y + 8.0;
    let bottom = top + height;
    let y_of = |v: f64| bottom - (v as f32).clamp(0.0, y_max) / y_max * height;
    let n = periods.len().max(1);
    // Points sit in the middle of equal slots, so a single period is centred.
    let slot = (x1 - x0) / n as f32;
    let x_of = |i: usize| x0 + slot * (i as f32 + 0.5);
    let mut tick = 0.0f32;
    while tick <= y_max + 1e-6 {
        let y = y_of(tick as f64);
        doc.line(&[(x0, y), (x1, y)], LIGHT, 0.5, false);
        doc.text_aligned(MARGIN, 30.0, y + 2.5, 6.5, false, GREY, Align::Right, &format!("{}%", (tick * 100.0).round()));
        tick += 0.2;
    }
    doc.line(&[(x0, top), (x0, bottom), (x1, bottom)], GREY, 0.6, false);
    let label_w = periods.iter().map(|p| super::pdf::text_width(p, 6.5, false)).fold(0.0f32, f32::max) + 4.0;
    for i in labelled(periods.len(), slot, label_w) {
        doc.text_aligned(x_of(i) - label_w.max(slot) / 2.0, label_w.max(slot), bottom + 10.0, 6.5, false, GREY, Align::Center, &periods[i]);
    }
    let ty = y_of(threshold);
    let red = Rgb3(0.8, 0.1, 0.1);
    doc.line(&[(x0, ty), (x1, ty)], red, 1.0, true);
    for s in series {
        // Lines join neighbouring known values; a gap in the data is a gap in the line.
        let mut run: Vec<(f32, f32)> = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => run.push((x_of(i), y_of(*v))),
                None => {
                    if run.len() > 1 {
                        doc.line(&run, s.color, 1.6, false);
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            doc.line(&run, s.color, 1.6, false);
        }
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                doc.rect(x_of(i) - 2.2, y_of(*v) - 2.2, 4.4, 4.4, s.color);
            }
        }
        // The latest value is written beside its point.
        if let Some((i, Some(v))) = s.values.iter().enumerate().rev().find(|(_, v)| v.is_some()) {
            doc.text_at(x_of(i) + 5.0, y_of(*v) + 2.5, 6.5, true, s.color, &value_label(*v));
        }
    }
    // Legend.
    let lx = x1 + 12.0;
    let mut ly = top + 4.0;
    for s in series {
        doc.line(&[(lx, ly), (lx + 14.0, ly)], s.color, 1.6, false);
        doc.text_at(lx + 18.0, ly + 2.5, 7.0, false, BLACK, &s.label);
        ly += 12.0;
    }
    doc.line(&[(lx, ly), (lx + 14.0, ly)], red, 1.0, true);
    doc.text_at(lx + 18.0, ly + 2.5, 7.0, true, red, threshold_label);
    doc.y = bottom + 20.0;
}

#[cfg(test)]
mod tests {
    use super::labelled;

    #[test]
    fn a_years_period_labels_are_thinned_and_the_last_is_shown() {
        // Three weeks fit: every label.
        assert_eq!(labelled(3, 100.0, 30.0), vec![0, 1, 2]);
        // 52 weeks on a 380-point axis with 25-point labels: none overlap, the last is there.
        let slot = 380.0 / 52.0;
        let shown = labelled(52, slot, 25.0);
        assert_eq!(shown.last(), Some(&51));
        assert!(shown.windows(2).all(|w| (w[1] - w[0]) as f32 * slot >= 25.0));
        assert!(shown.len() >= 10);
    }
}
