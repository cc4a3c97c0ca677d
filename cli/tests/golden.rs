//! The files `meshroute bootstrap` writes, pinned byte for byte for every example config (filter
//! mode and `--native`), an access-log variant and a reload onto an earlier generation's
//! directory. A change to the Envoy configuration must show up here as a diff of
//! `cli/tests/golden/`, made on purpose:
//!
//! ```sh
//! MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test golden   # rewrite the golden files
//! ```
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file under `root`, by its path relative to `root` (sorted), with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The example configs (files with a top-level `proxy:`), relative to the repository root.
fn example_configs() -> Vec<String> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, found);
            } else if p.extension().is_some_and(|x| x == "yaml")
                && std::fs::read_to_string(&p)
                    .unwrap_or_default()
                    .lines()
                    .any(|l| l.starts_with("proxy:"))
            {
                found.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("examples"), &mut found);
    let mut v: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(repo())
                .unwrap()
                .display()
                .to_string()
                .replace('\\', "/")
        })
        .collect();
    v.sort();
    v
}

/// `meshroute bootstrap -c CONFIG -o out/CASE --relative --wasm filter.wasm [EXTRA…]`, run in
/// `work` (a copy of `examples/`), so every path inside the files is relative and the output
/// the same on every machine.
fn bootstrap(work: &Path, config: &str, case: &str, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .args(["bootstrap", "-c", config, "-o", &format!("out/{case}")])
        .args(["--relative", "--wasm", "filter.wasm"])
        .args(extra)
        .current_dir(work)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "meshroute bootstrap -c {config} {extra:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bootstrap_output_matches_the_golden_files() {
    let work = std::env::temp_dir().join(format!("meshroute-golden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&repo().join("examples"), &work.join("examples"));
    std::fs::write(work.join("filter.wasm"), b"").unwrap();

    let configs = example_configs();
    assert!(configs.len() >= 10, "{configs:?}");
    for config in &configs {
        let name = config
            .trim_start_matches("examples/")
            .trim_end_matches(".yaml")
            .replace('/', "-");
        bootstrap(&work, config, &format!("{name}.filter"), &[]);
        bootstrap(&work, config, &format!("{name}.native"), &["--native"]);
    }
    // Options that change the files: listener, admin, logical port, access log, policy.
    let seed = "examples/configs/seed-gateway.yaml";
    let opts = [
        "--listen",
        "127.0.0.9:18080",
        "--listener-port",
        "8080",
        "--admin",
        "127.0.0.9:15000",
        "--access-log",
        "/var/log/meshroute-access.log",
        "--failure-policy",
        "FAIL_CLOSED",
    ];
    bootstrap(&work, seed, "seed-options.filter", &opts);
    bootstrap(
        &work,
        seed,
        "seed-options.native",
        &[&opts[..8], &["--native"]].concat(),
    );
    // A reload onto an earlier generation: endpoints the new config drops stay one generation
    // (retiring), the bootstrap is not rewritten with --ecds-only.
    bootstrap(&work, "examples/actions/11-reload-v1.yaml", "reload", &[]);
    bootstrap(
        &work,
        "examples/actions/11-reload-v2.yaml",
        "reload",
        &["--ecds-only"],
    );
    bootstrap(&work, seed, "reload-retiring", &[]);
    bootstrap(
        &work,
        "examples/actions/08-load-balancing.yaml",
        "reload-retiring",
        &["--ecds-only"],
    );

    let have = tree(&work.join("out"));
    let golden = repo().join("cli/tests/golden");
    if std::env::var_os("MESHROUTE_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        copy_dir(&work.join("out"), &golden);
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    let want = tree(&golden);
    let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&have),
        names(&want),
        "the set of files `meshroute bootstrap` writes changed; if on purpose: MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test golden"
    );
    for (file, bytes) in &have {
        assert!(
            want.get(file) == Some(bytes),
            "cli/tests/golden/{file} differs from what `meshroute bootstrap` writes now; if on purpose: MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test golden\n--- now:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
