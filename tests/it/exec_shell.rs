//! The shell executor runs real programs: parameters reach them as whole arguments and
//! never through a shell, injection inputs never reach them at all, the environment is only
//! the allow-list, output is bounded, and a timeout kills everything the program started.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use warroom::domain::action::{
    ActionJob, ActionOutcome, ActionStatus, ExecutorKind, MAX_ACTION_OUTPUT_BYTES, RequestId,
};
use warroom::domain::message::Arg;
use warroom::exec::Executor;
use warroom::exec::shell::ShellExecutor;

/// A program that writes each of its arguments after the first, one per line in brackets, to
/// the file named by its first: it shows exactly what reached it.
const RECORD_ARGS: &str = r#"for a in "$@"; do printf '[%s]\n' "$a"; done > "$0""#;

fn job(argv: &[&str], params: &[(&str, &str)]) -> ActionJob {
    ActionJob {
        request: RequestId(1),
        command: "dns".to_owned(),
        executor: ExecutorKind::Shell,
        action: "run".to_owned(),
        params: params
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
        digest: "d".repeat(64),
        services: Vec::new(),
        argv: argv.iter().map(|arg| arg.to_string()).collect(),
        env: Vec::new(),
        timeout_ms: 10_000,
        idempotent: true,
        rollback_to: None,
    }
}

fn recorder(out: &Path, placeholders: &[&str]) -> Vec<String> {
    let mut argv = vec![
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        RECORD_ARGS.to_owned(),
        out.display().to_string(),
    ];
    argv.extend(placeholders.iter().map(|p| p.to_string()));
    argv
}

fn text_arg(outcome: &ActionOutcome, name: &str) -> Option<String> {
    outcome
        .summary
        .args
        .iter()
        .find(|(arg, _)| arg == name)
        .and_then(|(_, value)| match value {
            Arg::Text(text) | Arg::Word(text) => Some(text.clone()),
            Arg::Number(number) => Some(number.to_string()),
            _ => None,
        })
}

#[tokio::test]
async fn parameters_reach_the_program_as_whole_arguments_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("argv");
    let mut job = job(
        &[],
        &[
            ("service", "hello world"),
            ("pattern", "*"),
            ("pair", "a=b c"),
        ],
    );
    job.argv = recorder(&out, &["{service}", "{pattern}", "{pair}", "literal"]);
    // Spaces and globs are outside the safe alphabet: only parameters that declare a pattern
    // take them.
    let refused = ShellExecutor::new().run(&job).await;
    assert_eq!(refused.summary.id, "shell-value-outside-alphabet");
    assert!(!out.exists());
    let catalog = warroom::domain::action::Catalog::new([
        warroom::domain::action::catalog::parse_command_file(
            "name = \"dns\"\ndescription = \"d\"\nexecutor = \"shell\"\n\
             argv = [\"/bin/sh\", \"{service}\", \"{pattern}\", \"{pair}\"]\n\
             params = [{ name = \"service\", type = \"string\", pattern = \"[a-z ]+\" },\n\
             { name = \"pattern\", type = \"string\", pattern = \"[*]\" },\n\
             { name = \"pair\", type = \"string\", pattern = \".+\" }]\n",
        )
        .unwrap(),
    ]);
    let outcome = ShellExecutor::for_catalog(&catalog).run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{outcome:#?}");
    assert_eq!(outcome.summary.id, "shell-succeeded");
    // One argument each, unsplit, unglobbed.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "[hello world]\n[*]\n[a=b c]\n[literal]\n"
    );
}

#[tokio::test]
async fn no_injection_input_reaches_the_program() {
    let inputs = [
        "; rm -rf /",
        "x; rm -rf /",
        "$(id)",
        "${PATH}",
        "`id`",
        "a\nb",
        "a\r\nb",
        "a\0b",
        "--output=/etc/passwd",
        "-rf",
        "-",
        "a | cat /etc/passwd",
        "a && id",
        "a & id",
        "a > /tmp/owned",
        "a < /etc/shadow",
        "\u{1b}]0;title\u{7}",
        // For wrappers that split their arguments again.
        "x --output=/etc/passwd",
        "a -rf /",
        "'a'",
        "\"a\"",
        "a\\b",
        "*",
        "a\u{202E}b",
        "caf\u{e9}",
    ];
    let dir = tempfile::tempdir().unwrap();
    for (index, input) in inputs.iter().enumerate() {
        let out = dir.path().join(format!("argv-{index}"));
        let mut job = job(&[], &[("service", input)]);
        job.argv = recorder(&out, &["{service}"]);
        let outcome = ShellExecutor::new().run(&job).await;
        assert_eq!(
            outcome.status,
            ActionStatus::Refused,
            "{input:?}: {outcome:#?}"
        );
        assert!(
            [
                "shell-value-refused",
                "shell-value-flag",
                "shell-value-outside-alphabet"
            ]
            .contains(&outcome.summary.id.as_str()),
            "{input:?}: {outcome:#?}"
        );
        assert_eq!(text_arg(&outcome, "param").as_deref(), Some("service"));
        assert!(!out.exists(), "{input:?} reached the program");
    }
}

#[tokio::test]
async fn placeholders_inside_arguments_are_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("argv");
    let mut job = job(&[], &[("service", "checkout-api")]);
    job.argv = recorder(&out, &["--host={service}"]);
    let outcome = ShellExecutor::new().run(&job).await;
    assert_eq!(outcome.summary.id, "shell-placeholder-partial");
    assert!(!out.exists());
}

#[tokio::test]
async fn the_environment_is_only_the_allow_list() {
    let path = std::env::var("PATH").unwrap();
    let mut allowed = job(&["/usr/bin/env"], &[]);
    allowed.env = vec![
        "PATH".to_owned(),
        "WARROOM_UNSET_VARIABLE_FOR_TEST".to_owned(),
    ];
    let outcome = ShellExecutor::new().run(&allowed).await;
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{outcome:#?}");
    assert_eq!(outcome.output, format!("PATH={path}\n"));

    let outcome = ShellExecutor::new().run(&job(&["/usr/bin/env"], &[])).await;
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{outcome:#?}");
    assert_eq!(outcome.output, "");
}

#[tokio::test]
async fn a_failing_program_reports_its_exit_code_and_stderr() {
    let outcome = ShellExecutor::new()
        .run(&job(
            &["/bin/sh", "-c", "echo partial; echo oops >&2; exit 3"],
            &[],
        ))
        .await;
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert_eq!(outcome.summary.id, "shell-exit-failed");
    assert_eq!(text_arg(&outcome, "code").as_deref(), Some("3"));
    assert_eq!(outcome.output, "partial\n--- stderr ---\noops\n");

    let outcome = ShellExecutor::new()
        .run(&job(&["/nonexistent/program"], &[]))
        .await;
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert_eq!(outcome.summary.id, "shell-spawn-failed");
}

#[tokio::test]
async fn output_is_bounded_however_much_the_program_writes() {
    let outcome = ShellExecutor::new()
        .run(&job(
            &[
                "/bin/sh",
                "-c",
                "head -c 300000 /dev/zero | tr '\\0' x; head -c 300000 /dev/zero | tr '\\0' y >&2",
            ],
            &[],
        ))
        .await;
    assert_eq!(
        outcome.status,
        ActionStatus::Succeeded,
        "{:?}",
        outcome.summary
    );
    assert!(
        outcome.output.len() <= MAX_ACTION_OUTPUT_BYTES,
        "{}",
        outcome.output.len()
    );
    assert!(outcome.output.contains('x') && outcome.output.contains('y'));
    assert_eq!(outcome.details.len(), 1);
    assert_eq!(outcome.details[0].id, "shell-output-truncated");
}

/// Whether `pid` has ended (gone, or a zombie waiting for its new parent to reap it).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses: `123 (sleep) S …`.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

#[tokio::test]
async fn a_timeout_kills_the_program_and_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // The program starts a grandchild that outlives it unless its process group is killed;
    // the grandchild also holds the output pipe open.
    let mut sleeper = job(
        &[
            "/bin/sh",
            "-c",
            r#"sleep 300 & echo "$$ $!" > "$0"; sleep 300"#,
            pids.to_str().unwrap(),
        ],
        &[],
    );
    // Long enough for the shell to start its grandchild even on a loaded machine.
    sleeper.timeout_ms = 1_500;
    let outcome = ShellExecutor::new().run(&sleeper).await;
    assert_eq!(outcome.status, ActionStatus::TimedOut, "{outcome:#?}");
    assert_eq!(outcome.summary.id, "shell-timed-out");

    let text = std::fs::read_to_string(&pids).unwrap();
    let listed: Vec<u32> = text
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{text:?}");
    // Bounded polling: SIGKILL is delivered at once, but the reaping is asynchronous.
    for _ in 0..100 {
        if listed.iter().all(|pid| ended(*pid)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still running after the timeout: {listed:?}");
}

#[tokio::test]
async fn a_run_dropped_by_its_caller_still_kills_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let mut sleeper = job(
        &[
            "/bin/sh",
            "-c",
            r#"sleep 300 & echo "$$ $!" > "$0"; sleep 300"#,
            pids.to_str().unwrap(),
        ],
        &[],
    );
    // The job pool gives up first (its own timeout) and drops the run.
    sleeper.timeout_ms = 600_000;
    let executor = ShellExecutor::new();
    let mut run = Box::pin(executor.run(&sleeper));
    let read_pids = || -> Vec<u32> {
        std::fs::read_to_string(&pids)
            .unwrap_or_default()
            .split_whitespace()
            .map(|pid| pid.parse().unwrap())
            .collect()
    };
    // Bounded polling until the program has started its grandchild, then the caller gives up.
    let mut listed = Vec::new();
    for _ in 0..200 {
        tokio::select! {
            outcome = &mut run => panic!("the program cannot have finished: {outcome:#?}"),
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        listed = read_pids();
        if listed.len() == 2 {
            break;
        }
    }
    assert_eq!(listed.len(), 2, "the program never started its grandchild");
    drop(run);

    for _ in 0..100 {
        if listed.iter().all(|pid| ended(*pid)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still running after the run was dropped: {listed:?}");
}

/// Whether process `pid` still runs (a zombie waiting for its reaper does not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_background_child_does_not_outlive_a_job_that_succeeded() {
    let job = job(
        &["/bin/sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"],
        &[],
    );
    let outcome = ShellExecutor::new().run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{outcome:#?}");
    let pid: u32 = outcome.output.trim().parse().unwrap();
    // SIGKILL is delivered asynchronously; give it a bounded moment.
    let mut alive = running(pid);
    for _ in 0..100 {
        if !alive {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        alive = running(pid);
    }
    if alive {
        let _ = std::process::Command::new("/bin/kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert!(!alive, "the background sleep {pid} outlived the job");
}
