//! A run folder with fuzzed files: `runs::load` returns a record or an error naming the
//! file, never a panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Folder {
    /// false: a valid config.json, so the CSV readers are reached most of the time.
    fuzz_config: bool,
    config: Vec<u8>,
    metrics: Option<Vec<u8>>,
    summary: Option<Vec<u8>>,
    timing: Option<Vec<u8>>,
    /// Prepend the real metrics header so rows, not just the header check, get fuzzed.
    metrics_header: bool,
}

fn valid_config() -> Vec<u8> {
    let preset = bnlab::presets::find("ioffe2015").expect("preset");
    let cfg = bnlab::runs::folder::ConfigFile {
        bnlab_version: "0.1.0".into(),
        created: "2026-01-01T00:00:00Z".into(),
        data: bnlab::runs::DataInfo::default(),
        config: preset.config(bnlab::data::DatasetName::Mnist5k),
    };
    serde_json::to_vec(&cfg).expect("serializes")
}

fuzz_target!(|f: Folder| {
    let dir = std::env::temp_dir().join(format!("bnlab-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = if f.fuzz_config { f.config } else { valid_config() };
    std::fs::write(dir.join("config.json"), config).unwrap();
    if let Some(m) = f.metrics {
        let mut bytes = Vec::new();
        if f.metrics_header {
            bytes.extend_from_slice(b"variant,seed,step,epoch,metric,value,point\n");
        }
        bytes.extend_from_slice(&m);
        std::fs::write(dir.join("metrics.csv"), bytes).unwrap();
    }
    if let Some(s) = f.summary {
        std::fs::write(dir.join("summary.csv"), s).unwrap();
    }
    if let Some(t) = f.timing {
        std::fs::write(dir.join("timing.csv"), t).unwrap();
    }
    match bnlab::runs::load(&dir) {
        Ok(r) => {
            for j in &r.jobs {
                assert!(j.progress() <= 1.0);
            }
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains(&dir.display().to_string()), "{m}");
        }
    }
});
