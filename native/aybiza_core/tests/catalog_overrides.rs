//! Runtime overrides merged over the embedded catalog.

use aybiza_core::catalog::{self, Catalog, CatalogError, Usage};
use serde_json::json;

#[test]
fn overrides_patch_add_and_remove_models() {
    let over = json!({
        "as_of": "2030-01-01",
        "models": [
            {"id": "anthropic.claude-3-haiku-20240307-v1:0", "prices": {"input": "0.30"}, "default_max_tokens": 300},
            {"id": "acme.voice-1:0", "name": "Acme Voice", "family": "acme", "context_window": 8000, "max_output_tokens": 1000,
             "regions": ["us-east-1"], "prices": {"input": "1", "output": "2"}},
            {"id": "ai21.jamba-1-5-mini-v1:0", "remove": true}
        ],
        "deprecated_aliases": {"bedrock:claude-haiku-3": null, "my-fast-model": "acme.voice-1:0"},
        "regions": {"countries": {"BR": "sa-east-1"}}
    });
    let c = Catalog::with_overrides(&over).unwrap();
    assert!(c.overridden);
    assert_eq!(c.as_of, "2030-01-01");
    let haiku = c.model("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
    assert_eq!(haiku.prices.input, 300_000_000);
    assert_eq!(
        haiku.prices.output, 1_250_000_000,
        "untouched fields keep their value"
    );
    assert_eq!(haiku.default_max_tokens, 300);
    let acme = c.resolve("my-fast-model").unwrap();
    assert_eq!(acme.base_model_id, "acme.voice-1:0");
    assert!(acme.deprecated_alias);
    assert_eq!(
        c.cost(
            "acme.voice-1:0",
            &Usage {
                input_tokens: 1000,
                output_tokens: 1000,
                ..Usage::default()
            }
        )
        .unwrap()
        .nanodollars,
        3_000_000
    );
    assert!(c.model("ai21.jamba-1-5-mini-v1:0").is_none());
    // Without its deprecated alias, the name still resolves through the friendly alias.
    assert!(
        !c.resolve("bedrock:claude-haiku-3")
            .unwrap()
            .deprecated_alias
    );
    assert_eq!(c.regions.region_for_country("BR"), "sa-east-1");
    assert_eq!(
        c.regions.region_for_country("DE"),
        "eu-central-1",
        "countries merge key by key"
    );
}

#[test]
fn invalid_overrides_are_rejected_with_a_reason() {
    let bad_price = json!({"models": [{"id": "anthropic.claude-3-haiku-20240307-v1:0", "prices": {"input": "cheap"}}]});
    assert!(matches!(
        Catalog::with_overrides(&bad_price),
        Err(CatalogError::InvalidData(_))
    ));
    let bad_alias = json!({"deprecated_aliases": {"x": "no.such-model"}});
    assert!(matches!(
        Catalog::with_overrides(&bad_alias),
        Err(CatalogError::InvalidData(_))
    ));
    let bad_rule = json!({"routing": {"rules": [{"name": "r", "when": {}, "models": ["nope"]}]}});
    assert!(matches!(
        Catalog::with_overrides(&bad_rule),
        Err(CatalogError::InvalidData(_))
    ));
    assert!(matches!(
        Catalog::with_overrides(&json!([1])),
        Err(CatalogError::InvalidData(_))
    ));
}

#[test]
fn routing_table_is_configurable() {
    let over = json!({"routing": {"rules": [
        {"name": "all_nova", "when": {}, "models": ["amazon.nova-micro-v1:0"]}
    ]}});
    let c = Catalog::with_overrides(&over).unwrap();
    let s = c
        .select(
            0.99,
            5000,
            &Default::default(),
            &Default::default(),
            &|_, _| false,
        )
        .unwrap();
    assert_eq!(s.rule, "all_nova");
    assert_eq!(s.model_id, "amazon.nova-micro-v1:0");
}

// The only test touching the global catalog (tests in one file run in parallel).
#[test]
fn global_catalog_overrides_replace_and_clear() {
    assert!(!catalog::catalog().overridden);
    catalog::put_overrides_json(
        r#"{"models": [{"id": "amazon.nova-micro-v1:0", "prices": {"input": "1"}}]}"#,
    )
    .unwrap();
    assert_eq!(
        catalog::catalog()
            .model("amazon.nova-micro-v1:0")
            .unwrap()
            .prices
            .input,
        1_000_000_000
    );
    // A second call replaces, not accumulates.
    catalog::put_overrides(&json!({"as_of": "2031-01-01"})).unwrap();
    assert_eq!(
        catalog::catalog()
            .model("amazon.nova-micro-v1:0")
            .unwrap()
            .prices
            .input,
        35_000_000
    );
    // Invalid overrides leave the catalog as it was.
    assert!(catalog::put_overrides_json("{not json").is_err());
    assert_eq!(catalog::catalog().as_of, "2031-01-01");
    catalog::clear_overrides().unwrap();
    assert!(!catalog::catalog().overridden);
    let s = catalog::select_optimal_model_and_region(
        0.95,
        1500,
        &Default::default(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(s.base_model_id, "anthropic.claude-opus-4-6-v1");
}

/// A model's lists and the fallback chains are bounded: the NIFs that answer one model encode
/// them on a normal scheduler (100,000 chain entries: ~100 ms, debug build). Probe6.
#[test]
fn overrides_lists_are_bounded() {
    use aybiza_core::catalog::data::MAX_LIST_ENTRIES;
    const FABLE: &str = "anthropic.claude-fable-5-2";
    const HAIKU: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
    let chain = |n: usize| json!({"fallback_chains": {FABLE: vec![HAIKU; n]}});
    let aliases = |n: usize| {
        let a: Vec<String> = (0..n).map(|i| format!("probe6-alias-{i}")).collect();
        json!({"models": [{"id": FABLE, "aliases": a}]})
    };
    let regions = |n: usize| json!({"models": [{"id": FABLE, "regions": vec!["us-east-1"; n]}]});
    let profile = |n: usize| json!({"profiles": {"us": {"regions": vec!["us-east-1"; n]}}});
    for (what, over) in [
        ("fallback_chains", chain as fn(usize) -> serde_json::Value),
        ("aliases", aliases),
        ("regions", regions),
        ("profiles.us.regions", profile),
    ] {
        assert!(
            Catalog::with_overrides(&over(MAX_LIST_ENTRIES)).is_ok(),
            "{what} at the bound"
        );
        match Catalog::with_overrides(&over(MAX_LIST_ENTRIES + 1)) {
            Err(CatalogError::InvalidData(m)) => {
                assert!(m.contains(what) && m.contains("at most 256"), "{m}")
            }
            other => panic!("{what} past the bound: {other:?}"),
        }
    }
}
