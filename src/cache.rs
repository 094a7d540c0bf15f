//! Incremental cache: what reading each submission gave (observations, targets,
//! findings, outcome), so a run over a folder that already holds last year's files reads
//! only what changed. An entry's key is the SHA-256 of the file's content, its path as
//! shown (dates and districts are also read from file and folder names), the sitrep
//! version and build, and the configuration that affects reading (limits, vocabulary,
//! aliases).
//!
//! Stored in `<out>/.cache/` as segments, one per run that read something afresh:
//! `segment-N.parquet` holds the observations, `segment-N.json` the rest. A run writes
//! only what it read afresh as a new segment, so a weekly run over a year's folder
//! writes a week, not the year. A segment holding a file that is gone or changed is
//! folded into the new segment (so the cache never holds files no longer read), as are
//! all of them once there are more than `SEGMENTS_MAX`.
//! The observations' texts (codes, files, sheets, cells) are numbers into a list of texts
//! kept in the JSON, so that loading a year is decoding integers, not millions of strings.
//! A missing or stale segment, or one not at the size written, is not used; one damaged
//! at its size is found when first decoded ([`Damaged`]: the run is done again). Files
//! unchanged since the cache saw them are found without reading them
//! ([`crate::known_files`]).

use crate::export::{parquet_batches, sha256_hex, write_atomic, write_atomic_with};
use crate::findings::Finding;
use crate::known_files::KnownFiles;
use crate::layout::vocab::Group;
use crate::sym::Sym;
use crate::table::{self, FileOutcome, FileTable, Observation, ReportedStatus, Target};
use anyhow::Result;
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// More segments than this are folded into one by the next run that writes.
const SEGMENTS_MAX: usize = 64;
/// A run that read more observations than this afresh writes them as several segments
/// at once (about a month of a national folder).
const SEGMENT_SPLIT: usize = 1 << 19;

/// The single files of the cache before segments (removed by the next run that writes).
const UNSEGMENTED: [&str; 2] = ["observations.parquet", "files.json"];

/// A segment's two files: the observations and the index.
fn segment_files(number: u64) -> (String, String) {
    (format!("segment-{number}.parquet"), format!("segment-{number}.json"))
}

/// The number of a segment's file (`segment-7.json` → 7), or `None` for other files.
fn segment_number(file_name: &str) -> Option<u64> {
    let stem = file_name.strip_prefix("segment-")?;
    let number = stem.strip_suffix(".json").or_else(|| stem.strip_suffix(".parquet"))?;
    number.parse().ok()
}
/// The observations' column naming the index entry they belong to.
const ENTRY: &str = "entry";

/// Rows per row group of a segment: a run reads an entry's row groups, not the whole
/// segment, and writing a year's two segments at once held two frames of this many
/// rows each with their encoding (131,072 rows: about 40 MB a segment, the peak of a
/// year's first run).
const SEGMENT_ROWS: usize = 1 << 15;
/// Rows decoded at a time when an entry's rows are read back.
const DECODED_ROWS: usize = 1 << 18;

/// A file's reading as its segment's index keeps it. What a file most often lacks (its
/// findings, targets, statuses) is left out when empty: a year's indexes are parsed by
/// every run over its folder, a segment a twentieth of a second.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    #[serde(with = "outcome_fields")]
    outcome: Box<FileOutcome>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    targets: Vec<Target>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<ReportedStatus>,
    /// The districts and periods its rows are of (each once, with its number of rows),
    /// so that whether another file shares one is known without decoding its rows. Empty
    /// from older versions: such a file's rows are always decoded.
    #[serde(default)]
    links: Vec<(String, chrono::NaiveDate, usize)>,
}

/// A file's outcome as the cache keeps it: its fields in order, without their names (a
/// fifth of the indexes' bytes), and without when the file was received (each run sets
/// that anew, from the receipts log or the file's time).
mod outcome_fields {
    use crate::table::FileOutcome;

    type Fields = (String, String, u64, String, String, String, Option<String>, Option<String>, usize, usize, usize, usize, String, String);

    #[allow(clippy::borrowed_box)] // as serde hands the field over
    pub fn serialize<S: serde::Serializer>(outcome: &Box<FileOutcome>, s: S) -> Result<S::Ok, S::Error> {
        // Every field named: one added to the outcome is a compile error here until kept.
        let FileOutcome { path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title, received: _, received_from: _ } = &**outcome;
        serde::Serialize::serialize(&(path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title), s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<FileOutcome>, D::Error> {
        let (path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title): Fields = serde::Deserialize::deserialize(d)?;
        Ok(Box::new(FileOutcome { path, sha256, bytes, status, how, layout, district_code, period, rows_accepted, rows_totals, rows_rejected, observations, note, title, received: None, received_from: String::new() }))
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Index {
    /// SHA-256 of the observations file written with this index, checked when the
    /// segment is first decoded in a run: observations that do not match are [`Damaged`]
    /// (the cache is set aside and the run done again).
    observations_sha256: String,
    /// The observations file's size: a file of another size is not used (checked when
    /// the index is loaded, without reading the file; most runs decode few segments).
    #[serde(default)]
    observations_bytes: u64,
    /// SHA-256 of the salt of the run that wrote it: another build or configuration
    /// would find none of its keys, so its observations are not loaded at all.
    #[serde(default)]
    salt_sha256: String,
    /// The texts the observations' text columns number (from 0): a JSON list of strings,
    /// kept as written until the segment is decoded (a weekly run over a year decodes
    /// none of the year's segments, and each holds some 14,000 texts).
    texts: Box<serde_json::value::RawValue>,
    entries: Vec<Entry>,
}

/// The observations' columns holding numbers into [`Index::texts`].
const TEXT_COLUMNS: [&str; 8] = ["province_code", "district_code", "area_code", "unit", "group", "source", "sheet", "cell"];

/// A part of the cache found damaged or changed once the run relied on it (a segment
/// decoded, a period's sums read): the run is done again without it ([`crate::run_with`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Damaged(pub String);

/// Numbers texts in the order first seen, by their interned ids (small numbers, one per
/// distinct text of the run: a list indexed by them, no hashing for millions of rows).
#[derive(Default)]
struct Numbering {
    /// By interned id: the text's number plus one (0: not numbered yet).
    of: Vec<u32>,
    texts: Vec<&'static str>,
}

impl Numbering {
    fn number(&mut self, s: Sym) -> u32 {
        if s.id() >= self.of.len() {
            self.of.resize(s.id() + 1, 0);
        }
        match self.of[s.id()] {
            0 => {
                self.texts.push(s.as_str());
                self.of[s.id()] = self.texts.len() as u32;
                self.texts.len() as u32 - 1
            }
            n => n - 1,
        }
    }
}

/// A frame of observations with their texts numbered.
fn numbered_frame(rows: &[(u32, &Observation)], numbering: &mut Numbering) -> PolarsResult<DataFrame> {
    // Numbers straight into plain lists (a null of area or unit as 0, marked in `present`):
    // lists of options were twice the bytes and copied again into the columns.
    let mut numbers: [Vec<u32>; 8] = std::array::from_fn(|_| Vec::with_capacity(rows.len()));
    let mut present: [Vec<bool>; 2] = std::array::from_fn(|_| Vec::with_capacity(rows.len()));
    // A group's text, interned once per group rather than once per row.
    let mut group_texts: Vec<(Group, Sym)> = Vec::new();
    let mut group_text = |g: Group| match group_texts.iter().find(|(x, _)| *x == g) {
        Some((_, s)) => *s,
        None => {
            let s = Sym::new(g.code());
            group_texts.push((g, s));
            s
        }
    };
    for (_, o) in rows {
        // In the columns' order, so that texts are numbered in the order first seen.
        let [province, district, area, unit, group, source, sheet, cell] = &mut numbers;
        province.push(numbering.number(o.province_code));
        district.push(numbering.number(o.district_code));
        for ((column, present), text) in [area, unit].into_iter().zip(&mut present).zip([o.area_code, o.unit]) {
            column.push(text.map_or(0, |s| numbering.number(s)));
            present.push(text.is_some());
        }
        group.push(numbering.number(group_text(o.group)));
        for (column, text) in [source, sheet, cell].into_iter().zip([o.source, o.sheet, o.cell]) {
            column.push(numbering.number(text));
        }
    }
    let mut columns: Vec<Column> = vec![
        Int32Chunked::from_vec("period".into(), rows.iter().map(|(_, o)| crate::table::days_of(o.period)).collect()).into_series().into(),
        Column::new("dose".into(), rows.iter().map(|(_, o)| o.dose as i32).collect::<Vec<i32>>()),
        Column::new("vaccinated".into(), rows.iter().map(|(_, o)| o.vaccinated).collect::<Vec<i64>>()),
        Column::new(ENTRY.into(), rows.iter().map(|(e, _)| *e).collect::<Vec<u32>>()),
    ];
    // Only area and unit may have nulls; a column without any has no validity mask.
    let [area_present, unit_present] = &present;
    let validity: [Option<&Vec<bool>>; 8] = [None, None, Some(area_present), Some(unit_present), None, None, None, None];
    for ((name, values), validity) in TEXT_COLUMNS.iter().zip(numbers).zip(validity) {
        let column = match validity.filter(|p| p.contains(&false)) {
            Some(present) => UInt32Chunked::from_iter_options((*name).into(), values.into_iter().zip(present).map(|(n, p)| p.then_some(n))),
            None => UInt32Chunked::from_vec((*name).into(), values),
        };
        columns.push(column.into_series().into());
    }
    DataFrame::new(rows.len(), columns)
}

/// Observations in the cache's own encoding: a frame of numbers (their texts numbered)
/// and the list of the texts. For other state kept between runs (the checks' carry).
pub(crate) fn encode(obs: &[&Observation]) -> PolarsResult<(DataFrame, Vec<String>)> {
    let rows: Vec<(u32, &Observation)> = obs.iter().map(|o| (0, *o)).collect();
    let mut numbering = Numbering::default();
    let df = numbered_frame(&rows, &mut numbering)?;
    Ok((df, numbering.texts.into_iter().map(String::from).collect()))
}

/// The observations of [`encode`]; `None` when the frame is not one.
pub(crate) fn decode(df: &DataFrame, texts: &[String]) -> Option<Vec<Observation>> {
    let mut out = Vec::with_capacity(df.height());
    observations_of(df, &Texts::of(texts), |_, o| {
        out.push(o);
        Some(())
    })?;
    Some(out)
}

/// Hands each observation of a numbered frame to `add` with its entry; `None` when a
/// number is out of range or a column is missing. Read chunk by chunk (a Parquet file's
/// row groups) as plain slices: a year's cache is millions of rows, and reading them
/// value by value through polars' iterators was most of a weekly run's loading.
fn observations_of(df: &DataFrame, texts: &Texts, mut add: impl FnMut(u32, Observation) -> Option<()>) -> Option<()> {
    let Texts { syms, groups } = texts;
    let mut dates = crate::table::Dates::default();
    // Columns cut alike, so that a chunk of one is the same rows as of the others.
    let mut df = df.clone();
    df.align_chunks();
    let numbers = |name: &str| df.column(name).ok().and_then(|c| c.u32().ok());
    let [province, district, area, unit, group, source, sheet, cell] = TEXT_COLUMNS.map(numbers);
    let (group, text_columns) = (group?, [province, district, area, unit, source, sheet, cell]);
    let (period, dose, vaccinated, entry) = (df.column("period").ok()?.i32().ok()?, df.column("dose").ok()?.i32().ok()?, df.column("vaccinated").ok()?.i64().ok()?, numbers(ENTRY)?);
    // These (and the group) are never null as written: a null means the segment is not ours.
    if period.null_count() + dose.null_count() + vaccinated.null_count() + entry.null_count() + group.null_count() > 0 {
        return None;
    }
    // Each text column's texts for the rows of a chunk (`None`: a null), decoded a column
    // at a time: a tight loop per column rather than eight look-ups per row.
    let mut decoded: [Vec<Option<Sym>>; 7] = Default::default();
    for chunk in 0..df.first_col_n_chunks() {
        let (period, dose, vaccinated, entry) = (period.downcast_get(chunk)?.values(), dose.downcast_get(chunk)?.values(), vaccinated.downcast_get(chunk)?.values(), entry.downcast_get(chunk)?.values());
        let rows = entry.len();
        if period.len() < rows || dose.len() < rows || vaccinated.len() < rows {
            return None;
        }
        for (column, out) in text_columns.iter().zip(decoded.iter_mut()) {
            let array = column.as_ref()?.downcast_get(chunk)?;
            let numbers = array.values().get(..rows)?;
            out.clear();
            out.reserve(rows);
            match array.validity() {
                None => {
                    for &n in numbers.iter() {
                        out.push(Some(*syms.get(n as usize)?));
                    }
                }
                Some(set) => {
                    for (r, &n) in numbers.iter().enumerate() {
                        out.push(if set.get_bit(r) { Some(*syms.get(n as usize)?) } else { None });
                    }
                }
            }
        }
        let [province, district, area, unit, source, sheet, cell] = &decoded;
        let group = group.downcast_get(chunk)?.values().get(..rows)?;
        for r in 0..rows {
            let days = period[r];
            let o = Observation {
                period: (days >= 0).then(|| dates.of(days))?,
                province_code: province[r]?,
                district_code: district[r]?,
                area_code: area[r],
                unit: unit[r],
                group: (*groups.get(group[r] as usize)?)?,
                dose: u8::try_from(dose[r]).ok()?,
                vaccinated: vaccinated[r],
                source: source[r]?,
                sheet: sheet[r]?,
                cell: cell[r]?,
            };
            add(entry[r], o)?;
        }
    }
    Some(())
}

/// A numbered frame's texts as the rows take them: interned, and as groups.
struct Texts {
    syms: Vec<Sym>,
    groups: Vec<Option<Group>>,
}

impl Texts {
    fn of(texts: &[String]) -> Texts {
        Texts { syms: texts.iter().map(Sym::from).collect(), groups: texts.iter().map(|t| Group::from_code(t)).collect() }
    }

    /// [`Texts::of`] a segment's list as written; none when it is not a list of texts
    /// (the rows then number texts beyond it, and the segment is found damaged).
    fn of_written(texts: &serde_json::value::RawValue) -> Texts {
        Texts::of(&serde_json::from_str::<Vec<String>>(texts.get()).unwrap_or_default())
    }
}

/// The segments a save leaves as they are (by number).
pub struct Kept(std::collections::HashSet<u64>);

/// Where a cached file's rows are. They are decoded only when a stage needs them
/// ([`Cache::decode`]): a weekly run over a year's folder needs the new week's, and
/// decoding the year's 6 million was its longest step.
#[derive(Clone, Debug)]
pub struct Stored {
    segment: u64,
    entry: u32,
    /// The districts and periods of its rows, each once with its number of rows; empty
    /// when not known (and once [`crate::pending::Pending`] has taken them).
    pub links: Vec<Link>,
}

impl Stored {
    /// Its segment and its place there.
    pub fn place(&self) -> (u64, u32) {
        (self.segment, self.entry)
    }
}

/// A segment found usable: its number, its entries' keys (in order), the hash of its
/// observations and the texts they number.
struct Segment {
    number: u64,
    keys: Vec<String>,
    /// Where each entry's rows begin in the observations file (in entry order, the last
    /// being the number of rows), from the entries' links.
    starts: Vec<usize>,
    observations_sha256: String,
    texts: Box<serde_json::value::RawValue>,
    /// The texts prepared for decoding, once per run (a segment's are tens of thousands,
    /// and a report on an earlier week decodes each segment a dozen times).
    prepared: std::sync::OnceLock<Texts>,
    /// The observations file as it was when its hash was found right, so that decoding
    /// it again in the same run reads it without hashing it again.
    verified: Mutex<Option<FileId>>,
}

/// What tells that a file was not replaced or written: its size, time and inode.
#[derive(Clone, Copy, PartialEq, Debug)]
struct FileId {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        FileId {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: meta.ino(),
        }
    }
}

/// The cache of one run: the entries found on disk, taken as files are read.
pub struct Cache {
    dir: PathBuf,
    /// SHA-256 of what is common to every key of this run (version, build, and the
    /// configuration that affects reading): a key hashes this, not the configuration
    /// itself (kilobytes of vocabulary) once per file.
    salt_sha256: String,
    /// Each entry without its rows (they stay in the segment until needed).
    /// Keyed by SHA-256 in hex: hashed with Fx, not SipHash (a year's 26,000 looked up).
    entries: Mutex<rustc_hash::FxHashMap<String, (FileTable, Stored)>>,
    segments: Vec<Segment>,
    /// The files' stamps and content hashes, to find an entry without reading the file.
    pub known: KnownFiles,
    /// The keys of the files that settling leaves as read when no other file shares a
    /// district and period with them (`SETTLED_ALONE`).
    pub settled_alone: rustc_hash::FxHashSet<String>,
}

/// The folders of the cache that runs write beside its segments: each period's
/// attainment ([`crate::attain_cache`]), the districts' sums ([`crate::period_sums`]) and
/// the checks' state ([`crate::checks_state`]).
pub const ATTAINMENT: &str = "attainment";
pub const SUMS: &str = "sums";
pub const CHECKS: &str = "checks";

/// Whether this run can write the cache in `dir`: a file made and removed in it and in
/// each of its folders (made if missing). A cache that cannot be written (a colleague's
/// read-only folder, a file where a folder should be) would stop the run at its first
/// write, after reading, with no report.
pub fn writable(dir: &Path) -> std::io::Result<()> {
    for sub in ["", ATTAINMENT, SUMS, CHECKS] {
        let d = dir.join(sub);
        let named = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", d.display()));
        std::fs::create_dir_all(&d).map_err(named)?;
        tempfile::NamedTempFile::new_in(&d).map_err(named)?;
    }
    Ok(())
}

/// The keys of files that settling on their own changes nothing of (no figure given
/// twice, no district at two levels), as the last run found them: such a file, sharing
/// no district and period with another, is settled as it was read, so its rows need
/// not be decoded to settle the run. A line per key after the header and the salt.
const SETTLED_ALONE: &str = "settled-alone.txt";
const SETTLED_ALONE_HEADER: &str = "sitrep settled alone 1";

/// A segment, with its files' tables (rows not decoded) and where each one's rows are.
type SegmentIndex = (Segment, Vec<(String, FileTable, Stored)>);

impl Cache {
    /// Loads the segments' indexes in `dir` (an empty cache when there are none or none
    /// can be used); their rows are decoded when asked for.
    pub fn load(dir: &Path, config: &serde_json::Value) -> Cache {
        // The build, so a rebuilt sitrep does not reuse what an older one read.
        let build = crate::build_stamp();
        let reading = serde_json::json!([config.get("limits"), config.get("vocabulary"), config.get("aliases")]);
        let salt = format!("{build}\n{reading}");
        let salt_sha256 = sha256_hex(salt.as_bytes());
        let mut numbers: Vec<u64> = Self::files(dir).into_iter().filter(|(name, _)| name.ends_with(".json")).map(|(_, n)| n).collect();
        numbers.sort_unstable();
        // The files the cache saw, and those settled alone, are read beside the segments'
        // indexes; the entries are gathered as they come (a year's are 26,000).
        let ((segments, entries), (known, settled_alone)) = rayon::join(
            || {
                let read = crate::par_map_bounded(&numbers, |&n| Ok(Self::read(dir, n, &salt_sha256))).unwrap_or_default();
                let mut entries = rustc_hash::FxHashMap::with_capacity_and_hasher(read.iter().flatten().map(|(_, tables)| tables.len()).sum(), Default::default());
                let mut segments = Vec::new();
                for (segment, tables) in read.into_iter().flatten() {
                    segments.push(segment);
                    entries.extend(tables.into_iter().map(|(k, t, s)| (k, (t, s))));
                }
                (segments, entries)
            },
            || (KnownFiles::load(dir, &salt_sha256), Self::read_settled_alone(dir, &salt_sha256)),
        );
        Cache { dir: dir.to_path_buf(), salt_sha256, entries: Mutex::new(entries), segments, known, settled_alone }
    }

    /// The keys [`SETTLED_ALONE`] holds, when written under this salt.
    fn read_settled_alone(dir: &Path, salt_sha256: &str) -> rustc_hash::FxHashSet<String> {
        std::fs::read_to_string(dir.join(SETTLED_ALONE))
            .ok()
            .and_then(|text| {
                let mut lines = text.lines();
                (lines.next() == Some(SETTLED_ALONE_HEADER) && lines.next() == Some(salt_sha256)).then(|| lines.map(String::from).collect())
            })
            .unwrap_or_default()
    }

    /// The segments' files in `dir`, by name, with their segment's number.
    fn files(dir: &Path) -> Vec<(String, u64)> {
        let Ok(listing) = std::fs::read_dir(dir) else { return Vec::new() };
        listing.flatten().filter_map(|e| e.file_name().to_str().and_then(|name| Some((name.to_string(), segment_number(name)?)))).collect()
    }

    /// A segment's index, when it is this build's and its observations file is there at
    /// the size it was written. The file's hash is checked when its rows are first decoded
    /// ([`Cache::decode_segment`]): hashed here too, a weekly run over a year hashed the
    /// year's 28 MB for the few segments it decodes.
    fn read(dir: &Path, number: u64, salt_sha256: &str) -> Option<SegmentIndex> {
        let (observations, index) = segment_files(number);
        let index: Index = serde_json::from_slice(&crate::sealed::read(&dir.join(index))?).ok()?;
        if index.salt_sha256 != salt_sha256 {
            return None;
        }
        if std::fs::metadata(dir.join(observations)).ok()?.len() != index.observations_bytes {
            return None;
        }
        Some(Self::opened(number, index, None))
    }

    /// A segment's index taken apart: the segment as decoding needs it, and each entry's
    /// key, table (rows not decoded) and where its rows are. `verified`: its observations
    /// file, when its hash is known to be right (just written).
    fn opened(number: u64, index: Index, verified: Option<FileId>) -> SegmentIndex {
        let Index { observations_sha256, texts, entries, .. } = index;
        let mut keys = Vec::with_capacity(entries.len());
        let mut starts = vec![0];
        let tables = entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                starts.push(starts[starts.len() - 1] + e.links.iter().map(|(_, _, n)| n).sum::<usize>());
                keys.push(e.key.clone());
                let links = e.links.iter().map(|(d, p, n)| (Sym::new(d), *p, *n)).collect();
                (e.key, FileTable { observations: Vec::new(), outcome: e.outcome, targets: e.targets, statuses: e.statuses, findings: e.findings }, Stored { segment: number, entry: i as u32, links })
            })
            .collect();
        (Segment { number, keys, starts, observations_sha256, texts, prepared: Default::default(), verified: Mutex::new(verified) }, tables)
    }

    /// The rows of the `wanted` entries, in their order: each segment holding some is
    /// read once (in parallel), and only their rows are decoded. An error when a
    /// segment changed since the run loaded its index.
    pub fn decode(&self, wanted: &[&Stored]) -> Result<Vec<Vec<Observation>>> {
        let mut by_segment: std::collections::BTreeMap<u64, HashMap<u32, usize>> = Default::default();
        for (i, s) in wanted.iter().enumerate() {
            by_segment.entry(s.segment).or_default().insert(s.entry, i);
        }
        let parts: Vec<(u64, HashMap<u32, usize>)> = by_segment.into_iter().collect();
        let decoded = crate::par_map_bounded(&parts, |(number, slots)| {
            let segment = self.segments.iter().find(|s| s.number == *number).ok_or_else(|| anyhow::anyhow!("no segment {number}"))?;
            self.decode_segment(segment, slots).ok_or_else(|| Damaged(format!("the cache's segment {} in {} is damaged or was changed", number, self.dir.display())).into())
        })?;
        let mut out: Vec<Vec<Observation>> = wanted.iter().map(|_| Vec::new()).collect();
        for found in decoded {
            for (slot, rows) in found {
                out[slot] = rows;
            }
        }
        Ok(out)
    }

    /// The rows of a segment's entries in `slots` (entry → slot), with their slots.
    fn decode_segment(&self, segment: &Segment, slots: &HashMap<u32, usize>) -> Option<Vec<(usize, Vec<Observation>)>> {
        let (observations, _) = segment_files(segment.number);
        // The file whole (its hash is checked the first time in a run; after, the same
        // file, by size, time and inode, is not hashed again), let go of once its rows
        // are read.
        let read = || -> Option<crate::mapped::Bytes> {
            let file = std::fs::File::open(self.dir.join(&observations)).ok()?;
            let id = FileId::of(&file.metadata().ok()?);
            let bytes = crate::mapped::of_open(&file, id.len).ok()?;
            if bytes.len() as u64 != id.len {
                return None;
            }
            let mut verified = segment.verified.lock().unwrap_or_else(|e| e.into_inner());
            if *verified != Some(id) {
                if sha256_hex(&bytes) != segment.observations_sha256 {
                    return None;
                }
                *verified = Some(id);
            }
            Some(bytes)
        };
        // Only the rows from the first wanted entry's to the last one's are read (a week of
        // a segment holding half a year: the whole segment was 3 million rows, 150 MB
        // decoded for the moment), and of them only the wanted entries' are decoded.
        // Entries `from..to` as rows: where they begin, and how many.
        let rows_of = |from: usize, to: usize| segment.starts.get(from).zip(segment.starts.get(to)).map(|(a, b)| (*a, b.saturating_sub(*a)));
        // One entry's number of rows, as its links count them.
        let rows_in = |entry: usize| rows_of(entry, entry + 1).map(|(_, n)| n);
        let (first, last) = (*slots.keys().min()? as usize, *slots.keys().max()? as usize);
        let entries = segment.keys.len();
        let mut wanted = vec![false; entries];
        for e in slots.keys() {
            *wanted.get_mut(*e as usize)? = true;
        }
        let texts = segment.prepared.get_or_init(|| Texts::of_written(&segment.texts));
        // Each entry's rows, by entry number (only the wanted ones filled).
        let found = |range: Option<(usize, usize)>| -> Option<Vec<Vec<Observation>>> {
            let bytes = read()?;
            // Each wanted entry's list made to its size from the links (grown by doubling,
            // a list held up to twice its rows until the run ends).
            let mut found: Vec<Vec<Observation>> = (0..entries).map(|e| if wanted[e] { Vec::with_capacity(rows_in(e).unwrap_or(0)) } else { Vec::new() }).collect();
            // Decoded a piece at a time: a whole segment at once (a report on an earlier
            // week needs every week) was a frame of 3 million rows, two segments at once,
            // beside the lists being filled.
            let pieces: Vec<Option<(usize, usize)>> = match range {
                Some((start, len)) => (start / DECODED_ROWS..(start + len).div_ceil(DECODED_ROWS))
                    .map(|piece| {
                        let (from, to) = ((piece * DECODED_ROWS).max(start), ((piece + 1) * DECODED_ROWS).min(start + len));
                        Some((from, to - from))
                    })
                    .collect(),
                None => vec![None],
            };
            // The file's metadata parsed once for all its pieces.
            let mut metadata = None;
            for piece in pieces {
                let mut reader = ParquetReader::new(std::io::Cursor::new(&bytes[..]));
                match &metadata {
                    Some(m) => reader.set_metadata(std::sync::Arc::clone(m)),
                    None => metadata = Some(std::sync::Arc::clone(reader.get_metadata().ok()?)),
                }
                let mut df = reader.with_slice(piece).finish().ok()?;
                if slots.len() < entries {
                    let mask: BooleanChunked = df.column(ENTRY).ok()?.u32().ok()?.iter().map(|e| e.is_some_and(|e| wanted.get(e as usize).copied().unwrap_or(false))).collect();
                    df = df.filter(&mask).ok()?;
                }
                observations_of(&df, texts, |entry, o| {
                    found.get_mut(entry as usize)?.push(o);
                    Some(())
                })?;
            }
            Some(found)
        };
        // Each wanted entry with all its rows, as its links count them; else the whole
        // file is read again (not seen: the links count the rows as written).
        let whole = |f: &Vec<Vec<Observation>>| slots.keys().all(|e| Some(f[*e as usize].len()) == rows_in(*e as usize));
        let mut found = found(rows_of(first, last + 1)).filter(whole).or_else(|| found(None))?;
        // Sized by the links, which the whole file's reading does not trust.
        let mut take = |entry: &u32| table::fitted(std::mem::take(&mut found[*entry as usize]));
        Some(slots.iter().map(|(entry, slot)| (*slot, take(entry))).collect())
    }

    /// Keeps, for the next run, the keys of the files that settling left as read while no
    /// other file shared a district and period with them. Written whole each run: keys
    /// of files gone drop out.
    pub fn save_settled_alone<'k>(&self, keys: impl Iterator<Item = &'k str>) -> Result<()> {
        let mut text = format!("{SETTLED_ALONE_HEADER}\n{}\n", self.salt_sha256);
        for k in keys {
            text.push_str(k);
            text.push('\n');
        }
        write_atomic(&self.dir, SETTLED_ALONE, text.as_bytes())?;
        Ok(())
    }

    /// The key of a file's content as read under `path` (as shown).
    pub fn key(&self, content_sha256: &str, shown_path: &str) -> String {
        sha256_hex(format!("{}\n{content_sha256}\n{shown_path}", self.salt_sha256).as_bytes())
    }

    /// The cached reading of a file, if any, without its rows (each entry is handed out
    /// once): they are where [`Stored`] says.
    pub fn take(&self, key: &str) -> Option<(FileTable, Stored)> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key)
    }

    /// About how many of `paths` this run reads afresh: those the cache does not know by
    /// their path, or more when it has fewer entries than files (another build's cache
    /// has none).
    pub fn to_read_afresh(&self, paths: &[PathBuf]) -> usize {
        let unknown = paths.iter().filter(|p| p.to_str().is_none_or(|shown| !self.known.knows(shown))).count();
        // Before reading, no entry is taken: those left over are all of them.
        unknown.max(paths.len().saturating_sub(self.left_over()))
    }

    /// How many entries no file of this run has taken.
    pub fn left_over(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Bringing the cache up to date with the files of this run (all of them, as read,
    /// before resubmissions and overlaps are settled), the first half: the segments whose
    /// files were all taken stay; what this run read afresh, and the files of the other
    /// segments, go into a new segment ([`Cache::write`]). Given the run's files' keys,
    /// returns which of them (their places) go into it, and the segments that stay.
    pub fn to_write(&self, keys: &[&str]) -> (Vec<usize>, Kept) {
        let left_over: std::collections::HashSet<String> = self.entries.lock().map(|e| e.keys().cloned().collect()).unwrap_or_default();
        let fold_all = self.segments.len() >= SEGMENTS_MAX;
        let kept: Vec<&Segment> = self.segments.iter().filter(|s| !fold_all && !s.keys.iter().any(|k| left_over.contains(k))).collect();
        let in_kept: rustc_hash::FxHashSet<&str> = kept.iter().flat_map(|s| s.keys.iter().map(String::as_str)).collect();
        let new = keys.iter().enumerate().filter(|(_, k)| !in_kept.contains(**k)).map(|(i, _)| i).collect();
        (new, Kept(kept.iter().map(|s| s.number).collect()))
    }

    /// Writes `new` (as [`Cache::to_write`] gave them) as new segments beside the `kept`
    /// ones, and removes the others.
    pub fn write(&self, new: &[(String, &FileTable)], kept: Kept) -> Result<()> {
        let Kept(mut keep) = kept;
        let on_disk = Self::files(&self.dir);
        if !new.is_empty() {
            let first = on_disk.iter().map(|(_, n)| n + 1).max().unwrap_or(0);
            // A large reading (a year read afresh) is written as one segment per thread,
            // in parallel: one segment of a year took 1.5 s.
            let observations: usize = new.iter().map(|(_, f)| f.observations.len()).sum();
            let parts = if observations > SEGMENT_SPLIT { rayon::current_num_threads().max(1) } else { 1 };
            let per_part = observations.div_ceil(parts).max(1);
            let mut segments: Vec<(u64, &[(String, &FileTable)])> = Vec::new();
            let (mut start, mut rows) = (0, 0);
            for (i, (_, f)) in new.iter().enumerate() {
                rows += f.observations.len();
                if rows >= per_part || i + 1 == new.len() {
                    segments.push((first + segments.len() as u64, &new[start..=i]));
                    (start, rows) = (i + 1, 0);
                }
            }
            crate::par_map_bounded(&segments, |(number, files)| self.write_segment(*number, files).map(drop))?;
            keep.extend(segments.iter().map(|(n, _)| *n));
        }
        // Folded, stale or half-written segments: their files go (a failure to remove
        // one only leaves a file the next run ignores).
        for (name, number) in on_disk {
            if !keep.contains(&number) {
                std::fs::remove_file(self.dir.join(name)).ok();
            }
        }
        for name in UNSEGMENTED {
            std::fs::remove_file(self.dir.join(name)).ok();
        }
        Ok(())
    }

    /// The number of the next segment written while the run reads ([`Cache::write_spilled`]):
    /// after those on disk and those loaded.
    pub fn next_number(&self) -> u64 {
        Self::files(&self.dir).iter().map(|(_, n)| n + 1).chain(self.segments.iter().map(|s| s.number + 1)).max().unwrap_or(0)
    }

    /// Writes `files` as segment `number` while the run is still reading: a year read
    /// afresh is written a part at a time and its rows let go of (a year's rows held until
    /// the end of reading were most of its peak). [`Cache::add_spilled`] then takes it as
    /// a segment found on disk.
    pub fn write_spilled(&self, number: u64, files: &[(String, FileTable)]) -> Result<Spilled> {
        let (segment, stored) = self.write_segment(number, &files.iter().map(|(k, f)| (k.clone(), f)).collect::<Vec<_>>())?;
        Ok(Spilled { segment, stored })
    }

    /// Takes a segment written while reading as one found on disk; returns where each of
    /// its files' rows are, in order.
    pub fn add_spilled(&mut self, spilled: Spilled) -> Vec<Stored> {
        self.segments.push(spilled.segment);
        spilled.stored
    }

    /// Writes one segment: its observations first, then the index naming their hash
    /// (a run killed between the two leaves a segment that is not used). Returns the
    /// segment as [`Cache::load`] would find it, with where each file's rows are.
    fn write_segment(&self, number: u64, files: &[(String, &FileTable)]) -> Result<(Segment, Vec<Stored>)> {
        let (observations, index_file) = segment_files(number);
        // The observations in frames of at most SEGMENT_ROWS rows, each with its entry's
        // place in the index (not its 64-character key), streamed to the file.
        let numbering = std::cell::RefCell::new(Numbering::default());
        let numbers = &numbering;
        let frames = || {
            let rows = files.iter().enumerate().flat_map(|(i, (_, f))| f.observations.iter().map(move |o| (i as u32, o)));
            table::in_groups(rows, SEGMENT_ROWS).map(|part| numbered_frame(&part, &mut numbers.borrow_mut()))
        };
        let written = write_atomic_with(&self.dir, &observations, &|w| parquet_batches(frames(), ParquetCompression::Uncompressed, w))?;
        let index = Index {
            observations_sha256: written.sha256,
            observations_bytes: written.bytes,
            salt_sha256: self.salt_sha256.clone(),
            texts: serde_json::value::to_raw_value(&numbering.into_inner().texts)?,
            entries: files
                .iter()
                .map(|(key, f)| Entry {
                    key: key.clone(),
                    outcome: f.outcome.clone(),
                    findings: f.findings.clone(),
                    targets: f.targets.clone(),
                    statuses: f.statuses.clone(),
                    links: links_of(&f.observations).into_iter().map(|(d, p, n)| (d.as_str().to_string(), p, n)).collect(),
                })
                .collect(),
        };
        // Streamed to the file: a year's index as one text was 10 MB more for the moment.
        crate::sealed::write_with(&self.dir, &index_file, &|w| Ok(serde_json::to_writer(w, &index)?))?;
        // Its hash is the one just written: decoding it in this run does not hash it again.
        let written = std::fs::metadata(self.dir.join(&observations)).ok().map(|m| FileId::of(&m));
        let (segment, tables) = Self::opened(number, index, written);
        Ok((segment, tables.into_iter().map(|(_, _, stored)| stored).collect()))
    }
}

/// A segment written while the run reads, not yet taken into the cache.
pub struct Spilled {
    segment: Segment,
    stored: Vec<Stored>,
}

/// A district and period a file has rows of, with how many.
pub type Link = (Sym, chrono::NaiveDate, usize);

/// The districts and periods of `rows`, each once in the order first seen, with their
/// numbers of rows.
pub fn links_of(rows: &[Observation]) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    let mut place: rustc_hash::FxHashMap<(Sym, chrono::NaiveDate), usize> = Default::default();
    let mut last: Option<((Sym, chrono::NaiveDate), usize)> = None;
    for o in rows {
        // A file's rows mostly share their district and period: looked up once per run.
        let link = (o.district_code, o.period);
        let at = match last {
            Some((l, at)) if l == link => at,
            _ => *place.entry(link).or_insert_with(|| {
                links.push((link.0, link.1, 0));
                links.len() - 1
            }),
        };
        links[at].2 += 1;
        last = Some((link, at));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_segment_files_are_the_caches_to_remove() {
        assert_eq!(segment_number("segment-7.json"), Some(7));
        assert_eq!(segment_number("segment-12.parquet"), Some(12));
        assert_eq!(segment_number("segment-x.json"), None);
        assert_eq!(segment_number("segment-7.json.tmp"), None);
        assert_eq!(segment_number("CACHEDIR.TAG"), None);
        assert_eq!(segment_files(3), ("segment-3.parquet".to_string(), "segment-3.json".to_string()));
    }

    /// `n` rows of one district over three weeks.
    fn rows(district: &str, n: usize) -> Vec<Observation> {
        let week = |i: usize| chrono::NaiveDate::from_ymd_opt(2022, 1, 8).unwrap() + chrono::Days::new(7 * (i % 3) as u64);
        (0..n)
            .map(|i| Observation {
                period: week(i),
                province_code: "15".into(),
                district_code: district.into(),
                area_code: Some(format!("{district}.{:02}", i % 40).as_str().into()),
                unit: None,
                group: Group::Lansia,
                dose: (i % 3 + 1) as u8,
                vaccinated: i as i64,
                source: format!("{district}.xlsx").as_str().into(),
                sheet: "Rekap".into(),
                cell: format!("C{}", i % 500).as_str().into(),
            })
            .collect()
    }

    /// Whichever entries a run asks for, each comes back with its rows as written and a
    /// list no larger than its rows: an entry spanning many row groups (decoded in two
    /// pieces), entries either side of it, and the whole file read again when
    /// the index miscounts an entry's rows.
    #[test]
    fn entries_decode_to_their_rows_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let config = serde_json::json!({});
        let files: Vec<(String, FileTable)> =
            [("15.01", 1), ("15.02", DECODED_ROWS + 3 * SEGMENT_ROWS + 7), ("15.03", 10), ("15.04", 3)].map(|(d, n)| (format!("key-{d}"), FileTable { observations: rows(d, n), ..Default::default() })).into();
        let cache = Cache::load(dir.path(), &config);
        let (_, kept) = cache.to_write(&files.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
        cache.write(&files.iter().map(|(k, f)| (k.clone(), f)).collect::<Vec<_>>(), kept).unwrap();
        let decoded = |cache: &Cache, wanted: &[usize]| {
            let taken: Vec<(FileTable, Stored)> = files.iter().map(|(k, _)| cache.take(k).expect("an entry for every file")).collect();
            let got = cache.decode(&wanted.iter().map(|i| &taken[*i].1).collect::<Vec<_>>()).unwrap();
            for (i, rows) in wanted.iter().zip(&got) {
                assert!(*rows == files[*i].1.observations, "entry {i} of {wanted:?}");
                assert_eq!(rows.capacity(), rows.len(), "entry {i} of {wanted:?}");
            }
        };
        for wanted in [vec![0], vec![1], vec![2], vec![0, 2], vec![2, 3], vec![3, 0], vec![0, 1, 2, 3]] {
            decoded(&Cache::load(dir.path(), &config), &wanted);
        }
        // One entry's rows miscounted by one in the index (as written, sealed): the ranges
        // are wrong, and the whole file is read.
        let index_path = dir.path().join(segment_files(0).1);
        let mut index: serde_json::Value = serde_json::from_slice(&crate::sealed::read(&index_path).unwrap()).unwrap();
        let count = &mut index["entries"][0]["links"][0][2];
        *count = (count.as_u64().unwrap() + 1).into();
        crate::sealed::write(dir.path(), &segment_files(0).1, &serde_json::to_vec(&index).unwrap()).unwrap();
        for wanted in [vec![2], vec![1, 3], vec![0, 1, 2, 3]] {
            decoded(&Cache::load(dir.path(), &config), &wanted);
        }
    }

    /// A run is told how many of its files the cache will not have: those it does not
    /// know by path, and all of them when its entries are another build's.
    #[test]
    fn the_files_to_read_afresh_are_those_the_cache_does_not_know() {
        let dir = tempfile::tempdir().unwrap();
        let config = serde_json::json!({});
        let paths: Vec<PathBuf> = ["a.csv", "b.csv", "c.csv"].iter().map(|n| dir.path().join(n)).collect();
        for p in &paths {
            std::fs::write(p, "x").unwrap();
            std::fs::File::options().write(true).open(p).unwrap().set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60)).unwrap();
        }
        let cache_dir = dir.path().join("cache");
        let cache = Cache::load(&cache_dir, &config);
        assert_eq!(cache.to_read_afresh(&paths), 3, "an empty cache");
        let files: Vec<(String, FileTable)> = ["a", "b"].map(|k| (k.to_string(), FileTable { observations: rows("15.01", 2), ..Default::default() })).into();
        let (_, kept) = cache.to_write(&files.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
        cache.write(&files.iter().map(|(k, f)| (k.clone(), f)).collect::<Vec<_>>(), kept).unwrap();
        for (p, (key, _)) in paths.iter().zip(&files) {
            let stamp = crate::known_files::Statted::of(std::fs::metadata(p)).unwrap().settled(std::time::SystemTime::now()).unwrap();
            cache.known.saw(p.display().to_string(), stamp, "sha".into(), key.clone());
        }
        cache.known.save().unwrap();
        assert_eq!(Cache::load(&cache_dir, &config).to_read_afresh(&paths), 1);
        // Another configuration: the files are known, but none of the entries is this run's.
        assert_eq!(Cache::load(&cache_dir, &serde_json::json!({"limits": 1})).to_read_afresh(&paths), 3);
    }
}
