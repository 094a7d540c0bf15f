//! Register versus application: districts keep their own register (their spreadsheets)
//! while the national application often lags. Given both, the gap per district, group and
//! dose in people and in percentage points, and whether closing it would change the PPKM
//! level the district's vaccination permits as the application sees it. The largest gaps
//! are data-entry work a district can do this week. Pure functions of attainment rows.

use crate::attain::AttainRow;
use crate::gates::GateRow;
use crate::sym::Sym;
use chrono::NaiveDate;

/// One district, group and dose where the register and the application differ.
#[derive(Debug, Clone, PartialEq)]
pub struct AppGap {
    pub period: NaiveDate,
    /// The date of the application's figures (the register's period when it has it).
    pub app_period: NaiveDate,
    pub district_code: String,
    pub group: String,
    pub dose: i32,
    pub register: i64,
    pub app: i64,
    /// register − app: people vaccinated but not (yet) entered in the application.
    pub gap_people: i64,
    /// The same in percentage points of the target (0.09 = 9 pp), when there is one.
    pub gap_pp: Option<f64>,
    /// The PPKM level by vaccination from the application's figures and the register's.
    pub level_by_app: Option<u8>,
    pub level_by_register: Option<u8>,
}

impl AppGap {
    /// Entering the register's figures in the application would lower the level.
    pub fn closing_changes_gate(&self) -> bool {
        matches!((self.level_by_app, self.level_by_register), (Some(a), Some(r)) if r < a)
    }
}

/// The application's period compared with `period`: the same date, else its latest before.
pub fn app_period(app: &[AttainRow], period: NaiveDate) -> Option<NaiveDate> {
    app.iter().map(|r| r.period).filter(|p| *p <= period).max()
}

/// Each district's PPKM level by vaccination at `period`, the first gate of each as a
/// scan finds it.
fn levels_of(gates: &[GateRow], period: NaiveDate) -> std::collections::HashMap<&str, Option<u8>> {
    let mut of = std::collections::HashMap::new();
    for g in gates.iter().filter(|g| g.period == period && !g.is_agglomeration) {
        of.entry(g.district_code.as_str()).or_insert(g.level_by_vaccination);
    }
    of
}

/// Gaps at `period` (register) against the application's figures of [`app_period`], the
/// largest first. Figures missing on either side are not compared.
pub fn compare(register: &[AttainRow], app: &[AttainRow], register_gates: &[GateRow], app_gates: &[GateRow], period: NaiveDate) -> Vec<AppGap> {
    let Some(ap) = app_period(app, period) else { return Vec::new() };
    // Looked up by key, the first of each as a scan finds it: a national register has
    // 10,000 rows a week, and its gates are every week's.
    let mut app_of: std::collections::HashMap<(Sym, Sym, i32), &AttainRow> = std::collections::HashMap::new();
    for a in app.iter().filter(|a| a.period == ap) {
        if let Some(d) = a.district_code {
            app_of.entry((d, a.group, a.dose)).or_insert(a);
        }
    }
    let (app_levels, register_levels) = (levels_of(app_gates, ap), levels_of(register_gates, period));
    let level = |of: &std::collections::HashMap<&str, Option<u8>>, d: &str| of.get(d).copied().flatten();
    let mut out = Vec::new();
    for r in register.iter().filter(|r| r.period == period) {
        let (Some(d), Some(reg)) = (&r.district_code, r.vaccinated) else { continue };
        let Some(a) = app_of.get(&(*d, r.group, r.dose)).copied() else { continue };
        let Some(av) = a.vaccinated else { continue };
        if av == reg {
            continue;
        }
        out.push(AppGap {
            period,
            app_period: ap,
            district_code: d.to_string(),
            group: r.group.to_string(),
            dose: r.dose,
            register: reg,
            app: av,
            gap_people: reg - av,
            gap_pp: r.target.filter(|t| *t > 0).map(|t| (reg - av) as f64 / t as f64),
            level_by_app: level(&app_levels, d.as_str()),
            level_by_register: level(&register_levels, d.as_str()),
        });
    }
    out.sort_by(|a, b| b.gap_people.cmp(&a.gap_people).then(a.district_code.cmp(&b.district_code)).then(a.group.cmp(&b.group)).then(a.dose.cmp(&b.dose)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::{compute, GateRules};

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, day).unwrap()
    }
    fn row(period: NaiveDate, district: &str, group: &str, v: i64, t: i64) -> AttainRow {
        AttainRow {
            period,
            province_code: "15".into(),
            district_code: Some(district.into()),
            group: group.into(),
            dose: 1,
            vaccinated: Some(v),
            target: Some(t),
            coverage: Some(v as f64 / t as f64),
            people_needed: None,
            rank: None,
        }
    }

    #[test]
    fn the_elderly_entered_by_hand_but_not_in_the_app_keep_a_stricter_level() {
        // The article's case: elderly 46.7% by hand, 37.7% in the app (target 1000).
        let register = vec![row(d(15), "15.01", "all", 600, 1000), row(d(15), "15.01", "lansia", 467, 1000), row(d(15), "15.02", "all", 800, 1000)];
        let app = vec![row(d(14), "15.01", "all", 590, 1000), row(d(14), "15.01", "lansia", 377, 1000), row(d(14), "15.02", "all", 800, 1000)];
        let rules = GateRules::default();
        let g = compare(&register, &app, &compute(&register, &rules), &compute(&app, &rules), d(15));
        assert_eq!(g.len(), 2, "{g:?}");
        // Largest first: 467 − 377 = 90 elderly, 9 pp; then 600 − 590 = 10.
        assert_eq!((g[0].group.as_str(), g[0].register, g[0].app, g[0].gap_people), ("lansia", 467, 377, 90));
        assert!((g[0].gap_pp.unwrap() - 0.09).abs() < 1e-12);
        assert_eq!(g[0].app_period, d(14));
        // By the app: dose 1 59% ≥ 50% but elderly 37.7% < 40%: level 3. By the register: 2.
        assert_eq!((g[0].level_by_app, g[0].level_by_register), (Some(3), Some(2)));
        assert!(g[0].closing_changes_gate());
        assert_eq!((g[1].group.as_str(), g[1].gap_people), ("all", 10));
        // No application figures at or before the period: nothing to compare.
        assert!(compare(&register, &app, &[], &[], d(13)).is_empty());
    }
}
