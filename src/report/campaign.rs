//! Campaign targets (`[[campaign]]`): how many doses were given in the campaign's window
//! so far, the daily rate needed to reach the target by its end, and the total at the
//! end if last week's pace holds. Province figures of the report's period.

use super::definition::Campaign;
use super::facts::View;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignProgress {
    /// The period the figures are as of (the report's, or the last one before the end).
    pub as_of: NaiveDate,
    /// The figure the window starts from: the latest period at or before the start.
    pub baseline: Option<(NaiveDate, i64)>,
    /// Given in the window so far (`None` without a baseline or a current figure).
    pub done: Option<i64>,
    /// Days from `as_of` to the end still to go (the whole window before it starts).
    pub days_left: i64,
    /// (target − done) ÷ days left; `None` when no day is left or `done` is unknown.
    pub needed_per_day: Option<f64>,
    /// Last week's pace (doses per day), from the province's figures.
    pub pace_per_day: Option<f64>,
    /// done + pace × days left.
    pub projected: Option<i64>,
}

impl CampaignProgress {
    pub fn remaining(&self, c: &Campaign) -> Option<i64> {
        self.done.map(|d| (c.target - d).max(0))
    }
}

/// Whether a campaign belongs in this province's report.
pub fn applies(c: &Campaign, province: &str) -> bool {
    c.province.as_deref().is_none_or(|p| p.trim() == province)
}

pub fn progress(view: &View, period: NaiveDate, c: &Campaign) -> CampaignProgress {
    let figure = |p: NaiveDate| view.row(p, None, &c.group, c.dose).and_then(|r| r.vaccinated);
    let periods: Vec<NaiveDate> = view.periods().into_iter().filter(|p| figure(*p).is_some()).collect();
    // After the end, the campaign is judged on the last figure inside its window.
    let as_of = periods.iter().copied().filter(|p| *p <= period.min(c.end)).max().unwrap_or(period);
    let started = as_of >= c.start;
    let baseline = periods.iter().copied().filter(|p| *p <= c.start).max().and_then(|p| figure(p).map(|v| (p, v)));
    let done = if started { figure(as_of).zip(baseline).map(|(now, (_, base))| (now - base).max(0)) } else { Some(0) };
    // Days still available: after the report's date, but not before the window opens.
    let from = if period >= c.start { period } else { c.start - chrono::Days::new(1) };
    let days_left = (c.end - from).num_days().max(0);
    let needed_per_day = done.filter(|_| days_left > 0).map(|d| (c.target - d).max(0) as f64 / days_left as f64);
    let previous = periods.iter().copied().filter(|p| *p < as_of).max();
    let pace_per_day = match (figure(as_of), previous.and_then(|p| figure(p).map(|v| (p, v)))) {
        (Some(now), Some((p, before))) if as_of > p => Some((now - before) as f64 / (as_of - p).num_days() as f64),
        _ => None,
    };
    let projected = match (done, pace_per_day) {
        (Some(d), Some(pace)) => Some(d + (pace.max(0.0) * days_left as f64).round() as i64),
        (Some(d), None) if days_left == 0 => Some(d),
        _ => None,
    };
    CampaignProgress { as_of, baseline, done, days_left, needed_per_day, pace_per_day, projected }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attain::AttainRow;
    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, m, day).unwrap()
    }
    fn row(period: NaiveDate, v: i64) -> AttainRow {
        AttainRow { period, province_code: "15".into(), district_code: None, group: "all".into(), dose: 3, vaccinated: Some(v), target: Some(1_000_000), coverage: None, people_needed: None, rank: None }
    }
    fn campaign(start: NaiveDate, end: NaiveDate) -> Campaign {
        Campaign { name: "Booster".into(), dose: 3, group: "all".into(), target: 10_000, start, end, province: None }
    }

    #[test]
    fn done_needed_and_projected_in_the_window() {
        let rows = vec![row(d(4, 2), 1_000), row(d(4, 9), 2_400), row(d(4, 16), 4_500)];
        let view = View { rows: &rows, province: "15", index: None };
        let p = progress(&view, d(4, 16), &campaign(d(4, 2), d(4, 30)));
        assert_eq!(p.baseline, Some((d(4, 2), 1_000)));
        assert_eq!(p.done, Some(3_500));
        assert_eq!(p.days_left, 14);
        // 6.500 still to give in 14 days; last week 2.100 in 7 days = 300 a day.
        assert!((p.needed_per_day.unwrap() - 6_500.0 / 14.0).abs() < 1e-9);
        assert_eq!(p.pace_per_day, Some(300.0));
        assert_eq!(p.projected, Some(3_500 + 4_200));
    }

    #[test]
    fn before_the_start_and_after_the_end() {
        let rows = vec![row(d(4, 2), 1_000), row(d(4, 9), 2_400)];
        let view = View { rows: &rows, province: "15", index: None };
        // Not started: nothing done, the whole window (10–30 April, 21 days) ahead.
        let p = progress(&view, d(4, 9), &campaign(d(4, 10), d(4, 30)));
        assert_eq!((p.done, p.days_left), (Some(0), 21));
        assert_eq!(p.projected, Some(4_200));
        // Ended: judged on the last figure inside the window, no day left.
        let p = progress(&view, d(4, 9), &campaign(d(3, 1), d(4, 5)));
        assert_eq!(p.as_of, d(4, 2));
        assert_eq!(p.baseline, None, "no figure at or before 1 March");
        assert_eq!((p.done, p.days_left, p.needed_per_day), (None, 0, None));
    }
}
