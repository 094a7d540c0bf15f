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
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

const FILE: &str = "known-files.json";
const JOURNAL: &str = "known-files.journal";
/// How long ago a file must have been modified for its stamp to be kept.
const SETTLED: Duration = Duration::from_secs(2);

/// What identifies a file's state without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    len: u64,
    /// Modification time: seconds and nanoseconds since 1970.
    modified: (i64, i64),
    /// Change time (unix): set by every write and by any change of the times.
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

impl Stamp {
    /// The stamp of a file's metadata taken at `now`, or `None` when it was modified too
    /// recently (or in the future) to be trusted.
    pub fn settled(meta: &std::fs::Metadata, now: SystemTime) -> Option<Stamp> {
        let modified = meta.modified().ok()?;
        if now.duration_since(modified).ok()? < SETTLED {
            return None;
        }
        Some(Stamp::of(meta, modified))
    }

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
}

/// One file as stored: its path as shown, its stamp and its content's SHA-256.
type Known = (String, Stamp, String);

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    files: Vec<Known>,
}

/// The files known from the last run, and those seen by this one.
pub struct KnownFiles {
    dir: PathBuf,
    /// By path as shown, hashed with Fx, not SipHash (a year's 26,000 looked up).
    before: rustc_hash::FxHashMap<String, (Stamp, String)>,
    /// Files the journal holds.
    journal: usize,
    seen: Mutex<Vec<Known>>,
}

impl KnownFiles {
    /// What the cache in `dir` knows (nothing, when its file is missing or damaged).
    pub fn load(dir: &Path) -> KnownFiles {
        let stored: Option<Stored> = std::fs::read(dir.join(FILE)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let Some(stored) = stored else { return KnownFiles { dir: dir.to_path_buf(), before: Default::default(), journal: 0, seen: Mutex::new(Vec::new()) } };
        let mut before: rustc_hash::FxHashMap<String, (Stamp, String)> = stored.files.into_iter().map(|(path, stamp, sha256)| (path, (stamp, sha256))).collect();
        let mut journal = 0;
        for line in std::fs::read_to_string(dir.join(JOURNAL)).unwrap_or_default().lines() {
            // A line cut short by a run stopped while appending is passed over.
            if let Ok((path, stamp, sha256)) = serde_json::from_str::<Known>(line) {
                before.insert(path, (stamp, sha256));
                journal += 1;
            }
        }
        KnownFiles { dir: dir.to_path_buf(), before, journal, seen: Mutex::new(Vec::new()) }
    }

    /// The content hash of the file shown as `shown`, if it was seen with this stamp.
    pub fn content_sha256(&self, shown: &str, stamp: &Stamp) -> Option<&str> {
        self.before.get(shown).filter(|(s, _)| s == stamp).map(|(_, sha256)| sha256.as_str())
    }

    /// Whether the file shown as `shown` was seen by the last run (in any state).
    pub fn knows(&self, shown: &str) -> bool {
        self.before.contains_key(shown)
    }

    /// This run saw the file with this stamp and content.
    pub fn saw(&self, shown: String, stamp: Stamp, sha256: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push((shown, stamp, sha256));
    }

    /// Writes what this run saw, when it differs from what was known (files seen
    /// before but not now are forgotten): appended to the journal when nothing is gone
    /// and the journal stays small, else written whole.
    pub fn save(&self) -> Result<()> {
        let mut files = std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()));
        let mut changed: Vec<&Known> = files.iter().filter(|(path, stamp, sha256)| self.before.get(path).is_none_or(|(s, h)| s != stamp || h != sha256)).collect();
        let seen: rustc_hash::FxHashSet<&str> = files.iter().map(|(path, ..)| path.as_str()).collect();
        let none_gone = self.before.keys().all(|path| seen.contains(path.as_str()));
        if none_gone && changed.is_empty() {
            return Ok(());
        }
        if none_gone && !self.before.is_empty() && self.journal + changed.len() <= self.before.len() / 4 {
            changed.sort_by(|a, b| a.0.cmp(&b.0));
            let mut lines = Vec::new();
            for known in changed {
                serde_json::to_writer(&mut lines, known)?;
                lines.push(b'\n');
            }
            let path = self.dir.join(JOURNAL);
            let mut journal = std::fs::OpenOptions::new().create(true).append(true).open(&path).with_context(|| format!("cannot write {}", path.display()))?;
            std::io::Write::write_all(&mut journal, &lines).with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(());
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        crate::export::write_json(&self.dir, FILE, &Stored { files }, false)?;
        match std::fs::remove_file(self.dir.join(JOURNAL)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_context(|| format!("cannot remove {}", self.dir.join(JOURNAL).display())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_modified_just_now_is_not_stamped_and_one_modified_earlier_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "x").unwrap();
        let now = SystemTime::now();
        assert_eq!(Stamp::settled(&std::fs::metadata(&path).unwrap(), now), None);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(now - Duration::from_secs(60)).unwrap();
        let stamp = Stamp::settled(&std::fs::metadata(&path).unwrap(), now).unwrap();
        assert_eq!(stamp.bytes(), 1);
        // Written again (a clock tick later) and its time set back: the change time tells.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&path, "y").unwrap();
        file.set_modified(now - Duration::from_secs(60)).unwrap();
        let again = Stamp::settled(&std::fs::metadata(&path).unwrap(), SystemTime::now()).unwrap();
        assert_ne!(stamp, again);
    }

    #[test]
    fn what_a_run_saw_is_known_to_the_next_and_rewritten_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = Stamp { len: 3, modified: (1, 2), changed: (3, 4), inode: 5, device: 6 };
        let known = KnownFiles::load(dir.path());
        assert_eq!(known.content_sha256("a.csv", &stamp), None);
        known.saw("a.csv".into(), stamp, "abc".into());
        known.save().unwrap();
        let written = std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap();

        let known = KnownFiles::load(dir.path());
        assert_eq!(known.content_sha256("a.csv", &stamp), Some("abc"));
        assert_eq!(known.content_sha256("b.csv", &stamp), None);
        assert_eq!(known.content_sha256("a.csv", &Stamp { len: 4, ..stamp }), None);
        std::thread::sleep(Duration::from_millis(20));
        known.saw("a.csv".into(), stamp, "abc".into());
        known.save().unwrap();
        assert_eq!(std::fs::metadata(dir.path().join(FILE)).unwrap().modified().unwrap(), written, "nothing changed: not rewritten");

        // A damaged file is as none.
        std::fs::write(dir.path().join(FILE), "{").unwrap();
        assert_eq!(KnownFiles::load(dir.path()).content_sha256("a.csv", &stamp), None);
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
            let known = KnownFiles::load(dir.path());
            for n in files {
                known.saw(name(*n), stamp(*n), sha.into());
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
        let known = KnownFiles::load(dir.path());
        known.saw(name(3), stamp(3), "b".into());
        (0..42).filter(|n| *n != 3).for_each(|n| known.saw(name(n), stamp(n), "a".into()));
        known.save().unwrap();
        assert_eq!(journal().unwrap().lines().count(), 3, "{:?}", journal());
        assert_eq!(written(), whole);
        let known = KnownFiles::load(dir.path());
        assert_eq!((known.content_sha256("41.csv", &stamp(41)), known.content_sha256("3.csv", &stamp(3))), (Some("a"), Some("b")));
        // A line cut short (a run stopped while appending) is passed over.
        let mut text = journal().unwrap();
        text.push_str("[\"42.csv\", {\"len\"");
        std::fs::write(dir.path().join(JOURNAL), text).unwrap();
        assert_eq!(KnownFiles::load(dir.path()).content_sha256("41.csv", &stamp(41)), Some("a"));
        // Files gone: written whole, the journal removed, the files gone forgotten.
        run(&(2..42).collect::<Vec<_>>(), "a");
        assert_eq!(journal(), None);
        assert_ne!(written(), whole);
        let known = KnownFiles::load(dir.path());
        assert_eq!((known.content_sha256("0.csv", &stamp(0)), known.content_sha256("41.csv", &stamp(41))), (None, Some("a")));
        // More new files than a quarter of those known: written whole.
        run(&(2..60).collect::<Vec<_>>(), "a");
        assert_eq!(journal(), None);
    }
}
