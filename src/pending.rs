//! Cached files whose rows stay in the cache until a stage needs them. A weekly run over
//! a year's folder needs the new week's rows (to settle them, check them, cut them and
//! write them), not the year's: decoding the year's 6 million was its longest step and
//! most of its memory.
//!
//! A cached file's rows may stay in the cache when settling would leave the file as
//! read: settling it on its own changes nothing (the last run found so,
//! [`crate::cache::Cache::settled_alone`]), it gives no targets, and no other file of the
//! run has rows of one of its districts and periods. A period is decoded whole or not at
//! all: a stage that needs a period's rows gets all of them ([`Unread`]).

use crate::cache::{Cache, Link, Stored};
use crate::sym::Sym;
use crate::table::{FileTable, Observation, Observations};
use anyhow::Result;
use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// The run's files whose rows are still in the cache, and what settling needs to know
/// of every file's districts and periods.
pub struct Pending<'c> {
    cache: &'c Cache,
    /// Per file: where its rows are while they are still in the cache.
    stored: Vec<Option<Stored>>,
    /// Per file: its districts and periods before settling.
    links: Vec<Vec<Link>>,
    /// How many files have rows of each district and period.
    sharing: FxHashMap<(Sym, NaiveDate), usize>,
}

impl<'c> Pending<'c> {
    /// After reading: `stored` says where each cached file's rows are. The rows that
    /// settling needs, and those `needed` asks for (files the cache writes again), are
    /// decoded into `files` now, with every period they touch; the others stay.
    pub fn new(cache: &'c Cache, files: &mut [FileTable], mut stored: Vec<Option<Stored>>, keys: &[Option<String>], needed: &[bool]) -> Result<Pending<'c>> {
        // Each file's links, taken from where the cache has its rows (kept here only).
        let links: Vec<Vec<Link>> = files.iter().zip(&mut stored).map(|(f, s)| s.as_mut().map_or_else(|| crate::cache::links_of(&f.observations), |s| std::mem::take(&mut s.links))).collect();
        let mut sharing: FxHashMap<(Sym, NaiveDate), usize> = Default::default();
        for (d, p, _) in links.iter().flatten() {
            *sharing.entry((*d, *p)).or_default() += 1;
        }
        let mut pending = Pending { cache, stored, links, sharing };
        let stays = |i: usize, f: &FileTable, p: &Pending| {
            let key_settled = keys.get(i).and_then(|k| k.as_deref()).is_some_and(|k| cache.settled_alone.contains(k));
            !needed.get(i).copied().unwrap_or(false) && key_settled && f.outcome.status == "ok" && f.targets.is_empty() && !p.links[i].is_empty() && !p.shares(i)
        };
        let mut now = vec![false; files.len()];
        for (i, f) in files.iter().enumerate() {
            match &pending.stored[i] {
                // Nothing to decode: a file with no rows.
                Some(_) if f.outcome.observations == 0 && pending.links[i].is_empty() => pending.stored[i] = None,
                Some(_) => now[i] = !stays(i, f, &pending),
                None => {}
            }
        }
        let touched: BTreeSet<NaiveDate> = (0..files.len()).filter(|i| pending.stored[*i].is_none() || now[*i]).flat_map(|i| pending.periods(i)).collect();
        // The files settling needs, and every file of the periods they touch.
        for i in pending.files_of(&touched) {
            now[i] = true;
        }
        let now = (0..files.len()).filter(|i| now[*i] && pending.stored[*i].is_some()).collect();
        pending.decode(files, now)?;
        Ok(pending)
    }

    /// Whether another file of the run has rows of one of file `i`'s districts and periods.
    pub fn shares(&self, i: usize) -> bool {
        self.links[i].iter().any(|(d, p, _)| self.sharing.get(&(*d, *p)).is_some_and(|n| *n > 1))
    }

    /// The periods file `i` has rows of (before settling).
    fn periods(&self, i: usize) -> impl Iterator<Item = NaiveDate> + '_ {
        self.links[i].iter().map(|(_, p, _)| *p)
    }

    /// The files still in the cache with rows of one of `periods`, and of every period
    /// those files touch in turn (a period is decoded whole).
    fn files_of(&self, periods: &BTreeSet<NaiveDate>) -> Vec<usize> {
        let mut of_period: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
        for i in (0..self.stored.len()).filter(|i| self.stored[*i].is_some()) {
            for p in self.periods(i) {
                of_period.entry(p).or_default().push(i);
            }
        }
        let mut seen: BTreeSet<NaiveDate> = BTreeSet::new();
        let mut todo: Vec<NaiveDate> = periods.iter().copied().collect();
        let mut files = BTreeSet::new();
        while let Some(p) = todo.pop() {
            if !seen.insert(p) {
                continue;
            }
            for &i in of_period.get(&p).into_iter().flatten() {
                if files.insert(i) {
                    todo.extend(self.periods(i));
                }
            }
        }
        files.into_iter().collect()
    }

    /// Decodes the rows of `periods` still in the cache into `files` (with the other
    /// periods of their files): for the stages that look at the rows themselves.
    pub fn load(&mut self, files: &mut [FileTable], periods: &BTreeSet<NaiveDate>) -> Result<()> {
        let which = self.files_of(periods);
        self.decode(files, which)
    }

    fn decode(&mut self, files: &mut [FileTable], which: Vec<usize>) -> Result<()> {
        if which.is_empty() {
            return Ok(());
        }
        let stored: Vec<Stored> = which.iter().filter_map(|i| self.stored[*i].take()).collect();
        let rows = self.cache.decode(&stored.iter().collect::<Vec<_>>())?;
        for (i, rows) in which.into_iter().zip(rows) {
            files[i].observations = rows;
        }
        Ok(())
    }

    /// Each file's periods while its rows are still in the cache (settling leaves such a
    /// file as it is).
    pub fn periods_in_cache(&self) -> Vec<Option<Vec<NaiveDate>>> {
        (0..self.stored.len()).map(|i| self.stored[i].as_ref().map(|_| self.periods(i).collect::<BTreeSet<_>>().into_iter().collect())).collect()
    }

    /// Whether file `i`'s rows are still in the cache.
    pub fn in_cache(&self, i: usize) -> bool {
        self.stored[i].is_some()
    }

    /// What stays in the cache, by period, for the stages that may yet need it.
    pub fn into_unread(self) -> Unread<'c> {
        let mut periods: BTreeMap<NaiveDate, (usize, Vec<Stored>)> = BTreeMap::new();
        for (i, s) in self.stored.into_iter().enumerate() {
            let Some(s) = s else { continue };
            for (_, p, n) in &self.links[i] {
                let e = periods.entry(*p).or_default();
                e.0 += n;
                // A file of several districts in the period: listed once.
                if e.1.last().is_none_or(|x| x.place() != s.place()) {
                    e.1.push(s.clone());
                }
            }
        }
        Unread::Cache(InCache { cache: self.cache, periods })
    }
}

/// The periods whose rows are not held yet, for the stages to read a few at a time:
/// still in the cache (a run), or in the archive (a re-render from it).
pub enum Unread<'c> {
    Cache(InCache<'c>),
    Archive(crate::archive::Unread),
}

impl Unread<'_> {
    /// The periods, with their numbers of rows.
    pub fn periods(&self) -> Vec<(NaiveDate, usize)> {
        match self {
            Unread::Cache(c) => c.periods().collect(),
            Unread::Archive(a) => a.periods().collect(),
        }
    }

    /// The rows of each of `periods`, in the order they were read.
    pub fn decode(&self, periods: &[NaiveDate]) -> Result<Vec<Observations>> {
        match self {
            Unread::Cache(c) => c.decode(periods),
            Unread::Archive(a) => a.decode(periods),
        }
    }
}

/// The periods whose rows are all still in the cache, with their numbers of rows and
/// their files (in file order).
pub struct InCache<'c> {
    cache: &'c Cache,
    periods: BTreeMap<NaiveDate, (usize, Vec<Stored>)>,
}

impl InCache<'_> {
    /// The periods, with their numbers of rows.
    pub fn periods(&self) -> impl Iterator<Item = (NaiveDate, usize)> + '_ {
        self.periods.iter().map(|(p, (n, _))| (*p, *n))
    }

    /// The rows of each of `periods`, in file order, as its files' lists: each segment
    /// holding some is read once, and a file's list with rows of that period only is
    /// moved, not copied (copying a year's was most of decoding it).
    pub fn decode(&self, periods: &[NaiveDate]) -> Result<Vec<Observations>> {
        let mut wanted: Vec<&Stored> = Vec::new();
        let mut at: FxHashMap<(u64, u32), usize> = Default::default();
        for p in periods {
            for s in self.periods.get(p).map(|(_, s)| s.as_slice()).unwrap_or_default() {
                at.entry(s.place()).or_insert_with(|| {
                    wanted.push(s);
                    wanted.len() - 1
                });
            }
        }
        let mut files: Vec<Vec<Observation>> = self.cache.decode(&wanted)?;
        Ok(periods
            .iter()
            .map(|p| {
                let of = self.periods.get(p).map(|(_, s)| s.as_slice()).unwrap_or_default();
                of.iter()
                    .map(|s| {
                        let rows = &mut files[at[&s.place()]];
                        if rows.iter().all(|o| o.period == *p) {
                            std::mem::take(rows)
                        } else {
                            rows.iter().filter(|o| o.period == *p).copied().collect()
                        }
                    })
                    .collect()
            })
            .collect())
    }
}
