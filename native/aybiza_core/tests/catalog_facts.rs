//! Facts of the embedded catalog checked against AWS's and Anthropic's own pages (audit of
//! 2026-12-04). Each case names the page it was read from; when a page changes, change the
//! data file and this test together. Facts no primary page confirmed are listed in the
//! entry's `unconfirmed` and are not pinned here.

use aybiza_core::catalog::{Api, Catalog, CatalogError, LifecycleState, RequestFacts};

const TODAY: &str = "2026-12-04";
const AWS: &str = "https://docs.aws.amazon.com/bedrock/latest/userguide/";

fn cat() -> Catalog {
    Catalog::embedded().expect("embedded catalog")
}

/// (id, state today, launched, eol_date, eol_no_sooner_than, page under AWS's user guide)
type LifecycleRow = (
    &'static str,
    LifecycleState,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const LIFECYCLE: &[LifecycleRow] = &[
    (
        "anthropic.claude-fable-5-2",
        LifecycleState::Active,
        Some("2026-11-09"),
        None,
        Some("2027-11-09"),
        "model-card-anthropic-claude-fable-5-2.html",
    ),
    (
        "anthropic.claude-fable-5-1",
        LifecycleState::Active,
        Some("2026-09-01"),
        None,
        None,
        "model-card-anthropic-claude-fable-5-1.html",
    ),
    (
        "anthropic.claude-opus-5-5",
        LifecycleState::Active,
        Some("2026-09-22"),
        None,
        Some("2027-09-22"),
        "model-card-anthropic-claude-opus-5-5.html",
    ),
    (
        "anthropic.claude-opus-4-7",
        LifecycleState::Active,
        Some("2026-04-16"),
        None,
        Some("2027-04-16"),
        "model-card-anthropic-claude-opus-4-7.html",
    ),
    (
        "anthropic.claude-opus-4-6-v1",
        LifecycleState::Active,
        Some("2026-02-05"),
        None,
        Some("2027-02-05"),
        "model-card-anthropic-claude-opus-4-6.html",
    ),
    (
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        LifecycleState::Active,
        Some("2025-10-16"),
        None,
        Some("2026-10-01"),
        "model-card-anthropic-claude-haiku-4-5.html",
    ),
    (
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        LifecycleState::Eol,
        Some("2024-11-04"),
        Some("2026-06-19"),
        None,
        "model-card-anthropic-claude-3-5-haiku.html",
    ),
    // "Legacy (specific Regions)" with an EOL date of 2026-09-10 that names no Region: the
    // catalog (one state per model) applies it in every Region.
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        LifecycleState::Eol,
        Some("2024-03-13"),
        Some("2026-09-10"),
        Some("2025-03-13"),
        "model-card-anthropic-claude-3-haiku.html",
    ),
    // The card's EOL date as quoted by an AWS reviewer (aws-samples/serverless-patterns#3083);
    // the entry lists it in `unconfirmed`.
    (
        "anthropic.claude-sonnet-4-20250514-v1:0",
        LifecycleState::Eol,
        Some("2025-05-22"),
        Some("2026-10-14"),
        None,
        "model-card-anthropic-claude-sonnet-4.html",
    ),
    (
        "cohere.command-r-plus-v1:0",
        LifecycleState::Eol,
        None,
        Some("2026-08-19"),
        None,
        "model-card-cohere-command-r-plus.html",
    ),
    (
        "meta.llama3-1-70b-instruct-v1:0",
        LifecycleState::Active,
        Some("2024-07-23"),
        None,
        Some("2025-07-23"),
        "model-card-meta-llama-3-1-70b-instruct.html",
    ),
    (
        "mistral.mistral-large-2402-v1:0",
        LifecycleState::Active,
        Some("2024-02-26"),
        None,
        Some("2025-04-03"),
        "model-card-mistral-ai-mistral-large.html",
    ),
    // The card's EOL date (2026-09-14) precedes its own "EOL no sooner than" (2026-10-31);
    // both are recorded as the card gives them and the EOL date applies.
    (
        "amazon.nova-premier-v1:0",
        LifecycleState::Eol,
        Some("2025-10-31"),
        Some("2026-09-14"),
        Some("2026-10-31"),
        "model-card-amazon-nova-premier.html",
    ),
];

#[test]
fn lifecycle_dates_match_the_aws_model_cards() {
    let c = cat();
    for (id, state, launched, eol, no_sooner, page) in LIFECYCLE {
        let m = c.model(id).unwrap_or_else(|| panic!("{id} missing"));
        let l = &m.lifecycle;
        assert_eq!(m.lifecycle_state(TODAY), *state, "{id} state ({page})");
        assert_eq!(l.launched.as_deref(), *launched, "{id} launched ({page})");
        assert_eq!(l.eol_date.as_deref(), *eol, "{id} EOL date ({page})");
        assert_eq!(
            l.eol_no_sooner_than.as_deref(),
            *no_sooner,
            "{id} EOL no sooner than ({page})"
        );
        let url = format!("{AWS}{page}");
        assert!(
            m.sources.iter().any(|s| s == &url),
            "{id} cites {url}: {:?}",
            m.sources
        );
    }
}

/// (id, context window, max output tokens, page)
const LIMITS: &[(&str, u64, u64, &str)] = &[
    (
        "anthropic.claude-fable-5-2",
        1_000_000,
        128_000,
        "model-card-anthropic-claude-fable-5-2.html",
    ),
    (
        "anthropic.claude-fable-5-1",
        1_000_000,
        128_000,
        "model-card-anthropic-claude-fable-5-1.html",
    ),
    (
        "anthropic.claude-opus-5-5",
        1_000_000,
        128_000,
        "model-card-anthropic-claude-opus-5-5.html",
    ),
    (
        "anthropic.claude-opus-4-7",
        1_000_000,
        128_000,
        "model-card-anthropic-claude-opus-4-7.html",
    ),
    (
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        200_000,
        64_000,
        "model-card-anthropic-claude-haiku-4-5.html",
    ),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        200_000,
        4_096,
        "model-card-anthropic-claude-3-haiku.html",
    ),
    (
        "cohere.command-r-plus-v1:0",
        128_000,
        4_096,
        "model-card-cohere-command-r-plus.html",
    ),
    (
        "meta.llama3-1-70b-instruct-v1:0",
        128_000,
        4_096,
        "model-card-meta-llama-3-1-70b-instruct.html",
    ),
    (
        "mistral.mistral-large-2402-v1:0",
        32_000,
        4_096,
        "model-card-mistral-ai-mistral-large.html",
    ),
    (
        "openai.gpt-oss-120b-1:0",
        128_000,
        8_192,
        "model-parameters-openai.html",
    ),
    (
        "openai.gpt-oss-20b-1:0",
        128_000,
        8_192,
        "model-parameters-openai.html",
    ),
];

#[test]
fn context_and_output_limits_match_the_aws_pages() {
    let c = cat();
    for (id, context, output, page) in LIMITS {
        let m = c.model(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(m.context_window, *context, "{id} context ({page})");
        // gpt-oss: the page gives the context window only; the output cap stays unconfirmed.
        if !id.starts_with("openai.") {
            assert_eq!(m.max_output_tokens, *output, "{id} max output ({page})");
        } else {
            assert!(
                m.unconfirmed.iter().any(|u| u.contains("max output")),
                "{id}: max output is marked unconfirmed"
            );
        }
    }
}

#[test]
fn fable_5_2_is_served_like_the_other_fable_models() {
    let c = cat();
    let m = c.model("anthropic.claude-fable-5-2").unwrap();
    // Card: adaptive thinking always on, no budgets; temperature only 1.0 or unset, top_p
    // only 0.99 or unset, never both, no top_k (the catalog rejects any explicit value).
    assert!(m.capabilities.thinking_adaptive && !m.capabilities.thinking_budget);
    assert!(!m.capabilities.accepts_sampling);
    assert!(!m.capabilities.accepts_temperature_and_top_p);
    assert!(m.serves(Api::Messages));
    assert!(m.regions.is_empty(), "profile-only");
    assert!(m.profiles.iter().any(|p| p == "global"));
    // Same call path as Fable 5.1: a base id from us-east-1 goes out as the US profile.
    let p = c
        .preflight(
            "anthropic.claude-fable-5-2",
            Api::Messages,
            "us-east-1",
            &RequestFacts::default(),
            TODAY,
        )
        .unwrap();
    assert_eq!(p.model_id, "us.anthropic.claude-fable-5-2");
    // Its cache prices are not on an AWS or Anthropic page read here: the entry says so
    // (input / output are on Anthropic's lineup table).
    assert!(!m.verified);
    assert!(m.unconfirmed.iter().any(|u| u.starts_with("prices")));
}

#[test]
fn end_of_life_models_fail_before_the_network_and_name_a_serving_replacement() {
    let c = cat();
    for id in [
        "cohere.command-r-plus-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "ai21.jamba-1-5-mini-v1:0",
        "meta.llama3-2-90b-instruct-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-sonnet-4-20250514-v1:0",
    ] {
        let err = c
            .preflight(
                id,
                Api::Converse,
                "us-east-1",
                &RequestFacts::default(),
                TODAY,
            )
            .unwrap_err();
        let CatalogError::EndOfLife {
            eol_date,
            replacement,
            ..
        } = &err
        else {
            panic!("{id}: {err:?}")
        };
        assert!(eol_date.as_deref().is_some_and(|d| d <= TODAY), "{id}");
        let r = c.model(replacement.as_deref().unwrap()).unwrap();
        assert_eq!(
            r.lifecycle_state(TODAY),
            LifecycleState::Active,
            "{id} -> {}",
            r.id
        );
    }
    // Jamba 1.5 Large: Legacy from 2026-05-26, EOL 2026-11-26 (AWS Health data, see the entry).
    let jamba = c.model("ai21.jamba-1-5-large-v1:0").unwrap();
    assert_eq!(jamba.lifecycle.legacy_since.as_deref(), Some("2026-05-26"));
    assert_eq!(jamba.lifecycle.eol_date.as_deref(), Some("2026-11-26"));
}

#[test]
fn claude_sonnet_4_and_3_haiku_fail_before_the_network_naming_their_replacements() {
    let c = cat();
    for (id, region, eol, successor) in [
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "us-east-1",
            "2026-10-14",
            "anthropic.claude-sonnet-4-6",
        ),
        (
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "us-west-2",
            "2026-10-14",
            "anthropic.claude-sonnet-4-6",
        ),
        (
            "global.anthropic.claude-sonnet-4-20250514-v1:0",
            "eu-west-1",
            "2026-10-14",
            "anthropic.claude-sonnet-4-6",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            "us-east-1",
            "2026-09-10",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        (
            "eu.anthropic.claude-3-haiku-20240307-v1:0",
            "eu-central-1",
            "2026-09-10",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        (
            "claude-3-haiku",
            "ap-northeast-1",
            "2026-09-10",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
    ] {
        for api in [Api::Converse, Api::Invoke] {
            let err = c
                .preflight(id, api, region, &RequestFacts::default(), TODAY)
                .unwrap_err();
            let CatalogError::EndOfLife {
                eol_date,
                replacement,
                ..
            } = &err
            else {
                panic!("{id}: {err:?}")
            };
            assert_eq!(eol_date.as_deref(), Some(eol), "{id}");
            assert_eq!(replacement.as_deref(), Some(successor), "{id}");
            let message = err.to_string();
            assert!(
                message.contains(eol) && message.contains(successor),
                "{message}"
            );
        }
        // Runtime CountTokens (no inference request) is refused the same way.
        assert!(matches!(
            c.check_lifecycle(id, TODAY),
            Err(CatalogError::EndOfLife { .. })
        ));
    }
}

/// Sampling rules read on Anthropic's migration guides (audit of 2026-12-05):
/// - Haiku 4.5 (platform.claude.com/docs/en/models/haiku-4-5/migration-guide): temperature and
///   top_p together are a 400; either alone is accepted.
/// - Haiku 5.5 (platform.claude.com/docs/en/models/haiku-5-5/migration-guide.md) and Sonnet 5
///   (platform.claude.com/docs/zh-CN/models/sonnet-5/migration-guide): temperature, top_p and
///   top_k are settings that return errors (the catalog rejects any explicit value).
#[test]
fn sampling_rules_match_anthropics_migration_guides() {
    let c = cat();
    let facts = |t: bool, p: bool, k: bool| RequestFacts {
        temperature: t,
        top_p: p,
        top_k: k,
        thinking_type: None,
    };
    let check = |id: &str, f: RequestFacts| c.preflight(id, Api::Converse, "us-east-1", &f, TODAY);
    let haiku45 = "anthropic.claude-haiku-4-5-20251001-v1:0";
    assert!(check(haiku45, facts(true, true, false)).is_err());
    assert!(check(haiku45, facts(true, false, false)).is_ok());
    assert!(check(haiku45, facts(false, true, false)).is_ok());
    let m = c.model(haiku45).unwrap();
    assert!(!m.unconfirmed.iter().any(|u| u.contains("top_p")));
    assert!(m
        .sources
        .iter()
        .any(|s| s.ends_with("/models/haiku-4-5/migration-guide")));
    for id in ["anthropic.claude-haiku-5-5", "anthropic.claude-sonnet-5"] {
        for f in [
            facts(true, false, false),
            facts(false, true, false),
            facts(false, false, true),
        ] {
            assert!(check(id, f).is_err(), "{id}: explicit sampling is refused");
        }
        assert!(check(id, facts(false, false, false)).is_ok(), "{id}");
    }
    let m = c.model("anthropic.claude-haiku-5-5").unwrap();
    assert!(!m.unconfirmed.iter().any(|u| u.starts_with("sampling")));
}
