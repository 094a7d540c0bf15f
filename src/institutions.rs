//! Institutional compliance: staff vaccinated per institution (a government agency, a
//! health centre, a prison) against its headcount, from agency submissions — the rows
//! that name a unit rather than an area. Kept apart from the districts' population
//! figures, which they would otherwise count twice.

use crate::layout::vocab::Group;
use crate::table::{Observation, Target};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One institution at one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Institution {
    pub period: NaiveDate,
    pub district_code: String,
    pub unit: String,
    /// Staff to vaccinate (the headcount column), when given.
    pub headcount: Option<i64>,
    /// People vaccinated per dose 1, 2, 3.
    pub doses: [Option<i64>; 3],
    /// Where the figures came from (file, sheet) for the annex and the export.
    pub source: String,
}

impl Institution {
    pub fn coverage(&self, dose: usize) -> Option<f64> {
        match (self.doses.get(dose.wrapping_sub(1)).copied().flatten(), self.headcount) {
            (Some(v), Some(h)) if h > 0 => Some(v as f64 / h as f64),
            _ => None,
        }
    }
}

/// Per (period, district, institution): vaccinated per dose (the groups summed, or the
/// group-less figure when that is all there is) and the headcount.
pub fn compute<'a>(observations: impl IntoIterator<Item = &'a Observation>, targets: &[Target]) -> Vec<Institution> {
    // (period, district, unit) -> per dose: (sum of specific groups, sum of `all`)
    type PerDose = [(i64, i64, bool, bool); 3];
    let mut counts: BTreeMap<(NaiveDate, String, String), (PerDose, String)> = BTreeMap::new();
    for o in observations {
        let Some(unit) = &o.unit else { continue };
        let d = o.dose as usize;
        if !(1..=3).contains(&d) {
            continue;
        }
        let entry = counts.entry((o.period, o.district_code.to_string(), unit.to_string())).or_insert_with(|| ([(0, 0, false, false); 3], o.source.to_string()));
        let slot = &mut entry.0[d - 1];
        if o.group == Group::All {
            slot.1 += o.vaccinated;
            slot.3 = true;
        } else {
            slot.0 += o.vaccinated;
            slot.2 = true;
        }
    }
    let mut headcounts: BTreeMap<(String, String), (i64, i64, bool)> = BTreeMap::new();
    for t in targets {
        let Some(unit) = &t.unit else { continue };
        let e = headcounts.entry((t.district_code.clone(), unit.clone())).or_insert((0, 0, false));
        if t.group == Group::All {
            e.1 += t.target;
            e.2 = true;
        } else {
            e.0 += t.target;
        }
    }
    counts
        .into_iter()
        .map(|((period, district_code, unit), (slots, source))| {
            let doses = slots.map(|(specific, all, has_specific, has_all)| {
                if has_specific {
                    Some(specific)
                } else if has_all {
                    Some(all)
                } else {
                    None
                }
            });
            let headcount = headcounts.get(&(district_code.clone(), unit.clone())).map(|(specific, all, has_all)| if *has_all { *all } else { *specific });
            Institution { period, district_code, unit, headcount, doses, source }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    fn obs(unit: &str, group: Group, dose: u8, n: i64) -> Observation {
        Observation {
            period: NaiveDate::from_ymd_opt(2022, 1, 15).unwrap(),
            province_code: "76".into(),
            district_code: "76.05".into(),
            area_code: None,
            unit: Some(unit.into()),
            group,
            dose,
            vaccinated: n,
            source: "opd.xlsx".into(),
            sheet: "OPD".into(),
            cell: "C5".into(),
        }
    }
    #[test]
    fn staff_vaccinated_against_headcount() {
        let target = Target { province_code: "76".into(), district_code: "76.05".into(), area_code: None, unit: Some("Sekretariat Daerah".into()), group: Group::All, target: 120, source: "opd.xlsx".into(), sheet: "OPD".into(), cell: "B5".into() };
        let got = compute(&[obs("Sekretariat Daerah", Group::All, 1, 61), obs("Sekretariat Daerah", Group::All, 2, 40)], &[target]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].headcount, Some(120));
        assert_eq!(got[0].doses, [Some(61), Some(40), None]);
        assert!((got[0].coverage(1).unwrap() - 61.0 / 120.0).abs() < 1e-12);
        assert_eq!(got[0].coverage(3), None);
    }
}
