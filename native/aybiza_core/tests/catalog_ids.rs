//! Model id resolution: versioned ids, profiles, ARNs, aliases, unknown ids.

use aybiza_core::catalog::{Catalog, CatalogError, Family, RESOLVE_CACHE_MAX};
use std::sync::Arc;

fn cat() -> Catalog {
    Catalog::embedded().expect("embedded catalog")
}

#[test]
fn base_and_versioned_ids() {
    let c = cat();
    let r = c.resolve("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
    assert_eq!(r.model_id, "anthropic.claude-3-haiku-20240307-v1:0");
    assert_eq!(r.profile, None);
    assert_eq!(r.alias_of, None);
    assert!(!r.deprecated_alias);
    assert!(!r.needs_profile);
    assert_eq!(r.spec.family, Family::Anthropic);
    // Unversioned and provisioned-context forms resolve to the same model.
    assert_eq!(
        c.resolve("anthropic.claude-3-haiku-20240307-v1")
            .unwrap()
            .base_model_id,
        r.base_model_id
    );
    assert_eq!(
        c.resolve("anthropic.claude-3-haiku-20240307-v1:0:200k")
            .unwrap()
            .base_model_id,
        r.base_model_id
    );
    assert_eq!(
        c.resolve("  ANTHROPIC.claude-3-haiku-20240307-v1:0 ")
            .unwrap()
            .base_model_id,
        r.base_model_id
    );
}

#[test]
fn every_profile_prefix_resolves() {
    let c = cat();
    let cases = [
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us"),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "apac"),
        ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", "au"),
        ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", "jp"),
        ("us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-gov"),
        ("global.anthropic.claude-opus-4-5-20251101-v1:0", "global"),
    ];
    for (id, prefix) in cases {
        let r = c.resolve(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(r.profile.as_deref(), Some(prefix), "{id}");
        assert_eq!(r.model_id, id);
        assert!(!id.ends_with(&r.base_model_id) || id.len() > r.base_model_id.len());
    }
}

#[test]
fn arns_resolve_and_are_sent_as_given() {
    let c = cat();
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0";
    let r = c.resolve(arn).unwrap();
    assert_eq!(r.model_id, arn);
    assert_eq!(r.base_model_id, "anthropic.claude-3-5-sonnet-20241022-v2:0");
    assert_eq!(r.profile.as_deref(), Some("us"));
    assert_eq!(r.region.as_deref(), Some("us-east-1"));

    let fm =
        "arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
    let r = c.resolve(fm).unwrap();
    assert_eq!(r.profile, None);
    assert_eq!(r.region.as_deref(), Some("eu-central-1"));

    let gov = "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-haiku-20240307-v1:0";
    assert_eq!(c.resolve(gov).unwrap().profile.as_deref(), Some("us-gov"));

    assert!(matches!(
        c.resolve("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"),
        Err(CatalogError::UnknownModel { .. })
    ));
}

#[test]
fn design_document_names_are_deprecated_aliases() {
    let c = cat();
    let cases = [
        (
            "anthropic.claude-4-opus-20250120",
            "anthropic.claude-opus-4-20250514-v1:0",
        ),
        (
            "anthropic.claude-4-sonnet-20250120",
            "anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        (
            "anthropic.claude-4-sonnet-20250514-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        (
            "bedrock:claude-sonnet-3.5",
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
        ),
        (
            "bedrock:claude-haiku-3",
            "anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "bedrock:claude-opus-4",
            "anthropic.claude-opus-4-20250514-v1:0",
        ),
    ];
    for (alias, real) in cases {
        let r = c.resolve(alias).unwrap_or_else(|e| panic!("{alias}: {e}"));
        assert_eq!(r.base_model_id, real, "{alias}");
        assert_eq!(r.model_id, real, "{alias}");
        assert_eq!(r.alias_of.as_deref(), Some(alias));
        assert!(r.deprecated_alias, "{alias}");
    }
    // With a profile prefix in front of a design name.
    let r = c.resolve("us.anthropic.claude-4-sonnet-20250120").unwrap();
    assert_eq!(r.model_id, "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert!(r.deprecated_alias);
}

#[test]
fn friendly_aliases_resolve_without_warning() {
    let c = cat();
    let r = c.resolve("claude-sonnet-4-5").unwrap();
    assert_eq!(r.base_model_id, "anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_eq!(r.alias_of.as_deref(), Some("claude-sonnet-4-5"));
    assert!(!r.deprecated_alias);
    assert!(
        r.needs_profile,
        "Sonnet 4.5 is only offered through inference profiles"
    );
    assert_eq!(
        c.resolve("bedrock:anthropic.claude-3-haiku-20240307-v1:0")
            .unwrap()
            .alias_of,
        None
    );
    let g = c.resolve("global.claude-haiku-4-5").unwrap();
    assert_eq!(
        g.model_id,
        "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    );
}

#[test]
fn unknown_ids_list_the_closest_known_ids() {
    let c = cat();
    match c.resolve("anthropic.claude-3-haiku-20240307-v2:0") {
        Err(CatalogError::UnknownModel { id, suggestions }) => {
            assert_eq!(id, "anthropic.claude-3-haiku-20240307-v2:0");
            assert_eq!(
                suggestions.first().map(String::as_str),
                Some("anthropic.claude-3-haiku-20240307-v1:0")
            );
        }
        other => panic!("expected unknown model, got {other:?}"),
    }
    let err = c
        .resolve("us.anthropic.claude-sonet-4-20250514-v1:0")
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("did you mean"), "{msg}");
    assert!(
        msg.contains("anthropic.claude-sonnet-4-20250514-v1:0"),
        "{msg}"
    );
    assert_eq!(err.reason(), "unknown_model");
    assert!(matches!(
        c.resolve(""),
        Err(CatalogError::InvalidModelId(_))
    ));
}

#[test]
fn profiles_a_model_is_not_offered_under_are_rejected() {
    let c = cat();
    match c.resolve("jp.anthropic.claude-3-haiku-20240307-v1:0") {
        Err(CatalogError::ProfileNotOffered {
            profile, offered, ..
        }) => {
            assert_eq!(profile, "jp");
            assert!(offered.contains(&"us".to_string()));
        }
        other => panic!("expected profile error, got {other:?}"),
    }
}

#[test]
fn capabilities_are_queryable() {
    let c = cat();
    let sonnet45 = &c
        .resolve("anthropic.claude-sonnet-4-5-20250929-v1:0")
        .unwrap()
        .spec;
    assert!(
        sonnet45.capabilities.tools
            && sonnet45.capabilities.vision
            && sonnet45.capabilities.thinking
    );
    assert!(sonnet45.capabilities.prompt_caching);
    assert_eq!(sonnet45.capabilities.min_cache_tokens, 1024);
    assert!(!sonnet45.capabilities.accepts_temperature_and_top_p);
    for id in [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-opus-4-5-20251101-v1:0",
    ] {
        assert!(
            !c.model(id)
                .unwrap()
                .capabilities
                .accepts_temperature_and_top_p,
            "{id}"
        );
    }
    for id in [
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-opus-4-20250514-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
    ] {
        assert!(
            c.model(id)
                .unwrap()
                .capabilities
                .accepts_temperature_and_top_p,
            "{id}"
        );
    }
    let haiku35 = c.model("anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
    assert!(
        haiku35.capabilities.tools,
        "3.5 Haiku supports tools (the design is wrong)"
    );
    assert_eq!(haiku35.capabilities.min_cache_tokens, 2048);
    assert_eq!(
        c.model("anthropic.claude-haiku-4-5-20251001-v1:0")
            .unwrap()
            .capabilities
            .min_cache_tokens,
        4096
    );
    assert_eq!(
        c.model("amazon.nova-pro-v1:0").unwrap().family,
        Family::Amazon
    );
    assert_eq!(
        c.model("meta.llama4-scout-17b-instruct-v1:0")
            .unwrap()
            .family,
        Family::Meta
    );
    assert_eq!(
        c.model("cohere.command-r-plus-v1:0").unwrap().family,
        Family::Cohere
    );
    assert_eq!(
        c.model("ai21.jamba-1-5-large-v1:0").unwrap().family,
        Family::Ai21
    );
    assert_eq!(
        c.model("mistral.mistral-large-2402-v1:0").unwrap().family,
        Family::Mistral
    );
}

#[test]
fn max_tokens_defaults_follow_the_design() {
    let c = cat();
    let cases = [
        ("anthropic.claude-opus-4-20250514-v1:0", 4096),
        ("anthropic.claude-sonnet-4-20250514-v1:0", 2048),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", 1024),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", 512),
        ("anthropic.claude-3-haiku-20240307-v1:0", 256),
    ];
    for (id, n) in cases {
        assert_eq!(c.max_tokens_for(id, None).unwrap(), n, "{id}");
    }
    assert_eq!(
        c.max_tokens_for("anthropic.claude-3-haiku-20240307-v1:0", Some(1000))
            .unwrap(),
        1000,
        "explicit wins"
    );
    assert_eq!(
        c.max_tokens_for("anthropic.claude-3-haiku-20240307-v1:0", Some(100_000))
            .unwrap(),
        4096,
        "capped at the model max"
    );
    assert_eq!(
        c.max_tokens_for("anthropic.claude-4-opus-20250120", None)
            .unwrap(),
        4096
    );
    for m in &c.models {
        assert!(m.default_max_tokens <= m.max_output_tokens, "{}", m.id);
    }
}

#[test]
fn resolve_shared_matches_resolve_and_is_kept_per_catalog() {
    let c = cat();
    for id in [
        "us.anthropic.claude-opus-4-7",
        "US.anthropic.claude-opus-4-7",
        " global.claude-haiku-4-5 ",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "claude-4-sonnet",
    ] {
        let plain = c.resolve_quiet(id);
        let shared = c.resolve_shared(id);
        match (plain, shared) {
            (Ok(p), Ok(s)) => {
                assert_eq!(p, *s, "{id}");
                // The second lookup is the kept entry, not a new resolve.
                assert!(Arc::ptr_eq(&s, &c.resolve_shared(id).unwrap()), "{id}");
            }
            (Err(p), Err(s)) => assert_eq!(p, s, "{id}"),
            (p, s) => panic!("{id}: {p:?} vs {s:?}"),
        }
    }
    // Errors are not kept, and stay the same errors.
    for id in [
        "anthropic.claude-nope-1",
        "us.anthropic.claude-3-haiku-20240307-v1:0!",
    ] {
        assert_eq!(
            c.resolve_quiet(id).unwrap_err(),
            c.resolve_shared(id).unwrap_err()
        );
    }
    // A clone (e.g. a catalog with overrides built from it) starts with nothing kept.
    let kept = c.resolve_shared("us.anthropic.claude-opus-4-7").unwrap();
    let copy = c.clone();
    assert!(!Arc::ptr_eq(
        &kept,
        &copy.resolve_shared("us.anthropic.claude-opus-4-7").unwrap()
    ));
}

#[test]
fn resolve_shared_keeps_a_bounded_number_of_spellings() {
    let c = cat();
    // Case spellings of one id: all resolve, at most RESOLVE_CACHE_MAX are kept.
    let id = "anthropic.claude-3-haiku-20240307-v1:0";
    let spellings: Vec<String> = (0..RESOLVE_CACHE_MAX + 40)
        .map(|n| {
            id.chars()
                .enumerate()
                .map(|(i, ch)| {
                    if i < 12 && n >> i & 1 == 1 {
                        ch.to_ascii_uppercase()
                    } else {
                        ch
                    }
                })
                .collect()
        })
        .collect();
    for s in &spellings {
        assert_eq!(c.resolve_shared(s).unwrap().base_model_id, id);
    }
    assert_eq!(c.resolve_cache_len(), RESOLVE_CACHE_MAX);
    // Past the bound an id still resolves, each time afresh.
    let last = spellings.last().unwrap();
    assert!(!Arc::ptr_eq(
        &c.resolve_shared(last).unwrap(),
        &c.resolve_shared(last).unwrap()
    ));
}
