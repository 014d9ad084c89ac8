//! Prometheus metrics: request counts and latency histograms per route, writes, and the
//! gauges read at scrape time (index size, model work in flight, writes waiting).
//!
//! Kept by hand in the text exposition format: a few maps behind a mutex are all a
//! single-process service needs.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Counters kept while serving.
#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route → latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    writes_ok: AtomicU64,
    writes_failed: AtomicU64,
}

/// Values read when scraped.
pub struct Gauges {
    /// Documents in the index.
    pub documents: usize,
    /// Chunks in the index.
    pub chunks: u64,
    /// Chunk vectors loaded.
    pub vectors: usize,
    /// Bytes of the index folder on disk.
    pub index_bytes: u64,
    /// Gate slots taken now.
    pub model_in_flight: usize,
    /// Gate slots in all.
    pub model_limit: usize,
    /// Uploads and deletes waiting for the writer.
    pub writes_queued: usize,
}

impl Metrics {
    /// Records one finished request. `route` is the route template, never the raw path.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        {
            let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            *r.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry(route.to_string()).or_default();
        for (c, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *c += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Records a finished index write.
    pub fn write_done(&self, ok: bool) {
        let c = if ok {
            &self.writes_ok
        } else {
            &self.writes_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP envkb_http_requests_total HTTP requests by method, route and status.\n# TYPE envkb_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "envkb_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP envkb_http_request_duration_seconds Time to answer, by route.\n# TYPE envkb_http_request_duration_seconds histogram\n");
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let route = escape(route);
            for (c, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "envkb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "envkb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "envkb_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "envkb_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let gauge = |out: &mut String, name: &str, help: &str, v: String| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
            );
        };
        gauge(
            &mut out,
            "envkb_index_documents",
            "Documents in the index.",
            g.documents.to_string(),
        );
        gauge(
            &mut out,
            "envkb_index_chunks",
            "Chunks in the index.",
            g.chunks.to_string(),
        );
        gauge(
            &mut out,
            "envkb_index_vectors",
            "Chunk vectors of the semantic side.",
            g.vectors.to_string(),
        );
        gauge(
            &mut out,
            "envkb_index_bytes",
            "Bytes the index takes on disk.",
            g.index_bytes.to_string(),
        );
        gauge(
            &mut out,
            "envkb_model_queue_depth",
            "Requests doing model or index work now.",
            g.model_in_flight.to_string(),
        );
        gauge(
            &mut out,
            "envkb_model_queue_limit",
            "Most requests doing model or index work at once; more get 429.",
            g.model_limit.to_string(),
        );
        gauge(
            &mut out,
            "envkb_write_queue_depth",
            "Index writes waiting for the writer.",
            g.writes_queued.to_string(),
        );
        out.push_str("# HELP envkb_index_writes_total Uploads and deletes by outcome.\n# TYPE envkb_index_writes_total counter\n");
        let _ = writeln!(
            out,
            "envkb_index_writes_total{{outcome=\"ok\"}} {}",
            self.writes_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "envkb_index_writes_total{{outcome=\"failed\"}} {}",
            self.writes_failed.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauges() -> Gauges {
        Gauges {
            documents: 3,
            chunks: 12,
            vectors: 12,
            index_bytes: 4096,
            model_in_flight: 1,
            model_limit: 4,
            writes_queued: 0,
        }
    }

    #[test]
    fn counts_and_histograms_render_in_exposition_format() {
        let m = Metrics::default();
        m.observe("GET", "/api/search", 200, 0.02);
        m.observe("GET", "/api/search", 200, 0.2);
        m.observe("GET", "/api/search", 429, 0.001);
        m.write_done(true);
        let text = m.render(&gauges());
        assert!(text.contains(
            "envkb_http_requests_total{method=\"GET\",route=\"/api/search\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "envkb_http_requests_total{method=\"GET\",route=\"/api/search\",status=\"429\"} 1"
        ));
        assert!(text.contains(
            "envkb_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.025\"} 2"
        ));
        assert!(text.contains(
            "envkb_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("envkb_index_documents 3"));
        assert!(text.contains("envkb_model_queue_depth 1"));
        assert!(text.contains("envkb_index_writes_total{outcome=\"ok\"} 1"));
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
