//! The config checker in real browsers: headless Chromium and headless Firefox, each driven over
//! WebDriver (a few JSON POSTs to chromedriver / geckodriver, through ureq),
//! the page served from `validator-web/dist/` by a tiny static server in this test. The same
//! walkthrough runs in both.
//!
//! Needs `bash validator-web/build.sh` first, Debian's `chromium` and `chromium-driver`, and
//! Debian's `firefox-esr` with `geckodriver` (`cargo install geckodriver`); a test whose browser
//! is missing prints one line saying so and passes (`scripts/test.sh` installs them all).
//!
//! Artifacts: `target/artifacts/validator-web.png` and `validator-web-firefox.png`
//! (screenshots) and `target/artifacts/validator-timing.txt` / `validator-timing-firefox.txt`
//! (validation time of a 1,000-resource config).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SEED_FILES: [&str; 5] = [
    include_str!("../../examples/seed/ingress-gateway.yaml"),
    include_str!("../../examples/seed/gateway.yaml"),
    include_str!("../../examples/seed/virtualservice.yaml"),
    include_str!("../../examples/seed/destinationrule.yaml"),
    include_str!("../../examples/seed/demoapp.yaml"),
];
const CLUSTER: &str = "outbound|8080||demoappv10.default.svc.cluster.local";

#[test]
fn config_checker_in_headless_chromium() {
    let Some(browser) = Browser::chromium() else {
        println!("browser test skipped: chromium/chromedriver not found (apt-get install -y chromium chromium-driver)");
        return;
    };
    walkthrough(&browser);
}

#[test]
fn config_checker_in_headless_firefox() {
    let Some(browser) = Browser::firefox() else {
        println!("browser test skipped: firefox-esr/geckodriver not found (apt-get install -y firefox-esr; cargo install geckodriver)");
        return;
    };
    walkthrough(&browser);
}

/// Which browser, and how WebDriver starts it.
struct Browser {
    /// "Chromium" or "Firefox", for messages.
    name: &'static str,
    binary: PathBuf,
    driver: PathBuf,
    /// Suffix of the artifact files ("" for Chromium, whose files the benchmark report reads).
    suffix: &'static str,
}

impl Browser {
    fn chromium() -> Option<Browser> {
        Some(Browser {
            name: "Chromium",
            binary: which("chromium").or_else(|| which("chromium-browser"))?,
            driver: which("chromedriver")?,
            suffix: "",
        })
    }

    fn firefox() -> Option<Browser> {
        Some(Browser {
            name: "Firefox",
            binary: which("firefox-esr").or_else(|| which("firefox"))?,
            driver: which("geckodriver").or_else(|| {
                let cargo_bin = std::env::var_os("CARGO_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?
                    .join("bin/geckodriver");
                cargo_bin.is_file().then_some(cargo_bin)
            })?,
            suffix: "-firefox",
        })
    }

    /// New-session capabilities.
    fn capabilities(&self) -> Value {
        let binary = self.binary.to_string_lossy();
        if self.suffix.is_empty() {
            json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1440,2300"],
                },
            } } })
        } else {
            json!({ "capabilities": { "alwaysMatch": {
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": binary,
                    "args": ["-headless", "-width=1440", "-height=2300"],
                },
            } } })
        }
    }
}

/// The walkthrough, in one browser.
fn walkthrough(browser: &Browser) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    let dist = root.join("dist");
    if !dist.join("index.html").is_file() || !dist.join("meshroute_validator_web_bg.wasm").is_file()
    {
        println!(
            "browser test skipped: {} is not built (bash validator-web/build.sh)",
            dist.display()
        );
        return;
    }
    let artifacts = artifacts_dir(&root);
    let site = serve(dist);
    let driver = Driver::start(&browser.driver);
    let s = driver.session(browser);

    // The page loads the wasm module and the seed example.
    s.post("url", json!({ "url": format!("http://{site}/") }));
    s.wait(
        "the page to start",
        "return document.body.dataset.ready === 'true'",
    );

    // Every example the page offers is clean, except the one showing the walkthrough's mistake.
    let examples = s.exec(
        "const ex = window.meshroute.state.examples;
         return Object.keys(ex).map(n => {
           const v = JSON.parse(window.meshroute.validate(ex[n]));
           return [n, v.errors, v.resources, v.diagnostics.filter(d => d.severity === 'error').map(d => d.code + ' ' + d.message)];
         });",
        json!([]),
    );
    let examples = examples.as_array().cloned().unwrap_or_default();
    assert!(examples.len() >= 3, "{examples:?}");
    for e in &examples {
        let want = if e[0].as_str().is_some_and(|n| n.contains("IST0101")) {
            1
        } else {
            0
        };
        assert_eq!(e[1], want, "example {e}");
        assert!(
            e[2].as_u64().unwrap_or(0) > 0,
            "example {e} has no resources"
        );
    }

    // 1. A VirtualService pointing at a subset no DestinationRule defines → IST0101 on that line.
    let seed = seed();
    let broken = seed.replace(
        "        host: demoappv10\n",
        "        host: demoappv10\n        subset: v11\n",
    );
    assert_ne!(broken, seed);
    let line = broken
        .lines()
        .position(|l| l.trim() == "subset: v11")
        .map(|i| i + 1)
        .unwrap_or(0);
    s.paste(&broken);
    s.wait(
        "IST0101 in the diagnostics",
        "return !!document.querySelector('.diag[data-code=IST0101]')",
    );
    let d = s.exec(
        "const b = document.querySelector('.diag[data-code=IST0101]');
         return {line: +b.dataset.line, column: +b.dataset.column, text: b.textContent,
                 group: b.closest('.diag-group').querySelector('h3').textContent};",
        json!([]),
    );
    assert_eq!(d["line"], line, "{d}");
    assert!(d["text"].as_str().is_some_and(|t| t.contains("v11")), "{d}");
    assert_eq!(d["group"], "VirtualService default/demoappv10", "{d}");
    let column = d["column"].as_u64().unwrap_or(0);

    // Clicking it puts the textarea's cursor on that line and column.
    s.click(".diag[data-code=IST0101]");
    let cur = s.exec(
        "const e = document.getElementById('editor'), v = e.value, p = e.selectionStart;
         return {focused: document.activeElement === e, line: v.slice(0, p).split('\\n').length,
                 column: p - v.lastIndexOf('\\n', p - 1)};",
        json!([]),
    );
    assert_eq!(cur["focused"], true, "{cur}");
    assert_eq!(cur["line"], line, "{cur}");
    assert_eq!(cur["column"], column, "{cur}");

    // 2. Fixed → no errors.
    s.paste(&seed);
    s.wait(
        "the diagnostics to clear",
        "return !!document.getElementById('no-issues')",
    );
    let errors = s.exec(
        "return document.querySelectorAll('.diag.sev-error').length",
        json!([]),
    );
    assert_eq!(errors, 0);

    // The config lives in the URL fragment (deflate-raw + base64url): the link reproduces it.
    // The fragment follows the editor 500 ms after the last edit, so an older config's fragment
    // can still be there: wait until it decodes to the editor's text (a promise the driver
    // awaits).
    s.wait(
        "the config in the URL fragment",
        "if (!location.hash.startsWith('#c=') || location.hash.includes('+')) return false;
         return window.meshroute.decodeFragment(location.hash)
           .then(t => t === document.getElementById('editor').value, () => false);",
    );
    let link = s.exec("return location.href", json!([]));
    s.post("url", json!({ "url": "about:blank" }));
    s.post("url", json!({ "url": link }));
    s.wait(
        "the page to restart",
        "return document.body.dataset.ready === 'true'",
    );
    let restored = s.exec("return document.getElementById('editor').value", json!([]));
    assert_eq!(
        restored.as_str(),
        Some(seed.as_str()),
        "the link did not restore the config"
    );

    // 3. The gateway proxy is offered first; simulate the walkthrough's request on it.
    let proxy = s.exec(
        "const p = document.getElementById('proxy'); return p.options[p.selectedIndex].text",
        json!([]),
    );
    assert!(
        proxy
            .as_str()
            .is_some_and(|p| p.starts_with("gateway istio-system")),
        "{proxy}"
    );
    s.exec(
        "document.getElementById('sim-url').value = arguments[0]",
        json!(["http://demoappv10.magedu.com/"]),
    );
    s.click("#sim-send");
    s.wait(
        "the simulated decision",
        "return !!document.getElementById('sim-outcome')",
    );
    let decision = s.exec(
        "const dd = k => document.querySelector(`#sim-result dd[data-key='${k}']`)?.textContent;
         return {outcome: document.getElementById('sim-outcome').textContent, cluster: dd('cluster'),
                 endpoint: dd('endpoint'), trace: document.querySelectorAll('#sim-trace li').length,
                 highlighted: document.querySelectorAll('.path-svg .node.hl').length};",
        json!([]),
    );
    assert_eq!(decision["cluster"], CLUSTER, "{decision}");
    assert!(
        decision["endpoint"]
            .as_str()
            .is_some_and(|e| e.starts_with("127.0.10.3")),
        "{decision}"
    );
    assert!(decision["trace"].as_u64().unwrap_or(0) >= 3, "{decision}");
    // listener, virtual host, route, cluster, endpoint
    assert_eq!(decision["highlighted"], 5, "{decision}");

    // 4. The endpoints table shows the three v1.0 pods behind that cluster.
    s.click("#tab-endpoints");
    let eps = s.exec(
        "return [...document.querySelectorAll('#table-endpoints tbody tr')]
           .map(r => [...r.cells].map(c => c.textContent))
           .filter(c => c[3] === arguments[0]).map(c => c[0]);",
        json!([CLUSTER]),
    );
    assert_eq!(
        eps,
        json!(["127.0.10.31:8080", "127.0.10.32:8080", "127.0.10.33:8080"])
    );
    // 4b. The Envoy tab: the files `meshroute bootstrap` would write for this gateway — the
    // listener on the gateway's 8080, the filter from ECDS, the shared cluster's endpoints.
    s.click("#tab-envoy");
    let envoy = s.exec(
        "const p = document.getElementById('panel-envoy');
         return {visible: !p.hidden,
                 files: [...p.querySelectorAll('details.envoy-file summary code')].map(c => c.textContent),
                 bootstrap: p.querySelector('details.envoy-file pre')?.textContent ?? '',
                 lds: [...p.querySelectorAll('details.envoy-file')]
                        .find(d => d.querySelector('summary code').textContent === 'cds/listeners.yaml')
                        ?.querySelector('pre').textContent ?? '',
                 eds: [...p.querySelectorAll('details.envoy-file')]
                        .find(d => d.querySelector('summary code').textContent.startsWith('cds/eds-meshroute_upstream'))
                        ?.querySelector('pre').textContent ?? ''};",
        json!([]),
    );
    assert_eq!(envoy["visible"], true, "{envoy}");
    let files = envoy["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        files.iter().take(4).cloned().collect::<Vec<_>>(),
        vec![
            json!("envoy.yaml"),
            json!("ecds/meshroute.yaml"),
            json!("cds/clusters.yaml"),
            json!("cds/listeners.yaml")
        ],
        "{envoy}"
    );
    let bootstrap = envoy["bootstrap"].as_str().unwrap_or("");
    let lds = envoy["lds"].as_str().unwrap_or("");
    assert!(lds.contains("\"port_value\": 8080"), "{lds}");
    // The bootstrap names the LDS file; the listeners' HTTP filters take the filter from ECDS.
    assert!(bootstrap.contains("cds/listeners.yaml"), "{bootstrap}");
    assert!(
        lds.contains("envoy.extensions.filters.http.wasm.v3.Wasm"),
        "{lds}"
    );
    let eds = envoy["eds"].as_str().unwrap_or("");
    for ip in ["127.0.10.31", "127.0.10.32", "127.0.10.33"] {
        assert!(eds.contains(ip), "{ip} not in the EDS file: {eds}");
    }
    s.click("#tab-endpoints");

    s.exec("window.scrollTo(0, 0)", json!([]));
    let png = s.get("screenshot");
    let png = base64_decode(png.as_str().unwrap_or(""));
    assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
    let shot = artifacts.join(format!("validator-web{}.png", browser.suffix));
    std::fs::write(&shot, &png).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));

    // 4c. HTTPS: a server on 443 with a credentialName Secret. The listeners show its filter
    // chain, the Secrets tab its certificate, and no tab shows a key or a whole certificate.
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["demoappv10.magedu.com".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("cert")
        .pem();
    let key = key.serialize_pem();
    let block = |pem: &str| {
        pem.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let tls = seed.replace(
        "    hosts:\n    - demoappv10.magedu.com\n",
        "    hosts:\n    - demoappv10.magedu.com\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [demoappv10.magedu.com]\n    tls: {mode: SIMPLE, credentialName: demoapp-cert}\n",
    ) + &format!(
        "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: demoapp-cert, namespace: istio-system}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        block(&cert),
        block(&key)
    );
    s.paste(&tls);
    s.wait(
        "the HTTPS filter chain in the listeners",
        "return [...document.querySelectorAll('#table-listeners td')].some(c => c.textContent.startsWith('SNI: demoappv10.magedu.com'))",
    );
    s.click("#tab-secrets");
    let secrets = s.exec(
        "return [...document.querySelectorAll('#table-secrets tbody tr')].map(r => [...r.cells].map(c => c.textContent));",
        json!([]),
    );
    assert_eq!(secrets[0][0], "kubernetes://demoapp-cert", "{secrets}");
    assert_eq!(secrets[0][2], "ACTIVE", "{secrets}");
    assert_eq!(secrets[0][7].as_str().map(str::len), Some(64), "{secrets}");
    s.click("#tab-envoy");
    let page = s.exec(
        "const p = document.getElementById('panel-envoy');
         return {files: [...p.querySelectorAll('details.envoy-file summary code')].map(c => c.textContent),
                 text: [...document.querySelectorAll('pre, td, p, textarea:not(#editor)')].map(e => e.textContent).join('\\n')};",
        json!([]),
    );
    let files = page["files"].as_array().cloned().unwrap_or_default();
    assert!(
        files
            .iter()
            .any(|f| f.as_str().is_some_and(|f| f.starts_with("cds/sds-"))),
        "{page}"
    );
    let text = page["text"].as_str().unwrap_or("");
    for leak in [
        "PRIVATE KEY",
        "BEGIN CERTIFICATE",
        key.lines().nth(1).unwrap_or("?"),
    ] {
        assert!(!text.contains(leak), "{leak} shown in the page");
    }
    assert!(
        text.contains("private key redacted"),
        "the SDS file is not shown redacted"
    );
    s.click("#tab-endpoints");

    // 5. The walkthrough's question: why is the request a 404 before the VirtualService exists?
    s.exec(
        "const e = document.getElementById('example');
         e.value = [...e.options].find(o => o.value.includes('before the VirtualService')).value;",
        json!([]),
    );
    s.click("#load-example");
    s.wait(
        "the 404 example",
        "return /10 resources/.test(document.getElementById('status').textContent)",
    );
    s.click("#sim-send");
    let reply = s.exec(
        "return {outcome: document.getElementById('sim-outcome').textContent,
                 trace: document.getElementById('sim-trace').textContent}",
        json!([]),
    );
    assert!(
        reply["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("Local reply 404")),
        "{reply}"
    );
    assert!(
        reply["trace"]
            .as_str()
            .is_some_and(|t| t.contains("blackhole")),
        "{reply}"
    );

    // 6. Timing: a generated 1,000-resource config, validated in the page (performance.now
    // around the exported call, JSON.parse included), then through the editor.
    let big = generated(1000);
    let t = s.exec(
        "const text = arguments[0], times = []; let out;
         for (let i = 0; i < 6; i++) {
           const t0 = performance.now();
           out = JSON.parse(window.meshroute.validate(text));
           times.push(performance.now() - t0);
         }
         return {times, resources: out.resources, errors: out.errors};",
        json!([big]),
    );
    assert_eq!(t["resources"], 1000, "{t}");
    assert_eq!(t["errors"], 0, "{t}");
    let times: Vec<f64> = t["times"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    let first = times.first().copied().unwrap_or(0.0);
    let mut warm = times[1..].to_vec();
    warm.sort_by(f64::total_cmp);
    let median = warm.get(warm.len() / 2).copied().unwrap_or(0.0);
    s.paste(&big);
    s.wait(
        "the 1,000 resources to be checked",
        "return /1000 resources/.test(document.getElementById('status').textContent)",
    );
    let page_ms = s.exec("return +document.body.dataset.validateMs", json!([]));
    let summary = format!(
        "validate(1,000 resources, {} bytes) in headless {}: first {first:.1} ms, median of {} warm runs {median:.1} ms; through the editor (validate + render) {} ms\n",
        big.len(),
        browser.name,
        warm.len(),
        page_ms
    );
    print!("{summary}");
    println!("screenshot: {}", shot.display());
    let timing = artifacts.join(format!("validator-timing{}.txt", browser.suffix));
    std::fs::write(&timing, &summary).unwrap_or_else(|e| panic!("{}: {e}", timing.display()));
}

fn seed() -> String {
    SEED_FILES
        .iter()
        .map(|f| f.trim_end())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

/// n/4 × (Service, DestinationRule with a subset, VirtualService using it, Pod), all consistent.
fn generated(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n / 4 {
        s.push_str(&format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  selector: {{app: app{i}}}\n  ports:\n  - {{name: http, port: 8080}}\n---\n\
apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  host: svc{i}\n  subsets:\n  - name: v1\n    labels: {{version: v1}}\n---\n\
apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: svc{i}, namespace: default}}\nspec:\n  hosts: [svc{i}]\n  http:\n  - match:\n    - uri: {{prefix: /v1}}\n    route:\n    - destination: {{host: svc{i}, subset: v1}}\n  - route:\n    - destination: {{host: svc{i}}}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {{name: app{i}, namespace: default, labels: {{app: app{i}, version: v1}}}}\nspec: {{containers: [{{name: c, image: x}}]}}\nstatus: {{podIP: 10.1.{}.{}}}\n---\n",
            i / 200,
            i % 200 + 1
        ));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Environment

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

fn artifacts_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("..").join("target"));
    let dir = target.join("artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

// ---------------------------------------------------------------------------------------------
// A static file server for dist/

fn serve(dir: PathBuf) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = serve_one(conn, &dir);
            });
        }
    });
    addr
}

fn serve_one(mut c: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let file = dir.join(rel);
    let body = if rel.split('/').any(|p| p == "..") {
        None
    } else {
        std::fs::read(&file).ok()
    };
    let Some(body) = body else {
        return c.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let ctype = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        _ => "application/octet-stream",
    };
    c.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    c.write_all(&body)
}

// ---------------------------------------------------------------------------------------------
// A minimal WebDriver client

/// chromedriver or geckodriver, killed when dropped.
struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    fn start(bin: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        let d = Driver {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let t = Instant::now();
        loop {
            if let Ok(v) = http(&d.addr, "GET", "/status", None) {
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{} did not start",
                bin.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    fn session(&self, browser: &Browser) -> Session<'_> {
        let v = http(
            &self.addr,
            "POST",
            "/session",
            Some(&browser.capabilities()),
        )
        .unwrap_or_else(|e| panic!("new {} session: {e}", browser.name));
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new {} session failed: {v}", browser.name))
            .to_string();
        let s = Session { driver: self, id };
        // The same viewport in both browsers (Firefox's -width/-height set the window).
        s.post("window/rect", json!({ "width": 1440, "height": 2300 }));
        s
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    fn call(&self, method: &str, cmd: &str, body: Option<&Value>) -> Value {
        let path = format!("/session/{}/{cmd}", self.id);
        let v = http(&self.driver.addr, method, &path, body)
            .unwrap_or_else(|e| panic!("{method} {cmd}: {e}"));
        if v["value"]["error"].is_string() {
            panic!("{method} {cmd}: {}", v["value"]);
        }
        v["value"].clone()
    }
    fn post(&self, cmd: &str, body: Value) -> Value {
        self.call("POST", cmd, Some(&body))
    }
    fn get(&self, cmd: &str) -> Value {
        self.call("GET", cmd, None)
    }
    fn exec(&self, script: &str, args: Value) -> Value {
        self.post("execute/sync", json!({ "script": script, "args": args }))
    }
    fn click(&self, css: &str) {
        let e = self.post("element", json!({ "using": "css selector", "value": css }));
        // The W3C web-element reference is an object with one key.
        let id = e
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {e}"))
            .to_string();
        self.post(&format!("element/{id}/click"), json!({}));
    }
    /// Replaces the editor's text the way a paste does (an `insertText` edit, firing `input`).
    fn paste(&self, text: &str) {
        self.exec(
            "const e = document.getElementById('editor');
             e.focus(); e.select();
             // Chromium's insertText is very slow on large text; set the value there.
             if (arguments[0].length > 20000 || !document.execCommand('insertText', false, arguments[0])) {
               e.value = arguments[0];
               e.dispatchEvent(new Event('input', {bubbles: true}));
             }",
            json!([text]),
        );
    }
    /// Polls a script until it returns true.
    fn wait(&self, what: &str, script: &str) {
        let t = Instant::now();
        while self.exec(script, json!([])) != json!(true) {
            if t.elapsed() > Duration::from_secs(30) {
                let status = self.exec(
                    "return document.getElementById('status')?.textContent",
                    json!([]),
                );
                panic!("timed out waiting for {what} (page status: {status})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = http(
            &self.driver.addr,
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        );
    }
}

/// One WebDriver call (ureq); returns the JSON body. WebDriver answers errors with 4xx/5xx and a
/// JSON body too, so statuses are answers here.
fn http(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let url = format!("http://{addr}{path}");
    let mut r = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        ("DELETE", _) => agent.delete(&url).call(),
        (_, b) => agent
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .send(b.map(Value::to_string).unwrap_or_default()),
    }
    .map_err(|e| format!("{method} {path}: {e}"))?;
    let text = r
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("{method} {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("bad JSON from {method} {path}: {e}: {text}"))
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
