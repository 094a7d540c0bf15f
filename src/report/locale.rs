//! Numbers, percentages and dates the way Indonesian officials write them
//! (`1.234.567`, `70,5%`, `Sabtu, 15 Januari 2022`), or in English on request.

use crate::config::Lang;
use chrono::{Datelike, NaiveDate};

/// `1234567` → `1.234.567` (id) or `1,234,567` (en).
pub fn int(n: i64, lang: Lang) -> String {
    let sep = if lang == Lang::Id { '.' } else { ',' };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Rounds half away from zero, as Excel does (so figures match the districts' sheets).
/// The tiny epsilon absorbs binary representation (0.705 × 1000 is 704.999…).
pub fn round_half_away(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let y = x * f;
    (y.abs() + 0.5 + 1e-9).floor() * y.signum() / f
}

/// A fraction as a percentage with one decimal: 0.705 → `70,5%`.
pub fn pct(x: f64, lang: Lang) -> String {
    let v = round_half_away(x * 100.0, 1);
    let point = if lang == Lang::Id { ',' } else { '.' };
    // Written from the tenths as an integer: a national week's reports format hundreds
    // of thousands of percentages, and `format!` with a float was 1% of a run.
    let tenths = (v * 10.0).round();
    if !tenths.is_finite() || tenths.abs() >= 1e15 {
        let s = format!("{v:.1}");
        return format!("{}%", s.replace('.', &point.to_string()));
    }
    let tenths = tenths.abs() as u64;
    let mut out = String::with_capacity(8);
    // A rounded negative zero is shown as `-0,0%`, as the float formatting did.
    if v.is_sign_negative() {
        out.push('-');
    }
    out.push_str(itoa::Buffer::new().format(tenths / 10));
    out.push(point);
    out.push(char::from(b'0' + (tenths % 10) as u8));
    out.push('%');
    out
}

/// A threshold or level as people say it: `70%`, but `72,5%` when it has a decimal.
pub fn pct_short(x: f64, lang: Lang) -> String {
    let s = pct(x, lang);
    s.replace(",0%", "%").replace(".0%", "%")
}

/// Percentage points with a sign: `+1,2 pp`.
pub fn pp(x: f64, lang: Lang) -> String {
    let v = round_half_away(x * 100.0, 1);
    let s = format!("{:+.1}", v);
    let s = if lang == Lang::Id { s.replace('.', ",") } else { s };
    format!("{s} pp")
}

const HARI: [&str; 7] = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"];
const BULAN: [&str; 12] = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];

/// `15 Januari 2022` / `15 January 2022`.
pub fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{} {} {}", d.day(), BULAN[d.month0() as usize], d.year()),
        Lang::En => d.format("%-d %B %Y").to_string(),
    }
}

const BULAN_PENDEK: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];

/// `15 Jan` / `15 Jan`: a chart's axis label.
pub fn short_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{} {}", d.day(), BULAN_PENDEK[d.month0() as usize]),
        Lang::En => d.format("%-d %b").to_string(),
    }
}

/// A trend chart's labels of `periods`: `15 Jan` each, or `15/01` beyond eight (written
/// out rather than through chrono's format, which parsed its pattern again for each of a
/// year's 52 labels on each of 514 district pages).
pub fn period_labels(periods: &[NaiveDate], lang: Lang) -> Vec<String> {
    periods.iter().map(|p| if periods.len() > 8 { format!("{:02}/{:02}", p.day(), p.month()) } else { short_date(*p, lang) }).collect()
}

/// `Sabtu, 15 Januari 2022` / `Saturday, 15 January 2022`.
pub fn day_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{}, {}", HARI[d.weekday().num_days_from_monday() as usize], date(d, lang)),
        Lang::En => d.format("%A, %-d %B %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn trend_labels_are_short_dates_or_day_and_month() {
        let weeks: Vec<NaiveDate> = (0..9).map(|w| NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Duration::weeks(w)).collect();
        assert_eq!(period_labels(&weeks[..2], Lang::Id), ["1 Jan", "8 Jan"]);
        assert_eq!(period_labels(&weeks[..2], Lang::En), ["1 Jan", "8 Jan"]);
        let nine = period_labels(&weeks, Lang::Id);
        assert_eq!(nine.len(), 9);
        assert_eq!((nine[0].as_str(), nine[8].as_str()), ("01/01", "26/02"));
        assert!(weeks.iter().zip(&nine).all(|(w, l)| *l == w.format("%d/%m").to_string()));
    }

    #[test]
    fn indonesian_numbers() {
        assert_eq!(int(1234567, Lang::Id), "1.234.567");
        assert_eq!(int(999, Lang::Id), "999");
        assert_eq!(int(-6012, Lang::En), "-6,012");
        assert_eq!(pct(0.705, Lang::Id), "70,5%");
        assert_eq!(pct(0.70549, Lang::Id), "70,5%");
        assert_eq!(pct(0.70550, Lang::Id), "70,6%");
        assert_eq!(pct(0.00125, Lang::En), "0.1%");
        assert_eq!(round_half_away(2.5, 0), 3.0);
        assert_eq!(round_half_away(-2.5, 0), -3.0);
        assert_eq!(pp(-0.012, Lang::Id), "-1,2 pp");
        assert_eq!(pct_short(0.7, Lang::Id), "70%");
        assert_eq!(pct_short(0.705, Lang::Id), "70,5%");
        assert_eq!(pct_short(0.2, Lang::En), "20%");
    }
    /// The same text as formatting the rounded float, for every tenth of a percent and
    /// values around them.
    #[test]
    fn percentages_are_written_as_the_rounded_float_would_be() {
        let by_float = |x: f64, lang: Lang| {
            let v = round_half_away(x * 100.0, 1);
            let s = format!("{v:.1}");
            format!("{}%", if lang == Lang::Id { s.replace('.', ",") } else { s })
        };
        let mut xs = vec![0.0, -0.0, -0.0004, 1e12, -3.2e13, 1e17, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.70549, 0.7055];
        for i in -3000..30000 {
            let x = i as f64 / 1000.0;
            xs.extend([x, x + 0.0000499, x - 0.0000499, x + 0.00005, x * 1.37]);
        }
        for x in xs {
            for lang in [Lang::Id, Lang::En] {
                assert_eq!(pct(x, lang), by_float(x, lang), "{x}");
            }
        }
    }

    #[test]
    fn indonesian_dates() {
        let d = NaiveDate::from_ymd_opt(2022, 1, 15).unwrap();
        assert_eq!(day_date(d, Lang::Id), "Sabtu, 15 Januari 2022");
        assert_eq!(day_date(d, Lang::En), "Saturday, 15 January 2022");
        assert_eq!(short_date(NaiveDate::from_ymd_opt(2022, 8, 6).unwrap(), Lang::Id), "6 Agu");
    }
}
