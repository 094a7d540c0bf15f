//! The checks carried from one run to the next, so that a weekly run over a year's
//! folder checks the week that is new against what it needs of the year (0.4 s of a
//! weekly run went to checking the whole year again).
//!
//! A run reporting on its latest period keeps, in `<cache>/checks/`, the periods it
//! checked (each with its key from its files, [`crate::period_keys`]), its findings of
//! the checks that compare a district's figures (with their places' sort keys) and the
//! [`Carry`]: each place's last count, each district's last counts for the jump rule,
//! each district's latest figure. The next run whose periods begin with exactly those
//! (same keys, same build, same rules) and that reports on its own latest period checks
//! only the periods after them, with the carry standing in for the earlier ones, and
//! merges the findings in the checks' order. Anything else checks everything: the
//! periods still in the cache a batch at a time, each batch carried on from those before
//! in the same way (`Chain`). Coverage and staleness are about the report's period and
//! are always found afresh.

use crate::attain::AttainRow;
use crate::checks::{self, Carry, CheckRules, Keyed};
use crate::findings::Finding;
use crate::export::Periods;
use crate::table::{Lists, Observation, Observations, Target};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::SerReader;
use std::collections::BTreeMap;
use std::path::Path;

/// What changes the meaning of the kept state: bumped when the checks change.
const FORMAT: &str = "sitrep checks carried, 2";
const STATE: &str = "state.json";
const CARRY: &str = "carry.parquet";

#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    format: String,
    build: String,
    jump_factor: f64,
    jump_weeks: usize,
    /// The periods checked, oldest first, with their keys.
    covered: Vec<(NaiveDate, String)>,
    /// Counts down, dose 2, booster, jumps.
    lists: [Keyed; 4],
    /// The carry's file: its SHA-256, and how many figures of each part it holds.
    carry_sha256: String,
    carry_parts: [usize; 3],
    /// The carry's texts, numbered in its file ([`crate::cache::encode`]).
    carry_texts: Vec<String>,
}

/// The state being written for the next run, beside the rest of this one.
pub type Keeping = Option<std::thread::JoinHandle<Result<()>>>;

/// The state the last run kept, when this run carries on from it.
pub struct Earlier(Option<(State, Carry)>);

impl Earlier {
    /// None: the checks do not carry on.
    pub fn none() -> Earlier {
        Earlier(None)
    }

    /// Whether the checks ([`run`]) check every period: without the cache or the periods'
    /// keys, or with no kept state to carry on from.
    pub fn checks_every_period(&self, keys: Option<&BTreeMap<NaiveDate, String>>, cached: bool) -> bool {
        !cached || keys.is_none() || self.0.is_none()
    }

    /// The last period the kept state covers: the checks need the rows of the later
    /// periods only. `None`: they need every period's rows.
    pub fn checked_through(&self) -> Option<NaiveDate> {
        self.0.as_ref().and_then(|(s, _)| s.covered.last()).map(|(p, _)| *p)
    }
}

/// The state the last run kept in `dir` (`None`: no cache), when written by this build
/// under these rules and whole; [`earlier`] says whether this run carries on from it.
/// Read beside the run's files: it needs none of them.
pub fn kept(dir: Option<&Path>, rules: &CheckRules) -> Earlier {
    Earlier(dir.and_then(|d| load(d, rules)))
}

/// The [`kept`] state when its periods are this run's first ones unchanged and the
/// report is on the latest period (the jump rule stops at it).
pub fn earlier(keys: Option<&BTreeMap<NaiveDate, String>>, period: NaiveDate, kept: Earlier) -> Earlier {
    let Some(keys) = keys else { return Earlier(None) };
    if keys.keys().next_back() != Some(&period) {
        return Earlier(None);
    }
    let periods: Vec<(NaiveDate, String)> = keys.iter().map(|(p, k)| (*p, k.clone())).collect();
    Earlier(kept.0.filter(|(s, _)| periods.starts_with(&s.covered)))
}

/// What the checks found from the figures themselves, with what the rest needs of them
/// (the report's period's figures): a run holds a year's figures only until it has this.
/// [`Found::finish`] adds coverage above 100%, from the attainment rows.
pub struct Found {
    lists: [Keyed; 4],
    stale: Vec<Finding>,
    of_period: Vec<Observation>,
    period: NaiveDate,
    keeping: Keeping,
}

impl Found {
    /// The checks' findings in their order, and the state being kept for the next run.
    pub fn finish(self, targets: &[Target], rows: &[AttainRow], rules: &CheckRules) -> (Vec<Finding>, Keeping) {
        let coverage = checks::coverage_above_full(rows, self.period, targets, &self.of_period);
        (checks::assemble(self.lists, coverage, self.stale, rules), self.keeping)
    }
}

/// [`checks::run`] but for coverage ([`Found::finish`]), carried on from the last run's
/// state when its periods are this run's first ones unchanged; the state is then written
/// for the next run, on a thread of its own (the run waits for it before it ends:
/// [`finish`]). `keys`: the periods' keys from their files (none without the cache).
/// `earlier`: as [`earlier`] found it for the same keys, period, rules and `dir`.
/// `periods`: the table's periods, for those whose rows are still in the cache.
/// `fed`: the checks of every period as the canonical table's pass fed them ([`Fed`]),
/// needed when they check every period and some periods' rows are still in the cache.
#[allow(clippy::too_many_arguments)]
pub fn run(obs: &Observations, periods: &Periods, keys: Option<&BTreeMap<NaiveDate, String>>, earlier: Earlier, period: NaiveDate, rules: &CheckRules, dir: Option<&Path>, fed: Option<&Fed>) -> Result<Found> {
    let of_period: Vec<Observation> = obs.iter().filter(|o| o.period == period).copied().collect();
    // Every period checked: without the cache, or with no state to carry on from.
    let afresh = || -> Result<([Keyed; 4], Carry, Vec<Finding>)> {
        if !periods.any_in_cache() {
            let (lists, carry) = checks::per_district(obs, period, rules);
            return Ok((lists, carry, checks::stale_districts(obs, period, rules.stale_after_days)));
        }
        // Some periods' rows are still in the cache (a year's first run, a report on an
        // earlier week, or an earlier week changed): checked a batch of periods at a time,
        // each carried on from the ones before (a year's rows decoded at once were 480 MB),
        // as the canonical table's pass fed them (the run feeds them whenever the checks
        // check every period: [`Earlier::checks_every_period`]).
        let fed = fed.context("the checks were not fed the periods still in the cache")?;
        Ok(fed.take().finish(period, rules))
    };
    let (Some(dir), Some(keys)) = (dir, keys) else {
        let (lists, _, stale) = afresh()?;
        return Ok(Found { lists, stale, of_period, period, keeping: None });
    };
    let covered: Vec<(NaiveDate, String)> = keys.iter().map(|(p, k)| (*p, k.clone())).collect();
    // Kept only when the report is on the latest period: the jump rule stops at it.
    let keeping = covered.last().is_some_and(|(p, _)| *p == period);
    let Earlier(earlier) = earlier;
    // The same periods as the last run (a run again over the same files): nothing to
    // check again or to keep.
    let unchanged = earlier.as_ref().is_some_and(|(s, _)| s.covered.len() == covered.len());
    let (lists, carry, stale) = match earlier {
        Some((state, carry)) if unchanged => {
            let stale = checks::stale_districts(&carry.latest, period, rules.stale_after_days);
            (state.lists, carry, stale)
        }
        Some((state, carry)) => {
            let through = state.covered.last().map(|(p, _)| *p);
            // A weekly run's new rows are its report period's, gathered above: not copied again.
            let is_new = |o: &&Observation| Some(o.period) > through;
            let new: std::borrow::Cow<[Observation]> = if Some(period) > through && obs.iter().filter(is_new).all(|o| o.period == period) {
                std::borrow::Cow::Borrowed(&of_period)
            } else {
                std::borrow::Cow::Owned(obs.iter().filter(is_new).copied().collect())
            };
            let (lists, carry) = carried_on(state.lists, carry, through, &[&new], period, rules);
            let stale = checks::stale_districts(&carry.latest, period, rules.stale_after_days);
            (lists, carry, stale)
        }
        None => afresh()?,
    };
    let saving = (keeping && !unchanged).then(|| {
        let (dir, rules, kept) = (dir.to_path_buf(), rules.clone(), lists.clone());
        std::thread::spawn(move || save(&dir, &rules, covered, &kept, &carry))
    });
    Ok(Found { lists, stale, of_period, period, keeping: saving })
}

/// The checks of `new` (the rows of the periods after `through`) carried on from the
/// findings and the carry of the periods up to it: each check on its own rows, and only
/// it. Counts down and doses on each place's last checked figure and the new ones (doses
/// in the new periods only), jumps on the points they look back to and the new ones.
fn carried_on(lists: [Keyed; 4], carry: Carry, through: Option<NaiveDate>, new: &[&[Observation]], period: NaiveDate, rules: &CheckRules) -> ([Keyed; 4], Carry) {
    // The carried figures before the new rows, borrowed (a batch of periods is up to half
    // a million rows).
    fn joined<'a>(before: &'a [Observation], new: &[&'a [Observation]]) -> Vec<&'a [Observation]> {
        std::iter::once(before).chain(new.iter().copied()).collect()
    }
    let with = |before| joined(before, new);
    let (places, jumps) = (checks::Wanted { places: true, doses_after: through, jumps: false, latest: false }, checks::Wanted { places: false, doses_after: None, jumps: true, latest: false });
    let ([down, dose2, booster, _], place_last) = {
        let (found, carry) = checks::per_district_wanted(Lists(&with(&carry.place_last)), period, rules, places);
        (found, carry.place_last)
    };
    let (jumped, jump_points) = {
        let ([.., jumped], carry) = checks::per_district_wanted(Lists(&with(&carry.jump_points)), period, rules, jumps);
        (jumped, carry.jump_points)
    };
    let latest = checks::latest_figures(Lists(&with(&carry.latest)), period).into_iter().copied().collect();
    let [d, t2, t3, j] = lists;
    ([merged(d, down), merged(t2, dose2), merged(t3, booster), merged(j, jumped)], Carry { place_last, jump_points, latest })
}

/// The checks of every period, fed a batch of periods at a time, oldest first: the
/// first batch checked on its own, each later one carried on from those before.
#[derive(Default)]
struct Chain {
    /// The findings and the carry so far, and the last period they cover.
    so_far: Option<([Keyed; 4], Carry, NaiveDate)>,
}

impl Chain {
    /// Checks `rows` (runs of the files' lists), the rows of the periods after the last
    /// batch's up to `last`.
    fn add(&mut self, last: NaiveDate, rows: &[&[Observation]], period: NaiveDate, rules: &CheckRules) {
        self.so_far = Some(match self.so_far.take() {
            None => {
                let (lists, carry) = checks::per_district_wanted(Lists(rows), period, rules, checks::Wanted::ALL);
                (lists, carry, last)
            }
            Some((lists, carry, through)) => {
                let (lists, carry) = carried_on(lists, carry, Some(through), rows, period, rules);
                (lists, carry, last)
            }
        });
    }

    /// The findings, the carry, and the stale districts (from each district's latest figure).
    fn finish(self, period: NaiveDate, rules: &CheckRules) -> ([Keyed; 4], Carry, Vec<Finding>) {
        let (lists, carry, _) = self.so_far.unwrap_or_default();
        let stale = checks::stale_districts(&carry.latest, period, rules.stale_after_days);
        (lists, carry, stale)
    }
}

/// The checks of every period fed a batch at a time by the canonical table's pass over
/// the periods ([`crate::export::canonical_table`]), when they have no state to carry on
/// from and rows are still in the cache ([`Earlier::checks_every_period`]): a year's rows
/// are then decoded once for both (the checks' own decoding was 0.3–0.4 CPU-s and 50–100
/// thousand page faults of a year's first run).
pub struct Fed<'r> {
    chain: std::sync::Mutex<Chain>,
    period: NaiveDate,
    rules: &'r CheckRules,
}

impl<'r> Fed<'r> {
    /// For a report on `period` under `rules`.
    pub fn new(period: NaiveDate, rules: &'r CheckRules) -> Fed<'r> {
        Fed { chain: Default::default(), period, rules }
    }

    /// The checks fed so far.
    fn take(&self) -> Chain {
        std::mem::take(&mut *self.chain.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl crate::export::InOrder for Fed<'_> {
    /// Checks the batch, carried on from the batches before it.
    fn add_batch(&self, last: NaiveDate, rows: &[&[Observation]]) {
        self.chain.lock().unwrap_or_else(std::sync::PoisonError::into_inner).add(last, rows, self.period, self.rules);
    }
}

/// Waits for the state to be written.
pub fn finish(keeping: Keeping) -> Result<()> {
    match keeping {
        Some(thread) => thread.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the thread stopped"))).context("keeping the checks for the next run"),
        None => Ok(()),
    }
}

/// `earlier` and `later` (each in the checks' order) in the checks' order: by place, and
/// within a place the earlier periods' findings first.
fn merged(earlier: Keyed, later: Keyed) -> Keyed {
    if later.is_empty() {
        return earlier;
    }
    let mut out = Vec::with_capacity(earlier.len() + later.len());
    let mut later = later.into_iter().peekable();
    for e in earlier {
        while later.peek().is_some_and(|l| l.0 < e.0) {
            out.extend(later.next());
        }
        out.push(e);
    }
    out.extend(later);
    out
}

fn save(dir: &Path, rules: &CheckRules, covered: Vec<(NaiveDate, String)>, lists: &[Keyed; 4], carry: &Carry) -> Result<()> {
    let all: Vec<&Observation> = carry.place_last.iter().chain(&carry.jump_points).chain(&carry.latest).collect();
    let (frame, texts) = crate::cache::encode(&all)?;
    let mut bytes = Vec::new();
    crate::export::parquet_batches(std::iter::once(Ok(frame)), polars::prelude::ParquetCompression::Uncompressed, &mut bytes)?;
    // The carry first: a state naming a carry that is not there is not used.
    crate::export::write_atomic(dir, CARRY, &bytes)?;
    let state = State {
        format: FORMAT.into(),
        build: crate::build_stamp(),
        jump_factor: rules.jump_factor,
        jump_weeks: rules.jump_weeks,
        covered,
        lists: lists.clone(),
        carry_sha256: crate::export::sha256_hex(&bytes),
        carry_parts: [carry.place_last.len(), carry.jump_points.len(), carry.latest.len()],
        carry_texts: texts,
    };
    crate::sealed::write(dir, STATE, &serde_json::to_vec(&state)?)?;
    // What a run stopped while writing left behind.
    crate::export::remove_files_except(dir, |path| path.file_name().is_some_and(|n| n == STATE || n == CARRY));
    Ok(())
}

/// The last run's state and carry, when written by this build under these rules and
/// whole; `None` otherwise.
fn load(dir: &Path, rules: &CheckRules) -> Option<(State, Carry)> {
    let state: State = serde_json::from_slice(&crate::sealed::read(&dir.join(STATE))?).ok()?;
    if state.format != FORMAT || state.build != crate::build_stamp() || state.jump_factor != rules.jump_factor || state.jump_weeks != rules.jump_weeks {
        return None;
    }
    let bytes = crate::mapped::own_file(&dir.join(CARRY)).ok()?;
    if crate::export::sha256_hex(&bytes) != state.carry_sha256 {
        return None;
    }
    let df = polars::prelude::ParquetReader::new(std::io::Cursor::new(&bytes[..])).finish().ok()?;
    let mut all = crate::cache::decode(&df, &state.carry_texts)?.into_iter();
    let [a, b, c] = state.carry_parts;
    if a + b + c != all.len() {
        return None;
    }
    let carry = Carry { place_last: all.by_ref().take(a).collect(), jump_points: all.by_ref().take(b).collect(), latest: all.collect() };
    Some((state, carry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::vocab::Group;

    /// A small generator of figures (xorshift), so that each case is the same every run.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn day(week: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Duration::weeks(week as i64)
    }

    /// Weekly cumulative counts per place that mostly rise, sometimes fall back, jump, or
    /// come as two rows; doses above the dose before; districts that stop reporting.
    /// Files are a district's week, in date order as their folders sort.
    fn figures(rng: &mut Rng, weeks: u32) -> Vec<Vec<Observation>> {
        let mut files = Vec::new();
        let places: Vec<(&str, Option<&str>, Option<&str>, Group)> = vec![
            ("15.01", Some("15.01.01"), None, Group::Lansia),
            ("15.01", Some("15.01.02"), None, Group::Lansia),
            ("15.01", None, Some("RSUD"), Group::Sdmk),
            ("15.02", Some("15.02.01"), None, Group::Lansia),
            ("15.02", Some("15.02.01"), None, Group::Remaja),
            ("15.03", Some("15.03.05"), None, Group::Anak),
        ];
        let mut level: Vec<[i64; 3]> = vec![[100, 80, 10]; places.len()];
        let stops = [weeks, weeks, weeks.saturating_sub(rng.below(4) as u32)];
        for w in 0..weeks {
            for (d, district) in ["15.01", "15.02", "15.03"].into_iter().enumerate() {
                if w >= stops[d] || rng.below(10) == 0 {
                    continue;
                }
                let mut rows = Vec::new();
                for (i, (_, area, unit, group)) in places.iter().enumerate().filter(|(_, p)| p.0 == district) {
                    for dose in 1..=3u8 {
                        let n = &mut level[i][dose as usize - 1];
                        *n += match rng.below(12) {
                            0 => -(rng.below(40) as i64),
                            1 => 200 + rng.below(400) as i64,
                            _ => rng.below(30) as i64,
                        };
                        let o = Observation {
                            period: day(w),
                            province_code: "15".into(),
                            district_code: district.into(),
                            area_code: area.map(Into::into),
                            unit: unit.map(Into::into),
                            group: *group,
                            dose,
                            vaccinated: *n,
                            source: format!("{}/{district}.xlsx", day(w)).as_str().into(),
                            sheet: "S".into(),
                            cell: format!("C{}", rows.len() + 2).as_str().into(),
                        };
                        // Sometimes the count comes as two rows of one table.
                        if rng.below(8) == 0 {
                            let part = o.vaccinated / 3;
                            rows.push(Observation { vaccinated: part, ..o });
                            rows.push(Observation { vaccinated: o.vaccinated - part, cell: "D9".into(), ..o });
                        } else {
                            rows.push(o);
                        }
                    }
                }
                files.push(rows);
            }
        }
        files
    }

    /// The findings, once the state is written.
    fn done((found, keeping): (Vec<Finding>, Keeping)) -> Vec<Finding> {
        finish(keeping).unwrap();
        found
    }

    fn keys_of(obs: &Observations, changed: Option<NaiveDate>) -> BTreeMap<NaiveDate, String> {
        crate::table::periods(obs).into_iter().map(|p| (p, format!("{p}{}", if Some(p) == changed { "*" } else { "" }))).collect()
    }

    /// [`run`] given the rows a run gives it: after [`earlier`], those of the periods it
    /// says it needs (the others stay in the cache), each file's rows whole.
    fn as_a_run(obs: &Observations, keys: &BTreeMap<NaiveDate, String>, period: NaiveDate, rules: &CheckRules, dir: &Path) -> (Vec<Finding>, Keeping) {
        let earlier = earlier(Some(keys), period, kept(Some(dir), rules));
        let through = earlier.checked_through();
        let needed = |o: &Observation| o.period == period || through.is_none_or(|t| o.period > t);
        let given: Observations = obs.files().filter(|f| f.iter().any(needed)).map(|f| f.to_vec()).collect();
        let periods = Periods::new(&given, Some(keys), None);
        run(&given, &periods, Some(keys), earlier, period, rules, Some(dir), None).unwrap().finish(&[], &[], rules)
    }

    /// Carried on from earlier runs (one week added at a time, or several), the checks
    /// find what checking every week at once finds, in the same order; a run whose
    /// earlier weeks changed, or that reports on an earlier week, checks everything.
    #[test]
    fn checks_carried_on_find_what_checking_everything_finds() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut carried_on = 0;
        let mut seen = [0usize; 4];
        let mut reruns = 0;
        for case in 0..60 {
            let weeks = 5 + rng.below(6) as u32;
            let rules = CheckRules { jump_factor: 2.0 + rng.below(5) as f64, jump_weeks: 1 + rng.below(3) as usize, stale_after_days: 7, skip: Vec::new() };
            let files = figures(&mut rng, weeks);
            let dir = tempfile::tempdir().unwrap();
            let mut found_any = false;
            // Runs over the first weeks, then more, as weekly runs do.
            let mut upto = 1 + rng.below(3) as u32;
            while upto <= weeks {
                let obs: Observations = files.iter().filter(|f| f[0].period < day(upto)).cloned().collect();
                let Some(&last) = crate::table::periods(&obs).last() else {
                    upto += 1;
                    continue;
                };
                let carried = load(dir.path(), &rules).is_some_and(|(s, _)| keys_of(&obs, None).into_iter().collect::<Vec<_>>().starts_with(&s.covered) && s.covered.len() < keys_of(&obs, None).len());
                carried_on += carried as usize;
                let got = done(as_a_run(&obs, &keys_of(&obs, None), last, &rules, dir.path()));
                let whole = checks::run(&obs, &[], &[], last, &rules);
                assert_eq!(got, whole, "case {case}, weeks up to {upto}, carried on: {carried}");
                found_any |= !whole.is_empty();
                // The same files again (a rerun): the kept findings, as they were.
                if rng.below(3) == 0 {
                    assert!(load(dir.path(), &rules).is_some_and(|(s, _)| s.covered.len() == keys_of(&obs, None).len()));
                    assert_eq!(done(as_a_run(&obs, &keys_of(&obs, None), last, &rules, dir.path())), whole, "case {case}, rerun up to {upto}");
                    reruns += 1;
                }
                if carried {
                    for (i, code) in ["count_went_down", "dose2_above_dose1", "unusual_jump", "stale_district"].into_iter().enumerate() {
                        seen[i] += whole.iter().filter(|f| f.code == code).count();
                    }
                }
                upto += 1 + rng.below(2) as u32;
            }
            assert!(found_any || case > 0, "the first case finds something");
            // An earlier week changed: everything is checked again, and found the same.
            let obs: Observations = files.iter().cloned().collect();
            let periods = crate::table::periods(&obs);
            let keys = keys_of(&obs, periods.first().copied());
            let last = *periods.last().unwrap();
            assert_eq!(done(as_a_run(&obs, &keys, last, &rules, dir.path())), checks::run(&obs, &[], &[], last, &rules));
            // A report on an earlier week: everything checked, nothing kept for it.
            let earlier = periods[periods.len() / 2];
            assert_eq!(done(as_a_run(&obs, &keys, earlier, &rules, dir.path())), checks::run(&obs, &[], &[], earlier, &rules));
        }
        assert!(carried_on > 60, "the state was used {carried_on} times");
        // Carried-on runs met every kind of finding, many times.
        assert!(seen.iter().all(|n| *n > 20), "{seen:?}");
        assert!(reruns > 20, "{reruns} reruns");
    }

    /// Checked a batch of weeks at a time (as when the weeks' rows are still in the
    /// cache), each batch carried on from those before, the checks find what checking
    /// every week at once finds, in the same order, for a report on any week.
    #[test]
    fn checks_chained_over_batches_find_what_checking_everything_finds() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut chained = 0;
        for case in 0..60 {
            let weeks = 4 + rng.below(8) as u32;
            let rules = CheckRules { jump_factor: 2.0 + rng.below(5) as f64, jump_weeks: 1 + rng.below(3) as usize, stale_after_days: 7, skip: Vec::new() };
            let files = figures(&mut rng, weeks);
            let obs: Observations = files.iter().cloned().collect();
            let periods = crate::table::periods(&obs);
            let period = periods[rng.below(periods.len() as u64) as usize];
            // The weeks cut into batches of one to three.
            // Fed as the canonical table's pass feeds them.
            let fed = Fed::new(period, &rules);
            let mut at = 0;
            while at < periods.len() {
                let batch = &periods[at..(at + 1 + rng.below(3) as usize).min(periods.len())];
                let rows: Vec<&[Observation]> = files.iter().filter(|f| batch.contains(&f[0].period)).map(Vec::as_slice).collect();
                crate::export::InOrder::add_batch(&fed, *batch.last().unwrap(), &rows);
                at += batch.len();
                chained += 1;
            }
            let (lists, _, stale) = fed.take().finish(period, &rules);
            let got = checks::assemble(lists, Vec::new(), stale, &rules);
            assert_eq!(got, checks::run(&obs, &[], &[], period, &rules), "case {case}, report on {period}");
        }
        assert!(chained > 150, "{chained} batches");
    }

    /// Findings of earlier and later weeks merge by place, earlier weeks first.
    #[test]
    fn findings_merge_by_place_earlier_weeks_first() {
        let f = |m: &str| Finding::warning("count_went_down", "a.xlsx", m);
        let k = |d: &str, dose: u8| (d.to_string(), None, None, 1, dose);
        let earlier = vec![(k("15.01", 1), f("a1")), (k("15.01", 1), f("a2")), (k("15.02", 1), f("c1"))];
        let later = vec![(k("15.01", 1), f("a3")), (k("15.01", 2), f("b3")), (k("15.03", 1), f("d3"))];
        let got: Vec<String> = merged(earlier, later).into_iter().map(|(_, f)| f.message).collect();
        assert_eq!(got, ["a1", "a2", "a3", "b3", "c1", "d3"]);
    }
}
