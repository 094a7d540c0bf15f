//! Checks: data-quality findings about figures that read fine one cell at a time but
//! cannot be right together: cumulative counts that went down between periods, more
//! second doses than first doses, coverage above 100%. Each finding names the cell to
//! look at, so it reaches the report's annex and export/findings.csv like any other.

use crate::attain::AttainRow;
use crate::findings::Finding;
use crate::table::{Observation, Target};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Where a count belongs, apart from period and dose.
type Place = (String, Option<String>, Option<String>, &'static str);

fn place(o: &Observation) -> Place {
    (o.district_code.clone(), o.area_code.clone(), o.unit.clone(), o.group.code())
}

fn describe(p: &Place) -> String {
    let mut s = format!("{} in {}", p.3, p.1.as_deref().unwrap_or(&p.0));
    if let Some(u) = &p.2 {
        s.push_str(&format!(" ({u})"));
    }
    s
}

/// Counts per place, dose and period, summed; each keeps its first observation for the
/// location of a finding.
fn counts(obs: &[Observation]) -> BTreeMap<(Place, u8, NaiveDate), (i64, &Observation)> {
    let mut out: BTreeMap<(Place, u8, NaiveDate), (i64, &Observation)> = BTreeMap::new();
    for o in obs {
        out.entry((place(o), o.dose, o.period)).and_modify(|e| e.0 += o.vaccinated).or_insert((o.vaccinated, o));
    }
    out
}

/// A cumulative count that is lower than in the period before.
pub fn counts_went_down(obs: &[Observation]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut last: Option<(&Place, u8, NaiveDate, i64, &Observation)> = None;
    for ((p, dose, period), (n, o)) in &counts(obs) {
        if let Some((lp, ld, lperiod, ln, lo)) = last {
            if lp == p && ld == *dose && *n < ln {
                findings.push(
                    Finding::warning(
                        "count_went_down",
                        &o.source,
                        format!(
                            "cumulative count went down: {} dose {dose}: {ln} on {lperiod} ({}, {} {}), {n} on {period}",
                            describe(p),
                            lo.source,
                            lo.sheet,
                            lo.cell
                        ),
                    )
                    .at(&o.sheet, Some(o.cell.clone())),
                );
            }
        }
        last = Some((p, *dose, *period, *n, o));
    }
    findings
}

/// More people with dose 2 than with dose 1 at the same place and date.
pub fn dose2_above_dose1(obs: &[Observation]) -> Vec<Finding> {
    let c = counts(obs);
    let mut findings = Vec::new();
    for ((p, dose, period), (n2, o)) in &c {
        if *dose != 2 {
            continue;
        }
        if let Some((n1, o1)) = c.get(&(p.clone(), 1, *period)) {
            if n2 > n1 {
                findings.push(
                    Finding::warning(
                        "dose2_above_dose1",
                        &o.source,
                        format!("dose 2 ({n2}) is above dose 1 ({n1}) for {} on {period}; dose 1 is at {} {}", describe(p), o1.sheet, o1.cell),
                    )
                    .at(&o.sheet, Some(o.cell.clone())),
                );
            }
        }
    }
    findings
}

/// Districts whose coverage is above 100% in the period: the target is too low or the
/// counts too high. Located at the target's cell when one cell holds it.
pub fn coverage_above_full(rows: &[AttainRow], period: NaiveDate, targets: &[Target], obs: &[Observation]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for r in rows.iter().filter(|r| r.period == period) {
        let (Some(district), Some(c), Some(v), Some(t)) = (&r.district_code, r.coverage, r.vaccinated, r.target) else { continue };
        if c <= 1.0 {
            continue;
        }
        let cells: Vec<&Target> = targets.iter().filter(|x| &x.district_code == district && x.group.code() == r.group).collect();
        let counted_in = obs.iter().find(|o| &o.district_code == district && o.period == period).map(|o| o.source.clone()).unwrap_or_default();
        let what = format!("coverage above 100% for {} dose {} in {district} on {period}: {v} vaccinated, target {t} ({:.1}%)", r.group, r.dose, c * 100.0);
        let finding = match cells.as_slice() {
            [one] => Finding::warning("coverage_above_100", &one.source, format!("{what}; check this target or the counts in {counted_in}")).at(&one.sheet, Some(one.cell.clone())),
            _ => Finding::warning("coverage_above_100", &counted_in, format!("{what}; check the targets of {district} or these counts")),
        };
        findings.push(finding);
    }
    findings
}

/// All checks, in a stable order.
pub fn run(obs: &[Observation], targets: &[Target], rows: &[AttainRow], period: NaiveDate) -> Vec<Finding> {
    let mut out = counts_went_down(obs);
    out.extend(dose2_above_dose1(obs));
    out.extend(coverage_above_full(rows, period, targets, obs));
    out
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
            source: format!("kerinci-{day}.xlsx"),
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
        let target = Target { province_code: "15".into(), district_code: "15.71".into(), area_code: None, group: Group::Sdmk, target: 3248, source: "sasaran.xlsx".into(), sheet: "Sasaran".into(), cell: "C12".into() };
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
}
