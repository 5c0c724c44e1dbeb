//! The routing table row by row, capability / region / circuit-breaker filters, regions and
//! fallback chains.

use std::collections::HashSet;

use aybiza_core::catalog::{Catalog, CatalogError, Requirements, RoutingOptions};

const OPUS_46: &str = "anthropic.claude-opus-4-6-v1";
const SONNET_46: &str = "anthropic.claude-sonnet-4-6";
const NOVA_MICRO: &str = "amazon.nova-micro-v1:0";
const NOVA_LITE: &str = "amazon.nova-lite-v1:0";
const HAIKU_45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn cat() -> Catalog {
    Catalog::embedded().expect("embedded catalog")
}

fn no_breakers(_: &str, _: &str) -> bool {
    false
}

fn pick(
    complexity: f64,
    latency: u64,
    req: &Requirements,
    opts: &RoutingOptions,
) -> aybiza_core::catalog::Selection {
    cat()
        .select(complexity, latency, req, opts, &no_breakers)
        .expect("a selection")
}

#[test]
fn rule_deep_reasoning_opus() {
    let s = pick(
        0.95,
        1500,
        &Requirements::default(),
        &RoutingOptions::default(),
    );
    assert_eq!(s.rule, "deep_reasoning");
    assert_eq!(s.base_model_id, OPUS_46);
    assert_eq!(
        s.model_id,
        format!("us.{OPUS_46}"),
        "Opus 4.6 is profile-only: the geographic profile of the region"
    );
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.max_tokens, 4096);
    assert!(!s.degraded);
}

#[test]
fn rule_deep_reasoning_needs_both_conditions() {
    assert_eq!(
        pick(
            0.95,
            1000,
            &Requirements::default(),
            &RoutingOptions::default()
        )
        .base_model_id,
        SONNET_46
    );
    assert_eq!(
        pick(
            0.9,
            5000,
            &Requirements::default(),
            &RoutingOptions::default()
        )
        .rule,
        "complex"
    );
}

#[test]
fn rule_ultra_fast_cost_sensitive_cheapest_haiku() {
    let opts = RoutingOptions {
        cost_sensitive: true,
        ..RoutingOptions::default()
    };
    let s = pick(0.1, 100, &Requirements::default(), &opts);
    assert_eq!(s.rule, "ultra_fast_cheap");
    assert_eq!(
        s.model_id, NOVA_MICRO,
        "Nova Micro is offered in-region in us-east-1"
    );
    assert_eq!(s.max_tokens, 512);
}

#[test]
fn rule_ultra_fast_faster_haiku() {
    let s = pick(
        0.1,
        100,
        &Requirements::default(),
        &RoutingOptions::default(),
    );
    assert_eq!(s.rule, "ultra_fast");
    assert_eq!(s.base_model_id, HAIKU_45);
    assert_eq!(s.model_id, format!("us.{HAIKU_45}"));
    assert_eq!(s.max_tokens, 512);
}

#[test]
fn rule_fast_haiku() {
    let s = pick(
        0.5,
        180,
        &Requirements::default(),
        &RoutingOptions::default(),
    );
    assert_eq!(s.rule, "fast");
    assert_eq!(s.base_model_id, HAIKU_45);
    // Boundaries are strict, as in the design.
    assert_eq!(
        pick(
            0.6,
            180,
            &Requirements::default(),
            &RoutingOptions::default()
        )
        .rule,
        "default"
    );
    assert_eq!(
        pick(
            0.5,
            200,
            &Requirements::default(),
            &RoutingOptions::default()
        )
        .rule,
        "default"
    );
}

#[test]
fn rule_tools_sonnet() {
    let req = Requirements {
        tools: true,
        ..Requirements::default()
    };
    let s = pick(0.5, 500, &req, &RoutingOptions::default());
    assert_eq!(s.rule, "tools");
    assert_eq!(s.base_model_id, SONNET_46);
    assert_eq!(s.max_tokens, 2048);
}

#[test]
fn rule_complex_and_default_sonnet() {
    let s = pick(
        0.8,
        500,
        &Requirements::default(),
        &RoutingOptions::default(),
    );
    assert_eq!(
        (s.rule.as_str(), s.base_model_id.as_str()),
        ("complex", SONNET_46)
    );
    let s = pick(
        0.5,
        500,
        &Requirements::default(),
        &RoutingOptions::default(),
    );
    assert_eq!(
        (s.rule.as_str(), s.base_model_id.as_str()),
        ("default", SONNET_46)
    );
    assert_eq!(
        s.fallbacks,
        vec![HAIKU_45.to_string()],
        "the throttling chain: a faster active model"
    );
}

#[test]
fn capability_filters_skip_models() {
    // Nova Micro has no vision: the cheap rule falls to Haiku 4.5.
    let req = Requirements {
        vision: true,
        ..Requirements::default()
    };
    let cheap = RoutingOptions {
        cost_sensitive: true,
        ..RoutingOptions::default()
    };
    let s = pick(0.1, 100, &req, &cheap);
    assert_eq!(s.base_model_id, HAIKU_45);
    assert!(s.degraded);
    // Thinking needed on a cheap ultra-fast call: Nova Micro cannot think.
    let req = Requirements {
        thinking: true,
        ..Requirements::default()
    };
    let opts = RoutingOptions {
        cost_sensitive: true,
        ..RoutingOptions::default()
    };
    assert_eq!(pick(0.1, 100, &req, &opts).base_model_id, HAIKU_45);
    // Nothing has a 10M token context.
    let req = Requirements {
        min_context_tokens: 10_000_000,
        ..Requirements::default()
    };
    assert!(matches!(
        cat().select(0.5, 500, &req, &RoutingOptions::default(), &no_breakers),
        Err(CatalogError::NoCapableModel(_))
    ));
}

#[test]
fn country_picks_the_region_and_profiles_follow_it() {
    let opts = RoutingOptions {
        country: Some("de".into()),
        ..RoutingOptions::default()
    };
    let s = pick(0.5, 500, &Requirements::default(), &opts);
    assert_eq!(s.region, "eu-central-1");
    assert_eq!(s.model_id, format!("eu.{SONNET_46}"));
    // An EU caller stays in the EU on Haiku 4.5 (eu profile, +10%).
    let s = pick(0.5, 180, &Requirements::default(), &opts);
    assert_eq!(s.region, "eu-central-1");
    assert_eq!(s.model_id, format!("eu.{HAIKU_45}"));
    assert_eq!(s.price_percent, 110);
    // Japan: Opus 4.6 has a jp profile.
    let jp = RoutingOptions {
        country: Some("JP".into()),
        ..RoutingOptions::default()
    };
    let s = pick(0.95, 1500, &Requirements::default(), &jp);
    assert_eq!(s.region, "ap-northeast-1");
    assert_eq!(s.model_id, format!("jp.{OPUS_46}"));
    assert_eq!(s.price_percent, 110);
    // Brazil maps to us-east-1 (no South American profile in the rules' models).
    let br = RoutingOptions {
        country: Some("BR".into()),
        prefer_global_profile: true,
        ..RoutingOptions::default()
    };
    let s = pick(0.95, 1500, &Requirements::default(), &br);
    assert_eq!(s.model_id, format!("global.{OPUS_46}"));
    assert_eq!(s.price_percent, 100);
}

#[test]
fn prefer_global_profile_when_asked() {
    let opts = RoutingOptions {
        country: Some("FR".into()),
        prefer_global_profile: true,
        ..RoutingOptions::default()
    };
    let req = Requirements {
        vision: true,
        ..Requirements::default()
    };
    let s = pick(0.5, 180, &req, &opts);
    assert_eq!(s.model_id, format!("global.{HAIKU_45}"));
}

#[test]
fn open_circuit_breakers_route_around_models_and_regions() {
    let c = cat();
    // Haiku 4.5 tripped in us-east-1: next candidate in the same region.
    let open = |m: &str, r: &str| m.ends_with(HAIKU_45) && r == "us-east-1";
    let s = c
        .select(
            0.5,
            180,
            &Requirements::default(),
            &RoutingOptions::default(),
            &open,
        )
        .unwrap();
    assert_eq!(s.base_model_id, NOVA_LITE);
    assert_eq!(s.region, "us-east-1");
    // Everything in us-east-1 tripped: nearest region.
    let all_east = |_: &str, r: &str| r == "us-east-1";
    let s = c
        .select(
            0.5,
            180,
            &Requirements::default(),
            &RoutingOptions::default(),
            &all_east,
        )
        .unwrap();
    assert_eq!(s.region, "us-east-2");
    assert_eq!(s.base_model_id, HAIKU_45);
    assert!(s.degraded);
    // The excluded set in the options works the same way, with profile ids too.
    let mut excluded = HashSet::new();
    excluded.insert((format!("us.{SONNET_46}"), "us-east-1".to_string()));
    let opts = RoutingOptions {
        excluded,
        ..RoutingOptions::default()
    };
    let s = c
        .select(0.5, 500, &Requirements::default(), &opts, &no_breakers)
        .unwrap();
    assert_eq!(s.base_model_id, HAIKU_45);
    // Everything open: a clear error.
    let all = |_: &str, _: &str| true;
    assert!(matches!(
        c.select(
            0.5,
            500,
            &Requirements::default(),
            &RoutingOptions::default(),
            &all
        ),
        Err(CatalogError::NoModelAvailable(_))
    ));
}

#[test]
fn explicit_max_tokens_wins_capped() {
    let opts = RoutingOptions {
        max_tokens: Some(9000),
        cost_sensitive: true,
        ..RoutingOptions::default()
    };
    let s = pick(0.1, 100, &Requirements::default(), &opts);
    assert_eq!(s.model_id, NOVA_MICRO);
    assert_eq!(s.max_tokens, 9000);
    let opts = RoutingOptions {
        max_tokens: Some(90_000),
        ..opts
    };
    assert_eq!(
        pick(0.1, 100, &Requirements::default(), &opts).max_tokens,
        10_000
    );
}

#[test]
fn country_to_region_map_of_the_design() {
    let c = cat();
    let cases = [
        ("US", "us-east-1"),
        ("CA", "us-east-1"),
        ("GB", "eu-west-1"),
        ("FR", "eu-west-1"),
        ("ES", "eu-west-1"),
        ("NL", "eu-west-1"),
        ("DE", "eu-central-1"),
        ("IT", "eu-central-1"),
        ("SG", "ap-southeast-1"),
        ("AU", "ap-southeast-1"),
        ("JP", "ap-northeast-1"),
        ("IN", "ap-south-1"),
        ("BR", "us-east-1"),
        ("", "us-east-1"),
        ("gb", "eu-west-1"),
    ];
    for (country, region) in cases {
        assert_eq!(c.regions.region_for_country(country), region, "{country}");
    }
    assert_eq!(c.regions.fallback_region, "us-west-2");
    let order = c.regions.fallback_order("eu-west-1");
    assert_eq!(order.first().map(String::as_str), Some("eu-west-2"));
    assert!(order.contains(&"us-west-2".to_string()));
    assert!(!order.contains(&"eu-west-1".to_string()));
}

#[test]
fn fallback_chains() {
    let c = cat();
    // The design's name for Sonnet 4 (legacy) falls back to active models only.
    assert_eq!(
        c.fallback_chain("anthropic.claude-4-sonnet-20250120")
            .unwrap(),
        vec![SONNET_46.to_string(), HAIKU_45.to_string()]
    );
    assert_eq!(
        c.fallback_chain(&format!("us.{SONNET_46}")).unwrap(),
        vec![HAIKU_45.to_string()]
    );
    assert!(c.fallback_chain(NOVA_MICRO).unwrap().is_empty());
    assert!(c.fallback_chain("nope").is_err());
}
