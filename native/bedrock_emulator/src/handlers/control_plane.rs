//! The read-only part of the Amazon Bedrock control plane (service `bedrock`, API version
//! 2023-04-20; SigV4 signing name `bedrock`, the same as bedrock-runtime's):
//!
//! - `GET /foundation-models` (ListFoundationModels: `byProvider`, `byCustomizationType`,
//!   `byOutputModality`, `byInferenceType`, `projectIdentifier`)
//! - `GET /foundation-models/{modelIdentifier}` (GetFoundationModel)
//! - `GET /inference-profiles` (ListInferenceProfiles: `maxResults`, `nextToken`, `type`,
//!   `projectIdentifier`)
//! - `GET /inference-profiles/{inferenceProfileIdentifier}` (GetInferenceProfile)
//! - `GET /foundation-model-availability/{modelId}` (GetFoundationModelAvailability)
//!
//! The contract is botocore's service model (botocore/data/bedrock/2023-04-20/service-2.json)
//! and AWS's API reference (docs.aws.amazon.com/bedrock/latest/APIReference/
//! API_ListFoundationModels.html, API_GetFoundationModel.html, API_ListInferenceProfiles.html,
//! API_GetInferenceProfile.html, API_InferenceProfileSummary.html). The data is the emulator's
//! catalog (data/models.json); a field AWS returns that the catalog does not say is left out
//! when the service model makes it optional:
//!
//! - `modelArn` `arn:{partition}:bedrock:{region}::foundation-model/{id}`, the region being
//!   the caller's SigV4 scope region (us-east-1 when the request carries none).
//! - `providerName`: AWS's display name of the catalog's provider, as ListFoundationModels
//!   returns it (Anthropic, Amazon, Meta, Mistral AI, DeepSeek, Qwen, OpenAI, Cohere,
//!   AI21 Labs, Writer: captured ListFoundationModels outputs in public repositories).
//! - `outputModalities` `["TEXT"]` and `responseStreamingSupported` true for the text models
//!   (each is served on ConverseStream / InvokeModelWithResponseStream here); both left out
//!   for the speech-to-speech models, whose modalities the catalog does not record.
//!   `inputModalities` and `customizationsSupported` are not in the catalog: left out, so
//!   `byCustomizationType` matches no model.
//! - `inferenceTypesSupported`: `["ON_DEMAND"]` for a model invocable by its base id,
//!   `["INFERENCE_PROFILE"]` for a profile-only one (the value AWS returns for those, outside
//!   the service model's enum: captured `get-foundation-model` outputs for
//!   anthropic.claude-sonnet-4-6 and mistral.pixtral-large-2502-v1:0). `byInferenceType`
//!   takes the service model's ON_DEMAND | PROVISIONED; PROVISIONED matches no model.
//! - `modelLifecycle.status` ACTIVE or LEGACY (the service model's enum); a model past its end
//!   of life is not listed and not found, as on the runtime routes. `endOfLifeTime` is the
//!   catalog's `eol_date` when it has one.
//! - Speech-to-speech models are served in-Region only: listed only in their catalog regions.
//!
//! System-defined inference profiles are the catalog's `profiles` prefixes that serve the
//! caller's region ([`models::profile_serves_region`]; `global` in the commercial partition).
//! `inferenceProfileName` is "{US|EU|APAC|JP|AU|CA|US-GOV|Global} {providerName} {modelName}",
//! the form of AWS's current names ("US Anthropic Claude Sonnet 4.6", "Global Anthropic Claude
//! Opus 4.6"; AWS's older names vary). `models` holds the model in the caller's region (and,
//! for a global profile, the region-less ARN AWS lists first); the other destination Regions
//! are not in the catalog, so they and `description`, `createdAt`, `updatedAt` are left out.
//! The account in a profile ARN is [`ACCOUNT`].
//!
//! Application inference profiles exist when the configuration declares them
//! (`application_profiles`: what CreateInferenceProfile would have made): type APPLICATION,
//! ARN `...:application-inference-profile/{id}`, `models` those of their source (a foundation
//! model, or a system-defined profile's). They are listed after the system-defined ones, and
//! invoking one by its ARN applies its source's rules ([`application_source`]).

use serde_json::{json, Map, Value};

use super::prepare::Rejection;
use crate::catalog::{self as models, Lifecycle, ModelInfo, Target};
use crate::config::ApplicationProfileSpec;
use crate::counters::outcome;
use crate::error::AwsError;

/// The account id the emulator answers as (AWS's documentation example account).
pub const ACCOUNT: &str = "123456789012";

/// The region a request without a SigV4 credential scope is answered for.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A control-plane operation and its path label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ListFoundationModels,
    GetFoundationModel(String),
    ListInferenceProfiles,
    GetInferenceProfile(String),
    GetFoundationModelAvailability(String),
}

impl Op {
    /// The counters' route name.
    pub fn route(&self) -> &'static str {
        match self {
            Op::ListFoundationModels => "list-foundation-models",
            Op::GetFoundationModel(_) => "get-foundation-model",
            Op::ListInferenceProfiles => "list-inference-profiles",
            Op::GetInferenceProfile(_) => "get-inference-profile",
            Op::GetFoundationModelAvailability(_) => "get-foundation-model-availability",
        }
    }
}

/// Matches a GET path of the control plane (labels still percent-encoded).
pub fn match_path(segments: &[&str]) -> Option<Op> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    Some(match segments {
        ["foundation-models"] => Op::ListFoundationModels,
        ["foundation-models", id] => Op::GetFoundationModel(decode(id)),
        ["inference-profiles"] => Op::ListInferenceProfiles,
        ["inference-profiles", id] => Op::GetInferenceProfile(decode(id)),
        ["foundation-model-availability", id] => Op::GetFoundationModelAvailability(decode(id)),
        _ => return None,
    })
}

/// Who is asking: the SigV4 scope region decides the ARNs and which profiles exist.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub region: &'a str,
    /// The application inference profiles of the configuration.
    pub applications: &'a [ApplicationProfileSpec],
}

impl Caller<'_> {
    fn partition(&self) -> &'static str {
        if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else if self.region.starts_with("cn-") {
            "aws-cn"
        } else {
            "aws"
        }
    }

    fn model_arn(&self, id: &str) -> String {
        format!(
            "arn:{}:bedrock:{}::foundation-model/{id}",
            self.partition(),
            self.region
        )
    }

    fn profile_arn(&self, profile_id: &str) -> String {
        format!(
            "arn:{}:bedrock:{}:{ACCOUNT}:inference-profile/{profile_id}",
            self.partition(),
            self.region
        )
    }

    /// Whether the system-defined profile `prefix` exists in the caller's region.
    fn has_profile(&self, prefix: &str) -> bool {
        match prefix {
            "global" => self.partition() == "aws",
            _ => models::profile_serves_region(prefix, self.region),
        }
    }
}

/// Serves `op` for `caller`; `query` is the raw query string.
pub fn handle(op: &Op, caller: Caller<'_>, query: &str) -> Result<Value, Rejection> {
    let params = parse_query(query);
    match op {
        Op::ListFoundationModels => list_foundation_models(caller, &params),
        Op::GetFoundationModel(id) => get_foundation_model(caller, id, &params),
        Op::ListInferenceProfiles => list_inference_profiles(caller, &params),
        Op::GetInferenceProfile(id) => get_inference_profile(caller, id, &params),
        Op::GetFoundationModelAvailability(id) => availability(caller, id),
    }
}

pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .to_string()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn invalid(message: String) -> Rejection {
    (AwsError::validation(message), outcome::VALIDATION_ERROR)
}

/// Coral's constraint violations, collected in member order ("1 validation error
/// detected: Value 'X' at 'member' failed to satisfy constraint: ...", as the runtime
/// routes word them: request/shape.rs).
#[derive(Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    pub(crate) fn push(&mut self, value: &str, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub(crate) fn enumeration(&mut self, value: Option<&str>, member: &str, allowed: &[&str]) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                let set = allowed.join(", ");
                self.push(
                    v,
                    member,
                    &format!("Member must satisfy enum value set: [{set}]"),
                );
            }
        }
    }

    fn pattern(&mut self, value: Option<&str>, member: &str, pattern: &str, ok: bool) {
        if let (Some(v), false) = (value, ok) {
            self.push(
                v,
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    pub(crate) fn finish(self) -> Result<(), Rejection> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(invalid(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(invalid(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// `projectIdentifier`: the emulator's account has no projects, so only `default` (the
/// account itself) names one; any other project "doesn't exist", a ValidationException per
/// the service model's documentation of the member (the message is the emulator's own).
fn check_project(params: &[(String, String)]) -> Result<(), Rejection> {
    match param(params, "projectIdentifier") {
        None | Some("default") => Ok(()),
        Some(p) => Err(invalid(format!(
            "The project {p} does not exist in this account."
        ))),
    }
}

const OUTPUT_MODALITIES: &[&str] = &["TEXT", "IMAGE", "EMBEDDING"];
const INFERENCE_TYPES: &[&str] = &["ON_DEMAND", "PROVISIONED"];
const CUSTOMIZATIONS: &[&str] = &["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"];
const PROFILE_TYPES: &[&str] = &["SYSTEM_DEFINED", "APPLICATION"];

/// AWS's display name of a catalog provider (see the module doc), `None` when unknown.
pub fn provider_name(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "anthropic" => "Anthropic",
        "amazon" => "Amazon",
        "meta" => "Meta",
        "mistral" => "Mistral AI",
        "deepseek" => "DeepSeek",
        "qwen" => "Qwen",
        "openai" => "OpenAI",
        "cohere" => "Cohere",
        "ai21" => "AI21 Labs",
        "writer" => "Writer",
        _ => return None,
    })
}

/// Whether a model is listed in the caller's region at all.
fn listed(info: &ModelInfo, caller: Caller<'_>) -> bool {
    if info.lifecycle == Lifecycle::Eol {
        return false;
    }
    match &info.speech {
        Some(speech) => speech.regions.iter().any(|r| r == caller.region),
        None => true,
    }
}

fn inference_types(info: &ModelInfo) -> Vec<&'static str> {
    if info.on_demand {
        vec!["ON_DEMAND"]
    } else if !info.profiles.is_empty() {
        vec!["INFERENCE_PROFILE"]
    } else {
        Vec::new()
    }
}

/// A FoundationModelSummary / FoundationModelDetails (the two have the same members).
fn model_json(info: &ModelInfo, caller: Caller<'_>) -> Value {
    let mut m = Map::new();
    m.insert("modelArn".into(), json!(caller.model_arn(&info.id)));
    m.insert("modelId".into(), json!(info.id));
    m.insert("modelName".into(), json!(info.name));
    if let Some(p) = provider_name(&info.provider) {
        m.insert("providerName".into(), json!(p));
    }
    if info.speech.is_none() {
        m.insert("outputModalities".into(), json!(["TEXT"]));
        m.insert("responseStreamingSupported".into(), json!(true));
    }
    m.insert(
        "inferenceTypesSupported".into(),
        json!(inference_types(info)),
    );
    let status = match info.lifecycle {
        Lifecycle::Legacy => "LEGACY",
        _ => "ACTIVE",
    };
    let mut lifecycle = json!({ "status": status });
    if let Some(date) = info.eol_date.as_deref() {
        lifecycle["endOfLifeTime"] = json!(format!("{date}T00:00:00Z"));
    }
    m.insert("modelLifecycle".into(), lifecycle);
    Value::Object(m)
}

fn list_foundation_models(
    caller: Caller<'_>,
    params: &[(String, String)],
) -> Result<Value, Rejection> {
    let provider = param(params, "byProvider");
    let customization = param(params, "byCustomizationType");
    let modality = param(params, "byOutputModality");
    let inference = param(params, "byInferenceType");
    let mut v = Violations::default();
    // Provider: [A-Za-z0-9- ]{1,63} (service model).
    let provider_ok = provider.is_none_or(|p| {
        (1..=63).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ')
    });
    v.pattern(provider, "byProvider", "[A-Za-z0-9- ]{1,63}", provider_ok);
    v.enumeration(customization, "byCustomizationType", CUSTOMIZATIONS);
    v.enumeration(modality, "byOutputModality", OUTPUT_MODALITIES);
    v.enumeration(inference, "byInferenceType", INFERENCE_TYPES);
    v.finish()?;
    check_project(params)?;
    let summaries: Vec<Value> = models::table()
        .iter()
        .filter(|m| listed(m, caller))
        // The provider as AWS names it or as the model id spells it, in any case:
        // `--by-provider anthropic` and `--by-provider Anthropic` both select Claude.
        .filter(|m| {
            provider.is_none_or(|p| {
                p.eq_ignore_ascii_case(&m.provider)
                    || provider_name(&m.provider).is_some_and(|n| p.eq_ignore_ascii_case(n))
            })
        })
        // The catalog records no customization: no model supports one.
        .filter(|_| customization.is_none())
        .filter(|m| modality.is_none_or(|o| o == "TEXT" && m.speech.is_none()))
        .filter(|m| inference.is_none_or(|t| inference_types(m).contains(&t)))
        .map(|m| model_json(m, caller))
        .collect();
    Ok(json!({ "modelSummaries": summaries }))
}

/// GetFoundationModelIdentifier's pattern (service model): a model id or a foundation-model
/// ARN.
fn model_identifier_ok(id: &str) -> bool {
    use std::sync::OnceLock;
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"^(?:(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2}))$",
        )
        .ok()
    });
    (1..=2048).contains(&id.len()) && re.as_ref().is_some_and(|r| r.is_match(id))
}

const MODEL_IDENTIFIER_PATTERN: &str = "(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})";

/// The catalog model a GetFoundationModel identifier names in the caller's region.
fn find_model(caller: Caller<'_>, id: &str) -> Option<&'static ModelInfo> {
    let base = match id.strip_prefix("arn:") {
        Some(_) => id.split_once(":foundation-model/")?.1,
        None => id,
    };
    models::find(base).filter(|m| listed(m, caller))
}

/// Bedrock's answer to a model identifier it does not know: 400 ValidationException "Could
/// not find model with identifier {id}" (as users report it from `aws bedrock
/// get-foundation-model` and the SDKs; the service model also lists ResourceNotFoundException
/// for the operation, but that is not what an unknown id gets).
fn model_not_found(id: &str) -> Rejection {
    (
        AwsError::validation(format!("Could not find model with identifier {id}")),
        outcome::NOT_FOUND,
    )
}

/// A Get operation's checks before its lookup: the path identifier against the service
/// model's `pattern` (`matches`: whether it does), then the `project` parameter.
fn check_identifier(
    id: &str,
    member: &str,
    pattern: &str,
    matches: bool,
    params: &[(String, String)],
) -> Result<(), Rejection> {
    let mut v = Violations::default();
    v.pattern(Some(id), member, pattern, matches);
    v.finish()?;
    check_project(params)
}

fn get_foundation_model(
    caller: Caller<'_>,
    id: &str,
    params: &[(String, String)],
) -> Result<Value, Rejection> {
    check_identifier(
        id,
        "modelIdentifier",
        MODEL_IDENTIFIER_PATTERN,
        model_identifier_ok(id),
        params,
    )?;
    let info = find_model(caller, id).ok_or_else(|| model_not_found(id))?;
    Ok(json!({ "modelDetails": model_json(info, caller) }))
}

/// GetFoundationModelAvailability: every model the emulator serves is open to its account
/// (agreement AVAILABLE, AUTHORIZED, entitlement AVAILABLE); region availability is the
/// model being listed in the caller's region. An unknown id is the same 400 as
/// GetFoundationModel's.
fn availability(caller: Caller<'_>, id: &str) -> Result<Value, Rejection> {
    let Some(info) = models::find(id).filter(|m| m.lifecycle != Lifecycle::Eol) else {
        return Err(model_not_found(id));
    };
    let region = if listed(info, caller) {
        "AVAILABLE"
    } else {
        "NOT_AVAILABLE"
    };
    Ok(json!({
        "modelId": info.id,
        "agreementAvailability": { "status": "AVAILABLE" },
        "authorizationStatus": "AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": region,
    }))
}

/// A system-defined profile of the catalog: `prefix.model`.
struct Profile {
    prefix: &'static str,
    info: &'static ModelInfo,
}

impl Profile {
    fn id(&self) -> String {
        format!("{}.{}", self.prefix, self.info.id)
    }

    fn to_json(&self, caller: Caller<'_>) -> Value {
        let geo = match self.prefix {
            "global" => "Global".to_string(),
            p => p.to_ascii_uppercase(),
        };
        let name = match provider_name(&self.info.provider) {
            Some(p) => format!("{geo} {p} {}", self.info.name),
            None => format!("{geo} {}", self.info.name),
        };
        let mut arns = Vec::new();
        if self.prefix == "global" {
            arns.push(json!({ "modelArn": format!(
                "arn:{}:bedrock:::foundation-model/{}", caller.partition(), self.info.id) }));
        }
        arns.push(json!({ "modelArn": caller.model_arn(&self.info.id) }));
        let id = self.id();
        json!({
            "inferenceProfileName": name,
            "inferenceProfileArn": caller.profile_arn(&id),
            "models": arns,
            "inferenceProfileId": id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        })
    }
}

fn profiles(caller: Caller<'_>) -> Vec<Profile> {
    let mut out = Vec::new();
    for info in models::table() {
        if info.lifecycle == Lifecycle::Eol || info.speech.is_some() {
            continue;
        }
        for p in &info.profiles {
            let Some(prefix) = models::PROFILE_PREFIXES.iter().copied().find(|x| x == p) else {
                continue;
            };
            if caller.has_profile(prefix) {
                out.push(Profile { prefix, info });
            }
        }
    }
    out
}

/// `maxResults` (MaxResults: 1 to 1000), its violations pushed to `v`; a value that is not
/// an integer does not deserialize at all.
pub(crate) fn max_results(
    max: Option<&str>,
    v: &mut Violations,
) -> Result<Option<usize>, Rejection> {
    Ok(match max {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => Some(n as usize),
            Ok(n) if n < 1 => {
                v.push(
                    s,
                    "maxResults",
                    "Member must have value greater than or equal to 1",
                );
                None
            }
            Ok(_) => {
                v.push(
                    s,
                    "maxResults",
                    "Member must have value less than or equal to 1000",
                );
                None
            }
            Err(_) => {
                return Err(invalid(format!(
                    "Value '{s}' at 'maxResults' could not be parsed as an integer."
                )))
            }
        },
    })
}

/// The page token: the index of the next profile, opaque to clients.
fn token(next: usize) -> String {
    format!("ip{next}")
}

fn list_inference_profiles(
    caller: Caller<'_>,
    params: &[(String, String)],
) -> Result<Value, Rejection> {
    let kind = param(params, "type");
    let max = param(params, "maxResults");
    let next = param(params, "nextToken");
    let mut v = Violations::default();
    let max_results = max_results(max, &mut v)?;
    if let Some(t) = next {
        if t.is_empty() || t.len() > 2048 || t.contains(char::is_whitespace) {
            v.push(
                t,
                "nextToken",
                "Member must satisfy regular expression pattern: \\S*",
            );
        }
    }
    v.enumeration(kind, "typeEquals", PROFILE_TYPES);
    v.finish()?;
    check_project(params)?;
    let mut all: Vec<Value> = Vec::new();
    if kind != Some("APPLICATION") {
        all.extend(profiles(caller).iter().map(|p| p.to_json(caller)));
    }
    if kind != Some("SYSTEM_DEFINED") {
        all.extend(
            caller
                .applications
                .iter()
                .filter_map(|a| application_json(caller, a)),
        );
    }
    let start = match next {
        None => 0,
        Some(t) => match t.strip_prefix("ip").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n > 0 && n <= all.len() => n,
            // The message is the emulator's own; AWS's text for a bad token is not documented.
            _ => return Err(invalid(format!("The pagination token {t} is invalid."))),
        },
    };
    let end = max_results.map_or(all.len(), |m| (start + m).min(all.len()));
    let page = all[start..end].to_vec();
    let mut out = json!({ "inferenceProfileSummaries": page });
    if end < all.len() {
        out["nextToken"] = json!(token(end));
    }
    Ok(out)
}

const PROFILE_IDENTIFIER_PATTERN: &str = "(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):(inference-profile|application-inference-profile)/)?[a-zA-Z0-9-:.]+";

fn profile_identifier_ok(id: &str) -> bool {
    use std::sync::OnceLock;
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re =
        RE.get_or_init(|| regex::Regex::new(&format!("^(?:{PROFILE_IDENTIFIER_PATTERN})$")).ok());
    (1..=2048).contains(&id.len()) && re.as_ref().is_some_and(|r| r.is_match(id))
}

fn get_inference_profile(
    caller: Caller<'_>,
    id: &str,
    params: &[(String, String)],
) -> Result<Value, Rejection> {
    check_identifier(
        id,
        "inferenceProfileIdentifier",
        PROFILE_IDENTIFIER_PATTERN,
        profile_identifier_ok(id),
        params,
    )?;
    if let Some(app) = find_application(caller, id) {
        if let Some(v) = application_json(caller, app) {
            return Ok(v);
        }
    }
    // An ARN names the profile after `inference-profile/`; an ARN of another region names
    // a profile that is not in this one.
    let profile_id = match id.strip_prefix("arn:") {
        Some(rest) => {
            let region = rest.split(':').nth(2).unwrap_or("");
            match rest.split_once(":inference-profile/") {
                Some((_, name)) if region.is_empty() || region == caller.region => Some(name),
                _ => None,
            }
        }
        None => Some(id),
    };
    profile_id
        .and_then(|pid| profiles(caller).into_iter().find(|p| p.id() == pid))
        .map(|p| p.to_json(caller))
        .ok_or_else(|| {
            // ResourceNotFoundException is the operation's modeled not-found error; the
            // message is the emulator's own (AWS's text is not documented).
            (
                AwsError::new(
                    404,
                    "ResourceNotFoundException",
                    format!("Inference profile {id} not found."),
                ),
                outcome::NOT_FOUND,
            )
        })
}

/// The application profile an identifier names in the caller's region: its id, or its ARN
/// (`arn:{partition}:bedrock:{region}:{account}:application-inference-profile/{id}`) of the
/// emulator's account ([`ACCOUNT`]): another account's profile is not the caller's (see
/// [`application_arn`]).
fn find_application<'a>(caller: Caller<'a>, id: &str) -> Option<&'a ApplicationProfileSpec> {
    let app_id = match id.strip_prefix("arn:") {
        Some(_) => {
            let arn = application_arn(id)?;
            if arn.region != caller.region || !arn.is_own_account() {
                return None;
            }
            arn.id
        }
        None => id,
    };
    caller.applications.iter().find(|a| a.id == app_id)
}

/// The parts of an application-inference-profile ARN.
pub struct ApplicationArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub id: &'a str,
}

impl ApplicationArn<'_> {
    /// Whether the ARN names a profile of the emulator's account. An application profile
    /// belongs to the account that made it, and AWS refuses another account's (the exact
    /// text is unconfirmed: no AWS page or report gives it, so the emulator answers as for
    /// an unknown profile: GetInferenceProfile 404, the runtime "The provided model
    /// identifier is invalid.").
    pub fn is_own_account(&self) -> bool {
        self.account == ACCOUNT
    }
}

/// The region, account and id of an application-inference-profile ARN
/// (`arn:aws…:bedrock:{region}:{account}:application-inference-profile/{id}`, each part in
/// its place: `…:foundation-model/x:application-inference-profile/{id}` or another service's
/// ARN is none).
pub fn application_arn(arn: &str) -> Option<ApplicationArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("bedrock"), Some(region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if !partition.starts_with("aws") {
        return None;
    }
    let id = parts
        .next()?
        .strip_prefix("application-inference-profile/")?;
    Some(ApplicationArn {
        region,
        account,
        id,
    })
}

/// The source model of an application profile's `model_source`, with whether it is a
/// system-defined profile.
fn application_target(app: &ApplicationProfileSpec) -> Option<(&'static ModelInfo, bool)> {
    match models::target(&app.model_source, &[])? {
        Target::Catalog { info, via_profile } => Some((info, via_profile)),
        Target::Other(_) => None,
    }
}

fn application_json(caller: Caller<'_>, app: &ApplicationProfileSpec) -> Option<Value> {
    let (info, via_profile) = application_target(app)?;
    let models = if via_profile {
        let prefix = models::profile_prefix(&app.model_source)?;
        let prefix = models::PROFILE_PREFIXES
            .iter()
            .copied()
            .find(|p| *p == prefix)?;
        Profile { prefix, info }.to_json(caller)["models"].clone()
    } else {
        json!([{ "modelArn": caller.model_arn(&info.id) }])
    };
    Some(json!({
        "inferenceProfileName": app.name,
        "inferenceProfileArn": format!(
            "arn:{}:bedrock:{}:{ACCOUNT}:application-inference-profile/{}",
            caller.partition(), caller.region, app.id),
        "models": models,
        "inferenceProfileId": app.id,
        "status": "ACTIVE",
        "type": "APPLICATION",
    }))
}

/// What the runtime invokes for an application profile ARN of the configuration: its
/// `model_source` (whose catalog rules then apply). `None` for anything else, and for an
/// ARN of another region than the request's signing region (`region`; `None`: a request
/// without SigV4, e.g. an API key, whose region the emulator cannot know, is not checked):
/// Bedrock answers such an ARN "The provided model identifier is invalid." as it does an
/// unknown id (earendil-works/pi#5527: an application-profile ARN of us-west-2 called
/// through a us-east-1 client), and GetInferenceProfile here answers 404 for it.
pub fn application_source<'a>(
    applications: &'a [ApplicationProfileSpec],
    model_id: &str,
    region: Option<&str>,
) -> Option<&'a str> {
    let arn = application_arn(model_id)?;
    if region.is_some_and(|r| r != arn.region) || !arn.is_own_account() {
        return None;
    }
    let id = arn.id;
    applications
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.model_source.as_str())
}

/// Checks the configured application profiles: ids of letters and digits (AWS makes 12),
/// unique; names of InferenceProfileName's form; each source a model or system-defined
/// profile of the catalog.
pub fn validate_application_profiles(apps: &[ApplicationProfileSpec]) -> Result<(), String> {
    for (i, a) in apps.iter().enumerate() {
        if a.id.is_empty() || a.id.len() > 64 || !a.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!(
                "application profile id {:?}: 1 to 64 letters and digits",
                a.id
            ));
        }
        if apps[..i].iter().any(|b| b.id == a.id) {
            return Err(format!("application profile id {:?} given twice", a.id));
        }
        let name_ok = (1..=64).contains(&a.name.len())
            && a.name
                .split([' ', '_', '-'])
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !name_ok {
            return Err(format!(
                "application profile name {:?}: ([0-9a-zA-Z][ _-]?)+, at most 64",
                a.name
            ));
        }
        if application_target(a).is_none() {
            return Err(format!(
                "application profile {}: model_source {:?} is not a model or system-defined profile of the catalog",
                a.id, a.model_source
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Probe (red team): an identifier with `:application-inference-profile/{id}` anywhere
    /// (another resource's ARN, another service's) invoked that profile's source.
    #[test]
    fn only_well_formed_arns_name_an_application_profile() {
        let apps = [ApplicationProfileSpec {
            id: "a1b2c3".into(),
            name: "app".into(),
            model_source: "amazon.nova-lite-v1:0".into(),
        }];
        let ok =
            format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3");
        assert_eq!(
            application_source(&apps, &ok, Some("us-east-1")),
            Some("amazon.nova-lite-v1:0")
        );
        for hostile in [
            format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:foundation-model/x:application-inference-profile/a1b2c3"),
            format!("arn:aws:s3:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"),
            format!("arn:evil:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"),
            format!("xarn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"),
            format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:x:application-inference-profile/a1b2c3"),
            format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/application-inference-profile/a1b2c3"),
            "arn:aws:bedrock:us-east-1".to_string(),
            ":application-inference-profile/a1b2c3".to_string(),
        ] {
            assert!(application_arn(&hostile).is_none(), "{hostile}");
            assert_eq!(application_source(&apps, &hostile, Some("us-east-1")), None, "{hostile}");
        }
    }

    use super::*;

    const US: Caller<'static> = Caller {
        region: "us-east-1",
        applications: &[],
    };
    const EU: Caller<'static> = Caller {
        region: "eu-west-1",
        applications: &[],
    };

    fn ok(op: Op, caller: Caller<'_>, query: &str) -> Value {
        handle(&op, caller, query).unwrap_or_else(|(e, _)| panic!("{e:?}"))
    }

    fn err(op: Op, caller: Caller<'_>, query: &str) -> AwsError {
        handle(&op, caller, query).unwrap_err().0
    }

    fn ids(v: &Value, list: &str, key: &str) -> Vec<String> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m[key].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn routes() {
        assert_eq!(
            match_path(&["foundation-models"]),
            Some(Op::ListFoundationModels)
        );
        assert_eq!(
            match_path(&[
                "inference-profiles",
                "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x"
            ]),
            Some(Op::GetInferenceProfile(
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.x".into()
            ))
        );
        assert_eq!(match_path(&["foundation-models", "a", "b"]), None);
    }

    #[test]
    fn lists_the_catalog_without_eol_models() {
        let v = ok(Op::ListFoundationModels, US, "");
        let listed = ids(&v, "modelSummaries", "modelId");
        let expected: Vec<String> = models::table()
            .iter()
            .filter(|m| m.lifecycle != Lifecycle::Eol)
            .filter(|m| {
                m.speech
                    .as_ref()
                    .is_none_or(|s| s.regions.iter().any(|r| r == "us-east-1"))
            })
            .map(|m| m.id.clone())
            .collect();
        assert_eq!(listed, expected);
        assert!(!listed
            .iter()
            .any(|id| id == "anthropic.claude-3-haiku-20240307-v1:0"));
        let sonnet = v["modelSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["modelId"] == "anthropic.claude-sonnet-4-6")
            .unwrap();
        assert_eq!(
            sonnet["modelArn"],
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"
        );
        assert_eq!(sonnet["providerName"], "Anthropic");
        assert_eq!(
            sonnet["inferenceTypesSupported"],
            json!(["INFERENCE_PROFILE"])
        );
        assert_eq!(sonnet["modelLifecycle"], json!({"status": "ACTIVE"}));
        assert_eq!(sonnet["outputModalities"], json!(["TEXT"]));
        assert!(sonnet.get("inputModalities").is_none());
    }

    #[test]
    fn filters() {
        let q = |query: &str| {
            ids(
                &ok(Op::ListFoundationModels, US, query),
                "modelSummaries",
                "modelId",
            )
        };
        let anthropic = q("byProvider=anthropic");
        assert!(!anthropic.is_empty());
        assert!(anthropic.iter().all(|id| id.starts_with("anthropic.")));
        assert_eq!(q("byProvider=Anthropic"), anthropic);
        let mistral = q("byProvider=Mistral%20AI");
        assert!(!mistral.is_empty() && mistral.iter().all(|id| id.starts_with("mistral.")));
        assert_eq!(q("byProvider=mistral"), mistral);
        assert!(q("byProvider=nobody").is_empty());
        let on_demand = q("byInferenceType=ON_DEMAND");
        assert!(on_demand.contains(&"amazon.nova-pro-v1:0".to_string()));
        assert!(!on_demand.contains(&"anthropic.claude-sonnet-4-6".to_string()));
        assert!(q("byInferenceType=PROVISIONED").is_empty());
        assert!(q("byCustomizationType=FINE_TUNING").is_empty());
        let text = q("byOutputModality=TEXT");
        assert!(!text.iter().any(|id| id.contains("sonic")), "{text:?}");
        assert!(q("byOutputModality=IMAGE").is_empty());
        let e = err(
            Op::ListFoundationModels,
            US,
            "byOutputModality=AUDIO&byInferenceType=BATCH",
        );
        assert_eq!(e.status, 400);
        assert_eq!(e.message, "2 validation errors detected: Value 'AUDIO' at 'byOutputModality' failed to satisfy constraint: Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]; Value 'BATCH' at 'byInferenceType' failed to satisfy constraint: Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]");
        let e = err(Op::ListFoundationModels, US, "byProvider=a.b");
        assert!(e.message.contains("at 'byProvider'"), "{}", e.message);
        let e = err(Op::ListFoundationModels, US, "projectIdentifier=p1");
        assert_eq!(e.error_type, "ValidationException");
        assert!(
            ok(Op::ListFoundationModels, US, "projectIdentifier=default")["modelSummaries"]
                .as_array()
                .unwrap()
                .len()
                > 10
        );
    }

    #[test]
    fn get_model_by_id_or_arn_and_unknown_ids() {
        let id = "anthropic.claude-opus-4-1-20250805-v1:0";
        let v = ok(Op::GetFoundationModel(id.into()), EU, "");
        let d = &v["modelDetails"];
        assert_eq!(d["modelId"], id);
        assert_eq!(
            d["modelArn"],
            format!("arn:aws:bedrock:eu-west-1::foundation-model/{id}")
        );
        assert_eq!(d["modelLifecycle"]["status"], "LEGACY");
        assert_eq!(d["modelLifecycle"]["endOfLifeTime"], "2027-01-08T00:00:00Z");
        let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{id}");
        assert_eq!(
            ok(Op::GetFoundationModel(arn), US, "")["modelDetails"]["modelId"],
            id
        );
        for unknown in [
            "anthropic.claude-9",
            "anthropic.claude-3-haiku-20240307-v1:0", // EOL
            "us.anthropic.claude-sonnet-4-6",         // a profile, not a model
        ] {
            let e = err(Op::GetFoundationModel(unknown.into()), US, "");
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (400, "ValidationException")
            );
            assert_eq!(
                e.message,
                format!("Could not find model with identifier {unknown}")
            );
        }
        let e = err(Op::GetFoundationModel("Not A Model".into()), US, "");
        assert!(
            e.message.starts_with(
                "1 validation error detected: Value 'Not A Model' at 'modelIdentifier'"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn speech_models_are_in_region_only() {
        let sonic = models::table()
            .iter()
            .find(|m| m.speech.is_some() && m.lifecycle != Lifecycle::Eol)
            .unwrap();
        let region = sonic.speech.as_ref().unwrap().regions[0].clone();
        let here = Caller {
            region: &region,
            applications: &[],
        };
        let v = ok(Op::GetFoundationModel(sonic.id.clone()), here, "");
        assert!(v["modelDetails"].get("outputModalities").is_none());
        let nowhere = Caller {
            region: "xx-none-1",
            applications: &[],
        };
        assert!(handle(&Op::GetFoundationModel(sonic.id.clone()), nowhere, "").is_err());
        let a = ok(
            Op::GetFoundationModelAvailability(sonic.id.clone()),
            nowhere,
            "",
        );
        assert_eq!(a["regionAvailability"], "NOT_AVAILABLE");
        let a = ok(
            Op::GetFoundationModelAvailability(sonic.id.clone()),
            here,
            "",
        );
        assert_eq!(a["regionAvailability"], "AVAILABLE");
        assert_eq!(a["authorizationStatus"], "AUTHORIZED");
    }

    #[test]
    fn profiles_follow_the_region_and_page() {
        let us = ids(
            &ok(Op::ListInferenceProfiles, US, ""),
            "inferenceProfileSummaries",
            "inferenceProfileId",
        );
        assert!(us.contains(&"us.anthropic.claude-sonnet-4-6".to_string()));
        assert!(us.contains(&"global.anthropic.claude-sonnet-4-6".to_string()));
        assert!(
            !us.iter()
                .any(|p| p.starts_with("eu.") || p.starts_with("jp.")),
            "{us:?}"
        );
        // EOL models have no profile any more.
        assert!(!us.iter().any(|p| p.contains("claude-3-7-sonnet")));
        let eu = ids(
            &ok(Op::ListInferenceProfiles, EU, ""),
            "inferenceProfileSummaries",
            "inferenceProfileId",
        );
        assert!(eu.contains(&"eu.anthropic.claude-sonnet-4-6".to_string()));
        assert!(!eu.iter().any(|p| p.starts_with("us.")));
        let gov = ids(
            &ok(
                Op::ListInferenceProfiles,
                Caller {
                    region: "us-gov-west-1",
                    applications: &[],
                },
                "",
            ),
            "inferenceProfileSummaries",
            "inferenceProfileId",
        );
        assert!(!gov.iter().any(|p| p.starts_with("global.")));

        let mut paged = Vec::new();
        let mut query = "maxResults=7".to_string();
        loop {
            let v = ok(Op::ListInferenceProfiles, US, &query);
            let page = ids(&v, "inferenceProfileSummaries", "inferenceProfileId");
            assert!(page.len() <= 7);
            paged.extend(page);
            match v.get("nextToken").and_then(Value::as_str) {
                Some(t) => query = format!("maxResults=7&nextToken={t}"),
                None => break,
            }
        }
        assert_eq!(paged, us);
        assert_eq!(
            ids(
                &ok(Op::ListInferenceProfiles, US, "type=SYSTEM_DEFINED"),
                "inferenceProfileSummaries",
                "inferenceProfileId"
            ),
            us
        );
        assert!(
            ok(Op::ListInferenceProfiles, US, "type=APPLICATION")["inferenceProfileSummaries"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let e = err(Op::ListInferenceProfiles, US, "maxResults=0");
        assert_eq!(e.message, "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1");
        assert!(err(Op::ListInferenceProfiles, US, "maxResults=1001")
            .message
            .contains("less than or equal to 1000"));
        assert!(err(Op::ListInferenceProfiles, US, "type=USER")
            .message
            .contains("[SYSTEM_DEFINED, APPLICATION]"));
        assert_eq!(
            err(Op::ListInferenceProfiles, US, "nextToken=bogus").status,
            400
        );
    }

    #[test]
    fn get_profile_by_id_or_arn() {
        let v = ok(
            Op::GetInferenceProfile("us.anthropic.claude-sonnet-4-6".into()),
            US,
            "",
        );
        assert_eq!(v["inferenceProfileName"], "US Anthropic Claude Sonnet 4.6");
        assert_eq!(v["inferenceProfileArn"], format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-6"));
        assert_eq!(
            v["models"],
            json!([{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"}])
        );
        assert_eq!(
            (v["status"].as_str(), v["type"].as_str()),
            (Some("ACTIVE"), Some("SYSTEM_DEFINED"))
        );
        let arn = v["inferenceProfileArn"].as_str().unwrap().to_string();
        assert_eq!(
            ok(Op::GetInferenceProfile(arn), US, "")["inferenceProfileId"],
            "us.anthropic.claude-sonnet-4-6"
        );
        let g = ok(
            Op::GetInferenceProfile("global.anthropic.claude-sonnet-4-6".into()),
            US,
            "",
        );
        assert_eq!(
            g["inferenceProfileName"],
            "Global Anthropic Claude Sonnet 4.6"
        );
        assert_eq!(
            g["models"][0]["modelArn"],
            "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"
        );
        for missing in [
            "eu.anthropic.claude-sonnet-4-6", // not from us-east-1
            "us.anthropic.claude-9",
            "anthropic.claude-sonnet-4-6",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
            "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
        ] {
            let e = err(Op::GetInferenceProfile(missing.into()), US, "");
            assert_eq!((e.status, e.error_type.as_str()), (404, "ResourceNotFoundException"), "{missing}");
        }
        let e = err(Op::GetInferenceProfile("bad id!".into()), US, "");
        assert_eq!(e.status, 400);
    }

    fn app(id: &str, name: &str, source: &str) -> ApplicationProfileSpec {
        ApplicationProfileSpec {
            id: id.into(),
            name: name.into(),
            model_source: source.into(),
        }
    }

    #[test]
    fn application_profiles() {
        let apps = [
            app(
                "a1b2c3d4e5f6",
                "front desk",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            ),
            app(
                "novaapp00001",
                "nova-lite",
                "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
            ),
        ];
        validate_application_profiles(&apps).unwrap();
        let caller = Caller {
            region: "us-east-1",
            applications: &apps,
        };
        let arn = format!(
            "arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
        );
        for id in ["a1b2c3d4e5f6", arn.as_str()] {
            let v = ok(Op::GetInferenceProfile(id.into()), caller, "");
            assert_eq!(v["type"], "APPLICATION");
            assert_eq!(v["inferenceProfileArn"], arn);
            assert_eq!(v["inferenceProfileName"], "front desk");
            assert_eq!(
                v["models"][0]["modelArn"],
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"
            );
        }
        let nova = ok(Op::GetInferenceProfile("novaapp00001".into()), caller, "");
        assert_eq!(
            nova["models"],
            json!([{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"}])
        );
        let listed = ok(Op::ListInferenceProfiles, caller, "type=APPLICATION");
        assert_eq!(
            ids(&listed, "inferenceProfileSummaries", "inferenceProfileId"),
            ["a1b2c3d4e5f6", "novaapp00001"]
        );
        let all = ids(
            &ok(Op::ListInferenceProfiles, caller, ""),
            "inferenceProfileSummaries",
            "inferenceProfileId",
        );
        assert_eq!(all.last().map(String::as_str), Some("novaapp00001"));
        let system = ids(
            &ok(Op::ListInferenceProfiles, caller, "type=SYSTEM_DEFINED"),
            "inferenceProfileSummaries",
            "inferenceProfileId",
        );
        assert_eq!(system.len() + 2, all.len());
        // Another region's ARN names nothing here.
        let west = arn.replace("us-east-1", "us-west-2");
        assert_eq!(
            err(Op::GetInferenceProfile(west.clone()), caller, "").status,
            404
        );
        for region in [Some("us-east-1"), None] {
            assert_eq!(
                application_source(&apps, &arn, region),
                Some("us.anthropic.claude-haiku-4-5-20251001-v1:0")
            );
        }
        // The runtime agrees: another region's ARN names nothing for a us-east-1 signer.
        assert_eq!(application_source(&apps, &west, Some("us-east-1")), None);
        assert_eq!(
            application_source(&apps, &west, Some("us-west-2")),
            Some("us.anthropic.claude-haiku-4-5-20251001-v1:0")
        );
        assert_eq!(application_source(&apps, "a1b2c3d4e5f6", None), None);
        // Another account's ARN of the same id names nothing here either.
        let foreign = arn.replace(ACCOUNT, "210987654321");
        assert_eq!(
            err(Op::GetInferenceProfile(foreign.clone()), caller, "").status,
            404
        );
        for region in [Some("us-east-1"), None] {
            assert_eq!(application_source(&apps, &foreign, region), None);
        }

        for bad in [
            app("has.dot", "x", "amazon.nova-lite-v1:0"),
            app("ok1", "bad.name", "amazon.nova-lite-v1:0"),
            app("ok1", "x", "anthropic.claude-9"),
        ] {
            assert!(validate_application_profiles(&[bad]).is_err());
        }
        assert!(validate_application_profiles(&[apps[0].clone(), apps[0].clone()]).is_err());
    }
}
