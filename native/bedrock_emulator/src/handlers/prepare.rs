//! Request handlers: everything between authentication and the wire: model rules from the
//! catalog, body parsing per API, scripted rules, faults before the stream, the reply plan
//! and its token accounting. Handlers return plain data ([`Prepared`]) or an [`AwsError`];
//! they never build HTTP responses (routes do) and never touch the control API.

use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::catalog::{self as models, Sampling, Target, Thinking};
use crate::config::spec::{parse_faults, parse_pacing, throttle_hit};
use crate::config::{script_for, Faults, Pacing, Script};
use crate::counters::outcome;
use crate::error::AwsError;
use crate::rate::{credential_region, Exceeded};
use crate::reply::guardrail as guardrails;
use crate::reply::plan::{self as replies, Rng};
use crate::reply::Reply;
use crate::request::{self, AnthropicRequest, Conversation, Dialect};
use crate::state::{lock, State};

/// Request header selecting faults for one request (fault spec syntax).
pub const FAULT_HEADER: &str = "x-emulator-fault";
/// Request header selecting pacing for one request (pacing spec syntax).
pub const PACING_HEADER: &str = "x-emulator-pacing";

const DEFAULT_DELTA_CHARS: usize = 16;

/// The Anthropic Messages versions Bedrock takes in a body: `bedrock-2023-05-31` for every
/// Claude model, and the SDKs' newer default only for Messages-API-integration models.
pub const NEWER_ANTHROPIC_VERSION: &str = "2026-10-21";
/// `anthropic-version` header values bedrock-mantle accepts.
pub const MANTLE_VERSIONS: &[&str] = &["2023-06-01", "2023-01-01", NEWER_ANTHROPIC_VERSION];

/// The API a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Converse,
    Invoke,
    /// Anthropic Messages API on bedrock-runtime (`/anthropic/v1/messages`).
    Messages,
    /// Anthropic Messages API on bedrock-mantle.
    Mantle,
}

/// A request that passed every check, ready to render.
pub struct Prepared {
    pub reply: Reply,
    pub faults: Faults,
    pub pacing: Pacing,
    /// `stream: true` in a Messages API body.
    pub stream: bool,
}

/// A rejection and the counter outcome it is recorded under.
pub type Rejection = (AwsError, &'static str);

fn invalid(e: AwsError) -> Rejection {
    (e, outcome::VALIDATION_ERROR)
}

/// Headers the handlers read (fault / pacing overrides, mantle's version header).
pub struct RequestHeaders<'a>(pub &'a http::HeaderMap);

impl RequestHeaders<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// An application-inference-profile ARN names a profile of its own region only: called
/// with another signing region Bedrock answers "The provided model identifier is invalid."
/// (earendil-works/pi#5527: a us-west-2 profile ARN through a us-east-1 client), as
/// GetInferenceProfile answers 404 for it here. Without a SigV4 region (API key) the
/// emulator cannot know the endpoint's region and does not check. An ARN of another account
/// than the emulator's is refused the same way (AWS's text for it is unconfirmed; see
/// `ApplicationArn::is_own_account`).
pub fn check_application_arn(model_id: &str, region: Option<&str>) -> Result<(), Rejection> {
    let Some(arn) = super::control_plane::application_arn(model_id) else {
        return Ok(());
    };
    if region.is_some_and(|r| r != arn.region) || !arn.is_own_account() {
        return Err(invalid(AwsError::invalid_model()));
    }
    Ok(())
}

/// Resolves the model and applies Bedrock's lifecycle / throughput rules. A geographic
/// profile called from a signing region outside its geography names no model there
/// (see [`models::profile_serves_region`]); a request without a SigV4 region (API key) is
/// not checked.
pub fn resolve_model(
    state: &State,
    model_id: &str,
    headers: &RequestHeaders,
) -> Result<Target, Rejection> {
    let authorization = headers.get("authorization");
    let region = credential_region(authorization.as_deref());
    check_application_arn(model_id, region)?;
    // A configured application inference profile invokes its source, under its rules.
    let model_id =
        super::control_plane::application_source(&state.application_profiles, model_id, region)
            .unwrap_or(model_id);
    let target = models::target(model_id, &state.extra_models)
        .ok_or_else(|| invalid(AwsError::invalid_model()))?;
    if matches!(
        target,
        Target::Catalog {
            via_profile: true,
            ..
        }
    ) {
        if let (Some(prefix), Some(region)) = (models::profile_prefix(model_id), region) {
            if !models::profile_serves_region(prefix, region) {
                return Err(invalid(AwsError::invalid_model()));
            }
        }
    }
    models::check_invocable(model_id, &target).map_err(|e| {
        let label = if e.status == 404 {
            outcome::NOT_FOUND
        } else {
            outcome::VALIDATION_ERROR
        };
        (e, label)
    })?;
    Ok(target)
}

/// Resolves a bedrock-mantle model id (`anthropic.claude-opus-4-7`: no profile prefix, no
/// version suffix).
fn resolve_mantle_model(state: &State, model_id: &str) -> Result<Target, Rejection> {
    if let Some(info) = models::find_mantle(model_id) {
        models::check_invocable(
            model_id,
            &Target::Catalog {
                info,
                via_profile: true,
            },
        )
        .map_err(|e| (e, outcome::NOT_FOUND))?;
        return Ok(Target::Catalog {
            info,
            via_profile: true,
        });
    }
    if state.extra_models.iter().any(|m| m == model_id) {
        return Ok(Target::Other(model_id.to_string()));
    }
    Err((
        AwsError::new(
            404,
            "ResourceNotFoundException",
            format!("model: {model_id}"),
        ),
        outcome::NOT_FOUND,
    ))
}

/// The service model's constraints on a bedrock-runtime operation's input (Bedrock checks
/// them before anything else: the routes call this before [`prepare`]). An InvokeModel
/// body is an opaque payload.
pub fn check_shape(
    operation: &str,
    model_id: &str,
    headers: &RequestHeaders,
    body: &[u8],
) -> Result<(), Rejection> {
    let header = |name: &str| headers.get(name);
    let http = request::shape::HttpParts {
        labels: &[("modelId", model_id)],
        header: &header,
    };
    let json = match operation {
        "InvokeModel" | "InvokeModelWithResponseStream" => None,
        // Malformed JSON is the body parser's to report.
        _ => serde_json::from_slice::<serde_json::Value>(body).ok(),
    };
    request::shape::check_operation(operation, &http, json.as_ref()).map_err(invalid)
}

/// Parses the body for `api` and the model: from the path (`path_model`) or the body.
pub fn parse(
    state: &State,
    api: Api,
    path_model: Option<&str>,
    headers: &RequestHeaders,
    body: &[u8],
) -> Result<(String, Target, Conversation, bool), Rejection> {
    match api {
        Api::Converse => {
            let model_id = path_model.unwrap_or_default();
            let target = resolve_model(state, model_id, headers)?;
            let conv = request::parse_converse(body).map_err(invalid)?;
            request::check_document_names(body).map_err(invalid)?;
            check_additional_fields(&target, body).map_err(invalid)?;
            if target.is_anthropic() {
                request::check_cache_breakpoints(body, true).map_err(invalid)?;
                request::check_images(body, true).map_err(invalid)?;
            }
            check_tool_choice_support(&target, &conv).map_err(invalid)?;
            check_tool_result_images(&target, body).map_err(invalid)?;
            Ok((model_id.to_string(), target, conv, false))
        }
        Api::Invoke => {
            let model_id = path_model.unwrap_or_default();
            let target = resolve_model(state, model_id, headers)?;
            if target.is_nova_text() {
                // Nova's native body is Converse's (binary data as base64 strings).
                let conv = request::parse_converse(body).map_err(invalid)?;
                check_nova_invoke_documents(body).map_err(invalid)?;
                check_invoke_guardrail(state, headers).map_err(invalid)?;
                return Ok((model_id.to_string(), target, conv, false));
            }
            if let Some(kind) = target.prompt_body() {
                let conv = request::prompt_body::parse(body, kind).map_err(invalid)?;
                check_invoke_guardrail(state, headers).map_err(invalid)?;
                return Ok((model_id.to_string(), target, conv, false));
            }
            if !target.is_anthropic() {
                return Err(invalid(AwsError::validation(format!(
                    "The emulator implements InvokeModel for Anthropic, Amazon Nova, Amazon Titan Text, Meta Llama, Mistral text-completion, OpenAI gpt-oss and DeepSeek-R1 models only; use Converse for {model_id}."
                ))));
            }
            let req = request::parse_anthropic_as(body, Dialect::Invoke).map_err(invalid)?;
            check_body_version(&target, &req).map_err(invalid)?;
            request::check_cache_breakpoints(body, false).map_err(invalid)?;
            request::check_images(body, false).map_err(invalid)?;
            check_invoke_guardrail(state, headers).map_err(invalid)?;
            Ok((model_id.to_string(), target, req.conv, false))
        }
        Api::Messages => {
            let req = request::parse_anthropic_as(body, Dialect::Messages).map_err(invalid)?;
            let model_id = req.model.clone().unwrap_or_default();
            let target = resolve_model(state, &model_id, headers)?;
            if !target.is_anthropic() {
                return Err(invalid(AwsError::invalid_model()));
            }
            check_body_version(&target, &req).map_err(invalid)?;
            request::check_cache_breakpoints(body, false).map_err(invalid)?;
            request::check_images(body, false).map_err(invalid)?;
            Ok((model_id, target, req.conv, req.stream))
        }
        Api::Mantle => {
            match headers.get("anthropic-version") {
                None => {
                    return Err(invalid(AwsError::validation(
                        "anthropic-version: header is required",
                    )))
                }
                Some(v) if !MANTLE_VERSIONS.contains(&v.as_str()) => {
                    return Err(invalid(AwsError::validation(format!(
                        "anthropic-version: invalid version {v}"
                    ))))
                }
                Some(_) => {}
            }
            let req = request::parse_anthropic_as(body, Dialect::Mantle).map_err(invalid)?;
            let model_id = req.model.clone().unwrap_or_default();
            let target = resolve_mantle_model(state, &model_id)?;
            request::check_cache_breakpoints(body, false).map_err(invalid)?;
            request::check_images(body, false).map_err(invalid)?;
            Ok((model_id, target, req.conv, req.stream))
        }
    }
}

/// Converse's forced tool choices, per model family: Bedrock refuses `any` (and `tool`) for a
/// model that does not take it with "This model doesn't support the toolConfig.toolChoice.any
/// field. Remove toolConfig.toolChoice.any and try again." (strands-agents/harness-sdk#1241,
/// aws-samples/bedrock-access-gateway#92; the `tool` text follows the same form, unquoted).
/// Which models take which choice: AWS's ToolChoice API reference (`any` and `tool`: Claude;
/// Mistral Large: `any`), Amazon Nova's expansion of tool choice (March 2025: all three), and
/// langchain-aws's table of what Converse accepts (`supports_tool_choice_values`: Llama 3.1,
/// 3.2 11B/90B, 3.3 and 4 `auto` only; Mistral Large `auto`, `any`). Families none of these
/// sources cover (DeepSeek, Qwen, gpt-oss, Writer, Titan...) are not checked.
fn check_tool_choice_support(target: &Target, conv: &Conversation) -> Result<(), AwsError> {
    let Some(info) = target.info() else {
        return Ok(());
    };
    let field = match &conv.tool_choice {
        request::ToolChoice::Any => "any",
        request::ToolChoice::Tool(_) => "tool",
        _ => return Ok(()),
    };
    let supported: &[&str] = match info.provider.as_str() {
        "meta" => &[],
        "mistral" if info.id.starts_with("mistral.mistral-large") => &["any"],
        _ => return Ok(()),
    };
    if supported.contains(&field) {
        return Ok(());
    }
    Err(AwsError::validation(format!(
        "This model doesn't support the toolConfig.toolChoice.{field} field. Remove toolConfig.toolChoice.{field} and try again."
    )))
}

/// AWS's Nova user guides: "Document Support is limited to only Converse API and is not
/// supported in Invoke API" (Nova, "Using the Invoke API"; Nova 2: "The Invoke API supports
/// the same features as the Converse API except for document input modality"). Bedrock's
/// words for such a body are not documented: the message is the emulator's.
fn check_nova_invoke_documents(body: &[u8]) -> Result<(), AwsError> {
    let Ok(root) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    let has_document = root
        .get("messages")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("content").and_then(|c| c.as_array()))
        .flatten()
        .any(|b| b.get("document").is_some());
    if has_document {
        return Err(AwsError::validation(
            "Amazon Nova takes document blocks on Converse only, not in an InvokeModel body (AWS's Nova user guide); use Converse. (The emulator's words: Bedrock's are not documented.)",
        ));
    }
    Ok(())
}

/// InvokeModel's guardrail headers must name a guardrail and version that exist, as
/// Converse's `guardrailConfig` must (the emulator applies guardrails on Converse only).
fn check_invoke_guardrail(state: &State, headers: &RequestHeaders) -> Result<(), AwsError> {
    let Some(identifier) = headers
        .get("x-amzn-bedrock-guardrailidentifier")
        .filter(|s| !s.is_empty())
    else {
        return Ok(());
    };
    let version = headers
        .get("x-amzn-bedrock-guardrailversion")
        .unwrap_or_default();
    let id = identifier
        .rsplit_once("guardrail/")
        .map_or(identifier.as_str(), |(_, id)| id);
    if state
        .guardrails
        .iter()
        .any(|g| g.id == id && g.has_version(&version))
    {
        Ok(())
    } else {
        Err(AwsError::validation(
            "The guardrail identifier or version provided in the request does not exist.",
        ))
    }
}

/// `anthropic_version` in an InvokeModel / bedrock-runtime Messages body.
fn check_body_version(target: &Target, req: &AnthropicRequest) -> Result<(), AwsError> {
    let version = req.anthropic_version.as_deref().unwrap_or("");
    let native = target.info().is_some_and(|i| i.messages_native);
    if version == request::ANTHROPIC_VERSION || (native && version == NEWER_ANTHROPIC_VERSION) {
        Ok(())
    } else {
        Err(AwsError::validation(format!(
            "Invalid API version: {version}"
        )))
    }
}

/// Keys of Converse's `additionalModelRequestFields` that an Anthropic model takes (they
/// are merged into its Messages body); anything else is rejected by the model.
const ANTHROPIC_ADDITIONAL_FIELDS: &[&str] = &[
    "top_k",
    "thinking",
    "reasoning_config",
    "anthropic_beta",
    "output_config",
    "context_management",
    "tool_choice",
    "metadata",
    "stop_sequences",
];

/// Keys of Converse's `additionalModelRequestFields` an Amazon Nova text model takes: its
/// invoke body's `inferenceConfig` (for `topK`: AWS's Nova user guide, "Using the Invoke
/// API": "Inference parameters like topK are not supported in Converse and need to be passed
/// in additionalModelRequestFields") and Nova 2's `reasoningConfig` (Nova 2 user guide,
/// "Request and response schema").
const NOVA_ADDITIONAL_FIELDS: &[&str] = &["inferenceConfig", "reasoningConfig"];

fn check_additional_fields(target: &Target, body: &[u8]) -> Result<(), AwsError> {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Ok(());
    };
    let Some(serde_json::Value::Object(extra)) = root.get("additionalModelRequestFields") else {
        return Ok(());
    };
    if target.is_anthropic() {
        if let Some(e) = request::invalid_beta(extra.get("anthropic_beta")) {
            return Err(AwsError::validation(format!(
                "The model returned the following errors: {}",
                e.message
            )));
        }
    }
    for key in extra.keys() {
        if target.is_anthropic() {
            if !ANTHROPIC_ADDITIONAL_FIELDS.contains(&key.as_str()) {
                return Err(AwsError::validation(format!(
                    "The model returned the following errors: {key}: Extra inputs are not permitted"
                )));
            }
        } else if target.is_nova_text() && !NOVA_ADDITIONAL_FIELDS.contains(&key.as_str())
            || matches!(key.as_str(), "thinking" | "reasoning_config")
        {
            // The model's JSON-schema text behind Converse's prefix, as Bedrock answers a Nova
            // request with `performanceConfig` there (BerriAI/litellm#9128).
            return Err(AwsError::validation(format!(
                "The model returned the following errors: Malformed input request: #: extraneous key [{key}] is not permitted, please reformat your input and try again."
            )));
        }
    }
    Ok(())
}

/// An `image` inside a Converse `toolResult.content`: botocore 1.44.8's ToolResultContentBlock
/// documents it as "only supported by Amazon Nova and Anthropic Claude 3 and 4 models", and
/// Bedrock refuses it for the other models with "This model doesn't support the image field
/// for user messages. Remove image and try again." (measured on the OpenAI models, which take
/// the same image in a plain user block: can1357/oh-my-pi#11685, anomalyco/opencode#48069;
/// the full sentence as vercel/ai's Bedrock fixture quotes it). Models outside the table are
/// not judged.
fn check_tool_result_images(target: &Target, body: &[u8]) -> Result<(), AwsError> {
    if target.info().is_none() || target.is_anthropic() || target.is_nova_text() {
        return Ok(());
    }
    let Ok(root) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    fn blocks<'a>(v: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
        v.get(key)
            .and_then(serde_json::Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
    let nested_image = blocks(&root, "messages").iter().any(|m| {
        blocks(m, "content").iter().any(|b| {
            b.get("toolResult").is_some_and(|r| {
                blocks(r, "content")
                    .iter()
                    .any(|c| c.get("image").is_some())
            })
        })
    });
    if nested_image {
        return Err(AwsError::validation(
            "This model doesn't support the image field for user messages. Remove image and try again.",
        ));
    }
    Ok(())
}

/// `output_config.effort` on a Claude model. The values are botocore 1.44.8's
/// (bedrock-runtime OutputConfig.effort: "Supported values are low, medium, high, xhigh, and
/// max"). Claude Opus 4.5 takes only the first three, and Bedrock answers an InvokeModel body
/// with `xhigh` or `max` there "output_config.effort: Input should be 'low', 'medium' or
/// 'high'" (measured, coder/coder#25356). Claude Opus 4.6 and Sonnet 4.6 take all but
/// `xhigh` (langchain-aws 1.9.1's Bedrock model profiles, `reasoning_effort_levels`; the same
/// in langchain's deepagents notes on Anthropic's effort page); the refusal there, and a value
/// outside the five on the others, get the same sentence listing the model's values: the
/// form is the measured one, those texts are not measured. Converse adds its prefix for what
/// the model refuses (as for the other Claude refusals here). Claude models without effort
/// (Haiku 4.5, Sonnet 4.5) are not refused here: Bedrock's words for that are not known.
fn check_effort(api: Api, model_id: &str, effort: Option<&str>) -> Result<(), AwsError> {
    let Some(effort) = effort else {
        return Ok(());
    };
    let (allowed, listed): (&[&str], &str) = if model_id.contains("claude-opus-4-5") {
        (&["low", "medium", "high"], "'low', 'medium' or 'high'")
    } else if model_id.contains("claude-opus-4-6") || model_id.contains("claude-sonnet-4-6") {
        (
            &["low", "medium", "high", "max"],
            "'low', 'medium', 'high' or 'max'",
        )
    } else {
        (
            &["low", "medium", "high", "xhigh", "max"],
            "'low', 'medium', 'high', 'xhigh' or 'max'",
        )
    };
    if allowed.contains(&effort) {
        return Ok(());
    }
    let text = format!("output_config.effort: Input should be {listed}");
    Err(AwsError::validation(if api == Api::Converse {
        format!("The model returned the following errors: {text}")
    } else {
        text
    }))
}

/// Model rules on a parsed request: sampling parameters and thinking forms.
/// The service tier's value, as Bedrock answers it (measured on Converse and quoted in
/// NousResearch/hermes-agent#34476; `reserved` also in envoyproxy/ai-gateway#1749): a value
/// outside the tiers is not refused by the service model's enum check (its words differ from
/// every other enum's) but "service tier provided is invalid"; `reserved` needs a
/// reservation, and the emulator has none: "Reservation not found.". `priority`, `default`
/// and `flex` are served on every model (AWS's service-tiers page lists the models that take
/// priority and flex; Bedrock's words for another model are not documented). The
/// InvokeModel header is checked the same way (not measured).
pub fn check_service_tier(tier: Option<&str>) -> Result<(), AwsError> {
    match tier {
        None | Some("priority" | "default" | "flex") => Ok(()),
        Some("reserved") => Err(AwsError::validation("Reservation not found.")),
        Some(_) => Err(AwsError::validation("service tier provided is invalid")),
    }
}

/// `projectIdentifier`: on bedrock-runtime only the account's default project can be used
/// (AWS's Projects page: requests there resolve to `arn:aws:bedrock:region:account-id:
/// project/default`; projects cannot be created for it yet), so `default` or that ARN is
/// served and any other project does not exist here. Bedrock's words for that are not
/// documented: the message is the emulator's, the one ListFoundationModels gives
/// (`control_plane::check_project`).
pub fn check_project(project: Option<&str>) -> Result<(), AwsError> {
    match project {
        None | Some("default") => Ok(()),
        Some(p) if p.starts_with("arn:") && p.ends_with(":project/default") => Ok(()),
        Some(p) => Err(AwsError::validation(format!(
            "The project {p} does not exist in this account."
        ))),
    }
}

pub fn check_model_rules(api: Api, target: &Target, conv: &Conversation) -> Result<(), AwsError> {
    let Some(info) = target.info() else {
        return Ok(());
    };
    // Bedrock's text for a max_tokens above the model's output limit (as users quote it:
    // github.com/sigoden/aichat/pull/813, github.com/charmbracelet/crush/issues/946);
    // bedrock-mantle is Anthropic's API and answers with Anthropic's text.
    if let Some(limit) = info.max_output_tokens.filter(|l| conv.max_tokens > *l) {
        return Err(AwsError::validation(if api == Api::Mantle {
            format!(
                "max_tokens: {} > {limit}, which is the maximum allowed number of output tokens for {}",
                conv.max_tokens,
                target.anthropic_name()
            )
        } else {
            format!(
                "The maximum tokens you requested exceeds the model limit of {limit}. Try again with a maximum tokens value that is lower than {limit}."
            )
        }));
    }
    // Bedrock's own texts for these rules, the same on every API.
    let prefix = "";
    match info.sampling {
        Sampling::Any => {}
        Sampling::One => {
            if conv.temperature.is_some() && conv.top_p.is_some() {
                return Err(AwsError::validation(format!(
                    "{prefix}`temperature` and `top_p` cannot both be specified for this model. Please use only one."
                )));
            }
        }
        Sampling::None => {
            for (name, set) in [
                ("temperature", conv.temperature.is_some()),
                ("top_p", conv.top_p.is_some()),
                ("top_k", conv.top_k.is_some()),
            ] {
                if set {
                    return Err(AwsError::validation(format!(
                        "{prefix}`{name}` is deprecated for this model."
                    )));
                }
            }
        }
    }
    if !info.prefill && conv.prefill().is_some() {
        let text = "This model does not support assistant message prefill. The conversation must end with a user message.";
        return Err(AwsError::validation(if api == Api::Converse {
            format!("The model returned the following errors: {text}")
        } else {
            text.to_string()
        }));
    }
    let budget = conv.thinking.is_some();
    let adaptive = conv.adaptive_thinking;
    match info.thinking {
        Thinking::None if budget || adaptive => {
            return Err(AwsError::validation(if api == Api::Converse {
                "The model returned the following errors: thinking: Extra inputs are not permitted"
                    .to_string()
            } else if api == Api::Invoke {
                "Malformed input request: #: extraneous key [thinking] is not permitted, please reformat your input and try again.".to_string()
            } else {
                "thinking: Extra inputs are not permitted".to_string()
            }));
        }
        Thinking::Adaptive if budget => {
            return Err(AwsError::validation(format!(
                "{prefix}\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior."
            )));
        }
        Thinking::Budget if adaptive => {
            return Err(AwsError::validation(format!(
                "{prefix}thinking.type: Input tag 'adaptive' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'"
            )));
        }
        _ => {}
    }
    if target.is_anthropic() {
        check_effort(api, &info.id, conv.effort.as_deref())?;
    }
    // Claude's rule (Anthropic's text, e.g. tailcallhq/forgecode#892; Bedrock refuses
    // duplicates too: aws-samples/amazon-bedrock-client-for-mac#123), with Converse's prefix.
    if target.is_anthropic() {
        let mut names = std::collections::HashSet::new();
        if conv.tools.iter().any(|t| !names.insert(t.name.as_str())) {
            let text = "tools: Tool names must be unique.";
            return Err(AwsError::validation(if api == Api::Converse {
                format!("The model returned the following errors: {text}")
            } else {
                text.to_string()
            }));
        }
    }
    if (budget || adaptive) && target.is_anthropic() {
        // Anthropic's rule, passed on by Bedrock (Converse, as quoted in strands-agents/
        // harness-sdk#1495, pydantic/pydantic-ai#3092, can1357/oh-my-pi#341): with thinking
        // on, a tool choice may be auto or none only.
        if matches!(
            conv.tool_choice,
            request::ToolChoice::Any | request::ToolChoice::Tool(_)
        ) {
            let text = "Thinking may not be enabled when tool_choice forces tool use.";
            return Err(AwsError::validation(if api == Api::Converse {
                format!("The model returned the following errors: {text}")
            } else {
                text.to_string()
            }));
        }
        check_thinking_turn(api, conv)?;
    }
    Ok(())
}

/// With thinking on, Claude's current assistant turn (the assistant messages after the last
/// user message that is not only tool results) must start with the thinking block the model
/// sent, when the request continues that turn with tool results: a client that drops the
/// reasoning block from a tool-use turn gets Anthropic's error, which Bedrock passes on
/// (Converse, as quoted in langchain-ai/langchain-aws#844, pydantic/pydantic-ai#2453 and
/// anomalyco/opencode#3077; Anthropic's "Extended thinking" page: "you must pass thinking
/// blocks back to the API for the last assistant message" during tool use).
fn check_thinking_turn(api: Api, conv: &Conversation) -> Result<(), AwsError> {
    use request::{Block, Role};
    let is_result = |b: &Block| matches!(b, Block::ToolResult { .. });
    let in_tool_loop = conv
        .messages
        .last()
        .is_some_and(|m| m.role == Role::User && m.blocks.iter().any(is_result));
    if !in_tool_loop {
        return Ok(());
    }
    let turn_start = conv
        .messages
        .iter()
        .rposition(|m| m.role == Role::User && !m.blocks.iter().any(is_result))
        .map_or(0, |i| i + 1);
    let Some((i, first)) = conv.messages[turn_start..]
        .iter()
        .enumerate()
        .find(|(_, m)| m.role == Role::Assistant)
        .map(|(k, m)| (turn_start + k, m.blocks.first()))
    else {
        return Ok(());
    };
    let found = match first {
        Some(Block::Reasoning(_)) | None => return Ok(()),
        Some(Block::Text(_)) => "text",
        Some(Block::ToolUse { .. }) => "tool_use",
        Some(Block::ToolResult { .. }) => "tool_result",
        Some(Block::Media) => "image",
    };
    let text = format!(
        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    );
    Err(AwsError::validation(if api == Api::Converse {
        format!("The model returned the following errors: {text}")
    } else {
        text
    }))
}

/// The bytes a reply is seeded from: the body in canonical JSON (same request, same reply,
/// whatever the key order or spacing), without its final assistant turn when that is a
/// prefill, so a model continuing after a prefill continues the answer it would have given;
/// and without a Messages API body's `stream` flag, so `messages.create` and
/// `messages.stream` of one request get one answer, as Converse and ConverseStream do.
fn reply_seed(body: &[u8], prefilled: bool) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    if let Some(root) = value.as_object_mut() {
        root.remove("stream");
    }
    if prefilled {
        if let Some(messages) = value.get_mut("messages").and_then(|m| m.as_array_mut()) {
            messages.pop();
        }
    }
    serde_json::to_vec(&value).unwrap_or_else(|_| body.to_vec())
}

/// The source of this call's tool use ids and thinking signatures. Bedrock gives every call
/// new ones (the same request twice gets two `toolUseId`s, Converse and ConverseStream too),
/// so they are drawn from the request and a per-call nonce, not from the reply's seed: a test
/// that relies on two calls sharing one fails here as it would on Bedrock. Ids a rule scripts
/// stay fixed.
fn call_ids(state: &State, seed: &[u8]) -> Rng {
    let n = state.request_seq.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut bytes = seed.to_vec();
    bytes.extend_from_slice(format!(":{n}:{nanos}:{:p}", state as *const State).as_bytes());
    Rng::from_bytes(&bytes)
}

/// The `throttle_above` fault: ThrottlingException when this request goes over the rate of
/// its window (`reserve` tokens checked, `charge` taken when admitted); counted as
/// `throttled`. Bedrock's texts: "Too many requests, ..." over the request rate, "Too many
/// tokens, ..." over the token rate (see docs/EMULATOR.md).
pub fn throttle_above(
    state: &State,
    faults: &Faults,
    model_id: &str,
    headers: &RequestHeaders,
    reserve: u64,
    charge: u64,
) -> Result<(), Rejection> {
    let Some(limit) = &faults.throttle_above else {
        return Ok(());
    };
    let authorization = headers.get("authorization");
    let region = credential_region(authorization.as_deref()).unwrap_or("");
    let verdict = lock(&state.rate).admit(limit, model_id, region, reserve, charge, Instant::now());
    let text = match verdict {
        Ok(()) => return Ok(()),
        Err(Exceeded::Requests) => "Too many requests, please wait before trying again.",
        Err(Exceeded::Tokens) => "Too many tokens, please wait before trying again.",
    };
    let message = faults.error_message.as_deref().unwrap_or(text);
    Err((
        AwsError::new(429, "ThrottlingException", message),
        outcome::THROTTLED,
    ))
}

/// Faults and pacing of one request: the instance's, then the matching rule's, then the
/// request's `x-emulator-fault` / `x-emulator-pacing` headers; or the rejection an injected
/// error or throttle share answers before anything else happens.
pub(crate) fn request_settings(
    state: &State,
    script: &Script,
    headers: &RequestHeaders,
) -> Result<(Faults, Pacing), Rejection> {
    let header_faults = match headers.get(FAULT_HEADER) {
        Some(spec) => parse_faults(&spec).map_err(|e| {
            invalid(AwsError::validation(format!(
                "Invalid {FAULT_HEADER} header: {e}"
            )))
        })?,
        None => Faults::default(),
    };
    let header_pacing = match headers.get(PACING_HEADER) {
        Some(spec) => parse_pacing(&spec).map_err(|e| {
            invalid(AwsError::validation(format!(
                "Invalid {PACING_HEADER} header: {e}"
            )))
        })?,
        None => Pacing::default(),
    };
    let faults = lock(&state.faults)
        .merged(&script.faults)
        .merged(&header_faults);
    let pacing = lock(&state.pacing)
        .merged(&script.pacing)
        .merged(&header_pacing);

    if let Some(name) = faults.error.as_deref() {
        let err = AwsError::named(name, faults.error_message.as_deref())
            .unwrap_or_else(|| AwsError::new(500, "InternalServerException", "Injected error."));
        let label = if err.error_type == "ThrottlingException" {
            outcome::THROTTLED
        } else {
            outcome::ERROR
        };
        return Err((err, label));
    }
    if let Some(share) = faults.throttle_share.filter(|s| *s > 0.0) {
        let n = state.throttle_seq.fetch_add(1, Ordering::Relaxed) + 1;
        if throttle_hit(n, share) {
            let err = AwsError::named("ThrottlingException", faults.error_message.as_deref())
                .unwrap_or_else(|| AwsError::new(429, "ThrottlingException", "Too many requests"));
            return Err((err, outcome::THROTTLED));
        }
    }
    Ok((faults, pacing))
}

/// Everything between auth and the reply: model, body, rules, faults before the stream.
pub fn prepare(
    state: &State,
    api: Api,
    path_model: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Prepared, Rejection> {
    let headers = RequestHeaders(headers);
    let (model_id, target, mut conv, stream) = parse(state, api, path_model, &headers, body)?;
    if api == Api::Invoke {
        // InvokeModel takes them as headers (botocore's InvokeModelRequest).
        conv.service_tier = headers.get("x-amzn-bedrock-service-tier");
        conv.latency = headers.get("x-amzn-bedrock-performanceconfig-latency");
        conv.project = headers.get("x-amzn-bedrock-projectidentifier");
    }
    if api != Api::Converse || !target.is_anthropic() {
        // Citations are modelled for Claude on Converse only.
        conv.citable = None;
    }
    check_project(conv.project.as_deref()).map_err(invalid)?;
    check_service_tier(conv.service_tier.as_deref()).map_err(invalid)?;
    check_model_rules(api, &target, &conv).map_err(invalid)?;
    if target.is_anthropic() {
        request::check_thinking_signature_present(body, api == Api::Converse).map_err(invalid)?;
        if conv.thinking.is_some() || conv.adaptive_thinking {
            request::check_thinking_signatures(body, api == Api::Converse).map_err(invalid)?;
        }
    }
    let rules = lock(&state.rules).clone();
    let script = script_for(&rules, &model_id, &conv.last_user_text());
    let (faults, pacing) = request_settings(state, &script, &headers)?;

    // The guardrail must exist before anything else happens (Bedrock's text for an unknown
    // id or version, as observed in practice: a 400 ValidationException).
    let guardrail = match &conv.guardrail {
        Some(g) => Some(
            state
                .guardrails
                .iter()
                .find(|spec| spec.id == g.id() && spec.has_version(&g.version))
                .map(|spec| (g, spec))
                .ok_or_else(|| {
                    invalid(AwsError::validation(
                        "The guardrail identifier or version provided in the request does not exist.",
                    ))
                })?,
        ),
        None => None,
    };

    let seed = reply_seed(body, conv.prefill().is_some());
    let mut rng = Rng::from_bytes(&seed);
    let mut ids = call_ids(state, &seed);
    let mut plan = replies::plan(&conv, &script, &mut rng, &mut ids);
    // The SigV4 Region names the guardrail's ARN in a trace.
    let authorization = headers.get("authorization");
    let region = credential_region(authorization.as_deref()).unwrap_or("us-east-1");
    let intervention = match (guardrail, &script.guardrail) {
        (Some((request, spec)), Some(rule)) => {
            guardrails::intervene(&mut plan, request, spec, rule, region)
        }
        _ => None,
    };
    // A guardrail asked for a trace that let the exchange through still reports it.
    let pass_trace = match (&intervention, guardrail) {
        (None, Some((request, _))) if request.trace_on() => Some(guardrails::pass_trace(
            request,
            region,
            conv.text_chars(),
            plan.text.chars().count() as u64,
        )),
        _ => None,
    };
    // Over the rate: throttled before anything is accounted (prompt cache included).
    let model_invoked = intervention.as_ref().is_none_or(|i| i.model_invoked);
    throttle_above(
        state,
        &faults,
        &model_id,
        &headers,
        conv.input_tokens().saturating_add(conv.max_tokens),
        if model_invoked {
            conv.input_tokens().saturating_add(plan.output_tokens())
        } else {
            0
        },
    )?;
    let cache_min = target.info().map_or(Some(0), |i| i.cache_min_tokens);
    let cache = match cache_min {
        Some(min) if conv.has_cache_points() => {
            lock(&state.cache).account(&model_id, &conv.cache_items, min, Instant::now())
        }
        _ => Default::default(),
    };
    let (output_tokens, input_tokens) = if model_invoked {
        (
            plan.output_tokens(),
            conv.input_tokens().saturating_sub(cache.read + cache.write),
        )
    } else {
        (0, 0)
    };

    let first_token_ms = pacing.first_token_ms.unwrap_or(0);
    let tps = pacing.tps.unwrap_or(0.0);
    let gen_ms = if tps > 0.0 {
        (output_tokens as f64 / tps * 1000.0) as u64
    } else {
        0
    };
    let reply = Reply {
        plan,
        input_tokens,
        output_tokens,
        cache,
        model_name: target.anthropic_name(),
        first_token_ms,
        // Never 0: Bedrock always reports some latency.
        latency_ms: (first_token_ms + gen_ms).max(1),
        delta_chars: pacing.delta_chars.unwrap_or(DEFAULT_DELTA_CHARS).max(1),
        rng,
        trace: intervention.and_then(|i| i.trace).or(pass_trace),
        response_field_paths: conv.response_field_paths.clone(),
        service_tier: conv.service_tier.clone(),
        latency: conv.latency.clone(),
        anthropic: target.is_anthropic(),
        prompt_body: target.prompt_body().filter(|_| api == Api::Invoke),
    };
    Ok(Prepared {
        reply,
        faults,
        pacing,
        stream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_profile_arns_belong_to_their_region_and_account() {
        let arn = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3";
        assert!(check_application_arn(arn, Some("us-west-2")).is_ok());
        // No SigV4 region (API key): not known, not checked.
        assert!(check_application_arn(arn, None).is_ok());
        let (e, label) = check_application_arn(arn, Some("us-east-1")).unwrap_err();
        assert_eq!(
            (e.status, e.message.as_str(), label),
            (
                400,
                "The provided model identifier is invalid.",
                outcome::VALIDATION_ERROR
            )
        );
        // Another account's profile is not the caller's, whatever the region.
        let foreign = arn.replace("123456789012", "210987654321");
        for region in [Some("us-west-2"), None] {
            let (e, _) = check_application_arn(&foreign, region).unwrap_err();
            assert_eq!(
                (e.status, e.message.as_str()),
                (400, "The provided model identifier is invalid.")
            );
        }
        // Other ARNs and ids are not application profiles.
        for id in [
            "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0",
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        ] {
            assert!(check_application_arn(id, Some("us-east-1")).is_ok(), "{id}");
        }
    }

    #[test]
    fn reply_seed_ignores_stream_flag_key_order_and_prefill() {
        let plain = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
        let streamed = br#"{"stream":true,"max_tokens":5,"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(reply_seed(plain, false), reply_seed(streamed, false));
        let prefilled = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hel"}]}"#;
        assert_eq!(reply_seed(plain, false), reply_seed(prefilled, true));
        let other = br#"{"model":"m","max_tokens":6,"messages":[{"role":"user","content":"hi"}]}"#;
        assert_ne!(reply_seed(plain, false), reply_seed(other, false));
    }

    #[test]
    fn only_the_default_project_exists() {
        for ok in [
            None,
            Some("default"),
            Some("arn:aws:bedrock:us-east-1:123456789012:project/default"),
        ] {
            assert!(check_project(ok).is_ok(), "{ok:?}");
        }
        let e = check_project(Some("proj_abc123")).unwrap_err();
        assert_eq!(
            (e.status, e.error_type.as_str(), e.message.as_str()),
            (
                400,
                "ValidationException",
                "The project proj_abc123 does not exist in this account."
            )
        );
    }

    #[test]
    fn service_tiers_as_bedrock_answers_them() {
        for ok in [None, Some("default"), Some("flex"), Some("priority")] {
            assert!(check_service_tier(ok).is_ok(), "{ok:?}");
        }
        let e = check_service_tier(Some("reserved")).unwrap_err();
        assert_eq!(
            (e.status, e.message.as_str()),
            (400, "Reservation not found.")
        );
        let e = check_service_tier(Some("Flex")).unwrap_err();
        assert_eq!(
            (e.status, e.error_type.as_str(), e.message.as_str()),
            (
                400,
                "ValidationException",
                "service tier provided is invalid"
            )
        );
    }
}
