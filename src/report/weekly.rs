//! The weekly situation report of one province (laporan situasi mingguan).

use super::campaign;
use super::definition::{text, Campaign, ReportDefinition, SectionKind};
use super::pdf::*;
use super::timeliness::{self, Arrival, Cutoff};
use super::{dose_label, facts, group_label, locale, talk, tr, AttainRow, ReportInput};
use crate::config::Lang;
use crate::findings::{Finding, Severity};
use crate::table::FileOutcome;

pub fn render(input: &ReportInput, def: &ReportDefinition) -> super::Pdf {
    let lang = input.lang;
    let province = input.province_name();
    let title = text(&def.title, input.lang_code()).to_string();
    let running = format!("{title} — {} — {}", province, locale::date(input.period, lang));
    let mut doc = Doc::new(&running);
    let campaigns: Vec<&Campaign> = def.campaigns.iter().filter(|c| campaign::applies(c, input.province_code)).collect();
    for section in &def.sections {
        // No campaign configured for this province: no campaign section at all.
        if section.kind == SectionKind::Campaign && campaigns.is_empty() {
            continue;
        }
        // Nothing to compare with (no previous export, no application export): the
        // report goes to officials, so the section is left out rather than explained.
        if (section.kind == SectionKind::Changes && input.changes.is_none()) || (section.kind == SectionKind::Application && input.app_gaps.is_none()) {
            continue;
        }
        if section.kind == SectionKind::Institutions && own_institutions(input).is_empty() {
            continue;
        }
        if section.kind == SectionKind::Versions && input.compared.is_none() {
            continue;
        }
        let heading = text(&section.title, input.lang_code()).to_string();
        let group = section.group.clone().unwrap_or_else(|| "all".into());
        let dose = section.dose.unwrap_or(1) as i32;
        // A chart is drawn whole: keep its heading on the page it fits on.
        match section.kind {
            SectionKind::Chart => doc.ensure(14.0 * input.district_rows(input.period, &group, dose).len() as f32 + 90.0),
            SectionKind::Monitoring => doc.ensure(260.0),
            _ => {}
        }
        if section.kind != SectionKind::Cover {
            doc.heading(&heading);
            doc.bookmark(&heading);
        }
        match section.kind {
            SectionKind::Cover => cover(&mut doc, input, &title, &province, &Cutoff::from_config(&def.cutoff)),
            SectionKind::Headline => headline(&mut doc, input),
            SectionKind::Ranking => ranking(&mut doc, input, &group, dose),
            SectionKind::Chart => chart(&mut doc, input, &group, dose),
            SectionKind::Attention => attention(&mut doc, input, &group, dose, def.deadline_date),
            SectionKind::Groups => groups(&mut doc, input),
            SectionKind::Files => files(&mut doc, input),
            SectionKind::Annex => annex(&mut doc, input, section.limit),
            SectionKind::Timeliness => timeliness(&mut doc, input, &Cutoff::from_config(&def.cutoff)),
            SectionKind::Monitoring => monitoring(&mut doc, input),
            SectionKind::Dropout => dropout(&mut doc, input, section.level_or(DEFAULT_DROPOUT_LEVEL)),
            SectionKind::Campaign => campaigns_section(&mut doc, input, &campaigns),
            SectionKind::Ppkm => ppkm(&mut doc, input),
            SectionKind::Changes => changes(&mut doc, input),
            SectionKind::Application => application(&mut doc, input),
            SectionKind::Institutions => institutions(&mut doc, input, section.level.unwrap_or(1.0)),
            SectionKind::Versions => versions(&mut doc, input),
            // Rakor kinds: a weekly definition that lists one gets the headline figures.
            SectionKind::Summary | SectionKind::Districts => headline(&mut doc, input),
        }
    }
    let label = super::page_label(lang);
    doc.finish(&format!("{title} {province} {}", input.period), &label, input.id_seed)
}

fn cover(doc: &mut Doc, input: &ReportInput, title: &str, province: &str, cutoff: &Cutoff) {
    let lang = input.lang;
    doc.bookmark(title);
    doc.rect(0.0, 0.0, PAGE_W, 8.0, HEADER_FILL);
    doc.y = MARGIN + 10.0;
    doc.paragraph(title, 16.0, true, HEADER_FILL);
    if input.is_national() {
        doc.paragraph(&format!("{province} ({} {})", input.expected_districts().len(), tr(lang, "provinsi dalam data", "provinces in the input")), 14.0, true, BLACK);
    } else {
        doc.paragraph(&format!("{} {}", tr(lang, "PROVINSI", "PROVINCE"), province), 14.0, true, BLACK);
    }
    doc.paragraph(&format!("{} {}", tr(lang, "Keadaan s.d.", "As of"), locale::day_date(input.period, lang)), 11.0, false, BLACK);
    let expected = input.expected_districts();
    let reported = input.reporting_districts();
    let missing: Vec<String> = expected.iter().filter(|c| !reported.contains(c)).map(|c| input.district_name(c)).collect();
    let (on_time, late, unknown, _) = timeliness::tally(&timeliness::submissions(input, cutoff));
    let due = format!("{} {}", cutoff.time.format(if lang == Lang::Id { "%H.%M" } else { "%H:%M" }), cutoff.zone());
    let when = match lang {
        Lang::Id if unknown == 0 => format!(" (tepat waktu {on_time}, terlambat {late}; batas {due})"),
        Lang::En if unknown == 0 => format!(" (on time {on_time}, late {late}; cut-off {due})"),
        Lang::Id => format!(" (tepat waktu {on_time}, terlambat {late}, waktu tidak diketahui {unknown}; batas {due})"),
        Lang::En => format!(" (on time {on_time}, late {late}, time unknown {unknown}; cut-off {due})"),
    };
    // Timeliness is per district file: the provinces' own reports show it.
    let when = if input.is_national() { String::new() } else { when };
    doc.paragraph(
        &match lang {
            Lang::Id if input.is_national() => format!("Provinsi dengan angka untuk periode ini: {} dari {}. Ambang target cakupan: {}.", reported.len(), expected.len(), input.threshold_pct()),
            Lang::En if input.is_national() => format!("Provinces with figures for the period: {} of {}. Coverage threshold: {}.", reported.len(), expected.len(), input.threshold_pct()),
            Lang::Id => format!("Kabupaten/kota yang melapor: {} dari {}{when}. Ambang target cakupan: {}.", reported.len(), expected.len(), input.threshold_pct()),
            Lang::En => format!("Districts reporting: {} of {}{when}. Coverage threshold: {}.", reported.len(), expected.len(), input.threshold_pct()),
        },
        10.0,
        false,
        BLACK,
    );
    doc.paragraph(&input.targets_sentence(), 9.0, false, BLACK);
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

pub(super) fn headline(doc: &mut Doc, input: &ReportInput) {
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

fn rank_change(input: &ReportInput, code: &str, group: &str, dose: i32, rank: Option<i32>) -> String {
    let Some(prev) = input.previous_period() else { return "–".into() };
    let before = input.district_rows(prev, group, dose).into_iter().find(|r| r.district_code.as_deref() == Some(code)).and_then(|r| r.rank);
    match (rank, before) {
        (Some(a), Some(b)) if a < b => format!("▲ {}", b - a),
        (Some(a), Some(b)) if a > b => format!("▼ {}", a - b),
        (Some(_), Some(_)) => "=".into(),
        _ => "–".into(),
    }
}

fn ranking(doc: &mut Doc, input: &ReportInput, group: &str, dose: i32) {
    let lang = input.lang;
    let mut rows = input.district_rows(input.period, group, dose);
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank, r.district_code));
    let cols = vec![
        TableColumn { title: tr(lang, "Peringkat", "Rank"), width: 56.0, align: Align::Right },
        TableColumn { title: input.area_label(), width: 130.0, align: Align::Left },
        TableColumn { title: tr(lang, "Divaksin", "Vaccinated"), width: 66.0, align: Align::Right },
        TableColumn { title: tr(lang, "Sasaran", "Target"), width: 66.0, align: Align::Right },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 52.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perubahan peringkat", "Rank change"), width: 65.0, align: Align::Center },
        TableColumn { title: format!("{} {}", tr(lang, "Kekurangan menuju", "Still needed for"), input.threshold_pct()), width: 76.0, align: Align::Right },
    ];
    let body: Vec<Vec<TableCell>> = rows
        .iter()
        .map(|r| {
            let code = r.district_code.map(|c| c.to_string()).unwrap_or_default();
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
    doc.note(&format!("{} — {}", group_label(group, lang), dose_label(dose, lang)));
    doc.table(&cols, &body, 8.5);
    legend(doc, input);
}

fn legend(doc: &mut Doc, input: &ReportInput) {
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

fn chart(doc: &mut Doc, input: &ReportInput, group: &str, dose: i32) {
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

/// Districts under the threshold; with a deadline, the daily rate needed to reach it by then.
fn attention(doc: &mut Doc, input: &ReportInput, group: &str, dose: i32, deadline: Option<chrono::NaiveDate>) {
    let lang = input.lang;
    let view = input.view();
    let mut below: Vec<facts::Progress> = input
        .district_rows(input.period, group, dose)
        .into_iter()
        .filter(|r| r.coverage.is_some_and(|c| c < input.threshold))
        .filter_map(|r| facts::progress(&view, input.period, r.district_code.as_deref(), group, dose))
        .collect();
    below.sort_by(|a, b| a.now.coverage.unwrap_or(0.0).total_cmp(&b.now.coverage.unwrap_or(0.0)).then(a.now.district_code.cmp(&b.now.district_code)));
    if below.is_empty() {
        doc.paragraph(&match lang {
            Lang::Id => format!("Semua {} yang melapor telah mencapai {} untuk {}.", input.area_word(), input.threshold_pct(), dose_label(dose, lang).to_lowercase()),
            Lang::En => format!("Every reporting {} has reached {} for {}.", input.area_word(), input.threshold_pct(), dose_label(dose, lang).to_lowercase()),
        }, 9.5, false, BLACK);
        return;
    }
    let mut cols = vec![
        TableColumn { title: input.area_label(), width: 140.0, align: Align::Left },
        TableColumn { title: tr(lang, "Cakupan", "Coverage"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Orang yang masih perlu divaksin", "People still needed"), width: 85.0, align: Align::Right },
        TableColumn { title: tr(lang, "Laju minggu lalu (orang/hari)", "Last week's pace (people/day)"), width: 80.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perkiraan tercapai", "Expected to reach it"), width: 151.0, align: Align::Left },
    ];
    // Days from the report's date to the deadline (the figures are as of the end of the period's day).
    let days_left = deadline.map(|d| (d - input.period).num_days());
    if let Some(d) = deadline {
        cols[0].width = 118.0;
        cols[1].width = 50.0;
        cols[2].width = 75.0;
        cols[3].width = 70.0;
        cols[4].width = 118.0;
        let title = match lang {
            Lang::Id => format!("Perlu per hari s.d. {}", locale::short_date(d, lang)),
            Lang::En => format!("Needed per day by {}", locale::short_date(d, lang)),
        };
        cols.insert(4, TableColumn { title, width: 80.0, align: Align::Right });
    }
    let mut body = Vec::new();
    let mut points = Vec::new();
    for p in &below {
        let name = input.district_name(p.now.district_code.as_deref().unwrap_or(""));
        let needed = p.now.people_needed.unwrap_or(0);
        let mut cov = TableCell::plain(input.pct(p.now.coverage));
        cov.fill = input.status_color(p.now.coverage);
        let mut row = vec![
            TableCell::plain(name.clone()),
            cov,
            TableCell { text: input.num(Some(needed)), fill: None, bold: true },
            TableCell::plain(p.pace_per_day.map(|v| locale::int(v.round() as i64, lang)).unwrap_or_else(|| "–".into())),
            TableCell::plain(reach_text(p.reach, lang)),
        ];
        let mut point = talk::below_threshold(&name, input.threshold, needed, dose, p.reach, lang);
        if let (Some(d), Some(days)) = (deadline, days_left) {
            let rate = facts::rate_needed(needed, days);
            // Red when last week's pace is under the rate needed (or the deadline passed).
            let fill = match (rate, p.pace_per_day) {
                (None, _) => Some(RED),
                (Some(r), Some(pace)) => Some(if pace < r { RED } else { GREEN }),
                (Some(_), None) => None,
            };
            let text = rate.map(|r| locale::int(r.ceil() as i64, lang)).unwrap_or_else(|| tr(lang, "batas waktu lewat", "deadline passed"));
            row.insert(4, TableCell { text, fill, bold: true });
            point = format!("{point} {}", talk::deadline_rate(rate, d, lang));
        }
        body.push(row);
        points.push(point);
    }
    doc.table(&cols, &body, 8.5);
    for p in points {
        doc.bullet(&p, 9.0, BLACK);
    }
    doc.y += 4.0;
}

/// The "expected to reach it" cell of a table.
pub(super) fn reach_text(reach: facts::Reach, lang: Lang) -> String {
    match reach {
        facts::Reach::On(d) => locale::date(d, lang),
        facts::Reach::Already => tr(lang, "sudah tercapai", "reached"),
        facts::Reach::NotAtPace => tr(lang, "tidak tercapai dengan laju saat ini", "not at the current pace"),
        facts::Reach::NoHistory => tr(lang, "belum ada data minggu lalu", "no data for last week"),
    }
}

/// The cumulative monitoring chart: the province's coverage per week against the threshold.
fn monitoring(doc: &mut Doc, input: &ReportInput) {
    let lang = input.lang;
    let view = input.view();
    let periods: Vec<_> = view.periods().into_iter().filter(|p| *p <= input.period).collect();
    let labels = locale::period_labels(&periods, lang);
    let series: Vec<chart_bar::Series> = [1, 2, 3]
        .iter()
        .zip(chart_bar::LINE_COLORS)
        .map(|(d, color)| chart_bar::Series { label: dose_label(*d, lang), color, values: periods.iter().map(|p| view.row(*p, None, "all", *d).and_then(|r| r.coverage)).collect() })
        .filter(|s| s.values.iter().any(Option::is_some))
        .collect();
    doc.note(
        &match lang {
            Lang::Id => format!("Cakupan kumulatif {} per minggu, semua kelompok ({} minggu dalam data masukan).", if input.is_national() { "nasional" } else { "provinsi" }, periods.len()),
            Lang::En => format!("{} cumulative coverage per week, all groups ({} weeks in the input).", if input.is_national() { "National" } else { "Province" }, periods.len()),
        },
    );
    let label = format!("{} {}", tr(lang, "Target", "Target"), locale::pct_short(input.threshold, lang));
    chart_bar::trend_lines(doc, &labels, &series, input.threshold, &label, &|v| locale::pct(v, lang), 150.0);
}

/// Campaign targets: per campaign, doses given in its window so far, what is left, the
/// daily rate needed to finish by the end, last week's pace and where it leads.
fn campaigns_section(doc: &mut Doc, input: &ReportInput, campaigns: &[&Campaign]) {
    let lang = input.lang;
    let view = input.view();
    let cols = vec![
        TableColumn { title: tr(lang, "Kampanye", "Campaign"), width: 94.0, align: Align::Left },
        TableColumn { title: tr(lang, "Target (dosis)", "Target (doses)"), width: 52.0, align: Align::Right },
        TableColumn { title: tr(lang, "Capaian sejauh ini", "Done so far"), width: 78.0, align: Align::Right },
        TableColumn { title: tr(lang, "Sisa", "Remaining"), width: 52.0, align: Align::Right },
        TableColumn { title: tr(lang, "Sisa hari", "Days left"), width: 36.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perlu per hari", "Needed per day"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Laju minggu lalu per hari", "Last week's pace per day"), width: 60.0, align: Align::Right },
        TableColumn { title: tr(lang, "Perkiraan total di akhir", "Projected total at the end"), width: 84.0, align: Align::Right },
    ];
    let mut body = Vec::new();
    let mut points = Vec::new();
    for c in campaigns {
        let p = campaign::progress(&view, input.period, c);
        let window = format!("{} – {}", locale::short_date(c.start, lang), locale::date(c.end, lang));
        let name = format!("{} ({}, {}; {window})", c.name, dose_label(c.dose, lang).to_lowercase(), group_label(&c.group, lang).to_lowercase());
        let share = |v: i64| locale::pct(v as f64 / c.target as f64, lang);
        let short = p.projected.is_some_and(|t| t < c.target);
        body.push(vec![
            TableCell::plain(name),
            TableCell::plain(locale::int(c.target, lang)),
            TableCell::plain(p.done.map(|d| format!("{} ({})", locale::int(d, lang), share(d))).unwrap_or_else(|| "–".into())),
            TableCell::plain(input.num(p.remaining(c))),
            TableCell::plain(locale::int(p.days_left, lang)),
            TableCell { text: p.needed_per_day.map(|r| locale::int(r.ceil() as i64, lang)).unwrap_or_else(|| "–".into()), fill: None, bold: true },
            TableCell::plain(p.pace_per_day.map(|v| locale::int(v.round() as i64, lang)).unwrap_or_else(|| "–".into())),
            TableCell { text: p.projected.map(|t| format!("{} ({})", locale::int(t, lang), share(t))).unwrap_or_else(|| "–".into()), fill: p.projected.map(|_| if short { RED } else { GREEN }), bold: false },
        ]);
        points.push(talk::campaign(c, &p, lang));
    }
    doc.note(
        &match lang {
            Lang::Id => format!("Angka provinsi s.d. {}. Capaian = divaksin sekarang − divaksin pada data terakhir sebelum atau pada hari mulai; perkiraan = capaian + laju minggu lalu × sisa hari.", locale::date(input.period, lang)),
            Lang::En => format!("Province figures as of {}. Done = vaccinated now − vaccinated at the last figure on or before the start; projected = done + last week's pace × days left.", locale::date(input.period, lang)),
        },
    );
    doc.table(&cols, &body, 8.0);
    for p in points {
        doc.bullet(&p, 9.0, BLACK);
    }
    doc.y += 4.0;
}

/// PPKM vaccination gates: furthest from the next level first, then the agglomerations.
pub(super) fn ppkm(doc: &mut Doc, input: &ReportInput) {
    let lang = input.lang;
    let rules = input.gate_rules;
    let gates: Vec<String> = rules
        .gates
        .iter()
        .map(|g| match lang {
            Lang::Id => format!("level {} → {}: dosis 1 ≥ {} dan lansia dosis 1 ≥ {}", g.from, g.to, locale::pct_short(g.dose1, lang), locale::pct_short(g.lansia_dose1, lang)),
            Lang::En => format!("level {} → {}: dose 1 ≥ {} and elderly dose 1 ≥ {}", g.from, g.to, locale::pct_short(g.dose1, lang), locale::pct_short(g.lansia_dose1, lang)),
        })
        .collect();
    let (c1, cl) = (locale::pct_short(rules.children_dose1, lang), locale::pct_short(rules.children_lansia_dose1, lang));
    doc.note(
        &match lang {
            Lang::Id => format!("Syarat vaksinasi untuk turun level PPKM: {}. Vaksinasi anak 6–11 tahun dapat dimulai bila dosis 1 di atas {c1} dan lansia di atas {cl}. Kekurangan = orang yang masih perlu divaksin untuk gerbang berikutnya.", gates.join("; ")),
            Lang::En => format!("Vaccination needed to move down a PPKM level: {}. Vaccinating children 6–11 may start where dose 1 is above {c1} and elderly above {cl}. Still needed = people to vaccinate for the next gate.", gates.join("; ")),
        },
    );
    let codes = input.expected_districts();
    let mut rows: Vec<&crate::gates::GateRow> = input.gates.iter().filter(|g| g.period == input.period && !g.is_agglomeration && codes.contains(&g.district_code)).collect();
    // Furthest behind first: highest level, then the most people still needed.
    rows.sort_by_key(|g| (g.level_by_vaccination.is_none(), std::cmp::Reverse(g.level_by_vaccination), std::cmp::Reverse(g.people_needed_dose1.unwrap_or(0) + g.people_needed_lansia.unwrap_or(0)), g.district_code.clone()));
    let agglomerations = input.gates.iter().filter(|g| g.period == input.period && g.is_agglomeration && g.province_code == input.province_code);
    // The level or zone the submissions report, when any of them does.
    let any_reported = rows.iter().any(|g| g.reported.is_some());
    // Narrower figure columns make room for it (the page is 511 pt wide either way).
    let (wide, narrow) = if any_reported { (92.0, 44.0) } else { (120.0, 55.0) };
    let mut cols = vec![
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: wide, align: Align::Left },
        TableColumn { title: tr(lang, "Dosis 1", "Dose 1"), width: narrow, align: Align::Right },
        TableColumn { title: tr(lang, "Lansia dosis 1", "Elderly dose 1"), width: narrow, align: Align::Right },
        TableColumn { title: tr(lang, "Level menurut vaksinasi", "Level by vaccination"), width: 50.0, align: Align::Center },
        TableColumn { title: tr(lang, "Gerbang berikut", "Next gate"), width: 50.0, align: Align::Center },
        TableColumn { title: tr(lang, "Kekurangan dosis 1", "Still needed, dose 1"), width: 63.0, align: Align::Right },
        TableColumn { title: tr(lang, "Kekurangan lansia", "Still needed, elderly"), width: 63.0, align: Align::Right },
        TableColumn { title: tr(lang, "Anak 6–11 boleh mulai", "Children 6–11 may start"), width: 55.0, align: Align::Center },
    ];
    if any_reported {
        cols.insert(4, TableColumn { title: tr(lang, "Laporan daerah", "District reports"), width: 50.0, align: Align::Center });
    }
    let level_fill = |l: Option<u8>| match (l, rules.gates.first(), rules.gates.last()) {
        (Some(l), Some(top), _) if l >= top.from => Some(RED),
        (Some(l), _, Some(bottom)) if l <= bottom.to => Some(GREEN),
        (Some(_), _, _) => Some(YELLOW),
        _ => None,
    };
    let mut body: Vec<Vec<TableCell>> = Vec::new();
    for g in rows.into_iter().chain(agglomerations) {
        let name = if g.is_agglomeration { g.district_code.clone() } else { input.district_name(&g.district_code) };
        let no_figures = g.level_by_vaccination.is_none();
        let yes_no = |b: Option<bool>| match b {
            Some(true) => tr(lang, "ya", "yes"),
            Some(false) => tr(lang, "tidak", "no"),
            None => "–".into(),
        };
        let mut cells = vec![
            TableCell { text: name, fill: None, bold: g.is_agglomeration },
            TableCell::plain(input.pct(g.dose1_coverage)),
            TableCell::plain(input.pct(g.lansia_dose1_coverage)),
            TableCell { text: g.level_by_vaccination.map(|l| l.to_string()).unwrap_or_else(|| "–".into()), fill: level_fill(g.level_by_vaccination), bold: true },
        ];
        if any_reported {
            cells.push(reported_cell(g.reported.as_ref(), lang, level_fill));
        }
        cells.extend([
            TableCell::plain(match (g.next_gate, no_figures) {
                (_, true) => tr(lang, "tanpa data", "no data"),
                (Some(n), _) => n.label(),
                (None, _) => tr(lang, "semua terpenuhi", "all met"),
            }),
            TableCell::plain(input.num(g.people_needed_dose1)),
            TableCell::plain(input.num(g.people_needed_lansia)),
            TableCell::plain(yes_no(g.children_may_start)),
        ]);
        body.push(cells);
    }
    doc.table(&cols, &body, 8.0);
    if any_reported {
        doc.note(&tr(
            lang,
            "Laporan daerah: level PPKM dan/atau warna zona yang tertulis di berkas kiriman (* = terburuk dari baris kecamatan). Level PPKM juga bergantung pada kasus, keterisian tempat tidur dan pelacakan, jadi bisa lebih ketat dari yang dimungkinkan vaksinasi.",
            "District reports: the PPKM level and/or zone colour written in the submissions (* = worst of the sub-district rows). The PPKM level also depends on cases, bed occupancy and tracing, so it can be stricter than vaccination alone permits.",
        ));
    }
    if input.gates.iter().any(|g| g.period == input.period && g.is_agglomeration && g.province_code == input.province_code) {
        doc.paragraph(
            &tr(lang, "Aglomerasi (tebal) dinilai dari anggota terendah; kekurangannya dijumlah atas semua anggota.", "Agglomerations (bold) are judged by their lowest member; what they still need is summed over the members."),
            8.0,
            false,
            GREY,
        );
    }
}

/// `3 · merah`: the level and zone a district reports, coloured like the computed level
/// (or by the zone's own colour when only a zone is given).
fn reported_cell(r: Option<&crate::gates::Reported>, lang: Lang, level_fill: impl Fn(Option<u8>) -> Option<Rgb3>) -> TableCell {
    use crate::layout::cells::Zone;
    let Some(r) = r else { return TableCell::plain("–") };
    let zone = r.zone.map(|z| if lang == Lang::Id { z.names().0 } else { z.names().1 });
    let text = match (r.ppkm_level, zone) {
        (Some(l), Some(z)) => format!("{l} · {z}"),
        (Some(l), None) => l.to_string(),
        (None, Some(z)) => z.to_string(),
        (None, None) => "–".into(),
    };
    let fill = match (r.ppkm_level, r.zone) {
        (Some(l), _) => level_fill(Some(l)),
        (None, Some(Zone::Merah | Zone::Oranye)) => Some(RED),
        (None, Some(Zone::Kuning)) => Some(YELLOW),
        (None, Some(Zone::Hijau)) => Some(GREEN),
        (None, None) => None,
    };
    TableCell { text: if r.worst_of_areas { format!("{text}*") } else { text }, fill, bold: false }
}

/// How many register-versus-application gaps the report lists; all are in app_gaps.csv.
const GAPS_SHOWN: usize = 20;

/// Register versus application: the largest gaps first.
fn application(doc: &mut Doc, input: &ReportInput) {
    let lang = input.lang;
    // `render` leaves the section out when no application export was given.
    let Some(all) = input.app_gaps else { return };
    let prefix = format!("{}.", input.province_code);
    let gaps: Vec<&crate::appgap::AppGap> = all.iter().filter(|g| g.district_code.starts_with(&prefix) && g.gap_people > 0).collect();
    let changing: Vec<String> = {
        let set: std::collections::BTreeSet<&str> = gaps.iter().filter(|g| g.closing_changes_gate()).map(|g| g.district_code.as_str()).collect();
        set.into_iter().map(|c| input.district_name(c)).collect()
    };
    let app_date = gaps.first().map(|g| locale::date(g.app_period, lang)).unwrap_or_else(|| "–".into());
    doc.note(
        &match lang {
            Lang::Id => format!("Selisih = divaksin menurut laporan kabupaten/kota (register) − menurut aplikasi (data aplikasi {app_date}): pekerjaan entri data yang dapat diselesaikan minggu ini. {} selisih.", gaps.len()),
            Lang::En => format!("Gap = vaccinated by the district's register − by the application (application data of {app_date}): data entry the district can do this week. {} gaps.", gaps.len()),
        },
    );
    if !changing.is_empty() {
        doc.paragraph(
            &match lang {
                Lang::Id => format!("Menutup selisih menurunkan level PPKM menurut vaksinasi: {}.", changing.join(", ")),
                Lang::En => format!("Closing the gap lowers the PPKM level by vaccination: {}.", changing.join(", ")),
            },
            9.0,
            true,
            BAR_LOW,
        );
    }
    if gaps.is_empty() {
        return;
    }
    let cols = vec![
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 110.0, align: Align::Left },
        TableColumn { title: tr(lang, "Kelompok, dosis", "Group, dose"), width: 120.0, align: Align::Left },
        TableColumn { title: "Register".into(), width: 58.0, align: Align::Right },
        TableColumn { title: tr(lang, "Aplikasi", "Application"), width: 58.0, align: Align::Right },
        TableColumn { title: tr(lang, "Selisih (orang)", "Gap (people)"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Selisih (pp)", "Gap (pp)"), width: 48.0, align: Align::Right },
        TableColumn { title: tr(lang, "Level PPKM: aplikasi → register", "PPKM level: app → register"), width: 62.0, align: Align::Center },
    ];
    let body: Vec<Vec<TableCell>> = gaps
        .iter()
        .take(GAPS_SHOWN)
        .map(|g| {
            vec![
                TableCell::plain(input.district_name(&g.district_code)),
                TableCell::plain(format!("{}, {}", group_label(&g.group, lang), dose_label(g.dose, lang).to_lowercase())),
                TableCell::plain(locale::int(g.register, lang)),
                TableCell::plain(locale::int(g.app, lang)),
                TableCell { text: locale::int(g.gap_people, lang), fill: None, bold: true },
                TableCell::plain(g.gap_pp.map(|p| locale::pp(p, lang)).unwrap_or_else(|| "–".into())),
                TableCell {
                    // Both levels or none: an export without elderly figures cannot be judged.
                    text: match (g.level_by_app, g.level_by_register) {
                        (Some(a), Some(r)) => format!("{a} → {r}"),
                        _ => "–".into(),
                    },
                    fill: g.closing_changes_gate().then_some(YELLOW), bold: g.closing_changes_gate() },
            ]
        })
        .collect();
    doc.table(&cols, &body, 8.0);
    if gaps.len() > GAPS_SHOWN {
        doc.paragraph(&format!("… {} {}", gaps.len() - GAPS_SHOWN, tr(lang, "lainnya di export/app_gaps.csv", "more in export/app_gaps.csv")), 8.0, false, GREY);
    }
}

/// How many rows of each kind of change the report shows; the rest are in changes.csv.
const CHANGES_SHOWN: usize = 40;

/// What changed since the previous report (`--previous`).
fn changes(doc: &mut Doc, input: &ReportInput) {
    use crate::changes::ChangeKind as K;
    let lang = input.lang;
    // `render` leaves the section out when no previous export was given.
    let Some(c) = input.changes else { return };
    let prefix = format!("{}.", input.province_code);
    let districts: Vec<&crate::changes::Change> = c.items.iter().filter(|i| i.district_code.starts_with(&prefix)).collect();
    let count = |k: K| if matches!(k, K::FindingAppeared | K::FindingResolved) { c.items.iter().filter(|i| i.kind == k).count() } else { districts.iter().filter(|i| i.kind == k).count() };
    let since = c.previous_period.map(|p| locale::date(p, lang)).unwrap_or_else(|| "–".into());
    doc.note(
        &match lang {
            Lang::Id => format!(
                "Dibandingkan dengan laporan sebelumnya ({since}): {} angka direvisi, {} perubahan peringkat dosis 1, {} melewati ambang {}, {} perubahan level PPKM menurut vaksinasi, {} catatan baru, {} catatan selesai.",
                count(K::Revised), count(K::RankChanged), count(K::ThresholdCrossed), input.threshold_pct(), count(K::PpkmLevelChanged), count(K::FindingAppeared), count(K::FindingResolved)
            ),
            Lang::En => format!(
                "Compared with the previous report ({since}): {} figures revised, {} dose 1 rank changes, {} crossings of the {} threshold, {} changes of PPKM level by vaccination, {} new findings, {} resolved.",
                count(K::Revised), count(K::RankChanged), count(K::ThresholdCrossed), input.threshold_pct(), count(K::PpkmLevelChanged), count(K::FindingAppeared), count(K::FindingResolved)
            ),
        },
    );
    if !districts.is_empty() {
        let cols = vec![
            TableColumn { title: tr(lang, "Perubahan", "Change"), width: 95.0, align: Align::Left },
            TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 120.0, align: Align::Left },
            TableColumn { title: tr(lang, "Minggu", "Week"), width: 65.0, align: Align::Left },
            TableColumn { title: tr(lang, "Kelompok, dosis", "Group, dose"), width: 95.0, align: Align::Left },
            TableColumn { title: tr(lang, "Sebelum", "Before"), width: 68.0, align: Align::Right },
            TableColumn { title: tr(lang, "Sekarang", "Now"), width: 68.0, align: Align::Right },
        ];
        let kind_text = |i: &crate::changes::Change| match i.kind {
            K::Revised => tr(lang, "angka direvisi", "figure revised"),
            K::RankChanged => tr(lang, "peringkat berubah", "rank changed"),
            K::ThresholdCrossed if i.detail.starts_with("reached") => tr(lang, "mencapai ambang", "reached the threshold"),
            K::ThresholdCrossed => tr(lang, "turun di bawah ambang", "fell below the threshold"),
            K::PpkmLevelChanged => tr(lang, "level PPKM berubah", "PPKM level changed"),
            K::FindingAppeared | K::FindingResolved => String::new(),
        };
        let figure = |i: &crate::changes::Change, s: &str| match i.kind {
            K::Revised => s.parse::<i64>().map(|n| locale::int(n, lang)).unwrap_or_else(|_| s.to_string()),
            K::ThresholdCrossed => s.trim_end_matches('%').parse::<f64>().map(|p| locale::pct(p / 100.0, lang)).unwrap_or_else(|_| s.to_string()),
            _ => s.to_string(),
        };
        let body: Vec<Vec<TableCell>> = districts
            .iter()
            .take(CHANGES_SHOWN)
            .map(|i| {
                let what = match i.dose {
                    Some(d) => format!("{}, {}", group_label(&i.group, lang), dose_label(d, lang).to_lowercase()),
                    None => tr(lang, "gerbang PPKM", "PPKM gate"),
                };
                vec![
                    TableCell::plain(kind_text(i)),
                    TableCell::plain(input.district_name(&i.district_code)),
                    TableCell::plain(i.period.map(|p| locale::short_date(p, lang)).unwrap_or_default()),
                    TableCell::plain(what),
                    TableCell::plain(figure(i, &i.before)),
                    TableCell { text: figure(i, &i.after), fill: None, bold: true },
                ]
            })
            .collect();
        doc.table(&cols, &body, 8.0);
        if districts.len() > CHANGES_SHOWN {
            doc.paragraph(&format!("… {} {}", districts.len() - CHANGES_SHOWN, tr(lang, "lainnya di export/changes.csv", "more in export/changes.csv")), 8.0, false, GREY);
        }
    }
    for (kind, label) in [(K::FindingAppeared, tr(lang, "Catatan baru", "New findings")), (K::FindingResolved, tr(lang, "Catatan yang sudah selesai", "Findings resolved"))] {
        let items: Vec<&crate::changes::Change> = c.items.iter().filter(|i| i.kind == kind).collect();
        if items.is_empty() {
            continue;
        }
        doc.paragraph(&format!("{label} ({})", items.len()), 9.0, true, BLACK);
        for i in items.iter().take(CHANGES_SHOWN) {
            doc.bullet(&i.detail, 8.0, BLACK);
        }
        if items.len() > CHANGES_SHOWN {
            doc.paragraph(&format!("… {} {}", items.len() - CHANGES_SHOWN, tr(lang, "lainnya di export/changes.csv", "more in export/changes.csv")), 8.0, false, GREY);
        }
    }
}

const DEFAULT_DROPOUT_LEVEL: f64 = 0.2;

/// Dose 1 → dose 2 dropout per district, highest first, flagged above `level`.
fn dropout(doc: &mut Doc, input: &ReportInput, level: f64) {
    let lang = input.lang;
    let view = input.view();
    let mut rows: Vec<(String, i64, i64, f64)> = input
        .district_rows(input.period, "all", 1)
        .iter()
        .filter_map(|r| {
            let code = r.district_code?.to_string();
            let d1 = r.vaccinated?;
            let d2 = view.row(input.period, Some(&code), "all", 2)?.vaccinated?;
            Some((code, d1, d2, facts::dropout(Some(d1), Some(d2))?))
        })
        .collect();
    rows.sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));
    let flagged: Vec<String> = rows.iter().filter(|r| r.3 > level).map(|r| input.district_name(&r.0)).collect();
    let l = locale::pct_short(level, lang);
    doc.paragraph(
        &match (lang, flagged.is_empty()) {
            (Lang::Id, true) => format!("Putus dosis (dosis 1 − dosis 2) ÷ dosis 1. Tidak ada {} di atas batas {l}.", input.area_word()),
            (Lang::En, true) => format!("Dropout (dose 1 − dose 2) ÷ dose 1. No {} is above the {l} level.", input.area_word()),
            (Lang::Id, false) => format!("Putus dosis (dosis 1 − dosis 2) ÷ dosis 1. Di atas batas {l}: {}.", flagged.join(", ")),
            (Lang::En, false) => format!("Dropout (dose 1 − dose 2) ÷ dose 1. Above the {l} level: {}.", flagged.join(", ")),
        },
        8.5,
        !flagged.is_empty(),
        if flagged.is_empty() { GREY } else { BAR_LOW },
    );
    let cols = vec![
        TableColumn { title: input.area_label(), width: 150.0, align: Align::Left },
        TableColumn { title: dose_label(1, lang), width: 75.0, align: Align::Right },
        TableColumn { title: dose_label(2, lang), width: 75.0, align: Align::Right },
        TableColumn { title: tr(lang, "Belum dosis 2", "Without dose 2"), width: 75.0, align: Align::Right },
        TableColumn { title: tr(lang, "Putus dosis", "Dropout"), width: 60.0, align: Align::Right },
        TableColumn { title: format!("{} {l}", tr(lang, "Di atas", "Above")), width: 76.0, align: Align::Center },
    ];
    let mut body: Vec<Vec<TableCell>> = rows
        .iter()
        .map(|(code, d1, d2, share)| {
            let above = *share > level;
            vec![
                TableCell::plain(input.district_name(code)),
                TableCell::plain(locale::int(*d1, lang)),
                TableCell::plain(locale::int(*d2, lang)),
                TableCell::plain(locale::int(d1 - d2, lang)),
                TableCell { text: locale::pct(*share, lang), fill: above.then_some(RED), bold: above },
                TableCell::plain(if above { tr(lang, "ya", "yes") } else { "–".into() }),
            ]
        })
        .collect();
    let p1 = input.province_row(input.period, "all", 1).and_then(|r| r.vaccinated);
    let p2 = input.province_row(input.period, "all", 2).and_then(|r| r.vaccinated);
    if let (Some(a), Some(b), Some(share)) = (p1, p2, facts::dropout(p1, p2)) {
        let bold = |t: String| TableCell { text: t, fill: None, bold: true };
        body.push(vec![
            bold(if input.is_national() { tr(lang, "NASIONAL", "NATIONAL") } else { tr(lang, "PROVINSI", "PROVINCE") }),
            bold(locale::int(a, lang)),
            bold(locale::int(b, lang)),
            bold(locale::int(a - b, lang)),
            TableCell { text: locale::pct(share, lang), fill: (share > level).then_some(RED), bold: true },
            bold(if share > level { tr(lang, "ya", "yes") } else { "–".into() }),
        ]);
    }
    doc.table(&cols, &body, 8.5);
}

/// Which districts sent, when, and whether before the cut-off; who is missing.
pub(super) fn timeliness(doc: &mut Doc, input: &ReportInput, cutoff: &Cutoff) {
    let lang = input.lang;
    let subs = timeliness::submissions(input, cutoff);
    let (on_time, late, unknown, missing) = timeliness::tally(&subs);
    let due = cutoff.local(cutoff.due(input.period), lang);
    doc.note(
        &(match lang {
            Lang::Id => format!("Batas pengiriman: {due}. Tepat waktu {on_time}, terlambat {late}, waktu tidak diketahui {unknown}, belum mengirim {missing} (dari {}).", subs.len()),
            Lang::En => format!("Cut-off: {due}. On time {on_time}, late {late}, time unknown {unknown}, missing {missing} (of {}).", subs.len()),
        } + &received_note(&subs, lang)),
    );
    let cols = vec![
        TableColumn { title: input.area_label(), width: 112.0, align: Align::Left },
        TableColumn { title: tr(lang, "Berkas", "File"), width: 140.0, align: Align::Left },
        TableColumn { title: tr(lang, "Diterima", "Received"), width: 130.0, align: Align::Left },
        TableColumn { title: tr(lang, "Status", "Status"), width: 129.0, align: Align::Left },
    ];
    // Missing first, then late, then on time: who to call comes first.
    let mut subs = subs;
    subs.sort_by_key(|s| match s.arrival {
        None => 0,
        Some(Arrival::Late(_)) => 1,
        Some(Arrival::Unknown) => 2,
        Some(Arrival::OnTime) => 3,
    });
    let body: Vec<Vec<TableCell>> = subs
        .iter()
        .map(|s| {
            let file = s.file.map(|f| f.path.rsplit(['/', '\\']).next().unwrap_or(&f.path).to_string()).unwrap_or_else(|| "–".into());
            // A time from the file rather than the receipts log says so: it may be a copy's time.
            let received = match s.file.map(|f| (f.received, f.received_from.as_str())) {
                Some((Some(t), "file_time")) => format!("{} ({})", cutoff.local(t, lang), tr(lang, "waktu berkas", "file time")),
                Some((Some(t), _)) => cutoff.local(t, lang),
                _ => "–".into(),
            };
            let (status, fill) = match s.arrival {
                None => (tr(lang, "belum mengirim", "missing"), Some(RED)),
                Some(Arrival::OnTime) => (tr(lang, "tepat waktu", "on time"), Some(GREEN)),
                Some(Arrival::Late(min)) => (
                    match lang {
                        Lang::Id => format!("terlambat {}", late_text(min, lang)),
                        Lang::En => format!("late by {}", late_text(min, lang)),
                    },
                    Some(YELLOW),
                ),
                Some(Arrival::Unknown) => (tr(lang, "waktu tidak diketahui", "time unknown"), None),
            };
            vec![TableCell::plain(input.district_name(&s.district_code)), TableCell::plain(file), TableCell::plain(received), TableCell { text: status, fill, bold: false }]
        })
        .collect();
    doc.table(&cols, &body, 8.0);
}

/// Where the received times come from: the receipts log, the files' times, or both.
fn received_note(subs: &[timeliness::Submission], lang: Lang) -> String {
    let from = |src: &str| subs.iter().filter_map(|s| s.file).filter(|f| f.received_from == src).count();
    match (from("receipts"), from("file_time"), lang) {
        (0, 0, _) => String::new(),
        (_, 0, Lang::Id) => " Waktu diterima menurut log penerimaan.".into(),
        (_, 0, Lang::En) => " Received times from the receipts log.".into(),
        (0, _, Lang::Id) => " Waktu diterima menurut waktu berkas (tanpa log penerimaan; salinan berkas mengubahnya).".into(),
        (0, _, Lang::En) => " Received times are file times (no receipts log; copying a file changes them).".into(),
        (_, n, Lang::Id) => format!(" Waktu diterima menurut log penerimaan; {n} berkas tidak tercatat di log, memakai waktu berkas."),
        (_, n, Lang::En) => format!(" Received times from the receipts log; {n} files not in the log use their file time."),
    }
}

/// `2 jam 5 menit`, `3 hari` / `2 h 5 min`, `3 days`.
fn late_text(minutes: i64, lang: Lang) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match lang {
        Lang::Id if d > 1 => format!("{} hari", locale::int(d, lang)),
        Lang::En if d > 1 => format!("{} days", locale::int(d, lang)),
        Lang::Id if d > 0 => format!("{d} hari {h} jam"),
        Lang::Id if h > 0 => format!("{h} jam {m} menit"),
        Lang::Id => format!("{m} menit"),
        Lang::En if d > 0 => format!("{d} d {h} h"),
        Lang::En if h > 0 => format!("{h} h {m} min"),
        Lang::En => format!("{m} min"),
    }
}

fn groups(doc: &mut Doc, input: &ReportInput) {
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
    doc.note(tr(lang, "Divaksin (cakupan terhadap sasaran kelompok).", "Vaccinated (coverage of the group's target).").as_str());
    doc.table(&cols, &body, 8.5);
    // The same figures as a chart: a bar per dose for each group, against the threshold.
    let colours = [Rgb3(0.16, 0.29, 0.48), Rgb3(0.27, 0.56, 0.36), Rgb3(0.85, 0.55, 0.15)];
    let chart_groups: Vec<super::chart::BarGroup> = ["sdmk", "petugas_publik", "lansia", "umum_rentan", "remaja", "anak", "all"]
        .iter()
        .filter(|g| (1..=3).any(|d| input.province_row(input.period, g, d).is_some_and(|r| r.coverage.is_some())))
        .map(|g| super::chart::BarGroup {
            label: group_label(g, lang),
            bars: (1..=3).map(|d| input.province_row(input.period, g, d).and_then(|r| r.coverage).map(|c| (c, colours[d as usize - 1]))).collect(),
        })
        .collect();
    if !chart_groups.is_empty() {
        let legend: Vec<(String, Rgb3)> = (1..=3).map(|d| (dose_label(d, lang), colours[d as usize - 1])).collect();
        let label = format!("{} {}", tr(lang, "Target", "Target"), input.threshold_pct());
        doc.y += 6.0;
        super::chart::grouped_bars(doc, &chart_groups, &legend, input.threshold, &label, &|v| locale::pct(v, lang));
    }
}

fn files(doc: &mut Doc, input: &ReportInput) {
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
    // This period's files, and those whose date could not be read; earlier weeks are
    // history. A report on a past week (`--period`) also has the later weeks' files of
    // the run: counted apart, not called earlier.
    let period = input.period.to_string();
    let shown: Vec<&FileOutcome> = input.files.iter().copied().filter(|f| f.period.as_deref().is_none_or(|p| p.contains(&period))).collect();
    // A file's periods are ISO dates, first the earliest: compared as text.
    let later = input.files.iter().filter(|f| f.period.as_deref().is_some_and(|p| !p.contains(&period) && p > period.as_str())).count();
    let history = input.files.len() - shown.len() - later;
    if history + later > 0 {
        let date = locale::date(input.period, lang);
        let earlier = match lang {
            Lang::Id => format!("{history} berkas minggu sebelumnya dibaca sebagai riwayat"),
            Lang::En => format!("{history} files of earlier weeks read as history"),
        };
        let after = match lang {
            Lang::Id => format!("{later} berkas minggu sesudahnya juga dibaca"),
            Lang::En => format!("{later} files of later weeks also read"),
        };
        let said = [(history > 0).then_some(earlier), (later > 0).then_some(after)].into_iter().flatten().collect::<Vec<_>>().join("; ");
        doc.note(&match lang {
            Lang::Id => format!("Berkas untuk {date} ({said})."),
            Lang::En => format!("Files for {date} ({said})."),
        });
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

/// The findings, the most severe first; past `limit`, how many of each kind first, then
/// the first `limit` (a national week of a year's bench had 1,500 findings: 107 pages).
fn annex(doc: &mut Doc, input: &ReportInput, limit: Option<usize>) {
    let lang = input.lang;
    if input.findings.is_empty() {
        doc.paragraph(&tr(lang, "Tidak ada catatan.", "No findings."), 9.5, false, BLACK);
        return;
    }
    let severity = |s: Severity| match s {
        Severity::Error => (tr(lang, "galat", "error"), Some(RED)),
        Severity::Warning => (tr(lang, "peringatan", "warning"), Some(YELLOW)),
        Severity::Info => (tr(lang, "info", "info"), None),
    };
    let mut findings: Vec<&Finding> = input.findings.iter().collect();
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.source.cmp(&b.source)));
    let shown = limit.unwrap_or(findings.len()).min(findings.len());
    if shown < findings.len() {
        let (all, int) = (findings.len(), |n: usize| locale::int(n as i64, lang));
        // The national report's findings are also in the provinces' own reports.
        let also = if input.is_national() { tr(lang, ", dan lampiran laporan tiap provinsi", ", and the annex of each province's report") } else { String::new() };
        doc.note(&match lang {
            Lang::Id => format!("{} catatan; {} yang paling berat dicantumkan di bawah ini. Daftar lengkap: export/findings.csv{also}.", int(all), int(shown)),
            Lang::En => format!("{} findings; the {} most severe are listed below. The whole list: export/findings.csv{also}.", int(all), int(shown)),
        });
        // Each kind: how many, in how many files.
        let mut kinds: std::collections::BTreeMap<(Severity, &str), (usize, std::collections::BTreeSet<&str>)> = Default::default();
        for f in &findings {
            let (n, files) = kinds.entry((f.severity, f.code)).or_default();
            *n += 1;
            files.insert(f.source.as_str());
        }
        let cols = vec![
            TableColumn { title: tr(lang, "Tingkat", "Severity"), width: 70.0, align: Align::Left },
            TableColumn { title: tr(lang, "Jenis catatan", "Kind of finding"), width: 221.0, align: Align::Left },
            TableColumn { title: tr(lang, "Catatan", "Findings"), width: 110.0, align: Align::Right },
            TableColumn { title: tr(lang, "Berkas", "Files"), width: 110.0, align: Align::Right },
        ];
        let body: Vec<Vec<TableCell>> = kinds
            .iter()
            .map(|((s, code), (n, files))| {
                let (text, fill) = severity(*s);
                vec![TableCell { text, fill, bold: false }, TableCell::plain(code.to_string()), TableCell::plain(int(*n)), TableCell::plain(int(files.len()))]
            })
            .collect();
        doc.table(&cols, &body, 8.0);
    }
    let cols = vec![
        TableColumn { title: tr(lang, "Tingkat", "Severity"), width: 48.0, align: Align::Left },
        TableColumn { title: tr(lang, "Berkas", "File"), width: 140.0, align: Align::Left },
        TableColumn { title: tr(lang, "Lembar / sel", "Sheet / cell"), width: 70.0, align: Align::Left },
        TableColumn { title: tr(lang, "Catatan", "Finding"), width: 253.0, align: Align::Left },
    ];
    let body: Vec<Vec<TableCell>> = findings[..shown]
        .iter()
        .map(|f| {
            let (sev, fill) = severity(f.severity);
            let place = match (&f.sheet, &f.cell) {
                (Some(s), Some(c)) => format!("{s} / {c}"),
                (Some(s), None) => s.clone(),
                _ => "–".into(),
            };
            vec![TableCell { text: sev, fill, bold: false }, TableCell::plain(f.source.clone()), TableCell::plain(place), TableCell::plain(format!("[{}] {}", f.code, f.message))]
        })
        .collect();
    doc.table(&cols, &body, 7.0);
    if shown < findings.len() {
        let rest = locale::int((findings.len() - shown) as i64, lang);
        doc.note(&match lang {
            Lang::Id => format!("… dan {rest} catatan lainnya: lihat export/findings.csv."),
            Lang::En => format!("… and {rest} more: see export/findings.csv."),
        });
    }
}

/// This province's institutions with figures for the report's period.
fn own_institutions<'a>(input: &'a ReportInput) -> Vec<&'a crate::institutions::Institution> {
    let prefix = format!("{}.", input.province_code);
    input.institutions.iter().filter(|i| i.period == input.period && i.district_code.starts_with(&prefix)).collect()
}

/// Institutional compliance: staff vaccinated per institution against its headcount,
/// furthest behind first, coloured against the institutions' target (`level`, 100%).
fn institutions(doc: &mut Doc, input: &ReportInput, target: f64) {
    let lang = input.lang;
    let mut units = own_institutions(input);
    units.sort_by(|a, b| a.coverage(1).unwrap_or(0.0).total_cmp(&b.coverage(1).unwrap_or(0.0)).then(a.unit.cmp(&b.unit)));
    let below = units.iter().filter(|u| u.coverage(1).is_some_and(|c| c < target)).count();
    doc.note(
        &match lang {
            Lang::Id => format!("{} instansi melapor; {} di bawah target {} untuk dosis 1. Pegawai = jumlah pegawai yang dilaporkan instansi.", units.len(), below, locale::pct(target, lang)),
            Lang::En => format!("{} institutions reported; {} below the {} target for dose 1. Staff = the headcount the institution reported.", units.len(), below, locale::pct(target, lang)),
        },
    );
    let cols = vec![
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 110.0, align: Align::Left },
        TableColumn { title: tr(lang, "Instansi", "Institution"), width: 150.0, align: Align::Left },
        TableColumn { title: tr(lang, "Pegawai", "Staff"), width: 55.0, align: Align::Right },
        TableColumn { title: tr(lang, "Dosis 1", "Dose 1"), width: 98.0, align: Align::Right },
        TableColumn { title: tr(lang, "Dosis 2", "Dose 2"), width: 98.0, align: Align::Right },
    ];
    let colour = |c: Option<f64>| c.map(|c| if c >= target { GREEN } else if c >= target - 0.2 { YELLOW } else { RED });
    let body: Vec<Vec<TableCell>> = units
        .iter()
        .map(|u| {
            let dose = |d: usize| {
                let text = match (u.doses[d - 1], u.coverage(d)) {
                    (Some(v), Some(c)) => format!("{} ({})", locale::int(v, lang), locale::pct(c, lang)),
                    (Some(v), None) => locale::int(v, lang),
                    _ => "–".into(),
                };
                TableCell { text, fill: colour(u.coverage(d)), bold: false }
            };
            vec![
                TableCell::plain(input.district_name(&u.district_code)),
                TableCell::plain(u.unit.clone()),
                TableCell::plain(input.num(u.headcount)),
                dose(1),
                dose(2),
            ]
        })
        .collect();
    doc.table(&cols, &body, 8.0);
}

/// Attainment under a second target version (`--targets` twice), beside the one used.
fn versions(doc: &mut Doc, input: &ReportInput) {
    let lang = input.lang;
    let Some((alt, alt_label)) = input.compared else { return };
    let used = input.targets_label.unwrap_or("");
    doc.note(
        &match lang {
            Lang::Id => format!("Cakupan menurut sasaran yang dipakai ({used}) dan menurut {alt_label}. Angka vaksinasi sama; hanya sasarannya berbeda."),
            Lang::En => format!("Coverage under the targets used ({used}) and under {alt_label}. The vaccination figures are the same; only the targets differ."),
        },
    );
    let cols = vec![
        TableColumn { title: tr(lang, "Kabupaten/Kota", "District"), width: 131.0, align: Align::Left },
        TableColumn { title: tr(lang, "Dosis 1: dipakai", "Dose 1: used"), width: 95.0, align: Align::Right },
        TableColumn { title: format!("{}: {alt_label}", tr(lang, "Dosis 1", "Dose 1")), width: 95.0, align: Align::Right },
        TableColumn { title: tr(lang, "Dosis 2: dipakai", "Dose 2: used"), width: 95.0, align: Align::Right },
        TableColumn { title: format!("{}: {alt_label}", tr(lang, "Dosis 2", "Dose 2")), width: 95.0, align: Align::Right },
    ];
    let find = |rows: &[AttainRow], district: Option<&str>, dose: i32| {
        rows.iter().find(|r| r.period == input.period && r.province_code == input.province_code && r.district_code.as_deref() == district && r.group == "all" && r.dose == dose).and_then(|r| r.coverage)
    };
    let cell = |c: Option<f64>| TableCell { text: input.pct(c), fill: input.status_color(c), bold: false };
    let mut districts: Vec<String> = input.district_rows(input.period, "all", 1).iter().filter_map(|r| Some(r.district_code?.to_string())).collect();
    districts.sort();
    let mut body: Vec<Vec<TableCell>> = districts
        .iter()
        .map(|d| {
            vec![
                TableCell::plain(input.district_name(d)),
                cell(find(input.rows, Some(d), 1)),
                cell(find(alt, Some(d), 1)),
                cell(find(input.rows, Some(d), 2)),
                cell(find(alt, Some(d), 2)),
            ]
        })
        .collect();
    body.push(vec![
        TableCell { text: input.province_name(), fill: None, bold: true },
        cell(find(input.rows, None, 1)),
        cell(find(alt, None, 1)),
        cell(find(input.rows, None, 2)),
        cell(find(alt, None, 2)),
    ]);
    doc.table(&cols, &body, 8.0);
}
