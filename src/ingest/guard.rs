//! Checks made before a parser sees a file: what format it really is, and whether a
//! zip-based workbook would inflate beyond the limits (calamine sets no limit).

use super::{Format, Limits};
use std::io::{Cursor, Read};
use std::path::Path;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides the format from the bytes, using the extension only to tell text files apart.
pub fn sniff_format(path: &Path, bytes: &[u8]) -> Result<Format, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if bytes.starts_with(CFB_MAGIC) {
        // Encrypted xlsx files are CFB containers too; calamine reports them.
        return Ok(if matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb") { Format::Xlsx } else { Format::Xls });
    }
    if bytes.starts_with(ZIP_MAGIC) {
        if zip::ZipArchive::new(Cursor::new(bytes)).is_err() {
            return Err(format!(
                "damaged or truncated .{ext} workbook (not a complete zip archive; {} bytes); ask the sender to send it again",
                bytes.len()
            ));
        }
        return Ok(zip_kind(bytes).unwrap_or(match ext.as_str() {
            "ods" => Format::Ods,
            "xlsb" => Format::Xlsb,
            _ => Format::Xlsx,
        }));
    }
    match ext.as_str() {
        "csv" | "tsv" | "txt" => Ok(Format::Delimited),
        "xlsx" | "xlsm" | "xlsb" | "ods" => Err(format!(
            "not a valid .{ext} workbook (the file is damaged or truncated: it is not a zip archive); ask the sender to send it again"
        )),
        "xls" => Err("not a valid .xls workbook (damaged, truncated, or another format renamed to .xls)".into()),
        _ => Err(format!("unsupported file type '.{ext}'")),
    }
}

fn zip_kind(bytes: &[u8]) -> Option<Format> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    for i in 0..zip.len() {
        let f = zip.by_index(i).ok()?;
        let name = f.name().ok()?.to_string();
        if name == "mimetype" || name == "content.xml" {
            return Some(Format::Ods);
        }
        if name.ends_with(".bin") && name.starts_with("xl/worksheets/") {
            return Some(Format::Xlsb);
        }
        if name.ends_with(".xml") && name.starts_with("xl/") {
            return Some(Format::Xlsx);
        }
    }
    None
}

/// Something in a workbook's package the user should know about.
pub struct PackageNote {
    pub code: &'static str,
    pub message: &'static str,
}

/// What the guard and the workbook reader say of a password-protected workbook.
pub(super) const ENCRYPTED: &str = "the workbook is encrypted (password-protected); ask the sender for an unprotected copy";

/// How many times its size a deflated stream can grow at most: two bits (the shortest
/// length and distance codes) give 258 bytes.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Refuses archives whose total decompressed size would exceed the limit (decompression
/// bombs; calamine sets no limit), and notes links to other workbooks (never followed).
/// An entry's data is read only up to its compressed size, so an archive of stored and
/// deflated entries whose compressed sizes (summed over entries, overlapping ones counted
/// each time) times `DEFLATE_MAX_RATIO` stay within the limit cannot exceed it: a
/// district's workbook of kilobytes is not inflated here before calamine inflates it.
/// Any other archive is inflated through a bounded reader.
pub fn check_archive(format: Format, bytes: &[u8], limits: &Limits) -> Result<Vec<PackageNote>, String> {
    let mut notes = Vec::new();
    if format == Format::Xls {
        check_cfb(bytes, limits)?;
        return Ok(notes);
    }
    if format == Format::Delimited {
        return Ok(notes);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return Err(ENCRYPTED.into());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("damaged workbook: {e}"))?;
    let (mut compressed, mut bounded, mut links) = (0u64, true, false);
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| format!("damaged workbook: {e}"))?;
        if f.encrypted() {
            return Err(ENCRYPTED.into());
        }
        links |= f.name().is_ok_and(|n| n.starts_with("xl/externalLinks/"));
        compressed = compressed.saturating_add(f.compressed_size().max(1));
        bounded &= matches!(f.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated);
    }
    if links {
        notes.push(PackageNote {
            code: "external_links",
            message: "the workbook links to other workbooks; the links were not followed and the values saved in this file were used",
        });
    }
    if bounded && compressed.saturating_mul(DEFLATE_MAX_RATIO) <= limits.max_unzipped_bytes {
        return Ok(notes);
    }
    // Entries were looked at above (none is encrypted): here they are only inflated.
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| format!("damaged workbook: {e}"))?;
        let remaining = limits.max_unzipped_bytes.saturating_sub(total);
        let mut limited = (&mut f).take(remaining + 1);
        loop {
            let n = limited.read(&mut buf).map_err(|e| format!("damaged workbook: {e}"))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limits.max_unzipped_bytes {
                return Err(format!(
                    "refused: the workbook expands to more than {} MB when unpacked (a decompression bomb or an enormous sheet); limit limits.max_unzipped_bytes",
                    limits.max_unzipped_bytes >> 20
                ));
            }
        }
    }
    Ok(notes)
}

/// Reads every stream of an xls (CFB) container through the `cfb` crate, which checks
/// sector chains, under the decompressed-size limit. calamine's own CFB reader was seen
/// (by fuzzing) to allocate without bound on a damaged 10 KB file.
pub fn check_cfb(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let damaged = |e: std::io::Error| format!("damaged .xls workbook ({e}); open and re-save it, or ask the sender for a new copy");
    let mut comp = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(damaged)?;
    let streams: Vec<std::path::PathBuf> = comp.walk().filter(|e| e.is_stream()).map(|e| e.path().to_path_buf()).collect();
    let mut total: u64 = 0;
    for path in streams {
        let stream = comp.open_stream(&path).map_err(damaged)?;
        let remaining = limits.max_unzipped_bytes.saturating_sub(total);
        let mut data = Vec::new();
        total += stream.take(remaining + 1).read_to_end(&mut data).map_err(damaged)? as u64;
        if total > limits.max_unzipped_bytes {
            return Err(format!("refused: the workbook holds more than {} MB of data (limits.max_unzipped_bytes)", limits.max_unzipped_bytes >> 20));
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.eq_ignore_ascii_case("Workbook") || name.eq_ignore_ascii_case("Book") {
            if let Some(cells) = largest_declared_extent(&data).into_iter().chain(largest_cell_extent(&data)).max() {
                if cells > limits.max_cells as u64 * 4 {
                    return Err(format!(
                        "refused: a sheet declares or spans {cells} cells, above the limit of {} (limits.max_cells); the file is damaged or hostile",
                        limits.max_cells
                    ));
                }
            }
        }
    }
    Ok(())
}

/// BIFF records of an xls Workbook stream from `start`: (type, data). Stops at the end
/// of the stream or at a record running past it.
fn records(stream: &[u8], start: usize) -> impl Iterator<Item = (u16, &[u8])> + '_ {
    let mut i = start;
    std::iter::from_fn(move || {
        let head = stream.get(i..i + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(i + 4..(i + 4 + len).min(stream.len()))?;
        i += 4 + len;
        Some((typ, data))
    })
}

fn u16_in(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u64)
}

fn u32_in(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
}

/// Where the sheet substreams start: the BOUNDSHEET records (0x0085) of the globals.
fn sheet_starts(stream: &[u8]) -> Vec<usize> {
    records(stream, 0)
        .take_while(|(typ, _)| *typ != 0x000A)
        .filter(|(typ, _)| *typ == 0x0085)
        .filter_map(|(_, data)| u32_in(data, 0).map(|p| p as usize))
        .filter(|p| *p < stream.len())
        .collect()
}

/// The largest sheet extent declared by a DIMENSIONS record (BIFF 0x0200) in an xls
/// Workbook stream, computed as calamine does. calamine reserves that many cells up
/// front, and a forged record asks for terabytes: an abort `catch_unwind` cannot stop
/// (found by fuzzing). Records are walked the way calamine walks them: from the start
/// of the stream, and from every sheet offset that a BOUNDSHEET record gives.
fn largest_declared_extent(stream: &[u8]) -> Option<u64> {
    let mut starts = vec![0usize];
    starts.extend(sheet_starts(stream).into_iter().filter(|p| *p != 0));
    starts.dedup();
    starts
        .into_iter()
        .flat_map(|start| records(stream, start))
        .filter(|(typ, _)| *typ == 0x0200)
        .filter_map(|(_, r)| {
            let (rf, rl, cf, cl) = match r.len() {
                10 => (u16_in(r, 0)?, u16_in(r, 2)?, u16_in(r, 4)?, u16_in(r, 6)?),
                14 | 16 => (u32_in(r, 0)?, u32_in(r, 4)?, u16_in(r, 8)?, u16_in(r, 10)?),
                _ => return None,
            };
            let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
            if rl < 1 || cl < 1 {
                return None;
            }
            // u32 arithmetic that wraps, as calamine's does in a release build: an end
            // before the start is a huge extent.
            let rows = ((rl - 1) as u32).wrapping_sub(rf as u32).wrapping_add(1) as u64;
            let cols = ((cl - 1) as u32).wrapping_sub(cf as u32).wrapping_add(1) as u64;
            Some(rows.saturating_mul(cols))
        })
        .max()
}

/// The largest extent spanned by the cells an xls sheet actually holds (the bounding box
/// of its cell records, per sheet). calamine lays a sheet out densely over that box: a
/// forged cell at a far row and column made it take 19 GB (found by fuzzing).
fn largest_cell_extent(stream: &[u8]) -> Option<u64> {
    sheet_starts(stream)
        .into_iter()
        .filter_map(|start| {
            let (mut rmin, mut rmax, mut cmin, mut cmax) = (u64::MAX, 0u64, u64::MAX, 0u64);
            // The sheet runs from its BOF to its EOF record.
            for (k, (typ, r)) in records(stream, start).enumerate() {
                if typ == 0x000A && k > 0 {
                    break;
                }
                // Cell records begin with row and column; MULRK/MULBLANK end with the last column.
                let cell = match typ {
                    0x0006 | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x00D6 => u16_in(r, 0).zip(u16_in(r, 2)).map(|(row, col)| (row, col, col)),
                    0x00BD | 0x00BE if r.len() >= 6 => u16_in(r, 0).zip(u16_in(r, 2)).zip(u16_in(r, r.len() - 2)).map(|((row, first), last)| (row, first, last.max(first))),
                    _ => None,
                };
                if let Some((row, first, last)) = cell {
                    rmin = rmin.min(row);
                    rmax = rmax.max(row);
                    cmin = cmin.min(first);
                    cmax = cmax.max(last);
                }
            }
            (rmin <= rmax && cmin <= cmax).then(|| (rmax - rmin + 1).saturating_mul(cmax - cmin + 1))
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn archive(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        for (name, body) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(body).unwrap();
        }
        z.finish().unwrap();
        buf.into_inner()
    }

    fn limits(max_unzipped_bytes: u64) -> Limits {
        Limits { max_unzipped_bytes, ..Limits::default() }
    }

    /// Whatever the path taken (the bound from the compressed sizes, or inflating), an
    /// archive is accepted exactly when it inflates within the limit.
    #[test]
    fn an_archive_is_accepted_exactly_when_it_inflates_within_the_limit() {
        let noise: Vec<u8> = (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let archives = [vec![("a.xml", vec![0u8; 10_000])], vec![("a.xml", vec![0u8; 1 << 20]), ("b.xml", noise.clone())], vec![("a.xml", noise.clone())]];
        for entries in &archives {
            let inflated: u64 = entries.iter().map(|(_, b)| b.len() as u64).sum();
            let bytes = archive(entries);
            for limit in [5_000, 20_000, 60_000, 100_000, 1_100_000, 2 << 20, 100 << 20] {
                let verdict = check_archive(Format::Xlsx, &bytes, &limits(limit));
                assert_eq!(verdict.is_ok(), inflated <= limit, "{} bytes inflating to {inflated}, limit {limit}: {:?}", bytes.len(), verdict.err());
            }
        }
    }

    /// Two entries sharing one compressed stream (a bomb without nesting) count twice.
    #[test]
    fn entries_sharing_their_data_count_each_time() {
        let bytes = archive(&[("a.xml", vec![0u8; 1 << 20])]);
        // The end record: entries on this disk and in all, the directory's size and place.
        let end = bytes.len() - 22;
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
        let (size, start) = (u32_at(end + 12), u32_at(end + 16));
        assert_eq!(u16_at(end + 10), 1);
        // The same record again, under another name (the name starts at byte 46).
        let mut record = bytes[start..start + size].to_vec();
        assert_eq!(&record[46..51], b"a.xml");
        record[46] = b'b';
        let mut twice = bytes[..start + size].to_vec();
        twice.extend_from_slice(&record);
        let mut tail = bytes[end..].to_vec();
        tail[8..10].copy_from_slice(&2u16.to_le_bytes());
        tail[10..12].copy_from_slice(&2u16.to_le_bytes());
        tail[12..16].copy_from_slice(&((2 * size) as u32).to_le_bytes());
        twice.extend_from_slice(&tail);
        // One entry's compressed size times the ratio is within 1.5 MB; two are not, and
        // they inflate to 2 MB.
        assert!(check_archive(Format::Xlsx, &bytes, &limits(3 << 19)).is_ok());
        assert!(check_archive(Format::Xlsx, &twice, &limits(3 << 19)).is_err());
    }
}
