//! Fetching one flag: with a blocking client (ureq, for the sequential and
//! thread-pool lanes) and with an async one (hyper, for the event loop).
//! Either way a failure comes back wrapped with the flag it was for, the
//! library's own error kept as its cause: Python's
//! `raise FetchError(cc) from exc`, with the cause behind `source()`.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::Request;
use hyper_util::rt::TokioIo;

use super::server;

/// A download that failed, and which flag it was.
#[derive(Debug, thiserror::Error)]
#[error("fetching flag {cc}")]
pub struct FetchError {
    pub cc: String,
    #[source]
    pub cause: Cause,
}

/// What went wrong underneath, as each client library reports it.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// ureq turns a 4xx/5xx answer into an error of its own.
    #[error(transparent)]
    Ureq(#[from] ureq::Error),
    /// hyper hands back any answer; a 4xx/5xx one is made an error here.
    #[error("HTTP status {0}")]
    Status(u16),
    #[error(transparent)]
    Hyper(#[from] hyper::Error),
    #[error(transparent)]
    Request(#[from] hyper::http::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// How failures are counted: by the status the server answered, else as
/// "other" (a reset, a refused connection...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NotFound,
    ServerError,
    Other,
}

impl FetchError {
    fn new(cc: &str, cause: impl Into<Cause>) -> Self {
        FetchError {
            cc: cc.to_string(),
            cause: cause.into(),
        }
    }

    /// The kind, read from the cause (the wrapper only names the item).
    pub fn kind(&self) -> Kind {
        let status = match &self.cause {
            Cause::Ureq(ureq::Error::StatusCode(s)) | Cause::Status(s) => *s,
            _ => 0,
        };
        match status {
            404 => Kind::NotFound,
            500 => Kind::ServerError,
            _ => Kind::Other,
        }
    }
}

/// One agent for a lane: its pool keeps a connection per worker.
pub fn agent(workers: usize) -> ureq::Agent {
    ureq::Agent::config_builder()
        // Straight to 127.0.0.1, whatever proxy the environment names.
        .proxy(None)
        .http_status_as_error(true)
        .max_idle_connections_per_host(workers.max(1))
        .build()
        .into()
}

/// Downloads one flag, blocking the calling thread; the flag's size.
pub fn fetch_blocking(
    agent: &ureq::Agent,
    addr: SocketAddr,
    name: &str,
    cc: &str,
) -> Result<usize, FetchError> {
    let mut response = agent
        .get(server::url(addr, name, cc))
        .call()
        .map_err(|e| FetchError::new(cc, e))?;
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|e| FetchError::new(cc, e))?;
    Ok(body.len())
}

/// Downloads one flag over a new connection, on the current event loop;
/// the flag's size.
pub async fn fetch_async(addr: SocketAddr, name: &str, cc: &str) -> Result<usize, FetchError> {
    let wrap = |cause: Cause| FetchError {
        cc: cc.to_string(),
        cause,
    };
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| wrap(e.into()))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| wrap(e.into()))?;
    // Origin form (the path), as clients send it to a server they reach directly.
    let path = server::path(name, cc);
    let request = Request::get(path.as_str())
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(|e| wrap(e.into()))?;
    let exchange = async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = server::read_body(response.into_body()).await?;
        Ok::<_, hyper::Error>((status, body.len()))
    };
    // The connection is driven beside the exchange; if it ends first, the
    // server hung up before answering.
    let (status, len) = tokio::select! {
        done = exchange => done.map_err(|e| wrap(e.into()))?,
        ended = conn => {
            let cause = match ended {
                Err(e) => e.into(),
                Ok(()) => std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into(),
            };
            return Err(wrap(cause));
        }
    };
    if status >= 400 {
        return Err(wrap(Cause::Status(status)));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::ErrorReport;

    #[test]
    fn the_wrapper_names_the_item_and_keeps_the_cause() {
        let e = FetchError::new("KQ", Cause::Status(404));
        assert_eq!(e.kind(), Kind::NotFound);
        let report = ErrorReport::from_error(&e);
        assert_eq!(report.message, "fetching flag KQ");
        assert_eq!(report.chain, ["HTTP status 404"]);
        let e = FetchError::new("KQ", ureq::Error::StatusCode(500));
        assert_eq!(e.kind(), Kind::ServerError);
        assert!(ErrorReport::from_error(&e).chain[0].contains("500"));
        let e = FetchError::new(
            "KQ",
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        );
        assert_eq!(e.kind(), Kind::Other);
    }
}
