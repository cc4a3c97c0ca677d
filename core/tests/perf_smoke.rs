//! Not a benchmark: guards against accidental quadratic compile time (criterion has the numbers).
#[path = "../benches/gen.rs"]
mod gen;
use meshroute_core::compile::compile;
use meshroute_core::config::ProxyIdentity;
use meshroute_core::resources::{load, LoadOptions};

#[test]
fn compile_scales_linearly_with_services() {
    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let time = |n: usize| {
        let text = gen::mesh(n);
        let (res, _) = load(&[("mesh.yaml", text.as_str())], &LoadOptions::default());
        let t = std::time::Instant::now();
        let (table, _) = compile(&res, &proxy);
        assert_eq!(
            table.clusters.len(),
            n * 3 + 1,
            "3 clusters per service + the ingress gateway service"
        );
        t.elapsed().as_secs_f64()
    };
    let small = time(500).max(1e-4);
    let big = time(4000);
    println!(
        "compile 500 services: {small:.3}s, 4000 services: {big:.3}s (ratio {:.1})",
        big / small
    );
    // Linear would be 8x; quadratic 64x. Allow noise.
    assert!(
        big / small < 25.0,
        "compile time grows super-linearly: {small:.3}s → {big:.3}s"
    );
}

#[test]
fn sidecar_compile_and_check_scale_linearly() {
    use meshroute_core::analyze::AnalyzeOptions;
    use meshroute_core::check::check;
    let proxy = ProxyIdentity::sidecar("default", &[("app", "client")]);
    let time = |n: usize| {
        let text = gen::mesh(n);
        let (res, _) = load(&[("mesh.yaml", text.as_str())], &LoadOptions::default());
        let t = std::time::Instant::now();
        let (table, _) = compile(&res, &proxy);
        let rc = table
            .route_configs
            .iter()
            .find(|r| r.name == "8080")
            .expect("route config 8080");
        assert_eq!(
            rc.virtual_hosts.len(),
            n + 1,
            "one vhost per service + allow_any"
        );
        let c = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let (_, d) = check(
            &[("mesh.yaml", text.as_bytes())],
            &LoadOptions::default(),
            &AnalyzeOptions::default(),
        );
        assert!(
            !d.iter()
                .any(|d| d.severity == meshroute_core::diag::Severity::Error),
            "{:?}",
            d.first()
        );
        (c, t.elapsed().as_secs_f64())
    };
    let (cs, ks) = time(500);
    let (cb, kb) = time(4000);
    println!("sidecar compile 500: {cs:.3}s 4000: {cb:.3}s; check 500: {ks:.3}s 4000: {kb:.3}s");
    assert!(
        cb / cs.max(1e-4) < 25.0,
        "sidecar compile grows super-linearly"
    );
    assert!(kb / ks.max(1e-4) < 25.0, "check grows super-linearly");
}

/// `cargo test --release -p meshroute-core --test perf_smoke -- --ignored --nocapture`:
/// one timing of compiling the 10,000-service mesh (the criterion bench has the statistics).
#[test]
#[ignore]
fn compile_ten_thousand_services_once() {
    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let text = gen::mesh(10_000);
    let (res, _) = load(&[("mesh.yaml", text.as_str())], &LoadOptions::default());
    let t = std::time::Instant::now();
    let (table, _) = compile(&res, &proxy);
    println!(
        "compile 10000 services: {:?} ({} clusters)",
        t.elapsed(),
        table.clusters.len()
    );
}
