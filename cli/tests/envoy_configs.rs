//! The checked-in Envoy bootstraps must be what `envoy-configs/generate.sh` produces today.
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
    for f in [
        "gateway.yaml",
        "gateway/ecds/meshroute.yaml",
        "gateway/cds/clusters.yaml",
        "sidecar.yaml",
        "sidecar/ecds/meshroute.yaml",
        "sidecar/cds/clusters.yaml",
    ] {
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
    let tmp = std::env::temp_dir().join(format!("meshroute-umask-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let wasm = tmp.join("filter.wasm");
    std::fs::write(&wasm, b"").unwrap();
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
