//! Settings: parsing, validation and the problems reported.

use super::*;

fn load(text: &str, overrides: Overrides) -> Result<Settings, Vec<String>> {
    let file = parse_file(text, "test.toml").map_err(|e| vec![e.to_string()])?;
    Settings::from_file(file, false, &overrides, None)
}

#[test]
fn defaults_without_a_file_give_the_demo_users_on_loopback() {
    let settings =
        Settings::from_file(ConfigFile::default(), true, &Overrides::default(), None).unwrap();
    assert_eq!(settings.http_addr.to_string(), DEFAULT_HTTP_ADDR);
    assert_eq!(settings.data_dir, PathBuf::from("./data"));
    assert!(settings.demo_users);
    let names: Vec<&str> = settings.people.iter().map(|p| p.id.0.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(
        settings
            .policy
            .oncall
            .roles(None, chrono::Utc::now())
            .commander,
        Some(UserId("alice".into()))
    );
    assert_eq!(
        settings
            .policy
            .oncall
            .roles(None, chrono::Utc::now())
            .operations,
        Some(UserId("bob".into()))
    );
    assert_eq!(
        settings
            .policy
            .oncall
            .roles(None, chrono::Utc::now())
            .communications,
        Some(UserId("carol".into()))
    );
}

#[test]
fn a_full_file_parses() {
    let settings = load(
        r#"
        [http]
        addr = "0.0.0.0:9000"
        body_limit_bytes = 2048
        [ingest]
        token = "0123456789abcdef0123"
        [grouping]
        labels = ["cluster", "service"]
        window = "30m"
        [severity]
        min_incident = "sev2"
        [severity.map]
        fatal = "sev1"
        [incidents]
        auto_resolve = true
        [chat]
        locale = "zh-CN"
        card_edit_interval = "5s"
        time_zone = "Asia/Shanghai"
        [oncall]
        commander = "wang"
        [[users]]
        name = "wang"
        roles = ["commander", "duty_manager"]
        locale = "zh-CN"
        token_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        "#,
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.http_addr.port(), 9000);
    assert_eq!(settings.body_limit, 2048);
    assert_eq!(settings.policy.severity.map(Some("FATAL")), Severity::Sev1);
    assert_eq!(
        settings.policy.severity.map(Some("critical")),
        Severity::Sev3
    );
    assert_eq!(settings.policy.min_incident_severity, Severity::Sev2);
    assert!(settings.policy.auto_resolve);
    assert_eq!(settings.card_edit_interval, Duration::from_secs(5));
    assert_eq!(settings.policy.time_zone, chrono_tz::Tz::Asia__Shanghai);
    assert!(!settings.demo_users);
    assert!(
        !format!("{settings:?}").contains("0123456789abcdef"),
        "secret leaked in Debug"
    );
}

#[test]
fn an_unknown_time_zone_is_refused_by_name() {
    let problems = load(
        "[chat]\ntime_zone = \"Mars/Olympus\"\n[[users]]\nname = \"a\"\nroles = [\"commander\"]\n",
        Overrides::default(),
    )
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("chat.time_zone: \"Mars/Olympus\" is not an IANA")),
        "{problems:?}"
    );
}

#[test]
fn problems_are_all_reported_and_name_their_key() {
    let problems = load(
        r#"
        [http]
        addr = "0.0.0.0:9000"
        [grouping]
        window = "soon"
        [severity]
        min_incident = "sev9"
        [oncall]
        commander = "ghost"
        [[users]]
        name = "bob"
        roles = ["admin"]
        locale = "fr-FR"
        "#,
        Overrides::default(),
    )
    .unwrap_err();
    let all = problems.join("\n");
    for needle in [
        "grouping.window",
        "severity.min_incident",
        "oncall.commander",
        "users[0].roles",
        "users[0].locale",
        "ingest token is required",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

const TOKEN: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";

#[test]
fn a_discord_section_is_validated_offline() {
    let text = format!(
        r#"
        [discord]
        token = "{TOKEN}"
        guild_id = "111111111111111111"
        incidents_category_id = "222222222222222222"
        api_base = "http://127.0.0.1:9999"
        [discord.roles]
        "333333333333333333" = ["duty_manager"]
        "444444444444444444" = ["responder"]
        [oncall]
        commander = "555555555555555555"
        "#
    );
    let settings = load(&text, Overrides::default()).unwrap();
    let discord = settings.discord.unwrap();
    assert_eq!(discord.guild_id, 111111111111111111);
    assert!(discord.uses_proxy());
    assert_eq!(discord.role_map.len(), 2);
    assert!(!format!("{discord:?}").contains("GabcDE"), "token leaked");
    assert_eq!(
        settings
            .policy
            .oncall
            .roles(None, chrono::Utc::now())
            .commander,
        Some(UserId("555555555555555555".into()))
    );

    let problems = load(
        &format!(
            "[discord]\ntoken = \"{TOKEN}\"\nguild_id = \"12\"\n[discord.roles]\n\"abc\" = [\"boss\"]\n"
        ),
        Overrides::default(),
    )
    .unwrap_err()
    .join("\n");
    for needle in [
        "discord.guild_id",
        "discord.incidents_category_id",
        "discord.roles: \"abc\"",
    ] {
        assert!(problems.contains(needle), "missing {needle}: {problems}");
    }
    assert!(!problems.contains("GabcDE"), "token leaked in errors");
}

#[test]
fn unknown_keys_are_refused() {
    let error = parse_file("[http]\nadress = \"x\"\n", "c.toml").unwrap_err();
    assert!(error.to_string().contains("adress"), "{error}");
}

#[test]
fn overrides_win_over_the_file() {
    let settings = load(
        "[http]\naddr = \"127.0.0.1:9000\"\n",
        Overrides {
            http_addr: Some("127.0.0.1:0".into()),
            data_dir: Some("/tmp/x".into()),
            ingest_token: None,
        },
    )
    .unwrap();
    assert_eq!(settings.http_addr.port(), 0);
    assert_eq!(settings.data_dir, PathBuf::from("/tmp/x"));
}

const HASH_A: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const HASH_B: &str = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed";

fn problems_of(text: &str, addr: &str) -> String {
    load(
        text,
        Overrides {
            http_addr: Some(addr.to_owned()),
            ..Overrides::default()
        },
    )
    .err()
    .unwrap_or_default()
    .join("\n")
}

#[test]
fn user_tokens_are_validated_hex_sha256_and_distinct() {
    let table = [
        (format!("token_sha256 = \"{HASH_A}\""), None),
        (
            format!("token_sha256 = \"{}\"", HASH_A.to_ascii_uppercase()),
            None,
        ),
        (
            "token_sha256 = \"\"".to_owned(),
            Some("users[0].token_sha256: is blank"),
        ),
        (
            "token_sha256 = \"   \"".to_owned(),
            Some("users[0].token_sha256: is blank"),
        ),
        (
            "token_sha256 = \"abc\"".to_owned(),
            Some("64 hexadecimal characters"),
        ),
        (
            format!("token_sha256 = \"{}\"", "z".repeat(64)),
            Some("non-hex"),
        ),
    ];
    for (line, expected) in table {
        let text = format!("[[users]]\nname = \"ann\"\nroles = [\"responder\"]\n{line}\n");
        let problems = problems_of(&text, "127.0.0.1:0");
        match expected {
            None => assert_eq!(problems, "", "{line}"),
            Some(needle) => assert!(problems.contains(needle), "{line}: {problems}"),
        }
    }
    let twice = format!(
        "[[users]]\nname = \"ann\"\ntoken_sha256 = \"{HASH_A}\"\n\
         [[users]]\nname = \"ben\"\ntoken_sha256 = \"{HASH_A}\"\n"
    );
    assert!(problems_of(&twice, "127.0.0.1:0").contains("the same token as ann's"));
    let reader = format!(
        "[api]\nread_token_sha256 = \"{HASH_A}\"\n[[users]]\nname = \"ann\"\ntoken_sha256 = \"{HASH_A}\"\n"
    );
    assert!(problems_of(&reader, "127.0.0.1:0").contains("api.read_token_sha256"));
    let settings = load(
        &format!(
            "[api]\nread_token_sha256 = \"{HASH_B}\"\n[[users]]\nname = \"ann\"\ntoken_sha256 = \"{HASH_A}\"\n[[users]]\nname = \"ben\"\n"
        ),
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.user_tokens.len(), 1);
    assert_eq!(settings.user_tokens[0].0, UserId("ann".into()));
    assert!(settings.read_token.is_some());
}

#[test]
fn demo_mode_listens_on_loopback_only_and_has_fixed_tokens() {
    let demo = |addr: &str| {
        Settings::from_file(
            ConfigFile::default(),
            true,
            &Overrides {
                http_addr: Some(addr.to_owned()),
                ..Overrides::default()
            },
            Some("an-ingest-token-long-enough".to_owned()),
        )
    };
    let problems = demo("0.0.0.0:8080").unwrap_err().join("\n");
    assert!(problems.contains("loopback only"), "{problems}");
    assert!(problems.contains("--config"), "{problems}");
    let settings = demo("127.0.0.1:8080").unwrap();
    assert!(settings.console_api);
    for (user, token) in DEMO_TOKENS {
        let (_, hash) = settings
            .user_tokens
            .iter()
            .find(|(id, _)| id.0 == user)
            .unwrap();
        assert!(hash.matches(&TokenHash::of(token)), "{user}");
    }
}

#[test]
fn a_public_bind_needs_a_token_for_every_console_user() {
    let ingest = "[ingest]\ntoken = \"an-ingest-token-long-enough\"\n";
    let without = format!(
        "{ingest}[[users]]\nname = \"ann\"\ntoken_sha256 = \"{HASH_A}\"\n[[users]]\nname = \"ben\"\n"
    );
    let problems = problems_of(&without, "0.0.0.0:8080");
    assert!(problems.contains("missing for ben"), "{problems}");
    assert!(!problems.contains("ann"), "{problems}");
    // Loopback, or the console API off, is fine.
    assert_eq!(problems_of(&without, "127.0.0.1:8080"), "");
    let off = format!("{without}[console]\nenabled = false\n");
    assert_eq!(problems_of(&off, "0.0.0.0:8080"), "");
    let with = format!(
        "{ingest}[[users]]\nname = \"ann\"\ntoken_sha256 = \"{HASH_A}\"\n[[users]]\nname = \"ben\"\ntoken_sha256 = \"{HASH_B}\"\n"
    );
    assert_eq!(problems_of(&with, "0.0.0.0:8080"), "");
}

#[test]
fn the_console_api_is_off_with_discord_unless_enabled() {
    let discord = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = \"111111111111111111\"\n\
         incidents_category_id = \"222222222222222222\"\n\
         [discord.roles]\n\"333333333333333333\" = [\"responder\"]\n"
    );
    let table = [
        ("", false, true),
        ("[console]\nenabled = true\n", false, false),
        ("", true, false),
        ("[console]\nenabled = true\n", true, true),
    ];
    for (console, with_discord, expected) in table {
        let text = if with_discord {
            format!("{discord}{console}")
        } else if console.is_empty() {
            String::new()
        } else {
            "[console]\nenabled = false\n".to_owned()
        };
        let settings = load(&text, Overrides::default()).unwrap();
        assert_eq!(settings.console_api, expected, "{text}");
    }
}

#[test]
fn absurd_durations_and_limits_are_refused() {
    let table = [
        (
            "[grouping]\nwindow = \"0s\"\n",
            Some("grouping.window: \"0s\" is outside 1m to 30days"),
        ),
        ("[grouping]\nwindow = \"400d\"\n", Some("grouping.window")),
        ("[grouping]\nwindow = \"1m\"\n", None),
        ("[chat]\ncard_edit_interval = \"0s\"\n", None),
        (
            "[chat]\ncard_edit_interval = \"2h\"\n",
            Some("chat.card_edit_interval"),
        ),
        (
            "[http]\nheader_timeout = \"0s\"\n",
            Some("http.header_timeout"),
        ),
        ("[http]\nbody_timeout = \"1h\"\n", Some("http.body_timeout")),
        (
            "[http]\nmax_concurrent_requests = 0\n",
            Some("http.max_concurrent_requests"),
        ),
        (
            "[http]\nheader_timeout = \"1s\"\nbody_timeout = \"2s\"\nmax_concurrent_requests = 8\n",
            None,
        ),
    ];
    for (text, expected) in table {
        let problems = problems_of(text, "127.0.0.1:0");
        match expected {
            None => assert_eq!(problems, "", "{text}"),
            Some(needle) => assert!(problems.contains(needle), "{text}: {problems}"),
        }
    }
    let settings = load(
        "[http]\nheader_timeout = \"1s\"\nbody_timeout = \"2s\"\nmax_concurrent_requests = 8\n",
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        settings.http_limits,
        HttpLimits {
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(2),
            max_concurrent_requests: 8,
        }
    );
    assert_eq!(settings.http_limits.max_concurrent_reads(), 2);
    let defaults = load("", Overrides::default()).unwrap().http_limits;
    assert_eq!(defaults.header_timeout, Duration::from_secs(10));
    assert_eq!(defaults.body_timeout, Duration::from_secs(30));
}

#[test]
fn a_blank_ingest_token_is_named_as_blank() {
    for token in ["", "                    "] {
        let problems = problems_of(&format!("[ingest]\ntoken = \"{token}\"\n"), "127.0.0.1:0");
        assert!(problems.contains("ingest.token: is blank"), "{problems}");
    }
}

#[test]
fn someone_can_act_unless_all_are_viewers() {
    let table = [
        ("[[users]]\nname = \"ann\"\nroles = [\"viewer\"]\n", false),
        ("[[users]]\nname = \"ann\"\nroles = []\n", false),
        (
            "[[users]]\nname = \"ann\"\nroles = [\"viewer\", \"responder\"]\n",
            false,
        ),
        (
            "[[users]]\nname = \"ann\"\nroles = [\"viewer\", \"responder\"]\ntoken_sha256 = \"0000000000000000000000000000000000000000000000000000000000000001\"\n",
            true,
        ),
    ];
    for (text, expected) in table {
        let settings = load(text, Overrides::default()).unwrap();
        assert_eq!(settings.someone_can_act(), expected, "{text}");
    }
    let discord_viewers = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = \"111111111111111111\"\n\
         incidents_category_id = \"222222222222222222\"\n\
         [discord.roles]\n\"333333333333333333\" = [\"viewer\"]\n"
    );
    let settings = load(&discord_viewers, Overrides::default()).unwrap();
    assert!(!settings.someone_can_act());
    let settings = load(
        &discord_viewers.replace("[\"viewer\"]", "[\"duty_manager\"]"),
        Overrides::default(),
    )
    .unwrap();
    assert!(settings.someone_can_act());
}

#[test]
fn every_problem_is_on_its_own_line() {
    let error = ConfigError::Invalid {
        path: "w.toml".to_owned(),
        problems: vec!["a: one".to_owned(), "b: two".to_owned()],
    };
    assert_eq!(error.to_string(), "w.toml:\n  a: one\n  b: two");
}

#[test]
fn a_default_alone_keeps_the_standard_words() {
    let settings = load(
        "[severity]\ndefault = \"sev4\"\n[[users]]\nname = \"a\"\nroles = [\"commander\"]\n",
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        settings.policy.severity.map(Some("critical")),
        Severity::Sev1
    );
    assert_eq!(
        settings.policy.severity.map(Some("Disaster")),
        Severity::Sev1
    );
    assert_eq!(
        settings.policy.severity.map(Some("whatever")),
        Severity::Sev4
    );
    let own = load(
        "[severity.map]\nfatal = \"sev1\"\n[[users]]\nname = \"a\"\nroles = [\"commander\"]\n",
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(own.policy.severity.map(Some("fatal")), Severity::Sev1);
    assert_eq!(own.policy.severity.map(Some("critical")), Severity::Sev3);
}

#[test]
fn an_absurd_cache_size_is_a_problem_not_a_panic() {
    for size in ["0", "18446744073709551615", "500000"] {
        let problems = load(
            &format!("[store]\ncache_capacity_mib = {size}\n"),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("store.cache_capacity_mib:")),
            "{size}: {problems:?}"
        );
    }
}

#[test]
fn user_names_cannot_read_as_mentions() {
    for good in ["alice", "wang.wei", "ops-1"] {
        assert!(is_valid_user_name(good), "{good}");
    }
    for bad in ["", "bad name", "@here", "<@1>", &"x".repeat(65)] {
        assert!(!is_valid_user_name(bad), "{bad}");
    }
}

#[test]
fn the_ack_reminder_is_off_by_default_and_validated() {
    let off = load("", Overrides::default()).unwrap();
    assert_eq!(off.policy.ack_reminder, None);
    assert_eq!(off.policy.ack_reminder_max, 3);

    let on = load(
        "[incidents]\nack_reminder = \"10m\"\nack_reminder_max = 5\n",
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(on.policy.ack_reminder, Some(chrono::Duration::minutes(10)));
    assert_eq!(on.policy.ack_reminder_max, 5);

    // (config, the key its problem names)
    let cases = [
        ("ack_reminder = \"30s\"", "incidents.ack_reminder:"),
        ("ack_reminder = \"0s\"", "incidents.ack_reminder:"),
        ("ack_reminder = \"400d\"", "incidents.ack_reminder:"),
        ("ack_reminder = \"soon\"", "incidents.ack_reminder:"),
        (
            "ack_reminder = \"10m\"\nack_reminder_max = 0",
            "incidents.ack_reminder_max:",
        ),
        (
            "ack_reminder = \"10m\"\nack_reminder_max = 1000",
            "incidents.ack_reminder_max:",
        ),
    ];
    for (text, key) in cases {
        let problems = load(&format!("[incidents]\n{text}\n"), Overrides::default()).unwrap_err();
        assert!(
            problems.iter().any(|problem| problem.starts_with(key)),
            "{text}: {problems:?}"
        );
    }
}

#[test]
fn probes_and_services_are_checked_with_every_problem_named() {
    let settings = load(
        "[probes]\nallow_hosts = [\"status.example.com\", \"*.internal.example.com\"]\ntimeout = \"2s\"\n\
         [[services]]\nname = \"checkout\"\nhealth_url = \"https://status.example.com/checkout?token=x\"\n\
         [[services]]\nname = \"search\"\n",
        Overrides::default(),
    )
    .unwrap();
    let probes = &settings.policy.probes;
    assert_eq!(probes.allow_hosts.len(), 2);
    assert_eq!(probes.timeout_ms, 2_000);
    assert_eq!(
        probes.service_urls.get("checkout").map(String::as_str),
        Some("https://status.example.com/checkout?token=x")
    );
    assert!(!probes.service_urls.contains_key("search"));

    let defaults = load("", Overrides::default()).unwrap();
    assert!(
        defaults.policy.probes.allow_hosts.is_empty(),
        "nothing is probed by default"
    );
    assert_eq!(defaults.policy.probes.timeout_ms, 5_000);

    let problems = load(
        "[probes]\nallow_hosts = [\"https://x.example.com\", \"a.*.com\", \"ok.example.com\"]\ntimeout = \"10s\"\n\
         [[services]]\nname = \"a\"\nhealth_url = \"ftp://ok.example.com/\"\n\
         [[services]]\nname = \"b\"\nhealth_url = \"https://other.example.com/\"\n\
         [[services]]\nname = \"c\"\nhealth_url = \"https://u:p@ok.example.com/\"\n\
         [[services]]\nname = \" \"\n\
         [[services]]\nname = \"d\"\nhealth_url = \"https://ok.example.com:8443/\"\n",
        Overrides::default(),
    )
    .unwrap_err();
    for expected in [
        "probes.allow_hosts[0]:",
        "probes.allow_hosts[1]:",
        "probes.timeout:",
        "services[0].health_url: only http and https",
        "services[1].health_url: host other.example.com is not in [probes] allow_hosts",
        "services[2].health_url: a URL with a user name or password",
        "services[3].name: must not be empty",
        "services[4].health_url: port 8443 of host ok.example.com is not allowed",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:?}"
        );
    }
    assert!(
        !problems.iter().any(|p| p.contains("u:p@")),
        "a URL's credentials are never repeated: {problems:?}"
    );
}

#[test]
fn a_console_approver_beside_discord_must_be_linked_to_their_discord_account() {
    let discord = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = \"111111111111111111\"\n\
         incidents_category_id = \"222222222222222222\"\n\
         [discord.roles]\n\"333333333333333333\" = [\"duty_manager\"]\n"
    );
    let user =
        |roles: &str, link: &str| format!("[[users]]\nname = \"alice\"\nroles = [{roles}]\n{link}");
    let linked = "discord_id = \"555555555555555555\"\n";
    let table = [
        // (discord, console enabled, roles, link, the problem expected)
        (
            true,
            true,
            "\"duty_manager\"",
            "",
            Some("users[0].discord_id: missing"),
        ),
        (true, true, "\"duty_manager\"", linked, None),
        (true, true, "\"responder\"", "", None),
        (true, false, "\"duty_manager\"", "", None),
        (false, true, "\"duty_manager\"", "", None),
        (
            true,
            true,
            "\"duty_manager\"",
            "discord_id = \"alice\"\n",
            Some("users[0].discord_id: \"alice\" is not a Discord user id"),
        ),
    ];
    for (with_discord, console, roles, link, expected) in table {
        let mut text = String::new();
        if with_discord {
            text.push_str(&discord);
        }
        text.push_str(&format!("[console]\nenabled = {console}\n"));
        text.push_str(&user(roles, link));
        let problems = problems_of(&text, "127.0.0.1:8080");
        match expected {
            Some(needle) => {
                assert!(problems.contains(needle), "{text}\n{problems}");
                assert_eq!(problems.lines().count(), 1, "{problems}");
            }
            None => assert_eq!(problems, "", "{text}"),
        }
    }
    let problems = problems_of(
        &format!(
            "{discord}[console]\nenabled = true\n{}",
            user("\"duty_manager\"", "")
        ),
        "127.0.0.1:8080",
    );
    assert!(
        problems.contains("discord_id = "),
        "says how to link: {problems}"
    );

    // Linked, alice is the Discord member: her token, her roles, her on-call seat and her
    // vote all carry the Discord id; chats still call her alice.
    let text = format!(
        "{discord}[console]\nenabled = true\n{}token_sha256 = \"{HASH_A}\"\n\
         [oncall]\ncommander = \"alice\"\n",
        user("\"duty_manager\", \"commander\"", linked)
    );
    let settings = load(&text, Overrides::default()).unwrap();
    let id = UserId("555555555555555555".into());
    assert_eq!(settings.people.len(), 1);
    assert_eq!(settings.people[0].id, id);
    assert_eq!(settings.people[0].display_name, "alice");
    assert_eq!(settings.user_tokens.len(), 1);
    assert_eq!(settings.user_tokens[0].0, id);
    assert_eq!(
        settings
            .policy
            .oncall
            .roles(None, chrono::Utc::now())
            .commander,
        Some(id)
    );

    // Two console users cannot claim one Discord member.
    let twice = format!(
        "{discord}[console]\nenabled = true\n{}{}",
        user("\"duty_manager\"", linked),
        user("\"duty_manager\"", linked).replace("alice", "bob")
    );
    let problems = problems_of(&twice, "127.0.0.1:8080");
    assert!(problems.contains("users[1].discord_id"), "{problems}");
}

// --- web console ([console] web, public_url, session_ttl) ---

const WEB_USERS: &str = "[[users]]\nname = \"a\"\nroles = [\"commander\"]\n\
    [[users]]\nname = \"b\"\nroles = [\"responder\"]\nlocale = \"zh-CN\"\n";

fn web_of(console: &str) -> Result<WebSettings, String> {
    load(
        &format!("{WEB_USERS}[console]\n{console}\n"),
        Overrides::default(),
    )
    .map(|settings| settings.web)
    .map_err(|problems| problems.join("\n"))
}

#[test]
fn the_web_console_acts_by_default_with_the_console_chat_and_reads_beside_discord() {
    let web = web_of("").unwrap();
    assert_eq!(web.mode, WebMode::Act);
    assert_eq!(web.public_url, None);
    assert_eq!(web.session_ttl, Duration::from_secs(12 * 3600));
    assert!(!web.secure_cookies());
    // Only the person who chose a locale has it beat the browser's.
    assert_eq!(
        web.locale_chosen_by
            .iter()
            .map(|id| id.0.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    for (mode, expected) in [
        ("read", WebMode::Read),
        ("off", WebMode::Off),
        (" act ", WebMode::Act),
    ] {
        assert_eq!(
            web_of(&format!("web = \"{mode}\"")).unwrap().mode,
            expected,
            "{mode}"
        );
    }
    let discord = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = \"111111111111111111\"\n\
         incidents_category_id = \"222222222222222222\"\n[discord.roles]\n\
         \"333333333333333333\" = [\"duty_manager\"]\n"
    );
    let settings = load(&discord, Overrides::default()).unwrap();
    assert_eq!(settings.web.mode, WebMode::Read);
    let problems = load(
        &format!("{discord}[console]\nweb = \"act\"\n"),
        Overrides::default(),
    )
    .unwrap_err()
    .join("\n");
    assert!(
        problems.contains("console.web: \"act\" needs the console chat"),
        "{problems}"
    );
    let settings = load(
        &format!("{discord}[console]\nweb = \"off\"\n"),
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.web.mode, WebMode::Off);
}

#[test]
fn a_wrong_web_setting_is_refused_by_name_with_what_to_write() {
    // (the [console] lines, what the problem says)
    let cases = [
        (
            "web = \"write\"",
            "console.web: \"write\" is not a web mode; use \"act\", \"read\" or \"off\"",
        ),
        ("web = \"\"", "console.web: \"\" is not a web mode"),
        (
            "public_url = \"warroom.example.com\"",
            "console.public_url: \"warroom.example.com\" is not a URL",
        ),
        (
            "public_url = \"ftp://warroom.example.com\"",
            "must be an http:// or https:// address with a host",
        ),
        (
            "public_url = \"https://warroom.example.com/warroom\"",
            "must be an origin only",
        ),
        (
            "public_url = \"https://warroom.example.com/?tenant=1\"",
            "must be an origin only",
        ),
        (
            "public_url = \"https://warroom.example.com/#top\"",
            "must be an origin only",
        ),
        (
            "public_url = \"https://ops:hunter2@warroom.example.com\"",
            "must not carry a user name or password",
        ),
        ("session_ttl = \"1m\"", "console.session_ttl"),
        ("session_ttl = \"30d\"", "console.session_ttl"),
        ("session_ttl = \"soon\"", "console.session_ttl"),
    ];
    for (line, needle) in cases {
        let problems = web_of(line).unwrap_err();
        assert!(problems.contains(needle), "{line}: {problems}");
        assert!(!problems.contains("hunter2"), "a password in: {problems}");
    }
    let problems = web_of("public_url = \"https://ops:hunter2@[::1\"").unwrap_err();
    assert!(problems.contains("console.public_url"), "{problems}");
    assert!(!problems.contains("hunter2"), "a password in: {problems}");
}

#[test]
fn an_https_public_url_makes_the_cookie_secure_and_the_ttl_is_configurable() {
    let web = web_of("public_url = \"https://warroom.example.com\"\nsession_ttl = \"2h\"").unwrap();
    assert!(web.secure_cookies());
    assert_eq!(
        web.public_url.unwrap().origin().ascii_serialization(),
        "https://warroom.example.com"
    );
    assert_eq!(web.session_ttl, Duration::from_secs(2 * 3600));
    let web = web_of("public_url = \"http://10.0.0.5:8080/\"").unwrap();
    assert!(!web.secure_cookies());
    for ttl in ["5m", "7d"] {
        assert!(web_of(&format!("session_ttl = \"{ttl}\"")).is_ok(), "{ttl}");
    }
}
