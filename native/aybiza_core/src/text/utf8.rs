//! Incremental UTF-8 decoding for `push_bytes`: holds back an incomplete trailing sequence.

/// Appends the valid prefix of `pending ++ bytes` to `out` and keeps an incomplete trailing
/// sequence (at most 3 bytes) in `pending`. Invalid bytes become U+FFFD.
#[inline]
pub(crate) fn decode_into(pending: &mut Vec<u8>, bytes: &[u8], out: &mut String) {
    // The common case: an ASCII delta and nothing held back.
    if pending.is_empty() && bytes.is_ascii() {
        out.push_str(ascii_str(bytes));
        return;
    }
    decode_slow(pending, bytes, out);
}

/// `bytes` as a `&str` when the caller checked that they are all ASCII.
#[inline(always)]
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: every caller has checked that each byte is ASCII, which is valid UTF-8; the
    // debug assertion (on in tests, property tests and the fuzz target) checks it again.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

#[inline(never)]
fn decode_slow(pending: &mut Vec<u8>, bytes: &[u8], out: &mut String) {
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
                // `good` was just validated: this cannot fail.
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
        // ASCII then a split character, then the rest of it with ASCII.
        decode_into(&mut p, &[b'y', 0xe2, 0x82], &mut s);
        assert_eq!(p, [0xe2, 0x82]);
        decode_into(&mut p, &[0xac, b'z'], &mut s);
        assert_eq!(s, "a€b\u{FFFD}xy€z");
        assert!(p.is_empty());
    }
}
