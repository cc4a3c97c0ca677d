//! Reading inputs the way `istioctl analyze` reads files: files, directories (walked for
//! `*.yaml`, `*.yml`, `*.json`), `-` for stdin; meshroute config files recognised by shape and
//! their `include:` entries resolved. `check`, `test` and `diff` read their inputs here.

use crate::common::resolver;
use meshroute_core::config::{parse_config, ProxyIdentity};
use meshroute_core::diag::Diagnostic;
use meshroute_core::node::Value;
use meshroute_core::resources::{LoadOptions, Resources};
use meshroute_core::yaml::{parse_documents, Limits};
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Source {
    Stdin,
    Path(PathBuf),
}

/// One input file, read as UTF-8.
pub struct Input {
    pub name: String,
    /// For de-duplicating files named twice (directly and through a config's `include:`).
    pub canonical: Option<PathBuf>,
    pub text: String,
}

/// A usage or I/O problem: one line, exit status 2.
pub struct Fatal(pub String);

pub fn source(arg: &OsString) -> Source {
    if arg == "-" {
        Source::Stdin
    } else {
        Source::Path(PathBuf::from(arg))
    }
}

/// Reads every input as UTF-8 text, expanding directories.
pub fn read_inputs(sources: &[Source]) -> Result<Vec<Input>, Fatal> {
    let mut files = Vec::new();
    let mut stdin_read = false;
    for s in sources {
        match s {
            Source::Stdin => {
                if stdin_read {
                    continue;
                }
                stdin_read = true;
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|e| Fatal(format!("<stdin>: {e}")))?;
                files.push(Input {
                    name: "<stdin>".to_string(),
                    canonical: None,
                    text: utf8("<stdin>", bytes)?,
                });
            }
            Source::Path(p) => {
                let meta =
                    std::fs::metadata(p).map_err(|e| Fatal(format!("{}: {e}", p.display())))?;
                if meta.is_dir() {
                    let mut found = Vec::new();
                    walk(p, &mut found, 0)?;
                    if found.is_empty() {
                        return Err(Fatal(format!(
                            "{}: no *.yaml, *.yml or *.json files in this directory",
                            p.display()
                        )));
                    }
                    for f in found {
                        files.push(read_file(&f)?);
                    }
                } else {
                    files.push(read_file(p)?);
                }
            }
        }
    }
    // A file named twice (directly and inside a named directory) is read once.
    let mut seen = HashSet::new();
    files.retain(|f| f.canonical.as_ref().is_none_or(|c| seen.insert(c.clone())));
    Ok(files)
}

pub fn read_file(p: &Path) -> Result<Input, Fatal> {
    let name = p.display().to_string();
    let bytes = std::fs::read(p).map_err(|e| Fatal(format!("{name}: {e}")))?;
    let text = utf8(&name, bytes)?;
    Ok(Input {
        name,
        canonical: std::fs::canonicalize(p).ok(),
        text,
    })
}

pub fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, Fatal> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let upto = &e.as_bytes()[..at];
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        Fatal(format!(
            "{name}: not valid UTF-8 (line {line}, byte offset {at}); save the file as UTF-8"
        ))
    })
}

/// Collects `*.yaml`, `*.yml` and `*.json` below `dir`, sorted by path. Symbolic links to
/// directories are not followed (no loops).
fn walk(dir: &Path, found: &mut Vec<PathBuf>, depth: usize) -> Result<(), Fatal> {
    if depth > 64 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| Fatal(format!("{}: {e}", dir.display())))?;
    let mut entries: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| (e.path(), e.file_type().ok()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, ft) in entries {
        let Some(ft) = ft else { continue };
        if ft.is_dir() {
            walk(&path, found, depth + 1)?;
            continue;
        }
        let is_file = ft.is_file() || (ft.is_symlink() && path.is_file());
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"));
        if is_file && wanted {
            found.push(path);
        }
    }
    Ok(())
}

/// What a meshroute config file carries.
pub struct ConfigShape {
    pub has_resources: bool,
    pub includes: Vec<String>,
}

/// A meshroute config file is a mapping with `resources:` or `include:` and no `kind:`.
pub fn config_shape(text: &str) -> Option<ConfigShape> {
    let root = parse_documents(text, &Limits::default())
        .into_iter()
        .find_map(|d| d.node)?;
    let has_resources = root.get("resources").is_some();
    let include = root.get("include");
    if root.get("kind").is_some() || (!has_resources && include.is_none()) {
        return None;
    }
    let includes = match include.map(|n| &n.value) {
        Some(Value::Str(s)) => vec![s.clone()],
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|n| n.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    Some(ConfigShape {
        has_resources,
        includes,
    })
}

/// A set of inputs loaded together, for `test` and `diff`: every resource in one set, and the
/// proxy and listener port of the meshroute config file among them (at most one).
pub struct InputSet {
    pub resources: Resources,
    pub proxy: Option<ProxyIdentity>,
    pub listener_port: Option<u32>,
    /// Problems loading and decoding (not the analysis `meshroute check` does).
    pub diags: Vec<Diagnostic>,
}

/// Loads `files` as one set: a meshroute config file's resources (and its `include:` files,
/// relative to it), then the plain files, each file once.
pub fn load_set(files: Vec<Input>, load: &LoadOptions) -> Result<InputSet, Fatal> {
    let mut set = InputSet {
        resources: Resources::default(),
        proxy: None,
        listener_port: None,
        diags: Vec::new(),
    };
    let mut plain = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut config_name: Option<String> = None;
    for f in files {
        let Some(shape) = config_shape(&f.text) else {
            plain.push(f);
            continue;
        };
        if let Some(first) = &config_name {
            return Err(Fatal(format!(
                "{} and {first} are both meshroute config files; give one per set of inputs",
                f.name
            )));
        }
        config_name = Some(f.name.clone());
        let base = f
            .canonical
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        // A config may name all its resources through `include:`; give the parser an empty
        // list (appended, so line numbers stay right), as `common::read_config` does.
        let text = if shape.has_resources {
            f.text.clone()
        } else {
            format!("{}\nresources: []\n", f.text)
        };
        let (cfg, d) = parse_config(&f.name, text.as_bytes(), load);
        set.diags.extend(d);
        if let Some(cfg) = cfg {
            set.resources = cfg.resources;
            set.proxy = Some(cfg.proxy);
            set.listener_port = cfg.listener_port;
        }
        for inc in &shape.includes {
            let found = resolver(&base)(inc)
                .map_err(|e| Fatal(format!("{}: include {inc:?}: {e}", f.name)))?;
            for (name, bytes) in found {
                if let Ok(c) = std::fs::canonicalize(&name) {
                    if !seen.insert(c) {
                        continue;
                    }
                }
                let text = utf8(&name, bytes)?;
                set.diags.extend(set.resources.add_text(&name, &text, load));
            }
        }
    }
    for f in plain {
        if f.canonical.as_ref().is_some_and(|c| seen.contains(c)) {
            continue;
        }
        set.diags
            .extend(set.resources.add_text(&f.name, &f.text, load));
    }
    Ok(set)
}
