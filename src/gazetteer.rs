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
    /// The name is official but shared by several districts (the suggestions).
    pub ambiguous: bool,
}

impl Unresolved {
    /// `unknown district 'X' — did you mean …?` or `'Bandung' names more than one district …`.
    pub fn describe(&self, what: &str) -> String {
        if self.ambiguous {
            format!("'{}' names more than one {what}{}: write it in full (with Kab./Kota, or the code)", self.text, self.did_you_mean().replacen("did you mean", "either", 1).trim_end_matches('?'))
        } else {
            format!("unknown {what} '{}'{}", self.text, self.did_you_mean())
        }
    }
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
    /// Each district's own spaceless bare name, by index (asked of every row read).
    district_own_keys: Vec<String>,
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

/// Province names as exports and districts write them, beside the official ones
/// (the national dashboard writes `Jakarta Raya`, `Bangka Belitung`, `Yogyakarta`).
const PROVINCE_ALIASES: &[(&str, &str)] = &[
    ("jakarta raya", "31"), ("dki", "31"), ("diy", "34"), ("jogja", "34"), ("jogjakarta", "34"), ("bangka belitung", "19"),
    ("babel", "19"), ("kepri", "21"), ("nad", "11"), ("nanggroe aceh darussalam", "11"), ("ntb", "52"), ("ntt", "53"),
    ("sumut", "12"), ("sumbar", "13"), ("sumsel", "16"), ("jabar", "32"), ("jateng", "33"), ("jatim", "35"),
    ("kalbar", "61"), ("kalteng", "62"), ("kalsel", "63"), ("kaltim", "64"), ("kaltara", "65"), ("sulut", "71"),
    ("sulteng", "72"), ("sulsel", "73"), ("sultra", "74"), ("sulbar", "76"), ("malut", "82"), ("pabar", "92"),
];

/// Words before a province's name that are not part of it.
const PROVINCE_PREFIX: &[&str] = &["provinsi", "prov", "propinsi", "province", "dki", "daerah", "istimewa", "khusus", "ibukota", "di"];

/// Trailing one-letter abbreviations of directions (`Tanjung Jabung B`).
const DIRECTIONS: &[(&str, &[&str])] = &[("b", &["barat"]), ("t", &["timur", "tengah"]), ("u", &["utara"]), ("s", &["selatan"]), ("sel", &["selatan"]), ("ut", &["utara"]), ("tim", &["timur"]), ("bar", &["barat"]), ("teng", &["tengah"])];

/// The result of looking a district name up.
enum Lookup<'a> {
    Found(&'a Region),
    /// Several districts carry this name (a regency and a city, or two provinces).
    Ambiguous(Vec<Region>),
    Missing,
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

fn province_key(text: &str) -> String {
    let norm = normalise(text);
    let mut words: Vec<&str> = norm.split_whitespace().collect();
    while words.len() > 1 && words.first().is_some_and(|w| PROVINCE_PREFIX.contains(w)) {
        words.remove(0);
    }
    words.concat()
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
        if !t.len().is_multiple_of(2) || t.len() > 6 {
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
            district_own_keys: Vec::new(),
            area_keys: HashMap::new(),
            province_keys: HashMap::new(),
        };
        for line in wilayah.lines().skip(1) {
            let Some((code, name)) = line.split_once(',') else { continue };
            let region = Region { code: code.to_string(), name: name.split_whitespace().collect::<Vec<_>>().join(" ") };
            match code.matches('.').count() {
                0 => {
                    g.province_keys.insert(key(&normalise(&region.name)), g.provinces.len());
                    g.province_keys.insert(province_key(&region.name), g.provinces.len());
                    g.by_code.insert(region.code.clone(), (0, g.provinces.len()));
                    g.provinces.push(region);
                }
                1 => {
                    let (kind, words) = district_parts(&region.name);
                    let i = g.districts.len();
                    g.district_keys.entry(words.concat()).or_default().push((i, kind.unwrap_or(Kind::Kab)));
                    g.district_own_keys.push(words.concat());
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
                // The BPS name, and the crosswalk's own Kemendagri spelling (which
                // differs from the 2020 list for a few, e.g. PADANG SIDEMPUAN).
                // (only where no other district has that name: some of its spellings are
                // truncated, e.g. three OGAN KOMERING ULU).
                let (_, dagri_words) = district_parts(f[3]);
                let dagri = dagri_words.concat();
                let dagri_free = g.district_keys.get(&dagri).is_none_or(|ids| ids.iter().all(|(j, _)| *j == i));
                let keys = [Some(key(&normalise(f[1]))), dagri_free.then_some(dagri)];
                for k in keys.into_iter().flatten() {
                    let entry = g.district_keys.entry(k).or_default();
                    if !entry.iter().any(|(j, _)| *j == i) {
                        entry.push((i, kind.unwrap_or(Kind::Kab)));
                    }
                }
                drop(words);
            }
        }
        for (alias, code) in PROVINCE_ALIASES {
            if let Some(&(0, i)) = g.by_code.get(*code) {
                g.province_keys.entry(key(&normalise(alias))).or_insert(i);
            }
        }
        g
    }

    /// Resolves a province written as a name (`Jawa Barat`, `Provinsi Jambi`, `Jakarta
    /// Raya`, `Kep. Riau`) or a code (`32`).
    pub fn province(&self, text: &str) -> Option<&Region> {
        let t = text.trim();
        if t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()) {
            return self.region(&format!("{t:0>2}")).filter(|r| r.code.len() == 2);
        }
        let k = province_key(t);
        let k = k.strip_prefix("kep").filter(|rest| self.province_keys.contains_key(&format!("kepulauan{rest}"))).map(|rest| format!("kepulauan{rest}")).unwrap_or(k);
        self.province_keys.get(&k).and_then(|i| self.provinces.get(*i))
    }

    /// All districts whose spaceless bare name is `k`, within a province when given.
    fn lookup(&self, kind: Option<Kind>, k: &str, province: Option<&str>) -> Lookup<'_> {
        let Some(candidates) = self.district_keys.get(k) else { return Lookup::Missing };
        let within: Vec<(usize, Kind)> = candidates
            .iter()
            .copied()
            .filter(|(i, _)| province.is_none_or(|p| self.districts.get(*i).is_some_and(|r| r.province_code() == p)))
            .collect();
        let pick: Vec<(usize, Kind)> = match kind {
            Some(want) => within.iter().copied().filter(|(_, ck)| *ck == want).collect(),
            None => within.clone(),
        };
        match pick.as_slice() {
            [] => Lookup::Missing,
            [(i, _)] => self.districts.get(*i).map(Lookup::Found).unwrap_or(Lookup::Missing),
            many => Lookup::Ambiguous(many.iter().filter_map(|(i, _)| self.districts.get(*i).cloned()).collect()),
        }
    }

    /// Resolves a district written as a name or a code, within a province when the row
    /// names one (national exports list same-named districts of different provinces).
    /// A bare name shared by a regency and a city (`Bandung`) is ambiguous, not guessed.
    pub fn district_in(&self, text: &str, province: Option<&str>) -> Result<&Region, Unresolved> {
        if let Some(code) = normalise_code(text) {
            if let Some(r) = self.region(&code[..code.len().min(5)]).filter(|r| r.code.len() == 5) {
                return Ok(r);
            }
        }
        let (kind, words) = district_parts(text);
        let k = words.concat();
        let mut ambiguous: Vec<Region> = Vec::new();
        let mut attempt = |kind: Option<Kind>, k: &str| -> Option<&Region> {
            match self.lookup(kind, k, province) {
                Lookup::Found(r) => Some(r),
                Lookup::Ambiguous(rs) => {
                    ambiguous.extend(rs);
                    None
                }
                Lookup::Missing => None,
            }
        };
        if let Some(r) = attempt(kind, &k) {
            return Ok(r);
        }
        // `Kota Baru` is the regency Kotabaru: the prefix word was part of the name.
        if kind.is_some() {
            let whole = key(&normalise(text));
            if let Some(r) = attempt(None, &whole) {
                return Ok(r);
            }
        }
        // `Tanjung Jabung B`: a direction abbreviated to its first letter(s).
        if let Some((last, head)) = words.split_last() {
            if let Some((_, fulls)) = DIRECTIONS.iter().find(|(a, _)| a == last) {
                let found: Vec<&Region> = fulls.iter().filter_map(|f| attempt(kind, &format!("{}{f}", head.concat()))).collect();
                if let [r] = found.as_slice() {
                    return Ok(r);
                }
            }
        }
        // The province column can be out of date (a district moved to a new province):
        // a name that is unique nationally still resolves.
        if province.is_some() && ambiguous.is_empty() {
            if let Ok(r) = self.district_in(text, None) {
                return Ok(r);
            }
        }
        if !ambiguous.is_empty() {
            ambiguous.sort_by(|a, b| a.code.cmp(&b.code));
            ambiguous.dedup();
            return Err(Unresolved { text: text.trim().to_string(), suggestions: ambiguous, ambiguous: true });
        }
        let mut u = self.district_suggestions(text, &k);
        if let Some(p) = province {
            let near: Vec<Region> = u.suggestions.iter().filter(|r| r.province_code() == p).cloned().collect();
            if !near.is_empty() {
                u.suggestions = near;
            }
        }
        Err(u)
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
    /// Whether `text` is this district's own name (`Kerinci`, `KAB. KERINCI`). Cheap:
    /// no suggestions are computed, so it can run on every row.
    pub fn names_district(&self, text: &str, district: &Region) -> bool {
        let (_, words) = district_parts(text);
        // The district's own name made a key once, when it is this gazetteer's district.
        let kept = match self.by_code.get(&district.code) {
            Some(&(1, i)) if self.districts.get(i).is_some_and(|d| d.name == district.name) => self.district_own_keys.get(i),
            _ => None,
        };
        let own = match kept {
            Some(key) => std::borrow::Cow::Borrowed(key.as_str()),
            None => std::borrow::Cow::Owned(district_parts(&district.name).1.concat()),
        };
        !words.is_empty() && words.concat() == own
    }

    /// The sub-district of `district_code` that `text` names exactly, when `text` carries
    /// no `Kab.` or `Kota`: a district's own name, bare, is often one of its
    /// sub-districts' too (kecamatan Sarolangun, 15.03.03, in Kab. Sarolangun).
    pub fn area_named_bare(&self, district_code: &str, text: &str) -> Option<&Region> {
        if district_parts(text).0.is_some() {
            return None;
        }
        self.area_keys.get(&(district_code.to_string(), area_key(text))).map(|&i| &self.areas[i])
    }

    pub fn district(&self, text: &str) -> Result<&Region, Unresolved> {
        self.district_in(text, None)
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
        Unresolved { text: text.trim().to_string(), suggestions: scored.into_iter().take(3).map(|(_, r)| r.clone()).collect(), ambiguous: false }
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
        Err(Unresolved { text: text.trim().to_string(), suggestions: scored.into_iter().take(3).map(|(_, r)| r.clone()).collect(), ambiguous: false })
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn all_districts() -> Vec<Region> {
        let g = embedded();
        (11..=99).flat_map(|p| g.districts_of(&format!("{p:02}")).cloned().collect::<Vec<_>>()).collect()
    }

    #[test]
    fn every_official_district_resolves_from_its_written_forms() {
        let g = embedded();
        let all = all_districts();
        assert_eq!(all.len(), 514);
        for d in &all {
            let (kind, words) = district_parts(&d.name);
            let bare = words.join(" ");
            let long = format!("{} {}", if kind == Some(Kind::Kota) { "Kota" } else { "Kabupaten" }, bare);
            for text in [d.name.clone(), d.name.to_lowercase(), long, d.code.replace('.', ""), d.code.clone()] {
                assert_eq!(g.district(&text).map(|r| r.code.clone()), Ok(d.code.clone()), "{text}");
            }
            // The bare name: this district, or ambiguous with this district among the choices.
            match g.district_in(&bare, Some(d.province_code())) {
                Ok(r) => assert_eq!(r.code, d.code, "{bare}"),
                Err(u) => assert!(u.ambiguous && u.suggestions.iter().any(|s| s.code == d.code), "{bare}: {u:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn codes_typed_into_excel_as_numbers(p in 11u32..100, d in 1u32..100) {
            // 33.10 typed as a number is 33.1; 1501 stays 1501.
            let as_number = format!("{}", (p * 100 + d) as f64 / 100.0);
            prop_assert_eq!(normalise_code(&as_number), Some(format!("{p:02}.{d:02}")), "{}", as_number);
            prop_assert_eq!(normalise_code(&format!("{p:02}{d:02}")), Some(format!("{p:02}.{d:02}")));
        }

        #[test]
        fn names_are_resolved_or_refused_without_panic(s in "\\PC{0,30}", p in proptest::option::of("[0-9]{2}")) {
            let g = embedded();
            let _ = g.district_in(&s, p.as_deref());
            let _ = g.district_in_text(&s);
            let _ = g.province(&s);
            let _ = normalise_code(&s);
        }

        #[test]
        fn case_spacing_and_punctuation_do_not_matter(i in 0usize..514, upper in any::<bool>(), dots in any::<bool>()) {
            let all = all_districts();
            let d = &all[i];
            let mut text = d.name.replace(' ', "  ");
            if !dots {
                text = text.replace('.', "");
            }
            let text = if upper { text.to_uppercase() } else { text.to_lowercase() };
            prop_assert_eq!(embedded().district(&text).map(|r| r.code.clone()), Ok(d.code.clone()), "{}", text);
        }
    }
}

#[cfg(test)]
mod fuzz_regressions {
    use super::*;
    /// An input on which the fuzzer reported a timeout (under heavy machine load): every
    /// name function must return on it, quickly.
    #[test]
    fn fuzz_timeout_input_returns() {
        let s = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/hostile/fuzz-timeout-name.txt")).unwrap();
        let g = embedded();
        let started = std::time::Instant::now();
        let _ = g.district(&s);
        let _ = g.district_in_text(&s);
        let _ = g.area("15.01", Some(&s), Some(&s));
        let _ = normalise_code(&s);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
