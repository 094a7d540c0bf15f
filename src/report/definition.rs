//! Report definitions (`reports/*.toml`): the sections, their order and their wording.
//! The Rust side offers section kinds; the files choose them.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

const WEEKLY: &str = include_str!("../../reports/weekly.toml");
const RAKOR: &str = include_str!("../../reports/rakor.toml");

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
}

/// `[cutoff]`: the daily cut-off for submissions, in local time.
#[derive(Debug, Clone, Default, Deserialize)]
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
    /// `reports/weekly.toml` from the working folder when present, else the built-in copy.
    pub fn weekly_default() -> Result<ReportDefinition> {
        Self::from_folder_or("weekly", WEEKLY)
    }

    /// `reports/rakor.toml` from the working folder when present, else the built-in copy.
    pub fn rakor_default() -> Result<ReportDefinition> {
        Self::from_folder_or("rakor", RAKOR)
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
