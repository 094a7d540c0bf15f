//! Checks: data-quality findings about figures that read fine one cell at a time but
//! cannot be right together: cumulative counts that went down between periods, more
//! second doses than first doses, coverage above 100%. Each finding names the cell to
//! look at, so it reaches the report's annex and export/findings.csv like any other.
//! Two rules of the trusted public pipelines are tuned in `[checks]` of `sitrep.toml`:
//! an unusual jump (a period's increase far above the mean of the ones before) and a
//! stale district (its latest figures older than some days).

use crate::attain::AttainRow;
use crate::findings::Finding;
use crate::layout::vocab::Group;
use crate::sym::Sym;
use crate::table::{Lists, Observation, Observations, Target};
use chrono::NaiveDate;
use rayon::prelude::*;

/// Where a count belongs, apart from period and dose: "lansia in 15.01.02 (unit)".
fn describe(o: &Observation) -> String {
    let mut s = format!("{} in {}", o.group.code(), o.area_code.as_deref().unwrap_or(&o.district_code));
    if let Some(u) = &o.unit {
        s.push_str(&format!(" ({u})"));
    }
    s
}

/// A count per period (oldest first), summed, each with its first observation for the
/// location of a finding.
type Series<'a> = Vec<(NaiveDate, i64, &'a Observation)>;

/// Texts' places in sorted order, so that figures sort by integers (a year holds
/// millions of figures; comparing their strings was most of the checks' time). A list
/// indexed by the texts' interned ids (small numbers), looked up without hashing.
struct Ranks(Vec<u32>);

impl Ranks {
    /// 0 is "none"; the texts get 1, 2, … in sorted order.
    fn new(set: rustc_hash::FxHashMap<usize, Sym>) -> Ranks {
        let mut sorted: Vec<Sym> = set.into_values().collect();
        sorted.sort_unstable();
        let mut rank = vec![0; sorted.iter().map(|s| s.id() + 1).max().unwrap_or(0)];
        for (i, s) in sorted.into_iter().enumerate() {
            rank[s.id()] = i as u32 + 1;
        }
        Ranks(rank)
    }
    fn of(&self, s: Option<Sym>) -> u32 {
        s.and_then(|s| self.0.get(s.id())).copied().unwrap_or(0)
    }
}

/// The observations' texts ranked, for grouping keys.
struct Keys {
    district: Ranks,
    area: Ranks,
    unit: Ranks,
}

impl Keys {
    fn new<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy) -> Keys {
        // One pass; a text like the previous row's (most are) is not looked up again.
        let mut sets: [rustc_hash::FxHashMap<usize, Sym>; 3] = Default::default();
        let mut last = [None; 3];
        for o in obs {
            for ((set, last), text) in sets.iter_mut().zip(&mut last).zip([Some(o.district_code), o.area_code, o.unit]) {
                if let Some(t) = text.filter(|t| *last != Some(t.id())) {
                    *last = Some(t.id());
                    set.insert(t.id(), t);
                }
            }
        }
        let [district, area, unit] = sets.map(Ranks::new);
        Keys { district, area, unit }
    }
    /// Place and dose: what a count belongs to, apart from its period.
    fn place(&self, o: &Observation) -> [u32; 5] {
        [self.district.of(Some(o.district_code)), self.area.of(o.area_code), self.unit.of(o.unit), group_rank(o.group), o.dose as u32]
    }
    /// District, group and dose: a district's count summed over its areas and units.
    fn district(&self, o: &Observation) -> [u32; 5] {
        [self.district.of(Some(o.district_code)), 0, 0, group_rank(o.group), o.dose as u32]
    }
}

/// Groups in the order of their codes, as the findings have always been ordered.
fn group_rank(g: Group) -> u32 {
    static RANKS: std::sync::LazyLock<Vec<(Group, u32)>> = std::sync::LazyLock::new(|| {
        let mut all: Vec<Group> = Group::SPECIFIC.to_vec();
        all.push(Group::All);
        all.sort_by_key(|g| g.code());
        all.into_iter().enumerate().map(|(i, g)| (g, i as u32 + 1)).collect()
    });
    RANKS.iter().find(|(x, _)| *x == g).map(|(_, r)| *r).unwrap_or(0)
}

/// Where a figure is counted, by interned ids (0: none): district, area, unit, group
/// and dose. Grouping by ids needs no lookups; [`Keys`] orders the groups afterwards.
type Place = (usize, usize, usize, Group, u8);

fn place_ids(o: &Observation) -> Place {
    (o.district_code.id(), o.area_code.map_or(0, Sym::id), o.unit.map_or(0, Sym::id), o.group, o.dose)
}

fn district_ids(o: &Observation) -> Place {
    (o.district_code.id(), 0, 0, o.group, o.dose)
}

/// The figures grouped by `place`, in the order of their `key` (texts' order), each
/// group a [`Series`]. Figures of one place and period are summed; the first read of
/// them locates a finding. A place starts with its district.
fn grouped<'a>(
    obs: impl IntoIterator<Item = &'a Observation> + Copy,
    keep: impl Fn(&Observation) -> bool + Sync,
    place: impl Fn(&Observation) -> Place + Sync,
    key: impl Fn(&Observation) -> [u32; 5] + Sync,
) -> Vec<([u32; 5], Series<'a>)> {
    let mut per_district: Vec<Vec<([u32; 5], Series)>> = by_district(obs).into_par_iter().map(|list| series_of(list.iter().copied(), &keep, &place, &key)).collect();
    per_district.sort_unstable_by_key(|groups| groups.first().map(|(k, _)| k[0]));
    per_district.into_iter().flatten().collect()
}

/// Each district's figures, in input order. The lists hold only references (a list of
/// sort keys was hundreds of MB of fresh pages for a year).
fn by_district<'a>(obs: impl IntoIterator<Item = &'a Observation>) -> Vec<Vec<&'a Observation>> {
    crate::table::partitioned(obs, |o| o.district_code.id()).into_values().collect()
}

/// One district's figures grouped as in [`grouped`]: a year is millions of figures, but
/// a district's fit in a core's cache.
fn series_of<'a>(
    list: impl IntoIterator<Item = &'a Observation>,
    keep: impl Fn(&Observation) -> bool,
    place: impl Fn(&Observation) -> Place,
    key: impl Fn(&Observation) -> [u32; 5],
) -> Vec<([u32; 5], Series<'a>)> {
    // Each place's figures in input order, then sorted by period (stable: figures of one
    // place and period stay in input order, so the first read stays first and the order
    // is the same every run). Lists mostly come in period order. The places are numbered
    // as first seen and the figures laid out place after place in one list (a list grown
    // per place was a district's hundreds of small lists, each copied as it grew).
    let mut numbers: rustc_hash::FxHashMap<Place, u32> = Default::default();
    let mut numbered: Vec<(u32, &Observation)> = Vec::new();
    for o in list.into_iter().filter(|o| keep(o)) {
        let next = numbers.len() as u32;
        numbered.push((*numbers.entry(place(o)).or_insert(next), o));
    }
    let Some(&(_, filler)) = numbered.first() else { return Vec::new() };
    // Where each place's figures begin in the list, and the list.
    let mut starts = vec![0usize; numbers.len() + 1];
    for (n, _) in &numbered {
        starts[*n as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut figures: Vec<&Observation> = vec![filler; numbered.len()];
    let mut next = starts.clone();
    for (n, o) in numbered {
        figures[next[n as usize]] = o;
        next[n as usize] += 1;
    }
    let mut out: Vec<([u32; 5], Series)> = Vec::with_capacity(numbers.len());
    for bounds in starts.windows(2) {
        let figures = &mut figures[bounds[0]..bounds[1]];
        figures.sort_by_key(|o| o.period);
        let mut series: Series = Vec::with_capacity(figures.len());
        for &o in figures.iter() {
            match series.last_mut() {
                Some(last) if last.0 == o.period => last.1 += o.vaccinated,
                _ => series.push((o.period, o.vaccinated, o)),
            }
        }
        out.push((key(figures[0]), series));
    }
    // Keys are one per place (ranks of the same ids).
    out.sort_unstable_by_key(|(k, _)| *k);
    out
}

/// Counts per place and dose, by period.
type Counts<'a> = Vec<([u32; 5], Series<'a>)>;

fn counts<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy) -> Counts<'a> {
    let keys = Keys::new(obs);
    grouped(obs, |_| true, place_ids, |o| keys.place(o))
}

/// Where a finding sorts among its check's: district, area, unit, group and dose, as
/// texts. The ranks a run sorts by differ between runs; their order is the texts'.
pub type SortKey = (String, Option<String>, Option<String>, u32, u8);

/// Findings of one check, each with its place's [`SortKey`], in the check's order.
pub type Keyed = Vec<(SortKey, Finding)>;

fn place_key(o: &Observation) -> SortKey {
    (o.district_code.to_string(), o.area_code.map(|a| a.to_string()), o.unit.map(|u| u.to_string()), group_rank(o.group), o.dose)
}

fn district_key(o: &Observation) -> SortKey {
    (o.district_code.to_string(), None, None, group_rank(o.group), o.dose)
}

/// `found` with the key of the place they are about (keys made only when there are any).
fn keyed(found: Vec<Finding>, key: impl FnOnce() -> SortKey) -> Keyed {
    if found.is_empty() {
        return Vec::new();
    }
    let key = key();
    found.into_iter().map(|f| (key.clone(), f)).collect()
}

fn unkeyed(found: Keyed) -> Vec<Finding> {
    found.into_iter().map(|(_, f)| f).collect()
}

/// A cumulative count that is lower than in the period before.
pub fn counts_went_down<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy) -> Vec<Finding> {
    unkeyed(went_down(&counts(obs)))
}

fn went_down(counts: &Counts) -> Keyed {
    counts.iter().flat_map(|(_, series)| keyed(series.windows(2).filter_map(went_down_between).collect(), || place_key(series[0].2))).collect()
}

fn went_down_between(pair: &[(NaiveDate, i64, &Observation)]) -> Option<Finding> {
    let ((lperiod, ln, lo), (period, n, o)) = (pair[0], pair[1]);
    let dose = o.dose;
    (n < ln).then(|| {
        Finding::warning(
            "count_went_down",
            &o.source,
            format!(
                "cumulative count went down: {} dose {dose}: {ln} on {lperiod} ({}, {} {}), {n} on {period}; {n} is used for {period} as submitted",
                describe(o),
                lo.source,
                lo.sheet,
                lo.cell
            ),
        )
        .at(&o.sheet, Some(o.cell.to_string()))
    })
}

/// More people with dose 2 than with dose 1 at the same place and date.
pub fn dose2_above_dose1<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy) -> Vec<Finding> {
    unkeyed(dose_above_previous(&counts(obs), 2, "dose2_above_dose1", None))
}

/// More people with a booster (dose 3) than with dose 2 at the same place and date.
pub fn booster_above_dose2<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy) -> Vec<Finding> {
    unkeyed(dose_above_previous(&counts(obs), 3, "booster_above_dose2", None))
}

fn dose_above_previous(c: &Counts, later: u8, code: &'static str, after: Option<NaiveDate>) -> Keyed {
    let earlier = later - 1;
    let above_in = |key: &[u32; 5], series: &Series| -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut key_before = *key;
        key_before[4] = earlier as u32;
        let Ok(at) = c.binary_search_by_key(&key_before, |(k, _)| *k) else { return findings };
        let before = &c[at].1;
        for (period, n2, o) in series.iter().filter(|(p, _, _)| after.is_none_or(|a| *p > a)) {
            let Ok(k) = before.binary_search_by_key(period, |(q, _, _)| *q) else { continue };
            let (_, n1, o1) = before[k];
            if *n2 > n1 {
                findings.push(
                    Finding::warning(code, &o.source, format!("dose {later} ({n2}) is above dose {earlier} ({n1}) for {} on {period}; dose {earlier} is at {} {}", describe(o), o1.sheet, o1.cell))
                        .at(&o.sheet, Some(o.cell.to_string())),
                );
            }
        }
        findings
    };
    let above = |(key, series): &([u32; 5], Series)| -> Keyed { keyed(above_in(key, series), || place_key(series[0].2)) };
    c.iter().filter(|(k, _)| k[4] == later as u32).flat_map(above).collect()
}

/// Districts whose coverage is above 100% in the period: the target is too low or the
/// counts too high. Located at the target's cell when one cell holds it.
pub fn coverage_above_full<'a>(rows: &[AttainRow], period: NaiveDate, targets: &[Target], obs: impl IntoIterator<Item = &'a Observation>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let above: Vec<&AttainRow> = rows.iter().filter(|r| r.period == period && r.coverage.is_some_and(|c| c > 1.0)).collect();
    if above.is_empty() {
        return findings;
    }
    // One pass over each table (a year of observations is millions of rows): the first
    // file that counted each district this period, and each district's target cells.
    let mut first_source: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for o in obs.into_iter().filter(|o| o.period == period) {
        first_source.entry(o.district_code.as_str()).or_insert(&*o.source);
    }
    let mut target_cells: std::collections::HashMap<(&str, &str), Vec<&Target>> = std::collections::HashMap::new();
    for x in targets {
        target_cells.entry((x.district_code.as_str(), x.group.code())).or_default().push(x);
    }
    for r in above {
        let (Some(district), Some(c), Some(v), Some(t)) = (&r.district_code, r.coverage, r.vaccinated, r.target) else { continue };
        let cells: &[&Target] = target_cells.get(&(district.as_str(), r.group.as_str())).map(|v| v.as_slice()).unwrap_or(&[]);
        let counted_in = first_source.get(district.as_str()).map(|s| s.to_string()).unwrap_or_default();
        let what = format!("coverage above 100% for {} dose {} in {district} on {period}: {v} vaccinated, target {t} ({:.1}%)", r.group, r.dose, c * 100.0);
        let finding = match cells {
            [one] => Finding::warning("coverage_above_100", &one.source, format!("{what}; check this target or the counts in {counted_in}")).at(&one.sheet, Some(one.cell.clone())),
            _ => Finding::warning("coverage_above_100", &counted_in, format!("{what}; check the targets of {district} or these counts")),
        };
        findings.push(finding.about(district));
    }
    findings
}

/// `[checks]` in `sitrep.toml`.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// An increase above this many times the mean of the previous increases is a jump (6).
    pub jump_factor: Option<f64>,
    /// How many previous increases make the mean (4); fewer in the input: no check.
    pub jump_weeks: Option<usize>,
    /// A district whose latest figures are older than this many days is stale (7).
    pub stale_after_days: Option<i64>,
    /// Finding codes not to report, e.g. `["coverage_above_100"]`.
    #[serde(default)]
    pub skip: Vec<String>,
}

/// The rules' settings, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRules {
    pub jump_factor: f64,
    pub jump_weeks: usize,
    pub stale_after_days: i64,
    pub skip: Vec<String>,
}

impl Default for CheckRules {
    fn default() -> Self {
        CheckRules { jump_factor: 6.0, jump_weeks: 4, stale_after_days: 7, skip: Vec::new() }
    }
}

pub const CODES: [&str; 6] = ["count_went_down", "dose2_above_dose1", "booster_above_dose2", "coverage_above_100", "unusual_jump", "stale_district"];

impl CheckRules {
    pub fn from_config(c: &ChecksConfig) -> anyhow::Result<CheckRules> {
        let d = CheckRules::default();
        let rules = CheckRules {
            jump_factor: c.jump_factor.unwrap_or(d.jump_factor),
            jump_weeks: c.jump_weeks.unwrap_or(d.jump_weeks),
            stale_after_days: c.stale_after_days.unwrap_or(d.stale_after_days),
            skip: c.skip.clone(),
        };
        if rules.jump_factor.is_nan() || rules.jump_factor <= 0.0 || rules.jump_weeks == 0 || rules.stale_after_days < 0 {
            anyhow::bail!("checks: jump_factor must be above 0, jump_weeks at least 1, stale_after_days 0 or more");
        }
        if let Some(bad) = rules.skip.iter().find(|s| !CODES.contains(&s.as_str())) {
            anyhow::bail!("checks: '{bad}' is not a check (use {})", CODES.join(", "));
        }
        Ok(rules)
    }
}

/// A period's increase above `factor` × the mean of the `weeks` increases before it (as
/// the public pipelines flag batch entries and typos). Needs `weeks` + 1 earlier periods;
/// a flat history (mean 0) is not compared.
pub fn unusual_jumps<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy, factor: f64, weeks: usize) -> Vec<Finding> {
    let keys = Keys::new(obs);
    unkeyed(jumps(&grouped(obs, |_| true, district_ids, |o| keys.district(o)), factor, weeks))
}

/// `series`: each district's counts of one group and dose, summed over areas and units.
fn jumps(series: &[([u32; 5], Series)], factor: f64, weeks: usize) -> Keyed {
    let mut out = Vec::new();
    for (_, series) in series {
        let Some((_, _, first)) = series.first() else { continue };
        let mut findings = Vec::new();
        let (district, group, dose) = (&first.district_code, first.group.code(), first.dose);
        let points: Vec<(&NaiveDate, (i64, &Observation))> = series.iter().map(|(p, n, o)| (p, (*n, *o))).collect();
        for i in (weeks + 1)..points.len() {
            let increase = |j: usize| points.get(j).zip(j.checked_sub(1).and_then(|k| points.get(k))).map(|(a, b)| a.1 .0 - b.1 .0).unwrap_or(0);
            let before: Vec<i64> = ((i - weeks)..i).map(increase).collect();
            let mean = before.iter().sum::<i64>() as f64 / weeks as f64;
            let now = increase(i);
            let Some((period, (_, o))) = points.get(i) else { continue };
            if mean > 0.0 && now as f64 > factor * mean {
                findings.push(
                    Finding::warning(
                        "unusual_jump",
                        &o.source,
                        format!(
                            "unusual jump: {group} dose {dose} in {district} rose by {now} to {period}, more than {factor} × the mean of the {weeks} increases before ({mean:.0}); check for a batch entry or a typo"
                        ),
                    )
                    .at(&o.sheet, Some(o.cell.to_string())),
                );
            }
        }
        out.extend(keyed(findings, || district_key(first)));
    }
    out
}

/// Districts whose latest figures are older than `days` before the report's period.
pub fn stale_districts<'a>(obs: impl IntoIterator<Item = &'a Observation>, period: NaiveDate, days: i64) -> Vec<Finding> {
    latest_figures(obs, period)
        .into_iter()
        .map(|o| (o.district_code.as_str(), o))
        .filter(|(_, o)| (period - o.period).num_days() > days)
        .map(|(district, o)| {
            Finding::warning(
                "stale_district",
                &o.source,
                format!("{district} is stale: its latest figures are of {} ({} days before {period}, more than {days})", o.period, (period - o.period).num_days()),
            )
            .at(&o.sheet, Some(o.cell.to_string()))
        })
        .collect()
}

/// Each district's first figure (in the table's order) of its latest period up to
/// `period`, by district.
pub fn latest_figures<'a>(obs: impl IntoIterator<Item = &'a Observation>, period: NaiveDate) -> Vec<&'a Observation> {
    let mut latest: rustc_hash::FxHashMap<usize, &Observation> = Default::default();
    for o in obs.into_iter().filter(|o| o.period <= period) {
        let e = latest.entry(o.district_code.id()).or_insert(o);
        if o.period > e.period {
            *e = o;
        }
    }
    let mut latest: Vec<&Observation> = latest.into_values().collect();
    latest.sort_unstable_by_key(|o| o.district_code.as_str());
    latest
}

/// All checks, in a stable order, without those the configuration skips.
pub fn run<'a>(obs: impl IntoIterator<Item = &'a Observation> + Copy, targets: &[Target], rows: &[AttainRow], period: NaiveDate, rules: &CheckRules) -> Vec<Finding> {
    let all: Observations = std::iter::once(obs.into_iter().copied().collect::<Vec<_>>()).collect();
    let (lists, _) = per_district(&all, period, rules);
    assemble(lists, coverage_above_full(rows, period, targets, obs), stale_districts(obs, period, rules.stale_after_days), rules)
}

/// The checks' findings in their order: counts down, dose 2, booster, coverage, jumps,
/// stale; without those the configuration skips.
pub fn assemble(lists: [Keyed; 4], coverage: Vec<Finding>, stale: Vec<Finding>, rules: &CheckRules) -> Vec<Finding> {
    let [down, dose2, booster, jumped] = lists;
    let mut out = unkeyed(down);
    out.extend(unkeyed(dose2));
    out.extend(unkeyed(booster));
    out.extend(coverage);
    out.extend(unkeyed(jumped));
    out.extend(stale);
    out.retain(|f| !rules.skip.iter().any(|s| s == f.code));
    out
}

/// What a later run needs of these figures to check only its new periods: each place's
/// last count, each district's last `jump_weeks` + 1 counts per group and dose (each as
/// one figure: the first read, holding the sum), and each district's latest figure.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Carry {
    pub place_last: Vec<Observation>,
    pub jump_points: Vec<Observation>,
    pub latest: Vec<Observation>,
}

/// Which of [`per_district`]'s checks a caller uses: a run carrying on from the last one
/// needs each on other rows, and the others' work was two thirds of each call.
#[derive(Clone, Copy)]
pub struct Wanted {
    /// Counts down and doses above the dose before (per place), with `place_last`.
    pub places: bool,
    /// Doses above the dose before only in periods after this one (the rows up to it
    /// are carried ones, checked by an earlier run).
    pub doses_after: Option<NaiveDate>,
    /// Unusual jumps (per district), with `jump_points`.
    pub jumps: bool,
    /// Each place's latest figures (`latest`).
    pub latest: bool,
}

impl Wanted {
    pub const ALL: Wanted = Wanted { places: true, doses_after: None, jumps: true, latest: true };
}

/// The checks that compare figures of one district (counts down, doses, jumps up to
/// `period`), each district on its own and in parallel, in the checks' order with their
/// keys; and what a later run carries on from.
pub fn per_district(obs: &Observations, period: NaiveDate, rules: &CheckRules) -> ([Keyed; 4], Carry) {
    let lists: Vec<&[Observation]> = obs.files().collect();
    per_district_wanted(Lists(&lists), period, rules, Wanted::ALL)
}

/// [`per_district`] of the checks `wanted` only: the others' lists and carry are empty.
pub fn per_district_wanted(obs: Lists, period: NaiveDate, rules: &CheckRules, wanted: Wanted) -> ([Keyed; 4], Carry) {
    let keys = Keys::new(obs);
    // Only the findings and the carry are kept of each district (a year's series, all
    // held at once, were 150 MB).
    let summed = |(p, n, o): &(NaiveDate, i64, &Observation)| Observation { period: *p, vaccinated: *n, ..**o };
    // Each district's rows as runs of the files' lists (a reference per row was 50 MB
    // for a year).
    let by_district: Vec<Vec<&[Observation]>> = crate::table::runs_by(obs.files(), |o| o.district_code.id()).into_values().collect();
    let mut per_district: Vec<(u32, [Keyed; 4], Carry)> = by_district
        .into_par_iter()
        .map(|runs| {
            let list = || runs.iter().flat_map(|run| run.iter());
            let (mut down, mut dose2, mut booster, mut place_last) = Default::default();
            if wanted.places {
                let c = series_of(list(), |_| true, place_ids, |o| keys.place(o));
                let after = wanted.doses_after;
                (down, dose2, booster) = (went_down(&c), dose_above_previous(&c, 2, "dose2_above_dose1", after), dose_above_previous(&c, 3, "booster_above_dose2", after));
                place_last = c.iter().filter_map(|(_, s)| s.last()).map(summed).collect();
            }
            let (mut jumped, mut jump_points) = Default::default();
            if wanted.jumps {
                // Jumps up to the report's period: a later week is not this report's business.
                let district = series_of(list(), |o| o.period <= period, district_ids, |o| keys.district(o));
                jumped = jumps(&district, rules.jump_factor, rules.jump_weeks);
                jump_points = district.iter().flat_map(|(_, s)| s[s.len().saturating_sub(rules.jump_weeks + 1)..].iter().map(summed)).collect();
            }
            let latest = if wanted.latest { latest_figures(list(), period).into_iter().copied().collect() } else { Vec::new() };
            (keys.district.of(list().next().map(|o| o.district_code)), [down, dose2, booster, jumped], Carry { place_last, jump_points, latest })
        })
        .collect();
    per_district.sort_unstable_by_key(|(rank, _, _)| *rank);
    let mut lists: [Keyed; 4] = Default::default();
    let mut carry = Carry::default();
    for (_, found, c) in per_district {
        for (list, f) in lists.iter_mut().zip(found) {
            list.extend(f);
        }
        carry.place_last.extend(c.place_last);
        carry.jump_points.extend(c.jump_points);
        carry.latest.extend(c.latest);
    }
    (lists, carry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::vocab::Group;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, day).unwrap()
    }
    fn obs(day: u32, area: &str, dose: u8, n: i64, cell: &str) -> Observation {
        Observation {
            period: d(day),
            province_code: "15".into(),
            district_code: "15.01".into(),
            area_code: Some(area.into()),
            unit: None,
            group: Group::Lansia,
            dose,
            vaccinated: n,
            source: format!("kerinci-{day}.xlsx").into(),
            sheet: "Sheet1".into(),
            cell: cell.into(),
        }
    }

    #[test]
    fn a_cumulative_count_that_went_down_is_found_at_the_later_cell() {
        let o = vec![obs(1, "15.01.01", 1, 100, "C7"), obs(8, "15.01.01", 1, 120, "C7"), obs(15, "15.01.01", 1, 110, "C8"), obs(15, "15.01.02", 1, 5, "C9")];
        let f = counts_went_down(&o);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, "count_went_down");
        assert_eq!(f[0].source, "kerinci-15.xlsx");
        assert_eq!(f[0].cell.as_deref(), Some("C8"));
        assert!(f[0].message.contains("120 on 2022-01-08") && f[0].message.contains("110 on 2022-01-15"), "{}", f[0].message);
        assert!(f[0].message.ends_with("110 is used for 2022-01-15 as submitted"), "{}", f[0].message);
        // Another area or dose is not compared with this one.
        assert!(counts_went_down(&[obs(8, "15.01.01", 1, 120, "C7"), obs(15, "15.01.02", 1, 5, "C9"), obs(15, "15.01.01", 2, 5, "D7")]).is_empty());
    }

    #[test]
    fn dose_2_above_dose_1_is_found() {
        let o = vec![obs(15, "15.01.01", 1, 100, "C7"), obs(15, "15.01.01", 2, 101, "D7"), obs(15, "15.01.02", 1, 50, "C8"), obs(15, "15.01.02", 2, 50, "D8")];
        let f = dose2_above_dose1(&o);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].cell.as_deref(), Some("D7"));
        assert!(f[0].message.contains("dose 2 (101) is above dose 1 (100)"));
        let o = vec![obs(15, "15.01.01", 2, 100, "D7"), obs(15, "15.01.01", 3, 120, "E7"), obs(15, "15.01.01", 1, 90, "C7")];
        let f = booster_above_dose2(&o);
        assert_eq!((f.len(), f[0].code, f[0].cell.as_deref()), (1, "booster_above_dose2", Some("E7")));
        assert!(f[0].message.contains("dose 3 (120) is above dose 2 (100)"), "{}", f[0].message);
    }

    #[test]
    fn coverage_above_100_points_at_the_target_cell() {
        let row = |group: &str, v: i64, t: i64| AttainRow {
            period: d(15),
            province_code: "15".into(),
            district_code: Some("15.71".into()),
            group: group.into(),
            dose: 1,
            vaccinated: Some(v),
            target: Some(t),
            coverage: Some(v as f64 / t as f64),
            people_needed: Some(0),
            rank: Some(1),
        };
        let target = Target { province_code: "15".into(), district_code: "15.71".into(), area_code: None, unit: None, group: Group::Sdmk, target: 3248, source: "sasaran.xlsx".into(), sheet: "Sasaran".into(), cell: "C12".into() };
        let rows = vec![row("sdmk", 3313, 3248), row("lansia", 100, 200), row("all", 10, 5)];
        let f = coverage_above_full(&rows, d(15), &[target], &[]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].source.as_str(), f[0].cell.as_deref()), ("sasaran.xlsx", Some("C12")));
        assert!(f[0].message.contains("3313 vaccinated, target 3248 (102.0%)"), "{}", f[0].message);
        // No single target cell for `all`: the finding names the district instead.
        assert!(f[1].cell.is_none() && f[1].message.contains("check the targets of 15.71"));
        // Other periods are history, not this week's finding.
        assert!(coverage_above_full(&rows, d(8), &[], &[]).is_empty());
    }

    fn weekly(counts: &[i64]) -> Vec<Observation> {
        counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut o = obs(1, "15.01.01", 1, *n, &format!("C{}", 7 + i));
                o.period = d(1) + chrono::Days::new(7 * i as u64);
                o.source = format!("week-{i}.xlsx").into();
                o
            })
            .collect()
    }

    #[test]
    fn an_increase_above_six_times_the_mean_of_four_is_a_jump() {
        // Increases 10, 20, 10, 20 (mean 15), then 91 > 6 × 15 = 90.
        let f = unusual_jumps(&weekly(&[100, 110, 130, 140, 160, 251]), 6.0, 4);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].code, f[0].source.as_str(), f[0].cell.as_deref()), ("unusual_jump", "week-5.xlsx", Some("C12")));
        assert!(f[0].message.contains("rose by 91 to 2022-02-05") && f[0].message.contains("(15)"), "{}", f[0].message);
        // Exactly 6 × the mean is not above it.
        assert!(unusual_jumps(&weekly(&[100, 110, 130, 140, 160, 250]), 6.0, 4).is_empty());
        // Four earlier increases are needed; a flat history is not compared.
        assert!(unusual_jumps(&weekly(&[100, 110, 130, 140, 500]), 6.0, 4).is_empty());
        assert!(unusual_jumps(&weekly(&[100, 100, 100, 100, 100, 500]), 6.0, 4).is_empty());
        // Tuned: a factor of 3 over 2 weeks.
        assert_eq!(unusual_jumps(&weekly(&[100, 110, 120, 151]), 3.0, 2).len(), 1);
    }

    #[test]
    fn a_district_whose_latest_figures_are_too_old_is_stale() {
        let mut o = weekly(&[100, 110]); // 1 and 8 January
        let mut other = obs(1, "15.02.01", 1, 5, "D9");
        other.district_code = "15.02".into();
        other.period = d(22);
        o.push(other);
        let f = stale_districts(&o, d(22), 7);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].code, f[0].source.as_str(), f[0].cell.as_deref()), ("stale_district", "week-1.xlsx", Some("C8")));
        assert!(f[0].message.contains("15.01 is stale: its latest figures are of 2022-01-08 (14 days before 2022-01-22"), "{}", f[0].message);
        assert!(stale_districts(&o, d(22), 14).is_empty());
    }

    /// `run` checks each district on its own: its findings are those of each check over
    /// the whole table, in the same order.
    #[test]
    fn all_checks_district_by_district_find_what_each_check_finds_over_the_table() {
        let mut o = Vec::new();
        // Districts given out of order; each with a count that went down, dose 2 above
        // dose 1, a booster above dose 2 and a jump.
        for (k, district) in ["15.03", "15.01", "15.02"].into_iter().enumerate() {
            let mut counts = vec![100, 110, 130, 140, 160, 400, 390];
            counts.rotate_left(k % 2);
            for (i, n) in counts.into_iter().enumerate() {
                for (dose, n) in [(1, n), (2, n + 5 * (i as i64 % 2)), (3, n + 1 - i as i64)] {
                    for area in ["a", "b"] {
                        let mut x = obs(1, &format!("{district}.{area}"), dose, n, &format!("C{}", 7 + i));
                        x.district_code = district.into();
                        x.period = d(1) + chrono::Days::new(7 * i as u64);
                        o.push(x);
                    }
                }
            }
        }
        let period = d(1) + chrono::Days::new(7 * 5);
        let rules = CheckRules::default();
        let mut each = counts_went_down(&o);
        each.extend(dose2_above_dose1(&o));
        each.extend(booster_above_dose2(&o));
        each.extend(coverage_above_full(&[], period, &[], &o));
        let up_to: Vec<Observation> = o.iter().filter(|x| x.period <= period).cloned().collect();
        each.extend(unusual_jumps(&up_to, rules.jump_factor, rules.jump_weeks));
        each.extend(stale_districts(&o, period, rules.stale_after_days));
        let codes: std::collections::BTreeSet<&str> = each.iter().map(|f| f.code).collect();
        assert_eq!(codes.into_iter().collect::<Vec<_>>(), ["booster_above_dose2", "count_went_down", "dose2_above_dose1", "unusual_jump"]);
        let said = |f: &[Finding]| f.iter().map(|f| format!("{} {} {:?} {}", f.code, f.source, f.cell, f.message)).collect::<Vec<_>>();
        assert_eq!(said(&run(&o, &[], &[], period, &rules)), said(&each));
    }

    /// Figures grouped by place, whatever order they come in: each place's by period, a
    /// period's figures summed and located at the first read of them, places in key order.
    #[test]
    fn figures_are_grouped_by_place_in_period_order() {
        let mut o = Vec::new();
        for (i, (day, area, dose, n)) in [(15, "a", 1, 30), (1, "b", 1, 5), (8, "a", 1, 20), (1, "a", 1, 10), (8, "a", 1, 2), (1, "a", 2, 4), (15, "b", 1, 7), (22, "a", 1, 99)].into_iter().enumerate() {
            o.push(obs(day, &format!("15.01.0{area}"), dose, n, &format!("C{i}")));
        }
        let keep = |x: &Observation| x.period <= d(15);
        let keys = Keys::new(&o);
        // Each place's area and dose, and its series as (day, count, cell).
        type Grouped<'a> = Vec<(Option<String>, u8, Vec<(u32, i64, &'a str)>)>;
        let got: Grouped = series_of(&o, keep, place_ids, |x| keys.place(x))
            .into_iter()
            .map(|(_, s)| (s[0].2.area_code.map(|a| a.to_string()), s[0].2.dose, s.iter().map(|(p, n, x)| (chrono::Datelike::day(p), *n, x.cell.as_str())).collect()))
            .collect();
        let want: Grouped = vec![
            (Some("15.01.0a".into()), 1, vec![(1, 10, "C3"), (8, 22, "C2"), (15, 30, "C0")]),
            (Some("15.01.0a".into()), 2, vec![(1, 4, "C5")]),
            (Some("15.01.0b".into()), 1, vec![(1, 5, "C1"), (15, 7, "C6")]),
        ];
        assert_eq!(got, want);
        assert!(series_of(&o, |_| false, place_ids, |x| keys.place(x)).is_empty());
    }

    #[test]
    fn checks_are_tuned_in_the_configuration() {
        let c: ChecksConfig = toml::from_str("jump_factor = 3\nstale_after_days = 14\nskip = [\"coverage_above_100\"]").unwrap();
        let r = CheckRules::from_config(&c).unwrap();
        assert_eq!((r.jump_factor, r.jump_weeks, r.stale_after_days), (3.0, 4, 14));
        let bad: ChecksConfig = toml::from_str("skip = [\"typo\"]").unwrap();
        assert!(CheckRules::from_config(&bad).is_err());
        // Skipped codes are not reported.
        let o = vec![obs(15, "15.01.01", 1, 100, "C7"), obs(15, "15.01.01", 2, 101, "D7")];
        assert_eq!(run(&o, &[], &[], d(15), &CheckRules::default()).len(), 1);
        let skip = CheckRules { skip: vec!["dose2_above_dose1".into()], ..CheckRules::default() };
        assert!(run(&o, &[], &[], d(15), &skip).is_empty());
    }
}
