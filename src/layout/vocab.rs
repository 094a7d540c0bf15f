//! The words districts use for groups, doses and column roles, kept as data.
//!
//! Headers are normalised (lower case, accents and punctuation removed) and matched as
//! whole-word phrases. The run configuration can add words (`[vocabulary]` in
//! `sitrep.toml`) without recompiling.

use serde::{Deserialize, Serialize};

/// Target groups of the campaign, as in the canonical table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Sdmk,
    PetugasPublik,
    Lansia,
    UmumRentan,
    Remaja,
    Anak,
    All,
}

impl Group {
    pub const SPECIFIC: [Group; 6] = [Group::Sdmk, Group::PetugasPublik, Group::Lansia, Group::UmumRentan, Group::Remaja, Group::Anak];
    pub fn code(self) -> &'static str {
        match self {
            Group::Sdmk => "sdmk",
            Group::PetugasPublik => "petugas_publik",
            Group::Lansia => "lansia",
            Group::UmumRentan => "umum_rentan",
            Group::Remaja => "remaja",
            Group::Anak => "anak",
            Group::All => "all",
        }
    }
    pub fn from_code(s: &str) -> Option<Group> {
        Group::SPECIFIC.into_iter().chain([Group::All]).find(|g| g.code() == s)
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    RowNumber,
    ProvinceName,
    DistrictName,
    AreaName,
    AreaCode,
    /// An institution (government agency, health centre, prison) whose staff are counted.
    Unit,
    /// Long layout: the group of the row.
    GroupName,
    /// Long layout: the dose of the row.
    DoseNumber,
    /// Long layout: the count of the row.
    CountValue,
    /// Wide layout: people vaccinated for a group and dose.
    Count(Group, u8),
    /// Target (sasaran) for a group.
    Target(Group),
    /// Percentages and attainment: recomputed, never trusted.
    Percent,
    /// The district's PPKM level as the submission reports it (shown beside the gate).
    PpkmLevel,
    /// The risk-zone colour the submission reports (merah, oranye, kuning, hijau).
    Zone,
    Ignore,
}

/// The group and dose a whole sheet is about, from its name or title block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SheetContext {
    pub group: Option<Group>,
    pub dose: Option<u8>,
}

/// Phrases per meaning, checked in order (longer and more specific first).
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub groups: Vec<(String, Group)>,
    pub doses: Vec<(String, u8)>,
    pub roles: Vec<(String, Role)>,
    pub percent: Vec<String>,
    pub target: Vec<String>,
    pub totals: Vec<String>,
    pub notes: Vec<String>,
    /// Labels already classified: each label's roles, by sheet context.
    pub classified: Memo<Vec<(bool, SheetContext, Role)>>,
    /// Cell texts already told header words or not ([`crate::layout::header`]).
    pub header_words: Memo<bool>,
}

/// What was found of labels already seen, so that a label is matched against the
/// phrases once per run: a national folder repeats the same headers (and sub-district
/// names) in every file of every week, and matching was a tenth of reading a year.
/// Emptied when the phrases change; holds at most 65,536 labels.
/// In shards by the label's hash, so that many reading threads rarely wait for one another.
pub struct Memo<V>([std::sync::Mutex<rustc_hash::FxHashMap<Box<str>, V>>; crate::sym::SHARDS]);

impl<V: Default> Memo<V> {
    /// Labels kept per shard.
    const MOST: usize = (1 << 16) / crate::sym::SHARDS;

    fn shard(&self, label: &str) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<Box<str>, V>> {
        // Nothing panics while a shard is locked, so a poisoned one is still consistent.
        self.0[crate::sym::shard_of(label)].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `read` finds in the label's memory, if it is remembered.
    pub fn get<R>(&self, label: &str, read: impl FnOnce(&V) -> Option<R>) -> Option<R> {
        self.shard(label).get(label).and_then(read)
    }

    /// Changes the label's memory (made empty if new) by `write`, while there is room.
    pub fn put(&self, label: &str, write: impl FnOnce(&mut V)) {
        let mut known = self.shard(label);
        if known.len() < Self::MOST || known.contains_key(label) {
            write(known.entry(label.into()).or_default());
        }
    }

    fn clear(&self) {
        for shard in &self.0 {
            shard.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo(std::array::from_fn(|_| Default::default()))
    }
}

/// A copy starts empty (it may be given other phrases).
impl<V> Clone for Memo<V> {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

const GROUPS: &[(&str, Group)] = &[
    ("sdmk", Group::Sdmk), ("sdm kesehatan", Group::Sdmk), ("nakes", Group::Sdmk), ("tenaga kesehatan", Group::Sdmk),
    ("health workers", Group::Sdmk), ("health worker", Group::Sdmk), ("healthcare workers", Group::Sdmk), ("health care workers", Group::Sdmk),
    ("medical workers", Group::Sdmk),
    ("petugas publik", Group::PetugasPublik), ("pelayan publik", Group::PetugasPublik), ("pelayanan publik", Group::PetugasPublik),
    ("public servants", Group::PetugasPublik), ("public servant", Group::PetugasPublik), ("public officers", Group::PetugasPublik),
    ("lansia", Group::Lansia), ("lanjut usia", Group::Lansia), ("elderly", Group::Lansia), ("older adults", Group::Lansia),
    ("seniors", Group::Lansia), ("senior citizens", Group::Lansia), ("60 tahun keatas", Group::Lansia), ("60 tahun ke atas", Group::Lansia),
    ("umum rentan", Group::UmumRentan), ("masyarakat umum", Group::UmumRentan), ("masyarakat rentan", Group::UmumRentan),
    ("umum", Group::UmumRentan), ("rentan", Group::UmumRentan), ("general public", Group::UmumRentan), ("vulnerable", Group::UmumRentan),
    ("remaja", Group::Remaja), ("12 17", Group::Remaja), ("adolescents", Group::Remaja), ("adolescent", Group::Remaja),
    ("teenagers", Group::Remaja), ("youth", Group::Remaja),
    ("anak", Group::Anak), ("6 11", Group::Anak), ("children", Group::Anak), ("child", Group::Anak), ("kids", Group::Anak),
    ("semua", Group::All), ("all groups", Group::All),
];

const DOSES: &[(&str, u8)] = &[
    ("booster ii", 4), ("lanjutan 2", 4), ("lanjutan ii", 4), ("lanjutan kedua", 4),
    ("booster 2", 4), ("booster kedua", 4), ("booster ke 2", 4), ("second booster", 4), ("dosis 4", 4), ("dosis iv", 4), ("d4", 4), ("dose 4", 4), ("keempat", 4),
    ("booster 1", 3), ("booster", 3), ("lanjutan", 3), ("dosis 3", 3), ("dosis iii", 3), ("d3", 3), ("dose 3", 3), ("ketiga", 3), ("third", 3), ("3rd", 3),
    ("vaksin ke 3", 3), ("vaksinasi ke 3", 3), ("ke 3", 3), ("tahap 3", 3), ("ke iii", 3), ("booster i", 3),
    ("divaksin 3", 3), ("vaksin 3", 3), ("vaksin3", 3), ("dosis3", 3),
    ("dosis 2", 2), ("dosis ii", 2), ("d2", 2), ("dose 2", 2), ("kedua", 2), ("second", 2), ("2nd", 2),
    ("vaksin ke 2", 2), ("vaksinasi ke 2", 2), ("ke 2", 2), ("tahap 2", 2), ("ke ii", 2),
    ("divaksin 2", 2), ("vaksin 2", 2), ("vaksin2", 2), ("dosis2", 2), ("dosis lengkap", 2), ("fully vaccinated", 2),
    ("dosis 1", 1), ("dosis i", 1), ("d1", 1), ("dose 1", 1), ("pertama", 1), ("first", 1), ("1st", 1),
    ("vaksin ke 1", 1), ("vaksinasi ke 1", 1), ("ke 1", 1), ("tahap 1", 1), ("ke i", 1),
    ("divaksin 1", 1), ("vaksin 1", 1), ("vaksin1", 1), ("dosis1", 1),
];

const ROLES: &[(&str, Role)] = &[
    ("no", Role::RowNumber), ("no urut", Role::RowNumber), ("nomor", Role::RowNumber), ("nomor urut", Role::RowNumber),
    ("provinsi", Role::ProvinceName), ("province", Role::ProvinceName), ("nama provinsi", Role::ProvinceName),
    ("kabupaten kota", Role::DistrictName), ("kab kota", Role::DistrictName), ("kabkota", Role::DistrictName),
    ("kabupaten", Role::DistrictName), ("kota", Role::DistrictName), ("district", Role::DistrictName), ("regency", Role::DistrictName),
    ("nama kabupaten", Role::DistrictName), ("nama kabupaten kota", Role::DistrictName), ("regency city", Role::DistrictName),
    ("kab", Role::DistrictName), ("nama kab kota", Role::DistrictName), ("regency municipality", Role::DistrictName), ("city regency", Role::DistrictName),
    ("nama daerah", Role::DistrictName), ("daerah", Role::DistrictName),
    ("kecamatan", Role::AreaName), ("kec", Role::AreaName), ("nama kecamatan", Role::AreaName), ("wilayah", Role::AreaName),
    ("nama wilayah", Role::AreaName), ("sub district", Role::AreaName), ("subdistrict", Role::AreaName),
    ("instansi", Role::Unit), ("nama instansi", Role::Unit), ("opd", Role::Unit), ("nama opd", Role::Unit), ("skpd", Role::Unit),
    ("unit kerja", Role::Unit), ("satuan kerja", Role::Unit), ("perangkat daerah", Role::Unit), ("nama unit", Role::Unit),
    ("agency", Role::Unit), ("institution", Role::Unit), ("instansi opd", Role::Unit),
    ("kode", Role::AreaCode), ("kode wilayah", Role::AreaCode), ("kode kecamatan", Role::AreaCode), ("kode kec", Role::AreaCode),
    ("kode kemendagri", Role::AreaCode), ("code", Role::AreaCode), ("kode kab", Role::AreaCode), ("kode kabupaten", Role::AreaCode),
    ("kelompok", Role::GroupName), ("kelompok sasaran", Role::GroupName), ("group", Role::GroupName), ("target group", Role::GroupName),
    ("kategori", Role::GroupName),
    ("dosis", Role::DoseNumber), ("dose", Role::DoseNumber), ("vaksin ke", Role::DoseNumber), ("dosis ke", Role::DoseNumber),
    ("dosis vaksin", Role::DoseNumber), ("jenis dosis", Role::DoseNumber), ("tahap", Role::DoseNumber), ("dose number", Role::DoseNumber),
    ("jumlah", Role::CountValue), ("jumlah vaksinasi", Role::CountValue), ("vaksinasi", Role::CountValue), ("divaksin", Role::CountValue),
    ("jumlah divaksin", Role::CountValue), ("vaccinated", Role::CountValue), ("count", Role::CountValue), ("realisasi", Role::CountValue),
    ("jumlah orang", Role::CountValue), ("people vaccinated", Role::CountValue), ("number vaccinated", Role::CountValue),
    ("total vaccinated", Role::CountValue), ("doses given", Role::CountValue), ("jumlah vaksinasi", Role::CountValue),
    ("level ppkm", Role::PpkmLevel), ("ppkm", Role::PpkmLevel), ("level", Role::PpkmLevel), ("ppkm level", Role::PpkmLevel),
    ("status ppkm", Role::PpkmLevel), ("level ppkm saat ini", Role::PpkmLevel), ("tingkat ppkm", Role::PpkmLevel), ("ppkm status", Role::PpkmLevel),
    ("zona", Role::Zone), ("zona risiko", Role::Zone), ("warna zona", Role::Zone), ("zonasi", Role::Zone), ("status zona", Role::Zone),
    ("zone", Role::Zone), ("risk zone", Role::Zone), ("zona resiko", Role::Zone),
    ("kelompok umur", Role::GroupName), ("sasaran kelompok", Role::GroupName), ("population group", Role::GroupName),
    ("sasaran", Role::Target(Group::All)), ("target", Role::Target(Group::All)), ("jumlah sasaran", Role::Target(Group::All)),
    ("total sasaran", Role::Target(Group::All)), ("total", Role::Target(Group::All)),
];

impl Default for Vocabulary {
    fn default() -> Self {
        // Phrases are stored normalised once (`" dosis 1 "`): matching runs per cell.
        let own = |v: &[&str]| v.iter().map(|s| normalise(s)).collect::<Vec<_>>();
        Vocabulary {
            groups: GROUPS.iter().map(|(p, g)| (normalise(p), *g)).collect(),
            doses: DOSES.iter().map(|(p, d)| (normalise(p), *d)).collect(),
            roles: ROLES.iter().map(|(p, r)| (normalise(p), *r)).collect(),
            percent: own(&["%", "persen", "persentase", "capaian", "pencapaian", "cakupan", "coverage", "pct", "percent", "achievement", "ratio", "rasio"]),
            // "Peserta vaksinasi" is the registered population to vaccinate (the
            // national dashboard's per-district denominator), not the people vaccinated.
            target: own(&["sasaran", "target", "populasi", "jumlah penduduk", "peserta vaksinasi", "jumlah peserta", "population", "headcount", "jumlah pegawai"]),
            totals: own(&["jumlah", "total", "grand total", "sub total", "subtotal", "jumlah total", "total keseluruhan", "jumlah kab", "jumlah kabupaten", "jumlah kota", "jumlah provinsi", "total provinsi"]),
            notes: own(&["sumber", "catatan", "keterangan", "ket", "note", "notes", "source", "dicetak", "diolah"]),
            classified: Memo::default(),
            header_words: Memo::default(),
        }
    }
}

/// Lower case, accents removed, every run of non-alphanumerics a single space, padded
/// with spaces so phrases can be matched as whole words (`" d1 "`).
pub fn normalise(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    let mut out = String::with_capacity(ascii.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() || ch == '%' {
            out.push(ch);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// `phrase` is already normalised (the vocabulary stores its words that way).
fn contains_phrase(norm: &str, phrase: &str) -> bool {
    !phrase.trim().is_empty() && norm.contains(phrase)
}

impl Vocabulary {
    pub fn group_in(&self, norm: &str) -> Option<Group> {
        self.groups.iter().find(|(p, _)| contains_phrase(norm, p)).map(|(_, g)| *g)
    }
    pub fn dose_in(&self, norm: &str) -> Option<u8> {
        self.doses.iter().find(|(p, _)| contains_phrase(norm, p)).map(|(_, d)| *d)
    }
    /// A role when the whole label is one of the role words (after normalising).
    pub fn exact_role(&self, norm: &str) -> Option<Role> {
        self.roles.iter().find(|(p, _)| p == norm).map(|(_, r)| *r)
    }
    pub fn is_percent(&self, norm: &str) -> bool {
        self.percent.iter().any(|p| contains_phrase(norm, p))
    }
    pub fn is_target(&self, norm: &str) -> bool {
        self.target.iter().any(|p| contains_phrase(norm, p))
    }
    /// `JUMLAH`, `Total`, `Jumlah Kab.`: the label of a totals row.
    pub fn is_total_label(&self, text: &str) -> bool {
        let norm = normalise(text);
        self.totals.iter().any(|t| *t == norm || (norm.starts_with(t.as_str()) && norm.split_whitespace().count() <= 4))
    }
    pub fn is_note(&self, text: &str) -> bool {
        let norm = normalise(text);
        let first = norm.split_whitespace().next().unwrap_or("");
        self.notes.iter().any(|n| n.trim() == first) || text.trim_start().starts_with('*')
    }

    /// The one group and the one dose a text names (a sheet called `Dosis 2`, a title
    /// `VAKSINASI LANSIA`), or `None` for each when it names none or several. Phrases are
    /// taken longest-first and blanked once matched, so `booster 2` is not also `booster`.
    pub fn context_in(&self, text: &str) -> SheetContext {
        let mut norm = normalise(text);
        let mut doses: Vec<u8> = Vec::new();
        for (p, d) in &self.doses {
            if p.trim().is_empty() {
                continue;
            }
            while norm.contains(p.as_str()) {
                norm = norm.replacen(p.as_str(), " ", 1);
                doses.push(*d);
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        for (p, g) in &self.groups {
            if p.trim().is_empty() {
                continue;
            }
            while norm.contains(p.as_str()) {
                norm = norm.replacen(p.as_str(), " ", 1);
                groups.push(*g);
            }
        }
        doses.sort();
        doses.dedup();
        groups.sort();
        groups.dedup();
        SheetContext { group: (groups.len() == 1).then(|| groups[0]), dose: (doses.len() == 1).then(|| doses[0]) }
    }

    /// What a column means, from its combined header label.
    pub fn classify(&self, label: &str, targets_file: bool) -> Role {
        self.classify_in(label, targets_file, SheetContext::default())
    }

    /// As [`classify`](Self::classify), with the group or dose the sheet name or title
    /// gives for columns that name only one of them (one sheet per dose or per group).
    pub fn classify_in(&self, label: &str, targets_file: bool, ctx: SheetContext) -> Role {
        if let Some(role) = self.classified.get(label, |seen| seen.iter().find(|(t, c, _)| *t == targets_file && *c == ctx).map(|(_, _, r)| *r)) {
            return role;
        }
        let role = self.match_phrases(label, targets_file, ctx);
        self.classified.put(label, |seen| seen.push((targets_file, ctx, role)));
        role
    }

    /// [`classify_in`](Self::classify_in) without the memory of labels seen.
    fn match_phrases(&self, label: &str, targets_file: bool, ctx: SheetContext) -> Role {
        let norm = normalise(label);
        if norm.trim().is_empty() {
            return Role::Ignore;
        }
        if self.is_percent(&norm) {
            return Role::Percent;
        }
        if let Some(role) = self.exact_role(&norm) {
            return role;
        }
        let group = self.group_in(&norm);
        let dose = self.dose_in(&norm);
        let target = self.is_target(&norm) || targets_file;
        match (group, dose) {
            (g, _) if target && dose.is_none() => match g {
                Some(g) => Role::Target(g),
                None => Role::Target(Group::All),
            },
            (g, Some(d)) => Role::Count(g.or(ctx.group).unwrap_or(Group::All), d),
            (Some(g), None) => match ctx.dose {
                Some(d) if !targets_file => Role::Count(g, d),
                _ => Role::Ignore,
            },
            (None, None) => {
                let role_words = [("ppkm", Role::PpkmLevel), ("zona", Role::Zone), ("kecamatan", Role::AreaName), ("kode", Role::AreaCode), ("kabupaten", Role::DistrictName), ("kelompok", Role::GroupName), ("instansi", Role::Unit)];
                role_words.iter().find(|(w, _)| contains_phrase(&norm, w)).map(|(_, r)| *r).unwrap_or(Role::Ignore)
            }
        }
    }

    /// Adds words from the configuration: `group` phrases and `dose` phrases.
    pub fn extend(&mut self, groups: &[(String, Group)], doses: &[(String, u8)]) {
        self.classified.clear();
        self.header_words.clear();
        // User words go first so they win over the built-in ones.
        let mut g: Vec<(String, Group)> = groups.iter().map(|(p, g)| (normalise(p), *g)).collect();
        g.extend(std::mem::take(&mut self.groups));
        self.groups = g;
        let mut d: Vec<(String, u8)> = doses.iter().map(|(p, d)| (normalise(p), *d)).collect();
        d.extend(std::mem::take(&mut self.doses));
        self.doses = d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label classified before gets the same role from memory, per sheet context;
    /// phrases added later are heard (the memory is emptied).
    #[test]
    fn labels_seen_before_keep_their_role_until_the_phrases_change() {
        let mut v = Vocabulary::default();
        let dose1 = SheetContext { group: None, dose: Some(1) };
        assert_eq!(v.classify("Lansia Dosis 1", false), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify("Lansia Dosis 1", false), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify_in("Lansia", false, SheetContext::default()), Role::Ignore);
        assert_eq!(v.classify_in("Lansia", false, dose1), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify_in("Lansia", false, SheetContext::default()), Role::Ignore);
        assert_eq!(v.classify("Suntikan Lansia", false), Role::Ignore);
        v.extend(&[], &[("suntikan".to_string(), 2)]);
        assert_eq!(v.classify("Suntikan Lansia", false), Role::Count(Group::Lansia, 2));
    }

    #[test]
    fn headers_in_many_spellings() {
        let v = Vocabulary::default();
        assert_eq!(v.classify("LANSIA - Dosis 1", false), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify("Lansia D2", false), Role::Count(Group::Lansia, 2));
        assert_eq!(v.classify("Umum & Rentan Booster", false), Role::Count(Group::UmumRentan, 3));
        assert_eq!(v.classify("Remaja 12-17 Dosis II", false), Role::Count(Group::Remaja, 2));
        assert_eq!(v.classify("Anak 6-11 Vaksin ke-1", false), Role::Count(Group::Anak, 1));
        assert_eq!(v.classify("Dosis Pertama", false), Role::Count(Group::All, 1));
        assert_eq!(v.classify("% Capaian D1", false), Role::Percent);
        assert_eq!(v.classify("Kecamatan", false), Role::AreaName);
        assert_eq!(v.classify("Kec.", false), Role::AreaName);
        assert_eq!(v.classify("kode_wilayah", false), Role::AreaCode);
        assert_eq!(v.classify("Kabupaten/Kota", false), Role::DistrictName);
        assert_eq!(v.classify("Sasaran Lansia", false), Role::Target(Group::Lansia));
        assert_eq!(v.classify("Masyarakat Umum & Rentan", true), Role::Target(Group::UmumRentan));
        assert_eq!(v.classify("Total", true), Role::Target(Group::All));
        assert_eq!(v.classify("No", false), Role::RowNumber);
        assert_eq!(v.classify("dosis", false), Role::DoseNumber);
        assert_eq!(v.classify("Level PPKM", false), Role::PpkmLevel);
        assert_eq!(v.classify("Level PPKM Kabupaten", false), Role::PpkmLevel);
        assert_eq!(v.classify("Zona Risiko", false), Role::Zone);
    }
    #[test]
    fn compound_roman_and_english_headers() {
        let v = Vocabulary::default();
        assert_eq!(v.classify("Lansia D1", false), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify("Vaksin ke-2", false), Role::Count(Group::All, 2));
        assert_eq!(v.classify("Dosis III", false), Role::Count(Group::All, 3));
        assert_eq!(v.classify("Booster II", false), Role::Count(Group::All, 4));
        assert_eq!(v.classify("Elderly - First dose", false), Role::Count(Group::Lansia, 1));
        assert_eq!(v.classify("Health care workers 2nd", false), Role::Count(Group::Sdmk, 2));
        assert_eq!(v.classify("Divaksin 1", false), Role::Count(Group::All, 1));
        assert_eq!(v.classify("Achievement % Vaksin1", false), Role::Percent);
        assert_eq!(v.classify("Peserta Vaksinasi", false), Role::Target(Group::All));
        assert_eq!(v.classify("Kab/kota", false), Role::DistrictName);
        assert_eq!(v.classify("Provinsi", false), Role::ProvinceName);
    }
    #[test]
    fn sheet_names_and_titles_give_a_dose_or_group() {
        let v = Vocabulary::default();
        let c = v.context_in("Dosis 2");
        assert_eq!((c.group, c.dose), (None, Some(2)));
        let c = v.context_in("Booster 2");
        assert_eq!(c.dose, Some(4));
        let c = v.context_in("REKAP VAKSINASI LANSIA | Data s.d. 15 Januari 2022");
        assert_eq!((c.group, c.dose), (Some(Group::Lansia), None));
        let c = v.context_in("Lansia dan Nakes");
        assert_eq!(c.group, None);
        let ctx = SheetContext { group: None, dose: Some(3) };
        assert_eq!(v.classify_in("Lansia", false, ctx), Role::Count(Group::Lansia, 3));
        let ctx = SheetContext { group: Some(Group::Remaja), dose: None };
        assert_eq!(v.classify_in("Dosis 1", false, ctx), Role::Count(Group::Remaja, 1));
    }
    #[test]
    fn totals_and_notes() {
        let v = Vocabulary::default();
        assert!(v.is_total_label("JUMLAH"));
        assert!(v.is_total_label("Jumlah Kab."));
        assert!(v.is_total_label("TOTAL"));
        assert!(!v.is_total_label("Jambi Timur"));
        assert!(v.is_note("Sumber: Dinas Kesehatan"));
        assert!(!v.is_note("Kec. Gunung Raya"));
    }
}
