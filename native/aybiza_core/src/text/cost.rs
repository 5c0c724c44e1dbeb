//! What a push will cost the segmenter, counted before it runs: the NIF decides from it whether
//! a call may run on a normal scheduler (end marks and breaks cost far more than plain bytes).

use super::segmenter::zero_padded_word;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` equal to `b` (exact: no false positives).
#[inline]
fn bytes_equal(x: u64, b: u8) -> u64 {
    let v = x ^ (u64::from(b) * ONES);
    !(((v & LOW7) + LOW7) | v | LOW7)
}

/// The end marks and the possible breaks of the 8 bytes of `x`.
#[inline(always)]
fn word_counts(x: u64) -> (usize, usize) {
    let m = bytes_equal(x, b'.') | bytes_equal(x, b'!') | bytes_equal(x, b'?');
    // A lead byte is 0b11xx_xxxx: bit 7 and bit 6 (moved up into bit 7) both set.
    let n = bytes_equal(x, b'\n') | (x & (x << 1) & HIGH);
    (high_bits(m), high_bits(n))
}

/// How many bytes of `x` have their high bit set, when no other bit is: the bytes moved down to
/// 0 or 1 and summed into the top byte by one multiplication (the x86-64 baseline has no
/// `popcnt`; `count_ones` is ~15 instructions there).
#[inline(always)]
fn high_bits(x: u64) -> usize {
    debug_assert_eq!(x & !HIGH, 0);
    ((x >> 7).wrapping_mul(ONES) >> 56) as usize
}

/// The end marks (`.`, `!`, `?`) of `bytes`, and its possible breaks: line breaks and the
/// lead bytes of non-ASCII characters (the end marks of other scripts, `。` `।` `։` ..., cut
/// a piece each). Eight bytes at a time: a byte-wise count cost ~10 instructions a byte, a
/// third of what segmenting a 16-delta batch costs.
pub fn end_marks_and_breaks(bytes: &[u8]) -> (usize, usize) {
    let mut marks = 0;
    let mut breaks = 0;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let (m, n) = word_counts(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        marks += m;
        breaks += n;
    }
    // The last 1 to 7 bytes (a whole delta of a model token) as one zero-padded word (a zero
    // byte is neither): a byte loop's exit, which depends on the length, mispredicts on a
    // stream of random lengths.
    let rest = words.remainder();
    if !rest.is_empty() {
        let (m, n) = word_counts(zero_padded_word(rest));
        marks += m;
        breaks += n;
    }
    (marks, breaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8]) -> (usize, usize) {
        bytes.iter().fold((0, 0), |(p, n), &b| {
            (
                p + usize::from(matches!(b, b'.' | b'!' | b'?')),
                n + usize::from(b == b'\n' || b >= 0xc0),
            )
        })
    }

    #[test]
    fn counts_as_a_byte_wise_count_does() {
        // Every byte value in every lane, and random buffers of every length up to 64.
        for b in 0..=255u8 {
            for lane in 0..9 {
                let mut v = vec![b'a'; 9];
                v[lane] = b;
                assert_eq!(
                    end_marks_and_breaks(&v),
                    naive(&v),
                    "byte {b:#x} lane {lane}"
                );
            }
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 65) as usize;
            let v: Vec<u8> = (0..len)
                .map(|i| {
                    let r = seed.rotate_left(i as u32 * 7) as u8;
                    // Mostly the interesting bytes.
                    [b'.', b'!', b'?', b'\n', 0xc3, 0xbf, 0x80, 0xff, r][(r % 9) as usize]
                })
                .collect();
            assert_eq!(end_marks_and_breaks(&v), naive(&v), "{v:?}");
        }
    }
}
