//! What some tests need from the machine (tmux, GNU parallel, the MNIST and Fashion-MNIST
//! files), and the one place that decides what a missing prerequisite means: CI installs
//! all of them, so under CI (the `CI` variable set) a missing one fails the test; elsewhere
//! the test is skipped with a line on stdout, visible with `--nocapture`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Whether the test may go on. `present` false: panics under CI, else prints a SKIP line.
pub fn require(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {what} is missing, and CI promises it (see .ci/run and docs/testing.md)");
    }
    println!("SKIP {test}: {what} is missing");
    false
}

/// Full MNIST as CI provides it, beside the checkout (never an absolute path, so that a
/// clone elsewhere finds its own copy or reports it missing).
pub fn shared_mnist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist")
}

/// The shared full MNIST folder, if it holds the four files and CI-or-not allows going on.
pub fn shared_mnist() -> Option<PathBuf> {
    let dir = shared_mnist_dir();
    let present = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    .iter()
    .all(|f| dir.join(f).is_file());
    require(&format!("full MNIST in {}", dir.display()), present).then_some(dir)
}

/// Fashion-MNIST from Debian's package `dataset-fashion-mnist`.
pub fn debian_fashion_mnist() -> Option<PathBuf> {
    let dir = PathBuf::from(bnlab::data::source::DEBIAN_FASHION_DIR);
    let present = dir.join("train-labels-idx1-ubyte.gz").is_file();
    require(
        &format!(
            "Fashion-MNIST in {} (Debian package dataset-fashion-mnist)",
            dir.display()
        ),
        present,
    )
    .then_some(dir)
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn tmux() -> bool {
    require("tmux", runs("tmux", "-V"))
}

pub fn gnu_parallel() -> bool {
    require("GNU parallel", runs("parallel", "--version"))
}
