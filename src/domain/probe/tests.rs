//! Table tests for the probe's URL checks and decisions.

use super::*;

fn patterns(list: &[&str]) -> Vec<HostPattern> {
    list.iter()
        .map(|p| HostPattern::parse(p).unwrap())
        .collect()
}

#[test]
fn host_patterns_parse_or_say_why_not() {
    for good in [
        "status.example.com",
        "*.example.com",
        "127.0.0.1",
        "LOCALHOST",
        "[::1]",
        "x.example.com:8080",
        "*.example.com:8443",
        "[::1]:9000",
    ] {
        assert!(HostPattern::parse(good).is_ok(), "{good}");
    }
    for (bad, expected) in [
        ("", HostPatternError::Empty),
        (
            "https://x.example.com",
            HostPatternError::NotAHost("https://x.example.com".into()),
        ),
        (
            "x.example.com:0",
            HostPatternError::NotAHost("x.example.com:0".into()),
        ),
        (
            "x.example.com:65536",
            HostPatternError::NotAHost("x.example.com:65536".into()),
        ),
        (
            "x.example.com:+80",
            HostPatternError::NotAHost("x.example.com:+80".into()),
        ),
        ("::1", HostPatternError::NotAHost("::1".into())),
        (
            "x.example.com/health",
            HostPatternError::NotAHost("x.example.com/health".into()),
        ),
        ("a..b", HostPatternError::NotAHost("a..b".into())),
        ("*", HostPatternError::Wildcard("*".into())),
        ("x.*.com", HostPatternError::Wildcard("x.*.com".into())),
        ("*.*.com", HostPatternError::Wildcard("*.*.com".into())),
    ] {
        assert_eq!(HostPattern::parse(bad), Err(expected), "{bad:?}");
    }
}

#[test]
fn urls_are_checked_for_scheme_credentials_and_allowed_host() {
    let allow = patterns(&[
        "status.example.com",
        "*.internal.example.com",
        "127.0.0.1:9",
    ]);
    let host_not_allowed = |host: &str| {
        Err(ProbeRefusal::HostNotAllowed {
            host: host.to_owned(),
        })
    };
    let table: Vec<(&str, Result<String, ProbeRefusal>)> = vec![
        (
            "https://status.example.com/health",
            Ok("status.example.com".into()),
        ),
        (
            "http://STATUS.example.com:80/h?x=1",
            Ok("status.example.com".into()),
        ),
        (
            "http://status.example.com:8080/h",
            Err(ProbeRefusal::PortNotAllowed {
                host: "status.example.com".into(),
                port: 8080,
            }),
        ),
        (
            "https://a.internal.example.com/",
            Ok("a.internal.example.com".into()),
        ),
        ("http://127.0.0.1:9/ok", Ok("127.0.0.1".into())),
        (
            "http://127.0.0.1/ok",
            Err(ProbeRefusal::PortNotAllowed {
                host: "127.0.0.1".into(),
                port: 80,
            }),
        ),
        (
            "https://internal.example.com/",
            host_not_allowed("internal.example.com"),
        ),
        (
            "https://evil-status.example.com/",
            host_not_allowed("evil-status.example.com"),
        ),
        (
            "https://status.example.com.evil.net/",
            host_not_allowed("status.example.com.evil.net"),
        ),
        (
            "http://169.254.169.254/latest",
            host_not_allowed("169.254.169.254"),
        ),
        (
            "file:///etc/passwd",
            Err(ProbeRefusal::Scheme {
                scheme: "file".into(),
            }),
        ),
        (
            "ftp://status.example.com/",
            Err(ProbeRefusal::Scheme {
                scheme: "ftp".into(),
            }),
        ),
        (
            "https://user:secret@status.example.com/",
            Err(ProbeRefusal::Credentials),
        ),
        ("not a url", Err(ProbeRefusal::NotAUrl)),
        ("", Err(ProbeRefusal::NotAUrl)),
    ];
    for (url, expected) in table {
        assert_eq!(check_url(url, &allow), expected, "{url}");
    }
    assert_eq!(
        check_url("https://status.example.com/", &[]),
        host_not_allowed("status.example.com"),
        "an empty allow-list allows nothing"
    );
}

#[test]
fn logs_never_see_the_query_string() {
    assert_eq!(
        loggable_url("https://h.example.com/health?token=secret#x"),
        "https://h.example.com/health"
    );
    assert_eq!(loggable_url("garbage"), "(not a URL)");
}

fn alert(annotations: &[(&str, &str)], service: Option<&str>, label: Option<&str>) -> Alert {
    let mut alert = crate::domain::decide::tests::alert(
        "fp",
        "svc",
        "critical",
        crate::domain::alert::AlertStatus::Firing,
    );
    alert.annotations = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    alert.service = service.map(str::to_owned);
    alert.labels.remove("service");
    if let Some(label) = label {
        alert.labels.insert("service".into(), label.into());
    }
    alert
}

#[test]
fn the_health_url_comes_from_the_annotation_else_the_service() {
    let policy = ProbePolicy {
        service_urls: [("checkout".to_owned(), "https://c.example.com/h".to_owned())].into(),
        ..ProbePolicy::default()
    };
    let table = [
        (
            alert(
                &[("health_url", "https://a.example.com/")],
                Some("checkout"),
                None,
            ),
            Some("https://a.example.com/"),
        ),
        (
            alert(&[], Some("checkout"), None),
            Some("https://c.example.com/h"),
        ),
        (
            alert(&[], None, Some("checkout")),
            Some("https://c.example.com/h"),
        ),
        (
            alert(&[("health_url", "  ")], None, Some("checkout")),
            Some("https://c.example.com/h"),
        ),
        (alert(&[], Some("other"), None), None),
        (alert(&[], None, None), None),
    ];
    for (alert, expected) in table {
        assert_eq!(
            health_url(&policy, &alert).as_deref(),
            expected,
            "{alert:?}"
        );
    }
}

#[test]
fn opening_probes_an_allowed_url_and_notes_a_refused_one_without_a_job() {
    let id = IncidentId::parse("INC-20261121-001").unwrap();
    let policy = ProbePolicy {
        allow_hosts: patterns(&["ok.example.com"]),
        ..ProbePolicy::default()
    };
    let allowed = probe_on_open(
        &policy,
        id,
        &alert(&[("health_url", "https://ok.example.com/h")], None, None),
    );
    assert_eq!(allowed.jobs.len(), 1);
    assert!(
        allowed.entries.is_empty(),
        "the result is noted when it comes"
    );
    assert!(matches!(
        &allowed.effects[..],
        [Effect::PostTracked {
            body: TrackedBody::Probe(ProbeView {
                state: ProbeState::Running,
                ..
            }),
            ..
        }]
    ));
    let refused = probe_on_open(
        &policy,
        id,
        &alert(&[("health_url", "https://other.example.com/h")], None, None),
    );
    assert!(refused.jobs.is_empty(), "a refused URL is never fetched");
    assert!(matches!(
        &refused.entries[..],
        [(_, EntryKind::ProbeResult { refused: Some(reason), status: None, .. })] if reason == "host_not_allowed"
    ));
    assert!(matches!(
        &refused.effects[..],
        [Effect::PostTracked {
            body: TrackedBody::Probe(ProbeView {
                state: ProbeState::Refused { .. },
                ..
            }),
            ..
        }]
    ));
    let none = probe_on_open(&policy, id, &alert(&[], None, None));
    assert_eq!(none, Applied::default());
}

#[test]
fn reprobe_needs_a_responder_a_finished_probe_and_an_allowed_host() {
    use crate::domain::access::PersonRole;
    let policy = ProbePolicy {
        allow_hosts: patterns(&["ok.example.com"]),
        ..ProbePolicy::default()
    };
    let first = alert(&[], Some("checkout"), None);
    let (incident, _) = crate::domain::decide::open_incident_from_alert(
        &crate::domain::decide::Policy::standard(),
        crate::domain::decide::tests::id(1),
        &first,
        "service=checkout".to_owned(),
        crate::domain::decide::tests::at("2026-11-21T10:00:00Z"),
    );
    let person = |role: PersonRole| Person {
        id: crate::domain::ids::UserId("p".into()),
        display_name: "p".into(),
        roles: [role].into(),
        locale: "en-US".into(),
    };
    let view = |url: &str, state: ProbeState| ProbeView {
        url: url.into(),
        state,
    };
    let done = ProbeState::Done {
        outcome: ProbeOutcome::Answered {
            status: 200,
            latency_ms: 3,
            location: None,
        },
    };
    let responder = person(PersonRole::Responder);
    let table = [
        (
            responder.clone(),
            Some(view("https://ok.example.com/", done.clone())),
            Ok("reply-probe-started"),
        ),
        (
            person(PersonRole::Viewer),
            Some(view("https://ok.example.com/", done.clone())),
            Err(NOT_ALLOWED),
        ),
        (responder.clone(), None, Err("reply-probe-none")),
        (
            responder.clone(),
            Some(view("https://ok.example.com/", ProbeState::Running)),
            Err("reply-probe-running"),
        ),
        (
            responder.clone(),
            Some(view("https://no.example.com/", done.clone())),
            Err("reply-probe-refused"),
        ),
    ];
    for (person, current, expected) in table {
        let got = reprobe(&policy, &incident, &person, current.as_ref());
        match (got, expected) {
            (Ok((applied, reply)), Ok(id)) => {
                assert_eq!(reply.id, id);
                assert_eq!(applied.jobs.len(), 1);
                assert!(matches!(
                    &applied.effects[..],
                    [Effect::UpdateTracked { .. }]
                ));
                // The audit trail names who asked for the probe.
                assert_eq!(
                    applied.entries,
                    vec![(
                        Actor::user(&person.id),
                        EntryKind::ProbeRequested {
                            url: "https://ok.example.com/".into()
                        }
                    )]
                );
            }
            (Err(reply), Err(id)) => assert_eq!(reply.id, id),
            (got, expected) => panic!("{got:?} != {expected:?}"),
        }
    }
}

#[test]
fn a_wildcard_never_applies_to_an_ip_address() {
    // `*.0.0.1` once parsed and then allowed loopback and every private address ending in .1.
    for pattern in ["*.0.0.1", "*.1", "*.[::1]"] {
        assert!(
            matches!(
                HostPattern::parse(pattern),
                Err(HostPatternError::WildcardAddress(_) | HostPatternError::NotAHost(_))
            ),
            "{pattern}: {:?}",
            HostPattern::parse(pattern)
        );
    }
    let allow = patterns(&["*.example.com"]);
    for url in ["http://127.0.0.1/", "http://10.0.0.1/", "http://[::1]/"] {
        assert!(check_url(url, &allow).is_err(), "{url} was allowed");
    }
}

#[test]
fn tricky_urls_never_bypass_the_allow_list() {
    let allow = patterns(&["status.example.com", "*.internal.example.com", "10.0.0.7"]);
    for url in [
        "http://status.example.com@evil.net/",
        "http://evil.net\\@status.example.com/",
        "http://evil.net#@status.example.com/",
        "http://evil.net?@status.example.com/",
        "http://internal.example.com/",
        "http://evilinternal.example.com/",
        "http://a.internal.example.com.evil.net/",
        "http://[::ffff:10.0.0.7]/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://status.example.com%2eevil.net/",
        "http://status.example.com%00.evil.net/",
        // A trailing dot names the same host, but is refused: failing closed is safe.
        "http://status.example.com./h",
    ] {
        assert!(check_url(url, &allow).is_err(), "{url} was allowed");
    }
    // Other spellings of allowed hosts normalise to the same host: no false refusal.
    for url in [
        "http://STATUS.EXAMPLE.COM/",
        "http://10.0.0.7./",
        "http://012.0.0.7/", // octal: 10.0.0.7
        "http://a.INTERNAL.example.com/",
        "http://xn--bcher-kva.internal.example.com/",
        "http://bücher.internal.example.com/",
    ] {
        assert!(
            check_url(url, &allow).is_ok(),
            "{url} was refused: {:?}",
            check_url(url, &allow)
        );
    }
}

#[test]
fn host_patterns_are_normalized_like_url_hosts() {
    // Each pattern once parsed but could never match, since URLs normalise their hosts.
    for (pattern, url) in [
        ("[0:0::1]", "http://[::1]/"),
        ("[::1]", "http://[0:0::1]/"),
        ("0x7f.0.0.1", "http://127.0.0.1/"),
        ("127.1", "http://127.0.0.1/"),
        ("bücher.example.com", "http://xn--bcher-kva.example.com/"),
        ("BÜCHER.example.com", "http://bücher.example.com/"),
        (
            "*.bücher.example.com",
            "http://a.xn--bcher-kva.example.com/",
        ),
    ] {
        let parsed = HostPattern::parse(pattern);
        let allowed = parsed
            .as_ref()
            .map(|pattern| check_url(url, std::slice::from_ref(pattern)));
        assert!(
            matches!(allowed, Ok(Ok(_))),
            "{pattern} -> {parsed:?}; {url} -> {allowed:?}"
        );
    }
}

#[test]
fn debug_output_never_shows_a_query_string() {
    let incident = IncidentId::parse("INC-20261121-001").unwrap();
    let url = "https://h.example.com/health?token=s3cret#frag";
    let states = [
        ProbeState::Running,
        ProbeState::Done {
            outcome: ProbeOutcome::Answered {
                status: 302,
                latency_ms: 3,
                location: Some("/login?session=s3cret".into()),
            },
        },
    ];
    for state in states {
        // What the outbox logs when it drops an item.
        let effect = Effect::PostTracked {
            incident,
            key: probe_key(incident),
            body: TrackedBody::Probe(ProbeView {
                url: url.into(),
                state,
            }),
        };
        let logged = format!("{effect:?}");
        assert!(!logged.contains("s3cret"), "{logged}");
        assert!(logged.contains("https://h.example.com/health"), "{logged}");
    }
    let job = JobKind::Probe {
        url: url.into(),
        timeout_ms: 5_000,
    };
    assert!(!format!("{job:?}").contains("s3cret"), "{job:?}");
}

#[test]
fn only_the_default_port_is_allowed_unless_the_pattern_names_one() {
    let allow = patterns(&[
        "status.example.com",
        "*.internal.example.com:8443",
        "[::1]:9000",
    ]);
    let port_refused = |host: &str, port: u16| {
        Err(ProbeRefusal::PortNotAllowed {
            host: host.to_owned(),
            port,
        })
    };
    let table: Vec<(&str, Result<String, ProbeRefusal>)> = vec![
        (
            "http://status.example.com/",
            Ok("status.example.com".into()),
        ),
        (
            "https://status.example.com:443/",
            Ok("status.example.com".into()),
        ),
        // A Redis or SSH port on an allowed host is not a health endpoint.
        (
            "http://status.example.com:6379/",
            port_refused("status.example.com", 6379),
        ),
        (
            "http://status.example.com:22/",
            port_refused("status.example.com", 22),
        ),
        // HTTPS on the HTTP port is not the scheme's default either.
        (
            "https://status.example.com:80/",
            port_refused("status.example.com", 80),
        ),
        (
            "https://a.internal.example.com:8443/",
            Ok("a.internal.example.com".into()),
        ),
        (
            "http://a.INTERNAL.example.com:8443/",
            Ok("a.internal.example.com".into()),
        ),
        (
            "https://a.internal.example.com/",
            port_refused("a.internal.example.com", 443),
        ),
        ("http://[::1]:9000/", Ok("[::1]".into())),
        ("http://[::1]/", port_refused("[::1]", 80)),
    ];
    for (url, expected) in table {
        assert_eq!(check_url(url, &allow), expected, "{url}");
    }
}

#[test]
fn every_refusal_code_is_listed_for_its_message() {
    for refusal in [
        ProbeRefusal::NotAUrl,
        ProbeRefusal::Scheme {
            scheme: "ftp".into(),
        },
        ProbeRefusal::Credentials,
        ProbeRefusal::HostNotAllowed { host: "h".into() },
        ProbeRefusal::PortNotAllowed {
            host: "h".into(),
            port: 1,
        },
    ] {
        assert!(ProbeRefusal::CODES.contains(&refusal.code()), "{refusal:?}");
    }
}
