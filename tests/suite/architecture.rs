//! ARCHITECTURE.md must name every module of `src/`, so a newcomer can follow the data flow
//! by file names alone and a new file cannot be added without saying what it owns.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn architecture_names_every_module_of_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut missing = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        // Test modules are named by the module they test.
        if parts.iter().any(|p| p == "tests" || p == "tests.rs") {
            continue;
        }
        let file = parts.last().unwrap();
        let name = if file == "mod.rs" {
            parts[parts.len() - 2].clone()
        } else {
            file.trim_end_matches(".rs").to_string()
        };
        let named = [
            format!("`{name}`"),
            format!("{name}.rs"),
            format!("{name}/"),
            format!("`{name}::"),
        ]
        .iter()
        .any(|form| doc.contains(form.as_str()));
        if !named {
            missing.push(rel.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {missing:?}"
    );
}
