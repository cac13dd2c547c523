//! Requests answered before the router, without it: `GET /badge/<code>.js` and `.svg`, fetched
//! on every page view of every badged site.
//!
//! Through the router such a request had its path matched, three request extensions boxed
//! (the original URI, the matched path, the path parameters), its body boxed, a route service
//! cloned into a box and a handler future boxed, and the file name copied out by the `Path`
//! extractor. None of it is needed to find the asset; answered here, a request takes 22-28 %
//! less CPU (BENCHMARKS.md §1, session 14). The answer is made from the path, the query and the
//! headers, and gets what the frame gives every response (`web::frame::dress`) and the same
//! request counters. Anything else, and anything unusual (another method, a percent-escape in the
//! path, a repeated `v` parameter), goes to the router, whose answer is the same.

use std::time::Instant;

use axum::http::{Method, Request};
use axum::response::Response;

use super::badge::asset_response;
use super::frame::{carries_a_large_body, dress};
use super::metrics::method_index;
use super::state::AppState;

/// The route the router gives these requests: their counters are that route's.
const BADGE_ROUTE: &str = "/badge/{file}";

/// The answer to `request` if it is one answered without the router; `None` hands it on to the
/// router.
pub fn answer<B>(state: &AppState, request: &Request<B>) -> Option<Response> {
    if request.method() != Method::GET {
        return None;
    }
    let file = request.uri().path().strip_prefix("/badge/")?;
    // The router decodes escapes in a path parameter; the names of the assets need none.
    if file.is_empty() || file.contains(['/', '%']) {
        return None;
    }
    let version = match request.uri().query() {
        None => None,
        Some(query) => version_parameter(query)?,
    };
    let started = Instant::now();
    let headers = request.headers();
    let mut response = asset_response(state, file, version.as_deref(), headers);
    dress(&mut response, false, carries_a_large_body(headers));
    state.http_metrics.observe(BADGE_ROUTE, method_index(&Method::GET), response.status().as_u16(), started.elapsed());
    Some(response)
}

/// The image's `v` parameter, decoded as the router's `Query` extractor decodes it: `Some(None)`
/// when the query has none, `None` when it has it more than once (the extractor refuses that
/// query, and the router answers it).
fn version_parameter(query: &str) -> Option<Option<std::borrow::Cow<'_, str>>> {
    let mut versions = url::form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "v").map(|(_, v)| v);
    let version = versions.next();
    versions.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_parameter_is_read_as_the_query_extractor_reads_it() {
        #[derive(serde::Deserialize)]
        struct Asked {
            v: Option<String>,
        }
        for query in ["", "v=1", "v=", "v", "x=1&v=2", "v=%E4%B8%AD+x", "v=1&v=2", "&&v=a&", "v=%zz", "V=1"] {
            let extractor = serde_urlencoded::from_str::<Asked>(query).ok().map(|a| a.v);
            let here = version_parameter(query).map(|v| v.map(std::borrow::Cow::into_owned));
            assert_eq!(here, extractor, "{query:?}");
        }
    }
}
