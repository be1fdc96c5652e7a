//! `report` on a real, short mnist-5k run.

use bnlab::presets;
use bnlab::report::write_report;

#[test]
fn report_on_a_short_run_writes_markdown_and_charts() {
    let mut config = presets::find("ioffe2015")
        .unwrap()
        .config(bnlab::data::DatasetName::Mnist5k);
    config.epochs = 1.0;
    config.probe_every = 20;
    let data = config.prepare_data(None).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (_, dir) = bnlab::headless::run(config, data, out.path(), true).unwrap();
    let md_path = write_report(std::slice::from_ref(&dir), None).unwrap();
    assert_eq!(md_path, dir.join("report.md"));
    let md = std::fs::read_to_string(&md_path).unwrap();
    for section in [
        "## Setup",
        "## Results",
        "## Charts",
        "## Discussion",
        "**Verdict.**",
    ] {
        assert!(md.contains(section), "{section} missing");
    }
    assert!(
        md.contains("sigmoid") && md.contains("N(0, 0.1²)"),
        "setup from config.json"
    );
    let svgs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert!(svgs.len() >= 2, "{svgs:?}");
    for s in &svgs {
        assert!(
            md.contains(&format!("]({s})")),
            "{s} not linked from report.md"
        );
        let text = std::fs::read_to_string(dir.join(s)).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains("<polyline"),
            "{s} has no lines"
        );
    }

    // --out puts the report elsewhere and leaves the run folder alone
    let other = tempfile::tempdir().unwrap();
    let p = write_report(std::slice::from_ref(&dir), Some(other.path())).unwrap();
    assert_eq!(p, other.path().join("report.md"));
    assert!(other.path().join("loss.svg").exists());
}
