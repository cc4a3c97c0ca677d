//! `demo`: the seed scenario in real Envoy, the README's first command (`bash demo.sh`).
//!
//! Starts three demoapp v1.0 pods on 127.0.10.31-33:8080 and two v1.1 pods on .41-.42, starts
//! stock Envoy as the seed's ingress gateway (127.0.0.1:8080, admin 127.0.0.1:15000) with
//! examples/configs/seed-gateway.yaml, prints real requests and their answers and the
//! `meshroute proxy-config` views, then serves until Ctrl-C (`--once`: exit after the showcase).

use meshroute_tests::harness::http::{self, Response};
use meshroute_tests::harness::seed::{self, Seed, GATEWAY_PROXY};
use meshroute_tests::harness::tls::{tls_secret, Ca, Https};
use meshroute_tests::harness::TempDir;
use meshroute_tests::harness::{free_port, repo_root, Bins, Demoapp, Envoy, EnvoyOptions, Net};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const USAGE: &str = "usage: demo [--once]

Runs the seed scenario: demoapp pods on 127.0.10.31-33 (v1.0) and .41-.42 (v1.1), port 8080,
and Envoy with the meshroute filter as the ingress gateway on 127.0.0.1:8080 (admin :15000).
  --once   exit after the showcase instead of serving until Ctrl-C";

const CONFIG: &str = "examples/configs/seed-gateway.yaml";
const HOST: &str = "demoappv10.magedu.com";

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Ctrl-C and SIGTERM set [`STOP`]; the main loop then drops Envoy and the pods, which kills
/// them (they run in their own process groups, so the terminal's Ctrl-C does not reach them).
fn install_signal_handlers() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// `preferred` when it can be bound now, else a free port on the same IP (and a note).
fn pick(preferred: SocketAddr, what: &str) -> Result<SocketAddr, String> {
    if TcpListener::bind(preferred).is_ok() {
        return Ok(preferred);
    }
    let p = free_port(preferred.ip()).map_err(|e| format!("no free port: {e}"))?;
    let a = SocketAddr::new(preferred.ip(), p);
    println!("note: {preferred} is busy, so the {what} uses {a} instead");
    Ok(a)
}

fn curl_line(listen: SocketAddr, host: &str, path: &str, include: bool) -> String {
    format!(
        "$ curl{} -H 'Host: {host}' http://{listen}{path}",
        if include { " -i" } else { "" }
    )
}

fn print_answer(r: &Response, include: bool) {
    if include {
        println!("HTTP/1.1 {} {}", r.status, r.reason());
        for (k, v) in &r.headers {
            if k != "date" {
                println!("{k}: {v}");
            }
        }
        println!();
    }
    let body = r.text();
    println!("{}", body.trim_end());
}

fn run(once: bool) -> Result<(), String> {
    let root = repo_root();
    let bins = Bins::locate()?;
    let net = Net::seed();
    println!("==> starting the seed's pods (demoapp) on their own loopback addresses");
    let pods = Demoapp::seed_pods(&bins, &net, &["--quiet"]).map_err(|e| {
        format!("{e}\n(is another demo running? every pod needs its own 127.0.10.x:8080)")
    })?;
    for p in &pods {
        println!("    {:<13} {}  {}", p.name, p.version, p.addr);
    }

    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let listen = pick(SocketAddr::new(localhost, 8080), "gateway listener")?;
    let admin = pick(SocketAddr::new(localhost, 15000), "Envoy admin")?;
    println!(
        "\n==> starting Envoy ({}) as istio-ingressgateway with {CONFIG}",
        bins.envoy.display()
    );
    let opts = EnvoyOptions::new(root.join(CONFIG))
        .listen(listen)
        .admin(admin)
        .listener_port(8080);
    let mut envoy = Envoy::start(&bins, opts)?;
    println!("    listener {listen} (the gateway Service's port 80 → 8080), admin http://{admin}/, /ready = LIVE");
    println!(
        "    bootstrap: {}",
        envoy.dir().join("bootstrap/envoy.yaml").display()
    );

    println!("\n==> the VirtualService routes demoappv10.magedu.com to the three v1.0 pods");
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..15 {
        if i >= 6 && seen.len() == 3 {
            break;
        }
        println!("{}", curl_line(listen, HOST, "/", false));
        let r = http::get(listen, HOST, "/", &[]).map_err(|e| format!("request failed: {e}"))?;
        print_answer(&r, false);
        if let Some(p) = r.pod() {
            seen.insert(p.to_string());
        }
    }
    println!(
        "    ({} pods answered: {}; LEAST_CONN = Envoy's LEAST_REQUEST picks among idle pods at random)",
        seen.len(),
        seen.iter().cloned().collect::<Vec<_>>().join(", ")
    );

    println!("\n==> a host no Gateway/VirtualService routes gets 404, as from Istio");
    println!("{}", curl_line(listen, "www.magedu.com", "/", true));
    let r = http::get(listen, "www.magedu.com", "/", &[])
        .map_err(|e| format!("request failed: {e}"))?;
    print_answer(&r, true);

    println!("\n==> what the filter compiled, as istioctl proxy-config shows it");
    let fqdn = "demoappv10.default.svc.cluster.local";
    let views: [&[&str]; 5] = [
        &["listeners"],
        &["routes"],
        &["clusters"],
        &["endpoints"],
        // The DestinationRule's LEAST_CONN, as Envoy's policy.
        &["clusters", "--fqdn", fqdn, "-o", "json"],
    ];
    for view in views {
        println!("$ meshroute proxy-config {} -c {CONFIG}", view.join(" "));
        let out = Command::new(&bins.meshroute)
            .arg("proxy-config")
            .args(view)
            .args(["-c", CONFIG])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run meshroute: {e}"))?;
        if !out.status.success() {
            println!(
                "(meshroute proxy-config is not available in this build: {})",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            );
            break;
        }
        println!("{}", String::from_utf8_lossy(&out.stdout).trim_end());
    }

    let https = https_gateway(&bins, &net)?;

    println!("\n==> try it yourself");
    println!("{}", curl_line(listen, HOST, "/", false));
    println!("{}", curl_line(listen, HOST, "/hostname", false));
    println!("{}", curl_line(listen, "www.magedu.com", "/", true));
    println!("$ curl http://{admin}/stats?filter=meshroute");
    println!("$ target/debug/meshroute check -f examples/seed");
    println!("$ target/debug/meshroute simulate -c {CONFIG} http://{HOST}/");
    println!("{}", https.curl);

    // The browser checker, served on loopback when its page is built.
    let dist = root.join("validator-web/dist");
    let _page = if dist.join("index.html").exists() && !once {
        let port = if std::net::TcpListener::bind("127.0.0.1:8000").is_ok() {
            8000
        } else {
            meshroute_tests::harness::free_port(std::net::IpAddr::from([127, 0, 0, 1]))
                .unwrap_or(8000)
        };
        let mut cmd = Command::new("python3");
        cmd.args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "-d",
        ])
        .arg(&dist)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        match meshroute_tests::harness::Proc::spawn(cmd, "validator-page") {
            Ok(p) => {
                println!("\n==> the config checker in your browser: http://127.0.0.1:{port}/");
                Some(p)
            }
            Err(e) => {
                println!("\n(could not serve validator-web/dist: {e})");
                None
            }
        }
    } else {
        if !once {
            println!("\n(build the browser checker with `bash validator-web/build.sh` to have the demo serve it)");
        }
        None
    };

    if once {
        println!("\n==> --once: stopping Envoy and the pods");
        return Ok(());
    }
    install_signal_handlers();
    println!("    Envoy log:  {}", envoy.log_path().display());
    println!("    access log: {}", envoy.access_log_path().display());
    println!("\n==> serving until Ctrl-C");
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        if !envoy.is_running() {
            return Err(format!(
                "envoy exited; log tail:\n{}",
                meshroute_tests::harness::tail(&envoy.log(), 20)
            ));
        }
    }
    println!("\n==> stopping Envoy and the pods");
    drop(envoy);
    drop(pods);
    Ok(())
}

/// The HTTPS part of the showcase, kept running with the rest.
struct HttpsGateway {
    _envoy: Envoy,
    _dir: TempDir,
    curl: String,
}

const SECURE: &str = "secure.magedu.com";

/// A second gateway Envoy, one listener per server port on the gateway pod's address
/// (`meshroute bootstrap --bind 127.0.10.2`): `secure.magedu.com` on 443 → 8443 with a
/// certificate from a Secret (generated now by a throw-away CA), and port 80 → 8080 redirecting
/// to it (`httpsRedirect`).
fn https_gateway(bins: &Bins, net: &Net) -> Result<HttpsGateway, String> {
    println!("\n==> HTTPS at the gateway: {SECURE} on 443 with credentialName, port 80 redirecting to it");
    let ca = Ca::new("meshroute demo CA");
    let leaf = ca.leaf(&[SECURE]);
    let dir = TempDir::new("demo-https").map_err(|e| format!("temp dir: {e}"))?;
    let ca_file = seed::write(dir.path(), "ca.crt", &ca.pem).map_err(|e| e.to_string())?;
    let gateway = format!(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: secure-gateway, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http-secure, protocol: HTTP}}
    hosts: [{SECURE}]
    tls: {{httpsRedirect: true}}
  - port: {{number: 443, name: https-secure, protocol: HTTPS}}
    hosts: [{SECURE}]
    tls: {{mode: SIMPLE, credentialName: secure-cert}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: secure, namespace: default}}
spec:
  hosts: [{SECURE}]
  gateways: [istio-system/secure-gateway]
  http:
  - route: [{{destination: {{host: demoappv10}}}}]
"
    );
    let resources = Seed::new(net)
        .debug(false)
        .with(&tls_secret("secure-cert", "istio-system", &leaf, None))
        .with(&gateway)
        .resources();
    let config = seed::write(
        dir.path(),
        "secure-gateway.yaml",
        &seed::config(GATEWAY_PROXY, None, false, &resources),
    )
    .map_err(|e| e.to_string())?;
    let admin = pick(
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 15001),
        "Envoy admin",
    )?;
    let ip = net.ip(2);
    let envoy = Envoy::start(bins, EnvoyOptions::new(&config).bind(ip).admin(admin))?;
    println!("    Envoy with listeners {ip}:8080 and {ip}:8443 (`meshroute bootstrap --bind {ip}`), admin http://{admin}/");
    let plain = SocketAddr::new(ip, 8080);
    println!("{}", curl_line(plain, SECURE, "/docs", true));
    let r = http::get(plain, SECURE, "/docs", &[]).map_err(|e| format!("request failed: {e}"))?;
    print_answer(&r, true);
    let curl = format!(
        "$ curl --cacert {} --resolve {SECURE}:8443:{ip} https://{SECURE}:8443/",
        ca_file.display()
    );
    println!("{curl}");
    let (status, body) = Https::new(SocketAddr::new(ip, 8443), &ca.pem, None)
        .get(&format!("https://{SECURE}:8443/"))?;
    println!("    {status} over TLS (certificate CN={SECURE}, issued by the demo CA)");
    println!("    {}", body.trim_end());
    Ok(HttpsGateway {
        _envoy: envoy,
        _dir: dir,
        curl,
    })
}

fn main() -> ExitCode {
    let mut once = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--once" => once = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("demo: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(once) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}
