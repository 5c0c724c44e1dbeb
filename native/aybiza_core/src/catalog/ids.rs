//! Model id resolution: versioned and unversioned ids, inference profile ids (`us.`, `eu.`,
//! `apac.`, `au.`, `jp.`, `us-gov.`, `global.`), foundation-model and inference-profile ARNs,
//! friendly aliases, and the non-existent ids of our design documents (deprecated aliases).

use super::data::Catalog;
use super::error::CatalogError;
use super::spec::ModelSpec;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Spellings of model ids [`Catalog::resolve_shared`] keeps: the ids a deployment calls are
/// few, and a caller cycling through spellings (case, profiles, whitespace) stops filling the
/// cache here instead of growing it.
pub const RESOLVE_CACHE_MAX: usize = 256;

/// The resolved ids of one catalog. A catalog is immutable once built (overrides build a new
/// one), so an entry never goes stale; a clone of the catalog starts empty.
#[derive(Default)]
pub struct ResolveCache(RwLock<HashMap<String, Arc<ResolvedModel>>>);

impl Clone for ResolveCache {
    fn clone(&self) -> Self {
        ResolveCache::default()
    }
}

impl std::fmt::Debug for ResolveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResolveCache")
    }
}

/// A model id resolved against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// What the caller passed.
    pub input: String,
    /// What to send to Bedrock as `modelId`: the ARN when an ARN was given, else the profile id
    /// (`us.anthropic...`) or the base id.
    pub model_id: String,
    /// The versioned foundation model id.
    pub base_model_id: String,
    /// Inference profile prefix (`us`, `global` ...), `None` for the in-region base id.
    pub profile: Option<String>,
    /// Region named by an ARN, if any.
    pub region: Option<String>,
    pub spec: ModelSpec,
    /// Set when `input` was an alias: the alias itself (the name resolved *from*).
    pub alias_of: Option<String>,
    /// The alias is a name from our design documents that does not exist on Bedrock: callers
    /// should log a one-time warning and switch to `model_id`.
    pub deprecated_alias: bool,
    /// Price percent of this endpoint (100, or 100 + regional premium off the global profile).
    pub price_percent: u32,
    /// The base id cannot be invoked on demand in any region: send it with a profile.
    pub needs_profile: bool,
}

impl Catalog {
    /// Resolves any accepted form of model id. Unknown ids fail with the closest known ids.
    pub fn resolve(&self, id: &str) -> Result<ResolvedModel, CatalogError> {
        self.resolve_with(id, true)
    }

    /// Like [`Catalog::resolve`] without computing suggestions for unknown ids (for hot
    /// paths that only need to know whether the catalog has the model).
    pub fn resolve_quiet(&self, id: &str) -> Result<ResolvedModel, CatalogError> {
        self.resolve_with(id, false)
    }

    /// Like [`Catalog::resolve_quiet`], shared: a known id is resolved once per catalog (the
    /// first sentence's path resolves the same id twice per call, in `stream/2`'s API choice
    /// and in the start's pre-flight; each resolve copied the whole [`ModelSpec`]). Errors are
    /// not kept: they are computed again on each call.
    pub fn resolve_shared(&self, id: &str) -> Result<Arc<ResolvedModel>, CatalogError> {
        let read = |c: &HashMap<String, Arc<ResolvedModel>>| c.get(id).cloned();
        if let Some(hit) = read(&self.resolved.0.read().unwrap_or_else(|e| e.into_inner())) {
            return Ok(hit);
        }
        let resolved = Arc::new(self.resolve_with(id, false)?);
        let mut cache = self.resolved.0.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() < RESOLVE_CACHE_MAX {
            cache.insert(id.to_string(), resolved.clone());
        }
        Ok(resolved)
    }

    /// How many resolved ids [`Catalog::resolve_shared`] keeps now (at most
    /// [`RESOLVE_CACHE_MAX`]).
    pub fn resolve_cache_len(&self) -> usize {
        self.resolved
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    fn resolve_with(&self, id: &str, suggest: bool) -> Result<ResolvedModel, CatalogError> {
        let unknown = |input: &str| {
            if suggest {
                self.unknown(input)
            } else {
                CatalogError::UnknownModel {
                    id: input.to_string(),
                    suggestions: Vec::new(),
                }
            }
        };
        let input = id.trim();
        // Grammar first: a malformed id never reaches the lookup, the suggestions or the URL.
        if self.deprecated_target(input).is_none() {
            check_model_id(input).map_err(CatalogError::InvalidModelId)?;
        }
        let mut alias_of = None;
        let mut deprecated_alias = false;
        let mut region = None;
        let mut keep_arn = false;

        let mut rest: String = input.to_string();
        if let Some(target) = self.deprecated_target(&rest) {
            alias_of = Some(input.to_string());
            deprecated_alias = true;
            rest = target;
        }
        if let Some(stripped) = strip_prefix_ci(&rest, "bedrock:") {
            rest = stripped.to_string();
        }
        if rest.starts_with("arn:") {
            let (arn_region, resource) = parse_arn(&rest).ok_or_else(|| unknown(input))?;
            region = Some(arn_region);
            keep_arn = true;
            rest = resource;
        }

        // Longest prefix first so `us-gov.` wins over `us.`.
        let mut prefixes: Vec<&String> = self.profiles.keys().collect();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut profile = None;
        for p in prefixes {
            // `{p}.` without formatting it (no allocation per prefix).
            if let Some(after) = strip_prefix_ci(&rest, p).and_then(|a| a.strip_prefix('.')) {
                // Only a profile if what follows is a model (`us.` could start an alias).
                if self.model(after).is_some() || self.deprecated_target(after).is_some() {
                    profile = Some(p.clone());
                    rest = after.to_string();
                }
                break;
            }
        }
        if !deprecated_alias {
            if let Some(target) = self.deprecated_target(&rest) {
                alias_of = Some(rest.clone());
                deprecated_alias = true;
                rest = target;
            }
        }

        let spec = self.lookup(&rest).ok_or_else(|| unknown(input))?;
        if alias_of.is_none()
            && !spec.id.eq_ignore_ascii_case(&rest)
            && !is_unversioned_of(&rest, &spec.id)
        {
            alias_of = Some(rest.clone());
        }
        if let Some(p) = &profile {
            if !spec.profiles.iter().any(|x| x == p) {
                return Err(CatalogError::ProfileNotOffered {
                    model_id: spec.id.clone(),
                    profile: p.clone(),
                    offered: spec.profiles.clone(),
                });
            }
        }
        let model_id = if keep_arn {
            input.to_string()
        } else {
            match &profile {
                Some(p) => format!("{p}.{}", spec.id),
                None => spec.id.clone(),
            }
        };
        let price_percent = spec.price_percent(profile.as_deref(), &self.global_profiles());
        Ok(ResolvedModel {
            input: input.to_string(),
            model_id,
            base_model_id: spec.id.clone(),
            needs_profile: profile.is_none() && spec.regions.is_empty(),
            profile,
            region,
            spec: spec.clone(),
            alias_of,
            deprecated_alias,
            price_percent,
        })
    }

    /// The catalog id for a bare model name (no ARN, no profile): exact, unversioned,
    /// provisioned-context suffix (`:200k`) or friendly alias.
    fn lookup(&self, id: &str) -> Option<&ModelSpec> {
        if let Some(m) = self.model(id) {
            return Some(m);
        }
        // `anthropic.claude-3-haiku-20240307-v1:0:200k` (context-length variants).
        let (head, tail) = id.rsplit_once(':')?;
        if tail.ends_with('k') && tail[..tail.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
            return self.model(head);
        }
        None
    }

    fn deprecated_target(&self, id: &str) -> Option<String> {
        if id.len() > MAX_ALIAS_LEN {
            return None;
        }
        self.deprecated_aliases
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(id))
            .map(|(_, v)| v.clone())
    }

    /// Closest known names to `id` by edit distance, best first (at most 5).
    ///
    /// Cost is bounded whatever the input: only the last path segment's first
    /// [`SUGGESTION_PREFIX`] bytes are compared, against at most [`SUGGESTION_CANDIDATES`]
    /// names of at most [`SUGGESTION_PREFIX`] bytes each, with a cut-off once a candidate
    /// cannot beat the current fifth best model.
    pub fn suggestions(&self, id: &str) -> Vec<String> {
        // Compare against the bare name so profile prefixes and ARNs do not dominate. `rsplit`
        // scans from the end, so only the last segment is read (bounded below).
        let tail = id.rsplit('/').next().unwrap_or(id);
        let mut bare: Vec<u8> = tail
            .bytes()
            .take(SUGGESTION_PREFIX + MAX_PROFILE_PREFIX)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if let Some(p) = self.profiles.keys().find(|p| {
            bare.len() > p.len() && bare.starts_with(p.as_bytes()) && bare[p.len()] == b'.'
        }) {
            bare.drain(..=p.len());
        }
        bare.truncate(SUGGESTION_PREFIX);

        // Best distance per model over its id and aliases; the five best models are kept, and
        // a name is skipped or abandoned once it cannot beat the fifth (the length difference
        // is a lower bound of the distance).
        let mut best: Vec<(usize, usize)> = Vec::with_capacity(SUGGESTIONS + 1);
        let mut row = Vec::new();
        let mut cand = Vec::with_capacity(SUGGESTION_PREFIX);
        let mut budget = SUGGESTION_CANDIDATES;
        for (i, m) in self.models.iter().enumerate() {
            let mut model_best = usize::MAX;
            for n in std::iter::once(&m.id).chain(&m.aliases) {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                let limit = if best.len() == SUGGESTIONS {
                    best[SUGGESTIONS - 1].0.min(model_best)
                } else {
                    model_best
                };
                let len = n.len().min(SUGGESTION_PREFIX);
                if len.abs_diff(bare.len()) > limit {
                    continue;
                }
                cand.clear();
                cand.extend(n.bytes().take(len).map(|b| b.to_ascii_lowercase()));
                if let Some(d) = bounded_distance(&bare, &cand, limit, &mut row) {
                    model_best = model_best.min(d);
                }
            }
            if model_best != usize::MAX {
                let at = best.partition_point(|(d, _)| *d <= model_best);
                best.insert(at, (model_best, i));
                best.truncate(SUGGESTIONS);
            }
        }
        best.into_iter()
            .map(|(_, i)| self.models[i].id.clone())
            .collect()
    }

    fn unknown(&self, id: &str) -> CatalogError {
        CatalogError::UnknownModel {
            id: id.to_string(),
            suggestions: self.suggestions(id),
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn is_unversioned_of(name: &str, id: &str) -> bool {
    id.rsplit_once(':')
        .is_some_and(|(base, _)| base.eq_ignore_ascii_case(name))
}

/// `arn:PARTITION:bedrock:REGION:ACCOUNT:foundation-model/ID` or `.../inference-profile/ID`
/// -> (region, resource id). Application inference profiles and provisioned models carry no
/// model name and are rejected.
fn parse_arn(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (_arn, _partition, service, region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "bedrock" {
        return None;
    }
    let (kind, id) = resource.split_once('/')?;
    match kind {
        "foundation-model" | "inference-profile" => Some((region.to_string(), id.to_string())),
        _ => None,
    }
}

/// Bytes of an unknown id compared for suggestions (longer ids share no more with ours).
pub const SUGGESTION_PREFIX: usize = 96;
/// Names (ids and aliases) considered for suggestions.
pub const SUGGESTION_CANDIDATES: usize = 512;
/// Suggestions returned.
const SUGGESTIONS: usize = 5;
/// Longest profile prefix (`us-gov.`).
const MAX_PROFILE_PREFIX: usize = 16;
/// Design-document aliases are short names; longer input is never one.
const MAX_ALIAS_LEN: usize = 128;
/// Bedrock's length limit on `modelId` (1 to 2048).
pub const MAX_MODEL_ID_LEN: usize = 2048;

/// Levenshtein distance over bytes, abandoned (None) once every cell of a row exceeds
/// `limit`. `row` is scratch space reused between calls.
fn bounded_distance(a: &[u8], b: &[u8], limit: usize, row: &mut Vec<usize>) -> Option<usize> {
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        let mut best = row[0];
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            let v = (diag + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diag = above;
            row[j + 1] = v;
            best = best.min(v);
        }
        if best > limit {
            return None;
        }
    }
    let d = row[b.len()];
    (d <= limit).then_some(d)
}

/// Checks `id` against Bedrock's documented `modelId` forms (API reference, InvokeModel /
/// Converse `modelId`: length 1-2048, base model id, inference profile id, or ARN of a
/// foundation model, inference profile, application inference profile, provisioned, custom
/// or imported model). Stricter than the service's catch-all alternative on purpose: empty
/// segments (`..`), path segments and other characters never pass, because the id is put in
/// the URL path (`/model/{modelId}/converse-stream`).
pub fn check_model_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the model id is empty".into());
    }
    if id.len() > MAX_MODEL_ID_LEN {
        return Err(format!(
            "the model id is {} bytes; Bedrock takes at most {MAX_MODEL_ID_LEN}",
            id.len()
        ));
    }
    if let Some(rest) = id.strip_prefix("arn:") {
        return check_arn(rest);
    }
    // Design-document names such as `bedrock:claude-opus-4` are resolved as aliases.
    let bare = id.strip_prefix("bedrock:").unwrap_or(id);
    check_bare_id(bare)
}

fn segment_ok(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || extra.contains(&b))
}

/// `provider.model-name-v1:0`, `us.provider.model`, `deepseek.v3.2`, `...-v1:0:200k`, or a
/// single name (friendly alias, provisioned model id).
fn check_bare_id(id: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "{:?} is not a Bedrock model id, inference profile id or ARN",
            truncate(id)
        ))
    };
    let (dotted, versions) = match id.split_once(':') {
        Some((head, tail)) => (head, Some(tail)),
        None => (id, None),
    };
    let segments: Vec<&str> = dotted.split('.').collect();
    if segments.len() > 5 || !segments.iter().all(|s| segment_ok(s, b"_")) {
        return bad();
    }
    if let Some(v) = versions {
        let parts: Vec<&str> = v.split(':').collect();
        if parts.len() > 2 || !parts.iter().all(|s| segment_ok(s, b"")) {
            return bad();
        }
    }
    Ok(())
}

/// `arn:PARTITION:bedrock:REGION:ACCOUNT:TYPE/ID` (after the leading `arn:`).
fn check_arn(rest: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "{:?} is not a Bedrock model ARN: {why}",
            truncate(rest)
        ))
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return bad("expected arn:partition:bedrock:region:account:resource");
    };
    let partition_ok = partition == "aws"
        || partition
            .strip_prefix("aws-")
            .is_some_and(|p| segment_ok(p, b""));
    if !partition_ok {
        return bad("unknown partition");
    }
    if service != "bedrock" {
        return bad("the service must be bedrock");
    }
    if region.len() > 20
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return bad("invalid region");
    }
    if !(account.is_empty() || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return bad("the account must be empty or 12 digits");
    }
    let Some((kind, name)) = resource.split_once('/') else {
        return bad("missing resource type");
    };
    match kind {
        "foundation-model" | "inference-profile" => {
            if region.is_empty() && kind == "foundation-model" {
                return bad("a foundation-model ARN names its region");
            }
            check_bare_id(name).or_else(|_| bad("invalid model id"))
        }
        "application-inference-profile"
        | "provisioned-model"
        | "imported-model"
        | "custom-model-deployment" => {
            if segment_ok(name, b"") {
                Ok(())
            } else {
                bad("invalid resource id")
            }
        }
        "custom-model" => {
            // custom-model/{base model id}/{12 characters}
            let ok = name
                .split_once('/')
                .is_some_and(|(base, id)| check_bare_id(base).is_ok() && segment_ok(id, b""));
            if ok {
                Ok(())
            } else {
                bad("invalid custom model id")
            }
        }
        _ => bad("unsupported resource type"),
    }
}

fn truncate(s: &str) -> String {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{}...", &s[..end])
    } else {
        s.to_string()
    }
}

/// Levenshtein distance over chars (ids are short; O(n*m) is fine).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn arn_parsing() {
        assert_eq!(
            parse_arn("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
            Some(("us-east-1".into(), "us.anthropic.claude-3-5-sonnet-20241022-v2:0".into()))
        );
        assert_eq!(
            parse_arn("arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
            Some(("eu-west-1".into(), "anthropic.claude-3-haiku-20240307-v1:0".into()))
        );
        assert_eq!(
            parse_arn("arn:aws:bedrock:us-east-1:1:application-inference-profile/abc"),
            None
        );
        assert_eq!(parse_arn("arn:aws:s3:::bucket"), None);
    }
}
