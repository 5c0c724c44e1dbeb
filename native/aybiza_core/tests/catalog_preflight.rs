//! Pre-flight rules: id grammar, lifecycle, API, profile rewrite, sampling and thinking;
//! bounded spelling suggestions.

use aybiza_core::catalog::{
    check_model_id, Api, Catalog, CatalogError, LifecycleState, RequestFacts,
};
use aybiza_core::error::ErrorKind;
use aybiza_core::request::{decode_converse, decode_invoke};
use serde_json::json;

const TODAY: &str = "2026-12-04";

fn cat() -> Catalog {
    Catalog::embedded().expect("embedded catalog")
}

fn run(id: &str, api: Api, region: &str, facts: &RequestFacts) -> Result<String, CatalogError> {
    cat()
        .preflight(id, api, region, facts, TODAY)
        .map(|p| p.model_id)
}

fn plain(id: &str) -> Result<String, CatalogError> {
    run(id, Api::Converse, "us-east-1", &RequestFacts::default())
}

// --- grammar ---------------------------------------------------------------------------

#[test]
fn documented_id_forms_pass_the_grammar() {
    for id in [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-opus-4-7",
        "us.anthropic.claude-opus-4-7",
        "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "deepseek.v3.2",
        "claude-haiku-4-5",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-7",
        "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdef123456",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0/abcdef123456",
    ] {
        assert_eq!(check_model_id(id), Ok(()), "{id}");
    }
}

#[test]
fn path_tricks_and_foreign_characters_fail_the_grammar() {
    for id in [
        "",
        "..",
        ".",
        "anthropic..claude",
        "../converse-stream",
        "anthropic.claude/../../x",
        "us.anthropic.claude-opus-4-7/invoke",
        "anthropic.claude-opus-4-7?x=1",
        "anthropic.claude opus",
        "anthropic.claude%2F..",
        "anthropic.claude-opus-4-7\n",
        "anthropic.clauDé",
        "a.b.c.d.e.f",
        "anthropic.claude:0:1:2",
        "arn:aws:s3:::bucket/key",
        "arn:aws:bedrock:us-east-1:123:inference-profile/us.x",
        "arn:aws:bedrock:us-east-1::foundation-model/../x",
        "arn:aws:bedrock:us-east-1:123456789012:agent/abc",
        "arn:aws:bedrock::123456789012:foundation-model/anthropic.claude",
    ] {
        assert!(check_model_id(id).is_err(), "{id:?} passed");
        // `resolve` trims surrounding whitespace (a caller's config typo), nothing else.
        if id.trim() == id {
            assert!(
                matches!(cat().resolve(id), Err(CatalogError::InvalidModelId(_))),
                "{id:?}"
            );
        }
    }
    let long = "a".repeat(2049);
    assert!(check_model_id(&long).unwrap_err().contains("2048"));
}

#[test]
fn engine_requests_with_bad_ids_fail_before_the_network() {
    for id in ["..", "../converse-stream", "anthropic.claude/x"] {
        let err = decode_converse(&json!({
            "modelId": id, "messages": [{"role": "user", "content": [{"text": "hi"}]}]
        }))
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{id}");
        assert!(err.message.starts_with("modelId:"), "{}", err.message);
        let err = decode_invoke(&json!({"modelId": id, "body": {}})).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{id}");
    }
}

// --- suggestions ---------------------------------------------------------------------------

#[test]
fn suggestions_are_computed_on_a_bounded_prefix() {
    let c = cat();
    let typo = "anthropic.claude-haiku-4-5-20251001-v2:0";
    let best = c.suggestions(typo);
    assert_eq!(best[0], "anthropic.claude-haiku-4-5-20251001-v1:0");
    // Anything after the compared prefix cannot change the answer: a 1 MB id costs what its
    // first bytes cost.
    let huge = format!("{typo}{}", "x".repeat(1 << 20));
    let prefix = &huge[..aybiza_core::catalog::ids::SUGGESTION_PREFIX];
    assert_eq!(c.suggestions(&huge), c.suggestions(prefix));
    // Multi-byte text at the cut does not panic.
    let wide = "é".repeat(100_000);
    let _ = c.suggestions(&wide);
    // A 1 MB id never reaches the suggestions through resolve: the grammar stops it.
    assert!(matches!(
        c.resolve(&huge),
        Err(CatalogError::InvalidModelId(_))
    ));
}

#[test]
fn profile_prefix_typos_still_suggest_the_model() {
    let err = cat().resolve("us.anthropic.claude-opus-4-77").unwrap_err();
    match err {
        CatalogError::UnknownModel { suggestions, .. } => {
            assert_eq!(suggestions[0], "anthropic.claude-opus-4-7")
        }
        other => panic!("{other:?}"),
    }
}

// --- lifecycle -------------------------------------------------------------------------------

#[test]
fn eol_models_fail_naming_the_replacement() {
    for (id, replacement) in [
        (
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        (
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "anthropic.claude-sonnet-4-6",
        ),
        ("amazon.nova-premier-v1:0", "amazon.nova-2-lite-v1:0"),
    ] {
        let err = plain(id).unwrap_err();
        assert_eq!(err.reason(), "model_end_of_life", "{id}");
        assert!(err.to_string().contains(replacement), "{err}");
        let engine: aybiza_core::error::Error = err.into();
        assert_eq!(engine.kind, ErrorKind::ModelEndOfLife);
        assert_eq!(engine.kind.reason(), "model_end_of_life");
        assert!(!engine.retryable());
    }
}

#[test]
fn a_legacy_model_becomes_eol_on_its_date() {
    let c = Catalog::with_overrides(&json!({"models": [{
        "id": "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "lifecycle": {"state": "legacy", "eol_date": "2027-01-15",
                      "replacement": "anthropic.claude-sonnet-4-6"}
    }]}))
    .unwrap();
    let id = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let facts = RequestFacts::default();
    let pf = c
        .preflight(id, Api::Converse, "us-east-1", &facts, "2027-01-14")
        .unwrap();
    assert_eq!(pf.state, LifecycleState::Legacy);
    let err = c
        .preflight(id, Api::Converse, "us-east-1", &facts, "2027-01-15")
        .unwrap_err();
    assert_eq!(err.reason(), "model_end_of_life");
    assert!(err.to_string().contains("2027-01-15"), "{err}");
}

#[test]
fn lifecycle_data_is_consistent() {
    let c = cat();
    for m in &c.models {
        if m.lifecycle.state != LifecycleState::Active {
            let r = m.lifecycle.replacement.as_deref().unwrap();
            let repl = c.model(r).unwrap();
            assert_eq!(
                repl.lifecycle_state(TODAY),
                LifecycleState::Active,
                "{} -> {r}",
                m.id
            );
        }
        assert!(!m.sources.is_empty(), "{} cites no page", m.id);
        if !m.unconfirmed.is_empty() {
            assert!(
                !m.verified || m.unconfirmed.len() <= 3,
                "{} verified with many unconfirmed facts",
                m.id
            );
        }
    }
    // Overrides must name a replacement for non-active models.
    let err = Catalog::with_overrides(&json!({"models": [{
        "id": "anthropic.claude-sonnet-4-6", "lifecycle": {"state": "legacy"}
    }]}))
    .unwrap_err();
    assert!(err.to_string().contains("no replacement"), "{err}");
}

#[test]
fn routing_and_fallbacks_use_active_models_only() {
    let c = cat();
    let active = |id: &str| {
        c.model(id)
            .map(|m| m.lifecycle_state(TODAY) == LifecycleState::Active)
            .unwrap_or(false)
    };
    for rule in &c.routing.rules {
        for id in &rule.models {
            assert!(active(id), "rule {} uses {id}", rule.name);
        }
    }
    for chain in c.fallback_chains.values() {
        for id in chain {
            assert!(active(id), "fallback {id}");
        }
    }
}

// --- API and profiles --------------------------------------------------------------------------

#[test]
fn profile_only_base_ids_are_rewritten_for_the_region() {
    let facts = RequestFacts::default();
    let cases = [
        (
            "anthropic.claude-opus-4-7",
            "us-east-1",
            "us.anthropic.claude-opus-4-7",
        ),
        (
            "anthropic.claude-opus-4-7",
            "eu-west-3",
            "eu.anthropic.claude-opus-4-7",
        ),
        (
            "anthropic.claude-opus-4-7",
            "ap-northeast-1",
            "jp.anthropic.claude-opus-4-7",
        ),
        (
            "anthropic.claude-opus-4-6-v1",
            "ap-south-1",
            "apac.anthropic.claude-opus-4-6-v1",
        ),
        // No geographic profile serves sa-east-1: the global one does.
        (
            "anthropic.claude-opus-4-7",
            "sa-east-1",
            "global.anthropic.claude-opus-4-7",
        ),
        // Sonnet 4.6 is on demand in eu-west-2 only.
        (
            "anthropic.claude-sonnet-4-6",
            "eu-west-2",
            "anthropic.claude-sonnet-4-6",
        ),
        (
            "anthropic.claude-sonnet-4-6",
            "us-west-2",
            "us.anthropic.claude-sonnet-4-6",
        ),
        // Friendly aliases resolve to the profile id too.
        (
            "claude-haiku-4-5",
            "us-east-1",
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        // On-demand models and profile ids are left alone.
        (
            "amazon.nova-micro-v1:0",
            "us-east-1",
            "amazon.nova-micro-v1:0",
        ),
        (
            "eu.anthropic.claude-opus-4-7",
            "eu-central-1",
            "eu.anthropic.claude-opus-4-7",
        ),
    ];
    for (id, region, want) in cases {
        assert_eq!(
            run(id, Api::Converse, region, &facts).unwrap(),
            want,
            "{id} from {region}"
        );
    }
    // Unknown ids pass untouched (Bedrock decides).
    assert_eq!(
        plain("vendor.brand-new-model-v1:0").unwrap(),
        "vendor.brand-new-model-v1:0"
    );
}

#[test]
fn profiles_not_callable_from_the_region_are_rejected() {
    let err = run(
        "eu.anthropic.claude-opus-4-7",
        Api::Converse,
        "us-east-1",
        &RequestFacts::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CatalogError::ProfileNotCallable { .. }));
    assert_eq!(err.reason(), "invalid_request");
    assert!(err.to_string().contains("eu-west-1"), "{err}");
    // A profile-only model none of whose profiles serves the region.
    let err = run(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        Api::Converse,
        "eu-west-1",
        &RequestFacts::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("inference profile"), "{err}");
}

#[test]
fn apis_are_checked() {
    let c = Catalog::with_overrides(&json!({"models": [{
        "id": "anthropic.claude-opus-4-7", "apis": ["messages"]
    }]}))
    .unwrap();
    let err = c
        .preflight(
            "us.anthropic.claude-opus-4-7",
            Api::Converse,
            "us-east-1",
            &RequestFacts::default(),
            TODAY,
        )
        .unwrap_err();
    assert!(err.to_string().contains("messages"), "{err}");
    assert!(c
        .preflight(
            "us.anthropic.claude-opus-4-7",
            Api::Messages,
            "us-east-1",
            &RequestFacts::default(),
            TODAY,
        )
        .is_ok());
}

// --- sampling and thinking ---------------------------------------------------------------------

fn facts(t: bool, p: bool, k: bool, thinking: Option<&str>) -> RequestFacts {
    RequestFacts {
        temperature: t,
        top_p: p,
        top_k: k,
        thinking_type: thinking.map(str::to_string),
    }
}

#[test]
fn temperature_and_top_p_together_are_rejected_where_bedrock_rejects_them() {
    let id = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let err = run(
        id,
        Api::Converse,
        "us-east-1",
        &facts(true, true, false, None),
    )
    .unwrap_err();
    assert_eq!(err.reason(), "invalid_request");
    assert!(
        err.to_string().contains("cannot both be specified"),
        "{err}"
    );
    assert!(run(
        id,
        Api::Converse,
        "us-east-1",
        &facts(true, false, false, None)
    )
    .is_ok());
    assert!(run(
        id,
        Api::Converse,
        "us-east-1",
        &facts(false, true, false, None)
    )
    .is_ok());
    // Nova takes both.
    assert!(run(
        "amazon.nova-lite-v1:0",
        Api::Converse,
        "us-east-1",
        &facts(true, true, true, None)
    )
    .is_ok());
}

#[test]
fn sampling_is_rejected_on_models_without_it() {
    for f in [
        facts(true, false, false, None),
        facts(false, true, false, None),
        facts(false, false, true, None),
    ] {
        let err = run(
            "us.anthropic.claude-opus-4-7",
            Api::Converse,
            "us-east-1",
            &f,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no sampling parameters"), "{err}");
    }
    assert!(plain("us.anthropic.claude-opus-4-7").is_ok());
}

#[test]
fn thinking_types_follow_the_model() {
    let r = |id: &str, kind: &str| {
        run(
            id,
            Api::Converse,
            "us-east-1",
            &facts(false, false, false, Some(kind)),
        )
    };
    // Opus 4.7: adaptive only.
    assert!(r("us.anthropic.claude-opus-4-7", "adaptive").is_ok());
    let err = r("us.anthropic.claude-opus-4-7", "enabled").unwrap_err();
    assert!(err.to_string().contains("\"enabled\""), "{err}");
    // Opus 4.6: both.
    assert!(r("us.anthropic.claude-opus-4-6-v1", "enabled").is_ok());
    assert!(r("us.anthropic.claude-opus-4-6-v1", "adaptive").is_ok());
    // Haiku 4.5: budget only.
    assert!(r("us.anthropic.claude-haiku-4-5-20251001-v1:0", "enabled").is_ok());
    assert!(r("us.anthropic.claude-haiku-4-5-20251001-v1:0", "adaptive").is_err());
    // Nova: none.
    let err = r("amazon.nova-pro-v1:0", "enabled").unwrap_err();
    assert!(
        err.to_string()
            .contains("does not support extended thinking"),
        "{err}"
    );
    assert!(r("amazon.nova-pro-v1:0", "disabled").is_ok());
    assert!(r("amazon.nova-pro-v1:0", "bogus").is_err());
}

#[test]
fn request_helpers_read_converse_and_invoke_shapes() {
    let mut req = decode_converse(&json!({
        "modelId": "anthropic.claude-opus-4-7",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}
    }))
    .unwrap();
    aybiza_core::catalog::preflight::check_converse(&mut req, "eu-west-1").unwrap();
    assert_eq!(req.model_id, "eu.anthropic.claude-opus-4-7");

    let mut req = decode_converse(&json!({
        "modelId": "us.anthropic.claude-opus-4-7",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"temperature": 0.3}
    }))
    .unwrap();
    let err = aybiza_core::catalog::preflight::check_converse(&mut req, "us-east-1").unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidRequest);

    let mut inv = decode_invoke(&json!({
        "modelId": "anthropic.claude-haiku-4-5-20251001-v1:0",
        "body": {"max_tokens": 10, "temperature": 0.5, "top_p": 0.9,
                 "messages": [{"role": "user", "content": "hi"}]}
    }))
    .unwrap();
    let err = aybiza_core::catalog::preflight::check_invoke(&mut inv, "us-east-1").unwrap_err();
    assert!(err.message.contains("temperature"), "{}", err.message);

    let mut inv = decode_invoke(&json!({
        "modelId": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "body": {"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    }))
    .unwrap();
    let err = aybiza_core::catalog::preflight::check_invoke(&mut inv, "us-west-2").unwrap_err();
    assert_eq!(err.kind, ErrorKind::ModelEndOfLife);
}
