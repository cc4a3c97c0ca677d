//! The checked-in Envoy bootstraps must be what `envoy-configs/generate.sh` produces today, and
//! what `meshroute bootstrap` writes for every example config what `cli/tests/golden/` pins.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh scratch directory and an empty stand-in for the filter in it (the bootstrap only
/// checks that the file exists).
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let tmp = std::env::temp_dir().join(format!("meshroute-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let wasm = tmp.join("filter.wasm");
    std::fs::write(&wasm, b"").unwrap();
    (tmp, wasm)
}

/// `meshroute bootstrap -c CONFIG -o OUT --wasm WASM [EXTRA…]` from the repository root; it
/// must succeed.
fn bootstrap(config: &Path, out: &Path, wasm: &Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .args(["bootstrap", "-c"])
        .arg(config)
        .arg("-o")
        .arg(out)
        .arg("--wasm")
        .arg(wasm)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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

#[test]
fn envoy_configs_are_up_to_date() {
    let tmp = std::env::temp_dir().join(format!("meshroute-envoy-configs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy_dir(&repo().join("examples"), &tmp.join("examples"));
    std::fs::create_dir_all(tmp.join("envoy-configs")).unwrap();
    std::fs::copy(
        repo().join("envoy-configs/generate.sh"),
        tmp.join("envoy-configs/generate.sh"),
    )
    .unwrap();
    // The bootstrap checks that the filter exists; an empty stand-in is enough here.
    let wasm = tmp.join("target/wasm32-wasip1/wasm-release/meshroute_filter.wasm");
    std::fs::create_dir_all(wasm.parent().unwrap()).unwrap();
    std::fs::write(&wasm, b"").unwrap();
    let out = Command::new("bash")
        .arg(tmp.join("envoy-configs/generate.sh"))
        .env("MESHROUTE_BIN", env!("CARGO_BIN_EXE_meshroute"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = [
        "gateway.yaml",
        "gateway/ecds/meshroute.yaml",
        "sidecar.yaml",
        "sidecar/ecds/meshroute.yaml",
    ]
    .map(String::from)
    .to_vec();
    // The clusters and their endpoint files, and no stale endpoint file in the repository.
    for proxy in ["gateway", "sidecar"] {
        let listed = |root: &Path| -> Vec<String> {
            let mut v: Vec<String> =
                std::fs::read_dir(root.join("envoy-configs").join(proxy).join("cds"))
                    .map(|d| {
                        d.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .filter(|n| !n.starts_with('.'))
                            .collect()
                    })
                    .unwrap_or_default();
            v.sort();
            v
        };
        let want = listed(&tmp);
        assert!(want.contains(&"clusters.yaml".to_string()), "{want:?}");
        assert!(
            want.iter()
                .any(|f| f.starts_with("eds-meshroute_upstream-")),
            "{want:?}"
        );
        assert_eq!(
            listed(&repo()),
            want,
            "envoy-configs/{proxy}/cds is out of date: run `bash envoy-configs/generate.sh` and commit"
        );
        files.extend(want.iter().map(|f| format!("{proxy}/cds/{f}")));
    }
    for f in &files {
        let want = std::fs::read_to_string(tmp.join("envoy-configs").join(f)).unwrap();
        let have =
            std::fs::read_to_string(repo().join("envoy-configs").join(f)).unwrap_or_default();
        assert!(
            want == have,
            "envoy-configs/{f} is out of date: run `bash envoy-configs/generate.sh` and commit"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The files a reload writes are read by an Envoy running as another user (the official
/// envoyproxy/envoy image drops to its `envoy` user; Istio's proxy is uid 1337), at the moment
/// the rename lands: they must be world-readable whatever the writer's umask.
#[cfg(unix)]
#[test]
fn reloaded_files_are_world_readable_under_a_strict_umask() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, wasm) = scratch("umask");
    let cmd = format!(
        "umask 077 && exec \"$0\" bootstrap -c '{}' -o '{}' --wasm '{}'",
        repo().join("examples/configs/seed-gateway.yaml").display(),
        tmp.join("out").display(),
        wasm.display()
    );
    let out = Command::new("sh")
        .args(["-c", &cmd, env!("CARGO_BIN_EXE_meshroute")])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["ecds/meshroute.yaml", "cds/clusters.yaml"] {
        let mode = std::fs::metadata(tmp.join("out").join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o444,
            0o444,
            "{f}: mode {mode:o} is not world-readable"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Without an access log nothing reads the filter state, so the generated plugin configuration
/// turns it off (one host call per request less); with one, it stays on; a config that sets
/// `accessLogState` itself keeps its value.
#[test]
fn access_log_state_follows_the_access_log() {
    let (tmp, wasm) = scratch("als");
    let seed = repo().join("examples/configs/seed-gateway.yaml");
    let explicit = tmp.join("explicit.yaml");
    std::fs::write(
        &explicit,
        std::fs::read_to_string(&seed).unwrap().replace(
            "include: [../seed]",
            &format!(
                "accessLogState: true\ninclude: [{}]",
                repo().join("examples/seed").display()
            ),
        ),
    )
    .unwrap();
    let plugin_config = |cfg: &Path, out: &str, extra: &[&str]| -> serde_json::Value {
        bootstrap(cfg, &tmp.join(out), &wasm, extra);
        let ecds: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(tmp.join(out).join("ecds/meshroute.yaml")).unwrap(),
        )
        .unwrap();
        let value = ecds
            .pointer("/resources/0/typed_config/config/configuration/value")
            .and_then(|v| v.as_str())
            .unwrap()
            .to_string();
        serde_json::from_str(&value).unwrap()
    };
    let without = plugin_config(&seed, "a", &[]);
    assert_eq!(without["accessLogState"], serde_json::json!(false));
    let with = plugin_config(&seed, "b", &["--access-log", "/dev/stdout"]);
    assert!(with.get("accessLogState").is_none(), "{with}");
    let kept = plugin_config(&explicit, "c", &[]);
    assert_eq!(kept["accessLogState"], serde_json::json!(true));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A reload writes the endpoint (EDS) files first and the filter's configuration last, so for a
/// moment the running filter still lists the endpoints of the old configuration: an endpoint a
/// reload removes stays in the cluster one more generation (marked retiring) and is gone after
/// the next one, and one a reload adds is there before the filter can list it.
#[test]
fn a_removed_endpoint_stays_one_reload_longer() {
    let (tmp, wasm) = scratch("retire");
    let config = |ips: &[&str]| {
        let pods: String = ips
            .iter()
            .enumerate()
            .map(|(i, ip)| {
                format!(
                    "  ---\n  apiVersion: v1\n  kind: Pod\n  metadata: {{name: web-{i}, namespace: default, labels: {{app: web}}}}\n  status: {{podIP: {ip}}}\n"
                )
            })
            .collect();
        let text = format!(
            "proxy: {{kind: sidecar, namespace: default, labels: {{app: sleep}}}}\nresources: |\n  apiVersion: v1\n  kind: Service\n  metadata: {{name: web, namespace: default}}\n  spec:\n    selector: {{app: web}}\n    ports: [{{name: http, port: 80}}]\n{pods}"
        );
        let p = tmp.join("config.yaml");
        std::fs::write(&p, text).unwrap();
        p
    };
    let upstream_endpoints = |cfg: &Path| {
        bootstrap(cfg, &tmp.join("out"), &wasm, &[]);
        let eds = std::fs::read_dir(tmp.join("out/cds"))
            .unwrap()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("eds-meshroute_upstream-")
            })
            .expect("the EDS file of meshroute_upstream")
            .path();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(eds).unwrap()).unwrap();
        let upstream = v["resources"][0].clone();
        assert_eq!(upstream["cluster_name"], "meshroute_upstream");
        let mut eps: Vec<(String, bool)> = upstream["endpoints"][0]["lb_endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let sa = &e["endpoint"]["address"]["socket_address"];
                (
                    format!("{}:{}", sa["address"].as_str().unwrap(), sa["port_value"]),
                    e["metadata"]["filter_metadata"]["meshroute"]["retiring"] == true,
                )
            })
            .collect();
        eps.sort();
        eps
    };
    let ep = |a: &str, retiring: bool| (a.to_string(), retiring);
    assert_eq!(
        upstream_endpoints(&config(&["10.0.0.1", "10.0.0.2"])),
        vec![ep("10.0.0.1:80", false), ep("10.0.0.2:80", false)]
    );
    let moved = config(&["10.0.0.2", "10.0.0.3"]);
    assert_eq!(
        upstream_endpoints(&moved),
        vec![
            ep("10.0.0.1:80", true),
            ep("10.0.0.2:80", false),
            ep("10.0.0.3:80", false)
        ]
    );
    assert_eq!(
        upstream_endpoints(&moved),
        vec![ep("10.0.0.2:80", false), ep("10.0.0.3:80", false)]
    );
    let _ = std::fs::remove_dir_all(&tmp);
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
fn golden_bootstrap(work: &Path, config: &str, case: &str, extra: &[&str]) {
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

/// The files `meshroute bootstrap` writes, pinned byte for byte for every example config (filter
/// mode and `--native`), an access-log variant and a reload onto an earlier generation's
/// directory. A change to the Envoy configuration must show up here as a diff of
/// `cli/tests/golden/`, made on purpose:
///
/// ```sh
/// MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test envoy_configs bootstrap_output   # rewrite the golden files
/// ```
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
        golden_bootstrap(&work, config, &format!("{name}.filter"), &[]);
        golden_bootstrap(&work, config, &format!("{name}.native"), &["--native"]);
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
    golden_bootstrap(&work, seed, "seed-options.filter", &opts);
    golden_bootstrap(
        &work,
        seed,
        "seed-options.native",
        &[&opts[..8], &["--native"]].concat(),
    );
    // A reload onto an earlier generation: endpoints the new config drops stay one generation
    // (retiring), the bootstrap is not rewritten with --ecds-only.
    golden_bootstrap(&work, "examples/actions/11-reload-v1.yaml", "reload", &[]);
    golden_bootstrap(
        &work,
        "examples/actions/11-reload-v2.yaml",
        "reload",
        &["--ecds-only"],
    );
    golden_bootstrap(&work, seed, "reload-retiring", &[]);
    golden_bootstrap(
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
        "the set of files `meshroute bootstrap` writes changed; if on purpose: MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test envoy_configs"
    );
    for (file, bytes) in &have {
        assert!(
            want.get(file) == Some(bytes),
            "cli/tests/golden/{file} differs from what `meshroute bootstrap` writes now; if on purpose: MESHROUTE_BLESS=1 cargo test -p meshroute-cli --test envoy_configs\n--- now:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
