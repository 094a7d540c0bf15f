//! Official region codes and names (Kemendagri, Permendagri 72/2019), shipped inside the
//! binary, and the resolution of the names districts write to those codes.
//!
//! Source: `src/data/wilayah_2020_kecamatan.csv`, the provinces, districts and
//! sub-districts of cahyadsn/wilayah (MIT, see `src/data/LICENSE-wilayah`);
//! `src/data/bps_kemendagri_kabkota.csv` adds the Statistics Indonesia spellings.

use crate::layout::vocab::normalise;
use std::collections::HashMap;
use std::sync::OnceLock;

const WILAYAH: &str = include_str!("data/wilayah_2020_kecamatan.csv");
const BPS: &str = include_str!("data/bps_kemendagri_kabkota.csv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    /// The official name as published (`KAB. KERINCI`, `Gunung Raya`).
    pub name: String,
}

impl Region {
    pub fn province_code(&self) -> &str {
        &self.code[..2.min(self.code.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Kab,
    Kota,
}

/// A name that did not resolve, with the closest official names.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    pub text: String,
    pub suggestions: Vec<Region>,
}

impl Unresolved {
    pub fn did_you_mean(&self) -> String {
        match self.suggestions.as_slice() {
            [] => String::new(),
            s => format!(
                " — did you mean {}?",
                s.iter().map(|r| format!("{} ({})", r.name, r.code)).collect::<Vec<_>>().join(" or ")
            ),
        }
    }
}

pub struct Gazetteer {
    provinces: Vec<Region>,
    districts: Vec<Region>,
    areas: Vec<Region>,
    by_code: HashMap<String, (u8, usize)>,
    /// Spaceless bare name → districts (index, kind).
    district_keys: HashMap<String, Vec<(usize, Kind)>>,
    /// (district code, spaceless bare name) → area index.
    area_keys: HashMap<(String, String), usize>,
    province_keys: HashMap<String, usize>,
}

pub fn embedded() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::parse(WILAYAH, BPS))
}

/// Spaceless key of a normalised name, so `Batang Hari` and `BATANGHARI` meet.
fn key(norm: &str) -> String {
    norm.split_whitespace().collect()
}

const DISTRICT_NOISE: &[&str] = &["pemerintah", "pemkab", "pemkot", "dinas", "kesehatan", "dinkes", "rekap", "rekapitulasi", "vaksinasi", "laporan", "data"];

/// Splits `KAB. KERINCI` / `Kabupaten Kerinci` / `Kota Adm. X` into kind and bare words.
fn district_parts(text: &str) -> (Option<Kind>, Vec<String>) {
    let norm = normalise(text);
    let mut words: Vec<String> = norm.split_whitespace().map(str::to_string).collect();
    let mut kind = None;
    while let Some(w) = words.first().cloned() {
        match w.as_str() {
            "kabupaten" | "kab" | "kabupatan" => kind = Some(Kind::Kab),
            "kota" | "kotamadya" | "city" => kind = Some(Kind::Kota),
            "adm" | "administrasi" => {}
            w if DISTRICT_NOISE.contains(&w) => {}
            _ => break,
        }
        words.remove(0);
    }
    (kind, words)
}

fn area_key(text: &str) -> String {
    let norm = normalise(text);
    let mut words: Vec<&str> = norm.split_whitespace().collect();
    while matches!(words.first(), Some(&"kec") | Some(&"kecamatan") | Some(&"distrik")) {
        words.remove(0);
    }
    words.concat()
}

/// `15.01`, `1501`, `15.1` (a code typed into Excel as a number: `15.10`), `15.01.01`.
pub fn normalise_code(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let parts: Vec<String> = if t.contains('.') {
        let raw: Vec<&str> = t.split('.').collect();
        let n = raw.len();
        raw.iter()
            .enumerate()
            .map(|(i, p)| if p.len() == 1 && i == n - 1 && i > 0 { format!("{p}0") } else if p.len() == 1 { format!("0{p}") } else { p.to_string() })
            .collect()
    } else {
        if t.len() % 2 != 0 || t.len() > 6 {
            return None;
        }
        t.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into_owned()).collect()
    };
    if parts.iter().any(|p| p.len() != 2) || parts.len() > 3 {
        return None;
    }
    Some(parts.join("."))
}

impl Gazetteer {
    fn parse(wilayah: &str, bps: &str) -> Gazetteer {
        let mut g = Gazetteer {
            provinces: Vec::new(),
            districts: Vec::new(),
            areas: Vec::new(),
            by_code: HashMap::new(),
            district_keys: HashMap::new(),
            area_keys: HashMap::new(),
            province_keys: HashMap::new(),
        };
        for line in wilayah.lines().skip(1) {
            let Some((code, name)) = line.split_once(',') else { continue };
            let region = Region { code: code.to_string(), name: name.split_whitespace().collect::<Vec<_>>().join(" ") };
            match code.matches('.').count() {
                0 => {
                    g.province_keys.insert(key(&normalise(&region.name)), g.provinces.len());
                    g.by_code.insert(region.code.clone(), (0, g.provinces.len()));
                    g.provinces.push(region);
                }
                1 => {
                    let (kind, words) = district_parts(&region.name);
                    let i = g.districts.len();
                    g.district_keys.entry(words.concat()).or_default().push((i, kind.unwrap_or(Kind::Kab)));
                    g.by_code.insert(region.code.clone(), (1, i));
                    g.districts.push(region);
                }
                _ => {
                    let i = g.areas.len();
                    g.area_keys.insert((region.code[..5].to_string(), area_key(&region.name)), i);
                    g.by_code.insert(region.code.clone(), (2, i));
                    g.areas.push(region);
                }
            }
        }
        // BPS spellings (no prefix; cities as bare names) as extra keys.
        for line in bps.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 4 {
                continue;
            }
            let code = format!("{}.{}", &f[2][..2.min(f[2].len())], &f[2][2.min(f[2].len())..]);
            if let Some(&(1, i)) = g.by_code.get(&code) {
                let (kind, words) = district_parts(&g.districts[i].name);
                let k = key(&normalise(f[1]));
                let entry = g.district_keys.entry(k).or_default();
                if !entry.iter().any(|(j, _)| *j == i) {
                    entry.push((i, kind.unwrap_or(Kind::Kab)));
                }
                drop(words);
            }
        }
        g
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        match self.by_code.get(code)? {
            (0, i) => self.provinces.get(*i),
            (1, i) => self.districts.get(*i),
            (_, i) => self.areas.get(*i),
        }
    }

    pub fn districts_of(&self, province: &str) -> impl Iterator<Item = &Region> + '_ {
        let p = province.to_string();
        self.districts.iter().filter(move |d| d.code.starts_with(&p) && d.code.len() == 5)
    }

    /// The sub-districts (kecamatan, 8-character codes) of a district, in code order.
    pub fn areas_of(&self, district: &str) -> impl Iterator<Item = &Region> + '_ {
        let prefix = format!("{district}.");
        self.areas.iter().filter(move |a| a.code.starts_with(&prefix) && a.code.len() == 8)
    }

    /// Resolves a district written as a name or a code.
    pub fn district(&self, text: &str) -> Result<&Region, Unresolved> {
        if let Some(code) = normalise_code(text) {
            if let Some(r) = self.region(&code[..code.len().min(5)]).filter(|r| r.code.len() == 5) {
                return Ok(r);
            }
        }
        let (kind, words) = district_parts(text);
        if let Some(r) = self.district_by_words(kind, &words) {
            return Ok(r);
        }
        Err(self.district_suggestions(text, &words.concat()))
    }

    fn district_by_words(&self, kind: Option<Kind>, words: &[String]) -> Option<&Region> {
        let candidates = self.district_keys.get(&words.concat())?;
        let pick = match kind {
            Some(k) => candidates.iter().find(|(_, ck)| *ck == k),
            // A bare name: the regency when a regency and a city share it.
            None => candidates.iter().find(|(_, ck)| *ck == Kind::Kab).or(candidates.first()),
        };
        pick.and_then(|(i, _)| self.districts.get(*i))
    }

    fn district_suggestions(&self, text: &str, k: &str) -> Unresolved {
        let mut scored: Vec<(f64, &Region)> = self
            .district_keys
            .iter()
            .filter_map(|(name, ids)| ids.first().map(|(i, _)| (strsim::jaro_winkler(k, name), &self.districts[*i])))
            .filter(|(s, _)| *s >= 0.85)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.code.cmp(&b.1.code)));
        scored.dedup_by(|a, b| a.1.code == b.1.code);
        Unresolved { text: text.trim().to_string(), suggestions: scored.into_iter().take(3).map(|(_, r)| r.clone()).collect() }
    }

    /// Finds the district named in a title block or a file name: `KABUPATEN KERINCI`,
    /// `Pemerintah Kota Jambi`, `kota_sungai_penuh_2022-01-15`. `Err` when a district
    /// prefix is followed by a name that is not official (a typo to report).
    pub fn district_in_text(&self, text: &str) -> Option<Result<&Region, Unresolved>> {
        for segment in text.split(['|', '\n']) {
            let norm = normalise(segment);
            let words: Vec<&str> = norm.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                let kind = match *w {
                    "kabupaten" | "kab" => Kind::Kab,
                    "kota" => Kind::Kota,
                    _ => continue,
                };
                let rest: Vec<String> = words[i + 1..].iter().filter(|w| !matches!(**w, "adm" | "administrasi")).take(4).map(|s| s.to_string()).collect();
                if rest.is_empty() || rest[0].chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                for n in (1..=rest.len()).rev() {
                    if let Some(r) = self.district_by_words(Some(kind), &rest[..n]) {
                        return Some(Ok(r));
                    }
                }
                let name: Vec<String> = rest.iter().take_while(|w| !w.chars().any(|c| c.is_ascii_digit())).take(3).cloned().collect();
                if !name.is_empty() && i + 1 < words.len() && words[i + 1..].len() <= 4 {
                    let written = format!("{} {}", if kind == Kind::Kab { "Kabupaten" } else { "Kota" }, name.join(" ").to_uppercase());
                    return Some(Err(self.district_suggestions(&written, &name.concat())));
                }
            }
            // A bare district name, never one that is also a province's name.
            for n in (1..=4).rev() {
                for win in words.windows(n) {
                    let k: String = win.concat();
                    if self.province_keys.contains_key(&k) {
                        continue;
                    }
                    let owned: Vec<String> = win.iter().map(|s| s.to_string()).collect();
                    if let Some(r) = self.district_by_words(None, &owned) {
                        return Some(Ok(r));
                    }
                }
            }
        }
        None
    }

    /// Resolves a sub-district (kecamatan) of a district by name or code.
    pub fn area(&self, district_code: &str, name: Option<&str>, code: Option<&str>) -> Result<&Region, Unresolved> {
        if let Some(c) = code.and_then(normalise_code) {
            if c.len() == 8 && c.starts_with(district_code) {
                if let Some(r) = self.region(&c) {
                    return Ok(r);
                }
            }
        }
        let text = name.or(code).unwrap_or("");
        if let Some(&i) = self.area_keys.get(&(district_code.to_string(), area_key(text))) {
            return Ok(&self.areas[i]);
        }
        let k = area_key(text);
        let mut scored: Vec<(f64, &Region)> = self
            .areas
            .iter()
            .filter(|a| a.code.starts_with(district_code))
            .map(|a| (strsim::jaro_winkler(&k, &area_key(&a.name)), a))
            .filter(|(s, _)| *s >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.code.cmp(&b.1.code)));
        Err(Unresolved { text: text.trim().to_string(), suggestions: scored.into_iter().take(3).map(|(_, r)| r.clone()).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn district_names_in_their_variants() {
        let g = embedded();
        for t in ["KAB. KERINCI", "Kabupaten Kerinci", "Kerinci", "kab kerinci", "15.01", "1501"] {
            assert_eq!(g.district(t).map(|r| r.code.as_str()), Ok("15.01"), "{t}");
        }
        assert_eq!(g.district("Batang Hari").unwrap().code, "15.04");
        assert_eq!(g.district("Kota Jambi").unwrap().code, "15.71");
        assert_eq!(g.district("33.1").unwrap().code, "33.10");
        let err = g.district("Kerinchi").unwrap_err();
        assert_eq!(err.suggestions.first().map(|r| r.code.as_str()), Some("15.01"));
    }
    #[test]
    fn districts_in_titles() {
        let g = embedded();
        let found = |t: &str| g.district_in_text(t).and_then(|r| r.ok()).map(|r| r.code.clone());
        assert_eq!(found("REKAP VAKSINASI COVID-19 | KABUPATEN KERINCI | Data s.d. 15 Januari 2022").as_deref(), Some("15.01"));
        assert_eq!(found("PEMERINTAH KOTA JAMBI").as_deref(), Some("15.71"));
        assert_eq!(found("kota_sungai_penuh_2022-01-15").as_deref(), Some("15.72"));
        assert_eq!(found("SASARAN VAKSINASI PROVINSI JAMBI"), None);
        assert!(matches!(g.district_in_text("KABUPATEN KERINCHI"), Some(Err(_))));
    }
    #[test]
    fn sub_districts() {
        let g = embedded();
        assert_eq!(g.area("15.01", Some("Kec. Gunung  Raya"), None).unwrap().code, "15.01.01");
        assert_eq!(g.area("15.01", Some("GUNUNG RAYA"), None).unwrap().code, "15.01.01");
        assert_eq!(g.area("15.01", None, Some("15.01.01")).unwrap().code, "15.01.01");
        assert!(g.area("15.01", Some("Gunung Rayya"), None).is_err());
    }
}
