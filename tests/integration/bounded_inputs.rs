//! Inputs of any size cost bounded memory: data files are checked from their header and
//! decompressed no further than it announces, and run files are streamed within size limits.

use std::io::Write;

use super::rel_support::{idx_folder, run, run_args, run_measured, saved_run, strs};

/// The most a refused input may make bnlab hold (full MNIST trains in about 100 MB).
const PEAK_KB: u64 = 200 * 1024;

#[test]
fn a_gzip_bomb_in_a_data_folder_is_refused_within_bounded_memory() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    // 20 sound images, then 512 MiB of zeros: about 0.5 MB on disk.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&bnlab::data::idx::encode(&[20, 28, 28], &[9u8; 20 * 784]))
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..512 {
        e.write_all(&zeros).unwrap();
    }
    std::fs::remove_file(d.join("train-images-idx3-ubyte")).unwrap();
    std::fs::write(d.join("train-images-idx3-ubyte.gz"), e.finish().unwrap()).unwrap();
    let Some((code, t, kb)) = run_measured(home.path(), &strs(&run_args(&d))) else {
        return;
    };
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("train-images-idx3-ubyte.gz: at least 1048576 trailing bytes"),
        "{t}"
    );
    assert!(kb < PEAK_KB, "peak {kb} kB");
}

#[test]
fn a_header_claiming_eight_million_images_is_refused_before_reading_them() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    let mut f = std::fs::File::create(d.join("train-images-idx3-ubyte")).unwrap();
    f.write_all(&bnlab::data::idx::encode(&[8_000_000, 28, 28], &[]))
        .unwrap();
    // 256 MiB of zeros that claim to be the images (sparse: costs no disk).
    f.set_len(16 + (256 << 20)).unwrap();
    drop(f);
    let Some((code, t, kb)) = run_measured(home.path(), &strs(&run_args(&d))) else {
        return;
    };
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("header announces 8000000 images; bnlab reads at most 120000"),
        "{t}"
    );
    assert!(kb < PEAK_KB, "peak {kb} kB");
}

#[test]
fn trailing_garbage_after_gzip_data_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    let raw = std::fs::read(d.join("train-labels-idx1-ubyte")).unwrap();
    let mut gz = super::rel_support::gzip(&raw);
    gz.extend_from_slice(b"<html>not a gzip member</html>");
    std::fs::remove_file(d.join("train-labels-idx1-ubyte")).unwrap();
    std::fs::write(d.join("train-labels-idx1-ubyte.gz"), gz).unwrap();
    let (code, t) = run(home.path(), &strs(&run_args(&d)));
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("train-labels-idx1-ubyte.gz: trailing garbage after gzip data"),
        "{t}"
    );
}

#[test]
fn a_data_path_that_is_a_folder_fifo_or_dangling_link_is_named() {
    let home = tempfile::tempdir().unwrap();
    for (i, make) in ["folder", "link", "fifo"].iter().enumerate() {
        let d = idx_folder(home.path(), &format!("d{i}"));
        let f = d.join("t10k-images-idx3-ubyte");
        std::fs::remove_file(&f).unwrap();
        let expect = match *make {
            "folder" => {
                std::fs::create_dir(&f).unwrap();
                "t10k-images-idx3-ubyte: is a folder"
            }
            "link" => {
                std::os::unix::fs::symlink(home.path().join("gone"), &f).unwrap();
                "t10k-images-idx3-ubyte: is a link to"
            }
            _ => {
                let ok = std::process::Command::new("mkfifo").arg(&f).status();
                if !ok.is_ok_and(|s| s.success()) {
                    continue;
                }
                "t10k-images-idx3-ubyte: is a FIFO"
            }
        };
        let (code, t) = run(home.path(), &strs(&run_args(&d)));
        assert_eq!(code, 1, "{make}: {t}");
        assert!(t.contains(expect), "{make}: {t}");
        assert_eq!(t.matches("t10k-images-idx3-ubyte").count(), 1, "{t}");
    }
}

#[test]
fn metrics_csv_linked_to_dev_zero_is_refused_by_report() {
    let home = tempfile::tempdir().unwrap();
    let dir = saved_run(home.path());
    std::fs::remove_file(dir.join("metrics.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("metrics.csv")).unwrap();
    let Some((code, t, kb)) = run_measured(home.path(), &["report", dir.to_str().unwrap()]) else {
        return;
    };
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("metrics.csv: is not a regular file"), "{t}");
    assert!(kb < PEAK_KB, "peak {kb} kB");
}

#[test]
fn an_oversized_or_endless_metrics_csv_is_refused_naming_it() {
    let home = tempfile::tempdir().unwrap();
    let dir = saved_run(home.path());
    let p = dir.join("metrics.csv");
    // Sparse, so the test costs no disk.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(bnlab::runs::limits::METRICS_MAX + 1)
        .unwrap();
    let (code, t) = run(home.path(), &["report", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("metrics.csv: 67108865 bytes, larger than the 64 MiB"),
        "{t}"
    );
    // One endless line within the size limit.
    std::fs::write(&p, vec![b'7'; 4 << 20]).unwrap();
    let (code, t) = run(home.path(), &["report", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("metrics.csv: a line longer than 1 MiB"), "{t}");
}

#[test]
fn a_long_metrics_csv_is_thinned_on_load_like_a_long_run() {
    let home = tempfile::tempdir().unwrap();
    let dir = saved_run(home.path());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("metrics.csv"))
        .unwrap();
    let mut rows = String::new();
    for step in 0..200_000 {
        rows.push_str(&format!("plain,1,{step},1,train_loss,0.5,0\n"));
    }
    f.write_all(rows.as_bytes()).unwrap();
    drop(f);
    let rec = bnlab::runs::load(&dir).unwrap();
    let n = rec.jobs[0]
        .rows
        .iter()
        .filter(|r| r.metric == bnlab::metric::Metric::TrainLoss)
        .count();
    assert!(n < bnlab::runs::record::SERIES_KEEP, "{n} rows kept");
}
