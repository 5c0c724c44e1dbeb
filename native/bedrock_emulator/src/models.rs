//! Known Bedrock model ids and model-identifier resolution (inference profiles, ARNs).

/// Foundation model ids Bedrock Runtime accepts (text models with Converse support).
pub const KNOWN_MODELS: &[&str] = &[
    "anthropic.claude-instant-v1",
    "anthropic.claude-v2",
    "anthropic.claude-v2:1",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "anthropic.claude-3-opus-20240229-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "amazon.nova-micro-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.nova-pro-v1:0",
    "amazon.nova-premier-v1:0",
    "amazon.nova-2-lite-v1:0",
    "amazon.titan-text-express-v1",
    "amazon.titan-text-lite-v1",
    "amazon.titan-text-premier-v1:0",
    "meta.llama3-8b-instruct-v1:0",
    "meta.llama3-70b-instruct-v1:0",
    "meta.llama3-1-8b-instruct-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "meta.llama3-1-405b-instruct-v1:0",
    "meta.llama3-2-1b-instruct-v1:0",
    "meta.llama3-2-3b-instruct-v1:0",
    "meta.llama3-2-11b-instruct-v1:0",
    "meta.llama3-2-90b-instruct-v1:0",
    "meta.llama3-3-70b-instruct-v1:0",
    "meta.llama4-scout-17b-instruct-v1:0",
    "meta.llama4-maverick-17b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "mistral.mistral-small-2402-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "mistral.pixtral-large-2502-v1:0",
    "cohere.command-r-v1:0",
    "cohere.command-r-plus-v1:0",
    "ai21.jamba-1-5-mini-v1:0",
    "ai21.jamba-1-5-large-v1:0",
    "deepseek.r1-v1:0",
    "writer.palmyra-x4-v1:0",
    "writer.palmyra-x5-v1:0",
    "openai.gpt-oss-20b-1:0",
    "openai.gpt-oss-120b-1:0",
    "qwen.qwen3-32b-v1:0",
];

/// Cross-region inference profile prefixes.
pub const PROFILE_PREFIXES: &[&str] = &["us.", "eu.", "apac.", "au.", "jp.", "us-gov.", "global."];

/// Resolves a model identifier to the underlying foundation model id.
///
/// Accepts a known id, an id with a context suffix (`...-v1:0:200k`), an inference profile id
/// (`us.anthropic...`), or an ARN (`foundation-model/...`, `inference-profile/...`;
/// `application-inference-profile`, `provisioned-model`, `custom-model` and
/// `imported-model` ARNs resolve to themselves and are treated as Anthropic models).
pub fn resolve(model_id: &str, extra: &[String]) -> Option<String> {
    if model_id.is_empty() || model_id.len() > 2048 {
        return None;
    }
    if let Some(rest) = model_id.strip_prefix("arn:") {
        return resolve_arn(model_id, rest, extra);
    }
    if is_known(model_id, extra) {
        return Some(model_id.to_string());
    }
    for prefix in PROFILE_PREFIXES {
        if let Some(base) = model_id.strip_prefix(prefix) {
            if is_known(base, extra) {
                return Some(base.to_string());
            }
        }
    }
    None
}

fn is_known(id: &str, extra: &[String]) -> bool {
    if KNOWN_MODELS.contains(&id) || extra.iter().any(|e| e == id) {
        return true;
    }
    // Context-window variants such as `anthropic.claude-3-haiku-20240307-v1:0:200k`.
    match id.rsplit_once(':') {
        Some((base, suffix)) if suffix.ends_with('k') && suffix.len() > 1 => {
            suffix[..suffix.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_digit())
                && (KNOWN_MODELS.contains(&base) || extra.iter().any(|e| e == base))
        }
        _ => false,
    }
}

fn resolve_arn(full: &str, rest: &str, extra: &[String]) -> Option<String> {
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
        "foundation-model" if is_known(name, extra) => Some(name.to_string()),
        "inference-profile" => resolve(name, extra).filter(|_| !name.starts_with("arn:")),
        "application-inference-profile"
        | "provisioned-model"
        | "custom-model"
        | "imported-model"
        | "custom-model-deployment"
            if !name.is_empty() =>
        {
            Some(full.to_string())
        }
        _ => None,
    }
}

/// True when the model speaks the Anthropic Messages format on InvokeModel.
pub fn is_anthropic(resolved: &str) -> bool {
    resolved.starts_with("anthropic.") || resolved.starts_with("arn:")
}

/// The model name Anthropic reports in its responses (`claude-3-haiku-20240307`).
pub fn anthropic_name(resolved: &str) -> String {
    let base = resolved.strip_prefix("anthropic.").unwrap_or(resolved);
    match base.rfind("-v") {
        Some(i) if base[i + 2..].starts_with(|c: char| c.is_ascii_digit()) => base[..i].to_string(),
        _ => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_ids_profiles_and_arns() {
        let id = "anthropic.claude-3-haiku-20240307-v1:0";
        assert_eq!(resolve(id, &[]).as_deref(), Some(id));
        assert_eq!(resolve(&format!("us.{id}"), &[]).as_deref(), Some(id));
        assert_eq!(resolve(&format!("global.{id}"), &[]).as_deref(), Some(id));
        assert_eq!(
            resolve(&format!("{id}:200k"), &[]).as_deref(),
            Some(&*format!("{id}:200k"))
        );
        let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{id}");
        assert_eq!(resolve(&arn, &[]).as_deref(), Some(id));
        let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{id}");
        assert_eq!(resolve(&arn, &[]).as_deref(), Some(id));
        assert!(resolve("anthropic.claude-9", &[]).is_none());
        assert!(resolve("xx.anthropic.claude-3-haiku-20240307-v1:0", &[]).is_none());
        assert_eq!(anthropic_name(id), "claude-3-haiku-20240307");
    }
}
