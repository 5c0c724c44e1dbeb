//! The emulator's model table (`data/models.json`, with a source per model) and model
//! identifier resolution: base ids, geographic/global inference profiles, ARNs, context
//! suffixes, and the lifecycle / on-demand rules Bedrock applies to them.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::AwsError;

/// Lifecycle state (AWS model lifecycle: Active, Legacy, EOL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    Active,
    Legacy,
    Eol,
}

/// Which extended-thinking forms a model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Thinking {
    #[serde(rename = "none")]
    None,
    /// `{"type": "enabled", "budget_tokens": N}` only.
    #[serde(rename = "budget")]
    Budget,
    /// `{"type": "adaptive"}` only.
    #[serde(rename = "adaptive")]
    Adaptive,
    #[serde(rename = "budget+adaptive")]
    BudgetAndAdaptive,
}

/// Sampling parameters a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// temperature, top_p and top_k, together or not.
    Any,
    /// temperature or top_p, not both.
    One,
    /// none of temperature, top_p, top_k.
    None,
}

/// One row of `data/models.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub profiles: Vec<String>,
    pub on_demand: bool,
    pub mantle_id: Option<String>,
    pub messages_native: bool,
    pub lifecycle: Lifecycle,
    pub eol_date: Option<String>,
    pub thinking: Thinking,
    /// Whether a final assistant turn (prefill) is accepted; the Claude 4.6 family and later
    /// reject it. Absent in the table = accepted.
    #[serde(default = "accepted")]
    pub prefill: bool,
    pub sampling: Sampling,
    pub cache_min_tokens: Option<u64>,
    /// The most output tokens a request may ask for (`max_tokens` / `maxTokens`).
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    pub count_tokens: bool,
    pub verified: bool,
    /// Set for speech-to-speech models (Nova Sonic): served on the bidirectional stream only.
    #[serde(default)]
    pub speech: Option<SpeechInfo>,
}

/// What the bidirectional route needs to know of a speech-to-speech model.
#[derive(Debug, Clone, Deserialize)]
pub struct SpeechInfo {
    /// In-Region only: the regions that serve the base id.
    pub regions: Vec<String>,
    /// Takes `textInput` from the user.
    pub text_input: bool,
    /// Takes `turnDetectionConfiguration.endpointingSensitivity`.
    pub endpointing: bool,
}

fn accepted() -> bool {
    true
}

#[derive(Deserialize)]
struct Table {
    models: Vec<ModelInfo>,
}

const TABLE_JSON: &str = include_str!("../../data/models.json");

/// Every model the emulator knows.
pub fn table() -> &'static [ModelInfo] {
    static TABLE: OnceLock<Vec<ModelInfo>> = OnceLock::new();
    TABLE.get_or_init(|| match serde_json::from_str::<Table>(TABLE_JSON) {
        Ok(t) => t.models,
        // The file is compiled in and checked by a unit test; an empty table would only
        // make every model unknown.
        Err(_) => Vec::new(),
    })
}

/// Looks a base model id up.
pub fn find(id: &str) -> Option<&'static ModelInfo> {
    table().iter().find(|m| m.id == id)
}

/// Looks a bedrock-mantle model id up.
pub fn find_mantle(id: &str) -> Option<&'static ModelInfo> {
    table().iter().find(|m| m.mantle_id.as_deref() == Some(id))
}

/// Geographic and global inference-profile prefixes.
pub const PROFILE_PREFIXES: &[&str] = &["us-gov", "global", "us", "eu", "apac", "au", "jp", "ca"];

/// The geographic profile prefix a model identifier is called through (`eu` for
/// `eu.anthropic...` or an `inference-profile/eu.anthropic...` ARN), `None` for anything else.
pub fn profile_prefix(model_id: &str) -> Option<&str> {
    let name = match model_id.strip_prefix("arn:") {
        Some(rest) => rest.split_once(":inference-profile/")?.1,
        None => model_id,
    };
    let (prefix, _) = name.split_once('.')?;
    PROFILE_PREFIXES.iter().copied().find(|p| *p == prefix)
}

/// Whether the geographic inference profile `prefix` may be called from `region` (the SigV4
/// credential scope's region, the Bedrock "source Region"). Bedrock answers a profile called
/// from outside its geography with 400 "The provided model identifier is invalid."
/// (github.com/anomalyco/opencode/issues/16747, github.com/anthropics/claude-code/issues/11489).
/// The geographies are AWS's own: aws-cdk's `CrossRegionInferenceProfileRegion` and
/// `getRegionsForGeoArea` (packages/@aws-cdk/aws-bedrock-alpha/bedrock/inference-profiles/
/// cross-region-inference-profile.ts, citing docs.aws.amazon.com/bedrock/latest/userguide/
/// inference-profiles-support.html): `us` = `us-` regions of the commercial partition, `eu` =
/// `eu-`, `apac` = `ap-` and `me-` (the APAC profile includes me-central-1), `jp` =
/// ap-northeast-1 / ap-northeast-3, `au` = ap-southeast-2 / ap-southeast-4, `us-gov` = the
/// GovCloud regions. The exact source Regions vary per model (AWS's model cards); the emulator
/// checks the geography only, so it never refuses a call Bedrock would serve for some model.
/// `global` (source Regions per model, all commercial Regions as destinations) and `ca` (no
/// AWS source found) are not checked.
pub fn profile_serves_region(prefix: &str, region: &str) -> bool {
    match prefix {
        "us" => region.starts_with("us-") && !region.starts_with("us-gov-"),
        "us-gov" => region.starts_with("us-gov-"),
        "eu" => region.starts_with("eu-"),
        "apac" => region.starts_with("ap-") || region.starts_with("me-"),
        "jp" => matches!(region, "ap-northeast-1" | "ap-northeast-3"),
        "au" => matches!(region, "ap-southeast-2" | "ap-southeast-4"),
        _ => true,
    }
}

/// What a model identifier names.
#[derive(Debug, Clone)]
pub enum Target {
    /// A catalog model, called through a profile (`via_profile`) or its base id.
    Catalog {
        info: &'static ModelInfo,
        via_profile: bool,
    },
    /// A model id given in `extra_models`, or an ARN of a resource the emulator does not
    /// model (application inference profile, provisioned / custom / imported model),
    /// treated as an Anthropic model with no catalog rules.
    Other(String),
}

impl Target {
    pub fn info(&self) -> Option<&'static ModelInfo> {
        match self {
            Target::Catalog { info, .. } => Some(info),
            Target::Other(_) => None,
        }
    }

    pub fn is_anthropic(&self) -> bool {
        match self {
            Target::Catalog { info, .. } => info.provider == "anthropic",
            Target::Other(id) => id.starts_with("anthropic.") || id.starts_with("arn:"),
        }
    }

    /// The native InvokeModel body of a model of the table whose body is neither Converse's nor
    /// Anthropic's: Meta Llama, the Mistral models AWS's text-completion page lists (with their
    /// default `max_tokens`), Amazon Titan Text, OpenAI's gpt-oss and DeepSeek-R1.
    pub fn prompt_body(&self) -> Option<PromptBody> {
        let Target::Catalog { info, .. } = self else {
            return None;
        };
        match info.id.as_str() {
            _ if info.provider == "meta" => Some(PromptBody::Llama),
            "mistral.mistral-7b-instruct-v0:2" | "mistral.mixtral-8x7b-instruct-v0:1" => {
                Some(PromptBody::MistralText {
                    default_max_tokens: 512,
                })
            }
            _ if info.id.starts_with("amazon.titan-text-") => Some(PromptBody::TitanText),
            _ if info.provider == "openai" => Some(PromptBody::OpenAiChat),
            // AWS's model-parameters-deepseek page documents R1's text completion body.
            "deepseek.r1-v1:0" => Some(PromptBody::DeepSeek),
            "mistral.mistral-large-2402-v1:0" | "mistral.mistral-small-2402-v1:0" => {
                Some(PromptBody::MistralText {
                    default_max_tokens: 8192,
                })
            }
            _ => None,
        }
    }

    /// An Amazon Nova text model of the table (not Nova Sonic), whose InvokeModel body is
    /// Converse's schema.
    pub fn is_nova_text(&self) -> bool {
        match self {
            Target::Catalog { info, .. } => {
                info.id.starts_with("amazon.nova-") && !info.id.contains("sonic")
            }
            Target::Other(_) => false,
        }
    }

    /// The id Anthropic reports as `model` (`claude-3-haiku-20240307`).
    pub fn anthropic_name(&self) -> String {
        match self {
            Target::Catalog { info, .. } => anthropic_name(&info.id),
            Target::Other(id) => anthropic_name(id),
        }
    }
}

/// Splits `base:NNNk` context-window variants (`...-v1:0:200k`).
fn strip_context_suffix(id: &str) -> &str {
    match id.rsplit_once(':') {
        Some((base, suffix))
            if suffix.len() > 1
                && suffix.ends_with('k')
                && suffix[..suffix.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => id,
    }
}

fn lookup(id: &str, extra: &[String]) -> Option<Result<&'static ModelInfo, String>> {
    if extra.iter().any(|e| e == id) {
        return Some(Err(id.to_string()));
    }
    let base = strip_context_suffix(id);
    if extra.iter().any(|e| e == base) {
        return Some(Err(id.to_string()));
    }
    find(base).map(Ok)
}

/// Resolves a model identifier to what it names, without the lifecycle / throughput checks
/// (see [`check_invocable`]). `None`: not a valid identifier.
pub fn target(model_id: &str, extra: &[String]) -> Option<Target> {
    if model_id.is_empty() || model_id.len() > 2048 {
        return None;
    }
    if let Some(rest) = model_id.strip_prefix("arn:") {
        return target_arn(model_id, rest, extra);
    }
    match lookup(model_id, extra) {
        Some(Ok(info)) => {
            return Some(Target::Catalog {
                info,
                via_profile: false,
            })
        }
        Some(Err(other)) => return Some(Target::Other(other)),
        None => {}
    }
    let (prefix, base) = model_id.split_once('.')?;
    if !PROFILE_PREFIXES.contains(&prefix) {
        return None;
    }
    match lookup(base, extra)? {
        Ok(info) if info.profiles.iter().any(|p| p == prefix) => Some(Target::Catalog {
            info,
            via_profile: true,
        }),
        Ok(_) => None,
        Err(other) => Some(Target::Other(format!("{prefix}.{other}"))),
    }
}

fn target_arn(full: &str, rest: &str, extra: &[String]) -> Option<Target> {
    // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    let resource = parts.next()?;
    if !partition.starts_with("aws") || service != "bedrock" {
        return None;
    }
    let (kind, name) = resource.split_once('/')?;
    match kind {
        "foundation-model" => match lookup(name, extra)? {
            Ok(info) => Some(Target::Catalog {
                info,
                via_profile: false,
            }),
            Err(other) => Some(Target::Other(other)),
        },
        "inference-profile" if !name.starts_with("arn:") && name.contains('.') => {
            match target(name, extra)? {
                Target::Catalog { info, via_profile } if via_profile => {
                    Some(Target::Catalog { info, via_profile })
                }
                Target::Other(o) => Some(Target::Other(o)),
                Target::Catalog { .. } => None,
            }
        }
        "application-inference-profile"
        | "provisioned-model"
        | "custom-model"
        | "imported-model"
        | "custom-model-deployment"
            if !name.is_empty() =>
        {
            Some(Target::Other(full.to_string()))
        }
        _ => None,
    }
}

/// Bedrock's answer to a model that cannot be invoked as named on the text routes: a
/// speech-to-speech model (400), an EOL model (404) or a profile-only model called by its
/// base id (400).
pub fn check_invocable(model_id: &str, target: &Target) -> Result<(), AwsError> {
    let Target::Catalog { info, via_profile } = target else {
        return Ok(());
    };
    // Speech-to-speech models answer on InvokeModelWithBidirectionalStream only.
    if info.speech.is_some() {
        return Err(AwsError::validation(
            "This action doesn't support the model that you provided. Try again with a supported model.",
        ));
    }
    if info.lifecycle == Lifecycle::Eol {
        return Err(AwsError::end_of_life());
    }
    if !via_profile && !info.on_demand {
        return Err(AwsError::on_demand_not_supported(
            model_id.strip_prefix("arn:").map_or(model_id, |_| &info.id),
        ));
    }
    Ok(())
}

/// Resolves a model identifier to its base model id (`None` when unknown); the old
/// resolution entry point, kept for the fuzz target and tools.
pub fn resolve(model_id: &str, extra: &[String]) -> Option<String> {
    target(model_id, extra).map(|t| match t {
        Target::Catalog { info, .. } => info.id.clone(),
        Target::Other(id) => id,
    })
}

/// The model name Anthropic reports in its responses (`claude-3-haiku-20240307`).
pub fn anthropic_name(resolved: &str) -> String {
    let base = resolved.strip_prefix("anthropic.").unwrap_or(resolved);
    match base.rfind("-v") {
        Some(i) if base[i + 2..].starts_with(|c: char| c.is_ascii_digit()) => base[..i].to_string(),
        _ => base.to_string(),
    }
}

/// A native InvokeModel body that is neither Converse's nor Anthropic's (request/prompt_body.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptBody {
    /// Meta Llama: `prompt`, `max_gen_len`, ...; reply `generation`.
    Llama,
    /// Mistral AI text completion: `prompt`, `max_tokens`, `stop`, ...; reply `outputs`.
    MistralText { default_max_tokens: i64 },
    /// Amazon Titan Text: `inputText`, `textGenerationConfig`; reply `results`.
    TitanText,
    /// OpenAI's gpt-oss: an OpenAI chat completion body (`messages`); reply a chat
    /// completion object (`choices`).
    OpenAiChat,
    /// DeepSeek-R1 text completion: `prompt`, `max_tokens`, `stop`, ...; reply
    /// `choices[{text, stop_reason}]`.
    DeepSeek,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_with_unique_ids() {
        let t = table();
        assert!(t.len() > 40, "{}", t.len());
        let mut ids: Vec<&str> = t.iter().map(|m| m.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), t.len());
        assert!(find("anthropic.claude-opus-4-7").unwrap().messages_native);
    }

    #[test]
    fn resolves_ids_profiles_and_arns() {
        let id = "anthropic.claude-3-haiku-20240307-v1:0";
        assert_eq!(resolve(id, &[]).as_deref(), Some(id));
        assert_eq!(resolve(&format!("us.{id}"), &[]).as_deref(), Some(id));
        assert!(
            resolve(&format!("global.{id}"), &[]).is_none(),
            "no global profile"
        );
        assert_eq!(resolve(&format!("{id}:200k"), &[]).as_deref(), Some(id));
        let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{id}");
        assert_eq!(resolve(&arn, &[]).as_deref(), Some(id));
        let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{id}");
        assert_eq!(resolve(&arn, &[]).as_deref(), Some(id));
        assert!(resolve("anthropic.claude-9", &[]).is_none());
        assert!(resolve("xx.anthropic.claude-3-haiku-20240307-v1:0", &[]).is_none());
        assert_eq!(anthropic_name(id), "claude-3-haiku-20240307");
        assert_eq!(
            resolve("us.my-model", &["my-model".to_string()]).as_deref(),
            Some("us.my-model")
        );
    }

    #[test]
    fn profile_geography_against_the_signing_region() {
        let id = "anthropic.claude-sonnet-4-6";
        assert_eq!(profile_prefix(&format!("eu.{id}")), Some("eu"));
        assert_eq!(profile_prefix(&format!("us-gov.{id}")), Some("us-gov"));
        assert_eq!(profile_prefix(id), None);
        assert_eq!(profile_prefix("xx.anthropic.claude-sonnet-4-6"), None);
        let arn = format!("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{id}");
        assert_eq!(profile_prefix(&arn), Some("eu"));
        let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{id}");
        assert_eq!(profile_prefix(&arn), None);
        for (prefix, ok, refused) in [
            (
                "us",
                &["us-east-1", "us-west-2", "us-east-2"][..],
                &["eu-west-1", "us-gov-west-1", "ap-northeast-1"][..],
            ),
            (
                "eu",
                &["eu-west-1", "eu-central-1", "eu-north-1"],
                &["us-east-1", "ap-southeast-2"],
            ),
            (
                "apac",
                &["ap-northeast-1", "ap-south-1", "me-central-1"],
                &["us-east-1", "eu-west-3"],
            ),
            (
                "jp",
                &["ap-northeast-1", "ap-northeast-3"],
                &["ap-northeast-2", "us-east-1"],
            ),
            (
                "au",
                &["ap-southeast-2", "ap-southeast-4"],
                &["ap-southeast-1", "eu-west-1"],
            ),
            (
                "us-gov",
                &["us-gov-west-1", "us-gov-east-1"],
                &["us-east-1"],
            ),
            ("global", &["us-east-1", "eu-west-1", "ap-northeast-1"], &[]),
        ] {
            for r in ok {
                assert!(profile_serves_region(prefix, r), "{prefix} from {r}");
            }
            for r in refused {
                assert!(!profile_serves_region(prefix, r), "{prefix} from {r}");
            }
        }
    }

    #[test]
    fn lifecycle_and_on_demand_rules() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let t = target(sonnet, &[]).unwrap();
        let err = check_invocable(sonnet, &t).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.message.contains(sonnet), "{}", err.message);
        let t = target(&format!("global.{sonnet}"), &[]).unwrap();
        assert!(check_invocable("x", &t).is_ok());
        let haiku35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
        let err = check_invocable(haiku35, &target(haiku35, &[]).unwrap()).unwrap_err();
        assert_eq!(
            (err.status, err.error_type.as_str()),
            (404, "ResourceNotFoundException")
        );
    }
}
