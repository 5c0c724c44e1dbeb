//! Model id resolution: versioned and unversioned ids, inference profile ids (`us.`, `eu.`,
//! `apac.`, `au.`, `jp.`, `us-gov.`, `global.`), foundation-model and inference-profile ARNs,
//! friendly aliases, and the non-existent ids of our design documents (deprecated aliases).

use super::data::Catalog;
use super::error::CatalogError;
use super::spec::ModelSpec;

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
        let input = id.trim();
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
            let (arn_region, resource) = parse_arn(&rest).ok_or_else(|| self.unknown(input))?;
            region = Some(arn_region);
            keep_arn = true;
            rest = resource;
        }

        // Longest prefix first so `us-gov.` wins over `us.`.
        let mut prefixes: Vec<&String> = self.profiles.keys().collect();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut profile = None;
        for p in prefixes {
            if let Some(after) = strip_prefix_ci(&rest, &format!("{p}.")) {
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

        let spec = self.lookup(&rest).ok_or_else(|| self.unknown(input))?;
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
        self.deprecated_aliases
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(id))
            .map(|(_, v)| v.clone())
    }

    /// Closest known names to `id` by edit distance, best first (at most 5).
    pub fn suggestions(&self, id: &str) -> Vec<String> {
        let needle = id.to_ascii_lowercase();
        // Compare against the bare name so profile prefixes and ARNs do not dominate.
        let bare = needle.rsplit('/').next().unwrap_or(&needle);
        let bare = self
            .profiles
            .keys()
            .find_map(|p| bare.strip_prefix(&format!("{p}.")))
            .unwrap_or(bare);
        let mut names: Vec<&str> = self.models.iter().map(|m| m.id.as_str()).collect();
        names.extend(
            self.models
                .iter()
                .flat_map(|m| m.aliases.iter().map(String::as_str)),
        );
        let mut scored: Vec<(usize, &str)> = names
            .into_iter()
            .map(|n| (edit_distance(bare, &n.to_ascii_lowercase()), n))
            .collect();
        scored.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, n) in scored {
            // Report the real id, not the friendly alias.
            let real = self
                .model(n)
                .map(|m| m.id.clone())
                .unwrap_or_else(|| n.to_string());
            if !out.contains(&real) {
                out.push(real);
            }
            if out.len() == 5 {
                break;
            }
        }
        out
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
