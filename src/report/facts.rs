//! Facts the reports state about a district or the province: the rows of one period,
//! the week before, the pace and when the threshold is reached at that pace. Shared
//! by the weekly report and the rakor pack so both say the same thing.

use super::AttainRow;
use chrono::NaiveDate;

/// The attainment rows of one province.
pub struct View<'a> {
    pub rows: &'a [AttainRow],
    pub province: &'a str,
    /// Lookups by key, when the report built them (a year holds many periods of rows).
    pub index: Option<&'a Index<'a>>,
}

type RowKey<'a> = (NaiveDate, Option<&'a str>, &'a str, i32);

/// The province's rows by period, district, group and dose, and its periods.
#[derive(Default)]
pub struct Index<'a> {
    rows: rustc_hash::FxHashMap<RowKey<'a>, &'a AttainRow>,
    districts: rustc_hash::FxHashMap<(NaiveDate, &'a str, i32), Vec<&'a AttainRow>>,
    periods: Vec<NaiveDate>,
    /// The district codes in the rows, sorted.
    district_codes: Vec<&'a str>,
}

impl<'a> Index<'a> {
    pub fn new(rows: &'a [AttainRow], province: &str) -> Index<'a> {
        // Sized for every row at once: grown as they came, the maps were rehashed a dozen
        // times over a year's rows.
        let mut index = Index { rows: rustc_hash::FxHashMap::with_capacity_and_hasher(rows.len(), Default::default()), districts: rustc_hash::FxHashMap::with_capacity_and_hasher(rows.len() / 8, Default::default()), ..Index::default() };
        let mut periods = std::collections::BTreeSet::new();
        let mut codes: rustc_hash::FxHashSet<crate::sym::Sym> = Default::default();
        // Compared as symbols, not as texts (a year is half a million rows).
        let province = crate::sym::Sym::new(province);
        // A period or district like the row before's is in its set already: rows come a
        // district's groups and doses together, a period's districts together (a year's
        // half a million rows were as many set insertions).
        let (mut last_period, mut last_code) = (None, None);
        for r in rows.iter().filter(|r| r.province_code == province) {
            if last_period != Some(r.period) {
                periods.insert(r.period);
                last_period = Some(r.period);
            }
            // The first row of a key, as a scan finds it.
            index.rows.entry((r.period, r.district_code.as_deref(), r.group.as_str(), r.dose)).or_insert(r);
            if let Some(code) = r.district_code {
                index.districts.entry((r.period, r.group.as_str(), r.dose)).or_default().push(r);
                if last_code != Some(code) {
                    codes.insert(code);
                    last_code = Some(code);
                }
            }
        }
        index.periods = periods.into_iter().collect();
        index.district_codes = codes.into_iter().map(crate::sym::Sym::as_str).collect();
        index.district_codes.sort_unstable();
        index
    }

    /// The district codes in the province's rows, sorted.
    pub fn district_codes(&self) -> &[&'a str] {
        &self.district_codes
    }
}

impl<'a> View<'a> {
    /// The periods of this province in the input, oldest first.
    pub fn periods(&self) -> Vec<NaiveDate> {
        if let Some(ix) = self.index {
            return ix.periods.clone();
        }
        let set: std::collections::BTreeSet<NaiveDate> = self.rows.iter().filter(|r| r.province_code == self.province).map(|r| r.period).collect();
        set.into_iter().collect()
    }
    pub fn previous(&self, period: NaiveDate) -> Option<NaiveDate> {
        if let Some(ix) = self.index {
            return ix.periods.iter().copied().filter(|p| *p < period).max();
        }
        self.periods().into_iter().filter(|p| *p < period).max()
    }
    pub fn districts(&self, period: NaiveDate, group: &str, dose: i32) -> Vec<&'a AttainRow> {
        if let Some(ix) = self.index {
            return ix.districts.get(&(period, group, dose)).cloned().unwrap_or_default();
        }
        self.rows
            .iter()
            .filter(|r| r.period == period && r.district_code.is_some() && r.group == group && r.dose == dose && r.province_code == self.province)
            .collect()
    }
    /// One district's row, or the province's own row when `district` is `None`.
    pub fn row(&self, period: NaiveDate, district: Option<&str>, group: &str, dose: i32) -> Option<&'a AttainRow> {
        if let Some(ix) = self.index {
            return ix.rows.get(&(period, district, group, dose)).copied();
        }
        self.rows
            .iter()
            .find(|r| r.period == period && r.district_code.as_deref() == district && r.group == group && r.dose == dose && r.province_code == self.province)
    }
}

/// When the threshold is reached at the pace of the last week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Already,
    On(NaiveDate),
    /// The count did not grow (or fell) last week.
    NotAtPace,
    /// No figure for the week before, so no pace.
    NoHistory,
}

/// One figure (district or province, group, dose) with its week-on-week change.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub now: &'a AttainRow,
    pub before: Option<&'a AttainRow>,
    /// People per day over the last interval between periods.
    pub pace_per_day: Option<f64>,
    pub reach: Reach,
}

impl Progress<'_> {
    pub fn gain(&self) -> Option<i64> {
        Some(self.now.vaccinated? - self.before?.vaccinated?)
    }
    pub fn coverage_change(&self) -> Option<f64> {
        Some(self.now.coverage? - self.before?.coverage?)
    }
    pub fn rank_before(&self) -> Option<i32> {
        self.before.and_then(|b| b.rank)
    }
}

/// Days to reach the threshold at a pace, or `None` when it is not reached at this pace.
pub fn days_to_reach(needed: i64, pace_per_day: f64) -> Option<i64> {
    if needed <= 0 {
        return Some(0);
    }
    if pace_per_day <= 0.0 || !pace_per_day.is_finite() {
        return None;
    }
    Some((needed as f64 / pace_per_day).ceil() as i64)
}

/// People per day needed to reach the threshold by a deadline `days` days after the
/// report's date; `None` when the deadline is today or past.
pub fn rate_needed(needed: i64, days: i64) -> Option<f64> {
    (days > 0).then(|| needed.max(0) as f64 / days as f64)
}

pub fn progress<'a>(view: &View<'a>, period: NaiveDate, district: Option<&str>, group: &str, dose: i32) -> Option<Progress<'a>> {
    let now = view.row(period, district, group, dose)?;
    let prev = view.previous(period);
    let before = prev.and_then(|p| view.row(p, district, group, dose));
    let days = prev.map(|p| (period - p).num_days()).unwrap_or(0);
    let pace_per_day = match (now.vaccinated, before.and_then(|b| b.vaccinated)) {
        (Some(a), Some(b)) if days > 0 => Some((a - b) as f64 / days as f64),
        _ => None,
    };
    let reach = match (now.people_needed, pace_per_day) {
        (Some(n), _) if n <= 0 => Reach::Already,
        (Some(n), Some(p)) => match days_to_reach(n, p) {
            Some(d) => Reach::On(period + chrono::Days::new(d.max(0) as u64)),
            None => Reach::NotAtPace,
        },
        _ => Reach::NoHistory,
    };
    Some(Progress { now, before, pace_per_day, reach })
}

/// Dose 1 → dose 2 dropout: the share of people with dose 1 who have no dose 2 yet.
pub fn dropout(dose1: Option<i64>, dose2: Option<i64>) -> Option<f64> {
    match (dose1, dose2) {
        (Some(d1), Some(d2)) if d1 > 0 => Some((d1 - d2) as f64 / d1 as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn row(period: NaiveDate, vacc: Option<i64>, target: i64, rank: Option<i32>) -> AttainRow {
        let coverage = vacc.map(|v| v as f64 / target as f64);
        let needed = vacc.map(|v| ((0.7 * target as f64 - 1e-9).ceil() as i64 - v).max(0));
        AttainRow { period, province_code: "15".into(), district_code: Some("15.01".into()), group: "all".into(), dose: 1, vaccinated: vacc, target: Some(target), coverage, people_needed: needed, rank }
    }
    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, m, day).unwrap()
    }

    #[test]
    fn pace_and_date_from_the_week_before() {
        // Kerinci in the demo data: 134.248 → 136.876 in a week, 10.914 still needed.
        let rows = vec![row(d(1, 8), Some(134_248), 211_128, Some(11)), row(d(1, 15), Some(136_876), 211_128, Some(11))];
        let view = View { rows: &rows, province: "15", index: None };
        let p = progress(&view, d(1, 15), Some("15.01"), "all", 1).unwrap();
        assert_eq!(p.now.people_needed, Some(10_914));
        assert_eq!(p.gain(), Some(2_628));
        assert!((p.pace_per_day.unwrap() - 375.428).abs() < 1e-3);
        // 10.914 / 375,43 = 29,07 → 30 days after 15 January.
        assert_eq!(p.reach, Reach::On(d(2, 14)));
        assert_eq!(p.rank_before(), Some(11));
    }

    #[test]
    fn no_pace_without_history_or_growth() {
        let rows = vec![row(d(1, 15), Some(100), 1000, None)];
        let view = View { rows: &rows, province: "15", index: None };
        assert_eq!(progress(&view, d(1, 15), Some("15.01"), "all", 1).unwrap().reach, Reach::NoHistory);
        let rows = vec![row(d(1, 8), Some(100), 1000, None), row(d(1, 15), Some(90), 1000, None)];
        let view = View { rows: &rows, province: "15", index: None };
        assert_eq!(progress(&view, d(1, 15), Some("15.01"), "all", 1).unwrap().reach, Reach::NotAtPace);
        let rows = vec![row(d(1, 8), Some(100), 1000, None), row(d(1, 15), Some(800), 1000, None)];
        let view = View { rows: &rows, province: "15", index: None };
        assert_eq!(progress(&view, d(1, 15), Some("15.01"), "all", 1).unwrap().reach, Reach::Already);
    }

    #[test]
    fn dropout_is_the_share_without_a_second_dose() {
        assert_eq!(dropout(Some(1000), Some(750)), Some(0.25));
        assert_eq!(dropout(Some(0), Some(0)), None);
        assert_eq!(dropout(None, Some(1)), None);
        assert_eq!(days_to_reach(0, 0.0), Some(0));
        assert_eq!(days_to_reach(10, 0.0), None);
        assert_eq!(days_to_reach(10, 3.0), Some(4));
        // Kerinci: 10.914 people in the 16 days to 31 January: 682,1 a day.
        assert_eq!(rate_needed(10_914, 16), Some(682.125));
        assert_eq!(rate_needed(10_914, 0), None);
        assert_eq!(rate_needed(-5, 3), Some(0.0));
    }

    /// The index a report builds answers every lookup as a scan of the rows does.
    #[test]
    fn indexed_lookups_match_scans() {
        let mut rows = vec![row(d(1, 8), Some(10), 100, Some(2)), row(d(1, 15), Some(20), 100, Some(1)), row(d(1, 15), Some(30), 200, Some(2))];
        rows[2].district_code = Some("15.02".into());
        rows.push(AttainRow { district_code: None, ..row(d(1, 15), Some(50), 300, None) });
        rows.push(AttainRow { province_code: "16".into(), ..row(d(1, 22), Some(1), 10, None) });
        let index = Index::new(&rows, "15");
        let (scan, fast) = (View { rows: &rows, province: "15", index: None }, View { rows: &rows, province: "15", index: Some(&index) });
        assert_eq!(scan.periods(), fast.periods());
        assert_eq!(fast.periods(), vec![d(1, 8), d(1, 15)]);
        assert_eq!(scan.previous(d(1, 15)), fast.previous(d(1, 15)));
        for p in [d(1, 8), d(1, 15), d(1, 22)] {
            let codes = |v: &View| v.districts(p, "all", 1).iter().map(|r| r.district_code).collect::<Vec<_>>();
            assert_eq!(codes(&scan), codes(&fast));
            for district in [None, Some("15.01"), Some("15.02"), Some("15.09")] {
                let vacc = |v: &View| v.row(p, district, "all", 1).map(|r| r.vaccinated);
                assert_eq!(vacc(&scan), vacc(&fast), "{p} {district:?}");
            }
        }
        assert_eq!(fast.districts(d(1, 15), "all", 1).len(), 2);
    }
}
