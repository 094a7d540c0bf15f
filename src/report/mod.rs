//! Report: renders the attainment frames and the findings into PDFs, following the
//! section lists of `reports/*.toml`.

pub mod chart;
pub mod definition;
pub mod locale;
pub mod pdf;
pub mod weekly;

use crate::config::Lang;
use chrono::NaiveDate;
use polars::prelude::*;

/// One row of the attainment frame, typed for rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct AttainRow {
    pub period: NaiveDate,
    pub province_code: String,
    /// `None` for the province's own row.
    pub district_code: Option<String>,
    pub group: String,
    pub dose: i32,
    pub vaccinated: Option<i64>,
    pub target: Option<i64>,
    pub coverage: Option<f64>,
    pub people_needed: Option<i64>,
    pub rank: Option<i32>,
}

pub fn rows_from_frame(df: &DataFrame) -> PolarsResult<Vec<AttainRow>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
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
    for i in 0..df.height() {
        out.push(AttainRow {
            period: epoch + chrono::Days::new(period.get(i).unwrap_or(0).max(0) as u64),
            province_code: prov.get(i).unwrap_or("").to_string(),
            district_code: dist.get(i).map(str::to_string),
            group: group.get(i).unwrap_or("").to_string(),
            dose: dose.get(i).unwrap_or(0),
            vaccinated: vacc.get(i),
            target: target.get(i),
            coverage: cov.get(i).filter(|c| c.is_finite()),
            people_needed: need.get(i),
            rank: rank.get(i),
        });
    }
    Ok(out)
}

/// Picks the Indonesian or the English wording.
pub fn tr(lang: Lang, id: &str, en: &str) -> String {
    match lang {
        Lang::Id => id.to_string(),
        Lang::En => en.to_string(),
    }
}

pub fn group_label(code: &str, lang: Lang) -> String {
    let (id, en) = match code {
        "sdmk" => ("SDM Kesehatan", "Health workers"),
        "petugas_publik" => ("Petugas publik", "Public servants"),
        "lansia" => ("Lansia", "Elderly"),
        "umum_rentan" => ("Masyarakat umum & rentan", "General & vulnerable"),
        "remaja" => ("Remaja 12–17", "Adolescents 12–17"),
        "anak" => ("Anak 6–11", "Children 6–11"),
        "all" => ("Semua kelompok", "All groups"),
        other => (other, other),
    };
    tr(lang, id, en)
}

pub fn dose_label(dose: i32, lang: Lang) -> String {
    match (dose, lang) {
        (3, Lang::Id) => "Dosis 3 (booster)".into(),
        (3, Lang::En) => "Dose 3 (booster)".into(),
        (d, Lang::Id) => format!("Dosis {d}"),
        (d, Lang::En) => format!("Dose {d}"),
    }
}
