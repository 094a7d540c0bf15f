//! Report definitions (`reports/*.toml`): the sections, their order and their wording.
//! The Rust side offers section kinds; the files choose them.

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

const WEEKLY: &str = include_str!("../../reports/weekly.toml");
const RAKOR: &str = include_str!("../../reports/rakor.toml");
const NATIONAL: &str = include_str!("../../reports/national.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    pub file_prefix: String,
    pub title: BTreeMap<String, String>,
    /// When submissions are due (default 17:00 WIB on the period's date).
    #[serde(default)]
    pub cutoff: CutoffConfig,
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
    /// `[[campaign]]` entries of the definition; sitrep.toml's are added at resolve time.
    #[serde(default, rename = "campaign")]
    pub campaign_config: Vec<CampaignConfig>,
    /// `deadline = 2022-01-31`: the date the attention list's threshold should be reached by.
    #[serde(default)]
    pub deadline: Option<toml::Value>,
    /// The campaigns, checked (from `campaign_config` and the configuration).
    #[serde(skip)]
    pub campaigns: Vec<Campaign>,
    /// `deadline`, checked.
    #[serde(skip)]
    pub deadline_date: Option<NaiveDate>,
}

/// `[[campaign]]`: a target of doses over a window, e.g. `name = "Booster April",
/// dose = 3, group = "all", target = 170000, start = 2022-04-01, end = 2022-04-30`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    pub name: String,
    pub dose: u8,
    #[serde(default = "all_groups")]
    pub group: String,
    pub target: i64,
    /// A TOML date (`2022-04-01`) or a string (`"2022-04-01"`).
    pub start: toml::Value,
    pub end: toml::Value,
    /// Province code; without it the campaign is shown in every province's report.
    pub province: Option<String>,
}

fn all_groups() -> String {
    "all".into()
}

/// A campaign as the report uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub name: String,
    pub dose: i32,
    pub group: String,
    pub target: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub province: Option<String>,
}

/// A date written as a TOML date or as text.
pub fn config_date(v: &toml::Value, what: &str) -> Result<NaiveDate> {
    let text = match v {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.trim().to_string(),
        other => bail!("{what}: '{other}' is not a date like 2022-04-30"),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").with_context(|| format!("{what}: '{text}' is not a date like 2022-04-30"))
}

impl Campaign {
    /// For the manifest's resolved configuration.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name, "dose": self.dose, "group": self.group, "target": self.target, "start": self.start.to_string(), "end": self.end.to_string(), "province": self.province})
    }
}

impl CampaignConfig {
    pub fn check(&self) -> Result<Campaign> {
        let what = format!("campaign '{}'", self.name);
        let start = config_date(&self.start, &format!("{what}: start"))?;
        let end = config_date(&self.end, &format!("{what}: end"))?;
        if end < start {
            bail!("{what}: end {end} is before start {start}");
        }
        if !(1..=3).contains(&self.dose) {
            bail!("{what}: dose {} is not 1, 2 or 3", self.dose);
        }
        if self.target <= 0 {
            bail!("{what}: target {} is not a positive number of doses", self.target);
        }
        if self.group != "all" && crate::layout::vocab::Group::from_code(&self.group).is_none() {
            bail!("{what}: group '{}' is not all, sdmk, petugas_publik, lansia, umum_rentan, remaja or anak", self.group);
        }
        Ok(Campaign { name: self.name.clone(), dose: self.dose as i32, group: self.group.clone(), target: self.target, start, end, province: self.province.clone() })
    }
}

/// `[cutoff]`: the daily cut-off for submissions, in local time (in a report definition,
/// or in sitrep.toml, which wins).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CutoffConfig {
    /// `"17:00"`.
    pub time: Option<String>,
    /// Hours ahead of UTC: 7 (WIB), 8 (WITA), 9 (WIT).
    pub utc_offset_hours: Option<i32>,
    /// Days after the period's date the submission is due (0: the same day).
    pub days_after_period: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    Cover,
    Headline,
    Ranking,
    Chart,
    Attention,
    Groups,
    Files,
    Annex,
    /// Province coverage per week against the threshold line (the monitoring chart).
    Monitoring,
    /// Dose 1 → dose 2 dropout per district, flagged above `level`.
    Dropout,
    /// Campaign targets (`[[campaign]]`): done so far, daily rate needed, projection.
    Campaign,
    /// Rakor: the province summary with the table of contents.
    Summary,
    /// Rakor: one page per district, most urgent first.
    Districts,
    /// Which districts sent a submission for the period, when, and whether before the cut-off.
    Timeliness,
    /// PPKM vaccination gates: the level each district's vaccination permits, the next
    /// gate and the people still needed for it; agglomerations; the children 6–11 rule.
    Ppkm,
    /// What changed since the previous run's export: revisions, ranks, thresholds,
    /// PPKM levels, findings that appeared or were resolved.
    Changes,
    /// Register versus the national application: the largest gaps (data entry the
    /// district can do this week) and whether closing them changes the PPKM gate.
    Application,
    Institutions,
    Versions,
}

/// What a district page of the rakor pack shows, in the order listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistrictPart {
    /// Vaccinated and coverage per target group and dose.
    Figures,
    /// Coverage per week against the threshold line.
    Trend,
    /// People still needed per dose, pace, expected date.
    Gaps,
    /// Generated sentences for the meeting.
    TalkingPoints,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub kind: SectionKind,
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    pub group: Option<String>,
    pub dose: Option<u8>,
    /// A level for the section's flag (dropout: fraction or percent, default 20%).
    pub level: Option<f64>,
    /// District pages: which parts, in which order (default: all of them).
    pub parts: Option<Vec<DistrictPart>>,
    /// Annex: the findings listed one by one at most (the most severe first); beyond it,
    /// how many of each kind, and where the whole list is (default: every finding).
    pub limit: Option<usize>,
}

impl Section {
    /// `level` as a fraction (20 and 0.2 both mean 20%), or the default.
    pub fn level_or(&self, default: f64) -> f64 {
        match self.level {
            Some(l) if l > 1.0 && l <= 100.0 => l / 100.0,
            Some(l) if l > 0.0 && l <= 1.0 => l,
            _ => default,
        }
    }
}

impl ReportDefinition {
    /// Checks the definition's campaigns and deadline, adding the configuration's
    /// campaigns and letting its deadline replace the definition's.
    pub fn settle(&mut self, extra: &[CampaignConfig], deadline: Option<&toml::Value>) -> Result<()> {
        self.campaigns = self.campaign_config.iter().chain(extra).map(CampaignConfig::check).collect::<Result<_>>()?;
        self.deadline_date = match deadline.or(self.deadline.as_ref()) {
            Some(v) => Some(config_date(v, "deadline")?),
            None => None,
        };
        Ok(())
    }

    /// `reports/weekly.toml` from the working folder when present, else the built-in copy.
    pub fn weekly_default() -> Result<ReportDefinition> {
        Self::from_folder_or("weekly", WEEKLY)
    }

    /// `reports/rakor.toml` from the working folder when present, else the built-in copy.
    pub fn rakor_default() -> Result<ReportDefinition> {
        Self::from_folder_or("rakor", RAKOR)
    }

    /// `reports/national.toml` from the working folder when present, else the built-in copy.
    pub fn national_default() -> Result<ReportDefinition> {
        Self::from_folder_or("national", NATIONAL)
    }

    fn from_folder_or(name: &str, builtin: &str) -> Result<ReportDefinition> {
        let path = std::path::PathBuf::from(format!("reports/{name}.toml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| builtin.to_string());
        toml::from_str(&text).with_context(|| format!("reports/{name}.toml is not a valid report definition"))
    }
}

/// Picks the text for a language, falling back to Indonesian.
pub fn text<'a>(m: &'a BTreeMap<String, String>, lang: &str) -> &'a str {
    m.get(lang).or_else(|| m.get("id")).map(String::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_built_in_definitions_parse() {
        let w: ReportDefinition = toml::from_str(WEEKLY).unwrap();
        assert!(w.sections.iter().any(|s| s.kind == SectionKind::Annex));
        let n: ReportDefinition = toml::from_str(NATIONAL).unwrap();
        assert_eq!(n.file_prefix, "laporan-mingguan-nasional");
        let r: ReportDefinition = toml::from_str(RAKOR).unwrap();
        assert_eq!(r.file_prefix, "rakor");
        assert_eq!(w.cutoff.time.as_deref(), Some("17:00"));
        assert!(r.sections.iter().any(|s| s.kind == SectionKind::Districts));
    }
    #[test]
    fn levels_read_as_fraction_or_percent() {
        let s: Section = toml::from_str("kind = \"dropout\"\nlevel = 25").unwrap();
        assert_eq!(s.level_or(0.2), 0.25);
        let s: Section = toml::from_str("kind = \"dropout\"\nlevel = 0.1").unwrap();
        assert_eq!(s.level_or(0.2), 0.1);
        let s: Section = toml::from_str("kind = \"dropout\"").unwrap();
        assert_eq!(s.level_or(0.2), 0.2);
    }
}
