#!/usr/bin/env python3
"""Generates a national benchmark corpus for `make bench`: every district of the
official list (514, with their sub-districts), one submission per district per week.

Most files are xlsx with title rows and a two-row merged header (group over Dosis
1/2/3) and a JUMLAH row, written directly as SpreadsheetML so 26,728 files take about a
minute; about 1 in 10 is a semicolon CSV with Indonesian numbers and about 1 in 20 an
xls (xlwt). Also writes a national targets workbook. Deterministic (fixed seed).

    python3 bench/make_national.py OUT_DIR WEEKS
"""
import csv, io, os, random, sys, zipfile, datetime
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
WILAYAH = os.path.join(HERE, "..", "src", "data", "wilayah_2020_kecamatan.csv")
GROUPS = [("SDMK", "sdmk", 3), ("Petugas Publik", "petugas_publik", 3), ("Lansia", "lansia", 3),
          ("Masyarakat Umum & Rentan", "umum_rentan", 3), ("Remaja 12-17", "remaja", 3), ("Anak 6-11", "anak", 2)]
BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]

def regions():
    districts, areas = [], {}
    with open(WILAYAH, newline="", encoding="utf-8") as f:
        for code, name in list(csv.reader(f))[1:]:
            if code.count(".") == 1:
                districts.append((code, name))
            elif code.count(".") == 2:
                areas.setdefault(code[:5], []).append((code, name))
    return districts, areas

def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s

def cell(r, c, v):
    ref = f"{col(c)}{r}"
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'

CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Rekap" sheetId="1" r:id="rId1"/></sheets></workbook>')
WBRELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')

def table(name, areas, week, rng, base):
    """Rows of counts per sub-district: cumulative, growing with the week."""
    rows = []
    for (code, aname), b in zip(areas, base):
        vals = []
        for _, _, doses in GROUPS:
            for d in range(doses):
                vals.append(int(b * (0.5 + 0.01 * week) * (0.8 ** d)))
        rows.append((aname, vals))
    return rows

def write_xlsx(path, dname, date, rows):
    header_a, header_b, merges = ["No", "Kecamatan"], ["", ""], ["A4:A5", "B4:B5"]
    c = 2
    for label, _, doses in GROUPS:
        header_a += [label] + [""] * (doses - 1)
        header_b += [f"Dosis {d + 1}" for d in range(doses)]
        merges.append(f"{col(c)}4:{col(c + doses - 1)}4")
        c += doses
    out = [f'<row r="1">{cell(1, 0, "REKAP VAKSINASI COVID-19")}</row>',
           f'<row r="2">{cell(2, 0, dname.replace("KAB.", "KABUPATEN"))}</row>',
           f'<row r="3">{cell(3, 0, "Data s.d. %d %s %d" % (date.day, BULAN[date.month - 1], date.year))}</row>',
           '<row r="4">' + "".join(cell(4, i, v) for i, v in enumerate(header_a) if v != "") + "</row>",
           '<row r="5">' + "".join(cell(5, i, v) for i, v in enumerate(header_b) if v != "") + "</row>"]
    totals = [0] * len(rows[0][1]) if rows else []
    r = 6
    for i, (aname, vals) in enumerate(rows):
        out.append(f'<row r="{r}">' + cell(r, 0, i + 1) + cell(r, 1, aname) + "".join(cell(r, 2 + j, v) for j, v in enumerate(vals)) + "</row>")
        totals = [a + b for a, b in zip(totals, vals)]
        r += 1
    out.append(f'<row r="{r}">' + cell(r, 0, "JUMLAH") + "".join(cell(r, 2 + j, v) for j, v in enumerate(totals)) + "</row>")
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(out) + '</sheetData><mergeCells count="%d">' % len(merges) + "".join(f'<mergeCell ref="{m}"/>' for m in merges) + "</mergeCells></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WBRELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)

def indo(n):
    return f"{n:,}".replace(",", ".")

def write_csv(path, dname, date, rows):
    head = ["Kecamatan"] + [f"{label} Dosis {d + 1}" for label, _, doses in GROUPS for d in range(doses)]
    lines = [f"REKAP VAKSINASI {dname.replace('KAB.', 'KABUPATEN')};;", f"Data s.d. {date.strftime('%d/%m/%Y')};;", ";".join(head)]
    for aname, vals in rows:
        lines.append(";".join([aname] + [indo(v) for v in vals]))
    with open(path, "w", encoding="cp1252", errors="replace", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")

def write_xls(path, dname, date, rows):
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Rekap")
    ws.write(0, 0, "REKAP VAKSINASI COVID-19")
    ws.write(1, 0, dname)
    ws.write(2, 0, "Data s.d. %s" % date.strftime("%d/%m/%Y"))
    ws.write_merge(3, 4, 0, 0, "No")
    ws.write_merge(3, 4, 1, 1, "Kecamatan")
    c = 2
    for label, _, doses in GROUPS:
        ws.write_merge(3, 3, c, c + doses - 1, label)
        for d in range(doses):
            ws.write(4, c + d, f"Dosis {d + 1}")
        c += doses
    for i, (aname, vals) in enumerate(rows):
        ws.write(5 + i, 0, i + 1)
        ws.write(5 + i, 1, aname)
        for j, v in enumerate(vals):
            ws.write(5 + i, 2 + j, v)
    wb.save(path)

def main():
    out, weeks = sys.argv[1], int(sys.argv[2])
    rng = random.Random(2022)
    districts, areas = regions()
    start = datetime.date(2022, 1, 1)
    base = {d: [rng.randint(200, 3000) for _ in areas.get(d, [])] for d, _ in districts}
    os.makedirs(out, exist_ok=True)
    # Targets: one row per district, groups as columns.
    tl = ["SASARAN VAKSINASI NASIONAL;;", "No;Kode;Kabupaten/Kota;SDMK;Petugas Publik;Lansia;Masyarakat Umum & Rentan;Remaja;Anak 6-11"]
    for i, (code, name) in enumerate(districts):
        s = sum(base[code]) or 1000
        tl.append(";".join([str(i + 1), code, name] + [str(int(s * k)) for k in (0.4, 1.5, 3, 12, 4, 3.5)]))
    with open(os.path.join(out, "sasaran.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join(tl) + "\n")
    n = 0
    for w in range(weeks):
        date = start + datetime.timedelta(days=7 * w)
        folder = os.path.join(out, "submissions", date.isoformat())
        os.makedirs(folder, exist_ok=True)
        for k, (code, name) in enumerate(districts):
            a = areas.get(code, [])
            if not a:
                continue
            rows = table(name, a, w, rng, base[code])
            stem = f"{code}_{name.replace('.', '').replace(' ', '_')}_{date.isoformat()}"
            if k % 20 == 7:
                write_xls(os.path.join(folder, stem + ".xls"), name, date, rows)
            elif k % 10 == 3:
                write_csv(os.path.join(folder, stem + ".csv"), name, date, rows)
            else:
                write_xlsx(os.path.join(folder, stem + ".xlsx"), name, date, rows)
            n += 1
    print(f"{n} files for {len(districts)} districts, {weeks} weeks in {out}")

if __name__ == "__main__":
    main()
