//! AWS-style errors returned before a stream starts: HTTP status, `x-amzn-ErrorType` header
//! and a `{"message": ...}` JSON body, as Bedrock Runtime sends them.

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    /// Value of `x-amzn-ErrorType`, e.g. `ValidationException`.
    pub error_type: String,
    pub message: String,
}

impl AwsError {
    pub fn new(status: u16, error_type: &str, message: impl Into<String>) -> Self {
        AwsError {
            status,
            error_type: error_type.to_string(),
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    pub fn invalid_model() -> Self {
        Self::validation("The provided model identifier is invalid.")
    }

    /// A model past its end of life (Bedrock: 404 ResourceNotFoundException).
    pub fn end_of_life() -> Self {
        Self::new(
            404,
            "ResourceNotFoundException",
            "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
        )
    }

    /// A profile-only model called by its base id. Bedrock's text has a typographic
    /// apostrophe (U+2019) in "isn’t", as SDK error messages show it.
    pub fn on_demand_not_supported(model_id: &str) -> Self {
        Self::validation(format!(
            "Invocation of model ID {model_id} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        ))
    }

    /// Builds the error named `name` (an exception name or an HTTP status) with Bedrock's
    /// default message; `None` when the name is unknown.
    pub fn named(name: &str, message: Option<&str>) -> Option<Self> {
        let name = name.trim();
        let (status, error_type, default_message) = match name.parse::<u16>() {
            Ok(code) => by_status(code)?,
            Err(_) => by_name(name)?,
        };
        Some(Self::new(
            status,
            error_type,
            message.unwrap_or(default_message),
        ))
    }

    pub fn body(&self) -> String {
        serde_json::json!({ "message": self.message }).to_string()
    }
}

type Known = (u16, &'static str, &'static str);

const KNOWN: &[Known] = &[
    (
        400,
        "ValidationException",
        "Malformed input request, please reformat your input and try again.",
    ),
    (
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    (
        404,
        "ResourceNotFoundException",
        "The requested resource could not be found.",
    ),
    (
        408,
        "ModelTimeoutException",
        "Model has timed out in processing the request. Try your request again.",
    ),
    (
        429,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    ),
    (
        429,
        "ModelNotReadyException",
        "Model is not ready to serve inference requests. Try again later.",
    ),
    (
        424,
        "ModelErrorException",
        "The model encountered an error while processing the request.",
    ),
    (
        424,
        "ModelStreamErrorException",
        "The model encountered an error while streaming the response.",
    ),
    (
        500,
        "InternalServerException",
        "The server encountered an internal error while processing the request.",
    ),
    (
        503,
        "ServiceUnavailableException",
        "Bedrock is unable to process your request.",
    ),
    (
        400,
        "ServiceQuotaExceededException",
        "Your request exceeds the service quota for your account.",
    ),
];

fn by_name(name: &str) -> Option<Known> {
    let lower = name.to_ascii_lowercase();
    let wanted = match lower.as_str() {
        "throttle" | "throttling" | "throttled" => "throttlingexception",
        "validation" => "validationexception",
        "access_denied" | "accessdenied" => "accessdeniedexception",
        "not_found" | "notfound" => "resourcenotfoundexception",
        "timeout" | "model_timeout" => "modeltimeoutexception",
        "not_ready" | "model_not_ready" => "modelnotreadyexception",
        "model_error" => "modelerrorexception",
        "internal" | "internal_server" => "internalserverexception",
        "unavailable" | "service_unavailable" => "serviceunavailableexception",
        other => other,
    };
    KNOWN
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(wanted))
        .copied()
}

fn by_status(code: u16) -> Option<Known> {
    if let Some(k) = KNOWN.iter().find(|(s, _, _)| *s == code) {
        return Some(*k);
    }
    match code {
        500..=599 => Some((code, "InternalServerException", KNOWN[8].2)),
        400..=499 => Some((code, "ValidationException", KNOWN[0].2)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_statuses() {
        assert_eq!(AwsError::named("throttle", None).unwrap().status, 429);
        assert_eq!(
            AwsError::named("503", None).unwrap().error_type,
            "ServiceUnavailableException"
        );
        assert_eq!(
            AwsError::named("ModelErrorException", None).unwrap().status,
            424
        );
        assert!(AwsError::named("nope", None).is_none());
    }
}
