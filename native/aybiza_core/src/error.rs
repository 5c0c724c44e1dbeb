//! The one error type shared by every layer. It crosses into Elixir as a tagged term and
//! becomes `%Aybiza.Error{}`; `reason()` names the atom.

use serde::Serialize;

/// Where in a call the failure happened: before any event reached the caller, or after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    BeforeStream,
    MidStream,
}

/// Why a call failed. Each variant maps to one `Aybiza.Error` reason atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Throttled,
    ModelNotReady,
    ServiceUnavailable,
    InternalServer,
    Validation,
    AccessDenied,
    ModelNotFound,
    ModelTimeout,
    ModelError,
    ModelStreamError,
    QuotaExceeded,
    ExpiredCredentials,
    InvalidCredentials,
    Timeout,
    ConnectTimeout,
    FirstByteTimeout,
    IdleTimeout,
    Connect,
    Protocol,
    Cancelled,
    InvalidRequest,
    InvalidRegion,
    InvalidEndpoint,
    InvalidConfig,
    UnknownModel,
    /// The model reached end of life on Bedrock (checked before any network).
    ModelEndOfLife,
    /// A bounded input queue is full (e.g. a Nova Sonic session's audio input).
    Overloaded,
    Internal,
}

impl ErrorKind {
    /// The Elixir reason atom.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "throttled",
            ErrorKind::ModelNotReady => "model_not_ready",
            ErrorKind::ServiceUnavailable => "service_unavailable",
            ErrorKind::InternalServer => "internal_server",
            ErrorKind::Validation => "validation",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::ModelTimeout => "model_timeout",
            ErrorKind::ModelError => "model_error",
            ErrorKind::ModelStreamError => "model_stream_error",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::ExpiredCredentials => "expired_credentials",
            ErrorKind::InvalidCredentials => "invalid_credentials",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::FirstByteTimeout => "first_byte_timeout",
            ErrorKind::IdleTimeout => "idle_timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::InvalidRegion => "invalid_region",
            ErrorKind::InvalidEndpoint => "invalid_endpoint",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::UnknownModel => "unknown_model",
            ErrorKind::ModelEndOfLife => "model_end_of_life",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::Internal => "internal",
        }
    }

    /// Whether trying again (same or another model/region) can succeed. The policy layer
    /// decides what to do; this is only the fact about the failure.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled
                | ErrorKind::ModelNotReady
                | ErrorKind::ServiceUnavailable
                | ErrorKind::InternalServer
                | ErrorKind::ModelTimeout
                | ErrorKind::ModelStreamError
                | ErrorKind::Timeout
                | ErrorKind::ConnectTimeout
                | ErrorKind::FirstByteTimeout
                | ErrorKind::IdleTimeout
                | ErrorKind::Connect
                | ErrorKind::Protocol
                | ErrorKind::Overloaded
        )
    }

    /// Maps an AWS error code (`x-amzn-ErrorType` / `:exception-type`) to a kind.
    pub fn from_aws_code(code: &str) -> ErrorKind {
        // Codes arrive as "ThrottlingException", "throttlingException" or with a ":" suffix.
        let code = code.split(':').next().unwrap_or(code);
        match code.to_ascii_lowercase().as_str() {
            "throttlingexception" | "toomanyrequestsexception" => ErrorKind::Throttled,
            "modelnotreadyexception" => ErrorKind::ModelNotReady,
            "serviceunavailableexception" => ErrorKind::ServiceUnavailable,
            "internalserverexception" | "internalfailure" => ErrorKind::InternalServer,
            "validationexception" => ErrorKind::Validation,
            "accessdeniedexception" => ErrorKind::AccessDenied,
            "unrecognizedclientexception" | "invalidsignatureexception" => {
                ErrorKind::InvalidCredentials
            }
            "expiredtokenexception" => ErrorKind::ExpiredCredentials,
            "resourcenotfoundexception" => ErrorKind::ModelNotFound,
            "modeltimeoutexception" => ErrorKind::ModelTimeout,
            "modelerrorexception" => ErrorKind::ModelError,
            "modelstreamerrorexception" => ErrorKind::ModelStreamError,
            "servicequotaexceededexception" => ErrorKind::QuotaExceeded,
            _ => ErrorKind::Internal,
        }
    }
}

/// What a stream had already delivered when it failed mid-stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub chars: u64,
    pub sentences: u64,
    /// The text the caller already received (sentences and the unfinished tail), so a
    /// recovery can continue from where the caller is without repeating anything.
    pub text: String,
}

/// An error with everything the caller and the policy layer need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.reason())]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub phase: Phase,
    pub request_id: Option<String>,
    pub delivered: Option<Delivered>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            code: None,
            status: None,
            phase: Phase::BeforeStream,
            request_id: None,
            delivered: None,
        }
    }

    pub fn invalid_request(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = if path.is_empty() {
            message
        } else {
            format!("{path}: {message}")
        };
        Error::new(ErrorKind::InvalidRequest, message)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn mid_stream(mut self, delivered: Delivered) -> Self {
        self.phase = Phase::MidStream;
        self.delivered = Some(delivered);
        self
    }

    pub fn retryable(&self) -> bool {
        self.kind.retryable()
    }
}

/// A service's error message, safe to show. AWS's answer to a signature mismatch goes on
/// with the canonical request it expected ("The Canonical String for this request should
/// have been ..."), whose signed headers include `x-amz-security-token`: the caller's
/// session token; a bearer header echoed back holds an API key. Everything from the first
/// such part on is withheld; control characters become spaces; at most `max` characters
/// are kept.
pub fn service_message(message: &str, max: usize) -> String {
    const WITHHELD: [&str; 10] = [
        "bearer ",
        "the canonical string",
        "canonical request",
        "the string-to-sign",
        "string to sign",
        "x-amz-security-token",
        "authorization:",
        "credential=",
        "signature=",
        "awsaccesskeyid",
    ];
    let lower = message.to_ascii_lowercase();
    let cut = WITHHELD
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(message.len());
    // `lower` has the same byte offsets as `message` (ASCII case change only).
    let kept = message[..cut].trim_end();
    let mut out: String = kept
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut < message.len() {
        out.push_str(" (details withheld: they can hold credentials)");
    } else if kept.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_codes_map_to_kinds_case_insensitively() {
        assert_eq!(
            ErrorKind::from_aws_code("ThrottlingException"),
            ErrorKind::Throttled
        );
        assert_eq!(
            ErrorKind::from_aws_code("throttlingException"),
            ErrorKind::Throttled
        );
        assert_eq!(
            ErrorKind::from_aws_code("ValidationException:http://internal.amazon.com/"),
            ErrorKind::Validation
        );
        assert_eq!(
            ErrorKind::from_aws_code("modelStreamErrorException"),
            ErrorKind::ModelStreamError
        );
        assert_eq!(
            ErrorKind::from_aws_code("ResourceNotFoundException"),
            ErrorKind::ModelNotFound
        );
        assert_eq!(ErrorKind::from_aws_code("Whatever"), ErrorKind::Internal);
    }

    #[test]
    fn retryability_follows_the_failure() {
        assert!(ErrorKind::Throttled.retryable());
        assert!(ErrorKind::ModelStreamError.retryable());
        assert!(!ErrorKind::Validation.retryable());
        assert!(!ErrorKind::AccessDenied.retryable());
        assert!(!ErrorKind::Cancelled.retryable());
    }

    #[test]
    fn invalid_request_names_the_path() {
        let e = Error::invalid_request("messages[2].content[0].image.format", "unknown format");
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e
            .to_string()
            .contains("messages[2].content[0].image.format: unknown format"));
    }

    #[test]
    fn service_messages_withhold_the_canonical_request_and_credentials() {
        let token = "FwoGZXIvYXdzEXAMPLETOKENMARKER";
        let aws = format!(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method.\n\nThe Canonical String for \
             this request should have been\n'POST\n/model/x/converse\n\nhost:bedrock\n\
             x-amz-security-token:{token}\n'\n\nThe String-to-Sign should have been\n'AWS4'"
        );
        let shown = service_message(&aws, 1024);
        assert!(!shown.contains(token), "{shown}");
        assert!(shown.starts_with("The request signature we calculated does not match"));
        assert!(shown.contains("withheld"));
        for m in [
            format!("bad x-amz-security-token: {token}"),
            format!(
                "Authorization: AWS4-HMAC-SHA256 Credential=AKIDMARKER/2026, Signature={token}"
            ),
            format!("<AWSAccessKeyId>AKIDMARKER</AWSAccessKeyId> {token}"),
            format!("invalid API key: Bearer {token}"),
        ] {
            let shown = service_message(&m, 1024);
            assert!(
                !shown.contains(token) && !shown.contains("AKIDMARKER"),
                "{shown}"
            );
        }
        assert_eq!(
            service_message("Too many requests", 1024),
            "Too many requests"
        );
        assert_eq!(service_message("a\nb", 1024), "a b");
        assert_eq!(service_message("abcdef", 3), "abc…");
    }
}
