//! Report definitions (`reports/*.toml`): the sections, their order and their wording.
//! The Rust side offers section kinds; the files choose them.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

const WEEKLY: &str = include_str!("../../reports/weekly.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    pub file_prefix: String,
    pub title: BTreeMap<String, String>,
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub kind: SectionKind,
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    pub group: Option<String>,
    pub dose: Option<u8>,
}

impl ReportDefinition {
    /// `reports/weekly.toml` from the working folder when present, else the built-in copy.
    pub fn weekly_default() -> Result<ReportDefinition> {
        let path = std::path::Path::new("reports/weekly.toml");
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(_) => WEEKLY.to_string(),
        };
        toml::from_str(&text).context("reports/weekly.toml is not a valid report definition")
    }
}

/// Picks the text for a language, falling back to Indonesian.
pub fn text<'a>(m: &'a BTreeMap<String, String>, lang: &str) -> &'a str {
    m.get(lang).or_else(|| m.get("id")).map(String::as_str).unwrap_or("")
}
