//! Attain: coverage, people still needed and rank, per period, district (and province),
//! group (and `all`) and dose, computed with polars' lazy API from the canonical table.

use crate::layout::vocab::Group;
use crate::sym::Sym;
use chrono::NaiveDate;
use polars::prelude::*;
use std::collections::BTreeSet;

/// The districts and the (group, dose) pairs every period gets a row for: those of all
/// periods' figures and of the targets. A period's attainment depends on its own
/// figures, the targets and this scope, never on other periods'.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// (province code, district code), sorted.
    pub districts: Vec<(String, String)>,
    /// (group's position in [`Group::SPECIFIC`], 6 for `all`; dose), sorted.
    pub combos: Vec<(usize, i32)>,
}

impl Scope {
    /// The scope of the figures and targets (an institution's rows, which have a unit,
    /// are not counted, as in [`compute`]).
    pub fn of(obs: &DataFrame, targets: &DataFrame) -> PolarsResult<Scope> {
        let mut districts: rustc_hash::FxHashSet<(&str, &str)> = Default::default();
        districts_of(obs, &mut districts)?;
        let mut combos: BTreeSet<(usize, i32)> = BTreeSet::new();
        let (g, ds, no_unit) = (obs.column("group")?.str()?, obs.column("dose")?.i32()?, obs.column("unit")?.is_null());
        for ((g, d), keep) in g.iter().zip(ds.iter()).zip(no_unit.iter()) {
            if let (Some(g), Some(d), Some(true)) = (g, d, keep) {
                combos.insert((group_order(g), d));
            }
        }
        Scope::gathered(districts, combos, targets)
    }

    /// [`Scope::of`] the frame [`crate::table::district_sums_frame`] makes of periods'
    /// sums, given by each period's districts and (group, dose) pairs
    /// ([`crate::period_sums::PeriodSums`]): the sums themselves are not read.
    pub fn of_periods<'a>(periods: impl Iterator<Item = (&'a [(Sym, Sym)], &'a [(Group, u8)])>, targets: &DataFrame) -> PolarsResult<Scope> {
        let mut districts: rustc_hash::FxHashSet<(&str, &str)> = Default::default();
        let mut combos: BTreeSet<(usize, i32)> = BTreeSet::new();
        for (ds, cs) in periods {
            districts.extend(ds.iter().map(|(p, d)| (p.as_str(), d.as_str())));
            combos.extend(cs.iter().map(|(g, dose)| (group_order(g.code()), i32::from(*dose))));
        }
        Scope::gathered(districts, combos, targets)
    }

    /// The scope of the figures' districts and (group, dose) pairs, with the targets'
    /// districts and `all` for every dose (and doses 1–3 always).
    fn gathered<'a>(mut districts: rustc_hash::FxHashSet<(&'a str, &'a str)>, mut combos: BTreeSet<(usize, i32)>, targets: &'a DataFrame) -> PolarsResult<Scope> {
        districts_of(targets, &mut districts)?;
        let doses: Vec<i32> = combos.iter().map(|(_, d)| *d).chain(1..=3).collect();
        combos.extend(doses.into_iter().map(|d| (6usize, d))); // 6 = all
        let mut districts: Vec<(String, String)> = districts.into_iter().map(|(p, d)| (p.to_string(), d.to_string())).collect();
        districts.sort_unstable();
        Ok(Scope { districts, combos: combos.into_iter().collect() })
    }
}

/// A group's place in [`Group::SPECIFIC`], 6 for `all`.
fn group_order(code: &str) -> usize {
    Group::SPECIFIC.iter().position(|g| g.code() == code).unwrap_or(6)
}

/// The (province, district) pairs of a frame's rows without a unit.
fn districts_of<'a>(df: &'a DataFrame, districts: &mut rustc_hash::FxHashSet<(&'a str, &'a str)>) -> PolarsResult<()> {
    let (p, d, unit) = (df.column("province_code")?.str()?, df.column("district_code")?.str()?, df.column("unit")?);
    let no_unit = unit.is_null();
    for ((p, d), keep) in p.iter().zip(d.iter()).zip(no_unit.iter()) {
        if let (Some(p), Some(d), Some(true)) = (p, d, keep) {
            districts.insert((p, d));
        }
    }
    Ok(())
}

/// The keys every district gets a row for, even when it sent nothing that period
/// (then `vaccinated` is null: "no report" must not read as "0 doses").
fn keys_frame(obs: &DataFrame, scope: &Scope) -> PolarsResult<DataFrame> {
    let periods: BTreeSet<i32> = obs.column("period")?.cast(&DataType::Int32)?.i32()?.into_no_null_iter().collect();
    // In the order the districts are ranked in: period, group, dose, district (the joins
    // keep it, so the frame needs no sort; sorting 640,000 rows a year took a fifth of
    // attainment's time).
    let mut combos: Vec<(&str, i32)> = scope.combos.iter().map(|(gi, dose)| (if *gi == 6 { "all" } else { Group::SPECIFIC[*gi].code() }, *dose)).collect();
    combos.sort_unstable();
    let mut districts: Vec<(&str, &str)> = scope.districts.iter().map(|(prov, d)| (d.as_str(), prov.as_str())).collect();
    districts.sort_unstable();
    let (mut cp, mut cprov, mut cd, mut cg, mut cdose) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in &periods {
        for (group, dose) in &combos {
            for (d, prov) in &districts {
                cp.push(*p);
                cprov.push(*prov);
                cd.push(*d);
                cg.push(*group);
                cdose.push(*dose);
            }
        }
    }
    DataFrame::new(
        cp.len(),
        vec![
            Int32Chunked::from_vec("period".into(), cp).into_date().into_series().into(),
            StringChunked::from_iter_values("province_code".into(), cprov.into_iter()).into_series().into(),
            StringChunked::from_iter_values("district_code".into(), cd.into_iter()).into_series().into(),
            StringChunked::from_iter_values("group".into(), cg.into_iter()).into_series().into(),
            Column::new("dose".into(), cdose),
        ],
    )
}

fn left(on: &[&str]) -> (Vec<Expr>, JoinArgs) {
    let keys = on.iter().map(|c| col(*c)).collect();
    (keys, JoinArgs { maintain_order: MaintainOrderJoin::Left, ..JoinArgs::new(JoinType::Left) })
}

/// Attainment per district and for the province, one frame:
/// `period, province_code, district_code (null for the province row), group, dose,
/// vaccinated, target, coverage, threshold, people_needed, rank_in_province, districts_reporting`.
pub fn compute(obs: &DataFrame, targets: &DataFrame, threshold: f64) -> PolarsResult<DataFrame> {
    compute_in(obs, targets, threshold, &Scope::of(obs, targets)?)
}

/// [`compute`] for the periods of `obs`, with the districts and groups of `scope` (those
/// of every period, when `obs` holds only some).
///
/// Several periods are computed as two halves side by side, the earlier half's rows
/// first: a period's rows depend on nothing of another's, and one query over a year kept
/// 1.3 of 2 cores busy (1.15 s).
pub fn compute_in(obs: &DataFrame, targets: &DataFrame, threshold: f64, scope: &Scope) -> PolarsResult<DataFrame> {
    let period = obs.column("period")?.cast(&DataType::Int32)?;
    let period = period.i32()?;
    let periods: BTreeSet<i32> = period.iter().flatten().collect();
    if periods.len() < 2 || period.null_count() > 0 {
        return compute_periods(obs, targets, threshold, scope);
    }
    let middle = periods.iter().nth(periods.len() / 2).copied().unwrap_or_default();
    let earlier = period.lt(middle);
    let (earlier, later) = (obs.filter(&earlier)?, obs.filter(&!&earlier)?);
    let (a, b) = rayon::join(|| compute_periods(&earlier, targets, threshold, scope), || compute_periods(&later, targets, threshold, scope));
    let mut out = a?;
    out.vstack_mut(&b?)?;
    // One chunk, as one query gives it (the export's Parquet is written chunk by chunk).
    out.rechunk_mut();
    Ok(out)
}

/// [`compute_in`] as one query.
pub(crate) fn compute_periods(obs: &DataFrame, targets: &DataFrame, threshold: f64, scope: &Scope) -> PolarsResult<DataFrame> {
    // An institution's staff (agency submissions) are reported on their own
    // (src/institutions.rs), never added to the district's population figures.
    let obs = &obs.clone().lazy().filter(col("unit").is_null()).collect()?;
    let targets = &targets.clone().lazy().filter(col("unit").is_null()).collect()?;
    // Figures given without a group (`Dosis 1` columns only) are counted once, in `all`.
    let by_group = obs
        .clone()
        .lazy()
        .filter(col("group").neq(lit("all")))
        .group_by_stable([col("period"), col("district_code"), col("group"), col("dose")])
        .agg([col("vaccinated").sum()]);
    let all_groups = obs
        .clone()
        .lazy()
        .group_by_stable([col("period"), col("district_code"), col("dose")])
        .agg([col("vaccinated").sum()])
        .select([col("period"), col("district_code"), lit("all").alias("group"), col("dose"), col("vaccinated")]);
    let vaccinated = concat([by_group, all_groups], UnionArgs::default())?;

    // Targets: the groups summed over areas; `all` is the sum of the groups, or the
    // file's own total when it gives no groups.
    let per_group = targets.clone().lazy().group_by_stable([col("district_code"), col("group")]).agg([col("target").sum()]);
    let specific = per_group.clone().filter(col("group").neq(lit("all")));
    let summed = specific
        .clone()
        .group_by_stable([col("district_code")])
        .agg([col("target").sum()])
        .select([col("district_code"), lit("all").alias("group"), col("target")]);
    let explicit = per_group.filter(col("group").eq(lit("all")));
    let target = concat([specific, summed, explicit], UnionArgs::default())?
        .group_by_stable([col("district_code"), col("group")])
        .agg([col("target").first()]);

    let (k1, a1) = left(&["period", "district_code", "group", "dose"]);
    let (k2, a2) = left(&["district_code", "group"]);
    let districts = keys_frame(obs, scope)?
        .lazy()
        .join(vaccinated, k1.clone(), k1, a1)
        .join(target, k2.clone(), k2, a2)
        .with_columns([
            (col("vaccinated").cast(DataType::Float64) / col("target").cast(DataType::Float64)).alias("coverage"),
            lit(threshold).alias("threshold"),
            col("vaccinated").is_not_null().cast(DataType::Int32).alias("districts_reporting"),
        ])
        .with_columns([people_needed(threshold)])
        // Collected once: the province rows are summed from it (polars, built without
        // common-subplan elimination, would compute it twice).
        .collect()?;
    let rank = rank_in_province(&districts)?;
    let districts = districts.hstack(&[rank])?.lazy();
    let province = districts
        .clone()
        .group_by_stable([col("period"), col("province_code"), col("group"), col("dose")])
        .agg([col("vaccinated").sum(), col("target").sum(), col("districts_reporting").sum()])
        .with_columns([
            (col("vaccinated").cast(DataType::Float64) / col("target").cast(DataType::Float64)).alias("coverage"),
            lit(threshold).alias("threshold"),
            lit(NULL).cast(DataType::String).alias("district_code"),
            lit(NULL).cast(DataType::Int32).alias("rank_in_province"),
        ])
        .with_columns([people_needed(threshold)]);
    let columns = [
        "period", "province_code", "district_code", "group", "dose", "vaccinated", "target", "coverage", "threshold", "people_needed", "rank_in_province", "districts_reporting",
    ];
    let select: Vec<Expr> = columns.iter().map(|c| col(*c)).collect();
    in_report_order(concat([districts.select(select.clone()), province.select(select)], UnionArgs::default())?.collect()?)
}

/// The rows in the reports' order: period, province (its own row first, then its
/// districts), group, dose. Sorted here on the ranks of the texts: polars' sort over
/// several text columns took a fifth of a year's attainment.
fn in_report_order(df: DataFrame) -> PolarsResult<DataFrame> {
    let period = df.column("period")?.cast(&DataType::Int32)?;
    let dose = df.column("dose")?.cast(&DataType::Int32)?;
    // A text's place in sorted order, 0 for none (nulls come first).
    let ranks = |name: &str| -> PolarsResult<Vec<u32>> {
        let column = df.column(name)?.str()?;
        let mut rank: rustc_hash::FxHashMap<&str, u32> = column.iter().flatten().map(|t| (t, 0)).collect();
        let mut texts: Vec<&str> = rank.keys().copied().collect();
        texts.sort_unstable();
        for (t, r) in texts.into_iter().zip(1..) {
            rank.insert(t, r);
        }
        Ok(column.iter().map(|t| t.and_then(|t| rank.get(t).copied()).unwrap_or(0)).collect())
    };
    let (province, district, group) = (ranks("province_code")?, ranks("district_code")?, ranks("group")?);
    // The row's own index last: rows alike in every key keep the frame's order.
    let mut order: Vec<_> = period.i32()?.iter().zip(dose.i32()?.iter()).enumerate().map(|(i, (p, d))| (p, province[i], district[i], group[i], d, i as IdxSize)).collect();
    order.sort_unstable();
    df.take(&IdxCa::from_vec("order".into(), order.into_iter().map(|k| k.5).collect()))
}

/// Each district's rank in its province per period, group and dose, by coverage,
/// highest first (no coverage: no rank; ties: the frame's order, as polars' ordinal
/// rank). Computed here rather than with polars' `rank().over(…)`, which took 0.75 s
/// for a year's 37,000 small groups; a test holds the two to the same ranks.
fn rank_in_province(df: &DataFrame) -> PolarsResult<Column> {
    let period = df.column("period")?.cast(&DataType::Int32)?;
    let (period, province, group, dose, coverage) = (period.i32()?, df.column("province_code")?.str()?, df.column("group")?.str()?, df.column("dose")?.i32()?, df.column("coverage")?.f64()?);
    // (period, province, group, dose) → each district's coverage with its row.
    type Key<'a> = (Option<i32>, Option<&'a str>, Option<&'a str>, Option<i32>);
    let mut groups: rustc_hash::FxHashMap<Key, Vec<(f64, usize)>> = Default::default();
    for (i, (((p, prov), g), d)) in period.iter().zip(province.iter()).zip(group.iter()).zip(dose.iter()).enumerate() {
        if let Some(c) = coverage.get(i) {
            groups.entry((p, prov, g, d)).or_default().push((c, i));
        }
    }
    let mut rank: Vec<Option<i32>> = vec![None; df.height()];
    for members in groups.values_mut() {
        // Stable, highest first; NaN (0 of a target of 0) above every number, as polars sorts it.
        members.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (r, (_, i)) in members.iter().enumerate() {
            rank[*i] = Some(r as i32 + 1);
        }
    }
    Ok(Int32Chunked::from_iter_options("rank_in_province".into(), rank.into_iter()).into_column())
}

/// People still needed to reach the threshold: ceil(threshold × target) − vaccinated,
/// never below zero. The epsilon keeps 0.7 × 10 from ceiling to 8.
fn people_needed(threshold: f64) -> Expr {
    let goal = (lit(threshold) * col("target").cast(DataType::Float64) - lit(1e-9)).ceil().cast(DataType::Int64);
    let gap = goal - col("vaccinated");
    // A null gap (no target or no report) stays null rather than reading as 0.
    when(gap.clone().lt(lit(0i64))).then(lit(0i64)).otherwise(gap).alias("people_needed")
}

/// One row of the attainment frame, typed for the reports and the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct AttainRow {
    pub period: NaiveDate,
    pub province_code: Sym,
    /// `None` for the province's own row.
    pub district_code: Option<Sym>,
    pub group: Sym,
    pub dose: i32,
    pub vaccinated: Option<i64>,
    pub target: Option<i64>,
    pub coverage: Option<f64>,
    pub people_needed: Option<i64>,
    pub rank: Option<i32>,
}

pub fn rows_from_frame(df: &DataFrame) -> PolarsResult<Vec<AttainRow>> {
    rows_from_frame_where(df, |_| true)
}

/// What a row is of, without its figures: rows are chosen by it before they are made.
pub struct RowOf<'a> {
    pub period: NaiveDate,
    pub province_code: Sym,
    /// `false` for the province's own row.
    pub in_district: bool,
    pub group: &'a str,
    pub dose: i32,
}

/// The rows of [`rows_from_frame`] that `keep` accepts.
pub fn rows_from_frame_where(df: &DataFrame, mut keep: impl FnMut(&RowOf) -> bool) -> PolarsResult<Vec<AttainRow>> {
    let mut dates = crate::table::Dates::default();
    // Columns cut alike, read a chunk at a time as arrow arrays: a value at a time through
    // polars' `get` (ten per row, 570,000 rows a year) was most of the time.
    let mut df = df.clone();
    df.align_chunks();
    let period = df.column("period")?.cast(&DataType::Int32)?;
    let period = period.i32()?;
    let prov = df.column("province_code")?.str()?;
    let dist = df.column("district_code")?.str()?;
    let group = df.column("group")?.str()?;
    let dose = df.column("dose")?.i32()?;
    let vacc = df.column("vaccinated")?.i64()?;
    let target = df.column("target")?.i64()?;
    let cov = df.column("coverage")?.f64()?;
    let need = df.column("people_needed")?.i64()?;
    let rank = df.column("rank_in_province")?.i32()?;
    let mut out = Vec::with_capacity(df.height());
    // In the frame's order a province and a district come again on the next rows, and a
    // district's rows go through the groups in turn: those are not looked up in the table
    // of texts (1.7 million look-ups a year).
    let (mut provs, mut dists, mut groups) = (crate::sym::Recent::default(), crate::sym::Recent::default(), crate::sym::Few::default());
    let chunk = |k: usize| polars_err!(ComputeError: "the attainment frame's columns are cut unlike at chunk {k}");
    for k in 0..df.first_col_n_chunks() {
        let (period, prov, dist, group) = (period.downcast_get(k).ok_or_else(|| chunk(k))?, prov.downcast_get(k).ok_or_else(|| chunk(k))?, dist.downcast_get(k).ok_or_else(|| chunk(k))?, group.downcast_get(k).ok_or_else(|| chunk(k))?);
        let (dose, vacc, target) = (dose.downcast_get(k).ok_or_else(|| chunk(k))?, vacc.downcast_get(k).ok_or_else(|| chunk(k))?, target.downcast_get(k).ok_or_else(|| chunk(k))?);
        let (cov, need, rank) = (cov.downcast_get(k).ok_or_else(|| chunk(k))?, need.downcast_get(k).ok_or_else(|| chunk(k))?, rank.downcast_get(k).ok_or_else(|| chunk(k))?);
        let columns = period.iter().zip(prov.iter()).zip(dist.iter()).zip(group.iter()).zip(dose.iter()).zip(vacc.iter()).zip(target.iter()).zip(cov.iter()).zip(need.iter()).zip(rank.iter());
        for (((((((((period, prov), dist), group), dose), vacc), target), cov), need), rank) in columns {
            let of = RowOf { period: dates.of(period.copied().unwrap_or(0)), province_code: provs.get(prov.unwrap_or("")), in_district: dist.is_some(), group: group.unwrap_or(""), dose: dose.copied().unwrap_or(0) };
            if !keep(&of) {
                continue;
            }
            out.push(AttainRow {
                period: of.period,
                province_code: of.province_code,
                district_code: dist.map(|d| dists.get(d)),
                group: groups.get(of.group),
                dose: of.dose,
                vaccinated: vacc.copied(),
                target: target.copied(),
                coverage: cov.copied().filter(|c| c.is_finite()),
                people_needed: need.copied(),
                rank: rank.copied(),
            });
        }
    }
    Ok(out)
}


#[cfg(test)]
mod tests {
    use super::*;

    /// The report order is polars' sort on period, province, district (none first),
    /// group and dose.
    #[test]
    fn report_order_is_polars_sort_with_the_province_row_first() {
        let n = 10;
        let df = DataFrame::new(
            n,
            vec![
                Column::new("period".into(), [2i32, 1, 1, 2, 1, 1, 1, 2, 1, 1]),
                Column::new("province_code".into(), ["15", "16", "15", "15", "15", "16", "15", "15", "15", "15"]),
                Column::new("district_code".into(), [Some("15.02"), Some("16.01"), None, Some("15.01"), Some("15.10"), None, Some("15.02"), None, Some("15.02"), Some("15.02")]),
                Column::new("group".into(), ["all", "lansia", "all", "all", "sdmk", "all", "all", "all", "lansia", "all"]),
                Column::new("dose".into(), [1i32, 1, 1, 2, 1, 1, 2, 1, 1, 1]),
                Column::new("row".into(), (0..n as i32).collect::<Vec<_>>()),
            ],
        )
        .unwrap();
        let ours = in_report_order(df.clone()).unwrap();
        let theirs = df
            .sort(["period", "province_code", "district_code", "group", "dose"], SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true))
            .unwrap();
        let rows = |df: &DataFrame| df.column("row").unwrap().i32().unwrap().into_no_null_iter().collect::<Vec<_>>();
        assert_eq!(rows(&ours), rows(&theirs));
        assert_eq!(rows(&ours)[..4], [2, 9, 6, 8], "the province's own row, then its districts");
    }

    /// The ranks are polars' `rank(Ordinal, descending).over(period, province, group,
    /// dose)`: ties, nulls, NaN, infinity and two provinces interleaved.
    #[test]
    fn ranks_in_province_are_polars_ordinal_ranks() {
        let n = 12;
        let df = DataFrame::new(
            n,
            vec![
                Column::new("period".into(), [1i32, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]),
                Column::new("province_code".into(), ["15", "16", "15", "15", "16", "15", "15", "15", "16", "15", "15", "15"]),
                Column::new("group".into(), ["all"; 12]),
                Column::new("dose".into(), [1i32, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]),
                Column::new(
                    "coverage".into(),
                    [Some(0.5), Some(0.5), Some(0.7), None, Some(0.2), Some(0.5), Some(f64::NAN), Some(0.1), Some(f64::INFINITY), Some(0.0), Some(0.3), Some(0.3)],
                ),
            ],
        )
        .unwrap();
        let ours = rank_in_province(&df).unwrap();
        let theirs = df
            .clone()
            .lazy()
            .select([col("coverage")
                .rank(RankOptions { method: RankMethod::Ordinal, descending: true }, None)
                .over([col("period"), col("province_code"), col("group"), col("dose")])
                .unwrap()
                .cast(DataType::Int32)])
            .collect()
            .unwrap();
        let ours: Vec<Option<i32>> = ours.i32().unwrap().iter().collect();
        let theirs: Vec<Option<i32>> = theirs.column("coverage").unwrap().i32().unwrap().iter().collect();
        assert_eq!(ours, theirs);
        assert_eq!(ours[3], None, "no coverage, no rank");
    }
}
