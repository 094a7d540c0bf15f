//! Files known unchanged without reading them. The cache is keyed by content, so every
//! file had to be read and hashed to find its entry: a weekly run over a year's folder
//! read 26,000 files to learn that 514 were new. This keeps, for each file the cache
//! has seen, its stamp (size, modification and change times, inode and device) and its
//! content's SHA-256; a file whose stamp is the same is taken to hold the same content,
//! as git's index does. The content hash still keys the cache: this only finds it.
//!
//! A write always sets the modification and change times to the present, so a file
//! written again has another stamp, even if its modification time is set back
//! afterwards (the change time cannot be). Only a stamp whose modification time is
//! `SETTLED` older than the moment of the stat is kept: a write in the same tick as
//! the stat could leave the times as they were.
//!
//! Stored as `<out>/.cache/known-files.json`; a missing or damaged file means every
//! file is read and hashed, as before. What a run adds or changes while no file it knew
//! is gone is appended to `known-files.journal` beside it, a line per file (a weekly run
//! over a year's folder rewrote 6.4 MB for its 514 new files); the file is written whole
//! again, without a journal, once a file is gone or the journal holds a quarter as many
//! files as the file.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

const FILE: &str = "known-files.json";
const JOURNAL: &str = "known-files.journal";
/// How long ago a file must have been modified for its stamp to be kept.
const SETTLED: Duration = Duration::from_secs(2);

/// What identifies a file's state without reading it. Stored as a list of its fields in
/// order (named, they were a sixth of a year's file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "StampFields", into = "StampFields")]
pub struct Stamp {
    len: u64,
    /// Modification time: seconds and nanoseconds since 1970.
    modified: (i64, i64),
    /// Change time (unix): set by every write and by any change of the times.
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

/// [`Stamp`]'s fields in order: size, modification and change times, inode, device.
type StampFields = (u64, (i64, i64), (i64, i64), u64, u64);

impl From<StampFields> for Stamp {
    fn from((len, modified, changed, inode, device): StampFields) -> Stamp {
        Stamp { len, modified, changed, inode, device }
    }
}

impl From<Stamp> for StampFields {
    fn from(Stamp { len, modified, changed, inode, device }: Stamp) -> StampFields {
        (len, modified, changed, inode, device)
    }
}

/// What a run keeps of a file's metadata as it lists the file: its stamp and its
/// modification time (a year's 26,728 `Metadata` were 168 bytes each, held and copied
/// through the reading).
#[derive(Debug, Clone, Copy)]
pub struct Statted {
    stamp: Stamp,
    pub modified: SystemTime,
}

impl Statted {
    /// What a stat gave: `None` when it failed or gave no modification time.
    pub fn of(meta: std::io::Result<std::fs::Metadata>) -> Option<Statted> {
        let meta = meta.ok()?;
        let modified = meta.modified().ok()?;
        Some(Statted { stamp: Stamp::of(&meta, modified), modified })
    }

    /// The stamp, when the file was modified at least `SETTLED` (2 s) before `now` (a time
    /// before the stat): else it is too recent (or in the future) to be trusted.
    pub fn settled(&self, now: SystemTime) -> Option<Stamp> {
        (now.duration_since(self.modified).ok()? >= SETTLED).then_some(self.stamp)
    }
}

impl Stamp {
    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata, _modified: SystemTime) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp { len: meta.len(), modified: (meta.mtime(), meta.mtime_nsec()), changed: (meta.ctime(), meta.ctime_nsec()), inode: meta.ino(), device: meta.dev() }
    }

    #[cfg(not(unix))]
    fn of(meta: &std::fs::Metadata, modified: SystemTime) -> Stamp {
        let since = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64)).unwrap_or((0, 0));
        Stamp { len: meta.len(), modified: since(modified), changed: meta.created().map(since).unwrap_or((0, 0)), inode: 0, device: 0 }
    }

    /// The file's size when stamped.
    pub fn bytes(&self) -> u64 {
        self.len
    }

    /// The stamp of the file at `path` as it is now (none when it cannot be stat'ed): for
    /// a file sitrep wrote, taken just after, so that a later change to it is seen.
    pub fn of_path(path: &std::path::Path) -> Option<Stamp> {
        Stamp::of_meta(&std::fs::metadata(path).ok()?)
    }

    /// [`Stamp::of_path`] from a stat already made.
    pub fn of_meta(meta: &std::fs::Metadata) -> Option<Stamp> {
        Some(Stamp::of(meta, meta.modified().ok()?))
    }
}

/// One file as stored: its path as shown, its stamp, its content's SHA-256 and its
/// cache key ([`crate::cache::Cache::key`]).
type Known = (String, Stamp, String, String);

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    /// The salt the keys were made with (the journal's lines too: a run under another
    /// salt writes the file whole).
    salt_sha256: String,
    files: Vec<Known>,
}

/// A file the last run knew.
struct Before {
    stamp: Stamp,
    sha256: String,
    /// Its cache key under this run's salt; empty when made under another.
    key: String,
    /// Seen by this run (as it was, or changed: then also in `KnownFiles::seen`).
    seen: AtomicBool,
}

/// The files known from the last run, and those seen by this one.
pub struct KnownFiles {
    dir: PathBuf,
    salt_sha256: String,
    /// By path as shown, hashed with Fx, not SipHash (a year's 26,000 looked up).
    before: rustc_hash::FxHashMap<String, Before>,
    /// Files the journal holds.
    journal: usize,
    /// Whether the stored keys were made under this run's salt (else only the whole
    /// file is written, under this one).
    keys_hold: bool,
    /// Files seen new or changed (stamp, content or key).
    seen: Mutex<Vec<Known>>,
}

/// A file found as the last run saw it: its content hash and cache key.
pub struct Unchanged<'a> {
    pub sha256: &'a str,
    /// `None` when the key was made under another salt.
    pub key: Option<&'a str>,
    seen: &'a AtomicBool,
}

impl Unchanged<'_> {
    /// This run took the file as it was (its key as stored): nothing to write for it.
    pub fn saw(&self) {
        self.seen.store(true, Ordering::Relaxed);
    }
}

impl KnownFiles {
    /// What the cache in `dir` knows (nothing, when its file is missing or damaged);
    /// `salt_sha256` is this run's, under which the stored keys hold or not.
    pub fn load(dir: &Path, salt_sha256: &str) -> KnownFiles {
        let stored: Option<Stored> = crate::mapped::own_file(&dir.join(FILE)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let known = |before, journal, keys_hold| KnownFiles { dir: dir.to_path_buf(), salt_sha256: salt_sha256.to_string(), before, journal, keys_hold, seen: Mutex::new(Vec::new()) };
        let Some(stored) = stored else { return known(Default::default(), 0, true) };
        let same_salt = stored.salt_sha256 == salt_sha256;
        let entry = |stamp, sha256, key: String| Before { stamp, sha256, key: if same_salt { key } else { String::new() }, seen: AtomicBool::new(false) };
        let mut before: rustc_hash::FxHashMap<String, Before> = stored.files.into_iter().map(|(path, stamp, sha256, key)| (path, entry(stamp, sha256, key))).collect();
        let mut journal = 0;
        for line in std::fs::read_to_string(dir.join(JOURNAL)).unwrap_or_default().lines() {
            // A line cut short by a run stopped while appending is passed over.
            if let Ok((path, stamp, sha256, key)) = serde_json::from_str::<Known>(line) {
                before.insert(path, entry(stamp, sha256, key));
                journal += 1;
            }
        }
        known(before, journal, same_salt)
    }

    /// The file shown as `shown`, if it was seen with this stamp.
    pub fn unchanged(&self, shown: &str, stamp: &Stamp) -> Option<Unchanged<'_>> {
        let b = self.before.get(shown).filter(|b| b.stamp == *stamp)?;
        Some(Unchanged { sha256: &b.sha256, key: (!b.key.is_empty()).then_some(b.key.as_str()), seen: &b.seen })
    }

    /// Whether the file shown as `shown` was seen by the last run (in any state).
    pub fn knows(&self, shown: &str) -> bool {
        self.before.contains_key(shown)
    }

    /// This run saw the file with this stamp, content and key (one read afresh, or
    /// [`Unchanged`] but keyed anew).
    pub fn saw(&self, shown: String, stamp: Stamp, sha256: String, key: String) {
        if let Some(b) = self.before.get(&shown) {
            b.seen.store(true, Ordering::Relaxed);
            if b.stamp == stamp && b.sha256 == sha256 && b.key == key {
                return;
            }
        }
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push((shown, stamp, sha256, key));
    }

    /// Writes what this run saw, when it differs from what was known (files seen
    /// before but not now are forgotten): appended to the journal when nothing is gone
    /// and the journal stays small, else written whole.
    pub fn save(&self) -> Result<()> {
        let mut changed = std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()));
        let none_gone = self.before.values().all(|b| b.seen.load(Ordering::Relaxed));
        if none_gone && changed.is_empty() {
            return Ok(());
        }
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        changed.dedup_by(|a, b| a.0 == b.0);
        if none_gone && !self.before.is_empty() && self.journal + changed.len() <= self.before.len() / 4 && self.keys_hold {
            let mut lines = Vec::new();
            for known in &changed {
                serde_json::to_writer(&mut lines, known)?;
                lines.push(b'\n');
            }
            let path = self.dir.join(JOURNAL);
            let mut journal = std::fs::OpenOptions::new().create(true).append(true).open(&path).with_context(|| format!("cannot write {}", path.display()))?;
            std::io::Write::write_all(&mut journal, &lines).with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(());
        }
        // The files seen as they were, and those seen new or changed.
        let changed_paths: rustc_hash::FxHashSet<&str> = changed.iter().map(|(path, ..)| path.as_str()).collect();
        let mut files: Vec<Known> = self
            .before
            .iter()
            .filter(|(path, b)| b.seen.load(Ordering::Relaxed) && !changed_paths.contains(path.as_str()))
            .map(|(path, b)| (path.clone(), b.stamp, b.sha256.clone(), b.key.clone()))
            .collect();
        drop(changed_paths);
        files.append(&mut changed);
        files.sort_by(|a, b| a.0.cmp(&b.0));
        crate::export::write_json(&self.dir, FILE, &Stored { salt_sha256: self.salt_sha256.clone(), files }, false)?;
        match std::fs::remove_file(self.dir.join(JOURNAL)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_context(|| format!("cannot remove {}", self.dir.join(JOURNAL).display())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "salt";

    /// The content hash and key of a file found unchanged.
    fn found<'a>(known: &'a KnownFiles, shown: &str, stamp: &Stamp) -> Option<(&'a str, Option<&'a str>)> {
        known.unchanged(shown, stamp).map(|u| (u.sha256, u.key))
    }

    #[test]
    fn a_file_modified_just_now_is_not_stamped_and_one_modified_earlier_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "x").unwrap();
        let now = SystemTime::now();
        assert_eq!(Statted::of(std::fs::metadata(&path)).unwrap().settled(now), None);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(now - Duration::from_secs(60)).unwrap();
        let stamp = Statted::of(std::fs::metadata(&path)).unwrap().settled(now).unwrap();
        assert_eq!(stamp.bytes(), 1);
        // Written again (a clock tick later) and its time set back: the change time tells.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&path, "y").unwrap();
        file.set_modified(now - Duration::from_secs(60)).unwrap();
        let again = Statted::of(std::fs::metadata(&path)).unwrap().settled(SystemTime::now()).unwrap();
        assert_ne!(stamp, again);
    }

    #[test]
    fn what_a_run_saw_is_known_to_the_next_and_rewritten_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = Stamp { len: 3, modified: (1, 2), changed: (3, 4), inode: 5, device: 6 };
        let known = KnownFiles::load(dir.path(), SALT);
        assert!(known.unchanged("a.csv", &stamp).is_none());
        known.saw("a.csv".into(), stamp, "abc".into(), "key".into());
        known.save().unwrap();
        let written = std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap();

        let known = KnownFiles::load(dir.path(), SALT);
        assert_eq!(found(&known, "a.csv", &stamp), Some(("abc", Some("key"))));
        assert_eq!(found(&known, "b.csv", &stamp), None);
        assert_eq!(found(&known, "a.csv", &Stamp { len: 4, ..stamp }), None);
        std::thread::sleep(Duration::from_millis(20));
        known.unchanged("a.csv", &stamp).unwrap().saw();
        known.save().unwrap();
        assert_eq!(std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap(), written, "nothing changed: not rewritten");
        // Seen with the same stamp, content and key as stored: the same.
        let known = KnownFiles::load(dir.path(), SALT);
        known.saw("a.csv".into(), stamp, "abc".into(), "key".into());
        known.save().unwrap();
        assert_eq!(std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap(), written, "nothing changed: not rewritten");

        // Under another salt the file is known, its key not: keyed anew, written whole.
        let known = KnownFiles::load(dir.path(), "another");
        assert_eq!(found(&known, "a.csv", &stamp), Some(("abc", None)));
        known.saw("a.csv".into(), stamp, "abc".into(), "key2".into());
        known.save().unwrap();
        assert_eq!(found(&KnownFiles::load(dir.path(), "another"), "a.csv", &stamp), Some(("abc", Some("key2"))));
        assert_eq!(found(&KnownFiles::load(dir.path(), SALT), "a.csv", &stamp), Some(("abc", None)));

        // A damaged file is as none.
        std::fs::write(dir.path().join(FILE), "{").unwrap();
        assert_eq!(found(&KnownFiles::load(dir.path(), SALT), "a.csv", &stamp), None);
    }

    /// A run that only adds files (or sees some changed) appends them to the journal;
    /// one that no longer sees a file, or would make the journal a quarter of the file,
    /// writes the file whole and no journal.
    #[test]
    fn files_added_are_journalled_and_a_file_gone_writes_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = |n: u64| Stamp { len: n, modified: (1, 2), changed: (3, 4), inode: n, device: 6 };
        let name = |n: u64| format!("{n}.csv");
        let run = |files: &[u64], sha: &str| {
            let known = KnownFiles::load(dir.path(), SALT);
            for n in files {
                known.saw(name(*n), stamp(*n), sha.into(), format!("key{n}"));
            }
            known.save().unwrap();
        };
        let written = || std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap();
        let journal = || std::fs::read_to_string(dir.path().join(JOURNAL)).ok();
        run(&(0..40).collect::<Vec<_>>(), "a");
        assert_eq!(journal(), None);
        let whole = written();
        std::thread::sleep(Duration::from_millis(20));
        // Two new files, one changed: journalled, the file as it was.
        run(&(0..42).collect::<Vec<_>>()[..], "a");
        let known = KnownFiles::load(dir.path(), SALT);
        known.saw(name(3), stamp(3), "b".into(), "key3".into());
        (0..42).filter(|n| *n != 3).for_each(|n| known.unchanged(&name(n), &stamp(n)).unwrap().saw());
        known.save().unwrap();
        assert_eq!(journal().unwrap().lines().count(), 3, "{:?}", journal());
        assert_eq!(written(), whole);
        let known = KnownFiles::load(dir.path(), SALT);
        assert_eq!((found(&known, "41.csv", &stamp(41)), found(&known, "3.csv", &stamp(3))), (Some(("a", Some("key41"))), Some(("b", Some("key3")))));
        // A line cut short (a run stopped while appending) is passed over.
        let mut text = journal().unwrap();
        text.push_str("[\"42.csv\", {\"len\"");
        std::fs::write(dir.path().join(JOURNAL), text).unwrap();
        assert_eq!(found(&KnownFiles::load(dir.path(), SALT), "41.csv", &stamp(41)), Some(("a", Some("key41"))));
        // Files gone: written whole, the journal removed, the files gone forgotten.
        run(&(2..42).collect::<Vec<_>>(), "a");
        assert_eq!(journal(), None);
        assert_ne!(written(), whole);
        let known = KnownFiles::load(dir.path(), SALT);
        assert_eq!((found(&known, "0.csv", &stamp(0)), found(&known, "41.csv", &stamp(41))), (None, Some(("a", Some("key41")))));
        // More new files than a quarter of those known: written whole.
        run(&(2..60).collect::<Vec<_>>(), "a");
        assert_eq!(journal(), None);
    }
}
