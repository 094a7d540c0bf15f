//! Reading single cells: counts written in either number convention, dates in the forms
//! districts type them. Pure functions, fuzzed and unit-tested.

use crate::ingest::Cell;
use chrono::NaiveDate;

/// A cell read as a number of people.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// Nothing written: no observation.
    Blank,
    Value(f64),
    /// Could not be read; the message says what was there.
    Invalid(String),
}

pub fn read_number(cell: &Cell) -> Number {
    match cell {
        Cell::Empty => Number::Blank,
        Cell::Number(n) if n.is_finite() => Number::Value(*n),
        Cell::Number(n) => Number::Invalid(format!("{n}")),
        Cell::Text(t) => match parse_number_text(t) {
            Some(Some(v)) => Number::Value(v),
            Some(None) => Number::Blank,
            None => Number::Invalid(format!("'{}'", t.trim())),
        },
        Cell::Error(e) => Number::Invalid(format!("Excel error {e}")),
        Cell::Uncomputed => Number::Invalid("a formula saved without its result (open the file in Excel or LibreOffice and save it again)".into()),
        Cell::Date(d) => Number::Invalid(format!("a date ({d})")),
        Cell::Bool(b) => Number::Invalid(format!("{b}")),
    }
}

/// Parses `1.234`, `1,234`, `1 234`, `1.234,5`, `1,234.5`, `-`, `14%`.
/// `Some(None)` is a blank or a dash, `None` is not a number.
/// One separator followed by exactly three digits is a thousands separator (counts of
/// people are whole numbers); both separators: the last one is the decimal mark.
pub fn parse_number_text(raw: &str) -> Option<Option<f64>> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\'').collect();
    if s.is_empty() || s.chars().all(|c| c == '-' || c == '–' || c == '—') {
        return Some(None);
    }
    let (s, percent) = match s.strip_suffix('%') {
        Some(rest) => (rest.to_string(), true),
        None => (s, false),
    };
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') || !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let normalised = if dots > 0 && commas > 0 {
        let last_dot = body.rfind('.')?;
        let last_comma = body.rfind(',')?;
        if last_comma > last_dot {
            grouped(body, '.', ',')?
        } else {
            grouped(body, ',', '.')?
        }
    } else if dots + commas == 0 {
        body.to_string()
    } else {
        let sep = if dots > 0 { '.' } else { ',' };
        let parts: Vec<&str> = body.split(sep).collect();
        let thousands = parts.len() > 2 || parts.last().map(|p| p.len() == 3).unwrap_or(false);
        if thousands {
            grouped(body, sep, '\0')?
        } else {
            body.replace(sep, ".")
        }
    };
    let mut v: f64 = normalised.parse().ok()?;
    if neg {
        v = -v;
    }
    if percent {
        v /= 100.0;
    }
    Some(Some(v))
}

/// Removes a thousands separator (checking the groups are of three digits) and makes the
/// decimal mark a dot.
fn grouped(body: &str, thousands: char, decimal: char) -> Option<String> {
    let (int, frac) = match body.rfind(decimal).filter(|_| decimal != '\0') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(thousands).collect();
    let first_ok = groups.first().map(|g| !g.is_empty() && g.len() <= 3).unwrap_or(false);
    if groups.len() > 1 && (!first_ok || groups[1..].iter().any(|g| g.len() != 3)) {
        return None;
    }
    let mut out: String = groups.concat();
    if let Some(f) = frac {
        if f.contains(thousands) || f.is_empty() {
            return None;
        }
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

const MONTHS: &[(&str, u32)] = &[
    ("januari", 1), ("january", 1), ("jan", 1), ("februari", 2), ("pebruari", 2), ("february", 2), ("feb", 2), ("peb", 2),
    ("maret", 3), ("march", 3), ("mar", 3), ("april", 4), ("apr", 4), ("mei", 5), ("may", 5), ("juni", 6), ("june", 6), ("jun", 6),
    ("juli", 7), ("july", 7), ("jul", 7), ("agustus", 8), ("august", 8), ("agu", 8), ("agt", 8), ("aug", 8),
    ("september", 9), ("sept", 9), ("sep", 9), ("oktober", 10), ("october", 10), ("okt", 10), ("oct", 10),
    ("november", 11), ("nopember", 11), ("nov", 11), ("desember", 12), ("december", 12), ("des", 12), ("dec", 12),
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    MONTHS.iter().find(|(m, _)| *m == w).map(|(_, n)| *n)
}

fn ymd(y: i64, m: u32, d: u32) -> Option<NaiveDate> {
    let y = if y < 100 { 2000 + y } else { y };
    if !(2000..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// Finds a date inside free text: `Data s.d. 15 Januari 2022`, `per 15/01/2022`,
/// `Update: 15-01-2022`, `Sabtu (15/01/2022)`, `2022-01-15`, `January 15, 2022`, and
/// file names like `rekap_2022-01-15` or `08-01-2022`.
pub fn find_date(text: &str) -> Option<NaiveDate> {
    // Split into tokens of digits and letters, remembering which separators sit between.
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            if let Some(last) = cur.chars().last() {
                if last.is_ascii_digit() != ch.is_ascii_digit() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            cur.push(ch);
        } else if !cur.is_empty() {
            tokens.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let num = |t: &String| -> Option<i64> { if t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit()) { t.parse().ok() } else { None } };
    for i in 0..tokens.len() {
        let a = &tokens[i];
        // 20220115 or 15012022 in file names
        if a.len() == 8 && a.chars().all(|c| c.is_ascii_digit()) {
            let n = |r: std::ops::Range<usize>| a[r].parse::<u32>().ok();
            if let (Some(y), Some(m), Some(d)) = (n(0..4), n(4..6), n(6..8)) {
                if let Some(date) = ymd(y as i64, m, d) {
                    return Some(date);
                }
            }
            if let (Some(d), Some(m), Some(y)) = (n(0..2), n(2..4), n(4..8)) {
                if let Some(date) = ymd(y as i64, m, d) {
                    return Some(date);
                }
            }
        }
        let b = tokens.get(i + 1);
        let c = tokens.get(i + 2);
        let (Some(b), Some(c)) = (b, c) else { continue };
        // 2022-01-15
        if let (Some(first), Some(m), Some(last)) = (num(a), num(b), num(c)) {
            let date = if a.len() == 4 {
                ymd(first, m as u32, last as u32)
            } else if c.len() == 4 || c.len() == 2 {
                // 15/01/2022: day first, the Indonesian order
                ymd(last, m as u32, first as u32)
            } else {
                None
            };
            if date.is_some() {
                return date;
            }
        }
        // 15 Januari 2022
        if let (Some(d), Some(m), Some(y)) = (num(a), month_number(b), num(c)) {
            if c.len() == 4 {
                if let Some(date) = ymd(y, m, d as u32) {
                    return Some(date);
                }
            }
        }
        // January 15, 2022
        if let (Some(m), Some(d), Some(y)) = (month_number(a), num(b), num(c)) {
            if c.len() == 4 {
                if let Some(date) = ymd(y, m, d as u32) {
                    return Some(date);
                }
            }
        }
    }
    None
}

/// A date from a cell: a real date, an Excel serial in a plausible range, or text.
pub fn cell_date(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) if (36526.0..73051.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|base| base.checked_add_days(chrono::Days::new(*n as u64)))
        }
        Cell::Text(t) => find_date(t),
        _ => None,
    }
}

/// A risk-zone colour of the COVID-19 task force, least to most risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    Hijau,
    Kuning,
    Oranye,
    Merah,
}

impl Zone {
    /// The colour as Indonesian officials write it (`merah`), and in English (`red`).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Zone::Hijau => ("hijau", "green"),
            Zone::Kuning => ("kuning", "yellow"),
            Zone::Oranye => ("oranye", "orange"),
            Zone::Merah => ("merah", "red"),
        }
    }
}

/// A PPKM level as districts write it: `3`, `Level 3`, `PPKM Level III`, `L-3`, `lvl 3`.
/// Levels run 1–4; anything else is not a level.
pub fn ppkm_level(text: &str) -> Option<u8> {
    let norm = crate::layout::vocab::normalise(text);
    let words: Vec<&str> = norm.split_whitespace().filter(|w| !matches!(*w, "ppkm" | "level" | "lvl" | "l" | "tingkat" | "jawa" | "bali" | "luar")).collect();
    let level = match words.as_slice() {
        [w] => match *w {
            "1" | "i" | "satu" => 1,
            "2" | "ii" | "dua" => 2,
            "3" | "iii" | "tiga" => 3,
            "4" | "iv" | "empat" => 4,
            // `L3`, `lv3`, `level3`
            w => match w.strip_prefix("level").or_else(|| w.strip_prefix("lvl")).or_else(|| w.strip_prefix("lv")).or_else(|| w.strip_prefix('l')) {
                Some(d @ ("1" | "2" | "3" | "4")) => d.parse().ok()?,
                _ => return None,
            },
        },
        _ => return None,
    };
    Some(level)
}

/// A zone colour: `Zona Merah`, `merah`, `Red zone`, `oranye`/`orange`, `kuning`, `hijau`.
pub fn zone(text: &str) -> Option<Zone> {
    let norm = crate::layout::vocab::normalise(text);
    let words: Vec<&str> = norm.split_whitespace().filter(|w| !matches!(*w, "zona" | "zone" | "zonasi" | "risiko" | "risk" | "resiko")).collect();
    match words.as_slice() {
        [w] => match *w {
            "hijau" | "green" => Some(Zone::Hijau),
            "kuning" | "yellow" => Some(Zone::Kuning),
            "oranye" | "orange" | "orens" | "jingga" => Some(Zone::Oranye),
            "merah" | "red" => Some(Zone::Merah),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn n(s: &str) -> Option<Option<f64>> {
        parse_number_text(s)
    }
    #[test]
    fn numbers_in_both_conventions() {
        assert_eq!(n("1.234"), Some(Some(1234.0)));
        assert_eq!(n("1,234"), Some(Some(1234.0)));
        assert_eq!(n("1 234"), Some(Some(1234.0)));
        assert_eq!(n("1.234.567"), Some(Some(1234567.0)));
        assert_eq!(n("1.234,5"), Some(Some(1234.5)));
        assert_eq!(n("1,234.5"), Some(Some(1234.5)));
        assert_eq!(n("12,5"), Some(Some(12.5)));
        assert_eq!(n("14%"), Some(Some(0.14)));
        assert_eq!(n("14,5 %"), Some(Some(0.145)));
        assert_eq!(n("-"), Some(None));
        assert_eq!(n(""), Some(None));
        assert_eq!(n("abc"), None);
        assert_eq!(n("1.23.4"), None);
        assert_eq!(n("12.34.567"), None);
    }
    #[test]
    fn ppkm_levels_and_zone_colours_as_written() {
        for (t, want) in [("3", Some(3)), ("Level 3", Some(3)), ("PPKM Level III", Some(3)), ("L-2", Some(2)), ("L2", Some(2)), ("level4", Some(4)), ("Level 1 ", Some(1)), ("tiga", Some(3))] {
            assert_eq!(ppkm_level(t), want, "{t}");
        }
        for t in ["5", "Level 0", "3 atau 4", "", "merah", "12"] {
            assert_eq!(ppkm_level(t), None, "{t}");
        }
        assert_eq!(zone("Zona Merah"), Some(Zone::Merah));
        assert_eq!(zone("ORANYE"), Some(Zone::Oranye));
        assert_eq!(zone("Yellow zone"), Some(Zone::Kuning));
        assert_eq!(zone("hijau"), Some(Zone::Hijau));
        assert_eq!(zone("merah muda"), None);
        assert!(Zone::Merah > Zone::Oranye && Zone::Kuning > Zone::Hijau);
    }
    #[test]
    fn dates_in_titles_and_file_names() {
        let d = NaiveDate::from_ymd_opt(2022, 1, 15);
        assert_eq!(find_date("Data s.d. 15 Januari 2022"), d);
        assert_eq!(find_date("per 15/01/2022"), d);
        assert_eq!(find_date("Update: 15-01-2022"), d);
        assert_eq!(find_date("Keadaan: Sabtu (15/01/2022)"), d);
        assert_eq!(find_date("rekap_kerinci_2022-01-15"), d);
        assert_eq!(find_date("January 15, 2022"), d);
        assert_eq!(find_date("KAB MUARO JAMBI 15-01-2022"), d);
        assert_eq!(find_date("SAROLANGUN_20220115"), d);
        assert_eq!(find_date("tanjabtim 15012022"), d);
        assert_eq!(find_date("Laporan Kota Jambi 15 Jan 2022"), d);
        assert_eq!(find_date("REKAP VAKSINASI COVID-19"), None);
        assert_eq!(find_date("Remaja 12-17 tahun"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// `1234567` written with a thousands separator every three digits.
    fn grouped_with(n: u64, sep: &str) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(ch);
        }
        out
    }

    const BULAN: [&str; 12] = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
    const MONTHS_EN: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(s in "\\PC{0,40}") {
            let _ = parse_number_text(&s);
            let _ = find_date(&s);
        }

        #[test]
        fn whole_counts_in_every_convention(n in 0u64..10_000_000_000) {
            for sep in [".", ",", " ", "\u{a0}"] {
                let text = grouped_with(n, sep);
                prop_assert_eq!(parse_number_text(&text), Some(Some(n as f64)), "{}", text);
            }
            prop_assert_eq!(parse_number_text(&n.to_string()), Some(Some(n as f64)));
            prop_assert_eq!(read_number(&Cell::Number(n as f64)), Number::Value(n as f64));
        }

        #[test]
        fn decimals_with_both_separators(int in 1_000u64..10_000_000, frac in 1u32..100) {
            let id = format!("{},{frac:02}", grouped_with(int, "."));
            let en = format!("{}.{frac:02}", grouped_with(int, ","));
            let want = format!("{int}.{frac:02}").parse::<f64>().unwrap();
            prop_assert_eq!(parse_number_text(&id), Some(Some(want)), "{}", id);
            prop_assert_eq!(parse_number_text(&en), Some(Some(want)), "{}", en);
        }

        #[test]
        fn percentages_are_fractions(p in 0u32..1000) {
            prop_assert_eq!(parse_number_text(&format!("{p}%")), Some(Some(p as f64 / 100.0)));
            prop_assert_eq!(parse_number_text(&format!("{p} %")), Some(Some(p as f64 / 100.0)));
        }

        #[test]
        fn dates_in_the_forms_districts_type(days in 0i64..3650, prefix in "[A-Za-z:. ]{0,20}") {
            let d = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(days);
            let (y, m, day) = (d.format("%Y").to_string(), d.format("%m").to_string(), d.format("%d").to_string());
            let mi = d.format("%m").to_string().parse::<usize>().unwrap() - 1;
            let forms = [
                format!("{prefix} {day}/{m}/{y}"),
                format!("{prefix} {day}-{m}-{y}"),
                format!("{prefix} {y}-{m}-{day}"),
                format!("{prefix} {} {} {y}", d.format("%-d"), BULAN[mi]),
                format!("{prefix} {} {}, {y}", MONTHS_EN[mi], d.format("%-d")),
                format!("Sabtu ({day}/{m}/{y})"),
                format!("rekap_{y}{m}{day}"),
            ];
            for f in forms {
                prop_assert_eq!(find_date(&f), Some(d), "{}", f);
            }
            prop_assert_eq!(cell_date(&Cell::Date(d)), Some(d));
        }

        #[test]
        fn excel_serials_are_dates(serial in 43831u32..47500) {
            let d = cell_date(&Cell::Number(serial as f64)).unwrap();
            let back = (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
            prop_assert_eq!(back, serial as i64);
        }
    }
}
