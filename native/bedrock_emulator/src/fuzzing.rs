//! Entry points for the fuzz targets of native/fuzz (`emulator_request`); not an API.
//! They run the request parsers and the validator exactly as the routes do.

use crate::error::AwsError;

/// Parses and validates a request body: a Converse / ConverseStream body, or (`invoke`) an
/// Anthropic Messages body for InvokeModel. Returns the last user text on success.
pub fn parse_request(body: &[u8], invoke: bool) -> Result<String, AwsError> {
    let conv = if invoke {
        crate::request::parse_anthropic(body)?
    } else {
        // The service model's constraints first, as the Converse route checks them.
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
            let none = |_: &str| None;
            let http = crate::request::shape::HttpParts {
                labels: &[("modelId", "us.anthropic.claude-haiku-4-5-20251001-v1:0")],
                header: &none,
            };
            crate::request::shape::check_operation("Converse", &http, Some(&json))?;
        }
        crate::request::parse_converse(body)?
    };
    Ok(conv.last_user_text())
}
