//! The XLSX template a district fills in (`sitrep template`): the title block that the
//! reader looks for (what, which district, as of when), the district's sub-districts
//! with their official codes, a two-row groups × doses header, a JUMLAH row, whole
//! non-negative numbers only in the count cells, everything else protected, and a
//! sheet of instructions in Bahasa Indonesia.
//!
//! A filled template is read back by `sitrep run` like any submission; the layout it
//! uses is one of those the reader already knows (see `fixtures/`).

use crate::gazetteer::{Gazetteer, Region};
use crate::layout::vocab::Group;
use crate::report::locale;
use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula,
    ProtectionOptions, Workbook,
};

/// The count columns, in order: each group with its doses (children: doses 1 and 2).
pub fn count_columns() -> Vec<(Group, u8)> {
    Group::SPECIFIC.iter().flat_map(|g| doses_of(*g).iter().map(move |d| (*g, *d))).collect()
}

fn doses_of(g: Group) -> &'static [u8] {
    match g {
        Group::Anak => &[1, 2],
        _ => &[1, 2, 3],
    }
}

/// Header words the reader knows (`src/layout/vocab.rs`).
fn group_header(g: Group) -> &'static str {
    match g {
        Group::Sdmk => "SDMK",
        Group::PetugasPublik => "Petugas Publik",
        Group::Lansia => "Lansia",
        Group::UmumRentan => "Masyarakat Umum & Rentan",
        Group::Remaja => "Remaja 12-17",
        Group::Anak => "Anak 6-11",
        Group::All => "Semua",
    }
}

/// `KAB. KERINCI` → `KABUPATEN KERINCI`, as a title block says it.
pub fn district_title(official: &str) -> String {
    match official.strip_prefix("KAB. ") {
        Some(rest) => format!("KABUPATEN {rest}"),
        None => official.to_string(),
    }
}

/// `rekap-vaksinasi-15.01-kab-kerinci-2022-01-22.xlsx`: code, name and date, nothing else.
pub fn file_name(district: &Region, period: NaiveDate) -> String {
    let slug: String = district
        .name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    crate::safe_file_name(&format!("rekap-vaksinasi-{}-{slug}-{period}.xlsx", district.code))
}

/// Where things are in the data sheet (0-based rows and columns).
pub const SHEET: &str = "Rekap";
pub const INSTRUCTIONS_SHEET: &str = "Petunjuk";
pub const HEADER_ROW: u32 = 4;
pub const FIRST_DATA_ROW: u32 = 6;
pub const FIRST_COUNT_COL: u16 = 3;

/// The districts a `sitrep template` call is for: one, or every district of a province.
pub fn districts<'g>(g: &'g Gazetteer, province: Option<&str>, district: Option<&str>) -> Result<Vec<&'g Region>> {
    if let Some(d) = district {
        let r = g.district(d).map_err(|u| anyhow::anyhow!("unknown district '{d}'{}; give a code like 15.01", u.did_you_mean()))?;
        if let Some(p) = province {
            if !r.code.starts_with(&format!("{p}.")) {
                bail!("district {} ({}) is not in province {p}", r.name, r.code);
            }
        }
        return Ok(vec![r]);
    }
    let Some(p) = province else { bail!("name the province (--province 15) or the district (--district 15.01)") };
    let p = g.region(p).filter(|r| r.code.len() == 2).with_context(|| format!("unknown province code '{p}': use a two-digit Kemendagri code, e.g. 15 for Jambi"))?;
    let list: Vec<&Region> = g.districts_of(&p.code).collect();
    if list.is_empty() {
        bail!("province {} ({}) has no districts in the region list", p.name, p.code);
    }
    Ok(list)
}

/// Figures to put in the count cells (a filled copy, e.g. for tests and examples):
/// sub-district, group, dose → people vaccinated.
pub type Values<'a> = &'a dyn Fn(&Region, Group, u8) -> Option<i64>;

/// The template's bytes for one district. The document date is the period, so the same
/// call gives the same bytes.
pub fn workbook(g: &Gazetteer, district: &Region, period: NaiveDate, values: Option<Values>) -> Result<Vec<u8>> {
    let areas: Vec<&Region> = g.areas_of(&district.code).collect();
    if areas.is_empty() {
        bail!("district {} ({}) has no sub-districts in the region list", district.name, district.code);
    }
    let columns = count_columns();
    let border = Format::new().set_border(FormatBorder::Thin);
    let header = border.clone().set_bold().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter).set_text_wrap().set_background_color(Color::RGB(0xDDEBF7));
    let locked_text = border.clone();
    let input = border.clone().set_unlocked().set_num_format("#,##0").set_background_color(Color::RGB(0xFFF9E0));
    let total_label = border.clone().set_bold().set_background_color(Color::RGB(0xF2F2F2));
    let total = total_label.clone().set_num_format("#,##0");

    let mut wb = Workbook::new();
    let date = ExcelDateTime::from_ymd(period.year().clamp(1900, 9999) as u16, period.month() as u8, period.day() as u8)?;
    wb.set_properties(
        &DocProperties::new().set_title(format!("Rekap vaksinasi COVID-19 {} {}", district.name, period)).set_creation_datetime(&date),
    );
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    // The title block: what, which district, as of when (read by the layout stage).
    ws.write_string_with_format(0, 0, "REKAP VAKSINASI COVID-19", &Format::new().set_bold().set_font_size(13))?;
    ws.write_string_with_format(1, 0, district_title(&district.name), &Format::new().set_bold())?;
    ws.write_string(2, 0, format!("Data s.d. {}", locale::date(period, crate::config::Lang::Id)))?;
    let (h0, h1) = (HEADER_ROW, HEADER_ROW + 1);
    for (c, label) in ["No", "Kode", "Kecamatan"].iter().enumerate() {
        ws.merge_range(h0, c as u16, h1, c as u16, label, &header)?;
    }
    let mut c = FIRST_COUNT_COL;
    for grp in Group::SPECIFIC {
        let n = doses_of(grp).len() as u16;
        ws.merge_range(h0, c, h0, c + n - 1, group_header(grp), &header)?;
        for (k, d) in doses_of(grp).iter().enumerate() {
            ws.write_string_with_format(h1, c + k as u16, format!("Dosis {d}"), &header)?;
        }
        c += n;
    }
    let last_col = FIRST_COUNT_COL + columns.len() as u16 - 1;
    let last_data = FIRST_DATA_ROW + areas.len() as u32 - 1;
    let mut sums = vec![0i64; columns.len()];
    for (i, a) in areas.iter().enumerate() {
        let r = FIRST_DATA_ROW + i as u32;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &locked_text)?;
        ws.write_string_with_format(r, 1, &a.code, &locked_text)?;
        ws.write_string_with_format(r, 2, &a.name, &locked_text)?;
        for (k, (grp, dose)) in columns.iter().enumerate() {
            let col = FIRST_COUNT_COL + k as u16;
            match values.and_then(|v| v(a, *grp, *dose)) {
                Some(n) => {
                    ws.write_number_with_format(r, col, n as f64, &input)?;
                    sums[k] += n;
                }
                None => {
                    ws.write_blank(r, col, &input)?;
                }
            }
        }
    }
    // JUMLAH: a formula, with its value stored so readers that do not recalculate agree.
    let total_row = last_data + 1;
    ws.merge_range(total_row, 0, total_row, 2, "JUMLAH", &total_label)?;
    for (k, sum) in sums.iter().enumerate() {
        let col = FIRST_COUNT_COL + k as u16;
        let letter = rust_xlsxwriter::utility::column_number_to_name(col);
        let f = Formula::new(format!("=SUM({letter}{}:{letter}{})", FIRST_DATA_ROW + 1, last_data + 1)).set_result(sum.to_string());
        ws.write_formula_with_format(total_row, col, f, &total)?;
    }
    let validation = DataValidation::new()
        .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
        .set_input_title("Jumlah orang")?
        .set_input_message("Ketik angka bulat 0 atau lebih: jumlah orang yang sudah divaksin (kumulatif). Kosongkan bila belum ada data.")?
        .set_error_title("Bukan angka yang benar")?
        .set_error_message("Isi dengan angka bulat 0 atau lebih, tanpa titik, koma, huruf atau tanda -.")?
        .set_error_style(DataValidationErrorStyle::Stop);
    ws.add_data_validation(FIRST_DATA_ROW, FIRST_COUNT_COL, last_data, last_col, &validation)?;
    // Only the count cells are editable; no password, so a district can still unprotect
    // the sheet if it really must (the instructions say to tell the province).
    ws.protect_with_options(&ProtectionOptions { format_columns: true, format_rows: true, ..ProtectionOptions::default() });
    ws.set_freeze_panes(FIRST_DATA_ROW, FIRST_COUNT_COL)?;
    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 10)?;
    ws.set_column_width(2, 26)?;
    for col in FIRST_COUNT_COL..=last_col {
        ws.set_column_width(col, 10)?;
    }
    ws.set_row_height(h0, 30)?;

    let help = wb.add_worksheet();
    help.set_name(INSTRUCTIONS_SHEET)?;
    help.set_column_width(0, 110)?;
    help.write_string_with_format(0, 0, "PETUNJUK PENGISIAN REKAP VAKSINASI COVID-19", &Format::new().set_bold().set_font_size(13))?;
    help.write_string(1, 0, format!("{} · data s.d. {}", district_title(&district.name), locale::date(period, crate::config::Lang::Id)))?;
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (i, line) in instructions().iter().enumerate() {
        help.write_string_with_format(3 + i as u32, 0, *line, &wrap)?;
    }
    help.protect();
    Ok(wb.save_to_buffer()?)
}

fn instructions() -> [&'static str; 9] {
    [
        "1. Isi lembar \"Rekap\": jumlah orang yang sudah divaksin per kecamatan, per kelompok sasaran dan dosis, kumulatif sampai tanggal di baris 3.",
        "2. Hanya sel angka (berwarna kuning muda) yang bisa diisi. Judul, kode dan nama kecamatan, serta baris JUMLAH terkunci.",
        "3. Ketik angka bulat saja, mis. 1234 (tampilannya menjadi 1.234 sendiri). Jangan mengetik titik, koma, huruf, tanda - atau persen.",
        "4. Kosongkan sel bila belum ada data. Tulis 0 hanya bila memang belum ada yang divaksin.",
        "5. Anak 6-11 tahun hanya dosis 1 dan 2. Dosis 3 adalah booster pertama.",
        "6. Jangan menambah, menghapus atau memindahkan baris, kolom atau lembar, dan jangan mengganti nama lembar. Baris JUMLAH dihitung otomatis.",
        "7. Simpan tetap sebagai .xlsx (nama berkas boleh tetap) dan kirim ke Dinas Kesehatan Provinsi sebelum pukul 17.00 waktu setempat.",
        "8. Bila ada kecamatan yang tidak tercantum atau nama yang salah, jangan ubah lembar ini: tulis di pesan pengiriman.",
        "9. Proteksi lembar tidak memakai kata sandi (Tinjau/Review > Buka Proteksi Lembar). Bukalah hanya bila benar-benar perlu, dan beri tahu petugas provinsi.",
    ]
}
