//! The districts' sums of each period kept between runs, so that a weekly run over a
//! year's folder sums the week that is new, not the year (the sums were the longest
//! step after reading: 0.5 s of a weekly run over 6.4 million observations).
//!
//! A period's sums depend only on its rows, which its key names ([`Period`]: from its
//! files, or the fingerprint of its rows): `<cache>/sums/<period>-<key>.tsv`, a line per
//! sum (province, district, group, dose, count). Text, not Parquet: 52 small Parquet
//! files took 1.6 s of thread time to write beside the canonical table, and these are
//! read back whole. As for the attainment kept per period ([`crate::attain_cache`]),
//! the name is the whole record: a file of this run's period under another name is
//! removed, a file that cannot be read is summed again, other periods' files stay.

use crate::export::{write_atomic, Period, Periods};
use crate::layout::vocab::Group;
use crate::sym::Recent;
use crate::table::SumKey;
use anyhow::Result;
use std::path::Path;

/// The first line of a file: bumped when the sums are kept otherwise.
const HEADER: &str = "sitrep district sums 1";

/// [`crate::table::district_sums`] of all the periods' rows, row for row, with the
/// periods whose rows are unchanged read from `dir` and the others summed and written
/// there. Sums, not their frame: a year's frame (800,000 rows, 50 MB) is made once the
/// observations are let go of.
pub fn district_sums(periods: &Periods, dir: &Path) -> Result<Vec<(SumKey, i64)>> {
    let file_of = |p: &Period| format!("{}-{}.tsv", p.period, p.fingerprint);
    use rayon::prelude::*;
    let all: Vec<&Period> = periods.iter().collect();
    // Damaged, or written by another run: summed again.
    let kept: Vec<Option<Vec<(SumKey, i64)>>> = all.par_iter().map(|p| std::fs::read_to_string(dir.join(file_of(p))).ok().and_then(|text| parse(&text, p.period))).collect();
    let changed: Vec<&Period> = all.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(p, _)| *p).collect();
    // The rows of the periods to sum that are still in the cache.
    let decoded = periods.decode(&changed)?;
    let summed: Vec<Vec<(SumKey, i64)>> = changed
        .par_iter()
        .zip(&decoded)
        .map(|(p, decoded)| -> Result<Vec<(SumKey, i64)>> {
            let sums = crate::table::district_sums(p.rows_with(decoded));
            if let Some(text) = print(&sums) {
                write_atomic(dir, &file_of(p), text.as_bytes())?;
            }
            Ok(sums)
        })
        .collect::<Result<_>>()?;
    let mut summed = summed.into_iter();
    let sums: Vec<Vec<(SumKey, i64)>> = kept.into_iter().map(|k| k.or_else(|| summed.next()).unwrap_or_default()).collect();
    let keep: Vec<String> = all.iter().map(|p| file_of(p)).collect();
    crate::attain_cache::prune(dir, &keep, |d| all.iter().any(|p| p.period == d));
    // Each period's sums are sorted and the periods come in order: so are all of them.
    // Moved one period at a time, each let go of once moved (`concat` held the year's
    // sums twice for the moment, 40 MB).
    let mut all = Vec::with_capacity(sums.iter().map(Vec::len).sum());
    for part in sums {
        all.extend(part);
    }
    Ok(all)
}

/// A period's sums as the file's text; `None` when a text could not be read back (codes
/// are digits and dots, so this does not happen).
fn print(sums: &[(SumKey, i64)]) -> Option<String> {
    let mut out = format!("{HEADER}\n");
    for ((_, province, district, group, dose), n) in sums {
        if [province.as_str(), district.as_str()].iter().any(|t| t.contains(['\t', '\n', '\r'])) {
            return None;
        }
        out.push_str(&format!("{}\t{}\t{}\t{dose}\t{n}\n", province.as_str(), district.as_str(), group.code()));
    }
    Some(out)
}

/// A file's sums, or `None` when it is not one this build wrote whole.
fn parse(text: &str, period: chrono::NaiveDate) -> Option<Vec<(SumKey, i64)>> {
    let mut lines = text.split_terminator('\n');
    if lines.next()? != HEADER || !text.ends_with('\n') {
        return None;
    }
    let (mut province, mut district) = (Recent::default(), Recent::default());
    lines
        .map(|line| {
            let mut f = line.split('\t');
            let (p, d, g, dose, n) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
            if f.next().is_some() {
                return None;
            }
            Some(((period, province.get(p), district.get(d), Group::from_code(g)?, dose.parse().ok()?), n.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::vocab::Group;
    use crate::attain_cache::tests::stored;
    use crate::table::{Observation, Observations};

    fn obs(day: u32, district: &str, unit: Option<&str>, dose: u8, n: i64) -> Observation {
        Observation {
            period: chrono::NaiveDate::from_ymd_opt(2022, 1, day).unwrap(),
            province_code: "15".into(),
            district_code: district.into(),
            area_code: Some(format!("{district}.01").as_str().into()),
            unit: unit.map(Into::into),
            group: Group::Lansia,
            dose,
            vaccinated: n,
            source: "a.xlsx".into(),
            sheet: "S".into(),
            cell: "B2".into(),
        }
    }

    /// Read back or summed, the frame is the one summed over all rows at once; a period
    /// is summed again only when one of its rows changes.
    #[test]
    fn kept_sums_are_the_sums_of_all_rows_and_change_with_a_periods_rows() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let weeks = |last: i64| -> Observations {
            [
                vec![obs(8, "15.01", None, 1, 100), obs(8, "15.02", None, 1, 50), obs(8, "15.01", None, 2, 30)],
                // An institution's staff only: no district sums for that week.
                vec![obs(11, "15.01", Some("RSUD"), 1, 7)],
                vec![obs(15, "15.02", None, 1, 70), obs(15, "15.01", None, 1, 150), obs(15, "15.01", None, 1, last)],
            ]
            .into_iter()
            .collect()
        };
        let whole = |o: &Observations| crate::table::district_figures_frame(o).unwrap();
        let district_figures = |periods: &Periods, dir: &Path| district_sums(periods, dir).map(|sums| crate::table::district_sums_frame(&sums).unwrap());
        let first = weeks(5);
        let got = district_figures(&Periods::new(&first, None, None), dir).unwrap();
        assert!(got.equals_missing(&whole(&first)), "{got}\n{}", whole(&first));
        let files = stored(dir);
        assert_eq!(files.len(), 3, "{files:?}");

        // Unchanged: read back, nothing rewritten.
        let modified = |f: &str| std::fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        let before: Vec<_> = files.iter().map(|f| modified(f)).collect();
        assert!(district_figures(&Periods::new(&first, None, None), dir).unwrap().equals_missing(&got));
        assert_eq!(files.iter().map(|f| modified(f)).collect::<Vec<_>>(), before);

        // One figure of the last week changed: that week is summed again, its old file
        // goes, the others stay as they were.
        let changed = weeks(6);
        let again = district_figures(&Periods::new(&changed, None, None), dir).unwrap();
        assert!(again.equals_missing(&whole(&changed)));
        assert!(!again.equals_missing(&got));
        let now = stored(dir);
        assert_eq!(now.len(), 3);
        assert_eq!(now[..2], files[..2]);
        assert!(now[2] != files[2] && now[2].starts_with("2022-01-15-"));

        // A run over one week leaves the other weeks' files; a damaged file is summed again.
        let one: Observations = [vec![obs(8, "15.01", None, 1, 100)]].into_iter().collect();
        district_figures(&Periods::new(&one, None, None), dir).unwrap();
        let after = stored(dir);
        assert_eq!(after.len(), 3);
        assert!(after[1..] == now[1..]);
        std::fs::write(dir.join(&now[2]), b"not parquet").unwrap();
        assert!(district_figures(&Periods::new(&changed, None, None), dir).unwrap().equals_missing(&whole(&changed)));
        assert!(std::fs::read(dir.join(&now[2])).unwrap() != b"not parquet");
    }
}
