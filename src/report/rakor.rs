//! The rakor briefing pack (bahan rapat koordinasi) of one province: a summary page
//! with a table of contents, then one page per district, furthest behind first, each
//! with its figures, trend, gaps and talking points.

use super::chart::{self, Series, LINE_COLORS};
use super::definition::{text, DistrictPart, ReportDefinition, Section, SectionKind};
use super::facts::{self, dropout, Progress};
use super::pdf::*;
use super::{dose_label, group_label, locale, talk, tr, weekly, ReportInput};
use crate::config::Lang;
use std::collections::BTreeMap;

const GROUPS: [&str; 7] = ["sdmk", "petugas_publik", "lansia", "umum_rentan", "remaja", "anak", "all"];
const DOSES: [i32; 3] = [1, 2, 3];
const DEFAULT_DROPOUT_LEVEL: f64 = 0.2;

/// The district codes in order of urgency for a group and dose: furthest below the
/// threshold first (lowest coverage), then the ones without a figure this period,
/// ties by code.
pub fn urgency_order(input: &ReportInput, group: &str, dose: i32) -> Vec<String> {
    let rows = input.district_rows(input.period, group, dose);
    let mut codes: Vec<(Option<f64>, String)> = rows.iter().filter_map(|r| Some((r.coverage, r.district_code?.to_string()))).collect();
    codes.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    codes.into_iter().map(|(_, c)| c).collect()
}

pub fn render(input: &ReportInput, def: &ReportDefinition) -> super::Pdf {
    let doc = layout(input, def);
    let title = text(&def.title, input.lang_code()).to_string();
    doc.finish(&format!("{title} {} {}", input.province_name(), input.period), &super::page_label(input.lang), input.id_seed)
}

/// What the contents show for a district without a page (a definition with no districts
/// section), and what sizes the page column before the pages are known.
const NO_PAGE: &str = "…";

/// Lays out the pack in one pass: the contents' page numbers are drawn into the slots
/// the summary left once the district pages are laid out.
fn layout(input: &ReportInput, def: &ReportDefinition) -> Doc {
    let lang = input.lang;
    let title = text(&def.title, input.lang_code()).to_string();
    let province = input.province_name();
    let running = format!("{title} — {province} — {}", locale::date(input.period, lang));
    let mut doc = Doc::new(&running);
    let mut starts = BTreeMap::new();
    let mut contents = Vec::new();
    // The district order comes from the districts section (the summary lists them the same way).
    let order_section = def.sections.iter().find(|s| s.kind == SectionKind::Districts);
    let group = order_section.and_then(|s| s.group.clone()).unwrap_or_else(|| "all".into());
    let dose = order_section.and_then(|s| s.dose).unwrap_or(1) as i32;
    let order = urgency_order(input, &group, dose);
    for section in &def.sections {
        let heading = text(&section.title, input.lang_code()).to_string();
        match section.kind {
            SectionKind::Summary => contents.extend(summary(&mut doc, input, &title, &province, &heading, &order, &group, dose)),
            SectionKind::Districts => {
                for (i, code) in order.iter().enumerate() {
                    doc.start_page();
                    starts.insert(code.clone(), doc.page_number());
                    district_page(&mut doc, input, section, code, i + 1, &group, dose);
                }
            }
            SectionKind::Timeliness => {
                doc.heading(&heading);
                doc.bookmark(&heading);
                weekly::timeliness(&mut doc, input, &super::timeliness::Cutoff::from_config(&def.cutoff));
            }
            SectionKind::Ppkm => {
                doc.heading(&heading);
                doc.bookmark(&heading);
                weekly::ppkm(&mut doc, input);
            }
            // The other weekly kinds are not part of a briefing pack; a definition that lists
            // one gets its heading and the headline figures rather than nothing.
            _ => {
                doc.heading(&heading);
                doc.bookmark(&heading);
                weekly::headline(&mut doc, input);
            }
        }
    }
    for (code, slot) in &contents {
        doc.fill(slot, &starts.get(code).map(|n| n.to_string()).unwrap_or_else(|| NO_PAGE.into()));
    }
    doc
}

#[allow(clippy::too_many_arguments)]
fn summary(doc: &mut Doc, input: &ReportInput, title: &str, province: &str, heading: &str, order: &[String], group: &str, dose: i32) -> Vec<(String, Slot)> {
    let lang = input.lang;
    doc.start_page();
    doc.bookmark(heading);
    doc.rect(0.0, 0.0, PAGE_W, 8.0, HEADER_FILL);
    doc.y = MARGIN + 10.0;
    doc.paragraph(title, 15.0, true, HEADER_FILL);
    doc.paragraph(&format!("{} {}", tr(lang, "PROVINSI", "PROVINCE"), province), 13.0, true, BLACK);
    doc.paragraph(&format!("{} {}", tr(lang, "Keadaan s.d.", "As of"), locale::day_date(input.period, lang)), 10.5, false, BLACK);
    let expected = input.expected_districts();
    let reported = input.reporting_districts();
    doc.paragraph(
        &match lang {
            Lang::Id => format!("Kabupaten/kota yang melapor: {} dari {}. Ambang target cakupan: {}.", reported.len(), expected.len(), locale::pct_short(input.threshold, lang)),
            Lang::En => format!("Districts reporting: {} of {}. Coverage threshold: {}.", reported.len(), expected.len(), locale::pct_short(input.threshold, lang)),
        },
        9.5,
        false,
        BLACK,
    );
    doc.paragraph(&input.targets_sentence(), 9.0, false, BLACK);
    doc.heading(heading);
    weekly::headline(doc, input);

    // The one sentence a chair opens the meeting with.
    let below: Vec<String> = input
        .district_rows(input.period, group, dose)
        .iter()
        .filter(|r| r.coverage.is_some_and(|c| c < input.threshold))
        .filter_map(|r| r.district_code.as_deref().map(|c| input.district_name(c)))
        .collect();
    let dose_word = dose_label(dose, lang).to_lowercase();
    let t = locale::pct_short(input.threshold, lang);
    let sentence = match (lang, below.len()) {
        (Lang::Id, 0) => format!("Semua kabupaten/kota yang melapor sudah mencapai {t} untuk {dose_word}."),
        (Lang::En, 0) => format!("Every reporting district has reached {t} for {dose_word}."),
        (Lang::Id, n) => format!("{n} dari {} kabupaten/kota masih di bawah {t} untuk {dose_word}: {}.", expected.len(), below.join(", ")),
        (Lang::En, n) => format!("{n} of {} districts are still below {t} for {dose_word}: {}.", expected.len(), below.join(", ")),
    };
    doc.paragraph(&sentence, 10.0, true, if below.is_empty() { BLACK } else { BAR_LOW });
    let missing: Vec<String> = expected.iter().filter(|c| !reported.contains(c)).map(|c| input.district_name(c)).collect();
    if !missing.is_empty() {
        doc.paragraph(&format!("{} {}", tr(lang, "Belum melapor:", "Not reported:"), missing.join(", ")), 9.5, true, BAR_LOW);
    }

    // The table of contents: the district pages in order of urgency.
    doc.heading(&tr(lang, "Daftar isi: kabupaten/kota menurut urgensi", "Contents: districts by urgency"));
    doc.note(
        &match lang {
            Lang::Id => format!("Diurutkan dari yang paling jauh di bawah {t} ({}, {dose_word}).", group_label(group, lang).to_lowercase()),
            Lang::En => format!("Furthest below {t} first ({}, {dose_word}).", group_label(group, lang).to_lowercase()),
        },
    );
    let cols = vec![
        TableColumn { title: tr(lang, "No", "No"), width: 24.0, align: Align::Right },
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 135.0, align: Align::Left },
        TableColumn { title: dose_label(1, lang), width: 52.0, align: Align::Right },
        TableColumn { title: dose_label(2, lang), width: 52.0, align: Align::Right },
        TableColumn { title: dose_label(3, lang), width: 62.0, align: Align::Right },
        TableColumn { title: format!("{} {dose_word}", tr(lang, "Kekurangan", "Still needed,")), width: 72.0, align: Align::Right },
        TableColumn { title: tr(lang, "Peringkat", "Rank"), width: 62.0, align: Align::Center },
        TableColumn { title: tr(lang, "Halaman", "Page"), width: 52.0, align: Align::Right },
    ];
    let view = input.view();
    let body: Vec<Vec<TableCell>> = order
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let mut row = vec![TableCell::plain((i + 1).to_string()), TableCell { text: input.district_name(code), fill: None, bold: true }];
            for d in DOSES {
                let r = view.row(input.period, Some(code), group, d);
                let mut cell = TableCell::plain(input.pct(r.and_then(|r| r.coverage)));
                cell.fill = input.status_color(r.and_then(|r| r.coverage));
                row.push(cell);
            }
            let p = facts::progress(&view, input.period, Some(code), group, dose);
            let needed = match p.as_ref().map(|p| p.now) {
                Some(r) if r.vaccinated.is_none() => tr(lang, "tidak melapor", "no report"),
                Some(r) => input.num(r.people_needed),
                None => "–".into(),
            };
            row.push(TableCell::plain(needed));
            row.push(TableCell::plain(p.as_ref().map(|p| rank_text(p)).unwrap_or_else(|| "–".into())));
            // The page number, drawn once the district pages are laid out.
            row.push(TableCell::plain(NO_PAGE));
            row
        })
        .collect();
    let page_column = cols.len() - 1;
    order.iter().cloned().zip(doc.table_with_slots(&cols, &body, 8.5, Some(page_column))).collect()
}

/// "11 ▼ 2", "3 ▲ 1", "5 =" or "–".
fn rank_text(p: &Progress) -> String {
    match (p.now.rank, p.rank_before()) {
        (Some(a), Some(b)) if a < b => format!("{a} ▲ {}", b - a),
        (Some(a), Some(b)) if a > b => format!("{a} ▼ {}", a - b),
        (Some(a), Some(_)) => format!("{a} ="),
        (Some(a), None) => a.to_string(),
        _ => "–".into(),
    }
}

fn district_page(doc: &mut Doc, input: &ReportInput, section: &Section, code: &str, number: usize, group: &str, dose: i32) {
    let lang = input.lang;
    let view = input.view();
    let name = input.district_name(code);
    doc.bookmark(&format!("{number}. {name}"));
    doc.rect(0.0, 0.0, PAGE_W, 6.0, HEADER_FILL);
    doc.y = MARGIN + 4.0;
    doc.paragraph(&name, 15.0, true, HEADER_FILL);
    let main = facts::progress(&view, input.period, Some(code), group, dose);
    let of = input.district_rows(input.period, group, dose).iter().filter(|r| r.rank.is_some()).count();
    let dose_word = dose_label(dose, lang).to_lowercase();
    let t = locale::pct_short(input.threshold, lang);
    let who = if group == "all" { String::new() } else { format!("{} ", group_label(group, lang)) };
    let line = match &main {
        Some(p) if p.now.vaccinated.is_some() => {
            let rank = p.now.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into());
            let cov = input.pct(p.now.coverage);
            let gap = match (p.now.people_needed, lang) {
                (Some(n), Lang::Id) if n > 0 => format!("perlu {} orang lagi menuju {t}", locale::int(n, lang)),
                (Some(n), Lang::En) if n > 0 => format!("{} more people needed for {t}", locale::int(n, lang)),
                (Some(_), Lang::Id) => format!("sudah mencapai {t}"),
                (Some(_), Lang::En) => format!("{t} reached"),
                (None, Lang::Id) => "tanpa sasaran".to_string(),
                (None, Lang::En) => "no target".to_string(),
            };
            match lang {
                Lang::Id => format!("Cakupan {who}{dose_word}: {cov} · peringkat {rank} dari {of} · {gap}"),
                Lang::En => {
                    let s = format!("{who}{dose_word} coverage: {cov} · rank {rank} of {of} · {gap}");
                    let mut c = s.chars();
                    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or(s)
                }
            }
        }
        _ => talk::no_report(&name, input.period, lang),
    };
    doc.paragraph(&line, 9.5, true, BLACK);
    doc.note(&format!("{} {}", tr(lang, "Keadaan s.d.", "As of"), locale::day_date(input.period, lang)));
    let all_parts = [DistrictPart::Figures, DistrictPart::Trend, DistrictPart::Gaps, DistrictPart::TalkingPoints];
    let parts = section.parts.clone().unwrap_or_else(|| all_parts.to_vec());
    for part in parts {
        match part {
            DistrictPart::Figures => figures(doc, input, code),
            DistrictPart::Trend => trend(doc, input, code),
            DistrictPart::Gaps => gaps(doc, input, code, section.level_or(DEFAULT_DROPOUT_LEVEL)),
            DistrictPart::TalkingPoints => talking_points(doc, input, code, &name, group, dose, section.level_or(DEFAULT_DROPOUT_LEVEL)),
        }
    }
}

/// A sub-heading inside a district page (smaller than a section heading).
fn subheading(doc: &mut Doc, s: &str) {
    doc.ensure(60.0);
    doc.y += 8.0;
    doc.paragraph(s, 10.5, true, HEADER_FILL);
    doc.y += 2.0;
}

fn figures(doc: &mut Doc, input: &ReportInput, code: &str) {
    let lang = input.lang;
    let view = input.view();
    subheading(doc, &tr(lang, "Capaian per kelompok sasaran dan dosis", "Attainment by target group and dose"));
    let mut cols = vec![
        TableColumn { title: tr(lang, "Kelompok", "Group"), width: 99.0, align: Align::Left },
        TableColumn { title: tr(lang, "Sasaran", "Target"), width: 55.0, align: Align::Right },
    ];
    for d in DOSES {
        cols.push(TableColumn { title: format!("{} {}", dose_label(d, lang), tr(lang, "divaksin", "vaccinated")), width: 66.0, align: Align::Right });
        cols.push(TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 53.0, align: Align::Right });
    }
    let mut body = Vec::new();
    for g in GROUPS {
        let rows: Vec<_> = DOSES.iter().map(|d| view.row(input.period, Some(code), g, *d)).collect();
        if !rows.iter().any(|r| r.is_some_and(|r| r.vaccinated.is_some())) {
            continue;
        }
        let target = rows.iter().flatten().find_map(|r| r.target);
        let mut row = vec![TableCell { text: group_label(g, lang), fill: None, bold: g == "all" }, TableCell::plain(input.num(target))];
        for r in rows {
            row.push(TableCell::plain(input.num(r.and_then(|r| r.vaccinated))));
            let mut c = TableCell::plain(input.pct(r.and_then(|r| r.coverage)));
            c.fill = input.status_color(r.and_then(|r| r.coverage));
            row.push(c);
        }
        body.push(row);
    }
    if body.is_empty() {
        doc.paragraph(&tr(lang, "Tidak ada angka untuk minggu ini.", "No figures for this week."), 9.0, false, GREY);
        return;
    }
    doc.table(&cols, &body, 8.0);
}

fn trend(doc: &mut Doc, input: &ReportInput, code: &str) {
    let lang = input.lang;
    let view = input.view();
    let periods: Vec<_> = view.periods().into_iter().filter(|p| *p <= input.period).collect();
    subheading(doc, &tr(lang, "Perkembangan cakupan per minggu (semua kelompok)", "Coverage week by week (all groups)"));
    let labels = locale::period_labels(&periods, lang);
    let series: Vec<Series> = DOSES
        .iter()
        .zip(LINE_COLORS)
        .map(|(d, color)| Series { label: dose_label(*d, lang), color, values: periods.iter().map(|p| view.row(*p, Some(code), "all", *d).and_then(|r| r.coverage)).collect() })
        .filter(|s| s.values.iter().any(Option::is_some))
        .collect();
    let label = format!("{} {}", tr(lang, "Target", "Target"), locale::pct_short(input.threshold, lang));
    chart::trend_lines(doc, &labels, &series, input.threshold, &label, &|v| locale::pct(v, lang), 120.0);
}

fn gaps(doc: &mut Doc, input: &ReportInput, code: &str, level: f64) {
    let lang = input.lang;
    let view = input.view();
    subheading(
        doc,
        &match lang {
            Lang::Id => format!("Kekurangan menuju {} (semua kelompok)", locale::pct_short(input.threshold, lang)),
            Lang::En => format!("Gap to {} (all groups)", locale::pct_short(input.threshold, lang)),
        },
    );
    let cols = vec![
        TableColumn { title: tr(lang, "Dosis", "Dose"), width: 95.0, align: Align::Left },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Orang yang masih perlu divaksin", "People still needed"), width: 85.0, align: Align::Right },
        TableColumn { title: tr(lang, "Divaksin minggu ini", "Vaccinated this week"), width: 75.0, align: Align::Right },
        TableColumn { title: tr(lang, "Laju (orang/hari)", "Pace (people/day)"), width: 65.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perkiraan tercapai", "Expected to reach it"), width: 136.0, align: Align::Left },
    ];
    let mut body = Vec::new();
    for d in DOSES {
        let Some(p) = facts::progress(&view, input.period, Some(code), "all", d) else { continue };
        if p.now.vaccinated.is_none() {
            continue;
        }
        let mut cov = TableCell::plain(input.pct(p.now.coverage));
        cov.fill = input.status_color(p.now.coverage);
        body.push(vec![
            TableCell::plain(dose_label(d, lang)),
            cov,
            TableCell { text: input.num(p.now.people_needed), fill: None, bold: true },
            TableCell::plain(input.num(p.gain())),
            TableCell::plain(p.pace_per_day.map(|v| locale::int(v.round() as i64, lang)).unwrap_or_else(|| "–".into())),
            TableCell::plain(weekly::reach_text(p.reach, lang)),
        ]);
    }
    if body.is_empty() {
        doc.paragraph(&tr(lang, "Tidak ada angka untuk minggu ini.", "No figures for this week."), 9.0, false, GREY);
        return;
    }
    doc.table(&cols, &body, 8.0);
    let d1 = view.row(input.period, Some(code), "all", 1).and_then(|r| r.vaccinated);
    let d2 = view.row(input.period, Some(code), "all", 2).and_then(|r| r.vaccinated);
    if let (Some(share), Some(a), Some(b)) = (dropout(d1, d2), d1, d2) {
        let flagged = share > level;
        let s = match lang {
            Lang::Id => format!("Putus dosis 1 → dosis 2: {} ({} orang belum mendapat dosis 2; batas {}).", locale::pct(share, lang), locale::int(a - b, lang), locale::pct_short(level, lang)),
            Lang::En => format!("Dose 1 → dose 2 dropout: {} ({} people without dose 2 yet; level {}).", locale::pct(share, lang), locale::int(a - b, lang), locale::pct_short(level, lang)),
        };
        doc.paragraph(&s, 8.5, flagged, if flagged { BAR_LOW } else { BLACK });
    }
}

/// The sentences for the meeting, most important first.
pub fn district_points(input: &ReportInput, code: &str, name: &str, group: &str, dose: i32, level: f64) -> Vec<String> {
    let lang = input.lang;
    let view = input.view();
    let mut points = Vec::new();
    let now = view.row(input.period, Some(code), group, dose);
    if now.is_none_or(|r| r.vaccinated.is_none()) {
        points.push(talk::no_report(name, input.period, lang));
        return points;
    }
    for d in [1, 2] {
        let Some(p) = facts::progress(&view, input.period, Some(code), group, d) else { continue };
        match (p.now.coverage, p.now.people_needed) {
            (Some(c), _) if c >= input.threshold => points.push(talk::reached(name, input.threshold, c, d, lang)),
            (Some(_), Some(n)) => points.push(talk::below_threshold(name, input.threshold, n, d, p.reach, lang)),
            _ => {}
        }
    }
    // What the district's vaccination permits under the PPKM gates.
    if let Some(g) = input.gate(code) {
        if let (Some(level), Some(n1), Some(nl)) = (g.level_by_vaccination, g.people_needed_dose1, g.people_needed_lansia) {
            points.push(talk::ppkm_gate(name, level, g.next_gate, n1, nl, lang));
        }
        if let Some(r) = &g.reported {
            points.extend(talk::ppkm_reported(r.ppkm_level, r.zone.map(|z| z.names()), g.level_by_vaccination, lang));
        }
        if g.children_may_start == Some(true) {
            points.push(talk::children_may_start(input.gate_rules.children_dose1, input.gate_rules.children_lansia_dose1, lang));
        }
    }
    // The district's largest register-versus-application gap: data entry for this week.
    if let Some(gap) = input.app_gaps.and_then(|gaps| gaps.iter().find(|g| g.district_code == code && g.gap_people > 0)) {
        let what = format!("{}, {}", super::group_label(&gap.group, lang).to_lowercase(), super::dose_label(gap.dose, lang).to_lowercase());
        points.push(talk::app_gap(gap.gap_people, &what, gap.closing_changes_gate(), lang));
    }
    if let Some(p) = facts::progress(&view, input.period, Some(code), group, dose) {
        let of = input.district_rows(input.period, group, dose).iter().filter(|r| r.rank.is_some()).count();
        if let Some(r) = p.now.rank {
            points.push(talk::rank(r, of, p.rank_before(), dose, lang));
        }
        if let (Some(g), Some(c)) = (p.gain(), p.coverage_change()) {
            points.push(talk::week_gain(g, c, dose, lang));
        }
    }
    let elderly = view.row(input.period, Some(code), "lansia", 1).and_then(|r| r.coverage);
    let all = view.row(input.period, Some(code), "all", 1).and_then(|r| r.coverage);
    if let (Some(e), Some(a)) = (elderly, all) {
        if e < a && e < input.threshold {
            points.push(talk::elderly_behind(e, a, lang));
        }
    }
    let d1 = view.row(input.period, Some(code), "all", 1).and_then(|r| r.vaccinated);
    let d2 = view.row(input.period, Some(code), "all", 2).and_then(|r| r.vaccinated);
    if let (Some(share), Some(a), Some(b)) = (dropout(d1, d2), d1, d2) {
        if share > level {
            points.push(talk::dropout(share, a - b, level, lang));
        }
    }
    points
}

fn talking_points(doc: &mut Doc, input: &ReportInput, code: &str, name: &str, group: &str, dose: i32, level: f64) {
    subheading(doc, &tr(input.lang, "Poin pembicaraan", "Talking points"));
    for p in district_points(input, code, name, group, dose, level) {
        doc.bullet(&p, 9.5, BLACK);
    }
}
