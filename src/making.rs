//! The report stage's files, made side by side: each province's weekly report, its
//! briefing for the coordination meeting (rakor) and its workbook for officials, and,
//! with several provinces, the national report. Each file is written as soon as it is
//! made; the export lists them in the manifest in the run's order (the PDFs first, the
//! workbooks after the export's own files).

use crate::config::RunPlan;
use crate::export;
use crate::findings::Finding;
use crate::report::{self, AttainRow, ReportInput};
use crate::safe_file_name;
use crate::table::FileOutcome;
use crate::timings;
use anyhow::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What the report stage makes its files from.
pub struct Making<'a> {
    pub plan: &'a RunPlan,
    /// Each province's rows (those its reports read) ...
    pub rows_of: &'a BTreeMap<&'a str, Vec<AttainRow>>,
    /// ... and what its report and workbook show of the files and findings.
    pub share_of: &'a BTreeMap<&'a str, (Vec<&'a FileOutcome>, Vec<Finding>)>,
    /// The national report's rows, with several provinces.
    pub national_rows: Option<&'a [AttainRow]>,
    /// Every file of the run, and every finding: the national report's.
    pub outcomes: &'a [FileOutcome],
    pub findings: &'a [Finding],
    /// What every report of the run shares (its province's own fields are set here).
    pub shared: ReportInput<'a>,
}

/// Makes the files and writes the PDFs.
pub fn make(m: &Making) -> Result<export::ReportFiles> {
    let (plan, shared, period) = (m.plan, m.shared, m.shared.period);
    // The provinces' files made in parallel, and within a province its two reports and
    // its workbook side by side (a run of one province made them one after the other, on
    // one core); the national report beside them all. A province's index lives while its
    // files are made: all at once, a report on an earlier week peaked 10 MB higher.
    let (national, per_province) = rayon::join(
        || {
            // Several provinces: a national report ranking them, with the same sections.
            let rows = m.national_rows?;
            let all_files: Vec<&FileOutcome> = m.outcomes.iter().collect();
            let index = report::facts::Index::new(rows, report::national::CODE);
            let input = ReportInput {
                province_code: report::national::CODE,
                rows,
                findings: m.findings,
                // Gates, changes and app gaps are district matters: not in the national report.
                gates: &[],
                changes: None,
                app_gaps: None,
                files: &all_files,
                index: Some(&index),
                ..shared
            };
            let name = format!("{}-{}.pdf", plan.national.file_prefix, period);
            let (pdf, cost) = rendered("national", || report::weekly::render(&input, &plan.national));
            Some(export::write_atomic(&plan.out, &safe_file_name(&name), &pdf.bytes).map(|written| (written, cost)))
        },
        || {
            m.rows_of
                .par_iter()
                .map(|(&prov, rows)| {
                    let (files, findings) = &m.share_of[prov];
                    let index = report::facts::Index::new(rows, prov);
                    let input = ReportInput { province_code: prov, rows, findings, files, index: Some(&index), ..shared };
                    let officials = export::xlsx::OfficialsInput { province_code: prov, period, rows, findings, threshold: plan.threshold, lang: plan.lang, gazetteer: shared.gazetteer };
                    let (((weekly, weekly_cost), (rakor, rakor_cost)), officials) = rayon::join(
                        || rayon::join(|| rendered("weekly", || report::weekly::render(&input, &plan.report)), || rendered("rakor", || report::rakor::render(&input, &plan.rakor))),
                        || export::xlsx::workbook(&officials),
                    );
                    // Written here, beside the other provinces' making: written once all
                    // were made, a year's 69 PDFs were the stage's last 30 ms, on one core.
                    // The names come from an official code (digits only), never from file
                    // contents.
                    let pdf = |prefix: &str, bytes: &[u8]| export::write_atomic(&plan.out, &safe_file_name(&format!("{prefix}-{prov}-{period}.pdf")), bytes);
                    let written = [pdf(&plan.report.file_prefix, &weekly.bytes)?, pdf(&plan.rakor.file_prefix, &rakor.bytes)?];
                    // The workbook too: written once all were made, a year's 34 were the
                    // run's last 10 ms, on both cores contending for the folder.
                    let workbook = export::write_atomic(&plan.out, &format!("export/{}", safe_file_name(&format!("sitrep-{prov}-{period}.xlsx"))), &officials?)?;
                    Ok((written, workbook, [weekly_cost, rakor_cost]))
                })
                .collect::<Result<Vec<_>>>()
        },
    );
    let mut reports = Vec::new();
    let mut officials = Vec::new();
    let mut costs = Vec::new();
    for (written, workbook, cost) in per_province? {
        reports.extend(written);
        officials.push(workbook);
        costs.extend(cost);
    }
    if let Some((written, cost)) = national.transpose()? {
        reports.push(written);
        costs.push(cost);
    }
    Ok(export::ReportFiles { reports, officials, costs })
}

/// A report rendered by `render`, and what it cost ([`timings::PdfCost`]).
fn rendered(kind: &'static str, render: impl FnOnce() -> report::Pdf) -> (report::Pdf, timings::PdfCost) {
    let (pdf, cpu) = timings::on_this_thread(render);
    let cost = timings::PdfCost { kind, pages: pdf.pages, cpu };
    (pdf, cost)
}
