//! Embeds every published schema revision (`schemas/<type>/versions/<n>.json`) into the crate, so
//! producers know each type's current revision (for `dataschema`) and the gateway can serve the
//! registry without reading files at run time. Each type's `schemas/<type>/meta.json` (its
//! compatibility rule and deprecation) is embedded too, for the registry's `meta` entities.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let schemas = manifest.join("..").join("schemas");
    println!("cargo:rerun-if-changed={}", schemas.display());
    let mut entries: Vec<(String, u32, PathBuf)> = Vec::new();
    let mut metas: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(types) = std::fs::read_dir(&schemas) {
        for ty in types.flatten() {
            let meta = ty.path().join("meta.json");
            println!("cargo:rerun-if-changed={}", meta.display());
            if meta.is_file() {
                metas.push((ty.file_name().to_string_lossy().into_owned(), meta));
            }
            let versions = ty.path().join("versions");
            println!("cargo:rerun-if-changed={}", versions.display());
            let Ok(files) = std::fs::read_dir(&versions) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                let Some(n) = revision_of(&path) else {
                    continue;
                };
                entries.push((ty.file_name().to_string_lossy().into_owned(), n, path));
            }
        }
    }
    entries.sort();
    let mut out = String::from(
        "/// Every published schema revision: (type, revision, document).\n\
         pub(crate) static PUBLISHED: &[(&str, u32, &str)] = &[\n",
    );
    for (ty, n, path) in &entries {
        let canonical = path.canonicalize().expect("listed file exists");
        writeln!(
            out,
            "    ({ty:?}, {n}, include_str!({:?})),",
            canonical.display()
        )
        .expect("string");
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("published.rs"), out).expect("OUT_DIR is writable");

    metas.sort();
    let mut out = String::from(
        "/// Every type's `meta.json`: (type, document).\n\
         pub(crate) static META: &[(&str, &str)] = &[\n",
    );
    for (ty, path) in &metas {
        let canonical = path.canonicalize().expect("listed file exists");
        writeln!(
            out,
            "    ({ty:?}, include_str!({:?})),",
            canonical.display()
        )
        .expect("string");
    }
    out.push_str("];\n");
    std::fs::write(out_dir.join("meta.rs"), out).expect("OUT_DIR is writable");
}

fn revision_of(path: &Path) -> Option<u32> {
    if path.extension()? != "json" {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok()
}
