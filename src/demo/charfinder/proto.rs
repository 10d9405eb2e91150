//! What the finder says, over its two protocols; the same functions serve
//! both lanes, so any difference between them is how they wait, never what
//! they answer.
//!
//! - Line protocol (try `nc 127.0.0.1 PORT`): the server sends the prompt
//!   `?> `; each line is a query, answered with one row per character and
//!   a new prompt. A line that starts with a control character (or is not
//!   UTF-8) ends the session.
//! - HTTP: `GET /?q=cat+face` is a small HTML page, `GET /json?q=cat+face`
//!   the same answer as JSON. Every answer closes its connection.

use serde_json::json;

use super::index::{Index, MAX_ROWS, row};

pub const PROMPT: &[u8] = b"?> ";

/// A parsed line of the line protocol.
pub enum Line {
    Query(String),
    /// Ctrl-D in telnet, a control character, bytes that are not text.
    Bye,
}

pub fn parse_line(bytes: &[u8]) -> Line {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Line::Bye;
    };
    let query = text.trim_end_matches(['\r', '\n']);
    match query.chars().next() {
        Some(c) if c < ' ' => Line::Bye,
        _ => Line::Query(query.trim().to_string()),
    }
}

/// The rows for `query`, capped at [`MAX_ROWS`]; and how many matched.
pub fn rows(index: &Index, query: &str) -> (Vec<String>, usize) {
    let found = index.find(query);
    let shown = found.iter().take(MAX_ROWS).map(|cp| row(*cp)).collect();
    (shown, found.len())
}

/// The answer to one line: the rows, then the prompt again.
pub fn line_reply(index: &Index, query: &str) -> (Vec<u8>, usize) {
    let (rows, found) = rows(index, query);
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.len() + 2).sum::<usize>() + 16);
    for r in &rows {
        out.extend_from_slice(r.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if found > rows.len() {
        out.extend_from_slice(format!("… +{}\r\n", found - rows.len()).as_bytes());
    }
    out.extend_from_slice(PROMPT);
    (out, found)
}

/// The end of an HTTP request's head, if `buf` holds all of it.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The whole HTTP response to a request head, and the query it asked.
pub fn http_reply(index: &Index, head: &[u8]) -> (Vec<u8>, Option<String>) {
    let head = String::from_utf8_lossy(head);
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q = param(query, "q");
    let body_too = method == "GET";
    if method != "GET" && method != "HEAD" {
        return (
            response(
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                b"GET only\n",
                true,
            ),
            None,
        );
    }
    let (status, kind, body) = match path {
        "/" => (
            "200 OK",
            "text/html; charset=utf-8",
            page(index, q.as_deref()),
        ),
        "/json" => (
            "200 OK",
            "application/json",
            json_answer(index, q.as_deref().unwrap_or("")),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"no such page\n".to_vec(),
        ),
    };
    (response(status, kind, &body, body_too), q)
}

fn response(status: &str, kind: &str, body: &[u8], body_too: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if body_too {
        out.extend_from_slice(body);
    }
    out
}

/// A query-string parameter, percent-decoded (`+` is a space).
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                let (hi, lo) = (hex(i + 1).unwrap_or(0), hex(i + 2).unwrap_or(0));
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(index: &Index, q: Option<&str>) -> Vec<u8> {
    let q = q.unwrap_or("").trim();
    let mut html = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>charfinder</title>\n\
         <form><input name=\"q\" value=\"{}\" placeholder=\"cat face\" autofocus> \
         <button>find · 查找</button></form>\n",
        escape(q)
    );
    if !q.is_empty() {
        let (rows, found) = rows(index, q);
        html.push_str(&format!(
            "<p>{found} found · 找到 {found} 个</p>\n<table>\n"
        ));
        for r in rows {
            let mut cells = r.splitn(3, "  ");
            let (code, ch, name) = (
                cells.next().unwrap_or(""),
                cells.next().unwrap_or(""),
                cells.next().unwrap_or(""),
            );
            html.push_str(&format!(
                "<tr><td>{code}</td><td>{}</td><td>{}</td></tr>\n",
                escape(ch),
                escape(name)
            ));
        }
        html.push_str("</table>\n");
    }
    html.into_bytes()
}

fn json_answer(index: &Index, q: &str) -> Vec<u8> {
    let (rows, found) = rows(index, q);
    let chars: Vec<_> = rows
        .iter()
        .map(|r| {
            let mut cells = r.splitn(3, "  ");
            json!({
                "code": cells.next().unwrap_or(""),
                "char": cells.next().unwrap_or(""),
                "name": cells.next().unwrap_or(""),
            })
        })
        .collect();
    let mut out = json!({ "query": q, "found": found, "chars": chars }).to_string();
    out.push('\n');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::charfinder::index::for_tests;

    #[test]
    fn lines_and_pages() {
        let index = for_tests();
        let (reply, found) = line_reply(index, "cat face");
        let text = String::from_utf8(reply).unwrap();
        assert!(text.contains("U+1F431  🐱  CAT FACE\r\n"), "{text}");
        assert!(text.ends_with("?> "));
        assert_eq!(text.matches("\r\n").count(), found);
        assert!(matches!(parse_line(b"\x04"), Line::Bye));
        assert!(matches!(parse_line(b"\xff\xf4"), Line::Bye));
        assert!(matches!(parse_line(b"cat face\r\n"), Line::Query(q) if q == "cat face"));
        let (resp, q) = http_reply(index, b"GET /json?q=cat+face HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(q.as_deref(), Some("cat face"));
        let resp = String::from_utf8(resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.contains("\"U+1F431\""));
        let (resp, _) = http_reply(index, b"GET /?q=%3C HTTP/1.1\r\n\r\n");
        let resp = String::from_utf8(resp).unwrap();
        assert!(resp.contains("value=\"&lt;\""), "{resp}");
        let (resp, _) = http_reply(index, b"POST / HTTP/1.1\r\n\r\n");
        assert!(resp.starts_with(b"HTTP/1.1 405"));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
    }
}
