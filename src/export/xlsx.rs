//! The workbook for officials: `export/sitrep-<province>-<period>.xlsx`, with the
//! attainment by district, by district and target group, and the findings.
//!
//! Number formats are stored in the file format's own notation (`#,##0`, `0.0%`);
//! a spreadsheet shows them with the reader's separators, so an Indonesian Excel or
//! LibreOffice shows `1.234.567` and `70,5%`. Writing `#.##0` would make `.` the
//! decimal point. Text from submissions (findings) is neutralised as in the CSV.

use super::neutralise;
use crate::config::Lang;
use crate::findings::Finding;
use crate::gazetteer::Gazetteer;
use crate::layout::vocab::Group;
use crate::report::{dose_label, group_label, locale, tr, AttainRow};
use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::collections::BTreeSet;

pub struct OfficialsInput<'a> {
    pub province_code: &'a str,
    pub period: NaiveDate,
    /// Attainment rows of every period; only `period` is written.
    pub rows: &'a [AttainRow],
    pub findings: &'a [Finding],
    pub threshold: f64,
    pub lang: Lang,
    pub gazetteer: &'a Gazetteer,
}

struct Styles {
    title: Format,
    header: Format,
    text: Format,
    int: Format,
    pct: Format,
    total_text: Format,
    total_int: Format,
    total_pct: Format,
}

fn styles() -> Styles {
    let cell = Format::new().set_border(FormatBorder::Thin);
    let total = cell.clone().set_bold().set_background_color(Color::RGB(0xF2F2F2));
    Styles {
        title: Format::new().set_bold().set_font_size(13),
        header: cell.clone().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter).set_background_color(Color::RGB(0xDDEBF7)),
        text: cell.clone(),
        int: cell.clone().set_num_format("#,##0"),
        pct: cell.clone().set_num_format("0.0%"),
        total_text: total.clone(),
        total_int: total.clone().set_num_format("#,##0"),
        total_pct: total.set_num_format("0.0%"),
    }
}

/// Writes an optional count (blank when the district sent nothing).
fn opt_int(ws: &mut Worksheet, r: u32, c: u16, v: Option<i64>, f: &Format) -> Result<(), XlsxError> {
    match v {
        Some(v) => ws.write_number_with_format(r, c, v as f64, f).map(|_| ()),
        None => ws.write_blank(r, c, f).map(|_| ()),
    }
}

fn opt_pct(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>, f: &Format) -> Result<(), XlsxError> {
    match v.filter(|v| v.is_finite()) {
        Some(v) => ws.write_number_with_format(r, c, v, f).map(|_| ()),
        None => ws.write_blank(r, c, f).map(|_| ()),
    }
}

/// The workbook's bytes. The same rows and findings give the same bytes (the document
/// date is the period, not the clock).
pub fn workbook(input: &OfficialsInput) -> Result<Vec<u8>> {
    let lang = input.lang;
    let s = styles();
    let rows: Vec<&AttainRow> = input.rows.iter().filter(|r| r.period == input.period && r.province_code == input.province_code).collect();
    let doses: BTreeSet<i32> = rows.iter().map(|r| r.dose).collect();
    let districts: BTreeSet<&str> = rows.iter().filter_map(|r| r.district_code.as_deref()).collect();
    // Each district's, group's and dose's row (the first, should there be two), looked up
    // for every cell: a scan per cell was most of a national week's workbooks.
    let mut by_key: rustc_hash::FxHashMap<(Option<&str>, &str, i32), &AttainRow> = Default::default();
    for r in &rows {
        by_key.entry((r.district_code.as_deref(), r.group.as_str(), r.dose)).or_insert(r);
    }
    let find = |d: Option<&str>, g: &str, dose: i32| by_key.get(&(d, g, dose)).copied();
    let name_of = |code: &str| input.gazetteer.region(code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_string());
    let province = name_of(input.province_code);
    let as_of = format!("{} {}", tr(lang, "Keadaan s.d.", "As of"), locale::date(input.period, lang));
    let threshold = locale::pct(input.threshold, lang);

    let mut wb = Workbook::new();
    let p = input.period;
    let date = ExcelDateTime::from_ymd(p.year().clamp(1900, 9999) as u16, p.month() as u8, p.day() as u8)?;
    wb.set_properties(&DocProperties::new().set_title(format!("sitrep {} {}", input.province_code, p)).set_creation_datetime(&date));

    // Sheet 1: all groups, one row per district, three columns per dose.
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr(lang, "Capaian", "Attainment"))?;
        ws.write_string_with_format(0, 0, format!("{} {}", tr(lang, "CAPAIAN VAKSINASI COVID-19 PROVINSI", "COVID-19 VACCINATION ATTAINMENT, PROVINCE OF"), province), &s.title)?;
        ws.write_string(1, 0, format!("{as_of} · {} {threshold}", tr(lang, "ambang", "threshold")))?;
        let (h0, h1) = (3u32, 4u32);
        for (c, label) in [tr(lang, "No", "No"), tr(lang, "Kode", "Code"), tr(lang, "Kabupaten/Kota", "District"), tr(lang, "Sasaran", "Target")].iter().enumerate() {
            ws.merge_range(h0, c as u16, h1, c as u16, label, &s.header)?;
        }
        let sub = [tr(lang, "Divaksin", "Vaccinated"), tr(lang, "Cakupan", "Coverage"), format!("{} {threshold}", tr(lang, "Kurang untuk", "Needed for"))];
        for (i, dose) in doses.iter().enumerate() {
            let c0 = 4 + 3 * i as u16;
            ws.merge_range(h0, c0, h0, c0 + 2, &dose_label(*dose, lang), &s.header)?;
            for (j, label) in sub.iter().enumerate() {
                ws.write_string_with_format(h1, c0 + j as u16, label, &s.header)?;
            }
        }
        let mut r = h1 + 1;
        let write_line = |ws: &mut Worksheet, r: u32, no: Option<usize>, code: &str, name: &str, d: Option<&str>, total: bool| -> Result<(), XlsxError> {
            let (t, i, p) = if total { (&s.total_text, &s.total_int, &s.total_pct) } else { (&s.text, &s.int, &s.pct) };
            match no {
                Some(n) => ws.write_number_with_format(r, 0, n as f64, i)?,
                None => ws.write_blank(r, 0, t)?,
            };
            ws.write_string_with_format(r, 1, code, t)?;
            ws.write_string_with_format(r, 2, name, t)?;
            let target = doses.iter().find_map(|dose| find(d, "all", *dose).and_then(|x| x.target));
            opt_int(ws, r, 3, target, i)?;
            for (k, dose) in doses.iter().enumerate() {
                let c0 = 4 + 3 * k as u16;
                let row = find(d, "all", *dose);
                opt_int(ws, r, c0, row.and_then(|x| x.vaccinated), i)?;
                opt_pct(ws, r, c0 + 1, row.and_then(|x| x.coverage), p)?;
                opt_int(ws, r, c0 + 2, row.and_then(|x| x.people_needed), i)?;
            }
            Ok(())
        };
        for (n, d) in districts.iter().enumerate() {
            write_line(ws, r, Some(n + 1), d, &name_of(d), Some(d), false)?;
            r += 1;
        }
        write_line(ws, r, None, input.province_code, &format!("{} {province}", tr(lang, "PROVINSI", "PROVINCE")), None, true)?;
        ws.set_freeze_panes(h1 + 1, 3)?;
        ws.set_column_width(0, 5)?;
        ws.set_column_width(1, 8)?;
        ws.set_column_width(2, 28)?;
        for c in 3..4 + 3 * doses.len() as u16 {
            ws.set_column_width(c, 12)?;
        }
        ws.set_row_height(h1, 30)?;
    }

    // Sheet 2: one row per district and target group, two columns per dose.
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr(lang, "Kelompok Sasaran", "Target groups"))?;
        ws.write_string_with_format(0, 0, format!("{} {province}", tr(lang, "CAPAIAN PER KELOMPOK SASARAN, PROVINSI", "ATTAINMENT BY TARGET GROUP, PROVINCE OF"), ), &s.title)?;
        ws.write_string(1, 0, &as_of)?;
        let h = 3u32;
        let mut headers = vec![tr(lang, "Kode", "Code"), tr(lang, "Kabupaten/Kota", "District"), tr(lang, "Kelompok", "Group"), tr(lang, "Sasaran", "Target")];
        for dose in &doses {
            headers.push(dose_label(*dose, lang));
            headers.push(format!("{} {}", tr(lang, "Cakupan", "Coverage"), dose_label(*dose, lang)));
        }
        for (c, label) in headers.iter().enumerate() {
            ws.write_string_with_format(h, c as u16, label, &s.header)?;
        }
        let groups: Vec<&str> = Group::SPECIFIC.iter().map(|g| g.code()).filter(|g| rows.iter().any(|r| r.group == *g)).collect();
        let mut r = h + 1;
        let lines: Vec<(Option<&str>, String, String)> = districts
            .iter()
            .map(|d| (Some(*d), d.to_string(), name_of(d)))
            .chain([(None, input.province_code.to_string(), format!("{} {province}", tr(lang, "PROVINSI", "PROVINCE")))])
            .collect();
        for (d, code, name) in &lines {
            let (t, i, p) = if d.is_none() { (&s.total_text, &s.total_int, &s.total_pct) } else { (&s.text, &s.int, &s.pct) };
            for g in &groups {
                ws.write_string_with_format(r, 0, code, t)?;
                ws.write_string_with_format(r, 1, name, t)?;
                ws.write_string_with_format(r, 2, group_label(g, lang), t)?;
                let target = doses.iter().find_map(|dose| find(*d, g, *dose).and_then(|x| x.target));
                opt_int(ws, r, 3, target, i)?;
                for (k, dose) in doses.iter().enumerate() {
                    let c0 = 4 + 2 * k as u16;
                    let row = find(*d, g, *dose);
                    opt_int(ws, r, c0, row.and_then(|x| x.vaccinated), i)?;
                    opt_pct(ws, r, c0 + 1, row.and_then(|x| x.coverage), p)?;
                }
                r += 1;
            }
        }
        ws.autofilter(h, 0, r.saturating_sub(1).max(h), headers.len() as u16 - 1)?;
        ws.set_freeze_panes(h + 1, 3)?;
        ws.set_column_width(0, 8)?;
        ws.set_column_width(1, 28)?;
        ws.set_column_width(2, 24)?;
        for c in 3..headers.len() as u16 {
            ws.set_column_width(c, 13)?;
        }
        ws.set_row_height(h, 30)?;
    }

    // Sheet 3: every finding, located. Its text comes from the submissions.
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr(lang, "Temuan", "Findings"))?;
        let headers = [tr(lang, "Tingkat", "Severity"), tr(lang, "Kode", "Code"), tr(lang, "Berkas", "File"), "Sheet".to_string(), tr(lang, "Sel", "Cell"), tr(lang, "Keterangan", "Message")];
        for (c, label) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, label, &s.header)?;
        }
        for (i, f) in input.findings.iter().enumerate() {
            let r = i as u32 + 1;
            let cells = [f.severity.as_str(), f.code, &f.source, f.sheet.as_deref().unwrap_or(""), f.cell.as_deref().unwrap_or(""), &f.message];
            for (c, text) in cells.iter().enumerate() {
                ws.write_string_with_format(r, c as u16, neutralise(text), &s.text)?;
            }
        }
        ws.autofilter(0, 0, input.findings.len() as u32, headers.len() as u16 - 1)?;
        ws.set_freeze_panes(1, 0)?;
        for (c, w) in [9.0, 20.0, 40.0, 16.0, 7.0, 90.0].into_iter().enumerate() {
            ws.set_column_width(c as u16, w)?;
        }
    }
    // Zip's fastest level: deflating was two fifths of making a national week's 34
    // workbooks (0.6 MB in all at the default level 6).
    wb.set_zip_compression_level(1);
    Ok(wb.save_to_buffer()?)
}
