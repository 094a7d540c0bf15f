//! `sitrep init`: a ready working folder for one province. A commented `sitrep.toml`,
//! `submissions/<period>/` for the week's files, `sasaran.xlsx` with the province's
//! districts to complete, the districts' templates for the period, and a README in
//! Bahasa Indonesia. `sitrep run` inside the folder needs no flags (see `config.rs`).

use crate::export::write_atomic;
use crate::gazetteer::{Gazetteer, Region};
use crate::layout::vocab::Group;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use rust_xlsxwriter::{Color, DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook};
use std::path::{Path, PathBuf};

pub const TARGETS_FILE: &str = "sasaran.xlsx";
pub const SUBMISSIONS_DIR: &str = "submissions";
pub const TEMPLATES_DIR: &str = "templat";

/// The targets workbook's group columns, in the order and words the reader knows.
pub const TARGET_COLUMNS: [(Group, &str); 6] = [
    (Group::Sdmk, "SDMK"),
    (Group::PetugasPublik, "Petugas Publik"),
    (Group::Lansia, "Lansia"),
    (Group::UmumRentan, "Masyarakat Umum & Rentan"),
    (Group::Remaja, "Remaja"),
    (Group::Anak, "Anak 6-11"),
];

/// Targets to put in the workbook (a filled copy, e.g. for tests): district, group → people.
pub type Targets<'a> = &'a dyn Fn(&Region, Group) -> Option<i64>;

/// `sasaran.xlsx`: `No | Kode | Kabupaten/Kota | SDMK | … | Anak 6-11 | Total`, one row
/// per district of the province, target cells empty (or filled from `values`).
pub fn targets_workbook(g: &Gazetteer, province: &Region, values: Option<Targets>) -> Result<Vec<u8>> {
    let districts: Vec<&Region> = g.districts_of(&province.code).collect();
    let border = Format::new().set_border(FormatBorder::Thin);
    let header = border.clone().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter).set_background_color(Color::RGB(0xDDEBF7));
    let input = border.clone().set_num_format("#,##0").set_background_color(Color::RGB(0xFFF9E0));
    let total = border.clone().set_bold().set_num_format("#,##0").set_background_color(Color::RGB(0xF2F2F2));

    let mut wb = Workbook::new();
    // A fixed document date: the same province gives the same bytes.
    wb.set_properties(&DocProperties::new().set_title(format!("Sasaran vaksinasi {}", province.name)).set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let ws = wb.add_worksheet();
    ws.set_name("Sasaran")?;
    ws.write_string_with_format(0, 0, format!("SASARAN VAKSINASI COVID-19 PROVINSI {}", province.name), &Format::new().set_bold().set_font_size(13))?;
    let h = 2u32;
    let mut headers = vec!["No", "Kode", "Kabupaten/Kota"];
    headers.extend(TARGET_COLUMNS.iter().map(|(_, label)| *label));
    headers.push("Total");
    for (c, label) in headers.iter().enumerate() {
        ws.write_string_with_format(h, c as u16, *label, &header)?;
    }
    let total_col = 3 + TARGET_COLUMNS.len() as u16;
    for (i, d) in districts.iter().enumerate() {
        let r = h + 1 + i as u32;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &border)?;
        ws.write_string_with_format(r, 1, &d.code, &border)?;
        ws.write_string_with_format(r, 2, &d.name, &border)?;
        let mut sum: Option<i64> = None;
        for (k, (grp, _)) in TARGET_COLUMNS.iter().enumerate() {
            match values.and_then(|v| v(d, *grp)) {
                Some(n) => {
                    ws.write_number_with_format(r, 3 + k as u16, n as f64, &input)?;
                    sum = Some(sum.unwrap_or(0) + n);
                }
                None => {
                    ws.write_blank(r, 3 + k as u16, &input)?;
                }
            }
        }
        // A dash (no figure, to the reader as to people) until something is filled in, so
        // an unfilled row is not a target of 0. The cached value is what readers that do
        // not recalculate see.
        let (first, last) = (rust_xlsxwriter::utility::column_number_to_name(3), rust_xlsxwriter::utility::column_number_to_name(total_col - 1));
        let f = Formula::new(format!("=IF(COUNT({first}{row}:{last}{row})=0,\"-\",SUM({first}{row}:{last}{row}))", row = r + 1))
            .set_result(sum.map(|s| s.to_string()).unwrap_or_else(|| "-".to_string()));
        ws.write_formula_with_format(r, total_col, f, &total)?;
    }
    let last = h + districts.len() as u32;
    ws.add_data_validation(
        h + 1,
        3,
        last,
        total_col - 1,
        &DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_message("Isi dengan angka bulat 0 atau lebih: jumlah orang sasaran.")?,
    )?;
    ws.set_freeze_panes(h + 1, 3)?;
    for (c, w) in [5.0, 8.0, 30.0].into_iter().enumerate() {
        ws.set_column_width(c as u16, w)?;
    }
    for c in 3..=total_col {
        ws.set_column_width(c, 13)?;
    }
    ws.set_row_height(h, 30)?;
    let help = wb.add_worksheet();
    help.set_name(crate::template::INSTRUCTIONS_SHEET)?;
    help.set_column_width(0, 100)?;
    for (i, line) in [
        "PETUNJUK PENGISIAN SASARAN",
        "1. Isi sel kuning di lembar \"Sasaran\": jumlah orang sasaran per kabupaten/kota dan kelompok (angka bulat, tanpa titik).",
        "2. Remaja = 12-17 tahun; Anak 6-11 = 6-11 tahun; SDMK = SDM kesehatan (tenaga kesehatan).",
        "3. Kolom Total dihitung otomatis. Jangan mengubah kode, nama atau urutan baris.",
        "4. Sasaran dipakai untuk menghitung cakupan (%) dan jumlah orang yang masih perlu divaksin.",
    ]
    .iter()
    .enumerate()
    {
        help.write_string(i as u32 + (i > 0) as u32, 0, *line)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// `sitrep.toml` for a new folder: every key, commented, valid as written.
pub fn config_text(province: &Region) -> String {
    format!(
        r#"# sitrep.toml: konfigurasi sitrep untuk PROVINSI {name} (kode {code}).
# Semua kunci boleh dihapus; nilai bawaan tertulis di komentar.
# Every key is optional; the defaults are in the comments. `sitrep run` in this
# folder reads this file, the submissions/ folder and sasaran.xlsx without flags.

# Ambang cakupan (persen, atau pecahan 0,7). Di bawahnya kabupaten/kota masuk daftar
# perhatian. Coverage threshold, percent (70) or fraction (0.7). Default 70.
threshold = 70

# Bahasa laporan: "id" (Bahasa Indonesia) atau "en" (English). Default "id".
lang = "id"

# Folder kiriman kabupaten/kota (dibaca dengan semua subfoldernya: satu subfolder per
# tanggal, mis. submissions/2022-01-22/). Where the submissions are.
submissions = "{submissions}"

# Buku kerja sasaran (satu baris per kabupaten/kota). The targets workbook.
targets = "{targets}"
# Nama dan versi sasaran, disebut di setiap laporan (bawaan: nama berkas dan hash-nya).
# The targets' name and version, stated in every report.
# targets_version = "Kemenkes 2022, 234,7 juta"

# Folder hasil: laporan PDF di sini, arsip (Parquet, CSV, XLSX, manifest) di out/export/.
out = "out"

# Log penerimaan: kapan tiap berkas diterima (CSV/xlsx dengan kolom file dan received,
# mis. "2022-01-22 16:20", WIB bila zona tidak ditulis). Tanpa log, waktu berkas dipakai.
# Receipts log: when each file arrived; without it, file modification times are used.
# receipts = "penerimaan.csv"

# Batas waktu mencapai ambang: daftar perhatian menunjukkan orang per hari yang perlu.
# Deadline for the threshold: the attention list shows the people per day needed.
# deadline = 2022-03-31

# Batas waktu kiriman harian (bawaan 17:00 WIB pada tanggal data). Daily cut-off.
# cutoff = {{ time = "17:00", utc_offset_hours = 7, days_after_period = 0 }}

# Target kampanye (satu atau lebih); tampil di laporan mingguan. Campaign targets.
# campaign = [{{ name = "Booster April", dose = 3, group = "all", target = 170000, start = 2022-04-01, end = 2022-04-30 }}]
# Ekspor hasil minggu lalu: laporan menyebut perubahan sejak itu (revisi, peringkat,
# ambang, level PPKM, catatan baru/selesai). Last run's export, to list what changed.
# previous = "out-minggu-lalu/export"

# Gerbang vaksinasi PPKM (bawaan: level 3→2 dosis 1 ≥ 50% dan lansia ≥ 40%; 2→1 ≥ 70%
# dan ≥ 60%). Regulasi baru cukup diubah di sini. PPKM vaccination gates.
[ppkm]
# gate = [{{ from = 3, to = 2, dose1 = 50, lansia_dose1 = 40 }}, {{ from = 2, to = 1, dose1 = 70, lansia_dose1 = 60 }}]
# agglomeration = [{{ name = "Aglomerasi", districts = ["{code}.71", "{code}.05"] }}]
# children_dose1 = 70               # anak 6–11 boleh mulai di atas ini…
# children_lansia_dose1 = 60        # …dan lansia di atas ini

# Aturan kualitas data. Data-quality rules, defaults shown.
[checks]
# jump_factor = 6                   # kenaikan > 6 × rata-rata 4 minggu sebelumnya
# jump_weeks = 4
# stale_after_days = 7              # data terakhir lebih tua dari ini: basi
# skip = ["coverage_above_100"]     # kode catatan yang tidak dilaporkan

# Ekspor aplikasi nasional (mis. CSV dasbor), dibanding laporan kabupaten/kota.
# The national application's export, compared with the submissions (register).
[sources]
# app = "app"

# Batas ukuran berkas, agar berkas rusak atau berbahaya ditolak, bukan menghabiskan
# memori. Limits that refuse hostile files. Defaults shown.
[limits]
# max_file_bytes = 104857600        # 100 MiB per berkas / per file
# max_unzipped_bytes = 524288000    # 500 MiB setelah dibuka (xlsx/ods adalah zip)
# max_cells = 2000000               # sel per berkas / cells per file
# max_seconds = 30                  # detik membaca satu berkas / seconds to read one file

# Baris yang dibaca baru dan ditahan di memori sebelum ditulis ke cache.
# Rows read afresh held in memory before they are written to the cache.
[cache]
# rows_held = 1048576               # ~46 MB; lebih kecil untuk mesin kecil / lower on a small machine
# Folder cache (bawaan: <out>/.cache), bila laporan tiap minggu ditulis ke folder baru.
# Where the cache is kept (default <out>/.cache), when each week's reports go to a new folder.
# dir = "arsip-cache"

# Kata-kata yang dipakai kabupaten/kota untuk kelompok sasaran dan dosis, bila sitrep
# belum mengenalnya. Kelompok: sdmk, petugas_publik, lansia, umum_rentan, remaja, anak.
# Words districts use that sitrep does not know yet, mapped to a group or a dose.
[vocabulary.groups]
# "pra lansia" = "umum_rentan"
# "guru" = "petugas_publik"

[vocabulary.doses]
# "vaksin pertama" = 1
# "penguat" = 3

# Nama tidak resmi → kode resmi Kemendagri (kabupaten/kota atau kecamatan).
# Names that are not official spellings → the official code.
[aliases]
# "Tanjabbar" = "15.06"
# "Kec. Siulak Mukai Baru" = "15.01.18"
"#,
        name = province.name,
        code = province.code,
        submissions = SUBMISSIONS_DIR,
        targets = TARGETS_FILE,
    )
}

fn readme_text(province: &Region, period: NaiveDate, districts: usize) -> String {
    format!(
        r#"# Rekap vaksinasi COVID-19, Provinsi {name}

Folder kerja sitrep untuk {districts} kabupaten/kota Provinsi {name} (kode {code}).

## Isi folder

- `sitrep.toml`: pengaturan (ambang cakupan, bahasa, kata-kata tambahan, nama lain).
  Setiap kunci dijelaskan di dalamnya.
- `sasaran.xlsx`: sasaran per kabupaten/kota dan kelompok. **Isi dulu sel-sel yang
  kosong**; tanpa sasaran, cakupan (%) tidak dapat dihitung.
- `templat/{period}/`: templat isian untuk setiap kabupaten/kota, data s.d. {period}.
  Kirimkan ke kabupaten/kota masing-masing. Templat baru untuk tanggal lain:
  `sitrep template --province {code} --period YYYY-MM-DD --out templat/YYYY-MM-DD`.
- `submissions/{period}/`: simpan di sini berkas yang dikirim kabupaten/kota (xlsx,
  xls, xlsb, ods, csv, tsv; bentuk apa pun, templat tidak wajib). Untuk minggu
  berikutnya buat folder baru dengan tanggalnya, mis. `submissions/2022-01-29/`.

## Setiap minggu

1. Simpan kiriman kabupaten/kota di `submissions/<tanggal>/`.
2. Di folder ini, jalankan: `sitrep run`
3. Laporan PDF ada di `out/`, arsip dan buku kerja untuk pimpinan
   (`out/export/sitrep-{code}-<tanggal>.xlsx`) di `out/export/`.
4. Baca ringkasan di layar: berkas yang tidak terbaca atau bermasalah disebut dengan
   nama berkas, sheet dan sel, beserta saran perbaikannya.

Bantuan: `sitrep --help`, `sitrep run --help`.
"#,
        name = province.name,
        code = province.code,
    )
}

/// Creates the working folder; refuses to touch a folder that already has a
/// `sitrep.toml`, and never overwrites a file already there.
pub fn init(g: &Gazetteer, dir: &Path, province: &str, period: NaiveDate) -> Result<Vec<PathBuf>> {
    let prov = g
        .region(province.trim())
        .filter(|r| r.code.len() == 2)
        .with_context(|| format!("unknown province code '{province}': use a two-digit Kemendagri code, e.g. 15 for Jambi"))?;
    if dir.join("sitrep.toml").exists() {
        bail!("{} already has a sitrep.toml: it is a working folder already (run `sitrep run` inside it)", dir.display());
    }
    let districts: Vec<&Region> = g.districts_of(&prov.code).collect();
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> Result<()> {
        if dir.join(rel).exists() {
            return Ok(()); // the user's own file stays as it is
        }
        write_atomic(dir, rel, bytes)?;
        written.push(dir.join(rel));
        Ok(())
    };
    put("sitrep.toml", config_text(prov).as_bytes())?;
    put(TARGETS_FILE, &targets_workbook(g, prov, None)?)?;
    put("README.md", readme_text(prov, period, districts.len()).as_bytes())?;
    for d in &districts {
        let rel = format!("{TEMPLATES_DIR}/{period}/{}", crate::template::file_name(d, period));
        put(&rel, &crate::template::workbook(g, d, period, None)?)?;
    }
    let subs = dir.join(SUBMISSIONS_DIR).join(period.to_string());
    std::fs::create_dir_all(&subs).with_context(|| format!("cannot create {}", subs.display()))?;
    written.push(subs);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_written_configuration_is_valid_and_says_what_it_means() {
        let g = crate::gazetteer::embedded();
        let text = config_text(g.region("15").unwrap());
        let c: crate::config::FileConfig = toml::from_str(&text).expect("sitrep.toml of `sitrep init` parses");
        assert_eq!(c.threshold, Some(70.0));
        assert_eq!(c.targets.as_deref(), Some(Path::new("sasaran.xlsx")));
        assert_eq!(c.submissions.as_deref(), Some(Path::new("submissions")));
        // Every commented example is valid too, once uncommented.
        let uncommented: String = text.lines().map(|l| l.strip_prefix("# ").filter(|r| r.contains(" = ")).unwrap_or(l)).collect::<Vec<_>>().join("\n");
        let c: crate::config::FileConfig = toml::from_str(&uncommented).expect("examples parse");
        assert_eq!(c.limits.max_cells, Some(2_000_000));
        assert_eq!(c.limits.max_seconds, Some(30));
        assert_eq!(c.vocabulary.groups.get("pra lansia").map(String::as_str), Some("umum_rentan"));
        assert_eq!(c.vocabulary.doses.get("penguat"), Some(&3));
        assert_eq!(c.aliases.get("Tanjabbar").map(String::as_str), Some("15.06"));
        assert_eq!(c.receipts.as_deref(), Some(Path::new("penerimaan.csv")));
        assert_eq!(c.campaigns.len(), 1);
        assert!(c.campaigns[0].check().is_ok());
        assert!(c.deadline.is_some());
        assert_eq!(crate::gates::GateRules::from_config(&c.ppkm).unwrap().gates, crate::gates::GateRules::default().gates);
        assert_eq!(c.ppkm.agglomerations[0].districts, ["15.71", "15.05"]);
        assert_eq!(crate::checks::CheckRules::from_config(&c.checks).unwrap().skip, ["coverage_above_100"]);
        assert_eq!(c.sources.app.as_deref(), Some(Path::new("app")));
        assert!(c.previous.is_some());
        assert_eq!(c.targets_version.as_deref(), Some("Kemenkes 2022, 234,7 juta"));
        for key in ["threshold", "lang", "submissions", "targets", "out", "[limits]", "[vocabulary.groups]", "[vocabulary.doses]", "[aliases]"] {
            assert!(text.contains(key), "{key} is documented");
        }
    }
}
