//! Deleting a run folder, and only a run folder: one whose config bnlab reads and whose
//! files are all ones bnlab writes there. Anything else in it (a subfolder, a link, a file
//! of the user's) makes the deletion refuse, so a mistaken path never costs foreign data.

use std::path::Path;

use super::folder::{io_err, load_config, RunError, CONFIG, METRICS, SUMMARY, TIMING};

/// Files bnlab writes into a run folder: the run's own, the report and its charts, and the
/// temporary files of a write cut short.
fn is_ours(name: &str) -> bool {
    [CONFIG, METRICS, SUMMARY, TIMING, "report.md"].contains(&name)
        || name.ends_with(".svg")
        || name.ends_with(".tmp")
}

/// Removes the run folder `dir` with everything in it, after checking that it is one.
pub fn delete_run(dir: &Path) -> Result<(), RunError> {
    let meta = std::fs::symlink_metadata(dir).map_err(io_err(dir))?;
    if !meta.is_dir() {
        return Err(refuse(dir, "not a folder"));
    }
    // Reading the config proves bnlab made the folder; a damaged config is kept for the user.
    load_config(dir)?;
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let file = e.file_type().map_err(io_err(&e.path()))?.is_file();
        if !file || !is_ours(&name) {
            return Err(refuse(
                dir,
                &format!("holds `{name}`, which bnlab did not write; delete it by hand"),
            ));
        }
    }
    std::fs::remove_dir_all(dir).map_err(io_err(dir))
}

fn refuse(dir: &Path, why: &str) -> RunError {
    RunError::Io {
        path: dir.to_owned(),
        cause: std::io::Error::other(format!("not deleted: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_folder(parent: &Path) -> std::path::PathBuf {
        let c = crate::presets::find("ioffe2015")
            .unwrap()
            .config(crate::data::DatasetName::Mnist5k);
        let rec = crate::runs::RunRecord::new(
            c,
            crate::runs::DataInfo {
                origin: "embedded".into(),
                train: 4000,
                val: 1000,
                test: 0,
            },
        );
        crate::runs::save_new(&rec, parent, &[]).unwrap()
    }

    #[test]
    fn a_run_folder_goes_with_its_report_and_charts() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = run_folder(tmp.path());
        std::fs::write(dir.join("report.md"), "# r").unwrap();
        std::fs::write(dir.join("run-loss.svg"), "<svg/>").unwrap();
        delete_run(&dir).unwrap();
        assert!(!dir.exists());
        assert!(tmp.path().exists());
    }

    #[test]
    fn anything_that_is_not_a_run_folder_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        // Not a run: no config.
        let plain = tmp.path().join("notes");
        std::fs::create_dir(&plain).unwrap();
        std::fs::write(plain.join("todo.txt"), "x").unwrap();
        assert!(delete_run(&plain).is_err());
        assert!(plain.join("todo.txt").exists());
        // A run folder holding a file of the user's, or a subfolder.
        let dir = run_folder(tmp.path());
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let e = delete_run(&dir).unwrap_err().to_string();
        assert!(e.contains("notes.txt"), "{e}");
        assert!(dir.join("notes.txt").exists() && dir.join(CONFIG).exists());
        std::fs::remove_file(dir.join("notes.txt")).unwrap();
        std::fs::create_dir(dir.join("sub")).unwrap();
        assert!(delete_run(&dir).is_err());
        // A link to a run folder is not the folder.
        std::fs::remove_dir(dir.join("sub")).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(delete_run(&link).is_err());
        assert!(dir.join(CONFIG).exists());
        delete_run(&dir).unwrap();
        assert!(!dir.exists());
    }
}
