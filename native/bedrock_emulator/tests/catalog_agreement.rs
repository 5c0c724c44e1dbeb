//! The emulator's model table and the library's catalog are kept apart on purpose (the
//! emulator is an independent model of Bedrock), so this checks where they must agree:
//! every catalog model exists here, end of life is end of life in both, a model the catalog
//! calls profile-only everywhere is profile-only here, Claude cache minimums match, and a
//! Claude model takes an assistant prefill here exactly when the library sends it one, and
//! the speech-to-speech models (Nova Sonic) are the same, with the same regions and inputs.
//! Known, documented differences (profile lists taken from third-party sources, per-region
//! on-demand exceptions the emulator does not model) are not compared.

use serde_json::Value;
use std::collections::HashMap;

fn models(path: &str) -> HashMap<String, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_string(), m.clone()))
        .collect()
}

#[test]
fn emulator_table_agrees_with_the_library_catalog() {
    let root = env!("CARGO_MANIFEST_DIR");
    let emulator = models(&format!("{root}/data/models.json"));
    let catalog = models(&format!("{root}/../aybiza_core/data/models.json"));
    let mut problems = Vec::new();
    for (id, c) in &catalog {
        let Some(e) = emulator.get(id) else {
            problems.push(format!("{id}: in the catalog, unknown to the emulator"));
            continue;
        };
        let catalog_eol = c["lifecycle"]["state"] == "eol";
        let emulator_eol = e["lifecycle"] == "eol";
        if catalog_eol != emulator_eol {
            problems.push(format!("{id}: EOL in one table only"));
        }
        // `regions: []` in the catalog: no region serves the base id on demand.
        let profile_only = c["regions"].as_array().is_some_and(|r| r.is_empty());
        if profile_only && e["on_demand"] == true {
            problems.push(format!("{id}: profile-only in the catalog, on demand here"));
        }
        // Speech-to-speech models (the catalog's `bidirectional` api): the emulator's
        // bidirectional route serves exactly those, in the same regions, with the same
        // text input and turn-detection support, and its text routes refuse them.
        let catalog_speech = c["apis"] == serde_json::json!(["bidirectional"]);
        let emulator_speech = e["speech"].is_object();
        if catalog_speech != emulator_speech {
            problems.push(format!(
                "{id}: speech-to-speech {catalog_speech} vs {emulator_speech}"
            ));
        }
        if catalog_speech && emulator_speech {
            let (cs, es) = (&c["speech"], &e["speech"]);
            if c["regions"] != es["regions"] {
                problems.push(format!(
                    "{id}: regions {} vs {}",
                    c["regions"], es["regions"]
                ));
            }
            for k in ["text_input", "endpointing"] {
                if cs[k] != es[k] {
                    problems.push(format!("{id}: speech.{k} {} vs {}", cs[k], es[k]));
                }
            }
        }
        if c["family"] == "anthropic" {
            let (cm, em) = (
                &c["capabilities"]["min_cache_tokens"],
                &e["cache_min_tokens"],
            );
            if cm.is_u64() && em.is_u64() && cm != em {
                problems.push(format!("{id}: cache minimum {cm} vs {em}"));
            }
            // The library sends a recovery prefill only to Claude models without adaptive
            // thinking (Aybiza.Bedrock.Policy.Models): exactly the ones the emulator lets
            // take a prefill (Claude 4.6 and later refuse it).
            let library_prefills = c["capabilities"]["thinking_adaptive"] != true;
            let emulator_prefills = e["prefill"] != false;
            if library_prefills != emulator_prefills {
                problems.push(format!(
                    "{id}: prefill {library_prefills} vs {emulator_prefills}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
