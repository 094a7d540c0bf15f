//! A district's figures given at two levels: as the district's total in one file (a
//! provincial recap, a dashboard export) and by sub-district in another (the district's
//! own report). Summed together they counted the district twice.
//!
//! For each district, week, group and dose given at both levels by different files, the
//! level of the newest file giving it is counted (file time, then name, as for
//! resubmissions and repeated figures; within that file, the level read first). The
//! other files' figures of the other level are set aside, and each of those files gets a
//! warning naming both figures. Within one file the two levels are left to the reading
//! of its table (a totals row, a sub-district named as its district).
//! Institutions' staff figures are another population and are left as they are.

use crate::findings::Finding;
use crate::layout::vocab::Group;
use crate::sym::Sym;
use crate::table::{FileTable, Observation};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

type Mtime = Option<chrono::DateTime<chrono::Utc>>;
/// One of a district's figures: period, district, group, dose.
type Figure = (NaiveDate, Sym, Group, u8);
/// Figures described in a warning; the rest are counted.
const SHOWN: usize = 3;

/// `Some(true)` for a district's total, `Some(false)` for a sub-district's figure, `None`
/// for an institution's.
fn is_total(o: &Observation) -> Option<bool> {
    o.unit.is_none().then_some(o.area_code.is_none())
}

fn figure(o: &Observation) -> Figure {
    (o.period, o.district_code, o.group, o.dose)
}

fn level_name(total: bool) -> &'static str {
    if total {
        "the district's total"
    } else {
        "figures by sub-district"
    }
}

/// Sets aside the figures of the level not counted (see the module's text).
pub fn settle_levels(files: &mut [FileTable], mtimes: &[Mtime]) {
    let counts = |f: &FileTable| f.outcome.status == "ok";
    // For each district and week, the files giving its total and those giving it by
    // sub-district. A file's rows mostly share district, week and level: one look-up each.
    // Each file's runs are found in parallel (a year is millions of rows), then gathered.
    use rayon::prelude::*;
    let runs: Vec<Vec<(Sym, NaiveDate, bool)>> = files
        .par_iter()
        .map(|f| {
            let mut runs: Vec<(Sym, NaiveDate, bool)> = Vec::new();
            if !counts(f) {
                return runs;
            }
            for o in &f.observations {
                let Some(total) = is_total(o) else { continue };
                let here = (o.district_code, o.period, total);
                if runs.last() != Some(&here) {
                    runs.push(here);
                }
            }
            runs
        })
        .collect();
    let mut levels: FxHashMap<(Sym, NaiveDate), [Vec<usize>; 2]> = Default::default();
    for (i, runs) in runs.into_iter().enumerate() {
        for (district, period, total) in runs {
            let given_by = &mut levels.entry((district, period)).or_default()[total as usize];
            if !given_by.contains(&i) {
                given_by.push(i);
            }
        }
    }
    // Those given at both levels by different files (both levels within one file are
    // the reading's matter); usually none, and the rest is skipped.
    let mut involved: FxHashSet<usize> = Default::default();
    let both: FxHashSet<(Sym, NaiveDate)> = levels
        .into_iter()
        .filter(|(_, [areas, totals])| !areas.is_empty() && !totals.is_empty() && (areas.len() > 1 || totals.len() > 1 || areas[0] != totals[0]))
        .map(|(k, [areas, totals])| {
            involved.extend(areas.into_iter().chain(totals));
            k
        })
        .collect();
    if both.is_empty() {
        return;
    }
    let at_both = |o: &Observation| is_total(o).is_some() && both.contains(&(o.district_code, o.period));
    // Each figure's counted level: the newest file's, as (file, total?).
    let mut counted: FxHashMap<Figure, (usize, bool)> = Default::default();
    for i in crate::table::newest_first(files, mtimes).into_iter().filter(|i| involved.contains(i)) {
        for o in files[i].observations.iter().filter(|o| at_both(o)) {
            counted.entry(figure(o)).or_insert((i, is_total(o) == Some(true)));
        }
    }
    // Whether file `i`'s observation is of the level not counted, from another file.
    let set_aside = |i: usize, o: &Observation| at_both(o) && counted.get(&figure(o)).is_some_and(|&(winner, total)| winner != i && is_total(o) != Some(total));
    // The counted figures' values, summed over their files, for the warnings.
    let mut kept: FxHashMap<Figure, i64> = Default::default();
    for (i, f) in files.iter().enumerate().filter(|(i, _)| involved.contains(i)) {
        for o in f.observations.iter().filter(|o| at_both(o) && !set_aside(i, o)) {
            *kept.entry(figure(o)).or_default() += o.vaccinated;
        }
    }
    let paths: Vec<String> = files.iter().map(|f| f.outcome.path.clone()).collect();
    for (i, f) in files.iter_mut().enumerate().filter(|(i, _)| involved.contains(i)) {
        // What this file gave at the level not counted, per newer file, district and week:
        // its sums per group and dose, and where the first of them is.
        type Aside = (BTreeMap<(Group, u8), i64>, (String, String), bool);
        let mut aside: BTreeMap<(usize, Sym, NaiveDate), Aside> = BTreeMap::new();
        for o in f.observations.iter().filter(|o| set_aside(i, o)) {
            let winner = counted[&figure(o)].0;
            let (sums, _, _) = aside.entry((winner, o.district_code, o.period)).or_insert_with(|| (BTreeMap::new(), (o.sheet.to_string(), o.cell.to_string()), is_total(o) == Some(true)));
            *sums.entry((o.group, o.dose)).or_default() += o.vaccinated;
        }
        if aside.is_empty() {
            continue;
        }
        let before = f.observations.len();
        f.observations.retain(|o| !set_aside(i, o));
        f.outcome.observations = f.outcome.observations.saturating_sub(before - f.observations.len());
        for ((winner, district, period), (sums, (sheet, cell), total)) in aside {
            let other = &paths[winner];
            let shown: Vec<String> = sums
                .iter()
                .take(SHOWN)
                .map(|(&(group, dose), here)| format!("{} dose {dose}: {here} here, {} there", group.code(), kept.get(&(period, district, group, dose)).copied().unwrap_or_default()))
                .collect();
            let more = if sums.len() > SHOWN { format!("; {} more", sums.len() - SHOWN) } else { String::new() };
            let message = format!(
                "{district} on {period} is given as {} here and as {} in {other}: counted once, as the newer file gives it; the {} group and dose figures here are not counted ({}{more})",
                level_name(total),
                level_name(!total),
                sums.len(),
                shown.join("; "),
            );
            f.findings.push(Finding::warning("figures_at_two_levels", &f.outcome.path.clone(), message).at(&sheet, Some(cell)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::testing::file;

    /// Dose 1 of `group` in 15.09, by sub-district or (no area) as the district's total.
    fn obs(area: Option<&str>, group: Group, n: i64, cell: &str) -> Observation {
        Observation { district_code: "15.09".into(), area_code: area.map(Sym::from), group, ..crate::table::testing::obs("", n, cell) }
    }

    fn at(day: i64) -> Mtime {
        chrono::DateTime::<chrono::Utc>::from_timestamp(1_640_000_000 + day * 86_400, 0)
    }

    fn cells(f: &FileTable) -> Vec<&str> {
        f.observations.iter().map(|o| o.cell.as_str()).collect()
    }

    /// The district's own file by sub-district and a provincial recap with its total:
    /// the newer file's level is counted, for the figures both give; a figure only one
    /// gives is counted as it is.
    #[test]
    fn a_district_given_as_a_total_and_by_sub_district_is_counted_once_at_the_newer_files_level() {
        let own = || file("tebo.csv", vec![obs(Some("15.09.01"), Group::Lansia, 600, "B4"), obs(Some("15.09.02"), Group::Lansia, 400, "B5"), obs(Some("15.09.01"), Group::Sdmk, 50, "C4")]);
        let recap = || file("provinsi.csv", vec![obs(None, Group::Lansia, 990, "B7"), obs(None, Group::Remaja, 70, "C7")]);

        // The recap is newer: its total counts; the sub-districts' lansia figures go.
        let mut files = vec![own(), recap()];
        settle_levels(&mut files, &[at(1), at(2)]);
        assert_eq!(cells(&files[0]), vec!["C4"]);
        assert_eq!(files[0].outcome.observations, 1);
        assert_eq!(cells(&files[1]), vec!["B7", "C7"]);
        let said: Vec<_> = files[0].findings.iter().map(|f| (f.code, f.cell.as_deref(), f.message.as_str())).collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert_eq!(said[0].0, "figures_at_two_levels");
        assert_eq!(said[0].1, Some("B4"));
        assert!(said[0].2.contains("15.09 on 2022-01-15 is given as figures by sub-district here and as the district's total in provinsi.csv"), "{}", said[0].2);
        assert!(said[0].2.contains("lansia dose 1: 1000 here, 990 there"), "{}", said[0].2);
        assert!(files[1].findings.is_empty());

        // The district's file is newer: its sub-districts count; the recap's lansia goes.
        let mut files = vec![own(), recap()];
        settle_levels(&mut files, &[at(3), at(2)]);
        assert_eq!(cells(&files[0]), vec!["B4", "B5", "C4"]);
        assert_eq!(cells(&files[1]), vec!["C7"]);
        assert_eq!(files[1].outcome.observations, 1);
        assert!(files[1].findings[0].message.contains("lansia dose 1: 990 here, 1000 there"), "{}", files[1].findings[0].message);
        assert!(files[0].findings.is_empty());
    }

    /// Both levels in one file are the reading's matter (a totals row, a sub-district
    /// named as its district): nothing is set aside.
    #[test]
    fn both_levels_within_one_file_are_left_as_read() {
        let mut files = vec![file("sarolangun.xlsx", vec![obs(Some("15.09.01"), Group::Lansia, 600, "B4"), obs(None, Group::Lansia, 120, "B5")])];
        settle_levels(&mut files, &[at(1)]);
        assert_eq!(cells(&files[0]), vec!["B4", "B5"]);
        assert!(files[0].findings.is_empty());
    }
}
