//! Incremental UTF-8 decoding for `push_bytes`: holds back an incomplete trailing sequence.

/// Appends the valid prefix of `pending ++ bytes` to `out` and keeps an incomplete trailing
/// sequence (at most 3 bytes) in `pending`. Invalid bytes become U+FFFD.
pub(crate) fn decode_into(pending: &mut Vec<u8>, bytes: &[u8], out: &mut String) {
    // The common case: a complete delta. Tiny ASCII deltas skip the general validator.
    if pending.is_empty() && bytes.len() <= 16 && bytes.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8, so the String stays UTF-8.
        unsafe { out.as_mut_vec() }.extend_from_slice(bytes);
        return;
    }
    if pending.is_empty() {
        if let Ok(s) = std::str::from_utf8(bytes) {
            out.push_str(s);
            return;
        }
    }
    let joined;
    let mut input: &[u8] = if pending.is_empty() {
        bytes
    } else {
        let mut v = std::mem::take(pending);
        v.extend_from_slice(bytes);
        joined = v;
        &joined
    };
    loop {
        match std::str::from_utf8(input) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (good, rest) = input.split_at(e.valid_up_to());
                // SAFETY-free: `good` was just validated.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    None => {
                        // Incomplete sequence at the end: wait for the next delta.
                        pending.extend_from_slice(rest);
                        return;
                    }
                    Some(n) => {
                        out.push('\u{FFFD}');
                        input = &rest[n..];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_incomplete_sequences() {
        let mut p = Vec::new();
        let mut s = String::new();
        let bytes = "a€b".as_bytes();
        for b in bytes {
            decode_into(&mut p, std::slice::from_ref(b), &mut s);
        }
        assert_eq!(s, "a€b");
        assert!(p.is_empty());
        decode_into(&mut p, &[0xff, b'x'], &mut s);
        assert_eq!(s, "a€b\u{FFFD}x");
    }
}
