//! sitrep's own cache files sealed: each ends with a BLAKE3 digest of the bytes before it
//! and a mark, checked whenever the file is read. A file damaged on disk (a byte flipped,
//! a tail cut off) or changed by hand is then not used, and what it held is made again.
//! Unsealed, such files were read as they were: runs against fresh runs over the same
//! folder, with a cache file damaged at random, found a segment's index whose `links`
//! misspelt dropped a file's rows, and districts' sums and attainment read with other
//! figures, silently. The cache's row files are checked by the SHA-256 their index keeps;
//! the files it lists are found by their stamps, and a damaged record there only makes a
//! file read afresh.

use crate::export::{write_atomic_unlisted, Output};
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// The last bytes of a sealed file: its content's digest is just before them.
const MARK: &[u8; 8] = b"sitrep#1";
const DIGEST: usize = 32;

/// The size of a sealed file holding `content` bytes.
pub fn size(content: usize) -> u64 {
    (content + DIGEST + MARK.len()) as u64
}

/// Writes `make`'s bytes to `root/rel` sealed (by rename, never half written:
/// [`crate::export::write_atomic_with`]; not hashed).
pub fn write_with(root: &Path, rel: &str, make: &dyn Fn(&mut (dyn Write + Send)) -> Result<()>) -> Result<Output> {
    write_atomic_unlisted(root, rel, &|w| {
        let mut sealing = Sealing { inner: &mut *w, digest: blake3::Hasher::new() };
        make(&mut sealing)?;
        let digest = sealing.digest.finalize();
        w.write_all(digest.as_bytes())?;
        w.write_all(MARK)?;
        Ok(())
    })
}

/// [`write_with`] of `bytes`.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) -> Result<Output> {
    write_with(root, rel, &|w| Ok(w.write_all(bytes)?))
}

/// The content of a sealed file's `bytes`; none when the seal is missing or does not
/// match them.
pub fn content(bytes: &[u8]) -> Option<&[u8]> {
    let (content, seal) = bytes.split_at(bytes.len().checked_sub(DIGEST + MARK.len())?);
    let (digest, mark) = seal.split_at(DIGEST);
    (mark == MARK && blake3::hash(content).as_bytes() == digest).then_some(content)
}

/// A sealed file read whole (mapped from the page cache, as sitrep reads its own files)
/// and found whole.
pub struct Read {
    bytes: crate::mapped::Bytes,
    len: usize,
}

impl std::ops::Deref for Read {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The content of the sealed file at `path`: none when it cannot be read or its seal
/// does not match.
pub fn read(path: &Path) -> Option<Read> {
    let bytes = crate::mapped::own_file(path).ok()?;
    let len = content(&bytes)?.len();
    Some(Read { bytes, len })
}

/// [`read`] as text.
pub fn read_text(path: &Path) -> Option<String> {
    String::from_utf8(read(path)?.to_vec()).ok()
}

/// Hands bytes on, digesting them.
struct Sealing<'w> {
    inner: &'w mut (dyn Write + Send),
    digest: blake3::Hasher,
}

impl Write for Sealing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What was written is read back; any byte changed, the seal cut off or another
    /// file's seal, and nothing is.
    #[test]
    fn a_sealed_file_is_read_back_only_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"15\t15.01\tlansia\t1\t14802\n".repeat(40);
        let written = write_with(dir.path(), "sums.tsv", &|w| {
            // In pieces, as a streaming writer hands them on.
            for piece in text.chunks(7) {
                w.write_all(piece)?;
            }
            Ok(())
        })
        .unwrap();
        let path = dir.path().join("sums.tsv");
        assert_eq!(written.bytes, size(text.len()));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size(text.len()));
        assert_eq!(&*read(&path).unwrap(), &text[..]);
        assert_eq!(read_text(&path).unwrap().as_bytes(), &text[..]);
        let sealed = std::fs::read(&path).unwrap();
        for at in [0, 9, text.len() - 1, text.len(), sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 0x20;
            assert!(content(&flipped).is_none(), "a byte changed at {at} was not found");
        }
        assert!(content(&sealed[..sealed.len() - 1]).is_none());
        assert!(content(&text).is_none(), "an unsealed file was taken as sealed");
        assert!(content(&sealed[..10]).is_none());
        assert!(content(b"").is_none());
        write(dir.path(), "empty", b"").unwrap();
        assert_eq!(&*read(&dir.path().join("empty")).unwrap(), b"");
        assert!(read(&dir.path().join("gone")).is_none());
    }
}
