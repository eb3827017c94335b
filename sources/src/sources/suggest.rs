//! "Did you mean": the known word nearest to one the user wrote.
//!
//! Words are compared first with case, `-` and `_` ignored (`detailType`
//! is `detail-type`, `anything_but` is `anything-but`), then by edit
//! distance (one adjacent swap counts as one edit), allowing about one edit
//! in four letters, so that `prefx` finds `prefix` but `foo` finds nothing.

/// The candidate nearest to `word`, if one is near enough; ties go to the
/// first candidate.
///
/// ```
/// use evrule_sources::sources::suggest::nearest;
/// assert_eq!(nearest("prefx", ["prefix", "suffix"]), Some("prefix"));
/// assert_eq!(nearest("detailType", ["source", "detail-type"]), Some("detail-type"));
/// assert_eq!(nearest("colour", ["source"]), None);
/// ```
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(word);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = if fold(c) == folded {
            0
        } else {
            distance(&folded, &fold(c))
        };
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    let len = folded.chars().count();
    let limit = if len < 3 { 0 } else { (len / 4).clamp(1, 3) };
    best.filter(|&(d, _)| d <= limit).map(|(_, c)| c)
}

/// `word` lower-cased, without `-` and `_`.
fn fold(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance; long words are cut, so the cost
/// stays small whatever the user typed.
fn distance(a: &str, b: &str) -> usize {
    const MAX: usize = 64;
    let a: Vec<char> = a.chars().take(MAX).collect();
    let b: Vec<char> = b.chars().take(MAX).collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_and_far() {
        let ops = ["prefix", "suffix", "anything-but", "numeric", "exists"];
        assert_eq!(nearest("prefx", ops), Some("prefix"));
        assert_eq!(nearest("anything_but", ops), Some("anything-but"));
        assert_eq!(nearest("Numeric", ops), Some("numeric"));
        assert_eq!(nearest("exsits", ops), Some("exists"));
        assert_eq!(nearest("wildcard", ops), None);
        assert_eq!(nearest("x", ["y"]), None);
        assert_eq!(nearest("X", ["x"]), Some("x"));
        assert_eq!(nearest("ab", ["xy"]), None);
    }
}
