//! PPKM vaccination gates: the lowest community-restriction level (PPKM) a district's
//! vaccination permits, the gate it fails next and the people still needed for each part
//! of that gate. In 2021–22 moving from level 3 to 2 needed dose-1 coverage ≥ 50% and
//! elderly (lansia) dose-1 ≥ 40%; from 2 to 1, ≥ 70% and ≥ 60%. The gates come from
//! `[ppkm]` in `sitrep.toml` (these are the defaults) so a new regulation is a config change.
//! Pure functions of the attainment rows.

use crate::attain::AttainRow;
use crate::findings::Finding;
use crate::layout::cells::Zone;
use crate::table::ReportedStatus;
use anyhow::{bail, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `[ppkm]` in `sitrep.toml`, as written. Coverages as fractions (0.5) or percentages (50).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PpkmConfig {
    #[serde(default, rename = "gate")]
    pub gates: Vec<GateConfig>,
    #[serde(default, rename = "agglomeration")]
    pub agglomerations: Vec<Agglomeration>,
    /// Children 6–11 may start where dose 1 is above this (default 70%)…
    pub children_dose1: Option<f64>,
    /// …and elderly dose 1 above this (default 60%).
    pub children_lansia_dose1: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub from: u8,
    pub to: u8,
    pub dose1: f64,
    pub lansia_dose1: f64,
}

/// A named set of districts (a metropolitan area) judged by its lowest member.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Agglomeration {
    pub name: String,
    pub districts: Vec<String>,
}

/// One gate, coverages as fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    pub from: u8,
    pub to: u8,
    pub dose1: f64,
    pub lansia_dose1: f64,
}

impl Gate {
    /// `3→2`.
    pub fn label(&self) -> String {
        format!("{}→{}", self.from, self.to)
    }
}

/// The gates resolved and checked, highest level first.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRules {
    pub gates: Vec<Gate>,
    pub agglomerations: Vec<Agglomeration>,
    pub children_dose1: f64,
    pub children_lansia_dose1: f64,
}

impl Default for GateRules {
    fn default() -> Self {
        GateRules {
            gates: vec![Gate { from: 3, to: 2, dose1: 0.5, lansia_dose1: 0.4 }, Gate { from: 2, to: 1, dose1: 0.7, lansia_dose1: 0.6 }],
            agglomerations: Vec::new(),
            children_dose1: 0.7,
            children_lansia_dose1: 0.6,
        }
    }
}

fn fraction(what: &str, x: f64) -> Result<f64> {
    match x {
        t if t > 1.0 && t <= 100.0 => Ok(t / 100.0),
        t if (0.0..=1.0).contains(&t) => Ok(t),
        t => bail!("ppkm: {what} {t} is not a coverage between 0 and 1 (or 0 and 100)"),
    }
}

impl GateRules {
    pub fn from_config(c: &PpkmConfig) -> Result<GateRules> {
        let defaults = GateRules::default();
        let mut gates = Vec::new();
        for g in &c.gates {
            if g.to >= g.from {
                bail!("ppkm: a gate goes down a level (from = 3, to = 2), not from {} to {}", g.from, g.to);
            }
            gates.push(Gate { from: g.from, to: g.to, dose1: fraction("dose1", g.dose1)?, lansia_dose1: fraction("lansia_dose1", g.lansia_dose1)? });
        }
        if gates.is_empty() {
            gates = defaults.gates;
        }
        gates.sort_by_key(|g| std::cmp::Reverse(g.from));
        // Gates chain: each starts where the one before ends, so the level is well defined.
        for w in gates.windows(2) {
            if let [a, b] = w {
                if a.to != b.from {
                    bail!("ppkm: gates must chain (3→2, 2→1); {} is followed by {}", a.label(), b.label());
                }
            }
        }
        Ok(GateRules {
            gates,
            agglomerations: c.agglomerations.clone(),
            children_dose1: c.children_dose1.map(|x| fraction("children_dose1", x)).transpose()?.unwrap_or(defaults.children_dose1),
            children_lansia_dose1: c.children_lansia_dose1.map(|x| fraction("children_lansia_dose1", x)).transpose()?.unwrap_or(defaults.children_lansia_dose1),
        })
    }
}

/// One district (or agglomeration) in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRow {
    pub period: NaiveDate,
    pub province_code: String,
    /// A district code, or an agglomeration's name.
    pub district_code: String,
    pub is_agglomeration: bool,
    pub dose1_coverage: Option<f64>,
    pub lansia_dose1_coverage: Option<f64>,
    /// The lowest level vaccination permits; `None` without both coverages.
    pub level_by_vaccination: Option<u8>,
    /// The gate failed next; `None` when every gate is passed (or no figures).
    pub next_gate: Option<Gate>,
    pub people_needed_dose1: Option<i64>,
    pub people_needed_lansia: Option<i64>,
    /// Dose 1 above 70% and lansia dose 1 above 60% (strictly).
    pub children_may_start: Option<bool>,
    /// (vaccinated, target) behind the two coverages.
    pub dose1: Option<(i64, i64)>,
    pub lansia: Option<(i64, i64)>,
    /// The level or zone colour the submissions report for the district, if any.
    pub reported: Option<Reported>,
}

/// What the submissions say of a district's PPKM level and zone, beside what its
/// vaccination permits (the level also depends on cases, beds and tracing).
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub ppkm_level: Option<u8>,
    pub zone: Option<Zone>,
    /// Where it was read: `file, sheet 'S' cell D7` (the first of several).
    pub at: String,
    /// Only sub-district rows carried it and their zones differ: the worst is shown.
    pub worst_of_areas: bool,
}

/// ceil(threshold × target) − vaccinated, never below zero. The epsilon keeps 0.5 × 10
/// from ceiling to 6.
pub fn people_needed(threshold: f64, target: i64, vaccinated: i64) -> i64 {
    let goal = (threshold * target as f64 - 1e-9).ceil() as i64;
    (goal - vaccinated).max(0)
}

/// Vaccinated and target of one figure, when both are known and the target is positive.
fn figure(r: Option<&AttainRow>) -> Option<(i64, i64)> {
    let r = r?;
    match (r.vaccinated, r.target) {
        (Some(v), Some(t)) if t > 0 => Some((v, t)),
        _ => None,
    }
}

/// The level and next gate for two coverages.
pub fn level(rules: &GateRules, dose1: f64, lansia: f64) -> (u8, Option<Gate>) {
    let Some(first) = rules.gates.first() else { return (0, None) };
    let mut level = first.from;
    for g in &rules.gates {
        if dose1 >= g.dose1 && lansia >= g.lansia_dose1 {
            level = g.to;
        } else {
            return (level, Some(*g));
        }
    }
    (level, None)
}

/// Gate rows for every district and period of the attainment rows, then the
/// agglomerations, sorted by period and code.
pub fn compute(rows: &[AttainRow], rules: &GateRules) -> Vec<GateRow> {
    use crate::sym::Sym;
    // (period, district) → (province, all dose 1, lansia dose 1), keyed by the interned
    // codes (a year has 190,000 dose-1 rows: a text key was a copy of the code for each),
    // then put in the order of the period and the code's text.
    type Pair<'a> = (Sym, Option<&'a AttainRow>, Option<&'a AttainRow>);
    let mut keyed: rustc_hash::FxHashMap<(NaiveDate, Sym), Pair> = Default::default();
    for r in rows.iter().filter(|r| r.dose == 1) {
        let Some(d) = r.district_code else { continue };
        let e = keyed.entry((r.period, d)).or_insert((r.province_code, None, None));
        match r.group.as_str() {
            "all" => e.1 = Some(r),
            "lansia" => e.2 = Some(r),
            _ => {}
        }
    }
    let mut keyed: Vec<((NaiveDate, Sym), Pair)> = keyed.into_iter().collect();
    keyed.sort_unstable_by(|((p1, d1), _), ((p2, d2), _)| (p1, d1.as_str()).cmp(&(p2, d2.as_str())));
    let mut out = Vec::with_capacity(keyed.len());
    for ((period, code), (province, all, lansia)) in &keyed {
        let (a, l) = (figure(*all), figure(*lansia));
        let mut row = GateRow {
            period: *period,
            province_code: province.to_string(),
            district_code: code.to_string(),
            is_agglomeration: false,
            dose1_coverage: a.map(|(v, t)| v as f64 / t as f64),
            lansia_dose1_coverage: l.map(|(v, t)| v as f64 / t as f64),
            level_by_vaccination: None,
            next_gate: None,
            people_needed_dose1: None,
            people_needed_lansia: None,
            children_may_start: None,
            dose1: a,
            lansia: l,
            reported: None,
        };
        if let (Some((av, at)), Some((lv, lt)), Some(c1), Some(cl)) = (a, l, row.dose1_coverage, row.lansia_dose1_coverage) {
            let (lvl, next) = level(rules, c1, cl);
            row.level_by_vaccination = Some(lvl);
            row.next_gate = next;
            // Every gate passed: nothing more is needed.
            row.people_needed_dose1 = Some(next.map(|g| people_needed(g.dose1, at, av)).unwrap_or(0));
            row.people_needed_lansia = Some(next.map(|g| people_needed(g.lansia_dose1, lt, lv)).unwrap_or(0));
            row.children_may_start = Some(c1 > rules.children_dose1 && cl > rules.children_lansia_dose1);
        }
        out.push(row);
    }
    let mut agglomerations = Vec::new();
    // The rows come by period (from the map's order): each period's are looked at once.
    for of_period in out.chunk_by(|a, b| a.period == b.period) {
        for a in &rules.agglomerations {
            let members: Vec<&GateRow> = of_period.iter().filter(|r| a.districts.contains(&r.district_code)).collect();
            agglomerations.push(agglomeration(a, of_period[0].period, &members));
        }
    }
    out.extend(agglomerations);
    out
}

/// An agglomeration is at the level of its lowest member; to pass that member's gate
/// every member must, so the people needed are summed over the members.
fn agglomeration(a: &Agglomeration, period: NaiveDate, members: &[&GateRow]) -> GateRow {
    let complete = !members.is_empty() && members.len() == a.districts.len() && members.iter().all(|m| m.level_by_vaccination.is_some());
    let min = |f: fn(&GateRow) -> Option<f64>| members.iter().filter_map(|m| f(m)).reduce(f64::min);
    let mut row = GateRow {
        period,
        province_code: members.first().map(|m| m.province_code.clone()).unwrap_or_default(),
        district_code: a.name.clone(),
        is_agglomeration: true,
        dose1_coverage: None,
        lansia_dose1_coverage: None,
        level_by_vaccination: None,
        next_gate: None,
        people_needed_dose1: None,
        people_needed_lansia: None,
        children_may_start: None,
        dose1: None,
        lansia: None,
        reported: None,
    };
    // A member without figures leaves the agglomeration without a level: it cannot be judged.
    let Some(worst) = members.iter().filter(|_| complete).max_by_key(|m| m.level_by_vaccination) else { return row };
    row.dose1_coverage = min(|m| m.dose1_coverage);
    row.lansia_dose1_coverage = min(|m| m.lansia_dose1_coverage);
    row.level_by_vaccination = worst.level_by_vaccination;
    row.next_gate = worst.next_gate;
    row.children_may_start = Some(members.iter().all(|m| m.children_may_start == Some(true)));
    // Each member's shortfall against the agglomeration's next gate (not its own).
    let need = |threshold: f64, f: Option<(i64, i64)>| f.map(|(v, t)| people_needed(threshold, t, v)).unwrap_or(0);
    row.people_needed_dose1 = Some(worst.next_gate.map(|g| members.iter().map(|m| need(g.dose1, m.dose1)).sum()).unwrap_or(0));
    row.people_needed_lansia = Some(worst.next_gate.map(|g| members.iter().map(|m| need(g.lansia_dose1, m.lansia)).sum()).unwrap_or(0));
    row
}

/// Puts beside each district's gate what its submissions report for the same period.
/// District-level rows win over sub-district rows; of several, the strictest level and
/// the worst zone are shown, and district-level reports that disagree are a finding.
pub fn attach_reported(rows: &mut [GateRow], statuses: &[ReportedStatus]) -> Vec<Finding> {
    use std::collections::BTreeMap;
    let mut by_district: BTreeMap<(NaiveDate, &str), Vec<&ReportedStatus>> = BTreeMap::new();
    for s in statuses {
        by_district.entry((s.period, s.district_code.as_str())).or_default().push(s);
    }
    let mut findings = Vec::new();
    for row in rows.iter_mut().filter(|r| !r.is_agglomeration) {
        let Some(all) = by_district.get(&(row.period, row.district_code.as_str())) else { continue };
        let district_level: Vec<&ReportedStatus> = all.iter().copied().filter(|s| s.area_code.is_none()).collect();
        let from_areas = district_level.is_empty();
        let chosen = if from_areas { all.clone() } else { district_level };
        let ppkm_level = chosen.iter().filter_map(|s| s.ppkm_level).max();
        let zone = chosen.iter().filter_map(|s| s.zone).max();
        let at = |s: &ReportedStatus| format!("{}, sheet '{}' cell {}", s.source, s.sheet, s.cell);
        let Some(first) = chosen.iter().find(|s| s.ppkm_level == ppkm_level && ppkm_level.is_some()).or(chosen.first()) else { continue };
        // Sub-districts may differ (each has its own zone); district-level reports may not.
        let levels: std::collections::BTreeSet<u8> = chosen.iter().filter_map(|s| s.ppkm_level).collect();
        let zones: std::collections::BTreeSet<Zone> = chosen.iter().filter_map(|s| s.zone).collect();
        if !from_areas && (levels.len() > 1 || zones.len() > 1) || from_areas && levels.len() > 1 {
            let said: Vec<String> = chosen.iter().map(|s| format!("{} ({})", describe(s.ppkm_level, s.zone), at(s))).collect();
            findings.push(
                Finding::warning(
                    "ppkm_status_conflict",
                    &first.source,
                    format!("{} on {}: the submissions report different PPKM levels or zones: {}; the strictest, {}, is shown", row.district_code, row.period, said.join("; "), describe(ppkm_level, zone)),
                )
                .at(&first.sheet, Some(first.cell.clone())),
            );
        }
        row.reported = Some(Reported { ppkm_level, zone, at: at(first), worst_of_areas: from_areas && zones.len() > 1 });
    }
    findings
}

/// `level 3, zona merah` for findings.
fn describe(level: Option<u8>, zone: Option<Zone>) -> String {
    let parts: Vec<String> = level.map(|l| format!("level {l}")).into_iter().chain(zone.map(|z| format!("zona {}", z.names().0))).collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, 15).unwrap()
    }
    fn row(district: &str, group: &str, v: Option<i64>, t: Option<i64>) -> AttainRow {
        AttainRow {
            period: d(),
            province_code: "15".into(),
            district_code: Some(district.into()),
            group: group.into(),
            dose: 1,
            vaccinated: v,
            target: t,
            coverage: None,
            people_needed: None,
            rank: None,
        }
    }
    fn district(code: &str, all: (i64, i64), lansia: (i64, i64)) -> Vec<AttainRow> {
        vec![row(code, "all", Some(all.0), Some(all.1)), row(code, "lansia", Some(lansia.0), Some(lansia.1))]
    }
    fn find<'a>(rows: &'a [GateRow], code: &str) -> &'a GateRow {
        rows.iter().find(|r| r.district_code == code).unwrap()
    }

    #[test]
    fn level_next_gate_and_people_needed_by_hand() {
        let mut rows = district("15.01", (600, 1000), (45, 100)); // 60%, 45%
        rows.extend(district("15.02", (499, 1000), (90, 100))); // 49.9%, 90%
        rows.extend(district("15.03", (701, 1000), (61, 100))); // 70.1%, 61%
        rows.extend(district("15.04", (500, 1000), (40, 100))); // exactly on the 3→2 gate
        rows.push(row("15.05", "all", Some(800), Some(1000))); // no lansia figure
        let g = compute(&rows, &GateRules::default());
        assert_eq!(g.len(), 5);

        let a = find(&g, "15.01");
        assert_eq!((a.level_by_vaccination, a.next_gate.map(|g| g.label())), (Some(2), Some("2→1".into())));
        // ceil(0.7 × 1000) − 600 = 100; ceil(0.6 × 100) − 45 = 15.
        assert_eq!((a.people_needed_dose1, a.people_needed_lansia), (Some(100), Some(15)));
        assert_eq!(a.children_may_start, Some(false));

        let b = find(&g, "15.02");
        assert_eq!((b.level_by_vaccination, b.next_gate.map(|g| g.label())), (Some(3), Some("3→2".into())));
        // 500 − 499 = 1; the elderly part of the gate is already met.
        assert_eq!((b.people_needed_dose1, b.people_needed_lansia), (Some(1), Some(0)));

        let c = find(&g, "15.03");
        assert_eq!((c.level_by_vaccination, c.next_gate), (Some(1), None));
        assert_eq!((c.people_needed_dose1, c.people_needed_lansia, c.children_may_start), (Some(0), Some(0), Some(true)));

        let e = find(&g, "15.04");
        assert_eq!((e.level_by_vaccination, e.next_gate.map(|g| g.label())), (Some(2), Some("2→1".into())));
        assert_eq!((e.people_needed_dose1, e.people_needed_lansia), (Some(200), Some(20)));

        let n = find(&g, "15.05");
        assert_eq!((n.dose1_coverage, n.lansia_dose1_coverage, n.level_by_vaccination, n.people_needed_dose1), (Some(0.8), None, None, None));
    }

    #[test]
    fn children_start_needs_strictly_above_70_and_60() {
        let rows = district("15.01", (700, 1000), (61, 100));
        assert_eq!(compute(&rows, &GateRules::default())[0].children_may_start, Some(false));
    }

    #[test]
    fn an_agglomeration_is_judged_by_its_lowest_member() {
        let mut rows = district("15.71", (600, 1000), (45, 100));
        rows.extend(district("15.05", (400, 2000), (10, 200)));
        let rules = GateRules { agglomerations: vec![Agglomeration { name: "Jambi Raya".into(), districts: vec!["15.71".into(), "15.05".into()] }], ..GateRules::default() };
        let g = compute(&rows, &rules);
        let a = find(&g, "Jambi Raya");
        assert!(a.is_agglomeration);
        assert_eq!((a.level_by_vaccination, a.next_gate.map(|g| g.label())), (Some(3), Some("3→2".into())));
        // 15.05 needs 1000 − 400 = 600 and 80 − 10 = 70; 15.71 already meets 3→2.
        assert_eq!((a.people_needed_dose1, a.people_needed_lansia), (Some(600), Some(70)));
        assert_eq!((a.dose1_coverage, a.lansia_dose1_coverage), (Some(0.2), Some(0.05)));
        // A member without figures: the agglomeration cannot be judged.
        let g = compute(&district("15.71", (600, 1000), (45, 100)), &rules);
        assert_eq!(find(&g, "Jambi Raya").level_by_vaccination, None);
    }

    #[test]
    fn gates_come_from_the_configuration() {
        let c: PpkmConfig = toml::from_str("children_dose1 = 75").unwrap();
        assert_eq!(GateRules::from_config(&c).unwrap().children_dose1, 0.75);
        assert_eq!(GateRules::from_config(&PpkmConfig::default()).unwrap(), GateRules::default());
        let c: PpkmConfig = toml::from_str("[[gate]]\nfrom = 2\nto = 1\ndose1 = 80\nlansia_dose1 = 0.65\n[[gate]]\nfrom = 4\nto = 2\ndose1 = 40\nlansia_dose1 = 30").unwrap();
        let r = GateRules::from_config(&c).unwrap();
        assert_eq!(r.gates.iter().map(Gate::label).collect::<Vec<_>>(), ["4→2", "2→1"]);
        assert_eq!((r.gates[1].dose1, r.gates[1].lansia_dose1), (0.8, 0.65));
        assert_eq!(level(&r, 0.39, 0.9), (4, Some(r.gates[0])));
        let broken: PpkmConfig = toml::from_str("[[gate]]\nfrom = 3\nto = 2\ndose1 = 50\nlansia_dose1 = 40\n[[gate]]\nfrom = 1\nto = 0\ndose1 = 70\nlansia_dose1 = 60").unwrap();
        assert!(GateRules::from_config(&broken).unwrap_err().to_string().contains("chain"));
        assert!(toml::from_str::<PpkmConfig>("[[gate]]\nfrom = 3\nto = 2\ndose = 50\nlansia_dose1 = 40").is_err());
    }

    fn status(district: &str, area: Option<&str>, level: Option<u8>, zone: Option<Zone>, cell: &str) -> ReportedStatus {
        ReportedStatus { period: d(), district_code: district.into(), area_code: area.map(Into::into), ppkm_level: level, zone, source: "f.xlsx".into(), sheet: "S".into(), cell: cell.into() }
    }

    #[test]
    fn reported_level_and_zone_sit_beside_the_gate() {
        let mut rows = district("15.01", (600, 1000), (45, 100));
        rows.extend(district("15.02", (600, 1000), (45, 100)));
        rows.extend(district("15.03", (600, 1000), (45, 100)));
        let mut g = compute(&rows, &GateRules::default());
        let statuses = vec![
            // 15.01: one district-level report.
            status("15.01", None, Some(3), Some(Zone::Oranye), "E5"),
            // 15.02: sub-district rows only, zones differ (normal), one level.
            status("15.02", Some("15.02.01"), Some(2), Some(Zone::Kuning), "E5"),
            status("15.02", Some("15.02.02"), Some(2), Some(Zone::Merah), "E6"),
            // 15.03: two district-level reports that disagree.
            status("15.03", None, Some(2), None, "E5"),
            status("15.03", None, Some(4), None, "E9"),
        ];
        let findings = attach_reported(&mut g, &statuses);
        let r1 = find(&g, "15.01").reported.clone().unwrap();
        assert_eq!((r1.ppkm_level, r1.zone, r1.worst_of_areas, r1.at.as_str()), (Some(3), Some(Zone::Oranye), false, "f.xlsx, sheet 'S' cell E5"));
        // Vaccination alone permits level 2; the reported level is what the district is at.
        assert_eq!(find(&g, "15.01").level_by_vaccination, Some(2));
        let r2 = find(&g, "15.02").reported.clone().unwrap();
        assert_eq!((r2.ppkm_level, r2.zone, r2.worst_of_areas), (Some(2), Some(Zone::Merah), true));
        let r3 = find(&g, "15.03").reported.clone().unwrap();
        assert_eq!((r3.ppkm_level, r3.at.as_str()), (Some(4), "f.xlsx, sheet 'S' cell E9"));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].message.contains("15.03") && findings[0].message.contains("the strictest, level 4, is shown"), "{}", findings[0].message);
        // A status of another period is not shown.
        let mut g = compute(&district("15.01", (600, 1000), (45, 100)), &GateRules::default());
        let mut other = status("15.01", None, Some(3), None, "E5");
        other.period = NaiveDate::from_ymd_opt(2022, 1, 8).unwrap();
        assert!(attach_reported(&mut g, &[other]).is_empty());
        assert_eq!(g[0].reported, None);
    }
}
