//! Findings: everything the run noticed about its input, carried beside the data from
//! ingest to the report annex, the export and the command-line summary.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A finding's code (an alias, so serde does not borrow it from the input when read back).
pub type Code = &'static str;

/// One thing a data officer should know about, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown_district`, `total_mismatch`.
    #[serde(deserialize_with = "static_code")]
    pub code: Code,
    /// Input file path as given on the command line (or found in a folder).
    pub source: String,
    pub sheet: Option<String>,
    /// A1-style cell reference, when a single cell is at fault.
    pub cell: Option<String>,
    pub message: String,
    /// The district it is about, when that is not plain from its file: what a national
    /// targets file says of one district goes to that district's province's report only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, source: &str, message: impl Into<String>) -> Self {
        Finding { severity, code, source: source.to_string(), sheet: None, cell: None, message: message.into(), district: None }
    }
    /// Names the district the finding is about (see [`Finding::district`]).
    pub fn about(mut self, district: &str) -> Self {
        self.district = Some(district.to_string());
        self
    }
    /// Whether a province's report shows it: not when it is about another province's district.
    pub fn concerns_province(&self, province_code: &str) -> bool {
        self.district.as_deref().is_none_or(|d| d.split('.').next() == Some(province_code))
    }
    pub fn error(code: &'static str, source: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, source, message)
    }
    pub fn warning(code: &'static str, source: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, source, message)
    }
    pub fn info(code: &'static str, source: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, source, message)
    }
    pub fn at(mut self, sheet: &str, cell: Option<String>) -> Self {
        self.sheet = Some(sheet.to_string());
        self.cell = cell;
        self
    }
    /// `file, sheet 'X', cell B7: message` — the form printed on the terminal.
    pub fn located(&self) -> String {
        let mut s = self.source.clone();
        if let Some(sh) = &self.sheet {
            s.push_str(&format!(", sheet '{sh}'"));
        }
        if let Some(c) = &self.cell {
            s.push_str(&format!(", cell {c}"));
        }
        format!("{s}: {}", self.message)
    }
}

/// A1-style reference from 0-based row and column. Made for every figure read (millions
/// in a year), so without `format!`.
pub fn cell_ref(row: usize, col: usize) -> String {
    // Letters from the last: 26 letters per place, A = 1 (no zero digit).
    let mut letters = [0u8; 16];
    let mut n = 0;
    let mut c = col + 1;
    while c > 0 {
        letters[n] = b'A' + ((c - 1) % 26) as u8;
        n += 1;
        c = (c - 1) / 26;
    }
    let mut s = String::with_capacity(n + 7);
    s.extend(letters[..n].iter().rev().map(|&l| l as char));
    s.push_str(itoa::Buffer::new().format(row + 1));
    s
}

/// [`cell_ref`] as an interned text. A year's six million figures are in a few thousand
/// distinct cells: each thread remembers those it made, so a figure's cell is neither
/// written out nor looked up in the shared table of texts again.
pub fn cell_sym(row: usize, col: usize) -> crate::sym::Sym {
    thread_local! {
        static MADE: std::cell::RefCell<rustc_hash::FxHashMap<(usize, usize), crate::sym::Sym>> = Default::default();
    }
    MADE.with_borrow_mut(|made| *made.entry((row, col)).or_insert_with(|| crate::sym::Sym::new(&cell_ref(row, col))))
}

/// A finding's code read back (archive, cache): codes are few and fixed, so each
/// distinct one is kept once for the life of the process.
fn static_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    static CODES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let s = String::deserialize(d)?;
    let mut codes = CODES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = codes.iter().find(|c| **c == s) {
        return Ok(c);
    }
    let c: &'static str = Box::leak(s.into_boxed_str());
    codes.push(c);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a1_references() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(9, 25), "Z10");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(1048575, 16383), "XFD1048576");
    }
}
