//! Where `check` spends its time on a large mesh, analyzer by analyzer (ignored: run by hand,
//! `cargo test --release -p meshroute-core --test analyzer_profile -- --ignored --nocapture`).
#[path = "../benches/gen.rs"]
mod gen;
use meshroute_core::analyze::{analyze, AnalyzeOptions, ANALYZERS};
use meshroute_core::resources::{load, LoadOptions};

#[test]
#[ignore]
fn analyzer_time_by_analyzer() {
    for n in [1000, 4000] {
        let text = gen::mesh(n);
        let t = std::time::Instant::now();
        let (res, _) = load(&[("mesh.yaml", text.as_str())], &LoadOptions::default());
        println!("{n} services: load {:.3}s", t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        let _ = meshroute_core::validate::validate(&res);
        println!("  validate {:.3}s", t.elapsed().as_secs_f64());
        for a in ANALYZERS {
            let opts = AnalyzeOptions {
                only: Some(vec![a.name.to_string()]),
                ..AnalyzeOptions::default()
            };
            let t = std::time::Instant::now();
            let d = analyze(&res, &opts);
            let s = t.elapsed().as_secs_f64();
            if s > 0.005 {
                println!("  {:<45} {s:.3}s ({} findings)", a.name, d.len());
            }
        }
    }
}
