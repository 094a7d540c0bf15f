//! The real national dashboard export of 13 July 2021 (../shared/corpus): per-district
//! dose 1 and dose 2 and the per-district targets of its map export, read without any
//! configuration. Expected figures were read by hand from the CSV files.

use crate::common::*;
use std::collections::HashMap;

fn corpus() -> std::path::PathBuf {
    shared().join("corpus/kemenkes-dashboard-2021-07-13")
}

#[test]
fn the_national_dashboard_export_is_read_per_district() {
    if !corpus().exists() {
        eprintln!("skipped: {} not present", corpus().display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = sitrep(&["run", corpus().to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let obs = read_observations(&out);
    // (district, dose) → vaccinated; every figure is dated from the folder name.
    let mut got: HashMap<(String, String), Vec<i64>> = HashMap::new();
    for o in &obs {
        assert_eq!(o["period"], "2021-07-13", "{o:?}");
        assert_eq!(o["group"], "all");
        got.entry((o["district_code"].clone(), o["dose"].clone())).or_default().push(o["vaccinated"].parse().unwrap());
    }
    let one = |d: &str, dose: &str| -> i64 {
        let v = got.get(&(d.to_string(), dose.to_string())).unwrap_or_else(|| panic!("no figure for {d} dose {dose}"));
        assert_eq!(v.len(), 1, "{d} dose {dose} counted {} times: {v:?}", v.len());
        v[0]
    };
    // DashboardPenerimaVaksinPerDaerah.csv: `Kab. Aceh Barat,Aceh,0.48%,"19,289"`.
    assert_eq!(one("11.05", "1"), 19_289);
    // VaksinKedua.csv: `Kab. Aceh Barat,Aceh,0.19%,"7,525"`.
    assert_eq!(one("11.05", "2"), 7_525);
    // `Kota Adm. Jakarta Pusat,Jakarta Raya,16.71%,"1,403,192"` and dose 2 `454,483`
    // (also in Vaksin-VaksinKeduaPageByProvince.csv: counted once).
    assert_eq!(one("31.71", "1"), 1_403_192);
    assert_eq!(one("31.71", "2"), 454_483);
    // Same-named districts of two provinces: Kota Banjar (Jawa Barat), Kab. Banjar (Kalsel).
    assert_eq!(one("32.79", "1"), 42_627);
    assert_eq!(one("63.03", "1"), 32_614);
    // `Kab. Bandung` 220,825, not the map's `Bandung` 842,306 (the regency and the city
    // together), which is ambiguous and rejected.
    assert_eq!(one("32.04", "1"), 220_825);
    // Every district of the list has dose 1 (513 of the dashboard + Padangsidimpuan, whose
    // spelling there differs) and no figure is counted twice.
    let dose1 = obs.iter().filter(|o| o["dose"] == "1").count();
    assert_eq!(dose1, 514, "dose-1 figures");

    // Targets: the map's `Peserta Vaksinasi` per district, not its per-province `Target`.
    let targets = read_csv(&out.join("export/targets.csv"));
    let target = |d: &str| targets.iter().find(|t| t["district_code"] == d && t["group"] == "all").map(|t| t["target"].clone());
    assert_eq!(target("11.05").as_deref(), Some("40288"));
    assert_eq!(target("32.79").as_deref(), Some("29862"));
    assert_eq!(target("63.03").as_deref(), Some("57514"));
    assert_eq!(target("63.02").as_deref(), Some("45676"), "`Kota Baru, Kalimantan Selatan` is KAB. KOTABARU");
    assert_eq!(target("32.04"), None, "the merged `Bandung` row gives no target");
    assert!(targets.iter().all(|t| t["target"] != "4028891"), "the province target column is not a district target");

    // Coverage is recomputed from the figures (the % columns are never read).
    let att = read_attainment(&out);
    let mut keys = std::collections::HashSet::new();
    for a in &att {
        assert!(keys.insert((a["province_code"].clone(), a["district_code"].clone(), a["group"].clone(), a["dose"].clone())), "attainment row twice: {a:?}");
    }
    let banjar = att.iter().find(|a| a["district_code"] == "32.79" && a["group"] == "all" && a["dose"] == "1").unwrap();
    assert_eq!(banjar["vaccinated"], "42627");
    let cov: f64 = banjar["coverage"].parse().unwrap();
    assert!((cov - 42_627.0 / 29_862.0).abs() < 1e-9, "{cov}");

    // Every file has its line; province-level files are skipped with the reason; the
    // ambiguous, misspelt and lake rows are findings.
    for f in ["DashboardPenerimaVaksinPerDaerah.csv", "VaksinKedua.csv", "MapbyDistrict.csv", "MapbyProvince.csv", "GrafikDivaksinPertamaPerProvinsi.csv"] {
        assert!(stdout.lines().any(|l| l.contains(f)), "no summary line for {f}:\n{stdout}");
    }
    assert!(stdout.lines().any(|l| l.contains("skipped") && l.contains("MapbyProvince.csv") && l.contains("province")), "{stdout}");
    let findings = read_csv(&out.join("export/findings.csv"));
    let has = |code: &str, cell: &str, text: &str| findings.iter().any(|f| f["code"] == code && f["cell"] == cell && f["message"].contains(text));
    assert!(has("unknown_district", "A23", "KOTA BANDUNG (32.73)"), "ambiguous Bandung");
    assert!(has("unknown_district", "A316", "KAB. PAKPAK BHARAT (12.15)"), "Pakpak Barat suggestion");
    assert!(has("rejected_row", "A217", "'Lake Toba' is not a district"));
    assert!(findings.iter().any(|f| f["code"] == "date_from_folder"));

    // Row accounting per file: every data row is accepted, a totals row or rejected.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("export/manifest.json")).unwrap()).unwrap();
    let map = manifest["inputs"].as_array().unwrap().iter().find(|i| i["path"].as_str().unwrap().ends_with("MapbyDistrict.csv")).unwrap();
    let rows = |k: &str| map[k].as_u64().unwrap();
    assert_eq!(rows("rows_accepted") + rows("rows_totals") + rows("rows_rejected"), 476, "MapbyDistrict.csv has 476 data rows");
}
