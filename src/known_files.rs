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
//! file is read and hashed, as before.

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

const FILE: &str = "known-files.json";
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
    seen: Mutex<Vec<Known>>,
}

impl KnownFiles {
    /// What the cache in `dir` knows (nothing, when its file is missing or damaged).
    pub fn load(dir: &Path) -> KnownFiles {
        let stored: Option<Stored> = std::fs::read(dir.join(FILE)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let before = stored.map(|s| s.files.into_iter().map(|(path, stamp, sha256)| (path, (stamp, sha256))).collect()).unwrap_or_default();
        KnownFiles { dir: dir.to_path_buf(), before, seen: Mutex::new(Vec::new()) }
    }

    /// The content hash of the file shown as `shown`, if it was seen with this stamp.
    pub fn content_sha256(&self, shown: &str, stamp: &Stamp) -> Option<&str> {
        self.before.get(shown).filter(|(s, _)| s == stamp).map(|(_, sha256)| sha256.as_str())
    }

    /// This run saw the file with this stamp and content.
    pub fn saw(&self, shown: String, stamp: Stamp, sha256: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push((shown, stamp, sha256));
    }

    /// Writes what this run saw, when it differs from what was known (files seen
    /// before but not now are forgotten).
    pub fn save(&self) -> Result<()> {
        let mut files = std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()));
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        let same = files.len() == self.before.len() && files.iter().all(|(path, stamp, sha256)| self.before.get(path).is_some_and(|(s, h)| s == stamp && h == sha256));
        if !same {
            crate::export::write_json(&self.dir, FILE, &Stored { files }, false)?;
        }
        Ok(())
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
}
