//! The canonical table as Parquet, written straight from the observations.
//!
//! polars' writer, given the frame of [`table::observations_frame`], found each text
//! column's dictionary by hashing every row's text again, after the frame's text columns
//! had been built: together a third of the time a year's table took to write. Here a
//! text column's dictionary is made from the texts' interned numbers, and the arrays go
//! to polars' own Parquet encoder as its writer hands them on after its cast: the file
//! is the one polars writes — the same schema, encodings, row groups and statistics (a
//! test holds the bytes of the two together).

use crate::sym::Sym;
use crate::table::{self, Observation};
use anyhow::Result;
use polars::prelude::{ParquetCompression, ParquetWriter, PolarsError, PolarsResult};
use polars_arrow::array::{Array, DictionaryArray, MutableBinaryViewArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::read::ParquetError;
use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{array_to_columns, get_dtype_encoding, CompressedDataPage, CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, FallibleStreamingIterator, Page, StatisticsOptions, Version, WriteOptions};

/// Writes `rows` as one Parquet file with the columns of [`table::observations_frame`]
/// but `dropped` (the archive's partitions leave out what their folders name), a row
/// group per `group_rows` rows.
pub(crate) fn write(rows: &[&Observation], dropped: &[&str], group_rows: usize, compression: ParquetCompression, w: &mut dyn std::io::Write) -> Result<()> {
    let schema = table::observations_frame(std::iter::empty())?.drop_many(dropped.iter().copied()).schema().clone();
    let mut writer = ParquetWriter::new(w).with_compression(compression).batched(&schema)?;
    let types = writer.parquet_schema().fields().to_vec();
    // What polars' writer uses with these settings.
    let options = WriteOptions { statistics: StatisticsOptions::default(), compression: compression.into(), version: Version::V1, data_page_size: None };
    for group in rows.chunks(group_rows) {
        let columns: Vec<Box<dyn Array>> = COLUMNS.iter().filter(|(name, _)| !dropped.contains(name)).map(|(_, column)| column(group)).collect::<PolarsResult<_>>()?;
        let mut encoded = Vec::with_capacity(columns.len());
        for (array, type_) in columns.iter().zip(&types) {
            for pages in array_to_columns(array, type_.clone(), options, &get_dtype_encoding(array.dtype()))? {
                // As polars' writer compresses them (its errors reraised the same way).
                let pages = pages.map(|page| page.map_err(|e| ParquetError::FeatureNotSupported(format!("reraised in polars: {e}"))));
                encoded.push(Ok(DynStreamingIterator::new(Compressing { pages, compression: options.compression, current: None }.map_err(PolarsError::from))));
            }
        }
        let mut file = writer.get_writer().lock().map_err(|_| anyhow::anyhow!("the Parquet writer was poisoned"))?;
        file.write(group.len() as u64, DynIter::new(encoded.into_iter()))?;
    }
    writer.finish()?;
    Ok(())
}

/// A column chunk's pages compressed as polars' `Compressor` compresses them, the same
/// bytes, but with zstd a context kept per thread: polars makes a new one for each page
/// (`zstd::bulk::compress_to_buffer`), and a year's weekly run, writing the archive's
/// partitions a few hundred pages at a time, spent more making contexts than compressing.
struct Compressing<I> {
    pages: I,
    compression: CompressionOptions,
    current: Option<CompressedPage>,
}

impl<I: Iterator<Item = Result<Page, ParquetError>>> FallibleStreamingIterator for Compressing<I> {
    type Item = CompressedPage;
    type Error = ParquetError;

    fn advance(&mut self) -> Result<(), ParquetError> {
        self.current = self.pages.next().map(|page| compress(page?, self.compression)).transpose()?;
        Ok(())
    }

    fn get(&self) -> Option<&CompressedPage> {
        self.current.as_ref()
    }
}

thread_local! {
    /// This thread's zstd context, with the level it was made for.
    static ZSTD: std::cell::RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { std::cell::RefCell::new(None) };
}

/// One page compressed: zstd through this thread's context, anything else by polars.
fn compress(page: Page, compression: CompressionOptions) -> Result<CompressedPage, ParquetError> {
    let CompressionOptions::Zstd(level) = compression else { return polars_parquet::write::compress(page, Vec::new(), compression) };
    // The level polars passes to zstd (0, its default, when none is set).
    let level = level.map(|l| l.compression_level()).unwrap_or_default();
    let zstd = |bytes: &[u8]| -> Result<Vec<u8>, ParquetError> {
        ZSTD.with_borrow_mut(|kept| {
            if kept.as_ref().is_none_or(|(made_for, _)| *made_for != level) {
                *kept = Some((level, zstd::bulk::Compressor::new(level)?));
            }
            let (_, context) = kept.as_mut().expect("made above");
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
            context.compress_to_buffer(bytes, &mut out)?;
            Ok(out)
        })
    };
    Ok(match page {
        Page::Data(page) => {
            // Version 1 pages only (what `write` asks for): a version 2 page keeps its
            // levels uncompressed, which polars does for it.
            if !matches!(page.header(), DataPageHeader::V1(_)) {
                return polars_parquet::write::compress(Page::Data(page), Vec::new(), compression);
            }
            let num_rows = page.num_rows.ok_or_else(|| ParquetError::OutOfSpec("a page to write without its number of rows".into()))?;
            CompressedPage::Data(CompressedDataPage::new(page.header().clone(), CowBuffer::Owned(zstd(page.buffer())?), compression.into(), page.buffer().len(), page.descriptor.clone(), num_rows))
        }
        Page::Dict(page) => CompressedPage::Dict(CompressedDictPage::new(CowBuffer::Owned(zstd(&page.buffer)?), compression.into(), page.buffer.len(), page.num_values, page.is_sorted)),
    })
}

/// Each column of the table by name, in [`table::observations_frame`]'s order, as the
/// arrow array polars' writer encodes for it.
type Column = fn(&[&Observation]) -> PolarsResult<Box<dyn Array>>;
const COLUMNS: [(&str, Column); 11] = [
    ("period", |rows| Ok(Box::new(PrimitiveArray::<i32>::new(ArrowDataType::Date32, rows.iter().map(|o| table::days_of(o.period)).collect::<Vec<_>>().into(), None)))),
    ("province_code", |rows| texts(rows, |o| Some(o.province_code))),
    ("district_code", |rows| texts(rows, |o| Some(o.district_code))),
    ("area_code", |rows| texts(rows, |o| o.area_code)),
    ("unit", |rows| texts(rows, |o| o.unit)),
    ("group", |rows| dictionary(rows.iter().map(|o| Some((o.group.code(), o.group.code()))))),
    ("dose", |rows| Ok(Box::new(PrimitiveArray::<i32>::from_vec(rows.iter().map(|o| o.dose as i32).collect())))),
    ("vaccinated", |rows| Ok(Box::new(PrimitiveArray::<i64>::from_vec(rows.iter().map(|o| o.vaccinated).collect())))),
    ("source", |rows| texts(rows, |o| Some(o.source))),
    ("sheet", |rows| texts(rows, |o| Some(o.sheet))),
    ("cell", |rows| texts(rows, |o| Some(o.cell))),
];

/// A text column of interned texts, keyed by their interned numbers.
fn texts(rows: &[&Observation], text: fn(&Observation) -> Option<Sym>) -> PolarsResult<Box<dyn Array>> {
    dictionary(rows.iter().map(|o| text(o).map(|s| (s.id(), s.as_str()))))
}

/// A dictionary array of texts (missing ones null), `key` telling texts apart: its
/// values in the order first seen, as polars' cast to a dictionary numbers them. A
/// column of mostly distinct texts is handed over as the texts themselves: polars writes
/// such a column plain when its estimate of the distinct texts passes three quarters of
/// the rows, and is left to decide (three fifths leaves its estimate a wide margin).
fn dictionary<K: std::hash::Hash + Eq + Copy>(texts: impl ExactSizeIterator<Item = Option<(K, &'static str)>>) -> PolarsResult<Box<dyn Array>> {
    let rows = texts.len();
    let mut keys: Vec<u32> = Vec::with_capacity(rows);
    let mut present: Vec<bool> = Vec::with_capacity(rows);
    let mut values = MutableBinaryViewArray::<str>::new();
    let mut distinct: Vec<&'static str> = Vec::new();
    let mut numbers: rustc_hash::FxHashMap<K, u32> = Default::default();
    // Most rows repeat the row above's text (a file's path, its sheet, its codes).
    let mut last: Option<(K, u32)> = None;
    for text in texts {
        let Some((key, text)) = text else {
            keys.push(0);
            present.push(false);
            continue;
        };
        let number = match last {
            Some((k, n)) if k == key => n,
            _ => *numbers.entry(key).or_insert_with(|| {
                values.push_value(text);
                distinct.push(text);
                values.len() as u32 - 1
            }),
        };
        last = Some((key, number));
        keys.push(number);
        present.push(true);
    }
    if rows > 128 && distinct.len() * 5 > rows * 3 {
        let mut plain = MutableBinaryViewArray::<str>::with_capacity(rows);
        for (key, present) in keys.iter().zip(&present) {
            plain.push(present.then(|| distinct[*key as usize]));
        }
        return Ok(plain.freeze().boxed());
    }
    // A column without a missing text has no validity, as polars builds it.
    let validity = present.contains(&false).then(|| Bitmap::from_iter(present));
    let keys = PrimitiveArray::<u32>::from_vec(keys).with_validity(validity);
    let dtype = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Utf8View), false);
    Ok(Box::new(DictionaryArray::try_new(dtype, keys, values.freeze().boxed())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::vocab::Group;

    fn row(i: usize) -> Observation {
        let s = |t: String| Sym::new(&t);
        Observation {
            period: chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
            province_code: s("15".into()),
            district_code: s(format!("15.0{}", i % 3)),
            area_code: (!i.is_multiple_of(7)).then(|| s(format!("15.01.{:02}", i % 11))),
            unit: (i.is_multiple_of(5)).then(|| s("Puskesmas Sungai Penuh, \"Kota\"".into())),
            group: if i.is_multiple_of(2) { Group::Sdmk } else { Group::Lansia },
            dose: (i % 3) as u8 + 1,
            vaccinated: (i * 37 % 1000) as i64 - 3,
            source: s(format!("kiriman/minggu-{}/15.0{}_KAB_KERINCI_dengan_nama_yang_panjang.xlsx", i / 40_000, i % 3)),
            sheet: s("Rekap".into()),
            cell: s(format!("{}{}", ["C", "D", "E"][i % 3], 6 + i % 40)),
        }
    }

    const GROUP_ROWS: usize = 1 << 15;

    /// polars' own writer, given the table's frame in the same row groups.
    fn by_polars(rows: &[&Observation], compression: ParquetCompression) -> Vec<u8> {
        let mut bytes = Vec::new();
        let frames = rows.chunks(GROUP_ROWS).map(|part| table::observations_frame(part.iter().copied()));
        crate::export::parquet_batches(frames, compression, &mut bytes).unwrap();
        bytes
    }

    #[test]
    fn the_file_is_byte_for_byte_the_one_polars_writes_from_the_frame() {
        let owned: Vec<Observation> = (0..2 * GROUP_ROWS + 17).map(row).collect();
        let rows: Vec<&Observation> = owned.iter().collect();
        // A column of mostly distinct texts (a file whose every figure is in a cell of
        // its own), which polars writes plain, and one on either side of where it stops.
        let distinct: Vec<Observation> = (0..1000).map(|i| Observation { cell: Sym::new(&format!("C{i}")), ..row(i) }).collect();
        let halves: Vec<Observation> = (0..1000).map(|i| Observation { cell: Sym::new(&format!("D{}", i % 500)), ..row(i) }).collect();
        let most: Vec<Observation> = (0..1000).map(|i| Observation { cell: Sym::new(&format!("E{}", i % 800)), ..row(i) }).collect();
        let [distinct, halves, most] = [&distinct, &halves, &most].map(|rows| rows.iter().collect::<Vec<_>>());
        let cases = [(&rows[..], ParquetCompression::default()), (&rows[..3], ParquetCompression::default()), (&rows[..], ParquetCompression::Uncompressed), (&distinct, ParquetCompression::default()), (&halves, ParquetCompression::default()), (&most, ParquetCompression::default())];
        for (rows, compression) in cases {
            let mut ours = Vec::new();
            write(rows, &[], GROUP_ROWS, compression, &mut ours).unwrap();
            assert_eq!(ours, by_polars(rows, compression), "{} rows, {compression:?}", rows.len());
        }
        // As the archive writes a partition: without the columns its folders name, in
        // polars' default row groups.
        let mut ours = Vec::new();
        write(&rows[..GROUP_ROWS], &["province_code", "period"], 512 * 512, ParquetCompression::default(), &mut ours).unwrap();
        let mut frame = table::observations_frame(rows[..GROUP_ROWS].iter().copied()).unwrap().drop_many(["province_code", "period"]);
        let mut theirs = Vec::new();
        polars::prelude::ParquetWriter::new(&mut theirs).finish(&mut frame).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_table_without_rows_is_a_file_with_the_columns_and_no_row_group() {
        let mut ours = Vec::new();
        write(&[], &[], GROUP_ROWS, ParquetCompression::default(), &mut ours).unwrap();
        let mut theirs = Vec::new();
        crate::export::parquet_batches(std::iter::once(table::observations_frame(std::iter::empty())), ParquetCompression::default(), &mut theirs).unwrap();
        assert_eq!(ours, theirs);
    }
}
