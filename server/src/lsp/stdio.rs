//! The editor's stdin and stdout, read and written without a thread hand-off per message.
//!
//! tokio's `stdin()`/`stdout()` run every read and write on its blocking pool: each message in
//! or out wakes another thread (about 15 % of the server's CPU per completion on the e2e bench).
//! Editors connect a pipe (Neovim, Helix) or a socket (Node's `child_process`, so VS Code) to a
//! language server's stdio, and both can be polled by the runtime's event loop like any other
//! socket. Anything else (a file, a terminal) falls back to tokio's threaded stdio.

use tokio::io::{AsyncRead, AsyncWrite};

pub type Input = Box<dyn AsyncRead + Unpin + Send>;
pub type Output = Box<dyn AsyncWrite + Unpin + Send>;

/// The editor's stdin and stdout.
pub fn open() -> (Input, Output) {
    (input(), output())
}

#[cfg(unix)]
fn input() -> Input {
    use std::os::fd::AsFd;
    match std::io::stdin().as_fd().try_clone_to_owned().map(polled::Fd::new) {
        Ok(Ok(polled::Fd::Pipe(file))) => match tokio::net::unix::pipe::Receiver::from_file(file) {
            Ok(receiver) => return Box::new(receiver),
            Err(error) => tracing::debug!(%error, "stdin is a pipe the event loop cannot poll"),
        },
        Ok(Ok(polled::Fd::Socket(stream))) => return Box::new(stream),
        Ok(Ok(polled::Fd::Other)) => {}
        Ok(Err(error)) | Err(error) => tracing::debug!(%error, "stdin cannot be polled"),
    }
    Box::new(tokio::io::stdin())
}

#[cfg(unix)]
fn output() -> Output {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned().map(polled::Fd::new) {
        Ok(Ok(polled::Fd::Pipe(file))) => match tokio::net::unix::pipe::Sender::from_file(file) {
            Ok(sender) => return Box::new(sender),
            Err(error) => tracing::debug!(%error, "stdout is a pipe the event loop cannot poll"),
        },
        Ok(Ok(polled::Fd::Socket(stream))) => return Box::new(stream),
        Ok(Ok(polled::Fd::Other)) => {}
        Ok(Err(error)) | Err(error) => tracing::debug!(%error, "stdout cannot be polled"),
    }
    Box::new(tokio::io::stdout())
}

#[cfg(not(unix))]
fn input() -> Input {
    Box::new(tokio::io::stdin())
}

#[cfg(not(unix))]
fn output() -> Output {
    Box::new(tokio::io::stdout())
}

#[cfg(unix)]
mod polled {
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::FileTypeExt;

    /// A duplicate of a standard stream's descriptor, by what it is connected to.
    pub(crate) enum Fd {
        Pipe(std::fs::File),
        /// Non-blocking and registered with the runtime.
        Socket(tokio::net::UnixStream),
        Other,
    }

    impl Fd {
        pub(crate) fn new(fd: OwnedFd) -> std::io::Result<Self> {
            let file = std::fs::File::from(fd);
            let kind = file.metadata()?.file_type();
            if kind.is_fifo() {
                return Ok(Self::Pipe(file));
            }
            if kind.is_socket() {
                let stream = std::os::unix::net::UnixStream::from(OwnedFd::from(file));
                stream.set_nonblocking(true)?;
                // A TCP socket is a socket too; reading and writing it as a Unix stream is the
                // same `read(2)`/`write(2)`.
                return tokio::net::UnixStream::from_std(stream).map(Self::Socket);
            }
            Ok(Self::Other)
        }
    }
}
