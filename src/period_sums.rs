//! The districts' sums of each period kept between runs, so that a weekly run over a
//! year's folder sums the week that is new, not the year (the sums were the longest
//! step after reading: 0.5 s of a weekly run over 6.4 million observations).
//!
//! A period's sums depend only on its rows, which its key names ([`Period`]: from its
//! files, or the fingerprint of its rows): `<cache>/sums/<period>-<key>.tsv`, a line per
//! sum (province, district, group, dose, count). Text, not Parquet: 52 small Parquet
//! files took 1.6 s of thread time to write beside the canonical table, and these are
//! read back whole, and only for the periods attainment computes: beside each,
//! `<period>-<key>.scope` holds what attainment needs of every period (its districts
//! and group/dose pairs). As for the attainment kept per period ([`crate::attain_cache`]),
//! the name is the whole record: a file of this run's period under another name is
//! removed, a file that cannot be read is summed again, other periods' files stay.

use crate::export::{FromRows, Period, Periods};
use crate::layout::vocab::Group;
use crate::sym::{Recent, Sym};
use crate::table::SumKey;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The first line of a file: bumped when the sums are kept otherwise.
const HEADER: &str = "sitrep district sums 1";

/// The first line of a period's scope file.
const SCOPE_HEADER: &str = "sitrep district sums' scope 1";

/// The districts' sums of every period, each period's held or left in its file until
/// attainment needs it, with what attainment's scope needs of every period: its
/// districts and its (group, dose) pairs, kept beside its sums
/// (`<period>-<key>.scope`). A weekly run over a year reads the year's scopes, a few
/// hundred lines a week, not its 800,000 sums.
pub struct Sums {
    pub periods: Vec<PeriodSums>,
}

/// One period of [`Sums`].
pub struct PeriodSums {
    pub period: chrono::NaiveDate,
    /// Its sums, when held; else they are in `file`.
    held: Option<Vec<(SumKey, i64)>>,
    file: Option<PathBuf>,
    /// (province, district), sorted.
    pub districts: Vec<(Sym, Sym)>,
    /// (group, dose), sorted.
    pub combos: Vec<(Group, u8)>,
}

impl PeriodSums {
    fn held(period: chrono::NaiveDate, sums: Vec<(SumKey, i64)>) -> PeriodSums {
        let (districts, combos) = scope_of(&sums);
        PeriodSums { period, held: Some(sums), file: None, districts, combos }
    }
}

impl Sums {
    /// Sums held whole (sorted by key, as [`crate::table::district_sums`] gives them).
    pub fn held(all: Vec<(SumKey, i64)>) -> Sums {
        let mut periods: Vec<PeriodSums> = Vec::new();
        let mut rest = all.as_slice();
        while let Some(((period, ..), _)) = rest.first() {
            let n = rest.partition_point(|(k, _)| k.0 == *period);
            periods.push(PeriodSums::held(*period, rest[..n].to_vec()));
            rest = &rest[n..];
        }
        Sums { periods }
    }

    /// The sums of `which` periods (in order), read from their files when not held.
    pub fn of(&self, which: &[chrono::NaiveDate]) -> Result<Vec<(SumKey, i64)>> {
        let mut out = Vec::new();
        for p in self.periods.iter().filter(|p| which.contains(&p.period)) {
            match (&p.held, &p.file) {
                (Some(sums), _) => out.extend_from_slice(sums),
                (None, Some(file)) => {
                    let damaged = || crate::cache::Damaged(format!("{} is damaged or gone", file.display()));
                    let text = crate::sealed::read_text(file).ok_or_else(damaged)?;
                    out.extend(parse(&text, p.period).ok_or_else(damaged)?);
                }
                (None, None) => {}
            }
        }
        Ok(out)
    }

    /// Every period's sums, in order.
    pub fn all(&self) -> Result<Vec<(SumKey, i64)>> {
        self.of(&self.periods.iter().map(|p| p.period).collect::<Vec<_>>())
    }
}

/// A period's districts and (group, dose) pairs, each sorted.
type Scope = (Vec<(Sym, Sym)>, Vec<(Group, u8)>);

/// A period's districts and (group, dose) pairs, from its sums.
fn scope_of(sums: &[(SumKey, i64)]) -> Scope {
    let mut districts: Vec<(Sym, Sym)> = sums.iter().map(|((_, p, d, _, _), _)| (*p, *d)).collect();
    districts.dedup();
    districts.sort();
    districts.dedup();
    let mut combos: Vec<(Group, u8)> = sums.iter().map(|((_, _, _, g, dose), _)| (*g, *dose)).collect();
    combos.sort();
    combos.dedup();
    (districts, combos)
}

/// A period's scope as its file's text, with the size of its sums' file (one changed
/// since is summed again).
fn print_scope(districts: &[(Sym, Sym)], combos: &[(Group, u8)], sums_bytes: u64) -> String {
    let mut out = format!("{SCOPE_HEADER}\nb\t{sums_bytes}\n");
    for (p, d) in districts {
        out.push_str(&format!("d\t{}\t{}\n", p.as_str(), d.as_str()));
    }
    for (g, dose) in combos {
        out.push_str(&format!("c\t{}\t{dose}\n", g.code()));
    }
    out
}

/// A period's scope from its file, or `None` when it is not one this build wrote whole.
fn parse_scope(text: &str) -> Option<(Scope, u64)> {
    let mut lines = text.split_terminator('\n');
    if lines.next()? != SCOPE_HEADER || !text.ends_with('\n') {
        return None;
    }
    let bytes = lines.next()?.strip_prefix("b\t")?.parse().ok()?;
    let (mut districts, mut combos) = (Vec::new(), Vec::new());
    for line in lines {
        match line.split('\t').collect::<Vec<_>>()[..] {
            ["d", p, d] => districts.push((Sym::new(p), Sym::new(d))),
            ["c", g, dose] => combos.push((Group::from_code(g)?, dose.parse().ok()?)),
            _ => return None,
        }
    }
    Some(((districts, combos), bytes))
}

/// The districts' sums of every period: those kept in `dir` under the period's key read
/// back ([`Summing::begin`]), the others summed from their rows and kept. Another pass
/// over the periods' rows (the canonical table's) hands them over ([`FromRows::add`]),
/// so that a year's rows are decoded from the cache once for both; [`Summing::finish`]
/// sums what no pass handed over.
pub struct Summing {
    dir: PathBuf,
    /// Per period of the table, in order: its sums, when kept or already summed.
    done: Vec<std::sync::Mutex<Option<PeriodSums>>>,
    periods: Vec<chrono::NaiveDate>,
}

impl Summing {
    /// Reads the sums kept in `dir` (their scopes, the sums left in their files when still
    /// the size the scope says). A period without its scope file (a cache made before
    /// there were any) is read whole and its scope written; one damaged, or written by
    /// another run, is summed again.
    pub fn begin(periods: &Periods, dir: &Path) -> Result<Summing> {
        use rayon::prelude::*;
        let all: Vec<&Period> = periods.iter().collect();
        let kept: Vec<Option<PeriodSums>> = all
            .par_iter()
            .map(|p| -> Result<Option<PeriodSums>> {
                let file = dir.join(file_of(p));
                if !file.is_file() {
                    return Ok(None);
                }
                let scope = crate::sealed::read_text(&dir.join(scope_file_of(p))).and_then(|text| parse_scope(&text));
                if let Some(((districts, combos), _)) = scope.filter(|(_, bytes)| crate::export::still_there(dir, &file_of(p), *bytes)) {
                    return Ok(Some(PeriodSums { period: p.period, held: None, file: Some(file), districts, combos }));
                }
                let Some((text, sums)) = crate::sealed::read_text(&file).and_then(|text| parse(&text, p.period).map(|sums| (text, sums))) else { return Ok(None) };
                let read = PeriodSums::held(p.period, sums);
                crate::sealed::write(dir, &scope_file_of(p), print_scope(&read.districts, &read.combos, crate::sealed::size(text.len())).as_bytes())?;
                Ok(Some(read))
            })
            .collect::<Result<_>>()?;
        Ok(Summing { dir: dir.to_path_buf(), periods: all.iter().map(|p| p.period).collect(), done: kept.into_iter().map(std::sync::Mutex::new).collect() })
    }

    /// The place of `period` among the table's periods.
    fn slot(&self, period: chrono::NaiveDate) -> Option<&std::sync::Mutex<Option<PeriodSums>>> {
        self.periods.binary_search(&period).ok().and_then(|i| self.done.get(i))
    }

    /// The sums of every period: those not done yet summed from their rows (decoded from
    /// the cache a batch at a time); the files of this run's periods under other keys removed.
    pub fn finish(self, periods: &Periods) -> Result<Sums> {
        self.add_the_rest(periods)?;
        let all: Vec<&Period> = periods.iter().collect();
        let done: Vec<PeriodSums> = self.done.into_iter().map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner())).collect::<Option<_>>().context("a period's sums were not made")?;
        let keep: Vec<String> = all.iter().flat_map(|p| [file_of(p), scope_file_of(p)]).collect();
        crate::attain_cache::prune(&self.dir, &keep, |d| all.iter().any(|p| p.period == d));
        Ok(Sums { periods: done })
    }
}

impl FromRows for Summing {
    /// Whether period `p`'s sums are still to be made.
    fn needs(&self, p: &Period) -> bool {
        self.slot(p.period).is_some_and(|s| s.lock().unwrap_or_else(|e| e.into_inner()).is_none())
    }

    /// Sums period `p`'s `rows` and keeps them (the scope first: sums without it are read
    /// whole, not taken as empty), unless they are done.
    fn add(&self, p: &Period, rows: &[&crate::table::Observation]) -> Result<()> {
        if !self.needs(p) {
            return Ok(());
        }
        let summed = PeriodSums::held(p.period, crate::table::district_sums(rows.iter().copied()));
        if let Some(text) = print(summed.held.as_deref().unwrap_or_default()) {
            crate::sealed::write(&self.dir, &scope_file_of(p), print_scope(&summed.districts, &summed.combos, crate::sealed::size(text.len())).as_bytes())?;
            crate::sealed::write(&self.dir, &file_of(p), text.as_bytes())?;
        }
        if let Some(slot) = self.slot(p.period) {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(summed);
        }
        Ok(())
    }
}

/// The file of a period's sums, by its key.
fn file_of(p: &Period) -> String {
    format!("{}-{}.tsv", p.period, p.fingerprint)
}

/// The file of a period's scope, beside its sums.
fn scope_file_of(p: &Period) -> String {
    format!("{}-{}.scope", p.period, p.fingerprint)
}

/// A period's sums as the file's text; `None` when a text could not be read back (codes
/// are digits and dots, so this does not happen).
fn print(sums: &[(SumKey, i64)]) -> Option<String> {
    use std::fmt::Write;
    let mut out = format!("{HEADER}\n");
    for ((_, province, district, group, dose), n) in sums {
        if [province.as_str(), district.as_str()].iter().any(|t| t.contains(['\t', '\n', '\r'])) {
            return None;
        }
        // Straight into the text (a year is half a million lines).
        writeln!(out, "{}\t{}\t{}\t{dose}\t{n}", province.as_str(), district.as_str(), group.code()).ok()?;
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

    /// The sums of every period in one go, with no other pass handing rows over.
    fn district_sums(periods: &Periods, dir: &Path) -> Result<Sums> {
        Summing::begin(periods, dir)?.finish(periods)
    }

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
        let district_figures = |periods: &Periods, dir: &Path| district_sums(periods, dir).map(|sums| crate::table::district_sums_frame(&sums.all().unwrap()).unwrap());
        let first = weeks(5);
        let got = district_figures(&Periods::new(&first, None, None), dir).unwrap();
        assert!(got.equals_missing(&whole(&first)), "{got}\n{}", whole(&first));
        let tsv = |dir: &Path| stored(dir).into_iter().filter(|f| f.ends_with(".tsv")).collect::<Vec<_>>();
        let files = tsv(dir);
        assert_eq!(files.len(), 3, "{files:?}");
        assert_eq!(stored(dir).len(), 6, "each period's scope beside its sums");
        // Read back, a period's sums stay in their file; its scope is the sums' own.
        let kept = district_sums(&Periods::new(&first, None, None), dir).unwrap();
        assert!(kept.periods.iter().all(|p| p.held.is_none() && p.file.is_some()));
        let summed = Sums::held(kept.all().unwrap());
        for (k, s) in kept.periods.iter().filter(|p| !p.districts.is_empty()).zip(&summed.periods) {
            assert_eq!((k.period, &k.districts, &k.combos), (s.period, &s.districts, &s.combos));
        }

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
        let now = tsv(dir);
        assert_eq!(now.len(), 3);
        assert_eq!(now[..2], files[..2]);
        assert!(now[2] != files[2] && now[2].starts_with("2022-01-15-"));

        // A run over one week leaves the other weeks' files; a damaged file is summed again.
        let one: Observations = [vec![obs(8, "15.01", None, 1, 100)]].into_iter().collect();
        district_figures(&Periods::new(&one, None, None), dir).unwrap();
        let after = tsv(dir);
        assert_eq!(after.len(), 3);
        assert!(after[1..] == now[1..]);
        std::fs::write(dir.join(&now[2]), b"not parquet").unwrap();
        assert!(district_figures(&Periods::new(&changed, None, None), dir).unwrap().equals_missing(&whole(&changed)));
        assert!(std::fs::read(dir.join(&now[2])).unwrap() != b"not parquet");
    }
}
