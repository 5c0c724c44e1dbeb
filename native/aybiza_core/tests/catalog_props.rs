//! Properties: cost never decreases when a token count grows; profile multipliers.

use aybiza_core::catalog::{CacheTtl, Catalog, Usage};
use proptest::prelude::*;

fn cat() -> &'static Catalog {
    static C: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalog::embedded().expect("embedded catalog"))
}

fn usage() -> impl Strategy<Value = Usage> {
    (
        0u64..10_000_000,
        0u64..1_000_000,
        0u64..10_000_000,
        0u64..1_000_000,
        any::<bool>(),
        0u64..100_000,
        any::<bool>(),
    )
        .prop_map(|(i, o, r, w, ttl, t, sep)| Usage {
            input_tokens: i,
            output_tokens: o,
            cache_read_input_tokens: r,
            cache_write_input_tokens: w,
            cache_write_ttl: if ttl {
                CacheTtl::OneHour
            } else {
                CacheTtl::FiveMinutes
            },
            thinking_tokens: t,
            thinking_billed_separately: sep,
            // A share of the write at the 1 hour rate (the cacheDetails split), 0..=all of it.
            cache_write_1h_input_tokens: w / 3,
        })
}

proptest! {
    #[test]
    fn cost_never_decreases_when_a_count_grows(model in 0usize..64, u in usage(), field in 0usize..5, extra in 1u64..1_000_000) {
        let c = cat();
        // Text models: speech-to-speech models are priced by Sonic.cost/2, not here.
        let text: Vec<_> = c.models.iter().filter(|m| !m.is_speech()).collect();
        let m = text[model % text.len()];
        let mut more = u;
        match field {
            0 => more.input_tokens += extra,
            1 => more.output_tokens += extra,
            2 => more.cache_read_input_tokens += extra,
            3 => more.cache_write_input_tokens += extra,
            _ => more.thinking_tokens += extra,
        }
        let a = c.cost(&m.id, &u).unwrap();
        let b = c.cost(&m.id, &more).unwrap();
        prop_assert!(b.femtodollars >= a.femtodollars);
        prop_assert!(b.nanodollars >= a.nanodollars);
        // Output tokens below the thinking tokens they contain are already billed (max rule).
        let hidden = field == 1 && !u.thinking_billed_separately && more.output_tokens <= u.thinking_tokens;
        if field < 4 && !hidden {
            prop_assert!(b.femtodollars > a.femtodollars, "a priced token costs something");
        }
    }

    #[test]
    fn profile_multipliers_hold(model in 0usize..64, u in usage()) {
        let c = cat();
        // Text models: speech-to-speech models are priced by Sonic.cost/2, not here.
        let text: Vec<_> = c.models.iter().filter(|m| !m.is_speech()).collect();
        let m = text[model % text.len()];
        let base = c.cost(&m.id, &u).unwrap();
        let list = aybiza_core::catalog::cost::price_usage(&m.prices, &u).0;
        // In-region: list price scaled by the regional premium (exact for catalog prices).
        prop_assert_eq!(base.femtodollars, list * u128::from(100 + m.regional_premium_percent) / 100);
        for p in &m.profiles {
            let cost = c.cost(&format!("{p}.{}", m.id), &u).unwrap();
            if c.profiles[p].global {
                prop_assert_eq!(cost.femtodollars, list);
            } else {
                let pct = m.price_percent(Some(p), &c.global_profiles());
                prop_assert_eq!(cost.femtodollars, list * u128::from(pct) / 100);
            }
        }
    }

    #[test]
    fn components_add_up_exactly(model in 0usize..64, u in usage()) {
        let c = cat();
        // Text models: speech-to-speech models are priced by Sonic.cost/2, not here.
        let text: Vec<_> = c.models.iter().filter(|m| !m.is_speech()).collect();
        let m = text[model % text.len()];
        let cost = c.cost(&m.id, &u).unwrap();
        let sum = cost.input + cost.output + cost.cache_read + cost.cache_write;
        // Each component is rounded on its own: at most 2 nanodollars from the exact total.
        prop_assert!(sum.abs_diff(cost.nanodollars) <= 2);
        prop_assert!(cost.thinking <= cost.output);
    }

    #[test]
    fn estimate_tokens_is_monotonic_in_appended_text(a in "\\PC{0,200}", b in "\\PC{0,200}") {
        let joined = format!("{a}{b}");
        prop_assert!(aybiza_core::catalog::estimate_tokens(&joined) + 1 >= aybiza_core::catalog::estimate_tokens(&a));
        prop_assert_eq!(aybiza_core::catalog::estimate_tokens(&a) == 0, a.is_empty());
    }
}
