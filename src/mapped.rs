//! sitrep's own files read in place: the cache's indexes and segments and the checks'
//! state are mapped from the page cache rather than copied into fresh memory. A weekly
//! run over a year read 22 MB of indexes that way (5,300 of its 64,000 page faults), and
//! a year's run read each 5 MB segment whole each time it decoded it.

use std::path::Path;

/// A file's bytes, mapped (or read, where it cannot be mapped).
pub enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }
}

/// The bytes of `path`, a file sitrep wrote itself. Only for such files: they are
/// replaced by renaming a new file over them, never changed in place, so the file mapped
/// keeps its bytes while this run reads it (a file cut short under a mapping would stop
/// the process). Empty files, and file systems that cannot map, are read instead.
pub fn own_file(path: &Path) -> std::io::Result<Bytes> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    of_open(&file, len)
}

/// [`own_file`] for a file opened already, `len` bytes long as its metadata says.
pub fn of_open(file: &std::fs::File, len: u64) -> std::io::Result<Bytes> {
    if len > 0 {
        // SAFETY: see [`own_file`]; sitrep writes these files by rename only
        // (`export::write_atomic`), and the caller checks the length it maps.
        if let Ok(m) = unsafe { memmap2::Mmap::map(file) } {
            return Ok(Bytes::Mapped(m));
        }
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(&mut &*file, &mut bytes)?;
    Ok(Bytes::Read(bytes))
}
