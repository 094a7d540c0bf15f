//! Report: renders the attainment frames and the findings into PDFs, following the
//! section lists of `reports/*.toml`.

pub mod campaign;
pub mod chart;
pub mod definition;
pub mod locale;
pub mod national;
pub mod fonts;
pub mod pdf;
pub mod pdf_file;
pub mod facts;
pub mod rakor;
pub mod talk;
pub mod timeliness;
pub mod weekly;

use crate::config::Lang;
use crate::findings::Finding;
use crate::gazetteer::Gazetteer;
use crate::table::FileOutcome;
use pdf::{Rgb3, GREEN, RED, YELLOW};
use chrono::NaiveDate;

pub use crate::attain::{rows_from_frame, AttainRow};

/// A report rendered: the PDF's bytes, and its number of pages (for `--timings`, which
/// shows the rendering's cost per page).
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

/// Which attainment rows the reports of `period` read: every row of that period and of
/// the period before it in the row's province (gains, pace, earlier ranks); of other
/// periods only what the trend charts and the campaigns show: the `all` group, and each
/// province's own rows. A year's weekly run otherwise gave the reports 52 weeks of every
/// group to index, five times what they read.
pub struct RowsRead {
    period: NaiveDate,
    /// Each province's latest period before `period`.
    previous: rustc_hash::FxHashMap<crate::sym::Sym, NaiveDate>,
}

impl RowsRead {
    /// For a report on `period`, given the period and province of every row (or of each
    /// province in each period: the same).
    pub fn of(period: NaiveDate, rows: impl IntoIterator<Item = (NaiveDate, crate::sym::Sym)>) -> RowsRead {
        let mut previous: rustc_hash::FxHashMap<crate::sym::Sym, NaiveDate> = Default::default();
        for (p, province) in rows.into_iter().filter(|(p, _)| *p < period) {
            let latest = previous.entry(province).or_insert(p);
            *latest = (*latest).max(p);
        }
        RowsRead { period, previous }
    }

    pub fn keeps(&self, r: &AttainRow) -> bool {
        self.keeps_row_of(&crate::attain::RowOf { period: r.period, province_code: r.province_code, in_district: r.district_code.is_some(), group: &r.group, dose: r.dose })
    }

    /// [`RowsRead::keeps`] of a row not yet made.
    pub fn keeps_row_of(&self, r: &crate::attain::RowOf) -> bool {
        !r.in_district || r.group == "all" || r.period >= self.previous.get(&r.province_code).copied().unwrap_or(self.period)
    }

    /// Whether some province's rows of period `p` are read whatever their group: `p` is
    /// the report's period or later, or some province's period before it.
    pub fn reads_all_groups_of(&self, p: NaiveDate) -> bool {
        p >= self.period || self.previous.values().any(|previous| p >= *previous)
    }
}

/// Keeps the attainment rows the reports of `period` read ([`RowsRead`]).
pub fn keep_rows_read(rows: &mut Vec<AttainRow>, period: NaiveDate) {
    let read = RowsRead::of(period, rows.iter().map(|r| (r.period, r.province_code)));
    rows.retain(|r| read.keeps(r));
}

/// What every report of one province is made from.
#[derive(Clone, Copy)]
pub struct ReportInput<'a> {
    pub province_code: &'a str,
    pub period: NaiveDate,
    pub rows: &'a [AttainRow],
    pub findings: &'a [Finding],
    /// PPKM vaccination gates of the districts and agglomerations; only the report's
    /// period's are shown (the run gives only those).
    pub gates: &'a [crate::gates::GateRow],
    /// The gates those rows were judged by, for the report's explanation.
    pub gate_rules: &'a crate::gates::GateRules,
    /// What changed since the previous run's export (`--previous`), when given.
    pub changes: Option<&'a crate::changes::Changes>,
    /// Register versus application gaps, largest first, when an app export was given.
    pub app_gaps: Option<&'a [crate::appgap::AppGap]>,
    /// The targets used: name and version (configured), else file and hash.
    pub targets_label: Option<&'a str>,
    /// Institutional compliance (agency submissions), all provinces and periods.
    pub institutions: &'a [crate::institutions::Institution],
    /// Attainment under a second target version and its name (`--targets` twice).
    pub compared: Option<(&'a [AttainRow], &'a str)>,
    pub files: &'a [&'a FileOutcome],
    pub threshold: f64,
    pub lang: Lang,
    pub gazetteer: &'a Gazetteer,
    pub id_seed: &'a [u8],
    /// The rows by key, built once per report (`None`: lookups scan the rows).
    pub index: Option<&'a facts::Index<'a>>,
}

impl ReportInput<'_> {
    /// This period's gate rows of the province's districts (not agglomerations).
    pub fn gate(&self, code: &str) -> Option<&crate::gates::GateRow> {
        self.gates.iter().find(|g| g.period == self.period && !g.is_agglomeration && g.district_code == code)
    }
    /// "Sasaran: …" / "Targets: …": which targets every coverage figure is of.
    pub fn targets_sentence(&self) -> String {
        match (self.targets_label, self.lang) {
            (Some(l), Lang::Id) => format!("Sasaran yang dipakai: {l}."),
            (Some(l), Lang::En) => format!("Targets used: {l}."),
            (None, Lang::Id) => "Sasaran yang dipakai: dari kolom sasaran dalam kiriman.".into(),
            (None, Lang::En) => "Targets used: from target columns in the submissions.".into(),
        }
    }
    pub fn lang_code(&self) -> &'static str {
        if self.lang == Lang::Id { "id" } else { "en" }
    }
    pub fn previous_period(&self) -> Option<NaiveDate> {
        match self.index {
            // The report's rows are its province's: the index has their periods (a scan
            // of a year's rows for every district of a ranking was most of rendering it).
            Some(_) => self.view().previous(self.period),
            None => self.rows.iter().map(|r| r.period).filter(|p| *p < self.period).max(),
        }
    }
    pub fn district_rows(&self, period: NaiveDate, group: &str, dose: i32) -> Vec<&AttainRow> {
        self.view().districts(period, group, dose)
    }
    pub fn province_row(&self, period: NaiveDate, group: &str, dose: i32) -> Option<&AttainRow> {
        self.view().row(period, None, group, dose)
    }
    pub fn district_name(&self, code: &str) -> String {
        self.gazetteer.region(code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_string())
    }
    pub fn status_color(&self, coverage: Option<f64>) -> Option<Rgb3> {
        coverage.map(|c| if c >= self.threshold { GREEN } else if c >= self.threshold - 0.1 { YELLOW } else { RED })
    }
    pub fn num(&self, n: Option<i64>) -> String {
        n.map(|n| locale::int(n, self.lang)).unwrap_or_else(|| "–".into())
    }
    pub fn pct(&self, c: Option<f64>) -> String {
        c.map(|c| locale::pct(c, self.lang)).unwrap_or_else(|| "–".into())
    }
    pub fn threshold_pct(&self) -> String {
        locale::pct(self.threshold, self.lang)
    }
    pub fn view(&self) -> facts::View<'_> {
        facts::View { rows: self.rows, province: self.province_code, index: self.index }
    }
    pub fn province_name(&self) -> String {
        if self.is_national() {
            return "INDONESIA".into();
        }
        self.gazetteer.region(self.province_code).map(|r| r.name.clone()).unwrap_or_else(|| self.province_code.to_string())
    }
    /// The national report: provinces stand where districts stand in a province's.
    pub fn is_national(&self) -> bool {
        self.province_code == national::CODE
    }
    /// What the ranked units are called: "Kabupaten/Kota" / "District", or provinces.
    pub fn area_label(&self) -> String {
        match self.is_national() {
            false => tr(self.lang, "Kabupaten/Kota", "District"),
            true => tr(self.lang, "Provinsi", "Province"),
        }
    }
    /// The same in a sentence: "kabupaten/kota" / "district", "provinsi" / "province".
    pub fn area_word(&self) -> String {
        match self.is_national() {
            false => tr(self.lang, "kabupaten/kota", "district"),
            true => tr(self.lang, "provinsi", "province"),
        }
    }
    /// The districts of the province: the official list, and any other code in the rows.
    pub fn expected_districts(&self) -> Vec<String> {
        let mut codes: std::collections::BTreeSet<&str> = self.gazetteer.districts_of(self.province_code).map(|r| r.code.as_str()).collect();
        match self.index {
            Some(index) => codes.extend(index.district_codes()),
            None => codes.extend(self.rows.iter().filter(|r| r.province_code == self.province_code).filter_map(|r| r.district_code.map(crate::sym::Sym::as_str))),
        }
        codes.into_iter().map(str::to_string).collect()
    }
    /// Districts with a figure for the period (they sent a readable submission).
    pub fn reporting_districts(&self) -> Vec<String> {
        self.district_rows(self.period, "all", 1).iter().filter(|r| r.vaccinated.is_some()).filter_map(|r| Some(r.district_code?.to_string())).collect()
    }
}

/// "Halaman 3 dari 12" / "Page 3 of 12".
pub fn page_label(lang: Lang) -> impl Fn(usize, usize) -> String {
    move |i, n| match lang {
        Lang::Id => format!("Halaman {i} dari {n}"),
        Lang::En => format!("Page {i} of {n}"),
    }
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
