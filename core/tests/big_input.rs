//! Absurd sizes: a 10 MB config loads (or is refused) with a clear answer, never a panic.
#[path = "../benches/gen.rs"]
mod gen;
use meshroute_core::diag::codes;
use meshroute_core::resources::{load, LoadOptions};

#[test]
fn ten_megabyte_input_loads_completely() {
    let mut text = gen::mesh(9_000);
    assert!(text.len() > 10_000_000, "{} bytes", text.len());
    text.push_str(
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: last}\nspec: {ports: [{port: 80}]}\n",
    );
    let t = std::time::Instant::now();
    let (res, diags) = load(&[("big.yaml", text.as_str())], &LoadOptions::default());
    println!("loaded {} bytes in {:?}", text.len(), t.elapsed());
    assert!(diags.is_empty(), "{:?}", diags.first());
    assert_eq!(res.services.len(), 9_002);
    assert_eq!(
        res.services.last().map(|s| s.meta.name.as_str()),
        Some("last")
    );
}

#[test]
fn input_over_the_size_limit_is_one_clear_error() {
    let text = "# padding\n".repeat(4_000_000); // 40 MB > 32 MiB
    let (res, diags) = load(&[("huge.yaml", text.as_str())], &LoadOptions::default());
    assert!(res.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, codes::INPUT_LIMIT);
    assert!(
        diags[0].message.contains("more than the limit"),
        "{}",
        diags[0].message
    );
}
