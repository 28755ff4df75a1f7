//! An order-sensitive list diff that reports what a person did to a list:
//! an inserted item is one `Added`, not a change at every later index; an
//! item taken out and put back elsewhere is one `Moved`; an item rewritten
//! in place is one `Changed`.
//!
//! The edit script comes from a longest common subsequence (after trimming
//! the common prefix and suffix); deterministic tie-breaking makes the result
//! the same on every host. Lists longer than [`MAX_LCS_CELLS`] allows fall
//! back to pairing the differing middle positionally, which is still correct,
//! only less precise.

/// The largest `old × new` middle solved exactly (about 1 MB of table).
pub const MAX_LCS_CELLS: usize = 250_000;

/// One difference between two lists. Indices are 0-based positions: in the
/// new list for `Added`, `Changed` and `Moved` (`to`), in the old list for
/// `Removed` and `Moved` (`from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Added {
        index: usize,
        item: String,
    },
    Removed {
        index: usize,
        item: String,
    },
    Changed {
        index: usize,
        old: String,
        new: String,
    },
    Moved {
        from: usize,
        to: usize,
        item: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep,
    Del(usize),
    Ins(usize),
}

/// The edits that turn `old` into `new`, in list order; empty when equal.
pub fn diff(old: &[String], new: &[String]) -> Vec<Edit> {
    let ops = script(old, new);
    // An item deleted in one place and inserted in another is a move; pair
    // each deletion with the first unpaired insertion of the same text.
    let mut moved_to: Vec<Option<usize>> = vec![None; ops.len()];
    let mut taken = vec![false; ops.len()];
    for (di, op) in ops.iter().enumerate() {
        let Op::Del(i) = *op else { continue };
        let hit = ops
            .iter()
            .enumerate()
            .position(|(ii, o)| !taken[ii] && matches!(*o, Op::Ins(j) if new[j] == old[i]));
        if let Some(ii) = hit {
            taken[ii] = true;
            moved_to[di] = Some(ii);
        }
    }
    let mut edits = Vec::new();
    let mut k = 0;
    while k < ops.len() {
        if ops[k] == Op::Keep {
            k += 1;
            continue;
        }
        // A hunk: the run of deletions and insertions between two kept items.
        let start = k;
        while k < ops.len() && ops[k] != Op::Keep {
            k += 1;
        }
        let mut dels = Vec::new();
        let mut inss = Vec::new();
        for (x, op) in ops.iter().enumerate().take(k).skip(start) {
            match *op {
                Op::Del(i) => match moved_to[x] {
                    Some(ii) => {
                        let Op::Ins(j) = ops[ii] else { unreachable!() };
                        edits.push((
                            j,
                            Edit::Moved {
                                from: i,
                                to: j,
                                item: old[i].clone(),
                            },
                        ));
                    }
                    None => dels.push(i),
                },
                Op::Ins(j) if !taken[x] => inss.push(j),
                _ => {}
            }
        }
        // Rewritten in place: pair the remaining deletions and insertions.
        let paired = dels.len().min(inss.len());
        for (&i, &j) in dels.iter().zip(&inss) {
            edits.push((
                j,
                Edit::Changed {
                    index: j,
                    old: old[i].clone(),
                    new: new[j].clone(),
                },
            ));
        }
        for &i in &dels[paired..] {
            // Sort a removal just before the new item now at its place.
            edits.push((
                new_pos_of_old(&ops, i),
                Edit::Removed {
                    index: i,
                    item: old[i].clone(),
                },
            ));
        }
        for &j in &inss[paired..] {
            edits.push((
                j,
                Edit::Added {
                    index: j,
                    item: new[j].clone(),
                },
            ));
        }
    }
    edits.sort_by_key(|(pos, e)| (*pos, u8::from(!matches!(e, Edit::Removed { .. }))));
    edits.into_iter().map(|(_, e)| e).collect()
}

/// The position in the new list where old item `i` would have stood.
fn new_pos_of_old(ops: &[Op], i: usize) -> usize {
    let mut j = 0;
    for op in ops {
        match *op {
            Op::Del(x) if x == i => return j,
            Op::Keep | Op::Ins(_) => j += 1,
            Op::Del(_) => {}
        }
    }
    j
}

/// A shortest edit script: `Keep` for common items, `Del(old index)`,
/// `Ins(new index)`, in list order.
fn script(old: &[String], new: &[String]) -> Vec<Op> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    let mut ops = vec![Op::Keep; prefix];
    if a.len().saturating_mul(b.len()) > MAX_LCS_CELLS {
        ops.extend((0..a.len()).map(|i| Op::Del(prefix + i)));
        ops.extend((0..b.len()).map(|j| Op::Ins(prefix + j)));
    } else {
        // lcs[i][j] = length of the LCS of a[i..] and b[j..].
        let w = b.len() + 1;
        let mut lcs = vec![0u32; (a.len() + 1) * w];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i * w + j] = if a[i] == b[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push(Op::Keep);
                i += 1;
                j += 1;
            } else if j == b.len() || (i < a.len() && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                ops.push(Op::Del(prefix + i));
                i += 1;
            } else {
                ops.push(Op::Ins(prefix + j));
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(Op::Keep, suffix));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn added(index: usize, item: &str) -> Edit {
        Edit::Added {
            index,
            item: item.into(),
        }
    }

    #[test]
    fn equal_lists_have_no_edits() {
        assert!(diff(&v(&["a", "b"]), &v(&["a", "b"])).is_empty());
        assert!(diff(&[], &[]).is_empty());
    }

    #[test]
    fn insertion_is_one_added() {
        assert_eq!(
            diff(&v(&["a", "b", "d", "e"]), &v(&["a", "b", "vim", "d", "e"])),
            [added(2, "vim")]
        );
        assert_eq!(diff(&[], &v(&["x"])), [added(0, "x")]);
    }

    #[test]
    fn removal_uses_old_index() {
        assert_eq!(
            diff(&v(&["a", "b", "c"]), &v(&["a", "c"])),
            [Edit::Removed {
                index: 1,
                item: "b".into()
            }]
        );
    }

    #[test]
    fn rewrite_in_place_is_changed() {
        assert_eq!(
            diff(&v(&["a", "b", "c"]), &v(&["a", "B", "c"])),
            [Edit::Changed {
                index: 1,
                old: "b".into(),
                new: "B".into()
            }]
        );
    }

    #[test]
    fn reorder_is_moved() {
        assert_eq!(
            diff(&v(&["a", "b"]), &v(&["b", "a"])),
            [Edit::Moved {
                from: 0,
                to: 1,
                item: "a".into()
            }]
        );
        assert_eq!(
            diff(&v(&["a", "b", "c"]), &v(&["c", "a", "b"])),
            [Edit::Moved {
                from: 2,
                to: 0,
                item: "c".into()
            }]
        );
    }

    #[test]
    fn mixed_edits_in_list_order() {
        let e = diff(&v(&["a", "b", "c", "d"]), &v(&["x", "a", "c", "D"]));
        assert_eq!(
            e,
            [
                added(0, "x"),
                Edit::Removed {
                    index: 1,
                    item: "b".into()
                },
                Edit::Changed {
                    index: 3,
                    old: "d".into(),
                    new: "D".into()
                },
            ]
        );
    }

    #[test]
    fn huge_lists_fall_back_without_panicking() {
        let a: Vec<String> = (0..1000).map(|i| format!("a{i}")).collect();
        let b: Vec<String> = (0..1000).map(|i| format!("b{i}")).collect();
        let e = diff(&a, &b);
        assert_eq!(e.len(), 1000);
        assert!(matches!(e[0], Edit::Changed { index: 0, .. }));
    }

    /// Applies the edits to `old` and checks the result is `new`: every
    /// difference is accounted for, nothing is invented.
    fn replay(old: &[String], new: &[String], edits: &[Edit]) {
        let mut removed = vec![false; old.len()];
        let mut placed: Vec<Option<String>> = vec![None; new.len()];
        for e in edits {
            match e {
                Edit::Added { index, item } => placed[*index] = Some(item.clone()),
                Edit::Changed { index, new, .. } => placed[*index] = Some(new.clone()),
                Edit::Removed { index, item } => {
                    assert_eq!(&old[*index], item);
                    removed[*index] = true;
                }
                Edit::Moved { from, to, item } => {
                    assert_eq!(&old[*from], item);
                    removed[*from] = true;
                    placed[*to] = Some(item.clone());
                }
            }
        }
        // Changed items consume one old item each; count rather than locate.
        let changed = edits
            .iter()
            .filter(|e| matches!(e, Edit::Changed { .. }))
            .count();
        let kept: Vec<&String> = old
            .iter()
            .zip(&removed)
            .filter(|(_, r)| !**r)
            .map(|(s, _)| s)
            .collect();
        let free = placed.iter().filter(|p| p.is_none()).count();
        assert_eq!(kept.len(), free + changed);
    }

    proptest! {
        #[test]
        fn edits_account_for_every_difference(
            old in proptest::collection::vec("[abc]", 0..8),
            new in proptest::collection::vec("[abc]", 0..8),
        ) {
            let e = diff(&old, &new);
            prop_assert_eq!(e.is_empty(), old == new);
            replay(&old, &new, &e);
        }
    }
}
