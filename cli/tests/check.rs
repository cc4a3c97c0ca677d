//! `meshroute check`, run as the built binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshroute"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn seed() -> PathBuf {
    repo().join("examples").join("seed")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("meshroute runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshroute runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("meshroute exits")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("meshroute-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The seed scenario with the walkthrough's first VirtualService (`host:
/// demoappv10.default.svc`) instead of the fixed one.
fn seed_with_walkthrough_host(dir: &TempDir) {
    for f in [
        "demoapp.yaml",
        "ingress-gateway.yaml",
        "gateway.yaml",
        "destinationrule.yaml",
    ] {
        let bytes = std::fs::read(seed().join(f)).expect("seed file");
        dir.write(f, &bytes);
    }
    let vs = std::fs::read_to_string(seed().join("virtualservice.yaml")).expect("seed vs");
    let original = vs.replace("host: demoappv10\n", "host: demoappv10.default.svc\n");
    assert_ne!(
        original, vs,
        "the seed VirtualService routes to `host: demoappv10`"
    );
    dir.write("virtualservice.yaml", original.as_bytes());
}

#[test]
fn seed_example_is_clean() {
    let o = run(&["check", "-f", seed().to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert_eq!(out.lines().count(), 1, "no findings expected:\n{out}");
    assert!(
        out.starts_with("✔ No validation issues found when analyzing 5 files (11 resources)."),
        "{out}"
    );
}

#[test]
fn walkthrough_short_host_is_ist0101_with_cluster_local_hint() {
    let dir = TempDir::new("walkthrough");
    seed_with_walkthrough_host(&dir);
    let o = run(&["check", "-f", dir.0.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("IST0101"))
        .unwrap_or_else(|| panic!("no IST0101 in:\n{out}"));
    assert!(
        line.starts_with("Error [IST0101] (VirtualService default/demoappv10 "),
        "{line}"
    );
    assert!(line.contains("virtualservice.yaml:19:15)"), "{line}");
    assert!(
        line.ends_with(
            "Referenced host not found: \"demoappv10.default.svc\"; did you mean \"demoappv10.default.svc.cluster.local\"?"
        ),
        "{line}"
    );
    assert!(
        out.lines().last().unwrap_or("").contains("1 error"),
        "{out}"
    );
}

#[test]
fn json_output_is_an_array_of_positioned_diagnostics() {
    let dir = TempDir::new("json");
    seed_with_walkthrough_host(&dir);
    let o = run(&["check", "-f", dir.0.to_str().unwrap(), "--output", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), 1, "{v:#}");
    let d = &arr[0];
    assert_eq!(d["code"], "IST0101");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["kind"], "VirtualService");
    assert_eq!(d["path"], "spec.http[0].route[0].destination.host");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(19), Some(15))
    );
}

#[test]
fn clean_json_output_is_an_empty_array() {
    let o = run(&["check", "-o", "json", "-f", seed().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).trim(), "[]");
}

#[test]
fn stdin_is_read_with_dash() {
    let vs = b"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [a.example.com]\n  http:\n  - route:\n    - destination: {host: nowhere}\n";
    let o = run_stdin(&["check", "-f", "-"], vs);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("Error [IST0101] (VirtualService default/vs <stdin>:8:27) Referenced host not found: \"nowhere\""),
        "{out}"
    );
}

#[test]
fn warnings_alone_exit_zero() {
    // IST0134: a TCP ServiceEntry port without addresses is a warning.
    let se = b"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db}\nspec:\n  hosts: [db.example.com]\n  ports: [{number: 5432, name: tcp-pg, protocol: TCP}]\n  resolution: DNS\n";
    let o = run_stdin(&["check", "-"], se);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("Warning [IST0134]"), "{out}");
    // MR0201: meshroute does not resolve DNS, and says so.
    assert!(out.contains("Warning [MR0201]"), "{out}");
    assert!(out.contains("0 errors, 2 warnings"), "{out}");
}

#[test]
fn missing_file_exits_2_with_one_line() {
    let o = run(&["check", "-f", "does/not/exist.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("meshroute check: does/not/exist.yaml: "),
        "{err}"
    );
}

#[test]
fn non_utf8_input_exits_2_with_one_line() {
    let dir = TempDir::new("utf8");
    let p = dir.write("bad.yaml", b"kind: Service\nname: \xff\xfe\n");
    let o = run(&["check", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not valid UTF-8 (line 2"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["check"]).status.code(), Some(2));
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(2));
    assert_eq!(
        run(&["check", "-o", "yaml", "-f", seed().to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["nosuchcommand"]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
    let help = run(&["check", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage: meshroute check [OPTIONS]"));
}

#[test]
fn directories_are_walked_sorted_for_yaml_yml_and_json_only() {
    let dir = TempDir::new("walk");
    let svc = |name: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  ports: [{{name: web, port: 80}}]\n")
    };
    dir.write("b.yaml", svc("b").as_bytes());
    dir.write("a/c.yml", svc("c").as_bytes());
    dir.write(
        "d.json",
        br#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "d"}, "spec": {"ports": [{"name": "web", "port": 80}]}}"#,
    );
    dir.write("notes.txt", b"not yaml: [");
    let o = run(&["check", dir.0.to_str().unwrap()]);
    let out = stdout(&o);
    // Every port named `web` is IST0118 (Info): one line per Service, in path order.
    let services: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Info [IST0118]"))
        .map(|l| l.split(' ').nth(3).unwrap_or(""))
        .collect();
    assert_eq!(
        services,
        vec!["default/c", "default/b", "default/d"],
        "{out}"
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("3 files (3 resources)"), "{out}");
}

#[test]
fn empty_directory_exits_2() {
    let dir = TempDir::new("empty");
    let o = run(&["check", "-f", dir.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no *.yaml, *.yml or *.json files"));
}

#[test]
fn meshroute_config_files_are_checked_on_their_resources() {
    let cfg = b"proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}\nresources: |\n  apiVersion: networking.istio.io/v1\n  kind: VirtualService\n  metadata: {name: vs, namespace: default}\n  spec:\n    hosts: [a.example.com]\n    http:\n    - route:\n      - destination: {host: nowhere}\n";
    let o = run_stdin(&["check", "-"], cfg);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "(VirtualService default/vs <stdin>:10:29) Referenced host not found: \"nowhere\""
        ),
        "{out}"
    );
}

#[test]
fn config_include_files_join_the_inputs_once() {
    let dir = TempDir::new("include");
    for f in [
        "demoapp.yaml",
        "ingress-gateway.yaml",
        "gateway.yaml",
        "virtualservice.yaml",
    ] {
        let bytes = std::fs::read(seed().join(f)).expect("seed file");
        dir.write(&format!("res/{f}"), &bytes);
    }
    dir.write(
        "gateway-config.yaml",
        b"proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}\ninclude: [res]\n",
    );
    // The config alone pulls in its include directory.
    let cfg = dir.0.join("gateway-config.yaml");
    let o = run(&["check", "-f", cfg.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("5 files (10 resources)"), "{out}");
    // Walking the whole directory reads every file once (no duplicate-resource warnings).
    let o = run(&[
        "check",
        "-f",
        dir.0.to_str().unwrap(),
        "-f",
        cfg.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("✔ No validation issues found when analyzing 5 files (10 resources)."),
        "{out}"
    );
}
