//! Attainment of each period kept between runs, so that a weekly run over a year's
//! folder computes attainment for the week that is new, not for the year.
//!
//! A period's attainment depends only on that period's district figures, the targets,
//! the districts and groups of all periods ([`attain::Scope`]), the threshold and the
//! build. Their SHA-256 names the period's file: `<cache>/attainment/<period>-<key>.parquet`,
//! and beside it `<period>-<key>.csv`, the period's rows as the export's CSV writes them
//! (without the header): the export's files of a period (`export/attainment/`,
//! `export/attainment_csv/`) are copied from these rather than made again.
//! Beside them, `<period>-<key>.history.parquet` holds the rows a report on a later
//! period reads of it (`history_rows`: a quarter of them), so that a weekly run reads
//! a year's history without decoding every row of it; the periods it reads whole (the
//! one before the report's, those `--previous` compares) are read from the whole file.
//! A file whose name is not a key of this run is not used; it is removed when its
//! period is one of the run's (files of other periods stay for the runs that have
//! them); a file that cannot be read is computed again. No index: the name is the whole
//! record, so a run killed halfway leaves nothing that could be taken for something else.

use crate::attain::{self, Scope};
use crate::period_sums::Sums;
use crate::table::SumKey;
use crate::export::{csv_body_to, period_parquet};
use anyhow::Result;
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// What changes the meaning of a stored file: bumped when attainment is computed otherwise.
const FORMAT: &str = "sitrep attainment per period, 2";
/// Periods whose attainment is computed at once, when not found in the cache: a year's
/// at once held its sums, attainment, parts and CSV together (its peak); a few at a time
/// cost no more time than all at once (polars' CSV writer costs tens of ms a call).
const COMPUTED_AT_ONCE: usize = 4;

/// Attainment as [`attain::compute`] gives it, period by period, in order.
pub struct Attained {
    pub periods: Vec<AttainedPeriod>,
}

/// One period's attainment, with its key and its files here when the cache holds them.
pub struct AttainedPeriod {
    pub period: chrono::NaiveDate,
    /// Its rows, in one chunk: all of them, or, read back from the cache, only those a
    /// report on a later period reads (`history_rows`; then fewer than `rows`).
    pub frame: DataFrame,
    /// How many rows the period has.
    pub rows: usize,
    /// What the period's attainment is made from ([`compute`]); none without the cache.
    pub key: Option<String>,
    /// The period's Parquet file and CSV part in the cache.
    pub stored: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Attained {
    /// Attainment computed without the cache (sorted by period first): its periods are
    /// cut from the frame.
    pub fn uncached(frame: DataFrame) -> Result<Attained> {
        let periods = by_period(&frame)?.into_iter().map(|(day, frame)| AttainedPeriod { period: crate::table::date_from_days(day.unwrap_or_default()), rows: frame.height(), frame, key: None, stored: None }).collect();
        Ok(Attained { periods })
    }

    /// Every period's rows (a year's are 570,000): what [`Attained::rows_read`] is held to.
    #[cfg(test)]
    pub fn rows(&self) -> Result<Vec<attain::AttainRow>> {
        self.rows_where(|_| true, |_| true)
    }

    /// The rows a run reporting on `period` reads: those its reports read
    /// ([`crate::report::RowsRead`]), those its gates read (dose 1 of `all` and `lansia`,
    /// every period), and every row of the periods `revisable` (`--previous`: those whose
    /// figures it compares with the previous export's). A year's 570,000 rows are 160,000
    /// of them; made all, then dropped, they were most of the rows' time and 40 MB.
    pub fn rows_read(&self, period: chrono::NaiveDate, revisable: &std::collections::BTreeSet<chrono::NaiveDate>) -> Result<Vec<attain::AttainRow>> {
        // A period's provinces are those of its own rows, which every history holds.
        let mut provinces = Vec::new();
        for p in self.periods.iter().filter(|p| p.period < period) {
            let mut last: Option<&str> = None;
            for province in p.frame.column("province_code")?.str()?.iter().flatten() {
                if last != Some(province) {
                    provinces.push((p.period, crate::sym::Sym::new(province)));
                    last = Some(province);
                }
            }
        }
        let read = crate::report::RowsRead::of(period, provinces);
        // Of the other periods it reads the history alone (what `keeps_row_of` keeps of
        // the periods before a province's last is all in it).
        self.rows_where(|p| read.reads_all_groups_of(p) || revisable.contains(&p), |r| read.keeps_row_of(r) || (r.dose == 1 && r.group == "lansia") || revisable.contains(&r.period))
    }

    /// The rows `keep` accepts, period after period, of every row of the periods
    /// `whole` names and of the others' frames as held.
    fn rows_where(&self, whole: impl Fn(chrono::NaiveDate) -> bool + Sync, keep: impl Fn(&attain::RowOf) -> bool + Sync) -> Result<Vec<attain::AttainRow>> {
        // A few at a time ([`crate::par_map_bounded`]): a period read whole is read by polars.
        let parts: Vec<Vec<attain::AttainRow>> = crate::par_map_bounded(&self.periods, |p| {
            let frame = if whole(p.period) { p.whole_frame()? } else { std::borrow::Cow::Borrowed(&p.frame) };
            Ok(attain::rows_from_frame_where(&frame, &keep)?)
        })?;
        let mut rows = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for part in parts {
            rows.extend(part);
        }
        Ok(rows)
    }

    /// All periods as one frame.
    #[cfg(test)]
    pub fn frame(&self) -> DataFrame {
        let mut frames = self.periods.iter().map(|p| p.whole_frame().unwrap().into_owned());
        let mut out = frames.next().unwrap_or_default();
        for df in frames {
            out.vstack_mut(&df).unwrap();
        }
        out
    }
}

impl AttainedPeriod {
    /// Every row of the period: its frame, or read from its file in the cache when the
    /// frame is its history (a history of every row is the whole).
    pub fn whole_frame(&self) -> Result<std::borrow::Cow<'_, DataFrame>> {
        match (&self.stored, self.frame.height() == self.rows) {
            (_, true) => Ok(std::borrow::Cow::Borrowed(&self.frame)),
            (Some((parquet, _)), false) => {
                let read = crate::sealed::read(parquet).and_then(|bytes| ParquetReader::new(std::io::Cursor::new(&bytes[..])).finish().ok());
                Ok(std::borrow::Cow::Owned(read.ok_or_else(|| crate::cache::Damaged(format!("{} is damaged or gone", parquet.display())))?))
            }
            (None, false) => anyhow::bail!("the attainment of {} was read from a cache that no longer has it", self.period),
        }
    }
}

/// The rows of a period that a report on a later period reads of it, unless it reads
/// the period whole (the period before the report's, for the week's change; those
/// `--previous` compares): the provinces' own rows ([`crate::report::RowsRead`]), every
/// district's rows of all groups, and dose 1 of `lansia` (the gates). As
/// `is_history_row` (its test twin) says of a row.
fn history_rows() -> Expr {
    col("district_code").is_null().or(col("group").eq(lit("all"))).or(col("dose").eq(lit(1)).and(col("group").eq(lit("lansia"))))
}

/// A period's history as Parquet, uncompressed: a weekly run over a year reads 52 of
/// them, and zstd made a decoder per page of each (cache-only files, never copied).
fn history_parquet(df: &DataFrame, w: &mut dyn std::io::Write) -> Result<()> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Uncompressed).finish(&mut df.clone())?;
    Ok(())
}

/// [`history_rows`] of one row.
#[cfg(test)]
fn is_history_row(r: &attain::RowOf) -> bool {
    !r.in_district || r.group == "all" || (r.dose == 1 && r.group == "lansia")
}

/// [`attain::compute`] of `figures` (as `table::district_figures_frame` gives them),
/// taking the periods whose inputs are unchanged from `dir` and writing there those
/// computed afresh. The same frame as [`attain::compute`], row for row. A period named by
/// its files (`named`, [`crate::period_keys`]) is keyed by its name, not by hashing its
/// figures: they follow from its rows.
pub fn compute(sums: &Sums, targets: &DataFrame, threshold: f64, dir: &Path, named: Option<&BTreeMap<chrono::NaiveDate, String>>) -> Result<Attained> {
    // The sums are read and made a frame only for the periods computed here (a year's
    // frame took 40 ms to make, for a weekly run that computes one week); the scope
    // comes from each period's districts and pairs.
    let scope = Scope::of_periods(sums.periods.iter().map(|p| (p.districts.as_slice(), p.combos.as_slice())), targets)?;
    let common = common_key(targets, threshold, &scope)?;
    // The periods with sums (one with an institution's figures only has none).
    let periods: Vec<chrono::NaiveDate> = sums.periods.iter().filter(|p| !p.districts.is_empty()).map(|p| p.period).collect();
    let keys = match named.and_then(|names| keys_from_names(&periods, &common, names)) {
        Some(keys) => keys,
        None => period_keys(&sums.all()?, &common),
    };
    let file_of = |days: i32, key: &str| format!("{}-{key}.parquet", crate::table::date_from_days(days));
    let csv_of = |days: i32, key: &str| format!("{}-{key}.csv", crate::table::date_from_days(days));
    let history_of = |days: i32, key: &str| format!("{}-{key}.history.parquet", crate::table::date_from_days(days));
    // Each period's frame (its history alone, when read back), and how many rows it has.
    let mut frames: BTreeMap<i32, (DataFrame, usize)> = BTreeMap::new();
    // Read side by side (a year's are 52 files), a few at a time: polars reads each on
    // its own pool ([`crate::par_map_bounded`]).
    let keys_in_order: Vec<(&i32, &String)> = keys.iter().collect();
    let read: Vec<(i32, Option<(DataFrame, usize)>)> = crate::par_map_bounded(&keys_in_order, |(days, key)| {
        // Damaged, from another run, or without its CSV part (a run stopped between the
        // writes): computed again below. Its history when there (its whole file's rows
        // counted from the file's footer, which a file damaged at its end fails), else
        // every row.
        let read = || -> Option<(DataFrame, usize)> {
            if !dir.join(csv_of(**days, key)).is_file() {
                return None;
            }
            // Sealed files ([`crate::sealed`]): one damaged is not read.
            let sealed = |name: String| crate::sealed::read(&dir.join(name));
            fn reader(bytes: &[u8]) -> ParquetReader<std::io::Cursor<&[u8]>> {
                ParquetReader::new(std::io::Cursor::new(bytes))
            }
            let whole_file = sealed(file_of(**days, key))?;
            let history = || Some((reader(&sealed(history_of(**days, key))?).finish().ok()?, reader(&whole_file).num_rows().ok()?));
            history().or_else(|| {
                let whole = reader(&whole_file).finish().ok()?;
                let rows = whole.height();
                Some((whole, rows))
            })
        };
        Ok((**days, read()))
    })?;
    frames.extend(read.into_iter().filter_map(|(days, df)| Some((days, df?))));
    let missing: Vec<i32> = keys.keys().filter(|d| !frames.contains_key(d)).copied().collect();
    // A few periods at a time: a year's at once held its sums, its attainment, the
    // attainment cut by period and its CSV together (the peak of a year's run). Two such
    // batches side by side (one per thread): each is mostly polars' fixed costs on small
    // frames, and one after the other a year's took 1.4 s on little more than one core.
    let batches: Vec<&[i32]> = missing.chunks(COMPUTED_AT_ONCE).collect();
    let computed = crate::par_map_bounded(&batches, |missing| -> Result<Vec<(i32, DataFrame)>> {
        let some = crate::table::district_sums_frame(&sums.of(&missing.iter().map(|d| crate::table::date_from_days(*d)).collect::<Vec<_>>())?)?;
        let fresh = attain::compute_in(&some, targets, threshold, &scope)?;
        let parts: Vec<(i32, &String, DataFrame)> = by_period(&fresh)?.into_iter().filter_map(|(day, part)| day.and_then(|d| Some((d, keys.get(&d)?, part)))).collect();
        // The periods' Parquet files (in parallel), beside the CSV rows of all of them in
        // one go (polars' CSV writer costs tens of milliseconds a call, a second for a
        // year's periods one by one), then cut by period. One after the other, a year's
        // took 0.45 s on one core.
        use rayon::prelude::*;
        let (written, csv) = rayon::join(
            || {
                parts.par_iter().try_for_each(|(days, key, part)| -> Result<()> {
                    crate::sealed::write_with(dir, &file_of(*days, key), &|w| period_parquet(part, w))?;
                    let history = part.clone().lazy().filter(history_rows()).collect()?;
                    crate::sealed::write_with(dir, &history_of(*days, key), &|w| history_parquet(&history, w))?;
                    Ok(())
                })
            },
            || -> Result<Vec<u8>> {
                let mut csv = Vec::new();
                csv_body_to(&fresh, &mut csv)?;
                Ok(csv)
            },
        );
        written?;
        let csv = csv?;
        if let Some(texts) = split_by_period(&csv, parts.iter().map(|(days, _, part)| (*days, part.height()))) {
            parts.par_iter().zip(texts).try_for_each(|((days, key, _), text)| crate::sealed::write(dir, &csv_of(*days, key), text).map(drop))?;
        }
        Ok(parts.into_iter().map(|(days, _, part)| (days, part)).collect())
    })?;
    frames.extend(computed.into_iter().flatten().map(|(days, part)| {
        let rows = part.height();
        (days, (part, rows))
    }));
    // Files of this run's periods under another key, and the temporary files of an
    // interrupted write. Other periods' files stay: a run over fewer periods
    // (`sitrep report --archive … --period` of an earlier week into the same folder)
    // would otherwise cost the next weekly run the whole year's attainment.
    let keep: Vec<String> = keys.iter().flat_map(|(d, k)| [file_of(*d, k), csv_of(*d, k), history_of(*d, k)]).collect();
    prune(dir, &keep, |p| keys.contains_key(&crate::table::days_of(p)));
    // The periods in order, with their files when both are there (a CSV part not cut
    // leaves the export to make the period's files).
    if frames.is_empty() {
        return Attained::uncached(attain::compute_in(&crate::table::district_sums_frame(&sums.all()?)?, targets, threshold, &scope)?);
    }
    let periods = frames
        .into_iter()
        .map(|(d, (frame, rows))| {
            let key = keys.get(&d).cloned();
            let stored = key.as_ref().map(|k| (dir.join(file_of(d, k)), dir.join(csv_of(d, k)))).filter(|(_, csv)| csv.is_file());
            AttainedPeriod { period: crate::table::date_from_days(d), frame, rows, key, stored }
        })
        .collect();
    Ok(Attained { periods })
}

/// Attainment (sorted by period first: each period's rows follow one another) cut by
/// period, each part in one chunk, as a period read back from its file is.
fn by_period(frame: &DataFrame) -> PolarsResult<Vec<(Option<i32>, DataFrame)>> {
    let days: Vec<Option<i32>> = frame.column("period")?.cast(&DataType::Int32)?.i32()?.iter().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    while start < days.len() {
        let end = start + days[start..].iter().take_while(|d| **d == days[start]).count();
        let mut part = frame.slice(start as i64, end - start);
        part.rechunk_mut();
        parts.push((days[start], part));
        start = end;
    }
    Ok(parts)
}

/// CSV rows cut into the periods' parts, given each period's day and number of rows, in
/// order. `None` unless every row is one line starting with its period (a text with a
/// line break in it would make a row two lines).
fn split_by_period(csv: &[u8], periods: impl Iterator<Item = (i32, usize)>) -> Option<Vec<&[u8]>> {
    let mut texts = Vec::new();
    let mut rest = csv;
    for (days, rows) in periods {
        let date = crate::table::date_from_days(days).to_string();
        let mut len = 0;
        for _ in 0..rows {
            let line = &rest[len..];
            if !line.starts_with(date.as_bytes()) || line.get(date.len()) != Some(&b',') {
                return None;
            }
            len += memchr::memchr(b'\n', line)? + 1;
        }
        let (text, after) = rest.split_at(len);
        texts.push(text);
        rest = after;
    }
    rest.is_empty().then_some(texts)
}

/// Removes from `dir` the files named `<period>-<key>.<extension>` of the run's periods
/// (`of_this_run`) other than `keep`, and anything else that is not a period's file (the
/// temporary files of an interrupted write). Other periods' files stay.
pub(crate) fn prune(dir: &Path, keep: &[String], of_this_run: impl Fn(chrono::NaiveDate) -> bool) {
    // A stored file's period, from its name.
    let period_of = |name: &str| name.get(..11)?.strip_suffix('-').and_then(|p| chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d").ok());
    let other_period = |name: &str| period_of(name).is_some_and(|p| !of_this_run(p));
    crate::export::remove_files_except(dir, |path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| keep.iter().any(|k| n == k.as_str()) || other_period(n)));
}

/// The part of every period's key that is not its own figures.
fn common_key(targets: &DataFrame, threshold: f64, scope: &Scope) -> Result<Sha256> {
    let mut h = Sha256::new();
    h.update(FORMAT);
    h.update(crate::build_stamp());
    h.update(threshold.to_bits().to_le_bytes());
    for (prov, district) in &scope.districts {
        text(&mut h, Some(prov));
        text(&mut h, Some(district));
    }
    for (group, dose) in &scope.combos {
        h.update((*group as u64).to_le_bytes());
        h.update(dose.to_le_bytes());
    }
    let mut csv = Vec::new();
    crate::export::csv_to(targets, &mut csv)?;
    h.update((csv.len() as u64).to_le_bytes());
    h.update(&csv);
    Ok(h)
}

/// Each period's key from its name: the common part and the name. None when one of
/// `periods` has none.
fn keys_from_names(periods: &[chrono::NaiveDate], common: &Sha256, names: &BTreeMap<chrono::NaiveDate, String>) -> Option<BTreeMap<i32, String>> {
    periods.iter().copied()
        .map(|d| {
            let name = names.get(&d)?;
            let mut h = common.clone();
            // Told apart from the keys hashed from figures.
            h.update(b"named\n");
            h.update(name);
            Some((crate::table::days_of(d), hex::encode(h.finalize())))
        })
        .collect()
}

/// Each period's key: the common part and every one of its figures (a district's sums
/// have no unit).
fn period_keys(sums: &[(SumKey, i64)], common: &Sha256) -> BTreeMap<i32, String> {
    let mut hashers: BTreeMap<i32, Sha256> = BTreeMap::new();
    for ((period, province, district, group, dose), n) in sums {
        let h = hashers.entry(crate::table::days_of(*period)).or_insert_with(|| common.clone());
        for t in [Some(province.as_str()), Some(district.as_str()), None, Some(group.code())] {
            text(h, t);
        }
        h.update(i32::from(*dose).to_le_bytes());
        h.update([1]);
        h.update(n.to_le_bytes());
    }
    hashers.into_iter().map(|(p, h)| (p, hex::encode(h.finalize()))).collect()
}

/// A text or none, told apart from every other (0xff is never in UTF-8).
fn text(h: &mut Sha256, t: Option<&str>) {
    match t {
        Some(t) => {
            h.update([1]);
            h.update(t);
            h.update([0xff]);
        }
        None => h.update([0]),
    }
}


#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::layout::vocab::Group;
    use crate::table::Target;
    use crate::sym::Sym;

    /// [`super::compute`] of the sums a frame of district figures holds.
    fn compute(figures: &DataFrame, targets: &DataFrame, threshold: f64, dir: &Path, named: Option<&BTreeMap<chrono::NaiveDate, String>>) -> Result<Attained> {
        super::compute(&Sums::held(sums_of(figures)), targets, threshold, dir, named)
    }

    /// The sums of a frame of district figures, as `period_sums` gives them (sorted).
    fn sums_of(df: &DataFrame) -> Vec<(SumKey, i64)> {
        let period = df.column("period").unwrap().cast(&DataType::Int32).unwrap();
        let texts = |c: &str| df.column(c).unwrap().str().unwrap().iter().map(|t| t.unwrap().to_string()).collect::<Vec<_>>();
        let (province, district, group) = (texts("province_code"), texts("district_code"), texts("group"));
        let (dose, n) = (df.column("dose").unwrap().i32().unwrap(), df.column("vaccinated").unwrap().i64().unwrap());
        let mut sums: Vec<(SumKey, i64)> = (0..df.height())
            .map(|i| {
                let period = crate::table::date_from_days(period.i32().unwrap().get(i).unwrap());
                ((period, Sym::new(&province[i]), Sym::new(&district[i]), Group::from_code(&group[i]).unwrap(), dose.get(i).unwrap() as u8), n.get(i).unwrap())
            })
            .collect();
        sums.sort();
        sums
    }

    /// The scope of the sums, from each period's districts and pairs, is the scope of
    /// their frame.
    #[test]
    fn the_scope_of_sums_is_the_scope_of_their_frame() {
        let rows = [(19000, "15.01", 1, 100), (19000, "15.02", 3, 50), (19007, "15.01", 4, 150)];
        let mut with_all = sums_of(&figures(&rows));
        with_all.push(((crate::table::date_from_days(19007), Sym::new("15"), Sym::new("15.03"), Group::All, 2), 7));
        with_all.sort();
        for sums in [sums_of(&figures(&rows)), with_all, Vec::new()] {
            let frame = crate::table::district_sums_frame(&sums).unwrap();
            let periods = Sums::held(sums.clone());
            for t in [targets(1000), targets(1000).clear()] {
                let of_periods = Scope::of_periods(periods.periods.iter().map(|p| (p.districts.as_slice(), p.combos.as_slice())), &t).unwrap();
                assert_eq!(of_periods, Scope::of(&frame, &t).unwrap(), "{sums:?}");
            }
        }
    }

    /// District figures as `table::district_figures_frame` gives them: (day, district, dose, vaccinated).
    fn figures(rows: &[(i32, &str, i32, i64)]) -> DataFrame {
        let n = rows.len();
        DataFrame::new(
            n,
            vec![
                Int32Chunked::from_vec("period".into(), rows.iter().map(|r| r.0).collect()).into_date().into_series().into(),
                Column::new("province_code".into(), vec!["15"; n]),
                Column::new("district_code".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
                Column::full_null("unit".into(), n, &DataType::String),
                Column::new("group".into(), vec!["lansia"; n]),
                Column::new("dose".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
                Column::new("vaccinated".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            ],
        )
        .unwrap()
    }

    fn targets(n: i64) -> DataFrame {
        let t = |d: &str| Target { province_code: "15".into(), district_code: d.into(), area_code: None, unit: None, group: Group::Lansia, target: n, source: "sasaran.csv".into(), sheet: "".into(), cell: "B2".into() };
        crate::table::targets_frame(&[t("15.01"), t("15.02")]).unwrap()
    }

    /// The file names in `dir`, sorted.
    pub(crate) fn stored(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        v.sort();
        v
    }

    /// The periods' Parquet files in `dir`, each with its CSV part and its history beside it.
    fn parquets(dir: &Path) -> Vec<String> {
        let all = stored(dir);
        let parquets: Vec<String> = all.iter().filter(|f| f.ends_with(".parquet") && !f.ends_with(".history.parquet")).cloned().collect();
        assert_eq!(all.len(), 3 * parquets.len(), "{all:?}");
        assert!(parquets.iter().all(|f| all.contains(&f.replace(".parquet", ".csv")) && all.contains(&f.replace(".parquet", ".history.parquet"))), "{all:?}");
        parquets
    }

    /// [`compute`]'s frame, checking that each period's files hold its rows of the
    /// frame as the export would write them from the frame.
    fn checked(figures: &DataFrame, targets: &DataFrame, threshold: f64, dir: &Path) -> Result<DataFrame> {
        let got = compute(figures, targets, threshold, dir, None)?;
        for p in &got.periods {
            let (parquet, csv) = p.stored.as_ref().expect("every period has its files");
            let whole = p.whole_frame()?;
            let (mut want_parquet, mut want_csv, mut want_history) = (Vec::new(), Vec::new(), Vec::new());
            period_parquet(&whole, &mut want_parquet)?;
            crate::export::csv_body_to(&whole, &mut want_csv)?;
            history_parquet(&whole.as_ref().clone().lazy().filter(history_rows()).collect()?, &mut want_history)?;
            let content = |path: &Path| crate::sealed::read(path).expect("sealed").to_vec();
            assert!(content(parquet) == want_parquet, "{}", parquet.display());
            assert_eq!(String::from_utf8(content(csv)).unwrap(), String::from_utf8(want_csv).unwrap());
            assert!(content(&parquet.with_extension("history.parquet")) == want_history, "{}", parquet.display());
            assert_eq!(p.frame.first_col_n_chunks(), 1);
            assert_eq!(p.rows, whole.height());
        }
        Ok(got.frame())
    }

    /// The rows a run reads ([`Attained::rows_read`]) give the reports the same rows as
    /// all of them ([`crate::report::keep_rows_read`] after either), the same gates, and
    /// fewer rows: with a province that sent nothing one week (its rows are there,
    /// without figures), several groups and doses, and reports on the last period and on
    /// an earlier one (later periods are kept whole). Read back from the cache, where
    /// each period's history alone is held, they are the same rows.
    #[test]
    fn the_rows_read_are_what_the_reports_and_gates_read_of_all_rows() {
        let mut rows: Vec<(i32, &str, &str, &str, i32, i64)> = Vec::new();
        for w in 0..6 {
            let day = 18_993 + 7 * w;
            let n = i64::from(w);
            for (province, district) in [("15", "15.01"), ("15", "15.02"), ("16", "16.01")] {
                // Province 16 sends nothing the fifth week.
                if province == "16" && w == 4 {
                    continue;
                }
                for (group, dose) in [("lansia", 1), ("lansia", 2), ("remaja", 1), ("remaja", 3), ("sdmk", 2)] {
                    rows.push((day, province, district, group, dose, 40 + 10 * n + i64::from(dose)));
                }
            }
        }
        let n = rows.len();
        let figures = DataFrame::new(
            n,
            vec![
                Int32Chunked::from_vec("period".into(), rows.iter().map(|r| r.0).collect()).into_date().into_series().into(),
                Column::new("province_code".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
                Column::new("district_code".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
                Column::full_null("unit".into(), n, &DataType::String),
                Column::new("group".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
                Column::new("dose".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
                Column::new("vaccinated".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
            ],
        )
        .unwrap();
        let target = |p: &str, d: &str, group| Target { province_code: p.into(), district_code: d.into(), area_code: None, unit: None, group, target: 500, source: "sasaran.csv".into(), sheet: "".into(), cell: "B2".into() };
        let targets: Vec<Target> = [("15", "15.01"), ("15", "15.02"), ("16", "16.01")].iter().flat_map(|(p, d)| [target(p, d, Group::Lansia), target(p, d, Group::Remaja)]).collect();
        let targets = crate::table::targets_frame(&targets).unwrap();
        let attained = Attained::uncached(attain::compute(&figures, &targets, 0.7).unwrap()).unwrap();
        // The same read back from the cache: each period's history alone held.
        let dir = tempfile::tempdir().unwrap();
        compute(&figures, &targets, 0.7, dir.path(), None).unwrap();
        let cached = compute(&figures, &targets, 0.7, dir.path(), None).unwrap();
        assert!(cached.periods.iter().all(|p| p.frame.height() < p.rows), "histories are read");
        for (p, whole) in cached.periods.iter().zip(&attained.periods) {
            assert_eq!(attain::rows_from_frame(&p.frame).unwrap(), attain::rows_from_frame_where(&whole.frame, is_history_row).unwrap(), "{}", p.period);
        }
        let all = attained.rows().unwrap();
        let rules = crate::gates::GateRules::default();
        for period in [attained.periods[5].period, attained.periods[3].period] {
            let mut read = attained.rows_read(period, &Default::default()).unwrap();
            assert!(read.len() < all.len(), "{} of {}", read.len(), all.len());
            assert_eq!(cached.rows_read(period, &Default::default()).unwrap(), read, "from the cache, {period}");
            // Every row of a period compared with a previous export.
            let compared = attained.periods[1].period;
            let with = attained.rows_read(period, &[compared].into()).unwrap();
            assert_eq!(cached.rows_read(period, &[compared].into()).unwrap(), with, "from the cache, {period}, {compared} compared");
            assert_eq!(with.iter().filter(|r| r.period == compared).collect::<Vec<_>>(), all.iter().filter(|r| r.period == compared).collect::<Vec<_>>());
            assert_eq!(crate::gates::compute(&read, &rules), crate::gates::compute(&all, &rules));
            let mut reported = all.clone();
            crate::report::keep_rows_read(&mut reported, period);
            crate::report::keep_rows_read(&mut read, period);
            assert_eq!(read, reported, "{period}");
        }
    }

    /// Several periods are computed as two halves side by side: the rows, their order
    /// and the ranks are those of one query over all of them, in one chunk.
    #[test]
    fn periods_in_two_halves_are_the_rows_of_one_query() {
        for weeks in [2, 3, 7] {
            let rows: Vec<(i32, &str, i32, i64)> = (0..weeks)
                .flat_map(|w| {
                    let day = 18_993 + 7 * w;
                    let n = i64::from(w);
                    // 15.02 overtakes 15.01 from the third week; 15.02 sends nothing the second.
                    let mut r = vec![(day, "15.01", 1, 100 + 10 * n), (day, "15.01", 2, 30 + n)];
                    if w != 1 {
                        r.push((day, "15.02", 1, 60 + 40 * n));
                    }
                    r
                })
                .collect();
            let (f, t) = (figures(&rows), targets(1000));
            let scope = Scope::of(&f, &t).unwrap();
            let halves = attain::compute_in(&f, &t, 0.7, &scope).unwrap();
            let one = attain::compute_periods(&f, &t, 0.7, &scope).unwrap();
            assert!(halves.equals_missing(&one), "{weeks} weeks:\n{halves}\n{one}");
            assert_eq!(halves.first_col_n_chunks(), 1);
            assert_eq!(halves.column("period").unwrap().n_unique().unwrap(), weeks as usize);
        }
    }

    /// Rows are cut at their periods; a row that is not one line starting with its
    /// period leaves nothing cut.
    #[test]
    fn csv_rows_are_cut_by_period_only_when_each_is_one_line() {
        let csv = b"2022-01-08,a,1\n2022-01-08,b,2\n2022-01-15,a,3\n";
        let got = split_by_period(csv, [(19000, 2), (19007, 1)].into_iter()).unwrap();
        assert_eq!(got, [&b"2022-01-08,a,1\n2022-01-08,b,2\n"[..], &b"2022-01-15,a,3\n"[..]]);
        assert!(split_by_period(csv, [(19000, 1), (19007, 2)].into_iter()).is_none());
        assert!(split_by_period(csv, [(19000, 2)].into_iter()).is_none());
        assert!(split_by_period(b"2022-01-08,\"a\nb\",1\n", [(19000, 1)].into_iter()).is_none());
    }

    /// Periods named by their files are kept under their names: a period whose name
    /// stays keeps its file, a renamed one is computed again; a period without a name
    /// makes every key come from the figures, as without names.
    #[test]
    fn named_periods_are_kept_under_their_names() {
        let (dir, plain) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (dir, plain) = (dir.path(), plain.path());
        let names = |pairs: &[(i32, &str)]| pairs.iter().map(|(d, n)| (crate::table::date_from_days(*d), n.to_string())).collect::<BTreeMap<_, _>>();
        let weeks = figures(&[(19000, "15.01", 1, 100), (19007, "15.01", 1, 150)]);
        let got = compute(&weeks, &targets(1000), 0.7, dir, Some(&names(&[(19000, "a"), (19007, "b")]))).unwrap();
        assert!(got.frame().equals_missing(&attain::compute(&weeks, &targets(1000), 0.7).unwrap()));
        let named = parquets(dir);
        // Renamed, with the same figures: computed again under the new name.
        let got = compute(&weeks, &targets(1000), 0.7, dir, Some(&names(&[(19000, "a"), (19007, "b2")]))).unwrap();
        assert!(got.frame().equals_missing(&attain::compute(&weeks, &targets(1000), 0.7).unwrap()));
        let files = parquets(dir);
        assert_eq!(files[0], named[0]);
        assert_ne!(files[1], named[1]);
        let changed = figures(&[(19000, "15.01", 1, 100), (19007, "15.01", 1, 170)]);
        let got = compute(&changed, &targets(1000), 0.7, dir, Some(&names(&[(19000, "a"), (19007, "c")]))).unwrap();
        assert!(got.frame().equals_missing(&attain::compute(&changed, &targets(1000), 0.7).unwrap()));
        let now = parquets(dir);
        assert_eq!(now[0], files[0]);
        assert_ne!(now[1], files[1]);
        let got = compute(&changed, &targets(1000), 0.7, dir, Some(&names(&[(19000, "a")]))).unwrap();
        assert!(got.frame().equals_missing(&attain::compute(&changed, &targets(1000), 0.7).unwrap()));
        compute(&changed, &targets(1000), 0.7, plain, None).unwrap();
        assert_eq!(parquets(dir), parquets(plain));
    }

    /// Taken from the cache or not, the frame is attainment's own; a period is computed
    /// again only when its figures, the targets or the districts of the run change.
    #[test]
    fn cached_periods_give_the_same_attainment_and_change_with_their_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let weeks = figures(&[(19000, "15.01", 1, 100), (19000, "15.02", 1, 50), (19007, "15.01", 1, 150), (19007, "15.02", 1, 70)]);
        let first = checked(&weeks, &targets(1000), 0.7, dir).unwrap();
        assert!(first.equals_missing(&attain::compute(&weeks, &targets(1000), 0.7).unwrap()));
        let files = parquets(dir);
        assert_eq!(files.len(), 2);
        assert!(files[0].starts_with("2022-01-08-") && files[1].starts_with("2022-01-15-"), "{files:?}");

        // Unchanged: read back, the same frame, nothing rewritten.
        let modified = |f: &str| std::fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        let before: Vec<_> = files.iter().map(|f| modified(f)).collect();
        assert!(checked(&weeks, &targets(1000), 0.7, dir).unwrap().equals_missing(&first));
        assert_eq!(files.iter().map(|f| modified(f)).collect::<Vec<_>>(), before);

        // A new week: only it is added; the earlier files stay.
        let three = figures(&[(19000, "15.01", 1, 100), (19000, "15.02", 1, 50), (19007, "15.01", 1, 150), (19007, "15.02", 1, 70), (19014, "15.01", 1, 160)]);
        let got = checked(&three, &targets(1000), 0.7, dir).unwrap();
        assert!(got.equals_missing(&attain::compute(&three, &targets(1000), 0.7).unwrap()));
        let now = parquets(dir);
        assert_eq!(now.len(), 3);
        assert_eq!(&now[..2], &files[..]);

        // A week's figures changed: that week is computed again, its old file removed.
        let changed = figures(&[(19000, "15.01", 1, 100), (19000, "15.02", 1, 50), (19007, "15.01", 1, 150), (19007, "15.02", 1, 90), (19014, "15.01", 1, 160)]);
        let got = checked(&changed, &targets(1000), 0.7, dir).unwrap();
        assert!(got.equals_missing(&attain::compute(&changed, &targets(1000), 0.7).unwrap()));
        assert!(!got.equals_missing(&attain::compute(&three, &targets(1000), 0.7).unwrap()));
        let after = parquets(dir);
        assert_eq!(after.len(), 3);
        assert_eq!(after[0], now[0]);
        assert!(after[1] != now[1] && after[2] == now[2]);

        // A district first seen in the new week gets (empty) rows in every week; new
        // targets change every week.
        let newcomer = figures(&[(19000, "15.01", 1, 100), (19000, "15.02", 1, 50), (19007, "15.01", 1, 150), (19007, "15.02", 1, 90), (19014, "15.03", 1, 10)]);
        for (figs, t) in [(&newcomer, targets(1000)), (&newcomer, targets(2000))] {
            let got = checked(figs, &t, 0.7, dir).unwrap();
            assert!(got.equals_missing(&attain::compute(figs, &t, 0.7).unwrap()));
            let files = parquets(dir);
            assert_eq!(files.len(), 3);
            assert!(files.iter().all(|f| !after.contains(f)));
        }

        // A run over fewer periods (an earlier week re-rendered into the same folder)
        // leaves the other periods' files for the next run over all of them.
        let all = parquets(dir);
        let first_week = figures(&[(19000, "15.01", 1, 100), (19000, "15.02", 1, 50)]);
        checked(&first_week, &targets(2000), 0.7, dir).unwrap();
        let kept = parquets(dir);
        assert!(all[1..].iter().all(|f| kept.contains(f)), "{all:?} {kept:?}");
        let before: Vec<_> = all[1..].iter().map(|f| modified(f)).collect();
        assert!(checked(&newcomer, &targets(2000), 0.7, dir).unwrap().equals_missing(&attain::compute(&newcomer, &targets(2000), 0.7).unwrap()));
        assert_eq!(all[1..].iter().map(|f| modified(f)).collect::<Vec<_>>(), before);
        assert_eq!(parquets(dir).len(), 3, "the first week's file under the other key is gone");

        // A damaged file is computed again.
        let victim = dir.join(&parquets(dir)[0]);
        std::fs::write(&victim, b"not parquet").unwrap();
        let got = checked(&newcomer, &targets(2000), 0.7, dir).unwrap();
        assert!(got.equals_missing(&attain::compute(&newcomer, &targets(2000), 0.7).unwrap()));
        assert!(std::fs::read(&victim).unwrap() != b"not parquet");

        // A period without its CSV part (a run stopped between the two writes) is
        // computed again, and the part written.
        let part = dir.join(parquets(dir)[1].replace(".parquet", ".csv"));
        std::fs::remove_file(&part).unwrap();
        checked(&newcomer, &targets(2000), 0.7, dir).unwrap();
        assert!(part.is_file());
    }
}
