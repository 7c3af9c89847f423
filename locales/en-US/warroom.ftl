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
action-timed-out = { $command } did not finish within { $seconds } s and was stopped.
approval-stand-in = { $request } { $command } · { $state }
action-refused-digest = { $request } does not match what was approved, so it was not run.
