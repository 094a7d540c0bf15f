//! What each period of the canonical table is made from, named without reading its rows.
//!
//! A period's rows are the settled rows of the files that have rows in it, in file
//! order. A file's rows before settling follow from its cache key (its content, its
//! path as shown, the build and the reading configuration), and settling only takes
//! rows out. So a period's key lists, in order, the cache key of each file with rows in
//! it, and for a file that settling trimmed, the fingerprint of the rows it kept there.
//! It changes whenever the period's rows can, and costs a few bytes per file where the
//! fingerprint of every row cost 0.3 s over a year (and the district sums it saved
//! were no more).

use crate::table::{FileTable, Observation};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What changes the meaning of a key: bumped when the keys are made otherwise.
const FORMAT: &str = "sitrep period key from files, 1";

/// The key of every period of the settled `files`, given each file's cache key and its
/// number of rows before settling. `None` when a file with rows has no cache key (a run
/// without the cache): its rows must then be fingerprinted. `in_cache`: the periods of
/// the files whose rows are still in the cache (settling left them as read), by file.
pub fn of(files: &[FileTable], cache_keys: &[Option<String>], rows_before: &[usize], in_cache: &[Option<Vec<NaiveDate>>]) -> Option<BTreeMap<NaiveDate, String>> {
    let build = crate::build_stamp();
    let mut keys: BTreeMap<NaiveDate, Sha256> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let still_in_cache = in_cache.get(i).and_then(Option::as_ref);
        if f.observations.is_empty() && still_in_cache.is_none() {
            continue;
        }
        let key = cache_keys.get(i)?.as_deref()?;
        let trimmed = still_in_cache.is_none() && rows_before.get(i) != Some(&f.observations.len());
        // An untrimmed file's rows are named by its key: only its periods are needed.
        let parts: Vec<(NaiveDate, Vec<&Observation>)> = match (still_in_cache, trimmed) {
            (Some(periods), _) => periods.iter().map(|p| (*p, Vec::new())).collect(),
            (None, true) => crate::table::partitioned(&f.observations, |o| o.period).into_iter().collect(),
            (None, false) => crate::table::periods(&f.observations).into_iter().map(|p| (p, Vec::new())).collect(),
        };
        for (period, rows) in parts {
            let h = keys.entry(period).or_insert_with(|| {
                let mut h = Sha256::new();
                h.update(FORMAT);
                h.update((build.len() as u64).to_le_bytes());
                h.update(&build);
                h
            });
            h.update((key.len() as u64).to_le_bytes());
            h.update(key);
            match trimmed {
                // The rows it kept: which ones depends on the other files.
                true => h.update(crate::export::fingerprint(&build, rows.iter().copied())),
                false => h.update(b"untrimmed"),
            }
        }
    }
    Some(keys.into_iter().map(|(p, h)| (p, hex::encode(h.finalize()))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(day: u32, area: &str, n: i64) -> Observation {
        Observation { period: NaiveDate::from_ymd_opt(2022, 1, day).unwrap(), ..crate::table::testing::obs(area, n, "B2") }
    }

    fn file(rows: Vec<Observation>) -> FileTable {
        FileTable { observations: rows, ..Default::default() }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, d).unwrap()
    }

    /// A period's key changes with the files that make it, their order and the rows
    /// settling left of a trimmed file; the other periods' keys do not.
    #[test]
    fn a_periods_key_changes_with_its_files_and_only_its_own() {
        let files = vec![file(vec![obs(8, "a", 1), obs(15, "a", 2), obs(8, "b", 3)]), file(vec![obs(15, "b", 4)])];
        let keys = |files: &[FileTable], cache: &[&str], before: &[usize]| of(files, &cache.iter().map(|k| Some(k.to_string())).collect::<Vec<_>>(), before, &[]).unwrap();
        let base = keys(&files, &["k1", "k2"], &[3, 1]);
        assert_eq!(base.keys().copied().collect::<Vec<_>>(), vec![day(8), day(15)]);
        assert_eq!(base, keys(&files, &["k1", "k2"], &[3, 1]), "the same files give the same keys");

        // The second file changed (another cache key): only its week's key changes.
        let other = keys(&files, &["k1", "k3"], &[3, 1]);
        assert_eq!(other[&day(8)], base[&day(8)]);
        assert_ne!(other[&day(15)], base[&day(15)]);

        // Files in another order (their paths sort otherwise): the week both are in changes.
        let swapped = keys(&[files[1].clone(), files[0].clone()], &["k2", "k1"], &[1, 3]);
        assert_eq!(swapped[&day(8)], base[&day(8)]);
        assert_ne!(swapped[&day(15)], base[&day(15)]);

        // Settling took a row out of the first file: the week it was in changes, and
        // so does which row it was.
        let trimmed_a = vec![file(vec![obs(8, "a", 1), obs(15, "a", 2)]), files[1].clone()];
        let trimmed_b = vec![file(vec![obs(15, "a", 2), obs(8, "b", 3)]), files[1].clone()];
        let (a, b) = (keys(&trimmed_a, &["k1", "k2"], &[3, 1]), keys(&trimmed_b, &["k1", "k2"], &[3, 1]));
        assert_ne!(a[&day(8)], base[&day(8)]);
        assert_ne!(a[&day(8)], b[&day(8)]);
        assert_ne!(a[&day(15)], base[&day(15)], "a trimmed file's kept rows are named in each of its weeks");
        assert_eq!(a[&day(15)], b[&day(15)]);

        // A file that settling emptied (a resubmission) is not part of any week.
        let superseded = vec![file(Vec::new()), files[1].clone()];
        let s = keys(&superseded, &["k1", "k2"], &[3, 1]);
        assert_eq!(s.keys().copied().collect::<Vec<_>>(), vec![day(15)]);

        // A file with rows but no cache key: no keys at all.
        assert!(of(&files, &[Some("k1".into()), None], &[3, 1], &[]).is_none());
    }
}
