//! An images/labels pair from any bytes: never a panic; errors name one of the two files.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = match data.first() {
        Some(&b) if data.len() > 1 => 1 + (usize::from(b) * (data.len() - 1)) / 255,
        _ => data.len(),
    };
    let body = data.get(1..).unwrap_or_default();
    let cut = split.saturating_sub(1).min(body.len());
    let (images, labels) = body.split_at(cut);
    let (ip, lp) = (Path::new("fuzz-images"), Path::new("fuzz-labels"));
    match bnlab::data::idx::parse_pair(images, ip, labels, lp) {
        Ok(li) => {
            assert_eq!(li.pixels.len(), li.labels.len() * li.rows * li.cols);
            assert!(li.labels.iter().all(|&l| l < 10));
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains("fuzz-images") || m.contains("fuzz-labels"), "{m}");
        }
    }
});
