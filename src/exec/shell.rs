//! The shell executor, which never uses a shell: the catalog's `argv` is run as a program
//! and its arguments, each `{param}` placeholder replaced by that parameter's value as one
//! whole argument. The environment is cleared except the command's allow-list, output is
//! bounded, and on timeout the whole process group (the program and everything it started)
//! is killed; when the program ends by itself, whatever it left running in its group is
//! killed too, so nothing outlives the job.
//!
//! Each value is checked by [`check_argv_value`] (the same check that refused it when it was
//! requested) before anything runs: a value outside the safe alphabet (unless its parameter
//! declares a pattern), one a shell would interpret, or one starting with `-` is refused,
//! even though no shell would see it: the program itself, or a script it runs, may pass it
//! on to one.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tracing::{info, warn};

use crate::domain::action::argv::{check_argv_value, placeholder_in, whole_placeholder};
use crate::domain::action::{
    ActionJob, ActionOutcome, ActionStatus, Catalog, MAX_ACTION_OUTPUT_BYTES, ParamDef, ParamKind,
};
use crate::domain::message::Msg;

/// How long to wait for the pipes to close and the process to be reaped after killing its
/// group (a descendant that left the group may hold a pipe open; it is not waited for).
const AFTER_KILL_GRACE: Duration = Duration::from_secs(2);

/// Runs `executor = "shell"` jobs.
#[derive(Debug, Default, Clone)]
pub struct ShellExecutor {
    /// Each shell command's parameters, by command name, from the catalog: whether a value
    /// is held to the safe alphabet depends on its parameter declaring a pattern. A command
    /// or parameter not found here gets the strictest check.
    params: BTreeMap<String, Vec<ParamDef>>,
}

impl ShellExecutor {
    /// An executor that checks every value with the strictest rule (no pattern declared).
    pub fn new() -> ShellExecutor {
        ShellExecutor::default()
    }

    /// An executor that checks values against the catalog's parameter declarations.
    pub fn for_catalog(catalog: &Catalog) -> ShellExecutor {
        ShellExecutor {
            params: catalog
                .iter()
                .map(|command| (command.name.clone(), command.params.clone()))
                .collect(),
        }
    }
}

#[async_trait]
impl crate::exec::Executor for ShellExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        let declared = self.params.get(&job.command).map_or(&[][..], Vec::as_slice);
        let finished = match expand_argv(&job.command, &job.argv, &job.params, declared) {
            Ok(argv) => run_program(job, &argv, started).await,
            Err(refusal) => {
                warn!(command = %job.command, request = %job.request, "Shell command refused.");
                Finished {
                    status: ActionStatus::Refused,
                    summary: refusal,
                    details: Vec::new(),
                    output: String::new(),
                }
            }
        };
        ActionOutcome {
            status: finished.status,
            summary: finished.summary,
            details: finished.details,
            output: finished.output,
            scale: None,
            duration_ms: millis(started.elapsed()),
        }
    }
}

/// The program and arguments to run: the template with each whole-argument `{name}` replaced
/// by that parameter's checked value. Refuses a template whose program is not an absolute path,
/// a placeholder embedded in a longer argument, a placeholder with no parameter, and any
/// value [`check_argv_value`] refuses (judged by its declaration in `declared`, else as an
/// undeclared pattern-less string).
pub fn expand_argv(
    command: &str,
    template: &[String],
    params: &BTreeMap<String, String>,
    declared: &[ParamDef],
) -> Result<Vec<String>, Msg> {
    let Some(program) = template.first() else {
        return Err(Msg::new("shell-no-program").word("command", command));
    };
    if !program.starts_with('/') || placeholder_in(program) {
        return Err(Msg::new("shell-no-program").word("command", command));
    }
    let mut argv = Vec::with_capacity(template.len());
    for argument in template {
        if let Some(name) = whole_placeholder(argument) {
            let Some(value) = params.get(name) else {
                return Err(Msg::new("shell-param-missing")
                    .word("command", command)
                    .outside("param", name));
            };
            check_value(declared, name, value)?;
            argv.push(value.clone());
        } else if placeholder_in(argument) {
            return Err(Msg::new("shell-placeholder-partial")
                .word("command", command)
                .outside("argument", argument.as_str()));
        } else {
            argv.push(argument.clone());
        }
    }
    Ok(argv)
}

/// Refuses a value that may not be an argument (see [`check_argv_value`]); the refusal names
/// the parameter and the character.
pub fn check_value(declared: &[ParamDef], param: &str, value: &str) -> Result<(), Msg> {
    let undeclared;
    let definition = match declared.iter().find(|definition| definition.name == param) {
        Some(definition) => definition,
        None => {
            undeclared = ParamDef {
                name: param.to_owned(),
                kind: ParamKind::String { pattern: None },
                required: true,
            };
            &undeclared
        }
    };
    check_argv_value(definition, value).map_err(|refusal| refusal.to_msg())
}

/// The allow-listed environment variables a program gets: never warroom's own secrets, even
/// when a catalog file lists them.
pub fn passed_env(allowed: &[String]) -> Vec<&str> {
    const WARROOM_SECRETS: &[&str] = &[
        crate::config::INGEST_TOKEN_ENV,
        crate::config::DISCORD_TOKEN_ENV,
    ];
    allowed
        .iter()
        .map(String::as_str)
        .filter(|name| {
            let secret = WARROOM_SECRETS.contains(name);
            if secret {
                warn!(variable = %name, "A shell command's env lists one of warroom's secrets; it is not passed.");
            }
            !secret
        })
        .collect()
}

struct Finished {
    status: ActionStatus,
    summary: Msg,
    details: Vec<Msg>,
    output: String,
}

async fn run_program(job: &ActionJob, argv: &[String], started: Instant) -> Finished {
    let Some((program, arguments)) = argv.split_first() else {
        return Finished::refused(Msg::new("shell-no-program").word("command", &job.command));
    };
    let mut command = Command::new(program);
    command
        .args(arguments)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout can kill everything it started.
        .process_group(0)
        .kill_on_drop(true);
    for name in passed_env(&job.env) {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            warn!(command = %job.command, program = %program, %error, "Shell command could not start.");
            return Finished {
                status: ActionStatus::Failed,
                summary: Msg::new("shell-spawn-failed")
                    .outside("program", program.as_str())
                    .outside("error", error.to_string()),
                details: Vec::new(),
                output: String::new(),
            };
        }
    };
    // Kills the group if this future is dropped (the job pool gave up on it) before the
    // program was reaped; a reaped leader's group id could belong to someone else later.
    let mut group = GroupGuard {
        pgid: child.id().and_then(|id| i32::try_from(id).ok()),
    };
    let half = MAX_ACTION_OUTPUT_BYTES / 2;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(job.timeout_ms.max(1));
    let reading = async { tokio::join!(read_bounded(stdout, half), read_bounded(stderr, half)) };
    tokio::pin!(reading);
    let read = tokio::time::timeout_at(deadline, &mut reading).await.ok();
    // The program's leftovers (a background child it started) are killed before it is
    // reaped, on success too, so nothing outlives the job.
    let exit_watch = ExitWatch::open(&child);
    let status = match read {
        Some(_) => tokio::time::timeout_at(
            deadline,
            wait_killing_leftovers(&mut child, exit_watch, &group),
        )
        .await
        .ok(),
        None => None,
    };
    let program_name = program.as_str();
    let ms = millis(started.elapsed());
    let Some(status) = status else {
        group.kill();
        let _ = child.start_kill();
        let _ = tokio::time::timeout(AFTER_KILL_GRACE, child.wait()).await;
        group.pgid = None;
        // The pipes close once the group is dead; the reading future is polled again only
        // when it had not finished.
        let (stdout, stderr) = match read {
            Some(pair) => pair,
            None => tokio::time::timeout(AFTER_KILL_GRACE, &mut reading)
                .await
                .unwrap_or_default(),
        };
        warn!(command = %job.command, program = %program_name, timeout_ms = job.timeout_ms, "Shell command timed out; its process group was killed.");
        let (output, details) = combine(stdout, stderr);
        return Finished {
            status: ActionStatus::TimedOut,
            summary: Msg::new("shell-timed-out")
                .outside("program", program_name)
                .number("ms", job.timeout_ms),
            details,
            output,
        };
    };
    // Reaped: the group id may be reused from now on, so it is never signalled again.
    group.pgid = None;
    let (stdout, stderr) = read.unwrap_or_default();
    let (output, details) = combine(stdout, stderr);
    let (status_kind, summary) = match status {
        Ok(exit) if exit.success() => (
            ActionStatus::Succeeded,
            Msg::new("shell-succeeded")
                .outside("program", program_name)
                .number("ms", ms),
        ),
        Ok(exit) => match exit.code() {
            Some(code) => (
                ActionStatus::Failed,
                Msg::new("shell-exit-failed")
                    .outside("program", program_name)
                    .outside("code", code.to_string())
                    .number("ms", ms),
            ),
            None => (
                ActionStatus::Failed,
                Msg::new("shell-killed")
                    .outside("program", program_name)
                    .outside("signal", signal_of(exit))
                    .number("ms", ms),
            ),
        },
        Err(error) => (
            ActionStatus::Failed,
            Msg::new("shell-spawn-failed")
                .outside("program", program_name)
                .outside("error", error.to_string()),
        ),
    };
    info!(command = %job.command, program = %program_name, status = status_kind.as_str(), duration_ms = ms, "Shell command finished.");
    Finished {
        status: status_kind,
        summary,
        details,
        output,
    }
}

impl Finished {
    fn refused(summary: Msg) -> Finished {
        Finished {
            status: ActionStatus::Refused,
            summary,
            details: Vec::new(),
            output: String::new(),
        }
    }
}

/// Waits for the program to exit, kills what is left of its process group while the exited
/// program is still unreaped (a zombie: its id, which is the group's, cannot be reused yet),
/// then reaps it. Without a way to see the exit before reaping (no pidfd), the program is
/// reaped and its group left alone, as signalling a reaped leader's group is unsafe.
async fn wait_killing_leftovers(
    child: &mut tokio::process::Child,
    exit_watch: Option<ExitWatch>,
    group: &GroupGuard,
) -> std::io::Result<std::process::ExitStatus> {
    if let Some(exit_watch) = exit_watch
        && exit_watch.exited().await
    {
        group.kill();
    }
    child.wait().await
}

/// Sees a child's exit without reaping it: a pidfd becomes readable when the process exits.
struct ExitWatch {
    #[cfg(target_os = "linux")]
    pidfd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

impl ExitWatch {
    #[cfg(target_os = "linux")]
    fn open(child: &tokio::process::Child) -> Option<ExitWatch> {
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw)?;
        let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK)
            .inspect_err(|error| {
                warn!(%error, "No pidfd for a shell command; its leftovers are killed only on timeout.");
            })
            .ok()?;
        // `with_interest` is deprecated because a type's `as_raw_fd` could change or close its
        // descriptor while registered; an `OwnedFd` owned by the `AsyncFd` cannot (and
        // `unsafe`, which the replacement needs, is forbidden in this crate).
        #[allow(deprecated)]
        let pidfd = tokio::io::unix::AsyncFd::with_interest(pidfd, tokio::io::Interest::READABLE)
            .inspect_err(|error| {
                warn!(%error, "Cannot watch a shell command's pidfd; its leftovers are killed only on timeout.");
            })
            .ok()?;
        Some(ExitWatch { pidfd })
    }

    #[cfg(not(target_os = "linux"))]
    fn open(_child: &tokio::process::Child) -> Option<ExitWatch> {
        None
    }

    /// True once the process has exited (not yet reaped); false when that cannot be known.
    #[cfg(target_os = "linux")]
    async fn exited(&self) -> bool {
        self.pidfd.readable().await.is_ok()
    }

    #[cfg(not(target_os = "linux"))]
    async fn exited(&self) -> bool {
        false
    }
}

/// Kills a process group when dropped, unless disarmed (`pgid = None`).
struct GroupGuard {
    pgid: Option<i32>,
}

impl GroupGuard {
    fn kill(&self) {
        let Some(pid) = self.pgid.and_then(rustix::process::Pid::from_raw) else {
            return;
        };
        // ESRCH (the group is already gone) is the expected, harmless failure.
        if let Err(error) = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL)
            && error != rustix::io::Errno::SRCH
        {
            warn!(pgid = ?self.pgid, %error, "Could not kill a shell command's process group.");
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `pipe` to its end, keeping the first `limit` bytes and draining the rest (so the
/// program never blocks on a full pipe); returns what was kept and whether some was dropped.
async fn read_bounded(pipe: Option<impl AsyncRead + Unpin>, limit: usize) -> (Vec<u8>, bool) {
    let Some(mut pipe) = pipe else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let room = limit.saturating_sub(kept.len());
                let take = read.min(room);
                kept.extend_from_slice(&buffer[..take]);
                cut |= take < read;
            }
        }
    }
    (kept, cut)
}

/// stdout, then stderr under a marker line, as text within [`MAX_ACTION_OUTPUT_BYTES`]; a
/// detail line when either was cut.
fn combine(stdout: (Vec<u8>, bool), stderr: (Vec<u8>, bool)) -> (String, Vec<Msg>) {
    let mut output = String::from_utf8_lossy(&stdout.0).into_owned();
    if !stderr.0.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str("--- stderr ---\n");
        output.push_str(&String::from_utf8_lossy(&stderr.0));
    }
    let mut details = Vec::new();
    // Lossy decoding may lengthen invalid bytes; cut on a character boundary.
    if output.len() > MAX_ACTION_OUTPUT_BYTES {
        let mut end = MAX_ACTION_OUTPUT_BYTES;
        while !output.is_char_boundary(end) {
            end -= 1;
        }
        output.truncate(end);
    }
    if stdout.1 || stderr.1 {
        details.push(Msg::new("shell-output-truncated").number(
            "bytes",
            u64::try_from(MAX_ACTION_OUTPUT_BYTES / 2).unwrap_or(u64::MAX),
        ));
    }
    (output, details)
}

fn signal_of(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match status.signal() {
        Some(signal) => signal.to_string(),
        None => "?".to_owned(),
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
