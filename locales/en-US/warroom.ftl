# warroom — English (en-US). Every user-facing chat string lives here and in zh-CN.

## States, roles and actions (used inside other messages)
state-triggered = triggered
state-acknowledged = acknowledged
state-mitigated = mitigated
state-resolved = resolved
state-closed = closed
role-commander = Incident Commander
role-communications = Communications Lead
role-operations = Operations Lead
action-acknowledge = acknowledge
action-mitigate = mark as mitigated
action-resolve = resolve
action-close = close
action-reopen = reopen
action-severity = change the severity
action-role = assign roles
action-note = add notes
action-declare = declare incidents

## The incident card
card-title = 🚨 { $incident } · { $title }
card-severity = Severity
card-state = State
card-service = Service
card-alerts = Alerts
card-alerts-counts = { $firing } firing · { $resolved } resolved
card-alerts-all-resolved = ✅ { $resolved ->
        [one] all { $resolved } alert resolved
       *[other] all { $resolved } alerts resolved
    }{ $stage ->
        [closed] {""}
        [resolved] {" — close when you are satisfied"}
       *[other] {" — resolve when you are satisfied"}
    }
card-unassigned = unassigned
card-summary = Summary
card-description = Description
card-generator = Source
card-runbook = Runbook
button-acknowledge = Acknowledge
button-mitigate = Mitigated
button-resolve = Resolve
button-close = Close
button-reopen = Reopen
room-topic = { $title } · { $severity }

## Calling people in
mention-header = 📣 { $incident } ({ $severity }) needs you:
mention-line = • { $role }: { $user }
mention-unassigned = • { $role }: nobody on call — assign with /incident role

## Notices posted in the incident room
notice-state-changed = { $user } set the incident to { $state }.
notice-severity-changed = { $user } changed the severity to { $severity }.
notice-severity-raised-by-alert = Severity raised to { $severity } by alert { $alert }.
notice-role-assigned = { $user } is now { $role } (assigned by { $by }).
notice-note = 📝 { $user }: { $text }
notice-all-alerts-resolved = ✅ Every alert of this incident has resolved. Resolving the incident is your call.
notice-auto-resolved = The incident was resolved automatically because every alert resolved.

## Replies to the person who typed or clicked
reply-state-changed = { $incident } is now { $state }.
reply-severity-changed = { $incident } is now { $severity }.
reply-severity-unchanged = The severity already is { $severity }.
reply-role-assigned = { $user } is now { $role }.
reply-role-unchanged = { $user } already is { $role }.
reply-note-added = Note added to { $incident }.
reply-note-too-long = Notes are limited to { $max ->
        [one] { $max } character
       *[other] { $max } characters
    }.
reply-title-too-long = Titles are limited to { $max ->
        [one] { $max } character
       *[other] { $max } characters
    }.
reply-declared = Declared { $incident }; its room is being opened.
reply-status = { $incident } · { $title }
    State: { $state } · Severity: { $severity } · Alerts: { $firing } firing, { $resolved } resolved
    Commander: { $commander } · Communications: { $communications } · Operations: { $operations }
reply-timeline-header = Timeline of { $incident } (last { $shown } of { $total ->
        [one] { $total } entry
       *[other] { $total } entries
    }):
reply-help-header = Commands:
reply-help-line = { $command } — { $description }
reply-not-allowed = You may not { $action }: only the incident commander or a duty manager may, and read-only users may only look.
reply-transition-refused = Cannot { $action }: the incident is { $state }. From here: { $allowed }.
reply-unknown-user = { $user } is not a warroom user.
reply-unknown-person = { $user } is not a configured warroom user; ask an administrator to add you.
reply-no-incident-here = This room belongs to no incident. Use it inside an incident room, name one (/incident status id:INC-20261121-001), list the open ones with /incident list, or declare one with /incident declare.
reply-incident-not-found = Incident { $incident } does not exist.

## Command parsing errors
cmd-error-not-a-command = Commands start with /, for example /incident status.
cmd-error-unknown-command = There is no command /{ $command }. Try /help.
cmd-error-unknown-subcommand = /{ $command } needs one of: { $expected }.
cmd-error-missing-option = Missing { $option }.
cmd-error-unknown-option = This command has no option { $option }.
cmd-error-duplicate-option = { $option } was given twice.
cmd-error-invalid-choice = { $option }: "{ $value }" is not one of { $choices }.
cmd-error-invalid-integer = { $option }: "{ $value }" is not a whole number from { $min } to { $max }.
cmd-error-too-many-values = Too many values: { $extra }. Put text with spaces in quotes.
cmd-error-empty-value = { $option } must not be empty.

## Command descriptions (also the slash-command descriptions)
cmd-incident-ack-description = Acknowledge the incident: you are on it
cmd-incident-mitigate-description = Mark the incident mitigated: the bleeding has stopped
cmd-incident-resolve-description = Resolve the incident
cmd-incident-close-description = Close a resolved incident
cmd-incident-reopen-description = Reopen a resolved or closed incident
cmd-incident-status-description = Show the incident's state, severity, alerts and roles
cmd-incident-severity-description = Change the incident's severity
cmd-incident-severity-opt-level = The new severity
cmd-incident-role-description = Give someone an incident role
cmd-incident-role-opt-role = The role
cmd-incident-role-opt-user = The person
cmd-incident-note-description = Add a note to the timeline
cmd-incident-note-opt-text = What to record
cmd-incident-declare-description = Open an incident by hand
cmd-incident-declare-opt-title = What is wrong
cmd-incident-declare-opt-severity = How bad (default sev3)
cmd-timeline-description = Show the latest timeline entries
cmd-timeline-opt-limit = How many entries ({ $min }–{ $max })
cmd-help-description = List the commands
cmd-run-description = Run a catalogued command (diagnosis, scaling); changes wait for two approvals
cmd-run-opt-command = The catalogued command
cmd-run-opt-params = Its parameters, in order or as name:value
cmd-diag-description = Diagnose a service and what it depends on
cmd-diag-opt-service = The service
cmd-scale-description = Scale a service's deployment (needs approvals)
cmd-scale-opt-service = The service
cmd-scale-opt-replicas = The replica count ({ $min }–{ $max })
cmd-actions-description = List the catalogued commands and this incident's requests

## Timeline lines
tl-incident-opened = #{ $seq } { $at } { $actor } opened the incident: { $title } ({ $severity })
tl-alert-received = #{ $seq } { $at } { $actor } alert { $alert } ({ $status })
tl-alert-updated = #{ $seq } { $at } { $actor } alert { $alert } updated
tl-alert-resolved = #{ $seq } { $at } { $actor } alert { $alert } resolved
tl-all-alerts-resolved = #{ $seq } { $at } every alert resolved
tl-state-changed = #{ $seq } { $at } { $actor } { $from } → { $state }
tl-severity-changed = #{ $seq } { $at } { $actor } severity { $from } → { $severity }
tl-role-assigned = #{ $seq } { $at } { $actor } { $user } is { $role }
tl-room-created = #{ $seq } { $at } room { $room } opened
tl-card-posted = #{ $seq } { $at } incident card posted
tl-note-added = #{ $seq } { $at } { $actor } note: { $text }
tl-reaction-added = #{ $seq } { $at } { $actor } reacted { $emoji }

## Discord
reply-internal-error = Something went wrong on warroom's side; the error is logged. Try again, or use the console.
reply-unmapped-discord-user = You have no warroom role in this server. Ask an administrator to give you a role that warroom maps (duty manager or responder).
reply-unknown-button = This button is not one warroom knows.

## Slash command names (Discord shows these; lowercase, no spaces)
cmd-incident-name = incident
cmd-incident-description = Work on the incident of this channel
cmd-incident-ack-name = ack
cmd-incident-mitigate-name = mitigate
cmd-incident-resolve-name = resolve
cmd-incident-close-name = close
cmd-incident-reopen-name = reopen
cmd-incident-status-name = status
cmd-incident-severity-name = severity
cmd-incident-role-name = role
cmd-incident-note-name = note
cmd-incident-declare-name = declare
cmd-timeline-name = timeline
cmd-help-name = help
cmd-run-name = run
cmd-diag-name = diag
cmd-scale-name = scale
cmd-actions-name = actions
cmd-incident-severity-opt-level-name = level
cmd-incident-role-opt-role-name = role
cmd-incident-role-opt-user-name = user
cmd-incident-note-opt-text-name = text
cmd-incident-declare-opt-title-name = title
cmd-incident-declare-opt-severity-name = severity
cmd-timeline-opt-limit-name = limit
cmd-run-opt-command-name = command
cmd-run-opt-params-name = params
cmd-diag-opt-service-name = service
cmd-scale-opt-service-name = service
cmd-scale-opt-replicas-name = replicas

## The alerts room
alert-below-threshold = ⚠️ { $severity } { $alert } on { $service }: { $summary } (below the incident threshold; no incident opened)

# --- domain rules and commands ---
cmd-error-invalid-incident-id = { $option }: "{ $value }" is not an incident id; they look like INC-20261121-001 (see /incident list).
cmd-incident-status-opt-id = Which incident (default: this room's)
cmd-incident-status-opt-id-name = id
cmd-incident-list-description = List the open incidents, newest first
cmd-incident-list-name = list
cmd-incident-ack-example = ↳ e.g. /incident ack
cmd-incident-mitigate-example = ↳ e.g. /incident mitigate
cmd-incident-resolve-example = ↳ e.g. /incident resolve
cmd-incident-close-example = ↳ e.g. /incident close
cmd-incident-reopen-example = ↳ e.g. /incident reopen
cmd-incident-status-example = ↳ e.g. /incident status   or, from any room: /incident status id:INC-20261121-001
cmd-incident-list-example = ↳ e.g. /incident list
cmd-incident-severity-example = ↳ e.g. /incident severity sev1
cmd-incident-role-example = ↳ e.g. /incident role commander alice
cmd-incident-note-example = ↳ e.g. /incident note don't restart the db yet, failover in progress
cmd-incident-declare-example = ↳ e.g. /incident declare Checkout returns 500s severity:sev2
cmd-timeline-example = ↳ e.g. /timeline limit:30
cmd-help-example = ↳ e.g. /help
cmd-run-example = ↳ e.g. /run scale checkout-api 3
cmd-diag-example = ↳ e.g. /diag checkout-api
cmd-scale-example = ↳ e.g. /scale checkout-api 3
cmd-actions-example = ↳ e.g. /actions
reply-list-empty = No incident is open.
reply-list-header = Open incidents: { $count }
reply-list-line = • { $incident } · { $severity } · { $state } · { $title } (alerts firing: { $firing })
reply-list-more = … and { $more } older ones (see GET /v1/incidents).
reply-timeline-zone = Times in { $zone }.
reply-incident-closed = { $incident } is closed, so you cannot { $action }. Reopen it first with /incident reopen.
reply-resolved-while-firing = { $incident } is now resolved. ⚠️ Alerts still firing: { $firing }. Check them, or reopen if the problem is back.
notice-resolved-while-firing = ⚠️ The incident was resolved while alerts still fire (still firing: { $firing }).
tl-stale-alert-ignored = #{ $seq } { $at } { $actor } alert { $alert } (started { $started }) arrived after its resolve and was ignored
tl-alert-start-corrected = #{ $seq } { $at } alert { $alert } gave an implausible start ({ $original }); durations use the time it arrived
tl-alerts-truncated = #{ $seq } { $at } the sender left { $count } alerts out of a notification; raise its max_alerts

# --- deadlines ---
notice-ack-reminder = ⏰ { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }. { $commander } { $operations }: please acknowledge with /incident ack (reminder { $number } of { $max }).
notice-ack-reminder-one = ⏰ { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }. { $user }: please acknowledge with /incident ack (reminder { $number } of { $max }).
notice-ack-reminder-nobody = ⏰ { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }, and nobody is commander or operations lead: assign one with /incident role (reminder { $number } of { $max }).
tl-ack-reminder = #{ $seq } { $at } acknowledgement reminder { $number } of { $max } sent
# --- jobs, probes and tracked messages ---
button-reprobe = Re-probe
button-diagnose = Diagnose
probe-running = 🔎 Probing { $url } …
probe-answered = 🔎 Health probe { $url }: { $status } { $reason } in { $latency } ms
probe-redirect = ↳ redirects to { $location } (not followed)
probe-failed = 🔎 Health probe { $url }: no answer ({ $failure }: { $error }) after { $latency } ms
probe-timed-out = 🔎 Health probe { $url }: no answer within { $latency } ms (timed out)
probe-refused = 🔎 Not probed: { $url } ({ $reason })
reply-probe-started = Probing { $incident }'s health URL again; the probe message will show the result.
reply-probe-running = A probe of { $incident }'s health URL is already running; wait for its result.
reply-probe-none = { $incident } has no health URL to probe.
reply-probe-refused = Not probed: { $url } ({ $reason }).
tl-probe-answered = #{ $seq } { $at } { $actor } probed { $url }: { $status } in { $latency } ms
tl-probe-failed = #{ $seq } { $at } { $actor } probed { $url }: no answer ({ $failure }: { $error })
tl-probe-refused = #{ $seq } { $at } { $actor } did not probe { $url } ({ $reason })
tl-job-interrupted = #{ $seq } { $at } a { $job } job was running when warroom stopped; outcome unknown, not run again
tl-job-interrupted-rerun = #{ $seq } { $at } a { $job } job was running when warroom stopped; outcome unknown, running it again
# --- jobs fixes ---
tl-probe-no-answer = #{ $seq } { $at } { $actor } probed { $url }: no answer ({ $failure })
probe-refusal-not_a_url = not a URL
probe-refusal-scheme_not_allowed = only http and https are probed
probe-refusal-credentials_in_url = a URL with a user name or password is never probed
probe-refusal-host_not_allowed = its host is not in [probes] allow_hosts
probe-refusal-port_not_allowed = its port is not allowed: only the scheme's default port, unless [probes] allow_hosts lists host:port
probe-failure-connect = connection failed
probe-failure-broken_response = the response broke off
probe-failure-request = request failed
probe-failure-timed_out = timed out
job-kind-probe = health probe
tl-probe-requested = #{ $seq } { $at } { $actor } asked to probe { $url } again

# --- actions (skeleton) ---
action-executor-missing = The { $executor } executor is not configured here; see the [kubernetes], [prometheus] and [logs] sections of the config.

# --- observe: http, prometheus, logs and link diagnosis ---
exec-no-service = The { $command } command names no configured service.
exec-unknown-action = The { $executor } executor has no action { $name }; it knows: { $known }.
exec-param-missing = The { $command } command needs the parameter { $param }.
exec-param-invalid = The { $executor } executor cannot use { $param } = { $value }.
exec-unreachable = Could not reach { $system } at { $url }: { $error }
exec-timed-out = { $system } gave no answer within { $ms } ms.
exec-response-too-large = { $system } answered more than { $max } bytes; narrow the query.
exec-bad-response = { $system } answered something unreadable: { $error }
http-no-health-url = { $service } has no health_url: set one in its [[services]] entry.
http-refused = Not fetched: { $url } ({ $reason }).
http-healthy = ✅ { $service } is healthy: { $url } answered { $status } in { $latency } ms.
http-unhealthy = ❌ { $service } is unhealthy: { $url } answered { $status } in { $latency } ms.
http-no-answer = ❌ { $service } gave no answer: { $url } ({ $failure }: { $error }) after { $latency } ms.
http-body = Body: { $excerpt }
prom-error = Prometheus refused the query ({ $type }): { $error }
prom-http-error = Prometheus answered HTTP { $status }: { $body }
prom-no-data = The query returned no data.
prom-vector = Query result: { $series ->
        [one] 1 series
       *[other] { $series } series
    }.
prom-matrix = Query result: { $series ->
        [one] 1 series
       *[other] { $series } series
    } over the last { $range }.
prom-scalar = Query result: { $value }
prom-threshold-summary = { $breached } of { $series } series outside the thresholds.
prom-series = { $labels } = { $value }
prom-series-range = { $labels }: min { $min }, max { $max }, last { $last }
prom-series-above = ⚠ { $labels } = { $value }, above { $threshold }
prom-series-below = ⚠ { $labels } = { $value }, below { $threshold }
prom-more-series = … and { $count } more series (the full output has them).
prom-checks = { $service }: { $breached } of { $checks } checks breached.
prom-checks-none = { $service } has no checks: add them to its [[services]] entry.
logs-no-selector = { $service } has no log_selector: set one in its [[services]] entry.
logs-summary = 📜 { $service }: { $errors } error lines among { $lines } log lines in the last { $window }.
logs-summary-capped = 📜 { $service }: { $errors } error lines among the newest { $lines } of { $matched } log lines in the last { $window }.
logs-summary-limit = 📜 { $service }: { $errors } error lines among the newest { $lines } log lines in the last { $window } (the read limit; there may be more).
logs-none = 📜 { $service }: no log lines matched in the last { $window }.
logs-error = { $system } refused the log query (HTTP { $status }): { $error }
logs-partial = Some shards failed or the search timed out: the counts may be low.
logs-pattern-pool_exhausted = ⚠ Connection pool exhausted: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-out_of_memory = ⚠ Out of memory: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-null_pointer = ⚠ Null pointer: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-timeout = ⚠ Timeouts: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-connection_refused = ⚠ Connection refused: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-disk_full = ⚠ Disk full: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-pattern-deadlock = ⚠ Deadlock: { $count ->
        [one] 1 line
       *[other] { $count } lines
    }
logs-top-message = { $count }× { $message }
logs-stack-trace = First stack trace: { $line }
diag-evidence-health = ↳ health: { $url } answered { $status } in { $latency } ms
diag-evidence-health-none = ↳ health: { $url } gave no answer ({ $error })
diag-evidence-check-above = ↳ { $check } = { $value }, above its max { $threshold }
diag-evidence-check-below = ↳ { $check } = { $value }, below its min { $threshold }
diag-evidence-check-ok = ↳ { $check } = { $value }, within bounds
diag-evidence-check-failed = ↳ { $check } could not be evaluated: { $error }
diag-evidence-check-no-data = ↳ { $check }: no data
diag-evidence-logs = ↳ logs: { $errors } error lines of { $lines } read
diag-evidence-logs-failed = ↳ logs could not be read: { $error }
diag-summary-cause = 🩺 Likely cause: { $service }, failing while its dependencies are healthy ({ $failing } of { $checked } services failing).
diag-summary-no-single-cause = 🩺 { $failing } of { $checked } services failing, each behind another failing one; start with { $service }.
diag-summary-healthy = 🩺 No problem found: { $service } and its dependencies look healthy ({ $checked } services checked).
diag-summary-nothing-observed = 🩺 Nothing could be observed for { $service } or its dependencies: configure health_url, checks or log_selector in [[services]], and [prometheus] or [logs].
diag-candidate-cause = { $rank }. { $service } — likely cause
diag-candidate-downstream = { $rank }. { $service } — failing behind { $dependencies }
diag-candidates-more = … and { $count } more failing services (the full output has them).
diag-unobserved = Not observed (nothing configured, or the queries failed): { $services }
# --- kube: kubernetes and shell executors ---
kube-no-service = Not run: { $command } names no service to act on.
kube-no-deployment = Not run: service { $service } has no deployment; set namespace and deployment in its [[services]] entry.
kube-unknown-action = Not run: the kubernetes executor has no action { $name } (command { $command }); it knows scale, scale-rollback and restart.
kube-scale-unchanged = { $namespace }/{ $deployment } already runs { $replicas } replicas; nothing changed.
kube-scaled = Scaled { $namespace }/{ $deployment } from { $current } to { $replicas } replicas.
kube-scaled-dry-run = Dry run: the API server accepted scaling { $namespace }/{ $deployment } from { $current } to { $replicas } replicas; nothing changed.
kube-restarted = Rollout restart of { $namespace }/{ $deployment } requested; its pods are replaced gradually.
kube-restarted-dry-run = Dry run: the API server accepted a rollout restart of { $namespace }/{ $deployment }; nothing changed.
kube-timed-out = No answer from the Kubernetes API within the job's timeout while trying to { $verb } { $resource } of { $namespace }/{ $deployment }; look at the deployment before trying again (the change may have been applied).
kube-not-found = No deployment { $deployment } in namespace { $namespace } (404 Not Found); check namespace and deployment in the service's [[services]] entry.
kube-forbidden = The Kubernetes API refused to { $verb } { $resource } in namespace { $namespace } (403 Forbidden): warroom's service account lacks that permission; apply the Role in deploy/kubernetes/rbac.yaml to namespace { $namespace }.
kube-unauthorized = The Kubernetes API server { $server } did not accept warroom's credentials (401 Unauthorized); check its service account token or kubeconfig.
kube-conflict = { $namespace }/{ $deployment } changed while warroom was updating it (409 Conflict: { $message }); look at it and try again.
kube-api-error = The Kubernetes API answered { $code } to { $verb } { $resource } of { $namespace }/{ $deployment }: { $message }
kube-unreachable = Could not reach the Kubernetes API server { $server }: connection refused.
kube-transport-error = Could not talk to the Kubernetes API server { $server }: { $error }
kube-no-rollback = Not run: there is no earlier scale of { $service } to go back to.
kube-rollback-mismatch = Not run: the approved replicas { $value } differ from the count { $service } is to go back to ({ $replicas }).
kube-replicas-missing = Not run: { $command } needs a replicas parameter.
kube-replicas-not-a-number = Not run: replicas { $value } is not a whole number.
kube-no-max-replicas = Not run: service { $service } has no max_replicas; set it in its [[services]] entry to allow scaling.
kube-replicas-below-min = Not run: replicas: { $value } is below { $service }'s min_replicas { $min }.
kube-replicas-above-max = Not run: replicas: { $value } is above { $service }'s max_replicas { $max }.
shell-no-program = Not run: { $command } has no argv, or its program is not an absolute path.
shell-param-missing = Not run: the argv of { $command } uses the parameter { $param }, which the request does not have.
shell-placeholder-partial = Not run: argument { $argument } of { $command } embeds a placeholder; a placeholder must be a whole argument.
shell-value-refused = Not run: parameter { $param } contains { $character }; shell commands never accept ; | & $ ` < > or control characters such as newlines.
shell-value-flag = Not run: parameter { $param } starts with "-", which the program would read as an option.
shell-spawn-failed = Could not start { $program }: { $error }
shell-succeeded = { $program } finished (exit 0) in { $ms } ms.
shell-exit-failed = { $program } failed with exit code { $code } after { $ms } ms.
shell-killed = { $program } was killed by signal { $signal } after { $ms } ms.
shell-timed-out = { $program } ran past its { $ms } ms timeout; it and every process it started were killed.
shell-output-truncated = The output was cut at { $bytes } bytes per stream.
# --- catalog ---
cmd-error-not-an-integer = { $option }: "{ $value }" is not a whole number.
cmd-error-integer-below = { $option }: { $value } is below the least allowed, { $min }.
cmd-error-integer-above = { $option }: { $value } is above the most allowed, { $max }.
action-error-unknown-command = There is no catalogued command "{ $command }". Known: { $known } (see /actions).
action-error-missing-option = { $command }: { cmd-error-missing-option }
action-error-unknown-option = { $command }: { cmd-error-unknown-option }
action-error-duplicate-option = { $command }: { cmd-error-duplicate-option }
action-error-invalid-choice = { $command }: { cmd-error-invalid-choice }
action-error-invalid-integer = { $command }: { cmd-error-invalid-integer }
action-error-not-an-integer = { $command }: { cmd-error-not-an-integer }
action-error-integer-below = { $command }: { cmd-error-integer-below }
action-error-integer-above = { $command }: { cmd-error-integer-above }
action-error-too-many-values = { $command }: { cmd-error-too-many-values }
action-error-empty-value = { $command }: { cmd-error-empty-value }
action-error-unknown-service = { $command }: { $option }: there is no service "{ $value }". Known services include { $known }.
action-error-no-services = { $command }: { $option }: there is no service "{ $value }"; no services are configured ([[services]] in the config).
action-error-pattern-mismatch = { $command }: { $option }: "{ $value }" does not match the pattern { $pattern }.
action-error-invalid-duration = { $command }: { $option }: "{ $value }" is not a duration like 30s, 5m or 1h30m.
action-error-duration-out-of-range = { $command }: { $option }: "{ $value }" must be longer than 0s and at most { $max }.
action-error-value-too-long = { $command }: { $option } is longer than { $max } characters.
action-error-control-character = { $command }: { $option } must be one line without control characters.
action-error-above-service-max = { $command }: { $option }: { $value } is above { $service }'s max_replicas { $max }.
action-error-below-service-min = { $command }: { $option }: { $value } is below { $service }'s min_replicas { $min }.
action-error-service-missing-config = { $command }: service { $service } has no { $key } in its [[services]] entry, so it cannot be changed from chat; add it to the config.
catalog-diag-description = Diagnose a service and everything it depends on: health, checks and error logs, with ranked root-cause candidates
catalog-health-description = Fetch a service's health URL: status, latency and the start of the body
catalog-promql-description = Run a PromQL query (instant, or over a range)
catalog-logs-description = Count and classify a service's recent error logs
catalog-scale-description = Scale a service's deployment to a number of replicas
catalog-scale-rollback-description = Scale a service back to the replica count before its last scale
catalog-restart-description = Restart a service's deployment (rollout restart)
catalog-dns-description = Resolve a service's host name from warroom's host (getent hosts)
# --- actions: rendering, /actions and timeline lines (adapters) ---
act-msg-title = 🛠️ { $request } · { $line } · { $request_state }
act-msg-requested = Requested by { $requester } · risk: { $risk }
act-msg-read-only = Read-only: runs without approvals.
act-msg-approvals = Approvals: { $approved } of { $required }
act-msg-approved-by = Approved by:{" "}
act-msg-separator = {", "}
act-msg-rejected = Rejected by { $user }
act-msg-how-to-vote = Vote with Approve or Reject, or react ✅ or ❌ to this message.
act-msg-expires = Expires { $at } unless approved
act-msg-more-details = … { $count } more, and the whole output: GET /v1/incidents/{ $incident }/actions/{ $request }
act-msg-output-cut = Output cut to fit; the whole output: GET /v1/incidents/{ $incident }/actions/{ $request }
button-approve = Approve
button-reject = Reject
act-state-awaiting_approval = awaiting approval
act-state-queued = queued
act-state-running = running
act-state-succeeded = succeeded
act-state-failed = failed
act-state-rejected = rejected
act-state-expired = expired
act-state-cancelled = cancelled
act-state-interrupted = interrupted
act-risk-low = low
act-risk-medium = medium
act-risk-high = high
act-role-commander = incident commanders
act-role-communications = communications leads
act-role-operations = operations leads
act-role-duty_manager = duty managers
act-role-responder = responders
act-role-viewer = viewers
act-status-succeeded = succeeded
act-status-failed = failed
act-status-timed_out = timed out
act-status-refused = refused
act-vote-reason-self_approval = the requester cannot approve their own request
act-vote-reason-already_voted = they already voted
act-vote-reason-not_approver = they do not hold the approver role
act-vote-reason-expired = the request had expired
act-vote-reason-digest_mismatch = the request no longer matches what was approved
act-vote-reason-not_pending = the request was no longer waiting for approval
act-vote-reason-viewer = viewers may not vote
act-cancel-reason-rejected = an approver rejected it
act-cancel-reason-incident_closed = the incident was closed
act-cancel-reason-withdrawn = the requester withdrew it
act-cancel-reason-plan_missing = the job planned when it was requested could not be found
act-cancel-reason-plan_mismatch = the job planned when it was requested no longer matches what was approved
tl-action-requested = #{ $seq } { $at } { $actor } requested { $request }: { $line } ({ $required ->
        [0] read-only, runs at once
        [one] 1 approval needed
       *[other] { $required } approvals needed
    })
tl-action-approved = #{ $seq } { $at } { $actor } approved { $request } ({ $approvals } of { $required })
tl-action-rejected = #{ $seq } { $at } { $actor } rejected { $request }
tl-action-vote-ignored = #{ $seq } { $at } { $actor }'s { $vote ->
        [approve] approval
       *[reject] rejection
    } of { $request } did not count: { $vote_reason }
tl-action-expired = #{ $seq } { $at } { $request } expired before enough approvals; it will not run
tl-action-cancelled = #{ $seq } { $at } { $request } was cancelled: { $cancel_reason }
tl-action-started = #{ $seq } { $at } { $request } started (job { $job })
tl-action-finished = #{ $seq } { $at } { $request } finished: { $outcome }
tl-action-interrupted = #{ $seq } { $at } { $request } was running when warroom stopped; its outcome is unknown and it is not run again (not idempotent)
tl-action-interrupted-rerun = #{ $seq } { $at } { $request } was running when warroom stopped; it runs again (idempotent)
reply-actions-catalog-header = Commands ({ $count }):
reply-actions-catalog-empty = No command is catalogued; see [actions] commands_dir in the config.
reply-actions-command = • { $syntax } — { $description } · { $approvals ->
        [0] read-only
        [one] needs 1 approval from { $approver }
       *[other] needs { $approvals } approvals from { $approver }
    }
reply-actions-more = … and { $count } more
reply-actions-requests-header = Requests in { $incident } ({ $count }):
reply-actions-requests-empty = No request in { $incident } yet.
reply-actions-request = • { $request } · { $request_state } · { $line } · by { $requester } · approvals { $approved }/{ $required }
reply-actions-requests-earlier = … { $count } earlier; GET /v1/incidents/{ $incident }/actions lists them all
autocomplete-command = { $command } — { $description }
# --- approvals ---
action-run = run catalogued commands
role-duty_manager = duty manager
role-responder = responder
role-viewer = viewer
action-refused-incident-ended = { $incident } is { $state }: actions run only in open incidents.
action-refused-no-rollback = { $command }: { $service } has no earlier successful scale to go back to.
action-refused-cooldown = { $command } on { $service } is cooling down: try again in { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }.
action-reply-awaiting = { $request }: { $command } waits for { $required ->
        [one] 1 approval
       *[other] { $required } approvals
    } (Approve or ✅ on its message).
action-reply-queued = { $request }: { $command } is running; its message will show the result.
action-vote-counted = { $request }: your approval counts ({ $approvals } of { $required }).
action-vote-queued = { $request }: approved; { $command } is running.
action-vote-rejected = { $request }: rejected; it will not run.
action-vote-command-gone = { $request }: { $command } is no longer in the catalog, so it cannot run.
action-vote-unknown-request = { $incident } has no request { $request }.
action-vote-ignored-expired = { $request } has expired; it will never run. Ask again if it is still needed.
action-vote-ignored-not-pending = { $request } is no longer waiting for votes; yours was not counted.
action-vote-ignored-self = { $request } is your own request: someone else must approve it.
action-vote-ignored-not-approver = Only a { $role } may vote on { $request }; yours was not counted.
action-vote-ignored-already-voted = You already voted on { $request }; one person counts once.
action-vote-ignored-digest = { $request } no longer matches what was requested; it will never run.
action-vote-ignored-wrong-incident = { $request } belongs to another incident; the vote was not counted.
action-timed-out = { $command } did not finish within { $seconds } s; warroom stopped waiting for it. Whatever it had already sent may or may not have taken effect: check before running it again.
action-refused-digest = { $request } does not match what was approved, so it was not run.

# --- shell argument values ---
shell-value-outside-alphabet = Not run: parameter { $param } contains { $character }; a shell command's value may hold only letters, digits and . _ : / = @ + , - (no spaces, quotes, backslashes or wildcards) unless its catalog file gives the parameter a pattern.

# --- kubernetes scale confirmation ---
kube-scaled-confirmed = Scaled { $namespace }/{ $deployment } from { $current } to { $replicas } replicas (the API gave no answer to the change; re-reading the deployment confirmed it).
kube-scale-unconfirmed = The Kubernetes API gave no answer to scaling { $namespace }/{ $deployment } to { $replicas } replicas, and re-reading it shows { $seen }: the change may or may not have been applied (it may still be). Look at the deployment before trying again.
# --- fixrules: approval integrity ---
action-vote-plan-refused = { $request }: what was approved cannot be found or no longer matches the request, so it will not run; ask again.
action-refused-stale = { $request } ({ $command }) was approved at { $approved }, too long ago (approvals last { $minutes } min); it was not run. Ask again.
action-error-format-character = { $command }: { $option } holds an invisible formatting character (such as a right-to-left override or a zero-width space), which would hide what runs; type the value plainly.
action-error-line-too-long = { $command }: the command line would be { $length } characters, more than the { $max } its approval message shows whole; approvers must see all of it, so shorten the parameters.

## Time: escalation, tasks, status updates (timeline lines).
tl-escalation-step = #{ $seq } { $at } escalation step { $step } called { $count } { $count ->
        [one] person
       *[other] people
    } ({ $how })
tl-task-added = #{ $seq } { $at } { $actor } added task { $task }: { $title }
tl-task-assigned = #{ $seq } { $at } { $actor } assigned task { $task } to { $user }
tl-task-done = #{ $seq } { $at } { $actor } marked task { $task } done
tl-task-snoozed = #{ $seq } { $at } { $actor } snoozed task { $task } until { $until }
tl-task-reminded = #{ $seq } { $at } { $user } reminded of overdue tasks { $tasks }
tl-task-escalated = #{ $seq } { $at } overdue tasks { $tasks } escalated to the { $role }
tl-status-update = #{ $seq } { $at } { $actor } status update: { $text }
tl-status-update-reminded = #{ $seq } { $at } status update reminder { $number } sent

## Time: commands (tasks, status updates, on call).
cmd-task-name = task
cmd-task-description = Track the incident's tasks and follow-ups
cmd-oncall-name = oncall
cmd-oncall-description = Who is on call, and overrides
cmd-incident-update-name = update
cmd-incident-update-description = Post a status update (also announced)
cmd-incident-update-opt-text = What changed, for everyone following
cmd-incident-update-opt-text-name = text
cmd-incident-update-example = ↳ e.g. /incident update failover done, error rate back to normal, watching
cmd-task-add-name = add
cmd-task-add-description = Add a task, optionally with an assignee and a due time
cmd-task-add-opt-title = What needs doing
cmd-task-add-opt-title-name = title
cmd-task-add-opt-assignee = Who does it
cmd-task-add-opt-assignee-name = assignee
cmd-task-add-opt-due = When it is due: a duration (30m, 4h) or a time (18:00, 2026-12-02 09:00)
cmd-task-add-opt-due-name = due
cmd-task-add-example = ↳ e.g. /task add "roll back the config" @ops 30m
cmd-task-done-name = done
cmd-task-done-description = Mark a task done
cmd-task-done-opt-id = The task, e.g. T3
cmd-task-done-opt-id-name = id
cmd-task-done-example = ↳ e.g. /task done T3
cmd-task-list-name = list
cmd-task-list-description = List this incident's tasks
cmd-task-list-example = ↳ e.g. /task list
cmd-task-assign-name = assign
cmd-task-assign-description = Give a task to someone
cmd-task-assign-opt-id = The task, e.g. T3
cmd-task-assign-opt-id-name = id
cmd-task-assign-opt-user = Who does it
cmd-task-assign-opt-user-name = user
cmd-task-assign-example = ↳ e.g. /task assign T3 @alice
cmd-task-snooze-name = snooze
cmd-task-snooze-description = Push a task's due time back
cmd-task-snooze-opt-id = The task, e.g. T3
cmd-task-snooze-opt-id-name = id
cmd-task-snooze-opt-for = For how long, e.g. 1h
cmd-task-snooze-opt-for-name = for
cmd-task-snooze-example = ↳ e.g. /task snooze T3 1h
cmd-oncall-show-name = show
cmd-oncall-show-description = Who holds each on-call role now and next
cmd-oncall-show-example = ↳ e.g. /oncall show
cmd-oncall-override-name = override
cmd-oncall-override-description = Put someone on call for a role until a time (duty managers)
cmd-oncall-override-opt-role = The on-call role
cmd-oncall-override-opt-role-name = role
cmd-oncall-override-opt-user = Who takes it
cmd-oncall-override-opt-user-name = user
cmd-oncall-override-opt-until = Until when: a duration (4h) or a time (2026-12-02 09:00)
cmd-oncall-override-opt-until-name = until
cmd-oncall-override-example = ↳ e.g. /oncall override commander @dave 4h

# --- chat: direct messages, announcements, status updates ---
action-update = post status updates
reply-update-posted = Status update posted in { $incident } and announced.
reply-update-empty = Write what changed: /incident update <text>.
reply-update-too-long = A status update holds at most { $max } characters; shorten it.
notice-status-update = 📣 Status update from { $user }: { $text }
announce-status-update = 📣 { $incident } ({ $severity }) { $title } — { $user }: { $text }
notice-status-update-due = ⏰ { $first } { $second }: { $incident } has had no status update for { $minutes } min. Post one with /incident update <text> (reminder { $number } of { $max }).
notice-status-update-due-one = ⏰ { $user }: { $incident } has had no status update for { $minutes } min. Post one with /incident update <text> (reminder { $number } of { $max }).
notice-status-update-due-nobody = ⏰ { $incident } has had no status update for { $minutes } min, and nobody holds the commander or communications role. Post one with /incident update <text> (reminder { $number } of { $max }).
direct-status-update-overdue = ⏰ { $incident } ({ $severity }) { $title } has had no status update for { $minutes } min after { $number } { $number ->
        [one] reminder
       *[other] reminders
    } to its commander and communications lead. As duty manager, please follow up.
# --- tasks ---
action-task = manage tasks
task-error-empty-title = A task needs a title: /task add "what needs doing" [@who] [30m].
task-error-title-too-long = A task title holds at most { $max } characters; this one has { $chars }. Keep the title short and put details in a note.
task-error-not-a-task-id = "{ $text }" is not a task id like T1; /task list shows this incident's tasks.
task-error-unknown-task = This incident has no task { $task }; /task list shows its tasks.
task-error-already-done = Task { $task } is already done.
task-error-too-many = This incident already holds { $max } tasks, the most one incident may hold.
task-error-bad-due = "{ $text }" is not a due time: use a duration like 30m or 4h, a time like 18:00 or 2026-11-21 18:00, or an RFC 3339 time.
task-error-due-in-past = "{ $text }" is not ahead of now: a due time must lie in the future.
task-error-due-too-far = "{ $text }" is more than { $days } days ahead.
task-error-bad-snooze = "{ $text }" is not a duration like 30m or 4h.
reply-task-added = Task { $task } added to { $incident }.
reply-task-added-due = Task { $task } added to { $incident }, due { $due }.
reply-task-added-followup = Task { $task } added to { $incident } as a follow-up, due { $due }.
reply-task-done = Task { $task } is done.
reply-task-assigned = Task { $task } is now { $assignee }'s.
reply-task-snoozed = Task { $task } snoozed until { $due }.
reply-task-list-empty = No task in { $incident } yet; add one with /task add "what needs doing" @who 30m.
reply-task-list-header = Tasks in { $incident }: { $open } open, { $done } done{ $pages ->
        [1] {""}
       *[other] {""} (page { $page } of { $pages })
    }.
reply-task-line = • { $task } { $title } · { $assignee } · { $status ->
        [overdue] ⚠ overdue since
       *[other] due
    } { $when }
reply-task-line-no-due = • { $task } { $title } · { $assignee } · no due time
reply-task-line-unassigned = • { $task } { $title } · nobody yet · { $status ->
        [overdue] ⚠ overdue since
       *[other] due
    } { $when }
reply-task-line-unassigned-no-due = • { $task } { $title } · nobody yet · no due time
reply-task-line-done = • { $task } { $title } · ✅ done { $when }
reply-task-list-more = … { $count } more: /task list page:{ $next }
notice-task-added = 📋 { $task } { $title } (added by { $user })
notice-task-added-for = 📋 { $task } { $title }: { $assignee }, this is yours (added by { $user })
notice-task-assigned = 📋 { $task } { $title }: { $assignee }, this is yours now (assigned by { $user })
notice-task-done = ✅ { $task } { $title } is done ({ $user })
notice-task-reminder = ⏰ { $user }: { $count ->
        [one] task { $tasks } in { $incident } is overdue
       *[other] { $count } tasks in { $incident } are overdue ({ $tasks })
    }. Mark done with /task done, or ask for more time with /task snooze.
notice-task-escalated = ⏰ { $assignee } has { $count ->
        [one] 1 overdue task
       *[other] { $count } overdue tasks
    } ({ $tasks }) — { $role } { $callee }, please follow up.
notice-task-escalated-nobody = ⏰ { $assignee } has { $count ->
        [one] 1 overdue task
       *[other] { $count } overdue tasks
    } ({ $tasks }), and nobody is { $role } to follow up.
notice-task-escalated-unassigned = ⏰ { $count ->
        [one] 1 overdue task has
       *[other] { $count } overdue tasks have
    } nobody assigned ({ $tasks }) — { $role } { $callee }, please follow up (/task assign).
notice-task-escalated-unassigned-nobody = ⏰ { $count ->
        [one] 1 overdue task has
       *[other] { $count } overdue tasks have
    } nobody assigned ({ $tasks }), and nobody is { $role } to follow up.
cmd-task-list-opt-page = Which page ({ $min }–{ $max })
cmd-task-list-opt-page-name = page
# --- on-call rotations ---
action-oncall-override = override who is on call
reply-oncall-override-duty-managers = Only duty managers (by [[users]] roles or [discord.roles]) may override who is on call.
reply-oncall-header = On call now (times in { $zone }):
reply-oncall-role = { $role }: { $holder } ({ $source ->
    [override] override
    [fixed] fixed
   *[rotation] rotation
})
reply-oncall-role-next = { $role }: { $holder } ({ $source ->
    [override] override
    [fixed] fixed
   *[rotation] rotation
}), then { $next } from { $at }
reply-oncall-role-until = { $role }: { $holder } ({ $source ->
    [override] override
    [fixed] fixed
   *[rotation] rotation
}) until { $at }, then nobody
reply-oncall-nobody = { $role }: nobody
reply-oncall-every-duty-manager = { $role }: nobody named; every duty manager is called
reply-oncall-services = For { $services } only:
reply-oncall-unknown-user = "{ $user }" is not someone warroom knows; name a configured user (or, on Discord, pick a member).
reply-oncall-until-not-a-time = "{ $until }" is neither a duration such as 4h nor a time such as 2026-12-02 09:00.
reply-oncall-until-past = "{ $until }" is not in the future; give a duration such as 4h or a later time.
reply-oncall-until-too-far = "{ $until }" is more than { $days } days ahead; an override covers a shift, change the rotation for longer.
reply-oncall-too-many-overrides = There are already { $max } overrides in force; wait for some to end.
reply-oncall-override-set = { $user } is on call as { $role } until { $until }.
announce-oncall-override = { $by } put { $user } on call as { $role } until { $until }.
announce-oncall-handoff = On-call hand-off: { $user } is now on call as { $role }.
announce-oncall-handoff-services = On-call hand-off for { $services }: { $user } is now on call as { $role }.
announce-oncall-handoff-nobody = On-call hand-off: nobody is on call as { $role } any more.
# --- escalation ---
notice-escalation = ⏫ { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }: escalation step { $step } calls { $people }. Please acknowledge with /incident ack (call { $number } of { $max }).
notice-escalation-here = ⏫ { $here } { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }: escalation step { $step } calls { $people }. Please acknowledge with /incident ack (call { $number } of { $max }).
notice-escalation-nobody = ⏫ { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }, and nobody holds the roles escalation step { $step } calls: assign them with /incident role (call { $number } of { $max }).
dm-escalation-step = ⏫ { $incident } ({ $severity }, { $title }) is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }; escalation step { $step } calls you. Please open its room and acknowledge with /incident ack.
escalation-how-room = in the room
escalation-how-here = @here
escalation-how-direct = direct message
escalation-how-page = page

# --- escalation delivery ---
notice-escalation-here-nobody = ⏫ { $here } { $incident } is still not acknowledged after { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }, and nobody holds the roles escalation step { $step } calls. Anyone here: acknowledge with /incident ack and assign the roles with /incident role (call { $number } of { $max }).

# --- web console: sign in ---
web-login-token = Your warroom token
web-login-submit = Sign in
web-login-wrong-token = That token is not known here. Check it and try again.
web-incidents-title = Incidents

# --- web console: core (sign in, header, language) ---
web-login-title = Sign in
web-login-unknown-demo-user = That is not one of the demo users.
web-login-demo = Demo mode: sign in as a demo user with one click.
web-nav-incidents = Incidents
web-signed-in-as = Signed in as { $user }
web-locale-label = Language
web-locale-en-US = English
web-locale-zh-CN = 中文
web-locale-submit = Switch
web-logout = Sign out
# --- web console: incident list and war room (pages) ---
web-filter-state = State
web-filter-severity = Severity
web-filter-any = Any
web-filter-apply = Filter
web-column-incident = Incident
web-column-state = State
web-column-severity = Severity
web-column-service = Service
web-column-age = Age
web-column-roles = Roles
web-column-alerts = Alerts
web-incidents-none = No incidents match.
web-next-page = Next page
web-alert-counts = { $firing } firing, { $resolved } resolved
web-age-seconds = { $n } s
web-age-minutes = { $n } min
web-age-hours = { $n } h
web-age-days = { $n } d
web-message-edited = (edited)
web-message-card-above = The card is shown beside the room.
web-more-messages = Older messages
web-room-on-discord = This incident's room is on Discord, where its messages are. Here are its card, its durations and the link to its timeline.
web-command-placeholder = /incident ack, /incident note …, /run …
web-command-send = Send
# --- web console: timeline, durations and the alerts chart ---
web-timeline-title = Timeline of { $incident }
web-timeline-back = Back to the war room
web-timeline-open = Full timeline
web-timeline-kind = Show
web-timeline-kind-all = Everything
web-timeline-kind-alerts = Alerts
web-timeline-kind-state = State and severity
web-timeline-kind-people = Roles, escalation and reminders
web-timeline-kind-notes = Notes, status updates and reactions
web-timeline-kind-actions = Actions and probes
web-timeline-kind-tasks = Tasks
web-timeline-kind-room = Room and card
web-timeline-filter = Filter
web-timeline-zone = Times are in { $zone }.
web-timeline-empty = Nothing on this page of the timeline.
web-timeline-next = Next page
web-durations-title = Durations
web-duration-detect = Time to detect
web-duration-acknowledge = Time to acknowledge
web-duration-mitigate = Time to mitigate
web-duration-resolve = Time to resolve
web-duration-pending = not yet
web-duration-seconds = { $seconds } s
web-duration-minutes = { $minutes } min { $seconds } s
web-duration-hours = { $hours } h { $minutes } min
web-duration-days = { $days } d { $hours } h
web-chart-title = Alerts over time of { $incident }: { $title }
web-chart-alt = Alerts of { $incident } over time: fired and resolved per interval
web-chart-firing = fired
web-chart-resolved = resolved
web-chart-empty = No alerts

# --- web writes and war room paging ---
web-newest-messages = Newest messages
web-write-read-only = This web console is read-only: nothing can be changed from here.
web-write-foreign-origin = This request came from another site. Changes are taken only from warroom's own pages.
web-write-csrf = This page's security token is missing or out of date. Reload the page and try again.
web-write-sign-in = You are signed out. Sign in again, then try once more.
web-write-bad-form = The page sent something warroom could not read. Reload the page and try again.
web-write-no-incident = There is no incident { $incident }.
web-write-no-message = That message is not in this incident's room. Reload the page.
web-write-button-gone = That button is no longer on this message. Reload the page to see what is there now.
web-write-bad-emoji = That reaction is not one warroom takes.
web-write-too-many-reactions = This message has as many different reactions as it can hold.
web-write-no-console = This warroom chats on Discord: answer the room's messages there.
web-write-unavailable = warroom cannot do this right now. Try again shortly.
web-write-failed = That did not work (HTTP { $status }). Reload the page and try again.
web-write-unreachable = warroom could not be reached. Check the connection and try again.
# --- web limits ---
reply-typed-too-long = A command holds at most { $max } characters; this one has { $chars }, so it was not run or recorded. Shorten it, or split a long note into several.

# --- web console: live status ---
web-live-lost = Not live: reconnecting. What you see may be out of date.
