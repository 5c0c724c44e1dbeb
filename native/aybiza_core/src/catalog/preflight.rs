//! Pre-flight rules: what Bedrock would reject, rejected (or fixed) before any network.
//!
//! Applied by the engine to every Converse / ConverseStream / InvokeModel* request, and by
//! the Elixir client before it builds one. Ids the catalog does not know pass through (the
//! catalog can lag Bedrock, and application inference profiles or provisioned models carry no
//! model name); only their grammar is checked.
//!
//! Rules, in order:
//! 1. grammar of the id (see [`super::ids::check_model_id`]);
//! 2. lifecycle: an EOL model fails with `model_end_of_life` naming the replacement;
//! 3. the API: a model not served on the requested API fails;
//! 4. profiles: a profile id must be callable from the configured region; a base id that
//!    Bedrock serves only through an inference profile (no on-demand region) is **rewritten**
//!    to the profile that serves the region (the geographic one first, which keeps data in the
//!    geography, then the global one); when none serves the region the call fails naming the
//!    profiles;
//! 5. sampling: `temperature` and `top_p` together on a model that forbids the pair, or any of
//!    `temperature` / `top_p` / `top_k` on a model that takes none (Claude Opus 4.7 and later);
//! 6. thinking: `thinking.type` `enabled` (budget) or `adaptive` on a model without it.

use super::data::Catalog;
use super::error::CatalogError;
use super::ids::{check_model_id, ResolvedModel};
use super::spec::{Api, LifecycleState};
use std::sync::Arc;

/// The facts of a request the rules look at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFacts {
    pub temperature: bool,
    pub top_p: bool,
    pub top_k: bool,
    /// `thinking.type` when the request asks for thinking (`enabled`, `adaptive`, `disabled`).
    pub thinking_type: Option<String>,
}

impl RequestFacts {
    /// Reads `temperature` / `top_p` / `top_k` / `thinking` from an Anthropic Messages body
    /// (InvokeModel body or `additionalModelRequestFields`): keys `top_k`, `thinking.type`.
    pub fn read_anthropic_fields(&mut self, fields: &serde_json::Value) {
        let Some(obj) = fields.as_object() else {
            return;
        };
        let set = |k: &str| obj.get(k).is_some_and(|v| !v.is_null());
        self.temperature |= set("temperature");
        self.top_p |= set("top_p");
        self.top_k |= set("top_k");
        if let Some(t) = obj
            .get("thinking")
            .and_then(|t| t.get("type"))
            .and_then(|t| t.as_str())
        {
            self.thinking_type = Some(t.to_string());
        }
    }
}

/// What the rules decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    /// The id to send: the input, or the profile id it was rewritten to.
    pub model_id: String,
    /// Set when the base id was rewritten to an inference profile.
    pub rewritten_from: Option<String>,
    /// The catalog entry, when the id is known.
    pub resolved: Option<Arc<ResolvedModel>>,
    /// The lifecycle state on the day of the check.
    pub state: LifecycleState,
}

impl Catalog {
    /// The lifecycle rule alone, for operations that name a model but send no inference
    /// request (runtime CountTokens): a model past end of life on `today` is refused with a
    /// dated [`CatalogError::EndOfLife`]; models unknown to the catalog are Bedrock's to judge.
    pub fn check_lifecycle(&self, model_id: &str, today: &str) -> Result<(), CatalogError> {
        let Ok(resolved) = self.resolve_shared(model_id) else {
            return Ok(());
        };
        let spec = &resolved.spec;
        if spec.lifecycle_state(today) == LifecycleState::Eol {
            return Err(CatalogError::EndOfLife {
                model_id: spec.id.clone(),
                eol_date: spec.lifecycle.eol_date.clone(),
                replacement: spec.lifecycle.replacement.clone(),
            });
        }
        Ok(())
    }

    /// Applies the pre-flight rules to a request for `model_id` on `api`, sent from `region`,
    /// on `today` (`YYYY-MM-DD`).
    pub fn preflight(
        &self,
        model_id: &str,
        api: Api,
        region: &str,
        facts: &RequestFacts,
        today: &str,
    ) -> Result<Preflight, CatalogError> {
        check_model_id(model_id).map_err(CatalogError::InvalidModelId)?;
        let resolved = match self.resolve_shared(model_id) {
            Ok(r) => r,
            // Unknown to the catalog: Bedrock decides. Every other error is ours to report.
            Err(CatalogError::UnknownModel { .. }) => {
                return Ok(Preflight {
                    model_id: model_id.to_string(),
                    rewritten_from: None,
                    resolved: None,
                    state: LifecycleState::Active,
                })
            }
            Err(e) => return Err(e),
        };
        let spec = &resolved.spec;
        let state = spec.lifecycle_state(today);
        if state == LifecycleState::Eol {
            return Err(CatalogError::EndOfLife {
                model_id: spec.id.clone(),
                eol_date: spec.lifecycle.eol_date.clone(),
                replacement: spec.lifecycle.replacement.clone(),
            });
        }
        if spec.is_speech() && api != Api::Bidirectional {
            return Err(CatalogError::Rejected {
                field: "modelId".into(),
                message: format!(
                    "{} is a speech-to-speech model: Bedrock serves it only on \
                     InvokeModelWithBidirectionalStream, not on the {} API; open a session \
                     with Aybiza.Bedrock.Sonic.start_session/1",
                    spec.id,
                    api.as_str()
                ),
            });
        }
        if !spec.serves(api) {
            let served: Vec<&str> = spec.apis.iter().map(|a| a.as_str()).collect();
            return Err(CatalogError::Rejected {
                field: "modelId".into(),
                message: format!(
                    "{} is not served on the {} API (served on: {})",
                    spec.id,
                    api.as_str(),
                    served.join(", ")
                ),
            });
        }
        let (model_id, rewritten_from) = self.endpoint_for(&resolved, region)?;
        check_sampling_and_thinking(&resolved, facts)?;
        Ok(Preflight {
            model_id,
            rewritten_from,
            resolved: Some(resolved),
            state,
        })
    }

    /// The id to send from `region`: profile ids must be callable there; profile-only base ids
    /// become the profile that serves the region.
    fn endpoint_for(
        &self,
        r: &ResolvedModel,
        region: &str,
    ) -> Result<(String, Option<String>), CatalogError> {
        // An ARN names its own region and account: Bedrock decides.
        if r.model_id.starts_with("arn:") {
            return Ok((r.model_id.clone(), None));
        }
        if let Some(p) = &r.profile {
            let def = &self.profiles[p];
            if !def.callable_from(region) {
                return Err(CatalogError::ProfileNotCallable {
                    model_id: r.spec.id.clone(),
                    profile: p.clone(),
                    region: region.to_string(),
                    source_regions: def.regions.clone(),
                });
            }
            return Ok((r.model_id.clone(), None));
        }
        if r.spec.in_region(region) {
            return Ok((r.model_id.clone(), None));
        }
        match self.profile_for(&r.spec.profiles, region) {
            Some(p) => Ok((format!("{p}.{}", r.spec.id), Some(r.model_id.clone()))),
            // On demand in other regions: Bedrock answers for regions the catalog may lag.
            None if !r.spec.regions.is_empty() => Ok((r.model_id.clone(), None)),
            None => Err(CatalogError::Rejected {
                field: "modelId".into(),
                message: format!(
                    "{} is served only through an inference profile, and none of its profiles \
                     ({}) can be called from region {region}",
                    r.spec.id,
                    r.spec.profiles.join(", ")
                ),
            }),
        }
    }

    /// The profile of `offered` to use from `region`: a geographic one first (smallest
    /// source-region set, so `jp` beats `apac`), then a global one.
    pub fn profile_for(&self, offered: &[String], region: &str) -> Option<String> {
        let mut geo: Vec<(usize, &String)> = offered
            .iter()
            .filter_map(|p| self.profiles.get(p).map(|d| (p, d)))
            .filter(|(_, d)| !d.global && d.callable_from(region))
            .map(|(p, d)| (d.regions.len(), p))
            .collect();
        geo.sort();
        if let Some((_, p)) = geo.first() {
            return Some((*p).clone());
        }
        offered
            .iter()
            .find(|p| {
                self.profiles
                    .get(*p)
                    .is_some_and(|d| d.global && d.callable_from(region))
            })
            .cloned()
    }
}

fn check_sampling_and_thinking(
    r: &ResolvedModel,
    facts: &RequestFacts,
) -> Result<(), CatalogError> {
    let caps = &r.spec.capabilities;
    let id = &r.spec.id;
    if !caps.accepts_sampling {
        let set: Vec<&str> = [
            ("temperature", facts.temperature),
            ("top_p", facts.top_p),
            ("top_k", facts.top_k),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect();
        if !set.is_empty() {
            return Err(CatalogError::Rejected {
                field: set.join(", "),
                message: format!(
                    "{id} takes no sampling parameters (temperature, top_p, top_k); remove them"
                ),
            });
        }
    } else if facts.temperature && facts.top_p && !caps.accepts_temperature_and_top_p {
        return Err(CatalogError::Rejected {
            field: "temperature, top_p".into(),
            message: format!(
                "`temperature` and `top_p` cannot both be specified for {id}; use only one"
            ),
        });
    }
    match facts.thinking_type.as_deref() {
        None | Some("disabled") => Ok(()),
        Some("enabled") if caps.thinking_budget => Ok(()),
        Some("adaptive") if caps.thinking_adaptive => Ok(()),
        Some(kind @ ("enabled" | "adaptive")) => {
            let supported: Vec<&str> = [
                ("enabled", caps.thinking_budget),
                ("adaptive", caps.thinking_adaptive),
            ]
            .into_iter()
            .filter_map(|(k, on)| on.then_some(k))
            .collect();
            Err(CatalogError::Rejected {
                field: "thinking.type".into(),
                message: if supported.is_empty() {
                    format!("{id} does not support extended thinking")
                } else {
                    format!(
                        "{id} does not support thinking type {kind:?} (supported: {})",
                        supported.join(", ")
                    )
                },
            })
        }
        Some(other) => Err(CatalogError::Rejected {
            field: "thinking.type".into(),
            message: format!("{other:?} is not a thinking type (enabled, adaptive, disabled)"),
        }),
    }
}

/// The pre-flight rules on a decoded Converse request, on the global catalog and today's
/// date: rewrites `model_id` when a profile is needed, errors as the engine reports them.
pub fn check_converse(
    req: &mut crate::request::ConverseRequest,
    region: &str,
) -> Result<Preflight, crate::error::Error> {
    check_converse_shaped(req, Api::Converse, region)
}

/// The same rules for a Converse-shaped request sent on the Anthropic Messages API (the
/// mantle endpoint then names the model by its mantle id, whatever profile this picks).
pub fn check_messages(
    req: &mut crate::request::ConverseRequest,
    region: &str,
) -> Result<Preflight, crate::error::Error> {
    check_converse_shaped(req, Api::Messages, region)
}

fn check_converse_shaped(
    req: &mut crate::request::ConverseRequest,
    api: Api,
    region: &str,
) -> Result<Preflight, crate::error::Error> {
    let mut facts = RequestFacts::default();
    if let Some(c) = &req.inference_config {
        facts.temperature = c.temperature.is_some();
        facts.top_p = c.top_p.is_some();
    }
    if let Some(fields) = &req.additional_model_request_fields {
        facts.read_anthropic_fields(fields);
    }
    let pf = super::catalog().preflight(&req.model_id, api, region, &facts, &super::today_utc())?;
    req.model_id.clone_from(&pf.model_id);
    Ok(pf)
}

/// The lifecycle rule on a runtime CountTokens request (its model id is sent as given:
/// CountTokens takes base ids, so no profile is picked).
pub fn check_count_tokens(model_id: &str) -> Result<(), crate::error::Error> {
    super::catalog().check_lifecycle(model_id, &super::today_utc())?;
    Ok(())
}

/// The pre-flight rules on a decoded InvokeModel request. Sampling and thinking are read from
/// Anthropic Messages bodies (other providers' bodies have their own shapes).
pub fn check_invoke(
    req: &mut crate::request::InvokeRequest,
    region: &str,
) -> Result<Preflight, crate::error::Error> {
    let mut facts = RequestFacts::default();
    if crate::request::is_anthropic_model(&req.model_id) {
        facts.read_anthropic_fields(&req.body);
    }
    let pf = super::catalog().preflight(
        &req.model_id,
        Api::Invoke,
        region,
        &facts,
        &super::today_utc(),
    )?;
    req.model_id.clone_from(&pf.model_id);
    Ok(pf)
}
