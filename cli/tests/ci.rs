//! meshroute in CI, run as a pipeline runs it: `meshroute test` (both test formats, coverage,
//! exit codes), `meshroute diff` (directories and `--git`), and the SARIF, JUnit and GitHub
//! outputs of check, test and diff. The SARIF is validated against the SARIF 2.1.0 JSON schema
//! (tests/data/sarif-schema-2.1.0.json: the OASIS schema as the serde-sarif crate ships it, with
//! one change: the `language` pattern `…-[a-zA-Z]{2}]?$` has a stray `]` that ECMA-262 reads as
//! a literal but Rust's regex engines refuse, so it is escaped as `\]` — same meaning).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn meshroute_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run meshroute: {e}"))
}

/// Runs in the repository root, so example paths are relative as a workflow writes them.
fn meshroute(args: &[&str]) -> Output {
    meshroute_in(&repo(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh directory under Cargo's per-target temporary directory.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ci-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.display().to_string()
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

const SHOP: &str = "examples/ci/shop";
const TESTS: &str = "examples/ci/tests";

#[test]
fn the_shipped_ci_example_passes_with_full_coverage() {
    let o = meshroute(&["test", "-f", SHOP, TESTS, "--fail-under", "100"]);
    let out = stdout(&o);
    assert_eq!(
        code(&o),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("4 passed, 0 failed\n"), "{out}");
    assert!(out.contains("coverage: 10/10 (100.0%)"), "{out}");
}

#[test]
fn test_exit_codes_are_0_pass_1_fail_or_under_coverage_2_input_errors() {
    let d = scratch("codes");
    let failing = write(
        &d,
        "failing.yaml",
        "proxy: {kind: gateway}\ntests:\n- name: wrong route\n  request: {url: \"http://shop.example.com/api\"}\n  expect: {route: legacy}\n",
    );
    let o = meshroute(&["test", "-f", SHOP, &failing]);
    assert_eq!(code(&o), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL wrong route"), "{out}");
    assert!(
        out.contains("  route: expected \"legacy\", got \"api\"\n"),
        "{out}"
    );
    assert!(
        out.contains("  happened: forwarded to outbound|8080||api.shop.svc.cluster.local"),
        "{out}"
    );
    assert!(
        out.contains("  trace:\n    1. listener 0.0.0.0_80 (port 80)"),
        "{out}"
    );

    // Only the istio-config-validator cases: the api rule is never reached.
    let icv = format!("{TESTS}/shop_icv.yaml");
    let o = meshroute(&["test", "-f", SHOP, &icv, "--fail-under", "80"]);
    assert_eq!(code(&o), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("coverage 70.0% is under --fail-under 80%"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        code(&meshroute(&[
            "test",
            "-f",
            SHOP,
            &icv,
            "--fail-under",
            "70"
        ])),
        Some(0)
    );

    let bad = write(
        &d,
        "bad.yaml",
        "tests:\n- request: {url: \"http://x/\"}\n  expect: {stauts: 404}\n",
    );
    let o = meshroute(&["test", "-f", SHOP, &bad]);
    assert_eq!(code(&o), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean \"status\""));
    let no_proxy = write(
        &d,
        "noproxy.yaml",
        "tests:\n- request: {url: \"http://x/\"}\n  expect: {status: 404}\n",
    );
    assert_eq!(code(&meshroute(&["test", "-f", SHOP, &no_proxy])), Some(2));
    assert_eq!(
        code(&meshroute(&["test", "-f", "/nonexistent", TESTS])),
        Some(2)
    );
    assert_eq!(code(&meshroute(&["test", TESTS])), Some(2));
}

#[test]
fn test_json_carries_results_and_coverage() {
    let o = meshroute(&["test", "-f", SHOP, TESTS, "--coverage", "-o", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(v["passed"], 4);
    assert_eq!(v["results"][0]["format"], "meshroute");
    assert_eq!(v["coverage"]["all"]["total"], 10);
}

/// Validates `text` against the SARIF 2.1.0 schema.
fn assert_valid_sarif(text: &str) -> Value {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    // The schema allows much; code scanning also needs these.
    assert_eq!(v["version"], "2.1.0");
    for r in v["runs"][0]["results"].as_array().into_iter().flatten() {
        assert!(
            r["ruleId"].is_string() && r["message"]["text"].is_string(),
            "{r}"
        );
    }
    v
}

/// A VirtualService naming an unknown host (IST0101) on line 8, column 27.
const BAD_VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [a.example.com]\n  http:\n  - route:\n    - destination: {host: nowhere}\n";

#[test]
fn check_sarif_is_valid_and_points_at_the_field() {
    let d = scratch("check-sarif");
    write(&d, "vs.yaml", BAD_VS);
    let o = meshroute_in(&d, &["check", "-f", "vs.yaml", "-o", "sarif"]);
    assert_eq!(code(&o), Some(1));
    let v = assert_valid_sarif(&stdout(&o));
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "IST0101");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "vs.yaml");
    assert_eq!(loc["region"]["startLine"], 8);
    assert_eq!(loc["region"]["startColumn"], 27);
}

#[test]
fn check_github_annotations_are_exact_lines() {
    let d = scratch("check-github");
    write(&d, "vs.yaml", BAD_VS);
    let o = meshroute_in(&d, &["check", "-f", "vs.yaml", "-o", "github"]);
    assert_eq!(code(&o), Some(1));
    assert_eq!(
        stdout(&o),
        "::error file=vs.yaml,line=8,col=27,title=IST0101 VirtualService default/vs::Referenced host not found: \"nowhere\"\n"
    );
}

#[test]
fn check_junit_has_a_case_per_file() {
    let d = scratch("check-junit");
    write(&d, "vs.yaml", BAD_VS);
    write(&d, "ok.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{name: http, port: 80}]\n");
    let o = meshroute_in(
        &d,
        &["check", "-f", "ok.yaml", "-f", "vs.yaml", "-o", "junit"],
    );
    let x = stdout(&o);
    assert!(
        x.contains("<testcase name=\"ok.yaml\" classname=\"meshroute check\"/>"),
        "{x}"
    );
    assert!(x.contains("<testcase name=\"vs.yaml\" classname=\"meshroute check\">\n            <failure message=\"Error [IST0101]"), "{x}");
}

#[test]
fn test_outputs_for_ci_are_valid_and_exact() {
    let d = scratch("test-outputs");
    let failing = write(
        &d,
        "failing.yaml",
        "proxy: {kind: gateway}\ntests:\n- name: wrong route\n  request: {url: \"http://shop.example.com/api\"}\n  expect: {route: legacy}\n",
    );
    let o = meshroute(&["test", "-f", SHOP, &failing, "--coverage", "-o", "sarif"]);
    assert_eq!(code(&o), Some(1));
    let v = assert_valid_sarif(&stdout(&o));
    let results = v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(results[0]["ruleId"], "meshroute-test");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    // Everything but the api rule is uncovered: notes.
    assert!(results[1..]
        .iter()
        .all(|r| r["level"] == "note" && r["ruleId"] == "meshroute-coverage"));
    assert_eq!(results.len(), 1 + 7);

    let o = meshroute(&["test", "-f", SHOP, &failing, "-o", "github"]);
    assert_eq!(
        stdout(&o),
        format!("::error file={},line=3,col=3,title=test failed%3A wrong route::route: expected \"legacy\", got \"api\"%0Ahappened: forwarded to outbound|8080||api.shop.svc.cluster.local as shop.example.com/v1/api by route \"api\" of shop/shop\n", failing.replace(':', "%3A").replace(',', "%2C"))
    );
    let o = meshroute(&["test", "-f", SHOP, &failing, TESTS, "-o", "junit"]);
    let x = stdout(&o);
    assert!(
        x.contains("tests=\"5\" skipped=\"0\" failures=\"1\" errors=\"0\""),
        "{x}"
    );
    assert!(x.contains("<testcase name=\"wrong route\""), "{x}");
}

/// Writes `examples/ci/shop` into `dir/name`, with `edit` applied to its VirtualService.
fn shop_copy(dir: &Path, name: &str, edit: (&str, &str)) -> String {
    for f in ["virtualservice.yaml", "gateway.yaml", "services.yaml"] {
        let text = std::fs::read_to_string(repo().join(SHOP).join(f)).unwrap_or_default();
        let text = if f == "virtualservice.yaml" {
            assert!(text.contains(edit.0), "{}", edit.0);
            text.replace(edit.0, edit.1)
        } else {
            text
        };
        write(dir, &format!("{name}/{f}"), &text);
    }
    dir.join(name).display().to_string()
}

const NEW_BLOCK: (&str, &str) = (
    "    - uri: {prefix: /old}\n",
    "    - uri: {prefix: /old}\n    - uri: {prefix: /api/legacy}\n",
);

#[test]
fn diff_reports_the_request_a_new_match_block_takes_and_exits_1() {
    let d = scratch("diff");
    let old = shop_copy(&d, "old", ("", ""));
    let new = shop_copy(&d, "new", NEW_BLOCK);
    let o = meshroute(&["diff", &old, &old]);
    assert_eq!(code(&o), Some(0));
    assert_eq!(stdout(&o), "no request routes differently\n");
    let o = meshroute(&["diff", &old, &new]);
    assert_eq!(code(&o), Some(1));
    let out = stdout(&o);
    assert!(out.contains("    GET http://shop.example.com/api/legacy   (probe of route \"legacy\" of shop/shop (after))\n      before: forwarded to outbound|8080||api.shop.svc.cluster.local 100%, path /v1/api/legacy [route \"api\" of shop/shop]\n      after:  local reply 301 to http://shop.example.com/new [route \"legacy\" of shop/shop]\n"), "{out}");
    assert!(out.ends_with("1 request routes differently\n"), "{out}");
    let o = meshroute(&["diff", &old, &new, "-o", "markdown"]);
    assert!(stdout(&o).starts_with("### meshroute diff: 1 request routes differently\n"));
    let o = meshroute(&["diff", &old, &new, "-o", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(
        v["proxies"][0]["requests"][0]["request"],
        "GET http://shop.example.com/api/legacy"
    );
    let o = meshroute(&["diff", &old, &new, "-o", "sarif"]);
    let v = assert_valid_sarif(&stdout(&o));
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        25
    );
    let o = meshroute(&["diff", &old, &new, "-o", "github"]);
    assert!(stdout(&o).starts_with(&format!("::warning file={}/virtualservice.yaml,line=25,col=7,title=routes differently%3A GET http%3A//shop.example.com/api/legacy::", new.replace(':', "%3A"))), "{}", stdout(&o));
    let o = meshroute(&["diff", &old, &new, "-o", "junit"]);
    assert!(stdout(&o).contains("<failure message=\"1 request(s) route differently\""));
    assert_eq!(code(&meshroute(&["diff", &old])), Some(2));
    assert_eq!(code(&meshroute(&["diff", &old, "/nonexistent"])), Some(2));
}

#[test]
fn diff_git_compares_the_working_tree_with_a_revision() {
    let d = scratch("git");
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .current_dir(&d)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    shop_copy(&d, "shop", ("", ""));
    git(&["add", "."]);
    git(&["commit", "-qm", "shop"]);
    let o = meshroute_in(&d, &["diff", "--git", "HEAD", "shop"]);
    assert_eq!(code(&o), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    shop_copy(&d, "shop", NEW_BLOCK);
    let o = meshroute_in(&d, &["diff", "--git", "HEAD", "shop"]);
    assert_eq!(code(&o), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("GET http://shop.example.com/api/legacy"));
    assert_eq!(
        code(&meshroute_in(&d, &["diff", "--git", "nosuchrev", "shop"])),
        Some(2)
    );
}

#[test]
fn check_suppress_flag_and_annotation_drop_the_message_and_its_exit_code() {
    let d = scratch("suppress");
    write(&d, "vs.yaml", BAD_VS);
    let run = |args: &[&str]| {
        code(&meshroute_in(
            &d,
            &[&["check", "-f", "vs.yaml"], args].concat(),
        ))
    };
    assert_eq!(run(&[]), Some(1));
    assert_eq!(
        run(&["--suppress", "IST0101=VirtualService vs.default"]),
        Some(0)
    );
    assert_eq!(
        run(&["--suppress", "IST0101=VirtualService *.default"]),
        Some(0)
    );
    assert_eq!(
        run(&["--suppress", "IST0101=VirtualService vs.other"]),
        Some(1)
    );
    assert_eq!(run(&["--suppress", "not a suppression=x"]), Some(2));
    write(
        &d,
        "annotated.yaml",
        &BAD_VS.replace(
            "metadata: {name: vs}",
            "metadata:\n  name: vs\n  annotations: {galley.istio.io/analyze-suppress: IST0101}",
        ),
    );
    let o = meshroute_in(&d, &["check", "-f", "annotated.yaml"]);
    assert_eq!(code(&o), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("✔ No validation issues found"),
        "{}",
        stdout(&o)
    );
}
