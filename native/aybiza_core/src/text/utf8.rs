//! Incremental UTF-8 decoding for `push_bytes`: holds back an incomplete trailing sequence.

/// Appends the valid prefix of `pending ++ bytes` to `out` and keeps an incomplete trailing
/// sequence (at most 3 bytes) in `pending`. Invalid bytes become U+FFFD.
#[inline]
pub(crate) fn decode_into(pending: &mut Vec<u8>, bytes: &[u8], out: &mut String) {
    // The common case: a tiny ASCII delta and nothing held back. Pushing the bytes one by one
    // checks and copies them in one pass, without a validator or `memcpy` call (and without
    // `unsafe`); a non-ASCII byte hands the rest to the general path.
    if pending.is_empty() && bytes.len() <= 16 {
        for (i, &b) in bytes.iter().enumerate() {
            if b >= 0x80 {
                decode_slow(pending, &bytes[i..], out);
                return;
            }
            out.push(char::from(b));
        }
        return;
    }
    decode_slow(pending, bytes, out);
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
