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

/// Inflates every entry of a zip-based workbook through a bounded reader, refusing
/// archives whose total decompressed size exceeds the limit (decompression bombs), and
/// notes links to other workbooks (never followed) and macros (never run).
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
        return Err("the workbook is encrypted (password-protected); ask the sender for an unprotected copy".into());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("damaged workbook: {e}"))?;
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| format!("damaged workbook: {e}"))?;
        if f.encrypted() {
            return Err("the workbook is encrypted (password-protected); ask the sender for an unprotected copy".into());
        }
        let name = f.name().map(|n| n.to_string()).unwrap_or_default();
        if name.starts_with("xl/externalLinks/") && !notes.iter().any(|n: &PackageNote| n.code == "external_links") {
            notes.push(PackageNote {
                code: "external_links",
                message: "the workbook links to other workbooks; the links were not followed and the values saved in this file were used",
            });
        }
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
        total += std::io::copy(&mut stream.take(remaining + 1), &mut std::io::sink()).map_err(damaged)?;
        if total > limits.max_unzipped_bytes {
            return Err(format!("refused: the workbook holds more than {} MB of data (limits.max_unzipped_bytes)", limits.max_unzipped_bytes >> 20));
        }
    }
    Ok(())
}
