//! Regions: caller country to AWS region, nearest regions, the fallback region.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// Region configuration (the `regions` object of the catalog file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionConfig {
    /// Region for countries not in `countries` (design: us-east-1).
    pub default_region: String,
    /// Region tried when neither the preferred region nor its neighbours can serve a model
    /// (design: `AWS_FALLBACK_REGION=us-west-2`).
    pub fallback_region: String,
    /// ISO 3166 alpha-2 country code (upper case) -> region.
    pub countries: BTreeMap<String, String>,
    /// Region -> other regions ordered by network distance, nearest first.
    pub nearest: BTreeMap<String, Vec<String>>,
}

impl Default for RegionConfig {
    fn default() -> Self {
        RegionConfig {
            default_region: "us-east-1".into(),
            fallback_region: "us-west-2".into(),
            countries: BTreeMap::new(),
            nearest: BTreeMap::new(),
        }
    }
}

impl RegionConfig {
    pub fn from_value(v: &Value) -> Result<RegionConfig, String> {
        let mut cfg = RegionConfig::default();
        let Some(o) = v.as_object() else {
            return if v.is_null() {
                Ok(cfg)
            } else {
                Err("regions must be an object".into())
            };
        };
        if let Some(s) = o.get("default_region").and_then(Value::as_str) {
            cfg.default_region = s.to_string();
        }
        if let Some(s) = o.get("fallback_region").and_then(Value::as_str) {
            cfg.fallback_region = s.to_string();
        }
        if let Some(c) = o.get("countries").and_then(Value::as_object) {
            for (k, v) in c {
                let r = v
                    .as_str()
                    .ok_or_else(|| format!("regions.countries.{k}: expected a region string"))?;
                cfg.countries
                    .insert(k.trim().to_ascii_uppercase(), r.to_string());
            }
        }
        if let Some(n) = o.get("nearest").and_then(Value::as_object) {
            for (k, v) in n {
                let list = v
                    .as_array()
                    .ok_or_else(|| format!("regions.nearest.{k}: expected a list"))?
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| format!("regions.nearest.{k}: expected strings"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                cfg.nearest.insert(k.clone(), list);
            }
        }
        Ok(cfg)
    }

    /// The region serving callers from `country` (case-insensitive ISO code); the default
    /// region when unknown or empty.
    pub fn region_for_country(&self, country: &str) -> &str {
        let key = country.trim().to_ascii_uppercase();
        self.countries
            .get(&key)
            .map(String::as_str)
            .unwrap_or(&self.default_region)
    }

    /// Regions to try after `region`, nearest first, then the fallback and default regions,
    /// without duplicates and without `region` itself.
    pub fn fallback_order(&self, region: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let near = self.nearest.get(region).cloned().unwrap_or_default();
        for r in near
            .into_iter()
            .chain([self.fallback_region.clone(), self.default_region.clone()])
        {
            if r != region && !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        json!({
            "default_region": self.default_region,
            "fallback_region": self.fallback_region,
            "countries": self.countries,
            "nearest": self.nearest,
        })
    }
}
