//! The shape of the code, checked: layers that only point down, no import cycle between
//! modules, `unsafe` and `std::arch` only in the kernels module, metric names spelled only by
//! the metric key type, and no source file over 500 lines. Read from the source text, the
//! way a reviewer would grep it; test code (`#[cfg(test)]` modules) may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up; a module may import only those of a lower rank.
const LAYERS: &[&[&str]] = &[
    &["seeds", "usage", "metric", "kernels", "interrupt"],
    &["data"],
    &["model"],
    &["train", "palette"],
    &["presets"],
    &["runs"],
    &["analysis"],
    &["report", "app"],
    &["ui"],
    &["bench", "headless"],
    &["cli"],
    &["tui"],
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Source files of the crate, as (module path, text without its test code).
fn sources() -> Vec<(Vec<String>, String, PathBuf)> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Files that are test modules themselves (`#[cfg(test)] mod x;`).
    let mut test_mods = BTreeSet::new();
    for f in &files {
        let s = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        for w in lines.windows(2) {
            if w[0].trim() == "#[cfg(test)]" {
                if let Some(name) = w[1]
                    .trim()
                    .strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                {
                    test_mods.insert(f.parent().unwrap().join(format!("{name}.rs")));
                }
            }
        }
    }
    files
        .into_iter()
        .filter(|f| !test_mods.contains(f))
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().with_extension("");
            let mut m: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                m.pop();
            }
            let s = std::fs::read_to_string(&f).unwrap();
            let code = match s.find("#[cfg(test)]\nmod tests") {
                Some(i) => s[..i].to_string(),
                None => s,
            };
            (m, code, f)
        })
        .collect()
}

/// The paths of a `use` tree after `crate::` or `super::`: `a::b`, or each item of
/// `{a, b::{c, d}}`, as segment lists.
fn paths(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{') {
        let (mut depth, mut start, mut out) = (0, 0, Vec::new());
        let inner = &inner[..inner.rfind('}').unwrap_or(inner.len())];
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.extend(paths(&inner[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.extend(paths(&inner[start..]));
        return out;
    }
    match tree.split_once("::{") {
        Some((head, rest)) => {
            let head: Vec<String> = head.split("::").map(|s| s.trim().to_string()).collect();
            paths(&format!("{{{rest}"))
                .into_iter()
                .map(|p| head.iter().cloned().chain(p).collect())
                .collect()
        }
        None => vec![tree
            .split("::")
            .map(|s| s.trim().to_string())
            .take_while(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .collect()],
    }
}

/// The modules a file names through `crate::` and `super::` paths, brace groups included.
fn imports(me: &[String], code: &str, known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let base: Vec<String> = if start == "crate::" {
                Vec::new()
            } else {
                // The parent module: a `mod.rs` file's path is its folder's already.
                me[..me.len().saturating_sub(1)].to_vec()
            };
            // The path, or the whole brace group that follows.
            let rest = &code[from..];
            let end = if rest.starts_with('{') {
                let mut depth = 0;
                rest.char_indices()
                    .find(|&(_, c)| {
                        depth += i32::from(c == '{') - i32::from(c == '}');
                        depth == 0
                    })
                    .map_or(rest.len(), |(i, _)| i + 1)
            } else {
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
                    .unwrap_or(rest.len())
            };
            for p in paths(&rest[..end]) {
                let full: Vec<String> = base.iter().cloned().chain(p).collect();
                for k in (1..=full.len()).rev() {
                    if known.contains(&full[..k]) {
                        let t = full[..k].to_vec();
                        if !me.starts_with(&t) {
                            out.insert(t);
                        }
                        break;
                    }
                }
            }
        }
    }
    out
}

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn layers_only_point_down_and_no_modules_import_each_other_in_a_circle() {
    let files = sources();
    let known: BTreeSet<Vec<String>> = files.iter().map(|f| f.0.clone()).collect();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (m, code, _) in &files {
        if m.is_empty() {
            continue; // lib.rs and main.rs sit on top
        }
        let deps = imports(m, code, &known);
        for d in &deps {
            let (a, b) = (rank(&m[0]), rank(&d[0]));
            let (Some(a), Some(b)) = (a, b) else {
                wrong.push(format!("{} or {} is in no layer", m[0], d[0]));
                continue;
            };
            if m[0] != d[0] && b >= a {
                wrong.push(format!(
                    "{} imports {} (not below it)",
                    m.join("::"),
                    d.join("::")
                ));
            }
        }
        graph.insert(m.clone(), deps);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Depth-first search for a cycle among files.
    fn visit(
        u: &Vec<String>,
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        path: &mut Vec<Vec<String>>,
    ) -> Option<String> {
        state.insert(u.clone(), 1);
        path.push(u.clone());
        for v in g.get(u).into_iter().flatten() {
            match state.get(v) {
                Some(1) => {
                    let i = path.iter().position(|p| p == v).unwrap();
                    let c: Vec<String> =
                        path[i..].iter().chain([v]).map(|p| p.join("::")).collect();
                    return Some(c.join(" -> "));
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(v, g, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(u.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for u in graph.keys() {
        if !state.contains_key(u) {
            if let Some(c) = visit(u, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle: {c}");
            }
        }
    }
}

#[test]
fn unsafe_code_and_cpu_intrinsics_live_only_in_the_kernels_module() {
    let mut bad = Vec::new();
    for (m, code, path) in sources() {
        if m.first().is_some_and(|t| t == "kernels") || m.is_empty() {
            continue;
        }
        for (i, line) in code.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            if l.contains("unsafe ") || l.contains("unsafe{") || l.contains("std::arch") {
                bad.push(format!("{}:{}: {l}", path.display(), i + 1));
            }
        }
    }
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![deny(unsafe_code)]"));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn metric_names_are_spelled_only_by_the_metric_key_type() {
    use bnlab::metric::{LayerMetric, Metric};
    let mut names: Vec<String> = Metric::SCALARS.iter().map(|m| m.to_string()).collect();
    names.extend(LayerMetric::ALL.iter().map(|k| k.as_str().to_string()));
    let mut bad = Vec::new();
    for (m, code, path) in sources() {
        if m == ["metric"] {
            continue;
        }
        for n in &names {
            for lit in [format!("\"{n}\""), format!("\"{n}.")] {
                if code.contains(&lit) {
                    bad.push(format!("{}: {lit}", path.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut files = Vec::new();
    for d in ["src", "tests", "benches"] {
        rust_files(&root().join(d), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 500).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn use_trees_with_braces_are_read_as_imports() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(paths("{layout, App}"), vec![s(&["layout"]), s(&["App"])]);
    assert_eq!(
        paths("model::{self, kinds::{A, B}}"),
        vec![
            s(&["model", "self"]),
            s(&["model", "kinds", "A"]),
            s(&["model", "kinds", "B"])
        ]
    );
    let known: BTreeSet<Vec<String>> = [s(&["app", "help"]), s(&["app", "layout"]), s(&["model"])]
        .into_iter()
        .collect();
    let got = imports(
        &s(&["app", "help"]),
        "use super::{layout, App};\nuse crate::model::X;",
        &known,
    );
    assert_eq!(
        got,
        [s(&["app", "layout"]), s(&["model"])].into_iter().collect()
    );
}
