//! Entry points for the fuzz targets of native/fuzz (`emulator_request`); not an API.
//! They run the request parsers and the validator exactly as the routes do.

use crate::error::AwsError;

/// Parses and validates a request body: a Converse / ConverseStream body, or (`invoke`) an
/// Anthropic Messages body for InvokeModel. Returns the last user text on success.
pub fn parse_request(body: &[u8], invoke: bool) -> Result<String, AwsError> {
    let conv = if invoke {
        crate::request::parse_anthropic(body)?
    } else {
        crate::request::parse_converse(body)?
    };
    Ok(conv.last_user_text())
}
