//! The national weekly report, when several provinces are in the input: the same
//! sections as a province's report (from `reports/national.toml`), with provinces in
//! the place of districts. The province rows of the attainment frame become the
//! "district" rows of a national view, ranked among themselves, and their sums the
//! national row.

use super::AttainRow;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The code the national view is filed under (no province has it).
pub const CODE: &str = "00";

/// Province rows as the districts of the nation, ranked by coverage per period, group and
/// dose; plus national totals (the sum over the provinces with a figure).
pub fn rows(rows: &[AttainRow], threshold: f64) -> Vec<AttainRow> {
    // Interned once, not for each of a year's 40,000 rows.
    let code = crate::sym::Sym::new(CODE);
    let mut out: Vec<AttainRow> = rows
        .iter()
        .filter(|r| r.district_code.is_none() && r.province_code != code)
        .map(|r| {
            // A province without targets has no coverage, not a target of 0.
            let has_target = r.target.is_some_and(|t| t > 0);
            AttainRow {
                province_code: code,
                district_code: Some(r.province_code),
                rank: None,
                target: r.target.filter(|_| has_target),
                coverage: r.coverage.filter(|_| has_target),
                people_needed: r.people_needed.filter(|_| has_target),
                ..r.clone()
            }
        })
        .collect();
    // Rank: highest coverage first, ties by code (as attain ranks districts).
    let mut by_key: BTreeMap<(NaiveDate, crate::sym::Sym, i32), Vec<usize>> = BTreeMap::new();
    for (i, r) in out.iter().enumerate() {
        by_key.entry((r.period, r.group, r.dose)).or_default().push(i);
    }
    let mut totals = Vec::new();
    for ((period, group, dose), of_key) in by_key {
        let mut idx = of_key.clone();
        idx.retain(|i| out[*i].coverage.is_some());
        idx.sort_by(|a, b| out[*b].coverage.unwrap_or(0.0).total_cmp(&out[*a].coverage.unwrap_or(0.0)).then(out[*a].district_code.cmp(&out[*b].district_code)));
        for (k, i) in idx.iter().enumerate() {
            out[*i].rank = Some(k as i32 + 1);
        }
        // The key's rows, by the places gathered above (scanning every row per key was
        // quadratic in a year's periods).
        let of_key: Vec<&AttainRow> = of_key.iter().map(|i| &out[*i]).collect();
        let vaccinated: Option<i64> = of_key.iter().filter_map(|r| r.vaccinated).reduce(|a, b| a + b);
        let target: Option<i64> = of_key.iter().filter_map(|r| r.target).reduce(|a, b| a + b).filter(|t| *t > 0);
        let coverage = vaccinated.zip(target).map(|(v, t)| v as f64 / t as f64);
        let people_needed = vaccinated.zip(target).map(|(v, t)| ((threshold * t as f64 - 1e-9).ceil() as i64 - v).max(0));
        totals.push(AttainRow { period, province_code: code, district_code: None, group, dose, vaccinated, target, coverage, people_needed, rank: None });
    }
    out.extend(totals);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    fn prov(code: &str, v: i64, t: i64) -> AttainRow {
        AttainRow {
            period: NaiveDate::from_ymd_opt(2022, 1, 15).unwrap(),
            province_code: code.into(),
            district_code: None,
            group: "all".into(),
            dose: 1,
            vaccinated: Some(v),
            target: Some(t),
            coverage: Some(v as f64 / t as f64),
            people_needed: Some(((0.7 * t as f64 - 1e-9).ceil() as i64 - v).max(0)),
            rank: None,
        }
    }
    #[test]
    fn provinces_are_ranked_and_summed() {
        let mut district = prov("15", 10, 20);
        district.district_code = Some("15.01".into());
        let rows = rows(&[prov("15", 600, 1000), prov("14", 900, 1000), prov("16", 300, 1000), district], 0.7);
        let get = |code: Option<&str>| rows.iter().find(|r| r.district_code.as_deref() == code).unwrap();
        assert_eq!(rows.len(), 4, "districts are not part of the national view");
        assert_eq!((get(Some("14")).rank, get(Some("15")).rank, get(Some("16")).rank), (Some(1), Some(2), Some(3)));
        assert!(rows.iter().all(|r| r.province_code == CODE));
        let nation = get(None);
        assert_eq!((nation.vaccinated, nation.target, nation.people_needed), (Some(1800), Some(3000), Some(300)));
        assert_eq!(nation.coverage, Some(0.6));
    }
}
