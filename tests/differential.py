#!/usr/bin/env python3
"""Incremental runs against fresh runs, over a folder edited at random (`make differential`).

For each seed: a copy of the Jambi fixtures' first week, then STEPS random edits of the
folder as data officers make them (a week arrives, a file is added (now and then one that
breaks readers), deleted, renamed, resent into another week's folder, replaced by
another, a figure edited, edited at the same size with its time kept, touched) or of
sitrep's own state (a cache file damaged: a byte flipped, cut in half, deleted; an
archive partition damaged, which a re-render must name, or which the next run must write
again), a report on an earlier week
(--period), --previous, another threshold, the targets as a CSV with one changed, a
receipts log, some week folders given one by one instead of the folder; over the Jambi
fixtures (one province) or, with --national, a few provinces of bench/make_national.py's
corpus (several provinces in one period: the national report, and the archive's
partitions by province merged back in the run's order). After each edit the same out
folder, cache and archive are run again, and a fresh run (--no-cache, a new archive) over
the same folder: the exports, the manifest's inputs, the archive's partitions, the
report's PDFs and workbooks must be the same bytes, and `sitrep verify --archive` must find
the archive as sitrep wrote it. For some seeds the cache is kept apart (--cache) and each
run writes into a new output folder; for others the output folder and the archive sit in
the submissions folder while the cached run runs (`sitrep run . --out laporan`); for some
a photo of a form lies among the files (a finding the runs and re-renders must agree on). Now and then the latest period is re-rendered from the
archive alone and must say what the run said (PDF text, tables).

Fixed seeds, so a trial is the same edits each time. Not part of `make test` (a couple of
minutes); every divergence it found is a test in tests/it now. Needs python3, pdftotext.

    tests/differential.py SITREP_BINARY [--seeds 1-20] [--steps 30] [--damage] [--archive-damage]
                          [--national | --corpus DIR] [--keep]
"""
import argparse, csv, json, os, random, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAMBI = os.path.join(ROOT, 'fixtures', 'jambi')
HOSTILE = os.path.join(ROOT, 'fixtures', 'hostile')


def tree(d):
    """The files under d (sitrep's cache left out), by relative path."""
    out = {}
    for root, _, names in os.walk(d):
        if '.cache' in root.split(os.sep):
            continue
        for n in names:
            p = os.path.join(root, n)
            with open(p, 'rb') as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def alike(out, arch, period):
    """What a cached run must write as a fresh one does."""
    a = {}
    for k, v in tree(out).items():
        if k == os.path.join('export', 'manifest.json'):
            m = json.loads(v)
            a['manifest inputs'] = json.dumps(m['inputs'], sort_keys=True)
        elif k.startswith('export' + os.sep) and not k.endswith('.xlsx'):
            a[k] = v
        elif period and (k.endswith(f'{period}.pdf') or k.endswith(f'{period}.xlsx')):
            # The report's PDFs and officials' workbooks (earlier periods' stay in the folder).
            a[k] = v
    if os.path.isdir(arch):
        a.update(('archive/' + k, v) for k, v in tree(arch).items() if k.startswith('province_code='))
    return a


def pdf_text(path):
    return subprocess.run(['pdftotext', '-layout', path, '-'], capture_output=True).stdout


class Trial:
    def __init__(self, binary, seed, steps, damage, archive_damage, work, corpus):
        self.bin, self.seed, self.steps, self.fix = binary, seed, steps, corpus
        self.damage, self.archive_damage = damage, archive_damage
        self.rng = random.Random(seed)
        self.w = os.path.join(work, f'seed-{seed}')
        shutil.rmtree(self.w, ignore_errors=True)
        self.subs, self.out, self.arch = (os.path.join(self.w, x) for x in ('subs', 'out', 'archive'))
        os.makedirs(self.subs)
        self.weeks = sorted(os.listdir(os.path.join(self.fix, 'submissions')))
        # The corpus's own targets file (sasaran.xlsx, .csv, …).
        self.first_targets = next(os.path.join(self.fix, f) for f in sorted(os.listdir(self.fix)) if f.startswith('sasaran.'))
        self.pool = [(wk, f) for wk in self.weeks for f in sorted(os.listdir(os.path.join(self.fix, 'submissions', wk)))]
        self.held = '[cache]\nrows_held = 1\n' if self.rng.random() < 0.5 else ''
        # Now and then the cache kept apart (--cache) and each run into a new output folder,
        # as a team writing each week's reports to a folder of its own (drawn apart from
        # the edits, which stay as they were for every seed).
        self.apart = os.path.join(self.w, 'cache-apart') if random.Random(seed * 7919 + 1).random() < 0.3 else None
        # Now and then the output folder (with its cache) and the archive inside the
        # submissions folder while the cached run runs, as in `sitrep run . --out laporan`:
        # the run must pass them over. They are moved out for the edits and the fresh run
        # (for which they would be submissions).
        self.inside = not self.apart and random.Random(seed * 7919 + 2).random() < 0.3
        self.targets = self.first_targets
        self.receipts = None
        # The folder, or some of its week folders named one by one.
        self.inputs = None
        self.config_file = os.path.join(self.w, 'sitrep.toml')
        self.set_threshold(None)
        self.done = []

    def set_threshold(self, t):
        with open(self.config_file, 'w') as f:
            f.write((f'threshold = {t}\n' if t else '') + self.held)

    def run(self, out, arch, extra):
        args = [self.bin, 'run', *(self.inputs or [self.subs]), '--targets', self.targets, '--out', out, '--archive', arch, '--quiet', '--config', self.config_file] + extra
        if self.apart and '--no-cache' not in extra:
            args += ['--cache', self.apart]
        if self.receipts:
            args += ['--receipts', self.receipts]
        return subprocess.run(args, capture_output=True, text=True)

    def run_inside(self, extra):
        """The cached run with its output folder and archive moved into the submissions folder."""
        moves = [(self.out, os.path.join(self.subs, 'laporan')), (self.arch, os.path.join(self.subs, 'arsip'))]
        for rest, inside in moves:
            if os.path.exists(rest):
                os.rename(rest, inside)
        try:
            return self.run(*(inside for _, inside in moves), extra)
        finally:
            for rest, inside in moves:
                if os.path.exists(inside):
                    os.rename(inside, rest)

    def fail(self, why):
        print(f'seed {self.seed}: {why}\nedits (--keep keeps the folders):\n  ' + '\n  '.join(self.done))
        sys.exit(1)

    def present(self):
        return sorted(os.path.join(r, f) for r, _, fs in os.walk(self.subs) for f in fs)

    def add(self, week, name, into=None, as_name=None):
        d = os.path.join(self.subs, into or week)
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(self.fix, 'submissions', week, name), os.path.join(d, as_name or name))

    def edit(self, step):
        """One random edit; returns what it did and the run's extra arguments."""
        rng, have = self.rng, self.present()
        csvs = [p for p in have if p.endswith('.csv')]
        kinds = ['week', 'file', 'delete', 'figure', 'same_size', 'touch', 'rename', 'resend', 'replace', 'period', 'previous', 'threshold', 'targets', 'receipts', 'inputs', 'nothing']
        if self.damage and rng.random() < 0.4:
            kinds = ['damage_cache']
        if self.archive_damage and rng.random() < 0.25:
            kinds = ['damage_archive', 'tamper_archive']
        kind = rng.choice(kinds)
        extra = []
        if kind == 'week':
            wk = rng.choice(self.weeks)
            for (w, f) in self.pool:
                if w == wk and not os.path.exists(os.path.join(self.subs, w, f)):
                    self.add(w, f)
            return f'week {wk} arrives', extra
        if kind == 'file':
            if rng.random() < 0.15:
                # A file that breaks readers (found by fuzzing): a finding, cached as one.
                bad = rng.choice(sorted(f for f in os.listdir(HOSTILE) if f.endswith('.xls')))
                week = rng.choice(sorted(os.listdir(self.subs)))
                shutil.copy(os.path.join(HOSTILE, bad), os.path.join(self.subs, week, f'rekap_{step}_{bad}'))
                return f'{week}/rekap_{step}_{bad} (hostile) added', extra
            w, f = rng.choice(self.pool)
            self.add(w, f)
            return f'{w}/{f} added', extra
        if kind == 'delete' and len(have) > 3:
            p = rng.choice(have)
            os.remove(p)
            return f'{p} deleted', extra
        if kind in ('figure', 'same_size') and csvs:
            p = rng.choice(csvs)
            st = os.stat(p)
            data = open(p, 'rb').read()
            if kind == 'figure':
                found = list(re.finditer(rb'(?<=[,;])(\d{2,})(?=[,;\r\n])', data))
                if found:
                    m = rng.choice(found)
                    new = str(max(0, int(m.group(1)) + rng.choice([-50, -5, 7, 300]))).encode()
                    open(p, 'wb').write(data[:m.start()] + new + data[m.end():])
                    return f'{p}: {m.group(1).decode()} -> {new.decode()}', extra
            else:
                found = list(re.finditer(rb'(?<=[,;])([1-8])(?=\d)', data))
                if found:
                    m = rng.choice(found)
                    open(p, 'wb').write(data[:m.start()] + bytes([data[m.start()] + 1]) + data[m.end():])
                    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
                    return f'{p}: a digit raised, same size, same time', extra
        if kind == 'touch' and have:
            p = rng.choice(have)
            t = time.time() + rng.randint(-100000, 100000)
            os.utime(p, (t, t))
            return f'{p} touched', extra
        if kind == 'rename' and have:
            p = rng.choice(have)
            q = os.path.join(os.path.dirname(p), f'renamed_{step}_' + os.path.basename(p))
            os.rename(p, q)
            return f'{p} renamed {q}', extra
        if kind == 'resend' and have:
            p = rng.choice(have)
            q = os.path.join(self.subs, rng.choice(sorted(os.listdir(self.subs))), f'susulan_{step}_' + os.path.basename(p))
            shutil.copy(p, q)
            return f'{p} sent again as {q}', extra
        if kind == 'replace' and have:
            p = rng.choice(have)
            w, f = rng.choice([(w, f) for (w, f) in self.pool if f.endswith(os.path.splitext(p)[1])])
            shutil.copy(os.path.join(self.fix, 'submissions', w, f), p)
            return f'{p} replaced by {w}/{f}', extra
        if kind == 'period':
            week = rng.choice(sorted(os.listdir(self.subs)))
            return f'report on {week}', ['--period', week]
        if kind == 'previous' and os.path.isdir(os.path.join(self.out, 'export')):
            prev = os.path.join(self.w, f'previous-{step}')
            shutil.copytree(os.path.join(self.out, 'export'), prev)
            return 'with --previous', ['--previous', prev]
        if kind == 'targets' and os.path.isfile(os.path.join(self.out, 'export', 'targets.csv')):
            # The targets as a wide CSV (from the export's long table), one of them changed or not.
            rows = [r for r in csv.DictReader(open(os.path.join(self.out, 'export', 'targets.csv'))) if not r['unit']]
            groups = sorted({r['group'] for r in rows})
            table = {(r['district_code'], r['group']): r['target'] for r in rows}
            if rows and rng.random() < 0.7:
                d, g = rng.choice(sorted(table))
                table[(d, g)] = str(int(table[(d, g)]) + rng.choice([-1000, 1, 5000]))
                what = f'targets as CSV, {d} {g} now {table[(d, g)]}'
            else:
                what = 'targets as CSV'
            if rng.random() < 0.3:
                self.targets = self.first_targets
                return "targets: the corpus's own again", extra
            self.targets = os.path.join(self.w, f'sasaran-{step}.csv')
            with open(self.targets, 'w') as f:
                f.write('kode_wilayah,' + ','.join(groups) + '\n')
                for d in sorted({d for d, _ in table}):
                    f.write(d + ',' + ','.join(table.get((d, g), '') for g in groups) + '\n')
            return what, extra
        if kind == 'inputs':
            weeks = [os.path.join(self.subs, w) for w in sorted(os.listdir(self.subs))]
            if self.inputs or len(weeks) < 2:
                self.inputs = None
                return 'the whole folder given', extra
            self.inputs = rng.sample(weeks, rng.randint(1, len(weeks)))
            return f'week folders given one by one: {[os.path.basename(w) for w in self.inputs]}', extra
        if kind == 'receipts':
            if self.receipts and rng.random() < 0.3:
                self.receipts = None
                return 'no receipts log', extra
            self.receipts = os.path.join(self.w, f'receipts-{step}.csv')
            with open(self.receipts, 'w') as f:
                f.write('file,received\n')
                for p in have:
                    week = os.path.basename(os.path.dirname(p))
                    if rng.random() < 0.9:
                        f.write(f'{os.path.basename(p)},{week} {rng.randint(7, 23):02d}:{rng.randint(0, 59):02d}\n')
            return 'a receipts log', extra
        if kind == 'threshold':
            t = rng.choice([0.6, 0.7, 0.75, None])
            self.set_threshold(t)
            return f'threshold {t}', extra
        cache = self.apart or os.path.join(self.out, '.cache')
        if kind == 'damage_cache' and os.path.isdir(cache):
            files = sorted(os.path.join(r, f) for r, _, fs in os.walk(cache) for f in fs)
            p = rng.choice(files)
            data = open(p, 'rb').read()
            how = rng.choice(['flip', 'cut', 'delete'])
            if how == 'delete':
                os.remove(p)
            elif how == 'cut':
                open(p, 'wb').write(data[:len(data) // 2])
            elif data:
                i = rng.randrange(len(data))
                open(p, 'wb').write(data[:i] + bytes([data[i] ^ 1 << rng.randrange(8)]) + data[i + 1:])
            return f'cache file {p}: {how}', extra
        if kind == 'tamper_archive' and os.path.isdir(self.arch):
            # Changed in place and left there: the run must write it again (its size is the same).
            flipped = self.flip_a_partition_bit()
            if flipped:
                p, i = flipped
                return f'archive partition {p} changed at byte {i}, left there', extra
        if kind == 'damage_archive' and os.path.isdir(os.path.join(self.arch, '_runs')):
            flipped = self.flip_a_partition_bit()
            if flipped:
                p, i = flipped
                # Its own period re-rendered: read first, it must be named (unless no run
                # record covers the period any more).
                period = p.split('period=')[1].split(os.sep)[0]
                q = subprocess.run([self.bin, 'report', '--archive', self.arch, '--period', period, '--out', os.path.join(self.w, 'rendered-damaged'), '--quiet', '--config', self.config_file], capture_output=True, text=True)
                if q.returncode == 0 or (p not in q.stderr and 'holds no run covering' not in q.stderr):
                    self.fail(f'a partition damaged at byte {i}, {p}, was not named when {period} was re-rendered: {q.stderr[-800:]}')
                v = subprocess.run([self.bin, 'verify', '--archive', self.arch], capture_output=True, text=True)
                if v.returncode != 1 or not any(line.startswith('problem: ') and p in line for line in v.stdout.splitlines()):
                    self.fail(f'a partition damaged at byte {i}, {p}, was not named by sitrep verify --archive: {v.stdout[-800:]}')
                os.remove(p)
                return f'archive partition {p} damaged at byte {i}, named by a re-render, deleted', extra
        return 'nothing changed', extra

    def flip_a_partition_bit(self):
        """One bit of one archive partition flipped; its path and the byte, or None."""
        parts = sorted(os.path.join(r, f) for r, _, fs in os.walk(self.arch) for f in fs if f.endswith('.parquet'))
        if not parts:
            return None
        p = self.rng.choice(parts)
        data = bytearray(open(p, 'rb').read())
        i = self.rng.randrange(len(data))
        data[i] ^= 1 << self.rng.randrange(8)
        open(p, 'wb').write(data)
        return p, i

    def check_rerender(self, period):
        """The latest period re-rendered from the archive alone says what the run said."""
        arch_periods = sorted({x.split('period=')[1] for _, dirs, _ in os.walk(self.arch) for x in dirs if x.startswith('period=')})
        run_periods = sorted(os.path.splitext(x)[0] for x in os.listdir(os.path.join(self.out, 'export', 'observations_csv')))
        # The archive keeps periods no run covers any more (history): compared only when it holds the run's.
        if arch_periods != run_periods or period != run_periods[-1]:
            return
        again = os.path.join(self.w, 'rendered')
        shutil.rmtree(again, ignore_errors=True)
        q = subprocess.run([self.bin, 'report', '--archive', self.arch, '--period', period, '--out', again, '--quiet', '--config', self.config_file, '--targets', self.targets], capture_output=True, text=True)
        if q.returncode != 0:
            self.fail(f're-rendering {period} failed: {q.stderr[-1500:]}')
        differ = [f for f in os.listdir(again) if f.endswith(f'{period}.pdf') and pdf_text(os.path.join(again, f)) != pdf_text(os.path.join(self.out, f))]
        tables = ['findings.csv', 'targets.csv', 'ppkm_gates.csv'] + [os.path.join(d, x) for d in ('attainment_csv', 'observations_csv') for x in os.listdir(os.path.join(self.out, 'export', d))]
        for t in tables:
            a, b = os.path.join(self.out, 'export', t), os.path.join(again, 'export', t)
            if not os.path.exists(b) or open(a, 'rb').read() != open(b, 'rb').read():
                differ.append(t)
        if differ:
            self.fail(f'{period} re-rendered from the archive differs: {differ[:8]}')

    def go(self):
        for (w, f) in self.pool:
            if w == self.weeks[0]:
                self.add(w, f)
        # Now and then a photo of a form among the files: named in the findings, by the
        # cached run, the fresh one and the re-render alike.
        self.photo = random.Random(self.seed * 7919 + 3).random() < 0.3
        if self.photo:
            with open(os.path.join(self.subs, self.weeks[0], 'foto-formulir.jpg'), 'wb') as f:
                f.write(b'\xff\xd8\xff\xe0 not a spreadsheet')
        for step in range(self.steps):
            what, extra = self.edit(step)
            self.done.append(what)
            if self.apart:
                # A new output folder, the one before last let go of.
                shutil.rmtree(os.path.join(self.w, f'out-{step - 2}'), ignore_errors=True)
                self.out = os.path.join(self.w, f'out-{step}')
            ran = self.run_inside(extra) if self.inside else self.run(self.out, self.arch, extra)
            fresh_out, fresh_arch = os.path.join(self.w, 'fresh'), os.path.join(self.w, 'fresh-archive')
            shutil.rmtree(fresh_out, ignore_errors=True)
            shutil.rmtree(fresh_arch, ignore_errors=True)
            fresh = self.run(fresh_out, fresh_arch, extra + ['--no-cache'])
            if ran.returncode != fresh.returncode:
                self.fail(f'exit {ran.returncode}, a fresh run {fresh.returncode}:\n{ran.stderr[-1500:]}\n---\n{fresh.stderr[-1500:]}')
            if ran.returncode != 0:
                continue
            period = next((line.rsplit(' ', 1)[1] for line in ran.stdout.splitlines() if ' reports for ' in line), None)
            a, b = alike(self.out, self.arch, period), alike(fresh_out, fresh_arch, period)
            periods = {k.split('period=')[1].split(os.sep)[0] for k in b if k.startswith('archive/')}
            a = {k: v for k, v in a.items() if not k.startswith('archive/') or k.split('period=')[1].split(os.sep)[0] in periods}
            differ = sorted(set(a) ^ set(b)) + sorted(k for k in set(a) & set(b) if a[k] != b[k])
            if differ:
                self.fail(f'after "{what}" the cached run and a fresh one differ: {differ[:8]}')
            # The archive as sitrep wrote it, but for periods no run covers now (a week
            # withdrawn whole keeps its partitions; one of them damaged stays so).
            v = subprocess.run([self.bin, 'verify', '--archive', self.arch], capture_output=True, text=True)
            bad = [line for line in v.stdout.splitlines() if line.startswith('problem: ') and ('period=' not in line or line.split('period=')[1][:10] in periods)]
            if v.returncode not in (0, 1) or bad:
                self.fail(f'after "{what}" sitrep verify --archive says: {(bad or [v.stderr])[:4]}')
            if not extra and self.rng.random() < 0.3:
                self.check_rerender(period)
        print(f'seed {self.seed}: {self.steps} edits, cached and fresh runs alike' + (' (rows_held = 1)' if self.held else '') + (' (the cache kept apart, a new output folder each run)' if self.apart else '') + (' (the output folder and archive in the submissions folder)' if self.inside else '') + (' (a photo among the files)' if self.photo else ''))


# Provinces of bench/make_national.py's corpus kept for `--national`: a few of each size,
# their files' formats mixed (xlsx with two-row headers, semicolon CSV, xls).
NATIONAL_PROVINCES = ('15', '31', '34', '65', '75')


def national_corpus(work):
    """Three weeks of a few provinces from bench/make_national.py (it needs xlwt); None
    without xlwt."""
    try:
        import xlwt  # noqa: F401
    except ImportError:
        return None
    full, small = os.path.join(work, 'national-full'), os.path.join(work, 'national')
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'make_national.py'), full, '3'], check=True, capture_output=True)
    for week in os.listdir(os.path.join(full, 'submissions')):
        os.makedirs(os.path.join(small, 'submissions', week))
        for f in os.listdir(os.path.join(full, 'submissions', week)):
            if f.split('.')[0] in NATIONAL_PROVINCES:
                shutil.copy(os.path.join(full, 'submissions', week, f), os.path.join(small, 'submissions', week, f))
    shutil.copy(os.path.join(full, 'sasaran.csv'), small)
    shutil.rmtree(full)
    return small


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('binary')
    ap.add_argument('--seeds', default='1-10', help='a range, as 1-10')
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--damage', action='store_true', help="damage sitrep's cache files")
    ap.add_argument('--archive-damage', action='store_true', help='damage archive partitions')
    ap.add_argument('--keep', action='store_true', help='keep the folders of the trials')
    ap.add_argument('--corpus', default=JAMBI, help='a folder holding submissions/<week>/ and a sasaran.* targets file (the Jambi fixtures unless given)')
    ap.add_argument('--national', action='store_true', help="a few provinces of bench/make_national.py's corpus instead (needs xlwt: skipped without)")
    args = ap.parse_args()
    first, _, last = args.seeds.partition('-')
    work = tempfile.mkdtemp(prefix='sitrep-differential-')
    try:
        corpus = os.path.abspath(args.corpus)
        if args.national:
            corpus = national_corpus(work)
            if corpus is None:
                print('skipped: --national needs xlwt (pip install xlwt) for bench/make_national.py')
                return
        for seed in range(int(first), int(last or first) + 1):
            Trial(os.path.abspath(args.binary), seed, args.steps, args.damage, args.archive_damage, work, corpus).go()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
