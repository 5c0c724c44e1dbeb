//! Errors of the catalog layer.

use thiserror::Error;

/// Everything that can go wrong when resolving ids, pricing usage or routing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogError {
    /// The id matches no model, profile, ARN or alias. `suggestions` holds the closest known ids
    /// (edit distance), best first.
    #[error("unknown model id {id:?}{}", suggestion_text(.suggestions))]
    UnknownModel {
        id: String,
        suggestions: Vec<String>,
    },
    /// The model exists but is not offered under that inference profile prefix.
    #[error("model {model_id} is not offered under the {profile:?} inference profile (offered: {offered:?})")]
    ProfileNotOffered {
        model_id: String,
        profile: String,
        offered: Vec<String>,
    },
    /// The id does not follow Bedrock's model id / inference profile id / ARN grammar
    /// (checked before any lookup or network).
    #[error("invalid model id: {0}")]
    InvalidModelId(String),
    /// The model reached end of life on Bedrock: every call would fail.
    #[error("model {model_id} reached end of life on Bedrock{}{}", eol_text(.eol_date), replacement_text(.replacement))]
    EndOfLife {
        model_id: String,
        eol_date: Option<String>,
        replacement: Option<String>,
    },
    /// The inference profile cannot be called from the configured region.
    #[error("the {profile:?} inference profile of {model_id} cannot be called from region {region} (source regions: {})", .source_regions.join(", "))]
    ProfileNotCallable {
        model_id: String,
        profile: String,
        region: String,
        source_regions: Vec<String>,
    },
    /// The request breaks a rule of the model that Bedrock would reject with a 400.
    #[error("{field}: {message}")]
    Rejected { field: String, message: String },
    /// The catalog data (embedded file or overrides) is malformed.
    #[error("invalid catalog data: {0}")]
    InvalidData(String),
    /// No candidate model has the required capabilities (retrying will not help).
    #[error("no capable model: {0}")]
    NoCapableModel(String),
    /// Capable models exist but none is reachable: not offered near the region, or every
    /// candidate is behind an open circuit breaker (may succeed later).
    #[error("no model available: {0}")]
    NoModelAvailable(String),
}

impl CatalogError {
    /// The reason atom used on the Elixir side (`Aybiza.Error.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            CatalogError::UnknownModel { .. } => "unknown_model",
            CatalogError::ProfileNotOffered { .. } => "unknown_model",
            CatalogError::InvalidModelId(_) => "invalid_request",
            CatalogError::EndOfLife { .. } => "model_end_of_life",
            CatalogError::ProfileNotCallable { .. } => "invalid_request",
            CatalogError::Rejected { .. } => "invalid_request",
            CatalogError::InvalidData(_) => "invalid_config",
            CatalogError::NoCapableModel(_) => "invalid_request",
            CatalogError::NoModelAvailable(_) => "service_unavailable",
        }
    }
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean one of: {}", suggestions.join(", "))
    }
}

fn eol_text(date: &Option<String>) -> String {
    date.as_ref()
        .map(|d| format!(" on {d}"))
        .unwrap_or_default()
}

fn replacement_text(replacement: &Option<String>) -> String {
    match replacement {
        Some(r) => format!("; use {r} instead"),
        None => String::new(),
    }
}
