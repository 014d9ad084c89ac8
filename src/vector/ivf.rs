//! The approximate index: an inverted file (IVF) over spherical k-means centroids.
//!
//! Rows are assigned to their nearest centroid; a query scans the rows of the few lists
//! whose centroids are nearest to it. Owns the centroids and the row lists, not the
//! vectors (they stay in the store) and not filtering (the store decides what to scan).
//! Built in memory from the vectors when a store is loaded: deterministic (fixed seed),
//! about 1.2 s at 100k rows of 384 dimensions on two cores. It is used only from
//! 200k rows by default, so it is not persisted (that would tie the file format to it).

use super::kernels::{dot_f32_kernel, DotF32};

/// Rows of k-means training sample per list.
const SAMPLE_PER_LIST: usize = 64;
/// Lloyd iterations on the sample.
const ITERATIONS: usize = 10;

/// An inverted file over a store's rows.
#[derive(Debug, Clone)]
pub struct Ivf {
    dim: usize,
    centroids: Vec<f32>,
    lists: Vec<Vec<u32>>,
}

/// SplitMix64: a tiny deterministic generator for sampling (no dependency needed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The default number of lists for `rows` rows: about the square root.
pub fn default_lists(rows: usize) -> usize {
    ((rows as f64).sqrt().round() as usize).max(1)
}

impl Ivf {
    /// Clusters `data` (row-major, `dim` wide, normalized rows) into `nlist` lists.
    pub fn build(data: &[f32], dim: usize, nlist: usize) -> Ivf {
        let rows = data.len() / dim.max(1);
        let nlist = nlist.clamp(1, rows.max(1));
        let dot = dot_f32_kernel();
        let row = |r: usize| &data[r * dim..(r + 1) * dim];
        let mut rng = SplitMix(0x0005_EED0_FE4B);

        // Training sample: a partial Fisher-Yates shuffle of the row numbers.
        let mut order: Vec<u32> = (0..rows as u32).collect();
        let sample_len = rows.min(nlist * SAMPLE_PER_LIST);
        for i in 0..sample_len {
            let j = i + rng.below(rows - i);
            order.swap(i, j);
        }
        let sample = &order[..sample_len];

        let mut centroids = Vec::with_capacity(nlist * dim);
        for &r in &sample[..nlist] {
            centroids.extend_from_slice(row(r as usize));
        }
        let mut assign = vec![0u32; sample_len];
        for _ in 0..ITERATIONS {
            assign_rows(&centroids, dim, sample, &row, dot, &mut assign);
            let mut sums = vec![0f32; nlist * dim];
            let mut counts = vec![0usize; nlist];
            for (&r, &c) in sample.iter().zip(&assign) {
                let c = c as usize;
                counts[c] += 1;
                for (s, x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(row(r as usize)) {
                    *s += x;
                }
            }
            for c in 0..nlist {
                let sum = &mut sums[c * dim..(c + 1) * dim];
                let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                if counts[c] == 0 || norm == 0.0 {
                    // An empty list takes a random sample row: keeps every list useful.
                    let r = sample[rng.below(sample_len)] as usize;
                    sum.copy_from_slice(row(r));
                } else {
                    sum.iter_mut().for_each(|x| *x /= norm);
                }
            }
            centroids = sums;
        }

        let all: Vec<u32> = (0..rows as u32).collect();
        let mut assign = vec![0u32; rows];
        assign_rows(&centroids, dim, &all, &row, dot, &mut assign);
        let mut lists = vec![Vec::new(); nlist];
        for (r, &c) in assign.iter().enumerate() {
            lists[c as usize].push(r as u32);
        }
        Ivf {
            dim,
            centroids,
            lists,
        }
    }

    /// Number of lists (centroids), the upper bound for how many a query can probe.
    pub fn nlist(&self) -> usize {
        self.lists.len()
    }

    /// All lists, nearest centroid to `query` first.
    pub fn probe_order(&self, query: &[f32]) -> Vec<u32> {
        let dot = dot_f32_kernel();
        let mut scored: Vec<(f32, u32)> = self
            .centroids
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, c)| (dot(c, query), i as u32))
            .collect();
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, i)| i).collect()
    }

    /// The row numbers assigned to list `list`, for the store to scan.
    pub fn list(&self, list: u32) -> &[u32] {
        &self.lists[list as usize]
    }

    /// Approximate heap bytes held by the centroids and lists, for memory reporting.
    pub fn memory_bytes(&self) -> usize {
        self.centroids.len() * 4
            + self
                .lists
                .iter()
                .map(|l| l.capacity() * 4 + std::mem::size_of::<Vec<u32>>())
                .sum::<usize>()
    }
}

/// Nearest centroid of each row in `rows`, on all cores (the work splits evenly).
fn assign_rows<'a>(
    centroids: &[f32],
    dim: usize,
    rows: &[u32],
    row: &(impl Fn(usize) -> &'a [f32] + Sync),
    dot: DotF32,
    out: &mut [u32],
) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (rs, os) in rows.chunks(per).zip(out.chunks_mut(per)) {
            s.spawn(move || {
                for (&r, o) in rs.iter().zip(os.iter_mut()) {
                    let v = row(r as usize);
                    let mut best = (f32::NEG_INFINITY, 0u32);
                    for (c, cv) in centroids.chunks_exact(dim).enumerate() {
                        let d = dot(cv, v);
                        if d > best.0 {
                            best = (d, c as u32);
                        }
                    }
                    *o = best.1;
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_lands_in_exactly_one_list() {
        let dim = 4;
        let mut data = Vec::new();
        for i in 0..200 {
            let a = i as f32 * 0.37;
            let v = [a.cos(), a.sin(), (a * 0.5).cos(), 0.1];
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(v.iter().map(|x| x / n));
        }
        let ivf = Ivf::build(&data, dim, default_lists(200));
        assert_eq!(ivf.nlist(), 14);
        let mut seen: Vec<u32> = (0..ivf.nlist() as u32)
            .flat_map(|l| ivf.list(l).to_vec())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
        let order = ivf.probe_order(&data[..dim]);
        assert_eq!(order.len(), ivf.nlist());
        // The first row's own list comes first.
        assert!(ivf.list(order[0]).contains(&0));
    }
}
