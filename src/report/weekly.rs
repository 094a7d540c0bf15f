//! The weekly situation report of one province (laporan situasi mingguan).

use super::definition::{text, ReportDefinition, SectionKind};
use super::pdf::*;
use super::{dose_label, group_label, locale, tr, AttainRow};
use crate::config::Lang;
use crate::findings::{Finding, Severity};
use crate::gazetteer::Gazetteer;
use crate::table::FileOutcome;
use chrono::NaiveDate;

pub struct WeeklyInput<'a> {
    pub province_code: &'a str,
    pub period: NaiveDate,
    pub rows: &'a [AttainRow],
    pub findings: &'a [Finding],
    pub files: &'a [FileOutcome],
    pub threshold: f64,
    pub lang: Lang,
    pub gazetteer: &'a Gazetteer,
    pub id_seed: &'a [u8],
}

impl WeeklyInput<'_> {
    fn lang_code(&self) -> &'static str {
        if self.lang == Lang::Id { "id" } else { "en" }
    }
    fn previous_period(&self) -> Option<NaiveDate> {
        self.rows.iter().map(|r| r.period).filter(|p| *p < self.period).max()
    }
    fn district_rows(&self, period: NaiveDate, group: &str, dose: i32) -> Vec<&AttainRow> {
        self.rows
            .iter()
            .filter(|r| r.period == period && r.district_code.is_some() && r.group == group && r.dose == dose && r.province_code == self.province_code)
            .collect()
    }
    fn province_row(&self, period: NaiveDate, group: &str, dose: i32) -> Option<&AttainRow> {
        self.rows.iter().find(|r| r.period == period && r.district_code.is_none() && r.group == group && r.dose == dose && r.province_code == self.province_code)
    }
    fn district_name(&self, code: &str) -> String {
        self.gazetteer.region(code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_string())
    }
    fn status_color(&self, coverage: Option<f64>) -> Option<Rgb3> {
        coverage.map(|c| if c >= self.threshold { GREEN } else if c >= self.threshold - 0.1 { YELLOW } else { RED })
    }
    fn num(&self, n: Option<i64>) -> String {
        n.map(|n| locale::int(n, self.lang)).unwrap_or_else(|| "–".into())
    }
    fn pct(&self, c: Option<f64>) -> String {
        c.map(|c| locale::pct(c, self.lang)).unwrap_or_else(|| "–".into())
    }
    fn threshold_pct(&self) -> String {
        locale::pct(self.threshold, self.lang)
    }
}

pub fn render(input: &WeeklyInput, def: &ReportDefinition) -> Vec<u8> {
    let lang = input.lang;
    let province = input.gazetteer.region(input.province_code).map(|r| r.name.clone()).unwrap_or_else(|| input.province_code.to_string());
    let title = text(&def.title, input.lang_code()).to_string();
    let running = format!("{title} — {} — {}", province, locale::date(input.period, lang));
    let mut doc = Doc::new(&running);
    for section in &def.sections {
        let heading = text(&section.title, input.lang_code()).to_string();
        let group = section.group.clone().unwrap_or_else(|| "all".into());
        let dose = section.dose.unwrap_or(1) as i32;
        if section.kind != SectionKind::Cover {
            doc.heading(&heading);
            doc.bookmark(&heading);
        }
        match section.kind {
            SectionKind::Cover => cover(&mut doc, input, &title, &province),
            SectionKind::Headline => headline(&mut doc, input),
            SectionKind::Ranking => ranking(&mut doc, input, &group, dose),
            SectionKind::Chart => chart(&mut doc, input, &group, dose),
            SectionKind::Attention => attention(&mut doc, input, &group, dose),
            SectionKind::Groups => groups(&mut doc, input),
            SectionKind::Files => files(&mut doc, input),
            SectionKind::Annex => annex(&mut doc, input),
        }
    }
    let label = move |i: usize, n: usize| match lang {
        Lang::Id => format!("Halaman {i} dari {n}"),
        Lang::En => format!("Page {i} of {n}"),
    };
    doc.finish(&format!("{title} {province} {}", input.period), &label, input.id_seed)
}

fn cover(doc: &mut Doc, input: &WeeklyInput, title: &str, province: &str) {
    let lang = input.lang;
    doc.bookmark(title);
    doc.rect(0.0, 0.0, PAGE_W, 8.0, HEADER_FILL);
    doc.y = MARGIN + 10.0;
    doc.paragraph(title, 16.0, true, HEADER_FILL);
    doc.paragraph(&format!("{} {}", tr(lang, "PROVINSI", "PROVINCE"), province), 14.0, true, BLACK);
    doc.paragraph(&format!("{} {}", tr(lang, "Keadaan s.d.", "As of"), locale::day_date(input.period, lang)), 11.0, false, BLACK);
    let expected: Vec<String> = input.gazetteer.districts_of(input.province_code).map(|r| r.code.clone()).collect();
    let reported: Vec<String> = input
        .district_rows(input.period, "all", 1)
        .iter()
        .filter(|r| r.vaccinated.is_some())
        .filter_map(|r| r.district_code.clone())
        .collect();
    let missing: Vec<String> = expected.iter().filter(|c| !reported.contains(c)).map(|c| input.district_name(c)).collect();
    doc.paragraph(
        &match lang {
            Lang::Id => format!("Kabupaten/kota yang melapor: {} dari {}. Ambang target cakupan: {}.", reported.len(), expected.len(), input.threshold_pct()),
            Lang::En => format!("Districts reporting: {} of {}. Coverage threshold: {}.", reported.len(), expected.len(), input.threshold_pct()),
        },
        10.0,
        false,
        BLACK,
    );
    if !missing.is_empty() {
        doc.paragraph(&format!("{} {}", tr(lang, "Belum melapor:", "Not reported:"), missing.join(", ")), 10.0, true, BAR_LOW);
    }
    let files_ok = input.files.iter().filter(|f| f.status == "ok").count();
    let errors = input.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = input.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    doc.paragraph(
        &match lang {
            Lang::Id => format!("Berkas masukan: {} ({} terbaca). Catatan kualitas data: {} galat, {} peringatan (lihat lampiran).", input.files.len(), files_ok, errors, warnings),
            Lang::En => format!("Input files: {} ({} read). Data-quality findings: {} errors, {} warnings (see the annex).", input.files.len(), files_ok, errors, warnings),
        },
        9.0,
        false,
        GREY,
    );
    doc.y += 6.0;
}

fn headline(doc: &mut Doc, input: &WeeklyInput) {
    let lang = input.lang;
    let prev = input.previous_period();
    let cols = vec![
        TableColumn { title: tr(lang, "Dosis", "Dose"), width: 100.0, align: Align::Left },
        TableColumn { title: tr(lang, "Divaksin", "Vaccinated"), width: 80.0, align: Align::Right },
        TableColumn { title: tr(lang, "Sasaran", "Target"), width: 80.0, align: Align::Right },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 60.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perubahan sejak minggu lalu", "Change since last week"), width: 85.0, align: Align::Right },
        TableColumn { title: tr(lang, "Divaksin minggu ini", "Vaccinated this week"), width: 86.0, align: Align::Right },
    ];
    let mut rows = Vec::new();
    for dose in [1, 2, 3] {
        let Some(now) = input.province_row(input.period, "all", dose) else { continue };
        let before = prev.and_then(|p| input.province_row(p, "all", dose));
        let change = match (now.coverage, before.and_then(|b| b.coverage)) {
            (Some(a), Some(b)) => locale::pp(a - b, lang),
            _ => "–".into(),
        };
        let week = match (now.vaccinated, before.and_then(|b| b.vaccinated)) {
            (Some(a), Some(b)) => locale::int(a - b, lang),
            _ => "–".into(),
        };
        let mut cov = TableCell::plain(input.pct(now.coverage));
        cov.fill = input.status_color(now.coverage);
        rows.push(vec![TableCell::plain(dose_label(dose, lang)), TableCell::plain(input.num(now.vaccinated)), TableCell::plain(input.num(now.target)), cov, TableCell::plain(change), TableCell::plain(week)]);
    }
    doc.table(&cols, &rows, 8.5);
}

fn rank_change(input: &WeeklyInput, code: &str, group: &str, dose: i32, rank: Option<i32>) -> String {
    let Some(prev) = input.previous_period() else { return "–".into() };
    let before = input.district_rows(prev, group, dose).into_iter().find(|r| r.district_code.as_deref() == Some(code)).and_then(|r| r.rank);
    match (rank, before) {
        (Some(a), Some(b)) if a < b => format!("▲ {}", b - a),
        (Some(a), Some(b)) if a > b => format!("▼ {}", a - b),
        (Some(_), Some(_)) => "=".into(),
        _ => "–".into(),
    }
}

fn ranking(doc: &mut Doc, input: &WeeklyInput, group: &str, dose: i32) {
    let lang = input.lang;
    let mut rows = input.district_rows(input.period, group, dose);
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank, r.district_code.clone()));
    let cols = vec![
        TableColumn { title: tr(lang, "Peringkat", "Rank"), width: 56.0, align: Align::Right },
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 130.0, align: Align::Left },
        TableColumn { title: tr(lang, "Divaksin", "Vaccinated"), width: 66.0, align: Align::Right },
        TableColumn { title: tr(lang, "Sasaran", "Target"), width: 66.0, align: Align::Right },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 52.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perubahan peringkat", "Rank change"), width: 65.0, align: Align::Center },
        TableColumn { title: format!("{} {}", tr(lang, "Kekurangan menuju", "Still needed for"), input.threshold_pct()), width: 76.0, align: Align::Right },
    ];
    let body: Vec<Vec<TableCell>> = rows
        .iter()
        .map(|r| {
            let code = r.district_code.clone().unwrap_or_default();
            let mut cov = TableCell::plain(input.pct(r.coverage));
            cov.fill = input.status_color(r.coverage);
            let needed = if r.vaccinated.is_none() { tr(lang, "tidak melapor", "no report") } else { input.num(r.people_needed) };
            vec![
                TableCell::plain(r.rank.map(|k| k.to_string()).unwrap_or_else(|| "–".into())),
                TableCell::plain(input.district_name(&code)),
                TableCell::plain(input.num(r.vaccinated)),
                TableCell::plain(input.num(r.target)),
                cov,
                TableCell::plain(rank_change(input, &code, group, dose, r.rank)),
                TableCell::plain(needed),
            ]
        })
        .collect();
    doc.paragraph(&format!("{} — {}", group_label(group, lang), dose_label(dose, lang)), 8.5, false, GREY);
    doc.table(&cols, &body, 8.5);
    legend(doc, input);
}

fn legend(doc: &mut Doc, input: &WeeklyInput) {
    let lang = input.lang;
    doc.ensure(16.0);
    let y = doc.y;
    let t = input.threshold_pct();
    let low = locale::pct(input.threshold - 0.1, lang);
    let items = [
        (GREEN, format!("≥ {t}")),
        (YELLOW, format!("{low} – {t}")),
        (RED, format!("< {low}")),
    ];
    let mut x = MARGIN;
    for (c, label) in items {
        doc.rect(x, y, 10.0, 8.0, c);
        doc.text_at(x + 13.0, y + 7.0, 7.5, false, BLACK, &label);
        x += 90.0;
    }
    doc.y += 16.0;
}

fn chart(doc: &mut Doc, input: &WeeklyInput, group: &str, dose: i32) {
    let lang = input.lang;
    let mut rows: Vec<&AttainRow> = input.district_rows(input.period, group, dose).into_iter().filter(|r| r.coverage.is_some()).collect();
    rows.sort_by(|a, b| b.coverage.unwrap_or(0.0).total_cmp(&a.coverage.unwrap_or(0.0)).then(a.district_code.cmp(&b.district_code)));
    let bars: Vec<chart_bar::Bar> = rows
        .iter()
        .map(|r| {
            let c = r.coverage.unwrap_or(0.0);
            chart_bar::Bar { label: input.district_name(r.district_code.as_deref().unwrap_or("")), value: c, color: if c >= input.threshold { BAR } else { BAR_LOW } }
        })
        .collect();
    let label = format!("{} {}", tr(lang, "Target", "Target"), input.threshold_pct());
    chart_bar::coverage_bars(doc, &bars, input.threshold, &label, &|v| locale::pct(v, lang));
}

use super::chart as chart_bar;

/// Days to reach the threshold at last week's pace, or `None` when not at this pace.
fn days_to_reach(needed: i64, pace_per_day: f64) -> Option<i64> {
    if needed <= 0 {
        return Some(0);
    }
    if pace_per_day <= 0.0 {
        return None;
    }
    Some((needed as f64 / pace_per_day).ceil() as i64)
}

fn attention(doc: &mut Doc, input: &WeeklyInput, group: &str, dose: i32) {
    let lang = input.lang;
    let prev = input.previous_period();
    let mut below: Vec<&AttainRow> = input
        .district_rows(input.period, group, dose)
        .into_iter()
        .filter(|r| r.coverage.is_some_and(|c| c < input.threshold))
        .collect();
    below.sort_by(|a, b| a.coverage.unwrap_or(0.0).total_cmp(&b.coverage.unwrap_or(0.0)).then(a.district_code.cmp(&b.district_code)));
    if below.is_empty() {
        doc.paragraph(&match lang {
            Lang::Id => format!("Semua kabupaten/kota yang melapor telah mencapai {} untuk {}.", input.threshold_pct(), dose_label(dose, lang).to_lowercase()),
            Lang::En => format!("Every reporting district has reached {} for {}.", input.threshold_pct(), dose_label(dose, lang).to_lowercase()),
        }, 9.5, false, BLACK);
        return;
    }
    let cols = vec![
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 140.0, align: Align::Left },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Orang yang masih perlu divaksin", "People still needed"), width: 85.0, align: Align::Right },
        TableColumn { title: tr(lang, "Laju minggu lalu (orang/hari)", "Last week's pace (people/day)"), width: 80.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perkiraan tercapai", "Expected to reach it"), width: 151.0, align: Align::Left },
    ];
    let mut body = Vec::new();
    let mut points = Vec::new();
    for r in &below {
        let code = r.district_code.clone().unwrap_or_default();
        let name = input.district_name(&code);
        let needed = r.people_needed.unwrap_or(0);
        let before = prev.and_then(|p| input.district_rows(p, group, dose).into_iter().find(|x| x.district_code == r.district_code).and_then(|x| x.vaccinated));
        let days = prev.map(|p| (input.period - p).num_days()).unwrap_or(0);
        let pace = match (r.vaccinated, before) {
            (Some(a), Some(b)) if days > 0 => Some((a - b) as f64 / days as f64),
            _ => None,
        };
        let when = match pace.map(|p| days_to_reach(needed, p)) {
            Some(Some(d)) => Some(input.period + chrono::Days::new(d.max(0) as u64)),
            _ => None,
        };
        let when_text = match (pace, when) {
            (None, _) => tr(lang, "belum ada data minggu lalu", "no data for last week"),
            (Some(_), Some(d)) => locale::date(d, lang),
            (Some(_), None) => tr(lang, "tidak tercapai dengan laju saat ini", "not at the current pace"),
        };
        let mut cov = TableCell::plain(input.pct(r.coverage));
        cov.fill = input.status_color(r.coverage);
        body.push(vec![
            TableCell::plain(name.clone()),
            cov,
            TableCell { text: input.num(Some(needed)), fill: None, bold: true },
            TableCell::plain(pace.map(|p| locale::int(p.round() as i64, lang)).unwrap_or_else(|| "–".into())),
            TableCell::plain(when_text.clone()),
        ]);
        let dose_word = dose_label(dose, lang).to_lowercase();
        points.push(match lang {
            Lang::Id => format!(
                "{name} masih di bawah {}: perlu {} orang lagi untuk {dose_word}; {}",
                input.threshold_pct(),
                locale::int(needed, lang),
                match when { Some(d) => format!("dengan laju minggu lalu tercapai {}.", locale::date(d, lang)), None => format!("{when_text}.") }
            ),
            Lang::En => format!(
                "{name} is still below {}: {} more people needed for {dose_word}; {}",
                input.threshold_pct(),
                locale::int(needed, lang),
                match when { Some(d) => format!("at last week's pace reached on {}.", locale::date(d, lang)), None => format!("{when_text}.") }
            ),
        });
    }
    doc.table(&cols, &body, 8.5);
    for p in points {
        doc.paragraph(&format!("• {p}"), 9.0, false, BLACK);
    }
    doc.y += 4.0;
}

fn groups(doc: &mut Doc, input: &WeeklyInput) {
    let lang = input.lang;
    let mut cols = vec![TableColumn { title: tr(lang, "Kelompok", "Group"), width: 130.0, align: Align::Left }];
    for d in [1, 2, 3] {
        cols.push(TableColumn { title: dose_label(d, lang), width: 127.0, align: Align::Right });
    }
    let mut body = Vec::new();
    for g in ["sdmk", "petugas_publik", "lansia", "umum_rentan", "remaja", "anak", "all"] {
        let mut row = vec![TableCell { text: group_label(g, lang), fill: None, bold: g == "all" }];
        let mut any = false;
        for d in [1, 2, 3] {
            let r = input.province_row(input.period, g, d);
            any |= r.is_some_and(|r| r.vaccinated.is_some());
            let text = match r {
                Some(r) if r.vaccinated.is_some() => format!("{} ({})", input.num(r.vaccinated), input.pct(r.coverage)),
                _ => "–".into(),
            };
            let mut cell = TableCell::plain(text);
            cell.fill = r.and_then(|r| input.status_color(r.coverage));
            row.push(cell);
        }
        if any {
            body.push(row);
        }
    }
    doc.paragraph(tr(lang, "Divaksin (cakupan terhadap sasaran kelompok).", "Vaccinated (coverage of the group's target).").as_str(), 8.5, false, GREY);
    doc.table(&cols, &body, 8.5);
}

fn files(doc: &mut Doc, input: &WeeklyInput) {
    let lang = input.lang;
    let cols = vec![
        TableColumn { title: tr(lang, "Berkas", "File"), width: 170.0, align: Align::Left },
        TableColumn { title: tr(lang, "Kab/Kota", "District"), width: 50.0, align: Align::Left },
        TableColumn { title: tr(lang, "Tanggal data", "Data date"), width: 60.0, align: Align::Left },
        TableColumn { title: tr(lang, "Diterima", "Accepted"), width: 45.0, align: Align::Right },
        TableColumn { title: tr(lang, "Baris total", "Totals rows"), width: 40.0, align: Align::Right },
        TableColumn { title: tr(lang, "Ditolak", "Rejected"), width: 40.0, align: Align::Right },
        TableColumn { title: tr(lang, "Status", "Status"), width: 106.0, align: Align::Left },
    ];
    // This period's files, and those whose date could not be read; earlier weeks are history.
    let period = input.period.to_string();
    let shown: Vec<&FileOutcome> = input.files.iter().filter(|f| f.period.as_deref().is_none_or(|p| p.contains(&period))).collect();
    let history = input.files.len() - shown.len();
    if history > 0 {
        doc.paragraph(
            &match lang {
                Lang::Id => format!("Berkas untuk {} ({} berkas minggu sebelumnya dibaca sebagai riwayat).", locale::date(input.period, lang), history),
                Lang::En => format!("Files for {} ({} files of earlier weeks read as history).", locale::date(input.period, lang), history),
            },
            8.5,
            false,
            GREY,
        );
    }
    let body: Vec<Vec<TableCell>> = shown
        .iter()
        .map(|f| {
            let status = if f.status != "ok" {
                format!("{}: {}", f.status, f.note)
            } else if f.rows_rejected > 0 {
                format!("{}: {}", tr(lang, "ada baris ditolak", "rows rejected"), f.note)
            } else {
                tr(lang, "terbaca", "read")
            };
            let mut st = TableCell::plain(status);
            if f.status != "ok" {
                st.fill = Some(RED);
            } else if f.rows_rejected > 0 {
                st.fill = Some(YELLOW);
            }
            vec![
                TableCell::plain(f.path.clone()),
                TableCell::plain(f.district_code.clone().unwrap_or_else(|| "–".into())),
                TableCell::plain(f.period.clone().unwrap_or_else(|| "–".into())),
                TableCell::plain(f.rows_accepted.to_string()),
                TableCell::plain(f.rows_totals.to_string()),
                TableCell::plain(f.rows_rejected.to_string()),
                st,
            ]
        })
        .collect();
    doc.table(&cols, &body, 7.0);
}

fn annex(doc: &mut Doc, input: &WeeklyInput) {
    let lang = input.lang;
    if input.findings.is_empty() {
        doc.paragraph(&tr(lang, "Tidak ada catatan.", "No findings."), 9.5, false, BLACK);
        return;
    }
    let cols = vec![
        TableColumn { title: tr(lang, "Tingkat", "Severity"), width: 48.0, align: Align::Left },
        TableColumn { title: tr(lang, "Berkas", "File"), width: 140.0, align: Align::Left },
        TableColumn { title: tr(lang, "Lembar / sel", "Sheet / cell"), width: 70.0, align: Align::Left },
        TableColumn { title: tr(lang, "Catatan", "Finding"), width: 253.0, align: Align::Left },
    ];
    let mut findings: Vec<&Finding> = input.findings.iter().collect();
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.source.cmp(&b.source)));
    let body: Vec<Vec<TableCell>> = findings
        .iter()
        .map(|f| {
            let (sev, fill) = match f.severity {
                Severity::Error => (tr(lang, "galat", "error"), Some(RED)),
                Severity::Warning => (tr(lang, "peringatan", "warning"), Some(YELLOW)),
                Severity::Info => (tr(lang, "info", "info"), None),
            };
            let place = match (&f.sheet, &f.cell) {
                (Some(s), Some(c)) => format!("{s} / {c}"),
                (Some(s), None) => s.clone(),
                _ => "–".into(),
            };
            vec![TableCell { text: sev, fill, bold: false }, TableCell::plain(f.source.clone()), TableCell::plain(place), TableCell::plain(format!("[{}] {}", f.code, f.message))]
        })
        .collect();
    doc.table(&cols, &body, 7.0);
}
