use std::collections::HashSet;

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    // Box-Muller.
    let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn unit(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// Embedding-like vectors: a shared direction (real encoders' vectors are all somewhat
/// alike), plus a mixture of one to three of `topics` random directions, plus noise.
fn synthetic(rng: &mut ChaCha8Rng, n: usize, dim: usize, topics: usize) -> Vec<Vec<f32>> {
    let mut basis: Vec<Vec<f32>> = (0..=topics)
        .map(|_| (0..dim).map(|_| gauss(rng)).collect())
        .collect();
    basis.iter_mut().for_each(|b| unit(b));
    (0..n)
        .map(|_| {
            let mut v: Vec<f32> = basis[topics].iter().map(|x| 0.5 * x).collect();
            for _ in 0..rng.random_range(1..=3) {
                let t = &basis[rng.random_range(0..topics)];
                let w: f32 = rng.random_range(0.3..1.0);
                v.iter_mut().zip(t).for_each(|(a, b)| *a += w * b);
            }
            let noise = 0.6 / (dim as f32).sqrt();
            v.iter_mut().for_each(|a| *a += noise * gauss(rng));
            unit(&mut v);
            v
        })
        .collect()
}

fn meta(i: usize) -> ChunkMeta {
    ChunkMeta {
        chunk_id: format!("doc{}#{}", i / 4, i % 4),
        doc_id: format!("doc{}", i / 4),
        content_hash: *blake3::hash(format!("text {i}").as_bytes()).as_bytes(),
        doc_type: ["law", "regulation", "standard"][i % 3].to_string(),
        lang: if i % 5 == 0 { Lang::En } else { Lang::Fa },
        year: (i % 7 != 0).then_some(2000 + (i % 20) as u32),
        status: (i % 2 == 0).then(|| "in-force".to_string()),
    }
}

fn store_of(vectors: &[Vec<f32>]) -> VectorStore {
    let mut s = VectorStore::new(vectors[0].len());
    for (i, v) in vectors.iter().enumerate() {
        s.push(meta(i), v).unwrap();
    }
    s
}

/// The plain definition: score every accepted row, sort.
fn brute_force(s: &VectorStore, q: &[f32], k: usize, f: &Filters) -> Vec<(usize, f32)> {
    let n = q.iter().map(|x| x * x).sum::<f32>().sqrt();
    let mut all: Vec<(usize, f32)> = (0..s.len())
        .filter(|&r| {
            let m = s.meta(r);
            f.accepts(&m.doc_type, m.lang, m.status.as_deref(), m.year)
        })
        .map(|r| {
            (
                r,
                s.vector(r)
                    .unwrap()
                    .iter()
                    .zip(q)
                    .map(|(a, b)| a * b / n)
                    .sum(),
            )
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn recall(got: &[(usize, f32)], want: &[(usize, f32)]) -> f64 {
    let want: HashSet<usize> = want.iter().map(|w| w.0).collect();
    got.iter().filter(|g| want.contains(&g.0)).count() as f64 / want.len().max(1) as f64
}

#[test]
fn push_normalizes_and_checks_its_input() {
    let mut s = VectorStore::new(3);
    assert_eq!(s.push(meta(0), &[3.0, 0.0, 4.0]).unwrap(), 0);
    assert_eq!(&*s.vector(0).unwrap(), &[0.6, 0.0, 0.8]);
    assert!(matches!(
        s.push(meta(1), &[1.0, 2.0]),
        Err(VectorError::Dim {
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        s.push(meta(1), &[f32::NAN, 0.0, 1.0]),
        Err(VectorError::NonFinite(_))
    ));
    assert!(matches!(
        s.push(meta(1), &[0.0; 3]),
        Err(VectorError::Zero(_))
    ));
    assert!(matches!(
        s.push(meta(0), &[1.0; 3]),
        Err(VectorError::Duplicate(_))
    ));
    assert_eq!(s.len(), 1);
    assert_eq!(s.row_of("doc0#0"), Some(0));
    assert_eq!(s.row_of("missing"), None);
}

#[test]
fn cache_lookup_by_content_hash() {
    let mut s = VectorStore::new(2);
    let mut m = meta(0);
    m.content_hash = *blake3::hash("ماده ۶ قانون حفاظت و بهسازی محیط زیست".as_bytes()).as_bytes();
    s.push(m.clone(), &[1.0, 1.0]).unwrap();
    let got = s.vector_by_hash(&m.content_hash).unwrap().unwrap();
    assert!((got[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    assert!(s
        .vector_by_hash(blake3::hash(b"Environmental Protection Act").as_bytes())
        .unwrap()
        .is_none());
}

#[test]
fn remove_doc_moves_rows_up_and_forgets_the_document() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let vs = synthetic(&mut rng, 12, 8, 3);
    let mut s = store_of(&vs); // docs doc0..doc2, four chunks each
    assert_eq!(s.remove_doc("doc1").unwrap(), 4);
    assert_eq!(s.remove_doc("doc1").unwrap(), 0);
    assert_eq!(s.len(), 8);
    assert_eq!(s.row_of("doc1#0"), None);
    assert_eq!(s.row_of("doc2#0"), Some(4));
    assert!(s
        .vector(4)
        .unwrap()
        .iter()
        .zip(&vs[8])
        .all(|(a, b)| (a - b).abs() < 1e-6));
    assert!(s.vector_by_hash(&meta(5).content_hash).unwrap().is_none());
    assert!(s.vector_by_hash(&meta(9).content_hash).unwrap().is_some());
    let ids: Vec<&str> = s.chunk_ids().collect();
    assert_eq!(ids[3..5], ["doc0#3", "doc2#0"]);
    for q in &vs {
        for (r, _) in s.search(q, 8, &Filters::default()) {
            assert_ne!(s.meta(r).doc_id, "doc1");
        }
    }
}

#[test]
fn write_read_round_trip_and_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let vs = synthetic(&mut rng, 30, 16, 4);
    let s = store_of(&vs);
    let old = s.write(dir.path(), 6).unwrap();
    std::fs::write(dir.path().join("vectors-00000008.bin.tmp"), b"half").unwrap();
    std::fs::write(dir.path().join("manifest-00000007.json"), b"{}").unwrap();
    let name = s.write(dir.path(), 7).unwrap();
    assert_eq!(name, "vectors-00000007.bin");
    assert_eq!(old, file_name(6));
    let back = VectorStore::read(dir.path(), &name).unwrap();
    assert_eq!(back.dim(), 16);
    assert_eq!(back.len(), 30);
    assert_eq!(back.rows.all().unwrap(), s.rows.all().unwrap());
    assert_eq!(back.meta, s.meta);
    assert_eq!(back.row_of("doc3#1"), Some(13));
    assert_eq!(
        back.search(&vs[5], 3, &Filters::default()),
        s.search(&vs[5], 3, &Filters::default())
    );

    VectorStore::remove_others(dir.path(), &name);
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["manifest-00000007.json", "vectors-00000007.bin"]);

    let empty = VectorStore::new(384);
    let name = empty.write(dir.path(), 8).unwrap();
    let back = VectorStore::read(dir.path(), &name).unwrap();
    assert!(back.is_empty());
    assert_eq!(back.dim(), 384);
}

#[test]
fn damaged_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let s = store_of(&synthetic(&mut rng, 10, 8, 2));
    let name = s.write(dir.path(), 1).unwrap();
    let path = dir.path().join(&name);
    let good = std::fs::read(&path).unwrap();
    let read_with = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        VectorStore::read(dir.path(), &name).unwrap_err()
    };
    let detail = |e: VectorError| match e {
        VectorError::Corrupt { detail, .. } => detail,
        other => panic!("expected Corrupt, got {other:?}"),
    };

    assert!(detail(read_with(&good[..good.len() - 1])).contains("truncated"));
    assert!(detail(read_with(&good[..20])).contains("truncated"));
    assert!(detail(read_with(b"")).contains("truncated"));
    let mut flipped = good.clone();
    flipped[HEADER_LEN + 100] ^= 1;
    assert!(detail(read_with(&flipped)).contains("checksum"));
    let mut bad_dim = good.clone();
    bad_dim[12] = 9;
    assert!(detail(read_with(&bad_dim)).contains("checksum"));
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert!(detail(read_with(&bad_magic)).contains("magic"));
    let mut newer = good.clone();
    newer[8] = 2;
    let e = read_with(&newer);
    assert!(matches!(
        e,
        VectorError::Format {
            found: 2,
            expected: 1,
            ..
        }
    ));
    assert!(e.is_user_fault());
    assert!(e.to_string().contains("rebuild"));
    assert!(matches!(
        VectorStore::read(dir.path(), "vectors-99999999.bin"),
        Err(VectorError::Io(_))
    ));
    assert_eq!(
        crate::Error::from(read_with(&flipped)).fault(),
        crate::Fault::Internal
    );
}

const HEADER_LEN: usize = 64;

#[test]
fn exact_search_matches_brute_force_with_and_without_filters() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let vs = synthetic(&mut rng, 500, 24, 10);
    let s = store_of(&vs);
    let filters = [
        Filters::default(),
        Filters::parse(&["doc_type=law"]).unwrap(),
        Filters::parse(&["lang=en", "year=2005..2012"]).unwrap(),
        Filters::parse(&["status=in-force", "doc_type=standard,regulation"]).unwrap(),
        Filters::parse(&["year=1990"]).unwrap(),
    ];
    for q in synthetic(&mut rng, 20, 24, 10) {
        for f in &filters {
            let want = brute_force(&s, &q, 10, f);
            let got = s.search_with(&q, 10, f, Method::Exact);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0);
                assert!((g.1 - w.1).abs() < 1e-5);
            }
            for m in [Method::Int8, Method::Approx, Method::Auto] {
                for (r, _) in s.search_with(&q, 10, f, m) {
                    let meta = s.meta(r);
                    assert!(f.accepts(
                        &meta.doc_type,
                        meta.lang,
                        meta.status.as_deref(),
                        meta.year
                    ));
                }
            }
        }
    }
    // Bad queries find nothing rather than panicking.
    assert!(s.search(&[1.0; 3], 10, &Filters::default()).is_empty());
    assert!(s.search(&[0.0; 24], 10, &Filters::default()).is_empty());
    assert!(s.search(&vs[0], 0, &Filters::default()).is_empty());
}

#[test]
fn int8_and_approximate_recall_at_10() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (n, dim) = (4000, 64);
    let vs = synthetic(&mut rng, n + 50, dim, 60);
    let mut s = store_of(&vs[..n]);
    s.set_options(SearchOptions {
        ann_threshold: 1000,
        nprobe: 8,
        ..SearchOptions::default()
    });
    assert!(s.has_ann());
    let wide = Filters::parse(&["status=in-force"]).unwrap();
    let narrow = Filters::parse(&["lang=en", "doc_type=law"]).unwrap();
    for f in [Filters::default(), wide, narrow] {
        let (mut r8, mut ra) = (0.0, 0.0);
        for q in &vs[n..] {
            let want = s.search_with(q, 10, &f, Method::Exact);
            r8 += recall(&s.search_with(q, 10, &f, Method::Int8), &want);
            ra += recall(&s.search_with(q, 10, &f, Method::Approx), &want);
        }
        let (r8, ra) = (r8 / 50.0, ra / 50.0);
        assert!(r8 >= 0.95, "int8 recall@10 {r8} with {f:?}");
        assert!(ra >= 0.95, "approximate recall@10 {ra} with {f:?}");
    }
    // Changes drop the inverted file; search scans int8 until it is prepared again.
    s.remove_doc("doc0").unwrap();
    assert!(!s.has_ann());
    let q = &vs[n];
    assert_eq!(
        s.search_with(q, 10, &Filters::default(), Method::Approx),
        s.search_with(q, 10, &Filters::default(), Method::Int8)
    );
    s.prepare();
    assert!(s.has_ann());
}

/// A store opened for searching leaves its f32 rows in the file and still gives exactly
/// what the store read whole gives, for every method and filter, scores included.
#[test]
fn an_opened_store_keeps_only_codes_resident_and_finds_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let vs = synthetic(&mut rng, 700, 24, 8);
    let (rows, queries) = vs.split_at(600);
    let mut s = store_of(rows);
    let name = s.write(dir.path(), 3).unwrap();
    let read = VectorStore::read(dir.path(), &name).unwrap();
    let mut opened = VectorStore::open(dir.path(), &name).unwrap();
    assert!(read.rows_resident() && !opened.rows_resident());
    assert_eq!(opened.codes, read.codes);
    assert_eq!(opened.scales, read.scales);
    assert_eq!(opened.meta, read.meta);
    assert!(opened.memory_bytes() + 600 * 24 * 4 <= read.memory_bytes());
    assert_eq!(&*opened.vector(17).unwrap(), &*read.vector(17).unwrap());
    let hash = meta(9).content_hash;
    assert_eq!(
        opened.vector_by_hash(&hash).unwrap().unwrap(),
        read.vector_by_hash(&hash).unwrap().unwrap()
    );
    let filters = [
        Filters::default(),
        Filters::parse(&["status=in-force"]).unwrap(),
        Filters::parse(&["lang=en", "doc_type=law"]).unwrap(),
    ];
    // The inverted file too, built from rows read out of the file.
    let small = SearchOptions {
        ann_threshold: 100,
        nprobe: 3,
        ..SearchOptions::default()
    };
    let mut read_ivf = read.clone();
    read_ivf.set_options(small);
    opened.set_options(small);
    s.set_options(small);
    assert!(opened.has_ann() && !opened.rows_resident());
    for f in &filters {
        for q in queries {
            for method in [Method::Exact, Method::Int8, Method::Approx, Method::Auto] {
                let want = read_ivf.search_with(q, 10, f, method);
                assert_eq!(
                    opened.search_with(q, 10, f, method),
                    want,
                    "{method:?} {f:?}"
                );
                assert_eq!(s.search_with(q, 10, f, method), want, "{method:?} {f:?}");
            }
        }
    }
    // Editing an opened store loads its rows first; written again, it is the same file.
    assert_eq!(opened.remove_doc("nobody").unwrap(), 0);
    assert!(!opened.rows_resident());
    assert_eq!(opened.remove_doc("doc2").unwrap(), 4);
    assert!(opened.rows_resident());
    let mut edited = read.clone();
    edited.remove_doc("doc2").unwrap();
    assert_eq!(
        opened.search(&queries[0], 10, &Filters::default()),
        edited.search(&queries[0], 10, &Filters::default())
    );
    let again = VectorStore::open(dir.path(), &name).unwrap();
    let copy = again.write(dir.path(), 4).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join(&copy)).unwrap(),
        std::fs::read(dir.path().join(&name)).unwrap()
    );
}

/// Damage is found by `open` as by `read`, with the same words.
#[test]
fn open_refuses_damaged_files_like_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let s = store_of(&synthetic(&mut rng, 40, 8, 3));
    let name = s.write(dir.path(), 1).unwrap();
    let path = dir.path().join(&name);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[64 + 100] ^= 1;
    let mut record = good.clone();
    let last = record.len() - 3;
    record[last] ^= 1;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..40].to_vec(), "shorter than the 64-byte header"),
        (good[..good.len() - 5].to_vec(), "truncated or appended"),
        (flipped, "checksum mismatch"),
        (record, "checksum mismatch"),
        ([&b"NOTVECTR"[..], &good[8..]].concat(), "bad magic"),
    ];
    for (bytes, want) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let by_open = VectorStore::open(dir.path(), &name)
            .unwrap_err()
            .to_string();
        let by_read = VectorStore::read(dir.path(), &name)
            .unwrap_err()
            .to_string();
        assert!(by_open.contains(want), "{by_open}");
        assert_eq!(by_open, by_read);
    }
    let mut old = good.clone();
    old[8] = 9;
    std::fs::write(&path, &old).unwrap();
    assert!(matches!(
        VectorStore::open(dir.path(), &name),
        Err(VectorError::Format { found: 9, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn results_are_sorted_unique_and_within_k(
        seed in any::<u64>(),
        n in 1usize..120,
        k in 0usize..30,
        method in prop_oneof![Just(Method::Exact), Just(Method::Int8), Just(Method::Approx)],
        law_only in any::<bool>(),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let vs = synthetic(&mut rng, n + 1, 12, 5);
        let mut s = store_of(&vs[..n]);
        s.set_options(SearchOptions { ann_threshold: 16, nprobe: 2, ..SearchOptions::default() });
        let f = if law_only { Filters::parse(&["doc_type=law"]).unwrap() } else { Filters::default() };
        let got = s.search_with(&vs[n], k, &f, method);
        let accepted = brute_force(&s, &vs[n], usize::MAX, &f).len();
        prop_assert!(got.len() <= k);
        // Even the inverted file probes on until it has seen k accepted rows.
        prop_assert_eq!(got.len(), k.min(accepted));
        prop_assert!(got.windows(2).all(|w| w[0].1 >= w[1].1));
        let rows: HashSet<usize> = got.iter().map(|g| g.0).collect();
        prop_assert_eq!(rows.len(), got.len());
        prop_assert!(got.iter().all(|g| g.0 < n && g.1 <= 1.0 + 1e-5));
    }
}
