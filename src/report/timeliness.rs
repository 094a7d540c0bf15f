//! Submission completeness and timeliness: which districts sent a readable submission
//! for the period, when it was received, and whether before the daily cut-off
//! (default 17:00 WIB, from the report definition's `[cutoff]`).

use super::definition::CutoffConfig;
use super::ReportInput;
use crate::table::FileOutcome;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cutoff {
    pub time: NaiveTime,
    pub offset: FixedOffset,
    pub days_after_period: i64,
}

impl Cutoff {
    /// The definition's values, with the defaults (17:00, UTC+7, same day) for what is
    /// missing or unreadable.
    pub fn from_config(c: &CutoffConfig) -> Cutoff {
        let time = c.time.as_deref().and_then(|t| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok()).unwrap_or(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default());
        let hours = c.utc_offset_hours.filter(|h| (-12..=14).contains(h)).unwrap_or(7);
        let offset = FixedOffset::east_opt(hours * 3600).unwrap_or(FixedOffset::east_opt(0).expect("UTC is a valid offset"));
        Cutoff { time, offset, days_after_period: c.days_after_period.unwrap_or(0).clamp(0, 31) }
    }
    /// The moment a period's submission is due.
    pub fn due(&self, period: NaiveDate) -> DateTime<Utc> {
        let day = period + chrono::Days::new(self.days_after_period as u64);
        let local = day.and_time(self.time) - Duration::seconds(self.offset.local_minus_utc() as i64);
        local.and_utc()
    }
    /// WIB, WITA, WIT, or `UTC+5`.
    pub fn zone(&self) -> String {
        match self.offset.local_minus_utc() / 3600 {
            7 => "WIB".into(),
            8 => "WITA".into(),
            9 => "WIT".into(),
            h => format!("UTC{h:+}"),
        }
    }
    /// `15 Januari 2022 16.20 WIB`.
    pub fn local(&self, t: DateTime<Utc>, lang: crate::config::Lang) -> String {
        let l = t.with_timezone(&self.offset);
        let clock = match lang {
            crate::config::Lang::Id => l.format("%H.%M").to_string(),
            crate::config::Lang::En => l.format("%H:%M").to_string(),
        };
        format!("{} {clock} {}", super::locale::date(l.date_naive(), lang), self.zone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    OnTime,
    /// Late by this many minutes.
    Late(i64),
    /// Received, but when is not known.
    Unknown,
}

pub fn arrival(received: Option<DateTime<Utc>>, period: NaiveDate, cutoff: &Cutoff) -> Arrival {
    match received {
        None => Arrival::Unknown,
        Some(t) if t <= cutoff.due(period) => Arrival::OnTime,
        Some(t) => Arrival::Late((t - cutoff.due(period)).num_minutes().max(1)),
    }
}

/// One district's submission for the period: the file used, when it arrived; `None`
/// when no readable submission was received.
pub struct Submission<'a> {
    pub district_code: String,
    pub file: Option<&'a FileOutcome>,
    pub arrival: Option<Arrival>,
}

pub fn submissions<'a>(input: &ReportInput<'a>, cutoff: &Cutoff) -> Vec<Submission<'a>> {
    let period = input.period.to_string();
    // Each district's latest file of the period, in one pass over the files (the
    // national report's are a year's: 26,000, for 514 districts).
    let mut latest: std::collections::HashMap<&str, &'a FileOutcome> = std::collections::HashMap::new();
    for f in input.files.iter().copied().filter(|f| f.status == "ok" && f.periods().any(|p| p == period)) {
        let Some(code) = f.district_code.as_deref() else { continue };
        let later = |before: &&FileOutcome| f.received.cmp(&before.received).then(f.path.cmp(&before.path)).is_ge();
        if latest.get(code).is_none_or(later) {
            latest.insert(code, f);
        }
    }
    input
        .expected_districts()
        .into_iter()
        .map(|code| {
            let file = latest.get(code.as_str()).copied();
            let arrival = file.map(|f| arrival(f.received, input.period, cutoff));
            Submission { district_code: code, file, arrival }
        })
        .collect()
}

/// (on time, late, time unknown, missing).
pub fn tally(subs: &[Submission]) -> (usize, usize, usize, usize) {
    let mut t = (0, 0, 0, 0);
    for s in subs {
        match s.arrival {
            Some(Arrival::OnTime) => t.0 += 1,
            Some(Arrival::Late(_)) => t.1 += 1,
            Some(Arrival::Unknown) => t.2 += 1,
            None => t.3 += 1,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    #[test]
    fn the_cut_off_is_17_00_wib_by_default() {
        let c = Cutoff::from_config(&CutoffConfig::default());
        let period = NaiveDate::from_ymd_opt(2022, 1, 15).unwrap();
        assert_eq!(c.due(period), utc("2022-01-15T10:00:00Z"));
        assert_eq!(arrival(Some(utc("2022-01-15T09:59:00Z")), period, &c), Arrival::OnTime);
        assert_eq!(arrival(Some(utc("2022-01-15T10:00:00Z")), period, &c), Arrival::OnTime);
        assert_eq!(arrival(Some(utc("2022-01-15T11:30:00Z")), period, &c), Arrival::Late(90));
        assert_eq!(arrival(None, period, &c), Arrival::Unknown);
        assert_eq!(c.local(utc("2022-01-15T09:20:00Z"), crate::config::Lang::Id), "15 Januari 2022 16.20 WIB");
    }
    #[test]
    fn the_cut_off_follows_the_definition() {
        let c = Cutoff::from_config(&CutoffConfig { time: Some("12:00".into()), utc_offset_hours: Some(8), days_after_period: Some(1) });
        let period = NaiveDate::from_ymd_opt(2022, 1, 15).unwrap();
        assert_eq!(c.due(period), utc("2022-01-16T04:00:00Z"));
        assert_eq!(c.zone(), "WITA");
        // Nonsense falls back to the defaults rather than failing the run.
        let c = Cutoff::from_config(&CutoffConfig { time: Some("5 sore".into()), utc_offset_hours: Some(99), days_after_period: None });
        assert_eq!(c.due(period), utc("2022-01-15T10:00:00Z"));
    }
}
