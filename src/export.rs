//! Export: the canonical table, the attainment table and the findings as Parquet and
//! CSV, and a manifest tying every output to its inputs by SHA-256. Every file is
//! written atomically (temporary file in the same folder, then rename).

use rayon::prelude::*;
use crate::findings::Finding;
use crate::sym::Sym;
use crate::table::{self, FileOutcome, Observations};
use crate::write_behind::WriteBehind;
use anyhow::{Context, Result};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub mod xlsx;
pub(crate) mod inputs_json;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An output written so far: where, and its hash for the manifest (empty for the
/// manifest itself).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Output {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Writes `bytes` to `root/rel` atomically: a run killed half-way leaves the old file.
/// The output is recorded by its path relative to `root`, so manifests of identical
/// runs into different folders are identical.
pub fn write_atomic(root: &Path, rel: &str, bytes: &[u8]) -> Result<Output> {
    write_atomic_with(root, rel, &|w| Ok(w.write_all(bytes)?))
}

/// [`write_atomic`] for an output written piece by piece (the large tables are streamed
/// to their file rather than built in memory first); hashed as it is written.
pub fn write_atomic_with(root: &Path, rel: &str, write: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<()>) -> Result<Output> {
    write_atomic_hashed(root, rel, Some(Sha256::new()), write)
}

/// [`write_atomic_with`] for the files nothing lists by their hash: the manifest (a
/// year's is 14 MB: hashing it was 10 ms of every weekly run's CPU), and the cache's
/// sealed files ([`crate::sealed`]: their seal is their check). Its `sha256` is empty.
pub(crate) fn write_atomic_unlisted(root: &Path, rel: &str, write: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<()>) -> Result<Output> {
    write_atomic_hashed(root, rel, None, write)
}

fn write_atomic_hashed(root: &Path, rel: &str, hash: Option<Sha256>, write: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<()>) -> Result<Output> {
    let path = &root.join(rel);
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    // No fsync: the rename already protects against a killed run, and syncing every
    // PDF of a national run costs seconds on slow disks.
    let mut out = Hashing { inner: std::io::BufWriter::with_capacity(1 << 16, WriteBehind::new(tmp)), hash, bytes: 0 };
    write(&mut out)?;
    let Hashing { inner, hash, bytes } = out;
    let tmp = inner.into_inner().map_err(|e| e.into_error())?.into_inner();
    let file = tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    // Reports are handed around: readable by others, like any file the user saves.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644)).ok();
    }
    Ok(Output { path: rel.to_string(), sha256: hash.map(|h| hex::encode(h.finalize())).unwrap_or_default(), bytes })
}

/// [`write_atomic`] of a value as JSON (pretty when `pretty`), streamed to the file: a
/// year's manifest and run record are 13–17 MB, which were made whole in memory first.
pub fn write_json(root: &Path, rel: &str, value: &(impl serde::Serialize + Sync), pretty: bool) -> Result<Output> {
    write_atomic_with(root, rel, &|w| {
        // Serde writes a field at a time: gathered before they are hashed and written.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
        if pretty {
            serde_json::to_writer_pretty(&mut w, value)?;
        } else {
            serde_json::to_writer(&mut w, value)?;
        }
        Ok(std::io::Write::flush(&mut w)?)
    })
}

/// JSON laid out a record per line: the top object's keys, and the items of its lists
/// and objects, each on a line of their own; anything deeper (a record's fields) written
/// compact on its record's line. For the manifest, whose 26,000 inputs (a year's) were
/// 16 lines each, pretty-printed: a third of its bytes was indentation, and each record
/// on one line reads as well and is found with grep.
struct RecordPerLine {
    /// Lists and objects open.
    depth: usize,
    /// Whether the innermost list or object laid out pretty has an item yet.
    has_value: bool,
}

impl RecordPerLine {
    /// Levels laid out pretty: the top object and the lists or objects it holds.
    const PRETTY: usize = 2;

    /// For a value written at `depth` (0: the top object; 1: one of its values).
    fn at(depth: usize) -> RecordPerLine {
        RecordPerLine { depth, has_value: false }
    }

    /// A new line indented to the depth, as serde_json's pretty printer indents.
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.depth < Self::PRETTY && self.has_value {
            self.line(w)?;
        }
        w.write_all(bracket)
    }

    /// Before an item: a list's value or an object's key.
    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= Self::PRETTY {
            self.line(w)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for RecordPerLine {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.depth <= Self::PRETTY { b": " } else { b":" })
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The manifest's top object, a field at a time, laid out as [`RecordPerLine`] lays it
/// out: a field's value written by serde_json at its depth, or by hand after [`TopObject::key`]
/// (the inputs, [`inputs_json`]).
struct TopObject<'w> {
    w: &'w mut dyn std::io::Write,
    fields: usize,
}

impl<'w> TopObject<'w> {
    fn new(w: &'w mut dyn std::io::Write) -> TopObject<'w> {
        TopObject { w, fields: 0 }
    }

    /// A field's name on a line of its own, then what its value needs before it.
    fn key(&mut self, name: &str) -> std::io::Result<()> {
        self.w.write_all(if self.fields == 0 { b"{\n  \"" } else { b",\n  \"" })?;
        self.fields += 1;
        self.w.write_all(name.as_bytes())?;
        self.w.write_all(b"\": ")
    }

    fn field(&mut self, name: &str, value: &(impl serde::Serialize + ?Sized)) -> Result<()> {
        self.key(name)?;
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut *self.w, RecordPerLine::at(1)))?;
        Ok(())
    }

    fn end(self) -> std::io::Result<()> {
        self.w.write_all(if self.fields == 0 { b"{}" } else { b"\n}" })
    }
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W: std::io::Write> {
    inner: W,
    /// None: counted, not hashed ([`write_atomic_unlisted`]).
    hash: Option<Sha256>,
    bytes: u64,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(h) = &mut self.hash {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn neutralised_frame(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut cols = Vec::with_capacity(df.width());
    let formula_like = |s: &str| matches!(neutralise(s), std::borrow::Cow::Owned(_));
    for c in df.columns() {
        // Only a column holding formula-like text is rebuilt (codes and cells never do).
        if c.dtype() == &DataType::String && c.str()?.iter().any(|v| v.is_some_and(formula_like)) {
            let ca = c.str()?;
            let fixed: StringChunked = ca.iter().map(|v| v.map(neutralise)).collect();
            cols.push(fixed.with_name(c.name().clone()).into_series().into());
        } else {
            cols.push(c.clone());
        }
    }
    DataFrame::new(df.height(), cols)
}

/// Writes an output made whole in memory (the small ones).
fn whole(w: &mut dyn std::io::Write, bytes: Result<Vec<u8>>) -> Result<()> {
    Ok(w.write_all(&bytes?)?)
}

/// Rows per row group of a period's Parquet file in the export (a national week is
/// 123,000 rows).
const PART_ROWS: usize = 1 << 15;

/// Writes frames of one schema as one Parquet file, a row group per frame, so that only
/// a frame at a time is held. What the cache keeps is written uncompressed (read back on
/// every run, never handed out: compressing a year's segments took a quarter of their
/// writing for a quarter of the bytes).
pub(crate) fn parquet_batches(mut frames: impl Iterator<Item = PolarsResult<DataFrame>>, compression: ParquetCompression, w: &mut dyn std::io::Write) -> Result<()> {
    let Some(first) = frames.next() else { return Ok(()) };
    let first = first?;
    let mut writer = ParquetWriter::new(w).with_compression(compression).batched(first.schema())?;
    writer.write_batch(&first)?;
    for df in frames {
        writer.write_batch(&df?)?;
    }
    writer.finish()?;
    Ok(())
}

/// The canonical table, one Parquet file per period: a folder every engine reads as one
/// table (`export/observations/*.parquet`).
const OBSERVATIONS_DIR: &str = "export/observations";
/// The canonical table, one CSV per period: a week opens in a spreadsheet (a year in one
/// CSV did not, at a gigabyte).
const OBSERVATIONS_CSV_DIR: &str = "export/observations_csv";

/// One period's files of the canonical table or of the attainment table, as the
/// manifest records them. A run whose period has the same fingerprint as the previous
/// run's (and whose files are still there) leaves them as they are: a weekly run over a
/// year writes a week.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub period: chrono::NaiveDate,
    pub rows: usize,
    /// The canonical table: the period's key from its files, or the SHA-256 of the build
    /// and of every field of every row, in order ([`Period`]). Attainment: the period's
    /// key in the cache ([`crate::attain_cache`]), or without the cache its CSV's SHA-256.
    pub fingerprint: String,
    pub parquet: Output,
    pub csv: Output,
}

/// What a period's files are made from: the build writing them and their rows.
pub(crate) fn fingerprint<'a>(build: &str, rows: impl IntoIterator<Item = &'a table::Observation>) -> String {
    let mut hash = Sha256::new();
    hash.update(build.as_bytes());
    hash.update(b"rows, a text like the previous row's as one marker");
    let mut row = Vec::with_capacity(256);
    let mut previous: [Option<Sym>; 7] = [None; 7];
    for o in rows {
        row.clear();
        row.extend_from_slice(&chrono::Datelike::num_days_from_ce(&o.period).to_le_bytes());
        let texts = [Some(o.province_code), Some(o.district_code), o.area_code, o.unit, Some(o.source), Some(o.sheet), Some(o.cell)];
        for (t, before) in texts.into_iter().zip(&mut previous) {
            // Length-prefixed, so that no two rows' fields run together the same way; a
            // text equal to the one above (a file's name, its district: most are) is a
            // marker, which reads back as that text. A quarter of the bytes to hash.
            match t {
                Some(t) if Some(t) == *before => row.extend_from_slice(&(u32::MAX - 1).to_le_bytes()),
                Some(t) => {
                    row.extend_from_slice(&(t.len() as u32).to_le_bytes());
                    row.extend_from_slice(t.as_bytes());
                }
                None => row.extend_from_slice(&u32::MAX.to_le_bytes()),
            }
            *before = t;
        }
        row.extend_from_slice(o.group.code().as_bytes());
        row.push(0xff);
        row.push(o.dose);
        row.extend_from_slice(&o.vaccinated.to_le_bytes());
        hash.update(&row);
    }
    hex::encode(hash.finalize())
}

/// Whether a file written before is still there at the size it was written: a
/// partition whose rows are unchanged is only kept when it is (a file damaged or
/// deleted by hand is written again).
pub(crate) fn still_there(root: &Path, rel: &str, bytes: u64) -> bool {
    std::fs::metadata(root.join(rel)).is_ok_and(|m| m.len() == bytes)
}

/// The partitions the previous run into a folder recorded in its manifest (none when
/// there is no readable manifest).
#[derive(Default, serde::Deserialize)]
pub struct PreviousPartitions {
    #[serde(default, rename = "observation_partitions")]
    pub observations: Vec<Partition>,
    #[serde(default, rename = "attainment_partitions")]
    pub attainment: Vec<Partition>,
}

impl PreviousPartitions {
    /// Read once for the canonical table and the attainment table: the rest of a year's
    /// manifest (26,000 inputs) is skipped over, not built as JSON values.
    pub fn read(root: &Path) -> PreviousPartitions {
        Self::of_manifest(&root.join("export/manifest.json"))
    }

    /// The partitions `manifest` records (none when it is not a readable manifest).
    pub fn of_manifest(manifest: &Path) -> PreviousPartitions {
        if let Some(found) = Self::from_ends(manifest) {
            return found;
        }
        let Ok(bytes) = std::fs::read(manifest) else { return PreviousPartitions::default() };
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    /// The two lists read from the manifest's first and last [`MANIFEST_ENDS`] bytes, when
    /// it is laid out as [`write()`] lays it out (the attainment's partitions its first key,
    /// the canonical table's after the inputs): a year's manifest is 17 MB, nearly all of
    /// it the inputs, and reading it whole was 25–35 ms of a weekly run. `None` for a
    /// smaller manifest, or one laid out otherwise: it is read whole.
    fn from_ends(manifest: &Path) -> Option<PreviousPartitions> {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(manifest).ok()?;
        if file.metadata().ok()?.len() <= 2 * MANIFEST_ENDS as u64 {
            return None;
        }
        let mut head = vec![0; MANIFEST_ENDS];
        file.read_exact(&mut head).ok()?;
        let mut tail = vec![0; MANIFEST_ENDS];
        file.seek(std::io::SeekFrom::End(-(MANIFEST_ENDS as i64))).ok()?;
        file.read_exact(&mut tail).ok()?;
        Some(PreviousPartitions { attainment: top_level_list(&head, "attainment_partitions")?, observations: top_level_list(&tail, "observation_partitions")? })
    }
}

/// The manifest's bytes read from each end for its partitions ([`PreviousPartitions`]):
/// a year's lists are 22 KB each, and the outputs listed after them 45 KB.
const MANIFEST_ENDS: usize = 1 << 20;

/// The list that `key`, a key of the outermost object of JSON laid out pretty at its
/// top (as [`RecordPerLine`] and serde_json's pretty printer do), holds in
/// `bytes` (a part of the file). Such a key is the only text at the start of a line
/// after two spaces (JSON strings hold no line breaks; inner keys are indented more).
fn top_level_list<T: serde::de::DeserializeOwned>(bytes: &[u8], key: &str) -> Option<Vec<T>> {
    let line = format!("\n  \"{key}\": ");
    let at = memchr::memmem::find(bytes, line.as_bytes())? + line.len();
    serde::Deserialize::deserialize(&mut serde_json::Deserializer::from_slice(&bytes[at..])).ok()
}

/// One period of the canonical table: its rows, in the table's order, and their
/// fingerprint.
pub struct Period<'a> {
    pub period: chrono::NaiveDate,
    /// Its rows, as runs of the files' lists in the table's order; none while they are
    /// still in the cache ([`Period::in_cache`]).
    runs: Vec<&'a [table::Observation]>,
    /// How many rows it has.
    pub count: usize,
    /// Its rows are still in the cache: [`Periods::map_rows`] decodes them.
    pub in_cache: bool,
    /// The period's key from its files ([`crate::period_keys`]) when the run has one,
    /// else the SHA-256 of the build and of every field of every row.
    pub fingerprint: String,
}

impl<'a> Period<'a> {
    /// The rows of a batch of periods as runs of the files' lists, in order: those held,
    /// or those decoded from the cache for each.
    fn lists<'b>(batch: &'b [(&'b Period<'a>, Observations)]) -> Vec<&'b [table::Observation]> {
        batch.iter().flat_map(|(p, d)| if p.in_cache { d.files().collect::<Vec<_>>() } else { p.runs.clone() }).collect()
    }

    /// Its rows: those held, or those `decoded` from the cache for it.
    pub fn rows_with<'b>(&'b self, decoded: &'b Observations) -> Vec<&'b table::Observation>
    where
        'a: 'b,
    {
        if self.in_cache {
            decoded.iter().collect()
        } else {
            self.runs.iter().flat_map(|run| run.iter()).collect()
        }
    }
}

/// What must see every period's rows in the periods' order (the checks, each batch
/// carried on from the ones before), a batch of periods at a time ([`Periods::map_rows`]).
pub trait InOrder: Sync {
    /// Takes the rows of a batch of periods up to `last` (runs of the files' lists), after
    /// the batches before it.
    fn add_batch(&self, last: chrono::NaiveDate, rows: &[&[table::Observation]]);
}

/// The canonical table cut by period, each part fingerprinted once: what the export, the
/// archive and the cached district sums compare with what they wrote before.
pub struct Periods<'a> {
    parts: Vec<Period<'a>>,
    /// The periods whose rows are still in the cache.
    unread: Option<&'a crate::pending::Unread<'a>>,
}

impl<'a> Periods<'a> {
    /// `keys`: the periods' keys from their files, when the run has them; a period
    /// without one has its rows fingerprinted. `unread`: the periods whose rows are still
    /// in the cache (they have keys).
    pub fn new(obs: &'a Observations, keys: Option<&std::collections::BTreeMap<chrono::NaiveDate, String>>, unread: Option<&'a crate::pending::Unread<'a>>) -> Periods<'a> {
        let build = crate::build_stamp();
        let parts: Vec<(chrono::NaiveDate, Vec<&[table::Observation]>)> = table::runs_by(obs.files(), |o| o.period).into_iter().collect();
        let named = |period: &chrono::NaiveDate| keys.and_then(|k| k.get(period)).cloned();
        let mut parts: Vec<Period> = parts
            .into_par_iter()
            .map(|(period, runs)| Period {
                period,
                fingerprint: named(&period).unwrap_or_else(|| fingerprint(&build, runs.iter().flat_map(|run| run.iter()))),
                count: runs.iter().map(|run| run.len()).sum(),
                in_cache: false,
                runs,
            })
            .collect();
        for (period, count) in unread.iter().flat_map(|u| u.periods()) {
            if let Some(fingerprint) = named(&period) {
                parts.push(Period { period, runs: Vec::new(), count, in_cache: true, fingerprint });
            }
        }
        parts.sort_by_key(|p| p.period);
        Periods { parts, unread }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Period<'a>> {
        self.parts.iter()
    }

    /// `f` of each of `which` with its rows, in `which`'s order. The rows still in the
    /// cache are decoded a few periods at a time (`DECODED_AT_ONCE` rows) and let go of
    /// before the next: all of a year's at once, in each of the three stages that write
    /// per period side by side, was a gigabyte. `in_order` is handed each batch as well,
    /// beside `f`: for what must see the periods in order ([`InOrder`]).
    pub fn map_rows<R: Send>(&self, which: &[&Period], f: impl Fn(&Period, &[&table::Observation]) -> Result<R> + Sync, in_order: Option<&dyn InOrder>) -> Result<Vec<R>> {
        let mut out = Vec::with_capacity(which.len());
        for batch in decode_batches(which, DECODED_AT_ONCE) {
            let decoded: Vec<(&Period, Observations)> = batch.iter().copied().zip(self.decode(batch)?).collect();
            // Each period's list of its rows made as it is taken (a year's at once were 51 MB).
            let (mapped, ()) = rayon::join(
                || crate::par_map_bounded(&decoded, |(p, d)| f(p, &p.rows_with(d))),
                || {
                    if let (Some(g), Some((last, _))) = (in_order, decoded.last()) {
                        g.add_batch(last.period, &Period::lists(&decoded));
                    }
                },
            );
            out.extend(mapped?);
        }
        Ok(out)
    }

    /// Whether some periods' rows are still in the cache.
    pub fn any_in_cache(&self) -> bool {
        self.parts.iter().any(|p| p.in_cache)
    }

    /// The rows of those of `which` still in the cache, decoded together; none for the
    /// others.
    fn decode(&self, which: &[&Period]) -> Result<Vec<Observations>> {
        let in_cache: Vec<chrono::NaiveDate> = which.iter().filter(|p| p.in_cache).map(|p| p.period).collect();
        let mut decoded = match (self.unread, in_cache.is_empty()) {
            (Some(u), false) => u.decode(&in_cache)?.into_iter(),
            _ => Vec::new().into_iter(),
        };
        Ok(which.iter().map(|p| if p.in_cache { decoded.next().unwrap_or_default() } else { Observations::default() }).collect())
    }
}

/// Rows of the cache decoded at once by [`Periods::map_rows`] (at most; a period with more
/// is decoded alone): 23 MB, each segment read once per batch.
const DECODED_AT_ONCE: usize = 1 << 19;

/// `which` cut, in order, into runs whose rows still in the cache add up to at most
/// `at_once` (each run at least one period).
fn decode_batches<'p, 'a>(which: &'p [&'p Period<'a>], at_once: usize) -> Vec<&'p [&'p Period<'a>]> {
    let mut batches = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, p) in which.iter().enumerate() {
        let n = if p.in_cache { p.count } else { 0 };
        if n > 0 && i > start && rows + n > at_once {
            batches.push(&which[start..i]);
            (start, rows) = (i, 0);
        }
        rows += n;
    }
    if start < which.len() {
        batches.push(&which[start..]);
    }
    batches
}

/// The canonical table under `export/observations/` and `export/observations_csv/` of
/// `d`, one Parquet file and one CSV per period, written in parallel; a period whose rows
/// did not change since the previous run is not written again. Files of periods no
/// longer in the table are removed. Needs nothing but the table, so a run writes it
/// while it computes and renders the rest; [`write()`] lists it in the manifest.
/// `before`: what the previous run into `d` wrote ([`PreviousPartitions`]).
/// `also`: what else is made from periods' rows (the districts' sums, the archive's
/// partitions), each handed the rows of the periods it needs as they are decoded for the
/// table (and of those periods decoded for them alone): a year's rows from the cache are
/// decoded once for all. `in_order`: what must see every period in order (the checks,
/// when they check every period), handed each batch of periods beside the table.
pub fn canonical_table(d: &Path, periods: &Periods, before: &[Partition], also: &[&dyn FromRows], in_order: Option<&dyn InOrder>) -> Result<Vec<Partition>> {
    let same = |part: &Period| unchanged(d, before, part.period, &part.fingerprint);
    let reused: Vec<Option<&Partition>> = periods.iter().map(same).collect();
    // The periods to write, or to hand on, with the rows of those still in the cache.
    let needed: Vec<&Period> = periods.iter().zip(&reused).filter(|(p, r)| in_order.is_some() || r.is_none() || also.iter().any(|a| a.needs(p))).map(|(p, _)| p).collect();
    let kept: std::collections::BTreeSet<chrono::NaiveDate> = periods.iter().zip(&reused).filter(|(_, r)| r.is_some()).map(|(p, _)| p.period).collect();
    let write = |part: &Period, rows: &[&table::Observation]| -> Result<Option<Partition>> {
        for a in also {
            a.add(part, rows)?;
        }
        if kept.contains(&part.period) {
            return Ok(None);
        }
        let period = part.period;
        let (parquet, csv) = rayon::join(
            // In row groups of PART_ROWS: a period's frame whole was 20 MB, two periods
            // written at once beside the sums and the checks (a year's peak).
            || write_atomic_with(d, &format!("{OBSERVATIONS_DIR}/{period}.parquet"), &|w| crate::table_parquet::write(rows, &[], PART_ROWS, ParquetCompression::default(), w)),
            || write_atomic_with(d, &format!("{OBSERVATIONS_CSV_DIR}/{period}.csv"), &|w| observations_csv(rows, w)),
        );
        Ok(Some(Partition { period, rows: rows.len(), fingerprint: part.fingerprint.clone(), parquet: parquet?, csv: csv? }))
    };
    let mut written = periods.map_rows(&needed, write, in_order)?.into_iter().flatten();
    let partitions: Vec<Partition> = reused.into_iter().map(|r| r.cloned().or_else(|| written.next())).collect::<Option<_>>().context("a period's partition was not written")?;
    // What an earlier run left: other periods, and the single files of older versions.
    remove_other_partitions(d, &partitions, [OBSERVATIONS_DIR, OBSERVATIONS_CSV_DIR], ["export/observations.parquet", "export/observations.csv"]);
    Ok(partitions)
}

/// What is made from a period's rows beside the canonical table, in the table's pass
/// over them ([`canonical_table`]); what no pass handed over, [`FromRows::add_the_rest`]
/// makes.
pub trait FromRows: Sync {
    /// Whether period `p`'s rows are still wanted.
    fn needs(&self, p: &Period) -> bool;
    /// Takes period `p`'s rows, if still wanted.
    fn add(&self, p: &Period, rows: &[&table::Observation]) -> Result<()>;
    /// Takes the rows of the periods still wanted (those still in the cache decoded a
    /// batch at a time).
    fn add_the_rest(&self, periods: &Periods) -> Result<()> {
        let left: Vec<&Period> = periods.iter().filter(|p| self.needs(p)).collect();
        periods.map_rows(&left, |p, rows| self.add(p, rows), None)?;
        Ok(())
    }
}

/// The partition of `period` the previous run wrote (`before`), when its fingerprint is
/// `fingerprint` and its files are still there.
fn unchanged<'b>(d: &Path, before: &'b [Partition], period: chrono::NaiveDate, fingerprint: &str) -> Option<&'b Partition> {
    before.iter().find(|p| p.period == period).filter(|p| p.fingerprint == fingerprint && still_there(d, &p.parquet.path, p.parquet.bytes) && still_there(d, &p.csv.path, p.csv.bytes))
}

/// Removes the files of partitions other than `partitions` from `dirs` of `d`, and
/// the single files older versions wrote instead (`old`).
fn remove_other_partitions(d: &Path, partitions: &[Partition], dirs: [&str; 2], old: [&str; 2]) {
    let current: std::collections::HashSet<std::path::PathBuf> = partitions.iter().flat_map(|p| [d.join(&p.parquet.path), d.join(&p.csv.path)]).collect();
    for dir in dirs {
        remove_files_except(&d.join(dir), |path| current.contains(path));
    }
    for old in old {
        std::fs::remove_file(d.join(old)).ok();
    }
}

/// Removes the files directly in `dir` that `keep` does not want (a missing folder has
/// none); folders in it are left alone.
pub(crate) fn remove_files_except(dir: &Path, keep: impl Fn(&Path) -> bool) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_file()) && !keep(&e.path()) {
            std::fs::remove_file(e.path()).ok();
        }
    }
}

/// The columns of the canonical table, as [`table::observations_frame`] names them.
const OBSERVATION_COLUMNS: [&str; 11] = ["period", "province_code", "district_code", "area_code", "unit", "group", "dose", "vaccinated", "source", "sheet", "cell"];

/// Rows of the canonical table as CSV, written straight from the observations: the same
/// bytes as polars' CSV of their frame with formula-like text neutralised ([`csv_to`]; a
/// test holds the two together), without building the frame's text columns first
/// (polars' writer was two thirds of the time a year's table took to export).
fn observations_csv(rows: &[&table::Observation], w: &mut dyn std::io::Write) -> Result<()> {
    /// A text field as polars writes it: quoted when it holds a separator, a quote or a
    /// line break (quotes doubled); an empty text as `""`, unlike a missing one.
    fn field(line: &mut Vec<u8>, s: Option<&str>) {
        let Some(s) = s.map(neutralise) else { return };
        if s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            line.push(b'"');
            for b in s.bytes() {
                if b == b'"' {
                    line.push(b'"');
                }
                line.push(b);
            }
            line.push(b'"');
        } else {
            line.extend_from_slice(s.as_bytes());
        }
    }
    /// A column's last text and its field as written: most rows repeat the row above's
    /// file, sheet and codes, which are then copied instead of checked byte by byte.
    #[derive(Default)]
    struct Last(Option<(Sym, Vec<u8>)>);
    impl Last {
        fn field(&mut self, line: &mut Vec<u8>, s: Option<Sym>) {
            let Some(s) = s else { return };
            match &mut self.0 {
                Some((last, bytes)) if *last == s => line.extend_from_slice(bytes),
                _ => {
                    let mut bytes = Vec::new();
                    field(&mut bytes, Some(&s));
                    line.extend_from_slice(&bytes);
                    self.0 = Some((s, bytes));
                }
            }
        }
    }
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    out.extend_from_slice(OBSERVATION_COLUMNS.join(",").as_bytes());
    out.push(b'\n');
    let mut period: Option<(chrono::NaiveDate, String)> = None;
    let mut last: [Last; 6] = Default::default();
    let mut numbers = itoa::Buffer::new();
    for o in rows {
        // A partition is one period: its text is made once.
        if period.as_ref().is_none_or(|(p, _)| *p != o.period) {
            period = Some((o.period, o.period.format("%Y-%m-%d").to_string()));
        }
        if let Some((_, text)) = &period {
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b',');
        let [province, district, area, unit, source, sheet] = &mut last;
        for (t, last) in [(Some(o.province_code), &mut *province), (Some(o.district_code), district), (o.area_code, area), (o.unit, unit)] {
            last.field(&mut out, t);
            out.push(b',');
        }
        field(&mut out, Some(o.group.code()));
        // Numbers by `itoa` (a year is millions of rows; `write!` is slower).
        out.push(b',');
        out.extend_from_slice(numbers.format(o.dose).as_bytes());
        out.push(b',');
        out.extend_from_slice(numbers.format(o.vaccinated).as_bytes());
        out.push(b',');
        source.field(&mut out, Some(o.source));
        out.push(b',');
        sheet.field(&mut out, Some(o.sheet));
        out.push(b',');
        field(&mut out, Some(&o.cell));
        out.push(b'\n');
        // Handed on in pieces of about a megabyte.
        if out.len() >= 1 << 20 {
            w.write_all(&out)?;
            out.clear();
        }
    }
    w.write_all(&out)?;
    Ok(())
}

pub(crate) fn csv_to(df: &DataFrame, w: &mut dyn std::io::Write) -> Result<()> {
    let mut df = neutralised_frame(df)?;
    CsvWriter::new(w).include_header(true).finish(&mut df)?;
    Ok(())
}

/// [`csv_to`] without the header: a part of a CSV whose rows are split by period.
pub(crate) fn csv_body_to(df: &DataFrame, w: &mut dyn std::io::Write) -> Result<()> {
    let mut df = neutralised_frame(df)?;
    CsvWriter::new(w).include_header(false).finish(&mut df)?;
    Ok(())
}

/// Copies the content of the cache's sealed file at `path` ([`crate::sealed`]) to `w`:
/// a file found damaged is [`crate::cache::Damaged`], and the run is done again without
/// the cache.
fn copy_sealed(path: &Path, w: &mut dyn std::io::Write) -> Result<()> {
    let content = crate::sealed::read(path).ok_or_else(|| crate::cache::Damaged(format!("{} is damaged or gone", path.display())))?;
    w.write_all(&content)?;
    Ok(())
}

/// A period's attainment as Parquet, in one chunk (one row group): the same bytes
/// whether made from a period's rows alone or cut from several periods' frame, so that
/// the export's file of a period can be copied from the cache's.
pub(crate) fn period_parquet(df: &DataFrame, w: &mut dyn std::io::Write) -> Result<()> {
    let mut df = df.clone();
    df.rechunk_mut();
    ParquetWriter::new(w).finish(&mut df)?;
    Ok(())
}

fn findings_csv(findings: &[Finding]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["severity", "code", "source", "sheet", "cell", "message"])?;
    for f in findings {
        w.write_record([
            f.severity.as_str(),
            f.code,
            &neutralise(&f.source),
            &neutralise(f.sheet.as_deref().unwrap_or("")),
            f.cell.as_deref().unwrap_or(""),
            &neutralise(&f.message),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `export/ppkm_gates.csv`: one row per district (then agglomeration) and period.
pub fn gates_csv(rows: &[crate::gates::GateRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "period",
        "district_code",
        "dose1_coverage",
        "lansia_dose1_coverage",
        "level_by_vaccination",
        "next_gate",
        "people_needed_dose1",
        "people_needed_lansia",
        "children_6_11_may_start",
        "agglomeration",
        "reported_ppkm_level",
        "reported_zone",
        "reported_at",
    ])?;
    // Each field formatted into one reused buffer: a year's 27,000 rows were 350,000
    // small strings made and dropped.
    let mut field = String::new();
    let mut put = |w: &mut csv::Writer<Vec<u8>>, value: Option<&dyn std::fmt::Display>| -> csv::Result<()> {
        field.clear();
        if let Some(v) = value {
            std::fmt::Write::write_fmt(&mut field, format_args!("{v}")).expect("a String takes any text");
        }
        w.write_field(&field)
    };
    fn shown<T: std::fmt::Display>(x: &Option<T>) -> Option<&dyn std::fmt::Display> {
        x.as_ref().map(|v| v as &dyn std::fmt::Display)
    }
    for r in rows {
        let reported = r.reported.as_ref();
        put(&mut w, Some(&r.period))?;
        put(&mut w, Some(&neutralise(&r.district_code)))?;
        put(&mut w, shown(&r.dose1_coverage))?;
        put(&mut w, shown(&r.lansia_dose1_coverage))?;
        put(&mut w, shown(&r.level_by_vaccination))?;
        put(&mut w, shown(&r.next_gate.map(|g| g.label())))?;
        put(&mut w, shown(&r.people_needed_dose1))?;
        put(&mut w, shown(&r.people_needed_lansia))?;
        put(&mut w, shown(&r.children_may_start))?;
        put(&mut w, Some(&r.is_agglomeration))?;
        put(&mut w, shown(&reported.and_then(|s| s.ppkm_level)))?;
        put(&mut w, shown(&reported.and_then(|s| s.zone).map(|z| z.names().0)))?;
        // The file name and sheet come from the submission.
        put(&mut w, shown(&reported.map(|s| neutralise(&s.at))))?;
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `export/changes.csv`: what changed since the previous run's export.
pub fn changes_csv(changes: &crate::changes::Changes) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["kind", "period", "district_code", "group", "dose", "before", "after", "detail"])?;
    for c in &changes.items {
        w.write_record([
            c.kind.as_str(),
            &c.period.map(|p| p.to_string()).unwrap_or_default(),
            &neutralise(&c.district_code),
            &c.group,
            &c.dose.map(|d| d.to_string()).unwrap_or_default(),
            &neutralise(&c.before),
            &neutralise(&c.after),
            &neutralise(&c.detail),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `export/app_gaps.csv`: register versus application, largest gap first.
pub fn app_gaps_csv(gaps: &[crate::appgap::AppGap]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "period", "app_period", "district_code", "group", "dose", "register_vaccinated", "app_vaccinated", "gap_people", "gap_pp", "level_by_app", "level_by_register", "closing_changes_gate",
    ])?;
    let opt = |x: Option<String>| x.unwrap_or_default();
    for g in gaps {
        w.write_record([
            g.period.to_string(),
            g.app_period.to_string(),
            neutralise(&g.district_code).into_owned(),
            g.group.clone(),
            g.dose.to_string(),
            g.register.to_string(),
            g.app.to_string(),
            g.gap_people.to_string(),
            opt(g.gap_pp.map(|p| format!("{:.2}", p * 100.0))),
            opt(g.level_by_app.map(|l| l.to_string())),
            opt(g.level_by_register.map(|l| l.to_string())),
            g.closing_changes_gate().to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

pub struct ExportInput<'a> {
    /// The run's output folder; the export goes to `export/` inside it.
    pub root: PathBuf,
    /// The canonical table's files, as [`canonical_table`] wrote them.
    pub partitions: &'a [Partition],
    pub findings: &'a [Finding],
    /// PPKM vaccination gates per district and period.
    pub gates: &'a [crate::gates::GateRow],
    /// Changes since the previous run (`export/changes.csv` only when one was given).
    pub changes: Option<&'a crate::changes::Changes>,
    /// Register versus application (`export/app_gaps.csv` only when an app export was given).
    pub app_gaps: Option<&'a [crate::appgap::AppGap]>,
    pub inputs: &'a [FileOutcome],
    pub targets_input: Option<&'a FileOutcome>,
    pub config: &'a serde_json::Value,
}

/// What the report stage hands the export: the PDFs it wrote, and the workbooks for
/// officials it wrote, one per province (`export/sitrep-<province>-<period>.xlsx`).
pub struct ReportFiles {
    pub reports: Vec<Output>,
    pub officials: Vec<Output>,
    /// What rendering each PDF cost, for `--timings`.
    pub costs: Vec<crate::timings::PdfCost>,
}

/// What the manifest says of the CSV exports' formula-like text.
const CSV_FORMULA_NEUTRALISATION: &str = "text cells starting with = + - @ tab or carriage return are prefixed with an apostrophe in CSV exports";

#[derive(serde::Serialize)]
struct Totals {
    files: usize,
    files_read: usize,
    findings: usize,
    observations: usize,
    rows_accepted: usize,
    rows_rejected: usize,
    rows_totals: usize,
}

/// The attainment table, one Parquet file and one CSV per period, as the canonical
/// table is (a year's in one CSV was 570,000 rows, rewritten whole every week).
const ATTAINMENT_DIR: &str = "export/attainment";
const ATTAINMENT_CSV_DIR: &str = "export/attainment_csv";

/// The attainment and targets tables of the export, as written.
pub struct AttainmentWritten {
    pub partitions: Vec<Partition>,
    pub targets: Output,
}

/// Writes the attainment table under `export/attainment/` and `export/attainment_csv/`
/// of `root`, a Parquet file and a CSV per period, and `export/targets.csv`. A period
/// whose key is the one the previous run recorded (`before`), its files still there, is
/// not written again; one the cache holds is copied from it; the others are made from
/// the frame. They need nothing but attainment: a run writes them while it renders the
/// reports.
pub fn write_attainment(root: &Path, attained: &crate::attain_cache::Attained, before: &[Partition], targets: &DataFrame) -> Result<AttainmentWritten> {
    let mut header = Vec::new();
    if let Some(first) = attained.periods.first() {
        csv_to(&first.frame.clear(), &mut header)?;
    }
    let write = |p: &crate::attain_cache::AttainedPeriod| -> Result<Partition> {
        if let Some(kept) = p.key.as_deref().and_then(|key| unchanged(root, before, p.period, key)) {
            return Ok(kept.clone());
        }
        let (parquet_rel, csv_rel) = (format!("{ATTAINMENT_DIR}/{}.parquet", p.period), format!("{ATTAINMENT_CSV_DIR}/{}.csv", p.period));
        let csv_with = |body: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<()>| {
            write_atomic_with(root, &csv_rel, &|w| {
                w.write_all(&header)?;
                body(w)
            })
        };
        let (parquet, csv) = match &p.stored {
            Some((parquet, csv)) => (write_atomic_with(root, &parquet_rel, &|w| copy_sealed(parquet, w))?, csv_with(&|w| copy_sealed(csv, w))?),
            None => {
                let frame = p.whole_frame()?;
                (write_atomic_with(root, &parquet_rel, &|w| period_parquet(&frame, w))?, csv_with(&|w| csv_body_to(&frame, w))?)
            }
        };
        let fingerprint = p.key.clone().unwrap_or_else(|| csv.sha256.clone());
        Ok(Partition { period: p.period, rows: p.rows, fingerprint, parquet, csv })
    };
    let partitions = crate::par_map_bounded(&attained.periods, write)?;
    remove_other_partitions(root, &partitions, [ATTAINMENT_DIR, ATTAINMENT_CSV_DIR], ["export/attainment.parquet", "export/attainment.csv"]);
    let targets = write_atomic_with(root, "export/targets.csv", &|w| csv_to(targets, w))?;
    Ok(AttainmentWritten { partitions, targets })
}

/// The export's files of `--previous` and `--app`, written only when given.
const CHANGES_CSV: &str = "export/changes.csv";
const APP_GAPS_CSV: &str = "export/app_gaps.csv";

/// Writes the rest of the archival export while `reports` makes the reports, and
/// returns the reports' PDFs and the export's outputs, manifest last. What needs nothing
/// from the reports (the findings, the gates, changes and app gaps, and the manifest up
/// to its inputs) is written beside them: a year's manifest lists 26,728 inputs, which
/// were the last tenth of a second of a weekly run, on one core, once the reports were
/// made. `attainment` gives the attainment tables as written (being written meanwhile).
pub fn write(input: &ExportInput, attainment: impl FnOnce() -> Result<AttainmentWritten> + Send, reports: impl FnOnce() -> Result<ReportFiles> + Send) -> Result<(Vec<Output>, Vec<Output>)> {
    let d = input.root.as_path();
    // Each file is made and written on its own (in parallel), listed in this order, the
    // officials' workbooks (written by the report stage) last.
    type Make<'a> = Box<dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<()> + Send + Sync + 'a>;
    let mut jobs: Vec<(String, Make)> = vec![
        ("export/findings.csv".into(), Box::new(|w| whole(w, findings_csv(input.findings)))),
        ("export/ppkm_gates.csv".into(), Box::new(|w| whole(w, gates_csv(input.gates)))),
    ];
    if let Some(c) = input.changes {
        jobs.push((CHANGES_CSV.into(), Box::new(move |w| whole(w, changes_csv(c)))));
    }
    if let Some(g) = input.app_gaps {
        jobs.push((APP_GAPS_CSV.into(), Box::new(move |w| whole(w, app_gaps_csv(g)))));
    }
    // What an earlier run into the same folder wrote of an option not given this time
    // (`--previous`, `--app`) goes: last week's changes.csv beside this week's export,
    // listed by no manifest, would be read as this week's.
    for (name, made) in [(CHANGES_CSV, input.changes.is_some()), (APP_GAPS_CSV, input.app_gaps.is_some())] {
        if !made {
            std::fs::remove_file(d.join(name)).ok();
        }
    }
    // The canonical table (the largest outputs) listed first, then the attainment table.
    let partitions = input.partitions;
    let table_outputs: Vec<Output> = partitions.iter().flat_map(|p| [p.parquet.clone(), p.csv.clone()]).collect();
    let totals = Totals {
        files: input.inputs.len(),
        files_read: input.inputs.iter().filter(|f| f.status == "ok").count(),
        findings: input.findings.len(),
        observations: partitions.iter().map(|p| p.rows).sum::<usize>(),
        rows_accepted: input.inputs.iter().map(|f| f.rows_accepted).sum::<usize>(),
        rows_rejected: input.inputs.iter().map(|f| f.rows_rejected).sum::<usize>(),
        rows_totals: input.inputs.iter().map(|f| f.rows_totals).sum::<usize>(),
    };
    // `export/manifest.json`: what went in and what came out, with their SHA-256, written
    // straight from the run's records, its own keys in alphabetical order and the
    // records' fields in the order they are declared: its fields up to the canonical
    // table's partitions while the reports are made, the outputs once every file is
    // written and hashed. A file that fails leaves no manifest.
    std::thread::scope(|scope| {
        // The reports' PDFs and the files written, for the manifest's outputs. Made here,
        // so that a failure or a panic before it is sent drops the sender and the
        // manifest's thread, waiting on it, ends.
        let (made_tx, made_rx) = std::sync::mpsc::channel::<(Vec<Output>, Vec<Output>)>();
        let (table_outputs, totals) = (&table_outputs, &totals);
        let manifest = scope.spawn(move || -> Result<(Vec<Output>, Output)> {
            let attainment = attainment()?;
            let attainment_outputs: Vec<Output> = attainment.partitions.iter().flat_map(|p| [p.parquet.clone(), p.csv.clone()]).chain([attainment.targets.clone()]).collect();
            let manifest = write_atomic_unlisted(d, "export/manifest.json", &|w| {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
                // Its keys in alphabetical order.
                let mut m = TopObject::new(&mut w);
                m.field("attainment_partitions", &attainment.partitions)?;
                m.field("configuration", input.config)?;
                m.field("csv_formula_neutralisation", CSV_FORMULA_NEUTRALISATION)?;
                m.key("inputs")?;
                inputs_json::write(m.w, input.inputs)?;
                m.field("observation_partitions", partitions)?;
                let (reports, made) = made_rx.recv().context("the export's files were not all written")?;
                let all_outputs: Vec<&Output> = reports.iter().chain(table_outputs).chain(&attainment_outputs).chain(&made).collect();
                m.field("outputs", &all_outputs)?;
                m.field("sitrep_version", env!("CARGO_PKG_VERSION"))?;
                m.field("targets", &input.targets_input)?;
                m.field("totals", totals)?;
                m.end()?;
                Ok(std::io::Write::flush(&mut w)?)
            })?;
            Ok((attainment_outputs, manifest))
        });
        let (reports, made) = rayon::join(reports, || jobs.par_iter().map(|(name, make)| write_atomic_with(d, name, make.as_ref())).collect::<Result<Vec<Output>>>());
        let ReportFiles { reports, officials, .. } = reports?;
        let mut made = made?;
        made.extend(officials);
        made_tx.send((reports.clone(), made.clone())).ok();
        let (attainment_outputs, manifest) = manifest.join().unwrap_or_else(|_| Err(anyhow::anyhow!("writing the manifest stopped")))?;
        let mut outputs = table_outputs.clone();
        outputs.extend(attainment_outputs);
        outputs.extend(made);
        outputs.push(manifest);
        Ok((reports, outputs))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::vocab::Group;
    use crate::table::{Observation, Observations};

    /// The manifest's top object written a field at a time gives the bytes of the whole
    /// serialized at once, whatever its values (lists empty or not, objects, texts, null).
    #[test]
    fn the_top_object_a_field_at_a_time_is_laid_out_as_the_whole() {
        let value = serde_json::json!({"a_list": [{"path": "a.csv", "n": [1, 2]}, {"path": "b\"c"}], "b_empty": [], "c_object": {"files": 2, "inner": {"x": []}}, "d_text": "v1", "e_none": null, "f_number": 7});
        let mut whole = Vec::new();
        serde::Serialize::serialize(&value, &mut serde_json::Serializer::with_formatter(&mut whole, RecordPerLine::at(0))).unwrap();
        let mut by_field = Vec::new();
        let mut m = TopObject::new(&mut by_field);
        for (name, v) in value.as_object().unwrap() {
            m.field(name, v).unwrap();
        }
        m.end().unwrap();
        assert_eq!(String::from_utf8(by_field).unwrap(), String::from_utf8(whole).unwrap());
        let mut empty = Vec::new();
        TopObject::new(&mut empty).end().unwrap();
        assert_eq!(empty, serde_json::to_vec(&serde_json::json!({})).unwrap());
    }

    /// The manifest's layout: its keys and their lists' items a line each, records on
    /// one line, and the same value as pretty JSON when read back.
    #[test]
    fn the_manifest_is_laid_out_a_record_per_line() {
        let value = serde_json::json!({"inputs": [{"path": "a.csv", "checks": {"skip": [], "n": 1}}, {"path": "b.csv"}], "none": [], "totals": {"files": 2}, "version": "1"});
        let mut bytes = Vec::new();
        serde::Serialize::serialize(&value, &mut serde_json::Serializer::with_formatter(&mut bytes, RecordPerLine::at(0))).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let expected = "{\n  \"inputs\": [\n    {\"checks\":{\"n\":1,\"skip\":[]},\"path\":\"a.csv\"},\n    {\"path\":\"b.csv\"}\n  ],\n  \"none\": [],\n  \"totals\": {\n    \"files\": 2\n  },\n  \"version\": \"1\"\n}";
        assert_eq!(text, expected);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
        assert_eq!(top_level_list::<serde_json::Value>(text.as_bytes(), "inputs").unwrap().len(), 2);
    }

    /// A manifest larger than its two ends gives its partitions from them, as read whole;
    /// laid out otherwise (on one line), the whole file is read.
    #[test]
    fn the_previous_partitions_come_from_the_manifests_ends_as_from_the_whole() {
        let dir = tempfile::tempdir().unwrap();
        let part = |period: &str, fingerprint: &str| {
            let output = |ext: &str| serde_json::json!({"path": format!("export/x/{period}.{ext}"), "sha256": "ab", "bytes": 7});
            serde_json::json!({"period": period, "rows": 3, "fingerprint": fingerprint, "parquet": output("parquet"), "csv": output("csv")})
        };
        // Inputs that hold the keys' names, quotes and line breaks in their texts.
        let inputs: Vec<serde_json::Value> = (0..12_000).map(|i| serde_json::json!({"path": format!("w/{i}\n  \"observation_partitions\": [] {}", "x".repeat(150))})).collect();
        let manifest = serde_json::json!({
            "attainment_partitions": [part("2022-01-01", "a1"), part("2022-01-08", "a2")],
            "configuration": {"observation_partitions": []},
            "inputs": inputs,
            "observation_partitions": [part("2022-01-01", "o1"), part("2022-01-08", "o2"), part("2022-01-15", "o3")],
            "outputs": [],
            "sitrep_version": "0",
        });
        let path = dir.path().join("manifest.json");
        let summary = |p: &PreviousPartitions| (p.attainment.iter().map(|x| x.fingerprint.clone()).collect::<Vec<_>>(), p.observations.iter().map(|x| (x.period, x.fingerprint.clone())).collect::<Vec<_>>());
        std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 2 * MANIFEST_ENDS as u64);
        let whole: PreviousPartitions = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let from_ends = PreviousPartitions::from_ends(&path).expect("read from the ends");
        assert_eq!(summary(&from_ends), summary(&whole));
        assert_eq!(summary(&from_ends).1.len(), 3);
        // On one line: no key at the start of a line, so the whole file is read.
        std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
        assert!(PreviousPartitions::from_ends(&path).is_none());
        assert_eq!(summary(&PreviousPartitions::of_manifest(&path)), summary(&whole));
    }

    /// The periods still in the cache are decoded a batch of at most DECODED_AT_ONCE rows
    /// at a time (a larger period alone), in order; held periods cost nothing.
    #[test]
    fn periods_are_decoded_in_batches_of_bounded_rows() {
        let period = |count: usize, in_cache: bool| Period { period: chrono::NaiveDate::MIN, runs: Vec::new(), count, in_cache, fingerprint: String::new() };
        let (k, held) = (DECODED_AT_ONCE / 8, DECODED_AT_ONCE * 4);
        let parts = [period(5 * k, true), period(4 * k, true), period(3 * k, true), period(9 * k, true), period(held, false), period(10, true), period(held, false)];
        let which: Vec<&Period> = parts.iter().collect();
        let cut: Vec<Vec<usize>> = decode_batches(&which, DECODED_AT_ONCE).iter().map(|b| b.iter().map(|p| p.count).collect()).collect();
        assert_eq!(cut, vec![vec![5 * k], vec![4 * k, 3 * k], vec![9 * k, held], vec![10, held]]);
        assert!(decode_batches(&[], DECODED_AT_ONCE).is_empty());
    }

    /// A period's fingerprint changes with any field of any row, including a text that
    /// the fingerprint writes as "like the row above".
    #[test]
    fn a_fingerprint_changes_with_every_field() {
        let row = |source: &str, area: Option<&str>, n: i64| Observation {
            period: chrono::NaiveDate::from_ymd_opt(2022, 1, 8).unwrap(),
            province_code: "15".into(),
            district_code: "15.01".into(),
            area_code: area.map(Into::into),
            unit: None,
            group: Group::Lansia,
            dose: 1,
            vaccinated: n,
            source: source.into(),
            sheet: "S".into(),
            cell: "C7".into(),
        };
        let lists = [
            vec![row("a.xlsx", Some("15.01.01"), 5), row("a.xlsx", Some("15.01.02"), 6)],
            vec![row("a.xlsx", Some("15.01.01"), 5), row("b.xlsx", Some("15.01.02"), 6)],
            vec![row("a.xlsx", Some("15.01.01"), 5), row("a.xlsx", Some("15.01.01"), 6)],
            vec![row("a.xlsx", Some("15.01.01"), 5), row("a.xlsx", None, 6)],
            vec![row("a.xlsx", None, 5), row("a.xlsx", None, 6)],
            vec![row("a.xlsx", Some("15.01.01"), 5), row("a.xlsx", Some("15.01.02"), 7)],
            vec![row("a.xlsx", Some("15.01.01"), 5)],
        ];
        let prints: Vec<String> = lists.iter().map(|l| fingerprint("build", l)).collect();
        let distinct: std::collections::BTreeSet<&String> = prints.iter().collect();
        assert_eq!(distinct.len(), lists.len(), "{prints:?}");
        assert_eq!(prints[0], fingerprint("build", &lists[0]));
        assert_ne!(prints[0], fingerprint("another build", &lists[0]));
    }

    /// A period larger than a row group is written in several and reads back whole, row
    /// for row, beside a period of one row; an empty one reads back empty.
    #[test]
    fn a_large_period_reads_back_whole() {
        let row = |day: u32, i: usize| Observation {
            period: chrono::NaiveDate::from_ymd_opt(2022, 1, day).unwrap(),
            province_code: "15".into(),
            district_code: "15.01".into(),
            area_code: (!i.is_multiple_of(7)).then(|| "15.01.01".into()),
            unit: None,
            group: Group::Lansia,
            dose: (i % 3) as u8 + 1,
            vaccinated: i as i64,
            source: "a.xlsx".into(),
            sheet: "S".into(),
            cell: format!("C{}", i % 1000).as_str().into(),
        };
        let big: Vec<Observation> = (0..2 * PART_ROWS + 5).map(|i| row(8, i)).collect();
        let small = vec![row(15, 3)];
        let obs: Observations = [big.clone(), small.clone()].into_iter().collect();
        let dir = tempfile::tempdir().unwrap();
        let partitions = canonical_table(dir.path(), &Periods::new(&obs, None, None), &[], &[], None).unwrap();
        assert_eq!(partitions.iter().map(|p| p.rows).collect::<Vec<_>>(), [big.len(), 1]);
        for (p, rows) in partitions.iter().zip([&big, &small]) {
            let got = ParquetReader::new(std::fs::File::open(dir.path().join(&p.parquet.path)).unwrap()).finish().unwrap();
            let expected = table::observations_frame(rows.iter()).unwrap();
            assert!(got.equals_missing(&expected), "{}: {got:?}", p.period);
        }
        let mut empty = Vec::new();
        parquet_batches(std::iter::once(table::observations_frame(std::iter::empty())), ParquetCompression::default(), &mut empty).unwrap();
        assert_eq!(ParquetReader::new(std::io::Cursor::new(empty)).finish().unwrap().height(), 0);
    }

    /// The canonical table's CSV, written straight from the observations, is the bytes
    /// polars writes for their frame: quoting, formula-like text, empty fields, texts
    /// beyond ASCII.
    #[test]
    fn the_observations_csv_is_polars_csv_of_their_frame() {
        let texts = ["a,b", "say \"hi\"", "line\nbreak", "cr\rx", "=SUM(A1)", "+62 812", "-", "@x", "\ttab", " lead", "trail ", "Kab. Tanjung Jabung Barat é ✓", "", "semi;colon", "'quoted", "15.01"];
        // Each text on two rows running: a field like the row above's is copied.
        let rows: Vec<Observation> = texts
            .iter()
            .flat_map(|t| [t, t])
            .enumerate()
            .map(|(i, t)| Observation {
                period: chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(i as u64 / 3),
                province_code: "15".into(),
                district_code: if i % 3 == 0 { (*t).into() } else { "15.01".into() },
                area_code: (i % 2 == 0).then(|| (*t).into()),
                unit: (i % 4 == 1).then(|| (*t).into()),
                group: Group::Lansia,
                dose: (i % 3) as u8 + 1,
                vaccinated: i as i64 * 1000 - 3,
                source: (*t).into(),
                sheet: (*t).into(),
                cell: "C7".into(),
            })
            .collect();
        let refs: Vec<&Observation> = rows.iter().collect();
        let mut ours = Vec::new();
        observations_csv(&refs, &mut ours).unwrap();
        let mut theirs = Vec::new();
        csv_to(&table::observations_frame(refs.iter().copied()).unwrap(), &mut theirs).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
    }
}
