//! User info in server URLs (`nats://user:password@host`, `tls://token@host`): the one parser,
//! used to authenticate (`config.rs`) and to keep the secret out of every message and of `--help`.

/// The `user[:password]` part of a URL, if it has one: `(user, password)` or `(token, None)`.
pub fn userinfo(url: &str) -> Option<(&str, Option<&str>)> {
    let (_, authority) = split(url);
    let (info, _) = authority.rsplit_once('@')?;
    Some(match info.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (info, None),
    })
}

/// A URL fit to show: user info removed (`nats://u:p@host:4222` → `nats://host:4222`), escaped
/// (`NATS_URL` may come from a shared environment). Each comma-separated URL of a list is cleaned.
pub fn redact(url: &str) -> String {
    crate::text::escape_untrusted(&without_userinfo(url)).into_owned()
}

fn without_userinfo(url: &str) -> String {
    if url.contains(',') {
        return url
            .split(',')
            .map(without_userinfo)
            .collect::<Vec<_>>()
            .join(",");
    }
    let (scheme, authority) = split(url);
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = match authority.rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_owned(),
    }
}

/// The scheme (if any) and the authority (up to the first `/`) of a URL.
fn split(url: &str) -> (Option<&str>, &str) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    (scheme, &rest[..rest.find('/').unwrap_or(rest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_found() {
        assert_eq!(
            userinfo("nats://alice:pw@host:4222"),
            Some(("alice", Some("pw")))
        );
        assert_eq!(userinfo("tls://t0k@host"), Some(("t0k", None)));
        assert_eq!(userinfo("nats://host:4222"), None);
        assert_eq!(
            userinfo("nats://host:4222/a@b"),
            None,
            "an @ after the host"
        );
    }

    #[test]
    fn redact_removes_credentials() {
        assert_eq!(redact("nats://u:p@host:4222"), "nats://host:4222");
        assert_eq!(redact("tls://s3cr3t@host:4222/x"), "tls://host:4222/x");
        assert_eq!(redact("u:p@host:4222"), "host:4222");
        assert_eq!(redact("nats://host:4222"), "nats://host:4222");
        assert_eq!(
            redact("nats://u:p@h\u{1b}]0;x\u{7}:4222"),
            "nats://h\\e]0;x\\x07:4222"
        );
        assert_eq!(
            redact("nats://a:b@h1:1,nats://c@h2:2"),
            "nats://h1:1,nats://h2:2"
        );
    }
}
