//! Talking points: short plain sentences an official can read out at a meeting, in
//! Bahasa Indonesia (or English). Pure functions of the figures, so they are tested
//! word for word.

use super::campaign::CampaignProgress;
use super::definition::Campaign;
use super::facts::Reach;
use super::{dose_label, locale};
use crate::config::Lang;
use crate::gates::Gate;
use chrono::NaiveDate;

fn dose_word(dose: i32, lang: Lang) -> String {
    dose_label(dose, lang).to_lowercase()
}

/// "KAB. KERINCI masih di bawah 70%: perlu 10.914 orang lagi untuk dosis 1; dengan laju
/// minggu lalu tercapai 14 Februari 2022."
pub fn below_threshold(name: &str, threshold: f64, needed: i64, dose: i32, reach: Reach, lang: Lang) -> String {
    let t = locale::pct_short(threshold, lang);
    let n = locale::int(needed, lang);
    let d = dose_word(dose, lang);
    match lang {
        Lang::Id => {
            let when = match reach {
                Reach::On(date) => format!("dengan laju minggu lalu tercapai {}", locale::date(date, lang)),
                Reach::Already => "sudah tercapai".to_string(),
                Reach::NotAtPace => "tidak tercapai dengan laju saat ini".to_string(),
                Reach::NoHistory => "belum ada data minggu lalu untuk menghitung laju".to_string(),
            };
            format!("{name} masih di bawah {t}: perlu {n} orang lagi untuk {d}; {when}.")
        }
        Lang::En => {
            let when = match reach {
                Reach::On(date) => format!("at last week's pace reached on {}", locale::date(date, lang)),
                Reach::Already => "already reached".to_string(),
                Reach::NotAtPace => "not reached at the current pace".to_string(),
                Reach::NoHistory => "no figure for last week to compute a pace".to_string(),
            };
            format!("{name} is still below {t}: {n} more people needed for {d}; {when}.")
        }
    }
}

/// "Agar tercapai pada 31 Januari 2022 perlu 683 orang per hari." (or that the deadline passed).
pub fn deadline_rate(rate: Option<f64>, deadline: NaiveDate, lang: Lang) -> String {
    let d = locale::date(deadline, lang);
    match (rate, lang) {
        (Some(r), Lang::Id) => format!("Agar tercapai pada {d} perlu {} orang per hari.", locale::int(r.ceil() as i64, lang)),
        (Some(r), Lang::En) => format!("To reach it by {d}, {} people a day are needed.", locale::int(r.ceil() as i64, lang)),
        (None, Lang::Id) => format!("Batas waktu {d} sudah lewat."),
        (None, Lang::En) => format!("The deadline of {d} has passed."),
    }
}

/// "KOTA JAMBI sudah mencapai 70% untuk dosis 1 (82,3%)."
pub fn reached(name: &str, threshold: f64, coverage: f64, dose: i32, lang: Lang) -> String {
    let t = locale::pct_short(threshold, lang);
    let c = locale::pct(coverage, lang);
    let d = dose_word(dose, lang);
    match lang {
        Lang::Id => format!("{name} sudah mencapai {t} untuk {d} ({c})."),
        Lang::En => format!("{name} has reached {t} for {d} ({c})."),
    }
}

/// "Peringkat 11 dari 11 kabupaten/kota untuk dosis 1, sama dengan minggu lalu."
pub fn rank(rank: i32, of: usize, before: Option<i32>, dose: i32, lang: Lang) -> String {
    let d = dose_word(dose, lang);
    match lang {
        Lang::Id => {
            let change = match before {
                Some(b) if b > rank => format!(", naik {} dari minggu lalu", b - rank),
                Some(b) if b < rank => format!(", turun {} dari minggu lalu", rank - b),
                Some(_) => ", sama dengan minggu lalu".to_string(),
                None => String::new(),
            };
            format!("Peringkat {rank} dari {of} kabupaten/kota untuk {d}{change}.")
        }
        Lang::En => {
            let change = match before {
                Some(b) if b > rank => format!(", up {} since last week", b - rank),
                Some(b) if b < rank => format!(", down {} since last week", rank - b),
                Some(_) => ", unchanged since last week".to_string(),
                None => String::new(),
            };
            format!("Ranked {rank} of {of} districts for {d}{change}.")
        }
    }
}

/// "Pekan ini 2.628 orang mendapat dosis 1 (+1,2 pp)."
pub fn week_gain(gain: i64, change: f64, dose: i32, lang: Lang) -> String {
    let d = dose_word(dose, lang);
    match lang {
        Lang::Id => format!("Minggu ini {} orang mendapat {d} ({}).", locale::int(gain, lang), locale::pp(change, lang)),
        Lang::En => format!("This week {} people received {d} ({}).", locale::int(gain, lang), locale::pp(change, lang)),
    }
}

/// "Putus dosis 1 → dosis 2: 23,8% (32.560 orang belum mendapat dosis 2), di atas batas 20%."
pub fn dropout(share: f64, people: i64, level: f64, lang: Lang) -> String {
    let s = locale::pct(share, lang);
    let l = locale::pct_short(level, lang);
    let n = locale::int(people, lang);
    match lang {
        Lang::Id => format!("Putus dosis 1 → dosis 2: {s} ({n} orang belum mendapat dosis 2), di atas batas {l}: kejar dosis lengkap."),
        Lang::En => format!("Dose 1 → dose 2 dropout: {s} ({n} people without dose 2 yet), above the {l} level: follow up for full doses."),
    }
}

/// "Lansia dosis 1 baru 55,2%, di bawah semua kelompok (64,8%): utamakan lansia."
pub fn elderly_behind(elderly: f64, all: f64, lang: Lang) -> String {
    let e = locale::pct(elderly, lang);
    let a = locale::pct(all, lang);
    match lang {
        Lang::Id => format!("Lansia dosis 1 baru {e}, di bawah semua kelompok ({a}): utamakan lansia."),
        Lang::En => format!("Elderly dose 1 is only {e}, below all groups ({a}): prioritise the elderly."),
    }
}

/// "KAB. BUNGO belum mengirim laporan untuk 15 Januari 2022."
pub fn no_report(name: &str, period: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{name} belum mengirim laporan untuk {}.", locale::date(period, lang)),
        Lang::En => format!("{name} has not reported for {}.", locale::date(period, lang)),
    }
}

/// "Booster April: 12.345 dari 170.000 dosis (7,3%) sejak 1 April 2022; perlu 5.432 dosis
/// per hari sampai 30 April 2022; dengan laju minggu lalu (1.234 per hari) diperkirakan
/// 98.765 (58,1% target) pada 30 April 2022."
pub fn campaign(c: &Campaign, p: &CampaignProgress, lang: Lang) -> String {
    let n = |v: i64| locale::int(v, lang);
    let share = |v: i64| locale::pct(v as f64 / c.target as f64, lang);
    let (s, e) = (locale::date(c.start, lang), locale::date(c.end, lang));
    let Some(done) = p.done else {
        return match lang {
            Lang::Id => format!("{}: belum ada angka pada atau sebelum {s} untuk menghitung capaian kampanye.", c.name),
            Lang::En => format!("{}: no figure at or before {s} to count the campaign's doses from.", c.name),
        };
    };
    let reached = done >= c.target;
    match lang {
        Lang::Id => {
            let need = match p.needed_per_day {
                _ if reached => "target sudah tercapai".to_string(),
                Some(r) => format!("perlu {} dosis per hari sampai {e}", n(r.ceil() as i64)),
                None => format!("kampanye berakhir {e}"),
            };
            let proj = match (p.projected, p.pace_per_day) {
                (Some(t), Some(pace)) if !reached && p.days_left > 0 => format!("; dengan laju minggu lalu ({} per hari) diperkirakan {} ({} target) pada {e}", n(pace.round() as i64), n(t), share(t)),
                _ => String::new(),
            };
            format!("{}: {} dari {} dosis ({}) sejak {s}; {need}{proj}.", c.name, n(done), n(c.target), share(done))
        }
        Lang::En => {
            let need = match p.needed_per_day {
                _ if reached => "the target is reached".to_string(),
                Some(r) => format!("{} doses a day needed until {e}", n(r.ceil() as i64)),
                None => format!("the campaign ended on {e}"),
            };
            let proj = match (p.projected, p.pace_per_day) {
                (Some(t), Some(pace)) if !reached && p.days_left > 0 => format!("; at last week's pace ({} a day) {} ({} of the target) by {e}", n(pace.round() as i64), n(t), share(t)),
                _ => String::new(),
            };
            format!("{}: {} of {} doses ({}) since {s}; {need}{proj}.", c.name, n(done), n(c.target), share(done))
        }
    }
}

/// The level the district reports beside the one its vaccination permits: "Daerah
/// melaporkan PPKM level 3 (zona oranye); vaksinasi saja memungkinkan level 2, jadi level
/// ini ditahan oleh indikator lain (kasus, keterisian tempat tidur, pelacakan)."
pub fn ppkm_reported(reported: Option<u8>, zone: Option<(&str, &str)>, by_vaccination: Option<u8>, lang: Lang) -> Option<String> {
    let zone = zone.map(|(id, en)| match lang {
        Lang::Id => format!("zona {id}"),
        Lang::En => format!("{en} zone"),
    });
    let said = match (reported, &zone, lang) {
        (Some(l), Some(z), Lang::Id) => format!("Daerah melaporkan PPKM level {l} ({z})"),
        (Some(l), Some(z), Lang::En) => format!("The district reports PPKM level {l} ({z})"),
        (Some(l), None, Lang::Id) => format!("Daerah melaporkan PPKM level {l}"),
        (Some(l), None, Lang::En) => format!("The district reports PPKM level {l}"),
        (None, Some(z), Lang::Id) => format!("Daerah melaporkan {z}"),
        (None, Some(z), Lang::En) => format!("The district reports a {z}"),
        (None, None, _) => return None,
    };
    let comparison = match (reported, by_vaccination, lang) {
        (Some(r), Some(v), Lang::Id) if r > v => format!("; vaksinasi saja memungkinkan level {v}, jadi level ini ditahan oleh indikator lain (kasus, keterisian tempat tidur, pelacakan)"),
        (Some(r), Some(v), Lang::En) if r > v => format!("; vaccination alone would permit level {v}, so other indicators (cases, bed occupancy, tracing) hold it there"),
        (Some(r), Some(v), Lang::Id) if r < v => format!(", lebih longgar dari level {v} yang dimungkinkan vaksinasi: periksa laporan atau angkanya"),
        (Some(r), Some(v), Lang::En) if r < v => format!(", looser than the level {v} vaccination permits: check the report or the figures"),
        (Some(_), Some(_), Lang::Id) => ", sama dengan yang dimungkinkan vaksinasi".to_string(),
        (Some(_), Some(_), Lang::En) => ", the same as vaccination permits".to_string(),
        _ => String::new(),
    };
    Some(format!("{said}{comparison}."))
}

/// "KAB. KERINCI: vaksinasi memungkinkan PPKM level 2; untuk turun ke level 1 perlu
/// 100 orang lagi dosis 1 (≥ 70%) dan 15 lansia lagi dosis 1 (≥ 60%)."
pub fn ppkm_gate(name: &str, level: u8, next: Option<Gate>, need_dose1: i64, need_lansia: i64, lang: Lang) -> String {
    let Some(g) = next else {
        return match lang {
            Lang::Id => format!("{name}: vaksinasi memenuhi semua gerbang PPKM (level {level})."),
            Lang::En => format!("{name}: vaccination meets every PPKM gate (level {level})."),
        };
    };
    let (d1, el) = (locale::pct_short(g.dose1, lang), locale::pct_short(g.lansia_dose1, lang));
    let (n1, nl) = (locale::int(need_dose1, lang), locale::int(need_lansia, lang));
    let mut parts = Vec::new();
    match lang {
        Lang::Id => {
            if need_dose1 > 0 {
                parts.push(format!("{n1} orang lagi dosis 1 (≥ {d1})"));
            }
            if need_lansia > 0 {
                parts.push(format!("{nl} lansia lagi dosis 1 (≥ {el})"));
            }
            format!("{name}: vaksinasi memungkinkan PPKM level {level}; untuk turun ke level {} perlu {}.", g.to, parts.join(" dan "))
        }
        Lang::En => {
            if need_dose1 > 0 {
                parts.push(format!("{n1} more people with dose 1 (≥ {d1})"));
            }
            if need_lansia > 0 {
                parts.push(format!("{nl} more elderly with dose 1 (≥ {el})"));
            }
            format!("{name}: vaccination permits PPKM level {level}; moving to level {} needs {}.", g.to, parts.join(" and "))
        }
    }
}

/// "5.000 orang (semua kelompok, dosis 1) ada di laporan kabupaten/kota tetapi belum di
/// aplikasi: selesaikan entri data minggu ini."
pub fn app_gap(people: i64, what: &str, lowers_level: bool, lang: Lang) -> String {
    let n = locale::int(people, lang);
    match (lang, lowers_level) {
        (Lang::Id, false) => format!("{n} orang ({what}) ada di laporan kabupaten/kota tetapi belum di aplikasi: selesaikan entri data minggu ini."),
        (Lang::Id, true) => format!("{n} orang ({what}) ada di laporan kabupaten/kota tetapi belum di aplikasi; entri data ini menurunkan level PPKM menurut vaksinasi."),
        (Lang::En, false) => format!("{n} people ({what}) are in the district's register but not yet in the application: finish the data entry this week."),
        (Lang::En, true) => format!("{n} people ({what}) are in the district's register but not yet in the application; entering them lowers the PPKM level by vaccination."),
    }
}

/// "Vaksinasi anak 6–11 tahun dapat dimulai (dosis 1 di atas 70%, lansia di atas 60%)."
pub fn children_may_start(dose1: f64, lansia: f64, lang: Lang) -> String {
    let (d1, el) = (locale::pct_short(dose1, lang), locale::pct_short(lansia, lang));
    match lang {
        Lang::Id => format!("Vaksinasi anak 6–11 tahun dapat dimulai (dosis 1 di atas {d1}, lansia di atas {el})."),
        Lang::En => format!("Vaccinating children 6–11 may start (dose 1 above {d1}, elderly above {el})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_governors_sentence() {
        let d = NaiveDate::from_ymd_opt(2022, 1, 21).unwrap();
        assert_eq!(
            below_threshold("KAB. KERINCI", 0.7, 6012, 1, Reach::On(d), Lang::Id),
            "KAB. KERINCI masih di bawah 70%: perlu 6.012 orang lagi untuk dosis 1; dengan laju minggu lalu tercapai 21 Januari 2022."
        );
        assert_eq!(
            below_threshold("KAB. KERINCI", 0.7, 6012, 1, Reach::On(d), Lang::En),
            "KAB. KERINCI is still below 70%: 6,012 more people needed for dose 1; at last week's pace reached on 21 January 2022."
        );
        assert!(below_threshold("X", 0.725, 1, 2, Reach::NotAtPace, Lang::Id).ends_with("di bawah 72,5%: perlu 1 orang lagi untuk dosis 2; tidak tercapai dengan laju saat ini."));
    }
    #[test]
    fn the_campaign_sentence() {
        let (start, end) = (NaiveDate::from_ymd_opt(2022, 4, 1).unwrap(), NaiveDate::from_ymd_opt(2022, 4, 30).unwrap());
        let c = Campaign { name: "Booster April".into(), dose: 3, group: "all".into(), target: 170_000, start, end, province: None };
        let mut p = CampaignProgress { as_of: end, baseline: None, done: Some(12_345), days_left: 14, needed_per_day: Some(5431.2), pace_per_day: Some(1234.4), projected: Some(98_765) };
        assert_eq!(
            campaign(&c, &p, Lang::Id),
            "Booster April: 12.345 dari 170.000 dosis (7,3%) sejak 1 April 2022; perlu 5.432 dosis per hari sampai 30 April 2022; dengan laju minggu lalu (1.234 per hari) diperkirakan 98.765 (58,1% target) pada 30 April 2022."
        );
        p.done = Some(170_001);
        assert_eq!(campaign(&c, &p, Lang::En), "Booster April: 170,001 of 170,000 doses (100.0%) since 1 April 2022; the target is reached.");
        p.done = None;
        assert!(campaign(&c, &p, Lang::Id).contains("belum ada angka pada atau sebelum 1 April 2022"));
    }
    #[test]
    fn rank_and_dropout_sentences() {
        assert_eq!(rank(3, 11, Some(5), 1, Lang::Id), "Peringkat 3 dari 11 kabupaten/kota untuk dosis 1, naik 2 dari minggu lalu.");
        assert_eq!(rank(11, 11, Some(11), 1, Lang::Id), "Peringkat 11 dari 11 kabupaten/kota untuk dosis 1, sama dengan minggu lalu.");
        assert_eq!(rank(4, 9, None, 2, Lang::En), "Ranked 4 of 9 districts for dose 2.");
        assert!(dropout(0.2382, 32_560, 0.2, Lang::Id).starts_with("Putus dosis 1 → dosis 2: 23,8% (32.560 orang belum mendapat dosis 2), di atas batas 20%"));
        assert_eq!(week_gain(2628, 0.0124, 1, Lang::Id), "Minggu ini 2.628 orang mendapat dosis 1 (+1,2 pp).");
    }
    #[test]
    fn reported_level_beside_the_vaccination_level() {
        let orange = Some(("oranye", "orange"));
        assert_eq!(
            ppkm_reported(Some(3), orange, Some(2), Lang::Id).unwrap(),
            "Daerah melaporkan PPKM level 3 (zona oranye); vaksinasi saja memungkinkan level 2, jadi level ini ditahan oleh indikator lain (kasus, keterisian tempat tidur, pelacakan)."
        );
        assert_eq!(ppkm_reported(Some(1), None, Some(2), Lang::En).unwrap(), "The district reports PPKM level 1, looser than the level 2 vaccination permits: check the report or the figures.");
        assert_eq!(ppkm_reported(None, Some(("merah", "red")), Some(2), Lang::En).unwrap(), "The district reports a red zone.");
        assert_eq!(ppkm_reported(Some(2), None, Some(2), Lang::Id).unwrap(), "Daerah melaporkan PPKM level 2, sama dengan yang dimungkinkan vaksinasi.");
        assert_eq!(ppkm_reported(None, None, Some(2), Lang::Id), None);
    }
    #[test]
    fn ppkm_gate_sentences() {
        let g = Gate { from: 2, to: 1, dose1: 0.7, lansia_dose1: 0.6 };
        assert_eq!(
            ppkm_gate("KAB. KERINCI", 2, Some(g), 1_100, 15, Lang::Id),
            "KAB. KERINCI: vaksinasi memungkinkan PPKM level 2; untuk turun ke level 1 perlu 1.100 orang lagi dosis 1 (≥ 70%) dan 15 lansia lagi dosis 1 (≥ 60%)."
        );
        assert_eq!(
            ppkm_gate("KOTA JAMBI", 2, Some(g), 0, 15, Lang::En),
            "KOTA JAMBI: vaccination permits PPKM level 2; moving to level 1 needs 15 more elderly with dose 1 (≥ 60%)."
        );
        assert_eq!(ppkm_gate("X", 1, None, 0, 0, Lang::Id), "X: vaksinasi memenuhi semua gerbang PPKM (level 1).");
        assert_eq!(
            app_gap(5000, "lansia, dosis 1", true, Lang::Id),
            "5.000 orang (lansia, dosis 1) ada di laporan kabupaten/kota tetapi belum di aplikasi; entri data ini menurunkan level PPKM menurut vaksinasi."
        );
        assert_eq!(children_may_start(0.7, 0.6, Lang::Id), "Vaksinasi anak 6–11 tahun dapat dimulai (dosis 1 di atas 70%, lansia di atas 60%).");
    }
}
