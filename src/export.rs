//! Export: the canonical table, the attainment table and the findings as Parquet and
//! CSV, and a manifest tying every output to its inputs by SHA-256. Every file is
//! written atomically (temporary file in the same folder, then rename).

use crate::findings::Finding;
use crate::table::FileOutcome;
use anyhow::{Context, Result};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub mod xlsx;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An output written so far: where, and its hash for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Output {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Writes `bytes` to `root/rel` atomically: a run killed half-way leaves the old file.
/// The output is recorded by its path relative to `root`, so manifests of identical
/// runs into different folders are identical.
pub fn write_atomic(root: &Path, rel: &str, bytes: &[u8]) -> Result<Output> {
    let path = &root.join(rel);
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    // No fsync: the rename already protects against a killed run, and syncing every
    // PDF of a national run costs seconds on slow disks.
    std::io::Write::write_all(&mut tmp, bytes)?;
    let file = tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    // Reports are handed around: readable by others, like any file the user saves.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644)).ok();
    }
    Ok(Output { path: rel.to_string(), sha256: sha256_hex(bytes), bytes: bytes.len() as u64 })
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn neutralised_frame(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        if c.dtype() == &DataType::String {
            let ca = c.str()?;
            let fixed: StringChunked = (0..ca.len()).map(|i| ca.get(i).map(|s| neutralise(s).into_owned())).collect();
            cols.push(fixed.with_name(c.name().clone()).into_series().into());
        } else {
            cols.push(c.clone());
        }
    }
    DataFrame::new(df.height(), cols)
}

pub(crate) fn parquet_bytes(df: &DataFrame) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut df = df.clone();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}

fn csv_bytes(df: &DataFrame) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut df = neutralised_frame(df)?;
    CsvWriter::new(&mut buf).include_header(true).finish(&mut df)?;
    Ok(buf)
}

fn findings_csv(findings: &[Finding]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["severity", "code", "source", "sheet", "cell", "message"])?;
    for f in findings {
        w.write_record([
            f.severity.as_str(),
            f.code,
            &neutralise(&f.source),
            &neutralise(f.sheet.as_deref().unwrap_or("")),
            f.cell.as_deref().unwrap_or(""),
            &neutralise(&f.message),
        ])?;
    }
    Ok(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
}

pub struct ExportInput<'a> {
    /// The run's output folder; the export goes to `export/` inside it.
    pub root: PathBuf,
    pub observations: &'a DataFrame,
    pub attainment: &'a DataFrame,
    pub targets: &'a DataFrame,
    pub findings: &'a [Finding],
    pub inputs: &'a [FileOutcome],
    pub targets_input: Option<&'a FileOutcome>,
    pub config: &'a serde_json::Value,
    pub reports: &'a [Output],
    /// One workbook for officials per province (`export/sitrep-<province>-<period>.xlsx`).
    pub officials: &'a [xlsx::OfficialsInput<'a>],
}

/// Writes the archival export and returns the outputs, manifest last.
pub fn write(input: &ExportInput) -> Result<Vec<Output>> {
    let d = input.root.as_path();
    let mut outputs = vec![
        write_atomic(d, "export/observations.parquet", &parquet_bytes(input.observations)?)?,
        write_atomic(d, "export/observations.csv", &csv_bytes(input.observations)?)?,
        write_atomic(d, "export/attainment.parquet", &parquet_bytes(input.attainment)?)?,
        write_atomic(d, "export/attainment.csv", &csv_bytes(input.attainment)?)?,
        write_atomic(d, "export/targets.csv", &csv_bytes(input.targets)?)?,
        write_atomic(d, "export/findings.csv", &findings_csv(input.findings)?)?,
    ];
    for o in input.officials {
        // The name comes from an official code (digits and dots) and a date.
        let name = crate::safe_file_name(&format!("sitrep-{}-{}.xlsx", o.province_code, o.period));
        outputs.push(write_atomic(d, &format!("export/{name}"), &xlsx::workbook(o)?)?);
    }
    let totals = serde_json::json!({
        "files": input.inputs.len(),
        "files_read": input.inputs.iter().filter(|f| f.status == "ok").count(),
        "rows_accepted": input.inputs.iter().map(|f| f.rows_accepted).sum::<usize>(),
        "rows_totals": input.inputs.iter().map(|f| f.rows_totals).sum::<usize>(),
        "rows_rejected": input.inputs.iter().map(|f| f.rows_rejected).sum::<usize>(),
        "observations": input.observations.height(),
        "findings": input.findings.len(),
    });
    let mut all_outputs: Vec<Output> = input.reports.to_vec();
    all_outputs.extend(outputs.iter().cloned());
    let manifest = serde_json::json!({
        "sitrep_version": env!("CARGO_PKG_VERSION"),
        "configuration": input.config,
        "inputs": input.inputs,
        "targets": input.targets_input,
        "totals": totals,
        "csv_formula_neutralisation": "text cells starting with = + - @ tab or carriage return are prefixed with an apostrophe in CSV exports",
        "outputs": all_outputs,
    });
    let text = serde_json::to_string_pretty(&manifest)?;
    outputs.push(write_atomic(d, "export/manifest.json", text.as_bytes())?);
    Ok(outputs)
}
